"""JPEG and PNG as image_transport's compressed plugin writes them, and bad data."""

import cv2
from digit_recognition.vision.compressed_images import decode_compressed, encode_compressed
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.image_encoding import ImageFormatError
import numpy as np
import pytest


@pytest.fixture(scope='module')
def frame():
    return DemoFrameGenerator(seed=2).next_frame()[0]


def test_png_is_lossless_and_names_its_encoding(frame):
    image_format, data = encode_compressed(frame, 'bgr8', 'png')
    assert image_format == 'bgr8; png compressed bgr8'
    assert np.array_equal(decode_compressed(image_format, data), frame)


def test_jpeg_is_close_to_the_frame(frame):
    image_format, data = encode_compressed(frame, 'bgr8', 'jpeg', jpeg_quality=95)
    assert image_format == 'bgr8; jpeg compressed bgr8'
    decoded = decode_compressed(image_format, data)
    assert decoded.shape == frame.shape and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - frame).mean() < 3.0
    assert len(data) < frame.nbytes / 5


def test_mono8_comes_back_as_gray_bgr8(frame):
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    image_format, data = encode_compressed(gray, 'mono8', 'png')
    assert image_format == 'mono8; png compressed mono8'
    assert np.array_equal(decode_compressed(image_format, data),
                          cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))


@pytest.mark.parametrize('image_format', ['jpeg', 'png', 'rgb8; jpeg compressed bgr8', ''])
def test_older_and_rgb_format_strings_decode_as_bgr(frame, image_format):
    # image_transport stores colour as BGR even when the camera's image was rgb8.
    _, data = encode_compressed(frame, 'bgr8', 'png')
    assert np.array_equal(decode_compressed(image_format, data), frame)


def test_pixels_stored_as_rgb8_are_swapped(frame):
    ok, data = cv2.imencode('.png', frame[:, :, ::-1])
    assert ok
    assert np.array_equal(decode_compressed('rgb8; png compressed rgb8', data.tobytes()),
                          frame)


def test_sixteen_bit_png_is_scaled_to_eight_bits():
    ramp = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    ok, data = cv2.imencode('.png', ramp)
    decoded = decode_compressed('mono16; png compressed mono16', data.tobytes())
    assert decoded.shape == (8, 8, 3)
    assert decoded[0, 0, 0] == 0 and decoded[-1, -1, 0] == 246


@pytest.mark.parametrize('image_format, data, reason', [
    ('bgr8; jpeg compressed bgr8', b'', 'no data'),
    ('bgr8; jpeg compressed bgr8', b'\xff\xd8\xff' + bytes(200), 'could not decode'),
    ('bgr8; png compressed bgr8', b'not an image at all', 'could not decode'),
    ('16UC1; compressedDepth png', b'\x00' * 20, 'compressedDepth'),
])
def test_bad_data_raises_a_clear_error(image_format, data, reason):
    with pytest.raises(ImageFormatError, match=reason):
        decode_compressed(image_format, data)


def test_truncated_jpeg_is_refused_or_decoded_never_crashes(frame):
    image_format, data = encode_compressed(frame, 'bgr8', 'jpeg')
    try:
        decoded = decode_compressed(image_format, data[:len(data) // 2])
    except ImageFormatError:
        return
    # libjpeg fills a truncated image's missing rows; it is still a whole frame.
    assert decoded.shape == frame.shape


def test_encoding_refuses_what_it_cannot_write(frame):
    with pytest.raises(ImageFormatError, match='bgr8 and mono8'):
        encode_compressed(frame, 'rgb8', 'jpeg')
    with pytest.raises(ImageFormatError, match='compression'):
        encode_compressed(frame, 'bgr8', 'webp')
