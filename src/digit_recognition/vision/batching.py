"""Collect preprocessed frames into batches and combine their predictions (ROS-free).

The classifier node adds one :class:`BatchEntry` per frame to a :class:`FrameBatcher`;
when ``batch_size`` entries are collected, it gets them back as a batch, runs the
model once on the non-empty frames and reduces the batch to one
:class:`CombinedPrediction` with :func:`combine_probabilities` (or does both with
:func:`predict_batch`).
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
import math
import statistics
from typing import Any

from digit_recognition.vision.model_contract import (
    NO_DIGIT_CLASS, NUM_CLASSES, NUM_OUTPUTS, to_model_batch)

import numpy as np

NO_DIGIT = -1
"""``digit`` when no digit was recognised; mirrors ``DigitPrediction.NO_DIGIT``."""

DEFAULT_MIN_CONFIDENCE = 0.95
"""Default minimal combined confidence for reporting a digit; chosen from the field set's
accuracy-vs-coverage curve (``make field``) and unseen field frames: with
:data:`DEFAULT_PRESENT_DIGIT_MARGIN` it reads more digit frames right than 0.90 did
without a margin, and reads fewer blank and no-paper frames as a digit."""

DEFAULT_PRESENT_DIGIT_MARGIN = 0.2
"""Default of how far below ``min_confidence`` a digit's confidence may be when the model
is sure that a digit is there (:data:`PRESENT_MAX_NO_DIGIT`): the doubt is then only
which digit it is, never whether one is there (field set: see ``make field`` and the
README's *Choosing min_confidence*)."""

PRESENT_MAX_NO_DIGIT = 0.003
"""Largest mean "no digit" probability at which the model counts as sure that a digit is
there. A false digit, the worst error a robot can act on, needs "no digit" to be likely;
on the 12,000 blank and no-paper field frames looked at when it was chosen, none scored
this low with its best digit between 0.70 and 0.90 (the band a margin of 0.2 opens below
0.90)."""


DEFAULT_MAX_BATCH_AGE_S = 0.0
"""Default batch age limit: 0, automatic (:class:`FrameBatcher`)."""

AUTO_AGE_EXTRA_PERIODS = 2
"""The automatic batch age limit is ``batch_size`` plus this many frame periods: a full
batch spans ``batch_size - 1`` periods, so a steady stream keeps every frame with room
for jitter, while frames from before a pause of a few periods are dropped."""

PERIOD_WINDOW = 15
"""Recent frame intervals whose median is the frame period (half a second at 30 fps)."""

PERIOD_MIN_INTERVALS = 4
"""Intervals needed before the frame period is known: the first frames of a stream (a
camera starting up) are spaced irregularly, and a median of two would follow them."""


@dataclass
class BatchEntry:
    """One frame waiting in a batch."""

    model_input: np.ndarray | None
    """The frame's ``(28, 28)`` (or ``(28, 28, 1)``) model input, float32 in [0, 1] or
    uint8 0-255 as the model contract allows; may be None if empty."""
    is_empty: bool = False
    """True when the preprocessor found no digit; the model is not run on it."""
    second_look: np.ndarray | None = None
    """The preprocessor's second look at the frame (as ``model_input``), read when the
    batch gives no confident digit; None: the preprocessor sent none (no new ink at its
    lower threshold, or the same digit as ``model_input``)."""
    header: Any = None
    """The frame's message header (stamp and frame_id), passed through."""
    time_s: float | None = None
    """The frame's time stamp in seconds, for the batch age limit; None: unstamped, no
    age (it neither drops older frames nor is dropped)."""


@dataclass(frozen=True)
class CombinedPrediction:
    """The prediction for one batch of frames."""

    digit: int
    """0-9, or ``NO_DIGIT``."""
    confidence: float
    """Mean probability of the most likely digit (also when ``digit`` is ``NO_DIGIT``);
    0 if all frames were empty. It includes the chance that there is no digit at all:
    ``(1 - no_digit_probability) * max(probabilities)``."""
    probabilities: np.ndarray = field(repr=False)
    """``(10,)`` float32 digit probabilities given that there is a digit (they sum to
    1); zeros if all frames were empty."""
    frame_count: int
    """How many frames (empty ones included) were combined."""
    no_digit_probability: float = 0.0
    """Mean probability of the model's "no digit" class over the non-empty frames."""


class FramePeriod:
    """A stream's frame period from its time stamps: the median of recent intervals.

    The median, so that one pause (camera paused, a stalled pipeline) or one burst does
    not change it; after a lasting change of rate it follows within about half of
    ``window`` frames.
    """

    def __init__(self, window: int = PERIOD_WINDOW,
                 min_intervals: int = PERIOD_MIN_INTERVALS) -> None:
        """Start with no stamps.

        Args:
            window: the number of recent intervals kept.
            min_intervals: the intervals needed before :attr:`seconds` is known.

        """
        self._min_intervals = min_intervals
        self._intervals: deque[float] = deque(maxlen=window)
        self._last_s: float | None = None

    def add(self, time_s: float) -> None:
        """Record the next frame's stamp in seconds.

        A stamp not after the previous one (time went back, as when a bag loops) adds no
        interval; the next one is measured from it.
        """
        if self._last_s is not None and time_s > self._last_s:
            self._intervals.append(time_s - self._last_s)
        self._last_s = time_s

    @property
    def seconds(self) -> float | None:
        """The median of the recent intervals; None until ``min_intervals`` were seen."""
        if len(self._intervals) < self._min_intervals:
            return None
        return statistics.median(self._intervals)


class FrameBatcher:
    """Collects per-frame entries and hands them back ``batch_size`` at a time.

    A batch never holds a frame older than the batch age limit: when a frame arrives,
    the waiting frames stamped more than the limit before it (or after it: time went
    back, as when a bag loops) are dropped, not averaged with it. So after a pause
    (camera paused or unplugged, file ended, a stalled pipeline) the next batch is made
    of frames from after it only. The limit is ``max_age_s``, or when that is 0 it is
    automatic: ``batch_size + AUTO_AGE_EXTRA_PERIODS`` frame periods, the period measured
    from the stamps (:class:`FramePeriod`), so a slow but steady camera fills its batches
    as a fast one does.
    """

    def __init__(self, batch_size: int = 5,
                 max_age_s: float = DEFAULT_MAX_BATCH_AGE_S) -> None:
        """Create an empty batcher.

        Args:
            batch_size: frames per batch, at least 1.
            max_age_s: the oldest a waiting frame may be, in seconds of frame time before
                the newest one; 0: automatic (see the class).

        Raises:
            ValueError: if ``batch_size`` is less than 1 or ``max_age_s`` is negative.

        """
        self._batch_size = _check_size(batch_size)
        self._max_age_s = _check_age(max_age_s)
        self._period = FramePeriod()
        self._entries: list[BatchEntry] = []
        self.frames_expired = 0
        """Waiting frames dropped because they were older than the batch age limit."""

    @property
    def max_age_s(self) -> float:
        """The configured limit in seconds, 0 for automatic."""
        return self._max_age_s

    @max_age_s.setter
    def max_age_s(self, max_age_s: float) -> None:
        self._max_age_s = _check_age(max_age_s)

    @property
    def age_limit_s(self) -> float | None:
        """The limit in force in seconds; None while automatic and no period is known yet."""
        if self._max_age_s > 0.0:
            return self._max_age_s
        period = self._period.seconds
        return None if period is None else (self._batch_size + AUTO_AGE_EXTRA_PERIODS) * period

    @property
    def batch_size(self) -> int:
        """Number of frames per batch; change it with :meth:`set_batch_size`."""
        return self._batch_size

    def __len__(self) -> int:
        """Return the number of entries waiting."""
        return len(self._entries)

    def add(self, entry: BatchEntry) -> list[BatchEntry] | None:
        """Add one frame; return the full batch (oldest first) once it is complete.

        Waiting frames older than the batch age limit relative to ``entry`` are dropped
        first (counted in :attr:`frames_expired`); an entry without a time stamp drops
        none and is never dropped for its age.
        """
        if entry.time_s is not None:
            # The limit from the period before this frame: a pause does not excuse itself.
            self._drop_expired(entry.time_s)
            self._period.add(entry.time_s)
        self._entries.append(entry)
        if len(self._entries) >= self._batch_size:
            return self._take(self._batch_size)
        return None

    def set_batch_size(self, batch_size: int) -> list[BatchEntry] | None:
        """Change the batch size at runtime.

        When the waiting entries already fill the new size, the newest ``batch_size``
        of them are returned at once as a complete batch and any older surplus is
        dropped (those frames are stale by now); otherwise the waiting entries stay
        and count towards the new size and None is returned.

        Raises:
            ValueError: if ``batch_size`` is less than 1.

        """
        self._batch_size = _check_size(batch_size)
        if len(self._entries) >= self._batch_size:
            del self._entries[:len(self._entries) - self._batch_size]
            return self._take(self._batch_size)
        return None

    def _drop_expired(self, now_s: float) -> None:
        limit = self.age_limit_s
        kept = [entry for entry in self._entries if entry.time_s is None
                or 0.0 <= now_s - entry.time_s <= (math.inf if limit is None else limit)]
        self.frames_expired += len(self._entries) - len(kept)
        self._entries = kept

    def _take(self, count: int) -> list[BatchEntry]:
        batch = self._entries[:count]
        del self._entries[:count]
        return batch


def _check_age(max_age_s: float) -> float:
    age = float(max_age_s)
    if not age >= 0.0:
        raise ValueError(f'max_age_s must be >= 0 (0: automatic), got {max_age_s!r}')
    return age


def _check_size(batch_size: int) -> int:
    size = int(batch_size)
    if size < 1 or size != batch_size:
        raise ValueError(f'batch_size must be an integer >= 1, got {batch_size!r}')
    return size


def combine_probabilities(probabilities: np.ndarray, empty_mask: Any,
                          min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                          present_digit_margin: float = 0.0) -> CombinedPrediction:
    """Combine the per-frame softmax outputs of one batch into one prediction.

    The combined probabilities are the mean of the softmax outputs of the non-empty
    frames (rows of empty frames are ignored, whatever they hold). ``confidence`` is
    the highest mean probability of a digit (0 when all frames are empty). The result
    is ``NO_DIGIT`` when more than half of the frames are empty, when "no digit" is
    more likely than the best digit, or when the confidence is below
    ``min_confidence``, unless the model is sure that a digit is there ("no digit" at
    most :data:`PRESENT_MAX_NO_DIGIT`) and the confidence is at least
    ``min_confidence - present_digit_margin``. The ten digit probabilities are returned
    normalised to sum to 1 (the digit's distribution given that there is one), so
    ``DigitPrediction``'s ten-element ``probabilities`` keep their meaning.

    Args:
        probabilities: ``(N, 11)`` model outputs, one row per frame (digits 0-9, then
            "no digit"); ``(N, 10)`` for a model without "no digit".
        empty_mask: ``(N,)`` booleans, True where the frame was empty.
        min_confidence: minimal confidence for reporting a digit.
        present_digit_margin: how far below ``min_confidence`` the confidence may be
            when the model is sure that a digit is there (a model without "no digit"
            never is); 0: never.

    Returns:
        The :class:`CombinedPrediction` with ``frame_count == N``.

    Raises:
        ValueError: if the shapes do not match.

    """
    probs = np.asarray(probabilities, np.float64)
    empty = np.asarray(empty_mask, bool).reshape(-1)
    if probs.ndim == 1 and probs.size == 0:
        probs = probs.reshape(0, NUM_OUTPUTS)
    if (probs.ndim != 2 or probs.shape[1] not in (NUM_CLASSES, NUM_OUTPUTS)
            or probs.shape[0] != empty.size):
        raise ValueError(f'expected probabilities (N, {NUM_OUTPUTS}) or (N, {NUM_CLASSES}) '
                         f'and empty_mask (N,), got {probs.shape} and {empty.shape}')
    count = int(empty.size)
    used = probs[~empty]
    if used.shape[0] == 0:
        return CombinedPrediction(NO_DIGIT, 0.0, np.zeros(NUM_CLASSES, np.float32), count)
    mean = used.mean(axis=0)
    total = mean.sum()
    if total > 0:
        mean = mean / total
    digits = mean[:NUM_CLASSES]
    no_digit = float(mean[NO_DIGIT_CLASS]) if mean.size > NUM_CLASSES else 0.0
    best = int(np.argmax(digits))
    confidence = float(digits[best])
    digit_total = digits.sum()
    given_digit = digits / digit_total if digit_total > 0 else digits
    mostly_empty = 2 * int(empty.sum()) > count
    sure_of_digit = (mean.size > NUM_CLASSES and no_digit <= PRESENT_MAX_NO_DIGIT
                     and confidence >= min_confidence - present_digit_margin)
    rejected = mostly_empty or confidence <= no_digit or (
        confidence < min_confidence and not sure_of_digit)
    return CombinedPrediction(NO_DIGIT if rejected else best, confidence,
                              given_digit.astype(np.float32), count, no_digit)


def combine_with_second_look(probabilities: np.ndarray, second_look: np.ndarray | None,
                             empty_mask: Any, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                             present_digit_margin: float = DEFAULT_PRESENT_DIGIT_MARGIN
                             ) -> CombinedPrediction:
    """Combine a batch's outputs as :func:`combine_probabilities`, with a second look.

    The second looks are the preprocessor's inputs at a lower ink threshold and floor,
    made only where they find new ink. When the first inputs give no digit, yet a digit
    is likelier than "no digit" in them, the second looks are combined the same way, and
    their digit is the answer if they give one: faint parts of strokes, under glare or a
    shadow or in pencil, are then part of the digit. Where "no digit" is the first
    inputs' likeliest answer, it is the answer: what the lower floor adds there is mostly
    an eraser's smudge, show-through or an edge. When the first inputs give a digit and
    the second looks give *another* at ``min_confidence``, the second looks' is the
    answer: the first look kept only part of the digit (the half of an "8" beyond a
    shadow's edge, read as a "0") and the lower threshold the rest. Only when neither
    look gives a digit at ``min_confidence`` may a digit the model is sure is there be
    reported below it (``present_digit_margin``), the first inputs' before the second
    looks'.

    Args:
        probabilities: ``(N, 11)`` model outputs of the first inputs.
        second_look: ``(N, 11)`` outputs of the second looks, a frame without one
            repeating its row of ``probabilities``; None: no frame has one.
        empty_mask: ``(N,)`` booleans, True where the frame was empty.
        min_confidence: minimal confidence for reporting a digit.
        present_digit_margin: see :func:`combine_probabilities`.

    Returns:
        The second looks' :class:`CombinedPrediction` when they give a digit at
        ``min_confidence`` other than the first inputs'; else the first in the order
        above that gives a digit; else the first inputs' at ``min_confidence``.

    """
    first = combine_probabilities(probabilities, empty_mask, min_confidence)
    if first.digit == NO_DIGIT and first.confidence < first.no_digit_probability:
        # The first looks' likeliest answer is "no digit": what a second look adds there,
        # at its lower floor, is mostly a smudge, show-through or an edge, not a stroke.
        return first
    second = (None if second_look is None
              else combine_probabilities(second_look, empty_mask, min_confidence))
    if second is not None and second.digit not in (NO_DIGIT, first.digit):
        return second
    if first.digit != NO_DIGIT or present_digit_margin <= 0:
        return first
    for outputs in [probabilities] if second_look is None else [probabilities, second_look]:
        combined = combine_probabilities(outputs, empty_mask, min_confidence,
                                         present_digit_margin)
        if combined.digit != NO_DIGIT:
            return combined
    return first


def predict_batch(batch: list[BatchEntry], predict: Callable[[np.ndarray], np.ndarray],
                  min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                  present_digit_margin: float = DEFAULT_PRESENT_DIGIT_MARGIN
                  ) -> CombinedPrediction:
    """Run the model on a batch's non-empty frames and combine the results.

    When some frames have a second look, the model runs once more, on those
    (:func:`combine_with_second_look`).

    Args:
        batch: entries from :meth:`FrameBatcher.add`.
        predict: maps a ``float32 (M, 28, 28, 1)`` batch in [0, 1] to ``(M, 11)``
            probabilities; not called when every frame is empty. uint8 entries are
            scaled to [0, 1] first (:func:`~.model_contract.to_model_batch`).
        min_confidence: see :func:`combine_probabilities`.
        present_digit_margin: see :func:`combine_probabilities`.

    Returns:
        The :class:`CombinedPrediction` of the batch (:func:`combine_with_second_look`).

    """
    empty = np.array([e.is_empty or e.model_input is None for e in batch], bool)
    probs = np.zeros((len(batch), NUM_OUTPUTS), np.float32)
    if (~empty).any():
        # Per entry, so uint8 (0-255) and float ([0, 1]) inputs may even be mixed.
        probs = _predict_rows(probs, [e.model_input for e in batch], ~empty, predict)

    looks = ~empty & np.array([e.second_look is not None for e in batch], bool)
    second_looks = (_predict_rows(probs, [e.second_look for e in batch], looks, predict)
                    if looks.any() else None)
    return combine_with_second_look(probs, second_looks, empty, min_confidence,
                                    present_digit_margin)


def _predict_rows(probs: np.ndarray, images: list, rows: np.ndarray,
                  predict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Return a copy of ``probs`` with ``rows`` replaced by the model's outputs on ``images``."""
    batch = np.concatenate([to_model_batch(image)
                            for image, row in zip(images, rows, strict=True) if row])
    out = np.asarray(predict(batch), np.float32).reshape(len(batch), -1)
    probs = probs[:, :out.shape[1]].copy()
    probs[rows] = out
    return probs
