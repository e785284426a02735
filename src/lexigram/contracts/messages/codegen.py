"""Code generation for message classes: ``__init__``, ``to_dict`` and the stored-data loader.

Each message class gets functions specialised to its fields, generated once on first use, so that
constructing, dumping and loading a message does no per-message reflection. Generated identifiers
start with ``__lx_``, so no field name can collide with them.
"""

from __future__ import annotations

import threading
import typing
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lexigram.contracts.exceptions import InvalidMessageError
from lexigram.contracts.messages.errors import (
    invalid_field,
    missing_stored_field,
    positional_arguments,
    required_field,
    unknown_fields,
)
from lexigram.contracts.messages.fields import MISSING, FieldSpec, resolve_annotation
from lexigram.contracts.messages.jsonable import to_jsonable
from lexigram.contracts.messages.rules import TypeRule, analyze

if TYPE_CHECKING:
    from lexigram.contracts.messages.model import MessageMeta

__all__ = ["CompiledMessage", "compile_message", "init_stubs"]

_compile_lock = threading.RLock()
init_stubs: weakref.WeakSet[Callable[..., None]] = weakref.WeakSet()
"""The placeholder ``__init__`` functions that compile their class on first use."""


class CompiledMessage:
    """The generated functions of one message class and the rules of its fields."""

    __slots__ = ("dump", "init", "load", "rules")

    def __init__(
        self,
        init: Callable[..., None],
        dump: Callable[[Any], dict[str, Any]],
        load: Callable[[dict[str, Any]], Any],
        rules: dict[str, TypeRule],
    ) -> None:
        self.init = init
        self.dump = dump
        self.load = load
        self.rules = rules


def compile_message(cls: MessageMeta) -> CompiledMessage:
    """Generate (once) and return the functions of ``cls``; replaces its placeholder ``__init__``."""
    compiled = cls.__dict__.get("__compiled__")
    if compiled is not None:
        return typing.cast(CompiledMessage, compiled)
    with _compile_lock:
        compiled = cls.__dict__.get("__compiled__")
        if compiled is not None:
            return typing.cast(CompiledMessage, compiled)
        specs = cls.__message_fields__
        rules = {name: analyze(resolve_annotation(spec)) for name, spec in specs.items()}
        compiled = CompiledMessage(
            _generate_init(cls, specs, rules),
            _generate_dump(cls, specs, rules),
            _generate_load(cls, specs, rules),
            rules,
        )
        type.__setattr__(cls, "__compiled__", compiled)
        if cls.__dict__.get("__init__") in init_stubs:
            type.__setattr__(cls, "__init__", compiled.init)
        return compiled


def _default_value(cls: MessageMeta, spec: FieldSpec) -> Any:
    if spec.name == "event_type" and spec.base:
        return cls.__name__
    return spec.default


def _default_lines(
    cls: MessageMeta, spec: FieldSpec, index: int, target: str, env: dict[str, Any]
) -> list[str]:
    """Lines (indented for an ``if ... is MISSING:`` block) giving ``target`` its default."""
    if spec.default_factory is not None:
        env[f"__lx_f{index}"] = spec.default_factory
        return [f"        {target} = __lx_f{index}()"]
    env[f"__lx_v{index}"] = _default_value(cls, spec)
    return [f"        {target} = __lx_v{index}"]


def _exec(source: str, filename: str, env: dict[str, Any], name: str) -> Callable[..., Any]:
    exec(compile(source, filename, "exec"), env)
    function: Callable[..., Any] = env[name]
    return function


def _generate_init(
    cls: MessageMeta, specs: dict[str, FieldSpec], rules: dict[str, TypeRule]
) -> Callable[..., None]:
    owner = cls.__qualname__
    env: dict[str, Any] = {
        "__lx_M": MISSING,
        "__lx_type": type,
        "__lx_positional": positional_arguments,
        "__lx_required": required_field,
    }
    required = tuple(n for n, s in specs.items() if s.required)
    optional = tuple(n for n, s in specs.items() if not s.required)
    # Every field follows *args, so all are keyword-only; positional calls, missing fields and
    # unknown keywords all get an InvalidMessageError that names the class and the field.
    fields = [f"{n}=__lx_M" for n in (*required, *optional)]
    params = ["__lx_self", "/", "*__lx_args", *fields, "**__lx_extra"]
    lines = [f"def __init__({', '.join(params)}):"]
    lines.append(f"    if __lx_args: raise __lx_positional({owner!r}, __lx_args)")
    lines.append("    __lx_d = __lx_self.__dict__")
    for index, (name, spec) in enumerate(specs.items()):
        check = _check_lines(name, rules[name], index, owner, env)
        lines.append(f"    if {name} is __lx_M:")
        if spec.required:
            lines.append(f"        raise __lx_required({owner!r}, {name!r}, {required!r})")
        else:
            lines.extend(_default_lines(cls, spec, index, name, env))
        if check:
            lines.append("    else:")
            lines.extend(f"        {line}" for line in check)
        lines.append(f"    __lx_d[{name!r}] = {name}")
    if cls.__free_form__:
        env["__lx_set_extra"] = _set_extra
        lines.append(f"    if __lx_extra: __lx_set_extra({owner!r}, __lx_d, __lx_extra)")
    else:
        env["__lx_unknown"] = unknown_fields
        payload = tuple(n for n, s in specs.items() if not s.base)
        base = tuple(n for n, s in specs.items() if s.base)
        lines.append(f"    if __lx_extra: raise __lx_unknown({owner!r}, __lx_extra, {payload!r}, {base!r})")
    if hasattr(cls, "__post_init__"):
        lines.append("    __lx_self.__post_init__()")
    init = _exec("\n".join(lines), f"<lexigram message {owner}>", env, "__init__")
    init.__qualname__ = f"{owner}.__init__"
    return init


def _set_extra(owner: str, target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if key.startswith("_"):
            raise InvalidMessageError(f"{owner}: payload key '{key}' must not start with an underscore")
        target[key] = value


def _check_lines(name: str, rule: TypeRule, index: int, owner: str, env: dict[str, Any]) -> list[str]:
    if rule.check is None:
        return []
    env[f"__lx_c{index}"] = _checker(owner, name, rule)
    conditions = []
    if rule.nullable:
        conditions.append(f"{name} is not None")
    if len(rule.fast) == 1:
        env[f"__lx_t{index}"] = rule.fast[0]
        conditions.append(f"__lx_type({name}) is not __lx_t{index}")
    elif rule.fast:
        env[f"__lx_t{index}"] = frozenset(rule.fast)
        conditions.append(f"__lx_type({name}) not in __lx_t{index}")
    condition = " and ".join(conditions) or "True"
    return [f"if {condition}: {name} = __lx_c{index}({name})"]


def _checker(owner: str, name: str, rule: TypeRule) -> Callable[[Any], Any]:
    check = rule.check
    assert check is not None
    expected = rule.expected + (" | None" if rule.nullable and "None" not in rule.expected else "")

    def checked(value: Any) -> Any:
        try:
            return check(value)
        except TypeError:
            raise invalid_field(owner, name, expected, value) from None

    return checked


def _generate_dump(
    cls: MessageMeta, specs: dict[str, FieldSpec], rules: dict[str, TypeRule]
) -> Callable[[Any], dict[str, Any]]:
    env: dict[str, Any] = {"__lx_json": to_jsonable, "__lx_str": str, "__lx_type": type}
    lazy = getattr(cls, "__lazy_fields__", {})
    items = []
    for index, name in enumerate(specs):
        rule = rules[name]
        if name in lazy and rule.dump is not None:
            # still the stored text (exactly what the dump produced), or the converted value
            env[f"__lx_j{index}"] = rule.dump
            value = (
                f"(__lx_x if __lx_type(__lx_x := __lx_d[{name!r}]) is __lx_str else __lx_j{index}(__lx_x))"
            )
            items.append(f"{name!r}: {value}")
            continue
        if rule.checked and rule.dump is None:
            items.append(f"{name!r}: __lx_d[{name!r}]")
            continue
        env[f"__lx_j{index}"] = rule.dump if (rule.checked and rule.dump is not None) else to_jsonable
        if rule.nullable or not rule.checked:
            value = f"(None if (__lx_x := __lx_d[{name!r}]) is None else __lx_j{index}(__lx_x))"
            items.append(f"{name!r}: {value}")
        else:
            items.append(f"{name!r}: __lx_j{index}(__lx_d[{name!r}])")
    lines = [
        "def to_dict(__lx_self):",
        "    __lx_d = __lx_self.__dict__",
        "    __lx_r = {" + ", ".join(items) + "}",
    ]
    if cls.__free_form__:
        env["__lx_known"] = frozenset(specs)
        lines.append("    if len(__lx_d) > len(__lx_known):")
        lines.append("        for __lx_k, __lx_v in __lx_d.items():")
        lines.append("            if __lx_k not in __lx_known: __lx_r[__lx_k] = __lx_json(__lx_v)")
    lines.append("    return __lx_r")
    return _exec("\n".join(lines), f"<lexigram to_dict {cls.__qualname__}>", env, "to_dict")


def _generate_load(
    cls: MessageMeta, specs: dict[str, FieldSpec], rules: dict[str, TypeRule]
) -> Callable[[dict[str, Any]], Any]:
    owner = cls.__qualname__
    env: dict[str, Any] = {
        "__lx_M": MISSING,
        "__lx_new": object.__new__,
        "__lx_cls": cls,
        "__lx_missing": missing_stored_field,
    }
    env["__lx_fields"] = frozenset(specs)
    lines = [
        "def load(__lx_data):",
        "    __lx_self = __lx_new(__lx_cls)",
        "    __lx_d = __lx_self.__dict__",
        # Fast path: the stored keys are exactly the fields (the usual case): one update, then
        # only the conversions the field types need.
        "    if __lx_data.keys() == __lx_fields:",
        "        __lx_d.update(__lx_data)",
    ]
    lazy = getattr(cls, "__lazy_fields__", {})
    for index, name in enumerate(specs):
        load = None if name in lazy else rules[name].load
        if load is not None:
            env[f"__lx_l{index}"] = load
            lines.append(f"        __lx_x = __lx_d[{name!r}]")
            lines.append(f"        if __lx_x is not None: __lx_d[{name!r}] = __lx_l{index}(__lx_x)")
    lines.append("        return __lx_self" if not hasattr(cls, "__post_init__") else "        pass")
    lines.append("    else:")
    slow: list[str] = ["__lx_get = __lx_data.get"]
    for index, (name, spec) in enumerate(specs.items()):
        rule = rules[name]
        slow.append(f"__lx_x = __lx_get({name!r}, __lx_M)")
        slow.append("if __lx_x is __lx_M:")
        if spec.required:
            slow.append(f"    raise __lx_missing({owner!r}, {name!r})")
        else:
            slow.extend(line[4:] for line in _default_lines(cls, spec, index, "__lx_x", env))
        if rule.load is not None and name not in lazy:
            env[f"__lx_l{index}"] = rule.load
            slow.append(f"elif __lx_x is not None: __lx_x = __lx_l{index}(__lx_x)")
        slow.append(f"__lx_d[{name!r}] = __lx_x")
    lines.extend(f"        {line}" for line in slow)
    if cls.__free_form__:
        lines.append("        if len(__lx_data) > len(__lx_fields):")
        lines.append("            for __lx_k, __lx_v in __lx_data.items():")
        lines.append("                if __lx_k not in __lx_fields and not __lx_k.startswith('_'):")
        lines.append("                    __lx_d[__lx_k] = __lx_v")
    if hasattr(cls, "__post_init__"):
        lines.append("    __lx_self.__post_init__()")
    lines.append("    return __lx_self")
    return _exec("\n".join(lines), f"<lexigram loader {owner}>", env, "load")


def checked_changes(cls: MessageMeta, changes: dict[str, Any]) -> dict[str, Any]:
    """Check (and coerce) replacement values for some fields of ``cls``."""
    compiled = compile_message(cls)
    for name, value in changes.items():
        rule = compiled.rules.get(name)
        if rule is None:
            if not cls.__free_form__:
                raise InvalidMessageError(f"{cls.__qualname__} has no field '{name}'")
            continue
        needs_check = rule.check is not None and not (value is None and rule.nullable)
        if needs_check and rule.check is not None and type(value) not in rule.fast:
            try:
                changes[name] = rule.check(value)
            except TypeError:
                raise invalid_field(cls.__qualname__, name, rule.expected, value) from None
    return changes
