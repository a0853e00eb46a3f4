"""The ``digit_input`` image between the preprocessor and the classifier (ROS-free).

It is mono8, 28 pixels wide, and 28 or 56 high: the model input on top (all black: the
region held no digit), and below it, when 56 high, the preprocessor's second look at the
region (:attr:`~digit_recognition.vision.preprocessing.PreprocessResult.second_look`;
all black: none). The preprocessor always sends both, so that a viewer such as
``rqt_image_view`` shows a steady image; the classifier also accepts the model input
alone, 28x28, as any other node may send it.
"""

from digit_recognition.vision.model_contract import INPUT_SIDE

import numpy as np

HEIGHTS = (INPUT_SIDE, 2 * INPUT_SIDE)
"""The heights a ``digit_input`` image may have (its width is ``INPUT_SIDE``)."""


def to_pixels(image: np.ndarray | None) -> np.ndarray:
    """Return a ``(28, 28)`` model input in [0, 1] as uint8 0-255 (None: all black)."""
    if image is None:
        return np.zeros((INPUT_SIDE, INPUT_SIDE), np.uint8)
    return np.round(np.asarray(image, np.float32) * 255.0).astype(np.uint8)


def stack(model_input: np.ndarray, second_look: np.ndarray | None) -> np.ndarray:
    """Return the ``(56, 28)`` uint8 image of a model input and its second look.

    Args:
        model_input: ``(28, 28)`` float in [0, 1] (all zero: no digit).
        second_look: ``(28, 28)`` float in [0, 1], or None.

    """
    return np.vstack([to_pixels(model_input), to_pixels(second_look)])


def split(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(model_input, second_look or None)`` of a ``digit_input`` image.

    Args:
        pixels: uint8 ``(28, 28)`` or ``(56, 28)``.

    Raises:
        ValueError: if the image has another shape.

    """
    if pixels.ndim != 2 or pixels.shape[1] != INPUT_SIDE or pixels.shape[0] not in HEIGHTS:
        raise ValueError(f'expected {INPUT_SIDE} wide and {HEIGHTS[0]} or {HEIGHTS[1]} high, '
                         f'got {pixels.shape[1] if pixels.ndim > 1 else "?"}x{pixels.shape[0]}')
    first = pixels[:INPUT_SIDE]
    second = pixels[INPUT_SIDE:]
    return first, (second if second.size and second.any() else None)
