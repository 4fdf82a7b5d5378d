"""Typed validators and checking converters of the domain types.

Drop-in replacements for the :mod:`attrs.validators` the domain classes use
(``instance_of``, ``optional``, ``and_``, ``min_len``, ``ge``, ``gt``, ``in_``,
``deep_iterable``) that raise the library's typed errors instead of attrs'
bare ``TypeError``/``ValueError``, each naming its field, and converters that
check instead of coercing: a converter reads what it can read exactly
(``as_tuple``, ``as_fraction``, ``as_decimal``, ``member``) and leaves anything
else for the field's validator (``tuple_of``, ``exact_number``,
``decimal_number``, ``member_of``) to refuse with the field's name.

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

import enum
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
    "as_decimal",
    "as_fraction",
    "as_optional_decimal",
    "as_optional_fraction",
    "as_tuple",
    "decimal_number",
    "deep_iterable",
    "exact_number",
    "ge",
    "gt",
    "in_",
    "instance_of",
    "le",
    "member",
    "member_of",
    "min_len",
    "optional",
    "tuple_of",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
E = TypeVar("E", bound=enum.Enum)

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


#: The days a contract's and a register's dates may fall on: a date outside is a typo.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def a_day() -> Validator:
    """A date (not a datetime) between 1900 and 2200."""
    is_date = instance_of(date)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        is_date(inst, attribute, value)
        if not FIRST_DAY <= value <= LAST_DAY:
            _refuse(
                inst,
                attribute.name,
                f"{attribute.name} {value} lies outside {FIRST_DAY}..{LAST_DAY}",
                "a contract's dates lie between 1900 and 2200",
                wrong_type=False,
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


def le(bound: Any) -> Validator:
    """At most ``bound``."""
    return _bound(lambda value: value <= bound, f"at most {bound}")


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


# -- lenient converters, strict validators --------------------------------------------------
#
# A converter normalises what it can read exactly (a list to a tuple, "1/2" to a
# Fraction, "half_up" to a member) and hands anything else back unchanged; the
# field's validator then refuses it, naming the field.  Converters are plain named
# functions so that type checkers see them.


def as_tuple(value: Any) -> Any:
    """A list (or any iterable but a string) as a tuple; anything else unchanged."""
    if isinstance(value, tuple | str | bytes) or not isinstance(value, Iterable):
        return value
    return tuple(value)


def _plural(t: type) -> str:
    return {str: "strings", int: "integers", date: "dates"}.get(t, t.__name__)


def tuple_of(*types: type) -> Validator:
    """A tuple whose members are all of ``types`` (nothing is turned into a string)."""
    wanted = " or ".join(_plural(t) for t in types)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        name = attribute.name
        if not isinstance(value, tuple):
            _refuse(
                inst,
                name,
                f"{name} must be a list, not {type(value).__name__} ({value!r:.40})",
                f"{name} is a list of {wanted}",
                wrong_type=True,
            )
        bad = [item for item in value if not _matches(item, types)]
        if bad:
            _refuse(
                inst,
                name,
                f"{name} must hold {wanted} only, not {bad[0]!r:.40} ({type(bad[0]).__name__})",
                f"{name} is a list of {wanted}",
                wrong_type=True,
            )

    return check


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def as_fraction(value: Any) -> Any:
    """An exact Fraction from an int, a Fraction, a finite Decimal, a string (``"1/2"``,
    ``"0.5"``) or a finite float (read through its shortest decimal form, so ``0.1`` is
    one tenth); anything else unchanged (:func:`exact_number` refuses it)."""
    if isinstance(value, bool) or not _finite(value):
        return value
    if isinstance(value, float):
        return Fraction(str(value))
    if isinstance(value, int | Fraction | Decimal):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip().replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            return value
    return value


def as_optional_fraction(value: Any) -> Any:
    """:func:`as_fraction`, with ``None`` kept."""
    return None if value is None else as_fraction(value)


_FRACTION_RULE = 'an exact number: an int, a Fraction, a Decimal or a string such as "1/2" or "0.5"'


def exact_number(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The value is a Fraction (what :func:`as_fraction` could not read is refused)."""
    if isinstance(value, Fraction):
        return
    readable = isinstance(value, str | float | Decimal) and not isinstance(value, bool)
    _refuse(
        inst,
        attribute.name,
        f"{attribute.name} {value!r:.40} is not an exact number"
        if readable
        else f"{attribute.name} must be a number, not {type(value).__name__}",
        _FRACTION_RULE,
        wrong_type=not readable,
    )


def as_decimal(value: Any) -> Any:
    """A Decimal from an int, a Decimal, a string or a float (its shortest form); anything
    else unchanged (:func:`decimal_number` refuses it)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return value
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return value


def as_optional_decimal(value: Any) -> Any:
    """:func:`as_decimal`, with ``None`` kept."""
    return None if value is None else as_decimal(value)


_DECIMAL_RULE = 'a finite decimal number: an int, a Decimal or a string such as "37.5"'


def decimal_number(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The value is a finite Decimal."""
    if isinstance(value, Decimal) and value.is_finite():
        return
    readable = isinstance(value, str | float | Decimal) and not isinstance(value, bool)
    _refuse(
        inst,
        attribute.name,
        f"{attribute.name} {value!r:.40} is not a finite number"
        if readable
        else f"{attribute.name} must be a number, not {type(value).__name__}",
        _DECIMAL_RULE,
        wrong_type=not readable,
    )


def member(cls: type[E], value: Any) -> Any:
    """The member of ``cls`` that is ``value`` or has it as its value; otherwise ``value``
    unchanged (:func:`member_of` refuses it)."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except (ValueError, TypeError):
        return value


def member_of(cls: type[E]) -> Validator:
    """A member of the enumeration ``cls``; the error lists the known values."""
    known = ", ".join(repr(m.value) for m in cls)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls):
            _refuse(
                inst,
                attribute.name,
                f"{attribute.name} {value!r:.40} is not a {cls.__name__}; known: {known}",
                f"{attribute.name} is one of {known}",
                wrong_type=False,
            )

    return check
