"""Tests of the ROS-free inference module on the shipped model and on broken files."""

import os
from pathlib import Path
import subprocess
import sys

from digit_recognition.tools.mnist_idx import load_mnist_test
from digit_recognition.vision.inference import (
    BACKENDS, default_model_path, KERAS2_SUFFIX, load_model, model_file_kind,
    MODEL_FILES, ModelLoadError, MODELS_DIR, tflite_truncation)
import numpy as np
import pytest

REPO_SRC = Path(__file__).resolve().parents[2] / 'src'


@pytest.fixture(scope='module')
def digits(mnist_dir):
    """Return the first 64 MNIST test images and labels."""
    test = load_mnist_test(mnist_dir)
    return test.images[:64], test.labels[:64]


@pytest.fixture(scope='module', params=BACKENDS)
def model(request):
    """Load the shipped model, once per backend."""
    return load_model(None, request.param)


def test_each_backend_loads_its_shipped_model_by_default(model):
    """With no path, a backend loads its own file among the shipped models."""
    assert model.backend in BACKENDS
    assert Path(model.path) == default_model_path(model.backend)
    assert Path(model.path).parent == MODELS_DIR
    assert Path(model.path).suffix == {'keras': '.keras', 'tflite': '.tflite'}[model.backend]
    keras2 = default_model_path('keras').with_name('digit_cnn' + KERAS2_SUFFIX)
    assert keras2.is_file(), 'Keras 2 compatible model missing'


@pytest.mark.parametrize('backend', ['onnx', '', 'TFLITE'])
def test_an_unknown_backend_is_refused_naming_the_valid_ones(backend):
    for call in (lambda: load_model(None, backend), lambda: default_model_path(backend)):
        with pytest.raises(ValueError, match=', '.join(BACKENDS)):
            call()


def test_unknown_backend_lists_valid_ones():
    with pytest.raises(ValueError, match='keras, tflite'):
        load_model(None, 'onnx')
    with pytest.raises(ValueError, match="'torch'"):
        default_model_path('torch')


def test_loaded_attributes(model):
    assert model.backend in BACKENDS
    assert model.path == default_model_path(model.backend)
    assert model.backend in repr(model)


@pytest.mark.parametrize('size', [1, 5, 7, 1, 64, 5])
def test_batch_sizes(model, digits, size):
    images, labels = digits
    probs = model.predict_proba(images[:size])
    assert probs.shape == (size, 11)
    assert probs.dtype == np.float32
    assert np.all(probs >= 0.0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert np.mean(probs.argmax(axis=1) == labels[:size]) >= 0.8


def test_rows_do_not_depend_on_batch(model, digits):
    images, _ = digits
    together = model.predict_proba(images[:7])
    alone = np.concatenate([model.predict_proba(image) for image in images[:7]])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_accepts_every_contract_form(model, digits):
    images, _ = digits
    as_uint8 = model.predict_proba(images[:3])
    as_float = model.predict_proba(images[:3].astype(np.float64)[..., np.newaxis] / 255.0)
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-5)
    assert model.predict_proba(images[0]).shape == (1, 11)
    assert model.predict_proba(images[:0]).shape == (0, 11)
    with pytest.raises(ValueError, match='28'):
        model.predict_proba(np.zeros((2, 32, 32), np.uint8))


@pytest.mark.needs_tensorflow
def test_backends_agree(digits):
    images, _ = digits
    keras_probs = load_model(None, 'keras').predict_proba(images)
    tflite_probs = load_model(None, 'tflite').predict_proba(images)
    np.testing.assert_allclose(keras_probs, tflite_probs, atol=1e-4)


@pytest.mark.needs_tensorflow
def test_keras2_twin_matches_keras_file(digits):
    images, _ = digits
    keras_file = default_model_path('keras')
    twin = keras_file.with_name(keras_file.stem + KERAS2_SUFFIX)
    reference = load_model(keras_file, 'keras').predict_proba(images)
    np.testing.assert_allclose(load_model(twin, 'keras').predict_proba(images), reference,
                               atol=1e-5)


def test_tflite_backend_does_not_import_tensorflow():
    pytest.importorskip('ai_edge_litert')
    code = ('import sys\n'
            'import numpy as np\n'
            'from digit_recognition.vision.inference import load_model\n'
            'probs = load_model(None, "tflite").predict_proba(np.zeros((3, 28, 28), "uint8"))\n'
            'assert probs.shape == (3, 11), probs.shape\n'
            'print(sorted(m for m in sys.modules\n'
            '             if m.split(".")[0] in ("tensorflow", "keras")))\n')
    env = dict(os.environ, PYTHONPATH=str(REPO_SRC))
    result = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == '[]'


# Errors ---------------------------------------------------------------------------------

def _assert_names(error: pytest.ExceptionInfo, path: Path) -> None:
    assert error.value.path == str(path)
    assert str(path) in str(error.value)
    assert str(error.value).startswith(f'cannot load model {path}: ')


@pytest.mark.parametrize('backend', BACKENDS)
def test_missing_file(tmp_path, backend):
    path = tmp_path / ('absent' + default_model_path(backend).suffix)
    with pytest.raises(ModelLoadError, match='file not found') as error:
        load_model(path, backend)
    _assert_names(error, path)


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('keep', [0.5, 0.05])
def test_truncated_file(tmp_path, backend, keep):
    shipped = default_model_path(backend).read_bytes()
    path = tmp_path / ('cut' + default_model_path(backend).suffix)
    path.write_bytes(shipped[:int(len(shipped) * keep)])
    with pytest.raises(ModelLoadError, match='truncated') as error:
        load_model(path, backend)
    _assert_names(error, path)


def test_every_cut_of_the_tflite_file_is_found_before_the_interpreter_reads_it():
    # LiteRT 1.4 (what pip installs where glibc is older than 2.27) does not check the
    # file and crashed the process on a cut at half or 90 % of the shipped model.
    data = default_model_path('tflite').read_bytes()
    assert tflite_truncation(data) is None
    missed = [end for end in range(8, len(data), 97) if tflite_truncation(data[:end]) is None]
    assert missed == []
    assert tflite_truncation(data[:-1]) is not None


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('content', [b'', b'not a model at all\n' * 100])
def test_garbage_file(tmp_path, backend, content):
    path = tmp_path / ('garbage' + default_model_path(backend).suffix)
    path.write_bytes(content)
    with pytest.raises(ModelLoadError) as error:
        load_model(path, backend)
    _assert_names(error, path)


@pytest.mark.parametrize('backend, other_file', [
    ('tflite', MODEL_FILES['keras']),
    ('tflite', Path(MODEL_FILES['keras']).stem + KERAS2_SUFFIX),
    ('keras', MODEL_FILES['tflite']),
])
def test_the_other_backends_file_is_refused_naming_its_backend(backend, other_file):
    # model:=digit_cnn.keras without backend:=keras is the likely slip of a user.
    path = MODELS_DIR / other_file
    kind = model_file_kind(path)
    assert kind is not None and kind != backend
    with pytest.raises(ModelLoadError, match=f'choose the {kind} backend') as error:
        load_model(path, backend)
    _assert_names(error, path)


def test_model_file_kind(tmp_path):
    for backend in BACKENDS:
        assert model_file_kind(default_model_path(backend)) == backend
    garbage = tmp_path / 'garbage.tflite'
    garbage.write_bytes(b'not a model at all\n')
    assert model_file_kind(garbage) is None
    assert model_file_kind(tmp_path / 'absent.keras') is None
    assert model_file_kind(tmp_path) is None


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelLoadError, match='not a regular file'):
        load_model(tmp_path, 'tflite')


def _tiny_model(side: int, classes: int):
    import keras

    return keras.Sequential([keras.Input((side, side, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(classes, activation='softmax')])


@pytest.mark.parametrize('side, classes, problem', [
    (32, 10, r'input is \(None, 32, 32, 1\)'),
    (28, 5, r'output is \(None, 5\)'),
])
@pytest.mark.needs_tensorflow
def test_wrong_shaped_keras_model(tmp_path, side, classes, problem):
    path = tmp_path / f'wrong_{side}_{classes}.keras'
    _tiny_model(side, classes).save(path)
    with pytest.raises(ModelLoadError, match=problem) as error:
        load_model(path, 'keras')
    _assert_names(error, path)


@pytest.mark.parametrize('side, classes, problem', [
    (32, 10, r'input is \((None|1), 32, 32, 1\)'),
    (28, 5, r'output is \((None|1), 5\)'),
])
@pytest.mark.needs_tensorflow
def test_wrong_shaped_tflite_model(tmp_path, side, classes, problem):
    import tensorflow as tf

    path = tmp_path / f'wrong_{side}_{classes}.tflite'
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(
        _tiny_model(side, classes)).convert())
    assert tflite_truncation(path.read_bytes()) is None  # a whole file of another model
    with pytest.raises(ModelLoadError, match=problem) as error:
        load_model(path, 'tflite')
    _assert_names(error, path)
