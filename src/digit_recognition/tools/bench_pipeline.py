"""Benchmark the running pipeline, repeatably: CPU per frame, throughput, latency, memory.

The real nodes run on a camera that replays prepared 640x480 demo frames (a folder
of BMP files, looping), in the two arrangements of the launch file:

* ``one process``: the four nodes on one executor (as ``pipeline.py``, or a
  component container, runs them);
* ``process per node``: one process each, with the launch file's Fast DDS profile;

each with the default executor (``auto``, see ``node_runner.make_executor``) and
with the ``SingleThreadedExecutor`` that Humble and Jazzy get.

Each configuration is measured ``--runs`` times (3 by default), interleaved (A B B A
...), and reported as the median with the min-max over the runs, because wall-clock
figures on a shared machine move between back-to-back runs. Per run:

* 30 fps phase: latency of each prediction (arrival at a monitor node in this
  process minus the camera stamp of the newest frame of its batch), p50 and p99;
* maximum-rate phase (the camera's ``fps`` set to its maximum): frames per second
  through preprocessor and classifier (``max_fps``), and CPU time per frame: each
  process's CPU seconds (user + system, from ``psutil``) divided by the frames it
  handled, and their sum, the whole pipeline's CPU per frame;
* peak resident memory (``VmHWM``) of every process.

A machine-load line (load averages, CPU busy share and the busiest other processes)
is taken before and after. The report goes to stdout and, with ``--output FILE.md``,
to ``FILE.md`` and ``FILE.json`` (per configuration: ``name``, ``runs``, ``p50_ms``,
``p99_ms``, ``max_fps``, ``cpu_ms_per_frame``, ``rss_mb`` as medians, the spread,
and ``"default": true`` on the launch file's default arrangement).

Every node process is a worker started by this module
(``python -m digit_recognition.tools.bench_pipeline --worker NAME --ros-args ...``): it
runs the node as the node's ``main()`` does (``node_runner.run_nodes`` with the
installed parameters file) and, for each line read on stdin, prints the node's
counters. ``--profile FRAMES`` instead profiles the one-process pipeline in this
process with cProfile and prints the functions that take the most time per frame.

``make bench`` runs ``python -m digit_recognition.tools.bench_pipeline --output out/bench.md``.
"""

import argparse
from collections.abc import Callable, Sequence
import cProfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import os
import platform
import pstats
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes import launch_arguments
from digit_recognition.nodes.launch_arguments import profile_variable
from digit_recognition.nodes.node_runner import events_executor_class, EXECUTORS, run_nodes
from digit_recognition.nodes.pipeline import (
    default_params_file, installed_config_file, NODE_CLASSES, NODE_NAMES)
from digit_recognition.nodes.qos import PREDICTION_QOS
from digit_recognition.tools.bench_compressed import compressed_input_table
from digit_recognition.tools.bench_model import cpu_model, package_version, reference_work_ms
from digit_recognition.tools.ros_isolation import isolate_ros_traffic
from digit_recognition.tools.soak import MAX_CAMERA_FPS, run_soak, write_frame_folder
import numpy as np
import psutil
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter

ONE_PROCESS = 'one process'
PROCESS_PER_NODE = 'process per node'
ARRANGEMENTS = (ONE_PROCESS, PROCESS_PER_NODE)

DEFAULT_ARRANGEMENT = {launch_arguments.ONE_PROCESS: ONE_PROCESS,
                       launch_arguments.PROCESS_PER_NODE: PROCESS_PER_NODE}[
    launch_arguments.DEFAULT_ARRANGEMENT]
"""The launch file's default arrangement (its ``arrangement`` argument's default)."""

COUNTERS_PREFIX = 'BENCH-COUNTERS '
"""Start of a worker's stdout line carrying its counters as JSON."""

INPUT_FPS = 30.0
"""Camera rate of the latency phase."""

BENCH_FRAMES = 20
BENCH_HOLD_FRAMES = 4
"""The replayed folder: 5 pictures, each held for 4 frames. The camera keeps the decoded
frames in memory (``folder_cache_mb``), so they are counted in its RSS."""

FASTDDS_PROFILE = 'fastdds_large_images.xml'
"""The launch file's Fast DDS profile (shared memory large enough for camera frames)."""

TARGET_CPU_MS_PER_FRAME = 3.0
TARGET_P99_MS = 10.0
TARGET_DEFAULT_FPS = 300.0
TARGET_OTHER_FPS = 250.0
TARGET_CLASSIFIER_RSS_MB = 150.0

SHORT_NAMES = {'camera': 'cam', 'preprocessor': 'pre', 'classifier': 'cls', 'overlay': 'ovl',
               'pipeline': 'all'}

TABLE_HEADER = ('| configuration | runs | p50 ms @30 fps | p99 ms @30 fps | max frames/s '
                '| CPU ms/frame | CPU ms/frame by process | peak RSS MB |')
"""The header of the results table (the README's copy is checked against it)."""


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


def _node_counters(node: Node) -> dict[str, int]:
    names = ('frames_published', 'frames_processed', 'frames_dropped',
             'frames_received', 'predictions_published', 'frames_drawn')
    counters = {name: int(getattr(node, name)) for name in names if hasattr(node, name)}
    params = getattr(node, 'params', None)
    if params is not None and 'batch_size' in params.values:
        counters['batch_size'] = int(params['batch_size'])
    return counters


def run_worker(name: str, baseline: bool, ros_args: list[str],
               executor_kind: str = 'auto') -> int:
    """Run node ``name`` (or ``'pipeline'``: all four) like its ``main()``, with counters.

    Each line read on stdin is answered with one ``BENCH-COUNTERS {json}`` line on
    stdout: ``{node name: {counter: value}}``; the same line is printed at exit.
    """
    classes = [node_class for node_class in NODE_CLASSES
               if name in ('pipeline', node_class.NODE_NAME)]
    nodes: list[Node] = []

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


@dataclass(frozen=True)
class Config:
    """One measured configuration."""

    label: str
    arrangement: str
    """``ONE_PROCESS`` or ``PROCESS_PER_NODE``."""
    backend: str = 'tflite'
    baseline: bool = False
    executor: str = 'auto'
    """Executor of the nodes (see ``node_runner.make_executor``)."""
    fastdds_profile: bool = True
    """Process per node: start the nodes with the launch file's Fast DDS profile."""

    @property
    def worker_names(self) -> list[str]:
        """The workers to start: one ``pipeline`` or one per node."""
        return ['pipeline'] if self.arrangement == ONE_PROCESS else list(NODE_NAMES)

    @property
    def is_default(self) -> bool:
        """True for the launch file's default arrangement as shipped (TFLite, profile)."""
        return self.arrangement == DEFAULT_ARRANGEMENT and self.is_shipped

    @property
    def is_shipped(self) -> bool:
        """True for an arrangement as the package runs it by default (TFLite, ...)."""
        return (self.backend == 'tflite' and not self.baseline and self.executor == 'auto'
                and self.fastdds_profile)


@dataclass
class RunResult:
    """The measurements of one run of one configuration."""

    latencies_ms: list[float] = field(default_factory=list)
    max_fps: float = float('nan')
    """Frames per second through preprocessor and classifier at the camera's maximum."""
    published_fps: float = float('nan')
    """Frames per second the camera published at its maximum."""
    cpu_ms_per_frame: dict[str, float] = field(default_factory=dict)
    """Per process (and ``total``): CPU ms per frame at the maximum rate."""
    rss_mb: dict[str, float] = field(default_factory=dict)
    """Peak RSS per process."""
    frames_30fps: tuple[int, int] = (0, 0)
    """Frames published and consumed by the classifier in the 30 fps phase."""
    problems: list[str] = field(default_factory=list)

    def latency(self, percentile: float) -> float:
        """Return a latency percentile in ms (NaN without samples)."""
        if not self.latencies_ms:
            return float('nan')
        return float(np.percentile(self.latencies_ms, percentile))

    def figures(self) -> dict[str, float]:
        """Return the run's headline figures, named as in ``bench.json``."""
        return {'p50_ms': self.latency(50), 'p99_ms': self.latency(99),
                'max_fps': self.max_fps,
                'cpu_ms_per_frame': self.cpu_ms_per_frame.get('total', float('nan')),
                'rss_mb': sum(self.rss_mb.values()) if self.rss_mb else float('nan')}


@dataclass
class Spread:
    """Median, minimum and maximum of one figure over the runs."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> 'Spread':
        """Return the spread of ``values``, NaN values left out (all NaN: NaN)."""
        finite = [float(v) for v in values if not np.isnan(v)]
        if not finite:
            nan = float('nan')
            return cls(nan, nan, nan)
        return cls(statistics.median(finite), min(finite), max(finite))

    def text(self, fmt: str = '.1f') -> str:
        """Return ``median (min-max)``, or just the median when all runs agree."""
        if np.isnan(self.median):
            return '-'
        median = format(self.median, fmt)
        low, high = format(self.low, fmt), format(self.high, fmt)
        return median if low == high else f'{median} ({low}-{high})'


FIGURES = ('p50_ms', 'p99_ms', 'max_fps', 'cpu_ms_per_frame', 'rss_mb')
"""The per-configuration figures of ``bench.json``, each a median over the runs."""


@dataclass
class Result:
    """All runs of one configuration."""

    config: Config
    runs: list[RunResult] = field(default_factory=list)

    def spread(self, figure: str) -> Spread:
        """Return the spread of one of :data:`FIGURES` over the runs."""
        return Spread.of([run.figures()[figure] for run in self.runs])

    def process_spread(self, attribute: str, process: str) -> Spread:
        """Spread of a per-process figure (``cpu_ms_per_frame`` or ``rss_mb``)."""
        return Spread.of([getattr(run, attribute).get(process, float('nan'))
                          for run in self.runs])

    def processes(self) -> list[str]:
        """Return the configuration's process names."""
        return self.config.worker_names

    @property
    def problems(self) -> list[str]:
        """Problems of every run, each prefixed with its run number."""
        return [f'run {index + 1}: {problem}' for index, run in enumerate(self.runs)
                for problem in run.problems]

    def to_json(self) -> dict[str, Any]:
        """Return the configuration's entry of ``bench.json``."""
        entry: dict[str, Any] = {
            'name': self.config.label, 'default': self.config.is_default,
            'arrangement': self.config.arrangement, 'backend': self.config.backend,
            'runs': len(self.runs)}
        for figure in FIGURES:
            entry[figure] = _json_number(self.spread(figure).median)
        entry['spread'] = {figure: [_json_number(self.spread(figure).low),
                                    _json_number(self.spread(figure).high)]
                           for figure in FIGURES}
        entry['cpu_ms_per_frame_by_process'] = {
            process: _json_number(self.process_spread('cpu_ms_per_frame', process).median)
            for process in self.processes()}
        entry['rss_mb_by_process'] = {
            process: _json_number(self.process_spread('rss_mb', process).median)
            for process in self.processes()}
        entry['each_run'] = [
            {**{figure: _json_number(value) for figure, value in run.figures().items()},
             'cpu_ms_per_frame_by_process': {k: _json_number(v)
                                             for k, v in run.cpu_ms_per_frame.items()},
             'rss_mb_by_process': {k: _json_number(v) for k, v in run.rss_mb.items()},
             'frames_30fps_published_consumed': list(run.frames_30fps),
             'published_fps_at_max': _json_number(run.published_fps),
             'problems': run.problems}
            for run in self.runs]
        return entry


def _json_number(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 3)


class Worker:
    """A worker subprocess with a reader thread collecting its counter lines."""

    def __init__(self, name: str, config: Config, params_files: list[str],
                 log_dir: str, namespace: str) -> None:
        """Start the worker ``name`` for ``config``, its nodes in ``namespace``."""
        self.name = name
        command = [sys.executable, '-m', 'digit_recognition.tools.bench_pipeline',
                   '--worker', name]
        if config.baseline:
            command.append('--baseline')
        command += ['--executor', config.executor]
        command.append('--ros-args')
        for params_file in params_files:
            command += ['--params-file', params_file]
        command += ['-r', f'__ns:={namespace}']
        self.stderr_path = os.path.join(
            log_dir, f'{config.label}-{name}-{time.monotonic_ns()}.log'.replace(' ', '_'))
        self._stderr = open(self.stderr_path, 'w', encoding='utf-8')
        env = dict(os.environ)
        if config.fastdds_profile and config.arrangement == PROCESS_PER_NODE:
            # As launch/digit_recognition.launch.py does by default.
            profile = installed_config_file(FASTDDS_PROFILE)
            env[profile_variable(os.environ)] = profile
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, text=True, bufsize=1, env=env)
        self.ps = psutil.Process(self.process.pid)
        self.lines: queue.Queue[dict] = queue.Queue()
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

    def stop(self, timeout: float = 10.0) -> dict | None:
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

    def __init__(self, context: Context, namespace: str) -> None:
        """Create the node, listening to the pipeline in ``namespace``; spin it in a thread."""
        self.node = Node('bench_monitor', context=context, namespace=namespace)
        self.latencies_ms: list[float] = []
        self.received = 0
        self._lock = threading.Lock()
        self.node.create_subscription(DigitPrediction, 'prediction', self._on_prediction,
                                      PREDICTION_QOS)
        self._client = self.node.create_client(SetParameters, 'camera/set_parameters')
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

    def take_latencies(self) -> list[float]:
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


def _snapshot(workers: Sequence[Worker]) -> tuple[dict[str, dict[str, int]], dict[str, float]]:
    """Return the nodes' counters and each worker's CPU seconds, taken together."""
    for worker in workers:
        worker.request()
    counters: dict[str, dict[str, int]] = {}
    for worker in workers:
        counters.update(worker.reply())
    return counters, {worker.name: worker.cpu_seconds() for worker in workers}


def _delta(after: dict, before: dict, node: str, counter: str) -> int:
    return after.get(node, {}).get(counter, 0) - before.get(node, {}).get(counter, 0)


FRAME_COUNTERS = {'camera': 'frames_published', 'preprocessor': 'frames_processed',
                  'classifier': 'frames_received', 'overlay': 'frames_published',
                  'pipeline': 'frames_processed'}
"""The frames each process's CPU time is divided by (the overlay, idle while nobody
watches it, by the camera's frames; the whole pipeline by the preprocessor's)."""

COUNTER_NODES = {'frames_published': 'camera', 'frames_processed': 'preprocessor',
                 'frames_received': 'classifier'}


def cpu_ms_per_frame(cpu_seconds: dict[str, float], frames: dict[str, int]) -> dict[str, float]:
    """Return CPU milliseconds per frame, per process and ``total``.

    Args:
        cpu_seconds: CPU seconds each process used in the measured span.
        frames: frames counted in the span, by counter name (``frames_published``,
            ``frames_processed``, ``frames_received``).

    Returns:
        ``{process: ms}``, each process divided by the frames of
        :data:`FRAME_COUNTERS`, and ``total``, their sum: the CPU one frame costs on
        its way through the pipeline, whether or not a faster camera process also
        published frames that were dropped as stale. NaN where no frame was counted.

    """
    def per_frame(seconds: float, count: int) -> float:
        return 1000.0 * seconds / count if count > 0 else float('nan')
    result = {name: per_frame(seconds, frames.get(FRAME_COUNTERS[name], 0))
              for name, seconds in cpu_seconds.items()}
    result['total'] = sum(result.values())
    return result


def measure(config: Config, frame_folder: str, work_dir: str, monitor: Monitor,
            seconds: float, warmup: float, log: Callable[[str], None] = print) -> RunResult:
    """Start ``config``'s processes, run both phases, stop them; return the run."""
    run = RunResult()
    params_path = os.path.join(work_dir, f'params-{config.backend}.yaml')
    _write_params(params_path, frame_folder, config.backend)
    workers = [Worker(name, config, [default_params_file(), params_path], work_dir,
                      monitor.node.get_namespace())
               for name in config.worker_names]
    try:
        started = time.monotonic()
        first = monitor.received
        while monitor.received < first + 2:
            dead = [w.name for w in workers if w.process.poll() is not None]
            if dead or time.monotonic() - started > 120.0:
                run.problems.append(f'no predictions (exited: {dead})')
                return run
            time.sleep(0.05)
        time.sleep(warmup)

        # Phase 1: 30 fps - latency.
        monitor.take_latencies()
        before, _ = _snapshot(workers)
        time.sleep(seconds)
        after, _ = _snapshot(workers)
        run.latencies_ms = monitor.take_latencies()
        batch = after.get('classifier', {}).get('batch_size', 5)
        run.frames_30fps = (_delta(after, before, 'camera', 'frames_published'),
                            batch * _delta(after, before, 'classifier',
                                           'predictions_published'))

        # Phase 2: the camera at its maximum rate - throughput and CPU per frame.
        if not monitor.set_camera_fps(MAX_CAMERA_FPS):
            run.problems.append(f'camera did not accept fps {MAX_CAMERA_FPS:.0f}')
        time.sleep(1.0)
        before, cpu_before = _snapshot(workers)
        t0 = time.monotonic()
        time.sleep(seconds)
        after, cpu_after = _snapshot(workers)
        wall = time.monotonic() - t0
        frames = {counter: _delta(after, before, node, counter)
                  for counter, node in COUNTER_NODES.items()}
        consumed = batch * _delta(after, before, 'classifier', 'predictions_published')
        run.max_fps = min(frames['frames_processed'], consumed) / wall
        run.published_fps = frames['frames_published'] / wall
        run.cpu_ms_per_frame = cpu_ms_per_frame(
            {name: cpu_after[name] - cpu_before[name] for name in cpu_after}, frames)
        run.rss_mb = {w.name: w.peak_rss_mb() for w in workers}
        log(f'  p50 {run.latency(50):.1f} ms, p99 {run.latency(99):.1f} ms at 30 fps; '
            f'{run.max_fps:.0f} frames/s at max (camera {run.published_fps:.0f}/s); '
            f'CPU {run.cpu_ms_per_frame["total"]:.2f} ms/frame')
    finally:
        for worker in workers:
            final = worker.stop()
            code = worker.process.returncode
            if final is None or code != 0:
                run.problems.append(f'{worker.name} exited with {code}')
            if worker.tracebacks():
                run.problems.append(f'{worker.name}: Traceback in stderr '
                                    f'({worker.stderr_path})')
        monitor.take_latencies()
    return run


def machine_load(sample_seconds: float = 1.0, top: int = 3) -> str:
    """Return one line on how busy and how fast the machine is now.

    The load, CPU busy, the busiest processes, and the :func:`reference_work_ms`.
    """
    processes = list(psutil.process_iter(['name', 'cmdline']))
    for process in processes:
        try:
            process.cpu_percent(None)
        except psutil.Error:
            pass
    busy = psutil.cpu_percent(interval=sample_seconds)
    usage = []
    for process in processes:
        try:
            percent = process.cpu_percent(None)
        except psutil.Error:
            continue
        if percent >= 5.0 and process.pid != os.getpid():
            command = process.info.get('cmdline') or [process.info.get('name') or '?']
            words = ' '.join(os.path.basename(word) for word in command[:4]).split()
            usage.append((percent, ' '.join(words)[:48]))
    usage.sort(reverse=True)
    load = ' / '.join(f'{value:.2f}' for value in os.getloadavg())
    busiest = ', '.join(f'{name} {percent:.0f}%' for percent, name in usage[:top]) or 'none'
    return (f'load average 1/5/15 min {load} on {os.cpu_count()} cores; CPU busy '
            f'{busy:.0f}% over {sample_seconds:.0f} s; busiest processes: {busiest}; '
            f'reference work {reference_work_ms():.2f} ms CPU')


def _auto_executor() -> str:
    return 'the EventsExecutor' if events_executor_class() else 'the SingleThreadedExecutor'


def _by_process(result: Result) -> str:
    processes = result.processes()
    if processes == ['pipeline']:
        return '-'
    return ' / '.join(
        f'{SHORT_NAMES[name]} {result.process_spread("cpu_ms_per_frame", name).median:.2f}'
        for name in processes)


def _rss_text(result: Result) -> str:
    processes = result.processes()
    if processes == ['pipeline']:
        return result.spread('rss_mb').text('.0f')
    total = result.spread('rss_mb').median
    parts = ' / '.join(
        f'{SHORT_NAMES[name]} {result.process_spread("rss_mb", name).median:.0f}'
        for name in processes)
    return f'{total:.0f} ({parts})'


def table_rows(results: Sequence[Result]) -> list[str]:
    """Return the markdown results table: header, rule and one row per configuration."""
    lines = [TABLE_HEADER, '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |']
    for result in results:
        name = result.config.label + (' (default)' if result.config.is_default else '')
        lines.append(
            f'| {name} | {len(result.runs)} | {result.spread("p50_ms").text()} | '
            f'{result.spread("p99_ms").text()} | {result.spread("max_fps").text(".0f")} | '
            f'{result.spread("cpu_ms_per_frame").text(".2f")} | {_by_process(result)} | '
            f'{_rss_text(result)} |')
    return lines


def _verdict(ok: bool) -> str:
    return 'met' if ok else '**MISSED**'


def target_lines(results: Sequence[Result]) -> list[str]:
    """Return one line per target, judged on the medians of the TFLite arrangements."""
    shipped = [r for r in results if r.config.is_shipped]
    default = next((r for r in shipped if r.config.is_default), None)
    other = next((r for r in shipped if r.config.arrangement != DEFAULT_ARRANGEMENT), None)
    lines = []

    def judge(result: Result | None, figure: str, limit: float, at_most: bool,
              text: str, fmt: str) -> None:
        if result is None:
            return
        spread = result.spread(figure)
        ok = not np.isnan(spread.median) and (
            spread.median <= limit if at_most else spread.median >= limit)
        lines.append(f'- {result.config.label}: {text}: {_verdict(ok)} '
                     f'(median {spread.text(fmt)})')

    judge(default, 'cpu_ms_per_frame', TARGET_CPU_MS_PER_FRAME, True,
          f'CPU per frame <= {TARGET_CPU_MS_PER_FRAME:.0f} ms', '.2f')
    judge(default, 'max_fps', TARGET_DEFAULT_FPS, False,
          f'>= {TARGET_DEFAULT_FPS:.0f} frames/s at the maximum rate', '.0f')
    judge(default, 'p99_ms', TARGET_P99_MS, True,
          f'p99 camera -> prediction < {TARGET_P99_MS:.0f} ms at 30 fps', '.1f')
    judge(other, 'cpu_ms_per_frame', TARGET_CPU_MS_PER_FRAME, True,
          f'CPU per frame <= {TARGET_CPU_MS_PER_FRAME:.0f} ms', '.2f')
    judge(other, 'max_fps', TARGET_OTHER_FPS, False,
          f'>= {TARGET_OTHER_FPS:.0f} frames/s at the maximum rate', '.0f')
    for result in (default, other):
        if result is None:
            continue
        process = 'classifier' if 'classifier' in result.processes() else 'pipeline'
        spread = result.process_spread('rss_mb', process)
        whole = '' if process == 'classifier' else ', the whole one-process pipeline'
        lines.append(f'- {result.config.label}: classifier RSS < '
                     f'{TARGET_CLASSIFIER_RSS_MB:.0f} MB: '
                     f'{_verdict(spread.median < TARGET_CLASSIFIER_RSS_MB)} '
                     f'(median {spread.text(".0f")} MB{whole})')
    return lines


README_BEGIN = '<!-- make bench: begin -->'
README_END = '<!-- make bench: end -->'


def readme_block(results: Sequence[Result]) -> list[str]:
    """Return the table and target lines between the markers the README's copy keeps."""
    return ([README_BEGIN, ''] + table_rows(results)
            + ['', 'Targets (TFLite, medians of the runs):', ''] + target_lines(results)
            + ['', README_END])


def report(results: Sequence[Result], settings: dict[str, Any],
           load_before: str, load_after: str) -> str:
    """Return the markdown report: context, results table, targets, problems."""
    lines = [
        '# Pipeline benchmark',
        '',
        f'- date: {datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}',
        f'- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} '
        f'{platform.machine()}, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM',
        f'- machine load before: {load_before}',
        f'- machine load after: {load_after}',
        f'- Python {platform.python_version()}, rclpy {package_version("ros-rclpy")} '
        f'({rclpy.get_rmw_implementation_identifier()}), LiteRT '
        f'{package_version("ai-edge-litert")}, '
        f'OpenCV {package_version("opencv-python-headless")}, numpy {package_version("numpy")}',
        f'- {settings["runs"]} runs per configuration, interleaved; each: '
        f'{settings["warmup"]:.0f} s warm-up, {settings["seconds"]:.0f} s at '
        f'{INPUT_FPS:.0f} fps, {settings["seconds"]:.0f} s at the maximum rate '
        f'({MAX_CAMERA_FPS:.0f} fps); figures are medians (min-max over the runs)',
        f'- input: {BENCH_FRAMES} prepared 640x480 demo frames '
        f'({BENCH_FRAMES // BENCH_HOLD_FRAMES} pictures, each held {BENCH_HOLD_FRAMES} frames; '
        'BMP folder, looping) through the real camera node, which keeps them decoded in '
        f'memory ({BENCH_FRAMES * 640 * 480 * 3 / 2**20:.0f} MB of its RSS); batches of 5',
        '- p50/p99: prediction arrival at a monitor node (another process) minus the camera '
        'stamp of the newest frame of its batch, at 30 fps',
        '- max frames/s: frames through preprocessor and classifier per second with the '
        'camera at its maximum rate',
        '- CPU ms/frame: CPU seconds (user + system) of each process at the maximum rate '
        'divided by the frames it handled (cam: published, pre: processed, cls: '
        'received; ovl, idle while nobody watches the overlay: per camera frame), '
        'summed over the processes',
        f'- executor: the default (`auto`) is {_auto_executor()} with this rclpy; '
        '"SingleThreadedExecutor" rows are what Humble and Jazzy get',
        '- peak RSS: VmHWM, the sum over the processes (each in brackets)',
        '',
    ]
    lines += readme_block(results)
    problems = [f'- {result.config.label}, {problem}'
                for result in results for problem in result.problems]
    if problems:
        lines += ['', '## Problems', ''] + problems
    lines.append('')
    return '\n'.join(lines)


def report_json(results: Sequence[Result], settings: dict[str, Any],
                load_before: str, load_after: str) -> dict[str, Any]:
    """Return the JSON form of the report (``bench.json``)."""
    return {
        'date': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'machine': f'{cpu_model()}, {os.cpu_count()} cores',
        'load_before': load_before, 'load_after': load_after,
        'settings': settings,
        'default_arrangement': DEFAULT_ARRANGEMENT,
        'configurations': [result.to_json() for result in results],
        'targets': target_lines(results),
    }


CONFIGS = [
    Config('one process, tflite', ONE_PROCESS),
    Config('process per node, tflite', PROCESS_PER_NODE),
    Config('one process, tflite, SingleThreadedExecutor', ONE_PROCESS, executor='single'),
    Config('process per node, tflite, SingleThreadedExecutor', PROCESS_PER_NODE,
           executor='single'),
]
"""What ``make bench`` measures: the launch file's two arrangements as shipped, and
with the executor of Humble and Jazzy."""

EXTRA_CONFIGS = [
    Config('one process, keras', ONE_PROCESS, 'keras'),
    Config('process per node, keras', PROCESS_PER_NODE, 'keras'),
    Config('process per node, tflite, no Fast DDS profile', PROCESS_PER_NODE,
           fastdds_profile=False),
    Config('baseline: one process, keras predict()', ONE_PROCESS, 'keras', baseline=True),
]
"""Further configurations, measured with ``--all`` (or picked with ``--only``)."""


def interleaved(configs: Sequence[Config], runs: int) -> list[tuple[int, Config]]:
    """Return the measuring order: every configuration once per round, ABBA-alternated.

    Reversing every other round spreads a drift of the machine's load evenly over the
    configurations.
    """
    order = []
    for round_index in range(runs):
        sequence = list(configs) if round_index % 2 == 0 else list(reversed(configs))
        order += [(round_index, config) for config in sequence]
    return order


def run_bench(configs: Sequence[Config], runs: int, seconds: float, warmup: float,
              log: Callable[[str], None] = print) -> tuple[list[Result], str, str]:
    """Measure ``configs`` ``runs`` times each, interleaved.

    Returns:
        The results and the machine-load lines before and after.

    """
    isolate_ros_traffic()
    load_before = machine_load()
    log(f'machine load before: {load_before}')
    work_dir = tempfile.mkdtemp(prefix='digit_bench_')
    frame_folder = os.path.join(work_dir, 'frames')
    write_frame_folder(frame_folder, count=BENCH_FRAMES, hold_frames=BENCH_HOLD_FRAMES)
    context = Context()
    rclpy.init(context=context)
    # A namespace of its own as well: other runs that happen to share the DDS domain
    # (parallel test runs pick domains at random) must not be counted.
    monitor = Monitor(context, f'/digit_bench_{os.getpid()}')
    results = {config: Result(config) for config in configs}
    try:
        for round_index, config in interleaved(configs, runs):
            log(f'{config.label}, run {round_index + 1}/{runs}:')
            results[config].runs.append(
                measure(config, frame_folder, work_dir, monitor, seconds, warmup, log))
    finally:
        monitor.destroy()
        context.try_shutdown()
        if not any(result.problems for result in results.values()):
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            log(f'worker logs kept in {work_dir}')
    load_after = machine_load()
    log(f'machine load after: {load_after}')
    return [results[config] for config in configs], load_before, load_after


# --------------------------------------------------------------------------- profile


def profile_pipeline(frames: int, top: int = 15) -> str:
    """Profile the one-process pipeline (``soak.run_soak``) and return the top entries.

    The camera runs at its maximum rate. Times are the main thread's CPU time
    (``time.thread_time``), so waiting for a core on a busy machine is not counted;
    cProfile's own overhead still inflates them, so the table's use is where the time
    goes relative to the rest.

    Returns:
        A markdown table of the ``top`` functions by own time, in ms per frame.

    """
    isolate_ros_traffic()
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    result = run_soak(frames=frames, warmup_frames=min(100, frames // 2), timeout=600.0)
    profiler.disable()
    stats = pstats.Stats(profiler)
    published = max(1, result.frames_published)
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    profiled_ms = sum(entry[2] for entry in stats.stats.values()) * 1000 / published
    others_ms = result.cpu_ms_per_frame - result.main_thread_cpu_ms_per_frame
    lines = [f'cProfile, one-process pipeline, {result.frames_published} frames at the '
             f"camera's maximum rate, {profiled_ms:.2f} ms profiled CPU per frame in all.",
             f'After the warm-up, with the profiler running: {result.cpu_ms_per_frame:.2f} ms '
             'CPU per frame for the process, of which the executor thread (profiled) '
             f'{result.main_thread_cpu_ms_per_frame:.2f} ms and the other threads (the '
             f"camera's capture thread, DDS, timers; not profiled) {others_ms:.2f} ms:",
             '',
             '| function | calls/frame | own ms/frame | with callees ms/frame |',
             '| --- | ---: | ---: | ---: |']
    for (path, line, name), (_, calls, own, cumulative, _) in entries:
        where = name if path == '~' else f'{os.path.basename(path)}:{line} {name}'
        lines.append(f'| `{where}` | {calls / published:.1f} | {own * 1000 / published:.3f} | '
                     f'{cumulative * 1000 / published:.3f} |')
    return '\n'.join(lines) + '\n'


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--worker``, one worker process)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ros_args: list[str] = []
    if '--ros-args' in argv:
        index = argv.index('--ros-args')
        argv, ros_args = argv[:index], argv[index:]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', metavar='FILE.md',
                        help='also write the report to FILE.md and FILE.json')
    parser.add_argument('--runs', type=int, default=3,
                        help='runs of each configuration (interleaved)')
    parser.add_argument('--seconds', type=float, default=5.0,
                        help='measuring time of each phase of each run')
    parser.add_argument('--warmup', type=float, default=2.0,
                        help='seconds after the first predictions before measuring')
    parser.add_argument('--all', action='store_true',
                        help='also measure keras, the predict() baseline and no Fast DDS '
                             'profile')
    parser.add_argument('--only', action='append', metavar='TEXT',
                        help='run only configurations whose label contains TEXT')
    parser.add_argument('--profile', type=int, metavar='FRAMES',
                        help='instead: cProfile the one-process pipeline for FRAMES frames')
    parser.add_argument('--worker', choices=('pipeline',) + NODE_NAMES, help=argparse.SUPPRESS)
    parser.add_argument('--baseline', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--executor', choices=EXECUTORS, default='auto',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args.worker, args.baseline, ros_args, args.executor)
    if args.profile is not None:
        if args.profile < 10:
            parser.error('--profile needs at least 10 frames')
        print(profile_pipeline(args.profile), flush=True)
        return 0
    if args.seconds <= 0 or args.warmup < 0 or args.runs < 1:
        parser.error('--seconds and --runs must be positive, --warmup not negative')
    candidates = CONFIGS + EXTRA_CONFIGS if args.all or args.only else CONFIGS
    configs = [c for c in candidates if not args.only or any(t in c.label for t in args.only)]
    if not configs:
        parser.error('no configuration matches --only')
    settings = {'runs': args.runs, 'seconds': args.seconds, 'warmup': args.warmup,
                'input_fps': INPUT_FPS, 'max_camera_fps': MAX_CAMERA_FPS}
    results, load_before, load_after = run_bench(
        configs, args.runs, args.seconds, args.warmup,
        log=lambda line: print(line, flush=True))
    text = report(results, settings, load_before, load_after)
    text += '\n' + compressed_input_table() + '\n'
    print(text, flush=True)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, 'w', encoding='utf-8') as output:
            output.write(text)
        json_path = os.path.splitext(args.output)[0] + '.json'
        with open(json_path, 'w', encoding='utf-8') as output:
            json.dump(report_json(results, settings, load_before, load_after), output,
                      indent=2)
            output.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
