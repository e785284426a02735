"""Modules declare what an application is made of; compiling them walks the imports once each."""

from __future__ import annotations

import pytest

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di import (
    DynamicModule,
    Module,
    ModuleDuplicateError,
    Provider,
    compile_modules,
    module,
)


class Clock:
    pass


class Ledger:
    pass


class Audit(Provider):
    pass


@module(providers=[Clock])
class ClockModule(Module):
    pass


@module(imports=[ClockModule], providers=[Ledger, Clock, Audit])
class LedgerModule(Module):
    pass


@module(imports=[ClockModule, LedgerModule], exports=[Ledger], is_global=True)
class RootModule(Module):
    pass


def test_imports_come_first_and_a_module_imported_twice_counts_once() -> None:
    graph = compile_modules([RootModule])

    assert graph.modules == (ClockModule, LedgerModule, RootModule)
    assert graph.classes == (Clock, Ledger)
    assert [type(p) for p in graph.lifecycle_providers] == [Audit]


def test_the_decorator_records_the_metadata_on_the_class_itself() -> None:
    metadata = RootModule.module_metadata()

    assert metadata is not None
    assert metadata.imports == (ClockModule, LedgerModule)
    assert metadata.exports == (Ledger,)
    assert metadata.is_global

    class Undecorated(RootModule):
        pass

    assert Undecorated.module_metadata() is None  # metadata is not inherited


def test_import_cycles_are_harmless() -> None:
    @module(providers=[Clock])
    class First(Module):
        pass

    @module(imports=[First], providers=[Ledger])
    class Second(Module):
        pass

    module(imports=[Second], providers=[Clock])(First)  # First now imports Second, which imports First

    graph = compile_modules([First])

    assert set(graph.modules) == {First, Second}
    assert set(graph.classes) == {Clock, Ledger}


def test_a_module_class_without_metadata_is_refused_with_a_hint() -> None:
    class Plain(Module):
        pass

    with pytest.raises(ConfigurationError, match=r"decorate it with @module"):
        compile_modules([Plain])


def test_bad_declarations_fail_when_the_module_is_defined() -> None:
    with pytest.raises(TypeError, match="subclass of Module"):
        module()(Clock)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="imports must be"):

        @module(imports=[Clock])  # type: ignore[list-item]
        class BadImports(Module):
            pass

    with pytest.raises(TypeError, match="providers must be"):

        @module(providers=["Clock"])
        class BadProviders(Module):
            pass


def test_unique_dynamic_modules_conflict_but_the_same_object_and_non_unique_ones_coexist() -> None:
    configured = DynamicModule(module=ClockModule, lifecycle=Audit, unique=True)
    other = DynamicModule(module=ClockModule, lifecycle=Audit, unique=True)
    feature_a = DynamicModule(module=ClockModule, providers=[Ledger])
    feature_b = DynamicModule(module=ClockModule, providers=[Clock])

    graph = compile_modules([configured, feature_a, configured, feature_b])
    assert graph.modules == (configured, feature_a, feature_b)
    assert len(graph.lifecycle_providers) == 1

    with pytest.raises(ModuleDuplicateError, match="configured twice"):
        compile_modules([configured, other])


def test_each_compilation_builds_fresh_lifecycle_providers() -> None:
    configured = DynamicModule(module=ClockModule, lifecycle=Audit, unique=True)

    first = compile_modules([configured]).lifecycle_providers[0]
    second = compile_modules([configured]).lifecycle_providers[0]

    assert first is not second


def test_contributions_are_collected_from_the_whole_graph_in_order_once_each() -> None:
    orders = DynamicModule(module=ClockModule, contributions={"handlers": [Clock, Ledger]})
    billing = DynamicModule(module=ClockModule, contributions={"handlers": [Ledger], "other": [Audit]})

    @module(imports=[orders, billing])
    class App(Module):
        pass

    graph = compile_modules([App])

    assert graph.contributions("handlers") == [Clock, Ledger]
    assert graph.contributions("other") == [Audit]
    assert graph.contributions("nothing") == []


def test_application_level_providers_join_the_graph() -> None:
    audit = Audit()

    graph = compile_modules([ClockModule], providers=[Ledger, audit])

    assert graph.classes == (Clock, Ledger)
    assert graph.lifecycle_providers == (audit,)
