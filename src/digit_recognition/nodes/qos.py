"""Quality of service of every topic, in one place (the README's QoS table).

Publishers use the system default profile (RELIABLE, VOLATILE), as REP-2003 asks of
sensor drivers: then both ``rqt_image_view`` (which subscribes BEST_EFFORT) and
other users' default (RELIABLE) subscribers receive. History is short (KEEP_LAST 5):
a late frame is worth less than the next one.

Image subscribers default to RELIABLE, not the sensor-data profile. Measured on the
build machines, a 640x480 bgr8 image between two processes travels as UDP fragments
and a BEST_EFFORT subscriber lost a third to half of the frames at 30 fps, while a
RELIABLE one lost none; with KEEP_LAST the writer still drops stale frames instead of
blocking when a reader falls behind. The ``image_qos`` parameter selects
``sensor_data`` for the usual REP-2003 behaviour.
"""

from rclpy.qos import (
    DurabilityPolicy, HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy)

IMAGE_QOS_CHOICES = ('reliable', 'sensor_data')
"""Values of the nodes' ``image_qos`` parameter."""

RELIABLE_IMAGE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=5,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
"""Every image publisher (camera, preprocessor outputs, overlay), and the image
subscriptions when ``image_qos`` is ``reliable``."""

PREDICTION_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
"""``prediction`` and ``true_digit``: small messages that should all arrive."""

LATCHED_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
"""``roi`` and ``stable_digit``: published when they change; late subscribers get the
current value at once."""

DIAGNOSTICS_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
"""``/diagnostics``: what ROS's ``diagnostic_updater`` uses (depth 10, system default)."""


def image_subscription_qos(choice: str) -> QoSProfile:
    """Return the subscription profile for an ``image_qos`` parameter value."""
    if choice == 'sensor_data':
        return qos_profile_sensor_data
    if choice == 'reliable':
        return RELIABLE_IMAGE_QOS
    raise ValueError(f'image_qos must be one of {IMAGE_QOS_CHOICES}, got {choice!r}')
