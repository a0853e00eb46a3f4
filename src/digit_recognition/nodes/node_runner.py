"""The ``main()`` of every node and of the one-process pipeline.

Humble-compatible shape (as ros2/demos): ``rclpy.init``; build the nodes; spin;
Ctrl-C and external shutdown end quietly with exit code 0; nodes are destroyed and
rclpy shut down in ``finally``. A node that cannot start (missing or corrupt model,
invalid start-up parameter) is logged as fatal and the process exits with 1.
"""

from collections.abc import Callable, Sequence
import ctypes
import faulthandler
import signal

import cv2
from digit_recognition.vision.frame_sources import SourceUnavailableError
from digit_recognition.vision.inference import ModelLoadError
import rclpy
from rclpy.context import Context
from rclpy.executors import (
    Executor, ExternalShutdownException, SingleThreadedExecutor)
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

NodeFactory = Callable[[], Node]

STARTUP_ERRORS = (ModelLoadError, ValueError, SourceUnavailableError)
"""Errors that mean a node cannot start: fatal log, exit code 1."""

WARN_PERIOD_S = 5.0
"""Shortest interval between two repeats of one throttled warning of a node."""

SPIN_WAIT_S = 0.1
"""Longest wait for work before the spin loop checks for Ctrl-C (its reaction time)."""

# glibc mallopt() parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
IMAGE_ALLOCATION_LIMIT = 16 * 2**20
"""Buffers up to this size (a 16 MB frame: 2560x2048 bgr8) are reused, not unmapped."""


def keep_image_memory() -> bool:
    """Make glibc's malloc keep freed image-sized buffers for reuse in this process.

    Every frame allocates buffers of about a megabyte (decoded image, message data,
    their conversions) and frees them again. With glibc's defaults such a buffer is
    either its own ``mmap`` (unmapped when freed) or the top of the heap (trimmed when
    freed), so the next frame's buffer is faulted in page by page from the kernel:
    hundreds of page faults and a large share of system CPU per frame, varying from
    process to process with its heap layout. Fixed thresholds above the frame size
    keep the memory in the heap (``make bench`` shows the CPU per frame).

    Returns:
        True where the thresholds were set (glibc), False elsewhere.

    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, IMAGE_ALLOCATION_LIMIT)
                and mallopt(_M_TRIM_THRESHOLD, 2 * IMAGE_ALLOCATION_LIMIT))


def keep_opencv_on_one_thread() -> None:
    """Run OpenCV's functions on the calling thread, without its pool of worker threads.

    The nodes' images are small (a 640x480 frame, a 200x200 region of interest): split
    over a pool, each call's share is a few microseconds of work, and the pool's
    workers keep spinning for a while after every call, waiting for the next one. That
    costs CPU no frame needs (``make bench``'s CPU per frame shows it) and, on a busy
    machine, takes a core from the other nodes. Frames still run in parallel where the
    nodes run in processes of their own.
    """
    cv2.setNumThreads(1)


STACK_DUMP_SIGNAL = signal.SIGUSR1
"""``kill -USR1 <pid>`` makes a node process print every thread's Python stack to stderr."""


def dump_stacks_on_signal() -> None:
    """Print every thread's Python stack to stderr on :data:`STACK_DUMP_SIGNAL`.

    A node that stops answering (stuck in a middleware call, say) then shows where it
    waits, in its log, without a debugger on the robot; the process goes on running.
    The tests send it to a process that does not stop before they kill it.
    """
    faulthandler.register(STACK_DUMP_SIGNAL, all_threads=True)


def prepare_process() -> None:
    """Set up a process that runs nodes (memory, OpenCV threads, stack dumps; see those)."""
    keep_image_memory()
    keep_opencv_on_one_thread()
    dump_stacks_on_signal()


EXECUTORS = ('auto', 'events', 'single')
"""Executor kinds for the nodes of one process (see :func:`make_executor`)."""


def events_executor_class() -> Callable[..., Executor] | None:
    """Return rclpy's C++ ``EventsExecutor``, or None where rclpy lacks it.

    It is in ``rclpy.experimental`` from Kilted on; Humble and Jazzy have only the
    Python executors.
    """
    try:
        from rclpy.experimental.events_executor import EventsExecutor
    except ImportError:
        return None
    return EventsExecutor


def make_executor(kind: str = 'auto', context: Context | None = None) -> Executor:
    """Return the executor that spins the nodes of one process.

    ``auto`` (the default) is ``events`` where rclpy has it, else ``single``.
    ``events`` is rclpy's ``EventsExecutor``, which waits and dispatches in C++. The
    Python executors rebuild, in Python, a wait set of every subscription, timer,
    service and QoS event handler of every node on each wake-up, and wake up more
    than once per callback; per camera frame that costs more CPU than preprocessing
    the frame (``make bench`` measures both).
    ``single`` is a ``SingleThreadedExecutor`` (what Humble and Jazzy get).
    rclpy's ``MultiThreadedExecutor`` is not offered: its spin thread does not wait
    while callbacks it handed to its pool are pending (rclpy issue #1452); with it the
    four nodes took a whole core and handled fewer than half of the camera's frames at
    30 fps (doc/performance-log.md, 2026-12-04).

    Raises:
        ValueError: for an unknown kind, or ``events`` where rclpy lacks it.

    """
    if kind not in EXECUTORS:
        raise ValueError(f'executor must be one of {EXECUTORS}, got {kind!r}')
    events = events_executor_class()
    if kind == 'auto':
        kind = 'single' if events is None else 'events'
    if kind == 'events':
        if events is None:
            raise ValueError('executor events needs rclpy.experimental.EventsExecutor '
                             '(ROS 2 Kilted or newer)')
        return events(context=context)
    return SingleThreadedExecutor(context=context)


class _Interrupted:
    """Python-level Ctrl-C / SIGTERM handling that remembers a signal arrived.

    During start-up the signal raises KeyboardInterrupt. While spinning it only sets
    :attr:`signal_received`, which the spin loop checks after every ``spin_once``: raised
    inside a callback, the interrupt would be caught and logged as the callback's
    failure by rclpy's C++ EventsExecutor, and surface as other exceptions where
    rclpy converts a message in C++.
    """

    def __init__(self) -> None:
        self.signal_received = False
        self.spinning = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._raise)
        # launch escalates to SIGTERM when SIGINT was not enough.
        signal.signal(signal.SIGTERM, self._raise)

    def _raise(self, signum: int, frame: object) -> None:
        self.signal_received = True
        if not self.spinning:
            raise KeyboardInterrupt


def run_nodes(factories: Sequence[NodeFactory], args: list[str] | None = None,
              logger_name: str = 'digit_recognition', executor_kind: str = 'auto') -> int:
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
    prepare_process()
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
    nodes: list[Node] = []
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
        interrupted.spinning = True
        while rclpy.ok() and not interrupted.signal_received:
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
