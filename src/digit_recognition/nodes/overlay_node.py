"""Overlay node: draws the recognised digit on the camera image for rqt_image_view.

Subscribes ``image_raw``, ``prediction``, ``threshold_image`` and ``roi``; publishes
``overlay`` (bgr8, same header as the camera frame) with the region box, the digit
and its confidence, the camera frame rate and an inset of the thresholded region.
The camera images are not even subscribed to while nobody subscribes to ``overlay``
(checked every 0.5 s). Its health goes to ``/diagnostics`` once a second.
"""

import sys

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.diagnostics import DiagnosticsPublisher
from digit_recognition.nodes.image_subscription import ImageSubscription
from digit_recognition.nodes.node_runner import run_nodes, WARN_PERIOD_S
from digit_recognition.nodes.parameters import ParameterSpec, ParameterTable
from digit_recognition.nodes.publishing import GuardedPublisher
from digit_recognition.nodes.qos import (
    IMAGE_QOS_CHOICES, LATCHED_QOS, PREDICTION_QOS, RELIABLE_IMAGE_QOS)
from digit_recognition.nodes.ros_image import (
    image_msg_to_array, image_msg_to_bgr8, ImageFormatError, OutgoingImage)
from digit_recognition.vision.batching import NO_DIGIT
from digit_recognition.vision.health import FlowMonitor, HealthReport
from digit_recognition.vision.overlay_drawing import draw_overlay
from digit_recognition.vision.preprocessing import RegionOfInterest
from rclpy.node import Node
from sensor_msgs.msg import Image, RegionOfInterest as RoiMsg
from std_msgs.msg import Header

PARAMETERS: list[ParameterSpec] = [
    ParameterSpec('max_prediction_age', 1.0, 'seconds of frame time (header stamps) a '
                  'prediction stays on screen without a newer one', 0.0, 60.0),
    ParameterSpec('image_qos', 'auto', 'QoS of the image subscriptions; auto: '
                  'RELIABLE unless a publisher offers only BEST_EFFORT',
                  choices=IMAGE_QOS_CHOICES, read_only=True),
]

WATCHER_CHECK_PERIOD_S = 0.5
FPS_SMOOTHING = 0.1


class OverlayNode(Node):
    """Draws the latest prediction on every camera frame."""

    NODE_NAME = 'overlay'

    def __init__(self, **kwargs) -> None:
        """Create the node; ``kwargs`` go to ``rclpy.node.Node`` (context, overrides)."""
        super().__init__(self.NODE_NAME, **kwargs)
        self.params = ParameterTable(self, PARAMETERS)
        self._publisher = GuardedPublisher(self, Image, 'overlay', RELIABLE_IMAGE_QOS)
        self._outgoing = OutgoingImage()
        self._prediction: DigitPrediction | None = None
        self._prediction_time = 0.0
        self._threshold_image = None
        self._roi: RegionOfInterest | None = None
        self._fps: float | None = None
        self._last_frame_time: float | None = None
        self.frames_drawn = 0
        self.flow = FlowMonitor('image_raw', 'overlay frames')
        self._diagnostics = DiagnosticsPublisher(self, 'overlay', self._health)
        self.create_subscription(DigitPrediction, 'prediction', self._on_prediction,
                                 PREDICTION_QOS)
        self.create_subscription(RoiMsg, 'roi', self._on_roi, LATCHED_QOS)
        self._image_subscriptions: list[ImageSubscription] = []
        self._update_image_subscriptions()
        self.create_timer(WATCHER_CHECK_PERIOD_S, self._update_image_subscriptions)

    def _update_image_subscriptions(self) -> None:
        # As image_proc does: take in the camera's frames only while someone watches the
        # overlay, so an unwatched overlay node costs nothing per frame.
        watched = self._publisher.get_subscription_count() > 0
        if watched and not self._image_subscriptions:
            choice = self.params['image_qos']
            self._image_subscriptions = [
                ImageSubscription(self, Image, 'image_raw', self._on_image, choice),
                ImageSubscription(self, Image, 'threshold_image', self._on_threshold_image,
                                  choice)]
        elif not watched and self._image_subscriptions:
            for subscription in self._image_subscriptions:
                subscription.destroy()
            self._image_subscriptions = []
            self._fps = self._last_frame_time = self._threshold_image = None

    def _message_time(self, header: Header) -> float:
        """Return the header's stamp in seconds; the node's clock now if it is unstamped."""
        stamp = header.stamp
        if stamp.sec or stamp.nanosec:
            return stamp.sec + stamp.nanosec * 1e-9
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_prediction(self, msg: DigitPrediction) -> None:
        self._prediction = msg
        self._prediction_time = self._message_time(msg.header)

    def _on_threshold_image(self, msg: Image) -> None:
        try:
            self._threshold_image = image_msg_to_array(msg)
        except ImageFormatError as error:
            self.get_logger().warning(f'ignoring threshold_image: {error}',
                                      throttle_duration_sec=WARN_PERIOD_S)

    def _on_roi(self, msg: RoiMsg) -> None:
        self._roi = RegionOfInterest(msg.x_offset, msg.y_offset, msg.width, msg.height)

    def _on_image(self, msg: Image) -> None:
        # Frame and prediction times are camera stamps (the prediction carries its
        # newest frame's header), so age and rate are right under use_sim_time, in
        # bag replay at any speed, and however late a message arrives.
        now = self._message_time(msg.header)
        if self._last_frame_time is not None and now > self._last_frame_time:
            rate = 1.0 / (now - self._last_frame_time)
            self._fps = rate if self._fps is None else (
                self._fps + FPS_SMOOTHING * (rate - self._fps))
        self._last_frame_time = now
        self.flow.received()
        try:
            frame = image_msg_to_bgr8(msg)
        except ImageFormatError as error:
            self.flow.dropped('bad image')
            self.get_logger().warning(f'dropping image: {error}',
                                      throttle_duration_sec=WARN_PERIOD_S)
            return
        digit, confidence = NO_DIGIT, 0.0
        if (self._prediction is not None
                and now - self._prediction_time <= self.params['max_prediction_age']):
            digit, confidence = self._prediction.digit, self._prediction.confidence
        drawn = draw_overlay(frame, self._roi, digit, confidence, self._fps,
                             inset_binary=self._threshold_image)
        if self._publisher.publish(self._outgoing.fill(drawn, 'bgr8', msg.header)):
            self.frames_drawn += 1
            self.flow.sent()
        else:
            self.flow.dropped('publish failed')

    def _health(self) -> HealthReport:
        idle = None
        if not self._image_subscriptions:
            idle = f'nobody subscribes to {self._publisher.topic_name}'
        return self.flow.report(idle=idle)


def main(args: list[str] | None = None) -> int:
    """Run the overlay node until Ctrl-C."""
    return run_nodes([OverlayNode], args, logger_name='overlay')


if __name__ == '__main__':
    sys.exit(main())
