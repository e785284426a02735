"""``EventStoreContract``: the conformance suite every event store passes, ours and third parties'.

Subclass it in a test module and provide an ``event_store`` fixture that gives each test a new,
empty store::

    import pytest
    from lexigram.events.testing import EventStoreContract

    class TestMyStore(EventStoreContract):
        @pytest.fixture
        async def event_store(self):
            store = MyStore(...)
            yield store
            await store.close()

The suite covers the whole event-store contract: versions, optimistic concurrency (50 concurrent
appenders, 10 racing creators), atomic appends, ranges and cursors, what comes back (class,
payload, ids, ``sequence_number``, ``version``), ``stream_all`` with partitions,
``stream_by_type``, compaction, stream information, and following the global log
(``read_envelopes`` and the ``appends`` signal of ``EventLogProtocol``).

Backends differ in a few declared ways, set as class attributes instead of skipping tests:
``positions_are_gapless`` (False when a database sequence may skip positions),
``concurrent_appenders`` and ``racing_creators``. The tests are ``async``: run them with
pytest-asyncio (``asyncio_mode = "auto"``, or the ``pytest.mark.asyncio`` marker this class sets).
"""

from __future__ import annotations

import pytest

from lexigram.events.testing.contract_appending import AppendingContract
from lexigram.events.testing.contract_global_log import GlobalLogContract
from lexigram.events.testing.contract_maintenance import MaintenanceContract
from lexigram.events.testing.contract_reading import ReadingContract
from lexigram.events.testing.contract_subscriptions import SubscriptionContract

__all__ = ["EventStoreContract"]


class EventStoreContract(
    AppendingContract, ReadingContract, GlobalLogContract, SubscriptionContract, MaintenanceContract
):
    """The event-store conformance suite; subclass it and provide an ``event_store`` fixture."""

    pytestmark = pytest.mark.asyncio
