"""The debouncer of predictions and the board that read_digit waits on."""

import threading

from digit_recognition.vision.batching import NO_DIGIT
from digit_recognition.vision.stability import StabilityFilter, StableReadings
import pytest


def stable_changes(filter_, digits):
    """Feed predictions' digits; return the stable readings as they change."""
    return [update.reading for update in map(filter_.update, digits) if update.changed]


def test_a_reading_becomes_stable_after_stable_count_agreeing_predictions():
    filter_ = StabilityFilter(stable_count=3)
    assert stable_changes(filter_, [7, 7]) == []
    assert filter_.stable is None
    assert stable_changes(filter_, [7]) == [7]
    assert stable_changes(filter_, [7] * 5) == []  # only changes are reported
    assert filter_.stable == 7


def test_stray_predictions_do_not_change_the_stable_reading():
    filter_ = StabilityFilter(stable_count=3)
    sequence = [4] * 3 + [9, 4, NO_DIGIT, 4, 9, 9]
    assert stable_changes(filter_, sequence) == [4]
    assert stable_changes(filter_, [9]) == [9]


def test_no_digit_is_a_reading_too():
    filter_ = StabilityFilter(stable_count=2)
    sequence = [3, 3, NO_DIGIT, NO_DIGIT, 5, 5, NO_DIGIT, 3, NO_DIGIT, NO_DIGIT]
    assert stable_changes(filter_, sequence) == [3, NO_DIGIT, 5, NO_DIGIT]


def test_confirmed_marks_every_prediction_that_agrees_with_a_full_run():
    filter_ = StabilityFilter(stable_count=2)
    updates = [filter_.update(digit) for digit in (1, 1, 1, 2, 1)]
    assert [u.confirmed for u in updates] == [False, True, True, False, False]
    assert [u.changed for u in updates] == [False, True, False, False, False]


def test_stable_count_can_change_and_the_current_run_counts():
    filter_ = StabilityFilter(stable_count=5)
    assert stable_changes(filter_, [6] * 3) == []
    filter_.set_stable_count(3)
    assert stable_changes(filter_, [6]) == [6]
    with pytest.raises(ValueError, match='stable_count'):
        filter_.set_stable_count(0)
    with pytest.raises(ValueError, match='stable_count'):
        StabilityFilter(stable_count=1.5)


def test_stable_count_one_follows_every_change():
    filter_ = StabilityFilter(stable_count=1)
    assert stable_changes(filter_, [1, 1, 2, NO_DIGIT]) == [1, 2, NO_DIGIT]


def test_a_waiter_gets_the_first_acceptable_reading_confirmed_after_its_call():
    board = StableReadings()
    board.confirm(4)  # before the wait: not an answer
    results = []
    waiter = threading.Thread(target=lambda: results.append(
        board.wait_next(30.0, accept=lambda reading: reading != NO_DIGIT)))
    waiter.start()
    while not board.waiting:  # the waiter is inside wait_next
        threading.Event().wait(0.01)
    board.confirm(NO_DIGIT)
    board.confirm(8)
    board.confirm(2)
    waiter.join(30.0)
    assert results == [8]


def test_a_waiter_times_out_with_none():
    now = [0.0]
    board = StableReadings(clock=lambda: now[0])
    assert board.wait_next(0.0) is None
    now[0] = 100.0
    assert board.wait_next(-1.0) is None


def test_close_wakes_every_waiter():
    board = StableReadings()
    results = []
    waiters = [threading.Thread(target=lambda: results.append(board.wait_next(60.0)))
               for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    while board.waiting < 3:
        threading.Event().wait(0.01)
    board.close()
    assert board.closed
    for waiter in waiters:
        waiter.join(30.0)
    assert results == [None, None, None]
    assert board.waiting == 0
    assert board.wait_next(60.0) is None
