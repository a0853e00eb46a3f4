"""Wrong start-up parameters: one line naming node, parameter, value and what it takes.

Exit code 1, no traceback, nothing half-built. And the commonest slips that are not
wrong, an integer where a float or a string is declared, are accepted at start-up
and through ``set_parameters`` (what ``ros2 param set`` calls).
"""

import re
import subprocess
import sys

from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.parameters import StartupParameterError
from digit_recognition.vision.frame_sources import DemoSource
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from ros_test_utils import set_parameters

# (executable module, parameter, value as typed, words the message must contain)
WRONG = [
    ('preprocessor_node', 'threshold', '300', ['an integer from 0 to 255']),
    ('preprocessor_node', 'threshold', 'abc', ['an integer from 0 to 255']),
    ('preprocessor_node', 'threshold_mode', 'sometimes', ['fixed, otsu, adaptive']),
    ('preprocessor_node', 'image_qos', 'fast', ['auto, reliable, sensor_data']),
    ('camera_node', 'fps', 'abc', ['a number from 0.1 to 240.0']),
    ('camera_node', 'fps', '1000', ['240.0']),
    ('camera_node', 'width', '-5', ['0 to 7680']),
    ('camera_node', 'source', "''", ['source']),
    ('classifier_node', 'backend', 'onnx', ['keras, tflite']),
    ('classifier_node', 'batch_size', '2.5', ['1 to 64']),
    ('classifier_node', 'max_frame_gap', '-1', ['0.0 to 3600.0']),
    ('overlay_node', 'max_prediction_age', 'true', ['a number']),
    ('pipeline', 'fps', 'abc', ['camera', 'a number from 0.1 to 240.0']),
]


@pytest.mark.parametrize('module,parameter,value,accepts', WRONG,
                         ids=[f'{m}-{p}:={v}' for m, p, v, _ in WRONG])
def test_a_wrong_start_up_value_is_one_clear_line_and_exit_code_1(
        module, parameter, value, accepts):
    result = subprocess.run(
        [sys.executable, '-m', f'digit_recognition.nodes.{module}',
         '--ros-args', '-p', f'{parameter}:={value}'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert 'Traceback' not in result.stderr, result.stderr
    fatal = [line for line in result.stderr.splitlines() if 'FATAL' in line]
    assert len(fatal) == 1, result.stderr
    line = fatal[0]
    node = 'camera' if module == 'pipeline' else module[:-len('_node')]
    shown = value.strip("'")
    for word in [node, parameter, shown] + accepts:
        assert word in line, f'{word!r} missing from: {line}'


def test_integers_are_accepted_where_a_float_or_a_string_is_declared(ros_context):
    camera = CameraNode(frame_source=DemoSource(64, 48), context=ros_context,
                        parameter_overrides=[Parameter('fps', value=30),
                                             Parameter('source', value=0)])
    client = Node('param_client', context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    executor.add_node(camera)
    executor.add_node(client)
    try:
        assert camera.params['fps'] == 30.0 and isinstance(camera.params['fps'], float)
        assert camera.params['source'] == '0'
        # `ros2 param set /camera fps 15` sends an integer.
        results = set_parameters(executor, client, 'camera', {'fps': 15})
        assert results[0].successful, results[0].reason
        assert camera.params['fps'] == 15.0 and isinstance(camera.params['fps'], float)
        refused = set_parameters(executor, client, 'camera', {'fps': 500})
        assert not refused[0].successful and '240' in refused[0].reason
        refused = set_parameters(executor, client, 'camera', {'fps': 'fast'})
        assert not refused[0].successful
        assert camera.params['fps'] == 15.0
    finally:
        executor.shutdown()
        client.destroy_node()
        camera.destroy_node()


def test_a_refused_start_up_value_leaves_no_node_behind(ros_context):
    with pytest.raises(StartupParameterError, match=re.escape('fps')):
        CameraNode(frame_source=DemoSource(64, 48), context=ros_context,
                   parameter_overrides=[Parameter('fps', value='fast')])
    probe = Node('probe', context=ros_context)
    try:
        names = [name for name, _ in probe.get_node_names_and_namespaces()]
        assert 'camera' not in names
    finally:
        probe.destroy_node()
