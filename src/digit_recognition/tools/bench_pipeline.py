"""Benchmark the running pipeline: latency, CPU, memory, throughput and frame loss.

The real nodes run on a camera that replays prepared 640x480 demo frames (a folder
of BMP files, looping), in two arrangements:

* one process with all four nodes on one executor (as ``pipeline.py``);
* one process per node, as the launch file starts them.

Each arrangement runs with the ``tflite`` and the ``keras`` backend, and one more
configuration reproduces the original design's classifying: Keras
``model.predict()`` on each batch of five, in the one-process arrangement.

Every node process is a worker started by this module
(``python -m digit_recognition.tools.bench_pipeline --worker NAME --ros-args ...``): it
runs the node exactly as the node's ``main()`` does (``node_runner.run_nodes`` with
the installed parameters file and ``--ros-args``) and, when asked on stdin, prints
the node's counters. A monitor node in the bench process receives ``prediction``
(latency: arrival time minus the stamp of the newest camera frame of the batch) and
switches the camera's ``fps`` from 30 to its maximum (240) for the throughput phase.
CPU time and peak RSS come from ``psutil`` / ``/proc`` on the workers' pids.

``make bench`` runs ``python -m digit_recognition.tools.bench_pipeline --output out/bench.md``.
"""

import argparse
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.node_runner import EXECUTORS, run_nodes
from digit_recognition.nodes.pipeline import (
    default_params_file, installed_config_file, NODE_CLASSES, NODE_NAMES)
from digit_recognition.nodes.qos import PREDICTION_QOS
from digit_recognition.tools.bench_compressed import compressed_input_table
from digit_recognition.tools.bench_model import cpu_model, package_version
from digit_recognition.tools.ros_isolation import isolate_ros_traffic
from digit_recognition.tools.soak import MAX_CAMERA_FPS, write_frame_folder
import numpy as np
import psutil
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter

COUNTERS_PREFIX = 'BENCH-COUNTERS '
"""Start of a worker's stdout line carrying its counters as JSON."""

INPUT_FPS = 30.0
"""Camera rate of the latency, CPU and memory phase."""

FASTDDS_PROFILE = 'fastdds_large_images.xml'
"""The launch file's Fast DDS profile (shared memory large enough for camera frames)."""

TARGET_P99_MS = 10.0
TARGET_FPS = 150.0
TARGET_CLASSIFIER_RSS_MB = 300.0


# --------------------------------------------------------------------------- worker


class PredictBaseline:
    """The original design's classifying: Keras ``model.predict()`` on every batch."""

    def __init__(self, keras_model: Any) -> None:
        """Wrap a loaded ``keras`` backend model (:class:`~.inference.KerasDigitModel`)."""
        self.backend = 'keras predict()'
        self.path = keras_model.path
        self._model = keras_model.model

    def predict_proba(self, batch: Any) -> np.ndarray:
        """Classify a batch with ``model.predict(x, verbose=0)``."""
        from digit_recognition.vision.model_contract import to_model_batch
        return np.asarray(self._model.predict(to_model_batch(batch), verbose=0), np.float32)


def _node_counters(node: Node) -> Dict[str, int]:
    names = ('frames_published', 'frames_processed', 'frames_dropped',
             'frames_received', 'predictions_published', 'frames_drawn')
    counters = {name: int(getattr(node, name)) for name in names if hasattr(node, name)}
    params = getattr(node, 'params', None)
    if params is not None and 'batch_size' in params.values:
        counters['batch_size'] = int(params['batch_size'])
    return counters


def run_worker(name: str, baseline: bool, ros_args: List[str],
               executor_kind: str = 'single') -> int:
    """Run node ``name`` (or ``'pipeline'``: all four) like its ``main()``, with counters.

    Each line read on stdin is answered with one ``BENCH-COUNTERS {json}`` line on
    stdout: ``{node name: {counter: value}}``; the same line is printed at exit.
    """
    classes = [node_class for node_class in NODE_CLASSES
               if name in ('pipeline', node_class.NODE_NAME)]
    nodes: List[Node] = []

    def factory(node_class=None):
        node = node_class()
        if node_class.NODE_NAME == 'classifier' and baseline:
            node.model = PredictBaseline(node.model)
        nodes.append(node)
        return node

    def report() -> None:
        counters = {node.NODE_NAME: _node_counters(node) for node in list(nodes)}
        sys.stdout.write(COUNTERS_PREFIX + json.dumps(counters) + '\n')
        sys.stdout.flush()

    def answer_requests() -> None:
        for _ in sys.stdin:
            report()

    threading.Thread(target=answer_requests, daemon=True).start()
    factories = [lambda node_class=node_class: factory(node_class) for node_class in classes]
    code = run_nodes(factories, [sys.argv[0]] + ros_args, logger_name=f'bench_{name}',
                     executor_kind=executor_kind)
    report()
    return code


# --------------------------------------------------------------------------- bench side


@dataclass
class Config:
    """One measured configuration."""

    label: str
    arrangement: str
    """``'one process'`` or ``'process per node'``."""
    backend: str
    baseline: bool = False
    executor: str = 'single'
    """Executor of the one-process arrangement (see ``node_runner.make_executor``)."""
    fastdds_profile: bool = True
    """Process per node: start the nodes with the launch file's Fast DDS profile."""

    @property
    def worker_names(self) -> List[str]:
        """The workers to start: one ``pipeline`` or one per node."""
        return ['pipeline'] if self.arrangement == 'one process' else list(NODE_NAMES)


@dataclass
class Row:
    """Measurements of one configuration."""

    config: Config
    latencies_ms: List[float] = field(default_factory=list)
    cpu_percent: Dict[str, float] = field(default_factory=dict)
    peak_rss_mb: Dict[str, float] = field(default_factory=dict)
    predictions_per_s: float = 0.0
    slow: Dict[str, int] = field(default_factory=dict)
    fast: Dict[str, float] = field(default_factory=dict)
    fast_seconds: float = 0.0
    problems: List[str] = field(default_factory=list)

    def latency(self, percentile: float) -> float:
        """Return a latency percentile in ms (NaN without samples)."""
        if not self.latencies_ms:
            return float('nan')
        return float(np.percentile(self.latencies_ms, percentile))


class Worker:
    """A worker subprocess with a reader thread collecting its counter lines."""

    def __init__(self, name: str, config: Config, params_files: List[str],
                 log_dir: str) -> None:
        """Start the worker ``name`` for ``config``."""
        self.name = name
        command = [sys.executable, '-m', 'digit_recognition.tools.bench_pipeline',
                   '--worker', name]
        if config.baseline:
            command.append('--baseline')
        command += ['--executor', config.executor]
        command.append('--ros-args')
        for params_file in params_files:
            command += ['--params-file', params_file]
        self.stderr_path = os.path.join(log_dir, f'{config.label}-{name}.log'.replace(' ', '_'))
        self._stderr = open(self.stderr_path, 'w', encoding='utf-8')
        env = dict(os.environ)
        if config.fastdds_profile and config.arrangement == 'process per node':
            # As launch/digit_recognition.launch.py does by default.
            profile = installed_config_file(FASTDDS_PROFILE)
            env.update(FASTDDS_DEFAULT_PROFILES_FILE=profile,
                       FASTRTPS_DEFAULT_PROFILES_FILE=profile)
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, text=True, bufsize=1, env=env)
        self.ps = psutil.Process(self.process.pid)
        self.lines: 'queue.Queue[dict]' = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(COUNTERS_PREFIX):
                self.lines.put(json.loads(line[len(COUNTERS_PREFIX):]))

    def request(self) -> None:
        """Ask for the counters (answered on stdout)."""
        assert self.process.stdin is not None
        self.process.stdin.write('snap\n')
        self.process.stdin.flush()

    def reply(self, timeout: float = 10.0) -> dict:
        """Return the next counters reply."""
        return self.lines.get(timeout=timeout)

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds used so far."""
        times = self.ps.cpu_times()
        return times.user + times.system

    def peak_rss_mb(self) -> float:
        """Peak resident set size (``VmHWM``) in MB."""
        try:
            with open(f'/proc/{self.process.pid}/status', encoding='ascii') as status:
                for line in status:
                    if line.startswith('VmHWM:'):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return self.ps.memory_info().rss / 2**20

    def stop(self, timeout: float = 10.0) -> Optional[dict]:
        """SIGINT the worker; return its final counters (None if it had to be killed)."""
        final = None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        try:
            while True:
                final = self.lines.get(timeout=1.0)
        except queue.Empty:
            pass
        self._stderr.close()
        return final

    def tracebacks(self) -> bool:
        """Return True when the worker's stderr contains a Python traceback."""
        with open(self.stderr_path, encoding='utf-8', errors='replace') as log:
            return 'Traceback' in log.read()


class Monitor:
    """The bench's own node: receives predictions and sets the camera's fps."""

    def __init__(self, context: Context) -> None:
        """Create the node and spin it in a background thread."""
        self.node = Node('bench_monitor', context=context)
        self.latencies_ms: List[float] = []
        self.received = 0
        self._lock = threading.Lock()
        self.node.create_subscription(DigitPrediction, 'prediction', self._on_prediction,
                                      PREDICTION_QOS)
        self._client = self.node.create_client(SetParameters, '/camera/set_parameters')
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: B902 - the context is shut down at the end of the bench
            pass

    def _on_prediction(self, msg: DigitPrediction) -> None:
        now_ns = time.time_ns()
        stamp_ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        with self._lock:
            self.received += 1
            self.latencies_ms.append((now_ns - stamp_ns) / 1e6)

    def take_latencies(self) -> List[float]:
        """Return and clear the latencies collected so far."""
        with self._lock:
            taken, self.latencies_ms = self.latencies_ms, []
        return taken

    def set_camera_fps(self, fps: float, timeout: float = 10.0) -> bool:
        """Set the camera's ``fps`` parameter; True when accepted."""
        if not self._client.wait_for_service(timeout_sec=timeout):
            return False
        request = SetParameters.Request(
            parameters=[Parameter('fps', value=float(fps)).to_parameter_msg()])
        future = self._client.call_async(request)
        deadline = time.monotonic() + timeout
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        return future.done() and future.result().results[0].successful

    def destroy(self) -> None:
        """Stop spinning and destroy the node."""
        self.executor.shutdown()
        self.node.destroy_node()


def _write_params(path: str, frame_folder: str, backend: str) -> None:
    with open(path, 'w', encoding='utf-8') as params:
        params.write('/**/camera:\n  ros__parameters:\n'
                     f'    source: "{frame_folder}"\n    fps: {INPUT_FPS}\n    loop: true\n'
                     '/**/classifier:\n  ros__parameters:\n'
                     f'    backend: {backend}\n')


def _flatten(snapshots: Sequence[dict]) -> Dict[str, Dict[str, int]]:
    merged: Dict[str, Dict[str, int]] = {}
    for snapshot in snapshots:
        merged.update(snapshot)
    return merged


def _snapshot(workers: Sequence[Worker]) -> Dict[str, Dict[str, int]]:
    for worker in workers:
        worker.request()
    return _flatten([worker.reply() for worker in workers])


def _delta(after: dict, before: dict, node: str, counter: str) -> int:
    return after.get(node, {}).get(counter, 0) - before.get(node, {}).get(counter, 0)


def measure(config: Config, frame_folder: str, work_dir: str, monitor: Monitor,
            seconds: float, warmup: float, log=print) -> Row:
    """Start ``config``'s processes, run both phases, stop them; return the row."""
    row = Row(config)
    params_path = os.path.join(work_dir, f'params-{config.backend}.yaml')
    _write_params(params_path, frame_folder, config.backend)
    workers = [Worker(name, config, [default_params_file(), params_path], work_dir)
               for name in config.worker_names]
    try:
        started = time.monotonic()
        first = monitor.received
        while monitor.received < first + 2:
            dead = [w.name for w in workers if w.process.poll() is not None]
            if dead or time.monotonic() - started > 120.0:
                row.problems.append(f'no predictions (exited: {dead})')
                return row
            time.sleep(0.05)
        log(f'  first predictions after {time.monotonic() - started:.1f} s; '
            f'warming up {warmup:.0f} s')
        time.sleep(warmup)

        # Phase 1: 30 fps - latency, CPU, memory, loss.
        monitor.take_latencies()
        before = _snapshot(workers)
        cpu_before = {w.name: w.cpu_seconds() for w in workers}
        received_before, t0 = monitor.received, time.monotonic()
        time.sleep(seconds)
        after = _snapshot(workers)
        wall = time.monotonic() - t0
        row.latencies_ms = monitor.take_latencies()
        row.cpu_percent = {w.name: 100.0 * (w.cpu_seconds() - cpu_before[w.name]) / wall
                           for w in workers}
        row.peak_rss_mb = {w.name: w.peak_rss_mb() for w in workers}
        row.predictions_per_s = (monitor.received - received_before) / wall
        batch = after.get('classifier', {}).get('batch_size', 5)
        row.slow = {
            'published': _delta(after, before, 'camera', 'frames_published'),
            'processed': _delta(after, before, 'preprocessor', 'frames_processed'),
            'received': _delta(after, before, 'classifier', 'frames_received'),
            'consumed': batch * _delta(after, before, 'classifier', 'predictions_published'),
            'bad': (_delta(after, before, 'preprocessor', 'frames_dropped')
                    + _delta(after, before, 'classifier', 'frames_dropped'))}
        log(f'  30 fps: p50 {row.latency(50):.1f} ms, p99 {row.latency(99):.1f} ms, '
            f'{row.slow}')

        # Phase 2: the camera at its maximum rate - throughput.
        if not monitor.set_camera_fps(MAX_CAMERA_FPS):
            row.problems.append('camera did not accept fps 240')
        time.sleep(1.0)
        before = _snapshot(workers)
        t0 = time.monotonic()
        time.sleep(seconds)
        after = _snapshot(workers)
        wall = time.monotonic() - t0
        row.fast_seconds = wall
        row.fast = {
            'published': _delta(after, before, 'camera', 'frames_published') / wall,
            'processed': _delta(after, before, 'preprocessor', 'frames_processed') / wall,
            'received': _delta(after, before, 'classifier', 'frames_received') / wall,
            'consumed': batch * _delta(after, before, 'classifier',
                                       'predictions_published') / wall}
        log('  240 fps: ' + ', '.join(f'{k} {v:.0f}/s' for k, v in row.fast.items()))
    finally:
        for worker in workers:
            final = worker.stop()
            code = worker.process.returncode
            if final is None or code != 0:
                row.problems.append(f'{worker.name} exited with {code}')
            if worker.tracebacks():
                row.problems.append(f'{worker.name}: Traceback in stderr '
                                    f'({worker.stderr_path})')
        monitor.take_latencies()
    return row


def _per_process(values: Dict[str, float], fmt: str) -> str:
    if list(values) == ['pipeline']:
        return format(values['pipeline'], fmt)
    short = {'camera': 'cam', 'preprocessor': 'pre', 'classifier': 'cls', 'overlay': 'ovl'}
    return ' / '.join(f'{short.get(k, k)} {format(v, fmt)}' for k, v in values.items())


def _met(ok: bool) -> str:
    return '**met**' if ok else '**MISSED**'


def report(rows: Sequence[Row], seconds: float, load: Sequence[float] = ()) -> str:
    """Return the markdown report of ``rows``; ``load``: load averages before and after."""
    load_text = ' -> '.join(f'{value:.1f}' for value in load) or 'unknown'
    lines = [
        '# Pipeline benchmark',
        '',
        f'- date: {datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}',
        f'- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} '
        f'{platform.machine()}, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM; '
        f'1-min load average before -> after the bench: {load_text} (other work on the '
        'machine skews the numbers)',
        f'- Python {platform.python_version()}, rclpy {package_version("ros-rclpy")} '
        f'({rclpy.get_rmw_implementation_identifier()}), TensorFlow '
        f'{package_version("tensorflow-cpu")}, Keras {package_version("keras")}, LiteRT '
        f'{package_version("ai-edge-litert")}, '
        f'OpenCV {package_version("opencv-python-headless")}, '
        f'numpy {package_version("numpy")}, psutil {package_version("psutil")}',
        f'- input: 50 prepared 640x480 demo frames (BMP folder, looping) through the real '
        f'camera node; {seconds:.0f} s measured per phase after warm-up; batch of 5',
        '- latency: prediction arrival at a monitor node (another process) minus the camera '
        'stamp of the newest frame of its batch, at 30 fps',
        '- CPU %: of one core, per process (cam/pre/cls/ovl = one process per node); '
        'RSS: peak (VmHWM) per process',
        '- frames @30 fps: camera published -> preprocessor processed -> classifier received '
        '-> consumed in batches (predictions x 5); the rest were lost in between',
        '- max rate: camera fps set to 240 (its maximum); frames per second published, '
        'processed by the preprocessor and consumed by the classifier',
        '',
        '| configuration | p50 ms | p99 ms | max ms | CPU % | peak RSS MB | predictions/s '
        '| frames @30 fps pub -> pre -> cls -> used | max rate: pub/s | pre/s | cls/s '
        '| lost at max |',
        '| --- | ---: | ---: | ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ]
    for row in rows:
        slow, fast = row.slow, row.fast
        flow = (f'{slow.get("published", 0)} -> {slow.get("processed", 0)} -> '
                f'{slow.get("received", 0)} -> {slow.get("consumed", 0)}')
        # Counters are read a moment apart, so consumed can exceed published by a frame.
        lost = max(0.0, 1.0 - fast['consumed'] / fast['published']) if fast.get('published') \
            else 0.0
        lines.append(
            f'| {row.config.label} | {row.latency(50):.1f} | {row.latency(99):.1f} | '
            f'{row.latency(100):.1f} | {_per_process(row.cpu_percent, ".0f")} | '
            f'{_per_process(row.peak_rss_mb, ".0f")} | {row.predictions_per_s:.1f} | {flow} | '
            f'{fast.get("published", 0):.0f} | {fast.get("processed", 0):.0f} | '
            f'{fast.get("consumed", 0):.0f} | {lost:.0%} |')
    problems = [f'- {row.config.label}: {p}' for row in rows for p in row.problems]
    if problems:
        lines += ['', 'Problems:'] + problems
    lines += ['', '## Targets (TFLite backend, this machine)', '']
    for row in rows:
        if (row.config.backend != 'tflite' or row.config.baseline or not row.fast
                or row.config.executor != 'single' or not row.config.fastdds_profile):
            continue
        p99 = row.latency(99)
        sustained = min(row.fast['processed'], row.fast['consumed'])
        rss = row.peak_rss_mb.get('classifier', row.peak_rss_mb.get('pipeline', 0.0))
        rss_name = 'classifier' if 'classifier' in row.peak_rss_mb else 'whole pipeline'
        lines += [
            f'- {row.config.label}: p99 latency at 30 fps < {TARGET_P99_MS:.0f} ms: '
            f'{_met(p99 < TARGET_P99_MS)} ({p99:.1f} ms)',
            f'- {row.config.label}: >= {TARGET_FPS:.0f} frames/s sustained at max rate: '
            f'{_met(sustained >= TARGET_FPS)} (preprocessor {row.fast["processed"]:.0f}/s, '
            f'classifier {row.fast["consumed"]:.0f}/s, camera {row.fast["published"]:.0f}/s)',
            f'- {row.config.label}: classifier RSS < {TARGET_CLASSIFIER_RSS_MB:.0f} MB: '
            f'{_met(rss < TARGET_CLASSIFIER_RSS_MB)} ({rss:.0f} MB peak, {rss_name} process)',
        ]
    baseline = next((r for r in rows if r.config.baseline), None)
    tflite = next((r for r in rows if r.config.backend == 'tflite'
                   and r.config.arrangement == 'one process'
                   and r.config.executor == 'single'), None)
    multi = next((r for r in rows if r.config.executor == 'multi'), None)
    if multi and tflite and multi.latencies_ms and tflite.latencies_ms:
        lines += ['', f'SingleThreadedExecutor (default) vs MultiThreadedExecutor, one process, '
                      f'tflite: p50 {tflite.latency(50):.1f} vs {multi.latency(50):.1f} ms, '
                      f'p99 {tflite.latency(99):.1f} vs {multi.latency(99):.1f} ms.']
    if baseline and tflite and baseline.latencies_ms and tflite.latencies_ms:
        lines += ['', f'Baseline (Keras `predict()` per batch) vs `tflite`, one process: p50 '
                      f'{baseline.latency(50):.1f} vs {tflite.latency(50):.1f} ms, p99 '
                      f'{baseline.latency(99):.1f} vs {tflite.latency(99):.1f} ms.']
    lines.append('')
    return '\n'.join(lines)


CONFIGS = [
    Config('one process, tflite', 'one process', 'tflite'),
    Config('one process, keras', 'one process', 'keras'),
    Config('process per node, tflite', 'process per node', 'tflite'),
    Config('process per node, keras', 'process per node', 'keras'),
    Config('process per node, tflite, no Fast DDS profile', 'process per node', 'tflite',
           fastdds_profile=False),
    Config('baseline: one process, keras predict()', 'one process', 'keras', baseline=True),
    Config('one process, tflite, MultiThreadedExecutor', 'one process', 'tflite',
           executor='multi'),
]


def run_bench(seconds: float, warmup: float, configs: Sequence[Config]) -> str:
    """Measure ``configs`` one after another; return the markdown report."""
    isolate_ros_traffic()
    load = [os.getloadavg()[0]]
    work_dir = tempfile.mkdtemp(prefix='digit_bench_')
    frame_folder = os.path.join(work_dir, 'frames')
    write_frame_folder(frame_folder, count=50)
    context = Context()
    rclpy.init(context=context)
    monitor = Monitor(context)
    rows = []
    try:
        for config in configs:
            print(f'{config.label}:', flush=True)
            rows.append(measure(config, frame_folder, work_dir, monitor, seconds, warmup,
                                log=lambda line: print(line, flush=True)))
    finally:
        monitor.destroy()
        context.try_shutdown()
        if not any(row.problems for row in rows):
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            print(f'worker logs kept in {work_dir}', flush=True)
    load.append(os.getloadavg()[0])
    return report(rows, seconds, load)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark (or, with ``--worker``, one worker process)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ros_args: List[str] = []
    if '--ros-args' in argv:
        index = argv.index('--ros-args')
        argv, ros_args = argv[:index], argv[index:]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', metavar='FILE', help='also write the table to FILE')
    parser.add_argument('--seconds', type=float, default=10.0,
                        help='measuring time of each phase of each configuration')
    parser.add_argument('--warmup', type=float, default=2.0,
                        help='seconds after the first predictions before measuring')
    parser.add_argument('--only', action='append', metavar='TEXT',
                        help='run only configurations whose label contains TEXT')
    parser.add_argument('--worker', choices=('pipeline',) + NODE_NAMES, help=argparse.SUPPRESS)
    parser.add_argument('--baseline', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--executor', choices=EXECUTORS, default='single',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args.worker, args.baseline, ros_args, args.executor)
    if args.seconds <= 0 or args.warmup < 0:
        parser.error('--seconds must be positive and --warmup not negative')
    configs = [c for c in CONFIGS if not args.only or any(t in c.label for t in args.only)]
    table = run_bench(args.seconds, args.warmup, configs)
    table += '\n\n' + compressed_input_table()
    print(table, flush=True)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, 'w', encoding='utf-8') as output:
            output.write(table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
