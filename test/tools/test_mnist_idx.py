"""Tests of the MNIST IDX reader, on the real files and on broken copies of them."""

import gzip
from pathlib import Path
import shutil
import struct

from digit_recognition.tools.mnist_idx import (
    IdxFormatError, load_mnist, load_mnist_test, read_idx, TEST_IMAGES, TEST_LABELS,
    TRAIN_IMAGES, TRAIN_LABELS)
import numpy as np
import pytest


def _write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_load_real_mnist(mnist_dir):
    train, test = load_mnist(mnist_dir)
    assert train.images.shape == (60000, 28, 28)
    assert test.images.shape == (10000, 28, 28)
    assert train.labels.shape == (60000,)
    assert test.labels.shape == (10000,)
    for array in (*train, *test):
        assert array.dtype == np.uint8
    # Well-known facts of the canonical files: first labels, class counts, ink range.
    assert train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(test.labels, minlength=10).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert test.images.max() == 255 and test.images.min() == 0
    assert np.array_equal(load_mnist_test(mnist_dir).labels, test.labels)


def test_raw_and_gzip_files_read_the_same(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    gz = read_idx(_write_idx(tmp_path / 'a.gz', array))
    raw = read_idx(_write_idx(tmp_path / 'a', array, compress=False))
    assert np.array_equal(gz, array)
    assert np.array_equal(raw, array)


def test_missing_file_names_path(tmp_path):
    path = tmp_path / 'nope-idx3-ubyte.gz'
    with pytest.raises(IdxFormatError, match='file not found') as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)


def test_truncated_gzip(tmp_path, mnist_dir):
    blob = (Path(mnist_dir) / TEST_LABELS).read_bytes()
    path = tmp_path / TEST_LABELS
    path.write_bytes(blob[:len(blob) // 2])
    with pytest.raises(IdxFormatError, match='truncated') as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize('data, reason', [
    (b'\x01\x02\x08\x01\x00\x00\x00\x01\x07', 'bad magic'),
    (b'\x00\x00\x0d\x01\x00\x00\x00\x01\x07\x00\x00\x00', 'data type 0x0d'),
    (b'\x00\x00\x08\x03\x00\x00', 'truncated IDX header'),
    (b'\x00\x00\x08\x01\x00\x00\x00\x05\x07\x07', 'file holds 2'),
    (b'\x00\x00\x08\x01\x00\x00\x00\x01\x07\x07', 'file holds 2'),
])
def test_invalid_contents(tmp_path, data, reason):
    path = tmp_path / 'bad-idx'
    path.write_bytes(data)
    with pytest.raises(IdxFormatError, match=reason):
        read_idx(path)


def test_mismatched_split_is_rejected(tmp_path, mnist_dir):
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        shutil.copy(Path(mnist_dir) / name, tmp_path / name)
    _write_idx(tmp_path / TEST_IMAGES, np.zeros((3, 28, 28), np.uint8))
    _write_idx(tmp_path / TEST_LABELS, np.zeros(4, np.uint8))
    with pytest.raises(IdxFormatError, match='4 labels do not match 3 images'):
        load_mnist(tmp_path)


def test_labels_must_be_digits(tmp_path):
    _write_idx(tmp_path / TEST_IMAGES, np.zeros((2, 28, 28), np.uint8))
    _write_idx(tmp_path / TEST_LABELS, np.array([3, 12], np.uint8))
    with pytest.raises(IdxFormatError, match='label 12 is not a digit'):
        load_mnist_test(tmp_path)
