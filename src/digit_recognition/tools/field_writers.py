"""Handwriting that is not MNIST: a digit synthesizer, printed, Hershey and handwriting fonts.

Sources of digits for the field set (:mod:`digit_recognition.tools.field`) and
for training (:mod:`digit_recognition.tools.training`):

* :class:`StrokeWriter` - a "writer" is a set of style parameters drawn from a seed
  (slant, width, roundness, stroke thickness, shakiness and which variant of
  1, 4, 7 and 9 they write); each digit is a skeleton of strokes through control
  points, jittered per writer and per sample, smoothed (Catmull-Rom) and drawn with
  a round pen. Writer seeds below :data:`FIRST_EVALUATION_WRITER` are for training,
  the others for evaluation, so the writers measured on are never trained on; training
  writers also use variants evaluation writers never write (serif and flagged "1"s,
  crossed "7"s: :data:`_TRAINING_ONLY_SKELETONS`).
* :func:`hershey_digit` - OpenCV's built-in Hershey vector fonts (script, simplex,
  complex, italic), slanted and rotated at random. Used for evaluation only.
* :func:`handwriting_font_digit` - people's handwriting from the handwriting fonts of
  :mod:`~digit_recognition.tools.handwriting_fonts`. Used for evaluation only.

Each returns an ink coverage image: ``float32`` in ``[0, 1]``, 1 = ink, cropped to
the ink.
"""

import functools
from pathlib import Path

import cv2
import numpy as np

FIRST_EVALUATION_WRITER = 100_000
"""Writer seeds from this one on are kept for evaluation (never trained on)."""

Stroke = list[tuple[float, float]]

# Skeletons in a unit box (x right, y down). A digit is a list of variants; a variant
# is a list of strokes; a stroke is a list of control points, smoothed unless marked
# sharp (a stroke whose first point is None is drawn as straight segments).
_SHARP = None


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float = -90.0,
             sweep: float = 360.0, points: int = 10) -> Stroke:
    angles = np.radians(start + sweep * np.arange(points + 1) / points)
    return [(cx + rx * float(np.cos(a)), cy + ry * float(np.sin(a))) for a in angles]


_SKELETONS: dict[int, list[list[list]]] = {
    0: [[_ellipse(0.5, 0.5, 0.42, 0.5)],
        [_ellipse(0.5, 0.5, 0.4, 0.5, start=-60.0, sweep=380.0)]],
    1: [[[_SHARP, (0.5, 0.0), (0.5, 1.0)]],
        [[_SHARP, (0.25, 0.22), (0.55, 0.0), (0.55, 1.0)]],
        [[_SHARP, (0.25, 0.22), (0.55, 0.0), (0.55, 1.0)], [_SHARP, (0.25, 1.0), (0.85, 1.0)]]],
    2: [[[(0.08, 0.28), (0.3, 0.03), (0.65, 0.02), (0.88, 0.25), (0.75, 0.52), (0.3, 0.85),
          (0.08, 1.0)], [_SHARP, (0.08, 1.0), (0.95, 0.98)]],
        [[(0.1, 0.22), (0.45, 0.0), (0.85, 0.2), (0.65, 0.55), (0.1, 1.0), (0.4, 0.93),
          (0.95, 0.98)]]],
    3: [[[(0.1, 0.12), (0.5, 0.0), (0.85, 0.2), (0.72, 0.4), (0.42, 0.48)],
         [(0.42, 0.48), (0.85, 0.62), (0.82, 0.9), (0.45, 1.0), (0.08, 0.88)]],
        [[_SHARP, (0.1, 0.02), (0.88, 0.02), (0.45, 0.42)],
         [(0.45, 0.42), (0.88, 0.62), (0.8, 0.92), (0.42, 1.0), (0.08, 0.86)]]],
    4: [[[_SHARP, (0.68, 0.0), (0.05, 0.68), (0.98, 0.68)], [_SHARP, (0.7, 0.3), (0.7, 1.0)]],
        [[_SHARP, (0.15, 0.0), (0.08, 0.6), (0.95, 0.6)], [_SHARP, (0.72, 0.05), (0.72, 1.0)]]],
    5: [[[_SHARP, (0.88, 0.0), (0.2, 0.0), (0.14, 0.45)],
         [(0.14, 0.45), (0.5, 0.36), (0.88, 0.6), (0.75, 0.92), (0.4, 1.0), (0.06, 0.88)]],
        [[_SHARP, (0.2, 0.02), (0.14, 0.45)],
         [(0.14, 0.45), (0.55, 0.37), (0.9, 0.65), (0.6, 1.0), (0.08, 0.86)],
         [_SHARP, (0.2, 0.02), (0.88, 0.0)]]],
    6: [[[(0.78, 0.02), (0.4, 0.2), (0.14, 0.6), (0.25, 0.95), (0.6, 0.98), (0.86, 0.75),
          (0.6, 0.5), (0.3, 0.55), (0.15, 0.72)]]],
    7: [[[_SHARP, (0.05, 0.02), (0.95, 0.0), (0.38, 1.0)]],
        [[_SHARP, (0.05, 0.02), (0.95, 0.0), (0.4, 1.0)], [_SHARP, (0.35, 0.5), (0.85, 0.5)]],
        [[_SHARP, (0.05, 0.15), (0.05, 0.02), (0.95, 0.0), (0.45, 1.0)]]],
    8: [[[(0.5, 0.47), (0.18, 0.3), (0.25, 0.05), (0.5, 0.0), (0.8, 0.08), (0.82, 0.3),
          (0.5, 0.47), (0.12, 0.72), (0.3, 0.97), (0.6, 1.0), (0.88, 0.75), (0.5, 0.47)]]],
    9: [[_ellipse(0.5, 0.28, 0.36, 0.27, start=0.0, sweep=370.0),
         [_SHARP, (0.86, 0.28), (0.8, 1.0)]],
        [_ellipse(0.48, 0.28, 0.36, 0.27, start=0.0, sweep=370.0),
         [(0.84, 0.28), (0.82, 0.7), (0.6, 0.97), (0.3, 0.92)]]],
}


_TRAINING_ONLY_SKELETONS: dict[int, list[list[list]]] = {
    1: [[[_SHARP, (0.12, 0.32), (0.55, 0.0), (0.55, 1.0)], [_SHARP, (0.2, 1.0), (0.9, 1.0)]],
        [[(0.22, 0.2), (0.42, 0.12), (0.55, 0.0)], [_SHARP, (0.55, 0.0), (0.55, 1.0)],
         [_SHARP, (0.38, 1.0), (0.72, 1.0)]],
        [[_SHARP, (0.3, 0.14), (0.55, 0.0), (0.55, 1.0)], [_SHARP, (0.3, 1.0), (0.8, 1.0)],
         [_SHARP, (0.4, 0.0), (0.55, 0.0)]],
        [[_SHARP, (0.05, 0.42), (0.6, 0.0), (0.6, 1.0)]]],
    7: [[[_SHARP, (0.05, 0.18), (0.05, 0.02), (0.95, 0.0), (0.4, 1.0)],
         [_SHARP, (0.3, 0.52), (0.88, 0.48)]],
        [[(0.05, 0.02), (0.5, 0.04), (0.95, 0.0)], [(0.95, 0.0), (0.62, 0.45), (0.5, 1.0)]]],
    4: [[[_SHARP, (0.68, 0.0), (0.05, 0.68), (0.98, 0.68)], [_SHARP, (0.68, 0.0), (0.68, 1.0)],
         [_SHARP, (0.5, 1.0), (0.85, 1.0)]]],
    2: [[[(0.08, 0.25), (0.35, 0.0), (0.75, 0.05), (0.85, 0.3), (0.5, 0.65), (0.08, 1.0)],
         [(0.08, 1.0), (0.25, 0.88), (0.45, 0.95), (0.95, 0.98)]]],
}
"""Variants only training writers use (flagged and serif "1"s, crossed and curved "7"s,
a serif "4", a looped "2"), so that evaluation writers stay exactly as they were."""


def _catmull_rom(points: np.ndarray, samples: int = 8) -> np.ndarray:
    """Smooth a polyline through its points (centripetal-free, uniform Catmull-Rom)."""
    if len(points) < 3:
        return points
    padded = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(points[-1:])
    return np.vstack(out)


class StrokeWriter:
    """One synthetic writer: a consistent hand, from a seed.

    Attributes:
        seed: the writer's seed (see :data:`FIRST_EVALUATION_WRITER`).

    """

    def __init__(self, seed: int) -> None:
        """Draw the writer's style from ``seed``."""
        rng = np.random.default_rng(seed)
        self.seed = int(seed)
        self._slant = float(rng.uniform(-0.35, 0.25))
        self._aspect = float(rng.uniform(0.45, 0.85))
        self._thickness = float(rng.uniform(0.05, 0.14))
        self._shake = float(rng.uniform(0.01, 0.05))
        self._style_jitter = rng.normal(0.0, rng.uniform(0.02, 0.06), (10, 4, 16, 2))
        self._variant = {d: int(rng.integers(len(v))) for d, v in _SKELETONS.items()}
        self._variants = _SKELETONS
        if self.seed < FIRST_EVALUATION_WRITER:
            # Drawn after the style above, so that a writer's style does not depend on it.
            self._variants = {d: v + _TRAINING_ONLY_SKELETONS.get(d, [])
                              for d, v in _SKELETONS.items()}
            for d, extra in _TRAINING_ONLY_SKELETONS.items():
                if rng.random() < 0.5:
                    self._variant[d] = len(_SKELETONS[d]) + int(rng.integers(len(extra)))
            if rng.random() < 0.2:
                # A bold pen (or a bold printed hand), thicker than any evaluation writer's.
                self._thickness = float(rng.uniform(0.14, 0.24))

    def variants(self, digit: int) -> int:
        """Return how many ways of writing ``digit`` this writer may use."""
        return len(self._variants[digit])

    def draw(self, digit: int, height: int, rng: np.random.Generator) -> np.ndarray:
        """Write ``digit`` about ``height`` pixels tall; ``float32`` ink coverage, cropped.

        Args:
            digit: 0-9.
            height: target height of the digit in pixels.
            rng: per-sample randomness (small variations between two writings).

        """
        variants = self._variants[digit]
        variant = variants[self._variant[digit]]
        if rng.random() < 0.15:
            variant = variants[int(rng.integers(len(variants)))]
        scale = float(height)
        width = self._aspect * rng.uniform(0.9, 1.1) * scale
        slant = self._slant + rng.normal(0.0, 0.05)
        pad = int(0.4 * scale) + 4
        side_w = int(width + abs(slant) * scale) + 2 * pad
        side_h = int(scale) + 2 * pad
        canvas = np.zeros((side_h * 4, side_w * 4), np.uint8)
        thickness = max(1, int(round(4 * self._thickness * scale * rng.uniform(0.85, 1.15))))
        for s, stroke in enumerate(variant):
            sharp = stroke[0] is _SHARP
            pts = np.array(stroke[1:] if sharp else stroke, np.float64)
            pts = pts + self._style_jitter[digit, s % 4, np.arange(len(pts)) % 16]
            pts = pts + rng.normal(0.0, self._shake, pts.shape)
            if not sharp:
                pts = _catmull_rom(pts)
            x = pad + pts[:, 0] * width + (1.0 - pts[:, 1]) * slant * scale
            y = pad + pts[:, 1] * scale
            if slant < 0:
                x -= slant * scale
            poly = np.round(np.stack([x, y], axis=1) * 4).astype(np.int32)
            cv2.polylines(canvas, [poly], False, 255, thickness, cv2.LINE_AA)
        small = cv2.resize(canvas, (side_w, side_h), interpolation=cv2.INTER_AREA)
        return _crop(small.astype(np.float32) / 255.0)


HERSHEY_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
                 cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                 cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN)
"""OpenCV's Hershey vector fonts (public-domain font data, built into OpenCV)."""


def hershey_digit(digit: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Render ``digit`` in a random Hershey font, slanted and rotated; cropped coverage."""
    font = HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))]
    if rng.random() < 0.4:
        font |= cv2.FONT_ITALIC
    base = 4.0
    thickness = int(rng.integers(3, 11))
    canvas = np.zeros((220, 220), np.uint8)
    cv2.putText(canvas, str(digit), (50, 170), font, base, 255, thickness, cv2.LINE_AA)
    shear = rng.uniform(-0.3, 0.2)
    angle = rng.uniform(-10.0, 10.0)
    canvas = _slant_and_turn(canvas, shear, angle)
    return _scaled_to_height(_crop(canvas.astype(np.float32) / 255.0), height)


def _slant_and_turn(canvas: np.ndarray, shear: float, angle: float) -> np.ndarray:
    """Slant ``canvas`` by ``shear`` and turn it by ``angle`` degrees about its centre."""
    h, w = canvas.shape
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    matrix[0, 1] += shear
    matrix[0, 2] -= shear * h / 2.0
    return cv2.warpAffine(canvas, matrix, (w, h), flags=cv2.INTER_LINEAR)


def _scaled_to_height(coverage: np.ndarray, height: int) -> np.ndarray:
    """Scale cropped ink coverage to ``height`` pixels tall, keeping its proportions."""
    h, w = coverage.shape
    f = height / max(h, 1)
    return cv2.resize(coverage, (max(1, int(round(w * f))), max(1, int(round(h * f)))),
                      interpolation=cv2.INTER_AREA)


HANDWRITING_GLYPH_SIZE = 240
"""Font size a handwriting font's digit is drawn at before it is scaled to the height asked."""


@functools.cache
def _handwriting_glyph(path: str, digit: int) -> np.ndarray:
    """Return ``digit`` drawn in the font at ``path``: uint8 coverage, cropped to the ink."""
    from PIL import Image, ImageDraw, ImageFont

    size = HANDWRITING_GLYPH_SIZE
    canvas = Image.new('L', (2 * size, 2 * size), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 4), str(digit), fill=255,
                                font=ImageFont.truetype(path, size))
    ink = np.asarray(canvas)
    points = cv2.findNonZero((ink > 5).astype(np.uint8))
    if points is None:
        raise ValueError(f'{path} has no glyph for {digit}')
    x, y, w, h = cv2.boundingRect(points)
    return np.ascontiguousarray(ink[y:y + h, x:x + w])


def handwriting_font_digit(digit: int, height: int, font: str | Path,
                           rng: np.random.Generator) -> np.ndarray:
    """Draw ``digit`` in the handwriting font file ``font``, varied as a writer would.

    Slanted, turned and drawn with a bolder or lighter pen at random (the fonts:
    :mod:`~digit_recognition.tools.handwriting_fonts`). Returns ``float32`` ink
    coverage in ``[0, 1]`` about ``height`` pixels tall, cropped to the ink.
    """
    glyph = _handwriting_glyph(str(font), int(digit))
    shear = rng.uniform(-0.3, 0.2)
    angle = rng.uniform(-10.0, 10.0)
    weight = rng.uniform(-0.015, 0.04)
    pad = HANDWRITING_GLYPH_SIZE // 3
    canvas = cv2.copyMakeBorder(glyph, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    canvas = _slant_and_turn(canvas, shear, angle)
    # A bolder or lighter pen; thinner than this breaks the light fonts' strokes.
    side = int(abs(weight) * HANDWRITING_GLYPH_SIZE) | 1
    if side > 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
        canvas = (cv2.dilate if weight > 0 else cv2.erode)(canvas, kernel)
    scaled = _scaled_to_height(_crop(canvas.astype(np.float32) / np.float32(255.0)), height)
    return np.clip(scaled, 0.0, 1.0, out=scaled)


TRAINING_FONTS = (
    'DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf',
    'DejaVuSans-BoldOblique.ttf', 'DejaVuSerif.ttf', 'DejaVuSerif-Bold.ttf',
    'DejaVuSerif-Italic.ttf', 'DejaVuSerif-BoldItalic.ttf', 'STIXGeneral.ttf',
    'STIXGeneralBol.ttf', 'STIXGeneralItalic.ttf', 'STIXGeneralBolIta.ttf', 'cmr10.ttf',
    'cmb10.ttf', 'cmss10.ttf', 'cmti10.ttf', 'cmtt10.ttf')
"""matplotlib's bundled outline fonts used for training digits (DejaVu: Bitstream Vera
licence; STIX: SIL Open Font License; Computer Modern: BaKoMa licence). DejaVu Sans Mono
is left out: its zero has a dot inside. Not every matplotlib has them all: see
:func:`training_fonts`."""


def matplotlib_fonts_folder() -> Path:
    """Return the folder of the outline fonts that the installed matplotlib ships."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'


def training_fonts(folder: Path | None = None) -> tuple[str, ...]:
    """Return the :data:`TRAINING_FONTS` that are in ``folder``, in their order.

    ``folder`` defaults to :func:`matplotlib_fonts_folder`. cmti10.ttf (Computer Modern
    italic) comes with matplotlib 3.11 and newer; the matplotlib of a ROS install (3.5 on
    Ubuntu 22.04, 3.6 on 24.04) lacks it, and training draws from the other 16 there
    instead of failing on the first digit in that font.
    """
    folder = matplotlib_fonts_folder() if folder is None else folder
    return tuple(font for font in TRAINING_FONTS if (folder / font).is_file())


@functools.cache
def _installed_training_fonts() -> tuple[str, ...]:
    fonts = training_fonts()
    if not fonts:
        raise FileNotFoundError(
            f'none of the training fonts {TRAINING_FONTS} is in {matplotlib_fonts_folder()}')
    return fonts


@functools.cache
def _font_outline(font: str, digit: int) -> tuple[np.ndarray, ...]:
    """Return the closed outlines of ``digit`` in ``font``, 100 units tall, y pointing down."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = matplotlib_fonts_folder() / font
    outline = TextPath((0.0, 0.0), str(digit), size=100, prop=FontProperties(fname=path))
    return tuple(np.column_stack([p[:, 0], -p[:, 1]]) for p in outline.to_polygons())


def font_digit(digit: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Render ``digit`` in a random training font, slanted, rotated, bolder or lighter.

    The font is drawn from those the installed matplotlib has (:func:`training_fonts`).
    Returns ``float32`` ink coverage about ``height`` pixels tall, cropped to the ink.
    """
    fonts = _installed_training_fonts()
    outlines = _font_outline(fonts[int(rng.integers(len(fonts)))], digit)
    points = np.vstack(outlines)
    shear = rng.uniform(-0.3, 0.2)
    angle = np.radians(rng.uniform(-10.0, 10.0))
    # Shear (slant), then rotate, about the digit's centre; drawn 4x larger, then reduced.
    transform = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
                         ) @ np.array([[1.0, -shear], [0.0, 1.0]])
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    scale = 4.0 * height / max(float(np.ptp(points[:, 1])), 1.0)
    moved = [(o - centre) @ transform.T * scale for o in outlines]
    low = np.vstack(moved).min(axis=0)
    high = np.vstack(moved).max(axis=0)
    pad = 8 + int(0.4 * height)
    side = np.ceil(high - low).astype(int) + 2 * pad
    canvas = np.zeros((side[1], side[0]), np.uint8)
    cv2.fillPoly(canvas, [np.round(m - low + pad).astype(np.int32) for m in moved], 255,
                 cv2.LINE_AA)
    # Thinner by more than this breaks the light fonts' hairlines.
    weight = rng.uniform(-0.02, 0.08) * 4 * height
    if abs(weight) >= 1.0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(abs(weight)) | 1,) * 2)
        canvas = (cv2.dilate if weight > 0 else cv2.erode)(canvas, kernel)
    small = cv2.resize(canvas, (max(1, side[0] // 4), max(1, side[1] // 4)),
                       interpolation=cv2.INTER_AREA)
    return _crop(small.astype(np.float32) / 255.0)


def mnist_digit(image: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """Upscale a 28x28 MNIST digit to ``height`` pixels as pen-like ink coverage."""
    scale = height / 20.0
    side = max(28, int(round(28 * scale)))
    up = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    # Pen ink is opaque: sharpen MNIST's soft ramp into a narrower edge.
    low = rng.uniform(30.0, 80.0)
    return _crop(np.clip((up - low) / 110.0, 0.0, 1.0))


def _crop(coverage: np.ndarray) -> np.ndarray:
    pts = cv2.findNonZero((coverage > 0.02).astype(np.uint8))
    if pts is None:
        return coverage
    x, y, w, h = cv2.boundingRect(pts)
    return np.ascontiguousarray(coverage[y:y + h, x:x + w])
