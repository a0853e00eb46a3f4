"""The second look: lower threshold and floor, read when the first has no digit or part of one."""

import dataclasses

import cv2
from digit_recognition.vision import digit_input, preprocessing
from digit_recognition.vision.batching import (
    BatchEntry, combine_with_second_look, NO_DIGIT, predict_batch)
from image_test_utils import paper, render_digit, sample_digits, seven_with_a_faint_stem
import numpy as np
import pytest


DIGITS, _ = sample_digits(5, seed=11)


def _row(digit: int, p: float) -> np.ndarray:
    """Model output: ``p`` on ``digit`` (10: "no digit"), the rest spread evenly."""
    row = np.full(11, (1.0 - p) / 10, np.float32)
    row[digit] = p
    return row


def _ink_rows(image: np.ndarray) -> int:
    rows = np.flatnonzero(image.max(axis=1) > 0.5)
    return int(rows[-1] - rows[0] + 1)


def test_a_faint_stroke_is_in_the_second_look_only():
    """Check: a stroke fainter than the first look's threshold is in the second look."""
    result = preprocessing.preprocess(seven_with_a_faint_stem())
    assert not result.is_empty
    assert result.second_look is not None
    # The first look kept the bar alone (scaled up, but short); the second, the whole 7.
    first_x, first_y, first_w, first_h = cv2.boundingRect(result.digit_mask)
    assert first_h < 20, (first_w, first_h)
    assert _ink_rows(result.second_look) >= 18 > _ink_rows(result.model_input)
    assert result.second_look.shape == result.model_input.shape
    assert result.second_look.dtype == result.model_input.dtype


def test_a_stroke_as_faint_as_paper_texture_is_in_neither_look():
    """Check: the second look still needs the ink floor: a stem 10 % darker is no ink."""
    result = preprocessing.preprocess(seven_with_a_faint_stem(0.10))
    assert not result.is_empty
    assert result.second_look is None


def test_the_second_look_has_a_lower_floor_for_faint_pencil():
    """Check: in a faint digit, a stroke under the first look's floor is in the second look.

    Bar 0.25 and stem 0.16 darker than the paper: both thresholds (0.45 and 0.30 of the
    bar's darkness) lie under the floors, so the floor alone decides; the stem passes
    the second look's (``second_look_min_relative_contrast``, 0.14) and not the first's
    (``min_relative_contrast``, 0.18).
    """
    frame = seven_with_a_faint_stem(0.16, bar_darkness=0.25)
    config = preprocessing.PreprocessConfig()
    assert config.second_look_min_relative_contrast < 0.16 < config.min_relative_contrast
    result = preprocessing.preprocess(frame, config)
    assert not result.is_empty and result.second_look is not None
    assert cv2.boundingRect(result.digit_mask)[3] < 20
    assert _ink_rows(result.second_look) >= 18 > _ink_rows(result.model_input)
    same_floor = dataclasses.replace(config, second_look_min_relative_contrast=0.18)
    assert preprocessing.preprocess(frame, same_floor).second_look is None


@pytest.mark.parametrize('blur', [0.0, 1.5])
def test_no_second_look_when_the_lower_threshold_only_widens_the_strokes(blur):
    """Check: dark digits, sharp or blurred, give the lower threshold only a softer rim."""
    for digit in DIGITS:
        result = preprocessing.preprocess(render_digit(paper(), digit, blur=blur))
        assert not result.is_empty
        assert result.second_look is None


@pytest.mark.parametrize('config', [
    preprocessing.PreprocessConfig(second_look_threshold=0.0),
    preprocessing.PreprocessConfig(second_look_threshold=0.45),
    preprocessing.PreprocessConfig(threshold_mode='otsu'),
    preprocessing.PreprocessConfig(threshold_mode='fixed', threshold=200),
])
def test_no_second_look_when_it_is_off_or_not_lower(config):
    """Check: 0, a threshold not below the first, or another mode: no second look."""
    result = preprocessing.preprocess(seven_with_a_faint_stem(), config)
    assert result.second_look is None


def test_no_second_look_without_a_first_digit():
    """Check: blank paper has neither a digit nor a second look."""
    result = preprocessing.preprocess(paper())
    assert result.is_empty and result.second_look is None


def test_the_second_look_keeps_the_first_looks_rejections():
    """Check: a frame the first look rejects as clutter stays rejected by the second."""
    frame = seven_with_a_faint_stem()
    relaxed = dataclasses.replace(preprocessing.PreprocessConfig(), max_ink_fraction=0.001)
    result = preprocessing.preprocess(frame, relaxed)
    assert result.is_empty and result.second_look is None


def test_combine_takes_the_second_look_when_the_first_gives_no_digit_or_another():
    """Check: the second look answers when the first has no digit or it reads another one."""
    confident, unsure, none = _row(7, 0.97), _row(7, 0.6), _row(10, 0.97)
    first = np.stack([confident])
    # The first look kept part of the digit, the second look all of it.
    other = combine_with_second_look(first, np.stack([_row(1, 0.99)]), [False])
    assert other.digit == 1 and other.confidence == pytest.approx(0.99)
    # The same digit, no digit or an unsure one in the second look: the first look's.
    for second in (_row(7, 0.99), none, _row(1, 0.9)):
        kept = combine_with_second_look(first, np.stack([second]), [False])
        assert kept.digit == 7 and kept.confidence == pytest.approx(0.97)
    assert combine_with_second_look(first, None, [False]).digit == 7
    rescued = combine_with_second_look(np.stack([unsure]), np.stack([confident]), [False])
    assert rescued.digit == 7 and rescued.confidence == pytest.approx(0.97)
    kept = combine_with_second_look(np.stack([unsure]), np.stack([none]), [False])
    assert kept.digit == NO_DIGIT and kept.confidence == pytest.approx(0.6)
    assert combine_with_second_look(np.stack([unsure]), None, [False]).digit == NO_DIGIT
    # "No digit" the first look's likeliest answer: no second look makes it a digit.
    for no_digit in (_row(10, 0.5), _row(10, 0.97)):
        kept = combine_with_second_look(np.stack([no_digit]), np.stack([confident]), [False])
        assert kept.digit == NO_DIGIT
    digit_likelier = _row(7, 0.5)
    digit_likelier[10] = 0.45
    assert combine_with_second_look(np.stack([digit_likelier]), np.stack([confident]),
                                    [False]).digit == 7
    # min_confidence holds for the second look too.
    assert combine_with_second_look(np.stack([unsure]), np.stack([_row(7, 0.85)]),
                                    [False], min_confidence=0.9).digit == NO_DIGIT
    assert combine_with_second_look(first, np.stack([_row(1, 0.93)]), [False],
                                    min_confidence=0.95).digit == 7


def _image(row: int) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[row] = 1.0
    return image


def test_predict_batch_runs_the_model_once_more_on_the_frames_with_a_second_look():
    """Check: a second model run, on the frames with a second look, and none without.

    The model here reads the brightest row: row 3 is an unsure "3", row 8 a sure "8",
    row 1 a sure "1".
    """
    calls = []

    def predict(batch):
        calls.append(len(batch))
        rows = [int(image[:, :, 0].sum(axis=1).argmax()) for image in batch]
        return np.stack([_row(r, 0.98) if r in (1, 8) else _row(3, 0.5) for r in rows])

    sure = [BatchEntry(_image(8), second_look=_image(3)) for _ in range(3)]
    assert predict_batch(sure, predict).digit == 8
    assert calls == [3, 3]
    calls.clear()
    assert predict_batch([BatchEntry(_image(8))] * 2, predict).digit == 8
    assert calls == [2]
    calls.clear()
    # Sure second looks of another digit on three of five frames: the other two repeat
    # their first rows, 3 x 0.98 / 5 on "1" is under 0.95 and the "8" stands; on every
    # frame, the "1" is the answer.
    some = [BatchEntry(_image(8), second_look=_image(1) if i < 3 else None) for i in range(5)]
    assert predict_batch(some, predict).digit == 8
    every = [BatchEntry(_image(8), second_look=_image(1)) for _ in range(5)]
    assert predict_batch(every, predict).digit == 1
    calls.clear()
    unsure = [BatchEntry(_image(3), second_look=_image(8)), BatchEntry(None, True),
              BatchEntry(_image(3), second_look=_image(8)), BatchEntry(_image(3))]
    result = predict_batch(unsure, predict, min_confidence=0.6)
    # Second run on the two frames with a second look; the third keeps its first output.
    assert calls == [3, 2]
    assert result.digit == 8 and result.frame_count == 4
    assert result.confidence == pytest.approx((0.98 * 2 + 0.05) / 3, abs=1e-6)
    calls.clear()
    assert predict_batch([BatchEntry(_image(3))], predict).digit == NO_DIGIT
    assert calls == [1]


def test_digit_input_carries_the_second_look_below_the_model_input():
    """Check: stack and split are inverse; an all-black half means none."""
    first, second = _image(5), _image(9)
    pixels = digit_input.stack(first, second)
    assert pixels.shape == (56, 28) and pixels.dtype == np.uint8
    top, bottom = digit_input.split(pixels)
    assert np.array_equal(top, digit_input.to_pixels(first))
    assert np.array_equal(bottom, digit_input.to_pixels(second))
    top, bottom = digit_input.split(digit_input.stack(first, None))
    assert bottom is None and top.any()
    alone, none = digit_input.split(digit_input.to_pixels(first))
    assert none is None and alone.shape == (28, 28)
    for shape in ((27, 28), (84, 28), (56, 56), (28,)):
        with pytest.raises(ValueError):
            digit_input.split(np.zeros(shape, np.uint8))
