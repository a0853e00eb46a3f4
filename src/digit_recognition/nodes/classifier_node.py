"""Classifier node: batches of preprocessed frames -> the CNN -> ``DigitPrediction``.

Subscribes ``digit_input`` (mono8 from the preprocessor, the model input with its
second look below it, :mod:`digit_recognition.vision.digit_input`; an all-black model
input means the region held no digit). Every ``batch_size`` frames it runs the model
once on the non-empty ones, averages their class probabilities
(:func:`digit_recognition.vision.batching.combine_probabilities`; the same for the second
looks, whose digit is the answer when the first give none, or another one, at
``min_confidence``; then both again down to ``min_confidence - present_digit_margin``
where the model is sure a digit is there) and
publishes one ``DigitPrediction`` on ``prediction`` with the header of the newest frame. A batch
never holds a frame older than ``max_batch_age`` seconds of frame time before its
newest one (0, the default: ``batch_size + 2`` frame periods measured from the header
stamps): after a pause (camera paused, file ended, a stalled pipeline) the frames
from before it are dropped, not averaged with later ones.

For other nodes it debounces the predictions
(:class:`digit_recognition.vision.stability.StabilityFilter`): ``stable_digit``
(latched) carries the reading once ``stable_count`` consecutive predictions agree, and
again only when it changes; the ``read_digit`` service
(:mod:`digit_recognition.nodes.read_digit`) waits for the next stable reading. Its
health goes to ``/diagnostics`` once a second.
"""

import sys
import time

from digit_interfaces.msg import DigitPrediction
from digit_recognition.nodes.diagnostics import DiagnosticsPublisher
from digit_recognition.nodes.image_subscription import ImageSubscription
from digit_recognition.nodes.node_runner import run_nodes, WARN_PERIOD_S
from digit_recognition.nodes.parameters import ParameterSpec, ParameterTable
from digit_recognition.nodes.publishing import GuardedPublisher
from digit_recognition.nodes.qos import (
    IMAGE_QOS_CHOICES, LATCHED_QOS, PREDICTION_QOS)
from digit_recognition.nodes.read_digit import ReadDigitServer
from digit_recognition.nodes.ros_image import image_msg_to_array, ImageFormatError
from digit_recognition.vision import digit_input
from digit_recognition.vision.batching import (
    BatchEntry, CombinedPrediction, DEFAULT_MAX_BATCH_AGE_S, DEFAULT_MIN_CONFIDENCE,
    DEFAULT_PRESENT_DIGIT_MARGIN, FrameBatcher, predict_batch, PRESENT_MAX_NO_DIGIT)
from digit_recognition.vision.health import age_text, FlowMonitor, HealthReport
from digit_recognition.vision.inference import BACKENDS, load_model, ModelLoadError
from digit_recognition.vision.model_contract import INPUT_SIDE
from digit_recognition.vision.stability import (
    DEFAULT_STABLE_COUNT, StabilityFilter, StableReadings)
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Header

PARAMETERS: list[ParameterSpec] = [
    ParameterSpec('model_path', '', 'model file (.tflite for tflite, .keras for keras); '
                  'empty: the model shipped with the package', read_only=True),
    ParameterSpec('backend', 'tflite', 'inference backend', choices=BACKENDS, read_only=True),
    ParameterSpec('num_threads', 1, 'threads of the tflite interpreter', 1, 16,
                  read_only=True),
    ParameterSpec('batch_size', 5, 'frames combined into one prediction', 1, 64),
    ParameterSpec('max_batch_age', DEFAULT_MAX_BATCH_AGE_S, 'oldest a frame of a batch may '
                  'be, in seconds (header stamps) before the newest; older ones are dropped, '
                  'not averaged; 0: automatic, batch_size + 2 frame periods measured from the '
                  'stamps', 0.0, 3600.0),
    ParameterSpec('min_confidence', DEFAULT_MIN_CONFIDENCE,
                  'below this combined confidence the prediction is "no digit"', 0.0, 1.0),
    ParameterSpec('present_digit_margin', DEFAULT_PRESENT_DIGIT_MARGIN,
                  'how far below min_confidence a digit may score when the model is sure a '
                  f'digit is there ("no digit" at most {PRESENT_MAX_NO_DIGIT}); 0: never',
                  0.0, 1.0),
    ParameterSpec('image_qos', 'auto', 'QoS of the digit_input subscription; auto: '
                  'RELIABLE unless a publisher offers only BEST_EFFORT',
                  choices=IMAGE_QOS_CHOICES, read_only=True),
    ParameterSpec('stable_count', DEFAULT_STABLE_COUNT, 'consecutive agreeing predictions '
                  'that make a stable_digit (and answer read_digit)', 1, 100),
]


class ClassifierNode(Node):
    """Runs the digit model on batches of frames and publishes the combined result."""

    NODE_NAME = 'classifier'

    def __init__(self, **kwargs) -> None:
        """Create the node and load the model.

        Raises:
            ModelLoadError: if the model file is missing, corrupt or of the wrong shape.

        """
        super().__init__(self.NODE_NAME, **kwargs)
        self.params = ParameterTable(self, PARAMETERS)
        started = time.perf_counter()
        try:
            self.model = load_model(self.params['model_path'] or None, self.params['backend'],
                                    num_threads=self.params['num_threads'])
        except ModelLoadError:
            Node.destroy_node(self)
            raise
        self.get_logger().info(
            f'loaded {self.model.backend} model {self.model.path} in '
            f'{(time.perf_counter() - started) * 1000.0:.0f} ms')
        self._batcher = FrameBatcher(self.params['batch_size'], self.params['max_batch_age'])
        self._stability = StabilityFilter(self.params['stable_count'])
        self.params.on_change(self._on_parameters_changed)
        self._publisher = GuardedPublisher(self, DigitPrediction, 'prediction', PREDICTION_QOS)
        self._stable_publisher = GuardedPublisher(self, DigitPrediction, 'stable_digit',
                                                  LATCHED_QOS)
        self._readings: StableReadings[DigitPrediction] = StableReadings()
        self.read_digit = ReadDigitServer(self, self._readings)
        self.flow = FlowMonitor('digit_input', 'predictions')
        self._diagnostics = DiagnosticsPublisher(self, 'classification', self._health)
        self.predictions_published = 0
        self.frames_dropped = 0
        self._subscription = ImageSubscription(self, Image, 'digit_input', self._on_digit_input,
                                               self.params['image_qos'])

    @property
    def frames_received(self) -> int:
        """digit_input frames received since start, good or bad."""
        return self.flow.received_total

    @property
    def frames_expired(self) -> int:
        """Waiting frames dropped for being older than the batch age limit."""
        return self._batcher.frames_expired

    def _on_parameters_changed(self, names: list[str]) -> None:
        self._batcher.max_age_s = self.params['max_batch_age']
        self._stability.set_stable_count(self.params['stable_count'])
        if 'batch_size' in names:
            batch = self._batcher.set_batch_size(self.params['batch_size'])
            if batch:
                self._predict_and_publish(batch)

    def _on_digit_input(self, msg: Image) -> None:
        self.flow.received()
        try:
            pixels = image_msg_to_array(msg)
        except ImageFormatError as error:
            self._drop(f'dropping digit_input: {error}')
            return
        try:
            if msg.encoding != 'mono8':
                raise ValueError(f'encoding {msg.encoding}')
            pixels, second_look = digit_input.split(pixels)
        except ValueError as error:
            self._drop(f'dropping digit_input: expected mono8 {INPUT_SIDE}x{INPUT_SIDE} (or '
                       f'{INPUT_SIDE}x{2 * INPUT_SIDE} with a second look), got {msg.encoding} '
                       f'{msg.width}x{msg.height} ({error})')
            return
        stamp = msg.header.stamp
        # An unstamped stream (stamp 0) has no frame time: no age limit then.
        time_s = stamp.sec + stamp.nanosec * 1e-9 if (stamp.sec or stamp.nanosec) else None
        expired = self._batcher.frames_expired
        batch = self._batcher.add(BatchEntry(pixels, is_empty=not pixels.any(),
                                             second_look=second_look,
                                             header=msg.header, time_s=time_s))
        if self._batcher.frames_expired > expired:
            self.get_logger().info(
                f'dropped {self._batcher.frames_expired - expired} waiting frame(s) older than '
                f'the batch age limit ({self._age_limit_text()}) instead of averaging them '
                f'({self._batcher.frames_expired} so far)', throttle_duration_sec=WARN_PERIOD_S)
        if batch:
            self._predict_and_publish(batch)

    def _age_limit_text(self) -> str:
        limit = self._batcher.age_limit_s
        text = 'none yet' if limit is None else f'{limit:.3f} s'
        return text if self._batcher.max_age_s else f'{text}, automatic'

    def _drop(self, reason: str) -> None:
        self.frames_dropped += 1
        self.flow.dropped('bad digit_input')
        self.get_logger().warning(reason, throttle_duration_sec=WARN_PERIOD_S)

    def _predict_and_publish(self, batch: list[BatchEntry]) -> None:
        started = time.perf_counter()
        combined = predict_batch(batch, self.model.predict_proba, self.params['min_confidence'],
                                 self.params['present_digit_margin'])
        self.flow.worked(time.perf_counter() - started)
        message = prediction_message(combined, batch[-1].header)
        if self._publisher.publish(message):
            self.predictions_published += 1
            self.flow.sent()
        else:
            self.flow.dropped('publish failed')
        self._update_stable_digit(message)

    def _update_stable_digit(self, prediction: DigitPrediction) -> None:
        update = self._stability.update(prediction.digit)
        if not update.confirmed:
            return
        stable = DigitPrediction(header=prediction.header, digit=update.reading,
                                 confidence=prediction.confidence,
                                 probabilities=prediction.probabilities,
                                 frame_count=prediction.frame_count)
        if update.changed:
            self._stable_publisher.publish(stable)
        self._readings.confirm(stable)

    def _health(self) -> HealthReport:
        stable = self._stability.stable
        return self.flow.report(work_name='inference time per batch (ms)', values={
            'seconds since last prediction': age_text(self.flow.seconds_since_output()),
            'stable digit': ('none yet' if stable is None else
                             'no digit' if stable == DigitPrediction.NO_DIGIT else str(stable)),
            'read_digit calls waiting': str(self.read_digit.waiting),
            'batch age limit': self._age_limit_text(),
            'frames older than the batch age limit (dropped)': str(self.frames_expired),
        })

    def destroy_node(self) -> None:
        """Answer waiting read_digit calls and stop their thread, then the node."""
        # rclpy also destroys a node whose __init__ failed (at context shutdown).
        server = getattr(self, 'read_digit', None)
        if server is not None:
            server.close()
        super().destroy_node()


def prediction_message(combined: CombinedPrediction, header: Header) -> DigitPrediction:
    """Build the ``DigitPrediction`` of a combined batch result."""
    message = DigitPrediction(header=header, digit=combined.digit,
                              confidence=float(combined.confidence),
                              frame_count=combined.frame_count)
    message.probabilities = combined.probabilities.astype('float32')
    return message


def main(args: list[str] | None = None) -> int:
    """Run the classifier node until Ctrl-C; exit 1 if the model cannot be loaded."""
    return run_nodes([ClassifierNode], args, logger_name='classifier')


if __name__ == '__main__':
    sys.exit(main())
