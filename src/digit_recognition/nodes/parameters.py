"""One table of parameters per node: declaration, descriptors, validation, values.

Each node lists its parameters once as :class:`ParameterSpec` rows (type from the
default, description, range or choices, read-only). :class:`ParameterTable` declares
them with full descriptors (so ``ros2 param describe`` shows ranges), validates every
change (rejecting it with a reason, the old value kept), and keeps a dict of current
values that the node's callbacks read. The README's parameter tables and the launch
file's YAML are checked against the same rows by the tests.
"""

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from rcl_interfaces.msg import (
    FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult)
from rclpy.node import Node
from rclpy.parameter import Parameter

ParameterValue = Union[bool, int, float, str]

REJECT_LOG_PERIOD_S = 1.0
"""At most one warning about rejected changes per node and this many seconds."""


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
    min_value: Optional[float] = None
    max_value: Optional[float] = None
    choices: Tuple[str, ...] = ()
    read_only: bool = False

    def descriptor(self) -> ParameterDescriptor:
        """Return the ROS descriptor: description, range, read-only flag."""
        descriptor = ParameterDescriptor(
            name=self.name, description=self.description, read_only=self.read_only)
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

    def check(self, value: Any) -> Optional[str]:
        """Return why ``value`` is not acceptable, or None when it is."""
        expected = type(self.default)
        if type(value) is not expected:
            return (f'parameter {self.name} must be of type {expected.__name__}, '
                    f'got {type(value).__name__}')
        if self.choices and value not in self.choices:
            return (f'parameter {self.name} must be one of {", ".join(self.choices)}, '
                    f'got {value!r}')
        if self.min_value is not None and value < self.min_value:
            return f'parameter {self.name} must be >= {self.min_value}, got {value}'
        if self.max_value is not None and value > self.max_value:
            return f'parameter {self.name} must be <= {self.max_value}, got {value}'
        return None

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
    ``ros2 param set`` calls); each is checked against its spec and either applied as a
    whole or rejected with a reason. ``on_change`` callbacks run after a change is
    accepted, with the names that changed.
    """

    def __init__(self, node: Node, specs: Sequence[ParameterSpec]) -> None:
        """Declare ``specs`` on ``node`` and read the values given at start-up.

        Raises:
            ValueError: if a start-up value (YAML, launch argument) is invalid; the
                node cannot start with it.

        """
        self._specs = {spec.name: spec for spec in specs}
        self._node = node
        self._listeners: List[Callable[[Iterable[str]], None]] = []
        self.values: Dict[str, ParameterValue] = {}
        for spec in specs:
            value = node.declare_parameter(spec.name, spec.default, spec.descriptor()).value
            reason = spec.check(value)
            if reason is not None:
                raise ValueError(f'invalid start-up value: {reason}')
            self.values[spec.name] = value
        node.add_on_set_parameters_callback(self._on_set_parameters)

    def __getitem__(self, name: str) -> ParameterValue:
        """Return the current value of parameter ``name``."""
        return self.values[name]

    def on_change(self, callback: Callable[[Iterable[str]], None]) -> None:
        """Call ``callback(names)`` after every accepted change."""
        self._listeners.append(callback)

    def _on_set_parameters(self, parameters: List[Parameter]) -> SetParametersResult:
        for parameter in parameters:
            spec = self._specs.get(parameter.name)
            if spec is None:
                continue
            reason = 'parameter is read-only' if spec.read_only else spec.check(parameter.value)
            if reason is not None:
                self._node.get_logger().warning(f'rejected parameter change: {reason}',
                                                throttle_duration_sec=REJECT_LOG_PERIOD_S)
                return SetParametersResult(successful=False, reason=reason)
        changed = []
        for parameter in parameters:
            if parameter.name in self._specs:
                self.values[parameter.name] = parameter.value
                changed.append(parameter.name)
        for listener in self._listeners:
            listener(changed)
        return SetParametersResult(successful=True)


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
