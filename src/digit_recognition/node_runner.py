"""The ``main()`` of every node and of the one-process pipeline.

Humble-compatible shape (as ros2/demos): ``rclpy.init``; build the nodes; spin;
Ctrl-C and external shutdown end quietly with exit code 0; nodes are destroyed and
rclpy shut down in ``finally``. A node that cannot start (missing or corrupt model,
invalid start-up parameter) is logged as fatal and the process exits with 1.
"""

from typing import Callable, List, Optional, Sequence

from digit_recognition.frame_sources import SourceUnavailableError
from digit_recognition.inference import ModelLoadError
import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

NodeFactory = Callable[[], Node]

STARTUP_ERRORS = (ModelLoadError, ValueError, SourceUnavailableError)
"""Errors that mean a node cannot start: fatal log, exit code 1."""


def run_nodes(factories: Sequence[NodeFactory], args: Optional[List[str]] = None,
              logger_name: str = 'digit_recognition') -> int:
    """Create the nodes and spin them until Ctrl-C or shutdown.

    One node spins on its own; several share a ``MultiThreadedExecutor`` (each node's
    callbacks stay serialised in its default mutually exclusive group, while the
    nodes run in parallel, as components in one container would).

    Args:
        factories: callables creating the nodes, called after ``rclpy.init``.
        args: command-line arguments for ``rclpy.init`` (``--ros-args ...``).
        logger_name: logger for a start-up failure.

    Returns:
        The process exit code: 0 after Ctrl-C or shutdown, 1 if a node cannot start.

    """
    rclpy.init(args=args)
    nodes: List[Node] = []
    try:
        try:
            for factory in factories:
                nodes.append(factory())
        except STARTUP_ERRORS as error:
            rclpy.logging.get_logger(logger_name).fatal(f'cannot start: {error}')
            return 1
        if len(nodes) == 1:
            rclpy.spin(nodes[0])
        else:
            executor = MultiThreadedExecutor(num_threads=len(nodes))
            for node in nodes:
                executor.add_node(node)
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for node in reversed(nodes):
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
