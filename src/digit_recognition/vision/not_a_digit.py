"""Tests that tell ink kept as the digit that is no digit (ROS-free).

Scaled into 28x28, a straight mark is a perfect "1" and a ring a perfect "0", and the
model reads them so with high confidence. After :func:`digit_selection.select_digit`
has chosen the ink, each test here recognises one kind of thing that is not a digit from
the box around it: a stroke reaching in from outside, a line passing through the box, the
edge of a shadow, of glare or of the sheet, a piece of a longer faint line (a crease), a
barcode's bar, an object's rim enclosing another surface, or one piece of clutter among
more. :func:`preprocessing.preprocess` runs them (each can be turned off in its
``PreprocessConfig``); the field set's figures behind each threshold are in
doc/field-log.md.
"""

import cv2
from digit_recognition.vision.image_measures import (
    around, chromaticity, components_with_stats, MaskShape, median_rows, off_tint,
    stroke_width, StrokeAxis)
import numpy as np

EDGE_SIDE_DIFFERENCE = 0.75
"""A straight stroke is the edge of a shadow, of glare or of the sheet rather than a
written "1" when the paper on its two sides differs by more than this fraction of the
stroke's own contrast (see :func:`is_edge_of_light`): on the field set the 354 straight
digits kept among the 13,120 digit frames of seeds 301-308 came to at most 0.57 (written
"1"s 0.47; this function's own measure), the strips along edges that the model read as a
"1" among the negatives of seeds 300-339 to 0.9-1.1."""

EDGE_SIDE_BAND = (2.0, 1.5, 4.0, 0.8)
"""Where :func:`is_edge_of_light` looks at the paper beside a stroke: from this many
pixels off the stroke, out to this many of its stroke widths further (at least this many
pixels), beside the middle fraction of its length (around its ends the sides meet)."""

LOOP_INSIDE_CHROMA = 0.05
"""A loop encloses another surface (:func:`encloses_another_surface`) when the colour
inside it lies more than this (chromaticity distance, as
:data:`preprocessing.OFF_PAPER_CHROMA`) from the colour around it."""

LOOP_INSIDE_MARGIN = 3
"""Only what lies more than this many pixels, and more than the mask's stroke width, from
the ink counts as inside a loop: a stroke's blurred rim tints the paper next to it with
the ink's colour, and a bold stroke in uneven light is thresholded with gaps, holes
whose inside is the ink itself (a hard-tier red "7" lost so, doc/field-log.md)."""

LOOP_AROUND_BAND = (4, 10)
"""The band around a mask whose colour is compared with its loops' inside: from this
many pixels (past the stroke's blurred rim) to this many away from the mask."""

LOOP_MIN_PIXELS = 12
"""Fewer pixels than this inside a loop (or in the band around it) tell no colour."""

LINE_RUNS_ON_MIN_LENGTH = 20
"""Pixels of the line beyond a straight stroke's end, to the box's border, that
:func:`is_part_of_longer_line` needs to judge whether a line runs on there."""

LINE_RUNS_ON_INK = 0.1
"""...the share of them with other ink in a corridor as wide as the stroke (on the sides
that decided, of the ten false digits it emptied on 20 field seeds: 0.15-0.88; straight
digits with any ink there, of seeds 625-628: 0.02-0.06, and 0.55 for a "1" in line with
dotted paper's dots)..."""

LINE_RUNS_ON_DARKER = 0.8
"""...and the share of that line darker than the paper beside it (those ten: 1.00; those
digits: 0.66 and 0.08, the dotted paper's "1" 0.0)..."""

LINE_RUNS_ON_CONTRAST = 0.25
"""...by this fraction of the stroke's own darkness below that paper (at least
:data:`LINE_RUNS_ON_MIN_LEVELS` gray levels)."""

LINE_RUNS_ON_MIN_LEVELS = 3.0
"""The least darkness, in gray levels, that counts as a line (above JPEG and sensor noise
in a median over a few pixels)."""

BAR_MIN_SOLIDITY = 0.9
"""Kept ink that is not straight is a bar (bars run together) when it fills this share of
its convex hull (barcodes' bars run together: 1.00-1.03; a "7" beside a pen: 0.46)."""

BAR_MIN_PIXELS = 20
"""The smallest piece of other ink :func:`stands_among_bars` compares with the digit."""

BAR_END_TOLERANCE = 0.15
"""A bar's ends are level with the digit's when within this fraction of its length (and
2 px) of them, along its axis."""

BAR_MAX_ANGLE = 10.0
"""...and it is parallel to the digit within this many degrees."""

THROUGH_MAX_STROKE = 0.025
"""Kept ink touching the box's border at two separate places is a line through the box
when its strokes are at most this fraction of the box's shorter side wide (5 px of a
200-px box): a coin's rim cut by the box, a screen's or a book's corner (coins 2.8-3.8 px,
screens 2.6-7.8, wood grain 2.5-6.9); the digits read right that touch it twice are bold
ones that the border cuts (7.8-25 px)."""

THROUGH_MIN_GAP = 4
"""Places where ink touches the border are separate when at least this many pixels of the
border lie between them (a ragged stroke's end touches it in bits)."""

CLUTTER_DISTANCE = 3
"""Ink further than this many pixels from the chosen digit is "elsewhere" in the box
(:func:`clutter`): a 5's flag or a broken stroke's other half lies closer."""


def is_stroke_from_outside(mask: np.ndarray, outside: np.ndarray | None = None, *,
                           shape: MaskShape | None = None) -> bool:
    """Whether the kept ink is one straight stroke touching the box's border.

    Scaled into 28x28, any straight stroke is a "1"; in the box it is a "1" only when it
    is written inside it. A straight stroke reaching the border is the paper's edge, a
    ruling, a shadow's edge, a pen or a stick coming in from outside (on the field set:
    16 such negatives and no digit in 5,400 frames). So is one reaching what is not the
    sheet inside the box (``outside``: :func:`preprocessing.off_paper`), the edge of an
    object on it.

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        outside: uint8 0/255 mask of the box's part that is not paper, or None.
        shape: the mask's measurements (:class:`MaskShape`), where the caller has them;
            None: measured here.

    """
    touches = mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()
    if not touches and outside is not None:
        near = cv2.dilate(outside, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        touches = cv2.countNonZero(cv2.bitwise_and(mask, near)) > 0
    return touches and (MaskShape(mask) if shape is None else shape).straight


def border_contacts(mask: np.ndarray) -> int:
    """Return at how many separate places a 0/255 mask touches its border.

    The border is walked around once; runs of ink on it closer than
    :data:`THROUGH_MIN_GAP` pixels count as one place.
    """
    rim = np.concatenate([mask[0, :], mask[1:, -1], mask[-1, -2::-1], mask[-2:0:-1, 0]]) > 0
    touching = np.flatnonzero(rim)
    if not len(touching):
        return 0
    # The gaps between consecutive touching pixels, around the loop.
    gaps = np.diff(np.append(touching, touching[0] + len(rim))) - 1
    return max(1, int(np.count_nonzero(gaps >= THROUGH_MIN_GAP)))


def is_line_through_box(mask: np.ndarray, *, shape: MaskShape | None = None) -> bool:
    """Whether the kept ink is a thin line that enters the box and leaves it again.

    A digit is written inside the box; a thin line touching the border at two separate
    places passes through it: a coin's rim cut by the box's edge, the corner of a screen,
    a book or a box, wood grain (13 of the 28 distractor false digits left on 12 field
    seeds). A bold digit that the border cuts may touch it twice too, so only strokes at
    most :data:`THROUGH_MAX_STROKE` of the box wide count.

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        shape: the mask's measurements (:class:`MaskShape`), where the caller has them;
            None: measured here.

    """
    return (border_contacts(mask) >= 2
            and (MaskShape(mask) if shape is None else shape).stroke_width
            <= THROUGH_MAX_STROKE * min(mask.shape))


def is_edge_of_light(mask: np.ndarray, gray: np.ndarray, *,
                     shape: MaskShape | None = None) -> bool:
    """Whether the kept ink is one straight stroke between paper lit in two ways.

    A written stroke has the same paper on both sides. Along the edge of a hard shadow,
    of glare or of the sheet, the paper estimate misses the step and a thin strip on the
    dark side passes for ink: the paper on that side is nearly as dark as the strip, on
    the other it is light (:data:`EDGE_SIDE_DIFFERENCE`). Once scaled, such a strip is a
    perfect "1", which the model read at up to 0.99: about a quarter of the field set's
    false digits (doc/field-log.md).

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        gray: the box's uint8 gray image the mask was thresholded from.
        shape: the mask's measurements (:class:`MaskShape`), where the caller has them;
            None: measured here.

    """
    if shape is None:
        shape = MaskShape(mask)
    if not shape.straight:
        return False
    inner, widths, least, middle = EDGE_SIDE_BAND
    outer = inner + max(least, widths * shape.stroke_width)
    # Only the stroke and the band beside it count: the same distances in a window
    # around them (a shortest path stays within the rectangle of its two ends) cost a
    # fraction of the whole box's. The window is wider than the band because the 3x3
    # distance counts a step along a row as 0.955 px.
    x0, y0, x1, y1 = around(cv2.boundingRect(mask), int(outer / 0.95) + 2, mask.shape)
    mask, gray = mask[y0:y1, x0:x1], gray[y0:y1, x0:x1]
    # The window holds the whole mask: its axis is the mask's, moved.
    (centre_x, centre_y), (along_x, along_y), (first, last) = shape.axis
    centre_x, centre_y = centre_x - x0, centre_y - y0
    half_length = max(-first, last)
    distance = cv2.distanceTransform(cv2.bitwise_not(mask), cv2.DIST_L2, 3)
    # Each pixel's place along the stroke and across it, as images: masks for
    # cv2.calcHist, without listing the band's pixels.
    offset_y = np.arange(mask.shape[0], dtype=np.float64)[:, None] - centre_y
    offset_x = np.arange(mask.shape[1], dtype=np.float64)[None, :] - centre_x
    beside = (distance > inner) & (distance <= outer) & (
        np.abs(offset_x * along_x + offset_y * along_y) <= middle * half_length)
    side = offset_y * along_x - offset_x * along_y
    papers = [(beside & on_side).view(np.uint8) for on_side in (side > 0, side < 0)]
    if min(cv2.countNonZero(paper) for paper in papers) < 5:
        return False
    one, other = (_median(gray, paper) for paper in papers)
    contrast = max(one, other) - _median(gray, mask)
    return abs(one - other) > EDGE_SIDE_DIFFERENCE * max(contrast, 1.0)


def encloses_another_surface(mask: np.ndarray, colour: np.ndarray) -> bool:
    """Whether the kept ink's loops enclose a surface of another colour than around them.

    A digit's loop (in a 0, 4, 6, 8 or 9) encloses the paper it is written on. The dark
    rim of a coin or a bottle cap is a loop too, read as an "0", or as an "8" where two
    touch (26 of the 51 false digits on 3,600 distractor frames, doc/field-log.md): what
    it encloses is the object's face, whose colour is not the desk's or the paper's
    around it. Compared by chromaticity off the segment from gray to the colour around
    (:func:`off_tint`), so that glare or a shadow inside a digit's loop does not count.
    A coin of the desk's colour, or a rim left open, goes unnoticed.

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        colour: the box's BGR image, the mask's size.

    Returns:
        True when the median chromaticity inside the loops, beyond
        :data:`LOOP_INSIDE_MARGIN` pixels and a stroke's width from the ink, lies more than
        :data:`LOOP_INSIDE_CHROMA` from that of a band around the mask
        (:data:`LOOP_AROUND_BAND`); False when there is no loop with
        :data:`LOOP_MIN_PIXELS` pixels inside.

    """
    outlines, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    holes = [outline for outline, (_, _, _, parent) in zip(outlines, hierarchy[0]) if parent >= 0]
    if not holes:
        return False
    near, far = LOOP_AROUND_BAND
    # Distances to the ink in a window around it, not dilations with discs as wide as a
    # stroke (0.75 ms on a field frame's digit; this, a fifth of it). Outside the loops
    # the nearest ink is on the outline, so they are distances to the filled shape too.
    x0, y0, x1, y1 = around(cv2.boundingRect(mask), far + 1, mask.shape)
    mask, colour = mask[y0:y1, x0:x1], colour[y0:y1, x0:x1]
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, holes, -1, 255, cv2.FILLED, offset=(-x0, -y0))
    distance = cv2.distanceTransform(cv2.bitwise_not(mask), cv2.DIST_L2, cv2.DIST_MASK_5)
    margin = max(LOOP_INSIDE_MARGIN, stroke_width(mask, outlines))
    inside = (filled > 0) & (distance > margin)
    band = (filled == 0) & (distance > near) & (distance <= far)
    if min(np.count_nonzero(inside), np.count_nonzero(band)) < LOOP_MIN_PIXELS:
        return False
    # Only the pixels compared: a whole box's chromaticities cost a millisecond.
    enclosed = median_rows(chromaticity(colour[inside]))
    surrounding = median_rows(chromaticity(colour[band]))
    return float(off_tint(enclosed, surrounding)) > LOOP_INSIDE_CHROMA


def _along_line(image: np.ndarray, axis: StrokeAxis, places: np.ndarray,
                across: np.ndarray, interpolation: int) -> np.ndarray:
    """Sample an image on a grid aligned with a stroke's axis.

    Returns:
        ``(len(places), len(across))`` samples at ``places`` along the axis from its centre
        and ``across`` it (along the normal ``(-along_y, along_x)``); outside the image,
        the nearest border pixel.

    """
    (centre_x, centre_y), (along_x, along_y), _ = axis
    map_x = centre_x + along_x * places[:, None] - along_y * across[None, :]
    map_y = centre_y + along_y * places[:, None] + along_x * across[None, :]
    return cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32),
                     interpolation, borderMode=cv2.BORDER_REPLICATE)


def _darker_than_beside(samples: np.ndarray, centre: np.ndarray, beside: np.ndarray,
                        step: int = 4) -> np.ndarray:
    """Return, per ``step`` samples along a line, how much darker its centre is than beside it.

    Args:
        samples: gray samples ``(along, across)`` (:func:`_along_line`).
        centre: boolean mask of the columns of the line's middle.
        beside: boolean mask of the columns of the paper beside it.
        step: samples along the line per median; a last, shorter step is left out.

    """
    rows = len(samples) // step * step
    if not rows:
        return np.zeros(0)
    middle = samples[:rows, centre].astype(np.float32).reshape(rows // step, -1)
    paper = samples[:rows, beside].astype(np.float32).reshape(rows // step, -1)
    return np.median(paper, axis=1) - np.median(middle, axis=1)


def is_part_of_longer_line(mask: np.ndarray, ink: np.ndarray, gray: np.ndarray, *,
                           shape: MaskShape | None = None) -> bool:
    """Whether the kept ink is one straight stroke that a fainter line continues.

    A written "1" ends where the pen lifted: beyond its ends lies paper. A crease or a
    fold in the sheet, or a faint edge, crosses the box; where the threshold keeps only
    a piece of it (the rest in specks, or just under the floor), the piece does not reach
    the border (:func:`is_stroke_from_outside`) and, scaled, is a perfect "1" (7 of the 40
    distractor false digits of 12 field seeds, at 0.99-1.00). Here the line beyond an end,
    to the box's border (:data:`LINE_RUNS_ON_MIN_LENGTH` px at least), holds other ink in a
    corridor as wide as the stroke along :data:`LINE_RUNS_ON_INK` of its length and is
    darker than the paper beside it along :data:`LINE_RUNS_ON_DARKER` of it: dotted
    paper's dots in line with a "1" are ink there, but no line.

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        ink: uint8 0/255 mask of the box's ink that the digit was chosen from.
        gray: the box's uint8 gray image the ink was thresholded from.
        shape: the mask's measurements (:class:`MaskShape`), where the caller has them;
            None: measured here.

    """
    if shape is None:
        shape = MaskShape(mask)
    if not shape.straight:
        return False
    axis = shape.axis
    (centre_x, centre_y), (along_x, along_y), (first, last) = axis
    thickness = max(2.0, shape.stroke_width)
    half = thickness + 1.0
    # The corridor, and the paper beside it past the stroke's blurred rim.
    across = np.arange(-np.ceil(half + 6.0), np.ceil(half + 6.0) + 1.0)
    corridor = np.abs(across) <= half
    centre, beside = np.abs(across) <= 1.0, (np.abs(across) >= half + 2.0) & (
        np.abs(across) <= half + 6.0)
    height, width = mask.shape
    contrast = None
    for sign, end in ((1.0, last), (-1.0, first)):
        # From 2 px past the end to where the line leaves the box.
        places = end + sign * np.arange(2.0, float(height + width))
        x, y = centre_x + along_x * places, centre_y + along_y * places
        inside = (x > -0.5) & (x < width - 0.5) & (y > -0.5) & (y < height - 0.5)
        length = int(np.argmin(inside)) if not inside.all() else len(places)
        if length < LINE_RUNS_ON_MIN_LENGTH:
            continue
        places = places[:length]
        covered = _along_line(ink, axis, places, across[corridor], cv2.INTER_NEAREST).any(axis=1)
        if covered.mean() < LINE_RUNS_ON_INK:
            continue
        if contrast is None:
            along = np.arange(np.floor(first), np.ceil(last) + 1.0)
            stroke = _along_line(gray, axis, along, across, cv2.INTER_LINEAR)
            contrast = float(np.median(stroke[:, beside]) - np.median(stroke[:, centre]))
        # Past the stroke's blurred end, where only a line beyond it is dark.
        beyond = _along_line(gray, axis, places[int(thickness):], across, cv2.INTER_LINEAR)
        darker = _darker_than_beside(beyond, centre, beside)
        if len(darker) and np.mean(darker >= max(LINE_RUNS_ON_MIN_LEVELS, LINE_RUNS_ON_CONTRAST
                                                 * contrast)) >= LINE_RUNS_ON_DARKER:
            return True
    return False


def stands_among_bars(mask: np.ndarray, ink: np.ndarray, *,
                      shape: MaskShape | None = None) -> bool:
    """Whether the kept ink is a bar beside another as long as it and parallel to it.

    A barcode's bars are straight, parallel and end level with each other; scaled, the
    one (or the few run together) chosen as the digit is a perfect "1" (8 of the 40
    distractor false digits of 12 field seeds, at 0.95-1.00). A written "1" has no such
    twin beside it: ruled and grid lines run past it to the box's border
    (:func:`digit_selection.remove_ruled_lines`), and a pen lying beside it is seldom level
    with both its ends. Other digits are no bar: a "7" whose axis a pen beside it happened to match
    was lost until only a straight or solid (:data:`BAR_MIN_SOLIDITY`) mask counted.

    Args:
        mask: uint8 0/255 digit mask, not empty (:func:`digit_selection.select_digit`'s output).
        ink: uint8 0/255 mask of the box's ink that the digit was chosen from.
        shape: the mask's measurements (:class:`MaskShape`), where the caller has them;
            None: measured here.

    Returns:
        True when the mask is straight or solid, and another piece of ink of
        :data:`BAR_MIN_PIXELS` or more is straight, within
        :data:`BAR_MAX_ANGLE` of the digit's axis, has both ends within
        :data:`BAR_END_TOLERANCE` of the digit's length of the digit's ends along that
        axis, and lies within a digit's length of it.

    """
    if shape is None:
        shape = MaskShape(mask)
    if not (shape.straight or shape.solidity >= BAR_MIN_SOLIDITY):
        return False
    (centre_x, centre_y), (along_x, along_y), (first, last) = shape.axis
    length = last - first
    tolerance = BAR_END_TOLERANCE * length + 2.0
    _, labels, stats, _ = components_with_stats(cv2.subtract(ink, mask))
    # A bar level with both ends spans at least this much: its box's diagonal too.
    spans = np.hypot(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    candidates = np.flatnonzero((stats[:, cv2.CC_STAT_AREA] >= BAR_MIN_PIXELS)
                                & (spans >= length - 2.0 * tolerance))
    least_cos = np.cos(np.radians(BAR_MAX_ANGLE))
    for label in candidates[candidates > 0]:
        left, top, w, h = stats[label, :4]
        bar = MaskShape(cv2.compare(labels[top:top + h, left:left + w], int(label), cv2.CMP_EQ))
        if not bar.straight:
            continue
        bar_x, bar_y = bar.axis.along
        if abs(bar_x * along_x + bar_y * along_y) < least_cos:
            continue
        corners = bar.outline_points.reshape(-1, 2) + (left, top)
        places = (corners[:, 0] - centre_x) * along_x + (corners[:, 1] - centre_y) * along_y
        beside = (corners[:, 1] - centre_y) * along_x - (corners[:, 0] - centre_x) * along_y
        if (abs(places.min() - first) <= tolerance and abs(places.max() - last) <= tolerance
                and np.abs(beside).min() <= length):
            return True
    return False


def _median(gray: np.ndarray, where: np.ndarray) -> float:
    """Return the median of a uint8 image's pixels where ``where`` is non-zero, as np.median.

    From their histogram: a fraction of the cost of gathering the pixels first.
    """
    counts = np.cumsum(cv2.calcHist([gray], [0], where, [256], [0, 256]).ravel())
    total = int(counts[-1])
    # The values of the middle two ranks (one and the same for an odd count).
    low, high = np.searchsorted(counts, [(total - 1) // 2 + 1, total // 2 + 1])
    return (int(low) + int(high)) / 2


def clutter(ink: np.ndarray, digit: np.ndarray) -> float:
    """Return the ink elsewhere in the box as a multiple of the digit's own ink.

    Args:
        ink: uint8 0/255 mask of all the ink in the box (ruled lines removed).
        digit: uint8 0/255 mask of the ink chosen as the digit, the same size.

    Returns:
        The number of ink pixels further than :data:`CLUTTER_DISTANCE` from the digit,
        divided by the digit's pixel count (0 for an empty digit).

    """
    size = 2 * CLUTTER_DISTANCE + 1
    near = cv2.dilate(digit, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    digit_ink = cv2.countNonZero(digit)
    return cv2.countNonZero(cv2.subtract(ink, near)) / digit_ink if digit_ink else 0.0
