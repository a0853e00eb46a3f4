"""Tests of frame batching and probability combination."""

from digit_recognition.vision.batching import BatchEntry, FrameBatcher, FramePeriod, NO_DIGIT
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


def add_all(batcher, times):
    """Add a frame stamped at each of ``times``; return the batches completed."""
    return [headers(batch) for batch in map(batcher.add, map(entry, times)) if batch]


def test_frames_older_than_a_fixed_batch_age_are_dropped_not_averaged():
    """Only the waiting frames beyond the limit go; the newer ones stay in the batch."""
    batcher = FrameBatcher(4, max_age_s=0.5)
    assert add_all(batcher, [10.0, 10.3, 10.6]) == []
    # 10.65: 10.0 is 0.65 s old, 10.3 exactly 0.35 s; the limit is inclusive.
    assert batcher.add(entry(10.65)) is None
    assert batcher.frames_expired == 1 and len(batcher) == 3
    assert headers(batcher.add(entry(10.8))) == [10.3, 10.6, 10.65, 10.8]
    assert batcher.add(entry(12.0)) is None and batcher.frames_expired == 1


def test_a_fixed_batch_age_limits_the_span_not_only_the_gaps():
    """Frames 0.3 s apart never make a batch spanning more than 0.5 s."""
    batcher = FrameBatcher(3, max_age_s=0.5)
    assert add_all(batcher, [0.0, 0.3, 0.6, 0.9, 1.2]) == []
    assert batcher.frames_expired == 3 and len(batcher) == 2


def test_the_automatic_age_is_batch_size_plus_two_median_frame_periods():
    batcher = FrameBatcher(5)
    assert batcher.max_age_s == 0.0 and batcher.age_limit_s is None
    assert add_all(batcher, [0.0]) == [] and batcher.age_limit_s is None
    times = [i / 30.0 for i in range(1, 12)]
    assert len(add_all(batcher, times)) == 2
    assert batcher.age_limit_s == pytest.approx(7 / 30.0)
    # One long pause does not move the median of the recent intervals.
    add_all(batcher, [100.0, 100.0 + 1 / 30.0])
    assert batcher.age_limit_s == pytest.approx(7 / 30.0)
    batcher.set_batch_size(2)
    assert batcher.age_limit_s == pytest.approx(4 / 30.0)


def test_automatic_age_drops_the_frames_before_a_pause():
    """30 fps, three frames, a pause of a few frame periods, then the next batch."""
    batcher = FrameBatcher(5)
    before = [i / 30.0 for i in range(8)]  # one batch of five, three waiting
    assert add_all(batcher, before) == [before[:5]]
    after = [before[-1] + 0.5 + i / 30.0 for i in range(5)]  # 15 frame periods later
    assert add_all(batcher, after) == [after]
    assert batcher.frames_expired == 3


@pytest.mark.parametrize('fps', [2.0, 5.0, 30.0, 120.0])
def test_automatic_age_lets_a_steady_stream_of_any_rate_fill_its_batches(fps):
    """Whatever the rate, a steady stream (with 30 % jitter) loses no frame."""
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.7, 1.3, 60) / fps)
    batches = add_all(FrameBatcher(5), times.tolist())
    assert len(batches) == 12 and all(len(batch) == 5 for batch in batches)


def test_automatic_age_follows_a_camera_that_slows_down():
    """From 30 to 5 fps: after half the period window the batches fill again."""
    batcher = FrameBatcher(5)
    fast = [i / 30.0 for i in range(30)]
    slow = [fast[-1] + (i + 1) / 5.0 for i in range(30)]
    add_all(batcher, fast)
    batches = add_all(batcher, slow)
    assert batcher.age_limit_s == pytest.approx(7 / 5.0)
    # The last three batches are 15 consecutive slow frames: none dropped any more.
    latest = sum(batches[-3:], [])
    first = slow.index(latest[0])
    assert latest == slow[first:first + 15]


def test_time_going_back_drops_the_waiting_frames():
    """A looping bag or a reset simulation clock starts a new batch."""
    batcher = FrameBatcher(2, max_age_s=0.5)
    batcher.add(entry(100.0))
    assert batcher.add(entry(3.0)) is None
    assert batcher.frames_expired == 1
    assert headers(batcher.add(entry(3.1))) == [3.0, 3.1]


def test_unstamped_frames_have_no_age():
    """Check: entries without a time are never dropped and drop nothing."""
    unstamped = FrameBatcher(3, max_age_s=0.1)
    unstamped.add(BatchEntry(None, True, header='a'))
    unstamped.add(entry(50.0))
    assert headers(unstamped.add(BatchEntry(None, True, header='b'))) == ['a', 50.0, 'b']
    automatic = FrameBatcher(2)
    for name in 'cd':
        automatic.add(BatchEntry(None, True, header=name))
    assert automatic.age_limit_s is None and automatic.frames_expired == 0


def test_the_frame_period_is_the_median_of_recent_intervals():
    period = FramePeriod(window=5, min_intervals=4)
    for time_s in (0.0, 0.1, 0.2, 5.0):
        period.add(time_s)
    assert period.seconds is None  # three intervals: not known yet
    for time_s in (5.1, 5.2):
        period.add(time_s)
    assert period.seconds == pytest.approx(0.1)
    period.add(1.0)  # time went back: no interval; the next one counts from it
    period.add(1.1)
    assert period.seconds == pytest.approx(0.1)


@pytest.mark.parametrize('age', [-0.1, float('nan')])
def test_invalid_batch_age(age):
    with pytest.raises(ValueError):
        FrameBatcher(2, max_age_s=age)
    batcher = FrameBatcher(2, max_age_s=1.0)
    with pytest.raises(ValueError):
        batcher.max_age_s = age
    assert batcher.max_age_s == 1.0


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
