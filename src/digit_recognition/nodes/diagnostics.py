"""A node's health on ``/diagnostics`` once a second (``diagnostic_msgs/DiagnosticArray``).

The node keeps a :class:`~digit_recognition.vision.health.FlowMonitor` and gives
:class:`DiagnosticsPublisher` a callable returning its
:class:`~digit_recognition.vision.health.HealthReport`. Each status is named
``"<node name>: <task>"`` as ROS's ``diagnostic_updater`` names them, so
``ros2 topic echo /diagnostics``, ``diagnostic_aggregator`` and rqt_robot_monitor read
it as they read any driver's. (``diagnostic_updater`` itself is not on PyPI, so the
few lines it would save are written here, one code path on every install.)
"""

from collections.abc import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from digit_recognition.nodes.qos import DIAGNOSTICS_QOS
from digit_recognition.vision.health import HealthReport
from rclpy.clock import Clock, ClockType
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node
from std_msgs.msg import Header

DIAGNOSTICS_TOPIC = '/diagnostics'
"""Absolute, as every ROS driver publishes it."""

DIAGNOSTICS_PERIOD_S = 1.0
"""Seconds between two reports (diagnostic_updater's default)."""

WARN_PERIOD_S = 10.0


def status_message(name: str, report: HealthReport, hardware_id: str = '') -> DiagnosticStatus:
    """Return the ``DiagnosticStatus`` of one report."""
    return DiagnosticStatus(
        level=bytes([int(report.level)]), name=name, message=report.message,
        hardware_id=hardware_id,
        values=[KeyValue(key=key, value=value) for key, value in report.values.items()])


class DiagnosticsPublisher:
    """Publishes one node's status on ``/diagnostics`` every second."""

    def __init__(self, node: Node, task: str, report: Callable[[], HealthReport],
                 hardware_id: str = '') -> None:
        """Start publishing ``report()`` as the status ``"<node name>: <task>"``.

        The timer runs on the steady clock, so the reports keep coming under
        ``use_sim_time`` while no ``/clock`` is published (a stalled bag is news too).
        """
        self._node = node
        self._report = report
        self.name = f'{node.get_name()}: {task}'
        self.hardware_id = hardware_id
        self._publisher = node.create_publisher(DiagnosticArray, DIAGNOSTICS_TOPIC,
                                                DIAGNOSTICS_QOS)
        self._timer = node.create_timer(DIAGNOSTICS_PERIOD_S, self.publish,
                                        clock=Clock(clock_type=ClockType.STEADY_TIME))

    def publish(self) -> None:
        """Publish the current status now."""
        status = status_message(self.name, self._report(), self.hardware_id)
        array = DiagnosticArray(header=Header(stamp=self._node.get_clock().now().to_msg()),
                                status=[status])
        try:
            self._publisher.publish(array)
        except _rclpy.RCLError as error:
            self._node.get_logger().warning(f'could not publish diagnostics: {error}',
                                            throttle_duration_sec=WARN_PERIOD_S)
