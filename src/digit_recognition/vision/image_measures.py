"""Measurements of ink masks and colours that the preprocessor's steps share (ROS-free).

The shape of a 0/255 mask (its outline, whether it is one straight stroke, its stroke
width, principal axis and solidity, gathered in :class:`MaskShape` so that each is
measured once), its connected components, and chromaticities compared with a surface's
tint. :mod:`~digit_recognition.vision.digit_selection` chooses the digit with them,
:mod:`~digit_recognition.vision.not_a_digit` tells ink that is not one, and
:mod:`~digit_recognition.vision.mnist_normalization` scales the digit to MNIST's stroke.
"""

from collections.abc import Sequence
import functools
from typing import NamedTuple

import cv2
import numpy as np

MAX_LINE_ASPECT = 0.25
"""Ink whose minimal enclosing rectangle is narrower than this fraction of its length is a
straight stroke (see :func:`is_straight`)."""


def around(box: tuple[int, int, int, int], margin: int,
           shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Return ``(x0, y0, x1, y1)``: a box widened by ``margin``, clipped to the image.

    Args:
        box: ``(x, y, width, height)``, as ``cv2.boundingRect`` gives it.
        margin: pixels added on every side.
        shape: the image's ``shape``; only height and width are used.

    """
    x, y, width, height = box
    img_h, img_w = shape[:2]
    return (max(x - margin, 0), max(y - margin, 0),
            min(x + width + margin, img_w), min(y + height + margin, img_h))


def components_with_stats(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Label a mask's 8-connected components, as ``cv2.connectedComponentsWithStats``.

    With statistics, OpenCV's default algorithm (Spaghetti in OpenCV 5) took 0.25 ms on a
    200x200 box, the block-based one (Grana's BBDT) 0.1 ms, with the same labels.
    """
    return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)


def median_rows(values: np.ndarray) -> np.ndarray:
    """Return the median of each column of ``values`` (as ``np.median(values, axis=0)``).

    A sort: ``np.median``'s general machinery costs about 0.1 ms on a box's 625 colours.
    """
    ordered = np.sort(values, axis=0)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def chromaticity(colour: np.ndarray) -> np.ndarray:
    """Return BGR colours' chromaticities (each divided by its channels' sum), float32."""
    colour = colour.astype(np.float32)
    return colour / (colour.sum(axis=-1, keepdims=True) + 1.0)


def off_tint(chroma: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """Return how far chromaticities lie from the segment between gray and ``tint``.

    A shadow changes a surface's brightness, not its chromaticity, and glare moves it
    towards gray: the distance from the segment gray -> ``tint`` (-> a little beyond)
    counts neither, only another colour.

    Args:
        chroma: ``(..., 3)`` chromaticities (:func:`chromaticity`).
        tint: ``(3,)`` the chromaticity of the surface they are compared with.

    """
    gray = np.full(3, 1.0 / 3.0, np.float32)
    tint = tint - gray
    along = np.clip((chroma - gray) @ tint / max(float(tint @ tint), 1e-6), 0.0, 1.5)
    off = chroma - (gray + along[..., np.newaxis] * tint)
    return np.sqrt((off * off).sum(axis=-1))


def disc(radius: int) -> np.ndarray:
    """Return a disc-shaped structuring element of the given radius."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def outline_points(mask: np.ndarray) -> np.ndarray:
    """Return the points of a non-empty 0/255 mask's outer outlines, ``(N, 1, 2)`` int32.

    They hold every corner of the convex hull of all its pixels: the same hull, minimal
    rectangle and farthest pixel in any direction at a fraction of the cost (a seventh
    on a digit's mask, a tenth on a bold digit joined to ruled lines).
    """
    outlines, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return np.concatenate(outlines)


def is_straight(mask: np.ndarray, points: np.ndarray | None = None) -> tuple[bool, float]:
    """Return whether a non-empty 0/255 mask is one straight stroke, and its length.

    Straight: its minimal enclosing rectangle is narrower than :data:`MAX_LINE_ASPECT`
    of its length. ``points``: its :func:`outline_points`, when already found.
    """
    _, (width, height), _ = cv2.minAreaRect(outline_points(mask) if points is None else points)
    return min(width, height) < MAX_LINE_ASPECT * max(width, height), max(width, height)


def solidity(mask: np.ndarray, points: np.ndarray | None = None) -> float:
    """Return the fraction of its convex hull that a non-empty 0/255 mask fills.

    ``points``: its :func:`outline_points`, when already found.
    """
    hull = cv2.contourArea(cv2.convexHull(outline_points(mask) if points is None else points))
    return cv2.countNonZero(mask) / max(hull, 1.0)


class StrokeAxis(NamedTuple):
    """A mask's principal axis: its centre, the unit vector along it and its extent."""

    centre: tuple[float, float]
    """The pixels' centroid, (x, y)."""
    along: tuple[float, float]
    """The unit vector along the axis, (x, y)."""
    extent: tuple[float, float]
    """The pixels' least and greatest distance from the centre along it."""


def stroke_axis(mask: np.ndarray, points: np.ndarray | None = None) -> StrokeAxis:
    """Return the principal axis of a non-empty 0/255 mask's pixels (second moments).

    ``points``: its :func:`outline_points`, when already found.
    """
    # The moments of the ink's bounding rectangle alone: a stroke fills a fraction of
    # the box, and the central moments do not depend on where the rectangle starts.
    left, top, width, height = cv2.boundingRect(mask)
    moments = cv2.moments(mask[top:top + height, left:left + width], binaryImage=True)
    centre_x = left + moments['m10'] / moments['m00']
    centre_y = top + moments['m01'] / moments['m00']
    angle = 0.5 * np.arctan2(2.0 * moments['mu11'], moments['mu20'] - moments['mu02'])
    along_x, along_y = float(np.cos(angle)), float(np.sin(angle))
    # The farthest pixel along the axis is a corner of the convex hull.
    corners = (outline_points(mask) if points is None else points).reshape(-1, 2)
    places = (corners[:, 0] - centre_x) * along_x + (corners[:, 1] - centre_y) * along_y
    return StrokeAxis((centre_x, centre_y), (along_x, along_y),
                      (float(places.min()), float(places.max())))


def stroke_width(mask: np.ndarray, outlines: Sequence[np.ndarray] | None = None) -> float:
    """Estimate the mean stroke width of a 0/255 mask as ``2 * area / perimeter``.

    ``outlines``: all the mask's outlines, outer and inner, when already found.
    """
    if outlines is None:
        outlines, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    perimeter = sum(cv2.arcLength(c, True) for c in outlines)
    if perimeter <= 0:
        return 0.0
    return 2.0 * cv2.countNonZero(mask) / perimeter


class MaskShape:
    """A non-empty 0/255 mask's measurements that several tests ask for, each made once.

    The tests of :mod:`not_a_digit` ask the same things of the digit's mask: whether it
    is straight, its stroke width, its axis, its solidity, each from the same outline.
    Measured when first asked (most digits are not straight, and most tests then stop).
    """

    def __init__(self, mask: np.ndarray) -> None:
        """Measure ``mask`` (a non-empty uint8 0/255 mask) as it is asked."""
        self.mask = mask

    @functools.cached_property
    def outline_points(self) -> np.ndarray:
        """:func:`outline_points`."""
        return outline_points(self.mask)

    @functools.cached_property
    def straight(self) -> bool:
        """:func:`is_straight`."""
        return is_straight(self.mask, self.outline_points)[0]

    @functools.cached_property
    def stroke_width(self) -> float:
        """:func:`stroke_width`."""
        return stroke_width(self.mask)

    @functools.cached_property
    def axis(self) -> StrokeAxis:
        """:func:`stroke_axis`."""
        return stroke_axis(self.mask, self.outline_points)

    @functools.cached_property
    def solidity(self) -> float:
        """:func:`solidity`."""
        return solidity(self.mask, self.outline_points)


def odd_side(value: float) -> int:
    """Return ``value`` as the odd side of a kernel (centred on its pixel), at least 3."""
    return max(3, int(value) | 1)


def rim_labels(labels: np.ndarray) -> np.ndarray:
    """Return the labels along a label image's border (each border pixel once)."""
    return np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])


def labels_to_mask(labels: np.ndarray, chosen: np.ndarray, count: int) -> np.ndarray:
    """Return the 0/255 mask of the chosen labels of a connected-components image."""
    if len(chosen) <= 3:
        # A few comparisons beat a full-image lookup-table gather.
        mask = cv2.compare(labels, int(chosen[0]), cv2.CMP_EQ)
        for label in chosen[1:]:
            mask |= cv2.compare(labels, int(label), cv2.CMP_EQ)
        return mask
    lut = np.zeros(count, np.uint8)
    lut[chosen] = 255
    return lut[labels]
