"""Fixtures for the encryption tests: master keys, and PostgreSQL tables of their own."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

ALIAS = "events/pii-key"


@pytest.fixture
def master_keys() -> dict[str, bytes]:
    """A fresh master key for the alias the test events use."""
    return {ALIAS: Fernet.generate_key()}
