#!/usr/bin/env bash
# Runs a command inside the environment scripts/bootstrap.sh made: the venv, the ROS 2
# wheels or the sourced ROS install, and this workspace's install/ overlay.
set -eo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# DIGIT_ROS=jazzy: the jazzy environment (.venv-jazzy, install-jazzy/), as bootstrap.sh.
suffix=''
[ "${DIGIT_ROS:-kilted}" = jazzy ] && suffix='-jazzy'
# shellcheck disable=SC1091
. "$repo/.venv$suffix/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
    export AMENT_PREFIX_PATH="$repo/.venv$suffix${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
fi
# install/setup.sh reads unset variables, so it is sourced before `set -u`.
# shellcheck disable=SC1091
. "$repo/install$suffix/setup.sh"
set -u
exec "$@"
