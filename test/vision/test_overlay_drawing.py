"""Tests of the result overlay and the contact sheet."""

from digit_recognition.vision.overlay_drawing import (
    COLOR_DIGIT, COLOR_NO_DIGIT, COLOR_TEXT, COLOR_WRONG, draw_overlay, make_contact_sheet)
from digit_recognition.vision.preprocessing import RegionOfInterest

import numpy as np

import pytest


def gray_frame(h=480, w=640):
    """Gray frame."""
    return np.full((h, w, 3), 128, np.uint8)


def test_overlay_draws_on_a_copy():
    """Check: overlay draws on a copy."""
    frame = gray_frame()
    before = frame.copy()
    out = draw_overlay(frame, RegionOfInterest(), 7, 0.93, fps=29.7)
    np.testing.assert_array_equal(frame, before)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert not np.array_equal(out, frame)


@pytest.mark.parametrize('digit,color', [(3, COLOR_DIGIT), (-1, COLOR_NO_DIGIT)])
def test_roi_box_colour(digit, color):
    """Check: roi box colour."""
    out = draw_overlay(gray_frame(), RegionOfInterest(220, 140, 200, 200), digit, 0.8)
    # The left edge of the box, away from the text.
    assert tuple(out[300, 220]) == color
    assert tuple(out[300, 210]) == (128, 128, 128)


def test_text_has_dark_background_and_fps_corner():
    """Check: text has dark background and fps corner."""
    out = draw_overlay(gray_frame(), None, 5, 0.99, fps=12.0)
    top_left = out[2:40, 2:60]
    assert (top_left.max(axis=2) < 60).mean() > 0.3  # dark box
    assert (top_left == COLOR_DIGIT).all(axis=2).any()  # text in the status colour
    top_right = out[2:20, 600:638]
    assert (top_right.max(axis=2) < 60).any() and (top_right.min(axis=2) > 200).any()
    assert np.array_equal(draw_overlay(gray_frame(), None, 5, 0.99)[2:20, 600:638],
                          gray_frame()[2:20, 600:638])


def test_inset_in_corner():
    """Check: inset in corner."""
    inset = np.zeros((200, 200), np.uint8)
    inset[50:150, 90:110] = 255
    out = draw_overlay(gray_frame(), None, 1, 0.9, inset_binary=inset)
    corner = out[480 - 98:478, 640 - 98:638]
    assert (corner == 255).all(axis=2).any() and (corner == 0).all(axis=2).any()
    # About 96x96: the white bar is about 48 px tall.
    rows = np.nonzero((corner == 255).all(axis=2).any(axis=1))[0]
    assert 44 <= len(rows) <= 52


@pytest.mark.parametrize('truth,color', [(4, COLOR_TEXT), (9, COLOR_WRONG)])
def test_true_label_is_shown_below_the_result_in_white_or_red(truth, color):
    """The true digit goes under the result: white when it matches, red when not."""
    plain = draw_overlay(gray_frame(), None, 4, 0.9)
    labelled = draw_overlay(gray_frame(), None, 4, 0.9, true_label=truth)
    differs = (plain != labelled).any(axis=2)
    rows, columns = np.nonzero(differs)
    plain_box_rows = np.nonzero((plain != 128).any(axis=2)[:, 2])[0]
    assert rows.min() > plain_box_rows.max(), 'the truth must not cover the result'
    assert columns.max() < 320, 'the truth stays in the top-left corner'
    # Anti-aliased thin text reaches its full colour in OpenCV 5, within a few levels in 4.5.
    nearest = np.abs(labelled[differs].astype(int) - color).max(axis=1).min()
    assert nearest <= 16
    other = draw_overlay(gray_frame(), None, 4, 0.9, true_label=(truth + 3) % 10)
    assert not np.array_equal(labelled[differs], other[differs]), 'the digit is not drawn'


def test_unknown_true_label_draws_nothing_extra():
    """Check: a true label outside 0-9 (no digit in the frame) adds no text."""
    plain = draw_overlay(gray_frame(), None, -1, 0.2)
    assert np.array_equal(draw_overlay(gray_frame(), None, -1, 0.2, true_label=-1), plain)


@pytest.mark.parametrize('shape', [(1, 1, 3), (5, 7, 3), (30, 20, 3), (40, 400, 3),
                                   (480, 640), (720, 1280, 4)])
def test_any_frame_size(shape):
    """Drawing works on any frame size, even 1x1, mono or BGRA, and on a copy."""
    frame = np.full(shape, 90, np.uint8)
    before = frame.copy()
    out = draw_overlay(frame, RegionOfInterest(), 8, 0.5, fps=30.0,
                       inset_binary=np.full((50, 50), 255, np.uint8), true_label=8)
    assert out.shape == shape[:2] + (3,) and out.dtype == np.uint8
    np.testing.assert_array_equal(frame, before)
    if min(shape[:2]) >= 20:
        # The result is readable: its text is drawn in the status colour.
        assert (out == COLOR_DIGIT).all(axis=2).any()


def test_contact_sheet_layout():
    """Check: contact sheet layout."""
    frames = [np.full((480, 640, 3), i * 40, np.uint8) for i in range(6)]
    sheet = make_contact_sheet(frames, columns=4, thumb_width=160)
    assert sheet.shape == (240, 640, 3)
    assert sheet[10, 10, 0] == 0 and sheet[10, 170, 0] == 40 and sheet[130, 170, 0] == 200
    assert tuple(sheet[130, 400]) == (40, 40, 40)  # empty cell
    mono = make_contact_sheet([np.zeros((10, 20), np.uint8)], columns=3, thumb_width=40)
    assert mono.shape == (20, 40, 3)
    with pytest.raises(ValueError):
        make_contact_sheet([])
