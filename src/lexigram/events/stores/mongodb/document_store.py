"""``MongoDBDocumentStore``: ``DocumentStoreProtocol`` with PyMongo's async API (``AsyncMongoClient``).

PyMongo is imported when a store is built, never at module import, so ``lexigram.events`` works
without the ``mongo`` extra. Driver errors become lexigram errors at this boundary:
``DuplicateKeyError`` becomes ``DuplicateDocumentError``, an unreachable server
``EventStoreConnectionError`` (with the URI's password masked), anything else ``EventStoreError``.
Inside a transaction, transient errors are left to PyMongo's ``with_transaction``, which retries
the whole transaction with a growing back-off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from lexigram.contracts.documents import (
    ChangeStreamUnavailableError,
    Document,
    DocumentOperationsProtocol,
    DocumentStoreProtocol,
    DocumentWatchProtocol,
    DuplicateDocumentError,
    Query,
    SortKeys,
)
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.exceptions import EventStoreConnectionError, EventStoreError
from lexigram.events.stores.mongodb.config import DEFAULT_DATABASE
from lexigram.events.stores.urls import redact_url

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.change_stream import AsyncCollectionChangeStream
    from pymongo.asynchronous.client_session import AsyncClientSession
    from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["MongoDBDocumentStore", "require_pymongo"]

T = TypeVar("T")

_NOT_A_REPLICA_SET = 40573  # "The $changeStream stage is only supported on replica sets"
_DUPLICATE_KEY = 11000


def require_pymongo() -> Any:
    """Import PyMongo, or raise ``ConfigurationError`` naming the extra to install."""
    try:
        import pymongo
    except ImportError as exc:
        raise ConfigurationError(
            "the MongoDB stores need PyMongo 4.10 or newer: pip install 'lexigram-events[mongo]'"
        ) from exc
    return pymongo


class _Operations:
    """The document operations on one database, optionally bound to a transaction's session."""

    def __init__(self, database: AsyncDatabase[Document], session: AsyncClientSession | None) -> None:
        self._database = database
        self._session = session

    async def find_one(
        self, collection: str, query: Query, *, sort: SortKeys | None = None
    ) -> Document | None:
        return await self._database[collection].find_one(
            query, sort=list(sort or ()) or None, session=self._session
        )

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
        if limit == 0:
            return []
        cursor = self._database[collection].find(
            query,
            None if fields is None else list(fields),
            skip=skip,
            limit=limit or 0,
            session=self._session,
        )
        if sort:
            cursor = cursor.sort(list(sort))
        return await cursor.to_list(None)

    async def count(self, collection: str, query: Query) -> int:
        return await self._database[collection].count_documents(query, session=self._session)

    async def insert_many(self, collection: str, documents: Sequence[Document]) -> None:
        with self._duplicates():
            await self._database[collection].insert_many(list(documents), session=self._session)

    async def update_one(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        with self._duplicates():
            result = await self._database[collection].update_one(
                query, update, upsert=upsert, session=self._session
            )
        return result.modified_count + (1 if result.upserted_id is not None else 0)

    async def find_one_and_update(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> Document | None:
        from pymongo import ReturnDocument

        with self._duplicates():
            return await self._database[collection].find_one_and_update(
                query, update, upsert=upsert, return_document=ReturnDocument.AFTER, session=self._session
            )

    async def replace_one(
        self, collection: str, query: Query, document: Document, *, upsert: bool = False
    ) -> None:
        with self._duplicates():
            await self._database[collection].replace_one(
                query, document, upsert=upsert, session=self._session
            )

    async def delete_many(self, collection: str, query: Query) -> int:
        result = await self._database[collection].delete_many(query, session=self._session)
        return result.deleted_count

    @staticmethod
    @contextmanager
    def _duplicates() -> Iterator[None]:
        from pymongo.errors import BulkWriteError, DuplicateKeyError

        try:
            yield
        except (DuplicateKeyError, BulkWriteError) as exc:
            duplicate = _as_duplicate(exc)
            if duplicate is None or exc.has_error_label("TransientTransactionError"):
                raise  # not a duplicate, or one that with_transaction retries
            raise duplicate from exc


def _as_duplicate(exc: Any) -> DuplicateDocumentError | None:
    """The ``DuplicateDocumentError`` for a driver error that reports a duplicate key, else None.

    ``insert_many`` reports one as a ``BulkWriteError`` holding write errors with code 11000. The
    message names the index and the key, never the rest of the document.
    """
    details = getattr(exc, "details", None) or {}
    errors = details.get("writeErrors") or [details]
    duplicates = [error for error in errors if error.get("code") == _DUPLICATE_KEY]
    if getattr(exc, "code", None) != _DUPLICATE_KEY and not duplicates:
        return None
    first = duplicates[0] if duplicates else details
    key = first.get("keyValue")
    shown = f" (key {key})" if key is not None else ""
    return DuplicateDocumentError(f"a document with the same unique key exists already{shown}")


class _ChangeStream:
    """A PyMongo change stream behind ``DocumentChangeStreamProtocol``."""

    def __init__(self, stream: AsyncCollectionChangeStream[Document], owner: MongoDBDocumentStore) -> None:
        self._stream = stream
        self._owner = owner

    async def __aiter__(self) -> AsyncIterator[Document]:
        while True:
            with self._owner._translated():
                change = await self._stream.next()
            yield change

    async def close(self) -> None:
        await self._stream.close()


class MongoDBDocumentStore:
    """A MongoDB database (or a wire-compatible server's) reached with PyMongo's async client.

    Example::

        documents = MongoDBDocumentStore("mongodb://127.0.0.1:27017/?replicaSet=rs0", "shop")
        store = MongoDBEventStore(documents, MongoDBConfig(database="shop"))

    The client is created on first use, on the running event loop; ``close()`` releases it (a later
    call opens a new one). ``client_options`` go to ``AsyncMongoClient``. Transactions need a
    replica set or a sharded cluster; a single-node replica set is enough.
    """

    def __init__(self, uri: str | SecretStr, database: str = DEFAULT_DATABASE, **client_options: Any) -> None:
        self._pymongo = require_pymongo()
        secret = uri.get_secret_value() if isinstance(uri, SecretStr) else uri
        if not isinstance(secret, str) or not secret.startswith(("mongodb://", "mongodb+srv://")):
            shown = redact_url(secret) if isinstance(secret, str) else type(secret).__name__
            raise ConfigurationError(
                f"the MongoDB URI must start with mongodb:// or mongodb+srv://, got {shown}"
            )
        self._uri = secret
        self.display_uri = redact_url(secret)
        """The URI with its password masked, for messages and logs."""
        self.database_name = database
        """The database the collections are in."""
        self._options = client_options
        self._client: AsyncMongoClient[Document] | None = None

    def __repr__(self) -> str:
        return f"MongoDBDocumentStore({self.display_uri!r}, {self.database_name!r})"

    @property
    def client(self) -> AsyncMongoClient[Document]:
        """The PyMongo client (created on first use)."""
        if self._client is None:
            self._client = self._pymongo.AsyncMongoClient(self._uri, **self._options)
        return self._client

    def _operations(self, session: AsyncClientSession | None = None) -> _Operations:
        return _Operations(self.client[self.database_name], session)

    async def connect(self) -> None:
        """Check that the server answers (``ping``)."""
        with self._translated():
            await self.client.admin.command("ping")

    async def close(self) -> None:
        """Close the client and its connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # --- DocumentOperationsProtocol ------------------------------------------------------------

    async def find_one(
        self, collection: str, query: Query, *, sort: SortKeys | None = None
    ) -> Document | None:
        """Return the first matching document, or None."""
        with self._translated():
            return await self._operations().find_one(collection, query, sort=sort)

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
        """Return the matching documents."""
        with self._translated():
            return await self._operations().find(
                collection, query, sort=sort, skip=skip, limit=limit, fields=fields
            )

    async def count(self, collection: str, query: Query) -> int:
        """Return how many documents match."""
        with self._translated():
            return await self._operations().count(collection, query)

    async def insert_many(self, collection: str, documents: Sequence[Document]) -> None:
        """Insert documents in order."""
        with self._translated():
            await self._operations().insert_many(collection, documents)

    async def update_one(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        """Update (or upsert) one document; return how many changed."""
        with self._translated():
            return await self._operations().update_one(collection, query, update, upsert=upsert)

    async def find_one_and_update(
        self, collection: str, query: Query, update: Mapping[str, Any], *, upsert: bool = False
    ) -> Document | None:
        """Update one document and return it after the update."""
        with self._translated():
            return await self._operations().find_one_and_update(collection, query, update, upsert=upsert)

    async def replace_one(
        self, collection: str, query: Query, document: Document, *, upsert: bool = False
    ) -> None:
        """Replace (or upsert) one document."""
        with self._translated():
            await self._operations().replace_one(collection, query, document, upsert=upsert)

    async def delete_many(self, collection: str, query: Query) -> int:
        """Delete the matching documents; return how many."""
        with self._translated():
            return await self._operations().delete_many(collection, query)

    # --- indexes, transactions, change streams -------------------------------------------------

    async def create_index(
        self, collection: str, keys: SortKeys, *, unique: bool = False, name: str | None = None
    ) -> None:
        """Create an index unless it exists already."""
        options: dict[str, Any] = {"unique": unique}
        if name is not None:
            options["name"] = name
        with self._translated():
            await self.client[self.database_name][collection].create_index(list(keys), **options)

    async def run_transaction(self, work: Callable[[DocumentOperationsProtocol], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction; PyMongo retries it after transient conflicts."""

        async def callback(session: AsyncClientSession) -> T:
            return await work(self._operations(session))

        with self._translated():
            async with self.client.start_session() as session:
                return await session.with_transaction(callback)

    async def watch(self, collection: str, pipeline: Sequence[Mapping[str, Any]] = ()) -> _ChangeStream:
        """Open a change stream on a collection (needs a replica set or a sharded cluster)."""
        errors = self._pymongo.errors
        try:
            stream = await self.client[self.database_name][collection].watch(list(pipeline))
        except errors.OperationFailure as exc:
            if exc.code == _NOT_A_REPLICA_SET or "replica set" in str(exc).lower():
                raise ChangeStreamUnavailableError(
                    f"MongoDB at {self.display_uri} cannot open change streams ({exc}); run it as a "
                    "replica set, or read by polling"
                ) from exc
            raise self._translate(exc) from exc
        except errors.PyMongoError as exc:
            raise self._translate(exc) from exc
        return _ChangeStream(stream, self)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._pymongo.errors.PyMongoError as exc:
            duplicate = _as_duplicate(exc)
            if duplicate is not None:
                raise duplicate from exc
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> EventStoreError:
        errors = self._pymongo.errors
        if isinstance(
            exc, errors.ConnectionFailure | errors.ServerSelectionTimeoutError | errors.ConfigurationError
        ):
            return EventStoreConnectionError(
                f"cannot reach MongoDB at {self.display_uri} ({type(exc).__name__}); check that the server "
                "runs and the URI is right"
            )
        if isinstance(exc, errors.OperationFailure) and exc.code in (18, 13):
            return EventStoreConnectionError(
                f"MongoDB at {self.display_uri} refused the request ({exc}); check the credentials and roles"
            )
        return EventStoreError(f"MongoDB at {self.display_uri} failed: {exc}")


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        store: MongoDBDocumentStore,
    ) -> tuple[DocumentStoreProtocol, DocumentWatchProtocol]:
        return store, store
