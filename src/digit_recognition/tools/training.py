r"""Train the digit CNN on MNIST and camera-like examples and export it for the classifier.

The model has eleven outputs: the digits 0-9 and "no digit" (see
:mod:`~digit_recognition.vision.model_contract`). It learns from

* 55,000 of MNIST's 60,000 training digits (the rest calibrate), distorted the way
  camera digits differ from them after preprocessing (:func:`augment`);
* camera examples *as the preprocessor hands them over*: synthetic webcam scenes
  (:mod:`~digit_recognition.tools.field_scenes`) run through the product's own
  ``preprocess()``, showing MNIST training digits or synthetic *training* writers
  in clean, realistic and hard conditions (positives), or blank paper of every kind
  and scenes with no paper in the box (negatives, class "no digit"). Only what the
  preprocessor lets through is kept, so the model learns exactly the blobs it must
  reject. They are rendered once and cached (``--camera-cache``) under a name
  that changes with the code that makes them (:func:`camera_cache_name`).

The shipped model is trained from random weights by ``make train``, from the repository
root::

    scripts/with_env.sh python -m digit_recognition.tools.training \
        --data-dir ../shared/data/mnist --output-dir src/digit_recognition/vision/models

(every other setting is its default: :func:`parse_args`). The learning rate warms up
for an epoch and then follows a cosine decay.

After training, the "no digit" output is calibrated on MNIST digits held out of
training (:func:`calibrate_no_digit`).

Writes into the output directory:

* ``digit_cnn.keras`` - the trained Keras 3 model, loadable by Keras 3.3 and newer;
* ``digit_cnn_keras2.h5`` - the same model as a legacy HDF5 file that Keras 2
  (TensorFlow <= 2.15) can load, since Keras 2 cannot read Keras 3 ``.keras`` files;
* ``digit_cnn.tflite`` - a float32 TFLite export with a dynamic batch dimension;
* ``training_report.md`` / ``training_report.json`` / ``confusion_matrix.png``.

The augmentation imitates what the camera preprocessor hands the model: digits that
are slightly shifted, rotated and scaled, drawn with thinner or thicker strokes,
blurred, noisy, and often near-binary (the preprocessor thresholds before resizing).
"""

import argparse
from collections.abc import Sequence
import hashlib
import json
import math
import os
from pathlib import Path
import platform
import shlex
import sys
import time
from typing import Any

import cv2
from digit_recognition.tools.field_writers import TRAINING_FONTS, training_fonts
from digit_recognition.tools.mnist_idx import load_mnist
from digit_recognition.vision.inference import load_model
from digit_recognition.vision.model_contract import (
    INPUT_SIDE, NO_DIGIT_CLASS, NUM_CLASSES, NUM_OUTPUTS, to_model_batch)
import numpy as np

KERAS_FILE = 'digit_cnn.keras'
KERAS2_H5_FILE = 'digit_cnn_keras2.h5'
TFLITE_FILE = 'digit_cnn.tflite'
REPORT_MD = 'training_report.md'
REPORT_JSON = 'training_report.json'
CONFUSION_PNG = 'confusion_matrix.png'

_CENTRE = (INPUT_SIDE - 1) / 2.0
_SMALL_KERNEL = np.ones((2, 2), np.uint8)


def build_model() -> Any:
    """Build the (uncompiled) CNN: conv-pool, conv-conv-pool and a small dense head.

    Sized for latency: pooling right after the first convolution keeps it at about
    8.7 M multiply-adds per image (32, 64 and 128 filters), so one TFLite thread
    classifies a batch of five frames in about a millisecond. Half as many filters
    (2.3 M multiply-adds) underfit the camera examples: 97.5 % training accuracy
    after 18 epochs.

    A ``Sequential`` model is used on purpose: its config converts cleanly to the
    Keras 2 HDF5 format (see :func:`save_keras2_h5`).
    """
    import keras
    from keras import layers

    def conv_bn_relu(filters: int) -> list:
        # The bias is redundant before BatchNorm.
        return [layers.Conv2D(filters, 3, use_bias=False),
                layers.BatchNormalization(),
                layers.ReLU()]

    return keras.Sequential(
        [keras.Input((INPUT_SIDE, INPUT_SIDE, 1), name='image'),
         *conv_bn_relu(32), layers.MaxPooling2D(),
         *conv_bn_relu(64), *conv_bn_relu(128), layers.MaxPooling2D(), layers.Dropout(0.1),
         layers.Flatten(),
         layers.Dense(128, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
         layers.Dropout(0.25),
         layers.Dense(NUM_OUTPUTS, activation='softmax', name='probabilities')],
        name='digit_cnn')


_MAX_BREAKS = 4
_MAX_SPECKS = 5
_GRID_Y, _GRID_X = np.mgrid[0:INPUT_SIDE, 0:INPUT_SIDE].astype(np.float32) - _CENTRE


_WIDTH_RANGE = (0.65, 1.05)
"""Horizontal scale of distorted MNIST digits: the model trained without it read only 86 %
of MNIST test "7"s at 0.90 once squeezed to 0.65 of their width (as tall, narrow hands
write them), against 98 % unchanged, and lost most of them to "1"."""
_MAX_SHEAR = 0.3
"""Largest slant added to distorted MNIST digits (horizontal shift per pixel of height)."""


def _affine(angle: float, scale: float, width: float, shear: float,
            shift: np.ndarray) -> np.ndarray:
    """Return the 2x3 affine matrix of one distortion of a 28x28 digit.

    The digit is narrowed or widened by ``width`` and slanted by ``shear`` about its
    centre, then rotated by ``angle`` degrees and scaled by ``scale``, then moved by
    ``shift`` (x, y) pixels.
    """
    rotation = cv2.getRotationMatrix2D((_CENTRE, _CENTRE), angle, scale)[:, :2]
    linear = rotation @ np.array([[width, shear], [0.0, 1.0]])
    centre = np.array([_CENTRE, _CENTRE])
    return np.hstack([linear, (centre - linear @ centre + shift)[:, np.newaxis]])


def _fade_mask(normal: float, offset: float, level: float) -> np.ndarray:
    """Ones, except ``level`` beyond a line ``offset`` pixels from the centre."""
    beyond = _GRID_X * np.cos(normal) + _GRID_Y * np.sin(normal) > offset
    return np.where(beyond, np.float32(level), np.float32(1.0))


def _break_strokes(img: np.ndarray, where: np.ndarray) -> None:
    """Cut the strokes in place at ink pixels picked by ``where`` (fractions in [0, 1))."""
    ink = np.flatnonzero(img > 0.5)
    if len(ink) < 40:
        return
    for pick in where:
        y, x = divmod(int(ink[int(pick * len(ink))]), INPUT_SIDE)
        img[max(0, y - 1):y + 2, max(0, x - 1):x + 2] = 0.0


def augment(images: np.ndarray, rng: np.random.Generator,
            clean_fraction: float = 0.15) -> np.ndarray:
    """Distort MNIST digits the way camera digits differ from them after preprocessing.

    Shifts, rotations, scale, narrower or wider and slanted digits, thinner and
    thicker strokes, blur, noise and binarisation at a random threshold; and what hard
    conditions do to a digit: a shadow edge or glare fading part of it, ink broken apart
    and specks around it in noisy dark frames.

    Args:
        images: ``uint8 (N, 28, 28)`` MNIST-style images.
        rng: the random generator; the same generator state gives the same output.
        clean_fraction: share of images passed through unchanged.

    Returns:
        ``float32 (N, 28, 28, 1)`` in ``[0, 1]`` (the model contract).

    """
    n = len(images)
    out = images.astype(np.float32) / np.float32(255.0)
    # All random numbers are drawn up front, vectorised, so that results depend only on
    # the generator state and not on which branches run.
    distort = rng.random(n) >= clean_fraction
    angle = rng.uniform(-15.0, 15.0, n)
    scale = rng.uniform(0.85, 1.15, n)
    shift = rng.uniform(-2.0, 2.0, (n, 2))
    stroke = rng.random(n)
    binarise = rng.random(n) < 0.35
    threshold = rng.uniform(0.2, 0.7, n)
    blur_sigma = np.where(rng.random(n) < 0.4, rng.uniform(0.3, 1.0, n), 0.0)
    noise_std = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.06, n), 0.0)
    noise = rng.standard_normal(out.shape).astype(np.float32)
    # A hard shadow edge or a glare spot across the digit: one side's ink fades.
    fade = rng.random(n) < 0.12
    fade_normal = rng.uniform(0.0, 2 * np.pi, n)
    fade_offset = rng.uniform(3.0, 8.0, n)
    fade_level = rng.uniform(0.0, 0.7, n)
    # Noisy dark frames: the ink breaks apart, and specks lie around it.
    breaks = np.where(rng.random(n) < 0.2, rng.integers(1, _MAX_BREAKS + 1, n), 0)
    break_at = rng.random((n, _MAX_BREAKS))
    specks = np.where(rng.random(n) < 0.15, rng.integers(1, _MAX_SPECKS + 1, n), 0)
    speck_at = rng.integers(2, INPUT_SIDE - 2, (n, _MAX_SPECKS, 2))
    # Writers outside MNIST: narrower or wider hands, and slant without a tilted baseline
    # (drawn last, so that the draws above stay as they were).
    width = rng.uniform(*_WIDTH_RANGE, n)
    shear = rng.uniform(-_MAX_SHEAR, _MAX_SHEAR, n)

    for i in np.flatnonzero(distort):
        img = out[i]
        matrix = _affine(angle[i], scale[i], width[i], shear[i], shift[i])
        img = cv2.warpAffine(img, matrix, (INPUT_SIDE, INPUT_SIDE), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        if fade[i]:
            faded = img * _fade_mask(fade_normal[i], fade_offset[i], fade_level[i])
            # Fading most of a digit would make it another digit, or none.
            if faded.sum() >= 0.8 * img.sum():
                img = faded
        if breaks[i]:
            _break_strokes(img, break_at[i, :breaks[i]])
        for x, y in speck_at[i, :specks[i]]:
            img[y:y + 1 + (x + y) % 2, x:x + 1 + (x + y) % 2] = 1.0
        if stroke[i] < 0.2:
            img = cv2.dilate(img, _SMALL_KERNEL)
        elif stroke[i] < 0.35:
            thinner = cv2.erode(img, _SMALL_KERNEL)
            # Thin MNIST strokes can vanish entirely; keep the original then.
            if thinner.sum() > 0.4 * img.sum():
                img = thinner
        if binarise[i]:
            img = (img > threshold[i]).astype(np.float32)
            # Thresholding then resizing in the preprocessor leaves soft edges.
            img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.4, 0.8))
        if blur_sigma[i] > 0.0:
            img = cv2.GaussianBlur(img, (3, 3), blur_sigma[i])
        if noise_std[i] > 0.0:
            img = img + noise_std[i] * noise[i]
        out[i] = img
    np.clip(out, 0.0, 1.0, out=out)
    return out[..., np.newaxis]


def augment_camera(images: np.ndarray, labels: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Lightly vary camera examples; ``float32 (N, 28, 28, 1)`` in ``[0, 1]``.

    A "no digit" example stays one when mirrored left-right or upside down, so those
    multiply the negatives. It is not turned by 90 degrees: that would make the
    fragment of a horizontal ruling or shadow edge into an upright straight stroke, a
    "1", and teach the model to reject thin "1"s. Digits only get a shift of a pixel.
    """
    out = images.astype(np.float32) / np.float32(255.0)
    mirror_x = rng.random(len(out)) < 0.5
    mirror_y = rng.random(len(out)) < 0.5
    shifts = rng.integers(-1, 2, (len(out), 2))
    for i in range(len(out)):
        if labels[i] == NO_DIGIT_CLASS:
            img = out[i][:, ::-1] if mirror_x[i] else out[i]
            out[i] = img[::-1] if mirror_y[i] else img
        else:
            out[i] = np.roll(out[i], tuple(shifts[i]), axis=(0, 1))
    return out[..., np.newaxis]


def _make_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                  camera_images: np.ndarray | None = None,
                  camera_labels: np.ndarray | None = None) -> Any:
    import keras

    if camera_images is None or camera_labels is None:
        camera_images = np.zeros((0, INPUT_SIDE, INPUT_SIDE), np.uint8)
        camera_labels = np.zeros(0, np.int64)
    all_images = np.concatenate([images, camera_images])
    all_labels = np.concatenate([labels, camera_labels]).astype(np.int32)
    from_camera = np.arange(len(all_images)) >= len(images)

    class AugmentedMnist(keras.utils.PyDataset):
        """Shuffled, augmented batches; each (epoch, batch) has its own seeded stream."""

        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = 0
            self._order = self._shuffle()

        def _shuffle(self) -> np.ndarray:
            return np.random.default_rng((seed, self.epoch)).permutation(len(all_images))

        def __len__(self) -> int:
            return math.ceil(len(all_images) / batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            picked = self._order[index * batch_size:(index + 1) * batch_size]
            rng = np.random.default_rng((seed, self.epoch, index))
            camera = from_camera[picked]
            batch = np.empty((len(picked), INPUT_SIDE, INPUT_SIDE, 1), np.float32)
            batch[~camera] = augment(all_images[picked[~camera]], rng)
            batch[camera] = augment_camera(all_images[picked[camera]],
                                           all_labels[picked[camera]], rng)
            return batch, all_labels[picked]

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self._order = self._shuffle()

    return AugmentedMnist()


def export_tflite(model: Any, path: Path) -> None:
    """Convert the model to a float32 TFLite file with a dynamic batch dimension."""
    import tensorflow as tf

    @tf.function(input_signature=[
        tf.TensorSpec([None, INPUT_SIDE, INPUT_SIDE, 1], tf.float32, name='image')])
    def serve(image: Any) -> Any:
        return model(image, training=False)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    path.write_bytes(converter.convert())


_KERAS3_ONLY_KEYS = frozenset(
    {'module', 'registered_name', 'optional', 'quantization_config', 'lora_rank',
     'lora_alpha'})


def _to_keras2_config(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get('class_name') == 'DTypePolicy':
            return node['config']['name']
        if str(node.get('module', '')).startswith('keras.initializers'):
            # Initializer arguments changed in Keras 3 and are irrelevant once weights load.
            return {'class_name': node['class_name'], 'config': {}}
        converted = {key: _to_keras2_config(value) for key, value in node.items()
                     if key not in _KERAS3_ONLY_KEYS}
        if 'batch_shape' in converted:
            converted['batch_input_shape'] = converted.pop('batch_shape')
        return converted
    if isinstance(node, list):
        return [_to_keras2_config(value) for value in node]
    return node


def save_keras2_h5(model: Any, path: Path) -> None:
    """Save a Sequential model as a legacy HDF5 file that Keras 2 (TF 2.15) can load.

    Keras 3 writes its HDF5 model config in Keras 3 terms (``batch_shape``, dtype
    policy objects, new layer arguments) that Keras 2 rejects; the weights layout is
    the same, so only the config is rewritten.
    """
    import h5py

    model.save(path, include_optimizer=False)
    with h5py.File(path, 'r+') as h5:
        config = json.loads(h5.attrs['model_config'])
        h5.attrs['model_config'] = json.dumps(_to_keras2_config(config))
        h5.attrs['keras_version'] = '2.15.0'
        h5['model_weights'].attrs['keras_version'] = '2.15.0'


_NEWER_KERAS3_DEFAULTS = {
    'renorm': False, 'renorm_clipping': None, 'renorm_momentum': 0.99,
    'input_axes': None, 'output_axes': None, 'quantization_config': None, 'optional': False,
    'lora_rank': None, 'lora_alpha': None}
"""Layer and initializer arguments newer Keras 3 releases save and older ones reject."""


def _to_portable_keras3_config(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get('class_name') == 'DTypePolicy':
            return node['config']['name']
        return {key: _to_portable_keras3_config(value) for key, value in node.items()
                if key not in _NEWER_KERAS3_DEFAULTS
                or repr(value) != repr(_NEWER_KERAS3_DEFAULTS[key])}
    if isinstance(node, list):
        return [_to_portable_keras3_config(value) for value in node]
    return node


def save_portable_keras(model: Any, path: Path) -> None:
    """Save a ``.keras`` file that every Keras 3 (3.3, JetPack 6's, and newer) can load.

    Newer Keras 3 releases write arguments older ones reject (``renorm`` of
    BatchNormalization, ``input_axes`` of initializers, dtype policy objects); at their
    default values they change nothing, so they are left out of the saved config, as is
    the training-only compile config. The weights are saved as they are.
    """
    import zipfile

    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members['config.json'])
    config.pop('compile_config', None)
    members['config.json'] = json.dumps(_to_portable_keras3_config(config)).encode()
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def export_model(model: Any, output_dir: Path) -> dict:
    """Write the shipped model files of a trained Keras model into ``output_dir``.

    ``digit_cnn.keras`` (any Keras 3), ``digit_cnn_keras2.h5`` (Keras 2, TF 2.15) and
    ``digit_cnn.tflite``; returns ``{file name: path}``. ``make check-compat`` scores
    them on every supported TensorFlow.
    """
    paths = {name: Path(output_dir) / name for name in (KERAS_FILE, KERAS2_H5_FILE, TFLITE_FILE)}
    save_portable_keras(model, paths[KERAS_FILE])
    save_keras2_h5(model, paths[KERAS2_H5_FILE])
    export_tflite(model, paths[TFLITE_FILE])
    return paths


def tflite_predict(path: Path, batch: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Run a TFLite file over a model batch with the inference module's ``tflite`` backend."""
    model = load_model(path, 'tflite', num_threads=os.cpu_count() or 1)
    return np.concatenate([model.predict_proba(batch[start:start + batch_size])
                           for start in range(0, len(batch), batch_size)])


def _confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Rows: true digit 0-9; columns: predicted 0-9 and "no digit"."""
    matrix = np.zeros((NUM_CLASSES, NUM_OUTPUTS), np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def _plot_confusion(matrix: np.ndarray, title: str, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    # Log scale so that the few errors are visible next to ~1000 correct per class.
    ax.imshow(np.log1p(matrix), cmap='Blues')
    for true in range(NUM_CLASSES):
        for pred in range(NUM_OUTPUTS):
            count = matrix[true, pred]
            ax.text(pred, true, str(count), ha='center', va='center', fontsize=8,
                    color='white' if true == pred else 'black')
    ax.set_xticks(range(NUM_OUTPUTS), [str(d) for d in range(NUM_CLASSES)] + ['none'])
    ax.set_yticks(range(NUM_CLASSES))
    ax.set_xlabel('predicted digit')
    ax.set_ylabel('true digit')
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def examples_by_kind(kinds_train: np.ndarray, kinds_valid: np.ndarray,
                     valid_right: np.ndarray) -> dict[str, dict]:
    """Count camera examples per kind: training, held out, and held out answered right.

    Args:
        kinds_train: kind of each training example (before any is repeated, see
            :data:`CAMERA_REPEATS`).
        kinds_valid: kind of each held-out example.
        valid_right: booleans, True where a held-out example was answered right.

    Returns:
        ``{kind: {'train', 'held_out', 'held_out_right'}}``, kinds sorted; the share
        right is None for a kind with nothing held out.

    """
    table = {}
    for kind in sorted(set(kinds_train.tolist()) | set(kinds_valid.tolist())):
        held = kinds_valid == kind
        table[kind] = {'train': int(np.sum(kinds_train == kind)), 'held_out': int(held.sum()),
                       'held_out_right': float(np.mean(valid_right[held])) if held.any()
                       else None}
    return table


def _write_report(report: dict, path_md: Path, path_json: Path) -> None:
    path_json.write_text(json.dumps(report, indent=2) + '\n')
    ev = report['evaluation']
    lines = [
        '# Digit CNN training report',
        '',
        f"Command: `{report['command']}`",
        '',
        '| item | value |',
        '| --- | --- |',
        f"| date (UTC) | {report['date_utc']} |",
        f"| TensorFlow / Keras | {report['tensorflow_version']} / {report['keras_version']} |",
        f"| Python / machine | {report['python_version']} / {report['machine']} |",
        f"| MNIST training images | {report['train_images']} |",
        '| camera examples (of them "no digit") | '
        f"{report['camera']['train_examples']} "
        f"({report['camera']['train_no_digit']}) |",
        f"| started from | {report['started_from']} |",
        '| "no digit" bias shift (calibrated on '
        f"{report['calibration_images']} held-out MNIST digits) | "
        f"{report['no_digit_bias_shift']} |",
        f"| epochs / batch size / seed | {report['epochs']} / {report['batch_size']} / "
        f"{report['seed']} |",
        f"| learning rate | peak {report['learning_rate']:g}: one epoch's warm-up, then cosine "
        'decay |',
        f"| parameters | {report['parameters']:,} |",
        f"| training time (epochs) | {report['training_seconds']:.0f} s |",
        '| rendering the camera examples | ' + (
            'cached' if report['camera'].get('render_seconds') is None
            else f"{report['camera']['render_seconds']:.0f} s") + ' |',
        *(['| fonts of the printed digits | '
           f"{len(report['camera']['fonts'])} of {len(TRAINING_FONTS)} |"]
          if 'fonts' in report['camera'] else []),
        '| whole command (load, render, train, export, evaluate) | '
        f"{report['total_seconds']:.0f} s |",
        f"| MNIST test accuracy, Keras | {100 * ev['keras_accuracy']:.2f} % |",
        f"| MNIST test accuracy, TFLite | {100 * ev['tflite_accuracy']:.2f} % |",
        f"| Keras vs TFLite argmax agreement | {100 * ev['keras_tflite_agreement']:.2f} % |",
        f"| Keras vs TFLite max abs prob diff | {ev['keras_tflite_max_abs_diff']:.2e} |",
    ]
    if report['camera'].get('validation_digits'):
        cam = report['camera']
        lines += ['| held-out camera digits read right | '
                  f"{100 * cam['validation_digit_accuracy']:.2f} % of "
                  f"{cam['validation_digits']} |",
                  '| held-out camera negatives answered "no digit" | '
                  f"{100 * cam['validation_no_digit_recall']:.2f} % of "
                  f"{cam['validation_no_digit']} |"]
    lines += [f'| size of `{name}` | {size:,} bytes |'
              for name, size in report['file_sizes'].items()]
    by_kind = report['camera'].get('by_kind')
    if by_kind:
        lines += ['', '## Camera examples by what the scene showed', '',
                  'Negatives ("no digit") are blank sheets (`blank/`) and scenes with no paper '
                  'in the box (`no_paper/`), as the preprocessor let them through; each '
                  'training negative is used twice, mirrored, and each camera "1" twice. '
                  'Held out: answered '
                  'right (the digit, or "no digit").', '',
                  '| kind | training examples | held out | held out answered right |',
                  '| --- | ---: | ---: | ---: |']
        lines += [f"| {kind} | {row['train']} | {row['held_out']} | "
                  + (f"{100 * row['held_out_right']:.1f} %" if row['held_out'] else '-')
                  + ' |' for kind, row in by_kind.items()]
    lines += ['', '## Per-class accuracy (Keras, MNIST test)', '',
              '| digit | ' + ' | '.join(str(d) for d in range(NUM_CLASSES)) + ' |',
              '| --- ' * (NUM_CLASSES + 1) + '|',
              '| accuracy % | ' + ' | '.join(f'{100 * a:.2f}' for a in ev['per_class_accuracy'])
              + ' |',
              '', '## Confusion matrix (rows: true digit, columns: predicted, then "no digit")',
              '',
              f'![confusion matrix]({CONFUSION_PNG})', '', '```']
    lines += [' '.join(f'{c:5d}' for c in row) for row in ev['confusion_matrix']]
    lines += ['```', '']
    path_md.write_text('\n'.join(lines))


CAMERA_SCENES = 90000
"""Synthetic camera scenes rendered by default (``--camera-scenes``). With twice the
45,000 of the model before (and narrower, slanted MNIST digits in :func:`augment`) the
shipped model reads more field digits with as few false digits (README, The model)."""

CAMERA_SEED_OFFSET = 1000
"""Camera examples use seed ``--seed + CAMERA_SEED_OFFSET`` (not the field set's seed)."""

CAMERA_VALIDATION_SHARE = 0.1
"""Share of the camera examples held out to report on."""

CAMERA_TIER_SHARES = (0.15, 0.35, 0.5)
"""Shares of clean, realistic and hard scenes among the camera examples: the hard tier
(pencil, hard shadow edges, glare, dark noisy frames) is where the misses are."""


def _camera_example_sources() -> list[Path]:
    """Source files whose code decides what the camera examples are."""
    from digit_recognition.tools import field, field_scenes, field_writers
    from digit_recognition.vision import model_contract, preprocessing

    return [Path(module.__file__) for module in (
        preprocessing, model_contract, field_scenes, field_writers, field)]


def camera_cache_name(scenes: int, seed: int, images: np.ndarray, labels: np.ndarray,
                      sources: Sequence[Path] | None = None,
                      tier_shares: Sequence[float] = CAMERA_TIER_SHARES) -> str:
    """Name of the cache file of the camera examples rendered from these inputs.

    The name holds the scene count and seed and a fingerprint of everything else
    that decides the examples: the MNIST digits shown, the shares of the tiers, the
    code of the scene generator, the writers and the preprocessor with its default
    parameters (``sources``, default: their modules' files), the OpenCV, NumPy and
    matplotlib versions that render them and the training fonts that matplotlib has
    (:func:`~digit_recognition.tools.field_writers.training_fonts`). A changed
    preprocessor never reuses examples it did not make.
    """
    import matplotlib

    digest = hashlib.sha256()
    for path in sources if sources is not None else _camera_example_sources():
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    digest.update(f'{cv2.__version__} {np.__version__} {list(tier_shares)}'.encode())
    digest.update(f'matplotlib {matplotlib.__version__} {training_fonts()}'.encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return f'camera_{scenes}_{seed}_{len(images)}_{digest.hexdigest()[:16]}.npz'


def camera_examples(scenes: int, seed: int, images: np.ndarray, labels: np.ndarray,
                    cache_dir: str | None, workers: int = 1
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """Render (or load from the cache) the camera examples; see the module docstring.

    Returns:
        ``(images, labels, kinds, seconds)``: what each scene showed (see
        :func:`~digit_recognition.tools.field.camera_training_set`), and ``seconds``
        spent rendering, None when cached.

    """
    from digit_recognition.tools.field import camera_training_set

    cache = None
    if cache_dir:
        cache = Path(cache_dir) / camera_cache_name(scenes, seed, images, labels)
        if cache.is_file():
            with np.load(cache) as data:
                print(f'camera examples from {cache}')
                return data['images'], data['labels'], data['kinds'], None
    missing = sorted(set(TRAINING_FONTS) - set(training_fonts()))
    if missing:
        print(f'this matplotlib lacks the training fonts {missing}: the printed digits are '
              f'drawn in the other {len(TRAINING_FONTS) - len(missing)}')
    started = time.perf_counter()
    camera_images, camera_labels, camera_kinds = camera_training_set(
        scenes, seed, images, labels, tier_shares=CAMERA_TIER_SHARES, workers=workers)
    seconds = time.perf_counter() - started
    print(f'rendered {scenes} camera scenes in {seconds:.0f} s: '
          f'{len(camera_labels)} examples, '
          f'{int(np.sum(camera_labels == NO_DIGIT_CLASS))} of them "no digit"')
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, images=camera_images, labels=camera_labels,
                            kinds=camera_kinds)
    return camera_images, camera_labels, camera_kinds, seconds


CAMERA_REPEATS = {NO_DIGIT_CLASS: 2, 1: 2}
"""Times a camera training example of these classes is used per epoch (others: once).

The negatives are few, and every mirror image of one is another. A straight upright
stroke is a "1" in camera frames, yet a fragment of an edge among the negatives looks the
same once scaled into 28x28: the camera "1"s go in more often so that the model does not
learn to reject thin "1"s (the field set's MNIST-writer frames missed half their "1"s)."""


def camera_repeats(labels: np.ndarray) -> np.ndarray:
    """Return the camera training examples' indices, each repeated per :data:`CAMERA_REPEATS`."""
    times = np.ones(len(labels), np.int64)
    for label, repeat in CAMERA_REPEATS.items():
        times[labels == label] = repeat
    return np.repeat(np.arange(len(labels)), times)


CALIBRATION_SHARE = 1 / 12
"""Share of the MNIST training digits held out to calibrate "no digit" on (5,000)."""

MAX_DIGITS_REJECTED = 0.001
"""Calibration target: at most this share of held-out MNIST digits answered "no digit"."""


def calibrate_no_digit(model: Any, digits: np.ndarray) -> float:
    """Lower the "no digit" output's bias until it rejects few real digits; return the shift.

    Clean MNIST digits must be read as digits: with thin straight "1"s next to the
    straight edges among the negatives, training alone may reject a few. Adding
    ``shift`` (<= 0) to the output's bias scales the odds of "no digit" by
    ``exp(shift)``; the largest shift that rejects at most
    :data:`MAX_DIGITS_REJECTED` of ``digits`` (held out of training) is applied.
    """
    if not len(digits):
        return 0.0
    layer = model.get_layer('probabilities')
    probs = np.concatenate([model(to_model_batch(digits[i:i + 1000]), training=False).numpy()
                            for i in range(0, len(digits), 1000)])
    # The odds of "no digit" against the best digit decide whether a digit is rejected.
    odds = np.log(probs[:, NO_DIGIT_CLASS] + 1e-12) - np.log(
        probs[:, :NUM_CLASSES].max(axis=1) + 1e-12)
    allowed = int(MAX_DIGITS_REJECTED * len(digits))
    worst = np.sort(odds)[::-1]
    shift = float(min(0.0, -(worst[allowed] + 0.1))) if allowed < len(worst) else 0.0
    kernel, bias = layer.get_weights()
    bias[NO_DIGIT_CLASS] += shift
    layer.set_weights([kernel, bias])
    return shift


def _load_data(data_dir: str | None) -> tuple:
    if data_dir is not None:
        train, test = load_mnist(data_dir)
        return train.images, train.labels, test.images, test.labels
    import keras
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return x_train, y_train, x_test, y_test


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of the training script."""
    parser = argparse.ArgumentParser(
        prog='python -m digit_recognition.tools.training', description=__doc__.split('\n')[0])
    parser.add_argument('--data-dir', default=None,
                        help='directory with the four MNIST IDX .gz files '
                             '(default: keras.datasets.mnist.load_data(), needs internet)')
    parser.add_argument('--epochs', type=int, default=18)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--output-dir', default='models', help='where to write the model')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--train-limit', type=int, default=None, metavar='N',
                        help='train on the first N training images only (for quick tests)')
    parser.add_argument('--learning-rate', type=float, default=2e-3,
                        help='peak learning rate of the warm-up + cosine schedule')
    parser.add_argument('--camera-scenes', type=int, default=CAMERA_SCENES, metavar='N',
                        help='synthetic camera scenes rendered for camera examples and '
                             '"no digit" negatives (0: MNIST only)')
    parser.add_argument('--camera-cache', default='out/camera_cache',
                        help='folder where rendered camera examples are cached')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                        help='processes rendering the camera examples (the examples do '
                             'not depend on it; default: one per CPU)')
    args = parser.parse_args(argv)
    if args.camera_scenes < 0:
        parser.error('--camera-scenes must be >= 0')
    for name in ('epochs', 'batch_size', 'train_limit', 'workers'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate, export and report; returns the process exit status."""
    run_started = time.perf_counter()
    args = parse_args(argv)
    if argv is None:
        program = Path(sys.argv[0]).name
        if program in ('training.py', '__main__.py'):
            program = 'python -m digit_recognition.tools.training'
        command = ' '.join([program, *map(shlex.quote, sys.argv[1:])])
    else:
        command = f'digit_recognition.tools.training.main({list(argv)!r})'
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    x_train, y_train, x_test, y_test = _load_data(args.data_dir)
    if args.train_limit is not None:
        x_train, y_train = x_train[:args.train_limit], y_train[:args.train_limit]
    # Held out of training: the digits the "no digit" output is calibrated on.
    held_out = int(CALIBRATION_SHARE * len(x_train))
    x_calib = x_train[len(x_train) - held_out:]
    x_train, y_train = x_train[:len(x_train) - held_out], y_train[:len(y_train) - held_out]

    camera_train = camera_valid = render_seconds = None
    if args.camera_scenes:
        cam_x, cam_y, cam_kinds, render_seconds = camera_examples(
            args.camera_scenes, args.seed + CAMERA_SEED_OFFSET, x_train, y_train,
            args.camera_cache, args.workers)
        split = len(cam_x) - int(CAMERA_VALIDATION_SHARE * len(cam_x))
        repeated = camera_repeats(cam_y[:split])
        camera_train = cam_x[:split][repeated], cam_y[:split][repeated]
        camera_valid = cam_x[split:], cam_y[split:]
        kinds_train, kinds_valid = cam_kinds[:split], cam_kinds[split:]

    model = build_model()
    steps_per_epoch = math.ceil(
        (len(x_train) + (len(camera_train[0]) if camera_train else 0)) / args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    warmup_steps = min(steps_per_epoch, total_steps // 5)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.learning_rate / 10, decay_steps=total_steps - warmup_steps,
        alpha=0.01, warmup_target=args.learning_rate, warmup_steps=warmup_steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    model.summary()

    started = time.perf_counter()
    model.fit(_make_dataset(x_train, y_train, args.batch_size, args.seed,
                            *(camera_train or (None, None))),
              epochs=args.epochs, verbose=2 if not sys.stdout.isatty() else 'auto')
    training_seconds = time.perf_counter() - started
    no_digit_shift = calibrate_no_digit(model, x_calib)

    tflite_path = export_model(model, output_dir)[TFLITE_FILE]

    test_batch = to_model_batch(x_test)
    keras_probs = np.concatenate([model(test_batch[i:i + 1000], training=False).numpy()
                                  for i in range(0, len(test_batch), 1000)])
    tflite_probs = tflite_predict(tflite_path, test_batch)
    keras_pred = keras_probs.argmax(axis=1)
    tflite_pred = tflite_probs.argmax(axis=1)
    matrix = _confusion(y_test, keras_pred)
    keras_accuracy = float(np.mean(keras_pred == y_test))
    tflite_accuracy = float(np.mean(tflite_pred == y_test))
    _plot_confusion(matrix, f'MNIST test, Keras model: {100 * keras_accuracy:.2f} % correct',
                    output_dir / CONFUSION_PNG)
    camera = {'train_examples': 0, 'train_no_digit': 0}
    if camera_train is not None and camera_valid is not None:
        valid_pred = np.concatenate(
            [model(to_model_batch(camera_valid[0][i:i + 1000]), training=False).numpy()
             for i in range(0, len(camera_valid[0]), 1000)]).argmax(axis=1) if len(
            camera_valid[0]) else np.zeros(0, np.int64)
        negative = camera_valid[1] == NO_DIGIT_CLASS
        camera = {
            'scenes': args.camera_scenes,
            'tier_shares': list(CAMERA_TIER_SHARES),
            'fonts': list(training_fonts()),
            'render_seconds': None if render_seconds is None else round(render_seconds, 1),
            'train_examples': int(len(camera_train[1])),
            'train_no_digit': int(np.sum(camera_train[1] == NO_DIGIT_CLASS)),
            'train_distinct': int(len(kinds_train)),
            'repeats': {str(label): times for label, times in CAMERA_REPEATS.items()},
            'validation_digits': int(np.sum(~negative)),
            'validation_no_digit': int(np.sum(negative)),
            'validation_digit_accuracy': float(np.mean(
                valid_pred[~negative] == camera_valid[1][~negative])) if (~negative).any()
            else float('nan'),
            'validation_no_digit_recall': float(np.mean(
                valid_pred[negative] == NO_DIGIT_CLASS)) if negative.any() else float('nan'),
            'by_kind': examples_by_kind(kinds_train, kinds_valid,
                                        valid_pred == camera_valid[1]),
        }

    report = {
        'command': command,
        'date_utc': time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime()),
        'tensorflow_version': tf.__version__,
        'keras_version': keras.__version__,
        'numpy_version': np.__version__,
        'python_version': platform.python_version(),
        'machine': f'{platform.machine()}, {os.cpu_count()} CPUs',
        'data': args.data_dir or 'keras.datasets.mnist.load_data()',
        'train_images': int(len(x_train)),
        'test_images': int(len(x_test)),
        'epochs': args.epochs,
        'batch_size': args.batch_size,
        'seed': args.seed,
        'learning_rate': args.learning_rate,
        'started_from': 'random weights',
        'calibration_images': int(len(x_calib)),
        'no_digit_bias_shift': round(no_digit_shift, 4),
        'camera': camera,
        'parameters': int(model.count_params()),
        'training_seconds': round(training_seconds, 1),
        'total_seconds': round(time.perf_counter() - run_started, 1),
        'evaluation': {
            'keras_accuracy': keras_accuracy,
            'tflite_accuracy': tflite_accuracy,
            'keras_tflite_agreement': float(np.mean(keras_pred == tflite_pred)),
            'keras_tflite_max_abs_diff': float(np.abs(keras_probs - tflite_probs).max()),
            'per_class_accuracy': [float(matrix[d, d] / max(matrix[d].sum(), 1))
                                   for d in range(NUM_CLASSES)],
            'confusion_matrix': matrix.tolist(),
        },
        'file_sizes': {name: (output_dir / name).stat().st_size
                       for name in (KERAS_FILE, KERAS2_H5_FILE, TFLITE_FILE)},
    }
    _write_report(report, output_dir / REPORT_MD, output_dir / REPORT_JSON)
    print(f'Keras test accuracy {100 * keras_accuracy:.2f} %, '
          f'TFLite {100 * tflite_accuracy:.2f} %; wrote {output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
