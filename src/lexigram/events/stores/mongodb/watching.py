"""``EventWatch``: following the new events of a ``MongoDBEventStore``, by change stream or by polling.

With a starting position, the watch opens the change stream first, then reads what is already
stored after that position, then continues with the change stream, dropping what the read already
returned. Every event committed after the stream opened is in the stream, and every event committed
before it is in the read, so nothing is missed or repeated. Polling reads the log after the last
position seen; since commits happen in position order (see ``event_store``), it skips nothing either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from lexigram.contracts.documents import (
    ChangeStreamUnavailableError,
    DocumentChangeStreamProtocol,
    DocumentWatchProtocol,
)
from lexigram.events.stores.arguments import check_position, event_type_names

if TYPE_CHECKING:
    from lexigram.events.stores.mongodb.event_store import MongoDBEventStore

__all__ = ["EventWatch"]


class EventWatch:
    """One ``watch_events`` call: its filter, where it starts and how it waits."""

    def __init__(
        self,
        store: MongoDBEventStore,
        event_types: Iterable[str | type] | None,
        from_position: int | None,
        poll_interval: float,
    ) -> None:
        self._store = store
        self._types = None if event_types is None else event_type_names(event_types)
        self._from = None if from_position is None else check_position("from_position", from_position)
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, int | float)
            or poll_interval <= 0
        ):
            raise ValueError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        self._poll_interval = float(poll_interval)

    async def events(self) -> AsyncGenerator[Any, None]:
        """Yield the events, in global order, until the caller stops iterating."""
        if self._types is not None and not self._types:
            return
        stream = await self._open_change_stream()
        try:
            after = self._from
            if after is None and stream is None:
                after = await self._head()
            if after is not None:
                async for event in self._stored_after(after):
                    after = event.sequence_number
                    yield event
            if stream is None:
                async for event in self._poll(after or 0):
                    yield event
                return
            async for change in stream:
                document = change.get("fullDocument")
                if not document or (after is not None and int(document["_id"]) <= after):
                    continue
                (event,) = self._store._decode([document])
                yield event
        finally:
            if stream is not None:
                await stream.close()

    async def _open_change_stream(self) -> DocumentChangeStreamProtocol | None:
        documents = await self._store._store()
        if not isinstance(documents, DocumentWatchProtocol):
            return None
        match: dict[str, Any] = {"operationType": "insert"}
        if self._types is not None:
            match["fullDocument.event_type"] = {"$in": sorted(self._types)}
        try:
            return await documents.watch(self._store.collections.events, [{"$match": match}])
        except ChangeStreamUnavailableError:
            return None

    async def _head(self) -> int:
        names = self._store.collections
        documents = await self._store._store()
        counter = await documents.find_one(names.counters, {"_id": self._store._counter_id})
        return 0 if counter is None else int(counter["value"])

    def _stored_after(self, after: int) -> AsyncIterator[Any]:
        if self._types is None:
            return self._store.stream_all(from_position=after)
        return self._store.stream_by_type(self._types, from_position=after)

    async def _poll(self, after: int) -> AsyncIterator[Any]:
        while True:
            found = False
            async for event in self._stored_after(after):
                found = True
                after = event.sequence_number
                yield event
            if not found:
                await asyncio.sleep(self._poll_interval)
