"""Convert raw image buffers (as in ``sensor_msgs/Image``) to numpy and back, ROS-free.

Incoming buffers are viewed, never copied (:func:`image_to_array`); outgoing arrays
are checked and laid out once (:func:`pack_array`), so the only copy left is the one
into the message's own buffer. Supported encodings: ``mono8``,
``bgr8``, ``rgb8``, ``bgra8``, ``rgba8``, ``mono16``, and the aliases ``8UC1``
(= mono8), ``8UC3`` (= bgr8), ``8UC4`` (= bgra8) and ``16UC1`` (= mono16).
"""

import dataclasses
import sys

import cv2

import numpy as np


class ImageFormatError(ValueError):
    """An image buffer or array does not match a supported encoding."""


# encoding -> (channels, numpy dtype of one channel)
_FORMATS: dict[str, tuple[int, np.dtype]] = {
    'mono8': (1, np.dtype(np.uint8)),
    'bgr8': (3, np.dtype(np.uint8)),
    'rgb8': (3, np.dtype(np.uint8)),
    'bgra8': (4, np.dtype(np.uint8)),
    'rgba8': (4, np.dtype(np.uint8)),
    'mono16': (1, np.dtype(np.uint16)),
}
_ALIASES = {'8UC1': 'mono8', '8UC3': 'bgr8', '8UC4': 'bgra8', '16UC1': 'mono16'}

SUPPORTED_ENCODINGS = tuple(_FORMATS) + tuple(_ALIASES)
"""All encodings accepted by this module."""

Buffer = bytes | bytearray | memoryview | np.ndarray | list


@dataclasses.dataclass(frozen=True)
class ImageFields:
    """The fields of a ``sensor_msgs/Image`` describing one image."""

    height: int
    width: int
    encoding: str
    step: int
    data: bytes
    is_bigendian: bool = False


def canonical_encoding(encoding: str) -> str:
    """Return the canonical name of a supported encoding (resolving aliases).

    Raises:
        ImageFormatError: if the encoding is not supported.

    """
    name = _ALIASES.get(encoding, encoding)
    if name not in _FORMATS:
        raise ImageFormatError(
            f'unsupported image encoding {encoding!r}; supported: '
            f'{", ".join(SUPPORTED_ENCODINGS)}')
    return name


def image_to_array(height: int, width: int, encoding: str, step: int, data: Buffer,
                   is_bigendian: bool = False) -> np.ndarray:
    """View a raw image buffer as a numpy array, without copying when possible.

    Args:
        height: rows.
        width: columns.
        encoding: one of :data:`SUPPORTED_ENCODINGS`.
        step: bytes per row, at least ``width * pixel size`` (rows may be padded).
        data: the pixel bytes, at least ``step * height`` long.
        is_bigendian: byte order of 16-bit data.

    Returns:
        ``(height, width)`` for mono encodings, else ``(height, width, channels)``, in
        the buffer's channel order. A read-only view of ``data`` when the byte
        order is native (a copy only for foreign-endian 16-bit data).

    Raises:
        ImageFormatError: on an unsupported encoding, zero size, too small a step
            or too short a buffer.

    """
    name = canonical_encoding(encoding)
    channels, dtype = _FORMATS[name]
    height, width, step = int(height), int(width), int(step)
    if height <= 0 or width <= 0:
        raise ImageFormatError(f'image size must be positive, got {width}x{height}')
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageFormatError(
            f'step {step} is smaller than width * pixel size = {row_bytes} for {name}')
    if dtype.itemsize > 1 and step % dtype.itemsize:
        raise ImageFormatError(f'step {step} is not a multiple of {dtype.itemsize} for {name}')
    if isinstance(data, np.ndarray):
        buf = data.reshape(-1).view(np.uint8)
    elif isinstance(data, (list, tuple)):
        buf = np.asarray(data, np.uint8)
    else:
        # bytes, bytearray, memoryview, array.array (rclpy): anything with a buffer.
        buf = np.frombuffer(data, np.uint8)
    if buf.size < step * height:
        raise ImageFormatError(
            f'data has {buf.size} bytes, expected at least step * height = {step * height}')
    order = '>' if is_bigendian else '<'
    typed = dtype.newbyteorder(order) if dtype.itemsize > 1 else dtype
    shape = (height, width, channels) if channels > 1 else (height, width)
    strides = (step, channels * dtype.itemsize, dtype.itemsize)[:len(shape)]
    array = np.ndarray(shape, typed, buffer=buf, strides=strides)
    if dtype.itemsize > 1 and typed != dtype.newbyteorder('='):
        # Foreign byte order: the one case that needs a copy.
        array = array.astype(dtype.newbyteorder('='))
    return array


@dataclasses.dataclass(frozen=True)
class ImageGeometry:
    """The fields of a ``sensor_msgs/Image`` other than its header and data."""

    height: int
    width: int
    encoding: str
    step: int
    is_bigendian: bool = False


def pack_array(array: np.ndarray, encoding: str) -> tuple[ImageGeometry, np.ndarray]:
    """Check a numpy image against ``encoding`` and lay it out as a message stores it.

    Args:
        array: ``(H, W)`` or ``(H, W, 1)`` for mono encodings, ``(H, W, C)`` else,
            with the encoding's dtype (uint8, or uint16 for mono16), channels in the
            encoding's order.
        encoding: one of :data:`SUPPORTED_ENCODINGS`; kept as given in the result.

    Returns:
        The geometry (tight rows, step = row size; ``is_bigendian`` as the native order)
        and the pixels as a flat C-contiguous native-endian uint8 array: a view of
        ``array`` when it is already laid out so, else one copy.

    Raises:
        ImageFormatError: if the array's shape or dtype does not fit the encoding.

    """
    name = canonical_encoding(encoding)
    channels, dtype = _FORMATS[name]
    array = np.asarray(array)
    if channels == 1 and array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    want_ndim = 2 if channels == 1 else 3
    if array.ndim != want_ndim or (channels > 1 and array.shape[2] != channels):
        raise ImageFormatError(
            f'array of shape {array.shape} does not fit {name} ({channels} channel(s))')
    if array.dtype.newbyteorder('=') != dtype.newbyteorder('='):
        raise ImageFormatError(f'array dtype {array.dtype} does not fit {name} ({dtype})')
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ImageFormatError(f'image size must be positive, got {width}x{height}')
    native = np.ascontiguousarray(array, dtype=dtype.newbyteorder('='))
    step = width * channels * dtype.itemsize
    geometry = ImageGeometry(int(height), int(width), encoding, int(step),
                             sys.byteorder == 'big' and dtype.itemsize > 1)
    return geometry, native.reshape(-1).view(np.uint8)


def array_to_image_fields(array: np.ndarray, encoding: str) -> ImageFields:
    """Pack a numpy image into ``sensor_msgs/Image`` fields, data as ``bytes``.

    Args:
        array: as for :func:`pack_array`.
        encoding: one of :data:`SUPPORTED_ENCODINGS`; kept as given in the result.

    Returns:
        The :class:`ImageFields` (native-endian data, ``is_bigendian`` set to match).

    Raises:
        ImageFormatError: if the array's shape or dtype does not fit the encoding.

    """
    geometry, pixels = pack_array(array, encoding)
    return ImageFields(geometry.height, geometry.width, geometry.encoding, geometry.step,
                       pixels.tobytes(), geometry.is_bigendian)


def to_bgr8(array: np.ndarray, encoding: str) -> np.ndarray:
    """Convert an image of any supported encoding to a bgr8 ``(H, W, 3)`` uint8 array.

    bgr8 input is returned as is (no copy). mono16 is scaled to 8 bit by its own
    range: values are divided by 256 when they use the upper byte (full-range 16-bit
    cameras), else stretched from 0..max (e.g. 10/12-bit sensors or depth in mm), so
    the picture is neither black nor saturated.

    Raises:
        ImageFormatError: on an unsupported encoding or a mismatched array.

    """
    name = canonical_encoding(encoding)
    array = np.asarray(array)
    if name == 'bgr8':
        _check(array, 3, name)
        return array
    if name == 'rgb8':
        _check(array, 3, name)
        return cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    if name == 'bgra8':
        _check(array, 4, name)
        return cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)
    if name == 'rgba8':
        _check(array, 4, name)
        return cv2.cvtColor(array, cv2.COLOR_RGBA2BGR)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2:
        raise ImageFormatError(f'{name} image must be 2-D, got shape {array.shape}')
    if name == 'mono16':
        mono = _mono16_to_8(array)
    else:
        if array.dtype != np.uint8:
            raise ImageFormatError(f'mono8 image must be uint8, got {array.dtype}')
        mono = array
    return cv2.cvtColor(np.ascontiguousarray(mono), cv2.COLOR_GRAY2BGR)


def _check(array: np.ndarray, channels: int, name: str) -> None:
    if array.ndim != 3 or array.shape[2] != channels or array.dtype != np.uint8:
        raise ImageFormatError(
            f'{name} image must be uint8 (H, W, {channels}), got {array.dtype} {array.shape}')


def _mono16_to_8(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind != 'u' or array.dtype.itemsize != 2:
        raise ImageFormatError(f'mono16 image must be uint16, got {array.dtype}')
    top = int(array.max()) if array.size else 0
    if top >= 256 * 128 or top == 0:
        return (array >> 8).astype(np.uint8)
    return cv2.convertScaleAbs(array, alpha=255.0 / top)
