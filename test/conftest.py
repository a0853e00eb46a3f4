"""Shared fixtures: ROS isolation, an rclpy context per test, the MNIST files, the fonts.

Tests that need MNIST, the handwriting fonts or TensorFlow skip with the reason where
those are missing (a Jetson with LiteRT only, ``colcon test`` without the data), except where
``DIGIT_REQUIRE_TEST_DATA`` is set (CI): there a missing piece is a failure.
"""

import importlib.util
import os
from pathlib import Path

from digit_recognition.tools.ros_isolation import isolate_ros_traffic
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


REQUIRE_TEST_DATA = bool(os.environ.get('DIGIT_REQUIRE_TEST_DATA'))


def _missing(reason: str) -> None:
    """Skip the test for ``reason``, or fail it where test data are required (CI)."""
    if REQUIRE_TEST_DATA:
        pytest.fail(f'{reason} (DIGIT_REQUIRE_TEST_DATA is set)')
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``needs_tensorflow`` or run on the keras backend without TensorFlow."""
    if REQUIRE_TEST_DATA or importlib.util.find_spec('tensorflow') is not None:
        return
    skip = pytest.mark.skip(reason='TensorFlow is not installed (the keras backend and '
                                   'training need it; the tflite backend runs on LiteRT)')
    for item in items:
        params = getattr(getattr(item, 'callspec', None), 'params', {})
        # Parameters may be arrays, whose == is element-wise: compare strings only.
        keras_backend = any(isinstance(value, str) and value == 'keras'
                            for value in params.values())
        if item.get_closest_marker('needs_tensorflow') or keras_backend:
            item.add_marker(skip)


# Before any test creates a participant: a domain of this run's own, localhost only.
isolate_ros_traffic()


@pytest.fixture
def ros_context():
    """Yield an initialised rclpy context of this test's own, shut down afterwards."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        context.try_shutdown()


def _mnist_candidates():
    """Yield the folders that may hold MNIST, most specific first."""
    if 'DIGIT_MNIST_DIR' in os.environ:
        yield Path(os.environ['DIGIT_MNIST_DIR'])
    # The build machines keep the canonical files in shared/ beside the checkout.
    for folder in REPO_ROOT.parents:
        yield folder / 'shared' / 'data' / 'mnist'
    yield Path('/work/shared/data/mnist')


@pytest.fixture(scope='session')
def mnist_dir() -> Path:
    """Folder of the four canonical MNIST IDX .gz files.

    ``DIGIT_MNIST_DIR`` when set, else ``shared/data/mnist`` beside the repository or one
    of its parent folders (where the build machines and CI keep it).
    """
    for path in _mnist_candidates():
        if (path / 't10k-images-idx3-ubyte.gz').is_file():
            return path
    _missing('MNIST files not found; set DIGIT_MNIST_DIR to the folder of the IDX files')


@pytest.fixture(scope='session')
def handwriting_fonts_dir() -> Path:
    """Folder of the handwriting fonts that ``scripts/bootstrap.sh`` installs with npm.

    ``DIGIT_FONTS_DIR`` when set, else the repository's ``fonts/node_modules/@fontsource``.
    """
    from digit_recognition.tools import handwriting_fonts

    path = Path(os.environ.get('DIGIT_FONTS_DIR')
                or REPO_ROOT / handwriting_fonts.DEFAULT_FONTS_DIR)
    missing = handwriting_fonts.missing_fonts(directory=path)
    if missing:
        _missing(f'handwriting fonts not installed in {path} ({len(missing)} missing; '
                 'scripts/bootstrap.sh installs them with npm)')
    return path


def _pinned_opencv() -> str:
    """Return the OpenCV version ``requirements.txt`` pins, as ``cv2.__version__`` reads."""
    for line in (REPO_ROOT / 'requirements.txt').read_text().splitlines():
        if line.startswith('opencv-python-headless=='):
            return '.'.join(line.split('==')[1].split('.')[:3])
    raise AssertionError('requirements.txt pins no opencv-python-headless')


@pytest.fixture
def rendered_as_chosen():
    """Return a check of what a test found in a field frame it chose by seed and index.

    Field frames are drawn with OpenCV (anti-aliased lines, blur, JPEG), so another
    OpenCV, such as a Humble install's 4.5 (``make test-humble-libs``), draws a few of
    them differently. Where the check fails with the pinned OpenCV, the test fails; with
    another, it is skipped, as the frame is not the one the test was written for.
    """
    import cv2

    def check(condition: bool, what: str) -> None:
        if condition:
            return
        if cv2.__version__ == _pinned_opencv():
            pytest.fail(what)
        pytest.skip(f'{what}: this frame drawn by OpenCV {cv2.__version__} differs from '
                    f'the one drawn by the pinned {_pinned_opencv()}')
    return check
