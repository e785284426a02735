"""Comparing events the way tests mean it: by type and payload, with readable failures.

Envelope fields (``event_id``, ``occurred_at``, ``sequence_number``, ``aggregate_id``, the
correlation ids, ``version``...) are ignored; only the class and the payload count::

    assert_events_match(actual, [OrderShipped(order_id="o-1", tracking="T-1")])

An expected item may also be an event class, which matches any event of that class.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["assert_events_match", "assert_raised", "describe_event", "event_payload", "events_match"]


def event_payload(event: Any) -> dict[str, Any]:
    """The payload of an event: its declared payload fields (or, without any, its extra keywords)."""
    cls = type(event)
    declared: tuple[str, ...] | None = getattr(cls, "__payload_fields__", None)
    if declared is None:
        if dataclasses.is_dataclass(event) and not isinstance(event, type):
            return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        return dict(vars(event))
    state = event.__dict__
    if getattr(cls, "__free_form__", False):
        base = cls.__message_fields__
        return {name: value for name, value in state.items() if name not in base}
    return {name: state[name] for name in declared}


def describe_event(event: Any) -> str:
    """``ClassName(field=value, ...)`` showing the payload only."""
    if isinstance(event, type):
        return f"{event.__name__}(...)"
    body = ", ".join(f"{name}={value!r}" for name, value in event_payload(event).items())
    return f"{type(event).__name__}({body})"


def _difference(actual: Any, expected: Any) -> str | None:
    """Why ``actual`` does not match ``expected``, or None when it does."""
    if isinstance(expected, type):
        return None if isinstance(actual, expected) else f"is a {type(actual).__name__}"
    if type(actual) is not type(expected):
        return f"is a {type(actual).__name__}, not a {type(expected).__name__}"
    got, wanted = event_payload(actual), event_payload(expected)
    if got == wanted:
        return None
    differing = [
        f"{name}: expected {wanted.get(name, '<absent>')!r}, got {got.get(name, '<absent>')!r}"
        for name in dict.fromkeys([*wanted, *got])
        if got.get(name, _ABSENT) != wanted.get(name, _ABSENT)
    ]
    return "payload differs in " + "; ".join(differing)


_ABSENT = object()


def events_match(actual: Sequence[Any], expected: Sequence[Any]) -> bool:
    """True when the events have the expected classes and payloads, in order."""
    return len(actual) == len(expected) and all(
        _difference(got, wanted) is None for got, wanted in zip(actual, expected, strict=True)
    )


def assert_events_match(actual: Sequence[Any], expected: Sequence[Any], *, what: str = "events") -> None:
    """Raise ``AssertionError`` with an event-by-event report unless the events match, in order."""
    if events_match(actual, expected):
        return
    lines = [f"expected {len(expected)} {what}, got {len(actual)}:"]
    for index in range(max(len(actual), len(expected))):
        label = f"  [{index + 1}]"
        if index >= len(actual):
            lines.append(f"{label} missing   expected {describe_event(expected[index])}")
        elif index >= len(expected):
            lines.append(f"{label} extra     got      {describe_event(actual[index])}")
        else:
            difference = _difference(actual[index], expected[index])
            if difference is None:
                lines.append(f"{label} ok        {describe_event(actual[index])}")
            else:
                lines.append(f"{label} differs   expected {describe_event(expected[index])}")
                lines.append(f"{' ' * len(label)}           got      {describe_event(actual[index])}")
                lines.append(f"{' ' * len(label)}           ({difference})")
    raise AssertionError("\n".join(lines))


def assert_raised(
    error: BaseException | None, expected_type: type[BaseException], match: str | None, *, action: str
) -> BaseException:
    """Check that ``action`` raised ``expected_type`` (its message matching the ``match`` regex)."""
    if error is None:
        raise AssertionError(f"expected {action} to raise {expected_type.__name__}, but it did not raise")
    if not isinstance(error, expected_type):
        raise AssertionError(
            f"expected {action} to raise {expected_type.__name__}, but it raised "
            f"{type(error).__name__}: {error}"
        ) from error
    if match is not None and not re.search(match, str(error)):
        raise AssertionError(
            f"{action} raised {type(error).__name__} as expected, but its message {str(error)!r} "
            f"does not match {match!r}"
        ) from error
    return error
