"""MongoDB stores: ``MongoDBEventStore`` and ``MongoDBSnapshotStore``.

``MongoDBEventStore`` works through ``DocumentStoreProtocol``; ``MongoDBDocumentStore`` is the
package's implementation of it with PyMongo's async API. ``MongoDBConfig`` names the connection and
the collections. Importing this package needs no driver; building a ``MongoDBDocumentStore`` (or a
``MongoDBSnapshotStore`` that opens its own client) needs the ``mongo`` extra
(``pip install 'lexigram-events[mongo]'``).

Appends are multi-document transactions, so the server must be a replica set or a sharded cluster
(a single-node replica set is enough). ``event_store`` explains how positions stay in commit order
and what that costs.

Testing: no real ``mongod`` could be installed where this package is developed. These stores are
tested against secantusdb, a MongoDB wire-compatible server (a beta emulator on WiredTiger), **not
against MongoDB itself**. Behaviour that depends on MongoDB's own server (write-conflict detection
in transactions, change streams, index semantics) is what secantusdb reproduces, which may differ
from a real ``mongod``. Run the conformance suite against your own MongoDB before relying on it.
"""

from lexigram.events.stores.mongodb.config import MongoDBConfig
from lexigram.events.stores.mongodb.document_store import MongoDBDocumentStore
from lexigram.events.stores.mongodb.event_store import MongoDBEventStore
from lexigram.events.stores.mongodb.snapshot_store import MongoDBSnapshotStore

__all__ = ["MongoDBConfig", "MongoDBDocumentStore", "MongoDBEventStore", "MongoDBSnapshotStore"]
