"""The ``main()`` of every node and of the one-process pipeline.

Humble-compatible shape (as ros2/demos): ``rclpy.init``; build the nodes; spin;
Ctrl-C and external shutdown end quietly with exit code 0; nodes are destroyed and
rclpy shut down in ``finally``. A node that cannot start (missing or corrupt model,
invalid start-up parameter) is logged as fatal and the process exits with 1.
"""

import signal
from typing import Callable, List, Optional, Sequence

from digit_recognition.vision.frame_sources import SourceUnavailableError
from digit_recognition.vision.inference import ModelLoadError
import rclpy
from rclpy.context import Context
from rclpy.executors import (
    Executor, ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor)
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

NodeFactory = Callable[[], Node]

STARTUP_ERRORS = (ModelLoadError, ValueError, SourceUnavailableError)
"""Errors that mean a node cannot start: fatal log, exit code 1."""

WARN_PERIOD_S = 5.0
"""Shortest interval between two repeats of one throttled warning of a node."""

SPIN_WAIT_S = 0.1
"""Longest wait for work before the spin loop checks for Ctrl-C (its reaction time)."""

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


class _Interrupted:
    """Python-level Ctrl-C / SIGTERM handling that remembers a signal arrived."""

    def __init__(self) -> None:
        self.signal_received = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._raise)
        # launch escalates to SIGTERM when SIGINT was not enough.
        signal.signal(signal.SIGTERM, self._raise)

    def _raise(self, signum: int, frame: object) -> None:
        self.signal_received = True
        raise KeyboardInterrupt


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
    # rclpy's own signal handling shuts the context down from a thread of its own, which
    # raced the clean-up in _spin_nodes: the process crashed now and then (SIGSEGV in
    # destroy_subscription, 4 in 100 Ctrl-C's of the overlay node). With Python's
    # handling the interrupt arrives in this thread, and the nodes go before the context.
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    interrupted = _Interrupted()
    interrupted.install()
    try:
        return _spin_nodes(factories, logger_name, make_executor(executor_kind), interrupted)
    except KeyboardInterrupt:
        # Ctrl-C during start-up.
        return 0


def _spin_nodes(factories: Sequence[NodeFactory], logger_name: str, executor: Executor,
                interrupted: _Interrupted) -> int:
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
        # A bounded wait returns to Python regularly, so a Ctrl-C is acted on in time.
        while rclpy.ok():
            executor.spin_once(timeout_sec=SPIN_WAIT_S)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # Ctrl-C can land while rclpy converts a message in C++, where the interrupt
        # surfaces as another exception (seen: RuntimeError from pybind11).
        if not interrupted.signal_received:
            raise
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # Stop the executor first, so no callback runs on a node being destroyed.
        executor.shutdown()
        for node in reversed(nodes):
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
