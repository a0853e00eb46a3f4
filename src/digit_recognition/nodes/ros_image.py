"""``sensor_msgs/Image`` <-> numpy, through cv_bridge when it is importable.

ROS installs (the Jetson) have cv_bridge; the PyPI build environment does not, and
there :mod:`digit_recognition.vision.image_encoding` does the same job. Both paths check
the message first, so a malformed image raises :class:`ImageFormatError` either way.
"""

import array

from digit_recognition.vision.image_encoding import (
    array_to_image_fields, canonical_encoding, image_to_array, ImageFormatError, to_bgr8)
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import Header

try:
    from cv_bridge import CvBridge
except ImportError:  # no ROS cv_bridge here (PyPI wheels): use image_encoding
    CvBridge = None

__all__ = ['ImageFormatError', 'image_msg_to_array', 'image_msg_to_bgr8',
           'array_to_image_msg']

_bridge = CvBridge() if CvBridge is not None else None


def image_msg_to_array(msg: Image) -> np.ndarray:
    """Return the image's pixels in its own encoding (a view where possible).

    Raises:
        ImageFormatError: unsupported encoding, zero size, bad step or short data.

    """
    # Validates every field; cv_bridge's own errors are less clear and vary by release.
    pixels = image_to_array(msg.height, msg.width, msg.encoding, msg.step, msg.data,
                            bool(msg.is_bigendian))
    if _bridge is not None:
        return _bridge.imgmsg_to_cv2(msg, desired_encoding='passthrough')
    return pixels


def image_msg_to_bgr8(msg: Image) -> np.ndarray:
    """Return the image as a bgr8 ``(H, W, 3)`` array.

    Raises:
        ImageFormatError: as :func:`image_msg_to_array`.

    """
    return to_bgr8(image_msg_to_array(msg), canonical_encoding(msg.encoding))


def array_to_image_msg(pixels: np.ndarray, encoding: str, header: Header) -> Image:
    """Pack ``pixels`` into an Image message with ``header`` (stamp and frame_id)."""
    if _bridge is not None:
        msg = _bridge.cv2_to_imgmsg(np.ascontiguousarray(pixels), encoding=encoding)
        msg.header = header
        return msg
    fields = array_to_image_fields(pixels, encoding)
    msg = Image(header=header, height=fields.height, width=fields.width,
                encoding=fields.encoding, is_bigendian=fields.is_bigendian, step=fields.step)
    # Assigning an array.array is a memcpy; a bytes object would be checked per byte.
    data = array.array('B')
    data.frombytes(fields.data)
    msg.data = data
    return msg
