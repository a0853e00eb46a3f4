"""The pipeline bench's statistics, its measuring order, and the README's copy of its table."""

import math
from pathlib import Path
import re

import cv2
from digit_recognition.nodes import launch_arguments
from digit_recognition.tools import bench_model, bench_pipeline
from digit_recognition.tools.bench_pipeline import (
    Config, CONFIGS, cpu_ms_per_frame, DEFAULT_ARRANGEMENT, interleaved, README_BEGIN,
    README_END, Result, RunResult, Spread, TABLE_HEADER, table_rows, target_lines)

README = Path(__file__).resolve().parents[2] / 'README.md'


def _readme_block():
    text = README.read_text(encoding='utf-8')
    assert README_BEGIN in text and README_END in text, 'README lacks the make bench block'
    return text.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip().splitlines()


def _result(config, values):
    """Return a Result with one run per value, every figure of a run derived from it."""
    result = Result(config)
    for value in values:
        processes = config.worker_names
        result.runs.append(RunResult(
            latencies_ms=[value, 2 * value], max_fps=100 * value,
            cpu_ms_per_frame={**{name: value for name in processes},
                              'total': value * len(processes)},
            rss_mb={name: 10 * value for name in processes}))
    return result


def test_spread_is_median_min_max_of_the_runs():
    """Check: median and range over the runs; NaN runs are left out; all NaN gives NaN."""
    spread = Spread.of([3.0, 1.0, float('nan'), 2.0, 10.0])
    assert (spread.median, spread.low, spread.high) == (2.5, 1.0, 10.0)
    assert spread.text('.1f') == '2.5 (1.0-10.0)'
    assert Spread.of([4.0, 4.0]).text('.0f') == '4'
    assert math.isnan(Spread.of([float('nan')]).median)
    assert Spread.of([]).text() == '-'


def test_cpu_per_frame_divides_each_process_by_its_own_frames():
    """Check: camera by published, preprocessor by processed, classifier by received."""
    frames = {'frames_published': 200, 'frames_processed': 100, 'frames_received': 50}
    seconds = {'camera': 0.2, 'preprocessor': 0.3, 'classifier': 0.05, 'overlay': 0.02}
    result = cpu_ms_per_frame(seconds, frames)
    assert result['camera'] == 1.0
    assert result['preprocessor'] == 3.0
    assert result['classifier'] == 1.0
    assert result['overlay'] == 0.1
    assert math.isclose(result['total'], 5.1)
    one = cpu_ms_per_frame({'pipeline': 0.4}, frames)
    assert one['pipeline'] == one['total'] == 4.0
    assert math.isnan(cpu_ms_per_frame({'pipeline': 0.4}, {})['total'])


def test_runs_are_interleaved_abba():
    """Check: each configuration runs once per round, every other round reversed."""
    a, b, c = (Config(name, bench_pipeline.ONE_PROCESS) for name in 'abc')
    order = interleaved([a, b, c], 3)
    assert [config.label for _, config in order] == list('abccbaabc')
    assert [round_index for round_index, _ in order] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_reference_work_runs_on_one_opencv_thread_and_gives_it_back():
    """Check: the machine's reference work is a CPU time; OpenCV keeps its thread count.

    It runs in the bench's own process, whose OpenCV setting must not change.
    """
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        took = bench_model.reference_work_ms(repeats=3, calls=2)
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)
    assert math.isfinite(took) and took > 0.0
    assert re.search(r'; reference work \d+\.\d\d ms CPU$', bench_pipeline.machine_load(0.1))


def test_json_entry_has_the_documented_fields():
    """Check: name, runs, the five medians, default flag and the spread of each."""
    config = next(c for c in CONFIGS if c.is_default)
    entry = _result(config, [1.0, 3.0, 2.0]).to_json()
    assert entry['name'] == config.label and entry['default'] is True
    assert entry['runs'] == 3
    assert entry['cpu_ms_per_frame'] == 2.0 * len(config.worker_names)
    assert entry['spread']['max_fps'] == [100.0, 300.0]
    for figure in bench_pipeline.FIGURES:
        assert isinstance(entry[figure], float), figure
    assert sum(_result(c, [1.0]).to_json()['default'] for c in CONFIGS) == 1


def test_default_row_is_the_launch_files_default_arrangement():
    """Check: exactly one configuration of make bench is the default, as shipped."""
    defaults = [config for config in CONFIGS if config.is_default]
    assert len(defaults) == 1
    assert defaults[0].arrangement == DEFAULT_ARRANGEMENT
    # The launch argument spells it with underscores: 'one process' is 'one_process'.
    assert defaults[0].arrangement.replace(' ', '_') == launch_arguments.DEFAULT_ARRANGEMENT
    assert defaults[0].backend == 'tflite' and defaults[0].executor == 'auto'


def test_readme_table_has_the_benchs_columns_and_configurations():
    """Check: the README's table is what make bench prints: same header, same rows."""
    block = _readme_block()
    table = [line for line in block if line.startswith('|')]
    emitted = table_rows([_result(config, [1.0]) for config in CONFIGS])
    assert table[0] == TABLE_HEADER
    assert table[1] == emitted[1]
    names = [row.split('|')[1].strip() for row in table[2:]]
    assert names == [row.split('|')[1].strip() for row in emitted[2:]]


def test_readme_targets_are_the_ones_the_bench_judges():
    """Check: one README line per target line of the bench, same wording up to the verdict."""
    block = _readme_block()
    verdict = re.compile(r': (met|\*\*MISSED\*\*) \(')
    readme = [verdict.split(line)[0] for line in block if verdict.search(line)]
    emitted = [verdict.split(line)[0]
               for line in target_lines([_result(config, [1.0]) for config in CONFIGS])]
    assert readme == emitted
