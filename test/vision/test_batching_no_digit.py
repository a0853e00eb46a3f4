"""Tests of how the model's "no digit" output is combined into a prediction."""

from digit_recognition.vision.batching import (
    BatchEntry, combine_probabilities, NO_DIGIT, predict_batch)
from digit_recognition.vision.model_contract import NO_DIGIT_CLASS, NUM_OUTPUTS
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
