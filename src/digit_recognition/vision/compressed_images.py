"""JPEG / PNG images as ``sensor_msgs/CompressedImage`` carries them, ROS-free.

image_transport's ``compressed`` plugin publishes ``<image>/compressed`` with ``format``
``"<original encoding>; <jpeg|png> compressed <encoding of the compressed pixels>"``,
e.g. ``"bgr8; jpeg compressed bgr8"`` or ``"rgb8; jpeg compressed bgr8"`` (colour is
stored as BGR), and older publishers write just ``"jpeg"`` or ``"png"``. This module
writes the first form and reads all of them.
"""


import cv2

from digit_recognition.vision.image_encoding import ImageFormatError, to_bgr8

import numpy as np

COMPRESSIONS = ('jpeg', 'png')
"""Compressions written by :func:`encode_compressed` and read by :func:`decode_compressed`."""

DEFAULT_JPEG_QUALITY = 95
"""image_transport's default ``jpeg_quality``."""

DEFAULT_PNG_LEVEL = 3
"""image_transport's default ``png_level``."""


def encode_compressed(image: np.ndarray, encoding: str, compression: str = 'jpeg',
                      jpeg_quality: int = DEFAULT_JPEG_QUALITY,
                      png_level: int = DEFAULT_PNG_LEVEL) -> tuple[str, bytes]:
    """Compress a bgr8 or mono8 image as image_transport's compressed plugin does.

    Args:
        image: ``(H, W, 3)`` bgr8 or ``(H, W)`` mono8 uint8 pixels.
        encoding: ``'bgr8'`` or ``'mono8'``, the encoding of ``image``.
        compression: ``'jpeg'`` or ``'png'``.
        jpeg_quality: 1-100.
        png_level: 0-9.

    Returns:
        The ``format`` string and the compressed bytes.

    Raises:
        ImageFormatError: on another encoding or compression, or if OpenCV fails.

    """
    if encoding not in ('bgr8', 'mono8'):
        raise ImageFormatError(f'only bgr8 and mono8 images are compressed, got {encoding!r}')
    if compression == 'jpeg':
        ok, data = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    elif compression == 'png':
        ok, data = cv2.imencode('.png', image, [cv2.IMWRITE_PNG_COMPRESSION, int(png_level)])
    else:
        raise ImageFormatError(
            f'compression must be one of {", ".join(COMPRESSIONS)}, got {compression!r}')
    if not ok:
        raise ImageFormatError(f'OpenCV could not {compression}-compress the image')
    return f'{encoding}; {compression} compressed {encoding}', data.tobytes()


def decode_compressed(image_format: str, data) -> np.ndarray:
    """Decode a ``CompressedImage``'s data to a bgr8 ``(H, W, 3)`` array.

    Args:
        image_format: the message's ``format`` (any of the forms above).
        data: the compressed bytes (bytes, array.array, numpy uint8).

    Raises:
        ImageFormatError: for ``compressedDepth``, empty data or data OpenCV cannot
            decode (corrupt or not an image).

    """
    if 'compresseddepth' in image_format.lower():
        raise ImageFormatError(f'compressedDepth images are not supported ({image_format!r})')
    buffer = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else data
    if buffer.size == 0:
        raise ImageFormatError('compressed image has no data')
    pixels = cv2.imdecode(buffer.reshape(-1), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise ImageFormatError(
            f'could not decode {buffer.size} bytes of format {image_format!r} '
            '(corrupt or not a JPEG/PNG image)')
    return to_bgr8(pixels, _decoded_encoding(pixels, _stored_encoding(image_format)))


def _stored_encoding(image_format: str) -> str:
    """Return the encoding the compressed pixels were written in ('' if not given)."""
    words = image_format.replace(';', ' ').split()
    if 'compressed' in words and words.index('compressed') + 1 < len(words):
        return words[words.index('compressed') + 1]
    return ''


def _decoded_encoding(pixels: np.ndarray, stored: str) -> str:
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels == 1:
        return 'mono16' if pixels.dtype == np.uint16 else 'mono8'
    if pixels.dtype != np.uint8:
        raise ImageFormatError(f'{pixels.dtype} colour images are not supported')
    if channels == 3:
        return 'rgb8' if stored == 'rgb8' else 'bgr8'
    if channels == 4:
        return 'rgba8' if stored == 'rgba8' else 'bgra8'
    raise ImageFormatError(f'decoded image has {channels} channels')
