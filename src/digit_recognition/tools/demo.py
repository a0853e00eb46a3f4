"""``make demo``: the whole pipeline on the built-in demo camera, measured.

Runs the four nodes in this process on the ``demo`` source (MNIST test digits written
on paper-like frames, each held in view for a moment), prints one line per
prediction (predicted vs the digit most of its frames showed), then a summary:
accuracy, frames per second and the latency from the camera frame's stamp to the
prediction's arrival, and saves overlay frames as a PNG contact sheet.
"""

import argparse
import os
import sys
import time

import cv2
from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.node_runner import EXECUTORS, make_executor
from digit_recognition.nodes.pipeline import default_params_file, node_factories
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import image_msg_to_bgr8
from digit_recognition.vision.inference import BACKENDS
from digit_recognition.vision.overlay_drawing import make_contact_sheet
import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.time import Time
from sensor_msgs.msg import Image

CONTACT_SHEET_FRAMES = 16
HOLD_FRAMES = 10
DEMO_BATCH_AGE_FRAMES = 30
"""The demo's batch age limit in frame periods (1 s at 30 fps), instead of the automatic
``batch_size + 2``: each card is held for two whole batches and judged against them, and
one frame dropped for its age (a hiccup of a busy machine) would shift every later batch
across two cards. Stale frames are dropped all the same after a longer pause."""
SHEET_FRAME_ON_CARD = 9


def stamp_key(stamp) -> int:
    """Return a header stamp as integer nanoseconds (a dictionary key)."""
    return stamp.sec * 1_000_000_000 + stamp.nanosec


class DemoMonitor(Node):
    """Matches predictions with the demo camera's true digits and collects overlays."""

    def __init__(self, context: Context, sheet_every: int) -> None:
        """Subscribe to ``true_digit``, ``prediction`` and ``overlay``.

        Args:
            context: the rclpy context of the pipeline.
            sheet_every: put every n-th held-up card on the contact sheet.

        """
        super().__init__('demo_monitor', context=context)
        self.truth: dict[int, int] = {}
        self.results: list[tuple] = []
        self.overlays: list[np.ndarray] = []
        self._sheet_every = sheet_every
        self._cards = 0
        self._last_label: int | None = None
        self._frames_on_card = 0
        self._sheet_stamps: set = set()
        self._classified_stamps: list[int] = []
        self._classified_position: dict[int, int] = {}
        self.create_subscription(DigitPrediction, 'true_digit', self._on_truth, PREDICTION_QOS)
        # The frames that reached the classifier; deep queue so the monitor sees them all.
        self.create_subscription(Image, 'digit_input', self._on_digit_input,
                                 QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE))
        self.create_subscription(DigitPrediction, 'prediction', self._on_prediction,
                                 PREDICTION_QOS)
        self.create_subscription(Image, 'overlay', self._on_overlay, RELIABLE_IMAGE_QOS)

    def _on_truth(self, msg: DigitPrediction) -> None:
        key = stamp_key(msg.header.stamp)
        self.truth[key] = msg.digit
        if msg.digit != self._last_label:
            self._last_label = msg.digit
            self._frames_on_card = 0
            self._cards += 1
        self._frames_on_card += 1
        # Late in a card's time in view the overlay shows the prediction of its first
        # batch; that frame goes on the contact sheet.
        if (self._frames_on_card == SHEET_FRAME_ON_CARD
                and self._cards % self._sheet_every == 0):
            self._sheet_stamps.add(key)

    def _on_digit_input(self, msg: Image) -> None:
        key = stamp_key(msg.header.stamp)
        self._classified_position[key] = len(self._classified_stamps)
        self._classified_stamps.append(key)

    def batch_truth(self, newest_stamp: int, frame_count: int) -> int | None:
        """Return the digit shown in most frames of the batch ending at ``newest_stamp``.

        A batch can straddle the moment one card replaces another (more so when frames
        are dropped under load); the prediction is judged against the card that most
        of its frames showed, which is what averaging five frames is meant to find.
        """
        if newest_stamp not in self._classified_position:
            return self.truth.get(newest_stamp)
        end = self._classified_position[newest_stamp] + 1
        labels = [self.truth.get(stamp)
                  for stamp in self._classified_stamps[max(0, end - frame_count):end]]
        labels = [label for label in labels if label is not None]
        return max(set(labels), key=labels.count) if labels else None

    def _on_prediction(self, msg: DigitPrediction) -> None:
        now = self.get_clock().now()
        latency_ms = (now - Time.from_msg(msg.header.stamp)).nanoseconds / 1e6
        true_digit = self.batch_truth(stamp_key(msg.header.stamp), msg.frame_count)
        self.results.append((msg.digit, float(msg.confidence), true_digit, latency_ms))
        verdict = '' if true_digit is None else ('ok' if msg.digit == true_digit else 'WRONG')
        print(f'#{len(self.results):4d}  predicted {msg.digit:2d} ({msg.confidence:.2f})  '
              f'true {true_digit if true_digit is not None else "?":>2}  '
              f'{latency_ms:6.1f} ms  {verdict}', flush=True)

    def _on_overlay(self, msg: Image) -> None:
        if (stamp_key(msg.header.stamp) in self._sheet_stamps
                and len(self.overlays) < CONTACT_SHEET_FRAMES):
            self.overlays.append(image_msg_to_bgr8(msg).copy())


def summarise(results: list[tuple], frames: int, seconds: float) -> dict[str, float]:
    """Return accuracy, frame rate and latency percentiles of a demo run."""
    judged = [(digit, truth) for digit, _, truth, _ in results if truth is not None]
    correct = sum(1 for digit, truth in judged if digit == truth)
    latencies = np.array([latency for *_, latency in results]) if results else np.zeros(1)
    return {
        'predictions': len(results),
        'judged': len(judged),
        'accuracy': correct / len(judged) if judged else 0.0,
        'fps': frames / seconds if seconds > 0 else 0.0,
        'latency_p50_ms': float(np.percentile(latencies, 50)),
        'latency_p99_ms': float(np.percentile(latencies, 99)),
    }


def run_demo(frames: int = 600, fps: float = 30.0, backend: str = 'tflite',
             output_dir: str = 'out', seed: int = 0,
             executor_kind: str = 'auto') -> tuple[dict[str, float], str]:
    """Run the pipeline on the demo camera for ``frames`` frames.

    Returns:
        The :func:`summarise` figures and the path of the contact sheet PNG.

    """
    context = Context()
    rclpy.init(args=['demo', '--ros-args', '--params-file', default_params_file()],
               context=context)
    executor = make_executor(executor_kind, context)
    nodes: list[Node] = []
    try:
        overrides = {
            'camera': {'source': 'demo', 'fps': fps, 'demo_seed': seed,
                       'demo_hold_frames': HOLD_FRAMES},
            'classifier': {'backend': backend,
                           'max_batch_age': DEMO_BATCH_AGE_FRAMES / fps},
        }
        factories = node_factories(overrides, context=context)
        cards = frames // HOLD_FRAMES
        monitor = DemoMonitor(context, sheet_every=max(1, cards // CONTACT_SHEET_FRAMES))
        nodes.append(monitor)
        for factory in factories[1:]:
            nodes.append(factory())
        for node in nodes:
            executor.add_node(node)
        # Connect everything downstream before the camera starts, so that every batch
        # holds the five frames the camera sent for it.
        deadline = time.monotonic() + 10.0
        # (image_raw: the preprocessor, and the overlay once it sees the monitor watching.)
        while ((monitor.count_subscribers('digit_input') < 2
                or monitor.count_subscribers('image_raw') < 2)
               and time.monotonic() < deadline):
            executor.spin_once(timeout_sec=0.05)
        camera: CameraNode = factories[0]()
        nodes.append(camera)
        executor.add_node(camera)
        started = time.monotonic()
        deadline = started + frames / fps * 3 + 30
        while camera.frames_published < frames and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        elapsed = time.monotonic() - started
        settle = time.monotonic() + 2.0
        while len(monitor.results) < camera.frames_published // 5 and time.monotonic() < settle:
            executor.spin_once(timeout_sec=0.05)
        summary = summarise(monitor.results, camera.frames_published, elapsed)
    finally:
        executor.shutdown()
        for node in reversed(nodes):
            node.destroy_node()
        context.try_shutdown()

    os.makedirs(output_dir, exist_ok=True)
    sheet_path = os.path.abspath(os.path.join(output_dir, 'demo_contact_sheet.png'))
    if monitor.overlays:
        cv2.imwrite(sheet_path, make_contact_sheet(monitor.overlays, columns=4))
    return summary, sheet_path


def main(argv: list[str] | None = None) -> int:
    """Run the demo; exit 0 on success, 1 if the pipeline produced no predictions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=600, help='camera frames to run')
    parser.add_argument('--fps', type=float, default=30.0, help='demo camera frame rate')
    parser.add_argument('--backend', choices=BACKENDS, default='tflite')
    parser.add_argument('--output-dir', default='out', help='where the contact sheet goes')
    parser.add_argument('--seed', type=int, default=0, help='demo camera seed')
    parser.add_argument('--executor', choices=EXECUTORS, default='auto')
    options = parser.parse_args(argv)
    try:
        summary, sheet_path = run_demo(options.frames, options.fps, options.backend,
                                       options.output_dir, options.seed, options.executor)
    except KeyboardInterrupt:
        return 130
    print()
    print('Demo summary')
    print(f'  predictions:       {summary["predictions"]} ({summary["judged"]} with a known '
          'true digit)')
    print(f'  accuracy:          {summary["accuracy"] * 100:.1f} %')
    print(f'  camera frame rate: {summary["fps"]:.1f} frames/s')
    print(f'  latency camera -> prediction: p50 {summary["latency_p50_ms"]:.1f} ms, '
          f'p99 {summary["latency_p99_ms"]:.1f} ms')
    print(f'  contact sheet:     {sheet_path}')
    return 0 if summary['predictions'] > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
