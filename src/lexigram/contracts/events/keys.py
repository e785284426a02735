"""Where encryption keys come from: key providers and subject-key stores.

A **key provider** answers ``get(alias)`` with the key material of a key alias (such as
``"events/pii-key"``): one Fernet key, or several, newest first, while a key is being rotated. A
plain ``dict`` from alias to key is a key provider. A cloud KMS plugs in at this seam: a provider
that keeps a KMS-wrapped master key and unwraps it once at start-up (envelope encryption).

A **subject-key store** keeps one data key per data subject (a customer, a user), wrapped by the
master key of its alias, never in plaintext. Destroying that key (``forget``) makes the subject's
encrypted fields unreadable everywhere at once: crypto-shredding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["KeyMaterial", "KeyProviderProtocol", "SubjectKey", "SubjectKeyStoreProtocol"]

KeyMaterial = bytes | str | Sequence[bytes | str]
"""One url-safe base64 Fernet key, or several (newest first: it encrypts; all of them decrypt)."""


@runtime_checkable
class KeyProviderProtocol(Protocol):
    """Gives the key material of a key alias; a ``dict`` from alias to key is one."""

    def get(self, alias: str) -> KeyMaterial | None:
        """The key (or keys, newest first) of ``alias``, or None when the alias is unknown."""
        ...


@dataclass(frozen=True, slots=True)
class SubjectKey:
    """The stored data key of one data subject under one key alias.

    ``wrapped_key`` is the data key encrypted with the alias's master key; it is None once the
    subject was forgotten (``forgotten_at`` then says when).
    """

    alias: str
    subject: str
    wrapped_key: bytes | None
    created_at: datetime
    forgotten_at: datetime | None = None

    @property
    def forgotten(self) -> bool:
        """True once the key was destroyed."""
        return self.wrapped_key is None


class SubjectKeyStoreProtocol(Protocol):
    """Keeps the wrapped data key of each (alias, subject) pair; ``forget`` destroys one for good."""

    async def get(self, alias: str, subject: str) -> SubjectKey | None:
        """The subject's key record (possibly forgotten), or None when it has none."""
        ...

    async def create(self, alias: str, subject: str, wrapped_key: bytes) -> SubjectKey:
        """Store ``wrapped_key`` unless the subject already has a record; return the stored record.

        When two writers race, both get the same (first) record back; a forgotten subject's
        record is returned as it is (forgotten), never replaced.
        """
        ...

    async def forget(self, alias: str, subject: str) -> bool:
        """Destroy the subject's key and keep a tombstone; True when a key was destroyed now."""
        ...

    async def list_keys(self, alias: str | None = None) -> list[SubjectKey]:
        """Every record (forgotten ones included), of one alias or of all, by alias and subject."""
        ...

    async def close(self) -> None:
        """Release the store's connections. Idempotent."""
        ...
