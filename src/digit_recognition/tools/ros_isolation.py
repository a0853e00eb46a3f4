"""Keep a test's, benchmark's or soak run's DDS traffic away from everything else."""

import os
import random
import socket

_ISOLATED_MARK = 'DIGIT_RECOGNITION_ISOLATED_DOMAIN'

MAX_DOMAIN_ID = 232
"""Highest domain whose DDS ports fit below 65536 (Fast DDS's default port mapping)."""


def _domain_in_use(domain: int) -> bool:
    """Return True when a participant on this host already uses ``domain``.

    The RTPS discovery ports of a domain (multicast 7400 + 250 d, first unicast
    7410 + 250 d) are bound by its first participant; binding them without
    SO_REUSEADDR then fails.
    """
    for port in (7400 + 250 * domain, 7410 + 250 * domain):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(('', port))
            except OSError:
                return True
    return False


def isolate_ros_traffic() -> None:
    """Use a DDS domain of this process tree's own, discovered on this host only.

    For tests, benchmarks and soak runs: set before rclpy creates a participant. The
    domain is the first one not in use on this host, in an order derived from the
    process id, so parallel runs differ; subprocesses inherit it (a process that finds
    it already chosen keeps it). Without this, another pipeline on the machine, or the
    robot's own nodes, would be counted too.
    """
    if os.environ.get(_ISOLATED_MARK) != os.environ.get('ROS_DOMAIN_ID'):
        domains = list(range(1, MAX_DOMAIN_ID + 1))
        random.Random(os.getpid()).shuffle(domains)
        chosen = next((d for d in domains if not _domain_in_use(d)), domains[0])
        os.environ['ROS_DOMAIN_ID'] = str(chosen)
        os.environ[_ISOLATED_MARK] = os.environ['ROS_DOMAIN_ID']
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # Iron and newer
    if os.environ.get('ROS_DISTRO') == 'humble':
        os.environ['ROS_LOCALHOST_ONLY'] = '1'
