"""Launch test: the real launch file on the demo source publishes predictions.

Runs where ``launch_testing`` is installed (any ROS 2 install, e.g. the Jetson:
``colcon test --packages-select digit_recognition``); skipped on the PyPI-wheel build
machines, where test_nodes.py and test_launch_consistency.py cover the same ground.
"""

import os
import time
import unittest

from ament_index_python.packages import get_package_share_directory
from digit_interfaces.msg import DigitPrediction
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
import rclpy

try:
    import launch
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    import launch_testing.actions
except ImportError:
    pytest.skip('launch_testing is not installed (ROS 2 from PyPI wheels)',
                allow_module_level=True)


@pytest.mark.launch_test
def generate_test_description():
    launch_file = os.path.join(get_package_share_directory('digit_recognition'), 'launch',
                               'digit_recognition.launch.py')
    return launch.LaunchDescription([
        IncludeLaunchDescription(PythonLaunchDescriptionSource(launch_file),
                                 launch_arguments={'source': 'demo'}.items()),
        launch_testing.actions.ReadyToTest(),
    ])


class TestDigitRecognitionLaunch(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node('launch_test_client')

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.shutdown()

    def spin_until(self, condition, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.1)
        return condition()

    def test_predictions_arrive(self):
        predictions = []
        self.node.create_subscription(DigitPrediction, 'prediction', predictions.append, 10)
        self.assertTrue(self.spin_until(lambda: len(predictions) >= 3))
        self.assertEqual(predictions[-1].frame_count, 5)

    def set_threshold(self, value):
        client = self.node.create_client(SetParameters, '/preprocessor/set_parameters')
        self.assertTrue(client.wait_for_service(timeout_sec=30.0))
        request = SetParameters.Request(parameters=[Parameter(
            name='threshold',
            value=ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value))])
        future = client.call_async(request)
        self.assertTrue(self.spin_until(future.done, timeout=10.0))
        return future.result().results[0]

    def test_threshold_is_dynamic_and_range_checked(self):
        self.assertTrue(self.set_threshold(90).successful)
        rejected = self.set_threshold(300)
        self.assertFalse(rejected.successful)
        self.assertIn('255', rejected.reason)
