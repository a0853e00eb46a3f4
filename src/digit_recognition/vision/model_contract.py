"""The model's input contract, shared by training, inference and the preprocessor.

One image enters the model as a 28x28 single-channel picture laid out as in MNIST:

* ink is bright and the background dark (MNIST's white-on-black, not paper's
  black-on-white);
* the digit is scaled so that its ink bounding box fits a 20x20 box, keeping its
  aspect ratio, and is placed so that its centre of mass lies at the image centre;
* pixels are ``float32`` in ``[0.0, 1.0]`` (``uint8`` value / 255).

A batch is a ``float32`` array of shape ``(N, 28, 28, 1)``; the model answers with
``(N, 11)`` class probabilities (softmax output): the digits 0-9, then "no digit"
(column :data:`NO_DIGIT_CLASS`: paper, rulings, shadows, objects... whatever the
preprocessor let through that is not a digit). A model with only the ten digit
columns ``(N, 10)`` is accepted too; it can never say "no digit" by itself.
"""

from typing import Final

import numpy as np

INPUT_SIDE: Final = 28
"""Width and height of one model input image, in pixels."""

DIGIT_BOX_SIDE: Final = 20
"""Side of the box the ink's bounding box is scaled into (MNIST's convention)."""

NUM_CLASSES: Final = 10
"""The digits 0-9."""

NO_DIGIT_CLASS: Final = 10
"""Index of the model's "no digit" output, after the ten digits."""

NUM_OUTPUTS: Final = NUM_CLASSES + 1
"""Width of the model's output: the ten digits and "no digit"."""

INPUT_DTYPE: Final = np.float32


def to_model_batch(images: np.ndarray) -> np.ndarray:
    """Turn 28x28 images into a model batch.

    Args:
        images: one image ``(28, 28)`` or several ``(N, 28, 28)`` / ``(N, 28, 28, 1)``;
            ``uint8`` in 0-255, or floating point already in ``[0, 1]``.

    Returns:
        A C-contiguous ``float32`` array of shape ``(N, 28, 28, 1)`` in ``[0, 1]``.

    Raises:
        ValueError: if the images are not 28x28.

    """
    batch = np.asarray(images)
    if batch.ndim == 2:
        batch = batch[np.newaxis]
    if batch.ndim == 4 and batch.shape[-1] == 1:
        batch = batch[..., 0]
    if batch.ndim != 3 or batch.shape[1:] != (INPUT_SIDE, INPUT_SIDE):
        raise ValueError(
            f'expected images of shape (N, {INPUT_SIDE}, {INPUT_SIDE}), got {images.shape}')
    if batch.dtype == np.uint8:
        batch = batch.astype(INPUT_DTYPE) / np.float32(255.0)
    else:
        batch = batch.astype(INPUT_DTYPE, copy=False)
    return np.ascontiguousarray(batch[..., np.newaxis])
