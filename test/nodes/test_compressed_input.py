"""Compressed camera input over real DDS: JPEG and PNG frames predict as raw ones do."""

import re

import cv2
from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg, image_msg_to_array
from digit_recognition.vision.compressed_images import encode_compressed
from digit_recognition.vision.demo_frames import DemoFrameGenerator
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from ros_test_utils import spin_until, wait_for_subscribers
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

TRANSPORTS = ('raw', 'jpeg', 'png')


class Branch:
    """A preprocessor and a classifier (batch_size 1) in namespace ``name``."""

    def __init__(self, context, name: str, driver: Node) -> None:
        """Start the nodes; ``driver`` publishes their input and collects their output."""
        transport = 'raw' if name == 'raw' else 'compressed'
        self.preprocessor = PreprocessorNode(context=context, namespace=name,
                                             parameter_overrides=[
                                                 Parameter('input_transport', value=transport)])
        self.classifier = ClassifierNode(context=context, namespace=name,
                                         parameter_overrides=[Parameter('batch_size', value=1)])
        self.compression = None if name == 'raw' else name
        if self.compression is None:
            self.publisher = driver.create_publisher(Image, f'/{name}/image_raw',
                                                     RELIABLE_IMAGE_QOS)
        else:
            self.publisher = driver.create_publisher(
                CompressedImage, f'/{name}/image_raw/compressed', RELIABLE_IMAGE_QOS)
        self.predictions = []
        self.model_inputs = []
        driver.create_subscription(DigitPrediction, f'/{name}/prediction',
                                   self.predictions.append, PREDICTION_QOS)
        driver.create_subscription(Image, f'/{name}/digit_input', self.model_inputs.append,
                                   RELIABLE_IMAGE_QOS)

    def publish(self, frame: np.ndarray, header: Header) -> None:
        if self.compression is None:
            self.publisher.publish(array_to_image_msg(frame, 'bgr8', header))
            return
        image_format, data = encode_compressed(frame, 'bgr8', self.compression)
        self.publisher.publish(CompressedImage(header=header, format=image_format, data=data))


@pytest.fixture
def branches(ros_context):
    driver = Node('compressed_driver', context=ros_context)
    branches = {name: Branch(ros_context, name, driver) for name in TRANSPORTS}
    executor = SingleThreadedExecutor(context=ros_context)
    nodes = [driver] + [node for branch in branches.values()
                        for node in (branch.preprocessor, branch.classifier)]
    for node in nodes:
        executor.add_node(node)
    for branch in branches.values():
        wait_for_subscribers(executor, branch.publisher)
    yield executor, branches
    executor.shutdown()
    for node in nodes:
        node.destroy_node()


def test_jpeg_and_png_frames_give_the_predictions_of_raw_frames(branches):
    executor, branches = branches
    generator = DemoFrameGenerator(seed=21)
    frames = [generator.next_frame()[0] for _ in range(10)]
    for index, frame in enumerate(frames):
        header = Header(frame_id='test_camera')
        header.stamp.sec = index + 1
        for branch in branches.values():
            branch.publish(frame, header)
        assert spin_until(executor, lambda n=index + 1: all(
            len(branch.predictions) >= n and len(branch.model_inputs) >= n
            for branch in branches.values())), f'frame {index} did not come through'

    raw, jpeg, png = (branches[name] for name in TRANSPORTS)
    raw_digits = [p.digit for p in raw.predictions]
    assert len(set(raw_digits)) > 3, 'the frames should show several digits'
    assert [p.digit for p in jpeg.predictions] == raw_digits
    assert [p.digit for p in png.predictions] == raw_digits
    for name in TRANSPORTS:
        assert [p.header.stamp.sec for p in branches[name].predictions] == list(range(1, 11))
    # PNG is lossless: the model saw exactly the raw frames' input.
    for raw_input, png_input in zip(raw.model_inputs, png.model_inputs):
        assert np.array_equal(image_msg_to_array(raw_input), image_msg_to_array(png_input))
    for raw_prediction, jpeg_prediction in zip(raw.predictions, jpeg.predictions):
        assert jpeg_prediction.confidence == pytest.approx(raw_prediction.confidence, abs=0.1)


@pytest.mark.parametrize('image_format, data', [
    ('bgr8; jpeg compressed bgr8', b'\xff\xd8\xff\xe0' + bytes(300)),
    ('bgr8; png compressed bgr8', b'\x89PNG\r\n\x1a\n' + b'garbage' * 20),
    ('bgr8; jpeg compressed bgr8', b''),
    ('16UC1; compressedDepth png', b'\x00' * 64),
])
def test_corrupt_compressed_frames_are_dropped_and_the_node_keeps_running(
        branches, image_format, data, capfd):
    executor, branches = branches
    jpeg = branches['jpeg']
    for _ in range(3):
        jpeg.publisher.publish(CompressedImage(header=Header(frame_id='bad'),
                                               format=image_format, data=data))
    assert spin_until(executor, lambda: jpeg.preprocessor.frames_dropped == 3)
    assert jpeg.preprocessor.frames_processed == 0
    frame, _ = DemoFrameGenerator(seed=1).next_frame()
    jpeg.publish(frame, Header(frame_id='good'))
    assert spin_until(executor, lambda: jpeg.preprocessor.frames_processed == 1)
    assert spin_until(executor, lambda: jpeg.predictions)
    warnings = re.findall(r'WARN.*\[jpeg\.preprocessor\]: dropping compressed image',
                          capfd.readouterr().err)
    assert len(warnings) == 1, 'expected one throttled warning for three bad frames'


def test_the_camera_publishes_compressed_frames_the_preprocessor_reads(ros_context, tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    frame, _ = DemoFrameGenerator(seed=9).next_frame()
    cv2.imwrite(str(folder / 'frame.png'), frame)
    camera = CameraNode(context=ros_context, parameter_overrides=[
        Parameter('source', value=str(folder)), Parameter('compressed_format', value='png')])
    driver = Node('camera_compressed_driver', context=ros_context)
    raw = Branch(ros_context, 'raw', driver)  # fed by the test, for the expected digit
    nodes = [camera, driver, raw.preprocessor, raw.classifier,
             PreprocessorNode(context=ros_context, parameter_overrides=[
                 Parameter('input_transport', value='compressed')]),
             ClassifierNode(context=ros_context)]
    from_camera = []
    driver.create_subscription(DigitPrediction, '/prediction', from_camera.append,
                               PREDICTION_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    for node in nodes:
        executor.add_node(node)
    try:
        assert spin_until(executor, lambda: len(from_camera) >= 2, timeout=30.0), \
            'no predictions from the compressed camera frames'
        # Only image_raw/compressed is subscribed: no raw frames were sent.
        assert camera.count_subscribers('/image_raw') == 0
        wait_for_subscribers(executor, raw.publisher)
        raw.publish(frame, Header(frame_id='reference'))
        assert spin_until(executor, lambda: raw.predictions)
        assert {p.digit for p in from_camera} == {raw.predictions[0].digit}
    finally:
        executor.shutdown()
        for node in nodes:
            node.destroy_node()
