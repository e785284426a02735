"""``lexigram-events db init | upgrade | status``: the schema of the configured event store."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lexigram.events.cli.commands import build_cli
from lexigram.events.stores.migrations import Migration
from lexigram.events.stores.sqlite import schema


@pytest.fixture(autouse=True)
def _in_a_folder_without_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("LEX_EVENTS__"):
            monkeypatch.delenv(name)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(build_cli("test"), ["db", *args], env=env)


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_init_creates_the_default_sqlite_database_once(tmp_path: Path) -> None:
    status = run("status")
    assert status.exit_code == 0
    assert "does not exist yet" in status.output
    assert not (tmp_path / "lexigram_events.db").exists()  # status never creates the file

    first = run("init")
    assert first.exit_code == 0, first.output
    assert f"SQLite database {tmp_path / 'lexigram_events.db'}" in first.output
    assert "event store: created the schema (version 2)" in first.output
    assert "snapshot store: created the schema (version 1)" in first.output
    assert "checkpoint store: created the schema (version 1)" in first.output
    assert {
        "events",
        "events_streams",
        "snapshots",
        "projection_checkpoints",
        "projection_parked",
        "events_outbox",
    } <= tables(tmp_path / "lexigram_events.db")

    again = run("init")
    assert again.exit_code == 0
    assert "event store: already initialised (schema version 2); nothing to do" in again.output

    assert "event store: up to date (schema version 2)" in run("upgrade").output
    assert "checkpoint store: up to date (schema version 1)" in run("upgrade").output
    assert "event store: schema version 2 (up to date)" in run("status").output
    assert "checkpoint store: schema version 1 (up to date)" in run("status").output


def test_the_config_file_the_environment_and_the_options_stack(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "events:\n"
        "  event_store_backend: sqlite\n"
        "  sqlite:\n    database: from-yaml.db\n    events_table: log\n"
    )
    assert run("init", "--config", "app.yaml").exit_code == 0
    assert {"log", "log_streams"} <= tables(tmp_path / "from-yaml.db")

    env = {"LEX_EVENTS__SQLITE__DATABASE": "from-env.db"}
    assert run("init", "--config", "app.yaml", env=env).exit_code == 0
    assert "log" in tables(tmp_path / "from-env.db")  # the env changes the file, the yaml keeps the table

    assert run("upgrade", "--config", "app.yaml", "--database", "from-option.db", env=env).exit_code == 0
    assert "log" in tables(tmp_path / "from-option.db")


def test_the_checkpoint_tables_follow_the_config(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "events:\n  sqlite:\n    database: app.db\n    checkpoints_table: marks\n    parked_table: held\n"
    )
    result = run("init", "--config", "app.yaml")
    assert result.exit_code == 0, result.output
    assert {"marks", "held", "marks_schema_migrations"} <= tables(tmp_path / "app.db")
    assert "projection_checkpoints" not in tables(tmp_path / "app.db")


def test_upgrade_applies_only_the_new_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init").exit_code == 0
    newer = Migration(
        3, "index events by time", ('CREATE INDEX "{events}_by_time" ON "{events}" (occurred_at)',)
    )
    monkeypatch.setattr(schema, "EVENT_MIGRATIONS", (*schema.EVENT_MIGRATIONS, newer))

    assert "event store: schema version 2 of 3 (run `lexigram-events db upgrade`)" in run("status").output
    assert "already initialised (schema version 2)" in run("init").output
    upgraded = run("upgrade")
    assert upgraded.exit_code == 0
    assert "event store: applied migration 3; now at version 3" in upgraded.output
    assert "snapshot store: up to date (schema version 1)" in upgraded.output
    assert "event store: schema version 3 (up to date)" in run("status").output


def test_a_database_from_before_the_outbox_gets_it_on_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before_the_outbox:
        before_the_outbox.setattr(schema, "EVENT_MIGRATIONS", schema.EVENT_MIGRATIONS[:1])
        assert run("init").exit_code == 0
    assert "events_outbox" not in tables(tmp_path / "lexigram_events.db")
    assert "event store: schema version 1 of 2" in run("status").output
    upgraded = run("upgrade")
    assert "event store: applied migration 2; now at version 2" in upgraded.output
    assert "events_outbox" in tables(tmp_path / "lexigram_events.db")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--backend", "memory"), "the memory backend has no schema to manage"),
        (("--database", "missing-folder/events.db"), "the folder"),
        (("--backend", "postgres"), "the 'postgres' section is missing"),
    ],
)
def test_problems_exit_1_with_what_to_do(arguments: tuple[str, ...], message: str) -> None:
    result = run("init", *arguments)
    assert result.exit_code == 1
    assert message in result.output


def test_a_bad_config_file_or_database_exits_1(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("events:\n  sqlite:\n    databse: typo.db\n")
    bad_config = run("init", "--config", "app.yaml")
    assert bad_config.exit_code == 1
    assert "invalid events config" in bad_config.output
    assert "databse" in bad_config.output

    (tmp_path / "notes.db").write_text("not a database " * 100)
    not_a_database = run("status", "--database", "notes.db")
    assert not_a_database.exit_code == 1
    assert "not a usable SQLite database" in not_a_database.output

    assert run("init", "--database", "newer.db").exit_code == 0
    with sqlite3.connect(tmp_path / "newer.db") as connection:
        connection.execute("INSERT INTO events_schema_migrations VALUES (7, 'future', 'later')")
    newer = run("upgrade", "--database", "newer.db")
    assert newer.exit_code == 1
    assert "upgrade lexigram-events" in newer.output
