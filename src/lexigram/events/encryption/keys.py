"""The Fernet keys of one key alias, with key ids so that rotation never rewrites old data.

A key alias (``"events/pii-key"``) may have several keys while it is being rotated: the first
(newest) encrypts, and every one of them decrypts. Each ciphertext records the id of the key
that made it, a short fingerprint of the key (the first 12 hex digits of its SHA-256), so reading
picks the right key at once and can say which key is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet

from lexigram.contracts.events.keys import KeyMaterial
from lexigram.events.exceptions import SecurityError

__all__ = ["AliasKeys", "key_id", "keys_of"]


def key_id(key: bytes) -> str:
    """The id recorded next to ciphertexts made with ``key`` (a fingerprint, not the key)."""
    return hashlib.sha256(key).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class AliasKeys:
    """The keys of one alias: ``newest`` encrypts, ``by_id`` finds the key of a ciphertext."""

    alias: str
    newest_id: str
    newest: Fernet
    by_id: dict[str, Fernet]

    def for_id(self, kid: object) -> Fernet:
        """The key with id ``kid``; ``SecurityError`` naming the alias when it is not there."""
        key = self.by_id.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise SecurityError(
                f"data was encrypted with key {kid!r} of alias {self.alias!r}, which the key provider no "
                f"longer gives (it has {sorted(self.by_id)}): keep retired keys of the alias listed after "
                "the newest one until no data uses them",
                details={"alias": self.alias, "key_id": kid},
            )
        return key


def _as_bytes(alias: str, key: object) -> bytes:
    if isinstance(key, str):
        return key.strip().encode("ascii", "replace")
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).strip()
    raise SecurityError(
        f"the key of alias {alias!r} must be a Fernet key (bytes or str), got {type(key).__name__}",
        details={"alias": alias},
    )


def keys_of(alias: str, material: KeyMaterial | None) -> AliasKeys:
    """Check and index the key material a provider gave for ``alias`` (newest key first)."""
    if material is None:
        raise SecurityError(
            f"no key is configured for the key alias {alias!r}: add it to the key provider (for "
            "example {alias: Fernet.generate_key()}, or the environment variable or key file entry "
            "of that alias)",
            details={"alias": alias},
        )
    raw: Sequence[object] = list(material) if isinstance(material, (list, tuple)) else [material]
    if not raw:
        raise SecurityError(f"the key alias {alias!r} has an empty list of keys", details={"alias": alias})
    by_id: dict[str, Fernet] = {}
    order: list[str] = []
    for item in raw:
        key = _as_bytes(alias, item)
        try:
            fernet = Fernet(key)
        except (ValueError, TypeError):
            raise SecurityError(
                f"a key of alias {alias!r} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with cryptography.fernet.Fernet.generate_key()",
                details={"alias": alias},
            ) from None
        kid = key_id(key)
        if kid not in by_id:
            by_id[kid] = fernet
            order.append(kid)
    return AliasKeys(alias, order[0], by_id[order[0]], by_id)
