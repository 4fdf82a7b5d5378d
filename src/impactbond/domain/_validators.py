"""Typed validators and checking converters of the domain types.

Drop-in replacements for the :mod:`attrs.validators` the domain classes use
(``instance_of``, ``optional``, ``and_``, ``min_len``, ``ge``, ``gt``, ``in_``,
``deep_iterable``) that raise the library's typed errors instead of attrs'
bare ``TypeError``/``ValueError``, each naming its field, and converters that
check instead of coercing (``tuple_of``, ``fraction``, ``decimal``, ``enum``).

The error class follows the class being built: a term of a contract raises
:class:`~impactbond.errors.InvalidContract`, a participant
:class:`~impactbond.errors.InvalidParticipant`, a spell
:class:`~impactbond.errors.InvalidSpell`; a value of the wrong type raises the
matching ``...TypeError`` subclass (also a built-in ``TypeError``).

Two rules hold everywhere: a ``datetime`` is not a ``date`` (a contract's days
have no time of day), and ``True`` is not an ``int``.

>>> import attrs
>>> from datetime import datetime
>>> @attrs.frozen
... class Term:
...     starts: date = attrs.field(validator=instance_of(date))
>>> Term(datetime(2024, 1, 1, 12))
Traceback (most recent call last):
...
impactbond.errors.ContractTypeError: starts must be a date, not a datetime ... [field=starts, ...]
"""

from __future__ import annotations

import enum as _enum
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

import attrs

from impactbond.errors import (
    ContractTypeError,
    ImpactBondError,
    InvalidContract,
    InvalidParticipant,
    InvalidSpell,
    ParticipantTypeError,
    SpellTypeError,
)

__all__ = [
    "and_",
    "decimal",
    "deep_iterable",
    "enum",
    "fraction",
    "ge",
    "gt",
    "in_",
    "instance_of",
    "min_len",
    "optional",
    "optional_decimal",
    "optional_enum",
    "optional_fraction",
    "tuple_of",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
E = TypeVar("E", bound=_enum.Enum)

# The modules whose classes raise errors about participants and spells.
_ERRORS: dict[str, tuple[type[ImpactBondError], type[ImpactBondError]]] = {
    "impactbond.domain.participant": (InvalidParticipant, ParticipantTypeError),
    "impactbond.domain.trajectory": (InvalidSpell, SpellTypeError),
}
_CONTRACT_ERRORS = (InvalidContract, ContractTypeError)


def _errors(inst: Any) -> tuple[type[ImpactBondError], type[ImpactBondError]]:
    return _ERRORS.get(type(inst).__module__, _CONTRACT_ERRORS)


def _clause(inst: Any) -> str | None:
    clause = getattr(inst, "clause", None)
    return clause if isinstance(clause, str) and clause else None


def _name(t: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false", date: "a date"}.get(
        t, t.__name__
    )


def _refuse(inst: Any, field: str, message: str, rule: str, *, wrong_type: bool) -> None:
    value_error, type_error = _errors(inst)
    cls = type_error if wrong_type else value_error
    raise cls(message, field=field, rule=rule, clause=_clause(inst))


def _matches(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types and int in types:
        return False
    if isinstance(value, datetime) and date in types and datetime not in types:
        return False
    return isinstance(value, types)


def instance_of(*types: type) -> Validator:
    """The value is one of ``types`` (a datetime is no date, a bool no int)."""
    wanted = " or ".join(_name(t) for t in types)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not _matches(value, types):
            got = "a datetime" if isinstance(value, datetime) else f"{type(value).__name__}"
            _refuse(
                inst,
                attribute.name,
                f"{attribute.name} must be {wanted}, not {got} ({value!r:.40})",
                f"{attribute.name} is {wanted}",
                wrong_type=True,
            )

    return check


def optional(validator: Validator) -> Validator:
    """``None``, or a value that ``validator`` accepts."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(inst, attribute, value)

    return check


def and_(*validators: Validator) -> Validator:
    """Every one of ``validators``, in order."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for validator in validators:
            validator(inst, attribute, value)

    return check


def _bound(ok: Callable[[Any], bool], words: str) -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not ok(value):
            _refuse(
                inst,
                attribute.name,
                f"{attribute.name} must be {words}, not {value!r:.40}",
                f"{attribute.name} is {words}",
                wrong_type=False,
            )

    return check


def min_len(n: int) -> Validator:
    """At least ``n`` long (``min_len(1)``: not empty)."""
    return _bound(lambda value: len(value) >= n, "not empty" if n == 1 else f"at least {n} long")


def ge(bound: Any) -> Validator:
    """At least ``bound``."""
    return _bound(lambda value: value >= bound, f"at least {bound}")


def gt(bound: Any) -> Validator:
    """Above ``bound``."""
    return _bound(lambda value: value > bound, f"above {bound}")


def in_(options: Iterable[Any]) -> Validator:
    """One of ``options``."""
    known = tuple(options)
    return _bound(
        lambda value: value in known, "one of " + ", ".join(repr(option) for option in known)
    )


def deep_iterable(member: Validator) -> Validator:
    """Every member passes ``member`` (the field is already a tuple)."""

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for item in value:
            member(inst, attribute, item)

    return check


# -- checking converters -------------------------------------------------------------------


def _converter_error(
    field: attrs.Attribute[Any], message: str, rule: str, *, wrong_type: bool
) -> Any:
    # A converter does not see the instance; the class's module decides the error.
    # attrs passes the field only, so the contract's errors are the default.
    cls = ContractTypeError if wrong_type else InvalidContract
    return cls(message, field=field.name, rule=rule)


def _plural(t: type) -> str:
    return {str: "strings", int: "integers", date: "dates"}.get(t, t.__name__)


def tuple_of(*types: type) -> attrs.Converter[Any, Any]:
    """A tuple of members of ``types`` from any sequence; a bare string or a member of
    another type is refused (nothing is turned into a string)."""
    wanted = " or ".join(_plural(t) for t in types)

    def convert(value: Any, field: attrs.Attribute[Any]) -> tuple[Any, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise _converter_error(
                field,
                f"{field.name} must be a list, not {type(value).__name__} ({value!r:.40})",
                f"{field.name} is a list of {wanted}",
                wrong_type=True,
            )
        items = tuple(value)
        bad = [item for item in items if not _matches(item, types)]
        if bad:
            raise _converter_error(
                field,
                f"{field.name} must hold {wanted} only, not {bad[0]!r:.40} "
                f"({type(bad[0]).__name__})",
                f"{field.name} is a list of {wanted}",
                wrong_type=True,
            )
        return items

    return attrs.Converter(convert, takes_field=True)  # type: ignore[misc,call-overload]


_FRACTION_RULE = 'an exact number: an int, a Fraction, a Decimal or a string such as "1/2" or "0.5"'


def _to_fraction(value: Any, field: attrs.Attribute[Any]) -> Fraction:
    if isinstance(value, bool):
        raise _converter_error(
            field, f"{field.name} must be a number, not a boolean", _FRACTION_RULE, wrong_type=True
        )
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _converter_error(
                field, f"{field.name} is not finite ({value})", _FRACTION_RULE, wrong_type=False
            )
        return Fraction(str(value))  # a float is read through its shortest decimal form
    if isinstance(value, Decimal) and not value.is_finite():
        raise _converter_error(
            field, f"{field.name} is not finite ({value})", _FRACTION_RULE, wrong_type=False
        )
    if isinstance(value, int | Fraction | Decimal):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip().replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            raise _converter_error(
                field,
                f"{field.name} {value!r:.40} is not an exact number",
                _FRACTION_RULE,
                wrong_type=False,
            ) from None
    raise _converter_error(
        field,
        f"{field.name} must be a number, not {type(value).__name__}",
        _FRACTION_RULE,
        wrong_type=True,
    )


def _optional_fraction(value: Any, field: attrs.Attribute[Any]) -> Fraction | None:
    return None if value is None else _to_fraction(value, field)


fraction: attrs.Converter[Any, Fraction] = attrs.Converter(_to_fraction, takes_field=True)  # type: ignore[misc,call-overload]
"""An exact Fraction from an int, a Fraction, a Decimal, a string or a float (read through
its shortest decimal form, so ``0.1`` is one tenth); anything else is refused."""
optional_fraction: attrs.Converter[Any, Fraction | None] = attrs.Converter(  # type: ignore[misc,call-overload]
    _optional_fraction, takes_field=True
)
""":data:`fraction`, with ``None`` passed through."""

_DECIMAL_RULE = 'a decimal number: an int, a Decimal or a string such as "37.5"'


def _to_decimal(value: Any, field: attrs.Attribute[Any]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _converter_error(
            field,
            f"{field.name} must be a decimal number, not {type(value).__name__}",
            _DECIMAL_RULE,
            wrong_type=True,
        )
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise _converter_error(
            field, f"{field.name} {value!r:.40} is not a number", _DECIMAL_RULE, wrong_type=False
        ) from None
    if not result.is_finite():
        raise _converter_error(
            field, f"{field.name} is not finite ({value})", _DECIMAL_RULE, wrong_type=False
        )
    return result


def _optional_decimal(value: Any, field: attrs.Attribute[Any]) -> Decimal | None:
    return None if value is None else _to_decimal(value, field)


decimal: attrs.Converter[Any, Decimal] = attrs.Converter(_to_decimal, takes_field=True)  # type: ignore[misc,call-overload]
"""A finite Decimal from an int, a Decimal, a string or a float (through its shortest form)."""
optional_decimal: attrs.Converter[Any, Decimal | None] = attrs.Converter(  # type: ignore[misc,call-overload]
    _optional_decimal, takes_field=True
)
""":data:`decimal`, with ``None`` passed through."""


def _enum_converter(cls: type[E], allow_none: bool) -> attrs.Converter[Any, Any]:
    known = ", ".join(repr(member.value) for member in cls)

    def convert(value: Any, field: attrs.Attribute[Any]) -> E | None:
        if value is None and allow_none:
            return None
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            raise _converter_error(
                field,
                f"{field.name} {value!r:.40} is not a {cls.__name__}; known: {known}",
                f"{field.name} is one of {known}",
                wrong_type=False,
            ) from None

    return attrs.Converter(convert, takes_field=True)  # type: ignore[misc,call-overload]


def enum(cls: type[E]) -> attrs.Converter[Any, E]:
    """A member of ``cls`` from itself or its value; anything else is refused with the known values."""
    return _enum_converter(cls, allow_none=False)


def optional_enum(cls: type[E]) -> attrs.Converter[Any, E | None]:
    """:func:`enum`, with ``None`` passed through."""
    return _enum_converter(cls, allow_none=True)
