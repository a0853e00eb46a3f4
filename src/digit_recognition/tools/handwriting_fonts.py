"""Digits in people's handwriting from handwriting fonts: writers outside MNIST.

Each font is drawn from one person's handwriting (the Google Fonts handwriting
families, SIL Open Font License 1.1 or Apache License 2.0). They come from the npm
registry as ``@fontsource/<name>`` packages, pinned in ``fonts/package.json`` and
installed by ``scripts/bootstrap.sh`` into ``fonts/node_modules`` (``npm ci``); nothing
of them is in this repository. The model is not trained on them: ``make field``'s
``fonts`` row measures it on hands it has never seen.

A font gives one shape per digit: :func:`handwriting_digit` varies it as a writer
varies their digits (slant, turn, bolder or lighter strokes).
"""

from collections.abc import Sequence
import functools
import os
from pathlib import Path

import cv2
import numpy as np

FONTS = (
    'annie-use-your-telescope', 'architects-daughter', 'bad-script', 'calligraffitti',
    'caveat', 'caveat-brush', 'cedarville-cursive', 'coming-soon', 'covered-by-your-grace',
    'crafty-girls', 'dawning-of-a-new-day', 'edu-nsw-act-foundation', 'edu-qld-beginner',
    'edu-sa-beginner', 'edu-tas-beginner', 'edu-vic-wa-nt-beginner', 'gaegu',
    'gamja-flower', 'give-you-glory', 'gloria-hallelujah', 'gochi-hand', 'handlee',
    'hi-melody', 'homemade-apple', 'indie-flower', 'just-another-hand',
    'just-me-again-down-here', 'kalam', 'kristi', 'la-belle-aurore', 'loved-by-the-king',
    'mali', 'mansalva', 'nanum-brush-script', 'nanum-pen-script', 'neucha',
    'nothing-you-could-do', 'over-the-rainbow', 'pangolin', 'patrick-hand',
    'permanent-marker', 'reenie-beanie', 'rock-salt', 'schoolbell', 'shadows-into-light',
    'shadows-into-light-two', 'short-stack', 'sue-ellen-francisco', 'swanky-and-moo-moo',
    'the-girl-next-door', 'waiting-for-the-sunrise', 'walter-turncoat', 'yomogi', 'zeyada')
"""The handwriting fonts, sorted by name (their ``@fontsource`` package names)."""

DEFAULT_FONTS_DIR = 'fonts/node_modules/@fontsource'
"""Where ``scripts/bootstrap.sh`` installs the fonts, relative to the repository root."""

GLYPH_SIZE = 240
"""Font size the digits are drawn at before they are scaled to the size asked for."""


def fonts_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the fonts folder: ``path``, else ``$DIGIT_FONTS_DIR``, else the default."""
    return Path(path or os.environ.get('DIGIT_FONTS_DIR') or DEFAULT_FONTS_DIR)


def font_file(name: str, directory: str | os.PathLike | None = None) -> Path:
    """Return the file of font ``name`` (its Latin, regular-weight WOFF)."""
    return fonts_dir(directory) / name / 'files' / f'{name}-latin-400-normal.woff'


def missing_fonts(names: Sequence[str] = FONTS,
                  directory: str | os.PathLike | None = None) -> list[str]:
    """Return the names among ``names`` whose font file is not installed."""
    return [name for name in names if not font_file(name, directory).is_file()]


@functools.lru_cache(maxsize=None)
def _glyph(path: str, digit: int) -> np.ndarray:
    """Return ``digit`` drawn in the font at ``path``: uint8 coverage, cropped to the ink."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(path, GLYPH_SIZE)
    canvas = Image.new('L', (2 * GLYPH_SIZE, 2 * GLYPH_SIZE), 0)
    ImageDraw.Draw(canvas).text((GLYPH_SIZE // 2, GLYPH_SIZE // 4), str(digit), fill=255,
                                font=font)
    ink = np.asarray(canvas)
    points = cv2.findNonZero((ink > 5).astype(np.uint8))
    if points is None:
        raise ValueError(f'{path} has no glyph for {digit}')
    x, y, w, h = cv2.boundingRect(points)
    return np.ascontiguousarray(ink[y:y + h, x:x + w])


def handwriting_digit(digit: int, height: int, font: str | os.PathLike,
                      rng: np.random.Generator) -> np.ndarray:
    """Draw ``digit`` in the handwriting font file ``font``, varied as a writer would.

    Slanted, turned and drawn with a bolder or lighter pen at random. Returns
    ``float32`` ink coverage in ``[0, 1]`` about ``height`` pixels tall, cropped to
    the ink (as :mod:`~digit_recognition.tools.field_writers` does).
    """
    glyph = _glyph(str(font), int(digit))
    shear = rng.uniform(-0.3, 0.2)
    angle = rng.uniform(-10.0, 10.0)
    weight = rng.uniform(-0.015, 0.04)
    pad = GLYPH_SIZE // 3
    canvas = cv2.copyMakeBorder(glyph, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    centre = (canvas.shape[1] / 2.0, canvas.shape[0] / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    matrix[0, 1] += shear
    matrix[0, 2] -= shear * centre[1]
    canvas = cv2.warpAffine(canvas, matrix, (canvas.shape[1], canvas.shape[0]),
                            flags=cv2.INTER_LINEAR)
    # A bolder or lighter pen; thinner than this breaks the light fonts' strokes.
    side = int(abs(weight) * GLYPH_SIZE) | 1
    if side > 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
        canvas = (cv2.dilate if weight > 0 else cv2.erode)(canvas, kernel)
    coverage = canvas.astype(np.float32) / np.float32(255.0)
    points = cv2.findNonZero((coverage > 0.02).astype(np.uint8))
    if points is None:
        raise ValueError(f'{font}: the digit {digit} vanished')
    x, y, w, h = cv2.boundingRect(points)
    coverage = coverage[y:y + h, x:x + w]
    scale = height / h
    resized = cv2.resize(coverage, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    return np.clip(resized, 0.0, 1.0, out=resized)
