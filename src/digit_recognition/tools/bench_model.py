"""Benchmark the shipped digit model's ways of inference, side by side in one process.

Measures, for a batch of 5 digits (one camera frame's worth), the latency of

* Keras ``model.predict(x, verbose=0)`` - how the original blog post ran the model;
* the ``keras`` backend - the model called through a once-traced ``tf.function``;
* the ``tflite`` backend - the LiteRT interpreter;

and the throughput of both backends on large batches. Prints a markdown table.
"""

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
import importlib.metadata
import os
import platform
import statistics
import sys
import time

import cv2
from digit_recognition.vision.inference import load_model
from digit_recognition.vision.model_contract import to_model_batch

import numpy as np

SMALL_BATCH = 5
LARGE_BATCH = 1024


def cpu_model() -> str:
    """Return the CPU model name (for benchmark headers)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(distribution: str) -> str:
    """Return the installed version of ``distribution``, or ``'not installed'``."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return 'not installed'


def reference_work_ms(repeats: int = 7, calls: int = 20) -> float:
    """Return the CPU milliseconds one fixed piece of image work takes on this thread.

    The same OpenCV and NumPy calls (a median filter, a closing, a threshold, connected
    components, an area resize and a sort, as in the preprocessor) on the same random
    256x256 image every time, on one OpenCV thread, whatever this package's code: the
    median of ``repeats`` rounds of ``calls`` each. On the shared build machine the same
    pipeline has cost 2.5 times more CPU a frame in one quarter of an hour than in the
    next, with the load average and CPU use as low in both; taken before and after the
    runs, this figure tells such a slow spell from a change of the code.
    """
    image = np.random.default_rng(0).integers(0, 256, (256, 256), dtype=np.uint8)
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        rounds = []
        for _ in range(repeats):
            start = time.thread_time()
            for _ in range(calls):
                closed = cv2.morphologyEx(cv2.medianBlur(image, 5), cv2.MORPH_CLOSE, square)
                cv2.connectedComponentsWithStats(
                    cv2.threshold(closed, 160, 255, cv2.THRESH_BINARY)[1], connectivity=8)
                cv2.resize(image, (32, 32), interpolation=cv2.INTER_AREA)
                np.sort(image.astype(np.float32), axis=0)
            rounds.append((time.thread_time() - start) * 1000.0 / calls)
    finally:
        cv2.setNumThreads(threads)
    return statistics.median(rounds)


def time_calls(function: Callable[[], object], repeats: int, warmup: int) -> np.ndarray:
    """Call ``function`` ``warmup`` times untimed, then return ``repeats`` latencies in ms."""
    for _ in range(warmup):
        function()
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        function()
        times[i] = time.perf_counter() - start
    return times * 1000.0


def run(repeats: int, threads: int) -> str:
    """Run all measurements and return the markdown report."""
    keras_model = load_model(None, 'keras')
    tflite_model = load_model(None, 'tflite', num_threads=threads)
    import tensorflow as tf

    rng = np.random.default_rng(0)
    small = to_model_batch(rng.integers(0, 256, (SMALL_BATCH, 28, 28), dtype=np.uint8))
    large = to_model_batch(rng.integers(0, 256, (LARGE_BATCH, 28, 28), dtype=np.uint8))

    # predict() costs tens of ms per call, so fewer repetitions keep the run short.
    predict_repeats = max(repeats // 10, 20)
    rows = []
    latencies = {}
    for name, function, count in (
            ('Keras `model.predict(x, verbose=0)`',
             lambda: keras_model.model.predict(small, verbose=0), predict_repeats),
            ('`keras` backend (tf.function call)',
             lambda: keras_model.predict_proba(small), repeats),
            (f'`tflite` backend ({threads} thread{"s" if threads > 1 else ""})',
             lambda: tflite_model.predict_proba(small), repeats)):
        times = time_calls(function, count, warmup=max(count // 20, 5))
        latencies[name] = times
        rows.append((name, SMALL_BATCH, count, float(np.median(times)),
                     float(np.percentile(times, 99)), SMALL_BATCH * 1000.0 / np.median(times)))

    large_repeats = max(repeats // 100, 10)
    for name, function in (
            ('`keras` backend (tf.function call)', lambda: keras_model.predict_proba(large)),
            (f'`tflite` backend ({threads} thread{"s" if threads > 1 else ""})',
             lambda: tflite_model.predict_proba(large))):
        times = time_calls(function, large_repeats, warmup=2)
        rows.append((name, LARGE_BATCH, large_repeats, float(np.median(times)),
                     float(np.percentile(times, 99)), LARGE_BATCH * 1000.0 / np.median(times)))

    predict_median = rows[0][3]
    tflite_median = rows[2][3]
    lines = [
        '# Digit model benchmark',
        '',
        f'- date: {datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}',
        f'- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} '
        f'{platform.machine()}; reference work {reference_work_ms():.2f} ms CPU',
        f'- Python {platform.python_version()}, TensorFlow {tf.__version__}, '
        f'Keras {package_version("keras")}, '
        f'LiteRT (ai-edge-litert) {package_version("ai-edge-litert")}, '
        f'numpy {np.__version__}',
        f'- models: `{keras_model.path.name}`, `{tflite_model.path.name}` '
        f'(TFLite via {tflite_model.runtime})',
        '',
        '| method | batch | calls | median ms | p99 ms | images/s |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
    ]
    lines += [f'| {name} | {batch} | {count} | {median:.3f} | {p99:.3f} | {rate:,.0f} |'
              for name, batch, count, median, p99, rate in rows]
    lines += ['',
              f'Batch of {SMALL_BATCH}: `predict()` median / `tflite` median = '
              f'**{predict_median / tflite_median:.0f}x**; `predict()` median / `keras` backend '
              f'median = {predict_median / rows[1][3]:.0f}x.', '']
    return '\n'.join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and optionally write it to a file."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--output', metavar='FILE', help='also write the table to FILE')
    parser.add_argument('--repeats', type=int, default=2000,
                        help='timed calls per batch-of-5 measurement (predict() gets 1/10)')
    parser.add_argument('--threads', type=int, default=1,
                        help='threads of the TFLite interpreter (the classifier node uses 1)')
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        parser.error('--repeats and --threads must be >= 1')
    table = run(args.repeats, args.threads)
    print(table)
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as output:
            output.write(table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
