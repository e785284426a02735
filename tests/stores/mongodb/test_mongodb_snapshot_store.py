"""MongoDBSnapshotStore beyond the suite: sharing a client, concurrent saves, and what a state holds."""

from __future__ import annotations

import asyncio

from lexigram.events.stores.mongodb import MongoDBConfig, MongoDBDocumentStore, MongoDBSnapshotStore
from lexigram.events.types import Snapshot


async def test_a_store_given_a_document_store_shares_it_and_leaves_it_open(
    document_store: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> None:
    store = MongoDBSnapshotStore(mongo_config, document_store=document_store)
    await store.save("order-1", {"lines": [{"sku": "A", "qty": 2}], "note": None, "paid": True}, 3)
    await store.close()

    assert await document_store.count("snapshots", {}) == 1
    reopened = MongoDBSnapshotStore(mongo_config, document_store=document_store)
    assert await reopened.load("order-1") == (
        {"lines": [{"sku": "A", "qty": 2}], "note": None, "paid": True},
        3,
    )


async def test_concurrent_saves_keep_the_highest_versions(
    document_store: MongoDBDocumentStore, mongo_config: MongoDBConfig
) -> None:
    store = MongoDBSnapshotStore(mongo_config, document_store=document_store)
    await asyncio.gather(
        *(
            store.save_snapshot(
                Snapshot(aggregate_id="order-1", aggregate_type="Order", version=v, state={"v": v})
            )
            for v in range(1, 13)
        )
    )
    await store.save_snapshot(
        Snapshot(aggregate_id="order-1", aggregate_type="Order", version=13, state={"v": 13})
    )

    latest = await store.get_latest("order-1")
    assert latest is not None
    assert latest.version == 13
    assert await document_store.count("snapshots", {}) == 5
    assert await store.get_by_version("order-1", 9) is not None
