"""``Message`` and its metadata: the base of commands and queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from lexigram.contracts.messages.ids import new_uuid, utc_now
from lexigram.contracts.messages.model import MessageModel

__all__ = ["Command", "Message", "MessageMetadata", "Query"]

TResult = TypeVar("TResult")

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class MessageMetadata:
    """Tracking information carried by a command or query: correlation, causation, user, tenant."""

    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    aggregate_id: UUID | str | None = None
    expected_version: int | None = None
    custom: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __hash__(self) -> int:
        return hash(
            (
                self.correlation_id,
                self.causation_id,
                self.user_id,
                self.tenant_id,
                self.aggregate_id,
                self.expected_version,
            )
        )

    def with_correlation(self, correlation_id: UUID) -> MessageMetadata:
        """Return new metadata with this correlation id."""
        return replace(self, correlation_id=correlation_id)

    def with_causation(self, causation_id: UUID) -> MessageMetadata:
        """Return new metadata with this causation id."""
        return replace(self, causation_id=causation_id)

    def with_user(self, user_id: str) -> MessageMetadata:
        """Return new metadata with this user id."""
        return replace(self, user_id=user_id)

    def with_tenant(self, tenant_id: str) -> MessageMetadata:
        """Return new metadata with this tenant id."""
        return replace(self, tenant_id=tenant_id)

    def with_custom(self, key: str, value: Any) -> MessageMetadata:
        """Return new metadata with one more custom entry."""
        return replace(self, custom=MappingProxyType({**self.custom, key: value}))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict of the metadata."""
        from lexigram.contracts.messages.jsonable import to_jsonable

        return {
            "correlation_id": to_jsonable(self.correlation_id),
            "causation_id": to_jsonable(self.causation_id),
            "user_id": self.user_id,
            "tenant_id": self.tenant_id,
            "aggregate_id": to_jsonable(self.aggregate_id),
            "expected_version": self.expected_version,
            "custom": to_jsonable(dict(self.custom)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageMetadata:
        """Rebuild metadata from ``to_dict()`` output."""

        def as_uuid(value: Any) -> UUID | None:
            return None if value is None else value if isinstance(value, UUID) else UUID(str(value))

        aggregate_id = data.get("aggregate_id")
        if isinstance(aggregate_id, str):
            try:
                if str(UUID(aggregate_id)) == aggregate_id:
                    aggregate_id = UUID(aggregate_id)
            except ValueError:
                pass
        return cls(
            correlation_id=as_uuid(data.get("correlation_id")),
            causation_id=as_uuid(data.get("causation_id")),
            user_id=data.get("user_id"),
            tenant_id=data.get("tenant_id"),
            aggregate_id=aggregate_id,
            expected_version=data.get("expected_version"),
            custom=MappingProxyType(dict(data.get("custom") or {})),
        )


EMPTY_METADATA = MessageMetadata()


class Message(MessageModel):
    """Base class of commands and queries: an ``id``, a ``timestamp`` and ``metadata``."""

    __lexigram_base__ = True
    __identity_field__: ClassVar[str | None] = "id"

    id: UUID = field(default_factory=new_uuid)
    timestamp: datetime = field(default_factory=utc_now)
    metadata: MessageMetadata = EMPTY_METADATA

    @property
    def message_type(self) -> str:
        """The class name of the message."""
        return type(self).__name__

    @property
    def correlation_id(self) -> UUID | None:
        """The correlation id from the metadata."""
        return self.metadata.correlation_id

    @property
    def causation_id(self) -> UUID | None:
        """The causation id from the metadata."""
        return self.metadata.causation_id

    def with_metadata(self, metadata: MessageMetadata) -> Self:
        """Return a copy with new metadata."""
        return self._validated_replace(metadata=metadata)

    def with_correlation_id(self, correlation_id: UUID) -> Self:
        """Return a copy whose metadata carries this correlation id."""
        return self._replace(metadata=self.metadata.with_correlation(correlation_id))

    def with_causation_id(self, causation_id: UUID) -> Self:
        """Return a copy whose metadata carries this causation id."""
        return self._replace(metadata=self.metadata.with_causation(causation_id))


class Command(Message):
    """An intent to change state, handled by exactly one handler.

    Declare the payload as annotations; plain subclasses and ``@dataclass`` subclasses both work::

        class SubmitOrder(Command):
            order_id: str
            items: list[dict]
    """

    __lexigram_base__ = True

    def for_aggregate(self, aggregate_id: UUID | str, version: int | None = None) -> Self:
        """Return a copy targeting one aggregate, optionally at an expected version."""
        return self._replace(
            metadata=replace(self.metadata, aggregate_id=aggregate_id, expected_version=version)
        )


class Query(Message, Generic[TResult]):
    """A request for data, handled by exactly one handler and returning a ``TResult``."""

    __lexigram_base__ = True
