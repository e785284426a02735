"""The PostgreSQL saga store's table (``sagas_table``, ``S`` below) and its versioned migrations.

``S`` holds one row per saga instance: ``version`` is checked and raised by every save
(optimistic concurrency), ``(saga_type, correlation_key)`` is unique for event-driven instances
(a partial unique index), and ``S_by_status`` serves ``list_incomplete``. ``data`` and ``steps``
are ``json`` (kept as written, key order included). The migrations applied are recorded in
``S_schema_migrations``. Names are quoted, so they keep their case and may be SQL keywords.
"""

from __future__ import annotations

from dataclasses import dataclass

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.postgres.schema import quote

__all__ = ["SAGA_MIGRATIONS", "SagaTables"]

_IDENTIFIER_LIMIT = 63
_LONGEST_SUFFIX = len("_schema_migrations")


@dataclass(frozen=True, slots=True)
class SagaTables:
    """The quoted names of the saga store's table, indexes and migrations ledger."""

    sagas: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, sagas_table: str) -> SagaTables:
        """The names derived from ``sagas_table``."""
        if len(sagas_table) + _LONGEST_SUFFIX > _IDENTIFIER_LIMIT:
            raise ConfigurationError(
                f"sagas_table={sagas_table!r} is too long: the saga store derives "
                f"'{sagas_table}_schema_migrations' from it, and PostgreSQL names hold 63 characters at "
                f"most; use at most {_IDENTIFIER_LIMIT - _LONGEST_SUFFIX} characters"
            )
        names = {
            "sagas": quote(sagas_table),
            "by_correlation": quote(f"{sagas_table}_by_correlation"),
            "by_status": quote(f"{sagas_table}_by_status"),
            "migrations": quote(f"{sagas_table}_schema_migrations"),
        }
        return cls(names["sagas"], names["migrations"], names)


SAGA_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "saga instances with their state, data and steps",
            (
                """
                CREATE TABLE {sagas} (
                    saga_id          text        PRIMARY KEY,
                    saga_type        text        NOT NULL,
                    status           text        NOT NULL,
                    version          bigint      NOT NULL CHECK (version >= 1),
                    correlation_key  text,
                    data             json        NOT NULL,
                    steps            json        NOT NULL,
                    error            text,
                    timed_out        boolean     NOT NULL,
                    owner            text,
                    lease_expires_at timestamptz,
                    deadline         timestamptz,
                    created_at       timestamptz NOT NULL,
                    updated_at       timestamptz NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX {by_correlation} ON {sagas} (saga_type, correlation_key) "
                "WHERE correlation_key IS NOT NULL",
                "CREATE INDEX {by_status} ON {sagas} (status, created_at)",
            ),
        ),
    ]
)
"""The saga store's schema, oldest first."""
