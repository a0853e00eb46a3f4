"""``ros2 run digit_recognition pipeline`` options become the right parameter overrides."""

import argparse

from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.launch_arguments import plan_launch
from digit_recognition.nodes.pipeline import (
    default_params_file, node_factories, overrides_from_arguments, parse_arguments,
    parse_overrides)
import pytest


def overrides(*argv):
    return overrides_from_arguments(parse_arguments(list(argv)))


def test_no_options_override_nothing():
    assert overrides() == {'camera': {}, 'preprocessor': {}, 'classifier': {}}


def test_source_and_backend():
    result = overrides('--source', 'demo', '--backend', 'keras')
    assert result['camera'] == {'source': 'demo'}
    assert result['classifier'] == {'backend': 'keras'}


def test_a_threshold_alone_means_the_fixed_mode():
    assert overrides('--threshold', '90')['preprocessor'] == {
        'threshold': 90, 'threshold_mode': 'fixed'}


def test_an_explicit_mode_wins():
    assert overrides('--threshold', '90', '--threshold-mode', 'otsu')['preprocessor'] == {
        'threshold': 90, 'threshold_mode': 'otsu'}


def test_overrides_json_is_merged_and_named_options_win():
    result = overrides('--overrides', '{"classifier": {"batch_size": 3}, '
                       '"overlay": {"image_qos": "sensor_data"}}', '--backend', 'keras')
    assert result['classifier'] == {'batch_size': 3, 'backend': 'keras'}
    assert result['overlay'] == {'image_qos': 'sensor_data'}


@pytest.mark.parametrize('text', ['not json', '[1, 2]', '{"camra": {"source": "demo"}}',
                                  '{"camera": "demo"}'])
def test_malformed_overrides_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_overrides(text)


def test_launch_files_one_process_arguments_become_the_launch_arguments_overrides():
    """The launch file's one-process plan reaches each node as its typed overrides."""
    rules = {'camera': camera_node.PARAMETERS, 'preprocessor': preprocessor_node.PARAMETERS,
             'classifier': classifier_node.PARAMETERS, 'overlay': overlay_node.PARAMETERS}
    plan = plan_launch({'params_file': default_params_file(), 'source': '0', 'threshold': '90',
                        'batch_size': '3', 'image_qos': 'sensor_data'}, rules)
    (process,) = plan.processes
    options = parse_arguments(list(process.arguments))
    assert options.params_file == plan.params_file
    assert options.camera is True
    result = overrides_from_arguments(options)
    assert {node: values for node, values in result.items() if values} == {
        node: values for node, values in plan.parameters.items() if values}
    assert result['camera'] == {'source': '0'}


def test_no_camera_leaves_the_camera_node_out(ros_context):
    options = parse_arguments(['--no-camera'])
    assert options.camera is False
    nodes = [factory() for factory in node_factories(
        {'classifier': {'batch_size': 3}}, camera=options.camera, context=ros_context)]
    try:
        assert [node.get_name() for node in nodes] == ['preprocessor', 'classifier', 'overlay']
        assert nodes[1].get_parameter('batch_size').value == 3
    finally:
        for node in nodes:
            node.destroy_node()
