"""Score both backends on the shipped model under the TensorFlow of this Python.

Run by ``make check-compat`` (scripts/check_compat.sh) in venvs with tensorflow-cpu
2.15 (Keras 2), 2.16 with Keras 3.3 (JetPack 6's) and the pinned version, against the
source tree (``PYTHONPATH=src``). Exits 1 if a backend cannot load the model or scores
below the threshold on the MNIST test set.
"""

import os
from pathlib import Path
import sys

from digit_recognition.tools.mnist_idx import load_mnist_test
from digit_recognition.vision.inference import BACKENDS, load_model, ModelLoadError
import keras
import numpy as np
import tensorflow as tf

REPO_ROOT = Path(__file__).resolve().parents[1]
MIN_ACCURACY_PERCENT = 99.5


def accuracy(predict, images, labels) -> float:
    """Return the accuracy in percent of ``predict`` over the images, in chunks."""
    probabilities = np.concatenate(
        [predict(images[i:i + 1000]) for i in range(0, len(images), 1000)])
    return 100.0 * float(np.mean(probabilities.argmax(axis=1) == labels))


def find_mnist() -> Path:
    """Return ``DIGIT_MNIST_DIR``, else the first ``shared/data/mnist`` beside a parent folder."""
    if os.environ.get('DIGIT_MNIST_DIR'):
        return Path(os.environ['DIGIT_MNIST_DIR'])
    for folder in REPO_ROOT.parents:
        if (folder / 'shared' / 'data' / 'mnist').is_dir():
            return folder / 'shared' / 'data' / 'mnist'
    return REPO_ROOT.parent / 'shared' / 'data' / 'mnist'


def main() -> int:
    """Print each backend's loaded file and MNIST test accuracy; 1 if any falls short."""
    mnist_dir = sys.argv[1] if len(sys.argv) > 1 else find_mnist()
    test = load_mnist_test(mnist_dir)
    print(f'Python {sys.version.split()[0]}, TensorFlow {tf.__version__}, '
          f'Keras {keras.__version__}, numpy {np.__version__}')
    failures = 0
    for backend in BACKENDS:
        try:
            model = load_model(None, backend)
        except ModelLoadError as error:
            print(f'  {backend}: FAILED, {error}')
            failures += 1
            continue
        score = accuracy(model.predict_proba, test.images, test.labels)
        runtime = f' ({model.runtime})' if backend == 'tflite' else ''
        verdict = 'ok' if score >= MIN_ACCURACY_PERCENT else f'FAILED (< {MIN_ACCURACY_PERCENT})'
        print(f'  {backend}{runtime}: {model.path.name} {score:.2f} % MNIST test, {verdict}')
        failures += score < MIN_ACCURACY_PERCENT
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
