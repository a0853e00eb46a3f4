"""Scenes with no digit of kinds the model was never trained on (``make field``'s ``distractors``).

The model's "no digit" examples come from :mod:`~digit_recognition.tools.field_scenes`
(blank sheets, desks, objects, printed labels, hands), and so do the field set's
``blank`` and ``no_paper`` frames: those rows measure the model on more of what it
learnt from. A camera on a robot also sees things that generator never draws. These
scenes show some (a barcode, creases, staples and fibres, a page of small print, a
highlighter and a sticky note, a printed form, a wooden desk, a keyboard, coins, a
screen), each under the generator's own light and camera, so that the ``distractors``
row says how "no digit" holds on kinds it has not seen. Nothing here is used in
training (:func:`~digit_recognition.tools.field.camera_training_set` draws from
:mod:`field_scenes` alone).

Left out on purpose: things a robot could not tell from a digit either (a ring or a
washer is an "0", a lone stroke as long as a small digit is a "1").
"""

from collections.abc import Callable

import cv2
from digit_recognition.tools import field_scenes
from digit_recognition.vision.preprocessing import RegionOfInterest
import numpy as np

Painter = Callable[[np.random.Generator, np.ndarray, RegionOfInterest], None]


def _barcode(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a printed barcode label (black bars of varied width), partly in the box."""
    h, w = frame.shape[:2]
    lw, lh = int(rng.uniform(0.5, 1.3) * box.width), int(rng.uniform(0.25, 0.7) * box.height)
    x = int(box.x + rng.uniform(-0.3, 0.6) * box.width)
    y = int(box.y + rng.uniform(-0.2, 0.6) * box.height)
    cv2.rectangle(frame, (x, y), (x + lw, y + lh),
                  tuple(float(c) for c in rng.uniform(215, 250, 3)), -1)
    bars = np.zeros((h, w), np.float32)
    module = rng.uniform(1.5, 4.0)
    left = x + 8.0
    while left < x + lw - 8:
        width = module * int(rng.integers(1, 4))
        if rng.random() < 0.5:
            cv2.rectangle(bars, (int(left), y + 6), (int(left + width), y + lh - 6), 1.0, -1)
        left += width
    field_scenes._darken(frame, bars, np.array((20, 20, 20), np.float32))


def _line_across(rng: np.random.Generator, box: RegionOfInterest) -> tuple[np.ndarray, ...]:
    """Two far points of a straight line through the box, and its unit normal."""
    centre = np.array([box.x + rng.uniform(0.0, 1.0) * box.width,
                       box.y + rng.uniform(0.0, 1.0) * box.height])
    angle = rng.uniform(0, np.pi)
    along = np.array([np.cos(angle), np.sin(angle)])
    return centre - 2000 * along, centre + 2000 * along, np.array([-along[1], along[0]])


def _creases(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a folded or crumpled sheet: straight creases, a dark and a light side each."""
    h, w = frame.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        start, end, normal = _line_across(rng, box)
        dark = np.zeros((h, w), np.float32)
        cv2.line(dark, tuple(start.astype(int)), tuple(end.astype(int)), 1.0,
                 int(rng.integers(1, 3)), cv2.LINE_AA)
        dark = cv2.GaussianBlur(dark, (0, 0), rng.uniform(0.7, 2.0))
        field_scenes._darken(frame, dark * rng.uniform(0.15, 0.45),
                             np.array((80, 80, 85), np.float32))
        light = np.zeros((h, w), np.float32)
        cv2.line(light, tuple((start + 3 * normal).astype(int)),
                 tuple((end + 3 * normal).astype(int)), 1.0, 2, cv2.LINE_AA)
        frame += cv2.GaussianBlur(light, (0, 0), 1.5)[..., None] * rng.uniform(5, 20)


def _short_mark(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest,
                length: float, width: int, curve: float, colour: tuple, opacity: float) -> None:
    h, w = frame.shape[:2]
    start = np.array([box.x + rng.uniform(0, 1) * box.width,
                      box.y + rng.uniform(0, 1) * box.height])
    angle = rng.uniform(0, np.pi)
    t = np.linspace(0, 1, 12)[:, None]
    along = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-along[1], along[0]])
    points = start + t * length * along + (t * (1 - t)) * curve * length * normal
    mark = np.zeros((h, w), np.float32)
    cv2.polylines(mark, [np.round(points).astype(np.int32)], False, 1.0, width, cv2.LINE_AA)
    field_scenes._darken(frame, mark * opacity, np.array(colour, np.float32))


def _staples_and_fibres(rng: np.random.Generator, frame: np.ndarray,
                        box: RegionOfInterest) -> None:
    """Staples (short straight metal marks) and fibres or hairs (thin, gently curved).

    Shorter than a small digit (under 11 % of the box): longer, a lone stroke is a "1".
    """
    side = min(box.width, box.height)
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.5:
            _short_mark(rng, frame, box, rng.uniform(0.05, 0.11) * side, 2, 0.0,
                        (110, 110, 120), rng.uniform(0.5, 0.8))
        else:
            _short_mark(rng, frame, box, rng.uniform(0.05, 0.11) * side, 1,
                        rng.uniform(-0.6, 0.6), (40, 40, 45), rng.uniform(0.4, 0.9))


def _small_print(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a printed page: lines of small body text over the whole box."""
    h, w = frame.shape[:2]
    letters = np.zeros((h, w), np.uint8)
    scale = rng.uniform(0.3, 0.6)
    line = int(28 * scale) + int(rng.integers(2, 8))
    words = ('the', 'of', 'and', 'robot', 'camera', 'paper', 'handle', 'label', 'lorem',
             'ipsum', 'dolor', 'sit', 'amet')
    for y in range(int(rng.integers(0, line)), h, line):
        x = int(rng.integers(-20, 20))
        while x < w:
            word = words[int(rng.integers(len(words)))]
            cv2.putText(letters, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 1,
                        cv2.LINE_AA)
            x += int((len(word) * 19 + 10) * scale)
    field_scenes._darken(frame, letters.astype(np.float32) / 255,
                         np.array((25, 25, 25), np.float32))


def _highlighter(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a highlighter's broad translucent stroke, at times a sticky note's corner."""
    h, w = frame.shape[:2]
    colour = np.array(rng.choice([(80, 250, 250), (120, 250, 120), (250, 180, 240),
                                  (250, 200, 120)]), np.float32)
    stroke = np.zeros((h, w), np.float32)
    y = int(box.y + rng.uniform(0.2, 0.8) * box.height)
    cv2.line(stroke, (int(box.x + rng.uniform(-0.3, 0.3) * box.width), y),
             (int(box.x + rng.uniform(0.7, 1.3) * box.width), y + int(rng.normal(0, 10))),
             1.0, int(rng.uniform(15, 35)), cv2.LINE_AA)
    field_scenes._darken(frame, stroke * rng.uniform(0.5, 0.9), colour)
    if rng.random() < 0.5:
        note = rng.choice([(120, 240, 250), (200, 160, 250), (150, 250, 170)]) * 0.95
        x = int(box.x + rng.uniform(0.2, 0.8) * box.width)
        y = int(box.y + rng.uniform(0.2, 0.8) * box.height)
        cv2.rectangle(frame, (x, y), (x + 300, y + 300), tuple(float(c) for c in note), -1)


def _printed_form(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a printed form or table: dark cell borders across the box, empty cells."""
    h, w = frame.shape[:2]
    lines = np.zeros((h, w), np.float32)
    across, down = int(rng.uniform(40, 120)), int(rng.uniform(25, 60))
    thick = int(rng.integers(1, 4))
    for x in range(int(rng.integers(across)), w, across):
        cv2.line(lines, (x, 0), (x, h), 1.0, thick, cv2.LINE_AA)
    for y in range(int(rng.integers(down)), h, down):
        cv2.line(lines, (0, y), (w, y), 1.0, thick, cv2.LINE_AA)
    field_scenes._darken(frame, lines * rng.uniform(0.5, 0.95),
                         np.array((30, 30, 30), np.float32))


def _wood(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Draw a wooden desk: wavy grain in warm tones (float32 BGR)."""
    base = np.array([rng.uniform(40, 110), rng.uniform(70, 150), rng.uniform(110, 200)],
                    np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    across = -xs * np.sin(angle) + ys * np.cos(angle)
    wobble = cv2.resize(rng.normal(0, 1, (h // 32 + 1, w // 32 + 1)).astype(np.float32),
                        (w, h)) * rng.uniform(5, 25)
    grain = (np.sin((across + wobble) / rng.uniform(3, 12)) * 0.5 + 0.5) ** rng.uniform(1, 4)
    return base * (1 - rng.uniform(0.15, 0.45) * grain[..., None])


def _keyboard(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a keyboard: rows of keys with a letter each (no digit keys)."""
    h, w = frame.shape[:2]
    key = int(rng.uniform(28, 55))
    gap = int(key * rng.uniform(0.12, 0.25))
    dark = rng.random() < 0.6
    body = rng.uniform(20, 60) if dark else rng.uniform(180, 230)
    ink = 230 - body * 0.5 if dark else 40
    x0 = box.x - 2 * key + int(rng.integers(key))
    y0 = box.y - 2 * key + int(rng.integers(key))
    frame[...] = body * 0.7
    letters = np.zeros((h, w), np.uint8)
    for row in range(8):
        for column in range(12):
            x, y = x0 + column * (key + gap) + (row % 2) * key // 3, y0 + row * (key + gap)
            cv2.rectangle(frame, (x, y), (x + key, y + key), (body, body, body), -1)
            cv2.putText(letters, chr(ord('A') + int(rng.integers(26))),
                        (x + key // 5, y + int(key * 0.6)), cv2.FONT_HERSHEY_SIMPLEX, key / 60,
                        255, max(1, key // 25), cv2.LINE_AA)
    frame += (ink - frame) * (letters.astype(np.float32) / 255)[..., None]


def _coins(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Coins or bottle caps: solid discs with a darker rim."""
    for _ in range(int(rng.integers(1, 3))):
        centre = (int(box.x + rng.uniform(0.1, 0.9) * box.width),
                  int(box.y + rng.uniform(0.1, 0.9) * box.height))
        radius = int(rng.uniform(12, 45))
        colour = tuple(float(v) for v in rng.uniform(60, 200, 3))
        cv2.circle(frame, centre, radius, colour, -1, cv2.LINE_AA)
        cv2.circle(frame, centre, radius, tuple(0.6 * v for v in colour), 2, cv2.LINE_AA)


def _screen(rng: np.random.Generator, frame: np.ndarray, box: RegionOfInterest) -> None:
    """Draw a phone or a monitor: a dark rectangle, a lighter glass inside its bezel."""
    x = int(box.x + rng.uniform(-0.6, 0.6) * box.width)
    y = int(box.y + rng.uniform(-0.6, 0.6) * box.height)
    w, h = int(rng.uniform(0.8, 2.0) * box.width), int(rng.uniform(0.8, 2.0) * box.height)
    body = float(rng.uniform(10, 45))
    cv2.rectangle(frame, (x, y), (x + w, y + h), (body, body, body), -1)
    glass = body + rng.uniform(5, 30)
    bezel = int(rng.uniform(4, 15))
    cv2.rectangle(frame, (x + bezel, y + bezel), (x + w - bezel, y + h - bezel),
                  (glass, glass, glass), -1)


ON_PAPER: dict[str, Painter] = {
    'barcode': _barcode, 'creases': _creases, 'staples_fibres': _staples_and_fibres,
    'small_print': _small_print, 'highlighter': _highlighter, 'printed_form': _printed_form}
"""Distractors on a sheet (of a random :data:`field_scenes.PAPER_KINDS`)."""

ON_DESK: dict[str, Painter | None] = {
    'wood': None, 'keyboard': _keyboard, 'coins': _coins, 'screen': _screen}
"""Distractors on a desk (wood grain, or the generator's desk for half the screens)."""

KINDS = tuple(ON_PAPER) + tuple(ON_DESK)
"""Every kind of distractor, in the order the field set cycles through them."""


def render_distractor(kind: str, rng: np.random.Generator, tier: str, width: int = 640,
                      height: int = 480, roi: RegionOfInterest | None = None) -> np.ndarray:
    """Render one frame (BGR uint8) of ``kind`` under ``tier``'s light and camera."""
    box = (roi or RegionOfInterest()).resolve((height, width))
    if kind in ON_PAPER:
        paper = field_scenes.PAPER_KINDS[int(rng.integers(len(field_scenes.PAPER_KINDS)))]
        frame = field_scenes._sheet(rng, height, width, paper)
        ON_PAPER[kind](rng, frame, box)
        frame = cv2.warpPerspective(frame, field_scenes._paper_warp(rng, tier, box),
                                    (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT)
    elif kind in ON_DESK:
        desk_generator = kind == 'screen' and rng.random() < 0.5
        frame = field_scenes._desk(rng, height, width) if desk_generator else _wood(
            rng, height, width)
        painter = ON_DESK[kind]
        if painter is not None:
            painter(rng, frame, box)
    else:
        raise ValueError(f'unknown distractor {kind!r}; one of {", ".join(KINDS)}')
    light, glare = field_scenes._light(rng, height, width, tier, box)
    return field_scenes._camera(rng, frame * light[..., None] + glare[..., None], tier)
