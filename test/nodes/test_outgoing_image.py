"""OutgoingImage over real DDS: one message object refilled per frame, every frame intact."""

from digit_recognition.nodes.qos import RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import (
    image_msg_to_array, ImageFormatError, OutgoingImage)
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from ros_test_utils import spin_until, wait_for_subscribers
from sensor_msgs.msg import Image
from std_msgs.msg import Header


def frame_header(index: int) -> Header:
    """Return a header whose stamp and frame_id name frame ``index``."""
    header = Header(frame_id=f'frame_{index}')
    header.stamp.sec, header.stamp.nanosec = 1000 + index, 1000 * index
    return header


def test_each_published_frame_arrives_as_it_was_filled(ros_context):
    """Check: frames of changing size, encoding and layout, sent through one message."""
    rng = np.random.default_rng(5)
    frames = [
        (rng.integers(0, 256, (48, 64, 3), np.uint8), 'bgr8'),
        (rng.integers(0, 256, (48, 64, 3), np.uint8), 'bgr8'),
        (rng.integers(0, 256, (28, 28), np.uint8), 'mono8'),
        # A strided view (a region of a bigger image) is laid out tightly.
        (rng.integers(0, 256, (60, 80), np.uint8)[5:25, 10:40], 'mono8'),
        (rng.integers(0, 256, (28, 28), np.uint8), 'mono8'),
    ]
    node = Node('outgoing_image_test', context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    try:
        publisher = node.create_publisher(Image, 'outgoing_test', RELIABLE_IMAGE_QOS)
        received = []
        node.create_subscription(Image, 'outgoing_test', received.append, RELIABLE_IMAGE_QOS)
        wait_for_subscribers(executor, publisher)
        outgoing = OutgoingImage()
        for index, (pixels, encoding) in enumerate(frames):
            publisher.publish(outgoing.fill(pixels, encoding, frame_header(index)))
        assert spin_until(executor, lambda: len(received) == len(frames))
        for index, ((pixels, encoding), msg) in enumerate(zip(frames, received, strict=True)):
            assert msg.encoding == encoding and msg.header == frame_header(index)
            assert msg.step == pixels.shape[1] * (3 if encoding == 'bgr8' else 1)
            np.testing.assert_array_equal(image_msg_to_array(msg), pixels)
        with pytest.raises(ImageFormatError):
            outgoing.fill(np.zeros((4, 4, 3), np.uint8), 'mono8', frame_header(9))
    finally:
        executor.shutdown()
        node.destroy_node()
