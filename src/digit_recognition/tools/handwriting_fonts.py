"""Digits in people's handwriting from handwriting fonts: writers outside MNIST.

Each font is drawn from one person's handwriting (the Google Fonts handwriting
families, SIL Open Font License 1.1 or Apache License 2.0). They come from the npm
registry as ``@fontsource/<name>`` packages, pinned in ``fonts/package.json`` and
installed by ``scripts/bootstrap.sh`` into ``fonts/node_modules`` (``npm ci``); nothing
of them is in this repository. The model is not trained on them: ``make field``'s
``fonts`` row measures it on hands it has never seen.

A font gives one shape per digit:
:func:`~digit_recognition.tools.field_writers.handwriting_font_digit` varies it as a
writer varies their digits (slant, turn, bolder or lighter strokes).
"""

from collections.abc import Sequence
import os
from pathlib import Path

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
