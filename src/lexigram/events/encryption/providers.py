"""Key providers: where the master keys of key aliases come from.

Any object with ``get(alias)`` is a key provider (``KeyProviderProtocol``); a plain dict is one.
Two more ship here:

* ``EnvironmentKeyProvider``: ``events/pii-key`` is read from ``LEXIGRAM_KEY_EVENTS_PII_KEY``;
* ``KeyFileProvider``: a JSON file ``{"events/pii-key": ["<newest>", "<older>"]}``.

A value lists several keys, newest first, while a key is rotated (comma-separated in an
environment variable). For a cloud KMS, keep the master key KMS-wrapped and unwrap it once at
start-up in a provider of your own (envelope encryption, see docs/encryption.md).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from lexigram.contracts.events.keys import KeyMaterial
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events.exceptions import SecurityError

__all__ = ["EnvironmentKeyProvider", "KeyFileProvider"]

_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


class EnvironmentKeyProvider:
    """Master keys from environment variables: ``<prefix><ALIAS>`` with the alias upper-cased.

    Every run of characters other than letters and digits in the alias becomes ``_``, so
    ``events/pii-key`` is ``LEXIGRAM_KEY_EVENTS_PII_KEY``. The value is one key, or several
    separated by commas, newest first. ``environ`` defaults to ``os.environ`` (read at each ``get``).
    """

    def __init__(self, prefix: str = "LEXIGRAM_KEY_", environ: Mapping[str, str] | None = None) -> None:
        if not isinstance(prefix, str):
            raise ConfigurationError(f"prefix must be a string, got {type(prefix).__name__}")
        self.prefix = prefix
        self._environ = environ

    def variable(self, alias: str) -> str:
        """The name of the environment variable holding ``alias``'s keys."""
        return self.prefix + _NOT_NAME.sub("_", alias).strip("_").upper()

    def get(self, alias: str) -> KeyMaterial | None:
        """The keys of ``alias`` (newest first), or None when its variable is not set."""
        environ = self._environ if self._environ is not None else os.environ
        value = environ.get(self.variable(alias))
        if value is None or not value.strip():
            return None
        return [part.strip() for part in value.split(",") if part.strip()]


class KeyFileProvider:
    """Master keys from a JSON file mapping each alias to a key or a list of keys (newest first).

    The file is read on each ``get`` (so a rotation needs no restart; the serializer caches keys
    until ``reload_keys()``). A file that other users may read is refused unless
    ``allow_shared=True``: keys belong in a file only their service can open (``chmod 600``).
    """

    def __init__(self, path: str | os.PathLike[str], *, allow_shared: bool = False) -> None:
        self.path = Path(path)
        self.allow_shared = allow_shared

    def get(self, alias: str) -> KeyMaterial | None:
        """The keys of ``alias`` in the file, or None when the file does not list it."""
        keys = self._read()
        value = keys.get(alias)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        raise SecurityError(
            f"key file {self.path}: the entry of alias {alias!r} must be a key or a list of keys",
            details={"alias": alias},
        )

    def _read(self) -> dict[str, object]:
        try:
            mode = self.path.stat().st_mode
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecurityError(f"cannot read the key file {self.path}: {exc.strerror or exc}") from exc
        if not self.allow_shared and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecurityError(
                f"the key file {self.path} can be read by other users (mode {stat.filemode(mode)}); "
                f"run `chmod 600 {self.path}`, or pass allow_shared=True"
            )
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise SecurityError(f"the key file {self.path} is not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise SecurityError(f"the key file {self.path} must hold a JSON object from alias to key(s)")
        return document
