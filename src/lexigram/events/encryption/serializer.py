"""``EncryptedEventSerializer``: events whose personal data is encrypted at rest.

Pass it to any persistent store as ``event_serializer=``. Events of ``@encrypted_event`` classes
are stored as the JSON of ``event.to_dict()`` with their encrypted fields replaced by one
envelope::

    {"event_id": "...", "event_type": "CustomerOnboarded", "customer_id": "c1", ...,
     "__encrypted__": {"k": "events/pii-key", "i": "3f2a9c01d4e5", "c": "gAAAAA..."}}

``k`` is the key alias and ``c`` the Fernet token of the encrypted fields (as one JSON object).
``i`` is the id of the alias key that encrypted them (key rotation: the newest key encrypts, every
listed key decrypts, old events are never rewritten); for a class with ``subject=``, ``s`` names
the data subject instead, whose own data key encrypted the fields (crypto-shredding). Everything
else stays readable and queryable. Other classes are stored exactly as by the JSON serializer:
whether a class is encrypted is decided once per class and cached.

Reading keeps the stores' one-pass decoding: ``stored_decoder(upcast)`` hands the inner JSON
serializer an upcast that decrypts first and then applies the store's own upcast, so upcasters
always see plaintext. An event stored before its class was encrypted (no envelope) reads as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from lexigram.contracts.events.keys import KeyProviderProtocol, SubjectKeyStoreProtocol
from lexigram.contracts.exceptions import ConfigurationError, ValidationError
from lexigram.contracts.messages import DomainEvent, event_types
from lexigram.events.encryption.keys import AliasKeys, keys_of
from lexigram.events.encryption.plan import EncryptionPlan, plan_for
from lexigram.events.encryption.redaction import mark_redacted
from lexigram.events.encryption.subject_keys import SubjectKeyring
from lexigram.events.exceptions import EventLoadError, EventPersistenceError, SecurityError
from lexigram.events.stores.serialization import JsonEventSerializer, dumps_json, loads_json
from lexigram.events.stores.stamping import schema_stamped

__all__ = ["ENVELOPE", "EncryptedEventSerializer"]

ENVELOPE = "__encrypted__"
"""The key of the encrypted fields' envelope in a stored event."""

Upcast = Callable[[dict[str, Any]], dict[str, Any]]
_UNKNOWN: Any = object()


class EncryptedEventSerializer:
    """An ``EventSerializerProtocol`` that encrypts the fields ``@encrypted_event`` marks.

    ``secret_store`` gives the master keys: any object with ``get(alias)`` (a dict from alias to
    Fernet key, ``EnvironmentKeyProvider``, ``KeyFileProvider``, your KMS-backed provider); a value
    may list several keys, newest first, for rotation. ``json_serializer`` is the inner
    ``JsonEventSerializer`` (a new one by default). ``subject_keys`` is the subject-key store that
    classes with ``subject=`` need (see ``prepare``, ``load_keys`` and ``forget``).

    A missing alias, a wrong key or altered ciphertext raise ``SecurityError`` naming the alias,
    on write and on read; ciphertext is never handed back as data.
    """

    def __init__(
        self,
        secret_store: KeyProviderProtocol | Any,
        json_serializer: JsonEventSerializer | None = None,
        *,
        subject_keys: SubjectKeyStoreProtocol | None = None,
    ) -> None:
        if not callable(getattr(secret_store, "get", None)):
            raise ConfigurationError(
                "secret_store must have a get(alias) method (a dict from alias to Fernet key works), "
                f"got {type(secret_store).__name__}"
            )
        inner = json_serializer if json_serializer is not None else JsonEventSerializer()
        if not callable(getattr(inner, "stored_decoder", None)) or not callable(
            getattr(inner, "resolve", None)
        ):
            raise ConfigurationError(
                "json_serializer must be a JsonEventSerializer (it needs stored_decoder and resolve), "
                f"got {type(inner).__name__}"
            )
        self.secret_store = secret_store
        self.json_serializer = inner
        self._masters: dict[str, AliasKeys] = {}
        self._plans: dict[type, EncryptionPlan | None] = {}
        self._plans_by_name: dict[str, EncryptionPlan | None] = {}
        self.subject_keys: SubjectKeyring | None = (
            SubjectKeyring(subject_keys, self.master_keys) if subject_keys is not None else None
        )

    # --- keys ------------------------------------------------------------------------------------

    def master_keys(self, alias: str) -> AliasKeys:
        """The checked keys of ``alias`` from the secret store (cached; see ``reload_keys``)."""
        keys = self._masters.get(alias)
        if keys is None:
            keys = keys_of(alias, self.secret_store.get(alias))
            self._masters[alias] = keys
        return keys

    def reload_keys(self) -> None:
        """Forget the cached master keys: the next use asks the secret store again (after a rotation)."""
        self._masters.clear()

    def key_for_id(self, alias: str, kid: object) -> Fernet:
        """The key of ``alias`` whose id is ``kid`` (asking the secret store again once when unknown)."""
        keys = self.master_keys(alias)
        if kid not in keys.by_id:
            self._masters.pop(alias, None)  # a key added since: ask the secret store once more
            keys = self.master_keys(alias)
        return keys.for_id(kid)

    def _keyring(self, plan: EncryptionPlan, what: str) -> SubjectKeyring:
        if self.subject_keys is None:
            raise ConfigurationError(
                f"{what} is encrypted per data subject (subject={plan.subject!r}); pass "
                "subject_keys=<a subject-key store> to EncryptedEventSerializer"
            )
        return self.subject_keys

    # --- the plan of a class ----------------------------------------------------------------------

    def plan_of(self, cls: type) -> EncryptionPlan | None:
        """The encryption plan of an event class (None: not encrypted), decided once per class."""
        if cls in self._plans:
            return self._plans[cls]
        plan = self._plans[cls] = plan_for(cls)
        return plan

    def _plan_named(self, name: Any) -> EncryptionPlan | None:
        if not isinstance(name, str):
            return None
        if name in self._plans_by_name:
            return self._plans_by_name[name]
        plan: EncryptionPlan | None
        try:
            plan = self.plan_of(self.json_serializer.resolve(name))
        except EventLoadError:
            plan = None
        self._plans_by_name[str(name)] = plan
        return plan

    # --- writing ---------------------------------------------------------------------------------

    def serialize(self, event: DomainEvent) -> bytes:
        """The stored bytes of ``event``, its encrypted fields sealed in the envelope."""
        return self.encode_row(event)[3]

    def encode_row(self, event: DomainEvent) -> tuple[str, str, str, bytes]:
        """(event id, event type, occurred at, stored bytes) of ``event``, from one ``to_dict``.

        Stores with those columns call this instead of ``serialize`` (``EventCodec.encode_row``).
        """
        plan = self._plans.get(type(event), _UNKNOWN)
        if plan is _UNKNOWN:
            plan = self.plan_of(type(event))
        try:
            if type(self.json_serializer) is JsonEventSerializer:
                document = schema_stamped(event).to_dict()  # what the JSON serializer writes
            else:  # a custom inner serializer: its own document
                document = loads_json(self.json_serializer.serialize(event))
        except (TypeError, ValueError) as exc:
            raise EventPersistenceError(
                f"cannot serialize {type(event).__name__} to JSON: {exc}",
                details={"event_type": type(event).__name__},
            ) from exc
        row_id, occurred_at = document["event_id"], document["occurred_at"]
        if plan is None:
            return row_id, event.event_type, occurred_at, self._dumps(event, document)
        sealed = {name: document.pop(name) for name in plan.fields}
        envelope: dict[str, Any] = {"k": plan.alias}
        if plan.subject is None:
            keys = self.master_keys(plan.alias)
            fernet, envelope["i"] = keys.newest, keys.newest_id
        else:
            subject = _subject_of(event, plan)
            fernet = self._keyring(plan, type(event).__name__).for_write(plan.alias, subject)
            envelope["s"] = subject
        envelope["c"] = fernet.encrypt(self._dumps(event, sealed)).decode("ascii")
        document[ENVELOPE] = envelope
        return row_id, event.event_type, occurred_at, self._dumps(event, document)

    @staticmethod
    def _dumps(event: DomainEvent, document: dict[str, Any]) -> bytes:
        try:
            return dumps_json(document)
        except (TypeError, ValueError) as exc:
            raise EventPersistenceError(
                f"cannot serialize {type(event).__name__} to JSON: {exc}",
                details={"event_type": type(event).__name__},
            ) from exc

    async def prepare(self, events: Iterable[Any]) -> None:
        """Load or create the data keys of the subjects of ``events``; call it before appending them."""
        pairs: list[tuple[str, str]] = []
        for event in events:
            plan = self.plan_of(type(event))
            if plan is not None and plan.subject is not None:
                self._keyring(plan, type(event).__name__)
                pairs.append((plan.alias, _subject_of(event, plan)))
        if pairs and self.subject_keys is not None:
            await self.subject_keys.prepare(pairs)

    async def load_keys(self, subjects: Iterable[str] | None = None, *, key_alias: str | None = None) -> int:
        """Load stored subject keys for reading (all of them, or those of ``subjects``); return the count.

        Call it at start-up, and again to see keys other processes created or forgot since.
        """
        keyring = self._require_keyring()
        if subjects is None:
            return await keyring.load(key_alias)
        checked = [_checked_subject(subject) for subject in subjects]
        count = 0
        for alias in [key_alias] if key_alias is not None else self._subject_aliases():
            count = await keyring.load(alias, checked)
        return count

    async def forget(self, subject: str, *, key_alias: str | None = None) -> bool:
        """Crypto-shred a data subject: destroy its data key (under ``key_alias``, or every alias).

        Nothing is written to the event log. Afterwards the subject's encrypted fields read back
        as ``REDACTED`` (``None`` for non-text fields) and new events for it are refused with
        ``SubjectForgottenError``. Returns True when a key was destroyed now.
        """
        keyring = self._require_keyring()
        subject = _checked_subject(subject)
        aliases = [key_alias] if key_alias is not None else self._subject_aliases()
        destroyed = False
        for alias in aliases:
            destroyed = await keyring.forget(alias, subject) or destroyed
        return destroyed

    def _require_keyring(self) -> SubjectKeyring:
        if self.subject_keys is None:
            raise ConfigurationError(
                "this EncryptedEventSerializer has no subject-key store; pass subject_keys=<a store> "
                "(InMemorySubjectKeyStore, SqliteSubjectKeyStore, PostgresSubjectKeyStore)"
            )
        return self.subject_keys

    def _subject_aliases(self) -> list[str]:
        classes = [event_types.resolve(name) for name in event_types.names()]
        classes += list(getattr(self.json_serializer, "_types", {}).values())
        aliases: dict[str, None] = {}
        for cls in classes:
            try:
                plan = plan_for(cls) if cls is not None else None
            except ConfigurationError:
                continue  # a class that cannot be encrypted names no alias (writing it fails loudly)
            if plan is not None and plan.subject is not None:
                aliases[plan.alias] = None
        if not aliases:
            raise ConfigurationError(
                "no @encrypted_event class with subject=... is defined; import your event classes, or "
                "pass key_alias=..."
            )
        return list(aliases)

    # --- reading ---------------------------------------------------------------------------------

    def stored_decoder(self, upcast: Upcast | None = None) -> Callable[[bytes | str, int, int], DomainEvent]:
        """The store's one-pass decoder: decrypt, then ``upcast``, then the JSON serializer's build."""
        redacted: list[tuple[str, ...]] = []
        open_envelope = self._open

        def decrypt_then_upcast(document: dict[str, Any]) -> dict[str, Any]:
            envelope = document.pop(ENVELOPE, None)
            if envelope is not None:
                open_envelope(document, envelope, redacted)
            return upcast(document) if upcast is not None else document

        decode = self.json_serializer.stored_decoder(decrypt_then_upcast)

        def decode_stored(data: bytes | str, position: int, version: int) -> DomainEvent:
            redacted.clear()
            event = decode(data, position, version)
            if redacted:
                mark_redacted(event, redacted[0])
            return event

        return decode_stored

    def deserialize_stored(
        self, data: bytes | str, position: int, version: int, upcast: Upcast | None = None
    ) -> DomainEvent:
        """Rebuild a stored event with its position and version (decrypting, then upcasting)."""
        return self.stored_decoder(upcast)(data, position, version)

    def deserialize(self, data: bytes | str) -> DomainEvent:
        """Rebuild an event from ``serialize`` output."""
        try:
            document = loads_json(data)
        except ValueError as exc:
            raise EventLoadError(f"a stored event is not valid JSON: {exc}") from exc
        if type(document) is not dict:
            raise EventLoadError(f"a stored event must be a JSON object, got {type(document).__name__}")
        redacted: list[tuple[str, ...]] = []
        envelope = document.pop(ENVELOPE, None)
        if envelope is not None:
            self._open(document, envelope, redacted)
        event: DomainEvent = self.json_serializer.resolve(document.get("event_type"))._from_stored(document)
        if redacted:
            mark_redacted(event, redacted[0])
        return event

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as instances of ``cls``."""
        self.json_serializer.register_event_type(name, cls)
        self._plans_by_name.pop(name, None)

    def _open(self, document: dict[str, Any], envelope: Any, redacted: list[tuple[str, ...]]) -> None:
        if (
            type(envelope) is not dict
            or type(envelope.get("k")) is not str
            or type(envelope.get("c")) is not str
        ):
            raise EventLoadError(
                f"the encrypted fields of stored event {document.get('event_id')!r} are malformed "
                "(expected an object with a key alias 'k' and a token 'c'); the row was altered",
                details={"event_id": document.get("event_id")},
            )
        alias = envelope["k"]
        subject = envelope.get("s")
        fernet: Fernet | None
        if subject is None:
            fernet = self.key_for_id(alias, envelope.get("i"))
        else:
            if self.subject_keys is None:
                raise ConfigurationError(
                    f"stored event {document.get('event_id')!r} is encrypted with the key of data subject "
                    f"{subject!r}; pass subject_keys=<the subject-key store> to EncryptedEventSerializer"
                )
            fernet = self.subject_keys.for_read(alias, str(subject))
            if fernet is None:
                plan = self._plan_named(document.get("event_type"))
                values = plan.redacted if plan is not None else {}
                document.update(values)
                redacted.append(tuple(values))
                return
        try:
            fields = loads_json(fernet.decrypt(envelope["c"]))
        except InvalidToken:
            raise SecurityError(
                f"the encrypted fields of stored event {document.get('event_id')!r} "
                f"({document.get('event_type')}) do not decrypt with the key of alias {alias!r}: the key "
                "is wrong or the ciphertext was altered",
                details={"alias": alias, "event_id": document.get("event_id")},
            ) from None
        if type(fields) is not dict:
            raise EventLoadError(
                f"the decrypted fields of stored event {document.get('event_id')!r} are malformed"
            )
        document.update(fields)


def _checked_subject(subject: Any) -> str:
    if isinstance(subject, bool) or not isinstance(subject, (str, int)) or str(subject) == "":
        raise ValidationError(f"a data subject is a non-empty string (or integer) id, got {subject!r}")
    return str(subject)


def _subject_of(event: DomainEvent, plan: EncryptionPlan) -> str:
    value = getattr(event, plan.subject or "", None)
    if value is None or str(value) == "":
        raise ValidationError(
            f"{type(event).__name__}.{plan.subject} is empty: it names the data subject whose key "
            "encrypts the event, so it must be set"
        )
    return str(value)
