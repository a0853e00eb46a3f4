"""Launch arguments as a user types them: converted, checked, and refused with one line.

The launch file calls these functions with the nodes' real parameter tables; here they
run without ``launch`` (not installable on the build machines).
"""

import json
import os
from pathlib import Path
import signal

from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.launch_arguments import (
    declared_arguments, DEFAULT_ARRANGEMENT, fastdds_major_version, fastdds_profile_environment,
    FASTDDS_VARIABLE, FASTRTPS_VARIABLE, LaunchArgumentError, markdown_table, NODE_NAMES,
    ONE_PROCESS, PARAMETER_ARGUMENTS, PIPELINE_EXECUTABLE, plan_launch, ProcessPlan,
    profile_variable, required_process_failure)
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PARAMS_FILE = str(REPO_ROOT / 'config' / 'digit_recognition.yaml')
SHIPPED_PROFILE = str(REPO_ROOT / 'config' / 'fastdds_large_images.xml')
RULES = {
    'camera': camera_node.PARAMETERS,
    'preprocessor': preprocessor_node.PARAMETERS,
    'classifier': classifier_node.PARAMETERS,
    'overlay': overlay_node.PARAMETERS,
}


def typed(**arguments: str) -> dict:
    """Return every declared argument at its default, with ``arguments`` as typed."""
    values = {argument.name: argument.default for argument in declared_arguments(RULES)}
    values['params_file'] = PARAMS_FILE
    values.update(arguments)
    return values


def test_defaults_start_the_four_nodes_with_the_parameters_file_alone():
    plan = plan_launch(typed(), RULES)
    assert plan.nodes == NODE_NAMES
    assert plan.parameters == {name: {} for name in NODE_NAMES}
    assert plan.params_file == PARAMS_FILE
    assert plan.remappings == ()
    assert plan.rqt is False
    assert plan.overlay_topic == '/overlay'


def test_default_arrangement_is_the_pipeline_with_the_parameters_file_alone():
    plan = plan_launch(typed(), RULES)
    assert DEFAULT_ARRANGEMENT == ONE_PROCESS
    assert plan.arrangement == ONE_PROCESS
    assert plan.processes == (
        ProcessPlan(PIPELINE_EXECUTABLE, arguments=('--params-file', PARAMS_FILE)),)


def pipeline_overrides(plan) -> dict:
    """Return the JSON overrides the plan's one pipeline process is given ({} if none)."""
    (process,) = plan.processes
    arguments = list(process.arguments)
    if '--overrides' not in arguments:
        return {}
    return json.loads(arguments[arguments.index('--overrides') + 1])


def test_one_process_passes_each_nodes_typed_overrides_to_the_pipeline():
    plan = plan_launch(typed(source='0', threshold='90', batch_size='3',
                             image_qos='sensor_data'), RULES)
    overrides = pipeline_overrides(plan)
    assert overrides == {node: values for node, values in plan.parameters.items() if values}
    # JSON keeps the types: a numeric-looking source stays a string, a threshold an int.
    assert overrides['camera'] == {'source': '0'}
    assert type(overrides['preprocessor']['threshold']) is int
    assert overrides['overlay'] == {'image_qos': 'sensor_data'}
    assert plan.processes[0].node_name == ''


def test_one_process_without_camera_leaves_the_camera_out_of_the_pipeline():
    plan = plan_launch(typed(arrangement='one_process', use_camera='false', source='demo',
                             batch_size='2', image_topic='/camera/image_raw'), RULES)
    (process,) = plan.processes
    assert process.arguments[-1] == '--no-camera'
    assert pipeline_overrides(plan) == {'classifier': {'batch_size': 2}}
    assert plan.remappings == (('image_raw', '/camera/image_raw'),)


def test_process_per_node_starts_each_node_by_name_with_its_overrides():
    plan = plan_launch(typed(arrangement='process_per_node', threshold='90', batch_size='3'),
                       RULES)
    assert [(p.executable, p.node_name, p.arguments) for p in plan.processes] == [
        (name, name, ()) for name in NODE_NAMES]
    assert {p.node_name: dict(p.parameters) for p in plan.processes} == plan.parameters
    without_camera = plan_launch(typed(arrangement='process_per_node', use_camera='false'),
                                 RULES)
    assert [p.node_name for p in without_camera.processes] == list(NODE_NAMES[1:])


def test_an_unknown_arrangement_is_refused_with_one_line():
    with pytest.raises(LaunchArgumentError) as error:
        plan_launch(typed(arrangement='container'), RULES)
    assert str(error.value) == ('launch argument arrangement:=container is not valid: '
                                'one_process or process_per_node')


def test_readme_example_is_converted_to_typed_parameters():
    plan = plan_launch(typed(source='demo', threshold='90', batch_size='3'), RULES)
    assert plan.parameters['camera'] == {'source': 'demo'}
    # A threshold alone selects the fixed mode, as `ros2 param set` does.
    assert plan.parameters['preprocessor'] == {'threshold': 90, 'threshold_mode': 'fixed'}
    assert plan.parameters['classifier'] == {'batch_size': 3}
    assert type(plan.parameters['preprocessor']['threshold']) is int


def test_threshold_mode_given_with_threshold_is_kept():
    plan = plan_launch(typed(threshold='90', threshold_mode='otsu'), RULES)
    assert plan.parameters['preprocessor'] == {'threshold': 90, 'threshold_mode': 'otsu'}


def test_numeric_looking_source_stays_a_string():
    assert plan_launch(typed(source='0'), RULES).parameters['camera'] == {'source': '0'}


def test_image_qos_applies_to_both_image_subscribers():
    plan = plan_launch(typed(image_qos='sensor_data'), RULES)
    assert plan.parameters['preprocessor'] == {'image_qos': 'sensor_data'}
    assert plan.parameters['overlay'] == {'image_qos': 'sensor_data'}


@pytest.mark.parametrize('name, value, accepts', [
    ('threshold', '300', 'an integer from 0 to 255'),
    ('threshold', 'ninety', 'an integer from 0 to 255'),
    ('threshold', '9.5', 'an integer from 0 to 255'),
    ('batch_size', '0', 'an integer from 1 to 64'),
    ('threshold_mode', 'bogus', 'one of fixed, otsu, adaptive'),
    ('backend', 'bogus', 'one of keras, tflite'),
    ('image_qos', 'best_effort', 'one of auto, reliable, sensor_data'),
    ('rqt', 'yes', 'true or false'),
    ('use_camera', 'off', 'true or false'),
    ('model', '/missing.tflite', 'an existing file (not found)'),
    ('params_file', '/missing.yaml', 'an existing file (not found)'),
])
def test_wrong_value_is_refused_with_one_line_naming_argument_and_accepted_values(
        name, value, accepts):
    with pytest.raises(LaunchArgumentError) as raised:
        plan_launch(typed(**{name: value}), RULES)
    message = str(raised.value)
    assert '\n' not in message
    assert message == f'launch argument {name}:={value} is not valid: {accepts}'


@pytest.mark.parametrize('spelling, expected', [
    ('true', True), ('True', True), ('1', True), ('false', False), ('FALSE', False),
    ('0', False)])
def test_booleans_in_the_spellings_launch_conditions_accept(spelling, expected):
    assert plan_launch(typed(rqt=spelling), RULES).rqt is expected


def test_external_camera_driver_skips_camera_node_and_remaps_the_image_topic():
    plan = plan_launch(typed(use_camera='false', image_topic='/camera/image_raw'), RULES)
    assert plan.nodes == ('preprocessor', 'classifier', 'overlay')
    assert plan.remappings == (('image_raw', '/camera/image_raw'),)


def test_namespace_moves_the_overlay_topic_rqt_shows():
    plan = plan_launch(typed(namespace='/robot1/', rqt='true'), RULES)
    assert plan.namespace == '/robot1/'
    assert plan.overlay_topic == '/robot1/overlay'


def test_existing_model_file_is_accepted(tmp_path):
    model = tmp_path / 'mine.tflite'
    model.write_bytes(b'x')
    assert plan_launch(typed(model=str(model)), RULES).parameters['classifier'] == {
        'model_path': str(model)}


def test_declared_choices_come_from_the_node_parameter_tables():
    declared = {argument.name: argument for argument in declared_arguments(RULES)}
    assert declared['backend'].choices == ('', 'keras', 'tflite')
    assert declared['threshold_mode'].choices == ('', 'fixed', 'otsu', 'adaptive')
    assert declared['rqt'].choices == ('true', 'false')
    assert declared['fastdds_profile'].default == 'shipped'
    for argument in declared.values():
        assert not argument.choices or argument.default in argument.choices, argument.name


def test_every_parameter_argument_names_a_declared_parameter_of_its_nodes():
    for argument in PARAMETER_ARGUMENTS:
        for node in argument.nodes:
            assert argument.parameter in {rule.name for rule in RULES[node]}, argument.name


@pytest.mark.parametrize('distro, variable', [
    ('humble', FASTRTPS_VARIABLE), ('iron', FASTRTPS_VARIABLE), ('jazzy', FASTRTPS_VARIABLE),
    ('kilted', FASTDDS_VARIABLE), ('rolling', FASTDDS_VARIABLE), ('', FASTDDS_VARIABLE)])
def test_without_fast_dds_in_the_prefixes_the_distro_decides(distro, variable):
    assert profile_variable({'ROS_DISTRO': distro, 'AMENT_PREFIX_PATH': ''}) == variable


def fake_prefix(root: Path, package: str) -> str:
    """Return a prefix holding only the CMake config of Fast DDS ``package``."""
    cmake = root / package / 'share' / package / 'cmake'
    cmake.mkdir(parents=True)
    (cmake / f'{package}-config.cmake').write_text('')
    return str(root / package)


def test_installed_fast_dds_decides_over_the_distro(tmp_path):
    fastdds3 = fake_prefix(tmp_path, 'fastdds')
    fastdds2 = fake_prefix(tmp_path, 'fastrtps')
    workspace = str(tmp_path)
    assert profile_variable({'ROS_DISTRO': 'humble',
                             'AMENT_PREFIX_PATH': f'{workspace}:{fastdds3}'}) == FASTDDS_VARIABLE
    assert profile_variable({'AMENT_PREFIX_PATH': f'{workspace}:{fastdds2}'}) == FASTRTPS_VARIABLE


def test_this_environments_fast_dds_is_found():
    assert fastdds_major_version(os.environ) in (2, 3)


def test_shipped_profile_is_set_in_the_one_variable_fast_dds_reads():
    env, line = fastdds_profile_environment(
        'shipped', SHIPPED_PROFILE, {'ROS_DISTRO': 'humble'})
    assert env == {FASTRTPS_VARIABLE: SHIPPED_PROFILE}
    assert SHIPPED_PROFILE in line
    env, _ = fastdds_profile_environment('shipped', SHIPPED_PROFILE, {'ROS_DISTRO': 'kilted'})
    assert env == {FASTDDS_VARIABLE: SHIPPED_PROFILE}


@pytest.mark.parametrize('variable', [FASTDDS_VARIABLE, FASTRTPS_VARIABLE])
def test_a_profile_the_user_already_has_is_kept_and_the_log_says_so(variable):
    env, line = fastdds_profile_environment(
        'shipped', SHIPPED_PROFILE, {'ROS_DISTRO': 'jazzy', variable: '/etc/robot.xml'})
    assert env == {}
    assert f'keeping {variable}=/etc/robot.xml' in line


def test_the_shipped_profile_already_in_the_environment_is_named_as_such():
    env, line = fastdds_profile_environment(
        'shipped', SHIPPED_PROFILE, {'ROS_DISTRO': 'jazzy', FASTRTPS_VARIABLE: SHIPPED_PROFILE})
    assert env == {}
    assert line.endswith('from the environment, the shipped profile')


def test_none_sets_no_profile():
    env, line = fastdds_profile_environment('none', SHIPPED_PROFILE, {})
    assert env == {}
    assert 'none' in line


def test_other_rmw_gets_no_profile():
    env, line = fastdds_profile_environment(
        'shipped', SHIPPED_PROFILE, {'RMW_IMPLEMENTATION': 'rmw_cyclonedds_cpp'})
    assert env == {}
    assert 'rmw_cyclonedds_cpp' in line


def test_named_profile_file_must_exist_and_overrides_the_environment(tmp_path):
    with pytest.raises(LaunchArgumentError, match='fastdds_profile:=/missing.xml'):
        fastdds_profile_environment('/missing.xml', SHIPPED_PROFILE, {})
    mine = tmp_path / 'mine.xml'
    mine.write_text('<profiles/>')
    env, _ = fastdds_profile_environment(
        str(mine), SHIPPED_PROFILE, {FASTDDS_VARIABLE: '/etc/robot.xml'})
    assert env == {FASTDDS_VARIABLE: str(mine)}


def test_a_required_process_that_fails_fails_the_launch():
    assert required_process_failure('pipeline', 1, shutting_down=False) == (
        'the required process pipeline exited with code 1 (its log is above); the launch ends')
    assert 'camera was killed by SIGSEGV' in required_process_failure(
        'camera', -signal.SIGSEGV, shutting_down=False)
    assert 'killed by signal 99' in required_process_failure('camera', -99, False)


def test_a_clean_exit_or_any_exit_during_shutdown_ends_the_launch_normally():
    assert required_process_failure('pipeline', 0, shutting_down=False) is None
    for code in (0, 1, -signal.SIGINT, -signal.SIGKILL):  # Ctrl-C, then escalation
        assert required_process_failure('classifier', code, shutting_down=True) is None


def test_readme_lists_every_launch_argument_as_declared():
    table = markdown_table(declared_arguments(RULES, 'config/digit_recognition.yaml'))
    readme = (REPO_ROOT / 'README.md').read_text()
    assert table in readme, f'README.md is out of date; the launch arguments are now:\n{table}'
