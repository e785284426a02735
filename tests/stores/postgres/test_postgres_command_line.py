"""``lexigram-events db init | upgrade | status`` manage the PostgreSQL schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from click.testing import CliRunner, Result

from lexigram.events.cli.commands import build_cli
from lexigram.events.config import PostgresEventStoreConfig

ConfigFactory = Callable[..., PostgresEventStoreConfig]
"""Builds a config whose tables no other test uses (the ``pg_config`` fixture)."""


def run(config: PostgresEventStoreConfig, *args: str) -> Result:
    env = {
        "LEX_EVENTS__POSTGRES__EVENTS_TABLE": config.events_table,
        "LEX_EVENTS__POSTGRES__SNAPSHOTS_TABLE": config.snapshots_table,
        "LEX_EVENTS__POSTGRES__CHECKPOINTS_TABLE": config.checkpoints_table,
        "LEX_EVENTS__POSTGRES__PARKED_TABLE": config.parked_table,
        "LEX_EVENTS__POSTGRES__LEASES_TABLE": config.leases_table,
        "LEX_EVENTS__POSTGRES__IDEMPOTENCY_TABLE": config.idempotency_table,
        "LEX_EVENTS__POSTGRES__DEAD_LETTERS_TABLE": config.dead_letters_table,
        "LEX_EVENTS__POSTGRES__SAGAS_TABLE": config.sagas_table,
    }
    assert config.dsn is not None
    return CliRunner().invoke(
        build_cli("test"), ["db", *args, "--dsn", config.dsn.get_secret_value()], env=env
    )


def existing_tables(dsn: str, *tables: str) -> list[str]:
    async def check() -> list[str]:
        connection = await asyncpg.connect(dsn)
        try:
            return [t for t in tables if await connection.fetchval("SELECT to_regclass($1)", f'"{t}"')]
        finally:
            await connection.close()

    return asyncio.run(check())


def test_init_upgrade_and_status_on_postgres(pg_config: ConfigFactory, postgres_dsn: str) -> None:
    """The commands run their own event loop, as on a command line: this test is synchronous."""
    config = pg_config()
    status = run(config, "status")
    assert status.exit_code == 0, status.output
    stores = [line for line in status.output.splitlines() if line.startswith("  ")]
    assert len(stores) >= 6
    assert all("not initialised" in line for line in stores)

    init = run(config, "init")
    assert init.exit_code == 0, init.output
    assert "event store: created the schema (version 2)" in init.output
    assert "snapshot store: created the schema (version 1)" in init.output
    assert "checkpoint store: created the schema (version 1)" in init.output
    assert "partition lease store: created the schema (version 1)" in init.output
    assert "idempotency store: created the schema (version 1)" in init.output
    assert "dead-letter store: created the schema (version 1)" in init.output
    created = (
        config.events_table,
        f"{config.events_table}_streams",
        f"{config.events_table}_outbox",
        config.snapshots_table,
        config.checkpoints_table,
        config.parked_table,
        config.leases_table,
        f"{config.leases_table}_members",
        config.idempotency_table,
        config.dead_letters_table,
    )
    assert existing_tables(postgres_dsn, *created) == list(created)

    again = run(config, "upgrade")
    assert again.exit_code == 0, again.output
    assert again.output.count("up to date") == len(stores)
    status_after = run(config, "status").output
    assert "event store: schema version 2 (up to date)" in status_after
    assert status_after.count("(up to date)") == len(stores)


@pytest.mark.parametrize("command", ["status", "init"])
def test_an_unreachable_server_is_a_clear_error(command: str) -> None:
    config = PostgresEventStoreConfig(dsn="postgresql://app:pw-secret@127.0.0.1:1/events")
    result = run(config, command)
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL at 127.0.0.1:1/events" in result.output
    assert "pw-secret" not in result.output
