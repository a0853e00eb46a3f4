#!/usr/bin/env bash
# Runs a command inside the environment scripts/bootstrap.sh made: the venv, the ROS 2
# wheels or the sourced ROS install, and this workspace's install/ overlay.
set -eo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$repo/.venv/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
    export AMENT_PREFIX_PATH="$repo/.venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
fi
# install/setup.sh reads unset variables, so it is sourced before `set -u`.
# shellcheck disable=SC1091
. "$repo/install/setup.sh"
set -u
exec "$@"
