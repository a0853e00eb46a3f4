"""Ctrl-C (SIGINT) and SIGTERM end the pipeline and every node process quickly and cleanly.

Each process is started as a user would start it, left to come up until it does its
job (a message it produces arrives here), then sent the signal: it must exit with code 0
within 2 s and print no Python traceback.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.node_runner import STACK_DUMP_SIGNAL
from digit_recognition.nodes.qos import PREDICTION_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg
from digit_recognition.vision.demo_frames import DemoFrameGenerator
import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from ros_test_utils import spin_until
from sensor_msgs.msg import Image
from std_msgs.msg import Header

EXIT_LIMIT_S = 2.0
START_TIMEOUT_S = 45.0


def _frame_msg() -> Image:
    frame, _ = DemoFrameGenerator(seed=1).next_frame()
    return array_to_image_msg(frame, 'bgr8', Header(frame_id='test'))


def _digit_input_msg() -> Image:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[6:22, 12:16] = 255  # a '1'
    return array_to_image_msg(pixels, 'mono8', Header(frame_id='test'))


def _module(name: str) -> list:
    return [sys.executable, '-m', f'digit_recognition.nodes.{name}']


# name: (command, (topic fed, message factory) or None, (topic awaited, type))
CASES = {
    'pipeline': (_module('pipeline') + ['--source', 'demo'], None,
                 ('prediction', DigitPrediction)),
    'camera_node': (_module('camera_node') + ['--ros-args', '-p', 'source:=demo'], None,
                    ('image_raw', Image)),
    'preprocessor_node': (_module('preprocessor_node'), ('image_raw', _frame_msg),
                          ('digit_input', Image)),
    'classifier_node': (_module('classifier_node'), ('digit_input', _digit_input_msg),
                        ('prediction', DigitPrediction)),
    'overlay_node': (_module('overlay_node'), ('image_raw', _frame_msg), ('overlay', Image)),
}


# Ctrl-C for every process; SIGTERM, what systemd sends every process of a unit it stops,
# for the default arrangement and one node of the other (both run node_runner).
SIGNAL_CASES = [(name, signal.SIGINT) for name in CASES] + [
    ('pipeline', signal.SIGTERM), ('classifier_node', signal.SIGTERM)]


@contextlib.contextmanager
def _working(name: str, ros_context, tmp_path):
    """Start ``name`` as a user would and yield it once it does its job.

    Yields ``(process, received, spin, stderr_path)``: ``received`` collects the messages
    it produces, ``spin`` (a condition, a timeout) spins this test's node meanwhile. A
    process still running at the end is killed.
    """
    command, feed, (awaited_topic, awaited_type) = CASES[name]
    node = Node('signal_probe', context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(node)
    received = []
    qos = PREDICTION_QOS if awaited_type is DigitPrediction else RELIABLE_IMAGE_QOS
    node.create_subscription(awaited_type, awaited_topic, received.append, qos)
    publisher, message = None, None
    if feed is not None:
        publisher = node.create_publisher(Image, feed[0], RELIABLE_IMAGE_QOS)
        message = feed[1]()
    stderr_path = tmp_path / 'stderr.txt'
    with open(stderr_path, 'w') as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env=os.environ.copy())
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not received:
            assert process.poll() is None, (
                f'{name} exited early: {process.returncode}\n{stderr_path.read_text()}')
            assert time.monotonic() < deadline, (
                f'{name} produced no {awaited_topic}\n{stderr_path.read_text()}')
            if publisher is not None and publisher.get_subscription_count() > 0:
                publisher.publish(message)
            spin_until(executor, lambda: bool(received), timeout=0.1)
        yield process, received, lambda done, timeout: spin_until(executor, done, timeout), \
            stderr_path
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        executor.shutdown()
        node.destroy_node()


@pytest.mark.parametrize('name, signum', SIGNAL_CASES,
                         ids=[f'{name}-{signum.name}' for name, signum in SIGNAL_CASES])
def test_a_stop_signal_exits_cleanly_within_two_seconds(name, signum, ros_context, tmp_path):
    with _working(name, ros_context, tmp_path) as (process, _, _, stderr_path):
        process.send_signal(signum)
        sent = time.monotonic()
        try:
            code = process.wait(timeout=10.0)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - sent
    errors = stderr_path.read_text()
    assert code == 0, f'{name} exited with {code} after {signum.name}\n{errors}'
    assert elapsed < EXIT_LIMIT_S, f'{name} took {elapsed:.2f} s to exit after {signum.name}'
    assert 'Traceback' not in errors, errors


def test_the_stack_dump_signal_prints_every_thread_and_the_pipeline_goes_on(ros_context,
                                                                            tmp_path):
    """``kill -USR1`` shows where a node process is, in its log, and does not stop it."""
    with _working('pipeline', ros_context, tmp_path) as (process, received, spin, stderr_path):
        process.send_signal(STACK_DUMP_SIGNAL)
        assert spin(lambda: 'most recent call first' in stderr_path.read_text(), 10.0), \
            stderr_path.read_text()
        so_far = len(received)
        assert spin(lambda: len(received) > so_far + 2, 10.0), 'predictions stopped'
        assert process.poll() is None
        assert 'digit_recognition/nodes/node_runner.py' in stderr_path.read_text()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10.0) == 0, stderr_path.read_text()
