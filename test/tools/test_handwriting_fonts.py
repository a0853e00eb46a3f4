"""Tests of the handwriting-font writers (:mod:`digit_recognition.tools.handwriting_fonts`)."""

import json
from pathlib import Path

from digit_recognition.tools import field, field_writers, handwriting_fonts
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_package_json_installs_exactly_the_fonts_named():
    """Check: fonts/package.json and its lock pin one @fontsource package per font."""
    package = json.loads((REPO_ROOT / 'fonts' / 'package.json').read_text())
    assert set(package['dependencies']) == {f'@fontsource/{n}' for n in handwriting_fonts.FONTS}
    lock = json.loads((REPO_ROOT / 'fonts' / 'package-lock.json').read_text())
    locked = {key.removeprefix('node_modules/') for key in lock['packages'] if key}
    assert locked == set(package['dependencies'])


def test_fonts_are_sorted_and_distinct():
    """Check: the font list is sorted, without repeats, and holds dozens of hands."""
    assert list(handwriting_fonts.FONTS) == sorted(set(handwriting_fonts.FONTS))
    assert len(handwriting_fonts.FONTS) >= 50


def test_every_font_draws_every_digit_as_ink(handwriting_fonts_dir):
    """Check: each font gives each digit as ink of the height asked for, varied per draw."""
    rng = np.random.default_rng(0)
    for name in handwriting_fonts.FONTS:
        path = handwriting_fonts.font_file(name, handwriting_fonts_dir)
        for digit in range(10):
            ink = field_writers.handwriting_font_digit(digit, 90, path, rng)
            assert ink.dtype == np.float32 and ink.shape[0] == 90, (name, digit)
            assert 0.0 <= ink.min() and ink.max() <= 1.0 and ink.max() > 0.9, (name, digit)
            assert 0.03 < float(np.mean(ink > 0.5)) < 0.8, (name, digit)
    one = handwriting_fonts.font_file('caveat', handwriting_fonts_dir)
    first, second = (field_writers.handwriting_font_digit(4, 90, one, rng) for _ in range(2))
    assert first.shape != second.shape or not np.array_equal(first, second)


def test_make_field_without_the_fonts_says_so_and_fails(tmp_path, capsys):
    """Check: ``make field`` stops at once, naming the folder and how to install them."""
    out = tmp_path / 'field'
    assert field.main(['--fonts-dir', str(tmp_path), '--output-dir', str(out)]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path) in error and 'bootstrap.sh' in error
    assert not out.exists()


def test_missing_fonts_are_named(tmp_path):
    """Check: fonts not installed are named; the field set says how to install them."""
    assert handwriting_fonts.missing_fonts(['caveat', 'kalam'], tmp_path) == ['caveat', 'kalam']
    index = field.first_index_of('fonts')
    with pytest.raises(FileNotFoundError, match='bootstrap'):
        field.field_frame(index, fonts_dir=str(tmp_path))


def test_field_fonts_frames_write_each_digit_in_each_font(handwriting_fonts_dir):
    """Check: each font writes each digit once in the ``fonts`` frames."""
    start = field.first_index_of('fonts')
    assert ('fonts', 10 * len(handwriting_fonts.FONTS)) in field.CONDITIONS
    for i in (0, 7, 13):
        item = field.field_frame(start + i, fonts_dir=handwriting_fonts_dir)
        assert (item.condition, item.writer, item.label) == ('fonts', 'font', i % 10)
        assert item.instrument in ('black', 'blue', 'marker', 'red', 'pencil')
