"""Scale a digit's mask into the model's 28x28 input the way MNIST's digits were (ROS-free).

Step 6 of :func:`~digit_recognition.vision.preprocessing.preprocess`: crop to the ink,
bring very thin or marker-thick strokes towards MNIST's stroke width, scale into 20x20
keeping the aspect ratio, and put the centre of mass at the centre. See
:mod:`digit_recognition.vision.model_contract` for the output format.
"""

import cv2
from digit_recognition.vision.image_measures import disc, stroke_width
from digit_recognition.vision.model_contract import DIGIT_BOX_SIDE, INPUT_DTYPE, INPUT_SIDE
import numpy as np

MNIST_CENTRE = INPUT_SIDE / 2.0
"""Where MNIST puts the centre of mass, in pixel-index coordinates (measured: 14.0)."""

THICK_FACTOR = 1.6
"""Strokes thicker than this many MNIST stroke widths (after scaling) are thinned."""

MNIST_STROKE_WIDTH = 2.2
"""Median stroke width of MNIST digits in the 28x28 image (bbox 20 px), measured."""


def normalize_digit(mask: np.ndarray, thicken_thin_strokes: bool = True) -> np.ndarray:
    """MNIST-normalise a digit into a 28x28 float32 image.

    Crops to the bounding box of ``mask``, scales it into 20x20 keeping the aspect
    ratio (INTER_AREA, which anti-aliases like MNIST), thickens strokes that would end
    up much thinner than MNIST's (and thins marker-thick ones), and shifts the centre
    of mass to the centre.

    Args:
        mask: uint8 digit mask, ink non-zero; gives the bounding box and stroke width.
        thicken_thin_strokes: adapt the stroke width towards MNIST's.

    Returns:
        ``(28, 28)`` float32 in [0, 1]; all zero when the mask is empty.

    """
    out_empty = np.zeros((INPUT_SIDE, INPUT_SIDE), INPUT_DTYPE)
    if not cv2.countNonZero(mask):
        return out_empty
    x, y, w, h = cv2.boundingRect(mask)
    shape = mask[y:y + h, x:x + w]
    digit = shape
    side = max(w, h)
    if thicken_thin_strokes and side >= DIGIT_BOX_SIDE:
        want = MNIST_STROKE_WIDTH * side / DIGIT_BOX_SIDE
        have = stroke_width(shape)
        if 0 < have < 0.7 * want:
            r = int(round((0.85 * want - have) / 2))
            if r >= 1:
                digit = cv2.copyMakeBorder(digit, r, r, r, r, cv2.BORDER_CONSTANT, value=0)
                k = disc(r)
                digit = cv2.dilate(digit, k)
                h, w = digit.shape
                side = max(w, h)
        elif have > THICK_FACTOR * want:
            # Marker-thick strokes fill the holes of 0, 6, 8, 9 once scaled down.
            r = int(round((have - 1.2 * want) / 2))
            if r >= 1:
                k = disc(r)
                thinner = cv2.erode(shape, k)
                if cv2.countNonZero(thinner) > 0.25 * cv2.countNonZero(shape):
                    # Re-crop: the thinned digit must fill the 20x20 box again.
                    x, y, w, h = cv2.boundingRect(thinner)
                    digit = cv2.erode(digit, k)[y:y + h, x:x + w]
                    side = max(w, h)
    scale = DIGIT_BOX_SIDE / side
    new_w = max(1, int(round(w * scale)))
    new_h = max(1, int(round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(digit, (new_w, new_h), interpolation=interp).astype(np.float32) / 255.0
    m = cv2.moments(small)
    if m['m00'] <= 0:
        return out_empty
    # Place the scaled box so that its centre of mass lands on the centre.
    cx = m['m10'] / m['m00']
    cy = m['m01'] / m['m00']
    shift = np.float32([[1, 0, MNIST_CENTRE - cx], [0, 1, MNIST_CENTRE - cy]])
    out = cv2.warpAffine(small, shift, (INPUT_SIDE, INPUT_SIDE), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(out, 0.0, 1.0, out=out).astype(INPUT_DTYPE, copy=False)
