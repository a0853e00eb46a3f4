"""Run the digit CNN on model batches, without ROS.

Two backends compute the same ``(N, 11)`` class probabilities (digits 0-9, then "no
digit"; see :mod:`~digit_recognition.vision.model_contract`):

* ``tflite`` - the float32 TFLite file with the LiteRT interpreter
  (``ai_edge_litert``), falling back to ``tf.lite.Interpreter``. Fast for small
  batches and, with LiteRT, does not import TensorFlow at all.
* ``keras`` - the Keras model, called through one ``tf.function`` traced once with a
  free batch dimension (``model.predict()`` costs milliseconds of overhead per call).
  Under Keras 2 (TensorFlow <= 2.15), which cannot read Keras 3 ``.keras`` files, the
  ``<name>_keras2.h5`` file next to the ``.keras`` file is loaded instead. The shipped
  ``.keras`` file is saved without the arguments only newer Keras 3 releases know
  (``tools.training.export_model``), so Keras 3.3 (TensorFlow 2.16) loads it too.

TensorFlow is imported only when a backend needs it.
"""

import abc
from pathlib import Path
import struct
from typing import Any, Final

from digit_recognition.vision.model_contract import (
    INPUT_SIDE, NUM_CLASSES, NUM_OUTPUTS, to_model_batch)

import numpy as np

BACKENDS: Final = ('keras', 'tflite')
"""The inference backends :func:`load_model` accepts."""

MODELS_DIR: Final = Path(__file__).resolve().parent / 'models'
"""The shipped models, installed as package data."""

MODEL_FILES: Final = {'keras': 'digit_cnn.keras', 'tflite': 'digit_cnn.tflite'}
KERAS2_SUFFIX: Final = '_keras2.h5'
"""Suffix of the Keras 2 compatible twin of a ``.keras`` file (``digit_cnn_keras2.h5``)."""

_INPUT_SHAPE: Final = (INPUT_SIDE, INPUT_SIDE, 1)
_TFLITE_MAGIC: Final = b'TFL3'
# A .keras file is a zip archive; a Keras 2 (.h5) model is an HDF5 file.
_KERAS_MAGICS: Final = (b'PK\x03\x04', b'\x89HDF\r\n\x1a\n')

PathLike = str | Path


class ModelLoadError(Exception):
    """A model file is missing, unreadable, or does not fit the model contract."""

    def __init__(self, path: PathLike, reason: str) -> None:
        """Record the model file and what is wrong with it."""
        self.path = str(path)
        self.reason = reason
        super().__init__(f'cannot load model {self.path}: {reason}')


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(
            f'unknown model backend {backend!r}; valid backends: {", ".join(BACKENDS)}')


def default_model_path(backend: str) -> Path:
    """Return the shipped model file of a backend.

    Raises:
        ValueError: if ``backend`` is not one of :data:`BACKENDS`.

    """
    _check_backend(backend)
    return MODELS_DIR / MODEL_FILES[backend]


def _short(error: BaseException) -> str:
    text = ' '.join(str(error).split())
    if len(text) > 200:
        text = text[:200] + '...'
    return f'{type(error).__name__}: {text}' if text else type(error).__name__


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelLoadError(path, 'file not found')
    if not path.is_file():
        raise ModelLoadError(path, 'not a regular file')
    if path.stat().st_size == 0:
        raise ModelLoadError(path, 'file is empty')


def model_file_kind(path: PathLike) -> str | None:
    """Tell from its first bytes which backend a model file is for.

    Returns:
        ``'tflite'`` (a FlatBuffer with the TFL3 identifier), ``'keras'`` (a ``.keras``
        zip archive or a Keras 2 HDF5 file), or ``None`` for anything else, including a
        file that cannot be read.

    """
    try:
        with open(path, 'rb') as file:
            return _kind_of(file.read(8))
    except OSError:
        return None


def _kind_of(data: bytes) -> str | None:
    """Return :func:`model_file_kind`'s answer for a file's first bytes (8 or more)."""
    if data[4:8] == _TFLITE_MAGIC:
        return 'tflite'
    if data.startswith(_KERAS_MAGICS):
        return 'keras'
    return None


class _OutsideFile(Exception):
    """A part of a FlatBuffer lies beyond the end of the file."""


def tflite_truncation(data: bytes) -> str | None:
    """Say which part of a TFLite model lies beyond the end of its bytes, if any.

    Some LiteRT releases (1.4, what pip picks where glibc is older than 2.27) read a
    truncated file without checking it and crash the process; this walks the FlatBuffer
    (the TFLite schema's ``Model``: its subgraphs with their tensors and operators, and its
    buffers with their data) and checks that every part it points to is inside ``data``.
    It finds a file cut short (a copy or download interrupted), not every corruption.

    Args:
        data: the whole model file.

    Returns:
        ``None`` when every part is inside; else which part is not, e.g.
        ``'buffer 12 of 14'``.

    """
    size = len(data)

    def uint(fmt: str, pos: int) -> int:
        if pos < 0 or pos + struct.calcsize(fmt) > size:
            raise _OutsideFile
        return struct.unpack_from(fmt, data, pos)[0]

    def field(table: int, index: int) -> int:
        """Return the position of a table's field, 0 where the field is absent."""
        vtable = table - uint('<i', table)
        entry = 4 + 2 * index
        if entry >= uint('<H', vtable):
            return 0
        offset = uint('<H', vtable + entry)
        return table + offset if offset else 0

    def target(position: int) -> int:
        return position + uint('<I', position)

    def vector(table: int, index: int, element_size: int) -> tuple[int, int]:
        """Return ``(first element, length)`` of a vector field; (0, 0) where absent."""
        position = field(table, index)
        if not position:
            return 0, 0
        start = target(position)
        length = uint('<I', start)
        if start + 4 + length * element_size > size:
            raise _OutsideFile
        return start + 4, length

    def table_at(table: int) -> int:
        """Check that a table and its vtable are inside; return the table."""
        vtable = table - uint('<i', table)
        if vtable + uint('<H', vtable) > size or table + uint('<H', vtable + 2) > size:
            raise _OutsideFile
        return table

    def tables(table: int, index: int) -> list[int]:
        first, length = vector(table, index, 4)
        return [table_at(target(first + 4 * i)) for i in range(length)]

    try:
        part = 'the model table'
        model = table_at(target(0))
        for name, index in (('the operator codes', 1), ('the metadata', 6),
                            ('the signatures', 7)):
            part = name
            tables(model, index)
        part = 'the description'
        vector(model, 3, 1)
        part = 'the subgraph list'
        subgraphs = tables(model, 2)
        for number, subgraph in enumerate(subgraphs):
            part = f'subgraph {number} of {len(subgraphs)}'
            tables(subgraph, 0)  # SubGraph.tensors
            vector(subgraph, 1, 4)  # SubGraph.inputs
            vector(subgraph, 2, 4)  # SubGraph.outputs
            tables(subgraph, 3)  # SubGraph.operators
        part = 'the buffer list'
        buffers = tables(model, 4)
        for number, buffer in enumerate(buffers):
            part = f'buffer {number} of {len(buffers)}'
            vector(buffer, 0, 1)  # Buffer.data
            offset_field = field(buffer, 1)  # Buffer.offset, Buffer.size: data after
            size_field = field(buffer, 2)  # the FlatBuffer (models over 2 GB)
            if offset_field and size_field:
                offset = uint('<Q', offset_field)
                if offset > 1 and offset + uint('<Q', size_field) > size:
                    raise _OutsideFile
    except _OutsideFile:
        return part
    return None


def _plain_shape(shape: Any) -> tuple:
    """Return a shape as Python ints, with None (or TFLite's -1) for free dimensions."""
    return tuple(None if dim is None or int(dim) < 0 else int(dim) for dim in shape)


def _check_shapes(path: Path, input_shape: Any, output_shape: Any) -> int:
    """Raise ModelLoadError unless shapes are ``(N, 28, 28, 1)`` in, ``(N, 11)`` out.

    ``(N, 10)`` (digits only, no "no digit" output) is accepted as well. Returns the
    output width.
    """
    input_shape = _plain_shape(input_shape)
    output_shape = _plain_shape(output_shape)
    got_in = input_shape[1:]
    got_out = output_shape[1:]
    if got_in != _INPUT_SHAPE:
        raise ModelLoadError(
            path, f'model input is {input_shape}, expected (N, '
                  f'{", ".join(map(str, _INPUT_SHAPE))}) per the model contract')
    if got_out not in ((NUM_OUTPUTS,), (NUM_CLASSES,)):
        raise ModelLoadError(
            path, f'model output is {output_shape}, expected (N, {NUM_OUTPUTS}) '
                  f'or (N, {NUM_CLASSES})')
    return got_out[0]


class DigitModel(abc.ABC):
    """A loaded digit classifier; turns model batches into class probabilities.

    Attributes:
        backend: ``'keras'`` or ``'tflite'``.
        path: the model file actually loaded.
        num_outputs: 11 (digits and "no digit"), or 10 for a digits-only model.

    Instances are not thread-safe; use one per thread.

    """

    backend: str
    path: Path
    num_outputs: int

    def predict_proba(self, batch: Any) -> np.ndarray:
        """Classify a batch of digits.

        Args:
            batch: anything :func:`~digit_recognition.vision.model_contract.to_model_batch`
                accepts: one 28x28 image or N of them, ``uint8`` or float in [0, 1].

        Returns:
            ``float32 (N, 11)`` class probabilities (digits 0-9, "no digit"); each row
            sums to 1. ``(N, 10)`` for a model without the "no digit" output.

        """
        model_batch = to_model_batch(batch)
        if len(model_batch) == 0:
            return np.zeros((0, self.num_outputs), np.float32)
        return self._run(model_batch)

    @abc.abstractmethod
    def _run(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on a non-empty contract batch ``float32 (N, 28, 28, 1)``."""

    def __repr__(self) -> str:
        """Name the backend and the file."""
        return f'{type(self).__name__}(backend={self.backend!r}, path={str(self.path)!r})'


class KerasDigitModel(DigitModel):
    """The ``keras`` backend: a Keras model called through a once-traced ``tf.function``.

    Attributes:
        model: the loaded Keras model.

    """

    backend = 'keras'

    def __init__(self, path: Path) -> None:
        """Load the Keras model at ``path`` (see :func:`load_model`)."""
        import keras
        import tensorflow as tf

        keras2 = int(keras.__version__.split('.')[0]) < 3
        if keras2 and path.suffix == '.keras':
            twin = path.with_name(path.stem + KERAS2_SUFFIX)
            if twin.is_file():
                path = twin
        _check_file(path)
        try:
            model = keras.models.load_model(path, compile=False)
        except Exception as error:  # noqa: B902 - Keras raises many unrelated types.
            hint = ''
            if keras2 and path.suffix == '.keras':
                hint = '; Keras 2 cannot read Keras 3 .keras files, ship a *_keras2.h5 twin'
            elif path.suffix == '.keras':
                hint = (f'; if it was saved by a Keras newer than {keras.__version__}, '
                        'export it with digit_recognition.tools.training.export_model')
            raise ModelLoadError(
                path, f'file is truncated or not a Keras model ({_short(error)}){hint}'
            ) from error
        inputs = getattr(model, 'inputs', None)
        outputs = getattr(model, 'outputs', None)
        if not inputs or not outputs or len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(path, 'model must have exactly one input and one output')
        self.num_outputs = _check_shapes(path, inputs[0].shape, outputs[0].shape)
        self.path = path
        self.model = model
        self._call = tf.function(
            lambda images: model(images, training=False),
            input_signature=[tf.TensorSpec((None, *_INPUT_SHAPE), tf.float32)])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._call(batch), dtype=np.float32)


def _tflite_interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf
        return tf.lite.Interpreter
    return Interpreter


class TfliteDigitModel(DigitModel):
    """The ``tflite`` backend: a LiteRT (or ``tf.lite``) interpreter on the TFLite file.

    Attributes:
        runtime: ``'LiteRT'`` or ``'tf.lite'``, the interpreter in use.
        num_threads: the interpreter's thread count.

    """

    backend = 'tflite'

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        """Load the TFLite file at ``path`` (see :func:`load_model`)."""
        _check_file(path)
        data = path.read_bytes()
        if _kind_of(data) != 'tflite':
            raise ModelLoadError(path, 'not a TFLite model (no TFL3 identifier)')
        outside = tflite_truncation(data)
        if outside is not None:
            raise ModelLoadError(path, f'file is truncated (it ends before {outside})')
        interpreter_class = _tflite_interpreter_class()
        try:
            interpreter = interpreter_class(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise ModelLoadError(
                path, f'file is truncated or not a TFLite model ({_short(error)})') from error
        inputs = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(path, 'model must have exactly one input and one output')
        self.num_outputs = _check_shapes(
            path, inputs[0].get('shape_signature', inputs[0]['shape']),
            outputs[0].get('shape_signature', outputs[0]['shape']))
        if inputs[0]['dtype'] != np.float32 or outputs[0]['dtype'] != np.float32:
            raise ModelLoadError(path, 'model input and output must be float32')
        self.path = path
        self.num_threads = num_threads
        self.runtime = ('LiteRT' if interpreter_class.__module__.startswith('ai_edge_litert')
                        else 'tf.lite')
        self._interpreter = interpreter
        self._input = inputs[0]['index']
        self._output = outputs[0]['index']
        self._batch_size = int(inputs[0]['shape'][0])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch_size:
            # Reallocating costs far more than an inference, so only on size changes.
            self._interpreter.resize_tensor_input(self._input, batch.shape, strict=False)
            self._interpreter.allocate_tensors()
            self._batch_size = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def load_model(path: PathLike | None = None, backend: str = 'tflite',
               num_threads: int = 1) -> DigitModel:
    """Load a digit model.

    Args:
        path: the model file; ``None`` for the shipped model of ``backend``.
        backend: one of :data:`BACKENDS`.
        num_threads: interpreter threads of the ``tflite`` backend (the ``keras``
            backend uses TensorFlow's global thread settings).

    Returns:
        The loaded model.

    Raises:
        ValueError: if ``backend`` is unknown.
        ModelLoadError: if the file is missing, corrupt, the other backend's file, or
            its input/output shapes do not match the model contract.

    """
    _check_backend(backend)
    model_path = default_model_path(backend) if path is None else Path(path)
    kind = model_file_kind(model_path)
    if kind is not None and kind != backend:
        # model:=digit_cnn.keras without backend:=keras is a likely slip; name the fix.
        raise ModelLoadError(
            model_path, f'a {kind} model file, not a {backend} one: choose the {kind} '
                        'backend for it')
    if backend == 'keras':
        return KerasDigitModel(model_path)
    return TfliteDigitModel(model_path, num_threads=num_threads)
