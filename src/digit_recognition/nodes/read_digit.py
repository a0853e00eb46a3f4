"""The ``read_digit`` service: wait for the next stable digit without stalling the node.

A ``read_digit`` call waits up to its ``timeout_s`` for a stable reading, while the
classifier goes on predicting on its own executor (single-threaded by default, see
:mod:`digit_recognition.nodes.node_runner`). rclpy answers a service with the return
value of its callback; on Humble an ``async`` callback that awaits is resumed by the
executor on every turn (a busy loop while it waits, rclpy issue #1405), and a callback
that blocks stops every other callback of its executor. So the service lives on a
small helper node, ``<node>_read_digit``, spun by an executor on a thread of its own:
its callbacks block on :class:`~digit_recognition.vision.stability.StableReadings`
(no CPU while waiting) until the classifier's thread confirms a reading.
"""

import math
import threading

from digit_interfaces.msg import DigitPrediction
from digit_interfaces.srv import ReadDigit
from digit_recognition.vision.stability import StableReadings
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node

MAX_CONCURRENT_READS = 8
"""Calls answered in parallel; further calls wait for a free thread."""

SHUTDOWN_WAIT_S = 5.0


class ReadDigitServer:
    """Serves ``read_digit`` for ``node`` from readings the node confirms."""

    def __init__(self, node: Node, readings: 'StableReadings[DigitPrediction]',
                 service_name: str = 'read_digit') -> None:
        """Create the helper node and its thread.

        Args:
            node: the node whose namespace and remappings name the service.
            readings: where ``node`` confirms stable readings.
            service_name: relative to ``node`` (remappable as the node's own names).

        """
        self._readings = readings
        # Calls inside _on_request; close() waits for them to finish before it destroys
        # the node (jazzy's Executor.shutdown does not wait for running callbacks).
        self._in_flight = 0
        self._idle = threading.Condition()
        self.service_name = node.resolve_service_name(service_name)
        # Global arguments would rename this node to the classifier's name too
        # (`-r __node:=...` applies to every node of the process).
        self.node = Node(f'{node.get_name()}_read_digit', namespace=node.get_namespace(),
                         context=node.context, use_global_arguments=False,
                         start_parameter_services=False)
        self.node.create_service(ReadDigit, self.service_name, self._on_request,
                                 callback_group=ReentrantCallbackGroup())
        self._executor = MultiThreadedExecutor(num_threads=MAX_CONCURRENT_READS,
                                               context=node.context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, daemon=True,
                                        name=f'{node.get_name()} read_digit')
        self._thread.start()

    def _on_request(self, request: ReadDigit.Request,
                    response: ReadDigit.Response) -> ReadDigit.Response:
        with self._idle:
            self._in_flight += 1
        try:
            return self._answer(request, response)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _answer(self, request: ReadDigit.Request,
                response: ReadDigit.Response) -> ReadDigit.Response:
        timeout_s = float(request.timeout_s)
        if not math.isfinite(timeout_s) or timeout_s <= 0.0:
            response.success = False
            response.message = f'timeout_s must be a positive number of seconds, got {timeout_s}'
            return response
        wanted = 'reading' if request.allow_no_digit else 'digit'
        reading = self._readings.wait_next(
            timeout_s, lambda prediction: (request.allow_no_digit
                                           or prediction.digit != DigitPrediction.NO_DIGIT))
        if reading is None:
            response.success = False
            response.message = ('the node is shutting down' if self._readings.closed
                                else f'no stable {wanted} within {timeout_s:g} s')
            return response
        response.success = True
        response.prediction = reading
        response.message = ('no digit' if reading.digit == DigitPrediction.NO_DIGIT
                            else f'digit {reading.digit}')
        return response

    @property
    def waiting(self) -> int:
        """Calls waiting for a stable reading now."""
        return self._readings.waiting

    def close(self) -> None:
        """Answer waiting calls, stop the thread and destroy the helper node."""
        self._readings.close()
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, SHUTDOWN_WAIT_S)
        self._executor.shutdown(timeout_sec=SHUTDOWN_WAIT_S)
        self._thread.join(SHUTDOWN_WAIT_S)
        self.node.destroy_node()
