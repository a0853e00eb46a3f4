"""The classifier's batch age limit over DDS: stale frames are dropped, slow streams fill.

Frames go to the real preprocessor and classifier with chosen header stamps; only the
stamps set the frame times, so what the tests assert does not depend on how fast the
machine delivers them.
"""

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg
import pytest
from ros_test_utils import (
    demo_frame_read_as_its_label, set_parameters, spin_until, wait_for_subscribers)
from sensor_msgs.msg import Image
from std_msgs.msg import Header


@pytest.fixture(scope='module')
def three_and_seven():
    """Return demo frames of a 3 and of a 7 that the nodes read as such."""
    return demo_frame_read_as_its_label(3), demo_frame_read_as_its_label(7)


def header_at(seconds: float) -> Header:
    """Return a camera header stamped ``seconds``."""
    header = Header(frame_id='test_camera')
    header.stamp.sec, header.stamp.nanosec = divmod(int(round(seconds * 1e9)), 10**9)
    return header


class Feeder:
    """Sends stamped frames to the pipeline fixture and collects its predictions."""

    def __init__(self, pipeline):
        """Connect a camera publisher and a prediction subscriber to the nodes."""
        self.executor, self.preprocessor, self.classifier, self.driver = pipeline
        self.publisher = self.driver.create_publisher(Image, 'image_raw', RELIABLE_IMAGE_QOS)
        self.predictions = []
        self.driver.create_subscription(DigitPrediction, 'prediction', self.predictions.append,
                                        PREDICTION_QOS)
        wait_for_subscribers(self.executor, self.publisher)
        self.sent = 0

    def send(self, frame, times):
        """Publish ``frame`` once per stamp in ``times``; wait until the classifier has each."""
        for stamp in times:
            self.publisher.publish(array_to_image_msg(frame, 'bgr8', header_at(stamp)))
            self.sent += 1
            assert spin_until(self.executor,
                              lambda: self.classifier.frames_received >= self.sent, 30.0), \
                f'frame {self.sent} did not reach the classifier'
        # A prediction published for the last frame arrives after it was classified.
        spin_until(self.executor, lambda: False, timeout=0.3)


def test_frames_from_before_a_pause_are_not_averaged_with_later_ones(pipeline, three_and_seven):
    """Eight frames of a 3 at 30 fps, a pause of half a second, five frames of a 7.

    The first five 3s make a prediction and three wait; after the pause (15 frame
    periods, longer than the automatic limit of batch_size + 2 = 7) they are dropped, so
    the next prediction is made of the five 7s alone. Had they been kept, a prediction
    of three 3s and two 7s would come out at the second 7.
    """
    (three, label_3), (seven, label_7) = three_and_seven
    feeder = Feeder(pipeline)
    assert feeder.classifier.params['max_batch_age'] == 0.0  # the default: automatic
    before = [100.0 + i / 30.0 for i in range(8)]
    after = [before[-1] + 0.5 + i / 30.0 for i in range(5)]
    feeder.send(three, before)
    feeder.send(seven, after)
    predictions = feeder.predictions
    assert [(p.digit, p.frame_count) for p in predictions] == [(label_3, 5), (label_7, 5)]
    assert [p.header.stamp for p in predictions] == [header_at(before[4]).stamp,
                                                     header_at(after[-1]).stamp]
    assert feeder.classifier.frames_expired == 3


def test_a_slow_steady_stream_fills_its_batches_with_the_default(pipeline, three_and_seven):
    """Five frames a second (a PNG-compressed camera, a busy machine): every frame counts."""
    _, (seven, label_7) = three_and_seven
    feeder = Feeder(pipeline)
    feeder.send(seven, [200.0 + i / 5.0 for i in range(15)])
    assert [(p.digit, p.frame_count) for p in feeder.predictions] == [(label_7, 5)] * 3
    assert feeder.classifier.frames_expired == 0


def test_a_fixed_batch_age_set_at_run_time_applies(pipeline, three_and_seven):
    """``ros2 param set /classifier max_batch_age 0.5``: at 5 fps no batch fills any more.

    A negative value is refused and the limit stays; 0 makes it automatic again.
    """
    _, (seven, label_7) = three_and_seven
    feeder = Feeder(pipeline)
    results = set_parameters(feeder.executor, feeder.driver, 'classifier',
                             {'max_batch_age': 0.5})
    assert results[0].successful
    refused = set_parameters(feeder.executor, feeder.driver, 'classifier',
                             {'max_batch_age': -1.0})
    assert not refused[0].successful
    assert feeder.classifier.params['max_batch_age'] == 0.5
    # Five frames span 0.8 s at 5 fps: each frame finds the ones 0.6 s before it stale.
    feeder.send(seven, [300.0 + i / 5.0 for i in range(10)])
    assert feeder.predictions == []
    assert feeder.classifier.frames_expired == 7
    assert set_parameters(feeder.executor, feeder.driver, 'classifier',
                          {'max_batch_age': 0.0})[0].successful
    feeder.send(seven, [310.0 + i / 5.0 for i in range(5)])
    assert [(p.digit, p.frame_count) for p in feeder.predictions] == [(label_7, 5)]
