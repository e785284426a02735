"""The three handler decorators, bare and called, and the registry they record into."""

from __future__ import annotations

import pytest

from lexigram.events import (
    Command,
    DomainEvent,
    Query,
    clear_handler_registry,
    command_handler,
    event_handler,
    get_all_handlers,
    get_handler_info,
    query_handler,
)
from lexigram.events.decorators import handler_priority


class Register(Command):
    user_id: str


class Registered(DomainEvent):
    user_id: str


class Deactivated(DomainEvent):
    user_id: str


class FindUser(Query[str]):
    user_id: str


def test_bare_on_a_class_reads_the_type_from_handle() -> None:
    @command_handler
    class RegisterHandler:
        async def handle(self, command: Register) -> None: ...

    info = get_handler_info(RegisterHandler)
    assert isinstance(RegisterHandler, type)
    assert info is not None
    assert info.handler_type == "command"
    assert info.message_types == [Register]
    assert info.is_async
    assert info.name.endswith("RegisterHandler")


def test_bare_on_a_function_with_a_union_subscribes_to_each_member() -> None:
    @event_handler
    def audit(event: Registered | Deactivated) -> None: ...

    info = get_handler_info(audit)
    assert info is not None
    assert info.message_types == [Registered, Deactivated]
    assert not info.is_async
    assert info.metadata["priority"] == 0
    audit(Registered(user_id="u"))  # still callable as a plain function


def test_called_with_the_type_records_metadata() -> None:
    @query_handler(FindUser, cacheable=True, cache_ttl=60, owner="accounts")
    async def find_user(query: FindUser) -> str:
        return query.user_id

    @event_handler(Registered, priority=10, name="welcome")
    async def welcome(event: Registered) -> None: ...

    find_info, welcome_info = get_handler_info(find_user), get_handler_info(welcome)
    assert find_info is not None
    assert welcome_info is not None
    assert find_info.metadata == {"cacheable": True, "cache_ttl": 60, "owner": "accounts"}
    assert welcome_info.name == "welcome"
    assert handler_priority(welcome) == 10
    assert [i.handler for i in get_all_handlers("event")] == [welcome]
    assert len(get_all_handlers()) == 2


def test_priority_survives_clearing_the_registry() -> None:
    class Welcomer:
        async def handle(self, event: Registered) -> None: ...

    event_handler(Registered, priority=5)(Welcomer)
    clear_handler_registry()
    assert get_all_handlers() == []
    assert handler_priority(Welcomer()) == 5
    assert handler_priority(Welcomer().handle) == 5


def test_missing_or_unusable_annotations_fail_at_decoration_time() -> None:
    with pytest.raises(TypeError, match="no type annotation"):

        @command_handler
        async def untyped(command) -> None:  # type: ignore[no-untyped-def]
            ...

    with pytest.raises(TypeError, match="cannot resolve"):

        @command_handler
        async def unresolvable(command: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
            ...

    with pytest.raises(TypeError, match="priority must be an int"):
        event_handler(Registered, priority="high")  # type: ignore[call-overload]


def test_undecorated_objects_have_no_info() -> None:
    async def plain(event: Registered) -> None: ...

    assert get_handler_info(plain) is None
    assert handler_priority(plain) == 0
