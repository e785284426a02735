"""Redis stores: ``RedisEventStore`` and ``RedisSnapshotStore`` over ``StateStoreProtocol``.

``RedisStateStore`` is the package's redis-py implementation of that protocol. Importing this
package needs no Redis client; building a ``RedisStateStore`` needs the ``redis`` extra
(``pip install 'lexigram-events[redis]'``). Tested against Redis 7; Redis 6.2 or newer is needed.
"""

from lexigram.events.stores.redis.event_store import RedisEventStore
from lexigram.events.stores.redis.keys import RedisKeys
from lexigram.events.stores.redis.snapshot_store import RedisSnapshotStore
from lexigram.events.stores.redis.state_store import RedisStateStore

__all__ = ["RedisEventStore", "RedisKeys", "RedisSnapshotStore", "RedisStateStore"]
