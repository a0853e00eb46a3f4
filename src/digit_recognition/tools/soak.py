"""Soak test: many frames through the one-process pipeline, checking it holds up.

The four real nodes run in this process on one executor (as
``pipeline.py`` runs them); the camera replays a folder of prepared 640x480 demo
frames as fast as its timer allows (``fps`` at its maximum). The run checks:

* nothing crashes (no exception out of any callback, every node keeps working);
* every batch gives exactly one prediction: the classifier's published predictions
  equal the frames it received (counted on its ``digit_input`` subscription) divided
  by ``batch_size``, every prediction arrives at a monitor and carries
  ``frame_count == batch_size``;
* the process's resident memory grows less than a limit between the end of the
  warm-up and the end of the run.

``python -m digit_recognition.tools.soak --frames 20000`` (``make soak``) prints a table and
exits 1 when a check fails; :func:`run_soak` is the same run for a quick test.
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import os
import shutil
import sys
import tempfile
import time

import cv2
from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.camera_node import CameraNode, PARAMETERS as CAMERA_PARAMETERS
from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.node_runner import make_executor, prepare_process
from digit_recognition.nodes.pipeline import node_factories
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
from digit_recognition.nodes.qos import PREDICTION_QOS
from digit_recognition.tools.ros_isolation import isolate_ros_traffic
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.inference import BACKENDS
import psutil
import rclpy
from rclpy.context import Context
from rclpy.node import Node

FRAME_EXTENSION = '.bmp'
"""Prepared frames are BMP: reading one is a copy, so the camera measures the pipeline."""

MAX_CAMERA_FPS = next(spec.max_value for spec in CAMERA_PARAMETERS if spec.name == 'fps')
"""The camera node's highest ``fps``."""


def write_frame_folder(folder: str, count: int = 50, seed: int = 0,
                       hold_frames: int = 10) -> list[int]:
    """Write ``count`` 640x480 demo frames into ``folder`` for a folder camera source.

    Each drawn digit is repeated ``hold_frames`` times (a card held up to the camera),
    so batches of the classifier mostly see one digit.

    Args:
        folder: directory to write into (created if missing).
        count: number of frame files.
        seed: demo generator seed.
        hold_frames: consecutive files showing the same picture.

    Returns:
        The true digit of each file, in file name order.

    """
    os.makedirs(folder, exist_ok=True)
    generator = DemoFrameGenerator(640, 480, seed=seed)
    labels: list[int] = []
    frame, label = generator.next_frame()
    for index in range(count):
        if index and index % max(1, hold_frames) == 0:
            frame, label = generator.next_frame()
        cv2.imwrite(os.path.join(folder, f'frame_{index:05d}{FRAME_EXTENSION}'), frame)
        labels.append(int(label))
    return labels


@dataclass
class SoakResult:
    """Counters and checks of one soak run."""

    frames_target: int
    batch_size: int = 5
    frames_published: int = 0
    frames_processed: int = 0
    preprocessor_dropped: int = 0
    classifier_received: int = 0
    classifier_dropped: int = 0
    classifier_expired: int = 0
    predictions_published: int = 0
    predictions_received: int = 0
    bad_frame_counts: int = 0
    rss_warm_mb: float = 0.0
    rss_end_mb: float = 0.0
    cpu_ms_per_frame: float = float('nan')
    """CPU time (user + system, all threads) per frame published after the warm-up."""
    main_thread_cpu_ms_per_frame: float = float('nan')
    """The part of :attr:`cpu_ms_per_frame` spent in the thread spinning the executor."""
    rss_limit: float = 0.05
    seconds: float = 0.0
    error: str | None = None
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def rss_growth(self) -> float:
        """Relative RSS growth from the end of the warm-up to the end."""
        return (self.rss_end_mb - self.rss_warm_mb) / self.rss_warm_mb if self.rss_warm_mb else 0.0

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(passed for _, passed, _ in self.checks)

    def evaluate(self) -> None:
        """Fill :attr:`checks` from the counters."""
        # Frames older than the batch age limit (max_batch_age) are in no batch.
        consumed = self.classifier_received - self.classifier_dropped - self.classifier_expired
        expected = consumed // self.batch_size
        self.checks = [
            ('no crash', self.error is None, self.error or 'no exception, all nodes spun'),
            (f'{self.frames_target} frames published', self.frames_published >= self.frames_target,
             f'{self.frames_published} published'),
            ('one prediction per batch', self.predictions_published == expected,
             f'{self.predictions_published} predictions, {consumed} frames consumed / '
             f'batch {self.batch_size} = {expected} (+{consumed % self.batch_size} pending)'),
            ('every prediction arrived', self.predictions_received == self.predictions_published,
             f'{self.predictions_received} received of {self.predictions_published}'),
            (f'frame_count == {self.batch_size}', self.bad_frame_counts == 0,
             f'{self.bad_frame_counts} predictions with another frame_count'),
            (f'RSS growth < {self.rss_limit:.0%}', self.rss_growth < self.rss_limit,
             f'{self.rss_warm_mb:.1f} MB after warm-up -> {self.rss_end_mb:.1f} MB '
             f'({self.rss_growth:+.2%})'),
        ]

    def table(self) -> str:
        """Return the counters and checks as markdown."""
        rate = self.frames_published / self.seconds if self.seconds else 0.0
        lines = [
            '| counter | value |', '| --- | ---: |',
            f'| frames published by the camera | {self.frames_published} |',
            f'| frames processed by the preprocessor | {self.frames_processed} |',
            f'| frames dropped by the preprocessor (bad images) | {self.preprocessor_dropped} |',
            f'| frames lost camera -> preprocessor | '
            f'{self.frames_published - self.frames_processed - self.preprocessor_dropped} |',
            f'| frames received by the classifier | {self.classifier_received} |',
            f'| frames lost preprocessor -> classifier | '
            f'{self.frames_processed - self.classifier_received} |',
            f'| frames dropped by the classifier (bad input) | {self.classifier_dropped} |',
            f'| frames dropped by the classifier (batch age) | {self.classifier_expired} |',
            f'| predictions published / received | {self.predictions_published} / '
            f'{self.predictions_received} |',
            f'| duration | {self.seconds:.1f} s ({rate:.0f} frames/s published) |',
            f'| CPU ms per frame after the warm-up (all threads / executor thread) | '
            f'{self.cpu_ms_per_frame:.2f} / {self.main_thread_cpu_ms_per_frame:.2f} |',
            '', '| check | result | detail |', '| --- | --- | --- |']
        lines += [f'| {name} | {"PASS" if passed else "FAIL"} | {detail} |'
                  for name, passed, detail in self.checks]
        lines.append('')
        lines.append(f'soak {"PASSED" if self.ok else "FAILED"}')
        return '\n'.join(lines)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _cpu_seconds() -> tuple[float, float]:
    """Return this process's CPU seconds (all threads) and the calling thread's."""
    times = psutil.Process().cpu_times()
    return times.user + times.system, time.thread_time()


def run_soak(frames: int = 20000, warmup_frames: int = 2000, backend: str = 'tflite',
             rss_limit: float = 0.05, timeout: float = 900.0, fps: float = MAX_CAMERA_FPS,
             frame_folder: str | None = None,
             progress: Callable[[str], None] | None = None) -> SoakResult:
    """Push ``frames`` camera frames through the in-process pipeline and check it.

    Args:
        frames: frames the camera publishes before it is stopped.
        warmup_frames: frames published before the reference RSS is taken.
        backend: the classifier's backend.
        rss_limit: allowed relative RSS growth after the warm-up.
        timeout: seconds after which the run stops as failed (a stall).
        fps: the camera's rate (its maximum by default).
        frame_folder: folder of frames to replay; default: 50 demo frames in a
            temporary folder.
        progress: called with a line of text now and then.

    Returns:
        The :class:`SoakResult`, checks evaluated.

    """
    result = SoakResult(frames_target=frames, rss_limit=rss_limit)
    prepare_process()  # as every node process does (node_runner.run_nodes)
    temporary = None
    if frame_folder is None:
        temporary = tempfile.mkdtemp(prefix='digit_soak_')
        frame_folder = temporary
        write_frame_folder(frame_folder)
    context = Context()
    rclpy.init(context=context)
    executor = None
    nodes: list[Node] = []
    started = time.monotonic()
    try:
        overrides = {'camera': {'source': frame_folder, 'fps': float(fps), 'loop': True},
                     'classifier': {'backend': backend}}
        nodes = [factory() for factory in node_factories(overrides, context=context)]
        camera = next(n for n in nodes if isinstance(n, CameraNode))
        preprocessor = next(n for n in nodes if isinstance(n, PreprocessorNode))
        classifier = next(n for n in nodes if isinstance(n, ClassifierNode))
        result.batch_size = classifier.params['batch_size']
        monitor = Node('soak_monitor', context=context)
        nodes.append(monitor)

        def on_prediction(msg: DigitPrediction) -> None:
            result.predictions_received += 1
            if msg.frame_count != result.batch_size:
                result.bad_frame_counts += 1
        monitor.create_subscription(DigitPrediction, 'prediction', on_prediction,
                                    PREDICTION_QOS)
        executor = make_executor('auto', context)
        for node in nodes:
            executor.add_node(node)

        def snapshot() -> None:
            result.frames_published = camera.frames_published
            result.frames_processed = preprocessor.frames_processed
            result.preprocessor_dropped = preprocessor.frames_dropped
            result.classifier_received = classifier.frames_received
            result.classifier_dropped = classifier.frames_dropped
            result.classifier_expired = classifier.frames_expired
            result.predictions_published = classifier.predictions_published

        deadline = started + timeout
        next_report = started + 10.0
        warm_cpu = None
        try:
            while camera.frames_published < frames:
                executor.spin_once(timeout_sec=0.1)
                now = time.monotonic()
                if not result.rss_warm_mb and camera.frames_published >= warmup_frames:
                    result.rss_warm_mb = _rss_mb()
                    warm_cpu = (camera.frames_published,) + _cpu_seconds()
                if progress and now >= next_report:
                    next_report = now + 10.0
                    progress(f'{camera.frames_published} frames published, '
                             f'{classifier.predictions_published} predictions, '
                             f'RSS {_rss_mb():.1f} MB')
                if now > deadline:
                    raise TimeoutError(f'stalled: {camera.frames_published} of {frames} frames '
                                       f'after {timeout:.0f} s')
            if warm_cpu is not None:
                process_s, thread_s = _cpu_seconds()
                counted = max(1, camera.frames_published - warm_cpu[0])
                result.cpu_ms_per_frame = (process_s - warm_cpu[1]) * 1000 / counted
                result.main_thread_cpu_ms_per_frame = (thread_s - warm_cpu[2]) * 1000 / counted
            # Stop the input, then let what is in flight reach the end.
            executor.remove_node(camera)
            quiet_since, last = time.monotonic(), None
            while time.monotonic() - quiet_since < 0.5 and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.05)
                snapshot()
                state = (result.frames_processed, result.classifier_received,
                         result.predictions_received)
                if state != last:
                    last, quiet_since = state, time.monotonic()
        except Exception as error:  # noqa: B902 - any escape from a callback is a crash
            result.error = f'{type(error).__name__}: {error}'
        snapshot()
        result.rss_end_mb = _rss_mb()
        if not result.rss_warm_mb:
            result.rss_warm_mb = result.rss_end_mb
    finally:
        result.seconds = time.monotonic() - started
        if executor is not None:
            executor.shutdown()
        for node in reversed(nodes):
            node.destroy_node()
        context.try_shutdown()
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    result.evaluate()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak test; print the table; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=20000, help='camera frames to push')
    parser.add_argument('--warmup-frames', type=int, default=2000,
                        help='frames before the reference RSS is measured')
    parser.add_argument('--backend', choices=BACKENDS, default='tflite')
    parser.add_argument('--rss-limit', type=float, default=0.05,
                        help='allowed relative RSS growth after the warm-up (0.05 = 5%%)')
    parser.add_argument('--timeout', type=float, default=900.0,
                        help='seconds before the run counts as stalled')
    args = parser.parse_args(argv)
    if args.frames <= args.warmup_frames:
        parser.error('--frames must be larger than --warmup-frames')
    isolate_ros_traffic()
    print(f'soak: {args.frames} frames through the in-process pipeline '
          f'({args.backend}), camera at {MAX_CAMERA_FPS:.0f} fps', flush=True)
    result = run_soak(args.frames, args.warmup_frames, args.backend, args.rss_limit,
                      args.timeout, progress=lambda line: print(line, flush=True))
    print(result.table(), flush=True)
    return 0 if result.ok else 1


if __name__ == '__main__':
    sys.exit(main())
