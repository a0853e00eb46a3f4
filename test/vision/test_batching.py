"""Tests of frame batching and probability combination."""

from digit_recognition.vision.batching import BatchEntry, FrameBatcher, NO_DIGIT
from digit_recognition.vision.batching import combine_probabilities, predict_batch

import numpy as np

import pytest


def one_hot(digit, p=0.9):
    """One hot."""
    row = np.full(10, (1.0 - p) / 9, np.float32)
    row[digit] = p
    return row


def entry(time_s):
    """Return an empty frame stamped ``time_s``; its header is its time, to follow it."""
    return BatchEntry(None, True, header=time_s, time_s=time_s)


def headers(batch):
    """Return the headers of a batch's entries."""
    return [e.header for e in batch]


def test_batcher_emits_full_batches_in_order():
    """Check: batcher emits full batches in order."""
    batcher = FrameBatcher(3)
    assert batcher.add(entry(1)) is None
    assert batcher.add(entry(2)) is None
    assert len(batcher) == 2
    assert headers(batcher.add(entry(3))) == [1, 2, 3]
    assert len(batcher) == 0
    assert batcher.add(entry(4)) is None


def test_reducing_batch_size_emits_newest_entries():
    """Check: reducing batch size emits newest entries."""
    batcher = FrameBatcher(5)
    for time_s in range(4):
        batcher.add(entry(time_s))
    assert headers(batcher.set_batch_size(2)) == [2, 3]
    assert len(batcher) == 0 and batcher.batch_size == 2


def test_increasing_batch_size_keeps_waiting_entries():
    """Check: increasing batch size keeps waiting entries."""
    batcher = FrameBatcher(2)
    batcher.add(entry(0))
    assert batcher.set_batch_size(3) is None
    batcher.add(entry(1))
    assert headers(batcher.add(entry(2))) == [0, 1, 2]


def test_reducing_to_exact_fill():
    """Check: reducing the size to exactly the waiting entries emits them."""
    batcher = FrameBatcher(4)
    batcher.add(entry(0))
    batcher.add(entry(1))
    assert headers(batcher.set_batch_size(2)) == [0, 1]
    assert len(batcher) == 0


def test_a_gap_longer_than_the_max_gap_starts_a_new_batch():
    """Frames from before a gap are dropped, never averaged with later ones."""
    batcher = FrameBatcher(3, max_gap_s=0.5)
    batcher.add(entry(10.0))
    batcher.add(entry(10.1))
    assert batcher.add(entry(12.0)) is None  # 1.9 s later: the two are stale
    assert batcher.frames_expired == 2 and len(batcher) == 1
    assert batcher.add(entry(12.1)) is None
    assert headers(batcher.add(entry(12.2))) == [12.0, 12.1, 12.2]


def test_a_slow_steady_stream_fills_batches_and_the_limit_is_inclusive():
    """Only the gap between consecutive frames counts, not the batch's whole span."""
    batcher = FrameBatcher(4, max_gap_s=0.5)
    for time_s in (1.0, 1.5, 2.0):
        assert batcher.add(entry(time_s)) is None
    assert headers(batcher.add(entry(2.5))) == [1.0, 1.5, 2.0, 2.5]
    assert batcher.frames_expired == 0


def test_time_going_back_drops_the_waiting_frames():
    """A looping bag or a reset simulation clock starts a new batch."""
    batcher = FrameBatcher(2, max_gap_s=0.5)
    batcher.add(entry(100.0))
    assert batcher.add(entry(3.0)) is None
    assert batcher.frames_expired == 1
    assert headers(batcher.add(entry(3.1))) == [3.0, 3.1]


def test_no_limit_without_max_gap_or_without_stamps():
    """Check: entries without a time, or a batcher without a limit, keep everything."""
    unlimited = FrameBatcher(2)
    unlimited.add(entry(0.0))
    assert headers(unlimited.add(entry(1000.0))) == [0.0, 1000.0]
    unstamped = FrameBatcher(2, max_gap_s=0.1)
    unstamped.add(BatchEntry(None, True, header='a'))
    assert headers(unstamped.add(entry(50.0))) == ['a', 50.0]


@pytest.mark.parametrize('size', [0, -1, 2.5])
def test_invalid_batch_size(size):
    """Check: batch sizes below 1 or fractional are rejected."""
    with pytest.raises(ValueError):
        FrameBatcher(size)
    with pytest.raises(ValueError):
        FrameBatcher(2).set_batch_size(size)


def test_combine_mean_of_non_empty_frames():
    """Check: combine mean of non empty frames."""
    probs = np.stack([one_hot(3, 0.9), one_hot(3, 0.7), one_hot(5, 0.8), np.zeros(10)])
    result = combine_probabilities(probs, [False, False, False, True], min_confidence=0.3)
    expected = probs[:3].mean(axis=0)
    np.testing.assert_allclose(result.probabilities, expected, rtol=1e-6)
    assert result.digit == 3
    assert result.confidence == pytest.approx(expected[3])
    assert result.frame_count == 4
    assert result.probabilities.dtype == np.float32
    assert result.probabilities.sum() == pytest.approx(1.0)


def test_empty_rows_are_ignored_whatever_they_hold():
    """Check: empty rows are ignored whatever they hold."""
    probs = np.stack([one_hot(7), np.full(10, np.nan), one_hot(7)])
    result = combine_probabilities(probs, [False, True, False], min_confidence=0.5)
    assert result.digit == 7 and result.confidence == pytest.approx(0.9)


def test_more_than_half_empty_is_no_digit_but_reports_confidence():
    """Check: more than half empty is no digit but reports confidence."""
    probs = np.stack([one_hot(2)] * 5)
    result = combine_probabilities(probs, [True, True, True, False, False])
    assert result.digit == NO_DIGIT
    assert result.confidence == pytest.approx(0.9)
    assert result.frame_count == 5
    # Exactly half empty is still a digit.
    assert combine_probabilities(probs[:4], [True, True, False, False], 0.5).digit == 2


def test_low_confidence_is_no_digit():
    """Check: low confidence is no digit."""
    probs = np.stack([one_hot(1, 0.6), one_hot(4, 0.6)])
    result = combine_probabilities(probs, [False, False], min_confidence=0.5)
    assert result.digit == NO_DIGIT and result.confidence < 0.5
    assert combine_probabilities(probs[:1], [False], min_confidence=0.5).digit == 1


def test_all_empty_and_no_frames():
    """Check: all-empty and zero-frame batches give NO_DIGIT."""
    result = combine_probabilities(np.zeros((3, 10)), [True] * 3)
    assert result.digit == NO_DIGIT and result.confidence == 0.0
    assert not result.probabilities.any() and result.frame_count == 3
    nothing = combine_probabilities(np.zeros((0, 10)), [])
    assert nothing.digit == NO_DIGIT and nothing.frame_count == 0


def test_shape_mismatch():
    """Check: mismatched shapes are rejected."""
    with pytest.raises(ValueError):
        combine_probabilities(np.zeros((3, 10)), [False, False])
    with pytest.raises(ValueError):
        combine_probabilities(np.zeros((2, 9)), [False, False])


def test_predict_batch_runs_model_once_on_non_empty_frames():
    """Check: predict batch runs model once on non empty frames."""
    calls = []

    def predict(batch):
        """Predict."""
        calls.append(batch.shape)
        # Class = brightest row index, to check the right images arrive in order.
        return np.stack([one_hot(int(img[:, :, 0].sum(axis=1).argmax()) % 10) for img in batch])

    def image(row):
        """Image."""
        img = np.zeros((28, 28), np.float32)
        img[row] = 1.0
        return img

    batch = [BatchEntry(image(6)), BatchEntry(None, True), BatchEntry(image(6)),
             BatchEntry(image(6), True)]
    result = predict_batch(batch, predict, min_confidence=0.5)
    assert calls == [(2, 28, 28, 1)]
    assert result.digit == 6 and result.frame_count == 4
    calls.clear()
    assert predict_batch([BatchEntry(None, True)], predict).digit == NO_DIGIT
    assert calls == []


def test_predict_batch_scales_uint8_inputs_like_float():
    """Check: uint8 0-255 entries reach the model as float32 in [0, 1]."""
    seen = []

    def predict(batch):
        seen.append((batch.dtype, float(batch.max())))
        return np.stack([one_hot(2)] * len(batch))

    image = np.zeros((28, 28), np.uint8)
    image[10:18, 12:16] = 255
    predict_batch([BatchEntry(image), BatchEntry(image.astype(np.float32) / 255)], predict)
    assert seen == [(np.float32, 1.0)]
