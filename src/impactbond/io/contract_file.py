"""Contract files: TOML text <-> :class:`~impactbond.domain.contract.Contract`.

One cattrs :class:`~cattrs.Converter` (:data:`contract_converter`) turns the
tables of a TOML file into the attrs types of :mod:`impactbond.domain` and
back.  Validation belongs here, at the edge: a syntax error, a field of the
wrong type, an unknown outcome kind or a negative price becomes one
:class:`~impactbond.errors.ContractFileError` that names the file and lists
*every* bad field with its path (``payment_rules[2].price``), the rule it
breaks and the clause it belongs to.  The top level is read field by field, so
the contract-wide checks (:func:`~impactbond.domain.contract.contract_problems`)
run on the fields that are good and their problems come in the same error,
after the field problems; a check that needs a bad field waits for it.

File format
-----------
The top level holds the :class:`~impactbond.domain.contract.Contract` fields;
``[parties]``, ``[schedule]`` and ``[financing]`` are tables; ``[[cohorts]]``,
``[[outcomes]]``, ``[[payment_rules]]``, ``[[caps]]`` and ``[[clauses]]`` are
arrays of tables.  Values are written as follows (and read in these forms and
the alternatives named):

============================  ==============================================
Money                         ``"1500.00 DKK"`` (written); also ``"DKK 1500"``
                              or ``{amount = "1500.00", currency = "DKK"}``
Decimal (``hours_norm``)      ``"37"``, ``"37.5"``; also a TOML integer
Fraction (weights, targets)   ``"1/2"``, ``"100"``; also ``"0.5"``, an integer
dates                         TOML dates ``2024-01-31``; also ``"2024-01-31"``
Status                        lower-case name, ``"sickness_benefit"``
other enums                   their value, ``"pro_rata_days"``, ``"half_up"``
status weights                ``{employed = "1", wage_subsidy = "1/2"}``
progression ladder            ``[["sickness_benefit", "cash_benefit"],
                              ["clarification_course"], ["employed"]]``
prices by follow-up           ``{12 = "4000.00 DKK", 24 = "6000.00 DKK"}``
                              (keys: the follow-up's months)
outcomes, payment rules       a table with ``kind = "employment_months"``,
                              ``kind = "price_per_unit"``, ``"effect_tiers"``,
                              ``"savings_share"``, ``"weighted_achievement"``,
                              ``"fixed_fee"``, ...
achievement metrics           ``{outcome = "housed", weight = "4/5",
                              target = "80", max_achievement = "6/5"}``
                              (or ``target_share`` instead of ``target``)
effect tiers                  ``{from_effect = "0", to_effect = "3/20",
                              payment = "1000.00 GBP"}`` (the top tier
                              without ``to_effect``)
============================  ==============================================

A TOML float (``target = 0.1``) is refused with the exact spellings
(``"1/10"`` or ``"0.1"``): numbers of a contract are written as strings or
integers.  Unknown keys are errors (a typo must not silently drop a term).  Values that
are ``None`` are left out when writing.  Reading never evaluates anything:
:mod:`tomllib` parses, the converter checks.

>>> from impactbond.examples import nyborg_paths
>>> contract = load_contract(nyborg_paths().contract)
>>> contract.parties.outcome_payer
'Nyborg Kommune'
>>> loads_contract(dumps_contract(contract)) == contract
True
>>> loads_contract('id = "x"\\ntitle = 3\\n', source="bad.toml")
Traceback (most recent call last):
...
impactbond.errors.ContractFileError: bad.toml: 10 problems in the contract file
  - expected a string, got int [field=title, rule=a TOML string]
  - required field missing [field=parties, rule=every required field is given]
...
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeAlias

import attrs
import cattrs
import tomli_w
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn

from impactbond.domain.contract import Contract, PartialContract, contract_problems
from impactbond.domain.outcome import OUTCOME_KINDS, Outcome
from impactbond.domain.participant import looks_like_cpr
from impactbond.domain.payment import PAYMENT_RULE_KINDS, PaymentRule
from impactbond.domain.terms import RefusionBand, Tier
from impactbond.errors import ContractFileError, ImpactBondError, InvalidFile
from impactbond.io._files import read_bytes
from impactbond.money import Money
from impactbond.status import Status

#: The largest contract file read, in bytes.
CONTRACT_FILE_LIMIT = 4 * 1024 * 1024

__all__ = [
    "CONTRACT_FILE_LIMIT",
    "FOLLOW_UP_PRICES_TYPE",
    "LADDER_TYPE",
    "WEIGHTS_TYPE",
    "contract_converter",
    "contract_from_dict",
    "contract_to_dict",
    "dump_contract",
    "dumps_contract",
    "load_contract",
    "loads_contract",
    "make_converter",
]

PathLike: TypeAlias = str | os.PathLike[str]

#: The type of status weights on outcomes: ``((Status, Fraction), ...)``.
WEIGHTS_TYPE: Any = tuple[tuple[Status, Fraction], ...]
#: The type of a progression ladder: ``((Status, ...), ...)``, lowest rung first.
LADDER_TYPE: Any = tuple[tuple[Status, ...], ...]


def _bad(message: str, rule: str) -> ContractFileError:
    """A leaf error raised inside a hook; its location is added from the path."""
    return ContractFileError(message, rule=rule)


def _type_name(value: Any) -> str:
    return {str: "string", bool: "boolean", int: "int", Decimal: "float"}.get(
        type(value), type(value).__name__
    )


# -- scalar hooks --------------------------------------------------------------


def _structure_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _bad(f"expected a string, got {_type_name(value)}", "a TOML string")
    return value


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"expected an integer, got {_type_name(value)}", "a TOML integer")
    return value


def _structure_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"expected true or false, got {_type_name(value)}", "a TOML boolean")
    return value


def _structure_date(value: Any, _: Any) -> date:
    if isinstance(value, datetime):
        raise _bad(f"expected a date, got the date-time {value}", "a TOML date (YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(f"expected a date, got {value!r}", "a TOML date (YYYY-MM-DD)")


#: The rule a TOML float breaks: numbers of a contract are written exactly, as strings.
_NO_FLOATS = 'numbers are strings, such as "1/10" or "0.1": a TOML float is not exact'


def _float_refused(value: Decimal) -> ContractFileError:
    """A TOML float (read as a Decimal by ``parse_float``) is refused, with the exact spellings."""
    if not value.is_finite() or abs(value) >= _LARGEST or value.as_tuple().exponent < -_MOST_PLACES:  # type: ignore[operator]
        return _bad(f"the TOML float {value} is out of range (and not exact)", _NO_FLOATS)
    shown = format(value, "f")
    return _bad(
        f'{shown} is a TOML float; write it as a string: "{Fraction(value)}" or "{shown}"',
        _NO_FLOATS,
    )


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, Decimal):
        raise _float_refused(value)
    if isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise _bad(f"{value!r} is not a decimal number", "a decimal as a string") from None
    else:
        raise _bad(f"expected a decimal string, got {_type_name(value)}", "a decimal as a string")
    if not result.is_finite():
        raise _bad(f"{value!r} is not finite", "a finite decimal")
    if abs(result) >= _LARGEST or result.as_tuple().exponent < -_MOST_PLACES:  # type: ignore[operator]
        raise _bad(
            f"{value!r} is out of range",
            f"a decimal below {_LARGEST:,} with at most {_MOST_PLACES} decimals",
        )
    return result


#: Numbers in a contract file stay below this (in int64 minor units with room to add up).
_LARGEST = 10**15
_MOST_PLACES = 12


def _unstructure_decimal(value: Decimal) -> str:
    return format(value, "f")


_FRACTION_TEXT = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)(\s*/\s*\d+)?\s*")


def _structure_fraction(value: Any, _: Any) -> Fraction:
    rule = 'an exact number as a string: "1/2", "100" or "0.5"'
    if isinstance(value, bool):
        raise _bad("expected a number, got a boolean", rule)
    if isinstance(value, Decimal):
        raise _float_refused(value)
    if isinstance(value, int):
        return _bounded_fraction(Fraction(value), value, rule)
    if isinstance(value, str) and _FRACTION_TEXT.fullmatch(value):
        try:
            return _bounded_fraction(Fraction(value.replace(" ", "")), value, rule)
        except (ValueError, ZeroDivisionError):
            pass
    raise _bad(f"{value!r} is not an exact number", rule)


def _bounded_fraction(result: Fraction, value: Any, rule: str) -> Fraction:
    if abs(result) >= _LARGEST or result.denominator >= _LARGEST:
        raise _bad(f"{value!r} is out of range", f"{rule}, below {_LARGEST:,}")
    return result


def _unstructure_fraction(value: Fraction) -> str:
    return str(value)


_MONEY_TEXT = re.compile(r"\s*(?:([A-Z]{3})\s+(\S+)|(\S+)\s+([A-Z]{3}))\s*")
_MONEY_RULE = 'money as "1500.00 DKK" or {amount = "1500.00", currency = "DKK"}'


def _structure_money(value: Any, _: Any) -> Money:
    if isinstance(value, str):
        m = _MONEY_TEXT.fullmatch(value)
        if m is None:
            raise _bad(f"{value!r} is not an amount with a currency", _MONEY_RULE)
        currency = m.group(1) or m.group(4)
        amount: Any = m.group(2) or m.group(3)
    elif isinstance(value, Mapping):
        extra = sorted(set(value) - {"amount", "currency"})
        missing = sorted({"amount", "currency"} - set(value))
        if extra or missing:
            raise _bad(
                f"money table has unknown keys {extra} or lacks {missing}",
                _MONEY_RULE,
            )
        amount, currency = value["amount"], value["currency"]
        if not isinstance(currency, str):
            raise _bad(f"currency must be a string, got {_type_name(currency)}", _MONEY_RULE)
        if isinstance(amount, Decimal):
            raise _float_refused(amount)
        if isinstance(amount, int) and not isinstance(amount, bool):
            amount = str(amount)
    else:
        raise _bad(f"expected money, got {_type_name(value)}", _MONEY_RULE)
    if not isinstance(amount, str):
        raise _bad(f"amount must be a decimal string, got {_type_name(amount)}", _MONEY_RULE)
    try:
        return Money(_structure_decimal(amount, Decimal), currency)
    except ContractFileError:
        raise
    except ImpactBondError as error:
        raise _bad(f"{value!r}: {error.message}", _MONEY_RULE) from None


def _unstructure_money(value: Money) -> str:
    return f"{format(value.amount, 'f')} {value.currency}"


def _structure_status(value: Any, _: Any) -> Status:
    if not isinstance(value, str):
        raise _bad(f"expected a status name, got {_type_name(value)}", "a status by name")
    try:
        return Status.parse(value)
    except ImpactBondError as error:
        raise _bad(error.message, "a status by lower-case name") from None


def _unstructure_status(value: Status) -> str:
    return value.name.lower()


def _is_value_enum(cl: Any) -> bool:
    return isinstance(cl, type) and issubclass(cl, enum.Enum) and not issubclass(cl, Status)


def _enum_hook(cl: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    known = ", ".join(repr(member.value) for member in cl)

    def structure(value: Any, _: Any) -> enum.Enum:
        try:
            return cl(value)
        except ValueError:
            raise _bad(
                f"{value!r} is not a {cl.__name__}; known: {known}", f"one of {known}"
            ) from None

    return structure


# -- composite hooks -----------------------------------------------------------


def _structure_weights(value: Any, _: Any) -> tuple[tuple[Status, Fraction], ...]:
    rule = 'status weights as a table {employed = "1", wage_subsidy = "1/2"}'
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):  # a plain list of statuses: weight 1 each
        items = [(name, 1) for name in value]
    else:
        raise _bad(f"expected a table of status weights, got {_type_name(value)}", rule)
    pairs: list[tuple[Status, Fraction]] = []
    problems: list[str] = []
    for name, weight in items:
        try:
            status = _structure_status(name, Status)
            pairs.append((status, _structure_fraction(weight, Fraction)))
        except ContractFileError as error:
            problems.append(f"{name}: {error.message}")
    if problems:
        raise _bad("; ".join(problems), rule)
    return tuple(pairs)


def _unstructure_weights(value: tuple[tuple[Status, Fraction], ...]) -> dict[str, str]:
    return {status.name.lower(): str(weight) for status, weight in value}


def _structure_ladder(value: Any, _: Any) -> tuple[tuple[Status, ...], ...]:
    rule = "a ladder as a list of rungs, each a list of status names (lowest rung first)"
    if not isinstance(value, list):
        raise _bad(f"expected a list of rungs, got {_type_name(value)}", rule)
    rungs: list[tuple[Status, ...]] = []
    for rung in value:
        names = [rung] if isinstance(rung, str) else rung
        if not isinstance(names, list):
            raise _bad(f"a rung is a list of status names, got {_type_name(rung)}", rule)
        rungs.append(tuple(_structure_status(name, Status) for name in names))
    return tuple(rungs)


def _unstructure_ladder(value: tuple[tuple[Status, ...], ...]) -> list[list[str]]:
    return [[status.name.lower() for status in rung] for rung in value]


#: The type of prices by follow-up: ``((months, Money), ...)``.
FOLLOW_UP_PRICES_TYPE: Any = tuple[tuple[int, Money], ...]


def _structure_follow_up_prices(value: Any, _: Any) -> tuple[tuple[int, Money], ...]:
    rule = 'prices by follow-up as a table {12 = "4000.00 DKK", 24 = "6000.00 DKK"}'
    if not isinstance(value, Mapping):
        raise _bad(f"expected a table of prices by follow-up, got {_type_name(value)}", rule)
    pairs: list[tuple[int, Money]] = []
    problems: list[str] = []
    for key, price in value.items():
        text = str(key).strip()
        if not text.isdigit() or not text.isascii():
            problems.append(f"{key!r} is not a number of months")
            continue
        try:
            pairs.append((int(text), _structure_money(price, Money)))
        except ContractFileError as error:
            problems.append(f"{key}: {error.message}")
    if problems:
        raise _bad("; ".join(problems), rule)
    return tuple(pairs)


def _unstructure_follow_up_prices(value: tuple[tuple[int, Money], ...]) -> dict[str, str]:
    return {str(months): _unstructure_money(price) for months, price in value}


def _open_ended_hook(
    converter: cattrs.Converter, cl: type[Any], types: Mapping[str, Any], optional: str
) -> Callable[[Any, Any], Any]:
    """A table for ``cl`` whose ``optional`` field (an open upper end) may be left out.

    Tiers ``{from_effect, to_effect, payment}`` and refusion bands
    ``{from_week, to_week, share}``: the top one has no upper end.
    """
    what = cl.__name__.lower()
    rule = f"a {what} is a table with {', '.join(types)} (the last one without {optional})"

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _bad(f"expected a table, got {_type_name(value)}", rule)
        extra = sorted(set(value) - set(types))
        if extra:
            raise ContractFileError(
                f"unknown field {extra[0]}", field=extra[0], rule=f"only the fields of a {what}"
            )
        missing = [k for k in types if k != optional and k not in value]
        if missing:
            raise ContractFileError("required field missing", field=missing[0], rule=rule)
        args = [
            None if value.get(k) is None else converter.structure(value[k], t)
            for k, t in types.items()
        ]
        return cl(*args)

    return structure


def _tagged_union(
    converter: cattrs.Converter, kinds: Mapping[str, type[Any]], what: str
) -> tuple[Callable[[Any, Any], Any], Callable[[Any], dict[str, Any]]]:
    """Structure and unstructure hooks of a union tagged by its ``kind`` field.

    ``kind`` is an ``init=False`` attribute on the attrs classes: it is taken off
    the table before the class is structured and written first when unstructuring.
    """
    known = ", ".join(repr(k) for k in kinds)
    tag_of = {cl: kind for kind, cl in kinds.items()}

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _bad(f"expected a table, got {_type_name(value)}", f"{what} is a table")
        if "kind" not in value:
            raise ContractFileError(
                f"{what} has no kind; known: {known}", field="kind", rule=f"kind is one of {known}"
            )
        kind = value["kind"]
        cl = kinds.get(kind) if isinstance(kind, str) else None
        if cl is None:
            raise ContractFileError(
                f"unknown {what} kind {kind!r}; known: {known}",
                field="kind",
                rule=f"kind is one of {known}",
            )
        fields = {k: v for k, v in value.items() if k != "kind"}
        return converter.structure(fields, cl)

    def unstructure(value: Any) -> dict[str, Any]:
        return {"kind": tag_of[type(value)], **converter.unstructure(value, type(value))}

    return structure, unstructure


def _drop_none(value: Any) -> Any:
    """TOML has no null: leave out ``None`` values (they are the defaults)."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def _is(expected: Any) -> Callable[[Any], bool]:
    def predicate(cl: Any) -> bool:
        return bool(cl == expected)

    return predicate


def _list_item(cl: Any) -> Any:
    """``X`` of a list of terms ``tuple[X, ...]``, else ``None``."""
    args = typing.get_args(cl)
    if typing.get_origin(cl) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _is_list_of_terms(cl: Any) -> bool:
    return _list_item(cl) is not None


def _list_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """``tuple[X, ...]`` is read from a TOML array only (a string is not a list of letters)."""

    def factory(cl: Any) -> Callable[[Any, Any], Any]:
        items = homogenous_tuple_structure_factory(cl, converter)

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise _bad(f"expected an array, got {_type_name(value)}", "a TOML array")
            return items(value, cl)

        return structure

    return factory


def _table_hook(converter: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    """An attrs class of the contract is read from a TOML table only."""

    def factory(cl: Any) -> Callable[[Any, Any], Any]:
        fields = make_dict_structure_fn(cl, converter)
        rule = f"a {cl.__name__} is a table of its fields"

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _bad(f"expected a table, got {_type_name(value)}", rule)
            return fields(value, cl)

        return structure

    return factory


def make_converter() -> cattrs.Converter:
    """A new converter configured for contract files (see the module docstring).

    >>> from impactbond.money import Money
    >>> make_converter().structure("1500.00 DKK", Money)
    Money('1500.00', 'DKK')
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook_factory(attrs.has, _table_hook(converter))
    converter.register_structure_hook_factory(_is_list_of_terms, _list_hook(converter))
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(Decimal, _unstructure_decimal)
    converter.register_structure_hook(Fraction, _structure_fraction)
    converter.register_unstructure_hook(Fraction, _unstructure_fraction)
    converter.register_structure_hook(Money, _structure_money)
    converter.register_unstructure_hook(Money, _unstructure_money)
    converter.register_structure_hook_factory(_is_value_enum, _enum_hook)
    converter.register_structure_hook(Status, _structure_status)
    converter.register_unstructure_hook(Status, _unstructure_status)
    # Generic aliases are no classes: they are matched by equality.
    converter.register_structure_hook_func(_is(WEIGHTS_TYPE), _structure_weights)
    converter.register_unstructure_hook_func(_is(WEIGHTS_TYPE), _unstructure_weights)
    converter.register_structure_hook_func(_is(LADDER_TYPE), _structure_ladder)
    converter.register_structure_hook_func(_is(FOLLOW_UP_PRICES_TYPE), _structure_follow_up_prices)
    converter.register_unstructure_hook_func(
        _is(FOLLOW_UP_PRICES_TYPE), _unstructure_follow_up_prices
    )
    converter.register_unstructure_hook_func(_is(LADDER_TYPE), _unstructure_ladder)
    converter.register_structure_hook(
        Tier,
        _open_ended_hook(
            converter,
            Tier,
            {"from_effect": Fraction, "to_effect": Fraction, "payment": Money},
            "to_effect",
        ),
    )
    converter.register_structure_hook(
        RefusionBand,
        _open_ended_hook(
            converter,
            RefusionBand,
            {"from_week": int, "to_week": int, "share": Fraction},
            "to_week",
        ),
    )
    for union, kinds, what in (
        (Outcome, OUTCOME_KINDS, "outcome"),
        (PaymentRule, PAYMENT_RULE_KINDS, "payment rule"),
    ):
        structure, unstructure = _tagged_union(converter, kinds, what)
        converter.register_structure_hook_func(_is(union), structure)
        converter.register_unstructure_hook_func(_is(union), unstructure)
    return converter


#: The one converter of contract files.
contract_converter: cattrs.Converter = make_converter()


# -- errors ----------------------------------------------------------------------

Location = list[str | int]


def _path_text(path: Location) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _clause_at(raw: Any, path: Location) -> str | None:
    """The clause id of the innermost table on ``path`` that names one."""
    found: str | None = None
    node = raw
    for i, part in enumerate(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping):
            clause = node.get("clause")
            if path[:1] == ["clauses"] and i == 1:
                clause = node.get("id")
            if isinstance(clause, str) and clause:
                found = clause
    return found


def _leaves(
    error: BaseException, path: Location, from_attribute: bool
) -> list[tuple[Location, BaseException]]:
    """Walk cattrs' exception groups to the leaf errors and their paths."""
    out: list[tuple[Location, BaseException]] = []
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                out += _leaves(sub, [*path, note.name], True)
            else:
                index = note.index
                out += _leaves(sub, [*path, index if isinstance(index, int) else str(index)], False)
        for sub in without:
            out += _leaves(sub, path, False)
        return out
    if isinstance(error, ForbiddenExtraKeysError):
        return [([*path, key], error) for key in sorted(error.extra_fields)]
    if isinstance(error, ImpactBondError) and not path:
        # The contract's own validator: every problem it found, located later.
        return [([], sub) for sub in (error.errors or [error])]
    if (
        isinstance(error, ImpactBondError)
        and error.field
        and not from_attribute
        and path[-1] != error.field
    ):
        # A domain validator names its field; the path so far names the table.
        path = [*path, error.field]
    return [(path, error)]


def _describe(error: BaseException) -> tuple[str, str | None]:
    if isinstance(error, ForbiddenExtraKeysError):
        return "unknown field", "only the fields of the contract format are allowed"
    if isinstance(error, ImpactBondError):
        return error.message, error.rule
    if isinstance(error, KeyError):
        return "required field missing", "every required field is given"
    return str(error) or type(error).__name__, None


def _file_error(
    source: str, raw: Any, leaves: list[tuple[Location, BaseException]]
) -> ContractFileError:
    problems: list[ImpactBondError] = []
    names: _Names | None = None
    for path, leaf in leaves[:MAX_LISTED_PROBLEMS]:  # beyond these only the count is given
        message, rule = _describe(leaf)
        clause = _clause_at(raw, path)
        if isinstance(leaf, ImpactBondError) and leaf.clause:
            clause = leaf.clause
        field = _path_text(path) or None
        if not path and isinstance(leaf, ImpactBondError):
            names = _Names(raw) if names is None else names
            field = names.locate(leaf)
        problems.append(ContractFileError(message, field=field, rule=rule, clause=clause))
    return _summary(source, problems, total=len(leaves))


def _summary(
    source: str, problems: list[ImpactBondError], *, total: int | None = None
) -> ContractFileError:
    """One error of the problems listed (at most ``MAX_LISTED_PROBLEMS`` of ``total``)."""
    total = len(problems) if total is None else total
    if total == 1:
        only = problems[0]
        return ContractFileError(
            f"{source}: {only.message}",
            field=only.field,
            rule=only.rule,
            clause=only.clause,
            row=only.row,
            errors=only.errors,
        )
    listed = problems[:MAX_LISTED_PROBLEMS]
    more = f" (the first {len(listed)} are listed)" if len(listed) < total else ""
    return ContractFileError(
        f"{source}: {total} problems in the contract file{more}", errors=listed
    )


#: Problems of a contract file listed one by one; beyond this many only the count is given.
MAX_LISTED_PROBLEMS = 200


_SECTIONS = ("cohorts", "outcomes", "payment_rules", "caps")
#: A name as a contract-wide error writes it: a run of these characters, whole.
_NAME = re.compile(r"[\w.-]+")


class _Names:
    """The tables of a contract file by their id (or label), to place contract-wide errors.

    The domain validator names the item (``rule pay_x prices unknown outcome``) and its
    clause; the one table with that id and clause is the place.  Built once per file,
    each look-up reads only the words of the message.
    """

    def __init__(self, raw: Any) -> None:
        self.by_name: dict[str, list[tuple[str, int, Any]]] = {}
        self.odd: list[str] = []  # names that are not one word: searched for as they are
        for section in _SECTIONS:
            tables = raw.get(section) if isinstance(raw, Mapping) else None
            for i, table in enumerate(tables if isinstance(tables, list) else []):
                if not isinstance(table, Mapping):
                    continue
                name = table.get("id", table.get("label"))
                if isinstance(name, str) and name:
                    self.by_name.setdefault(name, []).append((section, i, table.get("clause")))
                    if not _NAME.fullmatch(name):
                        self.odd.append(name)

    def locate(self, error: ImpactBondError) -> str | None:
        """The path of the table ``error`` is about, when it is unambiguous."""
        if error.field is None or "." in error.field:
            return error.field  # no field, or already a path
        named = set(_NAME.findall(error.message))
        named.update(
            n for n in self.odd if re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", error.message)
        )
        candidates = [
            f"{section}[{i}].{error.field}"
            for name in sorted(named & self.by_name.keys())
            for section, i, clause in self.by_name[name]
            if error.clause is None or clause == error.clause
        ]
        return candidates[0] if len(candidates) == 1 else error.field


# -- public functions --------------------------------------------------------------


def contract_from_dict(data: Mapping[str, Any], *, source: str = "<dict>") -> Contract:
    """Structure parsed TOML (or JSON) data into a :class:`Contract`.

    Raises :class:`~impactbond.errors.ContractFileError` listing every bad field.
    """
    if not isinstance(data, Mapping):
        raise ContractFileError(
            f"{source}: expected a table of contract fields, got {_type_name(data)}",
            rule="a contract is a table",
        )
    values, unsettled, leaves = _structure_fields(data)
    if not leaves:
        try:
            return Contract(**values)
        except ImpactBondError as error:  # the contract-wide checks
            found: list[tuple[Location, BaseException]] = [
                ([], sub) for sub in (error.errors or [error])
            ]
            raise _file_error(source, data, found) from None
    # Field problems, and the contract-wide problems of the good fields, reported together.
    partial = PartialContract(values)
    leaves += [([], problem) for problem in contract_problems(partial, unsettled)]
    raise _file_error(source, data, leaves)


#: The fields of a contract, with their types resolved.
_CONTRACT_FIELDS = attrs.fields(attrs.resolve_types(Contract))


def _structure_fields(
    data: Mapping[str, Any],
) -> tuple[dict[str, Any], set[str], list[tuple[Location, BaseException]]]:
    """Structure the top level of a contract file field by field.

    Returns the good values, the fields that are unsettled (missing, bad, or a list
    with bad items, which keeps its good ones) and the problems found, located.
    """
    values: dict[str, Any] = {}
    unsettled: set[str] = set()
    leaves: list[tuple[Location, BaseException]] = []
    for field in _CONTRACT_FIELDS:
        if field.name not in data:
            if field.default is attrs.NOTHING:
                leaves.append(([field.name], KeyError(field.name)))
                unsettled.add(field.name)
                values[field.name] = _empty(field)
            continue
        raw = data[field.name]
        try:
            value = contract_converter.structure(raw, typing.cast(Any, field.type))
            if field.converter is not None:  # the domain's converters are plain functions
                value = typing.cast(Callable[[Any], Any], field.converter)(value)
            if field.validator is not None:
                field.validator(None, field, value)
        except (ImpactBondError, cattrs.BaseValidationError) as error:  # collected, located
            leaves += _leaves(error, [field.name], True)
            unsettled.add(field.name)
            values[field.name] = _good_items(raw, field)
        else:
            values[field.name] = value
    known = {field.name for field in _CONTRACT_FIELDS}
    leaves += [([key], _UNKNOWN_FIELD) for key in data if key not in known]
    return values, unsettled, leaves


_UNKNOWN_FIELD = ForbiddenExtraKeysError("", Contract, set())


def _empty(field: attrs.Attribute[Any]) -> Any:
    """What an unsettled field holds: no items for a list of terms, else ``None``."""
    return () if _is_list_of_terms(field.type) else None


def _good_items(raw: Any, field: attrs.Attribute[Any]) -> Any:
    """The items of a list of terms that structure on their own (their problems are known)."""
    item = _list_item(field.type)
    if item is None or not isinstance(raw, list):
        return _empty(field)
    good = []
    for value in raw:
        # A bad item's problems are among the field's: here it is only left out.
        with contextlib.suppress(ImpactBondError, cattrs.BaseValidationError):
            good.append(contract_converter.structure(value, item))
    return tuple(good)


def contract_to_dict(contract: Contract) -> dict[str, Any]:
    """The TOML-ready data of a contract (no ``None`` values).

    >>> from impactbond.examples import nyborg_paths
    >>> data = contract_to_dict(load_contract(nyborg_paths().contract))
    >>> data["outcomes"][0]["kind"], data["outcomes"][0]["weights"]
    ('employment_months', {'employed': '1', 'flexjob': '1/2', 'wage_subsidy': '1/2'})
    """
    data = contract_converter.unstructure(contract, Contract)
    assert isinstance(data, dict)
    result = _drop_none(data)
    assert isinstance(result, dict)
    return result


_LINE_COLUMN = re.compile(r"line (\d+), column (\d+)")


def loads_contract(text: str, *, source: str = "<string>") -> Contract:
    """Read a contract from TOML text.

    Parameters
    ----------
    text:
        The TOML document.
    source:
        A name for the text in error messages (a file name).

    Raises
    ------
    ContractFileError
        A TOML syntax error (with its line) or any number of bad fields, each
        named by its path, rule and clause.  Errors of the domain validators
        (an :class:`~impactbond.errors.InvalidContract`, e.g. two currencies)
        come back as a ContractFileError too, with the file name added.

    Examples
    --------
    >>> loads_contract('id = "x"\\ntitle = = "y"', source="broken.toml")
    Traceback (most recent call last):
    ...
    impactbond.errors.ContractFileError: broken.toml: TOML syntax error: ... [row=2, rule=TOML syntax]
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except RecursionError:
        raise ContractFileError(
            f"{source}: arrays or tables are nested too deeply",
            source=source,
            rule="a contract file nests at most a few levels",
        ) from None
    except tomllib.TOMLDecodeError as error:
        m = _LINE_COLUMN.search(str(error))
        raise ContractFileError(
            f"{source}: TOML syntax error: {error}",
            row=int(m.group(1)) if m else None,
            rule="TOML syntax",
        ) from None
    _refuse_cpr_numbers(data, source)
    return contract_from_dict(data, source=source)


def _cpr_paths(node: Any, path: list[str | int]) -> list[list[str | int]]:
    """The paths of every key and text value in ``node`` that looks like a CPR number."""
    found: list[list[str | int]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if looks_like_cpr(str(key)):
                found.append([*path, "<key>"])
            found += _cpr_paths(value, [*path, str(key)])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _cpr_paths(value, [*path, i])
    elif isinstance(node, str) and looks_like_cpr(node) and not _NUMBER.match(node):
        found.append(path)
    return found


#: A number as a contract file writes it in text: an amount ("1012101234.00 DKK"), a decimal
#: or a fraction. Its digits are a quantity, not an identifier.
_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d+)?(/\d+)?(\s+[A-Z]{3})?\s*\Z")


def _refuse_cpr_numbers(data: dict[str, Any], source: str) -> None:
    """A contract file holds no CPR number, in any text (named by its path, never echoed)."""
    problems: list[ImpactBondError] = [
        ContractFileError(
            f"{_path_text(path)} holds text shaped like a Danish CPR number (withheld)",
            field=_path_text(path),
            clause=_clause_at(data, path),
            rule="a contract file holds no CPR number: people are named by pseudonyms only",
        )
        for path in _cpr_paths(data, [])
    ]
    if problems:
        raise _summary(source, problems)


def load_contract(path: PathLike) -> Contract:
    """Read a contract from a TOML file (UTF-8).

    >>> from impactbond.examples import nyborg_paths
    >>> load_contract(nyborg_paths().contract).currency
    'DKK'
    """
    file = Path(path)
    try:
        data = read_bytes(file, limit=CONTRACT_FILE_LIMIT, what="contract")
    except InvalidFile as err:
        raise ContractFileError(err.message, source=err.source, rule=err.rule) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ContractFileError(
            f"{file}: byte {err.start:,} (line {line}) is not valid UTF-8",
            source=str(file),
            row=line,
            rule="a contract file is UTF-8 text",
        ) from None
    return loads_contract(text, source=str(file))


def dumps_contract(contract: Contract) -> str:
    """The contract as TOML text; ``loads_contract(dumps_contract(c)) == c``.

    >>> from impactbond.examples import nyborg_paths
    >>> text = dumps_contract(load_contract(nyborg_paths().contract))
    >>> 'kind = "price_per_unit"' in text
    True
    """
    data = contract_to_dict(contract)
    # Multi-line strings read back with "\r\n" turned into "\n": only without "\r".
    return tomli_w.dumps(data, multiline_strings=not _has_carriage_return(data))


def _has_carriage_return(value: Any) -> bool:
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, Mapping):
        return any(_has_carriage_return(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_carriage_return(v) for v in value)
    return False


def dump_contract(contract: Contract, path: PathLike) -> None:
    """Write the contract to a TOML file (UTF-8)."""
    Path(path).write_text(dumps_contract(contract), encoding="utf-8")
