"""Keep a test's, benchmark's or soak run's DDS traffic away from everything else."""

import os
import random

_ISOLATED_MARK = 'DIGIT_RECOGNITION_ISOLATED_DOMAIN'

MAX_DOMAIN_ID = 232
"""Highest domain whose DDS ports fit below 65536 (Fast DDS's default port mapping)."""


DOMAIN_PORT_BASE = 7400
DOMAIN_PORT_GAIN = 250
"""RTPS port mapping: domain ``d`` uses the UDP ports from 7400 + 250 d, 250 of them."""


def _bound_udp_ports() -> set:
    """Return the UDP ports bound on this host's network (Linux; empty elsewhere)."""
    ports = set()
    for table in ('/proc/net/udp', '/proc/net/udp6'):
        try:
            with open(table) as rows:
                next(rows)
                ports.update(int(row.split()[1].rsplit(':', 1)[1], 16) for row in rows)
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return ports


def _domain_in_use(domain: int, bound_ports: set) -> bool:
    """Return True when a participant on this host's network may use ``domain``."""
    first = DOMAIN_PORT_BASE + DOMAIN_PORT_GAIN * domain
    return any(first <= port < first + DOMAIN_PORT_GAIN for port in bound_ports)


def isolate_ros_traffic() -> None:
    """Use a DDS domain of this process tree's own, discovered on this host only.

    For tests, benchmarks and soak runs: set before rclpy creates a participant. The
    domain is the first one whose ports nobody on this host's network has bound (other
    users' tests, benchmarks, pipelines), in an order derived from the process id, so
    parallel runs differ; subprocesses inherit it (a process that finds it already
    chosen keeps it). Without this, another pipeline on the machine, or the robot's own
    nodes, would be counted too.
    """
    chosen_before = os.environ.get(_ISOLATED_MARK)
    if chosen_before is None or chosen_before != os.environ.get('ROS_DOMAIN_ID'):
        domains = list(range(1, MAX_DOMAIN_ID + 1))
        random.Random(os.getpid()).shuffle(domains)
        bound = _bound_udp_ports()
        chosen = next((d for d in domains if not _domain_in_use(d, bound)), domains[0])
        os.environ['ROS_DOMAIN_ID'] = str(chosen)
        os.environ[_ISOLATED_MARK] = os.environ['ROS_DOMAIN_ID']
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'  # Iron and newer
    if os.environ.get('ROS_DISTRO') == 'humble':
        os.environ['ROS_LOCALHOST_ONLY'] = '1'
