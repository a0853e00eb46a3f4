# Every target sets up what it needs first (scripts/bootstrap.sh is idempotent).
.PHONY: setup check test test-jazzy test-humble-libs demo field train bench-model bench soak lint check-compat clean

RUN := scripts/with_env.sh
PYTEST_ARGS ?=
MNIST_DIR ?= $(or $(DIGIT_MNIST_DIR),../shared/data/mnist)

setup:
	scripts/bootstrap.sh

# What CI runs (.ci/run): the suite on kilted, then on jazzy, then the ROS-free tests on
# Humble's OpenCV and numpy. MNIST must be there: tests that need it fail instead of skipping.
check:
	DIGIT_REQUIRE_TEST_DATA=1 $(MAKE) test test-jazzy test-humble-libs

test: setup
	$(RUN) python -m pytest test $(PYTEST_ARGS)

# The whole suite on the ROS 2 jazzy wheels (rclpy 7, closer to Humble's), in .venv-jazzy
# with its own build-jazzy/ and install-jazzy/.
test-jazzy:
	DIGIT_ROS=jazzy scripts/bootstrap.sh
	DIGIT_ROS=jazzy $(RUN) python -m pytest test $(PYTEST_ARGS)

# The ROS-free code's tests (vision/, the field tools) on the OpenCV 4.5 and numpy 1.x of a
# Humble install, in .venv-humble-libs (requirements-humble-libs.txt).
test-humble-libs: setup
	scripts/test_humble_libs.sh $(PYTEST_ARGS)

demo: setup
	$(RUN) python -m digit_recognition.tools.demo

# The generated field set (webcam-like frames, blank sheets, no-paper scenes) through
# the preprocessor and the shipped model: tables, curve and error sheet under out/field.
field: setup
	$(RUN) python -m digit_recognition.tools.field --output-dir out/field

# Trains the shipped model from random weights (MNIST and rendered camera examples, cached
# in out/camera_cache/ under a fingerprint of the preprocessor and scene code) and writes it,
# with its report, into the package's models/ folder.
train: setup
	$(RUN) python -m digit_recognition.tools.training --data-dir $(MNIST_DIR) \
		--output-dir src/digit_recognition/vision/models

bench-model: setup
	$(RUN) python -m digit_recognition.tools.bench_model

bench: setup
	$(RUN) python -m digit_recognition.tools.bench_pipeline --output out/bench.md

soak: setup
	$(RUN) python -m digit_recognition.tools.soak

lint: setup
	$(RUN) python -m pytest test/test_flake8.py test/test_pep257.py test/test_ruff.py test/test_python310.py

# Both backends on the shipped model under TensorFlow 2.15 (Keras 2), 2.16 (Keras 3.3) and
# the pinned version; fails below 99.5 % MNIST test. Venvs .venv-compat-tf* of their own.
check-compat: setup
	scripts/check_compat.sh $(if $(DIGIT_MNIST_DIR),$(DIGIT_MNIST_DIR))

clean:
	rm -rf build install log out build-jazzy install-jazzy log-jazzy
