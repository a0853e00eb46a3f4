"""The launch file's arguments: declared, converted and checked here, without ROS.

``launch/digit_recognition.launch.py`` only wires what this module decides. A launch
argument arrives as the string the user typed (``threshold:=90`` is ``'90'``); the
functions here turn each one into a value of its parameter's type, check it against the
node's parameter table (the same ranges and choices the nodes enforce), and raise
:class:`LaunchArgumentError` with one line naming the argument and what it accepts, so
that a wrong value stops the launch before any node starts.

Nothing here imports ``rclpy`` or ``launch``: the tests run it on any machine.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
import json
import os
import signal
from typing import Any, Final, Protocol

NODE_NAMES: Final = ('camera', 'preprocessor', 'classifier', 'overlay')
"""The four nodes, in start order; each is also its executable's name."""

CAMERA_NODE: Final = 'camera'

ONE_PROCESS: Final = 'one_process'
PROCESS_PER_NODE: Final = 'process_per_node'
ARRANGEMENTS: Final = (ONE_PROCESS, PROCESS_PER_NODE)
DEFAULT_ARRANGEMENT: Final = ONE_PROCESS
"""One process for the four nodes, as a component container would run them.

``make bench`` (README, Performance) measures it at less CPU per frame (no frame is
serialised between processes) and a quarter of the memory, at the same rate.
"""

PIPELINE_EXECUTABLE: Final = 'pipeline'
"""The executable of the one-process arrangement (``nodes/pipeline.py``)."""

TRUE_WORDS: Final = ('true', '1')
FALSE_WORDS: Final = ('false', '0')
BOOL_CHOICES: Final = ('true', 'false')

KEEP: Final = ''
"""Default of the parameter arguments: keep the value of the parameters file."""

PROFILE_SHIPPED: Final = 'shipped'
PROFILE_NONE: Final = 'none'
"""``fastdds_profile:=none`` (a spelling the shell keeps, unlike ``''``): no profile."""

FASTDDS_VARIABLE: Final = 'FASTDDS_DEFAULT_PROFILES_FILE'
FASTRTPS_VARIABLE: Final = 'FASTRTPS_DEFAULT_PROFILES_FILE'
PROFILE_VARIABLES: Final = (FASTDDS_VARIABLE, FASTRTPS_VARIABLE)
FASTRTPS_ONLY_DISTROS: Final = ('foxy', 'galactic', 'humble', 'iron', 'jazzy')
"""Distributions on Fast DDS 2, which reads only ``FASTRTPS_DEFAULT_PROFILES_FILE``.

Fast DDS 3 (Kilted and newer) reads ``FASTDDS_DEFAULT_PROFILES_FILE``; there the old
name still works through rmw_fastrtps but logs a deprecation warning in every node.
"""

RQT_PACKAGE: Final = 'rqt_image_view'


class ParameterRule(Protocol):
    """What this module reads of a node's parameter row (``nodes.parameters.ParameterSpec``)."""

    name: str
    default: Any
    min_value: float | None
    max_value: float | None
    choices: tuple[str, ...]

    @property
    def accepted(self) -> str:
        """What the parameter accepts, in words."""


@dataclass(frozen=True)
class ParameterArgument:
    """A launch argument that sets a node parameter when given.

    Attributes:
        name: the launch argument.
        nodes: the nodes whose parameter it sets.
        parameter: the parameter's name on those nodes.
        description: the argument's help text (``ros2 launch ... --show-args``).

    """

    name: str
    nodes: tuple[str, ...]
    parameter: str
    description: str


PARAMETER_ARGUMENTS: Final = (
    ParameterArgument('source', ('camera',), 'source',
                      'camera source: 0, /dev/video1, video file, image folder, GStreamer '
                      "pipeline or 'demo'"),
    ParameterArgument('folder_hold_frames', ('camera',), 'folder_hold_frames',
                      'image folder source: frames each image is held in view (1: a '
                      'recording, frame by frame; e.g. 30: separate pictures of digits)'),
    ParameterArgument('threshold', ('preprocessor',), 'threshold',
                      "fixed threshold 0-255 (alone, it also selects threshold_mode 'fixed')"),
    ParameterArgument('threshold_mode', ('preprocessor',), 'threshold_mode',
                      'fixed, otsu or adaptive'),
    ParameterArgument('model', ('classifier',), 'model_path',
                      'model file (.tflite for tflite, .keras for keras)'),
    ParameterArgument('backend', ('classifier',), 'backend', 'tflite or keras'),
    ParameterArgument('batch_size', ('classifier',), 'batch_size',
                      'frames per prediction, 1-64'),
    ParameterArgument('image_qos', ('preprocessor', 'overlay'), 'image_qos',
                      'QoS of the image subscriptions: auto (match the camera: RELIABLE '
                      'unless it offers only BEST_EFFORT), reliable or sensor_data'),
)
"""Every launch argument that overrides a parameter; empty keeps the parameters file's."""


@dataclass(frozen=True)
class LaunchArgument:
    """One declared launch argument.

    Attributes:
        name: the argument (``name:=value``).
        default: its value when not given.
        description: help text.
        choices: the values launch itself accepts, if limited (``DeclareLaunchArgument``
            refuses any other before anything starts).

    """

    name: str
    default: str
    description: str
    choices: tuple[str, ...] = ()


class LaunchArgumentError(ValueError):
    """A launch argument's value cannot be used; the message is one line for the user."""

    def __init__(self, name: str, value: str, accepts: str) -> None:
        """Name the argument, the value typed and what the argument accepts."""
        self.name = name
        self.value = value
        super().__init__(f'launch argument {name}:={value!s} is not valid: {accepts}')


class RequiredProcessError(RuntimeError):
    """A required process failed; raised in the launch so that ``ros2 launch`` exits 1."""


def required_process_failure(executable: str, returncode: int,
                             shutting_down: bool) -> str | None:
    """Say why the launch fails when a required process exits, or None if it ended cleanly.

    Every process is required: any exit ends the launch. An exit with 0, or any exit
    while the launch is already shutting down (Ctrl-C), ends it normally. Any other exit
    (a corrupt model file, a crash) is a failure: the launch file raises
    :class:`RequiredProcessError` with this line, which ``launch`` logs as one error
    before it shuts the other processes down and exits 1, so that a supervisor
    (systemd's ``Restart=on-failure``, a script) sees it. ``launch`` itself exits 0
    whatever its processes' codes.

    Args:
        executable: the process's executable, as the log names it.
        returncode: its exit code (negative: killed by that signal).
        shutting_down: whether the launch was shutting down when it exited.

    """
    if returncode == 0 or shutting_down:
        return None
    if returncode < 0:
        try:
            how = f'was killed by {signal.Signals(-returncode).name}'
        except ValueError:
            how = f'was killed by signal {-returncode}'
    else:
        how = f'exited with code {returncode}'
    return f'the required process {executable} {how} (its log is above); the launch ends'


@dataclass(frozen=True)
class ProcessPlan:
    """One process the launch file starts.

    Attributes:
        executable: the package's executable.
        node_name: the node's name for a one-node process; '' for the pipeline, which
            names its nodes itself (a launch ``name`` would rename all of them).
        arguments: the executable's own command-line options (before ``--ros-args``).
        parameters: a one-node process's parameter overrides, typed; the pipeline gets
            its overrides in ``arguments`` instead.

    """

    executable: str
    node_name: str = ''
    arguments: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LaunchPlan:
    """What the launch file starts, decided from the typed arguments.

    Attributes:
        nodes: the nodes to start, in order (the camera is left out with
            ``use_camera:=false``).
        parameters: per node, the parameter values given as launch arguments, typed.
        params_file: the parameters YAML every node loads first.
        namespace: the nodes' namespace ('' for none).
        image_topic: the topic the nodes' ``image_raw`` is remapped to ('' keeps it).
        rqt: whether to start ``rqt_image_view`` on :attr:`overlay_topic`.
        overlay_topic: the overlay's full topic name.
        remappings: ``(from, to)`` topic remappings of every node.
        arrangement: ``one_process`` or ``process_per_node``.
        processes: what to start, one entry per process.

    """

    nodes: tuple[str, ...]
    parameters: dict[str, dict[str, Any]]
    params_file: str
    namespace: str = ''
    image_topic: str = ''
    rqt: bool = False
    overlay_topic: str = '/overlay'
    remappings: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    arrangement: str = DEFAULT_ARRANGEMENT
    processes: tuple[ProcessPlan, ...] = ()


def declared_arguments(parameter_rules: Mapping[str, Sequence[ParameterRule]],
                       default_params_file: str = '') -> tuple[LaunchArgument, ...]:
    """Return every launch argument with its default, help text and choices.

    Args:
        parameter_rules: each node's parameter rows, where the choices come from.
        default_params_file: shown as the default of ``params_file`` ('' means the
            installed ``config/digit_recognition.yaml``).

    """
    arguments = [
        LaunchArgument('arrangement', DEFAULT_ARRANGEMENT,
                       'one_process: the four nodes in one process (the pipeline executable, '
                       'as a component container would run them: less CPU per frame, a '
                       'quarter of the memory); process_per_node: one process each',
                       ARRANGEMENTS),
        LaunchArgument('params_file', default_params_file,
                       'parameters YAML of the four nodes'),
        LaunchArgument('namespace', '', 'namespace of the nodes and their topics'),
        LaunchArgument('use_camera', 'true',
                       "start this package's camera node; false: read image_topic from "
                       'another driver (v4l2_camera, usb_cam, Isaac ROS Argus, a bag)',
                       BOOL_CHOICES),
        LaunchArgument('image_topic', '',
                       "camera image topic the nodes use instead of 'image_raw' "
                       '(e.g. /camera/image_raw)'),
        LaunchArgument('rqt', 'false', 'also start rqt_image_view on the overlay',
                       BOOL_CHOICES),
        LaunchArgument('fastdds_profile', PROFILE_SHIPPED,
                       'Fast DDS XML profile of the nodes: "shipped" (shared memory large '
                       'enough for camera frames; skipped if the environment names one), '
                       '"none", or a file'),
    ]
    for argument in PARAMETER_ARGUMENTS:
        rule = _rule(parameter_rules, argument)
        choices = (KEEP, *rule.choices) if rule.choices else ()
        arguments.append(LaunchArgument(
            argument.name, KEEP, f'{argument.description}; empty: as in params_file',
            choices))
    return tuple(arguments)


def _rule(parameter_rules: Mapping[str, Sequence[ParameterRule]],
          argument: ParameterArgument) -> ParameterRule:
    rows = {rule.name: rule for rule in parameter_rules[argument.nodes[0]]}
    return rows[argument.parameter]


def parse_bool(name: str, text: str) -> bool:
    """Return the boolean a launch argument spells (``true``/``false``, ``1``/``0``).

    Raises:
        LaunchArgumentError: for any other spelling.

    """
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LaunchArgumentError(name, text, 'true or false')


def convert_value(name: str, text: str, rule: ParameterRule) -> Any:
    """Turn a typed launch argument into a valid value of ``rule``'s parameter.

    Args:
        name: the launch argument (for the message).
        text: the string typed after ``:=``.
        rule: the node's parameter row: its default's type is the value's type, its range
            and choices bound it (the same bounds the node's descriptor enforces).

    Raises:
        LaunchArgumentError: if ``text`` is not of the parameter's type or out of range.

    """
    kind = type(rule.default)
    try:
        if kind is bool:
            value: Any = parse_bool(name, text)
        elif kind is int:
            value = int(text.strip())
        elif kind is float:
            value = float(text.strip())
        else:
            value = text
    except ValueError:
        raise LaunchArgumentError(name, text, rule.accepted) from None
    out_of_range = (
        (rule.choices and value not in rule.choices)
        or (rule.min_value is not None and value < rule.min_value)
        or (rule.max_value is not None and value > rule.max_value))
    if out_of_range:
        raise LaunchArgumentError(name, text, rule.accepted)
    return value


def _check_file(name: str, path: str) -> str:
    expanded = os.path.expanduser(path)
    if not os.path.isfile(expanded):
        raise LaunchArgumentError(name, path, 'an existing file (not found)')
    return expanded


def _topic_name(namespace: str, name: str) -> str:
    return '/' + '/'.join(part for part in (namespace.strip('/'), name) if part)


def plan_launch(values: Mapping[str, str],
                parameter_rules: Mapping[str, Sequence[ParameterRule]]) -> LaunchPlan:
    """Convert and check every typed launch argument; decide what to start.

    Args:
        values: each declared argument's string value (as ``LaunchConfiguration``
            performs it); ``params_file`` already resolved to a path.
        parameter_rules: each node's parameter rows (``PARAMETERS`` of the node modules).

    Returns:
        The plan: nodes, typed parameter overrides, remappings.

    Raises:
        LaunchArgumentError: on the first argument that cannot be used.

    """
    arrangement = values.get('arrangement', DEFAULT_ARRANGEMENT).strip()
    if arrangement not in ARRANGEMENTS:
        raise LaunchArgumentError('arrangement', arrangement, ' or '.join(ARRANGEMENTS))
    use_camera = parse_bool('use_camera', values.get('use_camera', 'true'))
    rqt = parse_bool('rqt', values.get('rqt', 'false'))
    params_file = _check_file('params_file', values['params_file'])
    namespace = values.get('namespace', '').strip()
    image_topic = values.get('image_topic', '').strip()
    parameters: dict[str, dict[str, Any]] = {name: {} for name in NODE_NAMES}
    for argument in PARAMETER_ARGUMENTS:
        text = values.get(argument.name, KEEP)
        if text == KEEP:
            continue
        value = convert_value(argument.name, text, _rule(parameter_rules, argument))
        if argument.name == 'model':
            value = _check_file('model', value)
        for node in argument.nodes:
            parameters[node][argument.parameter] = value
    if 'threshold' in parameters['preprocessor']:
        # A threshold given at launch means a fixed threshold, as with `ros2 param set`.
        parameters['preprocessor'].setdefault('threshold_mode', 'fixed')
    nodes = tuple(name for name in NODE_NAMES if use_camera or name != CAMERA_NODE)
    remappings = (('image_raw', image_topic),) if image_topic else ()
    if arrangement == ONE_PROCESS:
        processes: tuple[ProcessPlan, ...] = (
            ProcessPlan(PIPELINE_EXECUTABLE, arguments=pipeline_arguments(
                params_file, {name: parameters[name] for name in nodes}, use_camera)),)
    else:
        processes = tuple(ProcessPlan(name, node_name=name, parameters=parameters[name])
                          for name in nodes)
    return LaunchPlan(nodes=nodes, parameters=parameters, params_file=params_file,
                      namespace=namespace, image_topic=image_topic, rqt=rqt,
                      overlay_topic=_topic_name(namespace, 'overlay'), remappings=remappings,
                      arrangement=arrangement, processes=processes)


def pipeline_arguments(params_file: str, parameters: Mapping[str, Mapping[str, Any]],
                       use_camera: bool) -> tuple[str, ...]:
    """Return the ``pipeline`` executable's options for the one-process arrangement.

    The typed overrides travel as JSON in the pipeline's ``--overrides``, which applies
    each to its node over the parameters file, as launch does for a one-node process:
    JSON keeps their types exactly (``source:=0`` stays the string ``'0'``) and no
    temporary parameters file is needed.

    Args:
        params_file: the parameters YAML the nodes load first.
        parameters: the started nodes' typed overrides (empty ones are left out).
        use_camera: False leaves the camera node out (``--no-camera``).

    """
    arguments = ['--params-file', params_file]
    overrides = {node: dict(values) for node, values in parameters.items() if values}
    if overrides:
        arguments += ['--overrides', json.dumps(overrides, sort_keys=True)]
    if not use_camera:
        arguments.append('--no-camera')
    return tuple(arguments)


def fastdds_major_version(environ: Mapping[str, str]) -> int | None:
    """Return 3 or 2 for the Fast DDS installed in the ROS prefixes, None if none is found.

    Fast DDS 3 installs its CMake package as ``share/fastdds``, Fast DDS 2 as
    ``share/fastrtps`` (in ``/opt/ros/<distro>`` as in the PyPI wheels' prefix).
    """
    for prefix in environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep):
        if not prefix:
            continue
        if os.path.isfile(os.path.join(prefix, 'share', 'fastdds', 'cmake',
                                       'fastdds-config.cmake')):
            return 3
        if os.path.isfile(os.path.join(prefix, 'share', 'fastrtps', 'cmake',
                                       'fastrtps-config.cmake')):
            return 2
    return None


def profile_variable(environ: Mapping[str, str]) -> str:
    """Return the one profile variable the running Fast DDS reads without warning.

    Decided by the Fast DDS found in ``AMENT_PREFIX_PATH``, else by ``ROS_DISTRO``; an
    unknown distribution is taken to be a newer one (Fast DDS 3).
    """
    major = fastdds_major_version(environ)
    if major is None:
        distro = environ.get('ROS_DISTRO', '').strip().lower()
        major = 2 if distro in FASTRTPS_ONLY_DISTROS else 3
    return FASTRTPS_VARIABLE if major == 2 else FASTDDS_VARIABLE


def fastdds_profile_environment(argument: str, shipped_profile: str,
                                environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """Decide the Fast DDS profile variable the nodes get, and say why in one line.

    A robot-wide profile the user already has (either variable set) is kept unless a file
    is named explicitly; only the variable the running Fast DDS reads is set (Fast DDS 2
    of Humble and Jazzy reads only the old name; Kilted's Fast DDS 3 reads the new one
    and warns about the old one).

    Args:
        argument: ``fastdds_profile``: ``'shipped'``, ``'none'`` or a file.
        shipped_profile: the installed ``config/fastdds_large_images.xml``.
        environ: the launch's environment (``AMENT_PREFIX_PATH``, ``ROS_DISTRO``,
            ``RMW_IMPLEMENTATION`` and the profile variables are read).

    Returns:
        ``(variables to add to each node's environment, the line to log)``.

    Raises:
        LaunchArgumentError: if a named file does not exist.

    """
    choice = argument.strip()
    if choice.lower() == PROFILE_NONE:
        return {}, 'Fast DDS profile: none (fastdds_profile:=none)'
    rmw = environ.get('RMW_IMPLEMENTATION', '')
    if rmw and not rmw.startswith('rmw_fastrtps'):
        return {}, f'Fast DDS profile: not used, the RMW is {rmw}'
    if choice in (PROFILE_SHIPPED, ''):
        existing = [name for name in PROFILE_VARIABLES if environ.get(name)]
        if existing:
            kept = environ[existing[0]]
            # As the README has a separate camera driver's shell export it.
            if os.path.realpath(kept) == os.path.realpath(shipped_profile):
                return {}, (f'Fast DDS profile: {existing[0]}={kept} from the environment, '
                            'the shipped profile')
            return {}, (f'Fast DDS profile: keeping {existing[0]}={kept} '
                        'from the environment; the shipped profile is not set '
                        '(fastdds_profile:=<file> to override)')
        path = shipped_profile
    else:
        path = _check_file('fastdds_profile', choice)
    variable = profile_variable(environ)
    return {variable: path}, f'Fast DDS profile: {variable}={path}'


def markdown_table(arguments: Sequence[LaunchArgument]) -> str:
    """Return the README's table of launch arguments: name, default, choices, description."""
    lines = ['| argument | default | accepts | description |', '| --- | --- | --- | --- |']
    for argument in arguments:
        default = f'`{argument.default}`' if argument.default else '(empty)'
        accepts = ', '.join(f'`{choice}`' for choice in argument.choices if choice)
        lines.append(f'| `{argument.name}` | {default} | {accepts} | {argument.description} |')
    return '\n'.join(lines)
