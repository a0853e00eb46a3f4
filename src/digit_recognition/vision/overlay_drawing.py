"""Draw the recognition result onto a camera frame, and build contact sheets (ROS-free).

Everything is drawn on a copy of the frame and clipped to it, so any frame size
works, down to a few pixels.
"""

from collections.abc import Sequence

import cv2

from digit_recognition.vision import preprocessing

import numpy as np

COLOR_DIGIT = (60, 200, 60)
"""BGR colour of the ROI box when a digit is recognised (green)."""
COLOR_NO_DIGIT = (40, 150, 240)
"""BGR colour of the ROI box when no digit is recognised (orange)."""
COLOR_TEXT = (255, 255, 255)
COLOR_TEXT_BACKGROUND = (30, 30, 30)
COLOR_WRONG = (50, 50, 230)
INSET_SIDE = 96
"""Side of the thresholded-region inset, in pixels (smaller on small frames)."""

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _as_bgr(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame.copy()


def _text_box(image: np.ndarray, text: str, origin: tuple[int, int], scale: float,
              thickness: int, color: tuple[int, int, int] = COLOR_TEXT) -> tuple[int, int]:
    """Draw text on a dark box whose top-left corner is ``origin``; return its size."""
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(2, int(4 * scale))
    x, y = origin
    box_w, box_h = tw + 2 * pad, th + base + 2 * pad
    cv2.rectangle(image, (x, y), (x + box_w, y + box_h), COLOR_TEXT_BACKGROUND, cv2.FILLED)
    cv2.putText(image, text, (x + pad, y + pad + th), _FONT, scale, color, thickness,
                cv2.LINE_AA)
    return box_w, box_h


def _fit_scale(text: str, max_width: int, max_height: int, scale: float,
               thickness: int) -> float:
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    fit = min(1.0, max_width / max(1, tw + 8 * scale), max_height / max(1, th + base + 8 * scale))
    return max(0.2, scale * fit)


def draw_overlay(frame_bgr: np.ndarray, roi: preprocessing.RegionOfInterest | None, digit: int,
                 confidence: float, fps: float | None = None,
                 inset_binary: np.ndarray | None = None,
                 true_label: int | None = None) -> np.ndarray:
    """Draw the recognition result on a copy of a frame.

    Args:
        frame_bgr: the camera frame, uint8 BGR (mono and BGRA are converted).
        roi: the region the digit was read from (clipped to the frame here); None to
            draw no box.
        digit: the recognised digit 0-9, or -1 for none.
        confidence: its confidence, 0-1.
        fps: frames per second to show in the top-right corner; None to omit.
        inset_binary: the thresholded region (uint8, ink = 255), shown scaled to about
            96x96 in the bottom-right corner; None to omit.
        true_label: the true digit when known (demo source); shown next to the result,
            in red when it differs.

    Returns:
        A new BGR uint8 image of the frame's size.

    """
    image = _as_bgr(np.asarray(frame_bgr, np.uint8))
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        return image
    found = digit is not None and 0 <= int(digit) <= 9
    color = COLOR_DIGIT if found else COLOR_NO_DIGIT
    unit = max(0.3, min(w, h) / 480.0)
    line = max(1, int(round(2 * unit)))
    if roi is not None:
        box, _ = preprocessing.clip_roi(roi, image.shape)
        if box is not None:
            cv2.rectangle(image, (box.x, box.y), (box.x + box.width - 1, box.y + box.height - 1),
                          color, line)
    label = str(int(digit)) if found else 'no digit'
    text = f'{label}  {100 * confidence:.0f}%'
    scale = _fit_scale(text, w - 4, h // 3, 1.6 * unit, max(1, 2 * line))
    thick = max(1, int(round(2 * scale)))
    bw, bh = _text_box(image, text, (2, 2), scale, thick, color)
    if true_label is not None and 0 <= int(true_label) <= 9:
        truth = f'true {int(true_label)}'
        tcolor = COLOR_TEXT if (found and int(true_label) == int(digit)) else COLOR_WRONG
        tscale = max(0.2, scale * 0.5)
        _text_box(image, truth, (2, 2 + bh + 2), tscale, max(1, thick // 2), tcolor)
    if fps is not None:
        ftext = f'{fps:.1f} fps'
        fscale = _fit_scale(ftext, w // 3, h // 6, 0.7 * unit, 1)
        (fw, _), _ = cv2.getTextSize(ftext, _FONT, fscale, 1)
        pad = max(2, int(4 * fscale))
        _text_box(image, ftext, (max(0, w - fw - 2 * pad - 2), 2), fscale, 1)
    if inset_binary is not None and np.asarray(inset_binary).size:
        side = min(INSET_SIDE, w // 3, h // 3)
        if side >= 4:
            inset = np.asarray(inset_binary)
            if inset.dtype != np.uint8:
                inset = np.clip(inset * (255.0 if inset.max() <= 1.0 else 1.0), 0, 255).astype(
                    np.uint8)
            ih, iw = inset.shape[:2]
            f = side / max(ih, iw)
            size = (max(1, int(round(iw * f))), max(1, int(round(ih * f))))
            small = cv2.resize(inset, size, interpolation=cv2.INTER_AREA if f < 1 else
                               cv2.INTER_NEAREST)
            if small.ndim == 2:
                small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
            sh, sw = small.shape[:2]
            y0, x0 = h - sh - 2, w - sw - 2
            image[y0:y0 + sh, x0:x0 + sw] = small[:, :, :3]
            cv2.rectangle(image, (x0 - 1, y0 - 1), (x0 + sw, y0 + sh), color, 1)
    return image


def make_contact_sheet(frames: Sequence[np.ndarray], columns: int = 4,
                       thumb_width: int = 320,
                       background: tuple[int, int, int] = (40, 40, 40)) -> np.ndarray:
    """Tile frames into one BGR image (e.g. for a PNG), row by row.

    Every frame is scaled to ``thumb_width`` keeping its aspect ratio; each row is as
    tall as its tallest thumbnail; gaps are filled with ``background``.

    Raises:
        ValueError: if ``frames`` is empty or ``columns`` / ``thumb_width`` < 1.

    """
    if not frames:
        raise ValueError('no frames for the contact sheet')
    if columns < 1 or thumb_width < 1:
        raise ValueError('columns and thumb_width must be at least 1')
    thumbs: list[np.ndarray] = []
    for frame in frames:
        img = _as_bgr(np.asarray(frame, np.uint8))
        fh, fw = img.shape[:2]
        th = max(1, int(round(fh * thumb_width / max(1, fw))))
        interp = cv2.INTER_AREA if fw > thumb_width else cv2.INTER_LINEAR
        thumbs.append(cv2.resize(img, (thumb_width, th), interpolation=interp))
    columns = min(columns, len(thumbs))
    rows = [thumbs[i:i + columns] for i in range(0, len(thumbs), columns)]
    heights = [max(t.shape[0] for t in row) for row in rows]
    sheet = np.empty((sum(heights), columns * thumb_width, 3), np.uint8)
    sheet[...] = background
    y = 0
    for row, rh in zip(rows, heights, strict=True):
        for c, thumb in enumerate(row):
            sheet[y:y + thumb.shape[0], c * thumb_width:(c + 1) * thumb_width] = thumb
        y += rh
    return sheet
