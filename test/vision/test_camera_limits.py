"""The shipped model reads field digits blurred, defocused and compressed to the issue's limits.

Issue #13's hard conditions include motion blur up to about 11 px, defocus up to about
2 px and JPEG down to quality 40. Each is pushed to that limit on clean field frames
(rendered by :mod:`digit_recognition.tools.field`), and each frame is read as the product
reads one frame: :func:`~digit_recognition.vision.preprocessing.preprocess`, the shipped
TFLite model and :func:`~digit_recognition.vision.batching.predict_batch` at the defaults.
On 600 clean frames of seeds 669 and 670 each limit alone read every frame right
(doc/field-log.md, "Where the camera's own limits stand"), so these frames must all be
read, and read right, by any preprocessor or model that is shipped.
"""

import cv2
from digit_recognition.tools import field
from digit_recognition.tools.field_scenes import jpeg_roundtrip, motion_blur
from digit_recognition.vision.batching import BatchEntry, predict_batch
from digit_recognition.vision.inference import load_model
from digit_recognition.vision.preprocessing import preprocess
import numpy as np
import pytest

SEED = 2026
FRAMES = [10 * k + k % 10 for k in range(30)]
"""Thirty clean frames of ``make field``'s seed, spread over the tier: every digit three
times (a frame's digit is its index modulo 10), synthetic writers' and Hershey fonts',
on plain and ruled paper (the clean tier's)."""

LIMITS = {
    'motion blur 11 px': lambda frame, index: motion_blur(frame, 11, 37.0 * index % 180),
    'defocus 2 px': lambda frame, index: cv2.GaussianBlur(frame, (0, 0), 2.0),
    'JPEG 40': lambda frame, index: jpeg_roundtrip(frame, 40),
}
"""Each limit applied to a frame (its index turns the smear)."""


def _at_limit(frame: np.ndarray, limit: str, index: int) -> np.ndarray:
    """Return ``frame`` with one limit of :data:`LIMITS` applied, or with ``'all three'``."""
    for name in LIMITS if limit == 'all three' else [limit]:
        frame = LIMITS[name](frame, index)
    return frame


@pytest.fixture(scope='module')
def model():
    return load_model(None, 'tflite')


@pytest.fixture(scope='module')
def clean_frames():
    items = [field.field_frame(index, SEED) for index in FRAMES]
    assert {item.condition for item in items} == {'clean'}
    assert sorted(item.label for item in items) == sorted(list(range(10)) * 3)
    return items


def _read(model, frame: np.ndarray) -> int:
    result = preprocess(frame)
    entry = BatchEntry(None if result.is_empty else result.model_input, result.is_empty,
                       second_look=result.second_look)
    return predict_batch([entry], model.predict_proba).digit


def test_the_clean_frames_are_read_right(model, clean_frames):
    """Check: the frames themselves, before any limit, are all read right."""
    assert [_read(model, item.frame) for item in clean_frames] == [
        item.label for item in clean_frames]


@pytest.mark.parametrize('limit', [*LIMITS, 'all three'])
def test_each_camera_limit_leaves_every_clean_frame_read_right(model, clean_frames, limit):
    """Check: at each limit (and with all three at once) every frame is still read right."""
    read = [_read(model, _at_limit(item.frame, limit, index))
            for index, item in zip(FRAMES, clean_frames)]
    assert read == [item.label for item in clean_frames]
