"""The launch file, the parameters YAML and the package agree with each other.

Runs without ``launch`` installed: the launch file is read as source. Where launch is
installed, test_launch_digit_recognition.py also starts it for real.
"""

import ast
from pathlib import Path

from ament_index_python.packages import get_package_prefix, get_package_share_directory
from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.pipeline import NODE_NAMES
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
LAUNCH_FILE = REPO_ROOT / 'launch' / 'digit_recognition.launch.py'
PARAMS_FILE = REPO_ROOT / 'config' / 'digit_recognition.yaml'
NODE_PARAMETERS = {
    'camera': camera_node.PARAMETERS,
    'preprocessor': preprocessor_node.PARAMETERS,
    'classifier': classifier_node.PARAMETERS,
    'overlay': overlay_node.PARAMETERS,
}


def module_constants(path: Path) -> dict:
    """Return the literal module-level constants of a Python file."""
    constants = {}
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                try:
                    constants[target.id] = ast.literal_eval(statement.value)
                except ValueError:
                    pass
    return constants


def console_scripts() -> dict:
    """Return ``{executable: 'module:function'}`` from setup.py's entry points."""
    for node in ast.walk(ast.parse((REPO_ROOT / 'setup.py').read_text())):
        if isinstance(node, ast.keyword) and node.arg == 'entry_points':
            scripts = ast.literal_eval(node.value)['console_scripts']
            return dict(tuple(part.strip() for part in line.split('=')) for line in scripts)
    raise AssertionError('setup.py declares no entry_points')


LAUNCH = module_constants(LAUNCH_FILE)


def test_every_launched_executable_is_an_installed_entry_point():
    scripts = console_scripts()
    prefix = Path(get_package_prefix('digit_recognition'))
    assert set(LAUNCH['NODE_EXECUTABLES']) == set(NODE_PARAMETERS) == set(NODE_NAMES)
    for executable in LAUNCH['NODE_EXECUTABLES']:
        assert executable in scripts
        module = scripts[executable].split(':')[0]
        assert module == f'digit_recognition.nodes.{executable}_node'
        assert (prefix / 'lib' / 'digit_recognition' / executable).is_file(), \
            f'{executable} is not installed where ros2 run looks for it'


def test_launch_file_and_config_are_installed():
    share = Path(get_package_share_directory('digit_recognition'))
    assert (share / 'launch' / LAUNCH_FILE.name).read_text() == LAUNCH_FILE.read_text()
    assert (share / 'config' / PARAMS_FILE.name).read_text() == PARAMS_FILE.read_text()


def yaml_parameters() -> dict:
    document = yaml.safe_load(PARAMS_FILE.read_text())
    return {key.split('/')[-1]: value['ros__parameters'] for key, value in document.items()}


def test_yaml_names_every_declared_parameter_with_its_default():
    configured = yaml_parameters()
    assert set(configured) == set(NODE_PARAMETERS)
    for node, specs in NODE_PARAMETERS.items():
        declared = {spec.name: spec for spec in specs}
        assert set(configured[node]) == set(declared), node
        for name, value in configured[node].items():
            assert declared[name].convert(value)[1] is None, f'{node}.{name}: {value!r}'
            assert value == declared[name].default, f'{node}.{name} differs from its default'


@pytest.mark.parametrize('argument', sorted(LAUNCH['OVERRIDES']))
def test_launch_arguments_set_declared_parameters_of_their_type(argument):
    node, parameter, type_name = LAUNCH['OVERRIDES'][argument]
    declared = {spec.name: spec for spec in NODE_PARAMETERS[node]}
    assert parameter in declared
    assert type(declared[parameter].default).__name__ == type_name
