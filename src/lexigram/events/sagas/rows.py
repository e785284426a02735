"""What every saga store checks, and how a ``SagaRecord`` becomes a row and back.

Every store passes its arguments through these checks before any work, so all stores accept the
same records and reject bad ones with the same ``SagaValidationError``. ``data`` and ``steps`` are
stored as JSON text; times are normalised to UTC (a naive datetime is taken to be UTC already).
``saga_store_failures`` is the stores' one boundary for database failures: an ``EventStoreError``
of the SQL layer leaves a saga store as ``SagaStoreError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord, SagaStepStatus
from lexigram.events.exceptions import SagaStoreError, SagaValidationError
from lexigram.events.stores.failures import reported_as

__all__ = [
    "COLUMNS",
    "INCOMPLETE_STATES",
    "checked_key",
    "checked_record",
    "checked_saga_id",
    "checked_version",
    "decode_data",
    "encode_data",
    "record_from_values",
    "record_values",
    "saga_store_failures",
]

COLUMNS = (
    "saga_id",
    "saga_type",
    "status",
    "version",
    "correlation_key",
    "data",
    "steps",
    "error",
    "timed_out",
    "owner",
    "lease_expires_at",
    "deadline",
    "created_at",
    "updated_at",
)
"""The columns of a saga table, in the order ``record_values`` gives them."""

INCOMPLETE_STATES = (SagaState.NOT_STARTED, SagaState.STARTED, SagaState.RUNNING, SagaState.COMPENSATING)
"""The states ``list_incomplete`` returns."""

_LARGEST = (1 << 63) - 1


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SagaValidationError(f"{what} must be a str, got {type(value).__name__}: {value!r}")
    if not value:
        raise SagaValidationError(f"{what} must not be empty")
    return value


def _optional_text(what: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SagaValidationError(f"{what} must be a str or None, got {type(value).__name__}: {value!r}")


def _count(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LARGEST:
        raise SagaValidationError(f"{what} must be an integer from 0 to 2**63 - 1, got {value!r}")
    return int(value)


def _moment(what: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise SagaValidationError(f"{what} must be a datetime, got {type(value).__name__}: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional_moment(what: str, value: Any) -> datetime | None:
    return None if value is None else _moment(what, value)


def checked_saga_id(saga_id: Any) -> str:
    """A saga id: a non-empty ``str``."""
    return _text("the saga id", saga_id)


def checked_key(saga_type: Any, correlation_key: Any) -> tuple[str, str]:
    """A saga type and a correlation key: two non-empty ``str``."""
    return _text("the saga type", saga_type), _text("the correlation key", correlation_key)


def checked_version(version: Any) -> int:
    """An expected version: an integer >= 1 (a stored record is at version 1 or more)."""
    checked = _count("expected_version", version)
    if checked < 1:
        raise SagaValidationError("expected_version must be >= 1: a stored saga is at version 1 or more")
    return checked


def encode_data(data: Any, what: str = "saga data") -> str:
    """``data`` as JSON text; ``SagaValidationError`` when it is not a dict of JSON values."""
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise SagaValidationError(f"{what} must be a dict with str keys, got {type(data).__name__}")
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise SagaValidationError(
            f"{what} must hold JSON values only (str, int, float, bool, None, lists and dicts): {exc}; "
            "convert other values (a UUID or a datetime to str, say) before storing them"
        ) from exc


def decode_data(text: str) -> dict[str, Any]:
    """Saga data from its JSON text."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise SagaStoreError(f"stored saga data is not a JSON object: {text[:80]!r}")
    return data


def _checked_step(step: Any, index: int) -> SagaStepRecord:
    where = f"SagaRecord.steps[{index}]"
    if not isinstance(step, SagaStepRecord):
        raise SagaValidationError(f"{where} must be a SagaStepRecord, got {type(step).__name__}")
    try:
        status = SagaStepStatus(step.status)
    except ValueError:
        raise SagaValidationError(f"{where}.status must be a SagaStepStatus, got {step.status!r}") from None
    return SagaStepRecord(
        name=_text(f"{where}.name", step.name),
        status=status,
        attempts=_count(f"{where}.attempts", step.attempts),
        error=_optional_text(f"{where}.error", step.error),
        event_id=_optional_text(f"{where}.event_id", step.event_id),
    )


def checked_record(record: Any) -> SagaRecord:
    """A valid copy of ``record``: times in UTC, JSON-only data, steps as a tuple."""
    if not isinstance(record, SagaRecord):
        raise SagaValidationError(f"expected a SagaRecord, got {type(record).__name__}: {record!r}")
    try:
        status = SagaState(record.status)
    except ValueError:
        raise SagaValidationError(f"SagaRecord.status must be a SagaState, got {record.status!r}") from None
    if not isinstance(record.steps, (tuple, list)):
        raise SagaValidationError(f"SagaRecord.steps must be a tuple, got {type(record.steps).__name__}")
    if not isinstance(record.timed_out, bool):
        raise SagaValidationError(f"SagaRecord.timed_out must be a bool, got {record.timed_out!r}")
    correlation_key = _optional_text("SagaRecord.correlation_key", record.correlation_key)
    if correlation_key == "":
        raise SagaValidationError("SagaRecord.correlation_key must be None or a non-empty str")
    return SagaRecord(
        saga_id=_text("SagaRecord.saga_id", record.saga_id),
        saga_type=_text("SagaRecord.saga_type", record.saga_type),
        status=status,
        data=decode_data(encode_data(record.data, "SagaRecord.data")),
        steps=tuple(_checked_step(step, index) for index, step in enumerate(record.steps)),
        version=_count("SagaRecord.version", record.version),
        correlation_key=correlation_key,
        error=_optional_text("SagaRecord.error", record.error),
        timed_out=record.timed_out,
        owner=_optional_text("SagaRecord.owner", record.owner),
        lease_expires_at=_optional_moment("SagaRecord.lease_expires_at", record.lease_expires_at),
        deadline=_optional_moment("SagaRecord.deadline", record.deadline),
        created_at=_moment("SagaRecord.created_at", record.created_at),
        updated_at=_moment("SagaRecord.updated_at", record.updated_at),
    )


def _encode_steps(steps: tuple[SagaStepRecord, ...]) -> str:
    return json.dumps(
        [[s.name, s.status.value, s.attempts, s.error, s.event_id] for s in steps],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode_steps(text: str) -> tuple[SagaStepRecord, ...]:
    return tuple(
        SagaStepRecord(name, SagaStepStatus(status), attempts, error, event_id)
        for name, status, attempts, error, event_id in json.loads(text)
    )


def record_values(record: SagaRecord, moment: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """The column values of a checked record, in ``COLUMNS`` order; ``moment`` converts times."""

    def optional(value: datetime | None) -> Any:
        return None if value is None else moment(value)

    return (
        record.saga_id,
        record.saga_type,
        record.status.value,
        record.version,
        record.correlation_key,
        encode_data(record.data),
        _encode_steps(record.steps),
        record.error,
        record.timed_out,
        record.owner,
        optional(record.lease_expires_at),
        optional(record.deadline),
        moment(record.created_at),
        moment(record.updated_at),
    )


def record_from_values(row: Any, moment: Callable[[Any], datetime]) -> SagaRecord:
    """A record from column values in ``COLUMNS`` order; ``moment`` reads times back."""

    def optional(value: Any) -> datetime | None:
        return None if value is None else _moment("a stored time", moment(value))

    return SagaRecord(
        saga_id=row[0],
        saga_type=row[1],
        status=SagaState(row[2]),
        version=int(row[3]),
        correlation_key=row[4],
        data=decode_data(row[5]),
        steps=_decode_steps(row[6]),
        error=row[7],
        timed_out=bool(row[8]),
        owner=row[9],
        lease_expires_at=optional(row[10]),
        deadline=optional(row[11]),
        created_at=_moment("a stored time", moment(row[12])),
        updated_at=_moment("a stored time", moment(row[13])),
    )


def saga_store_failures() -> AbstractAsyncContextManager[None]:
    """Re-raise a storage failure (``EventStoreError``) of the block as ``SagaStoreError``.

    The message and details are kept and the original error becomes the ``__cause__``; schema
    and configuration problems pass unchanged.
    """
    return reported_as(SagaStoreError)
