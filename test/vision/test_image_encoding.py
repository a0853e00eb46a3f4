"""Tests of the ROS-free raw image buffer conversions."""

import array

import cv2

from digit_recognition.vision import image_encoding
from digit_recognition.vision.image_encoding import (
    array_to_image_fields, image_to_array, to_bgr8)

import numpy as np

import pytest

RNG = np.random.default_rng(0)
BGR = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)


@pytest.mark.parametrize('encoding,array', [
    ('bgr8', BGR),
    ('rgb8', BGR[:, :, ::-1].copy()),
    ('mono8', BGR[:, :, 0].copy()),
    ('bgra8', np.dstack([BGR, np.full((5, 7), 255, np.uint8)])),
    ('rgba8', np.dstack([BGR[:, :, ::-1], np.full((5, 7), 9, np.uint8)])),
    ('mono16', RNG.integers(0, 65536, (5, 7), dtype=np.uint16)),
    ('8UC1', BGR[:, :, 1].copy()),
    ('8UC3', BGR),
])
def test_round_trip(encoding, array):
    """Check: every encoding survives array -> fields -> array unchanged."""
    fields = array_to_image_fields(array, encoding)
    assert (fields.height, fields.width, fields.encoding) == (5, 7, encoding)
    assert fields.step == 7 * array.itemsize * (array.shape[2] if array.ndim == 3 else 1)
    assert len(fields.data) == fields.step * 5
    back = image_to_array(fields.height, fields.width, fields.encoding, fields.step,
                          fields.data, fields.is_bigendian)
    np.testing.assert_array_equal(back, array)
    assert back.dtype == array.dtype


def test_step_padding_is_honoured_without_copy():
    """Check: step padding is honoured without copy."""
    step = 7 * 3 + 5
    raw = bytearray(RNG.integers(0, 256, step * 5, dtype=np.uint8).tobytes())
    array = image_to_array(5, 7, 'bgr8', step, raw)
    padded = np.frombuffer(bytes(raw), np.uint8).reshape(5, step)
    np.testing.assert_array_equal(array.reshape(5, 21), padded[:, :21])
    # A view: writing through the buffer shows up in the array.
    raw[step + 3] = (int(array[1, 1, 0]) + 1) % 256
    assert array[1, 1, 0] == raw[step + 3]


def test_mono16_byte_order():
    """Check: mono16 byte order."""
    values = np.array([[1, 256, 4660]], np.uint16)
    big = values.astype('>u2').tobytes()
    little = values.astype('<u2').tobytes()
    np.testing.assert_array_equal(image_to_array(1, 3, 'mono16', 6, big, True), values)
    np.testing.assert_array_equal(image_to_array(1, 3, 'mono16', 6, little, False), values)


@pytest.mark.parametrize('args,message', [
    ((5, 7, 'yuv422', 14, bytes(70)), 'unsupported image encoding'),
    ((0, 7, 'mono8', 7, bytes(70)), 'positive'),
    ((5, 0, 'mono8', 7, bytes(70)), 'positive'),
    ((5, 7, 'bgr8', 20, bytes(200)), 'step 20 is smaller'),
    ((5, 7, 'bgr8', 21, bytes(21 * 5 - 1)), 'data has 104 bytes'),
    ((5, 7, 'mono16', 15, bytes(200)), 'multiple'),
])
def test_errors(args, message):
    """Check: bad buffers raise image_encoding.ImageFormatError with a clear message."""
    with pytest.raises(image_encoding.ImageFormatError, match=message):
        image_to_array(*args)
    assert issubclass(image_encoding.ImageFormatError, ValueError)


def test_array_to_fields_rejects_mismatch():
    """Check: array to fields rejects mismatch."""
    with pytest.raises(image_encoding.ImageFormatError):
        array_to_image_fields(BGR, 'mono8')
    with pytest.raises(image_encoding.ImageFormatError):
        array_to_image_fields(BGR.astype(np.uint16), 'bgr8')
    with pytest.raises(image_encoding.ImageFormatError):
        array_to_image_fields(BGR, 'jpeg')


def test_to_bgr8_conversions():
    """Check: to bgr8 conversions."""
    assert to_bgr8(BGR, 'bgr8') is BGR
    np.testing.assert_array_equal(to_bgr8(BGR[:, :, ::-1].copy(), 'rgb8'), BGR)
    np.testing.assert_array_equal(
        to_bgr8(cv2.cvtColor(BGR, cv2.COLOR_BGR2RGBA), 'rgba8'), BGR)
    np.testing.assert_array_equal(
        to_bgr8(cv2.cvtColor(BGR, cv2.COLOR_BGR2BGRA), 'bgra8'), BGR)
    mono = BGR[:, :, 0].copy()
    out = to_bgr8(mono, 'mono8')
    assert out.shape == (5, 7, 3) and (out == mono[..., None]).all()


def test_to_bgr8_mono16_scaling():
    """Check: to bgr8 mono16 scaling."""
    full = np.array([[0, 32768, 65535]], np.uint16)
    np.testing.assert_array_equal(to_bgr8(full, 'mono16')[..., 0], [[0, 128, 255]])
    twelve_bit = np.array([[0, 2048, 4095]], np.uint16)
    np.testing.assert_array_equal(to_bgr8(twelve_bit, 'mono16')[..., 0], [[0, 128, 255]])
    assert not to_bgr8(np.zeros((2, 2), np.uint16), 'mono16').any()


def test_to_bgr8_rejects_wrong_shapes():
    """Check: to bgr8 rejects wrong shapes."""
    with pytest.raises(image_encoding.ImageFormatError):
        to_bgr8(BGR[:, :, 0], 'bgr8')
    with pytest.raises(image_encoding.ImageFormatError):
        to_bgr8(BGR, 'mono16')
    with pytest.raises(image_encoding.ImageFormatError):
        to_bgr8(BGR, 'nv12')


def test_array_module_and_list_buffers():
    """Check: rclpy-style array.array data and plain lists are accepted."""
    fields = array_to_image_fields(BGR, 'bgr8')
    as_array = array.array('B', fields.data)
    np.testing.assert_array_equal(image_to_array(5, 7, 'bgr8', 21, as_array), BGR)
    np.testing.assert_array_equal(image_to_array(5, 7, 'bgr8', 21, list(fields.data)), BGR)
