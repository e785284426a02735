"""Master keys come from a dict, environment variables or a key file; a KMS plugs in the same way."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lexigram.contracts.events.keys import KeyProviderProtocol
from lexigram.events.encryption import EnvironmentKeyProvider, KeyFileProvider
from lexigram.events.exceptions import SecurityError

from .events import ALIAS, CustomerOnboarded, encrypted_serializer


def onboarded() -> CustomerOnboarded:
    return CustomerOnboarded(customer_id="c1", email="ada@example.com", phone="+15550100")


def test_environment_variables_hold_the_keys_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    provider = EnvironmentKeyProvider(environ={"LEXIGRAM_KEY_EVENTS_PII_KEY": f"{old}"})
    assert provider.variable(ALIAS) == "LEXIGRAM_KEY_EVENTS_PII_KEY"
    assert isinstance(provider, KeyProviderProtocol)
    written = encrypted_serializer(provider).serialize(onboarded())

    rotated = EnvironmentKeyProvider(environ={"LEXIGRAM_KEY_EVENTS_PII_KEY": f" {new} , {old} "})
    assert rotated.get(ALIAS) == [new, old]
    assert encrypted_serializer(rotated).deserialize(written).email == "ada@example.com"
    assert EnvironmentKeyProvider(environ={}).get(ALIAS) is None
    assert EnvironmentKeyProvider(prefix="APP_", environ={}).variable("a.b//c") == "APP_A_B_C"


def test_the_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEXIGRAM_KEY_EVENTS_PII_KEY", key)
    assert EnvironmentKeyProvider().get(ALIAS) == [key]
    monkeypatch.delenv("LEXIGRAM_KEY_EVENTS_PII_KEY")
    with pytest.raises(SecurityError, match="events/pii-key"):
        encrypted_serializer(EnvironmentKeyProvider()).serialize(onboarded())


def test_a_key_file_lists_keys_per_alias(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({ALIAS: old}))
    path.chmod(0o600)
    written = encrypted_serializer(KeyFileProvider(path)).serialize(onboarded())
    path.write_text(json.dumps({ALIAS: [new, old]}))
    assert KeyFileProvider(path).get(ALIAS) == [new, old]
    assert KeyFileProvider(path).get("other") is None
    assert encrypted_serializer(KeyFileProvider(path)).deserialize(written).phone == "+15550100"


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({ALIAS: Fernet.generate_key().decode()}))
    path.chmod(0o644)
    with pytest.raises(SecurityError, match="chmod 600"):
        KeyFileProvider(path).get(ALIAS)
    assert KeyFileProvider(path, allow_shared=True).get(ALIAS) is not None


@pytest.mark.parametrize(
    ("content", "problem"),
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), (json.dumps({ALIAS: 7}), "list of keys")],
)
def test_a_broken_key_file_is_a_security_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(SecurityError, match=problem):
        KeyFileProvider(path).get(ALIAS)


def test_a_missing_key_file_is_a_security_error(tmp_path: Path) -> None:
    with pytest.raises(SecurityError, match="cannot read the key file"):
        encrypted_serializer(KeyFileProvider(tmp_path / "absent.json")).serialize(onboarded())


def test_the_core_imports_without_cryptography_and_encryption_names_the_extra() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["cryptography"] = None  # as if the crypto extra were not installed
        import lexigram.events
        from lexigram.events import PII, encrypted_event
        try:
            lexigram.events.EncryptedEventSerializer
        except ImportError as error:
            print(error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "pip install 'lexigram-events[crypto]'" in result.stdout
