"""Preprocessor node: camera image -> region of interest -> threshold -> 28x28 input.

Subscribes ``image_raw``; publishes ``digit_input`` (mono8 28 wide and 56 high: the model
input of :mod:`digit_recognition.vision.model_contract` scaled to 0-255, all black when the
region holds no digit, with the second look at the region below it, all black when there
is none; :mod:`digit_recognition.vision.digit_input`), ``threshold_image`` (mono8, the
thresholded region, for rqt and the overlay) and ``roi`` (``sensor_msgs/RegionOfInterest``,
the clipped box actually used, latched). Outputs carry the camera frame's header.

With ``input_transport`` ``compressed`` it subscribes ``image_raw/compressed``
(``sensor_msgs/CompressedImage``, JPEG or PNG as image_transport's compressed plugin
publishes) instead. Its health goes to ``/diagnostics`` once a second.
"""

from dataclasses import replace
import sys

from digit_recognition.nodes.diagnostics import DiagnosticsPublisher
from digit_recognition.nodes.image_subscription import ImageSubscription
from digit_recognition.nodes.node_runner import run_nodes, WARN_PERIOD_S
from digit_recognition.nodes.parameters import ParameterSpec, ParameterTable
from digit_recognition.nodes.publishing import GuardedPublisher
from digit_recognition.nodes.qos import (
    IMAGE_QOS_CHOICES, LATCHED_QOS, RELIABLE_IMAGE_QOS)
from digit_recognition.nodes.ros_image import (
    image_msg_to_bgr8, ImageFormatError, OutgoingImage)
from digit_recognition.vision import digit_input
from digit_recognition.vision.compressed_images import decode_compressed
from digit_recognition.vision.health import FlowMonitor
from digit_recognition.vision.preprocessing import (
    CENTRED, preprocess, PreprocessConfig, RegionOfInterest, ThresholdMode)
import numpy as np
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import CompressedImage, Image, RegionOfInterest as RoiMsg
from std_msgs.msg import Header

INPUT_TRANSPORTS = ('raw', 'compressed')
"""Values of ``input_transport``: image_transport's names for the two inputs."""

THRESHOLD_MODES = tuple(mode.value for mode in ThresholdMode)
"""Values of ``threshold_mode`` (and of the pipeline's ``--threshold-mode``)."""

PARAMETERS: list[ParameterSpec] = [
    ParameterSpec('roi_x', CENTRED, 'left edge of the region of interest; -1 centres it',
                  -1, 16384),
    ParameterSpec('roi_y', CENTRED, 'top edge of the region of interest; -1 centres it',
                  -1, 16384),
    ParameterSpec('roi_width', 200, 'width of the region of interest', 1, 16384),
    ParameterSpec('roi_height', 200, 'height of the region of interest', 1, 16384),
    ParameterSpec('threshold_mode', ThresholdMode.ADAPTIVE.value,
                  "'fixed' uses threshold; 'otsu' and 'adaptive' follow the light",
                  choices=THRESHOLD_MODES),
    ParameterSpec('threshold', 128, "gray level below which a pixel is ink in mode 'fixed'; "
                  "setting it at run time switches threshold_mode to 'fixed'", 0, 255),
    ParameterSpec('remove_lines', True, 'remove ruled-paper lines before finding the digit'),
    ParameterSpec('second_look_threshold', PreprocessConfig.second_look_threshold,
                  "mode 'adaptive': ink threshold of a second look at the region, as a "
                  "fraction of the ink's darkness (the first look uses "
                  f'{PreprocessConfig.relative_threshold}); the classifier answers with it '
                  'when the first gives no confident digit or it reads another one '
                  'confidently; 0: no second look', 0.0, 1.0),
    ParameterSpec('image_qos', 'auto', 'QoS of the image_raw subscription; auto: '
                  'RELIABLE unless a publisher offers only BEST_EFFORT',
                  choices=IMAGE_QOS_CHOICES, read_only=True),
    ParameterSpec('input_transport', 'raw', "'compressed' subscribes image_raw/compressed "
                  '(sensor_msgs/CompressedImage, JPEG or PNG) instead of image_raw',
                  choices=INPUT_TRANSPORTS, read_only=True),
]


def config_from_parameters(params: ParameterTable) -> PreprocessConfig:
    """Build the preprocessing configuration from the node's current parameters."""
    return PreprocessConfig(
        roi=RegionOfInterest(params['roi_x'], params['roi_y'],
                             params['roi_width'], params['roi_height']),
        threshold_mode=ThresholdMode(params['threshold_mode']),
        threshold=params['threshold'],
        remove_lines=params['remove_lines'],
        second_look_threshold=params['second_look_threshold'])


class PreprocessorNode(Node):
    """Turns each camera frame into the classifier's 28x28 input."""

    NODE_NAME = 'preprocessor'

    def __init__(self, **kwargs) -> None:
        """Create the node; ``kwargs`` go to ``rclpy.node.Node`` (context, overrides)."""
        super().__init__(self.NODE_NAME, **kwargs)
        self.params = ParameterTable(self, PARAMETERS)
        self._config = config_from_parameters(self.params)
        self._mode_timer = None
        self.params.on_change(self._on_parameters_changed)
        self._input_publisher = GuardedPublisher(self, Image, 'digit_input', RELIABLE_IMAGE_QOS)
        self._threshold_publisher = GuardedPublisher(
            self, Image, 'threshold_image', RELIABLE_IMAGE_QOS)
        self._roi_publisher = GuardedPublisher(self, RoiMsg, 'roi', LATCHED_QOS)
        self._outgoing_input = OutgoingImage()
        self._outgoing_threshold = OutgoingImage()
        self._last_roi: RegionOfInterest | None = None
        self.frames_processed = 0
        self.frames_dropped = 0
        if self.params['input_transport'] == 'compressed':
            input_topic = 'image_raw/compressed'
            self._subscription = ImageSubscription(
                self, CompressedImage, input_topic, self._on_compressed_image,
                self.params['image_qos'])
        else:
            input_topic = 'image_raw'
            self._subscription = ImageSubscription(self, Image, input_topic, self._on_image,
                                                   self.params['image_qos'])
        self.flow = FlowMonitor(input_topic, 'digit_input')
        self._diagnostics = DiagnosticsPublisher(self, 'preprocessing', self.flow.report)

    def _on_parameters_changed(self, names: list[str]) -> None:
        # Swapping in a new immutable-by-convention config makes the change apply to
        # the next frame as a whole, never half-way through one.
        config = config_from_parameters(self.params)
        if ('threshold' in names and 'threshold_mode' not in names
                and config.threshold_mode is not ThresholdMode.FIXED):
            # `ros2 param set /preprocessor threshold 90` means "use 90 from now on".
            self.get_logger().info(
                f'threshold {config.threshold} given: threshold_mode switched from '
                f"'{config.threshold_mode.value}' to 'fixed' (set it back to follow the light)",
                throttle_duration_sec=WARN_PERIOD_S)
            config = replace(config, threshold_mode=ThresholdMode.FIXED)
            # The parameter itself cannot be set from inside this callback; a one-shot
            # timer makes `ros2 param get` agree right after.
            if self._mode_timer is None:
                self._mode_timer = self.create_timer(0.0, self._store_fixed_mode)
        self._config = config

    def _store_fixed_mode(self) -> None:
        self.destroy_timer(self._mode_timer)
        self._mode_timer = None
        if self._config.threshold_mode is ThresholdMode.FIXED:
            self.set_parameters([Parameter('threshold_mode', value=ThresholdMode.FIXED.value)])

    def _on_image(self, msg: Image) -> None:
        self.flow.received()
        try:
            frame = image_msg_to_bgr8(msg)
        except ImageFormatError as error:
            self._count_drop('bad image')
            self.get_logger().warning(f'dropping image: {error}',
                                      throttle_duration_sec=WARN_PERIOD_S)
            return
        self._process(frame, msg.header)

    def _on_compressed_image(self, msg: CompressedImage) -> None:
        self.flow.received()
        try:
            frame = decode_compressed(msg.format, msg.data)
        except ImageFormatError as error:
            self._count_drop('corrupt compressed image')
            self.get_logger().warning(f'dropping compressed image: {error}',
                                      throttle_duration_sec=WARN_PERIOD_S)
            return
        self._process(frame, msg.header)

    def _count_drop(self, reason: str) -> None:
        # Each caller logs its own warning: throttling is per call site, so one kind of
        # bad input does not hide another.
        self.frames_dropped += 1
        self.flow.dropped(reason)

    def _process(self, frame: np.ndarray, header: Header) -> None:
        height, width = frame.shape[:2]
        result = preprocess(frame, self._config)
        if result.roi is None:
            self._count_drop('region of interest outside the image')
            self.get_logger().warning(
                f'dropping image: region of interest is outside the {width}x{height} image',
                throttle_duration_sec=WARN_PERIOD_S)
            return
        if result.roi_clipped:
            self.get_logger().warning(
                f'region of interest clipped to the {width}x{height} image: '
                f'{result.roi}', throttle_duration_sec=WARN_PERIOD_S)
        pixels = digit_input.stack(result.model_input, result.second_look)
        if self._input_publisher.publish(self._outgoing_input.fill(pixels, 'mono8', header)):
            self.flow.sent()
        else:
            self.flow.dropped('publish failed')
        if self._threshold_publisher.get_subscription_count() > 0:
            self._threshold_publisher.publish(
                self._outgoing_threshold.fill(result.binary_roi, 'mono8', header))
        if result.roi != self._last_roi:
            self._last_roi = result.roi
            self._roi_publisher.publish(RoiMsg(
                x_offset=result.roi.x, y_offset=result.roi.y,
                width=result.roi.width, height=result.roi.height))
        self.frames_processed += 1

    @property
    def publish_failures(self) -> int:
        """Messages the middleware refused to publish (a reader lagging far behind)."""
        return sum(publisher.failures for publisher in (
            self._input_publisher, self._threshold_publisher, self._roi_publisher))


def main(args: list[str] | None = None) -> int:
    """Run the preprocessor node until Ctrl-C."""
    return run_nodes([PreprocessorNode], args, logger_name='preprocessor')


if __name__ == '__main__':
    sys.exit(main())
