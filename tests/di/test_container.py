"""The container builds an application's objects, injecting constructor dependencies by type."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

import pytest

from lexigram.contracts.exceptions import LexigramError
from lexigram.di import CircularDependencyError, Container, RegistrationError, ResolutionError

if TYPE_CHECKING:
    from decimal import Decimal  # only for type checkers: unresolvable at runtime


class Clock:
    def __init__(self) -> None:
        self.now = 42


class Greeter(Protocol):
    def greet(self) -> str: ...


class EnglishGreeter:
    def greet(self) -> str:
        return "hello"


class Mailer:
    """Its annotations are strings (``from __future__ import annotations``)."""

    def __init__(self, clock: Clock, greeter: Greeter, retries: int = 3) -> None:
        self.clock = clock
        self.greeter = greeter
        self.retries = retries


class NeedsMissing:
    def __init__(self, clock: Clock, ledger: Ledger) -> None:
        self.ledger = ledger


class Ledger:
    pass


async def test_a_registered_instance_is_returned_as_is() -> None:
    container = Container()
    clock = Clock()
    container.register_instance(Clock, clock)

    assert await container.resolve(Clock) is clock
    assert container.has(Clock)
    assert not container.has(Ledger)


async def test_a_class_is_built_once_with_its_dependencies_injected_by_annotation() -> None:
    container = Container()
    container.register_class(Clock)
    container.register_class(Greeter, EnglishGreeter)
    container.register_class(Mailer)

    mailer = await container.resolve(Mailer)

    assert mailer is await container.resolve(Mailer)
    assert mailer.clock is await container.resolve(Clock)
    assert mailer.greeter.greet() == "hello"
    assert mailer.retries == 3  # int is not registered: the default stays


async def test_a_missing_dependency_names_the_class_and_the_parameter() -> None:
    container = Container()
    container.register_class(Clock)
    container.register_class(NeedsMissing)

    with pytest.raises(ResolutionError) as caught:
        await container.resolve(NeedsMissing)

    assert caught.value.owner == "NeedsMissing"
    assert caught.value.parameter == "ledger"
    assert "NeedsMissing" in str(caught.value)
    assert "'ledger'" in str(caught.value)
    assert isinstance(caught.value, LexigramError)


async def test_resolving_an_unregistered_token_fails_clearly() -> None:
    with pytest.raises(ResolutionError, match="Ledger is not registered"):
        await Container().resolve(Ledger)


async def test_a_parameter_without_annotation_or_default_cannot_be_injected() -> None:
    class Untyped:
        def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]
            self.thing = thing

    container = Container()
    container.register_class(Untyped)

    with pytest.raises(ResolutionError, match="'thing' has no type annotation"):
        await container.resolve(Untyped)


async def test_optional_dependencies_get_none_and_unresolvable_annotations_keep_defaults() -> None:
    class Reporter:
        def __init__(self, ledger: Ledger | None, rate: Decimal | None = None, clock: Clock | None = None):
            self.ledger, self.rate, self.clock = ledger, rate, clock

    container = Container()
    container.register_class(Clock)
    container.register_class(Reporter)

    reporter = await container.resolve(Reporter)

    assert reporter.ledger is None
    assert reporter.rate is None  # "Decimal" cannot be evaluated at runtime: default kept
    assert isinstance(reporter.clock, Clock)


async def test_an_annotation_that_cannot_be_evaluated_is_named_in_the_error() -> None:
    class Pricing:
        def __init__(self, rate: Decimal) -> None:
            self.rate = rate

    container = Container()
    container.register_class(Pricing)

    with pytest.raises(ResolutionError, match=r"'rate' is annotated 'Decimal', which module .* cannot"):
        await container.resolve(Pricing)


async def test_factories_may_be_sync_or_async_and_get_their_parameters_injected() -> None:
    container = Container()
    container.register_class(Clock)

    def make_greeter(clock: Clock) -> EnglishGreeter:
        assert clock.now == 42
        return EnglishGreeter()

    async def make_ledger() -> Ledger:
        await asyncio.sleep(0)
        return Ledger()

    container.register_factory(Greeter, make_greeter)
    container.register_factory(Ledger, make_ledger)

    assert isinstance(await container.resolve(Greeter), EnglishGreeter)
    assert await container.resolve(Ledger) is await container.resolve(Ledger)


async def test_a_transient_factory_runs_on_every_resolve() -> None:
    container = Container()
    container.register_factory(Ledger, Ledger, singleton=False)

    assert await container.resolve(Ledger) is not await container.resolve(Ledger)


async def test_concurrent_resolves_of_one_singleton_build_it_once() -> None:
    builds = 0

    async def slow_ledger() -> Ledger:
        nonlocal builds
        builds += 1
        for _ in range(5):
            await asyncio.sleep(0)
        return Ledger()

    container = Container()
    container.register_factory(Ledger, slow_ledger)

    ledgers = await asyncio.gather(*(container.resolve(Ledger) for _ in range(10)))

    assert builds == 1
    assert all(ledger is ledgers[0] for ledger in ledgers)


class Chicken:
    def __init__(self, egg: Egg) -> None:
        self.egg = egg


class Egg:
    def __init__(self, chicken: Chicken) -> None:
        self.chicken = chicken


async def test_a_dependency_cycle_is_reported_with_its_path() -> None:
    container = Container()
    container.register_class(Chicken)
    container.register_class(Egg)

    with pytest.raises(CircularDependencyError) as caught:
        await container.resolve(Chicken)

    assert caught.value.cycle == (Chicken, Egg, Chicken)
    assert "Chicken -> Egg -> Chicken" in str(caught.value)


async def test_a_cycle_across_concurrent_resolves_fails_instead_of_hanging() -> None:
    container = Container()

    # each factory yields first, so both tasks hold their own singleton before needing the other's
    async def make_chicken(container: Container) -> Chicken:
        await asyncio.sleep(0)
        return Chicken(await container.resolve(Egg))

    async def make_egg(container: Container) -> Egg:
        await asyncio.sleep(0)
        return Egg(await container.resolve(Chicken))

    container.register_factory(Chicken, make_chicken)
    container.register_factory(Egg, make_egg)

    results = await asyncio.wait_for(
        asyncio.gather(container.resolve(Chicken), container.resolve(Egg), return_exceptions=True),
        timeout=10,
    )

    assert all(isinstance(result, CircularDependencyError) for result in results)


async def test_registering_a_token_twice_needs_replace() -> None:
    container = Container()
    container.register_class(Greeter, EnglishGreeter)
    container.register_class(Greeter, EnglishGreeter)  # the same binding again: nothing happens

    with pytest.raises(RegistrationError, match="already registered"):
        container.register_instance(Greeter, EnglishGreeter())

    replacement = EnglishGreeter()
    container.register_instance(Greeter, replacement, replace=True)
    assert await container.resolve(Greeter) is replacement


async def test_a_failing_constructor_keeps_its_exception_and_says_what_was_built() -> None:
    class Broken:
        def __init__(self) -> None:
            raise ValueError("no database")

    container = Container()
    container.register_class(Broken)

    with pytest.raises(ValueError, match="no database") as caught:
        await container.resolve(Broken)

    assert any("Broken" in note for note in caught.value.__notes__)


async def test_the_container_provides_itself_and_rejects_bad_registrations() -> None:
    container = Container()

    assert await container.resolve(Container) is container
    assert not container.has([1, 2])  # an unhashable "token" is simply not registered
    with pytest.raises(TypeError):
        container.register_class(Greeter, "EnglishGreeter")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        container.register_factory(Ledger, "make")  # type: ignore[arg-type]
