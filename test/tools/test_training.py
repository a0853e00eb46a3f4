"""End-to-end test of the training script on a small MNIST subset, and its augmentation."""

import json
import os
from pathlib import Path
import subprocess
import sys
import zipfile

import cv2
from digit_recognition.tools import field_writers, training
from digit_recognition.tools.mnist_idx import load_mnist_test
from digit_recognition.vision.inference import default_model_path, KERAS2_SUFFIX, load_model
import numpy as np
import pytest

REPO_SRC = Path(__file__).resolve().parents[2] / 'src'
pytestmark = pytest.mark.needs_tensorflow


@pytest.fixture(scope='module')
def trained(tmp_path_factory, mnist_dir):
    """Train briefly (2000 images, 200 camera scenes, two epochs); return the folder."""
    output = tmp_path_factory.mktemp('trained')
    argv = ['--data-dir', str(mnist_dir), '--train-limit', '2000', '--epochs', '2',
            '--batch-size', '100', '--seed', '3', '--output-dir', str(output),
            '--camera-scenes', '200', '--camera-cache', str(output / 'cache')]
    assert training.main(argv) == 0
    return output


def test_training_writes_all_files(trained):
    for name in (training.KERAS_FILE, training.KERAS2_H5_FILE, training.TFLITE_FILE,
                 training.REPORT_MD, training.REPORT_JSON, training.CONFUSION_PNG):
        assert (trained / name).is_file(), name
        assert (trained / name).stat().st_size > 0, name
    assert training.KERAS2_H5_FILE == 'digit_cnn' + KERAS2_SUFFIX
    assert (trained / training.CONFUSION_PNG).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_trained_models_load_and_agree(trained, mnist_dir):
    images = load_mnist_test(mnist_dir).images[:50]
    probs = {}
    for name, backend in ((training.KERAS_FILE, 'keras'), (training.KERAS2_H5_FILE, 'keras'),
                          (training.TFLITE_FILE, 'tflite')):
        model = load_model(trained / name, backend)
        probs[name] = model.predict_proba(images)
        assert probs[name].shape == (50, 11)
    np.testing.assert_allclose(probs[training.KERAS2_H5_FILE], probs[training.KERAS_FILE],
                               atol=1e-5)
    np.testing.assert_allclose(probs[training.TFLITE_FILE], probs[training.KERAS_FILE],
                               atol=1e-4)


def test_report(trained):
    report = json.loads((trained / training.REPORT_JSON).read_text())
    assert report['train_images'] + report['calibration_images'] == 2000
    assert report['no_digit_bias_shift'] <= 0.0
    assert report['test_images'] == 10000
    assert (report['epochs'], report['batch_size'], report['seed']) == (2, 100, 3)
    assert 10_000 < report['parameters'] < 500_000
    evaluation = report['evaluation']
    # Two epochs on 2000 images are far from the shipped model but far above chance.
    assert 0.3 < evaluation['keras_accuracy'] <= 1.0
    assert abs(evaluation['keras_accuracy'] - evaluation['tflite_accuracy']) < 0.005
    matrix = np.array(evaluation['confusion_matrix'])
    assert matrix.shape == (10, 11) and matrix.sum() == 10000
    assert np.trace(matrix) / 10000 == pytest.approx(evaluation['keras_accuracy'])
    assert len(evaluation['per_class_accuracy']) == 10
    assert set(report['file_sizes']) == {
        training.KERAS_FILE, training.KERAS2_H5_FILE, training.TFLITE_FILE}
    assert report['training_seconds'] > 0
    assert '--train-limit' in report['command'] and "'2000'" in report['command']
    markdown = (trained / training.REPORT_MD).read_text()
    for text in ('MNIST test accuracy, Keras', 'MNIST test accuracy, TFLite',
                 training.CONFUSION_PNG, report['tensorflow_version'], '--train-limit'):
        assert text in markdown


def test_report_names_the_camera_examples(trained):
    report = json.loads((trained / training.REPORT_JSON).read_text())
    camera = report['camera']
    assert camera['scenes'] == 200
    assert 0 < camera['train_no_digit'] < camera['train_examples'] < 300
    assert 0.0 <= camera['validation_no_digit_recall'] <= 1.0
    assert report['started_from'] == 'random weights'
    # What the examples showed, per kind: the negatives are blank sheets or no paper, and
    # the kinds add up to the distinct examples (negatives and "1"s are used twice).
    by_kind = camera['by_kind']
    assert any(kind.startswith('blank/') for kind in by_kind)
    assert all(kind.split('/')[0] in ('blank', 'no_paper', 'digit') for kind in by_kind)
    negatives = sum(row['train'] for kind, row in by_kind.items()
                    if not kind.startswith('digit/'))
    assert 2 * negatives == camera['train_no_digit']
    assert camera['repeats'] == {'10': 2, '1': 2}
    # The printed digits' fonts, as this matplotlib has them (cmti10 from 3.11 on).
    assert camera['fonts'] == list(field_writers.training_fonts()) and camera['fonts']
    fonts_line = (f"| fonts of the printed digits | {len(camera['fonts'])} of "
                  f'{len(field_writers.TRAINING_FONTS)} |')
    assert fonts_line in (trained / training.REPORT_MD).read_text()
    assert sum(row['train'] for row in by_kind.values()) == camera['train_distinct']
    assert camera['train_distinct'] + negatives <= camera['train_examples']
    assert camera['train_examples'] <= 2 * camera['train_distinct']
    assert sum(row['held_out'] for row in by_kind.values()) == (
        camera['validation_digits'] + camera['validation_no_digit'])
    markdown = (trained / training.REPORT_MD).read_text()
    assert 'by what the scene showed' in markdown and '| blank/' in markdown
    # The rendered examples were cached for the next run.
    assert len(list((trained / 'cache').glob('camera_*.npz'))) == 1


def test_camera_cache_name_changes_with_what_decides_the_examples(tmp_path, mnist_dir):
    images = load_mnist_test(mnist_dir).images[:20]
    labels = load_mnist_test(mnist_dir).labels[:20]
    source = tmp_path / 'preprocessing.py'
    source.write_text('MIN_CONTRAST = 16\n')
    name = training.camera_cache_name(300, 5, images, labels, [source])
    assert name.startswith('camera_300_5_20_') and name.endswith('.npz')
    assert training.camera_cache_name(300, 5, images, labels, [source]) == name
    others = {training.camera_cache_name(301, 5, images, labels, [source]),
              training.camera_cache_name(300, 6, images, labels, [source]),
              training.camera_cache_name(300, 5, images[::-1], labels, [source]),
              training.camera_cache_name(300, 5, images, labels, [source], (0.2, 0.4, 0.4))}
    source.write_text('MIN_CONTRAST = 24\n')
    others.add(training.camera_cache_name(300, 5, images, labels, [source]))
    assert len(others) == 5 and name not in others
    # By default the preprocessor's own code is part of the fingerprint.
    sources = [path.name for path in training._camera_example_sources()]
    assert 'preprocessing.py' in sources and 'field_scenes.py' in sources


def test_camera_augmentation_mirrors_only_negatives(mnist_dir):
    images = load_mnist_test(mnist_dir).images[:8]
    labels = np.array([10, 10, 10, 10, 1, 2, 3, 4])
    out = training.augment_camera(images, labels, np.random.default_rng(1))
    assert out.shape == (8, 28, 28, 1)
    # Ink is kept in full: mirrors and one-pixel shifts lose nothing but the border.
    np.testing.assert_allclose(out[:4].sum(axis=(1, 2, 3)), images[:4].sum(axis=(1, 2)) / 255.0,
                               rtol=1e-5)


def test_camera_augmentation_never_stands_a_negative_stroke_upright():
    """Check: a horizontal stroke labelled "no digit" stays horizontal (a turn makes a "1")."""
    stroke = np.zeros((64, 28, 28), np.uint8)
    stroke[:, 9, 4:20] = 255
    out = training.augment_camera(stroke, np.full(64, 10), np.random.default_rng(2))[..., 0]
    rows = (out > 0.5).any(axis=2).sum(axis=1)
    columns = (out > 0.5).any(axis=1).sum(axis=1)
    assert (rows == 1).all() and (columns == 16).all()
    # Mirrored copies do occur: the stroke moves to row 18 or to the other side.
    assert (out[:, 18] > 0.5).any() and (out[:, 9, 20:24] > 0.5).any()


def test_camera_repeats_uses_negatives_and_ones_twice():
    labels = np.array([10, 1, 2, 10, 7, 1])
    repeated = training.camera_repeats(labels)
    assert np.bincount(repeated, minlength=6).tolist() == [2, 2, 1, 2, 1, 2]
    # Every example keeps its own label, and none is left out.
    assert np.bincount(labels[repeated], minlength=11)[[1, 2, 7, 10]].tolist() == [4, 1, 1, 4]
    assert training.camera_repeats(np.zeros(0, np.int64)).size == 0


def test_augment_is_seeded_and_keeps_the_contract(mnist_dir):
    images = load_mnist_test(mnist_dir).images[:256]
    first = training.augment(images, np.random.default_rng(7))
    again = training.augment(images, np.random.default_rng(7))
    other = training.augment(images, np.random.default_rng(8))
    assert first.shape == (256, 28, 28, 1) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    original = images[..., np.newaxis] / np.float32(255.0)
    changed = np.any(np.abs(first - original) > 1e-6, axis=(1, 2, 3))
    assert 0.6 < changed.mean() < 0.98
    # Digits stay digits: most ink remains inside the frame.
    assert np.median(first.sum(axis=(1, 2, 3)) / original.sum(axis=(1, 2, 3))) > 0.6


def test_affine_narrows_and_slants_about_the_centre():
    """Width and shear act about the centre; without them it is the plain rotation."""
    plain = training._affine(10.0, 1.1, 1.0, 0.0, np.array([1.0, -2.0]))
    expected = cv2.getRotationMatrix2D((13.5, 13.5), 10.0, 1.1)
    expected[:, 2] += [1.0, -2.0]
    np.testing.assert_allclose(plain, expected, atol=1e-9)
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 4:24] = 1.0  # a 20x20 square
    narrow = cv2.warpAffine(bar, training._affine(0.0, 1.0, 0.65, 0.0, np.zeros(2)), (28, 28))
    columns = np.flatnonzero(narrow.max(axis=0) > 0.5)
    assert 12 <= len(columns) <= 14 and abs(columns.mean() - 13.5) < 0.6
    slanted = cv2.warpAffine(bar, training._affine(0.0, 1.0, 1.0, 0.3, np.zeros(2)), (28, 28))
    # Positive shear moves the bottom right of the top: the rows' ink drifts along y.
    top, bottom = (np.flatnonzero(slanted[row] > 0.5).mean() for row in (5, 22))
    assert bottom - top == pytest.approx(0.3 * 17, abs=1.0)


def test_hard_condition_augmentation_keeps_the_digit(mnist_dir):
    """Faded sides, broken strokes and specks change digits but keep most of their ink."""
    img = load_mnist_test(mnist_dir).images[0].astype(np.float32) / 255.0
    broken = img.copy()
    training._break_strokes(broken, np.array([0.1, 0.6]))
    assert 0.7 * img.sum() < broken.sum() < img.sum()
    mask = training._fade_mask(0.0, 4.0, 0.25)
    assert mask[:, :18].min() == 1.0 and mask[:, 18:].max() == 0.25
    # A digit of a few pixels is not broken further.
    dot = np.zeros((28, 28), np.float32)
    dot[10:14, 10:14] = 1.0
    training._break_strokes(dot, np.array([0.5]))
    assert dot.sum() == 16.0


def test_augment_can_be_a_no_op(mnist_dir):
    images = load_mnist_test(mnist_dir).images[:10]
    clean = training.augment(images, np.random.default_rng(0), clean_fraction=1.0)
    np.testing.assert_allclose(clean[..., 0], images / 255.0, atol=1e-7)


def test_bad_arguments_are_rejected():
    with pytest.raises(SystemExit):
        training.parse_args(['--epochs', '0'])
    with pytest.raises(SystemExit):
        training.parse_args(['--train-limit', '-5'])
    with pytest.raises(SystemExit):
        training.parse_args(['--workers', '0'])


def test_runs_as_module():
    env = dict(os.environ, PYTHONPATH=str(REPO_SRC))
    result = subprocess.run([sys.executable, '-m', 'digit_recognition.tools.training', '--help'],
                            env=env, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    for option in ('--data-dir', '--epochs', '--batch-size', '--output-dir', '--seed',
                   '--train-limit'):
        assert option in result.stdout


def test_shipped_keras_file_has_no_arguments_older_keras3_rejects():
    """The shipped .keras went through export_model: Keras 3.3 (TF 2.16) can load it."""
    with zipfile.ZipFile(default_model_path('keras')) as archive:
        config = json.loads(archive.read('config.json'))
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(key for key, value in node.items()
                         if key in training._NEWER_KERAS3_DEFAULTS
                         or (key == 'class_name' and value == 'DTypePolicy'))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    assert found == []
