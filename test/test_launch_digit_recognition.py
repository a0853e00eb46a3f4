"""Launch test: the real launch file, arguments typed as in the README, every exit code.

Runs once per arrangement (the default, one process, and one process per node): the
same predictions, parameters and clean exits either way.

Runs where ``launch_testing`` is installed (any ROS 2 install, e.g. the Jetson:
``launch_test test/test_launch_digit_recognition.py`` or ``colcon test``); skipped on the
PyPI-wheel build machines, where test_launch_arguments.py tests the argument conversion
and test_launch_consistency.py the launch file's structure.
"""

import os
import time
import unittest

from ament_index_python.packages import get_package_share_directory
from digit_interfaces.msg import DigitPrediction
from digit_interfaces.srv import ReadDigit
from digit_recognition.nodes.launch_arguments import (
    ARRANGEMENTS, NODE_NAMES, ONE_PROCESS, PIPELINE_EXECUTABLE)
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
import rclpy

try:
    import launch
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    import launch_testing
    import launch_testing.actions
    import launch_testing.asserts
except ImportError:
    pytest.skip('launch_testing is not installed (ROS 2 from PyPI wheels)',
                allow_module_level=True)

# As a user types them: every value is a string.
LAUNCH_ARGUMENTS = {'source': 'demo', 'threshold': '90', 'batch_size': '3'}


@pytest.mark.launch_test
@launch_testing.parametrize('arrangement', ARRANGEMENTS)
def generate_test_description(arrangement):
    launch_file = os.path.join(get_package_share_directory('digit_recognition'), 'launch',
                               'digit_recognition.launch.py')
    arguments = dict(LAUNCH_ARGUMENTS)
    if arrangement != ONE_PROCESS:
        arguments['arrangement'] = arrangement  # the default goes untyped, as users run it
    return launch.LaunchDescription([
        IncludeLaunchDescription(PythonLaunchDescriptionSource(launch_file),
                                 launch_arguments=arguments.items()),
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

    def spin_until(self, condition, timeout=90.0):
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.1)
        return condition()

    def call(self, service_type, name, request):
        client = self.node.create_client(service_type, name)
        self.assertTrue(client.wait_for_service(timeout_sec=60.0), name)
        future = client.call_async(request)
        self.assertTrue(self.spin_until(future.done, timeout=30.0), name)
        return future.result()

    def test_predictions_arrive_in_batches_of_the_launch_argument(self):
        predictions = []
        self.node.create_subscription(DigitPrediction, 'prediction', predictions.append, 10)
        self.assertTrue(self.spin_until(lambda: len(predictions) >= 3))
        self.assertEqual([p.frame_count for p in predictions[:3]], [3, 3, 3])

    def test_read_digit_answers_with_a_digit_held_up(self):
        response = self.call(ReadDigit, 'read_digit',
                             ReadDigit.Request(timeout_s=20.0, allow_no_digit=False))
        self.assertTrue(response.success, response.message)
        self.assertNotEqual(response.prediction.digit, DigitPrediction.NO_DIGIT)
        self.assertEqual(response.prediction.header.frame_id, 'camera_optical_frame')

    def get_threshold(self):
        result = self.call(GetParameters, '/preprocessor/get_parameters',
                           GetParameters.Request(names=['threshold', 'threshold_mode']))
        return result.values

    def set_threshold(self, value):
        request = SetParameters.Request(parameters=[Parameter(
            name='threshold',
            value=ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value))])
        return self.call(SetParameters, '/preprocessor/set_parameters', request).results[0]

    def test_typed_threshold_arrives_as_an_integer_then_is_dynamic_and_range_checked(self):
        threshold, mode = self.get_threshold()
        self.assertEqual(threshold.type, ParameterType.PARAMETER_INTEGER)
        self.assertEqual(threshold.integer_value, 90)
        self.assertEqual(mode.string_value, 'fixed')
        self.assertTrue(self.set_threshold(100).successful)
        rejected = self.set_threshold(300)
        self.assertFalse(rejected.successful)
        self.assertIn('255', rejected.reason)
        self.assertEqual(self.get_threshold()[0].integer_value, 100)


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):

    def test_every_process_ran_and_exited_cleanly(self, proc_info, arrangement):
        started = sorted(name.rsplit('-', 1)[0] for name in proc_info.process_names())
        expected = [PIPELINE_EXECUTABLE] if arrangement == ONE_PROCESS else NODE_NAMES
        self.assertEqual(started, sorted(expected))
        launch_testing.asserts.assertExitCodes(proc_info)
