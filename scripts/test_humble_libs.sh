#!/usr/bin/env bash
# make test-humble-libs: the ROS-free code's tests (vision/ and the field tools, which need
# no rclpy) on a Humble install's OpenCV 4.5 and numpy 1.x (requirements-humble-libs.txt),
# in .venv-humble-libs against the source tree. The nodes' tests need rclpy: `make test`
# and `make test-jazzy`. Without TensorFlow the keras-backend tests skip, as on a Jetson
# with LiteRT only; extra arguments go to pytest.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
venv=.venv-humble-libs
requirements=requirements-humble-libs.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/.requirements"; then
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" \
        2> >(grep -v '^WARNING: Location' >&2)
    cp "$requirements" "$venv/.requirements"
fi
# DIGIT_REQUIRE_TEST_DATA (make check) would turn the TensorFlow skips into failures;
# MNIST and the fonts are checked by the two suites before this one.
exec env -u DIGIT_REQUIRE_TEST_DATA PYTHONPATH=src "$venv/bin/python" -m pytest \
    test/vision test/tools/test_field.py test/tools/test_mnist_idx.py \
    test/tools/test_handwriting_fonts.py test/tools/test_bench_compressed.py "$@"
