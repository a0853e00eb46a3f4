# Every target sets up what it needs first (scripts/bootstrap.sh is idempotent).
.PHONY: setup test demo train bench-model bench soak lint check-tf215 clean

RUN := scripts/with_env.sh
PYTEST_ARGS ?=
MNIST_DIR ?= $(or $(DIGIT_MNIST_DIR),../shared/data/mnist)

setup:
	scripts/bootstrap.sh

test: setup
	$(RUN) python -m pytest test $(PYTEST_ARGS)

demo: setup
	$(RUN) python -m digit_recognition.tools.demo

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
	$(RUN) python -m pytest test/test_flake8.py test/test_pep257.py test/test_ruff.py

# The shipped model on TensorFlow 2.15 / Keras 2, in a venv of its own.
check-tf215:
	[ -x .venv-tf215/bin/python ] || python3 -m venv .venv-tf215
	.venv-tf215/bin/python -m pip install -q tensorflow-cpu==2.15.1
	PYTHONPATH=src .venv-tf215/bin/python scripts/check_tf215.py $(MNIST_DIR)

clean:
	rm -rf build install log out
