"""Argument checks shared by every outbox store, so each backend reports bad input the same way."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lexigram.contracts.events.outbox import OutboxFailure
from lexigram.contracts.exceptions import ValidationError

__all__ = ["checked_claim", "checked_completion", "checked_limit", "checked_positions"]


def _checked_worker(worker_id: object) -> str:
    if not isinstance(worker_id, str) or not worker_id:
        raise ValidationError(f"worker_id must be a non-empty string naming the relay, got {worker_id!r}")
    return worker_id


def checked_limit(limit: object) -> int:
    """A row limit: an int of at least 1."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"limit must be an int of at least 1, got {limit!r}")
    return limit


def checked_claim(worker_id: object, limit: object, claim_ttl: object) -> None:
    """Check the arguments of ``claim``."""
    _checked_worker(worker_id)
    checked_limit(limit)
    if (
        isinstance(claim_ttl, bool)
        or not isinstance(claim_ttl, int | float)
        or not math.isfinite(claim_ttl)
        or claim_ttl <= 0
    ):
        raise ValidationError(f"claim_ttl must be a positive number of seconds, got {claim_ttl!r}")


def checked_positions(positions: object) -> list[int]:
    """Global positions: a sequence of ints of at least 1."""
    if isinstance(positions, str | bytes) or not isinstance(positions, Sequence | set | frozenset):
        raise ValidationError(f"positions must be a sequence of ints, got {positions!r}")
    checked: list[int] = []
    for position in positions:
        if isinstance(position, bool) or not isinstance(position, int) or position < 1:
            raise ValidationError(f"an outbox position must be an int of at least 1, got {position!r}")
        checked.append(position)
    return checked


def checked_completion(
    worker_id: object, published: object, failed: Sequence[object], released: object
) -> None:
    """Check the arguments of ``complete``."""
    _checked_worker(worker_id)
    checked_positions(published)
    checked_positions(released)
    for failure in failed:
        if not isinstance(failure, OutboxFailure):
            raise ValidationError(f"failed must hold OutboxFailure records, got {failure!r}")
        if failure.retry_in is not None and (not math.isfinite(failure.retry_in) or failure.retry_in < 0):
            raise ValidationError(f"retry_in must be None or a non-negative number, got {failure.retry_in!r}")
