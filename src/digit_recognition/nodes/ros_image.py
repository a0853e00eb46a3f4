"""``sensor_msgs/Image`` <-> numpy: cv_bridge on ROS installs, a tested fallback elsewhere.

Every field is checked first by :mod:`digit_recognition.vision.image_encoding`, so a
malformed image gets the same clear :class:`ImageFormatError` with or without cv_bridge
(cv_bridge's own errors are less clear and vary by release).

Where ``cv_bridge`` imports (every ROS install) it does the conversion, as ROS users
expect. Where it does not (the PyPI wheels on the build machines; the PyPI package
``cv-bridge`` is a ROS 1 port that breaks on numpy 2) the fallback views the received
buffer without a copy, which is what cv_bridge's ``passthrough`` conversion does too,
and copies outgoing pixels once, straight into the ``array.array`` the message
already holds. Assigning ``msg.data`` instead would cost more: the generated setter
checks a ``bytes`` or list value element by element (Humble), or copies even an
``array.array`` once more (Kilted, where field checks are off).

A node that sends a stream of images fills one :class:`OutgoingImage` per publisher
instead of building a message per frame: ``publish()`` has converted the message to
its C form by the time it returns, so the same Python object can carry the next frame.
That saves the generated constructors (``Image()`` builds a default ``Header`` and
``Time`` even when a header is passed, in Python, field by field) and the allocation
of a frame-sized buffer per frame.
"""

import array

from digit_recognition.vision.image_encoding import (
    canonical_encoding, image_to_array, ImageFormatError, pack_array, to_bgr8)
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import Header

try:
    from cv_bridge import CvBridge, CvBridgeError
except ImportError:  # no ROS install: the fallback below does the same conversions
    CvBridge, CvBridgeError = None, None

_BRIDGE = CvBridge() if CvBridge is not None else None

__all__ = ['ImageFormatError', 'image_msg_to_array', 'image_msg_to_bgr8',
           'array_to_image_msg', 'OutgoingImage']


def image_msg_to_array(msg: Image) -> np.ndarray:
    """Return the image's pixels in its own encoding, a read-only view of ``msg.data``.

    Raises:
        ImageFormatError: unsupported encoding, zero size, bad step or short data.

    """
    pixels = image_to_array(msg.height, msg.width, msg.encoding, msg.step, msg.data,
                            bool(msg.is_bigendian))
    if _BRIDGE is None:
        return pixels
    try:
        return _BRIDGE.imgmsg_to_cv2(msg, desired_encoding='passthrough')
    except (CvBridgeError, TypeError, ValueError) as error:
        raise ImageFormatError(f'cv_bridge could not convert the image: {error}') from error


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
    if _BRIDGE is not None:
        return _BRIDGE.cv2_to_imgmsg(pixels, encoding=encoding, header=header)
    msg = Image(header=header, height=geometry.height, width=geometry.width,
                encoding=geometry.encoding, is_bigendian=geometry.is_bigendian,
                step=geometry.step)
    msg.data.frombytes(flat)
    return msg


class OutgoingImage:
    """One ``Image`` message that a publisher sends again and again, refilled per frame.

    Publish the message :meth:`fill` returns before calling it again; the message
    changes under anyone who keeps it (rclpy's ``publish()`` does not).
    """

    def __init__(self) -> None:
        """Start without a message; the first :meth:`fill` creates it."""
        self._msg: Image | None = None

    def fill(self, pixels: np.ndarray, encoding: str, header: Header) -> Image:
        """Return the message holding ``pixels`` and ``header`` (as :func:`array_to_image_msg`).

        Raises:
            ImageFormatError: if the array's shape or dtype does not fit ``encoding``.

        """
        geometry, flat = pack_array(pixels, encoding)
        if _BRIDGE is not None:
            return _BRIDGE.cv2_to_imgmsg(pixels, encoding=encoding, header=header)
        msg = self._msg
        if msg is None:
            msg = self._msg = Image(header=header)
        else:
            msg.header = header
        msg.height = geometry.height
        msg.width = geometry.width
        msg.encoding = geometry.encoding
        msg.is_bigendian = geometry.is_bigendian
        msg.step = geometry.step
        data: array.array = msg.data
        if len(data) == flat.size:
            np.frombuffer(data, np.uint8)[:] = flat
        else:
            del data[:]
            data.frombytes(flat)
        return msg
