"""Tests of the camera-frame preprocessing on synthetic photos of real MNIST digits."""

import cv2

from digit_recognition.vision import digit_selection, mnist_normalization, preprocessing
from digit_recognition.vision.model_contract import INPUT_DTYPE, INPUT_SIDE
from digit_recognition.vision.preprocessing import (
    PreprocessConfig, RegionOfInterest, ThresholdMode)

from image_test_utils import (
    center_of_mass, correlation, ink_bbox_side, mnist_reference, paper, render_digit, rule_lines,
    sample_digits)

import numpy as np

import pytest

DIGITS, LABELS = sample_digits(50, seed=3)
FRAME_H, FRAME_W = paper().shape[:2]

CONDITIONS = {
    'clean': lambda d: render_digit(paper(), d),
    'uneven_light': lambda d: render_digit(paper(gradient=0.6), d),
    'blue_ink': lambda d: render_digit(paper(), d, ink=(140, 50, 20)),
    'thin_strokes': lambda d: render_digit(paper(), d, stroke=-4),
    'thick_strokes': lambda d: render_digit(paper(), d, stroke=6),
    'blur': lambda d: render_digit(paper(), d, blur=2.5),
    'small_40px': lambda d: render_digit(paper(), d, height=40),
    'off_centre': lambda d: render_digit(paper(), d, height=100,
                                         center=(FRAME_W // 2 - 40, FRAME_H // 2 + 35)),
    'lined_paper': lambda d: render_digit(rule_lines(paper()), d),
}

# Conditions that change the digit's shape itself are compared on geometry only.
SHAPE_CHANGING = {'thick_strokes'}


@pytest.mark.parametrize('condition', sorted(CONDITIONS))
def test_camera_conditions_reproduce_mnist(condition):
    """Check: digits photographed under a condition come out like the MNIST original."""
    render = CONDITIONS[condition]
    correlations = []
    for digit in DIGITS:
        result = preprocessing.preprocess(render(digit))
        assert not result.is_empty, condition
        out = result.model_input
        assert out.shape == (INPUT_SIDE, INPUT_SIDE) and out.dtype == INPUT_DTYPE
        assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
        cx, cy = center_of_mass(out)
        assert abs(cx - 14.0) < 1.0 and abs(cy - 14.0) < 1.0, (condition, cx, cy)
        assert 19 <= ink_bbox_side(out, 0.1) <= 21, condition
        correlations.append(correlation(out, mnist_reference(digit)))
    correlations = np.array(correlations)
    if condition in SHAPE_CHANGING:
        assert np.median(correlations) > 0.8, condition
    else:
        assert np.median(correlations) > 0.9, (condition, np.median(correlations))
        assert np.percentile(correlations, 10) > 0.8, condition


EMPTY_FRAMES = {
    'blank_paper': lambda: paper(),
    'lined_paper_only': lambda: rule_lines(paper()),
    'dark_frame': lambda: np.random.default_rng(1).integers(
        5, 20, (FRAME_H, FRAME_W, 3), dtype=np.uint8),
    'uniform_gray': lambda: np.full((FRAME_H, FRAME_W, 3), 128, np.uint8),
    'uneven_light_only': lambda: paper(gradient=0.8),
    'strong_shadow': lambda: _shadowed(paper()),
}


def _shadowed(frame):
    frame[:, FRAME_W // 2:] = (frame[:, FRAME_W // 2:] * 0.55).astype(np.uint8)
    return cv2.GaussianBlur(frame, (0, 0), 3)


@pytest.mark.parametrize('name', sorted(EMPTY_FRAMES))
def test_empty_frames_are_empty(name):
    """Check: empty frames are empty."""
    result = preprocessing.preprocess(EMPTY_FRAMES[name]())
    assert result.is_empty, name
    assert not result.model_input.any()


@pytest.mark.parametrize('mode', list(ThresholdMode))
def test_every_mode_finds_a_clean_digit_and_no_ink_on_blank_paper(mode):
    """Check: every mode finds a clean digit and no ink on blank paper."""
    config = PreprocessConfig(threshold_mode=mode, threshold=120)
    digit = DIGITS[0]
    result = preprocessing.preprocess(render_digit(paper(), digit), config)
    assert not result.is_empty
    assert correlation(result.model_input, mnist_reference(digit)) > 0.85
    assert preprocessing.preprocess(paper(), config).is_empty


def test_default_mode_is_adaptive():
    """Check: default mode is adaptive."""
    assert PreprocessConfig().threshold_mode is ThresholdMode.ADAPTIVE


@pytest.mark.parametrize('threshold', [0, 1, 77, 128, 200, 255, 256])
def test_fixed_threshold_is_honoured_exactly(threshold):
    """Check: fixed threshold is honoured exactly."""
    # Every gray level 0-255, as a 16x16 mono image filling the ROI.
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    config = PreprocessConfig(roi=RegionOfInterest(0, 0, 16, 16),
                              threshold_mode=ThresholdMode.FIXED, threshold=threshold)
    result = preprocessing.preprocess(levels, config)
    np.testing.assert_array_equal(result.binary_roi == 255, levels < threshold)
    assert set(np.unique(result.binary_roi)) <= {0, 255}


def test_fixed_threshold_on_bgr_frame_uses_gray_value():
    """Check: fixed threshold on bgr frame uses gray value."""
    frame = np.full((100, 100, 3), 100, np.uint8)
    config = PreprocessConfig(roi=RegionOfInterest(0, 0, 100, 100),
                              threshold_mode='fixed', threshold=101)
    assert (preprocessing.preprocess(frame, config).binary_roi == 255).all()
    config.threshold = 100
    assert not preprocessing.preprocess(frame, config).binary_roi.any()


def test_default_roi_is_centred_200():
    """Check: default roi is centred 200."""
    box, clipped = preprocessing.clip_roi(RegionOfInterest(), (480, 640, 3))
    assert box == RegionOfInterest(220, 140, 200, 200) and not clipped


def test_roi_larger_than_image_is_clipped():
    """Check: roi larger than image is clipped."""
    frame = render_digit(paper(), DIGITS[1])
    config = PreprocessConfig(roi=RegionOfInterest(-50, -50, 900, 700))
    result = preprocessing.preprocess(frame, config)
    assert result.roi == RegionOfInterest(0, 0, FRAME_W, FRAME_H)
    assert result.roi_clipped
    assert result.binary_roi.shape == (FRAME_H, FRAME_W)
    assert not result.is_empty
    assert correlation(result.model_input, mnist_reference(DIGITS[1])) > 0.85


def test_roi_partly_outside_is_clipped_and_centred_roi_on_small_frame():
    """Check: roi partly outside is clipped and centred roi on small frame."""
    box, clipped = preprocessing.clip_roi(RegionOfInterest(600, 400, 100, 100), (480, 640))
    assert box == RegionOfInterest(600, 400, 40, 80) and clipped
    box, clipped = preprocessing.clip_roi(RegionOfInterest(), (100, 120))
    assert box == RegionOfInterest(0, 0, 120, 100) and clipped


@pytest.mark.parametrize('roi', [RegionOfInterest(10, 10, 0, 50),
                                 RegionOfInterest(10, 10, 50, 0),
                                 RegionOfInterest(10, 10, -5, 50),
                                 RegionOfInterest(700, 10, 50, 50),
                                 RegionOfInterest(10, -80, 50, 50)])
def test_empty_or_outside_roi_is_handled(roi):
    """Check: empty or outside roi is handled."""
    assert preprocessing.clip_roi(roi, (480, 640, 3)) == (None, True)
    result = preprocessing.preprocess(paper(), PreprocessConfig(roi=roi))
    assert result.is_empty and result.roi is None and result.roi_clipped
    assert result.model_input.shape == (INPUT_SIDE, INPUT_SIDE) and not result.model_input.any()


def test_mono_and_bgra_frames_are_accepted():
    """Check: mono and bgra frames are accepted."""
    frame = render_digit(paper(), DIGITS[2])
    bgr = preprocessing.preprocess(frame).model_input
    gray = preprocessing.preprocess(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)).model_input
    bgra = preprocessing.preprocess(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)).model_input
    np.testing.assert_allclose(gray, bgr, atol=0.05)
    np.testing.assert_allclose(bgra, bgr, atol=0.05)


def test_rejects_non_uint8():
    """Check: rejects non uint8."""
    with pytest.raises(ValueError):
        preprocessing.preprocess(np.zeros((10, 10), np.float32))


def test_noise_specks_are_ignored():
    """Check: noise specks are ignored."""
    frame = render_digit(paper(), DIGITS[4])
    clean = preprocessing.preprocess(frame).model_input
    rng = np.random.default_rng(5)
    for _ in range(40):
        x, y = rng.integers(225, 415), rng.integers(145, 335)
        cv2.circle(frame, (int(x), int(y)), 1, (20, 20, 20), -1)
    noisy = preprocessing.preprocess(frame)
    assert correlation(noisy.model_input, clean) > 0.9


def test_broken_digit_keeps_all_pieces():
    """Check: broken digit keeps all pieces."""
    # A "5" drawn as two separate strokes: the flag and the body.
    frame = paper()
    cv2.line(frame, (300, 170), (360, 170), (30, 30, 30), 9)
    cv2.line(frame, (300, 182), (300, 230), (30, 30, 30), 9)
    cv2.ellipse(frame, (320, 260), (35, 35), 0, -120, 140, (30, 30, 30), 9)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    ys, xs = np.nonzero(result.digit_mask)
    assert ys.min() <= 170 - 140 and ys.max() >= 290 - 140


def test_a_bold_printed_digit_has_no_holes():
    """Check: strokes 30 % of the box wide are ink all through, not paper in their middle."""
    frame = paper()
    # A bold "1" inside the 200x200 box at (220, 140): a 60 px stem, 150 px tall with
    # its round caps, and a foot.
    cv2.line(frame, (320, 200), (320, 290), (40, 40, 40), 60)
    cv2.line(frame, (270, 310), (370, 310), (40, 40, 40), 30)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    stem = result.digit_mask[60:150, 100 - 25:100 + 25]
    assert cv2.countNonZero(stem) == stem.size


def test_a_bold_stroke_lit_unevenly_has_no_holes():
    """Check: a bold stroke whose gray varies across it is still ink all through.

    The paper estimate inside a stroke wider than its kernel is the stroke's lightest
    ink nearby, here 30 gray levels above its darkest, about 15 above its mean.
    """
    frame = paper()
    ink = np.zeros(frame.shape[:2], np.uint8)
    cv2.line(ink, (320, 200), (320, 290), 255, 60)
    cv2.line(ink, (270, 310), (370, 310), 255, 30)
    # Light falls from the right: the stem's gray rises from 25 to 55 across it.
    gray = np.clip(25 + (np.arange(frame.shape[1]) - 290) / 2, 25, 55).astype(np.uint8)
    ys, xs = np.nonzero(ink)
    frame[ys, xs] = gray[xs, None]
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    stem = result.digit_mask[60:150, 100 - 25:100 + 25]
    assert cv2.countNonZero(stem) == stem.size


def test_a_stroke_broken_into_grains_is_kept_with_the_digit():
    """Check: a stroke fallen apart into small grains (pencil, glare) stays part of the digit."""
    # A "7": a solid bar, and a downstroke of dots 2 px apart, each far under
    # min_component_fraction of the bar.
    frame = paper()
    cv2.line(frame, (290, 180), (350, 180), (30, 30, 30), 9)
    for step in range(20):
        cv2.circle(frame, (350 - 3 * step, 186 + 6 * step), 2, (30, 30, 30), -1)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    ys, _ = np.nonzero(result.digit_mask)
    # The dots reach down to y = 186 + 6 * 19 + 2 = 302 in the frame, 162 in the box.
    assert ys.max() >= 302 - 140 - 2


def test_ruled_lines_crossing_the_digit_are_removed_and_stroke_restored():
    """Check: ruled lines crossing the digit are removed and stroke restored."""
    frame = paper()
    for y in range(150, 330, 30):
        frame[y:y + 3] = (frame[y:y + 3] * np.array([0.55, 0.5, 0.45])).astype(np.uint8)
    cv2.line(frame, (320, 160), (320, 320), (30, 30, 30), 10)  # a "1"
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    mask = result.digit_mask
    ys, xs = np.nonzero(mask)
    assert xs.max() - xs.min() < 20, 'ruled lines were kept as ink'
    column = mask[20:180, 320 - 220]
    assert column.all(), 'the stroke was cut where the lines crossed it'


def test_a_bold_digit_as_tall_as_the_box_is_not_a_ruled_line():
    """Check: a bold stroke spanning 92 % of the box is kept whole; the rulings go."""
    frame = paper()
    for y in range(165, 330, 30):  # rulings across the stroke, not its round ends
        frame[y:y + 3] = (frame[y:y + 3] * np.array([0.55, 0.5, 0.45])).astype(np.uint8)
    # A bold "1", 30 px thick, from 8 px under the box's top to 8 px above its bottom.
    cv2.line(frame, (320, 140 + 23), (320, 140 + 177), (30, 30, 30), 30)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    ys, xs = np.nonzero(result.digit_mask)
    assert ys.min() <= 10 and ys.max() >= 190 and xs.max() - xs.min() < 40
    assert result.digit_mask[23:178, 100 - 12:100 + 12].all(), 'the stroke was cut'


def test_remove_ruled_lines_keeps_a_bold_stroke_but_not_a_thick_band_across():
    """Check: only a thick run crossing the whole mask counts as a line."""
    mask = np.zeros((200, 200), np.uint8)
    mask[100:103, :] = 255  # a ruling
    mask[8:192, 85:115] = 255  # a bold stroke, not reaching the top or bottom
    out = digit_selection.remove_ruled_lines(mask)
    assert out[8:192, 85:115].all()
    assert not out[100:103, :80].any() and not out[100:103, 120:].any()
    mask[:, 10:40] = 255  # a band as thick, from the top to the bottom (desk, shadow)
    assert not digit_selection.remove_ruled_lines(mask)[:, 10:40].any()


def _tilted_grid(frame, spacing=24, degrees=4.0, darkness=0.3):
    """Draw a light-blue grid turned by ``degrees`` over a frame, in place; return it."""
    lines = np.zeros(frame.shape[:2], np.uint8)
    h, w = lines.shape
    for offset in range(-max(h, w), 2 * max(h, w), spacing):
        cv2.line(lines, (offset, -h), (offset, 2 * h), 255, 2)
        cv2.line(lines, (-w, offset), (2 * w, offset), 255, 2)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    lines = cv2.warpAffine(lines, turn, (w, h))
    shade = 1.0 - darkness * (lines[..., None] / 255.0) * np.array([0.2, 0.7, 1.0])
    frame[:] = (frame * shade).astype(np.uint8)
    return frame


@pytest.mark.parametrize('index', range(5))
def test_a_small_digit_on_a_tilted_grid_is_found_without_the_grid(index):
    """Check: a small dark digit is found, not the grid's lines that outnumber its ink."""
    frame = render_digit(_tilted_grid(paper()), DIGITS[index], height=40)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty, 'the digit was lost in the grid'
    ys, xs = np.nonzero(result.digit_mask)
    assert xs.max() - xs.min() < 60 and ys.max() - ys.min() < 60, 'grid lines kept as ink'
    alone = preprocessing.preprocess(render_digit(paper(), DIGITS[index], height=40))
    assert correlation(result.model_input, alone.model_input) > 0.8


def test_ink_level_is_the_darkest_strokes_when_fainter_marks_outnumber_them():
    """Check: the 90th percentile, unless many fainter pixels hide a small dark digit."""
    relative = np.zeros((200, 200), np.uint8)
    relative[50:150, 90:110] = np.linspace(60, 220, 100, dtype=np.uint8)[:, None]
    ink = (relative > 0).astype(np.uint8) * 255
    assert preprocessing._ink_level(relative, ink) == pytest.approx(204, abs=2)
    relative[:] = 0
    relative[90:110, 90:110] = 200  # a small digit's 400 pixels
    relative[::10, :] = np.where(relative[::10, :] > 0, relative[::10, :], 60)  # a grid's
    relative[:, ::10] = np.where(relative[:, ::10] > 0, relative[:, ::10], 60)
    ink = (relative > 0).astype(np.uint8) * 255
    assert preprocessing._ink_level(relative, ink) == 200
    relative[relative == 60] = 120  # lines darker than half the digit: the percentile
    assert preprocessing._ink_level(relative, ink) == 120


def test_remove_ruled_lines_keeps_short_strokes():
    """Check: remove ruled lines keeps short strokes."""
    mask = np.zeros((200, 200), np.uint8)
    mask[50:52, :] = 255
    mask[100:104, 60:140] = 255
    out = digit_selection.remove_ruled_lines(mask)
    assert not out[50:52].any()
    assert out[100:104, 60:140].all()


def test_thin_strokes_are_thickened_to_mnist_width():
    """Check: thin strokes are thickened to mnist width."""
    thin = np.zeros((160, 160), np.uint8)
    cv2.circle(thin, (80, 80), 70, 255, 2)
    out = mnist_normalization.normalize_digit(thin)
    thin_mass = mnist_normalization.normalize_digit(thin, thicken_thin_strokes=False).sum()
    assert out.sum() > 1.5 * thin_mass
    # MNIST strokes are about 2 px wide: a 20 px ring has a mass of about 2 * pi * 9.
    assert 0.6 * 2 * np.pi * 9 * 2 < out.sum() < 1.6 * 2 * np.pi * 9 * 2


def test_binary_roi_is_for_display():
    """Check: binary roi is for display."""
    frame = render_digit(paper(), DIGITS[5])
    result = preprocessing.preprocess(frame)
    assert result.binary_roi.dtype == np.uint8 and result.binary_roi.shape == (200, 200)
    assert set(np.unique(result.binary_roi)) == {0, 255}
    assert set(np.unique(result.digit_mask)) == {0, 255}


@pytest.mark.parametrize('shape', [(1, 1), (1, 1, 3), (5, 300, 3), (64, 64, 3), (3, 3, 4),
                                   (480, 640, 1)])
@pytest.mark.parametrize('mode', list(ThresholdMode))
def test_tiny_and_odd_frames_do_not_crash(shape, mode):
    """Check: any frame size and channel count gives a well-formed result."""
    frame = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    result = preprocessing.preprocess(frame, PreprocessConfig(threshold_mode=mode))
    assert result.model_input.shape == (INPUT_SIDE, INPUT_SIDE)
    assert result.model_input.dtype == INPUT_DTYPE


def test_faint_pencil_on_dim_paper_next_to_glare_is_a_digit():
    """Check: faint pencil on dimly lit paper, beside a glare spot, is read as a digit.

    The paper is at gray 64, the pencil about 20 levels darker; a floor of 24 levels
    (the earlier default ``min_contrast``) rejected such frames as empty.
    """
    digit = DIGITS[0]
    frame = paper(color=(60, 64, 66))
    glare = np.zeros(frame.shape[:2], np.float32)
    cv2.circle(glare, (FRAME_W // 2 + 90, FRAME_H // 2 - 70), 40, 1.0, -1)
    glare = cv2.GaussianBlur(glare, (0, 0), 20)[..., None]
    frame = np.clip(frame + glare * 160.0, 0, 255).astype(np.uint8)
    frame = render_digit(frame, digit, ink=(161, 161, 161))
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    assert correlation(result.model_input, mnist_reference(digit)) > 0.8
    # A fixed floor of 24 levels (no lower floor in a dark frame either) rejects it.
    assert preprocessing.preprocess(
        frame, PreprocessConfig(min_contrast=24, dark_min_contrast=24)).is_empty
    # The same dim paper and glare without the pencil stays empty.
    blank = np.clip(paper(color=(60, 64, 66)) + glare * 160.0, 0, 255).astype(np.uint8)
    assert preprocessing.preprocess(blank).is_empty


def _short_mark(length: int, angle: float) -> np.ndarray:
    """Return paper with one dark straight mark 2 px wide, ``length`` px long, in the box."""
    frame = paper()
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    centre = np.array([FRAME_W // 2 + 20, FRAME_H // 2 - 10])
    ends = [tuple(int(v) for v in centre + s * direction * length / 2) for s in (-1, 1)]
    cv2.line(frame, ends[0], ends[1], (60, 60, 65), 2, cv2.LINE_AA)
    return frame


@pytest.mark.parametrize('length', [12, 16, 20])
@pytest.mark.parametrize('angle', [80, 100, 135])
def test_a_short_straight_mark_is_not_a_digit(length, angle):
    """Check: a staple, a fibre or a pencil dash 6-10 % of the box long is no digit.

    Scaled into 28x28 any short straight mark is a perfect "1"; the smallest digits the
    product reads are 15 % of the box high (``min_digit_size`` 0.12 leaves them a margin).
    """
    assert preprocessing.preprocess(_short_mark(length, angle)).is_empty


def test_the_size_rule_is_what_rejects_a_short_mark():
    """Check: at the earlier ``min_digit_size`` 0.08 a 20 px mark passed as a digit."""
    frame = _short_mark(20, 90)
    assert not preprocessing.preprocess(frame, PreprocessConfig(min_digit_size=0.08)).is_empty
    assert preprocessing.preprocess(frame).is_empty


@pytest.mark.parametrize('index', range(10))
def test_a_digit_fifteen_percent_of_the_box_high_is_read(index):
    """Check: a digit 30 px high in the 200 px box (the smallest the field set has) is kept."""
    frame = render_digit(paper(), DIGITS[index], height=30)
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    alone = preprocessing.preprocess(render_digit(paper(), DIGITS[index], height=60))
    assert correlation(result.model_input, alone.model_input) > 0.7
