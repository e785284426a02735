"""Building the application's encrypting serializer from ``EventsConfig.encryption``."""

from __future__ import annotations

from lexigram.contracts.events.keys import KeyProviderProtocol, SubjectKeyStoreProtocol
from lexigram.events.config import EncryptionConfig
from lexigram.events.encryption.providers import EnvironmentKeyProvider, KeyFileProvider
from lexigram.events.encryption.serializer import EncryptedEventSerializer

__all__ = ["encrypting_serializer", "key_provider"]


def key_provider(config: EncryptionConfig) -> KeyProviderProtocol:
    """Where the configured master keys come from: the environment or a key file."""
    if config.key_source == "file":
        assert config.key_file is not None  # the config refuses a file source without a path
        return KeyFileProvider(config.key_file)
    return EnvironmentKeyProvider(config.env_prefix)


def encrypting_serializer(
    config: EncryptionConfig, subject_keys: SubjectKeyStoreProtocol
) -> EncryptedEventSerializer:
    """The serializer of an application's event store with ``encryption.enabled``."""
    return EncryptedEventSerializer(key_provider(config), subject_keys=subject_keys)
