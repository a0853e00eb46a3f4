"""Synthetic webcam scenes of paper in front of a camera, for the field set and training.

A scene is rendered in the order light takes: a desk, a sheet of paper (plain,
ruled, grid or dotted; with specks, fibres, eraser smudges or show-through from the
back) carrying the ink of a digit (pen, marker, pencil; black, blue, red), seen
rotated and tilted; objects, printed labels and a hand; then uneven light (gradient,
vignette, soft or hard-edged shadows, glare), a colour cast, defocus and motion blur,
exposure and sensor noise, and JPEG compression.

:func:`render_scene` draws one frame from a :class:`SceneSpec`. Three tiers set how
harsh the conditions are (:data:`TIERS`): ``clean``, ``realistic`` and ``hard``.
The generator is separate from the demo camera's (:mod:`~.vision.demo_frames`).
"""

import dataclasses
from typing import NamedTuple

import cv2
from digit_recognition.vision.image_measures import odd_side
from digit_recognition.vision.preprocessing import RegionOfInterest
import numpy as np

TIERS = ('clean', 'realistic', 'hard')
"""Condition tiers, from even light and a good pen to pencil under glare and blur."""

PAPER_KINDS = ('plain', 'ruled', 'grid', 'dotted')
"""The sheets of paper a digit is written on (and blanks are shown of)."""

BLANK_KINDS = PAPER_KINDS + ('specks', 'smudge', 'show_through')
"""Blank sheets: each paper kind, plus marks that are not a digit."""

NO_PAPER_KINDS = ('paper_edge', 'desk', 'objects', 'printed_text', 'hand')
"""Scenes where the box is not (only) paper: its edge, the desk, things on it, a hand."""

INKS = ('black', 'blue', 'marker', 'red', 'pencil')
"""Writing instruments; the clean tier uses the first three, realistic four, hard all."""

EDGE_GAP = 3
"""Least gap in pixels between a digit's ink and the sheet's edge: a digit is written on
the sheet, so where the edge crosses the box it passes beside the digit, not through it."""

_INK_BGR = {'black': (35, 35, 40), 'blue': (150, 60, 25), 'marker': (25, 25, 25),
            'red': (45, 40, 180), 'pencil': (100, 100, 105)}


@dataclasses.dataclass
class SceneSpec:
    """What one scene shows."""

    tier: str = 'realistic'
    """One of :data:`TIERS`."""
    paper: str = 'plain'
    """One of :data:`BLANK_KINDS` (the paper and its marks)."""
    no_paper: str | None = None
    """One of :data:`NO_PAPER_KINDS`, or None when paper fills the box."""
    ink: np.ndarray | None = None
    """The digit's ink coverage (float32 0-1, cropped), or None for no digit."""
    digit_height: float = 0.6
    """Height of the digit as a fraction of the box's height."""


class RenderedScene(NamedTuple):
    """One rendered frame and what is in it (:func:`render_scene`)."""

    frame: np.ndarray
    """The BGR uint8 frame."""
    digit_box: RegionOfInterest | None
    """The bounding box of the digit's ink in the frame; None without a digit."""
    instrument: str | None
    """What the digit is written with (one of :data:`INKS`); None without a digit."""


def _sheet(rng: np.random.Generator, h: int, w: int, paper: str) -> np.ndarray:
    """Return an evenly lit sheet (float32 BGR, 0-255) with its rulings and marks."""
    tone = rng.uniform(225, 250)
    tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), 1.0], np.float32)
    sheet = np.empty((h, w, 3), np.float32)
    sheet[...] = tone * tint
    fibre = cv2.resize(rng.normal(0, 1, (h // 8 + 1, w // 8 + 1)).astype(np.float32), (w, h))
    sheet += rng.uniform(0, 3) * fibre[..., None]
    line_bgr = np.array(rng.choice([(235, 190, 150), (200, 200, 200), (230, 170, 120),
                                    (180, 200, 170)]), np.float32)
    strength = rng.uniform(0.25, 0.75)
    spacing = int(rng.integers(22, 38))
    thick = int(rng.integers(1, 3))
    marks = np.zeros((h, w), np.float32)
    if paper == 'ruled' or (paper == 'grid'):
        for y in range(int(rng.integers(0, spacing)), h, spacing):
            cv2.line(marks, (0, y), (w, y), 1.0, thick, cv2.LINE_AA)
    if paper == 'grid':
        for x in range(int(rng.integers(0, spacing)), w, spacing):
            cv2.line(marks, (x, 0), (x, h), 1.0, thick, cv2.LINE_AA)
    if paper == 'dotted':
        r = int(rng.integers(1, 3))
        for y in range(int(rng.integers(0, spacing)), h, spacing):
            for x in range(int(rng.integers(0, spacing)), w, spacing):
                cv2.circle(marks, (x, y), r, 1.0, -1, cv2.LINE_AA)
    if paper == 'ruled' and rng.random() < 0.3:
        x = int(rng.uniform(0.1, 0.9) * w)
        cv2.line(marks, (x, 0), (x, h), 1.0, thick, cv2.LINE_AA)
    a = (marks * strength)[..., None]
    sheet *= (1 - a) + a * line_bgr / 255.0
    if paper == 'specks':
        _specks(rng, sheet)
    elif paper == 'smudge':
        _smudges(rng, sheet)
    elif paper == 'show_through':
        _show_through(rng, sheet)
    return sheet


def _darken(sheet: np.ndarray, coverage: np.ndarray, colour: np.ndarray) -> None:
    a = coverage[..., None]
    sheet *= (1 - a) + a * colour / 255.0


def _specks(rng: np.random.Generator, sheet: np.ndarray) -> None:
    h, w = sheet.shape[:2]
    marks = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(5, 60))):
        cv2.circle(marks, (int(rng.integers(w)), int(rng.integers(h))),
                   int(rng.integers(0, 3)), float(rng.uniform(0.3, 0.9)), -1, cv2.LINE_AA)
    for _ in range(int(rng.integers(2, 15))):
        x, y = rng.integers(w), rng.integers(h)
        pts = np.cumsum(rng.normal(0, 3, (6, 2)), axis=0) + (x, y)
        cv2.polylines(marks, [pts.astype(np.int32)], False, float(rng.uniform(0.2, 0.6)), 1,
                      cv2.LINE_AA)
    _darken(sheet, marks, np.array((60, 60, 70), np.float32))


def _smudges(rng: np.random.Generator, sheet: np.ndarray) -> None:
    h, w = sheet.shape[:2]
    marks = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.3, 0.7) * h))
        axes = (int(rng.uniform(0.03, 0.15) * w), int(rng.uniform(0.02, 0.08) * h))
        cv2.ellipse(marks, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    float(rng.uniform(0.1, 0.35)), -1)
        # Graphite left by rubbing out: streaks along the eraser's strokes.
        for _ in range(int(rng.integers(0, 8))):
            x0 = centre[0] + int(rng.normal(0, axes[0]))
            y0 = centre[1] + int(rng.normal(0, axes[1]))
            angle = rng.uniform(0, np.pi)
            length = rng.uniform(5, 30)
            x1, y1 = int(x0 + length * np.cos(angle)), int(y0 + length * np.sin(angle))
            cv2.line(marks, (x0, y0), (x1, y1), float(rng.uniform(0.1, 0.4)), 1, cv2.LINE_AA)
    marks = cv2.GaussianBlur(marks, (0, 0), rng.uniform(1.0, 4.0))
    _darken(sheet, marks, np.array((90, 90, 95), np.float32))


def _show_through(rng: np.random.Generator, sheet: np.ndarray) -> None:
    """Add writing on the back of the sheet: mirrored, blurred and faint."""
    h, w = sheet.shape[:2]
    marks = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        text = ''.join(rng.choice(list('0123456789abcdefghkmnpqrstuvwxyz'),
                                  int(rng.integers(1, 6))))
        origin = (int(rng.uniform(0.05, 0.6) * w), int(rng.uniform(0.3, 0.9) * h))
        cv2.putText(marks, text, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                    rng.uniform(1.5, 4.0), 255, int(rng.integers(2, 8)), cv2.LINE_AA)
    marks = cv2.flip(marks, 1).astype(np.float32) / 255.0
    marks = cv2.GaussianBlur(marks, (0, 0), rng.uniform(1.5, 4.0)) * rng.uniform(0.06, 0.2)
    _darken(sheet, marks, np.array((60, 60, 70), np.float32))


def _write(rng: np.random.Generator, sheet: np.ndarray, ink: np.ndarray, name: str,
           box: RegionOfInterest, height_fraction: float) -> tuple[int, int, int, int]:
    """Write the digit's ink onto the sheet inside the box (with jitter); its x, y, w, h."""
    target_h = max(6, int(height_fraction * box.height))
    ih, iw = ink.shape
    f = target_h / ih
    new_w = max(1, min(int(round(iw * f)), int(0.95 * box.width)))
    coverage = cv2.resize(ink, (new_w, target_h),
                          interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    if name == 'marker':
        k = odd_side(target_h * rng.uniform(0.03, 0.07))
        coverage = cv2.dilate(coverage, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    strength = rng.uniform(0.85, 1.0)
    if name == 'pencil':
        grain = rng.uniform(0.4, 1.0, coverage.shape).astype(np.float32)
        coverage = coverage * grain
        strength = rng.uniform(0.45, 0.85)
    h, w = coverage.shape
    slack_x = max(0, box.width - w)
    slack_y = max(0, box.height - h)
    x = box.x + int(slack_x / 2 + rng.uniform(-0.35, 0.35) * slack_x)
    y = box.y + int(slack_y / 2 + rng.uniform(-0.35, 0.35) * slack_y)
    colour = np.array(_INK_BGR[name], np.float32) + rng.uniform(-10, 10, 3).astype(np.float32)
    _darken(sheet[y:y + h, x:x + w], coverage * strength, np.clip(colour, 0, 255))
    return x, y, w, h


def _desk(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = np.array(rng.uniform(30, 200, 3), np.float32)
    texture = cv2.resize(rng.normal(0, 1, (h // 16 + 1, w // 4 + 1)).astype(np.float32), (w, h))
    desk = base + rng.uniform(5, 25) * texture[..., None]
    return desk


def _objects(rng: np.random.Generator, frame: np.ndarray, near: RegionOfInterest,
             count: int) -> None:
    h, w = frame.shape[:2]
    for _ in range(count):
        colour = tuple(float(c) for c in rng.uniform(20, 230, 3))
        cx = int(near.x + rng.uniform(-0.3, 1.3) * near.width)
        cy = int(near.y + rng.uniform(-0.3, 1.3) * near.height)
        if rng.random() < 0.5:
            axes = (int(rng.uniform(10, 90)), int(rng.uniform(10, 90)))
            cv2.ellipse(frame, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1,
                        cv2.LINE_AA)
        else:
            hw, hh = int(rng.uniform(5, 90)), int(rng.uniform(5, 90))
            cv2.rectangle(frame, (cx - hw, cy - hh), (cx + hw, cy + hh), colour, -1)
        if rng.random() < 0.5:
            # A pen or a cable: a long thin object.
            x1, y1 = cx + int(rng.normal(0, 120)), cy + int(rng.normal(0, 120))
            cv2.line(frame, (cx, cy), (x1, y1), tuple(float(c) for c in rng.uniform(10, 200, 3)),
                     int(rng.integers(3, 14)), cv2.LINE_AA)


def _printed_text(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a printed label (letters, no digits) on a white patch, partly inside the box."""
    lw, lh = int(rng.uniform(0.5, 1.2) * box.width), int(rng.uniform(0.3, 0.8) * box.height)
    x = int(box.x + rng.uniform(-0.3, 0.6) * box.width)
    y = int(box.y + rng.uniform(-0.2, 0.6) * box.height)
    white = tuple(float(c) for c in rng.uniform(200, 250, 3))
    cv2.rectangle(frame, (x, y), (x + lw, y + lh), white, -1)
    words = ('FRAGILE', 'Handle', 'with care', 'LOT', 'Batch', 'KEEP DRY', 'THIS SIDE UP',
             'Made in', 'Label', 'SHIP TO', 'Contents')
    scale = rng.uniform(0.6, 1.6)
    line_h = int(30 * scale)
    # putText draws on uint8 images only: draw the letters as coverage, then darken.
    letters = np.zeros(frame.shape[:2], np.uint8)
    for row in range(int(rng.integers(1, 5))):
        text = words[int(rng.integers(len(words)))]
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                               cv2.FONT_HERSHEY_COMPLEX]))
        cv2.putText(letters, text, (x + 6, y + line_h * (row + 1)), font, scale, 255,
                    int(rng.integers(1, 4)), cv2.LINE_AA)
    _darken(frame, letters.astype(np.float32) / 255.0, np.array((20, 20, 20), np.float32))


def _hand(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest,
          reach: float) -> None:
    """Draw a hand reaching from an edge of the frame ``reach`` of the way into the box."""
    skin = np.array([rng.uniform(60, 170), rng.uniform(90, 190), rng.uniform(130, 235)])
    skin = tuple(float(c) for c in skin)
    side = int(rng.integers(4))
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    direction = [(1, 0), (-1, 0), (0, 1), (0, -1)][side]
    start = np.array([cx - direction[0] * 2.5 * box.width, cy - direction[1] * 2.5 * box.height])
    tip = np.array([cx - direction[0] * (0.5 - reach) * box.width,
                    cy - direction[1] * (0.5 - reach) * box.height])
    tip += rng.normal(0, 0.15 * box.width, 2)
    palm = tip - np.array(direction) * 0.45 * box.width
    cv2.line(frame, tuple(start.astype(int)), tuple(palm.astype(int)), skin,
             int(0.5 * box.width), cv2.LINE_AA)
    cv2.ellipse(frame, tuple(palm.astype(int)), (int(0.28 * box.width), int(0.28 * box.width)),
                0, 0, 360, skin, -1, cv2.LINE_AA)
    normal = np.array([-direction[1], direction[0]])
    for finger in range(int(rng.integers(1, 5))):
        base = palm + normal * (finger - 1.5) * 0.12 * box.width
        end = base + np.array(direction) * rng.uniform(0.3, 0.5) * box.width
        cv2.line(frame, tuple(base.astype(int)), tuple(end.astype(int)), skin,
                 int(rng.uniform(0.08, 0.12) * box.width), cv2.LINE_AA)


def _light(rng: np.random.Generator, h: int, w: int, tier: str,
           box: RegionOfInterest) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative illumination and additive glare, float32 ``(h, w)`` each."""
    sh, sw = 24, 32
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xs, ys = xs / (sw - 1) - 0.5, ys / (sh - 1) - 0.5
    strength = {'clean': 0.15, 'realistic': 0.6, 'hard': 0.9}[tier]
    gx, gy = rng.uniform(-strength, strength, 2)
    light = 1.0 + gx * xs + gy * ys - rng.uniform(0, strength) * (xs ** 2 + ys ** 2)
    light = cv2.resize(np.clip(light, 0.25, 1.6), (w, h), interpolation=cv2.INTER_LINEAR)
    glare = np.zeros((h, w), np.float32)
    shadow_chance = {'clean': 0.0, 'realistic': 0.5, 'hard': 0.6}[tier]
    if rng.random() < shadow_chance:
        mask = np.zeros((h, w), np.float32)
        # A straight shadow edge (an arm, a phone, a lamp's edge) across the box.
        px = box.x + rng.uniform(0.1, 0.9) * box.width
        py = box.y + rng.uniform(0.1, 0.9) * box.height
        angle = rng.uniform(0, np.pi)
        d = np.array([np.cos(angle), np.sin(angle)]) * 2000
        n = np.array([-d[1], d[0]])
        poly = np.array([(px, py) - d, (px, py) + d, (px, py) + d + n, (px, py) - d + n])
        cv2.fillPoly(mask, [poly.astype(np.int32)], 1.0)
        hard_edge = tier == 'hard' and rng.random() < 0.6
        sigma = rng.uniform(0.5, 2.5) if hard_edge else rng.uniform(6.0, 25.0)
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
        depth = rng.uniform(0.35, 0.7) if tier == 'hard' else rng.uniform(0.55, 0.85)
        light *= 1.0 - (1.0 - depth) * mask
    if tier == 'hard' and rng.random() < 0.35:
        cx = box.x + rng.uniform(0.0, 1.0) * box.width
        cy = box.y + rng.uniform(0.0, 1.0) * box.height
        sx, sy = rng.uniform(10, 60, 2)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        glare = rng.uniform(60, 200) * np.exp(-0.5 * (((xx - cx) / sx) ** 2
                                                      + ((yy - cy) / sy) ** 2))
    return light, glare.astype(np.float32)


def _camera(rng: np.random.Generator, frame: np.ndarray, tier: str) -> np.ndarray:
    """Blur, exposure, colour cast, sensor noise and JPEG; returns uint8 BGR."""
    if tier != 'clean':
        frame *= rng.uniform(0.88, 1.12, 3).astype(np.float32)
    max_sigma = {'clean': 0.7, 'realistic': 1.2, 'hard': 2.2}[tier]
    sigma = rng.uniform(0.0, max_sigma)
    if sigma > 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    max_motion = {'clean': 0, 'realistic': 5, 'hard': 11}[tier]
    length = int(rng.integers(0, max_motion + 1)) if rng.random() < 0.5 else 0
    if length >= 2:
        frame = motion_blur(frame, length, rng.uniform(0, 180))
    noise = {'clean': 1.5, 'realistic': 3.0, 'hard': 5.0}[tier]
    if tier == 'hard' and rng.random() < 0.3:
        frame *= rng.uniform(0.3, 0.55)  # a dark room: low exposure, high gain noise
        noise = rng.uniform(6.0, 12.0)
    frame += rng.normal(0, rng.uniform(0.3, 1.0) * noise, frame.shape[:2])[..., None].astype(
        np.float32)
    out = np.clip(frame, 0, 255).astype(np.uint8)
    low, high = {'clean': (88, 96), 'realistic': (70, 90), 'hard': (40, 75)}[tier]
    return jpeg_roundtrip(out, int(rng.integers(low, high + 1)))


def motion_blur(frame: np.ndarray, length: int, angle: float) -> np.ndarray:
    """Return ``frame`` smeared along a straight line: the camera or the sheet moving.

    Args:
        frame: an image of any depth; the result has the same shape and dtype.
        length: the smear's length in pixels (below 2: the frame unchanged).
        angle: the smear's direction in degrees.

    """
    if length < 2:
        return frame
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))


def jpeg_roundtrip(frame: np.ndarray, quality: int) -> np.ndarray:
    """Return a uint8 BGR ``frame`` as a JPEG of ``quality`` (0-100) decodes."""
    ok, data = cv2.imencode('.jpg', frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else frame


def _paper_warp(rng: np.random.Generator, tier: str, box: RegionOfInterest) -> np.ndarray:
    """Return a homography: the sheet rotated about the box centre and tilted."""
    max_angle = {'clean': 4.0, 'realistic': 15.0, 'hard': 25.0}[tier]
    tilt = {'clean': 0.0, 'realistic': 0.0004, 'hard': 0.0008}[tier]
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    rot = np.vstack([cv2.getRotationMatrix2D((cx, cy), rng.uniform(-max_angle, max_angle),
                                             1.0), [0, 0, 1]])
    persp = np.eye(3)
    persp[2, :2] = rng.uniform(-tilt, tilt, 2)
    to_centre = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], np.float64)
    back = np.linalg.inv(to_centre)
    return back @ persp @ to_centre @ rot


def _cut_sheet(paper_mask: np.ndarray, box: RegionOfInterest, side: int, cut: float,
               written: tuple[int, int, int, int] | None) -> None:
    """Zero ``paper_mask`` beyond the sheet's edge.

    The edge crosses the box ``cut`` of its width or height in from ``side`` (0 left,
    1 right, 2 top, 3 bottom). The digit (``written``: its ink's x, y, w, h) is on the
    sheet, so the edge stops :data:`EDGE_GAP` pixels short of it, even outside the box.
    """
    height, width = paper_mask.shape
    x, y, w, h = written if written is not None else (width, height, -width, -height)
    if side == 0:
        paper_mask[:, :max(0, min(box.x + int(cut * box.width), x - EDGE_GAP))] = 0.0
    elif side == 1:
        paper_mask[:, max(box.x + int((1 - cut) * box.width), x + w + EDGE_GAP):] = 0.0
    elif side == 2:
        paper_mask[:max(0, min(box.y + int(cut * box.height), y - EDGE_GAP))] = 0.0
    else:
        paper_mask[max(box.y + int((1 - cut) * box.height), y + h + EDGE_GAP):] = 0.0


def render_scene(spec: SceneSpec, rng: np.random.Generator, width: int = 640,
                 height: int = 480, roi: RegionOfInterest | None = None) -> RenderedScene:
    """Render one camera frame of ``spec``.

    Args:
        spec: what the scene shows; the digit (if any) is written inside the box.
        rng: the random generator; the same state gives the same frame.
        width: frame width in pixels.
        height: frame height in pixels.
        roi: the preprocessor's box (default: the centred 200x200 one).

    Returns:
        The frame, the bounding box of the digit's ink in it and what the digit is
        written with (both None without a digit).

    """
    box = (roi or RegionOfInterest()).resolve((height, width))
    tier = spec.tier
    sheet = _sheet(rng, height, width, spec.paper)
    written = instrument = None
    if spec.ink is not None:
        inks = INKS[:3] if tier == 'clean' else INKS[:4] if tier == 'realistic' else INKS
        instrument = inks[int(rng.integers(len(inks)))]
        written = _write(rng, sheet, spec.ink, instrument, box, spec.digit_height)
    paper_mask = np.ones((height, width), np.float32)
    edge_in_box = spec.no_paper == 'paper_edge' or (
        spec.ink is not None and tier == 'hard' and rng.random() < 0.15)
    if spec.no_paper is not None and spec.no_paper != 'paper_edge':
        edge_in_box = rng.random() < 0.5
    if edge_in_box or spec.no_paper is not None:
        # The sheet's edge runs through the box (or, for desk scenes, it lies elsewhere).
        side = int(rng.integers(4))
        if spec.no_paper in ('desk', 'objects', 'hand') and not edge_in_box:
            paper_mask[...] = 0.0
        else:
            cut = rng.uniform(0.05, 0.35) if spec.ink is not None else rng.uniform(0.1, 0.9)
            _cut_sheet(paper_mask, box, side, cut, written)
    warp = _paper_warp(rng, tier, box)
    sheet = cv2.warpPerspective(sheet, warp, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
    paper_mask = cv2.warpPerspective(paper_mask, warp, (width, height), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE)
    frame = _desk(rng, height, width)
    frame += (sheet - frame) * paper_mask[..., None]
    if spec.no_paper == 'objects':
        _objects(rng, frame, box, int(rng.integers(1, 4)))
    elif spec.no_paper == 'printed_text':
        _printed_text(rng, frame, box)
    elif spec.no_paper == 'hand':
        _hand(rng, frame, box, rng.uniform(0.2, 0.9))
    elif tier != 'clean' and rng.random() < 0.4:
        # Clutter and a hand around the box, not in it.
        outside = RegionOfInterest(box.x - box.width, box.y - box.height, box.width // 3,
                                   box.height // 3)
        _objects(rng, frame, outside if rng.random() < 0.5 else RegionOfInterest(
            box.x + box.width + 40, box.y + box.height, 40, 40), 1)
        if rng.random() < 0.5:
            _hand(rng, frame, box, rng.uniform(-1.2, -0.6))
    light, glare = _light(rng, height, width, tier, box)
    frame = frame * light[..., None] + glare[..., None]
    digit_box = None
    if written is not None:
        x, y, w, h = written
        corners = np.array([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]], np.float64)
        moved = cv2.perspectiveTransform(corners, warp)[0]
        x0, y0 = np.floor(moved.min(axis=0)).astype(int)
        x1, y1 = np.ceil(moved.max(axis=0)).astype(int)
        digit_box = RegionOfInterest(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    return RenderedScene(_camera(rng, frame, tier), digit_box, instrument)
