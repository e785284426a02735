"""``PostgresPartitionLeaseStore``: the partition leases of consumer groups, in PostgreSQL.

Two tables, named after ``leases_table`` (``L`` below), with their own migrations (recorded in
``L_schema_migrations``):

- ``L``: one row per partition of a partitioned projection, keyed by ``(projection_name,
  partition)``: the partition count (``total``), the ``owner`` (``''`` when free), the fencing
  ``token`` (grows at every claim) and ``expires_at``.
- ``L_members``: one row per worker of a group, keyed by ``(projection_name, owner)``, alive until
  ``expires_at``: how workers that hold nothing yet are counted.

Every expiry is computed and compared by the server (``now()``), never by the workers' clocks.
A claim locks the candidate rows with ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never
wait for each other and never take the same partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lexigram.contracts.events.leases import PartitionLease
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.config import PostgresEventStoreConfig
from lexigram.events.stores.checkpoint_checks import store_failures
from lexigram.events.stores.memory.lease_store import (
    checked_claim,
    checked_leases,
    checked_name,
    checked_owner,
    checked_partitions,
    checked_ttl,
    total_conflict,
)
from lexigram.events.stores.migrations import Migration, checked_migrations
from lexigram.events.stores.postgres.checkpoint_transaction import PostgresCheckpointTransaction
from lexigram.events.stores.postgres.link import StoreLink, pool_for
from lexigram.events.stores.postgres.linked_store import LinkedProjectionStore
from lexigram.events.stores.postgres.migrator import Migrator
from lexigram.events.stores.postgres.schema import quote

if TYPE_CHECKING:
    from lexigram.contracts.events.leases import PartitionLeaseStoreProtocol
    from lexigram.contracts.events.subscriptions import CheckpointTransactionProtocol

__all__ = ["LEASE_MIGRATIONS", "PostgresPartitionLeaseStore"]

_IDENTIFIER_LIMIT = 63
_LONGEST_SUFFIX = len("_schema_migrations")

LEASE_MIGRATIONS = checked_migrations(
    [
        Migration(
            1,
            "partition leases and group members tables",
            (
                """
                CREATE TABLE {leases} (
                    projection_name text COLLATE "C" NOT NULL,
                    partition       integer     NOT NULL CHECK (partition >= 0),
                    total           integer     NOT NULL CHECK (total > partition),
                    owner           text        NOT NULL,
                    token           bigint      NOT NULL CHECK (token >= 0),
                    expires_at      timestamptz NOT NULL,
                    PRIMARY KEY (projection_name, partition)
                )
                """,
                """
                CREATE TABLE {members} (
                    projection_name text COLLATE "C" NOT NULL,
                    owner           text        NOT NULL,
                    expires_at      timestamptz NOT NULL,
                    PRIMARY KEY (projection_name, owner)
                )
                """,
            ),
        ),
    ]
)
"""The lease store's schema, one migration per change; new versions are appended, never edited."""

_COLUMNS = "projection_name, partition, total, owner, token, expires_at"
_SECONDS = "$4::float8 * interval '1 second'"


class _Statements:
    """The lease store's SQL, rendered once for its quoted table names."""

    def __init__(self, leases: str, members: str) -> None:
        self.shape = f"""
            SELECT count(*) FILTER (WHERE total = $2),
                   count(*) FILTER (WHERE total <> $2),
                   min(owner) FILTER (WHERE total <> $2 AND owner <> '' AND expires_at > now()),
                   min(total) FILTER (WHERE total <> $2 AND owner <> '' AND expires_at > now())
            FROM {leases} WHERE projection_name = $1"""
        self.drop_extra = f"""
            DELETE FROM {leases} WHERE projection_name = $1 AND partition >= $2
              AND (owner = '' OR expires_at <= now())"""
        self.reshape = f"""
            UPDATE {leases} SET total = $2, owner = '', expires_at = '-infinity'
            WHERE projection_name = $1 AND total <> $2 AND (owner = '' OR expires_at <= now())"""
        self.seed = f"""
            INSERT INTO {leases} ({_COLUMNS})
            SELECT $1, p, $2, '', 0, '-infinity' FROM generate_series(0, $2 - 1) AS p
            ON CONFLICT (projection_name, partition) DO NOTHING"""
        self.join = f"""
            WITH gone AS (DELETE FROM {members} WHERE projection_name = $1 AND expires_at < now())
            INSERT INTO {members} (projection_name, owner, expires_at)
            VALUES ($1, $2, now() + $3::float8 * interval '1 second')
            ON CONFLICT (projection_name, owner) DO UPDATE SET expires_at = EXCLUDED.expires_at"""
        self.claim = f"""
            WITH held AS (
                SELECT count(*) AS n FROM {leases}
                WHERE projection_name = $1 AND owner = $3 AND expires_at > now()
            ), free AS (
                SELECT partition FROM {leases}
                WHERE projection_name = $1 AND total = $2 AND (owner = '' OR expires_at <= now())
                ORDER BY partition
                LIMIT greatest($5::bigint - (SELECT n FROM held), 0)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {leases} AS l SET owner = $3, token = l.token + 1, expires_at = now() + {_SECONDS}
            FROM free WHERE l.projection_name = $1 AND l.partition = free.partition"""
        self.held = f"""
            SELECT {_COLUMNS} FROM {leases}
            WHERE projection_name = $1 AND owner = $2 AND expires_at > now() ORDER BY partition"""
        self.renew = f"""
            UPDATE {leases} AS l SET expires_at = now() + $5::float8 * interval '1 second'
            FROM unnest($3::integer[], $4::bigint[]) AS r(partition, token)
            WHERE l.projection_name = $1 AND l.owner = $2 AND l.partition = r.partition
              AND l.token = r.token
            RETURNING l.projection_name, l.partition, l.total, l.owner, l.token, l.expires_at"""
        self.heartbeat = f"""
            INSERT INTO {members} (projection_name, owner, expires_at)
            VALUES ($1, $2, now() + $3::float8 * interval '1 second')
            ON CONFLICT (projection_name, owner) DO UPDATE SET expires_at = EXCLUDED.expires_at"""
        self.release_some = f"""
            UPDATE {leases} SET owner = '', expires_at = '-infinity'
            WHERE projection_name = $1 AND owner = $2 AND partition = ANY($3::integer[])"""
        self.release_all = f"""
            WITH gone AS (DELETE FROM {members} WHERE projection_name = $1 AND owner = $2)
            UPDATE {leases} SET owner = '', expires_at = '-infinity'
            WHERE projection_name = $1 AND owner = $2"""
        self.live = f"""
            SELECT {_COLUMNS} FROM {leases}
            WHERE projection_name = $1 AND owner <> '' AND expires_at > now() ORDER BY partition"""
        self.members = f"""
            SELECT owner FROM {members} WHERE projection_name = $1 AND expires_at > now()
            UNION
            SELECT owner FROM {leases} WHERE projection_name = $1 AND owner <> '' AND expires_at > now()
            ORDER BY 1"""
        self.holds = f"""
            SELECT 1 FROM {leases}
            WHERE projection_name = $1 AND partition = $2 AND owner = $3 AND token = $4"""
        self.holds_locked = self.holds + " FOR KEY SHARE"


def _lease(row: Sequence[Any]) -> PartitionLease:
    name, partition, total, owner, token, expires_at = row
    return PartitionLease(name, int(partition), int(total), owner, int(token), expires_at)


class PostgresPartitionLeaseStore(LinkedProjectionStore):
    """Partition leases of consumer groups in PostgreSQL, shared by every worker process.

    Example::

        leases = PostgresPartitionLeaseStore(config, provider=event_store.pool)
        manager = ProjectionManager(event_store, checkpoints, lease_store=leases, lease_ttl=10)
        manager.register(OrderTotals(), partitions=8)

    ``provider`` and ``connect()`` work as for ``PostgresCheckpointStore`` (share the event
    store's pool with ``provider=event_store.pool``). With ``auto_create_tables`` (the default),
    the first operation creates ``leases_table`` and ``<leases_table>_members``.

    Fencing: keep the leases in the checkpoint store's database (the same config). Then
    ``holds(lease, transaction)`` runs inside the projection's checkpoint transaction as
    ``SELECT ... FOR KEY SHARE`` on the lease row with the owner and token. A claim locks the
    rows it takes ``FOR UPDATE SKIP LOCKED``, which that lock blocks: a takeover cannot happen
    until the transaction ends (the claim skips the row, a worker committing its last batch
    delays a takeover by one claim round at most), and a transaction whose lease was taken over
    finds no row and is rolled back. The owner's own renewals (a plain ``UPDATE`` of non-key
    columns) are not blocked by it.
    """

    def __init__(self, config: PostgresEventStoreConfig | None = None, provider: Any = None) -> None:
        if config is not None and not isinstance(config, PostgresEventStoreConfig):
            raise ConfigurationError(
                f"config must be a PostgresEventStoreConfig, got {type(config).__name__}"
            )
        self.config = config if config is not None else PostgresEventStoreConfig()
        table = self.config.leases_table
        if len(table) + _LONGEST_SUFFIX > _IDENTIFIER_LIMIT:
            raise ConfigurationError(
                f"leases_table={table!r} is too long: the lease store derives names such as "
                f"'{table}_schema_migrations' from it, and PostgreSQL names hold 63 characters at most; "
                f"use at most {_IDENTIFIER_LIMIT - _LONGEST_SUFFIX} characters"
            )
        names = {
            "leases": quote(table),
            "members": quote(f"{table}_members"),
            "migrations": quote(f"{table}_schema_migrations"),
        }
        self._sql = _Statements(names["leases"], names["members"])
        pool = pool_for(self.config, provider)
        self._link = StoreLink(
            "PostgresPartitionLeaseStore",
            self.config,
            pool,
            Migrator(pool.driver, LEASE_MIGRATIONS, names, names["migrations"]),
        )

    # lifecycle and schema: connect, close, migrate, schema_version, pool (LinkedProjectionStore)

    # --- leases --------------------------------------------------------------------------------

    async def claim(
        self, name: str, total: int, owner: str, ttl: float, max_partitions: int
    ) -> list[PartitionLease]:
        """Take free or expired partitions until ``owner`` holds ``max_partitions``; return all it holds.

        One transaction: the partition rows are created on first use, the owner's membership is
        refreshed, and free or expired rows are taken with ``FOR UPDATE SKIP LOCKED``.
        """
        name, total, owner, ttl, wanted = checked_claim(name, total, owner, ttl, max_partitions)
        sql = self._sql
        action = f"claim partitions of '{name}' for '{owner}'"
        async with (
            store_failures(),
            self._link.connection(action, writing=True) as connection,
            connection.transaction(),
        ):
            same, other, live_owner, live_total = await connection.fetchrow(sql.shape, name, total)
            if other and live_owner is None:  # another partition count, no longer in use
                await connection.execute(sql.drop_extra, name, total)
                await connection.execute(sql.reshape, name, total)
                same, other, live_owner, live_total = await connection.fetchrow(sql.shape, name, total)
            if live_owner is not None:
                raise total_conflict(name, total, int(live_total), live_owner)
            if same < total:
                await connection.execute(sql.seed, name, total)
            await connection.execute(sql.join, name, owner, ttl)
            await connection.execute(sql.claim, name, total, owner, ttl, wanted)
            rows = await connection.fetch(sql.held, name, owner)
        return [_lease(row) for row in rows]

    async def renew(self, leases: Sequence[PartitionLease], ttl: float) -> list[PartitionLease]:
        """Extend the leases still held (same owner and token) by ``ttl`` seconds; return them."""
        checked, seconds = checked_leases(leases), checked_ttl(ttl)
        groups: dict[tuple[str, str], list[PartitionLease]] = {}
        for lease in checked:
            groups.setdefault((lease.projection_name, lease.owner), []).append(lease)
        renewed: list[PartitionLease] = []
        for (name, owner), group in groups.items():
            action = f"renew the leases of '{owner}' on '{name}'"
            async with (
                store_failures(),
                self._link.connection(action, writing=True) as connection,
                connection.transaction(),
            ):
                await connection.execute(self._sql.heartbeat, name, owner, seconds)
                rows = await connection.fetch(
                    self._sql.renew,
                    name,
                    owner,
                    [lease.partition for lease in group],
                    [lease.token for lease in group],
                    seconds,
                )
            renewed.extend(_lease(row) for row in rows)
        return sorted(renewed, key=lambda lease: (lease.projection_name, lease.partition))

    async def release(self, name: str, owner: str, partitions: Iterable[int] | None = None) -> None:
        """Give up ``owner``'s leases on ``partitions`` at once (None: all, and leave the group)."""
        name, owner, chosen = checked_name(name), checked_owner(owner), checked_partitions(partitions)
        action = f"release the leases of '{owner}' on '{name}'"
        async with store_failures(), self._link.connection(action, writing=True) as connection:
            if chosen is None:
                await connection.execute(self._sql.release_all, name, owner)
            elif chosen:
                await connection.execute(self._sql.release_some, name, owner, chosen)

    async def list_leases(self, name: str) -> list[PartitionLease]:
        """The live leases of the projection's partitions, by partition."""
        key = checked_name(name)
        async with (
            store_failures(),
            self._link.connection(f"list the leases of '{key}'", writing=False) as connection,
        ):
            rows = await connection.fetch(self._sql.live, key)
        return [_lease(row) for row in rows]

    async def members(self, name: str) -> list[str]:
        """The live members of the projection's group (owners of live leases included), sorted."""
        key = checked_name(name)
        async with (
            store_failures(),
            self._link.connection(f"list the members of '{key}'", writing=False) as connection,
        ):
            rows = await connection.fetch(self._sql.members, key)
        return [row[0] for row in rows]

    async def holds(
        self, lease: PartitionLease, transaction: CheckpointTransactionProtocol | None = None
    ) -> bool:
        """True while ``lease`` is still its owner's (same owner and token).

        In a ``PostgresCheckpointTransaction`` the check runs inside it, locking the lease row
        against claims (``FOR KEY SHARE``) until the transaction ends; the lease table must then
        be in the checkpoint store's database. Otherwise the check runs on a connection of its own.
        """
        arguments = (lease.projection_name, lease.partition, lease.owner, lease.token)
        if isinstance(transaction, PostgresCheckpointTransaction):
            return bool(await transaction.session.fetch(self._sql.holds_locked, *arguments))
        action = (
            f"check the lease of '{lease.owner}' on partition {lease.partition} of '{lease.projection_name}'"
        )
        async with store_failures(), self._link.connection(action, writing=False) as connection:
            row = await connection.fetchrow(self._sql.holds, *arguments)
        return row is not None


if TYPE_CHECKING:

    def _satisfies_the_protocol(store: PostgresPartitionLeaseStore) -> PartitionLeaseStoreProtocol:
        return store
