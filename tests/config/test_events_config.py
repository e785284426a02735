"""EventsConfig: from code, a dict, the environment and YAML; errors name the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexigram.events import ConfigurationError
from lexigram.events.config import (
    EventBusConfig,
    EventsConfig,
    MongoDBEventStoreConfig,
    PostgresEventStoreConfig,
    SecretStr,
    SnapshotStrategy,
    SqliteConfig,
)
from lexigram.events.types import EventStoreBackend


def test_the_defaults_are_the_documented_ones() -> None:
    config = EventsConfig()
    bus = config.event_bus
    assert config.event_store_backend is EventStoreBackend.MEMORY
    assert (bus.max_concurrent_handlers, bus.handler_timeout_seconds, bus.max_handler_retries) == (10, 30, 3)
    assert bus.retry_failed_handlers
    assert bus.enable_dead_letter
    assert bus.allow_no_handlers
    assert bus.parallel_dispatch
    assert bus.continue_on_error
    assert bus.max_queue_per_subscriber == 1000
    assert config.outbox_enabled is False
    assert config.outbox_poll_interval == 1.0
    assert config.validate_backend_config() == []


def test_a_postgres_dsn_is_a_secret() -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.POSTGRES,
        postgres=PostgresEventStoreConfig(dsn=SecretStr("postgresql://app:pw@db/events")),
    )
    assert config.postgres is not None
    assert config.postgres.dsn is not None
    assert config.postgres.dsn.get_secret_value() == "postgresql://app:pw@db/events"
    assert "pw@db" not in repr(config)
    assert "pw@db" not in str(config.model_dump())
    assert PostgresEventStoreConfig(dsn="postgres://plain/text").dsn is not None


def test_backend_problems_are_listed_one_per_message() -> None:
    assert EventsConfig(event_store_backend=EventStoreBackend.POSTGRES).validate_backend_config() == [
        "event_store_backend is POSTGRES but the 'postgres' section is missing"
    ]
    no_dsn = EventsConfig(event_store_backend="postgres", postgres=PostgresEventStoreConfig())
    assert "postgres.dsn is not set" in no_dsn.validate_backend_config()[0]
    pool = EventsConfig(
        event_store_backend="postgres",
        postgres=PostgresEventStoreConfig(dsn="postgresql://h/db", pool_min_size=5, pool_max_size=2),
    )
    assert "pool_min_size" in pool.validate_backend_config()[0]
    assert "sqlite" in EventsConfig(event_store_backend="sqlite").validate_backend_config()[0]
    assert "mongodb" in EventsConfig(event_store_backend="mongodb").validate_backend_config()[0]
    assert EventsConfig(event_store_backend="sqlite", sqlite=SqliteConfig()).validate_backend_config() == []


def test_from_dict_reads_the_events_section_and_rejects_unknown_keys() -> None:
    config = EventsConfig.from_dict(
        {
            "outbox_poll_interval": 0.5,
            "event_bus": {"parallel_dispatch": False},
            "snapshots": {"strategy": "time_based"},
        }
    )
    assert config.outbox_poll_interval == 0.5
    assert config.event_bus.parallel_dispatch is False
    assert config.snapshots.strategy is SnapshotStrategy.TIME_BASED
    with pytest.raises(ConfigurationError, match="outbox_pol: unknown setting"):
        EventsConfig.from_dict({"outbox_pol": 1})
    with pytest.raises(ValueError, match=r"event_bus\.max_concurrent_handlers"):
        EventsConfig.from_dict({"event_bus": {"max_concurrent_handlers": 0}})
    with pytest.raises(ConfigurationError, match="must be a mapping"):
        EventsConfig.from_dict(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert EventsConfig.from_dict(None) == EventsConfig()


def test_from_env_nests_with_double_underscores() -> None:
    config = EventsConfig.from_env(
        {
            "LEX_EVENTS__EVENT_STORE_BACKEND": "sqlite",
            "LEX_EVENTS__SQLITE__DATABASE": "/tmp/app.db",
            "LEX_EVENTS__EVENT_BUS__PARALLEL_DISPATCH": "no",
            "LEX_EVENTS__EVENT_BUS__MAX_HANDLER_RETRIES": "5",
            "LEX_EVENTS__COMMAND_BUS__TIMEOUT_SECONDS": "2.5",
            "LEX_EVENTS__QUERY_BUS__TIMEOUT_SECONDS": "",
            "OTHER_VARIABLE": "ignored",
        }
    )
    assert config.event_store_backend is EventStoreBackend.SQLITE
    assert config.sqlite is not None
    assert config.sqlite.database == "/tmp/app.db"
    assert config.event_bus.parallel_dispatch is False
    assert config.event_bus.max_handler_retries == 5
    assert config.command_bus.timeout_seconds == 2.5
    assert config.query_bus.timeout_seconds is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("yes", True), ("false", False), ("0", False), ("no", False)],
)
def test_from_env_accepts_the_usual_booleans(raw: str, expected: bool) -> None:
    assert EventsConfig.from_env({"LEX_EVENTS__OUTBOX_ENABLED": raw}).outbox_enabled is expected


def test_from_env_reports_a_bad_value_and_a_setting_used_as_a_section() -> None:
    with pytest.raises(ConfigurationError, match="max_handler_retries"):
        EventsConfig.from_env({"LEX_EVENTS__EVENT_BUS__MAX_HANDLER_RETRIES": "many"})
    with pytest.raises(ConfigurationError, match="is a setting, not a section"):
        EventsConfig.from_env({"LEX_EVENTS__OUTBOX_ENABLED": "1", "LEX_EVENTS__OUTBOX_ENABLED__X": "2"})


def test_from_yaml_reads_the_events_section(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text("events:\n  outbox_enabled: true\n  outbox_poll_interval: 1.0\nother: {}\n")
    config = EventsConfig.from_yaml(file)
    assert config.outbox_enabled is True
    assert config.outbox_poll_interval == 1.0
    file.write_text("events: [1, 2\n")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        EventsConfig.from_yaml(file)
    with pytest.raises(ConfigurationError, match="cannot read"):
        EventsConfig.from_yaml(tmp_path / "missing.yaml")


def test_coerce_accepts_a_config_a_section_or_a_whole_app_config() -> None:
    config = EventsConfig(outbox_poll_interval=2.0)
    assert EventsConfig.coerce(config) is config
    assert EventsConfig.coerce({"outbox_poll_interval": 2.0}).outbox_poll_interval == 2.0
    assert EventsConfig.coerce({"events": {"outbox_poll_interval": 3.0}}).outbox_poll_interval == 3.0
    assert EventsConfig.coerce(None) == EventsConfig()
    with pytest.raises(ConfigurationError, match="expected EventsConfig"):
        EventsConfig.coerce(42)  # type: ignore[arg-type]


def test_assignments_are_validated() -> None:
    bus = EventBusConfig()
    bus.max_queue_per_subscriber = 0
    with pytest.raises(ConfigurationError, match="max_queue_per_subscriber"):
        bus.max_queue_per_subscriber = -1


def test_table_names_and_urls_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="not a valid table name"):
        SqliteConfig(events_table="events; drop table x")
    with pytest.raises(ConfigurationError, match="must start with postgresql://"):
        PostgresEventStoreConfig(dsn="mysql://db")
    with pytest.raises(ConfigurationError, match="must start with mongodb://"):
        MongoDBEventStoreConfig(connection_string="http://db")
    with pytest.raises(ConfigurationError, match="synchronous"):
        SqliteConfig(synchronous="sometimes")
    assert SqliteConfig(synchronous="full").synchronous == "FULL"
