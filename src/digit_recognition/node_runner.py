"""The ``main()`` of every node and of the one-process pipeline.

Humble-compatible shape (as ros2/demos): ``rclpy.init``; build the nodes; spin;
Ctrl-C and external shutdown end quietly with exit code 0; nodes are destroyed and
rclpy shut down in ``finally``. A node that cannot start (missing or corrupt model,
invalid start-up parameter) is logged as fatal and the process exits with 1.
"""

import os
import random
from typing import Callable, List, Optional, Sequence

from digit_recognition.frame_sources import SourceUnavailableError
from digit_recognition.inference import ModelLoadError
import rclpy
from rclpy.context import Context
from rclpy.executors import (
    Executor, ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor)
from rclpy.node import Node

NodeFactory = Callable[[], Node]

STARTUP_ERRORS = (ModelLoadError, ValueError, SourceUnavailableError)
"""Errors that mean a node cannot start: fatal log, exit code 1."""

EXECUTORS = ('single', 'multi')
"""Executor kinds for several nodes in one process."""


def make_executor(kind: str = 'single', context: Optional[Context] = None) -> Executor:
    """Return the executor that spins several nodes in one process.

    ``single`` (the default) is a ``SingleThreadedExecutor``. Measured here with the
    four nodes at 30 fps, rclpy's ``MultiThreadedExecutor`` busy-waits while a
    callback of a node is running and holds the GIL doing so: latency p50 went from
    7 ms to over 400 ms and the camera fell to 10 fps. The pipeline's work releases
    the GIL in OpenCV and LiteRT only briefly, so threads buy little here.
    ``multi`` keeps the ``MultiThreadedExecutor`` for machines where it pays.
    """
    if kind == 'single':
        return SingleThreadedExecutor(context=context)
    if kind == 'multi':
        return MultiThreadedExecutor(num_threads=4, context=context)
    raise ValueError(f'executor must be one of {EXECUTORS}, got {kind!r}')


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


_ISOLATED_MARK = 'DIGIT_RECOGNITION_ISOLATED_DOMAIN'


def run_nodes(factories: Sequence[NodeFactory], args: Optional[List[str]] = None,
              logger_name: str = 'digit_recognition', executor_kind: str = 'single') -> int:
    """Create the nodes and spin them on one executor until Ctrl-C or shutdown.

    Args:
        factories: callables creating the nodes, called after ``rclpy.init``.
        args: command-line arguments for ``rclpy.init`` (``--ros-args ...``).
        logger_name: logger for a start-up failure.
        executor_kind: see :func:`make_executor`.

    Returns:
        The process exit code: 0 after Ctrl-C or shutdown, 1 if a node cannot start.

    """
    rclpy.init(args=args)
    executor = make_executor(executor_kind)
    nodes: List[Node] = []
    try:
        try:
            for factory in factories:
                nodes.append(factory())
        except STARTUP_ERRORS as error:
            rclpy.logging.get_logger(logger_name).fatal(f'cannot start: {error}')
            return 1
        for node in nodes:
            executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        # Stop the executor first, so no callback runs on a node being destroyed.
        executor.shutdown()
        for node in reversed(nodes):
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
