"""A node's health from its frame counts: OK / WARN / ERROR with fixed thresholds (ROS-free).

Each node counts what it receives, sends and drops (with the reason) in a
:class:`FlowMonitor`; once a second the ROS layer asks it for a :class:`HealthReport`
(level, one-line message, key/value figures) and publishes it on ``/diagnostics``.

Thresholds (the README's diagnostics table):

- ERROR: no input for :data:`NO_INPUT_ERROR_S` seconds (or none yet), or a problem the
  node reports itself at ERROR (the camera's source unavailable and being retried).
- WARN: more than :data:`DROPPED_WARN_SHARE` of the frames received since the last
  report were dropped, or a problem the node reports at WARN (the source ended).
- OK otherwise, also while a node is idle on purpose (nobody subscribes to its output).
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import enum
import time

NO_INPUT_ERROR_S = 2.0
"""Seconds without input after which a node reports ERROR."""

DROPPED_WARN_SHARE = 0.2
"""Share of the frames received in the last period which, when dropped, is a WARN."""


class Level(enum.IntEnum):
    """Severity; the values of ``diagnostic_msgs/DiagnosticStatus.level``."""

    OK = 0
    WARN = 1
    ERROR = 2


Problem = tuple[Level, str]


@dataclass(frozen=True)
class HealthReport:
    """One node's status: what ``/diagnostics`` carries for it."""

    level: Level
    message: str
    values: dict[str, str] = field(default_factory=dict)
    """Figures as text, in the order they are shown."""


class FlowMonitor:
    """Counts a node's frames in, out and dropped, and the time its work takes.

    Totals count since start; rates and the dropped share are over the period since
    the previous :meth:`report`.
    """

    def __init__(self, input_name: str, output_name: str = 'frames out',
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Start counting.

        Args:
            input_name: what the node receives, as shown in messages (e.g. 'image_raw').
            output_name: what the node sends, as shown in the figures.
            clock: seconds of a monotonic clock.

        """
        self.input_name = input_name
        self.output_name = output_name
        self._clock = clock
        self._period_start = clock()
        self._last_input: float | None = None
        self._last_output: float | None = None
        self.received_total = 0
        self.sent_total = 0
        self.dropped_total: Counter = Counter()
        self._received = 0
        self._sent = 0
        self._dropped = 0
        self._work_s: list[float] = []

    def received(self) -> None:
        """Count one input (a frame or message, good or bad)."""
        self.received_total += 1
        self._received += 1
        self._last_input = self._clock()

    def sent(self) -> None:
        """Count one output."""
        self.sent_total += 1
        self._sent += 1
        self._last_output = self._clock()

    def dropped(self, reason: str) -> None:
        """Count one input that was dropped, and why (a short fixed phrase)."""
        self.dropped_total[reason] += 1
        self._dropped += 1

    def worked(self, seconds: float) -> None:
        """Record the duration of one unit of work (e.g. one inference)."""
        self._work_s.append(seconds)

    def seconds_since_input(self) -> float | None:
        """Seconds since the last input, None if none came yet."""
        return None if self._last_input is None else self._clock() - self._last_input

    def seconds_since_output(self) -> float | None:
        """Seconds since the last output, None if none went out yet."""
        return None if self._last_output is None else self._clock() - self._last_output

    def report(self, idle: str | None = None, problems: Sequence[Problem] = (),
               values: dict[str, str] | None = None,
               work_name: str = 'work time (ms)') -> HealthReport:
        """Return the health now and start a new period.

        Args:
            idle: why the node is idle on purpose (then a lack of input is OK), or None.
            problems: what the node found itself, each with its level.
            values: further figures, shown after the common ones.
            work_name: the label of the mean duration recorded by :meth:`worked`.

        """
        now = self._clock()
        period = max(now - self._period_start, 1e-9)
        figures = {
            f'{self.input_name} per s': f'{self._received / period:.1f}',
            f'{self.output_name} per s': f'{self._sent / period:.1f}',
            'seconds since last input': age_text(self.seconds_since_input()),
            'frames received': str(self.received_total),
            'frames dropped': str(sum(self.dropped_total.values())),
        }
        for reason, count in sorted(self.dropped_total.items()):
            figures[f'dropped: {reason}'] = str(count)
        if self._work_s:
            figures[work_name] = f'{1000.0 * sum(self._work_s) / len(self._work_s):.2f}'
        figures.update(values or {})
        report = _summarise(list(problems) + self._flow_problems(idle), idle, figures,
                            f'{self._received / period:.1f} {self.input_name} frames/s')
        self._period_start = now
        self._received = self._sent = self._dropped = 0
        self._work_s = []
        return report

    def _flow_problems(self, idle: str | None) -> list[Problem]:
        found: list[Problem] = []
        age = self.seconds_since_input()
        if idle is None:
            if age is None:
                found.append((Level.ERROR, f'no {self.input_name} received yet'))
            elif age >= NO_INPUT_ERROR_S:
                found.append((Level.ERROR, f'no {self.input_name} for {age:.1f} s'))
        if self._received and self._dropped > DROPPED_WARN_SHARE * self._received:
            found.append((Level.WARN, f'dropped {self._dropped} of {self._received} '
                                      f'{self.input_name} frames'))
        return found


def age_text(age: float | None) -> str:
    """Return seconds as shown in the figures: one decimal, or 'never' for None."""
    return 'never' if age is None else f'{age:.1f}'


def _summarise(problems: Sequence[Problem], idle: str | None, values: dict[str, str],
               rate_text: str) -> HealthReport:
    if problems:
        level = max(level for level, _ in problems)
        message = '; '.join(text for found, text in problems if found == level)
        return HealthReport(level, message, values)
    return HealthReport(Level.OK, f'idle: {idle}' if idle else rate_text, values)
