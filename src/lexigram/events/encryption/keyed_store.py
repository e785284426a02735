"""``SubjectKeyedEventStore``: an event store that loads and creates subject keys by itself.

An ``EncryptedEventSerializer`` answers from memory on the store's synchronous path, so the keys
of data subjects must be in memory first. This wrapper does that around any event store: each
append first awaits ``serializer.prepare(events)`` (creating missing keys in the subject-key
store before any event is written), and a read that meets a subject whose key is not loaded
loads it and reads again. Every other attribute is the wrapped store's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.events.encryption.serializer import EncryptedEventSerializer
from lexigram.events.exceptions import SubjectKeyNotLoadedError

__all__ = ["SubjectKeyedEventStore"]

T = TypeVar("T")

_READS = frozenset({"read", "load", "read_all", "get_events", "find_by_aggregate", "read_envelopes"})


def _events_in(*values: Any) -> list[DomainEvent]:
    found: list[DomainEvent] = []
    for value in values:
        if isinstance(value, DomainEvent):
            found.append(value)
        elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
            found.extend(item for item in value if isinstance(item, DomainEvent))
    return found


class SubjectKeyedEventStore:
    """Wraps ``store`` (which was built with ``event_serializer=serializer``) to manage subject keys.

    Example::

        serializer = EncryptedEventSerializer(keys, subject_keys=SqliteSubjectKeyStore(config))
        events = SqliteEventStore(config=config, event_serializer=serializer)
        store = SubjectKeyedEventStore(events, serializer)
        await store.append("customer-c1", [CustomerOnboarded(customer_id="c1", email=..., phone=...)])
    """

    def __init__(self, store: Any, serializer: EncryptedEventSerializer) -> None:
        if not isinstance(serializer, EncryptedEventSerializer):
            raise ConfigurationError(
                f"serializer must be an EncryptedEventSerializer, got {type(serializer).__name__}"
            )
        if serializer.subject_keys is None:
            raise ConfigurationError("the serializer has no subject-key store: pass subject_keys=... to it")
        self.store = store
        self.serializer = serializer

    async def append(
        self, stream_id: Any = None, events: Any = None, expected_version: int | None = None
    ) -> Any:
        """Prepare the subjects' keys, then append (see the wrapped store's ``append``)."""
        await self.serializer.prepare(_events_in(stream_id, events))
        return await self.store.append(stream_id, events, expected_version)

    async def append_returning(
        self, stream_id: Any = None, events: Any = None, expected_version: int | None = None
    ) -> Any:
        """Prepare the subjects' keys, then ``append_returning``."""
        await self.serializer.prepare(_events_in(stream_id, events))
        return await self.store.append_returning(stream_id, events, expected_version)

    async def save(
        self, stream_id: Any = None, events: Any = None, expected_version: int | None = None
    ) -> Any:
        """An alias of ``append``."""
        return await self.append(stream_id, events, expected_version)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if name in _READS and callable(attribute):
            return self._loading_keys(attribute)
        return attribute

    def _loading_keys(self, read: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        keyring = self.serializer.subject_keys
        assert keyring is not None

        async def read_with_keys(*args: Any, **kwargs: Any) -> T:
            loaded: set[tuple[str, str]] = set()
            while True:
                try:
                    return await read(*args, **kwargs)
                except SubjectKeyNotLoadedError as missing:
                    pair = (missing.alias, missing.subject)
                    if pair in loaded:
                        raise
                    loaded.add(pair)
                    await keyring.load(missing.alias, [missing.subject])

        return read_with_keys
