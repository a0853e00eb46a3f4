"""Helpers for tests that run real nodes over DDS: spinning until something arrives."""

from collections.abc import Callable
import os
from pathlib import Path
import signal
import subprocess
import time

from digit_recognition.nodes.launch_arguments import profile_variable
from digit_recognition.nodes.node_runner import STACK_DUMP_SIGNAL
from digit_recognition.nodes.preprocessor_node import (
    config_from_parameters, PARAMETERS as PREPROCESSOR_PARAMETERS)
from digit_recognition.vision.batching import BatchEntry, DEFAULT_MIN_CONFIDENCE, predict_batch
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.inference import load_model
from digit_recognition.vision.preprocessing import preprocess
import numpy as np
from rcl_interfaces.srv import SetParameters
from rclpy.executors import Executor
from rclpy.node import Node
from rclpy.parameter import Parameter


def spin_until(executor: Executor, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Spin ``executor`` until ``condition()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        executor.spin_once(timeout_sec=0.05)
    return True


def wait_for_subscribers(executor: Executor, publisher, count: int = 1,
                         timeout: float = 20.0) -> None:
    """Spin until ``publisher`` is matched by ``count`` subscriptions (discovery)."""
    assert spin_until(executor, lambda: publisher.get_subscription_count() >= count, timeout), \
        f'no subscriber matched {publisher.topic_name}'


def set_parameters(executor: Executor, client_node: Node, node_name: str,
                   values: dict) -> list:
    """Call ``/<node_name>/set_parameters`` (what ``ros2 param set`` calls).

    Returns:
        The ``SetParametersResult`` list of the service response.

    """
    client = client_node.create_client(SetParameters, f'/{node_name}/set_parameters')
    assert spin_until(executor, client.service_is_ready), 'set_parameters service not found'
    request = SetParameters.Request()
    request.parameters = [Parameter(name, value=value).to_parameter_msg()
                          for name, value in values.items()]
    future = client.call_async(request)
    assert spin_until(executor, future.done), 'set_parameters did not answer'
    client_node.destroy_client(client)
    return list(future.result().results)


def demo_frame_read_as_its_label(digit: int | None = None,
                                 seed: int = 11) -> tuple[np.ndarray, int]:
    """Return a 640x480 demo frame and the digit the nodes must report for it.

    The first frame (of ``digit`` if given) whose offline result (the preprocessor's and
    classifier's own computation with their default parameters, batch of five copies)
    is its true label, so a check is "the nodes deliver the right digit", independent
    of the model's overall accuracy.

    Raises:
        LookupError: if none of the first 500 frames qualifies.

    """
    model = load_model(None, 'tflite')
    config = config_from_parameters({spec.name: spec.default
                                     for spec in PREPROCESSOR_PARAMETERS})
    generator = DemoFrameGenerator(seed=seed)
    for _ in range(500):
        frame, label = generator.next_frame()
        if digit is not None and label != digit:
            continue
        model_input = preprocess(frame, config).model_input
        pixels = np.round(model_input * 255.0).astype(np.uint8)
        combined = predict_batch([BatchEntry(pixels, is_empty=not pixels.any())] * 5,
                                 model.predict_proba, DEFAULT_MIN_CONFIDENCE)
        if combined.digit == label:
            return frame, int(label)
    raise LookupError(f'no demo frame of seed {seed} is classified as its label {digit}')


REFUSING_PROFILE = """<?xml version="1.0" encoding="UTF-8" ?>
<profiles xmlns="http://www.eprosima.com">
    <participant profile_name="short_lease" is_default_profile="true">
        <rtps>
            <builtin>
                <discovery_config>
                    <leaseDuration><sec>{lease_s}</sec></leaseDuration>
                    <leaseAnnouncement><sec>1</sec></leaseAnnouncement>
                </discovery_config>
            </builtin>
        </rtps>
    </participant>
    <data_writer profile_name="{topic}">
        <topic>
            <resourceLimitsQos>
                <extra_samples>0</extra_samples>
            </resourceLimitsQos>
        </topic>
        <qos>
            <reliability>
                <max_blocking_time><sec>0</sec><nanosec>10000000</nanosec></max_blocking_time>
            </reliability>
        </qos>
    </data_writer>
</profiles>
"""


def refusing_environment(path: Path, topic: str, lease_s: int = 20) -> dict[str, str]:
    """Return an environment whose Fast DDS refuses publishes on ``topic`` once a reader lags.

    Fast DDS refuses a publish ("cannot publish data", ``RCLError`` in rclpy) when the
    writer has no free sample: its KEEP_LAST history holds only samples a RELIABLE
    reader has not acknowledged. By default a writer keeps one spare sample and then
    overwrites the oldest, so a refusal is rare and a matter of timing; the profile
    written to ``path`` gives the writer of ``topic`` (rmw_fastrtps looks profiles up
    by the topic's full name) no spare sample and at most 10 ms to wait for one, so it
    refuses as soon as a reader stops acknowledging. A participant whose process stops
    is forgotten after ``lease_s`` seconds (Fast DDS's default: 20).
    """
    path.write_text(REFUSING_PROFILE.format(topic=topic, lease_s=lease_s))
    env = dict(os.environ)
    env[profile_variable(os.environ)] = str(path)
    return env


def stoppable_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``env`` (default: this process's) with Fast DDS over UDP only.

    For a process a test stops (SIGSTOP) and kills. Fast DDS's shared-memory transport
    guards its ports with named semaphores that every participant on the host shares; a
    process stopped or killed while it holds one leaves it locked, and every participant
    created afterwards, in any domain, waits for it in its constructor (seen once on a
    machine with both cores busy: every test after the stalled-reader one hung). Over UDP
    a stopped reader stalls the writers just as well and holds nothing other processes
    need. (Fast DDS 2.13 and newer: Jazzy, Kilted; older versions ignore the variable.)
    """
    return {**(os.environ if env is None else env), 'FASTDDS_BUILTIN_TRANSPORTS': 'UDPv4'}


def stop_process(process: subprocess.Popen, timeout: float = 30.0,
                 sig: int = signal.SIGINT) -> int:
    """Send ``sig`` (Ctrl-C) to ``process`` unless it has ended; return its exit code.

    A process still running ``timeout`` seconds later is killed (the code is then
    ``-SIGKILL``, which fails the test's exit-code assertion): a node stuck in the
    middleware must fail its own test, not stay alive in the test's ROS domain and hold
    up every test after it. Before the kill, a node process is asked for its threads'
    stacks (:data:`STACK_DUMP_SIGNAL`), which land in its log, where the test's
    assertion shows them.
    """
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Where it is stuck goes to its log first (node_runner.dump_stacks_on_signal).
        process.send_signal(STACK_DUMP_SIGNAL)
        try:
            process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass
        process.kill()
        return process.wait()


def stop_viewer_then_node(viewer: subprocess.Popen, node: subprocess.Popen) -> int:
    """End a test with a stopped (SIGSTOP) viewer: kill it, Ctrl-C the node; its exit code.

    The viewer is resumed first, so that the kill is delivered however it was stopped.
    """
    viewer.send_signal(signal.SIGCONT)
    stop_process(viewer, timeout=10, sig=signal.SIGKILL)
    return stop_process(node)
