"""Tests of the field set generator and its evaluation (``make field``)."""

import json
import shutil

from digit_recognition.tools import field, field_distractors, field_scenes, field_writers
from digit_recognition.vision.batching import (
    DEFAULT_MIN_CONFIDENCE, DEFAULT_PRESENT_DIGIT_MARGIN, NO_DIGIT)
from digit_recognition.vision.preprocessing import preprocess, RegionOfInterest
import numpy as np
import pytest


def test_field_frames_are_reproducible_and_distinct():
    """Check: a frame depends only on seed and index; two indices differ."""
    first = field.field_frame(5)
    again = field.field_frame(5)
    np.testing.assert_array_equal(first.frame, again.frame)
    assert first.frame.shape == (480, 640, 3) and first.frame.dtype == np.uint8
    assert not np.array_equal(first.frame, field.field_frame(6).frame)
    assert not np.array_equal(first.frame, field.field_frame(5, seed=1).frame)


def test_field_set_holds_the_conditions_with_their_labels(handwriting_fonts_dir):
    """Check: 2,190 frames; negatives carry NO_DIGIT, digit frames their digit."""
    assert field.field_size() == 2190
    for condition, _ in field.CONDITIONS:
        item = field.field_frame(field.first_index_of(condition) + 3,
                                 fonts_dir=handwriting_fonts_dir)
        assert item.condition == condition
        if condition in field.NEGATIVE_CONDITIONS:
            assert item.label == NO_DIGIT and item.writer == '-'
        else:
            assert item.label == 3
    with pytest.raises(IndexError):
        field.field_frame(field.field_size())
    with pytest.raises(ValueError, match='cats'):
        field.first_index_of('cats')


def test_distractors_cycle_through_every_kind_under_both_tiers():
    """Check: the distractor frames show each kind in realistic and hard light, seeded."""
    start = field.first_index_of('distractors')
    kinds = field_distractors.KINDS
    frames = [field.field_frame(start + i) for i in range(2 * len(kinds))]
    assert [f.kind for f in frames] == list(kinds) * 2
    assert all(f.condition == 'distractors' and f.label == NO_DIGIT and f.writer == '-'
               for f in frames)
    assert all(f.frame.shape == (480, 640, 3) and f.frame.dtype == np.uint8 for f in frames)
    np.testing.assert_array_equal(frames[3].frame, field.field_frame(start + 3).frame)
    assert not np.array_equal(frames[3].frame, field.field_frame(start + 3, seed=1).frame)
    rng = np.random.default_rng(0)
    assert field_distractors.render_distractor('wood', rng, 'clean').shape == (480, 640, 3)
    with pytest.raises(ValueError, match='unknown distractor'):
        field_distractors.render_distractor('cat', rng, 'hard')


def test_distractors_are_never_training_negatives():
    """Check: the training negatives' kinds are the scene generator's, none a distractor."""
    assert not set(field_distractors.KINDS) & set(
        field_scenes.BLANK_KINDS + field_scenes.NO_PAPER_KINDS)


def test_the_false_digit_line_names_every_kind_of_negative():
    """Check: the tables count false digits over blank, no-paper and distractor frames."""
    results = [field.FrameResult(c, 'plain', '-', NO_DIGIT, True,
                                 np.array([0.0, 1.0] + [0.0] * 9, np.float32))
               for c in ('blank', 'no_paper', 'distractors', 'distractors')]
    summary = field.summarise(results, DEFAULT_MIN_CONFIDENCE)
    assert summary['false_digits_on_negatives'] == 4
    assert ('False digits on the 1 blank, 1 no-paper and 2 distractors frames: 4.'
            in field.format_tables(summary))


def test_evaluation_writers_are_not_training_writers():
    """Check: the field set draws synthetic writers from the evaluation range only."""
    start = field.first_index_of('clean')
    writers = [field.field_frame(start + i).writer for i in range(6)]
    assert 'synthetic' in writers and 'hershey' in writers
    assert field_writers.FIRST_EVALUATION_WRITER > 1000


def test_only_training_writers_use_the_training_only_variants():
    """Check: serif "1"s and the like are for training; evaluation writers never use them."""
    first = field_writers.FIRST_EVALUATION_WRITER
    for digit in range(10):
        base = field_writers.StrokeWriter(first).variants(digit)
        assert all(field_writers.StrokeWriter(first + k).variants(digit) == base
                   for k in range(5))
    assert (field_writers.StrokeWriter(0).variants(1)
            > field_writers.StrokeWriter(first).variants(1))


def test_writers_draw_every_digit_as_ink():
    """Check: each synthetic writer and the Hershey fonts give a digit-sized ink image."""
    rng = np.random.default_rng(0)
    for digit in range(10):
        for ink in (field_writers.StrokeWriter(digit).draw(digit, 100, rng),
                    field_writers.hershey_digit(digit, 100, rng)):
            assert ink.dtype == np.float32 and 0.0 <= ink.min() and ink.max() <= 1.0
            assert 60 <= ink.shape[0] <= 140 and ink.max() > 0.9


def test_training_fonts_draw_every_digit_in_every_font():
    """Check: each training font draws each digit as ink of about the height asked for."""
    rng = np.random.default_rng(0)
    installed = field_writers.training_fonts()
    # Only cmti10 is newer than the matplotlib of a ROS install (3.5, 3.6).
    assert set(field_writers.TRAINING_FONTS) - set(installed) <= {'cmti10.ttf'}, installed
    for font in installed:
        for digit in range(10):
            outlines = field_writers._font_outline(font, digit)
            assert outlines and all(len(outline) >= 3 for outline in outlines)
    for digit in range(10):
        ink = field_writers.font_digit(digit, 100, rng)
        assert ink.dtype == np.float32 and 0.0 <= ink.min() and ink.max() == pytest.approx(1.0)
        assert 80 <= ink.shape[0] <= 130 and ink.shape[1] >= 20
    # A zero keeps its hole, whatever the font and pen: the middle of the ink's box is paper.
    for seed in range(20):
        zero = field_writers.font_digit(0, 100, np.random.default_rng(seed))
        h, w = zero.shape
        assert zero[h // 2, w // 2] < 0.1 and zero.mean() < 0.7, seed


def test_training_fonts_are_those_the_folder_has_in_their_order(tmp_path):
    """Check: a matplotlib without some training fonts trains on the others, not on none."""
    shipped = field_writers.matplotlib_fonts_folder()
    for font in ('cmr10.ttf', 'DejaVuSerif.ttf', 'DejaVuSansMono.ttf'):
        shutil.copy(shipped / font, tmp_path / font)
    assert field_writers.training_fonts(tmp_path) == ('DejaVuSerif.ttf', 'cmr10.ttf')
    assert field_writers.training_fonts(tmp_path / 'none') == ()


def test_a_clean_scene_is_read_by_the_preprocessor():
    """Check: a clean scene with a digit keeps ink; a plain blank sheet is empty."""
    rng = np.random.default_rng(1)
    ink = field_writers.StrokeWriter(3).draw(4, 120, rng)
    frame, box, instrument = field_scenes.render_scene(
        field_scenes.SceneSpec(tier='clean', ink=ink), rng)
    # The clean tier writes with a pen or a marker, never a pencil.
    assert instrument in field_scenes.INKS[:3]
    result = preprocess(frame)
    assert not result.is_empty
    # The digit box the generator reports holds what the preprocessor kept.
    assert field._kept_the_digit(result, box)
    blank, no_box, no_instrument = field_scenes.render_scene(
        field_scenes.SceneSpec(tier='clean'), rng)
    assert preprocess(blank).is_empty and no_box is None and no_instrument is None


def test_the_sheet_edge_passes_beside_the_digit_written_on_it():
    """Check: an edge of the sheet crossing the box stops short of the digit, on all sides."""
    box = RegionOfInterest().resolve((480, 640))
    x, y, w, h = written = (box.x + 30, box.y + 40, 120, 130)
    gap = field_scenes.EDGE_GAP
    for side in range(4):
        paper = np.ones((480, 640), np.float32)
        # 35 % of the box in from any side would cross this digit.
        field_scenes._cut_sheet(paper, box, side, 0.35, written)
        assert paper[y - gap:y + h + gap, x - gap:x + w + gap].min() == 1.0
        assert paper.min() == 0.0
        # The edge runs right beside the digit, not further out.
        beside = [paper[:, x - gap - 1], paper[:, x + w + gap], paper[y - gap - 1],
                  paper[y + h + gap]][side]
        assert beside.max() == 0.0
    # Without a digit it is where the cut puts it.
    paper = np.ones((480, 640), np.float32)
    field_scenes._cut_sheet(paper, box, 0, 0.35, None)
    assert paper[:, box.x + 69].max() == 0.0 and paper[:, box.x + 70].min() == 1.0


def test_camera_training_set_labels_and_shapes(mnist_dir):
    """Check: camera examples are 28x28 uint8 with labels 0-10, seeded."""
    from digit_recognition.tools.mnist_idx import load_mnist_test
    test = load_mnist_test(mnist_dir)
    images, labels, kinds = field.camera_training_set(40, 3, test.images[:100],
                                                      test.labels[:100])
    again, _, _ = field.camera_training_set(40, 3, test.images[:100], test.labels[:100])
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    assert len(images) == len(labels) == len(kinds) and 10 <= len(labels) <= 40
    assert set(labels.tolist()) <= set(range(11)) and 10 in labels
    # Each example says what its scene showed; negatives are blank sheets or no paper.
    negative = labels == 10
    assert all(k.split('/')[0] in ('blank', 'no_paper') for k in kinds[negative])
    assert all(k in ('digit/mnist', 'digit/writer', 'digit/font') for k in kinds[~negative])
    np.testing.assert_array_equal(images, again)


def test_camera_training_negatives_include_boxes_the_clutter_test_empties(mnist_dir, monkeypatch):
    """Check: training negatives are rendered without the clutter test, the digits with it.

    The model must learn from the boxes of grain, grid or outlines that the clutter test
    stops: those it lets through narrowly look the same. (The edge-of-light test is left
    out of the negatives too: :func:`test_training_negatives_keep_the_edges_of_light`.)
    """
    from digit_recognition.tools.mnist_idx import load_mnist_test
    from digit_recognition.vision.preprocessing import PreprocessConfig
    test = load_mnist_test(mnist_dir)
    args = (200, 4, test.images[:200], test.labels[:200])
    images, labels, _ = field.camera_training_set(*args)
    monkeypatch.setattr(field, 'NEGATIVE_EXAMPLE_CONFIG', PreprocessConfig())
    images_default, labels_default, _ = field.camera_training_set(*args)
    # The same digits either way; more negatives without the clutter test.
    np.testing.assert_array_equal(images[labels < 10], images_default[labels_default < 10])
    assert np.sum(labels == 10) > np.sum(labels_default == 10)


def test_training_negatives_keep_the_edges_of_light():
    """Check: a strip along an edge of light, which the product drops, is a training negative.

    The field's blank sheet 1028 of seed 303: a hard shadow's edge under glare, that the
    model read as a "1". Strips the edge-of-light test lets through narrowly look the same,
    so the model must learn them as "no digit".
    """
    frame = field.field_frame(1028, 303).frame
    assert preprocess(frame).is_empty
    assert not preprocess(frame, field.NEGATIVE_EXAMPLE_CONFIG).is_empty


def _result(label: int, probs: list[float]) -> field.FrameResult:
    return field.FrameResult('clean', 'plain', 'synthetic', label, True,
                             np.array(probs, np.float32))


def test_summary_rates_each_instrument_and_digit_within_its_condition():
    """Check: the per-ink and per-digit tables count digit frames within their condition."""
    one = [0.0, 1.0] + [0.0] * 9
    results = [field.FrameResult('hard', 'plain', 'synthetic', 1, True, np.array(one), 'pencil'),
               field.FrameResult('hard', 'grid', 'hershey', 2, True, np.array(one), 'pencil'),
               field.FrameResult('hard', 'plain', 'synthetic', 1, True, np.array(one), 'red'),
               field.FrameResult('clean', 'plain', 'synthetic', 1, True, np.array(one), 'red'),
               field.FrameResult('blank', 'plain', '-', NO_DIGIT, False, np.zeros(0))]
    summary = field.summarise(results, DEFAULT_MIN_CONFIDENCE)
    assert summary['instruments'] == {
        'clean/red': {'frames': 1, 'correct': 1.0},
        'hard/pencil': {'frames': 2, 'correct': 0.5},
        'hard/red': {'frames': 1, 'correct': 1.0}}
    assert summary['digits'] == {
        'clean/1': {'frames': 1, 'correct': 1.0},
        'hard/1': {'frames': 2, 'correct': 1.0},
        'hard/2': {'frames': 1, 'correct': 0.0}}
    table = field.format_tables(summary)
    assert '| hard/pencil | 2 | 50.0 % |' in table
    assert '| read right | "0" | "1" | "2" | "3" |' in table
    assert '| clean | - | 100 % | - | - |' in table
    assert '| hard | - | 100 % | 0 % | - | - | - | - | - | - | - |' in table
    assert '| blank |' not in table


def test_summary_reads_sure_digits_below_min_confidence_and_counts_other_digits():
    """Check: present_digit_margin decides the answers; a digit read as another is counted."""
    sure_seven = [0.0, 0.2] + [0.0] * 5 + [0.7999, 0.0, 0.0, 0.0001]   # "no digit" 0.0001
    unsure_seven = [0.0, 0.1] + [0.0] * 5 + [0.8, 0.0, 0.0, 0.1]        # "no digit" 0.1
    results = [_result(7, sure_seven), _result(1, sure_seven), _result(7, unsure_seven)]
    with_margin = field.summarise(results, 0.9, 0.2)
    assert with_margin['conditions']['clean'] == {'frames': 3, 'correct': pytest.approx(1 / 3)}
    assert with_margin['digits_read_as_another'] == 1
    without = field.summarise(results, 0.9, 0.0)
    assert without['conditions']['clean']['correct'] == 0.0
    assert without['digits_read_as_another'] == 0
    assert 'Digit frames read as another digit: 1.' in field.format_tables(with_margin)
    assert field.coverage_curve(results, np.array([0.9]), 0.2)['coverage'] == [
        pytest.approx(2 / 3)]


def test_field_frames_say_what_the_digit_is_written_with():
    """Check: hard-tier digit frames carry an instrument of the tier; negatives none."""
    hard = field.first_index_of('hard')
    instruments = {field.field_frame(hard + i).instrument for i in range(12)}
    assert instruments <= set(field_scenes.INKS) and len(instruments) >= 2
    assert field.field_frame(field.first_index_of('blank')).instrument == '-'


def test_calibration_error():
    """Check: ECE is 0 when confidence matches accuracy and large when overconfident."""
    right = [_result(1, [0.0] + [1.0] + [0.0] * 9) for _ in range(4)]
    assert field.expected_calibration_error(right) == pytest.approx(0.0)
    overconfident = [_result(1, [0.0, 0.95] + [0.0] * 8 + [0.05]),
                     _result(2, [0.0, 0.95] + [0.0] * 8 + [0.05])]
    assert field.expected_calibration_error(overconfident) == pytest.approx(0.45)


def test_choose_min_confidence_respects_the_false_digit_limit():
    """Check: the chosen threshold is the best one whose false-digit rate is allowed."""
    curve = {'threshold': [0.1, 0.5, 0.9], 'correct': [0.99, 0.97, 0.80],
             'false_digit_rate': [0.05, 0.004, 0.0]}
    assert field.choose_min_confidence(curve, 0.005) == 0.5
    assert field.choose_min_confidence(curve, 0.0) == 0.9


def test_make_field_writes_tables_curve_and_errors(tmp_path, handwriting_fonts_dir):
    """Check: the command writes its files; negatives are read with the shipped model."""
    out = tmp_path / 'field'
    assert field.main(['--limit', '40', '--output-dir', str(out),
                       '--fonts-dir', str(handwriting_fonts_dir)]) == 0
    summary = json.loads((out / 'field.json').read_text())
    assert summary['frames'] == 40
    assert summary['min_confidence'] == DEFAULT_MIN_CONFIDENCE
    assert summary['present_digit_margin'] == DEFAULT_PRESENT_DIGIT_MARGIN
    assert 0.0 <= summary['expected_calibration_error'] <= 1.0
    assert (out / 'coverage.png').read_bytes()[:4] == b'\x89PNG'
    tables = (out / 'field.md').read_text()
    assert '| blank (answered "no digit") |' in tables and '| condition / ink |' in tables
