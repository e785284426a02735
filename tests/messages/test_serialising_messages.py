"""to_dict / from_dict: JSON-safe dicts that rebuild equal messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.contracts.exceptions import InvalidMessageError
from lexigram.events import Command, MessageMetadata


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Address:
    street: str
    moved_in: date


class Everything(DomainEvent):
    text: str
    number: int
    ratio: float
    price: Decimal
    ref: UUID
    at: datetime
    on: date
    colour: Colour
    blob: bytes
    tags: list[str]
    refs: list[UUID]
    counts: dict[str, int]
    by_id: dict[UUID, Decimal]
    labels: set[str]
    pair: tuple[int, str]
    series: tuple[int, ...]
    address: Address
    maybe: UUID | None = None
    either: UUID | str | None = None


def _everything() -> Everything:
    return Everything(
        text="t",
        number=1,
        ratio=0.5,
        price=Decimal("19.99"),
        ref=uuid4(),
        at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        on=date(2024, 5, 1),
        colour=Colour.BLUE,
        blob=b"\x00\xff",
        tags=["a", "b"],
        refs=[uuid4()],
        counts={"x": 1},
        by_id={uuid4(): Decimal("1.10")},
        labels={"z", "a"},
        pair=(1, "one"),
        series=(1, 2, 3),
        address=Address("Main St", date(2020, 1, 1)),
        either="plain-text",
    )


def test_to_dict_is_json_safe_with_base_and_payload_fields_at_the_top() -> None:
    event = _everything()
    data = event.to_dict()
    encoded = json.loads(json.dumps(data))
    assert encoded["event_id"] == str(event.event_id)
    assert encoded["event_type"] == "Everything"
    assert encoded["price"] == "19.99"
    assert encoded["colour"] == "blue"
    assert encoded["at"] == "2024-05-01T10:00:00+00:00"
    assert encoded["on"] == "2024-05-01"
    assert encoded["labels"] == ["a", "z"]
    assert encoded["pair"] == [1, "one"]
    assert encoded["address"] == {"street": "Main St", "moved_in": "2020-01-01"}


def test_from_dict_of_to_dict_gives_an_equal_event() -> None:
    event = _everything()
    assert Everything.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_the_stored_data_loader_rebuilds_an_equal_event() -> None:
    event = _everything()
    assert Everything._from_stored(json.loads(json.dumps(event.to_dict()))) == event


def test_to_dict_does_not_share_mutable_state_with_the_event() -> None:
    event = _everything()
    data = event.to_dict()
    data["tags"].append("c")
    assert event.tags == ["a", "b"]


def test_unknown_keys_are_ignored_by_from_dict() -> None:
    event = _everything()
    data: dict[str, Any] = {**json.loads(json.dumps(event.to_dict())), "added_later": 1}
    assert Everything.from_dict(data) == event


def test_from_dict_rejects_bad_values_with_the_field_name() -> None:
    data = json.loads(json.dumps(_everything().to_dict()))
    data["ref"] = "not-a-uuid"
    with pytest.raises(InvalidMessageError, match="'ref'"):
        Everything.from_dict(data)
    with pytest.raises(InvalidMessageError, match="expects a dict"):
        Everything.from_dict([1, 2])  # type: ignore[arg-type]


def test_the_stored_data_loader_reports_a_missing_required_field() -> None:
    data = json.loads(json.dumps(_everything().to_dict()))
    del data["text"]
    with pytest.raises(InvalidMessageError, match="required field 'text'"):
        Everything._from_stored(data)


def test_id_fields_that_accept_uuid_or_text_round_trip() -> None:
    class Correlated(DomainEvent):
        subject: str

    as_uuid = Correlated(subject="s", correlation_id=uuid4(), aggregate_id="order-7")
    restored = Correlated.from_dict(json.loads(json.dumps(as_uuid.to_dict())))
    assert restored == as_uuid
    assert isinstance(restored.correlation_id, UUID)
    assert restored.aggregate_id == "order-7"
    # a canonical UUID given as text is normalised to a UUID on construction, so it round-trips too
    text = str(uuid4())
    assert isinstance(Correlated(subject="s", causation_id=text).causation_id, UUID)


def test_commands_carry_metadata_that_round_trips() -> None:
    class Ship(Command):
        order_id: str

    correlation = uuid4()
    command = (
        Ship(order_id="o-1")
        .with_correlation_id(correlation)
        .with_metadata(MessageMetadata(correlation_id=correlation, user_id="ada", custom={"channel": "web"}))
    )
    assert command.correlation_id == correlation
    assert command.metadata.user_id == "ada"
    restored = Ship.from_dict(json.loads(json.dumps(command.to_dict())))
    assert restored == command
    targeted = command.for_aggregate("order-1", version=3)
    assert (targeted.metadata.aggregate_id, targeted.metadata.expected_version) == ("order-1", 3)
    assert targeted.id == command.id
    assert command.metadata.aggregate_id is None


def test_metadata_helpers_return_new_metadata() -> None:
    base = MessageMetadata()
    changed = base.with_user("u").with_tenant("t").with_custom("k", 1).with_causation(uuid4())
    assert base.user_id is None
    assert changed.user_id == "u"
    assert changed.tenant_id == "t"
    assert dict(changed.custom) == {"k": 1}
    assert changed.causation_id is not None
    assert MessageMetadata.from_dict(changed.to_dict()) == changed


def test_an_event_loaded_from_storage_equals_the_original_before_and_after_its_ids_are_read() -> None:
    import copy
    import pickle
    from datetime import datetime as datetime_type

    original = _everything()
    stored = json.loads(json.dumps(original.to_dict()))
    loaded = Everything._from_stored(stored)
    assert loaded == original
    assert hash(loaded) == hash(original)
    assert loaded.to_dict() == original.to_dict()
    again = Everything._from_stored(json.loads(json.dumps(original.to_dict())))
    assert isinstance(again.event_id, UUID)
    assert isinstance(again.occurred_at, datetime_type)
    assert again.event_id == original.event_id
    assert again.occurred_at == original.occurred_at
    assert again.to_dict() == original.to_dict()
    for copied in (copy.deepcopy(loaded), pickle.loads(pickle.dumps(loaded)), loaded._replace(text="t")):
        assert copied == original
    with pytest.raises(AttributeError):
        loaded.event_id = uuid4()  # type: ignore[misc]
    assert repr(loaded).endswith(f"event_id=UUID('{original.event_id}'))")
