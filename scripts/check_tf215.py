"""Check that the shipped model loads and scores on TensorFlow 2.15 (Keras 2).

Run by `make check-tf215`, which makes a separate venv with tensorflow-cpu 2.15.1
(what JetPack 6 users may have) and runs this file against the source tree
(``PYTHONPATH=src``).
"""

from pathlib import Path
import sys

from digit_recognition.tools.mnist_idx import load_mnist_test
from digit_recognition.vision.inference import default_model_path, load_model
import numpy as np
import tensorflow as tf

REPO_ROOT = Path(__file__).resolve().parents[1]


def accuracy(predict, images, labels) -> float:
    """Return the accuracy in percent of ``predict`` over the images, in chunks."""
    probabilities = np.concatenate(
        [predict(images[i:i + 1000]) for i in range(0, len(images), 1000)])
    return 100.0 * float(np.mean(probabilities.argmax(axis=1) == labels))


def main() -> int:
    """Print what loads on this TensorFlow and its MNIST test accuracy."""
    mnist_dir = sys.argv[1] if len(sys.argv) > 1 else str(REPO_ROOT.parent / 'shared/data/mnist')
    test = load_mnist_test(mnist_dir)
    print(f'Python {sys.version.split()[0]}, TensorFlow {tf.__version__}, numpy {np.__version__}')
    models = default_model_path('keras').parent
    failures = 0
    for name in ('digit_cnn.keras', 'digit_cnn_keras2.h5'):
        try:
            model = tf.keras.models.load_model(str(models / name), compile=False)
        except (ValueError, TypeError, OSError) as error:
            print(f'tf.keras.models.load_model({name}): cannot load ({type(error).__name__})')
            continue
        score = accuracy(
            lambda x, model=model: model(x[..., None].astype('float32') / 255.0).numpy(),
            test.images, test.labels)
        print(f'tf.keras.models.load_model({name}): {score:.2f} %')
    for backend in ('keras', 'tflite'):
        model = load_model(None, backend)
        score = accuracy(model.predict_proba, test.images, test.labels)
        print(f'inference.load_model(None, {backend!r}) -> {model.path.name}: {score:.2f} %')
        failures += score < 99.3
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
