"""Helpers for tests that run real nodes over DDS: spinning until something arrives."""

import time
from typing import Callable

from rcl_interfaces.srv import SetParameters
from rclpy.executors import Executor
from rclpy.node import Node
from rclpy.parameter import Parameter


def spin_until(executor: Executor, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Spin ``executor`` until ``condition()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        executor.spin_once(timeout_sec=0.05)
    return True


def wait_for_subscribers(executor: Executor, publisher, count: int = 1,
                         timeout: float = 20.0) -> None:
    """Spin until ``publisher`` is matched by ``count`` subscriptions (discovery)."""
    assert spin_until(executor, lambda: publisher.get_subscription_count() >= count, timeout), \
        f'no subscriber matched {publisher.topic_name}'


def set_parameters(executor: Executor, client_node: Node, node_name: str,
                   values: dict) -> list:
    """Call ``/<node_name>/set_parameters`` (what ``ros2 param set`` calls).

    Returns:
        The ``SetParametersResult`` list of the service response.

    """
    client = client_node.create_client(SetParameters, f'/{node_name}/set_parameters')
    assert spin_until(executor, client.service_is_ready), 'set_parameters service not found'
    request = SetParameters.Request()
    request.parameters = [Parameter(name, value=value).to_parameter_msg()
                          for name, value in values.items()]
    future = client.call_async(request)
    assert spin_until(executor, future.done), 'set_parameters did not answer'
    client_node.destroy_client(client)
    return list(future.result().results)
