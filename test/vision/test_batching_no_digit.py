"""Tests of how the model's "no digit" output is combined into a prediction."""

from digit_recognition.vision.batching import (
    BatchEntry, combine_probabilities, combine_with_second_look, DEFAULT_MIN_CONFIDENCE,
    DEFAULT_PRESENT_DIGIT_MARGIN, NO_DIGIT, predict_batch, PRESENT_MAX_NO_DIGIT)
from digit_recognition.vision.model_contract import NO_DIGIT_CLASS, NUM_CLASSES, NUM_OUTPUTS
import numpy as np
import pytest


def row(digit_probs: dict[int, float]) -> np.ndarray:
    """Return one 11-wide model output with the given class probabilities."""
    out = np.zeros(NUM_OUTPUTS)
    for index, value in digit_probs.items():
        out[index] = value
    return out


def test_no_digit_class_wins_even_above_min_confidence():
    """Check: when "no digit" is likelier than the best digit, the answer is NO_DIGIT."""
    probs = np.stack([row({7: 0.45, NO_DIGIT_CLASS: 0.55})])
    result = combine_probabilities(probs, [False], min_confidence=0.3)
    assert result.digit == NO_DIGIT
    assert result.confidence == pytest.approx(0.45)
    assert result.no_digit_probability == pytest.approx(0.55)


def test_digit_probabilities_are_given_a_digit_and_confidence_is_not():
    """Check: the ten probabilities sum to 1; confidence keeps the no-digit share out."""
    probs = np.stack([row({3: 0.6, 5: 0.2, NO_DIGIT_CLASS: 0.2}),
                      row({3: 0.8, NO_DIGIT_CLASS: 0.2})])
    result = combine_probabilities(probs, [False, False], min_confidence=0.5)
    assert result.digit == 3
    assert result.probabilities.shape == (10,)
    assert result.probabilities.sum() == pytest.approx(1.0)
    assert result.probabilities[3] == pytest.approx(0.7 / 0.8)
    assert result.confidence == pytest.approx(0.7)
    assert result.confidence == pytest.approx(
        (1 - result.no_digit_probability) * result.probabilities.max())


def test_confidence_below_threshold_is_no_digit():
    """Check: a digit likelier than "no digit" but below min_confidence is rejected."""
    probs = np.stack([row({1: 0.5, 7: 0.3, NO_DIGIT_CLASS: 0.2})])
    assert combine_probabilities(probs, [False], min_confidence=0.6).digit == NO_DIGIT
    assert combine_probabilities(probs, [False], min_confidence=0.4).digit == 1


def test_a_digit_surely_there_needs_less_confidence():
    """Check: with "no digit" at most PRESENT_MAX_NO_DIGIT, the margin lowers the bar."""
    sure = np.stack([row({7: 0.75, 1: 0.2499, NO_DIGIT_CLASS: 0.0001})])
    assert combine_probabilities(sure, [False], 0.9).digit == NO_DIGIT
    result = combine_probabilities(sure, [False], 0.9, present_digit_margin=0.2)
    assert (result.digit, result.confidence) == (7, pytest.approx(0.75))
    # Below min_confidence - margin, still no digit.
    assert combine_probabilities(sure, [False], 0.97, present_digit_margin=0.2).digit == NO_DIGIT
    # A few percent of "no digit" and the model is not sure: the full bar holds.
    unsure = np.stack([row({7: 0.75, 1: 0.22, NO_DIGIT_CLASS: 0.03})])
    assert combine_probabilities(unsure, [False], 0.9, present_digit_margin=0.2).digit == (
        NO_DIGIT)
    edge = np.stack([row({7: 0.8, 1: 0.2 - PRESENT_MAX_NO_DIGIT,
                          NO_DIGIT_CLASS: PRESENT_MAX_NO_DIGIT})])
    assert combine_probabilities(edge, [False], 0.9, present_digit_margin=0.2).digit == 7


def test_a_model_without_no_digit_is_never_sure_a_digit_is_there():
    """Check: ten outputs say nothing of whether a digit is there; min_confidence holds."""
    probs = np.zeros((1, NUM_CLASSES))
    probs[0, 4], probs[0, 9] = 0.8, 0.2
    assert combine_probabilities(probs, [False], 0.9, present_digit_margin=0.5).digit == (
        NO_DIGIT)


def test_a_confident_second_look_comes_before_a_digit_read_below_min_confidence():
    """Check: the order is first look, second look at min_confidence, then with the margin."""
    first = np.stack([row({7: 0.8, 1: 0.1999, NO_DIGIT_CLASS: 0.0001})])
    confident_second = np.stack([row({1: 0.95, NO_DIGIT_CLASS: 0.05})])
    unsure_second = np.stack([row({1: 0.85, 7: 0.1499, NO_DIGIT_CLASS: 0.0001})])
    assert combine_with_second_look(first, confident_second, [False], 0.9, 0.2).digit == 1
    assert combine_with_second_look(first, unsure_second, [False], 0.9, 0.2).digit == 7
    assert combine_with_second_look(first, unsure_second, [False], 0.9, 0.0).digit == NO_DIGIT
    rejected = np.stack([row({7: 0.5, NO_DIGIT_CLASS: 0.5})])
    assert combine_with_second_look(rejected, unsure_second, [False], 0.9, 0.2).digit == 1
    # No digit at all: the first look's result, with its confidence.
    result = combine_with_second_look(rejected, rejected, [False], 0.9, 0.2)
    assert (result.digit, result.confidence) == (NO_DIGIT, pytest.approx(0.5))


def test_predict_batch_reads_a_digit_surely_there_by_default():
    """Check: the classifier's defaults report a sure digit between the two bars."""
    entries = [BatchEntry(np.zeros((28, 28), np.float32)) for _ in range(5)]
    confidence = DEFAULT_MIN_CONFIDENCE - DEFAULT_PRESENT_DIGIT_MARGIN / 2

    def sure(images: np.ndarray) -> np.ndarray:
        return np.tile(row({6: confidence, 0: 1.0 - confidence - 1e-4, NO_DIGIT_CLASS: 1e-4}),
                       (len(images), 1))

    assert predict_batch(entries, sure).digit == 6
    assert predict_batch(entries, sure, present_digit_margin=0.0).digit == NO_DIGIT


def test_predict_batch_passes_eleven_outputs_through():
    """Check: predict_batch runs an 11-output model and rejects on its no-digit class."""
    entries = [BatchEntry(np.zeros((28, 28), np.float32)) for _ in range(3)]

    def negative(images: np.ndarray) -> np.ndarray:
        return np.tile(row({2: 0.1, NO_DIGIT_CLASS: 0.9}), (len(images), 1))

    result = predict_batch(entries, negative, min_confidence=0.05)
    assert result.digit == NO_DIGIT
    assert result.no_digit_probability == pytest.approx(0.9)


def test_wrong_width_is_refused():
    """Check: outputs that are neither 10 nor 11 wide are refused."""
    with pytest.raises(ValueError):
        combine_probabilities(np.zeros((1, 12)), [False])
