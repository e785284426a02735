"""The PostgreSQL tables of the idempotency store and the dead-letter store: names and migrations.

- ``K`` (``idempotency_table``): one row per key; ``expires_at`` NULL means never. Keys sort by
  code point (``COLLATE "C"``). ``K_schema_migrations`` records the migrations applied.
- ``D`` (``dead_letters_table``): one row per dead letter, ``seq`` (an identity) keeping them
  oldest first, the serialized event in ``data`` (``bytea``: whatever the event serializer
  writes, encrypted bytes included). ``D_schema_migrations`` records the migrations applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.postgres.schema import quote

__all__ = ["DEAD_LETTER_MIGRATIONS", "IDEMPOTENCY_MIGRATIONS", "DeadLetterTables", "IdempotencyTables"]

_IDENTIFIER_LIMIT = 63
_LONGEST_SUFFIX = len("_schema_migrations")


def _checked_length(setting: str, name: str) -> str:
    if len(name) + _LONGEST_SUFFIX > _IDENTIFIER_LIMIT:
        raise ConfigurationError(
            f"{setting}={name!r} is too long: the store derives '{name}_schema_migrations' from it and "
            f"PostgreSQL names hold 63 characters at most; use at most {_IDENTIFIER_LIMIT - _LONGEST_SUFFIX}"
        )
    return name


@dataclass(frozen=True, slots=True)
class IdempotencyTables:
    """The quoted names of the idempotency store's table, index and ledger."""

    keys: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, table: str) -> IdempotencyTables:
        """The names derived from ``idempotency_table``."""
        _checked_length("idempotency_table", table)
        names = {
            "keys": quote(table),
            "expiry_index": quote(f"{table}_expiry_idx"),
            "migrations": quote(f"{table}_schema_migrations"),
        }
        return cls(names["keys"], names["migrations"], names)


@dataclass(frozen=True, slots=True)
class DeadLetterTables:
    """The quoted names of the dead-letter store's table, index and ledger."""

    dead_letters: str
    migrations: str
    names: dict[str, str]

    @classmethod
    def named(cls, table: str) -> DeadLetterTables:
        """The names derived from ``dead_letters_table``."""
        _checked_length("dead_letters_table", table)
        names = {
            "dead_letters": quote(table),
            "type_index": quote(f"{table}_type_seq_idx"),
            "migrations": quote(f"{table}_schema_migrations"),
        }
        return cls(names["dead_letters"], names["migrations"], names)


IDEMPOTENCY_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "idempotency keys: claims and recorded results, with their expiry",
            (
                """
                CREATE TABLE {keys} (
                    key         text COLLATE "C" PRIMARY KEY,
                    fingerprint text        NOT NULL,
                    status      text        NOT NULL CHECK (status IN ('pending', 'completed')),
                    token       text        NOT NULL,
                    result      text,
                    created_at  timestamptz NOT NULL,
                    expires_at  timestamptz
                )
                """,
                "CREATE INDEX {expiry_index} ON {keys} (expires_at) WHERE expires_at IS NOT NULL",
            ),
        ),
    ]
)
"""The idempotency store's schema."""


DEAD_LETTER_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "dead letters: serialized events a handler failed on for good",
            (
                """
                CREATE TABLE {dead_letters} (
                    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id           text        NOT NULL UNIQUE,
                    event_type   text        NOT NULL,
                    handler_name text        NOT NULL,
                    error        text        NOT NULL,
                    attempts     integer     NOT NULL CHECK (attempts >= 0),
                    created_at   timestamptz NOT NULL,
                    replayed     boolean     NOT NULL DEFAULT false,
                    data         bytea       NOT NULL
                )
                """,
                "CREATE INDEX {type_index} ON {dead_letters} (event_type, seq)",
            ),
        ),
    ]
)
"""The dead-letter store's schema."""
