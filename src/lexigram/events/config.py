"""``EventsConfig`` and its sections, buildable from code, a dict, the environment or YAML.

From code::

    EventsConfig(event_store_backend=EventStoreBackend.POSTGRES,
                 postgres=PostgresEventStoreConfig(dsn=SecretStr("postgresql://localhost/events")))

From the ``events`` section of an application config (a YAML file, say)::

    events:
      event_bus: {parallel_dispatch: false}
      outbox_enabled: true

From the environment, with ``__`` between levels: ``LEX_EVENTS__EVENT_BUS__MAX_CONCURRENT_HANDLERS=4``.

Every constructor raises ``ConfigurationError`` (a ``ValueError``) that names the offending key.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic._internal._model_construction import ModelMetaclass

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.constants import CONFIG_KEY, ENV_NESTING_SEPARATOR, ENV_PREFIX
from lexigram.events.types import EventStoreBackend

__all__ = [
    "CommandBusConfig",
    "EventBusConfig",
    "EventsConfig",
    "InMemoryEventStoreConfig",
    "MongoDBEventStoreConfig",
    "PostgresEventStoreConfig",
    "EncryptionConfig",
    "OutboxConfig",
    "ProjectionsConfig",
    "SagasConfig",
    "QueryBusConfig",
    "RedisEventStoreConfig",
    "SecretStr",
    "SnapshotConfig",
    "SnapshotStrategy",
    "SqliteConfig",
]

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _explain(exc: PydanticValidationError, owner: str) -> str:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or owner
        if error["type"] == "extra_forbidden":
            problems.append(f"{location}: unknown setting")
        else:
            problems.append(f"{location}: {error['msg']} (got {error.get('input')!r})")
    return f"invalid {owner}: " + "; ".join(problems)


class _SectionMeta(ModelMetaclass):
    """Turns pydantic's validation errors into ``ConfigurationError`` when a user builds a section."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except PydanticValidationError as exc:
            raise ConfigurationError(_explain(exc, cls.__name__)) from exc


class _Section(BaseModel, metaclass=_SectionMeta):
    """Base of every config section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=False)

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except PydanticValidationError as exc:
            raise ConfigurationError(_explain(exc, type(self).__name__)) from exc


class EventBusConfig(_Section):
    """How the event bus delivers events to handlers."""

    max_concurrent_handlers: int = Field(default=10, ge=1)
    """Handlers of one event that may run at the same time (parallel dispatch)."""
    handler_timeout_seconds: float = Field(default=30.0, gt=0)
    """A handler running longer than this is cancelled and counts as failed."""
    retry_failed_handlers: bool = True
    """Give a failed handler more attempts."""
    max_handler_retries: int = Field(default=3, ge=0)
    """How many more attempts a failed handler gets."""
    retry_backoff_seconds: float = Field(default=0.1, ge=0)
    """The pause before the first retry; it doubles for each further retry."""
    retry_backoff_max_seconds: float = Field(default=5.0, ge=0)
    """The longest pause between retries."""
    enable_dead_letter: bool = True
    """Record events whose handlers still fail after the retries."""
    allow_no_handlers: bool = True
    """Accept events that no handler subscribes to (otherwise ``publish`` returns ``Err``)."""
    parallel_dispatch: bool = True
    """Run the handlers of one event concurrently (otherwise by priority, one after another)."""
    continue_on_error: bool = True
    """In sequential dispatch, keep running the remaining handlers after one fails."""
    max_queue_per_subscriber: int = Field(default=1000, ge=0)
    """Events a channel may hold before ``publish`` waits for room (0: unbounded)."""


class CommandBusConfig(_Section):
    """How the command bus runs handlers."""

    timeout_seconds: float | None = Field(default=None, gt=0)
    """Cancel a handler that runs longer than this (None: no limit)."""
    idempotency_purge_interval: float | None = Field(default=3600.0, gt=0)
    """Seconds between deletions of expired idempotency keys and inbox records in an application
    (None: never; ``purge_expired()`` on the store does it by hand)."""


class QueryBusConfig(_Section):
    """How the query bus runs handlers and caches results."""

    timeout_seconds: float | None = Field(default=None, gt=0)
    """Cancel a handler that runs longer than this (None: no limit)."""
    cache_max_entries: int = Field(default=1024, ge=0)
    """Results kept for handlers declared ``cacheable`` (0 turns caching off)."""
    default_cache_ttl_seconds: float | None = Field(default=None, gt=0)
    """Lifetime of a cached result when the handler gives no ``cache_ttl`` (None: until evicted)."""


class SnapshotStrategy(enum.StrEnum):
    """When the repository takes snapshots."""

    EVENT_COUNT = "event_count"
    TIME_BASED = "time_based"
    ON_DEMAND = "on_demand"


class SnapshotConfig(_Section):
    """When snapshots are taken and how many are kept."""

    enabled: bool = True
    """Take snapshots at all."""
    strategy: SnapshotStrategy = SnapshotStrategy.EVENT_COUNT
    """What triggers a snapshot."""
    event_count_threshold: int = Field(default=100, ge=1)
    """EVENT_COUNT: snapshot once this many events were saved since the last snapshot."""
    time_threshold_seconds: float = Field(default=3600.0, gt=0)
    """TIME_BASED: snapshot when the last one is older than this."""
    max_snapshots_per_aggregate: int = Field(default=5, ge=1)
    """Snapshots a store keeps per aggregate."""


def _check_table(value: str | None) -> str | None:
    if value is not None and not _TABLE_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid table name (letters, digits and underscores, 63 at most, "
            "not starting with a digit)"
        )
    return value


def _check_collection(value: str) -> str:
    if not value or "$" in value or "\x00" in value or value.startswith("system."):
        raise ValueError(
            f"{value!r} is not a valid MongoDB collection name (not empty, no '$', not starting "
            "with 'system.')"
        )
    return value


def _secret_url(what: str, schemes: tuple[str, ...]) -> Callable[[Any], Any]:
    """A validator for a secret connection URL: blank means None, the scheme must be one of ``schemes``."""

    def validate(value: Any) -> Any:
        if isinstance(value, str):
            value = SecretStr(value)
        if not isinstance(value, SecretStr):
            return value
        text = value.get_secret_value().strip()
        if not text:
            return None
        if not text.startswith(schemes):
            raise ValueError(f"{what} must start with {' or '.join(schemes)}")
        return SecretStr(text)

    return validate


class InMemoryEventStoreConfig(_Section):
    """The in-memory event store."""

    max_events_per_stream: int = Field(default=10_000, ge=0)
    """Events kept per stream; older ones are compacted away (0: unbounded)."""


class SqliteConfig(_Section):
    """The SQLite event, snapshot and checkpoint stores (the embedded default)."""

    database: str = "lexigram_events.db"
    """The database file (``:memory:`` for a private in-memory database)."""
    journal_mode: str = "WAL"
    """SQLite journal mode."""
    synchronous: str = "NORMAL"
    """SQLite synchronous setting: OFF, NORMAL, FULL or EXTRA."""
    busy_timeout_ms: int = Field(default=5000, ge=0)
    """How long a writer waits for a lock held by another connection or process."""
    events_table: str = "events"
    """The events table."""
    snapshots_table: str = "snapshots"
    """The snapshots table."""
    checkpoints_table: str = "projection_checkpoints"
    """The projection checkpoints table (``SqliteCheckpointStore``)."""
    parked_table: str = "projection_parked"
    """The table of events projections parked (``SqliteCheckpointStore``)."""
    outbox_table: str | None = None
    """The transactional outbox: appended events waiting for a relay to publish them
    (None: ``<events_table>_outbox``)."""
    idempotency_table: str = "idempotency_keys"
    """Idempotency keys and inbox entries with their recorded results."""
    dead_letters_table: str = "dead_letters"
    """The event bus's durable dead letters."""
    sagas_table: str = "sagas"
    """Saga instances with their state and step history."""
    auto_create_tables: bool = True
    """Create the tables on ``connect()``."""

    _check_tables = field_validator(
        "events_table",
        "snapshots_table",
        "checkpoints_table",
        "parked_table",
        "outbox_table",
        "idempotency_table",
        "dead_letters_table",
        "sagas_table",
    )(_check_table)

    @field_validator("synchronous")
    @classmethod
    def _check_synchronous(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("synchronous must be OFF, NORMAL, FULL or EXTRA")
        return upper


class PostgresEventStoreConfig(_Section):
    """The PostgreSQL event, snapshot and checkpoint stores."""

    dsn: SecretStr | None = None
    """Connection string, kept secret in reprs and logs (a plain ``str`` is accepted)."""
    pool_min_size: int = Field(default=1, ge=0)
    """Connections the pool keeps open."""
    pool_max_size: int = Field(default=10, ge=1)
    """Connections the pool may open."""
    command_timeout: float = Field(default=30.0, gt=0)
    """Seconds a statement may run."""
    events_table: str = "events"
    """The events table."""
    snapshots_table: str = "snapshots"
    """The snapshots table."""
    checkpoints_table: str = "projection_checkpoints"
    """The projection checkpoints table (``PostgresCheckpointStore``)."""
    parked_table: str = "projection_parked"
    """The table of events projections parked (``PostgresCheckpointStore``)."""
    leases_table: str = "projection_leases"
    """The partition leases of consumer groups (``PostgresPartitionLeaseStore``; its members table
    is ``<leases_table>_members``)."""
    outbox_table: str | None = None
    """The transactional outbox: appended events waiting for a relay to publish them
    (None: ``<events_table>_outbox``)."""
    idempotency_table: str = "idempotency_keys"
    """Idempotency keys and inbox entries with their recorded results."""
    dead_letters_table: str = "dead_letters"
    """The event bus's durable dead letters."""
    sagas_table: str = "sagas"
    """Saga instances with their state and step history."""
    auto_create_tables: bool = True
    """Create the tables on ``connect()``."""
    notify_appends: bool = True
    """After each committed append, tell readers in other processes with ``NOTIFY`` (sent in the
    background, outside the append's transaction). False: other processes notice new events
    only when they poll."""

    _check_tables = field_validator(
        "events_table",
        "snapshots_table",
        "checkpoints_table",
        "parked_table",
        "leases_table",
        "outbox_table",
        "idempotency_table",
        "dead_letters_table",
        "sagas_table",
    )(_check_table)

    _check_dsn = field_validator("dsn", mode="before")(
        _secret_url("the dsn", ("postgresql://", "postgres://"))
    )


class MongoDBEventStoreConfig(_Section):
    """A MongoDB event and snapshot store."""

    connection_string: SecretStr | None = None
    """MongoDB URI, kept secret in reprs and logs."""
    database: str = "lexigram_events"
    """The database."""
    events_collection: str = "events"
    """The events collection."""
    snapshots_collection: str = "snapshots"
    """The snapshots collection."""
    counters_collection: str = "counters"
    """The collection holding the global position counter."""
    streams_collection: str = "streams"
    """The collection holding one document per stream (its version and aggregate type)."""

    _check_uri = field_validator("connection_string", mode="before")(
        _secret_url("the connection string", ("mongodb://", "mongodb+srv://"))
    )
    _check_collections = field_validator(
        "events_collection", "snapshots_collection", "counters_collection", "streams_collection"
    )(_check_collection)


class RedisEventStoreConfig(_Section):
    """A Redis event and snapshot store."""

    url: SecretStr | None = None
    """Redis URL (``redis://``, ``rediss://`` or ``unix://``), kept secret in reprs and logs."""
    namespace: str = Field(default="lexigram:events", min_length=1)
    """The prefix of every key the stores write, so several applications can share a server."""

    _check_url = field_validator("url", mode="before")(
        _secret_url("the Redis url", ("redis://", "rediss://", "unix://"))
    )


class ProjectionsConfig(_Section):
    """How projections follow the event log (the ``events.projections`` section)."""

    auto_start: bool = True
    """Start every registered projection when the application boots (stop it at shutdown)."""
    batch_size: int = Field(default=500, ge=1, le=100_000)
    """Events read from the log per batch while catching up and live."""
    rebuild_batch_size: int = Field(default=1000, ge=1, le=100_000)
    """Events read per batch during ``rebuild``."""
    checkpoint_interval: int = Field(default=100, ge=1)
    """Events applied between checkpoint saves (projections without a transactional session).

    A transactional projection commits its checkpoint with every batch it writes.
    """
    enable_parallel_projections: bool = True
    """Run the projections concurrently, each on its own reader (otherwise one after another)."""
    poll_interval: float = Field(default=0.5, gt=0)
    """Seconds a live projection waits for an append signal before reading again anyway."""
    read_ahead_batches: int = Field(default=2, ge=1, le=64)
    """Batches read ahead of the one being applied: the bound on a projection's buffered events."""
    worker_id: str | None = None
    """This process's name in the consumer groups of partitioned projections (None: host-pid-random)."""
    lease_ttl: float = Field(default=10.0, gt=0, lt=86_400)
    """Seconds a partition lease lasts without renewal; a dead worker's partitions move after it."""


class OutboxConfig(_Section):
    """How the outbox relay publishes (the ``events.outbox`` section; ``outbox_enabled`` turns it on)."""

    batch_size: int = Field(default=100, ge=1, le=10_000)
    """Outbox rows a relay claims and publishes per pass."""
    max_attempts: int = Field(default=10, ge=1)
    """Publication attempts of one event before it is parked (its stream waits behind it)."""
    retry_backoff: float = Field(default=0.5, ge=0)
    """Seconds before the first retry of a failed event; each further retry waits twice as long."""
    max_backoff: float = Field(default=60.0, ge=0)
    """The longest wait between retries."""
    claim_ttl: float = Field(default=60.0, gt=0, lt=86_400)
    """Seconds a relay's claim on rows lasts; a relay that died leaves them to others after it.
    Keep it well above the time one batch takes to publish."""
    publish_timeout: float = Field(default=30.0, gt=0)
    """Seconds one publication, and the confirmation of a batch (the event bus running its
    handlers), may take before it counts as failed."""
    worker_id: str | None = None
    """This relay's name in claims (None: host-pid-random)."""


class EncryptionConfig(_Section):
    """PII encryption of ``@encrypted_event`` classes in the app's SQL event store (``events.encryption``).

    With ``enabled``, the SQLite or PostgreSQL event store of the application writes through an
    ``EncryptedEventSerializer``: master keys come from the environment (``<env_prefix><ALIAS>``)
    or a key file, and per-subject data keys live in ``subject_keys_table`` in the same database.
    """

    enabled: bool = False
    """Encrypt the PII fields of ``@encrypted_event`` classes at rest."""
    key_source: Literal["env", "file"] = "env"
    """Where master keys come from: environment variables or ``key_file``."""
    env_prefix: str = "LEXIGRAM_KEY_"
    """The prefix of the environment variables holding master keys (``key_source: env``)."""
    key_file: str | None = None
    """A JSON file from alias to key(s), readable by its owner only (``key_source: file``)."""
    subject_keys_table: str = "subject_keys"
    """The table of per-subject data keys (crypto-shredding)."""

    _check_subject_table = field_validator("subject_keys_table")(_check_table)

    @model_validator(mode="after")
    def _file_needs_a_path(self) -> EncryptionConfig:
        if self.key_source == "file" and not self.key_file:
            raise ValueError("encryption.key_source is 'file' but encryption.key_file is not set")
        return self


class SagasConfig(_Section):
    """How the application's saga manager claims and resumes sagas (the ``events.sagas`` section)."""

    claim_ttl: float = Field(default=30.0, gt=0, lt=86_400)
    """Seconds a manager's claim on a saga lasts without renewal; a dead process's sagas move after it."""
    resume_interval: float | None = Field(default=None, gt=0)
    """Seconds between looks for unfinished sagas whose claim expired (None: every ``claim_ttl``).
    The first look happens at boot."""


class EventsConfig(_Section):
    """Top-level configuration of the events subsystem (the ``events`` section)."""

    config_key: ClassVar[str] = CONFIG_KEY

    event_store_backend: EventStoreBackend = EventStoreBackend.MEMORY
    """Which event store the application uses."""
    event_bus: EventBusConfig = Field(default_factory=EventBusConfig)
    command_bus: CommandBusConfig = Field(default_factory=CommandBusConfig)
    query_bus: QueryBusConfig = Field(default_factory=QueryBusConfig)
    snapshots: SnapshotConfig = Field(default_factory=SnapshotConfig)
    memory: InMemoryEventStoreConfig = Field(default_factory=InMemoryEventStoreConfig)
    sqlite: SqliteConfig | None = None
    postgres: PostgresEventStoreConfig | None = None
    mongodb: MongoDBEventStoreConfig | None = None
    redis: RedisEventStoreConfig | None = None
    projections: ProjectionsConfig = Field(default_factory=ProjectionsConfig)
    """How projections follow the event log."""
    outbox_enabled: bool = False
    """Record appended events in an outbox that a relay publishes (transactional outbox)."""
    outbox_poll_interval: float = Field(default=1.0, gt=0)
    """Seconds between outbox relay polls (appends in this process, and on PostgreSQL in any
    process, wake the relay at once)."""
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    """How the outbox relay claims, retries and parks."""
    sagas: SagasConfig = Field(default_factory=SagasConfig)
    """How sagas are claimed and resumed."""
    encryption: EncryptionConfig = Field(default_factory=EncryptionConfig)
    """PII encryption of ``@encrypted_event`` classes in the SQL event stores."""

    def validate_backend_config(self) -> list[str]:
        """Return one message per problem with the selected backend; ``[]`` when it is usable."""
        problems: list[str] = []
        backend = self.event_store_backend
        if backend is EventStoreBackend.POSTGRES:
            if self.postgres is None:
                problems.append("event_store_backend is POSTGRES but the 'postgres' section is missing")
            elif self.postgres.dsn is None:
                problems.append("event_store_backend is POSTGRES but postgres.dsn is not set")
            elif self.postgres.pool_min_size > self.postgres.pool_max_size:
                problems.append("postgres.pool_min_size is larger than postgres.pool_max_size")
        elif backend is EventStoreBackend.MONGODB:
            if self.mongodb is None:
                problems.append("event_store_backend is MONGODB but the 'mongodb' section is missing")
            elif self.mongodb.connection_string is None:
                problems.append("event_store_backend is MONGODB but mongodb.connection_string is not set")
        elif backend is EventStoreBackend.REDIS:
            if self.redis is None:
                problems.append("event_store_backend is REDIS but the 'redis' section is missing")
            elif self.redis.url is None:
                problems.append("event_store_backend is REDIS but redis.url is not set")
        elif backend is EventStoreBackend.SQLITE and self.sqlite is None:
            problems.append("event_store_backend is SQLITE but the 'sqlite' section is missing")
        return problems

    @classmethod
    def from_dict(cls, section: Mapping[str, Any] | None) -> EventsConfig:
        """Build a config from the ``events`` section mapping; unknown keys raise ``ConfigurationError``."""
        if section is None:
            return cls()
        if not isinstance(section, Mapping):
            raise ConfigurationError(f"the events config must be a mapping, got {type(section).__name__}")
        return cls(**dict(section))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EventsConfig:
        """Build a config from ``LEX_EVENTS__*`` variables (``__`` separates nested keys)."""
        source = os.environ if environ is None else environ
        section: dict[str, Any] = {}
        for key, value in source.items():
            if not key.upper().startswith(ENV_PREFIX):
                continue
            path = [part.lower() for part in key[len(ENV_PREFIX) :].split(ENV_NESTING_SEPARATOR) if part]
            if not path:
                continue
            target = section
            for part in path[:-1]:
                existing = target.setdefault(part, {})
                if not isinstance(existing, dict):
                    raise ConfigurationError(f"{key}: '{part}' is a setting, not a section")
                target = existing
            target[path[-1]] = _env_value(value)
        return cls.from_dict(section)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], section: str | None = "events") -> EventsConfig:
        """Build a config from a YAML file; ``section`` names the key holding it (None: the root)."""
        try:
            import yaml
        except ImportError as exc:
            raise ConfigurationError(
                "reading YAML config needs PyYAML: pip install 'lexigram-events[cli]'"
            ) from exc
        file = Path(path)
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigurationError(f"cannot read config file {file}: {exc}") from exc
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{file} is not valid YAML: {exc}") from exc
        if section is not None:
            if not isinstance(document, dict):
                raise ConfigurationError(f"{file}: expected a mapping at the top level")
            document = document.get(section, {})
        return cls.from_dict(document)

    @classmethod
    def coerce(cls, value: EventsConfig | Mapping[str, Any] | None) -> EventsConfig:
        """Accept an ``EventsConfig``, an ``events`` section mapping (or ``{"events": {...}}``) or None."""
        if value is None:
            return cls()
        if isinstance(value, EventsConfig):
            return value
        if isinstance(value, Mapping):
            mapping = dict(value)
            if set(mapping) == {cls.config_key} and isinstance(mapping[cls.config_key], Mapping):
                mapping = dict(mapping[cls.config_key])
            return cls.from_dict(mapping)
        raise ConfigurationError(
            f"expected EventsConfig or a mapping for the events config, got {type(value).__name__}"
        )


def _env_value(raw: str) -> Any:
    """Environment values are strings that pydantic converts (booleans accept yes/no, 1/0, ...).

    An empty value, ``none`` or ``null`` means None.
    """
    if raw.strip().lower() in ("", "none", "null"):
        return None
    return raw
