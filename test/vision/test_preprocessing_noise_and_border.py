"""The preprocessor on dark, noisy frames and on bold digits that run out of the box."""

import cv2
from digit_recognition.vision import digit_selection, image_measures, preprocessing
from image_test_utils import correlation, paper, render_digit, ROI_X, ROI_Y, sample_digits
import numpy as np
import pytest

DIGITS, LABELS = sample_digits(8, seed=11)


def _dark_noisy(frame: np.ndarray, seed: int, exposure: float = 0.4,
                noise: float = 10.0) -> np.ndarray:
    """Return the frame as a dark room's camera sees it: low exposure, high-gain noise."""
    rng = np.random.default_rng(seed)
    out = frame.astype(np.float32) * exposure
    out += rng.normal(0.0, noise, frame.shape[:2])[..., None].astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _roi_gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame[ROI_Y:ROI_Y + 200, ROI_X:ROI_X + 200], cv2.COLOR_BGR2GRAY)


def test_a_dark_high_gain_frame_is_noisy_and_a_well_lit_one_is_not():
    """Check: paper in good light is not noisy; the same paper in a dark room is."""
    frame = render_digit(paper(), DIGITS[0], height=120)
    for image, noisy in ((frame, False), (_dark_noisy(frame, seed=1), True)):
        gray = _roi_gray(image)
        assert preprocessing.is_noisy(gray, preprocessing.estimate_paper(gray)) is noisy


def test_a_clean_frame_is_not_filtered():
    """Check: denoising changes nothing on a frame that is not noisy."""
    frame = render_digit(paper(), DIGITS[1], height=120)
    on = preprocessing.preprocess(frame)
    off = preprocessing.preprocess(frame, preprocessing.PreprocessConfig(denoise=False))
    np.testing.assert_array_equal(on.model_input, off.model_input)


@pytest.mark.parametrize('index', range(len(DIGITS)))
def test_denoising_keeps_a_dark_noisy_digit_whole(index):
    """Check: in a dark, noisy frame the denoised digit is closer to the well-lit one.

    Without the filter the noise breaks the ink into specks; with it, the digit the
    model sees correlates better with what it sees of the same digit in good light.
    """
    frame = render_digit(paper(), DIGITS[index], height=120, stroke=2)
    reference = preprocessing.preprocess(frame).model_input
    dark = _dark_noisy(frame, seed=index)
    on = preprocessing.preprocess(dark)
    off = preprocessing.preprocess(dark, preprocessing.PreprocessConfig(denoise=False))
    assert not on.is_empty
    assert correlation(on.model_input, reference) > correlation(off.model_input, reference)
    assert cv2.connectedComponents(on.binary_roi)[0] <= cv2.connectedComponents(
        off.binary_roi)[0]


FAINT_PENCIL = (150, 172, 180)
"""Ink about a quarter darker than the test paper: in a dark frame, about 13 gray levels."""


def _roi_floor(frame: np.ndarray, config: preprocessing.PreprocessConfig) -> int:
    gray = _roi_gray(frame)
    return preprocessing.ink_floor(gray, preprocessing.estimate_paper(gray), config)


@pytest.mark.parametrize('index', range(len(DIGITS)))
def test_faint_ink_in_a_dark_clean_frame_is_read(index):
    """Check: in a dark room with a clean sensor, ink 13 levels darker than paper counts.

    The paper is at about gray 50, where the usual floor of 16 levels rejects faint
    pencil; the sensor noise there is low, so the floor drops to ``dark_min_contrast``.
    """
    frame = render_digit(paper(), DIGITS[index], height=120, stroke=2, ink=FAINT_PENCIL)
    reference = preprocessing.preprocess(
        render_digit(paper(), DIGITS[index], height=120, stroke=2)).model_input
    dark = _dark_noisy(frame, seed=index, exposure=0.22, noise=1.5)
    config = preprocessing.PreprocessConfig()
    assert _roi_floor(dark, config) == config.dark_min_contrast
    result = preprocessing.preprocess(dark, config)
    assert not result.is_empty and correlation(result.model_input, reference) > 0.9
    # The floor that does not drop keeps only fragments of the digit, or nothing.
    fixed = preprocessing.preprocess(
        dark, preprocessing.PreprocessConfig(dark_min_contrast=config.min_contrast))
    assert fixed.is_empty or correlation(fixed.model_input, reference) < 0.6


@pytest.mark.parametrize('seed', range(4))
def test_the_ink_floor_stays_where_noise_or_light_would_pass_a_lower_one(seed):
    """Check: a dark, noisy frame and a bright one keep ``min_contrast``; blanks stay empty.

    In a dark room at high gain, noise reaches the lowered floor; in a bright frame, the
    relative floor decides on paper, and dark regions are the desk or a sleeve.
    """
    config = preprocessing.PreprocessConfig()
    noisy = _dark_noisy(paper(seed=seed), seed=seed, exposure=0.22, noise=8.0)
    assert _roi_floor(noisy, config) == config.min_contrast
    assert _roi_floor(paper(seed=seed), config) == config.min_contrast
    for blank in (noisy, _dark_noisy(paper(seed=seed), seed=seed, exposure=0.22, noise=1.5)):
        assert preprocessing.preprocess(blank).is_empty


def test_sensor_noise_is_the_upper_quartile_of_the_median_residual():
    """Check: a flat image has no noise; one pixel in four off by 9 levels reads 9."""
    flat = np.full((40, 40), 120, np.uint8)
    assert preprocessing.sensor_noise(flat) == 0
    speckled = flat.copy()
    speckled[::2, ::2] += 9  # isolated pixels: the 3x3 median removes them
    assert preprocessing.sensor_noise(speckled) == 9


_POOL, _POOL_LABELS = sample_digits(60, seed=12)
DESCENDERS = _POOL[np.isin(_POOL_LABELS, (1, 4, 7, 9))][:6]
"""Digits whose lowest part is a single stroke (1, 4, 7, 9)."""


@pytest.mark.parametrize('index', range(len(DESCENDERS)))
def test_a_bold_digit_running_out_of_the_box_is_read(index):
    """Check: a big, bold digit whose stroke runs out of the box's bottom is kept whole.

    The stroke crosses the border along about its own width, more than
    ``MAX_BORDER_CONTACT`` of the side; the rest of the digit lies inside the box.
    """
    frame = render_digit(paper(), DESCENDERS[index], height=170, stroke=5,
                         center=(ROI_X + 100, ROI_Y + 112))
    whole = preprocessing.preprocess(
        frame, preprocessing.PreprocessConfig(ignore_border_ink=False))
    contact = np.count_nonzero(whole.digit_mask[-1])
    assert contact > digit_selection.MAX_BORDER_CONTACT * 200, contact
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    np.testing.assert_array_equal(result.digit_mask, whole.digit_mask)


@pytest.mark.parametrize('overshoot', [1, 2])
def test_a_big_round_digit_grazing_the_border_is_read(overshoot):
    """Check: a big 0 whose round top runs just past the box's top border is kept whole.

    The curve meets the border along about twice its stroke width, more than a stroke
    crossing it (``BORDER_STROKE_FACTOR`` 1.5 emptied such digits).
    """
    frame = paper()
    thickness = 12
    centre_y = ROI_Y - overshoot + thickness // 2 + 85
    cv2.ellipse(frame, (ROI_X + 100, centre_y), (50, 85), 0, 0, 360, (30, 30, 30),
                thickness, cv2.LINE_AA)
    whole = preprocessing.preprocess(
        frame, preprocessing.PreprocessConfig(ignore_border_ink=False))
    contact = np.count_nonzero(whole.digit_mask[0])
    assert contact > 1.5 * image_measures.stroke_width(whole.digit_mask), contact
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    np.testing.assert_array_equal(result.digit_mask, whole.digit_mask)


@pytest.mark.parametrize('angle', [25, 30, 35, 40])
def test_a_stroke_entering_at_a_shallow_angle_is_not_taken_for_a_grazing_curve(angle):
    """Check: ink crossing the border at a shallow angle still counts as from outside.

    It meets the border along 1.5-2.5 of its stroke widths, like a grazing curve, but
    two widths further in it is still one stretch that wide, not strokes again. (It
    spans under half the box's height: a big digit centred in the box that the border
    cuts is read, see the test below.)
    """
    binary = np.zeros((200, 200), np.uint8)
    corner_x = 20 + int(58 / np.tan(np.radians(angle)))
    cv2.polylines(binary, [np.array([(20, -3), (corner_x, 58), (corner_x, 90)], np.int32)],
                  False, 255, 12)
    assert cv2.boundingRect(binary)[3] < digit_selection.CUT_DIGIT_MIN_SPAN * 200
    contact = np.count_nonzero(binary[0]) / image_measures.stroke_width(binary)
    assert digit_selection.BORDER_STROKE_FACTOR < contact <= digit_selection.BORDER_CURVE_FACTOR
    assert not cv2.countNonZero(digit_selection.select_digit(binary))


def test_a_dark_band_reaching_across_the_box_is_still_not_a_digit():
    """Check: a wide dark band entering from the side (desk, sleeve) stays ignored."""
    frame = paper()
    cv2.rectangle(frame, (ROI_X - 40, ROI_Y + 60), (ROI_X + 90, ROI_Y + 130), (40, 40, 40), -1)
    assert preprocessing.preprocess(frame).is_empty


def _turned_seven(shift_x: int = 0) -> np.ndarray:
    """Return a 200x200 mask of a big "7" whose bar, turned 20 degrees, runs out of the top.

    The bar crosses the border along about three stroke widths: more than a stroke
    running out (``BORDER_STROKE_FACTOR``) or a curve grazing it (``BORDER_CURVE_FACTOR``).
    """
    mask = np.zeros((200, 200), np.uint8)
    bar_end_y = int(35 - 110 * np.tan(np.radians(20)))
    cv2.polylines(mask, [np.array([(40 + shift_x, 35), (150 + shift_x, bar_end_y),
                                   (95 + shift_x, 190)], np.int32)], False, 255, 14)
    return mask


def test_a_big_digit_that_a_turned_sheet_carries_across_the_border_is_read():
    """Check: a big "7" centred in the box, its bar cut by the top border, is kept whole.

    A sheet held turned carries the end of a big digit's stroke across the border along
    several stroke widths; the whole digit used to be dropped as something reaching in.
    """
    mask = _turned_seven()
    contact = np.count_nonzero(mask[0]) / image_measures.stroke_width(mask)
    assert digit_selection.BORDER_CURVE_FACTOR < contact <= digit_selection.CUT_DIGIT_RUN_FACTOR
    frame = paper()
    roi = frame[ROI_Y:ROI_Y + 200, ROI_X:ROI_X + 200]
    roi[mask > 0] = (40, 40, 40)
    whole = preprocessing.preprocess(
        frame, preprocessing.PreprocessConfig(ignore_border_ink=False))
    result = preprocessing.preprocess(frame)
    assert not result.is_empty
    np.testing.assert_array_equal(result.digit_mask, whole.digit_mask)


def test_the_same_shape_with_its_mass_off_to_one_side_still_counts_as_from_outside():
    """Check: cut by the border the same way but off-centre, it is still not a digit.

    What reaches in from outside (a hand, an object) has its mass near the side it comes
    from; a digit written in the box has it near the centre (``CUT_DIGIT_CENTRE``).
    """
    mask = _turned_seven(shift_x=30)
    assert not mask[:, -1].any() and mask[0].any()
    assert not cv2.countNonZero(digit_selection.select_digit(mask))
    assert cv2.countNonZero(digit_selection.select_digit(_turned_seven()))


def test_a_stick_on_an_object_reaching_in_is_still_not_a_digit():
    """Check: a stick lying across an object that reaches in from the side stays ignored.

    Centred and strokes-like enough to pass for a cut digit otherwise, it holds a blob
    much wider than its mean stroke (``CUT_DIGIT_WIDEST``); a digit's strokes are even.
    """
    mask = np.zeros((200, 200), np.uint8)
    cv2.ellipse(mask, (35, 95), (50, 24), 0, 0, 360, 255, -1)
    cv2.line(mask, (25, 160), (165, 20), 255, 9)
    assert not cv2.countNonZero(digit_selection.select_digit(mask))
    frame = paper()
    frame[ROI_Y:ROI_Y + 200, ROI_X:ROI_X + 200][mask > 0] = (40, 40, 40)
    assert preprocessing.preprocess(frame).is_empty
