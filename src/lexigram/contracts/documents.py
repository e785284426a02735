"""``DocumentStoreProtocol``: what the MongoDB event and snapshot stores need from a document database.

The protocol is the small part of the MongoDB API that the stores use, with collections named by
string: queries, updates and sort keys are MongoDB query-language documents (``{"version":
{"$gt": 3}}``), so any driver for MongoDB or a wire-compatible server can implement it.
``lexigram.events.stores.mongodb.MongoDBDocumentStore`` implements it with PyMongo's async API.

Capabilities are split as the stores use them: ``DocumentOperationsProtocol`` (reads and writes,
also available inside a transaction), ``DocumentStoreProtocol`` (adds indexes, multi-document
transactions and ``close``) and the optional ``DocumentWatchProtocol`` (change streams).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from lexigram.contracts.exceptions import InfrastructureError

__all__ = [
    "ChangeStreamUnavailableError",
    "Document",
    "DocumentChangeStreamProtocol",
    "DocumentOperationsProtocol",
    "DocumentStoreProtocol",
    "DocumentWatchProtocol",
    "DuplicateDocumentError",
    "Query",
    "SortKeys",
]

T = TypeVar("T")

Document = dict[str, Any]
"""A document as read from or written to a collection."""
Query = Mapping[str, Any]
"""A MongoDB query (filter) document."""
SortKeys = Sequence[tuple[str, int]]
"""Sort or index keys: ``[("field", 1), ("other", -1)]``."""


class DuplicateDocumentError(InfrastructureError):
    """A write would have created a second document with the same unique key."""

    code = "LEX-410"


class ChangeStreamUnavailableError(InfrastructureError):
    """The server cannot open change streams (a standalone MongoDB server, for example)."""

    code = "LEX-411"


class DocumentOperationsProtocol(Protocol):
    """Reads and writes on named collections. Inside a transaction, all of them belong to it."""

    async def find_one(
        self, collection: str, query: Query, *, sort: SortKeys | None = None
    ) -> Document | None:
        """Return the first matching document (in ``sort`` order when given), or None."""
        ...

    async def find(
        self,
        collection: str,
        query: Query,
        *,
        sort: SortKeys | None = None,
        skip: int = 0,
        limit: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> list[Document]:
        """Return the matching documents; ``fields`` limits the fields returned (``_id`` is always in)."""
        ...

    async def count(self, collection: str, query: Query) -> int:
        """Return how many documents match."""
        ...

    async def insert_many(self, collection: str, documents: Sequence[Document]) -> None:
        """Insert documents in order; raise ``DuplicateDocumentError`` when a unique key is taken."""
        ...

    async def update_one(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        """Update the first matching document (or insert one with ``upsert``); return how many changed.

        Raises ``DuplicateDocumentError`` when an upsert collides with a unique key.
        """
        ...

    async def find_one_and_update(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> Document | None:
        """Update the first matching document and return it as it is after the update."""
        ...

    async def replace_one(
        self, collection: str, query: Query, document: Document, *, upsert: bool = False
    ) -> None:
        """Replace the first matching document (or insert it with ``upsert``)."""
        ...

    async def delete_many(self, collection: str, query: Query) -> int:
        """Delete every matching document; return how many were deleted."""
        ...


@runtime_checkable
class DocumentStoreProtocol(DocumentOperationsProtocol, Protocol):
    """A document database with indexes and multi-document transactions."""

    async def create_index(
        self, collection: str, keys: SortKeys, *, unique: bool = False, name: str | None = None
    ) -> None:
        """Create an index unless it exists already."""
        ...

    async def run_transaction(self, work: Callable[[DocumentOperationsProtocol], Awaitable[T]]) -> T:
        """Run ``work`` in one multi-document transaction and commit it; return its result.

        ``work`` gets the operations bound to the transaction. Either every write it made is
        committed or none is. After a transient conflict with a concurrent transaction, ``work``
        runs again from the start, so it must do nothing but operations on what it is given. An
        exception raised by ``work`` aborts the transaction and propagates.
        """
        ...

    async def close(self) -> None:
        """Release the connection to the server."""
        ...


class DocumentChangeStreamProtocol(Protocol):
    """An open change stream: change documents in commit order, until it is closed."""

    def __aiter__(self) -> AsyncIterator[Document]:
        """Iterate the change documents (``operationType``, ``fullDocument``, ...)."""
        ...

    async def close(self) -> None:
        """Stop watching."""
        ...


@runtime_checkable
class DocumentWatchProtocol(Protocol):
    """A document database that can report the changes of a collection as they commit."""

    async def watch(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]] = ()
    ) -> DocumentChangeStreamProtocol:
        """Open a change stream on a collection; changes committed from now on are reported.

        Raises ``ChangeStreamUnavailableError`` when the server cannot open change streams.
        """
        ...
