"""The paper estimate: a closing computed by window extremes, equal to OpenCV's."""

import cv2
from digit_recognition.vision import preprocessing
from digit_recognition.vision.preprocessing import RegionOfInterest
from image_test_utils import paper, render_digit, ROI_X, ROI_Y, sample_digits
import numpy as np
import pytest


def _opencv_closing(image: np.ndarray, side: int) -> np.ndarray:
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    return cv2.morphologyEx(image, cv2.MORPH_CLOSE, square, borderType=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize('length', [1, 2, 3, 4, 5, 7, 8, 16, 17, 31, 53, 64])
@pytest.mark.parametrize('axis', [0, 1])
def test_window_extremes_are_those_of_every_run(length, axis):
    """Check: the max and min of each run of any length, along either axis, as a direct loop."""
    image = np.random.default_rng(length).integers(0, 256, (70, 90), dtype=np.uint8)
    along = image if axis else image.T
    runs = np.lib.stride_tricks.sliding_window_view(along, length, axis=1)
    for extreme, reduce in ((cv2.max, np.max), (cv2.min, np.min)):
        got = preprocessing._window_extreme(image, length, axis, extreme)
        np.testing.assert_array_equal(got if axis else got.T, reduce(runs, axis=2))


@pytest.mark.parametrize('shape, side', [((258, 258), 53), ((200, 200), 53), ((61, 140), 17),
                                         ((9, 40), 5), ((12, 12), 27), ((1, 1), 3)])
def test_the_closing_is_opencvs_byte_for_byte_on_noise_and_within_any_box(shape, side):
    """Check: whole or cut to a box (at the border too), the closing equals OpenCV's."""
    rng = np.random.default_rng(side)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    expected = _opencv_closing(image, side)
    h, w = shape
    boxes = [RegionOfInterest(0, 0, w, h), RegionOfInterest(0, h - 1, 1, 1),
             RegionOfInterest(w // 3, h // 4, w - w // 3, h // 2 + 1)]
    for box in boxes:
        got = preprocessing._close_square(image, side, box)
        np.testing.assert_array_equal(
            got, expected[box.y:box.y + box.height, box.x:box.x + box.width])


def test_the_paper_estimate_of_a_frame_is_opencvs_closing_of_its_median():
    """Check: the ROI's estimate (read with a margin, cut to the ROI) on a written digit."""
    digits, _ = sample_digits(1, seed=3)
    frame = render_digit(paper(), digits[0], height=150)
    box = RegionOfInterest(ROI_X, ROI_Y, 200, 200)
    gray, estimate = preprocessing._gray_and_paper(frame, box)
    margin = preprocessing._paper_kernel(200) // 2 + 2
    around = cv2.cvtColor(frame[ROI_Y - margin:ROI_Y + 200 + margin,
                                ROI_X - margin:ROI_X + 200 + margin], cv2.COLOR_BGR2GRAY)
    closed = _opencv_closing(cv2.medianBlur(around, 5), preprocessing._paper_kernel(200))
    inner = (slice(margin, margin + 200),) * 2
    np.testing.assert_array_equal(gray, around[inner])
    np.testing.assert_array_equal(estimate, np.maximum(closed, around)[inner])
    # The ink is darker than the estimate, the paper is its own estimate.
    assert np.mean(estimate[gray < 100] - gray[gray < 100]) > 100
    np.testing.assert_array_equal(preprocessing.estimate_paper(gray), np.maximum(
        _opencv_closing(cv2.medianBlur(gray, 5), preprocessing._paper_kernel(200)), gray))
