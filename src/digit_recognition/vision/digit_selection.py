"""Find the digit in a thresholded box: ruled lines out, then the ink that is the digit (ROS-free).

Steps 3 and 4 of :func:`~digit_recognition.vision.preprocessing.preprocess`: long thin
horizontal and vertical lines (ruled and grid paper) are removed without taking a bold
stroke as tall as the box (:func:`remove_ruled_lines`); then :func:`select_digit` keeps
the largest, most central connected component and the significant ones close to it (the
fragments of a broken stroke), drops ink reaching in from the box's border unless it is a
stroke running out of one side or a big digit the border cuts, and cuts a pen lying
across a bold digit off it. Whether what is kept is a digit at all is
:mod:`~digit_recognition.vision.not_a_digit`'s question.
"""

from typing import NamedTuple

import cv2
from digit_recognition.vision.image_measures import (
    components_with_stats, disc, is_straight, labels_to_mask, odd_side, rim_labels, solidity,
    stroke_width)
from digit_recognition.vision.not_a_digit import is_stroke_from_outside
import numpy as np

MAX_BORDER_CONTACT = 0.08
"""Ink touching the ROI's border along more than this fraction of its side is not the
digit (a stroke's end touches it along about a stroke width)."""

MAX_STROKE_BORDER_CONTACT = 0.25
"""A component touching the border along more than :data:`MAX_BORDER_CONTACT` still
counts when it touches one side only, along at most this fraction of the side and at
most :data:`BORDER_STROKE_FACTOR` times its own stroke width where it crosses it: a
big or bold digit whose strokes run out of the box, not the desk, a shadow or a hand
reaching in."""

BORDER_STROKE_FACTOR = 1.5
"""See :data:`MAX_STROKE_BORDER_CONTACT`."""

BORDER_CURVE_FACTOR = 2.5
"""A stretch along the border up to this many stroke widths still counts when, two
stroke widths inside the box, the component is only strokes again (each at most
:data:`BORDER_STROKE_FACTOR` wide): the round top of a big 0, 2, 3 or 8 that just
grazes the border, not a blob or a band reaching in."""

CUT_DIGIT_MAX_CONTACT = 0.3
"""A big digit cut by the box's border (:func:`_digit_cut_by_border`) touches one side
along at most this fraction of it..."""

CUT_DIGIT_RUN_FACTOR = 4.0
"""...and along at most this many of its stroke widths at a stretch..."""

CUT_DIGIT_MIN_SPAN = 0.5
"""...spans at least this fraction of the box's width and of its height..."""

CUT_DIGIT_FILL = (0.1, 0.65)
"""...covers this range of its bounding box's area (strokes, not a filled region)..."""

CUT_DIGIT_WIDEST = 2.1
"""...is nowhere wider than this many of its mean stroke widths (where strokes meet,
an even stroke is up to about twice as wide)..."""

CUT_DIGIT_CENTRE = 0.2
"""...and has its centre of mass at most this fraction of the box's side from the box's
centre. Chosen on the field set (seeds 2026, 7, 11, 23, 301-312 and the negatives of
seeds 100-179, see doc/field-log.md)."""

PEN_MIN_HALF_WIDTH = 5
"""A straight stroke is cut off a component that reaches the box's border (see
:func:`_cut_off_pens`) only when the component's boldest stroke is at least this many
pixels from its edge (a marker stroke 10 px wide or more): a pen or a stick lying across
a bold digit is then thinner than the digit's strokes, and an opening that keeps them
takes it away. On a thin pen digit the two are alike, and nothing is cut."""

PEN_OPENING = 0.375
"""The disc of :func:`_cut_off_pens`' opening has this fraction of the component's mean
stroke width as its radius: what is narrower than three quarters of the digit's typical
stroke is taken away, its tails and joins mostly stay."""

CUT_LEFT_MAX_SOLIDITY = 0.9
"""What :func:`_cut_off_pens` leaves of a component must fill less than this fraction of
its convex hull: a digit's strokes left by a cut filled 0.43-0.87 of it on the field sets
(seeds 2026, 7, 11, 23 and 301-320), an oval object with a stick across it all of it."""

FRAGMENT_GAP = 4
"""Ink components at most about this many pixels apart form one piece of the digit (see
:func:`select_digit`): grainy pencil and strokes broken by glare fall apart into
fragments a few pixels apart."""

MAX_RULING_THICKNESS = 0.05
"""A ruled line is at most this fraction of the ROI's side thick; a straight run of ink
thicker than that which does not cross the whole ROI is a bold stroke (a tall "1" or
"5"), not a line (see :func:`remove_ruled_lines`)."""


def remove_ruled_lines(binary: np.ndarray, line_length: float = 0.9) -> np.ndarray:
    """Remove long thin horizontal and vertical lines from an ink mask.

    A line is a run found by an opening with a long 1-pixel-thick kernel (half the
    minimal length) whose connected piece spans at least ``line_length`` of the image
    side: ruled lines cross the whole region, digit strokes do not, so a tall
    straight "1" survives. A run thicker than :data:`MAX_RULING_THICKNESS` that does not
    cross the whole region is not a line either: a bold digit as tall as the region
    has such runs. Ink that the removal cut (where a stroke crosses a line) is restored
    where the stroke continues on both sides of the line.

    Args:
        binary: uint8 0/255 ink mask.
        line_length: minimal line length as a fraction of the image side along it.

    Returns:
        The mask without the lines (a new array).

    """
    h, w = binary.shape
    lines = np.zeros_like(binary)
    for horizontal, side in ((True, w), (False, h)):
        span = int(side * line_length)
        kernel_length = max(1, int(side * min(0.5, line_length)))
        if span < 8:
            continue
        # Cheap tests that skip the costly morphology on most frames: a line spanning
        # the ROI has ink in both edge strips and fills much of some row (column).
        edge = max(1, side - span)
        first = binary[:, :edge] if horizontal else binary[:edge]
        last = binary[:, side - edge:] if horizontal else binary[side - edge:]
        if not (cv2.countNonZero(first) and cv2.countNonZero(last)):
            continue
        ink = cv2.reduce(binary, 1 if horizontal else 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S)
        if ink.max() // 255 < span // 2:
            continue
        along = (lambda n: (n, 1)) if horizontal else (lambda n: (1, n))
        across = (lambda n: (1, n)) if horizontal else (lambda n: (n, 1))
        rect = cv2.MORPH_RECT
        # Close small gaps first: sensor noise breaks faint lines into dashes.
        joined = cv2.morphologyEx(binary, cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(rect, along(15)))
        opened = cv2.morphologyEx(joined, cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(rect, along(kernel_length)))
        opened = cv2.bitwise_and(opened, cv2.bitwise_not(
            _bold_strokes(opened, horizontal, cv2.getStructuringElement(
                rect, across(odd_side(MAX_RULING_THICKNESS * side))))))
        count, labels, stats, _ = components_with_stats(opened)
        extent = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        is_line = extent >= span
        if not is_line.any():
            continue
        found = labels_to_mask(labels, np.flatnonzero(is_line) + 1, count)
        # Generously: the lines' soft, ragged edges must not survive as ink.
        lines |= cv2.dilate(found, cv2.getStructuringElement(rect, across(5)))
    if not cv2.countNonZero(lines):
        return binary.copy()
    kept = cv2.bitwise_and(binary, cv2.bitwise_not(lines))
    # Bridge the gaps the removal cut into strokes crossing the lines.
    bridge = cv2.morphologyEx(kept, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (1, 13)))
    bridge |= cv2.morphologyEx(kept, cv2.MORPH_CLOSE,
                               cv2.getStructuringElement(cv2.MORPH_RECT, (13, 1)))
    return kept | (bridge & lines & binary)


def _bold_strokes(runs: np.ndarray, horizontal: bool, across: np.ndarray) -> np.ndarray:
    """Return the parts of long straight runs of ink that are bold strokes, not rulings.

    Args:
        runs: uint8 0/255 mask of the long horizontal (or vertical) runs of ink.
        horizontal: whether the runs are horizontal.
        across: a structuring element, across the runs, just thicker than a ruling.

    Returns:
        The uint8 0/255 mask of the runs at least as thick as ``across`` that do not
        reach both ends of the image along them (rulings cross it from side to side).

    """
    thick = cv2.morphologyEx(runs, cv2.MORPH_OPEN, across)
    if not cv2.countNonZero(thick):  # only rulings: the usual case, and cheap
        return thick
    count, labels, stats, _ = components_with_stats(thick)
    start = stats[1:, cv2.CC_STAT_LEFT if horizontal else cv2.CC_STAT_TOP]
    length = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
    side = runs.shape[1] if horizontal else runs.shape[0]
    inside = np.flatnonzero((start > 0) | (start + length < side)) + 1
    if not len(inside):
        return np.zeros_like(runs)
    return labels_to_mask(labels, inside, count)


def select_digit(binary: np.ndarray, min_component_fraction: float = 0.04,
                 ignore_border_ink: bool = True) -> np.ndarray:
    """Keep the digit's pieces of an ink mask, drop specks and lines.

    Connected components closer than :data:`FRAGMENT_GAP` pixels form one piece
    (:func:`_pieces`): grainy pencil, or a stroke broken by glare or a shadow, falls
    apart into fragments each too small to count on its own. The main piece maximises
    ink area weighted by closeness to the centre; other pieces are kept when they are
    not tiny relative to it and lie close to the main piece's bounding box (a digit
    broken in pieces, e.g. a 5's flag), except a straight one that reaches the border
    (:func:`is_stroke_from_outside`: a pen beside the digit). With
    ``ignore_border_ink``, components that run into the mask's border along more than
    :data:`MAX_BORDER_CONTACT` of its side are never part of the digit: the digit is
    written inside the box (a stroke's end may touch the border), while the paper's
    edge, the desk, a shadow, a hand or an object reach in from outside it. A bold
    stroke that runs out of one side along about its own width, or a round stroke
    grazing it, still counts (:func:`_stroke_runs_out`), and so does a big digit centred
    in the box that the border cuts (:func:`_digit_cut_by_border`); a straight stroke
    much thinner than the bold digit it crosses, reaching the border, is cut off the
    digit first (:func:`_cut_off_pens`: a pen or a stick lying across it).

    Returns:
        A uint8 0/255 mask (all zero when nothing is left).

    """
    h, w = binary.shape
    count, labels, stats, centroids = components_with_stats(binary)
    if count <= 1:
        return np.zeros_like(binary)
    if ignore_border_ink:
        contact = np.bincount(rim_labels(labels), minlength=count)
        cut = _cut_off_pens(binary, labels, stats, contact)
        if cut is not None:
            binary = cut
            count, labels, stats, centroids = components_with_stats(binary)
            contact = np.bincount(rim_labels(labels), minlength=count)
        contact = contact[1:]
    stats = stats[1:]
    areas = stats[:, cv2.CC_STAT_AREA]
    bw = stats[:, cv2.CC_STAT_WIDTH]
    bh = stats[:, cv2.CC_STAT_HEIGHT]
    allowed = ~_leftover_lines(stats, (h, w))
    if ignore_border_ink:
        # Beyond this contact, or touching two sides or more, neither rule below keeps it.
        most = max(MAX_STROKE_BORDER_CONTACT, CUT_DIGIT_MAX_CONTACT) * min(h, w)
        for index in np.flatnonzero(allowed & (contact > MAX_BORDER_CONTACT * min(h, w))):
            touch = (_BorderTouch.of(labels, index + 1, stats[index])
                     if contact[index] <= most else None)
            allowed[index] = touch is not None and (
                _stroke_runs_out(labels, touch, int(contact[index]))
                or _digit_cut_by_border(touch, stats[index], centroids[index + 1],
                                        int(contact[index]), (h, w)))
    if not allowed.any():
        return np.zeros_like(binary)
    ink = labels_to_mask(labels, np.flatnonzero(allowed) + 1, count)
    if (areas[allowed] >= min_component_fraction * areas[allowed].max()).all():
        # No fragment too small to count alone: the components are the pieces (and
        # grouping, about a fifth of the preprocessing's time, is not needed).
        areas = np.where(allowed, areas, 0).astype(np.float64)
        left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
        boxes = np.stack([left, top, left + bw, top + bh], axis=1)
        centroids = centroids[1:]
    else:
        count, labels, areas, boxes, centroids = _pieces(ink, labels, stats, centroids[1:])
    valid = areas >= max(4.0, 2e-4 * h * w)
    if not valid.any():
        return np.zeros_like(binary)
    dist = np.hypot((centroids[:, 0] - w / 2) / w, (centroids[:, 1] - h / 2) / h)
    score = np.where(valid, areas * (1.0 - dist), -1.0)
    main = int(np.argmax(score))
    left, top, right, bottom = boxes.T
    margin = 0.3 * max(right[main] - left[main], bottom[main] - top[main])
    gap_x = np.maximum(0, np.maximum(left[main] - right, left - right[main]))
    gap_y = np.maximum(0, np.maximum(top[main] - bottom, top - bottom[main]))
    keep = valid & (areas >= min_component_fraction * areas[main]) & (gap_x <= margin) & (
        gap_y <= margin)
    keep[main] = True
    # A straight piece beside the main one that reaches the border is a pen, a stick or
    # an edge coming in from outside, not a digit's flag or broken-off stroke.
    at_border = (left == 0) | (top == 0) | (right == w) | (bottom == h)
    for index in np.flatnonzero(keep & at_border):
        if index != main and is_stroke_from_outside(
                cv2.bitwise_and(cv2.compare(labels, int(index) + 1, cv2.CMP_EQ), ink)):
            keep[index] = False
    return cv2.bitwise_and(labels_to_mask(labels, np.flatnonzero(keep) + 1, count), ink)


def _leftover_lines(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return which components (rows of ``stats``) are ruled lines left over.

    A slightly tilted line that :func:`remove_ruled_lines` did not take crosses the box
    and is a few pixels thick (at most 4 pixels of ink per pixel of its length).
    """
    h, w = shape
    areas = stats[:, cv2.CC_STAT_AREA]
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    return ((bw >= 0.9 * w) & (areas <= 4 * bw)) | ((bh >= 0.9 * h) & (areas <= 4 * bh))


def _cut_off_pens(binary: np.ndarray, labels: np.ndarray, stats: np.ndarray,
                  contact: np.ndarray) -> np.ndarray | None:
    """Cut off a pen, a stick or an edge lying across a bold digit and reaching the border.

    Joined to the digit, it makes one component with it that the border rule drops, or
    it stays part of the digit (a "1" with a long straight tail). In a component that
    touches the box's border and whose boldest stroke is :data:`PEN_MIN_HALF_WIDTH`
    pixels or more from its edge, an opening with a disc of :data:`PEN_OPENING` of its
    mean stroke width as radius keeps the digit's strokes and takes away what is
    thinner; each piece it takes away that touches the border, is straight
    (:func:`is_straight`) and at least twice that stroke width long is cut off. The
    thin rims and ends the opening also takes stay. Nothing is cut when what would be
    left is one straight stroke or a filled shape (:data:`CUT_LEFT_MAX_SOLIDITY`): a
    bar, a stick or an oval object with a pen across it, read as a "1" once alone.

    Args:
        binary: uint8 0/255 ink mask.
        labels: its 8-connected components' label image.
        stats: their statistics (``cv2.connectedComponentsWithStats``, background first).
        contact: per label (background first), its pixels on the border.

    Returns:
        The mask with those pieces removed, or None when nothing is cut.

    """
    h, w = binary.shape
    out = None
    for label in np.flatnonzero(contact[1:]) + 1:
        x, y, bw, bh, area = stats[label]
        # Too small or too narrow to hold a disc of radius PEN_MIN_HALF_WIDTH: skipped
        # without measuring (most components on the border are specks).
        if min(bw, bh) < 2 * PEN_MIN_HALF_WIDTH - 1 or area < 2 * PEN_MIN_HALF_WIDTH ** 2:
            continue
        # NumPy, not cv2.compare: OpenCV takes a crop of up to four pixels for a scalar.
        component = np.where(labels[y:y + bh, x:x + bw] == label, 255, 0).astype(np.uint8)
        framed = cv2.copyMakeBorder(component, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        depth = cv2.distanceTransform(framed, cv2.DIST_L2, cv2.DIST_MASK_5)
        half_width = cv2.minMaxLoc(depth)[1]
        if half_width < PEN_MIN_HALF_WIDTH:
            continue
        # The opening with a disc, by distances (cv2.morphologyEx with the disc took up
        # to 15 ms on a hand's or the desk's wide blob): what lies within its radius of
        # a point at least that deep.
        width = stroke_width(component)
        radius = PEN_OPENING * width
        deep = cv2.compare(depth, radius, cv2.CMP_LT)
        opened = cv2.compare(cv2.distanceTransform(deep, cv2.DIST_L2, cv2.DIST_MASK_5),
                             radius, cv2.CMP_LE)
        thin = cv2.subtract(component, opened[1:-1, 1:-1])
        pieces, piece_labels, piece_stats, _ = cv2.connectedComponentsWithStats(
            thin, connectivity=8)
        left = component
        for piece in range(1, pieces):
            px, py, pw, ph, _ = piece_stats[piece]
            if not (x + px == 0 or y + py == 0 or x + px + pw == w or y + py + ph == h):
                continue
            mask = np.where(piece_labels == piece, 255, 0).astype(np.uint8)
            straight, length = is_straight(mask)
            if straight and length >= 2 * width:
                left = cv2.subtract(left, mask)
        # What is left must be strokes: straight, it is a bar or a stick as much as a "1";
        # filling its hull, an object, not a digit. Either is left as it was.
        if left is component or not cv2.countNonZero(left) or is_straight(left)[0] or (
                solidity(left) >= CUT_LEFT_MAX_SOLIDITY):
            continue
        if out is None:
            out = binary.copy()
        out[y:y + bh, x:x + bw][cv2.subtract(component, left) > 0] = 0
    return out


def _pieces(ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, centroids: np.ndarray
            ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group an ink mask's components closer than :data:`FRAGMENT_GAP` pixels into pieces.

    The pieces are the components of the ink dilated by half the gap; their areas,
    boxes and centroids are summed up from their ink components' (the statistics of
    a connected-components pass cost five times the labelling itself).

    Args:
        ink: uint8 0/255 mask of the chosen components, not empty.
        labels: the connected-components label image that ``ink`` was chosen from.
        stats: its components' stats (background row dropped).
        centroids: its components' centroids (background row dropped).

    Returns:
        ``(count, piece_labels, areas, boxes, centroids)``: the pieces' label image and
        its label count (background included), and per piece (background excluded)
        its ink area, its box ``(left, top, right, bottom)`` (right and bottom
        exclusive) and its ink's centroid ``(x, y)``.

    """
    r = FRAGMENT_GAP // 2
    kernel = disc(r)
    count, piece_labels = cv2.connectedComponents(cv2.dilate(ink, kernel), connectivity=8)
    # Each component lies in one piece: the piece of any of its pixels.
    on = ink > 0
    piece_of = np.zeros(len(stats) + 1, np.int64)
    piece_of[labels[on]] = piece_labels[on]
    members = np.flatnonzero(piece_of[1:])
    piece = piece_of[members + 1] - 1
    member_stats = stats[members]
    area = member_stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    areas = np.bincount(piece, area, count - 1)
    piece_centroids = np.stack(
        [np.bincount(piece, area * centroids[members, axis], count - 1) / areas
         for axis in (0, 1)], axis=1)
    left, top = member_stats[:, cv2.CC_STAT_LEFT], member_stats[:, cv2.CC_STAT_TOP]
    boxes = np.empty((count - 1, 4), np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = np.iinfo(np.int64).min
    np.minimum.at(boxes[:, 0], piece, left)
    np.minimum.at(boxes[:, 1], piece, top)
    np.maximum.at(boxes[:, 2], piece, left + member_stats[:, cv2.CC_STAT_WIDTH])
    np.maximum.at(boxes[:, 3], piece, top + member_stats[:, cv2.CC_STAT_HEIGHT])
    return count, piece_labels, areas, boxes, piece_centroids


class _BorderTouch(NamedTuple):
    """How a component of a label image that touches one side of it meets that side."""

    label: int
    side: int
    """The side it touches (0 top, 1 bottom, 2 left, 3 right)."""
    longest: int
    """Its longest stretch along that side, in pixels."""
    width: float
    """Its stroke width (:func:`stroke_width`)."""
    mask: np.ndarray
    """Its uint8 0/255 mask, cropped to its bounding box."""

    @staticmethod
    def of(labels: np.ndarray, label: int, stat: np.ndarray) -> '_BorderTouch | None':
        """Measure component ``label`` (its connected-components ``stat`` row).

        Returns None when it touches two sides or more (or none).
        """
        rims = [_rim(labels, side, 0) == label for side in range(4)]
        sides = [side for side in range(4) if rims[side].any()]
        if len(sides) != 1:
            return None
        x, y = stat[cv2.CC_STAT_LEFT], stat[cv2.CC_STAT_TOP]
        bw, bh = stat[cv2.CC_STAT_WIDTH], stat[cv2.CC_STAT_HEIGHT]
        # NumPy, not cv2.compare: OpenCV fails on a one-pixel component's 1x1 crop.
        mask = (labels[y:y + bh, x:x + bw] == label).astype(np.uint8) * 255
        return _BorderTouch(label, sides[0], _longest_run(rims[sides[0]]), stroke_width(mask),
                            mask)


def _stroke_runs_out(labels: np.ndarray, touch: _BorderTouch, contact: int) -> bool:
    """Whether a component touching the border is a digit's strokes running out of the box.

    It touches one side only, along at most :data:`MAX_STROKE_BORDER_CONTACT` of it,
    and each stretch where it crosses that side is at most :data:`BORDER_STROKE_FACTOR`
    of its own stroke width (``2 * area / perimeter``), or at most
    :data:`BORDER_CURVE_FACTOR` of it when the component is only strokes again two
    stroke widths further in (a round stroke grazing the border). The desk, a shadow, a
    hand or the paper's edge reach in along more than their own width, or across a
    corner.
    """
    h, w = labels.shape
    if contact > MAX_STROKE_BORDER_CONTACT * min(h, w):
        return False
    if touch.longest <= BORDER_STROKE_FACTOR * touch.width:
        return True
    if touch.longest > BORDER_CURVE_FACTOR * touch.width:
        return False
    # A round stroke grazing the border has split into strokes a little further in.
    inside = _rim(labels, touch.side, int(round(2 * touch.width))) == touch.label
    return bool(inside.any()) and _longest_run(inside) <= BORDER_STROKE_FACTOR * touch.width


def _digit_cut_by_border(touch: _BorderTouch, stat: np.ndarray, centroid: np.ndarray,
                         contact: int, shape: tuple[int, int]) -> bool:
    """Whether a component touching the border is a big digit that the border cuts.

    A sheet held turned or tilted carries the end of a big digit's stroke across the
    border, along more than the stroke is wide (which :func:`_stroke_runs_out` asks), so
    that the whole digit was dropped. Such a digit still touches one side only, along at
    most :data:`CUT_DIGIT_MAX_CONTACT` of it and at most :data:`CUT_DIGIT_RUN_FACTOR`
    stroke widths at a stretch; it spans at least :data:`CUT_DIGIT_MIN_SPAN` of the box
    both ways, is strokes rather than a filled region (:data:`CUT_DIGIT_FILL` of its
    bounding box) of an even width (:data:`CUT_DIGIT_WIDEST`), and has its centre of
    mass near the box's centre (:data:`CUT_DIGIT_CENTRE`). A hand, the desk or an object
    reaching in has its mass near the side it comes from; a shadow's or the desk's
    region fills its box; an object's outline joined to it holds a wider blob.
    """
    h, w = shape
    bw, bh = stat[cv2.CC_STAT_WIDTH], stat[cv2.CC_STAT_HEIGHT]
    fill = stat[cv2.CC_STAT_AREA] / float(bw * bh)
    off_centre = np.hypot((centroid[0] - w / 2) / w, (centroid[1] - h / 2) / h)
    if not (contact <= CUT_DIGIT_MAX_CONTACT * min(h, w)
            and touch.longest <= CUT_DIGIT_RUN_FACTOR * touch.width
            and bw >= CUT_DIGIT_MIN_SPAN * w and bh >= CUT_DIGIT_MIN_SPAN * h
            and CUT_DIGIT_FILL[0] <= fill <= CUT_DIGIT_FILL[1]
            and off_centre <= CUT_DIGIT_CENTRE):
        return False
    # Its widest point: twice the largest distance from its ink to its edge (the box's
    # border counts as an edge).
    framed = cv2.copyMakeBorder(touch.mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    widest = 2.0 * float(cv2.distanceTransform(framed, cv2.DIST_L2, 3).max())
    return widest <= CUT_DIGIT_WIDEST * touch.width


def _rim(labels: np.ndarray, side: int, depth: int) -> np.ndarray:
    """Return the row or column ``depth`` pixels in from a side of a label image.

    ``side``: 0 top, 1 bottom, 2 left, 3 right.
    """
    h, w = labels.shape
    if side < 2:
        row = min(depth, h - 1)
        return labels[row if side == 0 else h - 1 - row]
    column = min(depth, w - 1)
    return labels[:, column if side == 2 else w - 1 - column]


def _longest_run(on: np.ndarray) -> int:
    """Return the length of the longest run of True in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.view(np.uint8), [0]))))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


def without_leftover_lines(ink: np.ndarray) -> np.ndarray:
    """Return the ink without ruled lines left over (:func:`_leftover_lines`).

    :func:`select_digit` never takes them for the digit, and they are no clutter either:
    a slightly tilted grid or ruling left after :func:`remove_ruled_lines` runs past a
    small digit without making its box one of clutter (:func:`not_a_digit.clutter`).
    """
    count, labels, stats, _ = components_with_stats(ink)
    lines = _leftover_lines(stats, ink.shape)
    lines[0] = False
    if not lines.any():
        return ink
    return cv2.bitwise_and(ink, cv2.bitwise_not(labels_to_mask(labels, np.flatnonzero(lines),
                                                               count)))
