"""/diagnostics over real DDS: every node reports, and a camera outage turns ERROR and back."""

import os
import re

import cv2
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from digit_recognition.nodes.camera_node import CameraNode
from digit_recognition.nodes.classifier_node import ClassifierNode
from digit_recognition.nodes.diagnostics import DIAGNOSTICS_TOPIC
from digit_recognition.nodes.overlay_node import OverlayNode
from digit_recognition.nodes.preprocessor_node import PreprocessorNode
from digit_recognition.nodes.qos import DIAGNOSTICS_QOS
from digit_recognition.vision.demo_frames import DemoFrameGenerator
from digit_recognition.vision.health import NO_INPUT_ERROR_S
import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from ros_test_utils import spin_until

CAMERA = 'camera: camera'
PREPROCESSOR = 'preprocessor: preprocessing'
CLASSIFIER = 'classifier: classification'
OVERLAY = 'overlay: overlay'


class DiagnosticsWatcher:
    """Keeps the latest status of each name seen on /diagnostics."""

    def __init__(self, node: Node) -> None:
        """Subscribe ``node`` to /diagnostics."""
        self.latest = {}
        self.arrays = 0
        node.create_subscription(DiagnosticArray, DIAGNOSTICS_TOPIC, self._on_array,
                                 DIAGNOSTICS_QOS)

    def _on_array(self, msg: DiagnosticArray) -> None:
        self.arrays += 1
        for status in msg.status:
            self.latest[status.name] = status

    def level(self, name: str):
        status = self.latest.get(name)
        return None if status is None else status.level

    def values(self, name: str) -> dict:
        return {item.key: item.value for item in self.latest[name].values}


@pytest.fixture
def camera_folder(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    generator = DemoFrameGenerator(seed=4)
    for index in range(3):
        cv2.imwrite(str(folder / f'frame_{index}.png'), generator.next_frame()[0])
    return folder


@pytest.fixture
def graph(ros_context, camera_folder):
    """Yield the four nodes on one executor (the camera reads the folder) and a watcher."""
    nodes = [CameraNode(context=ros_context, parameter_overrides=[
                 Parameter('source', value=str(camera_folder)),
                 Parameter('fps', value=20.0)]),
             PreprocessorNode(context=ros_context), ClassifierNode(context=ros_context),
             OverlayNode(context=ros_context), Node('diagnostics_probe', context=ros_context)]
    executor = SingleThreadedExecutor(context=ros_context)
    for node in nodes:
        executor.add_node(node)
    watcher = DiagnosticsWatcher(nodes[-1])
    yield executor, watcher, nodes
    executor.shutdown()
    for node in nodes:
        node.destroy_node()


def test_every_node_reports_its_health_with_its_figures(graph, camera_folder):
    executor, watcher, _ = graph
    names = (CAMERA, PREPROCESSOR, CLASSIFIER, OVERLAY)
    # The classifier's first report may close before its first batch is full (a fast
    # start): wait for one over a period in which it ran the model.
    assert spin_until(executor, lambda: all(
        watcher.level(name) == DiagnosticStatus.OK for name in names)
        and 'inference time per batch (ms)' in watcher.values(CLASSIFIER), timeout=30.0), \
        {name: watcher.latest.get(name) for name in names}

    assert watcher.latest[CAMERA].hardware_id.endswith(str(camera_folder))
    camera = watcher.values(CAMERA)
    assert camera['camera'] == 'connected'
    assert float(camera['frames published per s']) > 0
    # An OK status says the rate of what the node reads, named once.
    assert re.fullmatch(r'\d+\.\d source frames/s', watcher.latest[CAMERA].message)
    assert re.fullmatch(r'\d+\.\d image_raw frames/s', watcher.latest[PREPROCESSOR].message)
    preprocessor = watcher.values(PREPROCESSOR)
    assert float(preprocessor['image_raw per s']) > 0
    assert float(preprocessor['digit_input per s']) > 0
    assert float(preprocessor['seconds since last input']) < NO_INPUT_ERROR_S
    classifier = watcher.values(CLASSIFIER)
    assert float(classifier['inference time per batch (ms)']) > 0
    assert float(classifier['seconds since last prediction']) < NO_INPUT_ERROR_S
    assert float(classifier['predictions per s']) > 0
    assert classifier['read_digit calls waiting'] == '0'
    # Nobody watches the overlay: idle on purpose, which is fine.
    assert watcher.latest[OVERLAY].message == 'idle: nobody subscribes to /overlay'


def test_diagnostics_turn_error_when_the_camera_stops_and_ok_when_it_returns(
        graph, camera_folder):
    executor, watcher, _ = graph
    assert spin_until(executor, lambda: (watcher.level(CAMERA) == DiagnosticStatus.OK
                                         and watcher.level(PREPROCESSOR) == DiagnosticStatus.OK),
                      timeout=30.0), 'the pipeline never became healthy'

    away = camera_folder.parent / 'frames_away'
    os.rename(camera_folder, away)  # the camera's source vanishes
    names = (CAMERA, PREPROCESSOR, CLASSIFIER)
    assert spin_until(executor, lambda: all(
        watcher.level(name) == DiagnosticStatus.ERROR for name in names), timeout=30.0), \
        {name: watcher.latest[name] for name in names}
    assert watcher.values(CAMERA)['camera'] == 'retrying'
    assert watcher.latest[CAMERA].message.startswith('camera unavailable, retry')
    assert watcher.latest[PREPROCESSOR].message.startswith('no image_raw for')
    assert watcher.latest[CLASSIFIER].message.startswith('no digit_input for')

    os.rename(away, camera_folder)  # and comes back; nothing is restarted
    assert spin_until(executor, lambda: all(
        watcher.level(name) == DiagnosticStatus.OK for name in names), timeout=30.0), \
        {name: watcher.latest[name] for name in names}
    assert watcher.values(CAMERA)['camera'] == 'connected'


def test_a_folder_image_that_does_not_decode_turns_warn_until_it_does(graph, camera_folder):
    executor, watcher, _ = graph
    assert spin_until(executor, lambda: watcher.level(CAMERA) == DiagnosticStatus.OK,
                      timeout=30.0), 'the camera never became healthy'
    corrupt = camera_folder / 'frame_1.png'
    good = corrupt.read_bytes()
    corrupt.write_bytes(good[:100])  # a file cut short
    assert spin_until(executor, lambda: watcher.level(CAMERA) == DiagnosticStatus.WARN,
                      timeout=30.0), watcher.latest.get(CAMERA)
    assert watcher.latest[CAMERA].message == (
        f'1 image(s) cannot be decoded and are skipped: {corrupt}')
    assert watcher.values(CAMERA)['camera'] == 'connected'
    assert float(watcher.values(CAMERA)['frames published per s']) > 0

    corrupt.write_bytes(good)
    assert spin_until(executor, lambda: watcher.level(CAMERA) == DiagnosticStatus.OK,
                      timeout=30.0), watcher.latest.get(CAMERA)
