"""A DigitPrediction crosses real DDS between two processes with every field intact."""

import signal
import subprocess
import sys
import time

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.classifier_node import prediction_message
from digit_recognition.vision.batching import combine_probabilities, NO_DIGIT
import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_test_utils import stop_process
from std_msgs.msg import Header

PUBLISHER_SCRIPT = r"""
import sys
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from digit_interfaces.msg import DigitPrediction

rclpy.init()
node = rclpy.create_node('roundtrip_publisher')
publisher = node.create_publisher(
    DigitPrediction, 'prediction', QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
message = DigitPrediction()
message.header.stamp.sec = 1234
message.header.stamp.nanosec = 567890
message.header.frame_id = 'camera_optical_frame'
message.digit = 7
message.confidence = 0.875
message.probabilities = [0.0, 0.01, 0.02, 0.03, 0.0, 0.0, 0.0, 0.875, 0.065, 0.0]
message.frame_count = 5
def publish():
    publisher.publish(message)
node.create_timer(0.05, publish)
try:
    rclpy.spin(node)
except KeyboardInterrupt:
    pass
"""


def test_the_core_no_digit_value_is_the_message_constant():
    # vision/ cannot import the message; its mirror must not drift from the .msg file.
    assert NO_DIGIT == DigitPrediction.NO_DIGIT
    nothing = combine_probabilities(np.zeros((5, 10)), [True] * 5)
    assert prediction_message(nothing, Header()).digit == DigitPrediction.NO_DIGIT


def test_prediction_crosses_dds_intact(ros_context):
    publisher_process = subprocess.Popen([sys.executable, '-c', PUBLISHER_SCRIPT])
    node = rclpy.create_node('roundtrip_subscriber', context=ros_context)
    received = []
    node.create_subscription(
        DigitPrediction, 'prediction', received.append,
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    try:
        deadline = time.monotonic() + 20.0
        while not received and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
    finally:
        stop_process(publisher_process, timeout=10, sig=signal.SIGTERM)
        executor.shutdown()
        node.destroy_node()

    assert received, 'no DigitPrediction arrived from the other process'
    message = received[0]
    assert message.header.stamp.sec == 1234
    assert message.header.stamp.nanosec == 567890
    assert message.header.frame_id == 'camera_optical_frame'
    assert message.digit == 7
    assert abs(message.confidence - 0.875) < 1e-6
    assert list(message.probabilities) == pytest.approx(
        [0.0, 0.01, 0.02, 0.03, 0.0, 0.0, 0.0, 0.875, 0.065, 0.0])
    assert message.frame_count == 5
