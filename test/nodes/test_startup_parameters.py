"""Wrong start-up parameters: one line naming node, parameter, value and what it takes.

Exit code 1, no traceback, nothing half-built. And the commonest slips that are not
wrong, an integer where a float or a string is declared, are accepted at start-up
and through ``set_parameters`` (what ``ros2 param set`` calls).
"""

import re
import subprocess
import sys

from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.parameters import StartupParameterError
from digit_recognition.vision.frame_sources import DemoSource
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from ros_test_utils import set_parameters

SPECS = {module: {spec.name: spec for spec in parameters} for module, parameters in (
    ('camera_node', camera_node.PARAMETERS), ('preprocessor_node', preprocessor_node.PARAMETERS),
    ('classifier_node', classifier_node.PARAMETERS), ('overlay_node', overlay_node.PARAMETERS),
    ('pipeline', camera_node.PARAMETERS))}

# (executable module, parameter, value as typed)
WRONG = [
    ('preprocessor_node', 'threshold', '300'),
    ('preprocessor_node', 'threshold', 'abc'),
    ('preprocessor_node', 'threshold_mode', 'sometimes'),
    ('preprocessor_node', 'image_qos', 'fast'),
    ('camera_node', 'fps', 'abc'),
    ('camera_node', 'fps', '5000'),
    ('camera_node', 'width', '-5'),
    ('classifier_node', 'backend', 'onnx'),
    ('classifier_node', 'batch_size', '2.5'),
    ('classifier_node', 'max_batch_age', '-1'),
    ('overlay_node', 'max_prediction_age', 'true'),
    ('pipeline', 'fps', 'abc'),
]


@pytest.mark.parametrize('module,parameter,value', WRONG,
                         ids=[f'{m}-{p}:={v}' for m, p, v in WRONG])
def test_a_wrong_start_up_value_is_one_clear_line_and_exit_code_1(module, parameter, value):
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
    for word in (node, parameter, value, SPECS[module][parameter].accepted):
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
        too_fast = int(camera_node.PARAMETERS[3].max_value) + 1
        assert camera_node.PARAMETERS[3].name == 'fps'
        refused = set_parameters(executor, client, 'camera', {'fps': too_fast})
        assert not refused[0].successful and str(too_fast) in refused[0].reason
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
