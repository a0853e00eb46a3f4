"""One table of parameters per node: declaration, descriptors, the checks rclpy lacks.

Each node lists its parameters once as :class:`ParameterSpec` rows (type from the
default, description, range or choices, read-only). :class:`ParameterTable` declares
them with full descriptors, so rclpy itself enforces types, ranges and read-only
(``ros2 param describe`` shows them, ``ros2 param set`` is refused with rclpy's
reason). The table adds only what descriptors cannot say:

* the accepted values of a string parameter (``choices``);
* an integer where a float is declared (``fps:=30``, the commonest YAML slip) and an
  integer where a string is declared (``source:=0``): such parameters are declared
  with dynamic typing, and the table converts and range-checks the value itself;
* one clear line instead of rclpy's traceback when a start-up value is wrong
  (:class:`StartupParameterError`), with the half-built node destroyed.

It keeps a dict of current values that the node's callbacks read. The README's
parameter tables and the launch file's YAML are checked against the same rows by
the tests.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
import re
from typing import Any

from digit_recognition.nodes.node_runner import WARN_PERIOD_S
from rcl_interfaces.msg import (
    FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult)
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter

ParameterValue = bool | int | float | str


class StartupParameterError(ValueError):
    """A start-up value (YAML, launch argument, ``-p``) the node cannot run with."""


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a node.

    Attributes:
        name: the parameter's name.
        default: its default; its Python type is the parameter's type.
        description: one line shown by ``ros2 param describe``.
        min_value: inclusive lower bound of a number.
        max_value: inclusive upper bound of a number.
        choices: the accepted values of a string, if limited.
        read_only: only settable at start-up (launch arguments, YAML).

    """

    name: str
    default: ParameterValue
    description: str
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] = ()
    read_only: bool = False

    @property
    def accepts_integers(self) -> bool:
        """True for float and string parameters, which take an integer as users type it."""
        return isinstance(self.default, (float, str))

    def descriptor(self) -> ParameterDescriptor:
        """Return the ROS descriptor: description, range, read-only flag."""
        descriptor = ParameterDescriptor(
            name=self.name, description=self.description, read_only=self.read_only,
            dynamic_typing=self.accepts_integers)
        if self.choices:
            descriptor.additional_constraints = 'one of: ' + ', '.join(self.choices)
        if self.min_value is not None and self.max_value is not None:
            if isinstance(self.default, int) and not isinstance(self.default, bool):
                descriptor.integer_range = [IntegerRange(
                    from_value=int(self.min_value), to_value=int(self.max_value), step=1)]
            elif isinstance(self.default, float):
                descriptor.floating_point_range = [FloatingPointRange(
                    from_value=float(self.min_value), to_value=float(self.max_value),
                    step=0.0)]
        return descriptor

    def convert(self, value: Any) -> tuple[ParameterValue, str | None]:
        """Return ``(value in this parameter's type, None)`` or ``(value, why not)``.

        Checks only what rclpy's descriptor does not: the choices of a string, and the
        type and range of the dynamically typed float and string parameters.
        """
        if isinstance(self.default, float) and not isinstance(value, bool) and isinstance(
                value, (int, float)):
            value = float(value)
            if ((self.min_value is not None and value < self.min_value)
                    or (self.max_value is not None and value > self.max_value)):
                return value, self.rejection(value)
        elif isinstance(self.default, str) and isinstance(value, int) and not isinstance(
                value, bool):
            value = str(value)
        if type(value) is not type(self.default) or (self.choices and value not in self.choices):
            return value, self.rejection(value)
        return value, None

    def rejection(self, value: Any, as_typed: bool = False) -> str:
        """Return why ``value`` is refused: the parameter, the value, what it takes.

        ``as_typed``: ``value`` is the text the user typed, shown without quotes.
        """
        shown = (str(value).lower() if isinstance(value, bool) else
                 repr(value) if isinstance(value, str) and not as_typed else str(value))
        return f'parameter {self.name} := {shown} is not accepted; it takes {self.accepted}'

    @property
    def accepted(self) -> str:
        """What the parameter accepts, in words (for error messages)."""
        if self.choices:
            return 'one of ' + ', '.join(self.choices)
        kind = {bool: 'true or false', int: 'an integer', float: 'a number',
                str: 'a string'}[type(self.default)]
        if self.min_value is not None and self.max_value is not None:
            kind += f' from {self.min_value} to {self.max_value}'
        return kind

    @property
    def range_text(self) -> str:
        """Human-readable range or choices (for documentation)."""
        if self.choices:
            return ', '.join(self.choices)
        if self.min_value is not None and self.max_value is not None:
            return f'{self.min_value} to {self.max_value}'
        return ''


class ParameterTable:
    """Declares a node's parameters and keeps their validated current values.

    Changes arrive through the node's ``set_parameters`` service (what
    ``ros2 param set`` calls); rclpy applies the descriptors first, then this table
    checks what they cannot express, and the change is applied as a whole or
    rejected with a reason. ``on_change`` callbacks run after a change is accepted,
    with the names that changed.
    """

    def __init__(self, node: Node, specs: Sequence[ParameterSpec]) -> None:
        """Declare ``specs`` on ``node`` and read the values given at start-up.

        Call it first thing after ``Node.__init__``: on a bad start-up value it
        destroys the node before raising.

        Raises:
            StartupParameterError: if a start-up value (YAML, launch argument) is
                invalid; the message names the node, the parameter, the value and what
                the parameter accepts, in one line.

        """
        self._specs = {spec.name: spec for spec in specs}
        self._node = node
        self._listeners: list[Callable[[Iterable[str]], None]] = []
        self.values: dict[str, ParameterValue] = {}
        for spec in specs:
            try:
                given = node.declare_parameter(spec.name, spec.default, spec.descriptor()).value
                value, reason = spec.convert(given)
            except ParameterException as error:
                # rclpy refused it (type or range); its message holds the value given.
                reason = spec.rejection(_given_value(str(error)), as_typed=True)
            if reason is not None:
                name = node.get_name()
                # The subclass's destroy_node may need attributes it has not made yet.
                Node.destroy_node(node)
                raise StartupParameterError(f'{name}: {reason}')
            self.values[spec.name] = value
        node.add_on_set_parameters_callback(self._on_set_parameters)

    def __getitem__(self, name: str) -> ParameterValue:
        """Return the current value of parameter ``name``."""
        return self.values[name]

    def on_change(self, callback: Callable[[Iterable[str]], None]) -> None:
        """Call ``callback(names)`` after every accepted change."""
        self._listeners.append(callback)

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        converted = {}
        for parameter in parameters:
            spec = self._specs.get(parameter.name)
            if spec is None:
                continue
            converted[spec.name], reason = spec.convert(parameter.value)
            if reason is not None:
                self._node.get_logger().warning(f'rejected parameter change: {reason}',
                                                throttle_duration_sec=WARN_PERIOD_S)
                return SetParametersResult(successful=False, reason=reason)
        self.values.update(converted)
        for listener in self._listeners:
            listener(list(converted))
        return SetParametersResult(successful=True)


def _given_value(rclpy_message: str) -> str:
    """Return the value quoted in rclpy's type or range error, else its whole message."""
    match = (re.search(r"to '(.*)' of type", rclpy_message)
             or re.search(r'Invalid parameter value \((.*)\) for parameter', rclpy_message))
    return match.group(1) if match else ' '.join(rclpy_message.split())


def markdown_table(specs: Sequence[ParameterSpec]) -> str:
    """Return the README's table of ``specs``: name, type, default, range, description."""
    lines = ['| parameter | type | default | range | dynamic | description |',
             '| --- | --- | --- | --- | --- | --- |']
    for spec in specs:
        default = repr(spec.default) if isinstance(spec.default, str) else str(spec.default)
        lines.append(f'| `{spec.name}` | {type(spec.default).__name__} | `{default}` | '
                     f'{spec.range_text} | {"no" if spec.read_only else "yes"} | '
                     f'{spec.description} |')
    return '\n'.join(lines)
