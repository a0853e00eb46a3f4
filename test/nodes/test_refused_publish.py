"""A reader that makes the middleware refuse publishes: the node counts, warns, goes on.

The overlay node runs as its own process with a Fast DDS profile under which its
``overlay`` writer refuses publishes as soon as a RELIABLE reader stops acknowledging
(:func:`ros_test_utils.refusing_environment`). That reader is another process stopped
with SIGSTOP, as a remote viewer on a dead link or in a debugger would be. Then it is
killed: once its participant's lease ends, the writer forgets it and publishes again,
however busy the machine is.

The frames are small, so each sample goes through shared memory in one piece: with
640x480 frames (UDP fragments) the writer without a spare sample was seen to stay
stuck after the reader went, on a busy machine; that is the test profile's doing, not
a state of the defaults.
"""

import re
import select
import signal
import subprocess
import sys

import cv2
from diagnostic_msgs.msg import DiagnosticArray
from digit_recognition.nodes.diagnostics import DIAGNOSTICS_TOPIC
from digit_recognition.nodes.node_runner import WARN_PERIOD_S
from digit_recognition.nodes.qos import DIAGNOSTICS_QOS, RELIABLE_IMAGE_QOS
from digit_recognition.nodes.ros_image import array_to_image_msg
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from ros_test_utils import (refusing_environment, spin_until, stop_viewer_then_node,
                            stoppable_environment)
from sensor_msgs.msg import Image
from std_msgs.msg import Header

LEASE_S = 10
"""Seconds after which the overlay's Fast DDS forgets a stopped viewer."""

READER = r"""
import sys
import rclpy
from digit_recognition.nodes.qos import RELIABLE_IMAGE_QOS
from sensor_msgs.msg import Image
rclpy.init()
node = rclpy.create_node('frozen_viewer')
got = []
node.create_subscription(Image, sys.argv[1], got.append, RELIABLE_IMAGE_QOS)
while not got:
    rclpy.spin_once(node, timeout_sec=0.1)
print('receiving', flush=True)
rclpy.spin(node)
"""
"""A RELIABLE viewer of one image topic; says so once it receives."""

REFUSALS = 5
"""Refused publishes to see while the reader is stopped, well within its lease."""


def overlay_status(array: DiagnosticArray, statuses: dict[str, str]) -> None:
    """Keep the values of the overlay node's latest status in ``statuses``."""
    for status in array.status:
        if status.name.startswith('overlay:'):
            statuses.clear()
            statuses.update({value.key: value.value for value in status.values})


def test_a_reader_that_stops_acknowledging_makes_publishes_fail_and_the_overlay_goes_on(
        ros_context, tmp_path):
    env = refusing_environment(tmp_path / 'refusing.xml', '/overlay', LEASE_S)
    log = tmp_path / 'overlay.log'
    with open(log, 'w') as stderr:
        overlay = subprocess.Popen([sys.executable, '-m', 'digit_recognition.nodes.overlay_node'],
                                   env=env, stderr=stderr)
    viewer = subprocess.Popen([sys.executable, '-c', READER, 'overlay'],
                              env=stoppable_environment(env), stdout=subprocess.PIPE, text=True)
    probe = Node('refusal_probe', context=ros_context)
    camera = probe.create_publisher(Image, 'image_raw', RELIABLE_IMAGE_QOS)
    drawn = []
    probe.create_subscription(Image, 'overlay', drawn.append, RELIABLE_IMAGE_QOS)
    statuses: dict[str, str] = {}
    probe.create_subscription(DiagnosticArray, DIAGNOSTICS_TOPIC,
                              lambda array: overlay_status(array, statuses), DIAGNOSTICS_QOS)
    # Small frames: each sample goes in one piece, through shared memory.
    frame = cv2.resize(DemoFrameGenerator(seed=2).next_frame()[0], (160, 120))

    def publish_frame() -> None:
        header = Header(stamp=probe.get_clock().now().to_msg(), frame_id='test_camera')
        camera.publish(array_to_image_msg(frame, 'bgr8', header))

    probe.create_timer(0.1, publish_frame)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(probe)

    def refused() -> int:
        return int(statuses.get('dropped: publish failed', '0'))

    def viewer_receives() -> bool:
        return bool(select.select([viewer.stdout], [], [], 0.0)[0])

    try:
        assert spin_until(executor, viewer_receives, timeout=90.0), \
            f'the viewer got no overlay:\n{log.read_text()}'
        assert viewer.stdout.readline().strip() == 'receiving'
        assert spin_until(executor, lambda: len(drawn) >= 3, timeout=60.0), log.read_text()

        viewer.send_signal(signal.SIGSTOP)
        assert spin_until(executor, lambda: refused() >= REFUSALS, timeout=LEASE_S), \
            f'no refused publish counted ({statuses}):\n{log.read_text()}'
        assert overlay.poll() is None, log.read_text()
        warnings = re.findall(r'could not publish on /overlay \((\d+) lost so far\): '
                              r'.*cannot publish data', log.read_text())
        assert warnings, log.read_text()
        # Throttled: one line per WARN_PERIOD_S, not one per refused publish.
        assert len(warnings) < refused(), (WARN_PERIOD_S, warnings, statuses)

        viewer.kill()
        gone_at = len(drawn)
        assert spin_until(executor, lambda: len(drawn) >= gone_at + 10, timeout=60.0), \
            f'the overlay did not flow again after the viewer went:\n{log.read_text()}'
        assert overlay.poll() is None, log.read_text()
    finally:
        code = stop_viewer_then_node(viewer, overlay)
        executor.shutdown()
        probe.destroy_node()
    assert code == 0, log.read_text()
    assert 'Traceback' not in log.read_text()
