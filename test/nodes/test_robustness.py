"""Stalls, slow readers, QoS mismatches and simulated time, over DDS.

Stale batches: test_batch_age.py; refused publishes: test_refused_publish.py.
"""

import re
import select
import signal
import subprocess
import sys
import threading
import time

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.overlay_node import OverlayNode
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.frame_sources import DemoSource
from digit_recognition.vision.overlay_drawing import COLOR_DIGIT
import numpy as np
import pytest
from rcl_interfaces.srv import GetParameters
from rclpy.clock import Clock, ClockType
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from ros_test_utils import (refusing_environment, spin_until, stop_viewer_then_node,
                            stoppable_environment)
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Image
from std_msgs.msg import Header

OPEN_BLOCKS_S = 3.0
"""How long the slow camera's open blocks (a GStreamer/Argus open takes seconds)."""


class SlowOpenSource(DemoSource):
    """A demo camera whose open blocks for ``OPEN_BLOCKS_S``, or until released."""

    def __init__(self):
        """Create it; the test releases the open or it times out."""
        super().__init__(640, 480)
        self.opening = threading.Event()
        self.opened = threading.Event()
        self.release = threading.Event()

    def _open(self):
        self.opening.set()
        self.release.wait(OPEN_BLOCKS_S)
        self.opened.set()


def test_parameter_services_answer_while_the_camera_open_blocks(ros_context):
    """The executor of the camera (and of a node beside it, as in ``pipeline``) is free."""
    source = SlowOpenSource()
    camera = CameraNode(frame_source=source, context=ros_context)
    preprocessor = PreprocessorNode(context=ros_context)
    pipeline = SingleThreadedExecutor(context=ros_context)
    pipeline.add_node(camera)
    pipeline.add_node(preprocessor)
    spinner = threading.Thread(target=pipeline.spin, daemon=True)
    spinner.start()
    client_node = Node('parameter_client', context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(client_node)
    frames = []
    client_node.create_subscription(Image, 'image_raw', frames.append, RELIABLE_IMAGE_QOS)
    try:
        assert source.opening.wait(30.0), 'the camera never started to open'
        for node_name, parameter in (('camera', 'fps'), ('preprocessor', 'threshold')):
            client = client_node.create_client(GetParameters, f'/{node_name}/get_parameters')
            assert spin_until(executor, client.service_is_ready, timeout=30.0)
            asked = time.monotonic()
            future = client.call_async(GetParameters.Request(names=[parameter]))
            assert spin_until(executor, future.done, timeout=30.0)
            answer_s = time.monotonic() - asked
            assert not source.opened.is_set(), (
                f'{node_name} answered only after the open returned ({answer_s:.2f} s)')
            print(f'{node_name}/get_parameters answered in {1000 * answer_s:.0f} ms while '
                  'the camera was opening')
            assert future.result().values[0].double_value == 30.0 or parameter != 'fps'
        source.release.set()
        assert spin_until(executor, lambda: len(frames) >= 3, timeout=30.0), \
            'no frames after the open returned'
    finally:
        source.release.set()
        pipeline.shutdown()
        spinner.join(timeout=10.0)
        executor.shutdown()
        for node in (client_node, preprocessor, camera):
            node.destroy_node()


def header_at(seconds: float) -> Header:
    """Return a camera header stamped ``seconds``."""
    header = Header(frame_id='test_camera')
    header.stamp.sec, header.stamp.nanosec = divmod(int(round(seconds * 1e9)), 10**9)
    return header


@pytest.mark.parametrize('reliability', ['BEST_EFFORT', 'RELIABLE'])
def test_best_effort_and_reliable_cameras_both_feed_predictions(pipeline, reliability):
    """With the default ``image_qos: auto`` no camera driver's QoS is incompatible."""
    executor, preprocessor, classifier, probe = pipeline
    qos = qos_profile_sensor_data if reliability == 'BEST_EFFORT' else RELIABLE_IMAGE_QOS
    publisher = probe.create_publisher(Image, 'image_raw', qos)
    predictions = []
    probe.create_subscription(DigitPrediction, 'prediction', predictions.append, PREDICTION_QOS)
    frame, label = DemoFrameGenerator(seed=3).next_frame()
    index = 0

    def feed():
        nonlocal index
        if publisher.get_subscription_count():
            publisher.publish(array_to_image_msg(frame, 'bgr8', header_at(50 + index / 30)))
            index += 1
        return len(predictions) >= 2
    deadline = time.monotonic() + 60.0
    while not feed():
        assert time.monotonic() < deadline, f'no predictions from a {reliability} camera'
        spin_until(executor, lambda: False, timeout=0.03)
    assert predictions[-1].digit == label


def _green_text(image_msg) -> bool:
    """Return True when the overlay shows a recognised digit (text in the digit colour)."""
    pixels = np.frombuffer(bytes(image_msg.data), np.uint8).reshape(
        image_msg.height, image_msg.width, 3)
    return bool((pixels[:60, :200] == COLOR_DIGIT).all(axis=2).any())


def test_use_sim_time_stamps_and_ages_by_the_clock_topic(ros_context):
    """Camera stamps and the overlay's prediction age follow ``/clock``, not the wall."""
    sim = [Parameter('use_sim_time', value=True)]
    camera = CameraNode(frame_source=DemoSource(640, 480), context=ros_context,
                        parameter_overrides=sim + [Parameter('fps', value=30)])
    overlay = OverlayNode(context=ros_context, parameter_overrides=sim)
    probe = Node('sim_time_probe', context=ros_context)
    clock_publisher = probe.create_publisher(ClockMsg, '/clock', 10)
    prediction_publisher = probe.create_publisher(DigitPrediction, 'prediction', PREDICTION_QOS)
    frames, drawn = [], []
    probe.create_subscription(Image, 'image_raw', frames.append, RELIABLE_IMAGE_QOS)
    probe.create_subscription(Image, 'overlay', drawn.append, RELIABLE_IMAGE_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    for node in (camera, overlay, probe):
        executor.add_node(node)
    sim_now = [1000.0]

    def tick():
        clock_publisher.publish(ClockMsg(clock=header_at(sim_now[0]).stamp))
    probe.create_timer(0.02, tick, clock=Clock(clock_type=ClockType.STEADY_TIME))
    try:
        assert spin_until(executor, lambda: len(frames) >= 3, timeout=30.0)
        stamps = [f.header.stamp.sec + f.header.stamp.nanosec * 1e-9 for f in frames[-3:]]
        assert all(abs(s - 1000.0) < 1.0 for s in stamps), f'not simulated time: {stamps}'

        # A prediction for the current simulated time is drawn...
        prediction = DigitPrediction(header=header_at(sim_now[0]), digit=7, confidence=0.9,
                                     frame_count=5)
        prediction_publisher.publish(prediction)
        assert spin_until(executor, lambda: drawn and _green_text(drawn[-1]), timeout=30.0), \
            'the fresh prediction is not drawn'
        # ...and is gone once simulated time has moved on past max_prediction_age, however
        # little wall time passed.
        sim_now[0] += 2 * overlay.params['max_prediction_age'] + 1.0
        count = len(drawn)
        assert spin_until(executor, lambda: len(drawn) > count + 3 and not _green_text(
            drawn[-1]), timeout=30.0), 'the prediction outlived max_prediction_age'
    finally:
        executor.shutdown()
        for node in (probe, overlay, camera):
            node.destroy_node()


STALLED_READER = r"""
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
rclpy.init()
node = rclpy.create_node('stalled_viewer')
qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
got = set()
for topic in ('overlay', 'image_raw', 'digit_input'):
    node.create_subscription(Image, topic, lambda m, t=topic: got.add(t), qos)
while len(got) < 3:
    rclpy.spin_once(node, timeout_sec=0.1)
print('receiving', flush=True)
rclpy.spin(node)
"""


def test_a_stalled_remote_reader_does_not_stop_or_kill_the_pipeline(ros_context, tmp_path):
    """A RELIABLE viewer in another process stops reading (SIGSTOP): predictions go on.

    Its writers' histories fill up with frames it never acknowledges. The overlay's
    writer is made to refuse publishes then (:func:`refusing_environment`): in the one
    process of ``pipeline`` the refusals are logged, and the other three nodes go on.
    """
    log = tmp_path / 'pipeline.log'
    env = refusing_environment(tmp_path / 'refusing.xml', '/overlay')
    with open(log, 'w') as stderr:
        pipeline = subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.pipeline',
                                     '--source', 'demo'], env=env, stderr=stderr)
    viewer = subprocess.Popen([sys.executable, '-c', STALLED_READER], stdout=subprocess.PIPE,
                              text=True, env=stoppable_environment())
    probe = Node('stall_probe', context=ros_context)
    predictions = []
    probe.create_subscription(DigitPrediction, 'prediction', predictions.append, PREDICTION_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(probe)
    try:
        ready, _, _ = select.select([viewer.stdout], [], [], 90.0)
        assert ready and viewer.stdout.readline().strip() == 'receiving', \
            f'the viewer got no frames:\n{log.read_text()}'
        viewer.send_signal(signal.SIGSTOP)
        stalled_at = len(predictions)
        assert spin_until(executor, lambda: re.search(
            r'\[overlay\]: could not publish on /overlay .*cannot publish data', log.read_text()),
            timeout=15.0), 'no refused publish within the lease of the viewer:\n' + log.read_text()
        assert spin_until(executor, lambda: len(predictions) >= stalled_at + 20, timeout=90.0), \
            f'predictions stopped with the reader stalled:\n{log.read_text()}'
        assert pipeline.poll() is None, log.read_text()
    finally:
        code = stop_viewer_then_node(viewer, pipeline)
        executor.shutdown()
        probe.destroy_node()
    assert code == 0, log.read_text()
    assert 'Traceback' not in log.read_text()
