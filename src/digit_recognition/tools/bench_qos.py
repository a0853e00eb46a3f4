"""Which image subscriptions receive camera frames from another process, and how many.

Runs a publisher of 640x480 bgr8 frames (RELIABLE like the camera node, or
BEST_EFFORT like many camera drivers) in one process, and a RELIABLE and a
BEST_EFFORT subscriber in two others, with and without the launch file's Fast DDS
profile, and prints how many of the frames each subscriber received. The README's
QoS section quotes its table; the nodes' ``image_qos`` default follows from it.

    python -m digit_recognition.tools.bench_qos [--frames 180] [--runs 3]
"""

import argparse
from collections.abc import Sequence
import os
import subprocess
import sys
import time

PUBLISHER = r"""
import sys, time
import numpy as np, rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from digit_recognition.nodes.ros_image import array_to_image_msg
from std_msgs.msg import Header
frames, reliability, readers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rclpy.init()
node = rclpy.create_node('qos_bench_camera')
publisher = node.create_publisher(Image, 'image_raw', QoSProfile(
    depth=5, reliability=getattr(ReliabilityPolicy, reliability)))
deadline = time.monotonic() + 30
while publisher.get_subscription_count() < readers and time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
time.sleep(1.0)
image = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
start = time.monotonic()
for index in range(frames):
    publisher.publish(array_to_image_msg(image, 'bgr8', Header(frame_id=str(index))))
    time.sleep(max(0.0, start + (index + 1) / 30.0 - time.monotonic()))
time.sleep(1.0)
"""

SUBSCRIBER = r"""
import sys, time
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
seconds, reliability = float(sys.argv[1]), sys.argv[2]
rclpy.init()
node = rclpy.create_node('qos_bench_reader')
frames = set()
node.create_subscription(Image, 'image_raw', lambda m: frames.add(m.header.frame_id),
                         QoSProfile(depth=5, reliability=getattr(ReliabilityPolicy, reliability)))
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
print(len(frames))
"""


def _fast_dds_3() -> bool:
    return os.environ.get('ROS_DISTRO', 'kilted') not in ('humble', 'iron', 'jazzy')


def run_once(frames: int, publisher_reliability: str, profile: str | None) -> list[int]:
    """Return the frames received by a RELIABLE and a BEST_EFFORT reader, in that order."""
    env = dict(os.environ)
    for name in ('FASTDDS_DEFAULT_PROFILES_FILE', 'FASTRTPS_DEFAULT_PROFILES_FILE'):
        env.pop(name, None)
    if profile:
        # Fast DDS 3 (Kilted and newer) reads the first, Fast DDS 2 (Humble, Jazzy) the second.
        env['FASTDDS_DEFAULT_PROFILES_FILE' if _fast_dds_3() else
            'FASTRTPS_DEFAULT_PROFILES_FILE'] = profile
    seconds = frames / 30.0 + 8.0
    readers = [subprocess.Popen([sys.executable, '-c', SUBSCRIBER, str(seconds), kind],
                                env=env, stdout=subprocess.PIPE, text=True)
               for kind in ('RELIABLE', 'BEST_EFFORT')]
    compatible = 1 if publisher_reliability == 'BEST_EFFORT' else 2
    camera = subprocess.Popen([sys.executable, '-c', PUBLISHER, str(frames),
                               publisher_reliability, str(compatible)], env=env)
    counts = [int(reader.communicate(timeout=seconds + 60)[0].strip() or 0)
              for reader in readers]
    camera.wait(timeout=60)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    from digit_recognition.nodes.pipeline import installed_config_file
    from digit_recognition.tools.ros_isolation import isolate_ros_traffic
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=180, help='frames per run, at 30 fps')
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args(argv)
    isolate_ros_traffic()
    profile = installed_config_file('fastdds_large_images.xml')
    print(f'{args.frames} frames of 640x480 bgr8 at 30 fps to readers in other processes, '
          f'{args.runs} runs each ({time.strftime("%Y-%m-%d")})\n')
    print('| publisher | Fast DDS profile | RELIABLE reader | BEST_EFFORT reader |')
    print('| --- | --- | --- | --- |')
    for publisher in ('RELIABLE', 'BEST_EFFORT'):
        for use_profile in (False, True):
            runs = [run_once(args.frames, publisher, profile if use_profile else None)
                    for _ in range(args.runs)]
            cells = [', '.join(str(run[i]) for run in runs) for i in range(2)]
            if publisher == 'BEST_EFFORT':
                cells[0] += ' (incompatible QoS)'
            print(f'| {publisher} | {"yes" if use_profile else "no"} | {cells[0]} | '
                  f'{cells[1]} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
