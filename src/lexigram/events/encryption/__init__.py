"""Encryption of personal data at rest: field encryption, key rotation and crypto-shredding.

See docs/encryption.md. The pieces:

* ``@encrypted_event`` (``lexigram.events.decorators``) marks what to encrypt;
* ``EncryptedEventSerializer`` encrypts on write and decrypts on read, for any persistent store;
* key providers (a dict, ``EnvironmentKeyProvider``, ``KeyFileProvider``, or yours) give the
  master keys of key aliases, several per alias while rotating;
* subject-key stores keep one data key per data subject; ``serializer.forget(subject)`` destroys
  it, and the subject's fields read back as ``REDACTED``;
* ``EncryptedSnapshotStore`` encrypts snapshot states; ``SubjectKeyedEventStore`` loads and
  creates subject keys around any event store.
"""

try:
    import cryptography  # noqa: F401  (checked first, for a clear message)
except ImportError as missing:  # pragma: no cover - the dev install has it
    raise ImportError(
        "PII encryption needs the cryptography package; install it with pip install 'lexigram-events[crypto]'"
    ) from missing

from lexigram.contracts.events.keys import KeyProviderProtocol, SubjectKey, SubjectKeyStoreProtocol
from lexigram.events.decorators.encryption import PII, EncryptionSpec, encrypted_event, encryption_of
from lexigram.events.encryption.keyed_store import SubjectKeyedEventStore
from lexigram.events.encryption.keys import AliasKeys, key_id
from lexigram.events.encryption.providers import EnvironmentKeyProvider, KeyFileProvider
from lexigram.events.encryption.redaction import REDACTED, RedactedText, event_is_redacted, redacted_fields
from lexigram.events.encryption.serializer import ENVELOPE, EncryptedEventSerializer
from lexigram.events.encryption.snapshots import EncryptedSnapshotStore
from lexigram.events.encryption.subject_keys import SubjectKeyring

__all__ = [
    "ENVELOPE",
    "PII",
    "REDACTED",
    "AliasKeys",
    "EncryptedEventSerializer",
    "EncryptedSnapshotStore",
    "EncryptionSpec",
    "EnvironmentKeyProvider",
    "KeyFileProvider",
    "KeyProviderProtocol",
    "RedactedText",
    "SubjectKey",
    "SubjectKeyStoreProtocol",
    "SubjectKeyedEventStore",
    "SubjectKeyring",
    "encrypted_event",
    "encryption_of",
    "event_is_redacted",
    "key_id",
    "redacted_fields",
]
