"""``sensor_msgs/Image`` <-> numpy with no copy in and one copy out.

rclpy hands a subscriber the image's data as an ``array.array``; the pixels are a
numpy view of it (:func:`image_msg_to_array`). Publishing copies the pixels once,
straight from the numpy array into the ``array.array`` the new message already holds
(:func:`array_to_image_msg`). Assigning ``msg.data`` instead would cost more: the
generated setter checks a ``bytes`` or list value element by element (Humble), or
copies even an ``array.array`` once more (Kilted, where field checks are off).

cv_bridge is not needed: :mod:`digit_recognition.vision.image_encoding` checks every
field first (cv_bridge's own errors are less clear and vary by release) and then
views the buffer, which is what cv_bridge's ``passthrough`` conversion does too.
"""

from digit_recognition.vision.image_encoding import (
    canonical_encoding, image_to_array, ImageFormatError, pack_array, to_bgr8)
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import Header

__all__ = ['ImageFormatError', 'image_msg_to_array', 'image_msg_to_bgr8',
           'array_to_image_msg']


def image_msg_to_array(msg: Image) -> np.ndarray:
    """Return the image's pixels in its own encoding, a read-only view of ``msg.data``.

    Raises:
        ImageFormatError: unsupported encoding, zero size, bad step or short data.

    """
    return image_to_array(msg.height, msg.width, msg.encoding, msg.step, msg.data,
                          bool(msg.is_bigendian))


def image_msg_to_bgr8(msg: Image) -> np.ndarray:
    """Return the image as a bgr8 ``(H, W, 3)`` array (a view for bgr8 images).

    Raises:
        ImageFormatError: as :func:`image_msg_to_array`.

    """
    return to_bgr8(image_msg_to_array(msg), canonical_encoding(msg.encoding))


def array_to_image_msg(pixels: np.ndarray, encoding: str, header: Header) -> Image:
    """Pack ``pixels`` into an Image message with ``header`` (stamp and frame_id).

    Raises:
        ImageFormatError: if the array's shape or dtype does not fit ``encoding``.

    """
    geometry, flat = pack_array(pixels, encoding)
    msg = Image(header=header, height=geometry.height, width=geometry.width,
                encoding=geometry.encoding, is_bigendian=geometry.is_bigendian,
                step=geometry.step)
    msg.data.frombytes(flat)
    return msg
