"""Fixtures shared by the node tests."""

from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node


@pytest.fixture
def pipeline(ros_context):
    """Preprocessor and classifier nodes plus a test node, on one executor."""
    executor = SingleThreadedExecutor(context=ros_context)
    nodes = [PreprocessorNode(context=ros_context), ClassifierNode(context=ros_context),
             Node('test_driver', context=ros_context)]
    for node in nodes:
        executor.add_node(node)
    yield executor, nodes[0], nodes[1], nodes[2]
    executor.shutdown()
    for node in nodes:
        node.destroy_node()
