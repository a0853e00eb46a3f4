"""A publisher whose failed publish is counted and logged, never raised.

A RELIABLE writer whose readers lag far behind (a remote viewer on a slow link) can
have a publish refused by the middleware (``RCLError``). Raised from a callback, that
would end the node, and in the one-process pipeline all four nodes: the message is
lost instead, the failure counted, and a throttled warning logged.
"""

from typing import Any

from digit_recognition.nodes.node_runner import WARN_PERIOD_S
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile


class GuardedPublisher:
    """Wraps ``node.create_publisher(...)``; :meth:`publish` never raises for a reader."""

    def __init__(self, node: Node, msg_type: Any, topic: str, qos: QoSProfile) -> None:
        """Create the publisher on ``node``."""
        self._node = node
        self.publisher = node.create_publisher(msg_type, topic, qos)
        self.failures = 0
        """Publishes the middleware refused."""

    @property
    def topic_name(self) -> str:
        """The fully qualified topic name."""
        return self.publisher.topic_name

    def get_subscription_count(self) -> int:
        """Return the number of matched subscriptions."""
        return self.publisher.get_subscription_count()

    def publish(self, msg: Any) -> bool:
        """Publish ``msg``; return False (counted, warned) if the middleware refused it."""
        try:
            self.publisher.publish(msg)
        except _rclpy.RCLError as error:
            self.failures += 1
            self._node.get_logger().warning(
                f'could not publish on {self.topic_name} ({self.failures} lost so far): '
                f'{str(error).strip()}', throttle_duration_sec=WARN_PERIOD_S)
            return False
        return True
