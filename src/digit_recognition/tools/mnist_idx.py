"""Read the MNIST database from its canonical IDX files (gzip-compressed or raw).

The IDX format is a big-endian header (two zero bytes, a type code, the number of
dimensions, then one 32-bit size per dimension) followed by the data. MNIST uses
type ``0x08`` (unsigned byte): images are ``(N, 28, 28)`` and labels ``(N,)``.
"""

import gzip
from pathlib import Path
import struct
from typing import Final, NamedTuple

import numpy as np

TRAIN_IMAGES: Final = 'train-images-idx3-ubyte.gz'
TRAIN_LABELS: Final = 'train-labels-idx1-ubyte.gz'
TEST_IMAGES: Final = 't10k-images-idx3-ubyte.gz'
TEST_LABELS: Final = 't10k-labels-idx1-ubyte.gz'

_UBYTE: Final = 0x08
_GZIP_MAGIC: Final = b'\x1f\x8b'

PathLike = str | Path


class IdxFormatError(ValueError):
    """Raised when a file is missing, unreadable or not a valid uint8 IDX file."""

    def __init__(self, path: PathLike, reason: str) -> None:
        """Record the offending file and why it was rejected."""
        self.path = str(path)
        self.reason = reason
        super().__init__(f'cannot read IDX file {self.path}: {reason}')


class MnistSplit(NamedTuple):
    """Images ``uint8 (N, 28, 28)`` and labels ``uint8 (N,)`` of one MNIST split."""

    images: np.ndarray
    labels: np.ndarray


def read_idx(path: PathLike) -> np.ndarray:
    """Read one uint8 IDX file, gzip-compressed (``.gz``) or raw.

    Args:
        path: the file to read.

    Returns:
        The array stored in the file, ``uint8``, with the shape from its header.

    Raises:
        IdxFormatError: if the file is missing, truncated, not gzip/IDX, or not uint8.

    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise IdxFormatError(path, 'file not found') from None
    except (OSError, EOFError) as error:
        raise IdxFormatError(path, f'corrupt or truncated gzip data ({error})') from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxFormatError(path, 'not an IDX file (bad magic number)')
    if raw[2] != _UBYTE:
        raise IdxFormatError(path, f'unsupported IDX data type 0x{raw[2]:02x} (expected uint8)')
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_size:
        raise IdxFormatError(path, 'truncated IDX header')
    shape = struct.unpack(f'>{ndim}I', raw[4:header_size])
    expected = int(np.prod(shape, dtype=np.int64))
    actual = len(raw) - header_size
    if actual != expected:
        raise IdxFormatError(
            path, f'header says {shape} ({expected} bytes of data) but file holds {actual}')
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _load_split(data_dir: Path, images_name: str, labels_name: str) -> MnistSplit:
    images = read_idx(data_dir / images_name)
    labels = read_idx(data_dir / labels_name)
    if images.ndim != 3:
        raise IdxFormatError(data_dir / images_name,
                             f'expected 3-D images (N, rows, cols), got shape {images.shape}')
    if labels.ndim != 1:
        raise IdxFormatError(data_dir / labels_name,
                             f'expected 1-D labels, got shape {labels.shape}')
    if len(images) != len(labels):
        raise IdxFormatError(
            data_dir / labels_name,
            f'{len(labels)} labels do not match {len(images)} images in {images_name}')
    if labels.size and labels.max() > 9:
        raise IdxFormatError(data_dir / labels_name, f'label {labels.max()} is not a digit')
    return MnistSplit(images, labels)


def load_mnist(data_dir: PathLike) -> tuple[MnistSplit, MnistSplit]:
    """Load MNIST's training and test splits from a directory of the four IDX files.

    Args:
        data_dir: directory holding ``train-images-idx3-ubyte.gz``,
            ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
            ``t10k-labels-idx1-ubyte.gz``.

    Returns:
        ``(train, test)``, each a :class:`MnistSplit`.

    Raises:
        IdxFormatError: if a file is missing or invalid.

    """
    data_dir = Path(data_dir)
    return (_load_split(data_dir, TRAIN_IMAGES, TRAIN_LABELS),
            _load_split(data_dir, TEST_IMAGES, TEST_LABELS))


def load_mnist_test(data_dir: PathLike) -> MnistSplit:
    """Load only MNIST's 10,000 test images and labels (see :func:`load_mnist`)."""
    return _load_split(Path(data_dir), TEST_IMAGES, TEST_LABELS)
