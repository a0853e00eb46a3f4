"""Turn a camera frame into the model's 28x28 input (ROS-free).

The pipeline, applied to a region of interest (ROI) of the frame:

1. crop the ROI and convert it to gray; median-filter it when it is noisy (a dark,
   high-gain frame), so that noise does not break the ink into specks;
2. threshold it into an ink mask (ink = dark on paper), in one of three
   :class:`ThresholdMode` s; the default, ``adaptive``, first estimates the paper's
   brightness locally (a morphological closing, which erases the thin dark ink) and
   measures ink as darkness *relative to the local paper*, so gradients, shadows,
   vignetting, blue or black ink and blur are handled alike; ink must also be a few
   gray levels darker than the paper, fewer in a dark frame with a clean sensor
   (:func:`ink_floor`); where the box shows something other than the sheet, told by
   its colour (the desk beyond the sheet's edge: :func:`off_paper`), nothing is ink;
3. remove ruled-paper lines (long thin horizontal / vertical structures) and tiny
   noise specks (:mod:`~digit_recognition.vision.digit_selection`, as step 4);
4. keep the digit: the connected component that is largest and most central plus
   the significant components close to it (a stroke broken in two still counts);
   ink reaching in from the border is not the digit, unless it is a single stroke
   running out of one side (a big or bold digit); a pen lying across a bold digit and
   out of the box is cut off it first;
5. decide whether the region is empty: too little contrast or ink, or too much, or
   what was kept is no digit (:mod:`~digit_recognition.vision.not_a_digit`): one
   straight stroke touching the border or what is not the sheet (an edge or a pen
   reaching in, which would be a perfect "1" once scaled), a line through the box, one
   straight stroke with paper lit differently on its two sides (the edge of a shadow,
   of glare or of the sheet), a piece of a longer faint line, a barcode's bar, a loop
   enclosing a surface of another colour than around it (a coin's rim), or one piece
   of clutter among more;
6. normalise like MNIST (:mod:`~digit_recognition.vision.mnist_normalization`): crop to
   the ink's bounding box, bring very thin or marker-thick strokes towards MNIST's
   stroke width, scale into 20x20 keeping the aspect ratio (INTER_AREA), place it in
   28x28 and shift it so that its centre of mass is at the centre.

In ``fixed`` mode steps 3-6 apply as well; ``binary_roi`` is always the raw
threshold output, ``digit_mask`` what was kept as the digit.

See :mod:`digit_recognition.vision.model_contract` for the output format.
"""

from collections.abc import Callable
import dataclasses
import enum

import cv2

from digit_recognition.vision.digit_selection import (
    remove_ruled_lines, select_digit, without_leftover_lines)
from digit_recognition.vision.image_measures import (
    around, chromaticity, labels_to_mask, MaskShape, median_rows, odd_side, off_tint,
    rim_labels)
from digit_recognition.vision.mnist_normalization import normalize_digit
from digit_recognition.vision.model_contract import INPUT_DTYPE, INPUT_SIDE
from digit_recognition.vision.not_a_digit import (
    clutter, encloses_another_surface, is_edge_of_light, is_line_through_box,
    is_part_of_longer_line, is_stroke_from_outside, stands_among_bars)

import numpy as np

DEFAULT_ROI_SIDE = 200
"""Side of the default, centred, square region of interest, in pixels."""

CENTRED = -1
"""Value of :attr:`RegionOfInterest.x` / ``y`` meaning "centre the box on that axis"."""

NOISY = 0.02
"""A ROI whose sensor noise (see :func:`is_noisy`) reaches this fraction of the paper's
brightness is median-filtered before thresholding (even light on a good sensor stays
near 0.005; a dark, high-gain frame exceeds 0.03)."""

DARK_NOISE_FACTOR = 3.0
"""In a dark frame the ink floor drops from :attr:`PreprocessConfig.min_contrast` to this
many times the sensor noise (see :func:`sensor_noise`), but not below
:attr:`PreprocessConfig.dark_min_contrast` (see :func:`ink_floor`)."""

OFF_PAPER_CHROMA = 0.05
"""Where the box's background differs in colour from the paper by more than this
(chromaticity distance, see :func:`off_paper`), the box shows something other than the
sheet: the desk beyond its edge, an object, a hand."""

_OFF_TINT_SLACK = 2e-3
"""How much :func:`off_tint` may exceed a chromaticity's distance from the tint itself:
float32 rounding, and for a tint within 1e-3 of gray (whose projection it does not
compute) up to that distance. :func:`off_paper` skips it only with this to spare."""

OFF_PAPER_BORDER = 0.4
"""Only a region of another colour that lies along at least this fraction of one side
of the box, and covers :data:`OFF_PAPER_AREA` of it, is beyond the sheet (the desk past
the sheet's edge reaches in from outside; a coloured stain on the sheet does not)."""

OFF_PAPER_AREA = 0.04
"""See :data:`OFF_PAPER_BORDER`."""

SECOND_LOOK_NEW_INK = 0.00025
"""The second look is taken only when its threshold finds at least this fraction of the
box (10 pixels of a 200x200 box) as ink that is not beside the first look's ink. Most
frames gain only a softer rim on the strokes the first look found, which the
normalisation to MNIST's stroke width takes away again; on the field set the second
looks that read a digit the first missed all found a faded piece of stroke."""

DARKEST_INK_PIXELS = 0.004
"""The darkest strokes' level (:func:`_ink_level`) is taken over at least this fraction of
the box (160 pixels of a 200x200 box): a small digit written in 15 % of the box's height
has a few hundred pixels of ink, a speck or a fibre a few dozen."""

FAINT_MARKS_RATIO = 2.0
"""When the darkest :data:`DARKEST_INK_PIXELS` are at least this many times darker than
the 90th percentile of the box's ink, the rest is fainter marks (a grid's or ruling's
lines, which outnumber a small digit's ink) and the darkest pixels set the level."""


class ThresholdMode(str, enum.Enum):
    """How the gray ROI is split into ink and paper."""

    FIXED = 'fixed'
    """A pixel is ink iff its gray value is below :attr:`PreprocessConfig.threshold`."""

    OTSU = 'otsu'
    """Otsu's global threshold on the darkness relative to the local paper brightness."""

    ADAPTIVE = 'adaptive'
    """Darkness relative to the local paper, thresholded relative to the ink's darkness."""


@dataclasses.dataclass(frozen=True)
class RegionOfInterest:
    """A box in image pixels; ``x`` / ``y`` equal to ``CENTRED`` (-1) centre it.

    The default is a 200x200 box centred in the frame.
    """

    x: int = CENTRED
    y: int = CENTRED
    width: int = DEFAULT_ROI_SIDE
    height: int = DEFAULT_ROI_SIDE

    def resolve(self, image_shape: tuple[int, ...]) -> 'RegionOfInterest':
        """Return the box with ``CENTRED`` coordinates replaced, not clipped."""
        img_h, img_w = int(image_shape[0]), int(image_shape[1])
        x = (img_w - self.width) // 2 if self.x == CENTRED else self.x
        y = (img_h - self.height) // 2 if self.y == CENTRED else self.y
        return RegionOfInterest(int(x), int(y), int(self.width), int(self.height))

    @property
    def rect(self) -> tuple[int, int, int, int]:
        """``(x, y, width, height)``, as ``cv2.boundingRect`` gives a box."""
        return self.x, self.y, self.width, self.height


def clip_roi(roi: RegionOfInterest,
             image_shape: tuple[int, ...]) -> tuple[RegionOfInterest | None, bool]:
    """Clip a region to the image.

    Args:
        roi: the requested region (``CENTRED`` coordinates are resolved first).
        image_shape: ``frame.shape``; only height and width are used.

    Returns:
        ``(box, clipped)``: the part of the region inside the image, or ``None`` when
        that is empty (zero or negative size, or entirely outside); ``clipped`` is True
        when the box differs from the requested (resolved) one.

    """
    img_h, img_w = int(image_shape[0]), int(image_shape[1])
    want = roi.resolve(image_shape)
    x0 = max(want.x, 0)
    y0 = max(want.y, 0)
    x1 = min(want.x + want.width, img_w)
    y1 = min(want.y + want.height, img_h)
    if x1 <= x0 or y1 <= y0:
        return None, True
    box = RegionOfInterest(x0, y0, x1 - x0, y1 - y0)
    return box, box != want


@dataclasses.dataclass
class PreprocessConfig:
    """Parameters of :func:`preprocess`; the defaults suit a camera looking at paper."""

    roi: RegionOfInterest = dataclasses.field(default_factory=RegionOfInterest)
    """The region read; default: 200x200 centred."""
    threshold_mode: ThresholdMode = ThresholdMode.ADAPTIVE
    """A :class:`ThresholdMode` (or its string value)."""
    threshold: int = 128
    """Gray level for ``fixed`` mode: a pixel is ink iff its value is below it."""
    min_contrast: int = 16
    """Ink must be at least this many gray levels darker than the paper around it: above
    sensor noise, yet low enough for faint pencil on dim or shadowed paper (pencil on
    paper at gray 80 is about 20 levels darker)."""
    min_relative_contrast: float = 0.18
    """...and at least this fraction darker (``1 - ink / paper``); otherwise no ink."""
    dark_min_contrast: int = 10
    """``min_contrast`` in a dark frame, where it rather than ``min_relative_contrast``
    sets the floor on the paper (paper darker than 16 / 0.18 = 89 gray levels on
    average): pencil on paper at gray 50 is only 10-15 levels darker. The floor drops
    this far only as the frame's sensor noise allows (:func:`ink_floor`); equal to
    ``min_contrast``, it does not drop."""
    relative_threshold: float = 0.45
    """``adaptive``: ink is darker than this fraction of the digit's typical darkness."""
    min_ink_fraction: float = 0.001
    """The digit must cover at least this fraction of the ROI, or the ROI is empty."""
    max_ink_fraction: float = 0.6
    """A digit never covers more than this fraction of the ROI (else: not a digit)."""
    min_digit_size: float = 0.12
    """The digit's bounding box must be at least this fraction of the ROI's shorter side.
    Scaled into 28x28, any short straight mark (a staple, a fibre, a pencil dash) is a
    perfect "1": at 0.08 such marks 16-24 px long on a blank sheet were read as "1" at
    0.96-1.00. The smallest digits read are 15 % of the box high (their ink 0.135 of it
    at the least on 16 field seeds; doc/field-log.md)."""
    remove_lines: bool = True
    """Remove ruled-paper lines (long thin horizontal and vertical structures)."""
    line_length: float = 0.9
    """A removed line spans at least this fraction of the ROI side along it."""
    min_component_fraction: float = 0.04
    """Components smaller than this fraction of the largest one are noise."""
    thicken_thin_strokes: bool = True
    """Dilate very thin and erode marker-thick strokes towards MNIST's stroke width."""
    ignore_border_ink: bool = True
    """Ink touching the ROI's border is not the digit (see :func:`select_digit`)."""
    denoise: bool = True
    """Median-filter a noisy ROI before thresholding (see :func:`denoise`)."""
    ignore_off_paper: bool = True
    """No ink where the box shows something other than the sheet, told by its colour (the
    desk beyond the sheet's edge; see :func:`off_paper`); a colour frame only."""
    ignore_edges_of_light: bool = True
    """No digit when what was kept is one straight stroke with paper lit differently on
    its two sides: the edge of a shadow, of glare or of the sheet (:func:`is_edge_of_light`)."""
    ignore_filled_loops: bool = True
    """No digit when the kept ink's loops enclose a surface of another colour than around
    them: a coin's or a bottle cap's rim, not a digit's loop
    (:func:`encloses_another_surface`); a colour frame only."""
    ignore_lines_through_box: bool = True
    """No digit when what was kept is a thin line touching the box's border at two separate
    places: it passes through the box, a coin's rim or an object's corner
    (:func:`is_line_through_box`)."""
    ignore_longer_lines: bool = True
    """No digit when what was kept is one straight stroke that a fainter line continues
    beyond its end, towards the box's border: a crease, a fold or a faint edge kept only
    in part (:func:`is_part_of_longer_line`)."""
    ignore_barcodes: bool = True
    """No digit when what was kept has a straight bar beside it, parallel to it and level
    with both its ends: a barcode (:func:`stands_among_bars`)."""
    max_clutter: float = 1.0
    """The box holds no digit when more ink lies elsewhere in it than in the digit chosen
    (:func:`clutter`, after ruled lines are removed): the piece chosen is then one of many,
    of a desk's grain, grass, a grid, or a hand's or an object's outline. 0: no such test."""
    second_look_threshold: float = 0.30
    """``adaptive``: the ``relative_threshold`` of a second look at the box, taken when the
    first finds a digit and this threshold finds ink the first did not
    (:attr:`PreprocessResult.second_look`, :data:`SECOND_LOOK_NEW_INK`). A lower threshold keeps
    the fainter parts of strokes, which glare, a shadow or pencil make fainter than the
    rest; the classifier answers with the second look when the first gives no confident
    digit, or when it reads another digit confidently
    (:func:`~digit_recognition.vision.batching.combine_with_second_look`). 0 (or not
    below ``relative_threshold``): no second look."""
    second_look_min_relative_contrast: float = 0.14
    """The second look's ``min_relative_contrast``: pencil is faint, and glare brightens
    the paper it is measured against, so parts of a pencil stroke fall under the first
    look's floor. Lowered for the first look as well, it found twice the false digits
    (see doc/field-log.md); the classifier takes a digit from the second look only where
    the first look's likeliest answer is a digit."""


@dataclasses.dataclass
class PreprocessResult:
    """The output of :func:`preprocess`."""

    model_input: np.ndarray
    """``(28, 28)`` float32 in [0, 1] per the model contract (all zero when empty)."""
    binary_roi: np.ndarray
    """uint8 0/255 threshold output of the ROI, ink = 255 (for display)."""
    digit_mask: np.ndarray
    """uint8 0/255 mask of the ink kept as the digit, ROI-sized (for display)."""
    is_empty: bool
    """True when the ROI holds no digit."""
    roi: RegionOfInterest | None
    """The (clipped) box actually used, or None when it was outside the frame."""
    roi_clipped: bool
    """True when the requested box had to be clipped to the frame."""
    second_look: np.ndarray | None = None
    """A second ``(28, 28)`` model input, of the digit found with
    ``config.second_look_threshold`` and ``config.second_look_min_relative_contrast``;
    None when there is no digit, no second look, or it finds no new ink
    (:data:`SECOND_LOOK_NEW_INK`), the same digit mask or none."""


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def estimate_paper(gray: np.ndarray, side: int | None = None,
                   within: RegionOfInterest | None = None) -> np.ndarray:
    """Estimate the local paper brightness under the ink (uint8).

    A closing (max then min filter) with a kernel wider than any stroke erases the
    dark ink while following lighting gradients; it keeps a straight edge between
    light and shadow (or paper and desk) exactly where it is, so the edge is not
    taken for a stroke. It runs at full resolution for that reason (a downscaled
    estimate smears the edge into a dark band), after a median filter, which removes
    sensor noise (the max filter would otherwise lift the estimate by the noise's
    peaks) without moving edges.

    Args:
        gray: the gray image (the ROI, or the ROI with a margin around it).
        side: the ROI's shorter side, which sets the kernel; default: ``gray``'s.
        within: the part of ``gray`` to estimate (the ROI inside its margin); the
            estimate there is the whole image's, cut to it. Default: all of ``gray``.

    Returns:
        The estimate, of ``within``'s shape (``gray``'s by default).

    """
    h, w = gray.shape
    if within is None:
        within = RegionOfInterest(0, 0, w, h)
    smooth = cv2.medianBlur(gray, 5) if min(h, w) >= 16 else gray
    closed = _close_square(smooth, _paper_kernel(min(h, w) if side is None else side), within)
    return np.maximum(closed, gray[within.y:within.y + within.height,
                                   within.x:within.x + within.width])


def _close_square(image: np.ndarray, side: int, within: RegionOfInterest) -> np.ndarray:
    """Return the closing of ``image`` by an odd ``side`` x ``side`` square, cut to ``within``.

    Byte for byte ``cv2.morphologyEx(image, cv2.MORPH_CLOSE, square,
    borderType=cv2.BORDER_REPLICATE)`` cut to ``within``: OpenCV compares ``side`` pixels
    for each pixel and pass, :func:`_window_extreme` about log2(``side``), and the
    minimum filter runs only where ``within`` needs it. For the paper estimate (a 53 px
    square, a 256x256 image cut to the 200x200 box) 0.23 ms instead of 0.31 ms.
    """
    half = side // 2
    padded = cv2.copyMakeBorder(image, half, half, half, half, cv2.BORDER_REPLICATE)
    dilated = _window_extreme(_window_extreme(padded, side, 1, cv2.max), side, 0, cv2.max)
    # A pixel of the closing needs the dilation within half a side of it, no further.
    padded = cv2.copyMakeBorder(dilated, half, half, half, half, cv2.BORDER_REPLICATE)[
        within.y:within.y + within.height + 2 * half, within.x:within.x + within.width + 2 * half]
    return _window_extreme(_window_extreme(padded, side, 1, cv2.min), side, 0, cv2.min)


def _window_extreme(image: np.ndarray, length: int, axis: int,
                    extreme: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Return ``extreme`` (``cv2.max`` or ``cv2.min``) of every run of ``length`` pixels.

    Runs go along ``axis`` (0: down the columns, 1: along the rows); the result is
    ``length - 1`` pixels shorter along it. Extremes of runs of 2, 4, 8, ... pixels
    are built by doubling, and a run of any length is covered by two overlapping runs
    of the largest such size: 1 + log2(length) calls on whole images.
    """
    def run(values: np.ndarray, start: int, count: int) -> np.ndarray:
        return values[:, start:start + count] if axis else values[start:start + count]

    runs, size = image, 1
    while 2 * size <= length:
        count = runs.shape[axis] - size
        runs = extreme(run(runs, 0, count), run(runs, size, count))
        size *= 2
    count = image.shape[axis] - length + 1
    return extreme(run(runs, 0, count), run(runs, length - size, count))


def _paper_kernel(side: int) -> int:
    """Wider than any stroke (a thick marker on a big digit): about 1/4 of the ROI side."""
    return odd_side(side / 4 + 2)


def _gray_and_paper(frame: np.ndarray, box: RegionOfInterest) -> tuple[np.ndarray, np.ndarray]:
    """Return the box's gray image and its paper estimate, read with a margin around it.

    The paper under the box is estimated from the box and a margin of the frame around
    it: near the box's border the estimate would otherwise rest on padding, which does
    not continue a slanted shadow edge, and the edge would leave ink-like blobs at the
    border. The box's gray is cut from the same gray image (converted once).
    """
    x0, y0, x1, y1 = around(box.rect, _paper_kernel(min(box.width, box.height)) // 2 + 2,
                            frame.shape)
    margined = _to_gray(frame[y0:y1, x0:x1])
    within = RegionOfInterest(box.x - x0, box.y - y0, box.width, box.height)
    paper = estimate_paper(margined, min(box.width, box.height), within)
    return np.ascontiguousarray(margined[within.y:within.y + box.height,
                                         within.x:within.x + box.width]), paper


def _median_residual(gray: np.ndarray) -> np.ndarray:
    """Return ``|gray - median3(gray)|`` (uint8): sensor noise on paper, see :func:`is_noisy`."""
    return cv2.absdiff(gray, cv2.medianBlur(gray, 3))


def is_noisy(gray: np.ndarray, paper: np.ndarray) -> bool:
    """Whether the gray ROI's sensor noise reaches :data:`NOISY` of its paper's brightness.

    The test is on ``|gray - median3(gray)|``, which on paper (most of a region) is
    pure noise while strokes and edges, a minority of pixels, barely move it: the
    region is noisy when at least a quarter of its pixels deviate that much (the
    upper quartile, without the cost of a histogram).

    Args:
        gray: the gray ROI.
        paper: its paper estimate (:func:`estimate_paper`).

    """
    level = int(np.ceil(NOISY * cv2.mean(paper)[0]))
    residual = _median_residual(gray)
    deviating = cv2.threshold(residual, max(level, 1) - 1, 255, cv2.THRESH_BINARY)[1]
    return cv2.countNonZero(deviating) >= 0.25 * residual.size


def sensor_noise(gray: np.ndarray) -> int:
    """Return the gray ROI's sensor noise: the upper quartile of ``|gray - median3(gray)|``.

    As in :func:`is_noisy`, which asks only whether it reaches a level: on paper the
    residual is noise, and strokes and edges barely move its upper quartile.
    """
    residual = _median_residual(gray)
    cumulative = np.cumsum(cv2.calcHist([residual], [0], None, [256], [0, 256]).ravel())
    return int(np.searchsorted(cumulative, 0.75 * residual.size, side='right'))


def ink_floor(gray: np.ndarray, paper: np.ndarray, config: PreprocessConfig) -> int:
    """Return the least darkness (gray levels) that counts as ink in this ROI.

    It is ``config.min_contrast``, except in a dark frame: where the paper is on average
    so dark that ``min_contrast`` rather than ``min_relative_contrast`` decides (a dark
    room, a deep shadow over the whole box), faint pencil is only 10-15 levels darker
    than the paper, and the floor drops towards ``config.dark_min_contrast`` as far as
    the sensor noise allows (:data:`DARK_NOISE_FACTOR` times :func:`sensor_noise`), so
    that noise does not become ink. A bright frame keeps the floor: there, dark regions
    are the desk, a sleeve or a shadow's edge, whose texture would pass a lower one.

    Args:
        gray: the gray ROI, before any denoising.
        paper: its paper estimate (:func:`estimate_paper`).
        config: the preprocessing parameters.

    """
    floor = int(config.min_contrast)
    if cv2.mean(paper)[0] * config.min_relative_contrast >= floor:
        return floor  # the usual case, and cheap: the noise is not measured
    noise = sensor_noise(gray)
    return int(min(floor, max(config.dark_min_contrast, round(DARK_NOISE_FACTOR * noise))))


def off_paper(frame: np.ndarray, box: RegionOfInterest) -> np.ndarray | None:
    """Return the mask of the part of the box that is not the sheet, or None.

    Beyond the sheet's edge the box shows the desk, whose grain passes for ink and joins
    the digit. Its colour gives it away: a closing (at an eighth of the resolution, with
    a kernel of half the box's side) erases every stroke, coloured ones too, leaving the
    background's colour; where its chromaticity is more than :data:`OFF_PAPER_CHROMA`
    from the line between the paper's (the box's median) and gray, it is not paper. A
    shadow changes the brightness, not the chromaticity, and glare moves it towards gray,
    so neither counts. Only regions reaching in from the border count
    (:data:`OFF_PAPER_BORDER`). A desk of the paper's colour goes unnoticed.

    Args:
        frame: the whole BGR(A) frame (the closing reads a margin around the box).
        box: the clipped region of interest.

    Returns:
        uint8 0/255 mask of the box's size, widened by two pixels; None when the box
        is all paper, or the frame is not in colour.

    """
    step = 8  # colour varies slowly; at a quarter of the resolution it cost 1.7 times more
    if frame.ndim != 3 or frame.shape[2] < 3 or min(box.width, box.height) < 8 * step:
        return None
    kernel = max(3, min(box.width, box.height) // 2 // step | 1)
    x0, y0, x1, y1 = around(box.rect, (kernel // 2 + 1) * step, frame.shape)
    background = cv2.resize(frame[y0:y1, x0:x1, :3], ((x1 - x0) // step, (y1 - y0) // step),
                            interpolation=cv2.INTER_AREA)
    background = cv2.morphologyEx(background, cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel)))
    bx, by = (box.x - x0) // step, (box.y - y0) // step
    bw, bh = box.width // step, box.height // step
    chroma = chromaticity(background[by:by + bh, bx:bx + bw])
    colours = chroma.reshape(-1, 3)
    # The usual case, a box of one colour, decided without the median and the distances
    # (a third of this function's time): no colour is farther from the segment than from
    # the median, a point of it, and the median lies within the colours' range.
    spread = cv2.subtract(cv2.reduce(colours, 0, cv2.REDUCE_MAX),
                          cv2.reduce(colours, 0, cv2.REDUCE_MIN)).astype(np.float64).ravel()
    if float(np.sqrt(spread @ spread)) < OFF_PAPER_CHROMA - _OFF_TINT_SLACK:
        return None
    other = (off_tint(chroma, median_rows(colours)) > OFF_PAPER_CHROMA).astype(np.uint8)
    if not other.any():
        return None
    # Wu's algorithm named: OpenCV 4.5.5's default for 4-connectivity (Spaghetti, new in
    # 4.5.5, fixed in 4.6; opencv issue 21366) crashes the process on nearly every mask.
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        other, 4, cv2.CV_32S, cv2.CCL_WU)
    beyond = np.zeros(count, bool)
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] < OFF_PAPER_AREA * bw * bh:
            continue
        region = labels == label
        along_sides = (region[0].sum() / bw, region[-1].sum() / bw,
                       region[:, 0].sum() / bh, region[:, -1].sum() / bh)
        beyond[label] = max(along_sides) >= OFF_PAPER_BORDER
    if not beyond.any():
        return None
    mask = cv2.resize(beyond[labels].astype(np.uint8) * 255, (box.width, box.height),
                      interpolation=cv2.INTER_NEAREST)
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))


def denoise(gray: np.ndarray) -> np.ndarray:
    """Median-filter a noisy gray image before thresholding.

    In a dark room the camera's gain turns paper into a field of specks as dark as
    faint ink, and the ink itself breaks into specks; a 5x5 median removes that noise
    yet keeps strokes and their edges (a blur would spread them).
    """
    if min(gray.shape) < 16:
        return gray
    return cv2.medianBlur(gray, 5)


def _darkness(gray: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute (uint8 gray levels) and relative (uint8, 255 = black) darkness."""
    absolute = cv2.subtract(paper, gray)
    relative = cv2.divide(absolute, paper, scale=255.0)
    return absolute, relative


def _ink_level(relative: np.ndarray, candidates: np.ndarray) -> float:
    """Typical darkness of the darkest strokes: the 90th percentile of candidate pixels.

    Unless fainter marks outnumber the digit: a small digit on grid paper has fewer
    pixels than the grid's lines, so the 90th percentile is the grid's darkness and the
    threshold derived from it keeps the grid joined to the digit (a tilted grid is not
    removed as ruled lines). When the darkest :data:`DARKEST_INK_PIXELS` of the box are
    :data:`FAINT_MARKS_RATIO` times darker than that percentile, their darkness is the
    level instead. ``candidates`` is a uint8 mask; a histogram is much faster than
    ``np.percentile``.
    """
    hist = cv2.calcHist([relative], [0], candidates, [256], [0, 256]).ravel()
    total = hist.sum()
    if total < 8:
        return 0.0
    cumulative = np.cumsum(hist)
    level = float(np.searchsorted(cumulative, 0.9 * total))
    darkest = DARKEST_INK_PIXELS * relative.size
    if total > darkest:
        darkest_level = float(np.searchsorted(cumulative, total - darkest))
        if darkest_level >= FAINT_MARKS_RATIO * level:
            return darkest_level
    return level


def _threshold(gray: np.ndarray, config: PreprocessConfig, paper: np.ndarray | None = None,
               min_contrast: int | None = None) -> np.ndarray:
    """Return the uint8 0/255 ink mask of the gray ROI.

    ``paper`` is its paper estimate, ``min_contrast`` its :func:`ink_floor` (default:
    ``config.min_contrast``).
    """
    return _thresholds(gray, config, paper, min_contrast)[0]


def _thresholds(gray: np.ndarray, config: PreprocessConfig, paper: np.ndarray | None = None,
                min_contrast: int | None = None,
                more: tuple[tuple[float, float], ...] = ()) -> list[np.ndarray]:
    """Return :func:`_threshold`'s ink mask, then one per pair in ``more``.

    Each pair is a ``(relative_threshold, min_relative_contrast)`` to use instead of the
    config's. The masks share the darkness, computed once, and the ink level, computed
    once per ``min_relative_contrast`` (``adaptive`` mode; in the other modes ``more``
    adds masks equal to the first).
    """
    mode = ThresholdMode(config.threshold_mode)
    if mode is ThresholdMode.FIXED:
        # THRESH_BINARY_INV keeps v <= t as ink; v < t exactly means v <= t - 1.
        t = int(config.threshold)
        if t <= 0:
            return [np.zeros_like(gray)] * (1 + len(more))
        return [cv2.threshold(gray, t - 1, 255, cv2.THRESH_BINARY_INV)[1]] * (1 + len(more))
    if paper is None:
        paper = estimate_paper(gray)
    absolute, relative = _darkness(gray, paper)
    floor = config.min_contrast if min_contrast is None else min_contrast
    absolutely_dark = cv2.threshold(absolute, floor - 1, 255, cv2.THRESH_BINARY)[1]
    candidates: dict[float, tuple[int, np.ndarray, float]] = {}
    masks = []
    for fraction, min_relative in ((config.relative_threshold, config.min_relative_contrast),
                                   *more):
        if min_relative not in candidates:
            min_rel = int(round(255 * min_relative))
            significant = cv2.bitwise_and(
                absolutely_dark, cv2.threshold(relative, min_rel - 1, 255, cv2.THRESH_BINARY)[1])
            candidates[min_relative] = (min_rel, significant,
                                        _ink_level(relative, significant))
        min_rel, significant, level = candidates[min_relative]
        if level <= 0:
            masks.append(np.zeros_like(gray))
            continue
        if mode is ThresholdMode.OTSU:
            t = cv2.threshold(relative, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
        else:
            t = fraction * level
        # Ink: relatively dark enough, and also absolutely (no ink in sensor noise).
        t = int(np.ceil(max(t, min_rel)))
        ink = cv2.bitwise_and(significant,
                              cv2.threshold(relative, t - 1, 255, cv2.THRESH_BINARY)[1])
        masks.append(_fill_stroke_holes(ink, gray, paper, config.min_contrast))
    return masks


def _fill_stroke_holes(ink: np.ndarray, gray: np.ndarray, paper: np.ndarray,
                       min_contrast: int) -> np.ndarray:
    """Fill the holes that the paper estimate punches into strokes wider than its kernel.

    Inside a bold stroke wider than :func:`_paper_kernel`, the closing finds no paper
    and takes the ink for it: the stroke gets square holes of "paper", and the digit
    turns into another. There the paper estimate is as dark as the ink, which paper is
    hardly anywhere else (a shadow is lighter than the ink on it). Such regions, as
    dark as the ink, are added with the dark pixels around them when they touch the
    ink and not the ROI's border: dim paper beside glare, or a dark desk or sleeve,
    reaches in from outside.

    "As dark as the ink" allows twice ``min_contrast`` above the ink's mean gray: the
    collapsed estimate is the *lightest* ink within the kernel (a closing takes a
    maximum first), and a bold stroke's gray varies by about ``min_contrast`` (uneven
    light across it, its blurred rim), while paper is at least ``min_contrast``
    lighter than ink by the definition of ink.

    Args:
        ink: uint8 0/255 ink mask of ``gray``.
        gray: the gray ROI.
        paper: its paper estimate.
        min_contrast: the least contrast of ink against paper (gray levels).

    """
    if not cv2.countNonZero(ink):
        return ink
    as_dark_as_ink = int(cv2.mean(gray, mask=ink)[0]) + 2 * min_contrast
    if cv2.minMaxLoc(paper)[0] > as_dark_as_ink:
        return ink
    # The collapsed estimate: both it and the pixel as dark as the ink.
    core = cv2.threshold(cv2.max(paper, gray), as_dark_as_ink, 255, cv2.THRESH_BINARY_INV)[1]
    # Grown over the pixels as dark as the ink around it.
    dark = cv2.threshold(gray, as_dark_as_ink, 255, cv2.THRESH_BINARY_INV)[1]
    count, labels = cv2.connectedComponents(cv2.bitwise_or(core, cv2.bitwise_and(
        dark, cv2.bitwise_not(ink))), connectivity=8)
    fill = np.zeros(count, bool)
    fill[labels[cv2.bitwise_and(core, cv2.dilate(ink, None)) > 0]] = True
    fill[rim_labels(labels)] = False
    fill[0] = False
    if not fill.any():
        return ink
    return cv2.bitwise_or(ink, labels_to_mask(labels, np.flatnonzero(fill), count))


def preprocess(frame: np.ndarray, config: PreprocessConfig | None = None) -> PreprocessResult:
    """Preprocess one camera frame into the model's input.

    Args:
        frame: uint8 image, BGR ``(H, W, 3)``, BGRA ``(H, W, 4)`` or mono ``(H, W)``.
        config: parameters; ``PreprocessConfig()`` when None.

    Returns:
        The :class:`PreprocessResult`; ``model_input`` is all zero when ``is_empty``.
        ``second_look`` is a second model input, for the classifier to read when the
        first gives no confident digit (see ``config.second_look_threshold``).

    Raises:
        ValueError: if the frame is not a 2-D or 3-D uint8 array.

    """
    if config is None:
        config = PreprocessConfig()
    if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or frame.dtype != np.uint8:
        raise ValueError('frame must be a uint8 array of shape (H, W) or (H, W, C)')
    box, clipped = clip_roi(config.roi, frame.shape)
    empty_input = np.zeros((INPUT_SIDE, INPUT_SIDE), INPUT_DTYPE)
    if box is None:
        nothing = np.zeros((0, 0), np.uint8)
        return PreprocessResult(empty_input, nothing, nothing, True, None, True)
    paper = floor = outside = None
    if ThresholdMode(config.threshold_mode) is ThresholdMode.FIXED:
        gray = _to_gray(frame[box.y:box.y + box.height, box.x:box.x + box.width])
    else:
        gray, paper = _gray_and_paper(frame, box)
        floor = ink_floor(gray, paper, config)
        if config.denoise and is_noisy(gray, paper):
            gray = denoise(gray)
        outside = off_paper(frame, box) if config.ignore_off_paper else None
        if outside is not None:
            # Beyond the sheet nothing is ink: darkness there is measured against itself.
            paper = np.where(outside > 0, gray, paper)
    second = (ThresholdMode(config.threshold_mode) is ThresholdMode.ADAPTIVE
              and 0 < config.second_look_threshold < config.relative_threshold)
    binary, *more = _thresholds(gray, config, paper, floor, (
        (config.second_look_threshold, config.second_look_min_relative_contrast),)
        if second else ())
    colour = (frame[box.y:box.y + box.height, box.x:box.x + box.width, :3]
              if frame.ndim == 3 and frame.shape[2] >= 3 else None)
    digit = _find_digit(binary, gray, config, box, outside, colour)
    if digit is None:
        return PreprocessResult(empty_input, binary, np.zeros_like(binary), True, box, clipped)
    model_input = normalize_digit(digit, config.thicken_thin_strokes)
    second_look = None
    if more:
        second_binary = more[0]
        beyond_first = cv2.bitwise_and(second_binary, cv2.bitwise_not(cv2.dilate(binary, None)))
        if cv2.countNonZero(beyond_first) >= SECOND_LOOK_NEW_INK * box.width * box.height:
            second_digit = _find_digit(second_binary, gray, config, box, outside, colour)
            if second_digit is not None and cv2.countNonZero(cv2.absdiff(second_digit, digit)):
                second_look = normalize_digit(second_digit, config.thicken_thin_strokes)
    return PreprocessResult(model_input, binary, digit, False, box, clipped, second_look)


def _find_digit(binary: np.ndarray, gray: np.ndarray, config: PreprocessConfig,
                box: RegionOfInterest, outside: np.ndarray | None,
                colour: np.ndarray | None = None) -> np.ndarray | None:
    """Return the mask of the digit in a thresholded box, or None when it holds none.

    The steps of :func:`preprocess` after thresholding: ruled lines removed, the digit
    chosen, then rejected when too little or too much ink, too small, a stroke reaching
    in from outside, the edge of a shadow, of glare or of the sheet, a piece of a longer
    faint line (a crease), a barcode's bar, an object's rim
    (with the box's BGR ``colour``), or one piece of clutter among more (ruled lines
    left over are not clutter).
    """
    cleaned = remove_ruled_lines(binary, config.line_length) if config.remove_lines else binary
    digit = select_digit(cleaned, config.min_component_fraction, config.ignore_border_ink)
    area = box.width * box.height
    ink = cv2.countNonZero(digit)
    if not config.min_ink_fraction * area <= ink <= config.max_ink_fraction * area:
        return None
    _, _, dw, dh = cv2.boundingRect(digit)
    if max(dw, dh) < config.min_digit_size * min(box.width, box.height):
        return None
    # The tests below ask the same things of the digit's shape: each measured once.
    shape = MaskShape(digit)
    if config.ignore_border_ink and is_stroke_from_outside(digit, outside, shape=shape):
        return None
    if config.ignore_lines_through_box and is_line_through_box(digit, shape=shape):
        return None
    if config.ignore_edges_of_light and is_edge_of_light(digit, gray, shape=shape):
        return None
    if config.ignore_longer_lines and is_part_of_longer_line(digit, cleaned, gray, shape=shape):
        return None
    if config.ignore_barcodes and stands_among_bars(digit, cleaned, shape=shape):
        return None
    if config.ignore_filled_loops and colour is not None and encloses_another_surface(
            digit, colour):
        return None
    if config.max_clutter > 0 and clutter(cleaned, digit) > config.max_clutter and clutter(
            without_leftover_lines(cleaned), digit) > config.max_clutter:
        return None
    return digit
