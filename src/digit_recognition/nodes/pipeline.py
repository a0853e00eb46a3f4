"""The four nodes in one process (``ros2 run digit_recognition pipeline``).

For small machines and for hosts without ``launch``: the camera, preprocessor,
classifier and overlay nodes share one executor (see
:func:`digit_recognition.nodes.node_runner.make_executor`), read the same
parameters file as the launch file, and talk over the same topics, so other
processes can subscribe, remap and ``ros2 param set`` exactly as with the launch file.
"""

import argparse
from collections.abc import Callable, Sequence
import json
import os
import sys

from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.node_runner import EXECUTORS, run_nodes
from digit_recognition.nodes.overlay_node import OverlayNode
from digit_recognition.nodes.preprocessor_node import PreprocessorNode, THRESHOLD_MODES
from digit_recognition.vision.inference import BACKENDS
from rclpy.node import Node
from rclpy.parameter import Parameter

NODE_CLASSES = (CameraNode, PreprocessorNode, ClassifierNode, OverlayNode)
"""The four nodes, in data-flow order."""

NODE_NAMES = tuple(node_class.NODE_NAME for node_class in NODE_CLASSES)
"""Their names, which are also their executables' names."""


def installed_config_file(name: str) -> str:
    """Return the path of ``config/<name>`` as installed with the package."""
    from ament_index_python.packages import get_package_share_directory
    return os.path.join(get_package_share_directory('digit_recognition'), 'config', name)


def default_params_file() -> str:
    """Return the installed ``config/digit_recognition.yaml``."""
    return installed_config_file('digit_recognition.yaml')


def node_factories(overrides: dict | None = None, camera: bool = True,
                   **node_kwargs) -> list[Callable[[], Node]]:
    """Return factories of the four nodes (three without the camera).

    Args:
        overrides: ``{node name: {parameter: value}}`` applied over the parameters
            file (as ``parameter_overrides``).
        camera: False leaves the camera node out (images come from another driver).
        node_kwargs: passed to every node (e.g. ``context``).

    """
    overrides = overrides or {}
    factories = []
    for node_class in NODE_CLASSES:
        name = node_class.NODE_NAME
        if not camera and node_class is CameraNode:
            continue
        parameters = [Parameter(key, value=value)
                      for key, value in overrides.get(name, {}).items()]

        def factory(node_class=node_class, parameters=parameters):
            return node_class(parameter_overrides=parameters, **node_kwargs)
        factories.append(factory)
    return factories


def parse_overrides(text: str) -> dict:
    """Parse ``--overrides``: a JSON object ``{node name: {parameter: value}}``.

    Raises:
        argparse.ArgumentTypeError: if it is not such an object of the four nodes.

    """
    try:
        overrides = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f'not JSON: {error}') from None
    if not isinstance(overrides, dict) or not all(
            name in NODE_NAMES and isinstance(values, dict)
            for name, values in overrides.items()):
        raise argparse.ArgumentTypeError(
            f'expected {{node: {{parameter: value}}}} with nodes among {", ".join(NODE_NAMES)}')
    return overrides


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the pipeline's own options; ROS arguments (``--ros-args``) pass through."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--params-file', default=None,
                        help='parameters YAML (default: the installed one)')
    parser.add_argument('--source', help="camera source, e.g. 0, /dev/video1, a file, 'demo'")
    parser.add_argument('--backend', choices=BACKENDS, help='classifier backend')
    parser.add_argument('--threshold-mode', choices=THRESHOLD_MODES)
    parser.add_argument('--threshold', type=int,
                        help='fixed threshold 0-255 (implies --threshold-mode fixed)')
    parser.add_argument('--overrides', type=parse_overrides, default={},
                        help='per-node parameter overrides as JSON, e.g. '
                             '\'{"classifier": {"batch_size": 3}}\' (the launch file\'s '
                             'one-process arrangement passes its arguments this way)')
    parser.add_argument('--no-camera', dest='camera', action='store_false',
                        help="leave the camera node out: read 'image_raw' from another driver")
    parser.add_argument('--executor', choices=EXECUTORS, default='auto',
                        help='executor of the four nodes (see node_runner.make_executor)')
    return parser.parse_known_args(argv)[0]


def overrides_from_arguments(options: argparse.Namespace) -> dict:
    """Map the command-line options to per-node parameter overrides.

    The named options (``--source`` ...) win over the same parameter in ``--overrides``.
    """
    overrides: dict = {'camera': {}, 'preprocessor': {}, 'classifier': {}}
    for name, values in options.overrides.items():
        overrides.setdefault(name, {}).update(values)
    if options.source is not None:
        overrides['camera']['source'] = options.source
    if options.backend is not None:
        overrides['classifier']['backend'] = options.backend
    if options.threshold_mode is not None:
        overrides['preprocessor']['threshold_mode'] = options.threshold_mode
    if options.threshold is not None:
        overrides['preprocessor']['threshold'] = options.threshold
        # A threshold given at start means a fixed threshold, as with `ros2 param set`.
        overrides['preprocessor'].setdefault('threshold_mode', 'fixed')
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Run the pipeline until Ctrl-C."""
    argv = sys.argv if argv is None else argv
    own, ros = argv[1:], []
    if '--ros-args' in own:
        index = own.index('--ros-args')
        own, ros = own[:index], own[index:]
    options = parse_arguments(own)
    params_file = options.params_file or default_params_file()
    ros_args = [argv[0], '--ros-args', '--params-file', params_file] + ros[1:]
    factories = node_factories(overrides_from_arguments(options), camera=options.camera)
    return run_nodes(factories, ros_args,
                     logger_name='pipeline', executor_kind=options.executor)


if __name__ == '__main__':
    sys.exit(main())
