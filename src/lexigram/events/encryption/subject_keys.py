"""``SubjectKeyring``: the data keys of data subjects, cached for the serializer's synchronous path.

An event store calls its serializer synchronously, in the middle of an append or a read, so the
serializer cannot wait for a database there. The keyring splits the work in two:

* **async, before**: ``prepare`` (writing: find or create the key of each subject, creating it in
  the ``SubjectKeyStoreProtocol`` first, so no event is ever written under a key that is not
  stored) and ``load`` (reading: fetch the stored keys, all of them or some subjects');
* **sync, on the hot path**: ``for_write`` and ``for_read`` answer from memory only, and raise
  ``SubjectKeyNotLoadedError`` for a subject that was not prepared or loaded, never guessing.

Data keys are stored wrapped by the newest master key of their alias (``<key id>.<Fernet token>``)
and unwrapped here on first use; a forgotten subject is remembered as forgotten, so its fields read
back redacted instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cryptography.fernet import Fernet, InvalidToken

from lexigram.contracts.events.keys import SubjectKey, SubjectKeyStoreProtocol
from lexigram.contracts.exceptions import ValidationError
from lexigram.events.encryption.keys import AliasKeys
from lexigram.events.exceptions import SecurityError, SubjectForgottenError, SubjectKeyNotLoadedError

__all__ = ["SubjectKeyring"]

Pair = tuple[str, str]


class SubjectKeyring:
    """Subject data keys in memory, filled from (and created in) a subject-key store."""

    def __init__(self, store: SubjectKeyStoreProtocol, master: Callable[[str], AliasKeys]) -> None:
        self.store = store
        self._master = master
        self._keys: dict[Pair, Fernet] = {}
        self._wrapped: dict[Pair, bytes] = {}
        self._forgotten: set[Pair] = set()
        self._absent: set[Pair] = set()

    # --- async: fill the cache ------------------------------------------------------------------

    async def prepare(self, pairs: Iterable[Pair]) -> None:
        """Make sure every (alias, subject) has its data key loaded, creating missing ones."""
        for pair in dict.fromkeys(pairs):
            if pair in self._keys or pair in self._wrapped or pair in self._forgotten:
                continue
            alias, subject = pair
            record = await self.store.get(alias, subject)
            if record is None:
                master = self._master(alias)
                wrapped = master.newest_id.encode() + b"." + master.newest.encrypt(Fernet.generate_key())
                record = await self.store.create(alias, subject, wrapped)
            self._remember(record)

    async def load(self, alias: str | None = None, subjects: Iterable[str] | None = None) -> int:
        """Fetch stored keys (all, or those of ``subjects`` under ``alias``); return how many are known.

        Loading everything also drops cached keys that another process has forgotten since.
        """
        if subjects is not None:
            if alias is None:
                raise ValidationError("load(subjects=...) needs the alias the subjects' keys belong to")
            for subject in subjects:
                record = await self.store.get(alias, subject)
                if record is not None:
                    self._remember(record)
                else:
                    self._absent.add((alias, subject))
            return len(self._keys) + len(self._wrapped)
        for record in await self.store.list_keys(alias):
            self._remember(record)
        return len(self._keys) + len(self._wrapped)

    async def forget(self, alias: str, subject: str) -> bool:
        """Destroy the subject's key in the store and here; True when a key was destroyed now."""
        destroyed = await self.store.forget(alias, subject)
        pair = (alias, subject)
        self._keys.pop(pair, None)
        self._wrapped.pop(pair, None)
        self._forgotten.add(pair)
        return destroyed

    def _remember(self, record: SubjectKey) -> None:
        pair = (record.alias, record.subject)
        self._absent.discard(pair)
        if record.wrapped_key is None:
            self._keys.pop(pair, None)
            self._wrapped.pop(pair, None)
            self._forgotten.add(pair)
        elif pair not in self._keys:
            self._wrapped[pair] = record.wrapped_key
            self._forgotten.discard(pair)

    # --- sync: the serializer's hot path --------------------------------------------------------

    def is_forgotten(self, alias: str, subject: str) -> bool:
        """True when the subject is known to be forgotten."""
        return (alias, subject) in self._forgotten

    def for_write(self, alias: str, subject: str) -> Fernet:
        """The subject's data key for encrypting; raises when forgotten or not prepared."""
        pair = (alias, subject)
        key = self._keys.get(pair)
        if key is not None:
            return key
        if pair in self._forgotten:
            raise SubjectForgottenError(alias, subject)
        return self._unwrap(pair, writing=True)

    def for_read(self, alias: str, subject: str) -> Fernet | None:
        """The subject's data key for decrypting, None when it was forgotten; raises when not loaded."""
        pair = (alias, subject)
        key = self._keys.get(pair)
        if key is not None:
            return key
        if pair in self._forgotten:
            return None
        return self._unwrap(pair, writing=False)

    def _unwrap(self, pair: Pair, *, writing: bool) -> Fernet:
        wrapped = self._wrapped.get(pair)
        if wrapped is None and not writing and pair in self._absent:
            raise SecurityError(
                f"no data key is stored for subject {pair[1]!r} of alias {pair[0]!r}: the subject-key store "
                "is not the one the events were written with, or its row was deleted outside forget()",
                details={"alias": pair[0], "subject": pair[1]},
            )
        if wrapped is None:
            raise SubjectKeyNotLoadedError(pair[0], pair[1], writing=writing)
        kid, _, token = wrapped.partition(b".")
        master = self._master(pair[0]).for_id(kid.decode("ascii", "replace"))
        try:
            key = Fernet(master.decrypt(token))
        except (InvalidToken, ValueError):
            raise SecurityError(
                f"the stored data key of subject {pair[1]!r} does not decrypt with the master key of alias "
                f"{pair[0]!r}: the key provider gives a different key than the one that wrapped it, or the "
                "subject-key store was altered",
                details={"alias": pair[0], "subject": pair[1]},
            ) from None
        self._keys[pair] = key
        del self._wrapped[pair]
        return key
