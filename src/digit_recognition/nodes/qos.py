"""Quality of service of every topic, in one place (the README's QoS table).

Publishers use the system default profile (RELIABLE, VOLATILE), as REP-2003 asks of
sensor drivers: then both ``rqt_image_view`` (which subscribes BEST_EFFORT) and
other users' default (RELIABLE) subscribers receive. History is short (KEEP_LAST 5):
a late frame is worth less than the next one.

Image subscribers (``image_qos``, default ``auto``) match the publishers: RELIABLE
while all of them offer RELIABLE, BEST_EFFORT when one offers only that
(:mod:`digit_recognition.nodes.image_subscription`). A 640x480 frame between two
processes travels as UDP fragments unless the launch file's Fast DDS profile is used,
and a BEST_EFFORT reader then loses most of a RELIABLE camera's frames (measured:
README, QoS, ``python -m digit_recognition.tools.bench_qos``). ``reliable`` and
``sensor_data`` fix the choice.
"""

from rclpy.qos import (
    DurabilityPolicy, HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy)

IMAGE_QOS_CHOICES = ('auto', 'reliable', 'sensor_data')
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


def image_subscription_qos(choice: str, publishers_best_effort: bool = False) -> QoSProfile:
    """Return the subscription profile for an ``image_qos`` parameter value.

    ``auto`` is RELIABLE unless ``publishers_best_effort`` (some publisher of the topic
    offers only BEST_EFFORT); see :mod:`digit_recognition.nodes.image_subscription`.
    """
    if choice == 'sensor_data' or (choice == 'auto' and publishers_best_effort):
        return qos_profile_sensor_data
    if choice in ('reliable', 'auto'):
        return RELIABLE_IMAGE_QOS
    raise ValueError(f'image_qos must be one of {IMAGE_QOS_CHOICES}, got {choice!r}')
