"""Keep a test's, benchmark's or soak run's DDS traffic away from everything else."""

import os
import random

_ISOLATED_MARK = 'DIGIT_RECOGNITION_ISOLATED_DOMAIN'


def isolate_ros_traffic() -> None:
    """Use a DDS domain of this process tree's own, discovered on this host only.

    For tests, benchmarks and soak runs: set before rclpy creates a participant. The
    domain is derived from the process id, so parallel runs differ; subprocesses
    inherit it (a process that finds it already chosen keeps it). Without this, another
    pipeline on the machine, or the robot's own nodes, would be counted too.
    """
    if os.environ.get(_ISOLATED_MARK) != os.environ.get('ROS_DOMAIN_ID'):
        os.environ['ROS_DOMAIN_ID'] = str(random.Random(os.getpid()).randrange(1, 101))
        os.environ[_ISOLATED_MARK] = os.environ['ROS_DOMAIN_ID']
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # Iron and newer
    if os.environ.get('ROS_DISTRO') == 'humble':
        os.environ['ROS_LOCALHOST_ONLY'] = '1'
