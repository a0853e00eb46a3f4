"""Helpers for the image-logic tests: synthetic camera photos of MNIST digits."""

import functools

import cv2

from digit_recognition.vision.demo_frames import load_sample
from digit_recognition.vision.model_contract import INPUT_SIDE

import numpy as np

FRAME_W = 640
FRAME_H = 480
ROI_X = (FRAME_W - 200) // 2
ROI_Y = (FRAME_H - 200) // 2


def sample_digits(count: int, seed: int = 0) -> tuple:
    """Return ``count`` digits of the shipped MNIST test sample and their labels."""
    images, labels = load_sample()
    idx = np.random.default_rng(seed).choice(len(images), count, replace=False)
    return images[idx], labels[idx]


def paper(gradient: float = 0.0, color=(215, 232, 240), seed: int = 0) -> np.ndarray:
    """Return a 640x480 BGR paper frame; ``gradient`` darkens it from left to right."""
    return _paper(gradient, tuple(color), seed).copy()


@functools.lru_cache(maxsize=16)
def _paper(gradient: float, color: tuple, seed: int) -> np.ndarray:
    ramp = 1.0 - gradient * np.linspace(0.0, 1.0, FRAME_W, dtype=np.float32)
    frame = ramp[None, :, None] * np.array(color, np.float32)[None, None, :]
    frame = np.repeat(frame, FRAME_H, axis=0)
    noise = np.random.default_rng(seed).normal(0, 2.0, frame.shape).astype(np.float32)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def seven_with_a_faint_stem(stem_darkness: float = 0.30,
                            bar_darkness: float = 0.8) -> np.ndarray:
    """Draw a "7" whose bar is ``bar_darkness`` and whose stem ``stem_darkness`` darker than paper.

    With the bar 0.8 darker than the paper, the preprocessor's first look (ink threshold
    0.45 of that) drops a stem at 0.30 and its second look (0.30) keeps it.
    """
    frame = paper()
    bar_colour = tuple(int(c * (1.0 - bar_darkness)) for c in frame[ROI_Y + 100, ROI_X + 100])
    stem_colour = tuple(int(c * (1.0 - stem_darkness)) for c in frame[ROI_Y + 100, ROI_X + 100])
    top, left, right, bottom = ROI_Y + 40, ROI_X + 60, ROI_X + 140, ROI_Y + 160
    cv2.line(frame, (right, top), ((left + right) // 2, bottom), stem_colour, 9, cv2.LINE_AA)
    cv2.line(frame, (left, top), (right, top), bar_colour, 9, cv2.LINE_AA)
    return frame


def rule_lines(frame: np.ndarray, spacing: int = 32, offset: int = 7) -> np.ndarray:
    """Draw light-blue ruled lines across a frame, in place; return it."""
    for y in range(offset, FRAME_H, spacing):
        frame[y:y + 2] = (frame[y:y + 2] * np.array([0.9, 0.78, 0.68])).astype(np.uint8)
    return frame


def render_digit(frame: np.ndarray, digit28: np.ndarray, height: int = 140,
                 center: tuple = (FRAME_W // 2, FRAME_H // 2), ink=(30, 30, 30),
                 stroke: int = 0, blur: float = 0.0) -> np.ndarray:
    """Write an MNIST digit onto a frame, in place, as dark ink; return the frame.

    ``height`` is the height of the digit's 20-px box after scaling; ``stroke`` > 0
    dilates, < 0 erodes the upscaled digit by that many pixels.
    """
    scale = height / 20.0
    side = int(round(28 * scale))
    up = cv2.resize(digit28, (side, side), interpolation=cv2.INTER_CUBIC)
    if stroke:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(stroke) + 1,) * 2)
        up = cv2.dilate(up, k) if stroke > 0 else cv2.erode(up, k)
    alpha = np.clip((up.astype(np.float32) - 50.0) / 130.0, 0.0, 1.0)
    if blur > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), blur)
    x0 = center[0] - side // 2
    y0 = center[1] - side // 2
    patch = frame[y0:y0 + side, x0:x0 + side].astype(np.float32)
    a = alpha[..., None]
    patch = patch * (1.0 - a) + a * (patch * (np.array(ink, np.float32) / 235.0))
    frame[y0:y0 + side, x0:x0 + side] = patch.astype(np.uint8)
    return frame


def mnist_reference(digit28: np.ndarray) -> np.ndarray:
    """Return the MNIST digit as float32 in [0, 1] (already normalised by MNIST)."""
    assert digit28.shape == (INPUT_SIDE, INPUT_SIDE)
    return digit28.astype(np.float32) / 255.0


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Return the Pearson correlation of two images."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def center_of_mass(image: np.ndarray) -> tuple:
    """Return ``(x, y)`` of an image's intensity centre of mass, pixel-index coordinates."""
    m = cv2.moments(image.astype(np.float32))
    return m['m10'] / m['m00'], m['m01'] / m['m00']


def ink_bbox_side(image: np.ndarray, level: float = 0.0) -> int:
    """Return the longer side of the bounding box of pixels above ``level``."""
    ys, xs = np.nonzero(image > level)
    return int(max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1))
