"""Camera node: publishes frames from a device, a file, a folder, GStreamer or the demo.

Publishes ``image_raw`` (``sensor_msgs/Image``, bgr8; frames are read only while
someone subscribes) and, for sources that know the
truth (``demo``), ``true_digit`` (``DigitPrediction`` with the frame's header, the
true digit and confidence 1) so the pipeline can be checked and measured.
The source is opened and read on a capture thread (a slow open never blocks the
executor) and frames are stamped when they were captured. A source that fails to
open or stops delivering is retried with backoff; the node itself keeps running.

With ``compressed_format`` ``jpeg`` or ``png`` it also publishes
``image_raw/compressed`` (``sensor_msgs/CompressedImage``, as image_transport's
compressed plugin does), compressing only while someone subscribes to it. Its health
(connected or retrying, frame rate) goes to ``/diagnostics`` once a second.
"""

import array
from collections.abc import Sequence
import sys
import threading

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.diagnostics import DiagnosticsPublisher
from digit_recognition.nodes.node_runner import run_nodes, WARN_PERIOD_S
from digit_recognition.nodes.parameters import (
    ParameterSpec, ParameterTable, StartupParameterError)
from digit_recognition.nodes.publishing import GuardedPublisher
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import OutgoingImage
from digit_recognition.vision.compressed_images import (
    COMPRESSIONS, DEFAULT_JPEG_QUALITY, encode_compressed)
from digit_recognition.vision.frame_sources import (
    CaptureThread, DEFAULT_FOLDER_CACHE_BYTES, Frame, FrameSource, make_frame_source,
    ReconnectingSource)
from digit_recognition.vision.health import FlowMonitor, HealthReport, Level
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

PARAMETERS: list[ParameterSpec] = [
    ParameterSpec('source', '0', 'V4L2 index or /dev/videoN, video file, image folder, '
                  "GStreamer pipeline (contains '!') or 'demo'", read_only=True),
    ParameterSpec('width', 640, 'frame width published (frames of another size are '
                  'resized); 0 keeps the source size', 0, 7680, read_only=True),
    ParameterSpec('height', 480, 'frame height published; 0 keeps the source size',
                  0, 4320, read_only=True),
    ParameterSpec('fps', 30.0, 'frames per second read and published', 0.1, 1000.0),
    ParameterSpec('frame_id', 'camera_optical_frame', 'frame_id of the published images'),
    ParameterSpec('loop', True, 'restart a video file or image folder at its end',
                  read_only=True),
    ParameterSpec('folder_cache_mb', DEFAULT_FOLDER_CACHE_BYTES // 2**20,
                  'image folder: MB of decoded frames kept in memory so that a looping '
                  'folder is not read from disk again on every pass (0: read every frame '
                  'from disk); cameras, video files and the demo are not affected',
                  0, 65536, read_only=True),
    ParameterSpec('folder_hold_frames', 1, 'image folder: frames each image is delivered in '
                  'a row (1: a recording, frame by frame; e.g. 30: separate pictures, each '
                  'held in view 1 s at 30 fps, as a prediction needs one picture per batch)',
                  1, 1000, read_only=True),
    ParameterSpec('demo_hold_frames', 30, 'demo: frames each digit is held in view '
                  '(a person holds a card up for a moment; 30 frames are 1 s at 30 fps, '
                  'long enough for stable_digit and read_digit)', 1, 1000, read_only=True),
    ParameterSpec('demo_empty_probability', 0.0, 'demo: share of frames with no digit',
                  0.0, 1.0, read_only=True),
    ParameterSpec('demo_seed', 0, 'demo: random seed of the generated frames', 0, 2**31 - 1,
                  read_only=True),
    ParameterSpec('compressed_format', 'none', 'also publish image_raw/compressed in this '
                  "format ('none': do not)", choices=('none',) + COMPRESSIONS, read_only=True),
    ParameterSpec('jpeg_quality', DEFAULT_JPEG_QUALITY, 'JPEG quality of image_raw/compressed',
                  1, 100),
]


WATCH_PERIOD_S = 0.1
"""How often the node checks for subscribers and the source's state."""


class CameraNode(Node):
    """Publishes the frames a capture thread reads, stamped when they were captured.

    The source is opened, reopened and read on a :class:`CaptureThread`: a slow open
    or a blocking read never holds up the executor, so parameter services (and, in
    the one-process pipeline, the other nodes) keep answering.
    """

    NODE_NAME = 'camera'

    def __init__(self, frame_source: FrameSource | None = None, **kwargs) -> None:
        """Create the node and start capturing.

        Args:
            frame_source: a source to read instead of the one the ``source``
                parameter names (for embedding and tests).
            kwargs: passed to ``rclpy.node.Node`` (context, parameter overrides).

        """
        super().__init__(self.NODE_NAME, **kwargs)
        self.params = ParameterTable(self, PARAMETERS)
        if frame_source is None:
            try:
                frame_source = make_frame_source(
                    self.params['source'], self.params['width'], self.params['height'],
                    self.params['fps'], self.params['loop'], seed=self.params['demo_seed'],
                    empty_probability=self.params['demo_empty_probability'],
                    hold_frames=self.params['demo_hold_frames'],
                    folder_hold_frames=self.params['folder_hold_frames'],
                    folder_cache_bytes=self.params['folder_cache_mb'] * 2**20)
            except ValueError as error:
                Node.destroy_node(self)
                raise StartupParameterError(
                    f'{self.NODE_NAME}: parameter source: {error}') from None
        self._image_publisher = GuardedPublisher(self, Image, 'image_raw', RELIABLE_IMAGE_QOS)
        self._outgoing_image = OutgoingImage()
        # One header for every frame, its stamp refilled (see OutgoingImage).
        self._header = Header()
        self._truth_publisher: GuardedPublisher | None = None
        self._compressed_publisher: GuardedPublisher | None = None
        if self.params['compressed_format'] != 'none':
            self._compressed_publisher = GuardedPublisher(
                self, CompressedImage, 'image_raw/compressed', RELIABLE_IMAGE_QOS)
        self.flow = FlowMonitor('source', 'frames published')
        self._diagnostics = DiagnosticsPublisher(self, 'camera', self._health,
                                                 hardware_id=frame_source.describe())
        self.frames_published = 0
        # True until the first frame arrives, so that the log says when frames flow.
        self._reported_waiting = True
        self._reported_end = False
        self._publish_pending = threading.Event()
        self._capture = CaptureThread(ReconnectingSource(frame_source), self.params['fps'],
                                      clock=lambda: self.get_clock().now(),
                                      on_frame=self._wake_executor)
        self._capture.active = False
        self.create_timer(WATCH_PERIOD_S, self._watch)
        self.params.on_change(self._on_parameters_changed)
        self._capture.start()
        self.get_logger().info(f'reading {frame_source.describe()} for '
                               f'{self._image_publisher.topic_name} at {self.params["fps"]} fps '
                               'while the topic has a subscriber')

    @property
    def frames_failed(self) -> int:
        """Frames the middleware refused to publish (a reader lagging far behind)."""
        return self._image_publisher.failures + (
            self._compressed_publisher.failures if self._compressed_publisher else 0)

    def _on_parameters_changed(self, names: list[str]) -> None:
        if 'fps' in names:
            self._capture.fps = self.params['fps']

    def _watch(self) -> None:
        # Like image_proc: no work while nobody listens. This also keeps the demo's
        # first frames from being lost before the pipeline is connected.
        self._capture.active = self._watched()
        source = self._capture.source
        if self._capture.ended:
            if not self._reported_end:
                self._reported_end = True
                self.get_logger().info('end of the source reached (loop is false); no more '
                                       'frames')
        elif source.state == ReconnectingSource.WAITING and source.failures > 0:
            self._reported_waiting = True
            # The error names the source (a GStreamer pipeline can be 200 characters).
            self.get_logger().warning(
                f'camera unavailable, retry {source.failures} with backoff: '
                f'{source.last_error}', throttle_duration_sec=WARN_PERIOD_S)
        elif source.source.unreadable_images:
            # Not while the source waits: then no image goes on, and the line above says so.
            self.get_logger().warning(
                f'{_unreadable_text(source.source.unreadable_images)}; the other images go on',
                throttle_duration_sec=WARN_PERIOD_S)

    def _watched(self) -> bool:
        return self._image_publisher.get_subscription_count() > 0 or (
            self._compressed_publisher is not None
            and self._compressed_publisher.get_subscription_count() > 0)

    def _health(self) -> HealthReport:
        source = self._capture.source
        state = source.state
        problems = []
        if state == ReconnectingSource.WAITING and source.failures > 0:
            problems.append((Level.ERROR, f'camera unavailable, retry {source.failures}: '
                                          f'{source.last_error}'))
        elif state == ReconnectingSource.ENDED:
            problems.append((Level.WARN, 'end of the source reached (loop is false)'))
        unreadable = source.source.unreadable_images
        if unreadable and state != ReconnectingSource.WAITING:
            problems.append((Level.WARN, _unreadable_text(unreadable)))
        idle = None
        if not self._watched():
            idle = f'nobody subscribes to {self._image_publisher.topic_name}'
        return self.flow.report(idle=idle, problems=problems, values={
            'camera': {ReconnectingSource.WAITING: 'retrying',
                       ReconnectingSource.ENDED: 'ended'}.get(state, 'connected'),
            'publish failures': str(self.frames_failed),
            'target fps': str(self.params['fps']),
        })

    def _wake_executor(self) -> None:
        # On the capture thread: the executor publishes the frame, so that in one process
        # the camera goes no faster than the nodes it feeds. create_task works with every
        # executor (rclpy's EventsExecutor has no guard conditions); one task at a time.
        # A node taken out of its executor (remove_node) publishes no more, as a timer
        # would not fire; rclpy leaves node.executor set then.
        executor = self.executor
        if (executor is not None and not self._publish_pending.is_set()
                and self in executor.get_nodes()):
            self._publish_pending.set()
            executor.create_task(self._on_captured)

    def _on_captured(self) -> None:
        self._publish_pending.clear()
        captured = self._capture.take()
        if captured is None:
            return
        frame, stamp = captured
        if self._reported_waiting:
            self.get_logger().info(f'{self._capture.source.source.describe()} is delivering '
                                   'frames')
            self._reported_waiting = False
        self.flow.received()
        header = self._header
        header.stamp.sec, header.stamp.nanosec = divmod(stamp.nanoseconds, 10**9)
        header.frame_id = self.params['frame_id']
        self._publish(frame, header)

    def _publish(self, frame: Frame, header: Header) -> None:
        published = True
        if self._image_publisher.get_subscription_count() > 0:
            published = self._image_publisher.publish(
                self._outgoing_image.fill(frame.image, 'bgr8', header))
        published = self._publish_compressed(frame, header) and published
        if not published:
            self.flow.dropped('publish failed')
            return
        self.frames_published += 1
        self.flow.sent()
        if frame.label is not None:
            self._publish_truth(header, frame.label)

    def _publish_compressed(self, frame: Frame, header: Header) -> bool:
        if (self._compressed_publisher is None
                or self._compressed_publisher.get_subscription_count() == 0):
            return True
        image_format, data = encode_compressed(
            frame.image, 'bgr8', self.params['compressed_format'],
            jpeg_quality=self.params['jpeg_quality'])
        message = CompressedImage(header=header, format=image_format)
        message.data = array.array('B', data)
        return self._compressed_publisher.publish(message)

    def _publish_truth(self, header: Header, label: int) -> None:
        if self._truth_publisher is None:
            self._truth_publisher = GuardedPublisher(
                self, DigitPrediction, 'true_digit', PREDICTION_QOS)
        truth = DigitPrediction(header=header, digit=int(label), frame_count=1)
        if label >= 0:
            truth.confidence = 1.0
            truth.probabilities[label] = 1.0
        self._truth_publisher.publish(truth)

    def destroy_node(self) -> None:
        """Stop capturing (the thread closes the camera), then destroy the node."""
        if not self._capture.stop():
            self.get_logger().warning('the camera is still busy opening or reading; it '
                                      'is closed when that returns')
        super().destroy_node()


def _unreadable_text(unreadable: Sequence[str]) -> str:
    shown = ', '.join(unreadable[:3]) + (', ...' if len(unreadable) > 3 else '')
    return f'{len(unreadable)} image(s) cannot be decoded and are skipped: {shown}'


def main(args: list[str] | None = None) -> int:
    """Run the camera node until Ctrl-C."""
    return run_nodes([CameraNode], args, logger_name='camera')


if __name__ == '__main__':
    sys.exit(main())
