"""The machinery behind every message class: declared fields, validation, immutability, JSON.

A message class declares its payload as annotations::

    class OrderShipped(DomainEvent):
        order_id: str
        tracking_number: str | None = None

``MessageMeta`` collects those fields when the class is defined. On first use it generates, for that
class alone, an ``__init__`` that checks each value against its annotation, plus ``to_dict`` and a
loader for stored data. Instances are immutable: assigning any attribute raises
``dataclasses.FrozenInstanceError``. Decorating a message class with ``@dataclass`` (frozen or not)
changes nothing: the generated methods stay in place.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import typing
import weakref
from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar

from typing_extensions import dataclass_transform

from lexigram.contracts.exceptions import InvalidMessageError
from lexigram.contracts.messages.types import TypeRule, analyze, describe, invalid_field, to_jsonable

__all__ = ["MISSING", "FieldSpec", "MessageMeta", "MessageModel", "message_fields", "payload_fields"]

T = TypeVar("T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Marks a field without a default."""


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One declared field of a message class."""

    name: str
    annotation: Any
    owner: type
    default: Any = MISSING
    default_factory: Callable[[], Any] | None = None
    base: bool = False

    @property
    def required(self) -> bool:
        """True when the field has neither a default nor a default factory."""
        return self.default is MISSING and self.default_factory is None


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _collect_fields(
    bases: tuple[type, ...], namespace: dict[str, Any]
) -> tuple[dict[str, FieldSpec], list[tuple[str, Any, Any]]]:
    fields: dict[str, FieldSpec] = {}
    for base in reversed(bases):
        for klass in reversed(base.__mro__):
            inherited = klass.__dict__.get("__message_fields__")
            if inherited:
                fields.update(inherited)
    own: list[tuple[str, Any, Any]] = []
    for name, annotation in namespace.get("__annotations__", {}).items():
        if _is_classvar(annotation) or name.startswith("__"):
            continue
        own.append((name, annotation, namespace.get(name, MISSING)))
    return fields, own


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, dataclasses.Field),
)
class MessageMeta(type):
    """Metaclass of message classes: records declared fields and installs generated methods."""

    __message_fields__: dict[str, FieldSpec]
    __payload_fields__: tuple[str, ...]
    __free_form__: bool

    def __new__(
        mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> MessageMeta:
        holder: list[MessageMeta] = []
        fields, own = _collect_fields(bases, namespace)
        is_base = bool(namespace.pop("__lexigram_base__", False))
        own_specs: list[tuple[str, Any, Any, Callable[[], Any] | None]] = []
        for field_name, annotation, raw_default in own:
            default, factory = raw_default, None
            if isinstance(raw_default, dataclasses.Field):
                default = raw_default.default
                factory = (
                    None
                    if raw_default.default_factory is dataclasses.MISSING
                    else raw_default.default_factory
                )
                if default is dataclasses.MISSING:
                    default = MISSING
                namespace.pop(field_name, None)
            elif isinstance(raw_default, (list, dict, set)):
                factory, default = _copier(raw_default), MISSING
            own_specs.append((field_name, annotation, default, factory))
            if field_name not in namespace:
                # An inherited attribute of that name (a property, say) must not hide the field.
                for base in bases:
                    if hasattr(base, field_name) and field_name not in fields:
                        namespace[field_name] = None
                        break
        _install_stubs(namespace, holder)
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        holder.append(cls)
        for field_name, annotation, default, factory in own_specs:
            fields.pop(field_name, None)
            fields[field_name] = FieldSpec(field_name, annotation, cls, default, factory, is_base)
        ordered = {n: s for n, s in fields.items() if s.base}
        ordered.update({n: s for n, s in fields.items() if not s.base})
        cls.__message_fields__ = ordered
        cls.__payload_fields__ = tuple(n for n, s in ordered.items() if not s.base)
        cls.__free_form__ = not cls.__payload_fields__
        type.__setattr__(cls, "__match_args__", cls.__payload_fields__)
        return cls


def _copier(value: Any) -> Callable[[], Any]:
    kind = type(value)

    def copy_default() -> Any:
        return kind(value)

    return copy_default


# --- generated methods ----------------------------------------------------------------------------

_compile_lock = threading.RLock()
_init_stubs: weakref.WeakSet[Callable[..., None]] = weakref.WeakSet()


def _install_stubs(namespace: dict[str, Any], holder: list[MessageMeta]) -> None:
    """Put placeholders in the class namespace that compile the class on first use."""

    if "__init__" not in namespace:

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            compiled = _compile(holder[0])
            compiled.init(self, *args, **kwargs)

        _init_stubs.add(__init__)
        namespace["__init__"] = __init__
    if "__eq__" not in namespace:
        namespace["__eq__"] = _message_eq
    if "__hash__" not in namespace:
        namespace["__hash__"] = _message_hash
    if "__repr__" not in namespace:
        namespace["__repr__"] = _message_repr


def _message_eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return bool(self.__dict__ == other.__dict__)


def _message_hash(self: Any) -> int:
    identity = type(self).__dict__.get("__identity_field__") or getattr(self, "__identity_field__", None)
    if identity:
        return hash((type(self), self.__dict__.get(identity)))
    return hash((type(self), tuple(_hashable(v) for v in self.__dict__.values())))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _message_repr(self: Any) -> str:
    cls = type(self)
    shown = list(cls.__payload_fields__)
    shown += [n for n in self.__dict__ if n not in cls.__message_fields__]
    identity = getattr(cls, "__identity_field__", None)
    if identity:
        shown.append(identity)
    body = ", ".join(f"{n}={self.__dict__.get(n)!r}" for n in shown)
    return f"{cls.__qualname__}({body})"


class _Compiled:
    """The generated functions of one message class."""

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


def _resolve_annotation(spec: FieldSpec) -> Any:
    annotation = spec.annotation
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(spec.owner.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    try:
        return eval(annotation, namespace, dict(vars(spec.owner)))
    except Exception:
        return Any


def _compile(cls: MessageMeta) -> _Compiled:
    """Generate ``__init__``, ``to_dict`` and the stored-data loader for ``cls`` (once)."""
    compiled = cls.__dict__.get("__compiled__")
    if compiled is not None:
        return typing.cast(_Compiled, compiled)
    with _compile_lock:
        compiled = cls.__dict__.get("__compiled__")
        if compiled is not None:
            return typing.cast(_Compiled, compiled)
        specs = cls.__message_fields__
        rules = {name: analyze(_resolve_annotation(spec)) for name, spec in specs.items()}
        compiled = _Compiled(
            _generate_init(cls, specs, rules),
            _generate_dump(cls, specs, rules),
            _generate_load(cls, specs, rules),
            rules,
        )
        type.__setattr__(cls, "__compiled__", compiled)
        if cls.__dict__.get("__init__") in _init_stubs:
            type.__setattr__(cls, "__init__", compiled.init)
        return compiled


def _default_value_for(cls: MessageMeta, spec: FieldSpec) -> Any:
    if spec.name == "event_type" and spec.base:
        return cls.__name__
    return spec.default


def _generate_init(
    cls: MessageMeta, specs: dict[str, FieldSpec], rules: dict[str, TypeRule]
) -> Callable[..., None]:
    owner = cls.__qualname__
    env: dict[str, Any] = {"_M": MISSING, "_type": type, "_invalid": _invalid_positional}
    required = [n for n, s in specs.items() if s.required]
    optional = [n for n, s in specs.items() if not s.required]
    # Every field follows *_args, so all are keyword-only; positional calls, missing fields and
    # unknown keywords all get an InvalidMessageError that names the class and the field.
    params = ["self", "*_args", *(f"{n}=_M" for n in (*required, *optional)), "**_extra"]
    env["_required"] = _required_field
    lines = [f"def __init__({', '.join(params)}):"]
    lines.append(f"    if _args: raise _invalid({owner!r}, _args)")
    lines.append("    _d = self.__dict__")
    for index, (name, spec) in enumerate(specs.items()):
        rule = rules[name]
        check = _check_lines(name, rule, index, owner, env)
        lines.append(f"    if {name} is _M:")
        if spec.required:
            lines.append(f"        raise _required({owner!r}, {name!r}, {tuple(required)!r})")
        elif spec.default_factory is not None:
            env[f"_f{index}"] = spec.default_factory
            lines.append(f"        {name} = _f{index}()")
        else:
            env[f"_v{index}"] = _default_value_for(cls, spec)
            lines.append(f"        {name} = _v{index}")
        if check:
            lines.append("    else:")
            lines.extend(f"        {line}" for line in check)
        lines.append(f"    _d[{name!r}] = {name}")
    if cls.__free_form__:
        env["_set_extra"] = _set_extra
        lines.append(f"    if _extra: _set_extra({owner!r}, _d, _extra)")
    else:
        env["_unknown"] = _unknown_fields
        lines.append(f"    if _extra: raise _unknown({owner!r}, _extra, {tuple(specs)!r})")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    source = "\n".join(lines)
    exec(compile(source, f"<lexigram message {owner}>", "exec"), env)
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{owner}.__init__"
    return init


def _invalid_positional(owner: str, args: tuple[Any, ...]) -> InvalidMessageError:
    return InvalidMessageError(
        f"{owner}() takes keyword arguments only; got {len(args)} positional argument(s) "
        f"({describe(args[0])}). Pass each field by name, e.g. {owner}(field=value)."
    )


def _required_field(owner: str, name: str, required: tuple[str, ...]) -> InvalidMessageError:
    return InvalidMessageError(
        f"{owner}: missing required field '{name}' (required fields: {', '.join(required)})",
        details={"message_type": owner, "field": name},
    )


def _unknown_fields(owner: str, extra: dict[str, Any], known: tuple[str, ...]) -> InvalidMessageError:
    names = ", ".join(repr(k) for k in extra)
    return InvalidMessageError(
        f"{owner}: unknown field(s) {names}; the fields are: {', '.join(known)}",
        details={"message_type": owner, "fields": list(extra)},
    )


def _set_extra(owner: str, target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if key.startswith("_"):
            raise InvalidMessageError(f"{owner}: payload key '{key}' must not start with an underscore")
        target[key] = value


def _check_lines(name: str, rule: TypeRule, index: int, owner: str, env: dict[str, Any]) -> list[str]:
    if rule.check is None:
        return []
    env[f"_c{index}"] = _checker(owner, name, rule)
    conditions = []
    if rule.nullable:
        conditions.append(f"{name} is not None")
    if len(rule.fast) == 1:
        env[f"_t{index}"] = rule.fast[0]
        conditions.append(f"_type({name}) is not _t{index}")
    elif rule.fast:
        env[f"_t{index}"] = frozenset(rule.fast)
        conditions.append(f"_type({name}) not in _t{index}")
    condition = " and ".join(conditions) or "True"
    return [f"if {condition}: {name} = _c{index}({name})"]


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
    env: dict[str, Any] = {"_json": to_jsonable}
    items = []
    for index, name in enumerate(specs):
        rule = rules[name]
        if rule.checked and rule.dump is None:
            items.append(f"{name!r}: _d[{name!r}]")
            continue
        env[f"_j{index}"] = rule.dump if (rule.checked and rule.dump is not None) else to_jsonable
        if rule.nullable or not rule.checked:
            items.append(f"{name!r}: (None if (_x := _d[{name!r}]) is None else _j{index}(_x))")
        else:
            items.append(f"{name!r}: _j{index}(_d[{name!r}])")
    lines = ["def to_dict(self):", "    _d = self.__dict__", "    _r = {" + ", ".join(items) + "}"]
    if cls.__free_form__:
        env["_known"] = frozenset(specs)
        lines.append("    if len(_d) > len(_known):")
        lines.append("        for _k, _v in _d.items():")
        lines.append("            if _k not in _known: _r[_k] = _json(_v)")
    lines.append("    return _r")
    exec(compile("\n".join(lines), f"<lexigram to_dict {cls.__qualname__}>", "exec"), env)
    dump: Callable[[Any], dict[str, Any]] = env["to_dict"]
    return dump


def _generate_load(
    cls: MessageMeta, specs: dict[str, FieldSpec], rules: dict[str, TypeRule]
) -> Callable[[dict[str, Any]], Any]:
    owner = cls.__qualname__
    env: dict[str, Any] = {"_M": MISSING, "_new": object.__new__, "_cls": cls, "_missing": _missing_field}
    lines = ["def load(data):", "    self = _new(_cls)", "    _d = self.__dict__", "    _get = data.get"]
    for index, (name, spec) in enumerate(specs.items()):
        rule = rules[name]
        lines.append(f"    _x = _get({name!r}, _M)")
        lines.append("    if _x is _M:")
        if spec.required:
            lines.append(f"        raise _missing({owner!r}, {name!r})")
        elif spec.default_factory is not None:
            env[f"_f{index}"] = spec.default_factory
            lines.append(f"        _x = _f{index}()")
        else:
            env[f"_v{index}"] = _default_value_for(cls, spec)
            lines.append(f"        _x = _v{index}")
        if rule.load is not None:
            env[f"_l{index}"] = rule.load
            lines.append(f"    elif _x is not None: _x = _l{index}(_x)")
        lines.append(f"    _d[{name!r}] = _x")
    if cls.__free_form__:
        env["_known"] = frozenset(specs)
        lines.append("    if len(data) > len(_known):")
        lines.append("        for _k, _v in data.items():")
        lines.append("            if _k not in _known and not _k.startswith('_'): _d[_k] = _v")
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    lines.append("    return self")
    exec(compile("\n".join(lines), f"<lexigram loader {owner}>", "exec"), env)
    load: Callable[[dict[str, Any]], Any] = env["load"]
    return load


def _missing_field(owner: str, name: str) -> InvalidMessageError:
    return InvalidMessageError(
        f"{owner}: stored data has no value for the required field '{name}'",
        details={"message_type": owner, "field": name},
    )


# --- the base class -------------------------------------------------------------------------------


class MessageModel(metaclass=MessageMeta):
    """Base of every message class: immutable, validated, convertible to and from JSON-safe dicts."""

    __message_fields__: ClassVar[dict[str, FieldSpec]]
    __payload_fields__: ClassVar[tuple[str, ...]]
    __free_form__: ClassVar[bool]
    __identity_field__: ClassVar[str | None] = None

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(self).__qualname__} is immutable: cannot assign to '{name}'; build a new message instead"
        )

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(
            f"{type(self).__qualname__} is immutable: cannot delete '{name}'"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict: base fields and payload fields as top-level keys."""
        return _compile(type(self)).dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build an instance from ``to_dict()`` output, converting values back by annotation.

        Keys that are not fields of the class are ignored, unless the class declares no payload
        fields, in which case they become its payload.
        """
        if not isinstance(data, dict):
            raise InvalidMessageError(
                f"{cls.__qualname__}.from_dict() expects a dict, got {type(data).__name__}"
            )
        compiled = _compile(cls)
        arguments: dict[str, Any] = {}
        for name, value in data.items():
            rule = compiled.rules.get(name)
            if rule is None:
                if cls.__free_form__ and not name.startswith("_"):
                    arguments[name] = value
                continue
            if value is not None and rule.load is not None:
                try:
                    value = rule.load(value)
                except (TypeError, ValueError, ArithmeticError) as exc:
                    raise invalid_field(cls.__qualname__, name, rule.expected, value) from exc
            arguments[name] = value
        return cls(**arguments)

    @classmethod
    def _from_stored(cls, data: dict[str, Any]) -> Self:
        """Rebuild an instance from trusted stored data without re-validating it (fast path)."""
        loaded: Self = _compile(cls).load(data)
        return loaded

    def _replace(self, **changes: Any) -> Self:
        """Return a copy with some fields replaced, without re-validation (framework use)."""
        copy: Self = object.__new__(type(self))
        state = copy.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return copy

    def _validated_replace(self, **changes: Any) -> Self:
        """Return a copy with some fields replaced, checking the new values."""
        compiled = _compile(type(self))
        for name, value in changes.items():
            rule = compiled.rules.get(name)
            if rule is None:
                if not type(self).__free_form__:
                    raise InvalidMessageError(f"{type(self).__qualname__} has no field '{name}'")
                continue
            needs_check = rule.check is not None and not (value is None and rule.nullable)
            if needs_check and rule.check is not None and type(value) not in rule.fast:
                try:
                    changes[name] = rule.check(value)
                except TypeError:
                    raise invalid_field(type(self).__qualname__, name, rule.expected, value) from None
        return self._replace(**changes)


def message_fields(cls: type) -> tuple[FieldSpec, ...]:
    """Return the declared fields of a message class, base fields first."""
    fields: dict[str, FieldSpec] | None = getattr(cls, "__message_fields__", None)
    if fields is None:
        raise TypeError(f"{cls!r} is not a message class")
    return tuple(fields.values())


def payload_fields(cls: type) -> tuple[str, ...]:
    """Return the names of the payload fields a message class declares, in declaration order."""
    names: tuple[str, ...] | None = getattr(cls, "__payload_fields__", None)
    if names is None:
        raise TypeError(f"{cls!r} is not a message class")
    return names
