"""``EncryptedSnapshotStore``: snapshot states encrypted at rest, around any snapshot store.

An aggregate's snapshot holds its state, which can hold the same personal data as its events.
This wrapper encrypts the whole state before the wrapped store sees it and decrypts it on read;
the wrapped store keeps only ``{"__encrypted__": {...}}`` (metadata stays readable: keep personal
data out of it). With ``subject=`` the state is encrypted with the data subject's key, so
forgetting the subject shreds its snapshots too.

A snapshot whose subject was forgotten is deleted and read as absent: the repository then
replays the events, whose personal fields read back redacted. A snapshot that does not decrypt
(wrong key, altered ciphertext) raises ``SnapshotUnreadableError``, an ``EventLoadError``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.encryption.serializer import ENVELOPE, EncryptedEventSerializer
from lexigram.events.exceptions import SecurityError, SnapshotUnreadableError, SubjectKeyNotLoadedError
from lexigram.events.stores.serialization import dumps_json, loads_json
from lexigram.events.stores.snapshot_state import decode_state, encode_state

if TYPE_CHECKING:
    from lexigram.contracts.events.stores import SnapshotStoreProtocol

__all__ = ["EncryptedSnapshotStore"]

logger = logging.getLogger("lexigram.events.encryption")


class EncryptedSnapshotStore:
    """Encrypts snapshot states with ``key_alias`` (or a subject's key) around ``store``.

    ``subject`` is the state key holding the data subject's id (``"customer_id"``) or a function
    ``(snapshot) -> subject id | None``; it needs a serializer with ``subject_keys``.
    """

    def __init__(
        self,
        store: SnapshotStoreProtocol,
        serializer: EncryptedEventSerializer,
        *,
        key_alias: str,
        subject: str | Callable[[Snapshot], Any] | None = None,
    ) -> None:
        if not isinstance(serializer, EncryptedEventSerializer):
            raise ConfigurationError(
                f"serializer must be an EncryptedEventSerializer, got {type(serializer).__name__}"
            )
        if not isinstance(key_alias, str) or not key_alias:
            raise ConfigurationError(f"key_alias must be a non-empty string, got {key_alias!r}")
        if subject is not None and serializer.subject_keys is None:
            raise ConfigurationError(
                "encrypting snapshots per subject needs a serializer with subject_keys=<a subject-key store>"
            )
        self.store = store
        self.serializer = serializer
        self.key_alias = key_alias
        self._subject: Callable[[Snapshot], Any] | None = (
            (lambda snapshot: snapshot.state.get(subject)) if isinstance(subject, str) else subject
        )

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Encrypt the state and save the snapshot in the wrapped store."""
        envelope: dict[str, Any] = {"k": self.key_alias}
        subject = self._subject(snapshot) if self._subject is not None else None
        fernet: Fernet
        if subject is None or str(subject) == "":
            keys = self.serializer.master_keys(self.key_alias)
            fernet, envelope["i"] = keys.newest, keys.newest_id
        else:
            keyring = self.serializer.subject_keys
            assert keyring is not None
            envelope["s"] = str(subject)
            await keyring.prepare([(self.key_alias, envelope["s"])])
            fernet = keyring.for_write(self.key_alias, envelope["s"])
        envelope["c"] = fernet.encrypt(dumps_json(encode_state(snapshot.state))).decode("ascii")
        await self.store.save_snapshot(replace(snapshot, state={ENVELOPE: envelope}))

    async def get_latest(self, aggregate_id: str) -> Snapshot | None:
        """The newest snapshot, decrypted; None when there is none or its subject was forgotten."""
        return await self._opened(await self.store.get_latest(aggregate_id))

    async def get_by_version(self, aggregate_id: Any, version: int) -> Snapshot | None:
        """The snapshot at ``version``, decrypted; None when there is none or its subject was forgotten."""
        return await self._opened(await self.store.get_by_version(aggregate_id, version))

    async def delete_old_snapshots(self, aggregate_id: Any, keep_count: int = 3) -> int:
        """Delete all but the ``keep_count`` newest snapshots (the wrapped store's method)."""
        return await self.store.delete_old_snapshots(aggregate_id, keep_count)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.store.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def _opened(self, snapshot: Snapshot | None) -> Snapshot | None:
        if snapshot is None:
            return None
        envelope = snapshot.state.get(ENVELOPE) if isinstance(snapshot.state, dict) else None
        if envelope is None:
            return snapshot  # saved before encryption was turned on
        key = snapshot.key
        if type(envelope) is not dict or not isinstance(envelope.get("c"), str):
            raise SnapshotUnreadableError(
                f"the encrypted snapshot of '{key}' at version {snapshot.version} is malformed; delete it "
                "(delete_old_snapshots(id, keep_count=0)) and the next load replays the events",
                aggregate_id=key,
                version=snapshot.version,
            )
        alias = str(envelope.get("k"))
        try:
            fernet = await self._key(alias, envelope)
        except SecurityError as exc:
            raise SnapshotUnreadableError(
                f"the snapshot of '{key}' at version {snapshot.version} cannot be decrypted: {exc}",
                aggregate_id=key,
                version=snapshot.version,
            ) from exc
        if fernet is None:
            logger.info("dropping the snapshots of aggregate %s: their data subject was forgotten", key)
            await self.store.delete_old_snapshots(key, 0)
            return None
        try:
            state = decode_state(loads_json(fernet.decrypt(envelope["c"])))
        except InvalidToken:
            raise SnapshotUnreadableError(
                f"the snapshot of '{key}' at version {snapshot.version} does not decrypt with the key of "
                f"alias {alias!r}: the key is wrong or the ciphertext was altered; delete the snapshot and "
                "the next load replays the events",
                aggregate_id=key,
                version=snapshot.version,
            ) from None
        return replace(snapshot, state=dict(state))

    async def _key(self, alias: str, envelope: dict[str, Any]) -> Fernet | None:
        subject = envelope.get("s")
        if subject is None:
            return self.serializer.key_for_id(alias, envelope.get("i"))
        keyring = self.serializer.subject_keys
        if keyring is None:
            raise SecurityError(
                f"the snapshot is encrypted with the key of subject {subject!r}; the serializer has no "
                "subject_keys store",
                details={"alias": alias},
            )
        try:
            return keyring.for_read(alias, str(subject))
        except SubjectKeyNotLoadedError:
            await keyring.load(alias, [str(subject)])
            return keyring.for_read(alias, str(subject))


def _satisfies_the_protocol(store: EncryptedSnapshotStore) -> SnapshotStoreProtocol:
    return store
