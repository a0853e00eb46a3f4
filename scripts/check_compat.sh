#!/usr/bin/env bash
# make check-compat: the shipped model, both backends, on every supported TensorFlow.
# Each older TensorFlow gets a venv of its own (.venv-compat-tf*); the pinned one is
# the project's .venv (made by scripts/bootstrap.sh). Exits 1 if any check fails.
#
#   scripts/check_compat.sh [MNIST_DIR]   (default: $DIGIT_MNIST_DIR or shared/data/mnist
#                                          beside the repository or a parent folder)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
mnist_args=("$@")
# name | pip requirements: Keras 2 (TF 2.15), and TF 2.16 with the Keras 3.3 JetPack 6 ships.
versions=(
    "tf2.15|tensorflow-cpu==2.15.1 h5py"
    "tf2.16|tensorflow-cpu==2.16.2 keras==3.3.3 h5py"
)
failed=()
for entry in "${versions[@]}"; do
    name=${entry%%|*}
    requirements=${entry#*|}
    venv=".venv-compat-$name"
    echo "== $name ($requirements)"
    if [ ! -x "$venv/bin/python" ] || ! cmp -s <(echo "$requirements") "$venv/.requirements"; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        # shellcheck disable=SC2086 # the requirements are separate words on purpose
        "$venv/bin/python" -m pip install --disable-pip-version-check -q $requirements \
            2> >(grep -v '^WARNING: Location' >&2) || { failed+=("$name (install)"); continue; }
        echo "$requirements" > "$venv/.requirements"
    fi
    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=src "$venv/bin/python" scripts/check_compat.py "${mnist_args[@]}" \
        || failed+=("$name")
done
echo "== pinned (requirements.txt, .venv)"
TF_CPP_MIN_LOG_LEVEL=2 scripts/with_env.sh env PYTHONPATH="src" python scripts/check_compat.py \
    "${mnist_args[@]}" || failed+=(pinned)
if [ ${#failed[@]} -gt 0 ]; then
    echo "check-compat FAILED: ${failed[*]}"
    exit 1
fi
echo "check-compat passed: TensorFlow 2.15, 2.16 (Keras 3.3) and pinned, both backends"
