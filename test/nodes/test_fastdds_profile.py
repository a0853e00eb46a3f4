"""The launch file's Fast DDS profile is used: camera frames go through shared memory.

Without the profile a 640x480 frame (921,600 bytes) does not fit Fast DDS's default
shared-memory segment (about 0.5 MB) and travels as UDP fragments. With it, the
writer's segment is 16 MiB and every reader maps it to take the frames from there, so
the test checks exactly that: the camera process owns a segment of that size, and its
reader in another process (a BEST_EFFORT preprocessor with the profile) maps that
very segment.
"""

import os
from pathlib import Path
import subprocess
import sys

from digit_recognition.nodes.launch_arguments import profile_variable
from digit_recognition.nodes.pipeline import installed_config_file
from digit_recognition.nodes.qos import RELIABLE_IMAGE_QOS
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from ros_test_utils import spin_until, stop_process
from sensor_msgs.msg import Image

REPO_PROFILE = Path(__file__).resolve().parents[2] / 'config' / 'fastdds_large_images.xml'
PROFILE_SEGMENT_BYTES = 16 * 1024 * 1024
"""The profile's ``segment_size``."""


def test_profile_is_installed_as_in_the_repository():
    installed = Path(installed_config_file('fastdds_large_images.xml'))
    assert installed.read_text() == REPO_PROFILE.read_text()


def fastdds_segments(pid) -> dict:
    """Return ``{path: size}`` of the Fast DDS shared-memory segments ``pid`` maps."""
    segments = {}
    for line in Path(f'/proc/{pid}/maps').read_text().splitlines():
        path = line.split()[-1]
        # Fast DDS 3 names its segments fastdds_*, Fast DDS 2 (Humble, Jazzy) fastrtps_*.
        if path.startswith(('/dev/shm/fastdds_', '/dev/shm/fastrtps_')) and '_port' not in path:
            try:
                segments[path] = os.path.getsize(path)
            except OSError:  # removed since (its owner ended)
                pass
    return segments


def test_frames_cross_processes_through_the_profiles_shared_memory(ros_context, tmp_path):
    profile = installed_config_file('fastdds_large_images.xml')
    # The variable the launch file sets for this distribution (Fast DDS 2 or 3).
    env = dict(os.environ)
    env[profile_variable(os.environ)] = profile
    logs = {name: tmp_path / f'{name}.log' for name in ('camera', 'preprocessor')}
    camera, preprocessor = (
        subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.camera_node',
                          '--ros-args', '-p', 'source:=demo'],
                         env=env, stderr=open(logs['camera'], 'w')),
        subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.preprocessor_node',
                          '--ros-args', '-p', 'image_qos:=sensor_data'],
                         env=env, stderr=open(logs['preprocessor'], 'w')))
    node = rclpy.create_node('plain_participant', context=ros_context)
    frames, inputs = [], []
    node.create_subscription(Image, 'image_raw', frames.append, qos_profile_sensor_data)
    node.create_subscription(Image, 'digit_input', inputs.append, RELIABLE_IMAGE_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    try:
        # digit_input comes from the preprocessor, a BEST_EFFORT reader of the camera in
        # another process; image_raw reaches this process's BEST_EFFORT reader too.
        assert spin_until(executor, lambda: len(inputs) >= 20 and len(frames) >= 20, 60.0), \
            f'{len(frames)} frames, {len(inputs)} model inputs'
        assert (frames[-1].width, frames[-1].height) == (640, 480)
        owned = {path for path, size in fastdds_segments(camera.pid).items()
                 if size >= PROFILE_SEGMENT_BYTES}
        assert owned, ("the camera maps no segment of the profile's size: "
                       f'{fastdds_segments(camera.pid)}')
        assert owned & set(fastdds_segments(preprocessor.pid)), \
            "the preprocessor does not read the camera's shared memory"
    finally:
        for process in (camera, preprocessor):
            stop_process(process, timeout=10)
        executor.shutdown()
        node.destroy_node()
    for name, log in logs.items():
        text = log.read_text()
        # The profile parsed (other Fast DDS errors, e.g. a shared-memory port that
        # another user's process holds on this host, are not the profile's).
        assert 'XMLPARSER' not in text, f'{name}:\n{text}'
