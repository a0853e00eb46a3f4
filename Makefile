# Every target sets up what it needs first (scripts/bootstrap.sh is idempotent).
.PHONY: setup test demo train bench-model bench soak lint clean

RUN := scripts/with_env.sh
PYTEST_ARGS ?=
MNIST_DIR ?= $(or $(DIGIT_MNIST_DIR),../shared/data/mnist)

setup:
	scripts/bootstrap.sh

test: setup
	$(RUN) python -m pytest test $(PYTEST_ARGS)

demo: setup
	$(RUN) python -m digit_recognition.demo

train: setup
	$(RUN) python -m digit_recognition.training --data-dir $(MNIST_DIR) \
		--output-dir src/digit_recognition/models

bench-model: setup
	$(RUN) python -m digit_recognition.bench_model

bench: setup
	$(RUN) python -m digit_recognition.bench_pipeline --output out/bench.md

soak: setup
	$(RUN) python -m digit_recognition.soak

lint: setup
	$(RUN) python -m pytest test/test_flake8.py test/test_pep257.py test/test_ruff.py

clean:
	rm -rf build install log out
