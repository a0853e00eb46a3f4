"""Start the camera, preprocessor, classifier and overlay nodes.

    ros2 launch digit_recognition digit_recognition.launch.py source:=demo rqt:=true
    ros2 launch digit_recognition digit_recognition.launch.py arrangement:=process_per_node
    ros2 launch digit_recognition digit_recognition.launch.py --show-args

By default the four nodes run in one process (the ``pipeline`` executable, as a
component container would run them; README, Performance, has the measurements);
``arrangement:=process_per_node`` starts one process per node. Either way the nodes keep
their names, topics and parameters. The arguments are converted and checked by
``digit_recognition.nodes.launch_arguments`` (a wrong value stops the launch with one
line before any node starts); this file only wires its decisions. Every process is
required: when one exits, the launch ends, with exit code 1 if it failed.
"""

import os

from ament_index_python.packages import (
    get_package_prefix, get_package_share_directory, PackageNotFoundError)
from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.launch_arguments import (
    declared_arguments, fastdds_profile_environment, LaunchArgumentError, plan_launch,
    required_process_failure, RequiredProcessError, RQT_PACKAGE)
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction, Shutdown
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.descriptions import ParameterValue

PACKAGE = 'digit_recognition'
PARAMETER_RULES = {
    'camera': camera_node.PARAMETERS,
    'preprocessor': preprocessor_node.PARAMETERS,
    'classifier': classifier_node.PARAMETERS,
    'overlay': overlay_node.PARAMETERS,
}


def package_installed(name: str) -> bool:
    """Return whether the ROS package ``name`` is on the ament index."""
    try:
        get_package_prefix(name)
    except PackageNotFoundError:
        return False
    return True


def end_launch(executable):
    """Return the on_exit handler of a required process: end the launch, 1 if it failed."""
    def on_exit(event, context):
        failure = required_process_failure(executable, event.returncode, context.is_shutdown)
        if failure:
            raise RequiredProcessError(failure)
        return Shutdown(reason=f'the required process {executable} exited')
    return on_exit


def launch_nodes(context, share):
    """Check the typed arguments and create the actions they ask for."""
    arguments = declared_arguments(PARAMETER_RULES)
    values = {argument.name: LaunchConfiguration(argument.name).perform(context)
              for argument in arguments}
    values['params_file'] = values['params_file'] or os.path.join(
        share, 'config', 'digit_recognition.yaml')
    plan = plan_launch(values, PARAMETER_RULES)
    if plan.rqt and not package_installed(RQT_PACKAGE):
        raise LaunchArgumentError(
            'rqt', values['rqt'], f'{RQT_PACKAGE} is not installed '
            f'(sudo apt install ros-$ROS_DISTRO-rqt-image-view, or rosdep install)')
    env, profile_line = fastdds_profile_environment(
        values['fastdds_profile'], os.path.join(share, 'config', 'fastdds_large_images.xml'),
        os.environ)
    actions = [LogInfo(msg=profile_line)]
    for process in plan.processes:
        parameters = None
        if process.node_name:
            # Values are already typed; value_type keeps e.g. source '0' a string.
            parameters = [plan.params_file, {
                parameter: ParameterValue(value, value_type=type(value))
                for parameter, value in process.parameters.items()}]
        # The pipeline gets no launch name: it would rename all of its nodes to one.
        actions.append(Node(
            package=PACKAGE, executable=process.executable, name=process.node_name or None,
            namespace=plan.namespace, parameters=parameters, arguments=list(process.arguments),
            remappings=list(plan.remappings), additional_env=env, output='screen',
            on_exit=end_launch(process.executable)))
    if plan.rqt:
        actions.append(Node(package=RQT_PACKAGE, executable=RQT_PACKAGE,
                            arguments=[plan.overlay_topic], additional_env=env))
    return actions


def generate_launch_description():
    """Declare the launch arguments and the nodes."""
    share = get_package_share_directory(PACKAGE)
    declarations = [
        DeclareLaunchArgument(argument.name, default_value=argument.default,
                              description=argument.description,
                              **({'choices': list(argument.choices)} if argument.choices
                                 else {}))
        for argument in declared_arguments(
            PARAMETER_RULES, os.path.join(share, 'config', 'digit_recognition.yaml'))
    ]
    return LaunchDescription(
        [*declarations, OpaqueFunction(function=launch_nodes, args=[share])])
