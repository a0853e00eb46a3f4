"""The launch file's Fast DDS profile works.

Nodes started with it talk to each other and to plain participants, and Fast DDS
accepts the XML.
"""

import os
from pathlib import Path
import subprocess
import sys
import time

from digit_recognition.nodes.pipeline import installed_config_file
from digit_recognition.nodes.qos import IMAGE_PUBLISHER_QOS
import rclpy
from rclpy.executors import SingleThreadedExecutor
from ros_test_utils import spin_until
from sensor_msgs.msg import Image

REPO_PROFILE = Path(__file__).resolve().parents[2] / 'config' / 'fastdds_large_images.xml'


def test_profile_is_installed_as_in_the_repository():
    installed = Path(installed_config_file('fastdds_large_images.xml'))
    assert installed.read_text() == REPO_PROFILE.read_text()


def test_nodes_with_the_profile_reach_each_other_and_plain_subscribers(ros_context, tmp_path):
    profile = installed_config_file('fastdds_large_images.xml')
    env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=profile,
               FASTRTPS_DEFAULT_PROFILES_FILE=profile)
    logs = {name: tmp_path / f'{name}.log' for name in ('camera', 'preprocessor')}
    processes = [
        subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.camera_node',
                          '--ros-args', '-p', 'source:=demo'],
                         env=env, stderr=open(logs['camera'], 'w')),
        subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.preprocessor_node'],
                         env=env, stderr=open(logs['preprocessor'], 'w')),
    ]
    node = rclpy.create_node('plain_participant', context=ros_context)
    frames, inputs = [], []
    node.create_subscription(Image, 'image_raw', frames.append, IMAGE_PUBLISHER_QOS)
    node.create_subscription(Image, 'digit_input', inputs.append, IMAGE_PUBLISHER_QOS)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    try:
        # digit_input comes from the preprocessor, fed by the camera in another process
        # with the same profile (shared memory); image_raw reaches this plain process.
        assert spin_until(executor, lambda: len(inputs) >= 20 and len(frames) >= 20, 30.0), \
            f'{len(frames)} frames, {len(inputs)} model inputs'
        assert (frames[-1].width, frames[-1].height) == (640, 480)
    finally:
        for process in processes:
            process.send_signal(2)
        deadline = time.monotonic() + 10
        for process in processes:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        executor.shutdown()
        node.destroy_node()
    for name, log in logs.items():
        text = log.read_text()
        assert 'XMLPARSER' not in text and 'Error' not in text, f'{name}:\n{text}'
