"""The launch file, the parameters YAML and the package agree with each other.

Runs without ``launch`` installed: the launch file is read as source (its argument
conversion is tested in test_launch_arguments.py). Where launch is
installed, test_launch_digit_recognition.py also starts it for real.
"""

import ast
from pathlib import Path

from ament_index_python.packages import get_package_prefix, get_package_share_directory
from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes import pipeline
from digit_recognition.nodes.launch_arguments import NODE_NAMES, PIPELINE_EXECUTABLE
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


def console_scripts() -> dict:
    """Return ``{executable: 'module:function'}`` from setup.py's entry points."""
    for node in ast.walk(ast.parse((REPO_ROOT / 'setup.py').read_text())):
        if isinstance(node, ast.keyword) and node.arg == 'entry_points':
            scripts = ast.literal_eval(node.value)['console_scripts']
            return dict(tuple(part.strip() for part in line.split('=')) for line in scripts)
    raise AssertionError('setup.py declares no entry_points')


def test_every_launched_executable_is_an_installed_entry_point():
    scripts = console_scripts()
    prefix = Path(get_package_prefix('digit_recognition'))
    # The launch file (ROS-free list) and the one-process pipeline start the same nodes.
    assert NODE_NAMES == pipeline.NODE_NAMES
    assert set(NODE_NAMES) == set(NODE_PARAMETERS)
    for executable in NODE_NAMES:
        assert executable in scripts
        module = scripts[executable].split(':')[0]
        assert module == f'digit_recognition.nodes.{executable}_node'
        assert (prefix / 'lib' / 'digit_recognition' / executable).is_file(), \
            f'{executable} is not installed where ros2 run looks for it'
    # The one-process arrangement's executable.
    assert scripts[PIPELINE_EXECUTABLE] == 'digit_recognition.nodes.pipeline:main'
    assert (prefix / 'lib' / 'digit_recognition' / PIPELINE_EXECUTABLE).is_file()


def test_launch_file_and_config_are_installed():
    share = Path(get_package_share_directory('digit_recognition'))
    assert (share / 'launch' / LAUNCH_FILE.name).read_text() == LAUNCH_FILE.read_text()
    assert (share / 'config' / PARAMS_FILE.name).read_text() == PARAMS_FILE.read_text()
    assert (share / 'config' / 'fastdds_large_images.xml').is_file()


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


def test_the_shipped_demo_holds_each_digit_long_enough_to_become_stable():
    # `source:=demo` is how a user without a camera first tries stable_digit and
    # read_digit: a card must outlast the batch that straddles its arrival plus
    # stable_count whole batches, or a stable reading forms only by chance.
    configured = yaml_parameters()
    batch_size = configured['classifier']['batch_size']
    stable_count = configured['classifier']['stable_count']
    assert configured['camera']['demo_hold_frames'] >= batch_size * (stable_count + 1)


LAUNCH_TREE = ast.parse(LAUNCH_FILE.read_text())


def calls(name: str) -> list:
    """Return the launch file's calls of ``name`` (a plain or dotted function name)."""
    return [node for node in ast.walk(LAUNCH_TREE) if isinstance(node, ast.Call)
            and getattr(node.func, 'id', getattr(node.func, 'attr', None)) == name]


def test_launch_file_gives_the_nodes_the_parameter_tables_of_every_node():
    rules = next(node.value for node in LAUNCH_TREE.body if isinstance(node, ast.Assign)
                 and node.targets[0].id == 'PARAMETER_RULES')
    assert [key.value for key in rules.keys] == list(NODE_NAMES)
    assert [f'{value.value.id}.{value.attr}' for value in rules.values] == [
        f'{name}_node.PARAMETERS' for name in NODE_NAMES]


def test_launch_file_converts_arguments_with_the_tested_functions():
    assert len(calls('plan_launch')) == 1
    assert len(calls('fastdds_profile_environment')) == 1
    declare = calls('DeclareLaunchArgument')
    assert len(declare) == 1
    assert {keyword.arg for keyword in declare[0].keywords} >= {'default_value', 'description'}


def test_every_node_of_the_package_is_required():
    package_nodes = [call for call in calls('Node') if any(
        keyword.arg == 'package' and getattr(keyword.value, 'id', '') == 'PACKAGE'
        for keyword in call.keywords)]
    assert len(package_nodes) == 1
    on_exit = {keyword.arg: keyword.value for keyword in package_nodes[0].keywords}['on_exit']
    assert isinstance(on_exit, ast.Call) and on_exit.func.id == 'end_launch'
    # The handler decides with the tested function, raises its error, else shuts down.
    handler = next(node for node in LAUNCH_TREE.body
                   if isinstance(node, ast.FunctionDef) and node.name == 'end_launch')
    inner = {node.func.id for node in ast.walk(handler)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {'required_process_failure', 'RequiredProcessError', 'Shutdown'} <= inner


def test_launch_file_imports_every_name_it_uses():
    imported = set()
    for node in ast.walk(LAUNCH_TREE):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split('.')[0] for alias in node.names)
    defined = {node.name for node in LAUNCH_TREE.body if isinstance(node, ast.FunctionDef)}
    defined |= {target.id for node in LAUNCH_TREE.body if isinstance(node, ast.Assign)
                for target in node.targets}
    used = {node.func.id for node in ast.walk(LAUNCH_TREE)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    builtins = {'dict', 'list', 'type', 'len', 'str'}
    assert used - imported - defined - builtins == set()
