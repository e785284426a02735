"""The events config the command line works with: a YAML file, the environment, then the options.

Layers, each overriding the one before: the ``events`` section of ``--config app.yaml``, the
``LEX_EVENTS__*`` environment variables, and the ``--backend`` / ``--database`` / ``--dsn``
options. The command line defaults to SQLite: when no layer names a backend, ``--dsn`` alone means
PostgreSQL and anything else means the SQLite file of the ``sqlite`` section (``lexigram_events.db``
when there is none).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import EventsConfig, SqliteConfig
from lexigram.events.stores.urls import redact_url
from lexigram.events.types import EventStoreBackend

__all__ = ["describe_target", "resolve_config"]


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def resolve_config(
    config_file: Path | None = None,
    *,
    backend: str | None = None,
    database: str | None = None,
    dsn: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> EventsConfig:
    """Build the config from the layers; raise ``ConfigurationError`` naming any problem."""
    section: dict[str, Any] = {}
    if config_file is not None:
        section = EventsConfig.from_yaml(config_file).model_dump(exclude_unset=True)
    from_env = EventsConfig.from_env(os.environ if environ is None else environ)
    section = _merge(section, from_env.model_dump(exclude_unset=True))
    if backend is not None:
        section["event_store_backend"] = backend
    elif "event_store_backend" not in section:
        only_dsn = dsn is not None and database is None
        section["event_store_backend"] = EventStoreBackend.POSTGRES if only_dsn else EventStoreBackend.SQLITE
    if database is not None:
        section["sqlite"] = _merge(dict(section.get("sqlite") or {}), {"database": database})
    if dsn is not None:
        section["postgres"] = _merge(dict(section.get("postgres") or {}), {"dsn": dsn})
    config = EventsConfig.from_dict(section)
    if config.event_store_backend is EventStoreBackend.SQLITE and config.sqlite is None:
        config = EventsConfig.from_dict({**section, "sqlite": SqliteConfig().model_dump()})
    problems = config.validate_backend_config()
    if problems:
        raise ConfigurationError("; ".join(problems))
    return config


def describe_target(config: EventsConfig) -> str:
    """Where the configured stores keep their data, without secrets."""
    backend = config.event_store_backend
    if backend is EventStoreBackend.SQLITE and config.sqlite is not None:
        database = config.sqlite.database
        if database == ":memory:" or database.startswith("file:"):
            return f"SQLite database {database}"
        return f"SQLite database {Path(database).expanduser().resolve()}"
    if backend is EventStoreBackend.POSTGRES and config.postgres is not None and config.postgres.dsn:
        return f"PostgreSQL database {redact_url(config.postgres.dsn.get_secret_value())}"
    return f"the {backend.value} backend"
