"""Debounce the prediction stream into a stable reading, and wait for one (ROS-free).

The classifier publishes a prediction per batch of frames; a robot wants to know which
digit is being *shown*. :class:`StabilityFilter` calls a reading stable once
``stable_count`` consecutive predictions agree on it, and reports a change only when
the stable reading changes. :class:`StableReadings` lets other threads wait for the
next confirmed reading (the ``read_digit`` service).
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
import threading
import time
from typing import Generic, TypeVar

DEFAULT_STABLE_COUNT = 3
"""Consecutive agreeing predictions that make a reading stable."""


@dataclass(frozen=True)
class StabilityUpdate:
    """What one prediction did to the stable reading."""

    reading: int
    """The prediction's reading: its digit, or ``NO_DIGIT``."""
    confirmed: bool
    """True when the last ``stable_count`` predictions, this one included, agree on
    ``reading``: this prediction confirms the stable reading."""
    changed: bool
    """True when this prediction made ``reading`` the new stable reading."""


class StabilityFilter:
    """Consecutive-count debouncer of digit readings.

    A prediction's reading is its digit, ``NO_DIGIT`` included: whether a batch shows a
    digit is decided once, where its prediction is made
    (:func:`~digit_recognition.vision.batching.combine_probabilities`). A reading
    becomes stable when ``stable_count`` consecutive predictions have it; it then stays
    stable until another reading becomes stable (a single stray prediction changes
    nothing).
    """

    def __init__(self, stable_count: int = DEFAULT_STABLE_COUNT) -> None:
        """Start with no stable reading.

        Raises:
            ValueError: if ``stable_count`` is less than 1.

        """
        self._stable_count = _check_count(stable_count)
        self._candidate: int | None = None
        self._run = 0
        self.stable: int | None = None
        """The current stable reading, or None before the first one."""

    @property
    def stable_count(self) -> int:
        """Consecutive agreeing predictions needed; change with :meth:`set_stable_count`."""
        return self._stable_count

    def set_stable_count(self, stable_count: int) -> None:
        """Change ``stable_count``; the current run of agreeing predictions still counts.

        Raises:
            ValueError: if ``stable_count`` is less than 1.

        """
        self._stable_count = _check_count(stable_count)

    def update(self, digit: int) -> StabilityUpdate:
        """Take one prediction's digit (or ``NO_DIGIT``) in stream order; say what it did."""
        reading = int(digit)
        if reading == self._candidate:
            self._run += 1
        else:
            self._candidate, self._run = reading, 1
        confirmed = self._run >= self._stable_count
        changed = confirmed and reading != self.stable
        if changed:
            self.stable = reading
        return StabilityUpdate(reading, confirmed, changed)


def _check_count(stable_count: int) -> int:
    count = int(stable_count)
    if count < 1 or count != stable_count:
        raise ValueError(f'stable_count must be an integer >= 1, got {stable_count!r}')
    return count


Reading = TypeVar('Reading')

RECENT_READINGS = 64
"""Confirmations kept for waiters that wake up late."""


class StableReadings(Generic[Reading]):
    """Confirmed readings handed from the thread that makes them to threads that wait.

    The producer calls :meth:`confirm` for every prediction that confirms a stable
    reading; a waiter calls :meth:`wait_next` and gets the first confirmed reading
    after its call that ``accept`` takes, or None at its timeout or at :meth:`close`.
    Waiting does not block the producer.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Create an empty board; ``clock`` measures the timeouts."""
        self._condition = threading.Condition()
        self._clock = clock
        self._sequence = 0
        # (sequence, reading) of the newest confirmations, so that a waiter woken late
        # still sees each one it missed, in order.
        self._recent: deque = deque(maxlen=RECENT_READINGS)
        self._closed = False
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many callers are inside :meth:`wait_next` now."""
        with self._condition:
            return self._waiting

    def confirm(self, reading: Reading) -> None:
        """Record a newly confirmed reading and wake every waiter."""
        with self._condition:
            self._sequence += 1
            self._recent.append((self._sequence, reading))
            self._condition.notify_all()

    def close(self) -> None:
        """Wake every waiter with None; later waits return None at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def wait_next(self, timeout_s: float,
                  accept: Callable[[Reading], bool] = lambda reading: True
                  ) -> Reading | None:
        """Return the next confirmed reading that ``accept`` takes, or None.

        Only readings confirmed after this call count. None after ``timeout_s``
        seconds, or when the board is closed.
        """
        deadline = self._clock() + timeout_s
        with self._condition:
            seen = self._sequence
            self._waiting += 1
            try:
                while not self._closed:
                    for sequence, reading in self._recent:
                        if sequence > seen and accept(reading):
                            return reading
                    seen = self._sequence
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        return None
                    self._condition.wait(remaining)
                return None
            finally:
                self._waiting -= 1
