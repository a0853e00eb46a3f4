"""The nodes over real DDS: frames in, predictions out; parameters; bad input."""

import subprocess
import sys

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg, image_msg_to_array
from digit_recognition.vision import digit_input
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.image_encoding import array_to_image_fields
from digit_recognition.vision.inference import default_model_path
from digit_recognition.vision.preprocessing import preprocess
from image_test_utils import paper, seven_with_a_faint_stem
import numpy as np
import pytest
from rclpy.parameter import Parameter
from ros_test_utils import set_parameters, spin_until, wait_for_subscribers
from sensor_msgs.msg import Image
from std_msgs.msg import Header


def connect(pipeline, output_topic=None):
    """Return a publisher on image_raw and the list ``output_topic`` fills, both matched."""
    executor, _, _, driver = pipeline
    publisher = driver.create_publisher(Image, 'image_raw', RELIABLE_IMAGE_QOS)
    received = []
    if output_topic == 'prediction':
        driver.create_subscription(DigitPrediction, output_topic, received.append,
                                   PREDICTION_QOS)
    elif output_topic is not None:
        driver.create_subscription(Image, output_topic, received.append, RELIABLE_IMAGE_QOS)
    wait_for_subscribers(executor, publisher)
    return publisher, received


def stamped_header(index: int) -> Header:
    """Return the header of frame ``index`` of a 30 fps camera."""
    header = Header(frame_id='test_camera')
    nanoseconds = 1000 * 10**9 + index * 33_333_333
    header.stamp.sec, header.stamp.nanosec = divmod(nanoseconds, 10**9)
    return header


def test_drawn_digits_come_out_as_predictions_with_the_frame_stamp(pipeline):
    executor, preprocessor, classifier, driver = pipeline
    publisher, predictions = connect(pipeline, 'prediction')
    generator = DemoFrameGenerator(seed=3)
    labels, last_headers = [], []
    for digit_index in range(6):
        frame, label = generator.next_frame()
        labels.append(label)
        for repeat in range(5):  # the same card held up for one batch of five frames
            header = stamped_header(digit_index * 5 + repeat)
            publisher.publish(array_to_image_msg(frame, 'bgr8', header))
            assert spin_until(executor, lambda n=digit_index * 5 + repeat + 1:
                              preprocessor.frames_processed >= n)
        last_headers.append(header)
        assert spin_until(executor, lambda n=digit_index + 1: len(predictions) >= n)

    assert [p.digit for p in predictions] == labels
    for prediction, header in zip(predictions, last_headers):
        assert prediction.header.stamp == header.stamp
        assert prediction.header.frame_id == 'test_camera'
        assert prediction.frame_count == 5
        assert prediction.confidence > 0.5
        assert abs(sum(prediction.probabilities) - 1.0) < 1e-3


def test_empty_frames_give_no_digit(pipeline):
    executor, preprocessor, classifier, driver = pipeline
    publisher, predictions = connect(pipeline, 'prediction')
    blank_paper = np.full((480, 640, 3), (200, 215, 225), np.uint8)
    for index in range(5):
        publisher.publish(array_to_image_msg(blank_paper, 'bgr8', stamped_header(index)))
    assert spin_until(executor, lambda: predictions)
    assert predictions[0].digit == DigitPrediction.NO_DIGIT


def test_digit_input_carries_the_second_look_below_the_model_input(pipeline):
    """Check: digit_input is 56 high, the model input on top and the second look below."""
    executor, preprocessor, classifier, driver = pipeline
    publisher, inputs = connect(pipeline, 'digit_input')
    cases = [(seven_with_a_faint_stem(), True), (paper(), False)]
    for index, (frame, has_second_look) in enumerate(cases):
        publisher.publish(array_to_image_msg(frame, 'bgr8', stamped_header(index)))
        assert spin_until(executor, lambda n=index + 1: len(inputs) >= n)
        message = inputs[index]
        assert (message.encoding, message.width, message.height) == ('mono8', 28, 56)
        first, second = digit_input.split(image_msg_to_array(message))
        expected = preprocess(frame)
        assert np.array_equal(first, digit_input.to_pixels(expected.model_input))
        assert (second is not None) == has_second_look
        if has_second_look:
            assert np.array_equal(second, digit_input.to_pixels(expected.second_look))


def threshold_output(executor, driver, publisher, received, frame) -> np.ndarray:
    count = len(received)
    publisher.publish(array_to_image_msg(frame, 'bgr8', stamped_header(count)))
    assert spin_until(executor, lambda: len(received) > count)
    return image_msg_to_array(received[-1]).copy()


def test_threshold_set_through_the_service_changes_the_next_frame(pipeline):
    executor, preprocessor, classifier, driver = pipeline
    publisher, received = connect(pipeline, 'threshold_image')
    # A horizontal gray ramp: the fixed threshold decides exactly how much is ink.
    ramp = np.tile(np.linspace(0, 255, 640).astype(np.uint8), (480, 1))
    frame = np.dstack([ramp, ramp, ramp])

    results = set_parameters(executor, driver, 'preprocessor',
                             {'threshold_mode': 'fixed', 'threshold': 60})
    assert all(result.successful for result in results)
    low = threshold_output(executor, driver, publisher, received, frame)
    results = set_parameters(executor, driver, 'preprocessor', {'threshold': 200})
    assert results[0].successful
    high = threshold_output(executor, driver, publisher, received, frame)
    roi_gray = ramp[140:340, 220:420]
    assert np.array_equal(low > 0, roi_gray < 60)
    assert np.array_equal(high > 0, roi_gray < 200)

    results = set_parameters(executor, driver, 'preprocessor', {'threshold': 300})
    assert not results[0].successful
    assert '255' in results[0].reason
    assert preprocessor.get_parameter('threshold').value == 200
    assert np.array_equal(threshold_output(executor, driver, publisher, received, frame), high)

    results = set_parameters(executor, driver, 'preprocessor', {'threshold_mode': 'magic'})
    assert not results[0].successful
    assert 'adaptive' in results[0].reason
    assert preprocessor.get_parameter('threshold_mode').value == 'fixed'


def test_setting_only_the_threshold_switches_to_the_fixed_mode(pipeline):
    executor, preprocessor, classifier, driver = pipeline
    publisher, received = connect(pipeline, 'threshold_image')
    ramp = np.tile(np.linspace(0, 255, 640).astype(np.uint8), (480, 1))
    assert preprocessor.get_parameter('threshold_mode').value == 'adaptive'

    assert set_parameters(executor, driver, 'preprocessor', {'threshold': 90})[0].successful
    output = threshold_output(executor, driver, publisher, received, np.dstack([ramp] * 3))
    assert np.array_equal(output > 0, ramp[140:340, 220:420] < 90)
    assert spin_until(executor, lambda: (
        preprocessor.get_parameter('threshold_mode').value == 'fixed'))


def test_batch_size_is_dynamic(pipeline):
    executor, preprocessor, classifier, driver = pipeline
    publisher, predictions = connect(pipeline, 'prediction')
    assert set_parameters(executor, driver, 'classifier', {'batch_size': 2})[0].successful
    assert not set_parameters(executor, driver, 'classifier', {'batch_size': 0})[0].successful
    frame, label = DemoFrameGenerator(seed=5).next_frame()
    for index in range(4):
        publisher.publish(array_to_image_msg(frame, 'bgr8', stamped_header(index)))
    assert spin_until(executor, lambda: len(predictions) >= 2)
    assert [p.frame_count for p in predictions] == [2, 2]
    assert predictions[0].digit == label


def raw_image(array, encoding, step=None, data=None, header=None, claimed_encoding=None):
    fields = array_to_image_fields(array, encoding)
    return Image(header=header or stamped_header(0), height=fields.height, width=fields.width,
                 encoding=claimed_encoding or encoding,
                 step=fields.step if step is None else step,
                 data=fields.data if data is None else data)


def _with_alpha(image):
    return np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])


# name: (message built from a bgr8 frame and its gray version, processed (else dropped))
IMAGE_CASES = {
    'bgr8': (lambda frame, gray: raw_image(frame, 'bgr8'), True),
    'mono8': (lambda frame, gray: raw_image(gray, 'mono8'), True),
    'rgb8': (lambda frame, gray: raw_image(frame[:, :, ::-1].copy(), 'rgb8'), True),
    'bgra8': (lambda frame, gray: raw_image(_with_alpha(frame), 'bgra8'), True),
    'rgba8': (lambda frame, gray: raw_image(_with_alpha(frame[:, :, ::-1]), 'rgba8'), True),
    'mono16': (lambda frame, gray: raw_image(gray.astype(np.uint16) * 257, 'mono16'), True),
    'region larger than the image (clipped)': (
        lambda frame, gray: raw_image(frame[:100, :120].copy(), 'bgr8'), True),
    'data shorter than step * height': (
        lambda frame, gray: raw_image(frame, 'bgr8', data=frame.tobytes()[:1000]), False),
    'unsupported encoding': (
        lambda frame, gray: raw_image(frame, 'bgr8', claimed_encoding='yuv422'), False),
    'zero size': (lambda frame, gray: Image(header=stamped_header(0), encoding='bgr8'), False),
    'step shorter than a row': (lambda frame, gray: raw_image(frame, 'bgr8', step=100), False),
}


@pytest.mark.parametrize('case', list(IMAGE_CASES))
def test_odd_and_malformed_images_are_handled_and_the_node_keeps_running(pipeline, case):
    executor, preprocessor, classifier, driver = pipeline
    publisher, _ = connect(pipeline)
    frame, _ = DemoFrameGenerator(seed=1).next_frame()
    build, processed = IMAGE_CASES[case]
    publisher.publish(build(frame, frame.mean(axis=2).astype(np.uint8)))
    assert spin_until(executor, lambda: (
        preprocessor.frames_processed + preprocessor.frames_dropped >= 1))
    assert (preprocessor.frames_processed, preprocessor.frames_dropped) == (
        (1, 0) if processed else (0, 1))
    # Still running: the next good frame goes through.
    publisher.publish(raw_image(frame, 'bgr8'))
    assert spin_until(executor, lambda: preprocessor.frames_processed == int(processed) + 1)


def test_parameter_overrides_reject_invalid_start_up_values(ros_context):
    with pytest.raises(ValueError, match='threshold_mode'):
        PreprocessorNode(context=ros_context, parameter_overrides=[
            Parameter('threshold_mode', value='sometimes')])


@pytest.mark.parametrize('problem, reason', [
    ('missing', 'file not found'),
    ('corrupt', 'not a TFLite model'),
    ('keras file', 'a keras model file, not a tflite one: choose the keras backend'),
])
def test_classifier_exits_non_zero_on_a_bad_model_file(tmp_path, problem, reason):
    model = tmp_path / 'model.tflite'
    if problem == 'corrupt':
        model.write_bytes(b'not a model at all' * 10)
    elif problem == 'keras file':  # the default backend is tflite
        model = default_model_path('keras')
    result = subprocess.run(
        [sys.executable, '-m', 'digit_recognition.nodes.classifier_node',
         '--ros-args', '-p', f'model_path:={model}'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert str(model) in result.stderr
    assert reason in result.stderr
    assert 'Traceback' not in result.stderr
