"""Versioned schema migrations for the SQL stores.

Each SQL backend lists its migrations in order (versions 1, 2, 3, ...). A store applies the
pending ones in ``migrate()`` (``connect()`` does it when ``auto_create_tables`` is on, and the
``lexigram-events db init`` / ``db upgrade`` commands do it explicitly), records each applied version
in a ``<prefix>schema_migrations`` table, and never applies one twice, so migrating is idempotent.
Statements are templates whose ``{placeholders}`` are the configured table names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lexigram.events.exceptions import SchemaError

__all__ = ["Migration", "checked_migrations"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a store's schema: a version, what it does, and its SQL statements."""

    version: int
    description: str
    statements: tuple[str, ...]

    def render(self, **names: str) -> list[str]:
        """The statements with the table names filled in."""
        try:
            return [statement.format(**names) for statement in self.statements]
        except KeyError as exc:
            raise SchemaError(f"migration {self.version} needs the table name {exc.args[0]!r}") from exc


def checked_migrations(migrations: Iterable[Migration]) -> Sequence[Migration]:
    """Return the migrations in order, checking their versions are exactly 1, 2, 3, ..."""
    ordered = sorted(migrations, key=lambda m: m.version)
    versions = [m.version for m in ordered]
    if versions != list(range(1, len(ordered) + 1)):
        raise SchemaError(f"migration versions must be 1..n without gaps or repeats, got {versions}")
    return ordered
