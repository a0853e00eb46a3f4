"""Start the camera, preprocessor, classifier and overlay nodes, one process each.

    ros2 launch digit_recognition digit_recognition.launch.py source:=demo rqt:=true

Launch arguments left empty keep the value of the parameters file.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

NODE_EXECUTABLES = ('camera', 'preprocessor', 'classifier', 'overlay')

# launch argument -> (node, parameter, type); empty means "as in the parameters file"
OVERRIDES = {
    'source': ('camera', 'source', 'str'),
    'threshold': ('preprocessor', 'threshold', 'int'),
    'threshold_mode': ('preprocessor', 'threshold_mode', 'str'),
    'model': ('classifier', 'model_path', 'str'),
    'backend': ('classifier', 'backend', 'str'),
    'batch_size': ('classifier', 'batch_size', 'int'),
}
VALUE_TYPES = {'str': str, 'int': int}


def launch_nodes(context):
    """Create the nodes with the parameters file and the given launch arguments."""
    params_file = LaunchConfiguration('params_file').perform(context)
    namespace = LaunchConfiguration('namespace').perform(context)
    fastdds_profile = LaunchConfiguration('fastdds_profile').perform(context)
    # Fast DDS 3 (Kilted and newer) reads the first, Fast DDS 2 (Humble, Jazzy) the second.
    env = {'FASTDDS_DEFAULT_PROFILES_FILE': fastdds_profile,
           'FASTRTPS_DEFAULT_PROFILES_FILE': fastdds_profile} if fastdds_profile else {}
    overrides = {name: {} for name in NODE_EXECUTABLES}
    for argument, (node, parameter, type_name) in OVERRIDES.items():
        value = LaunchConfiguration(argument).perform(context)
        if value:
            # ParameterValue with a type keeps e.g. source '0' a string, not an int.
            overrides[node][parameter] = ParameterValue(
                value, value_type=VALUE_TYPES[type_name])
    if 'threshold' in overrides['preprocessor']:
        # A threshold given at launch means a fixed threshold, as with `ros2 param set`.
        overrides['preprocessor'].setdefault('threshold_mode', 'fixed')
    nodes = [
        Node(package='digit_recognition', executable=name, name=name, namespace=namespace,
             parameters=[params_file, overrides[name]], additional_env=env, output='screen')
        for name in NODE_EXECUTABLES
    ]
    overlay_topic = '/' + '/'.join(part for part in (namespace.strip('/'), 'overlay') if part)
    nodes.append(Node(package='rqt_image_view', executable='rqt_image_view',
                      arguments=[overlay_topic], additional_env=env,
                      condition=IfCondition(LaunchConfiguration('rqt'))))
    return nodes


def generate_launch_description():
    """Declare the launch arguments and the nodes."""
    default_params = PathJoinSubstitution(
        [FindPackageShare('digit_recognition'), 'config', 'digit_recognition.yaml'])
    default_fastdds_profile = PathJoinSubstitution(
        [FindPackageShare('digit_recognition'), 'config', 'fastdds_large_images.xml'])
    return LaunchDescription([
        DeclareLaunchArgument('params_file', default_value=default_params,
                              description='parameters YAML of the four nodes'),
        DeclareLaunchArgument('fastdds_profile', default_value=default_fastdds_profile,
                              description='Fast DDS XML profile of the nodes (shared memory '
                                          "large enough for camera frames); '' for none"),
        DeclareLaunchArgument('namespace', default_value='',
                              description='namespace of the nodes and their topics'),
        DeclareLaunchArgument('source', default_value='',
                              description='camera source: 0, /dev/video1, file, folder, '
                                          "GStreamer pipeline or 'demo'"),
        DeclareLaunchArgument('threshold', default_value='',
                              description="fixed threshold 0-255 (threshold_mode 'fixed')"),
        DeclareLaunchArgument('threshold_mode', default_value='',
                              description='fixed, otsu or adaptive'),
        DeclareLaunchArgument('model', default_value='',
                              description='model file; empty: the shipped model'),
        DeclareLaunchArgument('backend', default_value='', description='tflite or keras'),
        DeclareLaunchArgument('batch_size', default_value='',
                              description='frames per prediction'),
        DeclareLaunchArgument('rqt', default_value='false',
                              description='also start rqt_image_view on the overlay'),
        OpaqueFunction(function=launch_nodes),
    ])
