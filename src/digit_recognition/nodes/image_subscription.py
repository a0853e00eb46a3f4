"""An image subscription that receives from RELIABLE and BEST_EFFORT publishers alike.

A RELIABLE subscription gets nothing from a BEST_EFFORT publisher (many camera
drivers, sensor-data bags): "incompatible QoS" and a silently dead pipeline. A
BEST_EFFORT one matches both, but between processes it loses most 640x480 frames of
a RELIABLE publisher unless the launch file's Fast DDS profile puts them in shared
memory (README, QoS). So with ``image_qos: auto`` (the default) the subscription does
what ``ros2 topic echo`` does at start, and keeps doing it: RELIABLE while every
publisher of the topic offers RELIABLE, BEST_EFFORT as soon as one offers only
BEST_EFFORT, re-created when that changes.
"""

from collections.abc import Callable
from typing import Any

from digit_recognition.nodes.qos import image_subscription_qos
from rclpy.node import Node
from rclpy.qos import ReliabilityPolicy
from rclpy.subscription import Subscription

MATCH_CHECK_PERIOD_S = 1.0
"""How often ``auto`` looks at the topic's publishers."""


class ImageSubscription:
    """Subscribes ``topic`` with the QoS that the ``image_qos`` choice asks for."""

    def __init__(self, node: Node, msg_type: Any, topic: str,
                 callback: Callable[[Any], None], choice: str) -> None:
        """Subscribe now; with ``choice`` ``auto``, follow the publishers from then on."""
        self._node = node
        self._msg_type = msg_type
        self._topic = topic
        self._callback = callback
        self._choice = choice
        self._best_effort = False
        self.subscription: Subscription | None = node.create_subscription(
            msg_type, topic, callback, image_subscription_qos(choice))
        self._timer = None
        if choice == 'auto':
            self._match_publishers()
            self._timer = node.create_timer(MATCH_CHECK_PERIOD_S, self._match_publishers)

    @property
    def best_effort(self) -> bool:
        """True while the subscription is BEST_EFFORT."""
        return self.subscription.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT

    def _match_publishers(self) -> None:
        publishers = self._node.get_publishers_info_by_topic(self.subscription.topic_name)
        best_effort = any(info.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT
                          for info in publishers)
        if best_effort == self.best_effort:
            return
        self._node.get_logger().info(
            f'{self.subscription.topic_name}: subscribing '
            f'{"BEST_EFFORT (a publisher offers only that)" if best_effort else "RELIABLE"}')
        self._node.destroy_subscription(self.subscription)
        self.subscription = self._node.create_subscription(
            self._msg_type, self._topic, self._callback,
            image_subscription_qos(self._choice, publishers_best_effort=best_effort))

    def destroy(self) -> None:
        """Unsubscribe and stop following the publishers."""
        if self._timer is not None:
            self._node.destroy_timer(self._timer)
        self._node.destroy_subscription(self.subscription)
