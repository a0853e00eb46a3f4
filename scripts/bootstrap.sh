#!/usr/bin/env bash
# Sets up everything `make` needs, then builds the workspace with colcon.
#
#   ROS 2 already sourced (ROS_DISTRO set, e.g. /opt/ros/humble on a Jetson):
#       .venv with --system-site-packages, plus only the Python packages that cannot
#       be imported (unpinned; numpy kept below 2 for apt's cv2 and cv_bridge).
#   No ROS: .venv with the ROS 2 kilted wheels, colcon and the pinned libraries of
#       requirements.txt, and the CMake path fix the wheels need (see README).
#
# Idempotent: a stamp records the inputs of the last successful setup; with nothing
# changed the setup is skipped and only the (incremental) colcon build runs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# DIGIT_ROS=jazzy (make test-jazzy): the ROS 2 jazzy wheels of requirements-jazzy.txt in
# .venv-jazzy, built into build-jazzy/ and install-jazzy/, beside the kilted set.
case "${DIGIT_ROS:-kilted}" in
    kilted) suffix='' ;;
    jazzy) suffix='-jazzy' ;;
    *) echo "[bootstrap] DIGIT_ROS must be kilted or jazzy, not '${DIGIT_ROS}'" >&2; exit 1 ;;
esac
venv="$repo/.venv$suffix"
python_bin=${PYTHON:-python3}
say() { printf '[bootstrap] %s\n' "$*"; }

inputs_hash() {
    { cat requirements.txt requirements-jazzy.txt scripts/bootstrap.sh
      echo "ROS_DISTRO=${ROS_DISTRO:-} DIGIT_ROS=${DIGIT_ROS:-}"; } \
        | sha256sum | cut -d' ' -f1
}
stamp="$venv/.bootstrap-stamp"
wanted=$(inputs_hash)

# Rewrites the path of the Python the wheels were built with, which their exported
# CMake files still name, to this venv's (without it find_package(std_msgs) fails).
fix_wheel_cmake_paths() {
    local include numpy_include
    include=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    numpy_include=$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')
    { grep -rlZ --include='*.cmake' '/opt/python/cp311-cp311' "$venv/share" || true; } \
        | xargs -0 -r sed -i \
            -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${numpy_include}#g" \
            -e "s#/opt/python/cp311-cp311/include/python3.11#${include}#g"
}

pip_install() {
    # This machine's pip configuration names local index folders that may not exist;
    # their warnings (one per package) would bury the useful output.
    "$venv/bin/python" -m pip install --disable-pip-version-check -q "$@" \
        2> >(grep -v '^WARNING: Location' >&2)
}

setup_without_ros() {
    say "no ROS 2 sourced: installing ROS 2 ${DIGIT_ROS:-kilted} wheels and libraries into .venv$suffix"
    [ -x "$venv/bin/python" ] || "$python_bin" -m venv "$venv"
    if [ -n "$suffix" ]; then
        pip_install -r requirements-jazzy.txt -r <(grep -vE '^\s*ros-' requirements.txt)
    else
        pip_install -r requirements.txt
    fi
    fix_wheel_cmake_paths
}

setup_with_ros() {
    say "ROS 2 ${ROS_DISTRO} is sourced: using it, installing only missing Python packages"
    [ -x "$venv/bin/python" ] || "$python_bin" -m venv --system-site-packages "$venv"
    local missing=() line name module
    while read -r line; do
        name=${line%%==*}
        case "$name" in ros-*|colcon-*|'') continue ;; esac
        case "$name" in
            opencv-python-headless) module=cv2 ;;
            tensorflow-cpu) module=tensorflow ;;
            ai-edge-litert) module=ai_edge_litert ;;
            pyyaml) module=yaml ;;
            pillow) module=PIL ;;
            flake8-*|pydocstyle) module=${name//-/_} ;;
            *) module=${name//-/_} ;;
        esac
        # Jetsons use NVIDIA's TensorFlow build (or only LiteRT); never pull TF over it.
        [ "$name" = tensorflow-cpu ] && [ "$(uname -m)" != x86_64 ] && continue
        "$venv/bin/python" -c "import ${module}" 2>/dev/null || missing+=("$name")
    done < <(grep -vE '^\s*(#|$)' requirements.txt)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing: ${missing[*]}"
        local numpy_version
        numpy_version=$("$venv/bin/python" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || true)
        if [[ "$numpy_version" == 1.* ]]; then
            # apt's cv2 and cv_bridge are built against numpy 1.x (Humble: 1.21): any later
            # 1.x keeps that ABI, numpy 2 breaks it. Not the exact version: LiteRT needs
            # numpy >= 1.23.2 on Python 3.10, so pinning 1.21 makes it uninstallable.
            pip_install -c <(echo 'numpy<2') "${missing[@]}"
        else
            pip_install "${missing[@]}"
        fi
    fi
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    say "environment up to date (.venv$suffix); skipping package installation"
else
    if [ -n "${ROS_DISTRO:-}" ]; then setup_with_ros; else setup_without_ros; fi
    echo "$wanted" > "$stamp"
fi

# The handwriting fonts that `make field` draws its `fonts` row from
# (fonts/package.json, digit_recognition.tools.handwriting_fonts), from the npm registry
# at the versions of fonts/package-lock.json. The nodes do not need them: without npm
# (a robot) this says so and goes on.
fonts_stamp="fonts/node_modules/.digit-fonts-stamp"
fonts_wanted=$(sha256sum fonts/package-lock.json | cut -d' ' -f1)
if [ -f "$fonts_stamp" ] && [ "$(cat "$fonts_stamp")" = "$fonts_wanted" ]; then
    say "handwriting fonts up to date (fonts/node_modules)"
elif command -v npm > /dev/null; then
    say "installing the handwriting fonts with npm ci (fonts/node_modules)"
    npm ci --prefix fonts --no-audit --no-fund --loglevel=error > /dev/null
    echo "$fonts_wanted" > "$fonts_stamp"
else
    say "npm not found: handwriting fonts not installed (make field needs them)"
fi

say "building digit_interfaces and digit_recognition with colcon"
# shellcheck disable=SC1091
. "$venv/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
    export CMAKE_PREFIX_PATH="$venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    export AMENT_PREFIX_PATH="$venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
fi
# colcon_defaults.yaml (read from this folder) names both packages' paths.
log="log$suffix"
mkdir -p "$log"
colcon --log-base "$log" build --build-base "build$suffix" --install-base "install$suffix" \
    --event-handlers console_direct- console_start_end+ summary+ \
    --cmake-args -DPython3_EXECUTABLE="$venv/bin/python" -DBUILD_TESTING=OFF \
    > "$log/colcon-build.out" 2>&1 || { cat "$log/colcon-build.out"; exit 1; }
tail -n 2 "$log/colcon-build.out"
say "done"
