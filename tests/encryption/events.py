"""The events the encryption tests store."""

from __future__ import annotations

from typing import Annotated, Any

from lexigram.contracts.domain import DomainEvent
from lexigram.events.decorators import encrypted_event
from lexigram.events.encryption import PII, EncryptedEventSerializer

ALIAS = "events/pii-key"


@encrypted_event(key_alias=ALIAS, fields=("email", "phone"))
class CustomerOnboarded(DomainEvent):
    customer_id: str
    email: str
    phone: str


@encrypted_event(key_alias=ALIAS, subject="customer_id")
class CustomerContacted(DomainEvent):
    customer_id: str
    email: str
    phone: str | None = None
    visits: int | None = None


class OrderPlaced(DomainEvent):
    order_id: str
    customer_id: str
    total: int


@encrypted_event(key_alias=ALIAS)
class NoteTaken(DomainEvent):
    author: str
    note: Annotated[str, PII]


def encrypted_serializer(keys: Any, **options: Any) -> EncryptedEventSerializer:
    """An ``EncryptedEventSerializer`` that reads these classes even if other tests reuse their names."""
    serializer = EncryptedEventSerializer(keys, **options)
    for cls in (CustomerOnboarded, CustomerContacted, OrderPlaced, NoteTaken):
        serializer.register_event_type(cls.__name__, cls)
    return serializer
