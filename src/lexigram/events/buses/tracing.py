"""The tracer shape the event bus opens spans with; no tracing library is required.

With a tracer set, the bus opens one span per event delivery (around the middleware and every
handler of that event), named ``deliver <EventClass>``, with the attributes ``event.type`` (fully
qualified) and ``event.id``. An OpenTelemetry ``Tracer`` fits as it is: its ``start_span`` returns a
span usable as a context manager.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol, cast

__all__ = ["TracerProtocol", "check_tracer"]


class TracerProtocol(Protocol):
    """Anything with ``start_span(name, attributes=...)`` returning a context manager."""

    def start_span(
        self, name: str, attributes: Mapping[str, Any] | None = None
    ) -> AbstractContextManager[Any]:
        """Start a span that ends when the returned context manager exits."""
        ...


def check_tracer(tracer: Any) -> TracerProtocol | None:
    """Return ``tracer`` when it has a callable ``start_span`` (or is None); raise ``TypeError`` otherwise."""
    if tracer is not None and not callable(getattr(tracer, "start_span", None)):
        raise TypeError(f"a tracer needs a start_span(name, attributes=...) method; got {tracer!r}")
    return cast(TracerProtocol | None, tracer)
