"""``MongoDBConfig``: the connection and collection names of the MongoDB stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from pydantic import SecretStr

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.stores.urls import redact_url

if TYPE_CHECKING:
    from lexigram.events.config import MongoDBEventStoreConfig

__all__ = ["DEFAULT_DATABASE", "MongoDBConfig"]

DEFAULT_DATABASE = "lexigram_events"
"""The database the stores use when none is named."""


def _collection(owner: str, value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value
        or "$" in value
        or "\x00" in value
        or value.startswith("system.")
    ):
        raise ConfigurationError(
            f"{owner}: {value!r} is not a valid MongoDB collection name (not empty, no '$', not starting "
            "with 'system.')"
        )
    return value


@dataclass(frozen=True, kw_only=True)
class MongoDBConfig:
    """MongoDB connection configuration for store implementations.

    Example::

        config = MongoDBConfig(uri="mongodb://localhost:27017", database="shop")
        snapshots = MongoDBSnapshotStore(config)

    ``uri`` is kept as a ``SecretStr`` (a plain ``str`` is accepted), so it never shows in reprs or
    logs. ``MongoDBSnapshotStore`` uses it to open its own client; ``MongoDBEventStore`` reads only
    the collection names from it (it is given a document store). ``from_section`` builds it from
    the ``mongodb`` section of ``EventsConfig``.
    """

    uri: SecretStr | str = field(default_factory=lambda: SecretStr("mongodb://localhost:27017"))
    """The MongoDB URI (``mongodb://`` or ``mongodb+srv://``)."""
    database: str = DEFAULT_DATABASE
    """The database holding the collections."""
    events_collection: str = "events"
    """The events, one document per event, ``_id`` being the global position."""
    streams_collection: str = "streams"
    """One document per stream: its version and aggregate type."""
    counters_collection: str = "counters"
    """The global position counter."""
    snapshots_collection: str = "snapshots"
    """The snapshots."""
    max_snapshots_per_aggregate: int = 5
    """How many snapshots ``MongoDBSnapshotStore`` keeps per aggregate (the highest versions)."""

    def __post_init__(self) -> None:
        raw = self.uri.get_secret_value() if isinstance(self.uri, SecretStr) else self.uri
        if not isinstance(raw, str) or not raw.startswith(("mongodb://", "mongodb+srv://")):
            shown = redact_url(raw) if isinstance(raw, str) else type(raw).__name__
            raise ConfigurationError(
                f"MongoDBConfig.uri must start with mongodb:// or mongodb+srv://, got {shown}"
            )
        object.__setattr__(self, "uri", SecretStr(raw))
        if (
            not isinstance(self.database, str)
            or not self.database
            or any(c in self.database for c in '/\\. "$')
        ):
            raise ConfigurationError(
                f"MongoDBConfig.database: {self.database!r} is not a valid database name"
            )
        for name in (
            "events_collection",
            "streams_collection",
            "counters_collection",
            "snapshots_collection",
        ):
            _collection(f"MongoDBConfig.{name}", getattr(self, name))
        limit = self.max_snapshots_per_aggregate
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError(
                f"MongoDBConfig.max_snapshots_per_aggregate must be an integer >= 1, got {limit!r}"
            )

    @property
    def secret_uri(self) -> str:
        """The URI itself (with any password), for the driver."""
        uri = self.uri
        return uri.get_secret_value() if isinstance(uri, SecretStr) else uri

    @classmethod
    def from_section(cls, section: MongoDBEventStoreConfig, max_snapshots_per_aggregate: int = 5) -> Self:
        """Build the store config from ``EventsConfig.mongodb`` (which must have a connection string)."""
        if section.connection_string is None:
            raise ConfigurationError(
                "the mongodb section has no connection_string; set events.mongodb.connection_string"
            )
        return cls(
            uri=section.connection_string,
            database=section.database,
            events_collection=section.events_collection,
            streams_collection=section.streams_collection,
            counters_collection=section.counters_collection,
            snapshots_collection=section.snapshots_collection,
            max_snapshots_per_aggregate=max_snapshots_per_aggregate,
        )
