"""stable_digit and read_digit over real DDS: what other nodes of a robot consume.

The classifier runs with batch_size 1, so every digit_input frame is one prediction;
frames are MNIST test digits that the shipped model reads as their label, and
all-black frames (the preprocessor's "no digit").
"""

from pathlib import Path
import re
import time

from digit_interfaces.msg import DigitPrediction
from digit_interfaces.srv import ReadDigit
from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.qos import LATCHED_QOS, PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg
from digit_recognition.vision.batching import (
    DEFAULT_MIN_CONFIDENCE, DEFAULT_PRESENT_DIGIT_MARGIN, PRESENT_MAX_NO_DIGIT)
from digit_recognition.vision.demo_frames import load_sample
from digit_recognition.vision.inference import load_model
from digit_recognition.vision.model_contract import NO_DIGIT_CLASS, to_model_batch
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_test_utils import set_parameters, spin_until, wait_for_subscribers
from sensor_msgs.msg import Image
from std_msgs.msg import Header

NO_DIGIT = DigitPrediction.NO_DIGIT
BLANK = -1
STABLE_COUNT = 3
FRAME_PERIOD_S = 0.02


@pytest.fixture(scope='module')
def digit_images():
    """Return ``{digit: 28x28 uint8}`` for 1, 2, 3 and 7, each read as its label."""
    model = load_model(None, 'tflite')
    images, labels = load_sample()
    chosen = {}
    for image, label in zip(images, labels):
        if int(label) in (1, 2, 3, 7) and int(label) not in chosen:
            probabilities = model.predict_proba(to_model_batch(image))[0]
            if (int(np.argmax(probabilities)) == label
                    and probabilities[label] > (1 + DEFAULT_MIN_CONFIDENCE) / 2):
                chosen[int(label)] = image
    assert len(chosen) == 4, f'the model reads only {sorted(chosen)} of 1, 2, 3, 7'
    chosen[BLANK] = np.zeros_like(images[0])
    return chosen


@pytest.fixture(scope='module')
def sure_but_unsure_which():
    """Return ``(label, 28x28 uint8)`` of a sample digit the model is unsure of.

    The shipped model reads it right and is sure that a digit is there, with a confidence
    between ``min_confidence - present_digit_margin`` and ``min_confidence`` (defaults).
    """
    images, labels = load_sample()
    probabilities = load_model(None, 'tflite').predict_proba(to_model_batch(images))
    low = DEFAULT_MIN_CONFIDENCE - DEFAULT_PRESENT_DIGIT_MARGIN
    for image, label, p in zip(images, labels, probabilities):
        best = int(np.argmax(p[:NO_DIGIT_CLASS]))
        if (best == label and p[NO_DIGIT_CLASS] <= PRESENT_MAX_NO_DIGIT
                and low <= p[best] < DEFAULT_MIN_CONFIDENCE):
            return best, image
    pytest.fail('no sample digit is read right, surely a digit, below min_confidence')


class ClassifierRig:
    """The classifier node, a driver node feeding digit_input, and what came out."""

    def __init__(self, context, images):
        """Start the nodes in ``context``; ``images`` maps digits (and BLANK) to frames."""
        self.images = images
        self.executor = SingleThreadedExecutor(context=context)
        self.classifier = ClassifierNode(context=context, parameter_overrides=[
            Parameter('batch_size', value=1), Parameter('stable_count', value=STABLE_COUNT)])
        self.driver = Node('stable_test_driver', context=context)
        for node in (self.classifier, self.driver):
            self.executor.add_node(node)
        self.publisher = self.driver.create_publisher(Image, 'digit_input',
                                                      RELIABLE_IMAGE_QOS)
        self.predictions = []
        self.stable = []
        self.driver.create_subscription(DigitPrediction, 'prediction', self.predictions.append,
                                        PREDICTION_QOS)
        self.driver.create_subscription(DigitPrediction, 'stable_digit', self.stable.append,
                                        stable_reader_qos())
        self.frames_sent = 0
        wait_for_subscribers(self.executor, self.publisher)
        assert spin_until(self.executor, lambda: (
            self.classifier.count_subscribers('stable_digit') > 0))

    def show(self, digit: int) -> DigitPrediction:
        """Send one frame of ``digit`` (or BLANK); return its prediction."""
        self.frames_sent += 1
        header = Header(frame_id='test_camera')
        header.stamp.sec = self.frames_sent
        self.publisher.publish(array_to_image_msg(self.images[digit], 'mono8', header))
        count = self.frames_sent
        assert spin_until(self.executor, lambda: len(self.predictions) >= count), \
            f'no prediction for frame {count}'
        return self.predictions[count - 1]

    def close(self):
        self.executor.shutdown()
        self.driver.destroy_node()
        self.classifier.destroy_node()


def stable_reader_qos() -> QoSProfile:
    """TRANSIENT_LOCAL like the publisher, with room for every transition."""
    return QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


@pytest.fixture
def rig(ros_context, digit_images):
    rig = ClassifierRig(ros_context, digit_images)
    yield rig
    rig.close()


def test_digits_and_blanks_give_exactly_the_expected_transitions(rig):
    sequence = [7, 7, 7,               # stable 7
                BLANK, 7, 7, 7,        # a stray blank changes nothing
                BLANK, BLANK, BLANK,   # stable "no digit"
                3, 3, 7, 3, 3, 3, 3]   # a stray 7 delays 3 by nothing more than its run
    expected = [(7, 2), (NO_DIGIT, 9), (3, 15)]  # (reading, index of the confirming frame)
    predictions = [rig.show(digit) for digit in sequence]
    assert [p.digit for p in predictions] == [NO_DIGIT if d == BLANK else d for d in sequence]
    assert spin_until(rig.executor, lambda: len(rig.stable) >= len(expected))
    spin_until(rig.executor, lambda: False, timeout=0.5)  # nothing more may arrive
    assert [s.digit for s in rig.stable] == [reading for reading, _ in expected]
    for stable, (_, index) in zip(rig.stable, expected):
        # The header (and figures) of the prediction that confirmed the reading.
        assert stable.header == predictions[index].header
        assert stable.confidence == pytest.approx(predictions[index].confidence)


def test_a_late_subscriber_gets_the_current_stable_digit(rig, ros_context):
    for digit in (2, 2, 2, 1, 1, 1):
        rig.show(digit)
    assert spin_until(rig.executor, lambda: len(rig.stable) == 2)
    late = Node('late_subscriber', context=ros_context)
    rig.executor.add_node(late)
    received = []
    late.create_subscription(DigitPrediction, 'stable_digit', received.append, LATCHED_QOS)
    assert spin_until(rig.executor, lambda: received), 'the late subscriber got nothing'
    spin_until(rig.executor, lambda: False, timeout=0.5)
    assert [r.digit for r in received] == [1]
    assert received[0].header == rig.stable[-1].header
    late.destroy_node()


def test_a_digit_surely_there_is_read_below_min_confidence_and_becomes_stable(
        ros_context, digit_images, sure_but_unsure_which):
    """present_digit_margin: the prediction and stable_digit give the digit; 0 turns it off."""
    label, image = sure_but_unsure_which
    rig = ClassifierRig(ros_context, {**digit_images, 'unsure': image})
    try:
        predictions = [rig.show('unsure') for _ in range(STABLE_COUNT)]
        assert [p.digit for p in predictions] == [label] * STABLE_COUNT
        assert all(p.confidence < DEFAULT_MIN_CONFIDENCE for p in predictions)
        assert spin_until(rig.executor, lambda: rig.stable)
        assert [s.digit for s in rig.stable] == [label]
        refused = set_parameters(rig.executor, rig.driver, 'classifier',
                                 {'present_digit_margin': 1.5})
        assert not refused[0].successful
        assert rig.classifier.params['present_digit_margin'] == DEFAULT_PRESENT_DIGIT_MARGIN
        assert set_parameters(rig.executor, rig.driver, 'classifier',
                              {'present_digit_margin': 0.0})[0].successful
        assert [rig.show('unsure').digit for _ in range(STABLE_COUNT)] == [
            NO_DIGIT] * STABLE_COUNT
        assert spin_until(rig.executor, lambda: len(rig.stable) == 2)
        assert rig.stable[-1].digit == NO_DIGIT
    finally:
        rig.close()


def call_read_digit(rig, request, show_next):
    """Call read_digit and keep showing ``show_next()`` frames until it answers.

    Returns:
        The response, and how many frames (each one prediction) were shown before the
        call and while it was pending.

    """
    client = rig.driver.create_client(ReadDigit, 'read_digit')
    assert spin_until(rig.executor, client.service_is_ready), 'read_digit not found'
    before = rig.frames_sent
    deadline = time.monotonic() + 120.0
    future = client.call_async(request)
    while not future.done():
        rig.show(show_next())
        spin_until(rig.executor, future.done, timeout=FRAME_PERIOD_S)
        assert time.monotonic() < deadline, 'read_digit never answered'
    rig.driver.destroy_client(client)
    return future.result(), before, rig.frames_sent - before


def test_read_digit_returns_the_digit_shown(rig):
    for digit in (3, 3, 3):
        rig.show(digit)
    # 3 is stable before the call: the answer is the next prediction that confirms it.
    response, shown_before, _ = call_read_digit(
        rig, ReadDigit.Request(timeout_s=60.0), show_next=lambda: 3)
    assert response.success, response.message
    assert (response.prediction.digit, response.message) == (3, 'digit 3')
    # Frames are stamped with their number: the answer is a frame shown after the call.
    assert response.prediction.header.stamp.sec > shown_before

    # A new digit is answered once it has become stable; blanks on the way are skipped.
    shown = iter([BLANK] * 4 + [7] * 100)
    response, _, predicted = call_read_digit(rig, ReadDigit.Request(timeout_s=60.0),
                                             show_next=lambda: next(shown))
    assert response.success, response.message
    assert response.prediction.digit == 7
    assert predicted >= 4 + STABLE_COUNT


def test_read_digit_may_answer_no_digit_when_asked_to(rig):
    response, _, _ = call_read_digit(
        rig, ReadDigit.Request(timeout_s=60.0, allow_no_digit=True), show_next=lambda: BLANK)
    assert response.success, response.message
    assert (response.prediction.digit, response.message) == (NO_DIGIT, 'no digit')


@pytest.mark.parametrize('allow_no_digit', [False, True])
def test_read_digit_times_out_cleanly_while_predictions_keep_flowing(rig, allow_no_digit):
    # Never STABLE_COUNT agreeing predictions in a row (blanks alone would be a
    # stable "no digit", which only allow_no_digit accepts).
    flicker = iter([1, 2, BLANK] * 1000)
    response, _, predicted = call_read_digit(
        rig, ReadDigit.Request(timeout_s=1.5, allow_no_digit=allow_no_digit),
        show_next=lambda: next(flicker))
    assert not response.success
    wanted = 'reading' if allow_no_digit else 'digit'
    assert response.message == f'no stable {wanted} within 1.5 s'
    assert predicted >= 2, 'the classifier stopped predicting while read_digit waited'
    assert rig.stable == []


def test_read_digit_skips_a_stable_blank_unless_no_digit_is_allowed(rig):
    response, _, _ = call_read_digit(rig, ReadDigit.Request(timeout_s=1.5),
                                     show_next=lambda: BLANK)
    assert (response.success, response.message) == (False, 'no stable digit within 1.5 s')
    assert [s.digit for s in rig.stable] == [NO_DIGIT]


@pytest.mark.parametrize('timeout_s', [0.0, -1.0, float('nan'), float('inf')])
def test_read_digit_refuses_a_timeout_that_is_not_a_positive_number(rig, timeout_s):
    client = rig.driver.create_client(ReadDigit, 'read_digit')
    assert spin_until(rig.executor, client.service_is_ready)
    future = client.call_async(ReadDigit.Request(timeout_s=timeout_s))
    assert spin_until(rig.executor, future.done)
    assert not future.result().success
    assert 'timeout_s must be a positive number' in future.result().message


def test_a_request_with_the_defaults_waits_five_seconds_for_a_digit(rig):
    """``ros2 service call /read_digit digit_interfaces/srv/ReadDigit`` with no fields."""
    request = ReadDigit.Request()
    assert (request.timeout_s, request.allow_no_digit) == (5.0, False)
    response, _, _ = call_read_digit(rig, request, show_next=lambda: BLANK)
    assert (response.success, response.message) == (False, 'no stable digit within 5 s')


def test_destroying_the_node_answers_a_waiting_call(ros_context, digit_images):
    rig = ClassifierRig(ros_context, digit_images)
    client = rig.driver.create_client(ReadDigit, 'read_digit')
    assert spin_until(rig.executor, client.service_is_ready)
    future = client.call_async(ReadDigit.Request(timeout_s=600.0))
    assert spin_until(rig.executor, lambda: rig.classifier.read_digit.waiting == 1)
    rig.executor.remove_node(rig.classifier)
    rig.classifier.destroy_node()
    assert spin_until(rig.executor, future.done)
    assert (future.result().success, future.result().message) == (
        False, 'the node is shutting down')
    rig.executor.shutdown()
    rig.driver.destroy_node()


def readme_subscriber_source() -> str:
    """Return the README's stable_digit subscriber, without its last two lines (init, spin)."""
    readme = (Path(__file__).resolve().parents[2] / 'README.md').read_text()
    section = readme.split('## Using the predictions in your nodes', 1)[1]
    code = re.search(r'```python\n(.*?)```', section, re.DOTALL).group(1)
    lines = code.rstrip().splitlines()
    assert lines[-2:] == ['rclpy.init()', 'rclpy.spin(DigitListener())']
    return '\n'.join(lines[:-2])


def test_the_readme_subscriber_gets_the_stable_digit(rig, capfd):
    for digit in (7, 7, 7):
        rig.show(digit)
    assert spin_until(rig.executor, lambda: rig.stable)
    namespace = {}
    exec(compile(readme_subscriber_source(), 'README.md', 'exec'), namespace)  # noqa: S102
    rclpy.init()  # the README's node lives in the default context, as it would
    try:
        listener = namespace['DigitListener']()
        executor = SingleThreadedExecutor()
        executor.add_node(listener)
        logged = []
        assert spin_until(executor, lambda: logged.append(capfd.readouterr().err) or (
            '[digit_listener]: digit 7 shown' in ''.join(logged))), ''.join(logged)
        executor.shutdown()
        listener.destroy_node()
    finally:
        rclpy.try_shutdown()


def test_the_classifier_reads_the_second_look_when_the_first_gives_no_digit_or_another(
        ros_context, digit_images):
    """Check: over DDS, a second look below an unsure model input gives its digit.

    The unsure input is the top rows of the "3", as many as the model does not read as a
    confident digit; the second look is the whole "3". A confident second look of
    another digit is the answer too; an unsure one leaves the first look's digit.
    """
    model = load_model(None, 'tflite')
    unsure = None
    for rows in (8, 6, 10, 4):
        candidate = digit_images[3].copy()
        candidate[rows:] = 0
        probabilities = model.predict_proba(to_model_batch(candidate))[0]
        if candidate.any() and probabilities[:10].max() < DEFAULT_MIN_CONFIDENCE:
            unsure = candidate
            break
    assert unsure is not None, 'the model reads every top part of the "3" as a digit'
    images = {
        'unsure': unsure,
        'unsure, then 3': np.vstack([unsure, digit_images[3]]),
        '3, then 7': np.vstack([digit_images[3], digit_images[7]]),
        '3, then unsure': np.vstack([digit_images[3], unsure]),
        'blank, then 3': np.vstack([digit_images[BLANK], digit_images[3]]),
    }
    rig = ClassifierRig(ros_context, images)
    try:
        assert rig.show('unsure').digit == NO_DIGIT
        rescued = rig.show('unsure, then 3')
        assert rescued.digit == 3 and rescued.confidence >= DEFAULT_MIN_CONFIDENCE
        assert rig.show('3, then 7').digit == 7  # the second look reads another digit
        assert rig.show('3, then unsure').digit == 3  # the first look's digit stands
        assert rig.show('blank, then 3').digit == NO_DIGIT  # no digit: no second look
    finally:
        rig.close()
