"""Settlements written for spreadsheets (CSV) and for programs (JSON), and read back.

CSV: one row per payment line.

=============================  ====================================================
``line``                       the line's number in the settlement (as in its cuts and explanations)
``participant_id``             the pseudonym (empty for a cohort-level line)
``cohort``, ``outcome``        labels (``outcome`` empty for a fee or savings line)
``rule``, ``clause``           the payment rule and the clause it implements
``period_first_day``           the first day the line is for
``period_last_day``            the last day the line is for (inclusive)
``earned_on``                  the day it was earned
``invoice_period_first_day``   the first day of its invoice period
``invoice_period_last_day``    the last day of its invoice period (inclusive)
``due_on``, ``due``            when it falls due; ``true`` if by ``as_of``
``quantity``                   the quantity as a decimal, exact when
                               ``quantity_exact`` is ``true``, else to 10 decimals
``quantity_exact``             ``true`` or ``false``
``quantity_fraction``          the exact quantity as ``numerator/denominator``
``unit_price``                 the price per unit
``amount_before_caps``         the rounded amount before caps
``amount``                     the amount paid (after caps)
``cut_by``                     the cap that cut the line, if any
``currency``                   ISO 4217
=============================  ====================================================

Dates are ISO (``yyyy-mm-dd``); amounts have the currency's decimals and
``.`` as decimal mark unless ``decimal=","``; booleans are ``true``/``false``.
A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading ``'`` so that no spreadsheet runs it as a
formula; numbers are never changed.

JSON (:func:`settlement_json`) lists the totals, every settled participant
(with zero where nothing was earned), every exclusion with its reason, the
achievement and retention figures and every line; amounts are strings holding
exact decimals.  :func:`read_settlement_json` reads it back (``impactbond
export indigo --settlement``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from impactbond._version import __version__
from impactbond.errors import InvalidFile
from impactbond.io._files import read_bytes

__all__ = [
    "CSV_COLUMNS",
    "SETTLEMENT_FORMAT",
    "exact_decimal",
    "neutralise",
    "read_settlement_json",
    "settlement_csv",
    "settlement_document",
    "settlement_json",
]

#: The ``format`` of the JSON document, and its version.
SETTLEMENT_FORMAT = ("impactbond-settlement", 1)

CSV_COLUMNS: tuple[str, ...] = (
    "line",
    "participant_id",
    "cohort",
    "outcome",
    "rule",
    "clause",
    "period_first_day",
    "period_last_day",
    "earned_on",
    "invoice_period_first_day",
    "invoice_period_last_day",
    "due_on",
    "due",
    "quantity",
    "quantity_exact",
    "quantity_fraction",
    "unit_price",
    "amount_before_caps",
    "amount",
    "cut_by",
    "currency",
)
_TEXT = {"participant_id", "cohort", "outcome", "rule", "clause", "cut_by", "currency"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ONE_DAY = timedelta(days=1)


def neutralise(text: str) -> str:
    """A text cell that no spreadsheet will run as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("P-1"), neutralise("-1+1")
    ('\\'=HYPERLINK("http://x")', 'P-1', "'-1+1")
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def exact_decimal(value: Fraction) -> str | None:
    """The exact decimal of ``value`` when it has one (the denominator is 2^a 5^b), else ``None``.

    >>> exact_decimal(Fraction(71, 5)), exact_decimal(Fraction(1, 3)), exact_decimal(Fraction(3))
    ('14.2', None, '3')
    """
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    scaled = value * 10**places
    text = str(Decimal(scaled.numerator).scaleb(-places)) if places else str(value.numerator)
    return text


def _decimal_places(value: Fraction, places: int = 10) -> str:
    q = Decimal(value.numerator) / Decimal(value.denominator)
    return str(q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN).normalize())


def _last_day(first: date, end: date) -> date:
    return end - _ONE_DAY if end > first else first


def _line(settlement: Any, index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    """Line ``index`` with the columns of :data:`CSV_COLUMNS`, as Python values.

    ``line`` is the line's number in the settlement (``Settlement.lines``, ``Settlement.cuts``):
    two lines alike in every other column (two progression steps in one week) stay apart.
    """
    contract = settlement.contract
    quantity: Fraction = record["quantity"]
    exact = exact_decimal(quantity)
    start, end = record["period_start"], record["period_end"]
    invoice_first, invoice_end = contract.invoice_period_bounds(record["invoice_period"])
    return {
        "line": index,
        "participant_id": record["participant_id"],
        "cohort": record["cohort"],
        "outcome": record["outcome"],
        "rule": record["rule"],
        "clause": record["clause"],
        "period_first_day": start,
        "period_last_day": _last_day(start, end),
        "earned_on": record["earned_on"],
        "invoice_period_first_day": invoice_first,
        "invoice_period_last_day": _last_day(invoice_first, invoice_end),
        "due_on": record["due_on"],
        "due": bool(record["due"]),
        "quantity": exact if exact is not None else _decimal_places(quantity),
        "quantity_exact": exact is not None,
        "quantity_fraction": f"{quantity.numerator}/{quantity.denominator}",
        "unit_price": record["unit_price"],
        "amount_before_caps": record["amount_before_caps"],
        "amount": record["amount"],
        "cut_by": record["cut_by"],
        "currency": record["currency"],
    }


def _lines(settlement: Any) -> list[dict[str, Any]]:
    return [_line(settlement, i, r) for i, r in enumerate(settlement.to_records())]


def _cell(name: str, value: Any, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = str(value)
        return text.replace(".", decimal)
    if name == "quantity":
        return str(value).replace(".", decimal)
    text = str(value)
    return neutralise(text) if name in _TEXT else text


def settlement_csv(settlement: Any, *, separator: str = ",", decimal: str = ".") -> str:
    """The settlement's lines as CSV for spreadsheets (see the module docstring).

    ``separator=";"`` and ``decimal=","`` write what Danish Excel opens
    directly.
    """
    if separator not in (",", ";", "\t"):
        raise ValueError(f"separator {separator!r}: use ',', ';' or a tab")
    if decimal not in (".", ","):
        raise ValueError(f"decimal {decimal!r}: use '.' or ','")
    if decimal == separator:
        raise ValueError("the decimal mark and the separator must differ")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=separator, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in _lines(settlement):
        writer.writerow([_cell(c, line[c], decimal) for c in CSV_COLUMNS])
    return buf.getvalue()


def _money(value: Any) -> str:
    return str(value.amount if hasattr(value, "amount") else value)


def _participant_cohorts(settlement: Any) -> dict[str, str]:
    return {p.id: p.cohort for p in getattr(settlement, "participants", ())}


def settlement_document(settlement: Any) -> dict[str, Any]:
    """The settlement as a JSON-ready dict (see :func:`settlement_json`)."""
    s = settlement
    lines = _lines(s)
    zero = Decimal(0).quantize(Decimal(1).scaleb(-_minor_digits(s)))
    per: dict[str, dict[str, Any]] = {}
    cohorts = _participant_cohorts(s)
    for pid in s.participant_ids:
        per[pid] = {
            "participant_id": pid,
            "cohort": cohorts.get(pid),
            "due": zero,
            "accrued": zero,
            "lines": 0,
        }
    for line in lines:
        pid = line["participant_id"]
        if pid is None:
            continue
        entry = per[pid]
        entry["accrued"] += line["amount"]
        if line["due"]:
            entry["due"] += line["amount"]
        entry["lines"] += 1
    periods: dict[tuple[date, date], dict[str, Any]] = {}
    for line in lines:
        key = (line["invoice_period_first_day"], line["invoice_period_last_day"])
        entry = periods.setdefault(
            key, {"first_day": key[0], "last_day": key[1], "accrued": zero, "due": zero}
        )
        entry["accrued"] += line["amount"]
        if line["due"]:
            entry["due"] += line["amount"]
    return {
        "format": SETTLEMENT_FORMAT[0],
        "format_version": SETTLEMENT_FORMAT[1],
        "library_version": __version__,
        "contract": {"id": s.contract.id, "title": s.contract.title},
        "as_of": s.as_of,
        "currency": s.contract.currency,
        "totals": {
            "due": _money(s.total),
            "pending": _money(s.pending_total),
            "accrued": _money(s.accrued_total),
            "capped": _money(s.capped_total),
        },
        "by_cohort": {k: _money(v) for k, v in s.by_cohort().items()},
        "by_outcome": {k: _money(v) for k, v in s.by_outcome().items()},
        "by_rule": {k: _money(v) for k, v in s.by_rule().items()},
        "by_invoice_period": [periods[k] for k in sorted(periods)],
        "participants_in": s.participants_in,
        "participants": list(per.values()),
        "excluded": [
            {
                "participant_id": e.participant_id,
                "cohort": e.cohort,
                "reason": e.reason,
                "rule": e.rule,
                "clause": e.clause,
            }
            for e in s.exclusions
        ],
        "achievement": [
            {
                "cohort": a.cohort,
                "outcome": a.outcome,
                "quantity": a.quantity,
                "target": a.target,
                "ratio": a.ratio,
            }
            for a in getattr(s, "achievements", ())
        ],
        "retention": [
            {
                "cohort": r.cohort,
                "outcome": r.outcome,
                "job_starters": r.job_starters,
                "censored": r.censored,
                "retained": r.retained,
                "same_employer": r.same_employer,
            }
            for r in getattr(s, "retention", ())
        ],
        "lines": lines,
    }


def _minor_digits(settlement: Any) -> int:
    exponent = settlement.total.amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Fraction):
        exact = exact_decimal(value)
        return exact if exact is not None else f"{value.numerator}/{value.denominator}"
    raise TypeError(f"{type(value).__name__} is not JSON")


def settlement_json(settlement: Any) -> str:
    """The settlement as JSON: totals, every settled participant, exclusions, figures, lines.

    Amounts and quantities are strings (exact decimals; a quantity without an
    exact decimal is ``"p/q"``), dates ISO, booleans ``true``/``false``.
    """
    return json.dumps(
        settlement_document(settlement), default=_json_default, indent=2, ensure_ascii=False
    )


_SETTLEMENT_LIMIT = 512 * 1024 * 1024


def read_settlement_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read what :func:`settlement_json` wrote, checking its format; amounts as ``Decimal``.

    Raises :class:`~impactbond.errors.InvalidFile` naming the file and the
    field when it is not such a document.
    """
    name = str(path)
    data = read_bytes(path, limit=_SETTLEMENT_LIMIT, what="settlement")
    try:
        doc = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        where = f" (line {err.lineno})" if isinstance(err, json.JSONDecodeError) else ""
        raise InvalidFile(
            f"{name} is not a JSON document{where}",
            source=name,
            rule="a settlement file is what impactbond settle --format json writes",
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != SETTLEMENT_FORMAT[0]:
        raise InvalidFile(
            f"{name} is not a settlement written by impactbond settle --format json",
            source=name,
            field="format",
            rule="a settlement file is what impactbond settle --format json writes",
        )
    if doc.get("format_version") != SETTLEMENT_FORMAT[1]:
        raise InvalidFile(
            f"{name} has format version {doc.get('format_version')!r}; this library reads "
            f"{SETTLEMENT_FORMAT[1]}",
            source=name,
            field="format_version",
        )
    problems: list[InvalidFile] = []
    for key in ("contract", "as_of", "currency", "totals", "lines", "participants"):
        if key not in doc:
            problems.append(InvalidFile(f"{key} is missing", source=name, field=key))
    for i, line in enumerate(doc.get("lines", []), start=1):
        for key in ("amount", "amount_before_caps", "unit_price"):
            try:
                line[key] = Decimal(str(line[key]))
            except (KeyError, ArithmeticError, ValueError, TypeError):
                problems.append(
                    InvalidFile(f"line {i}: {key} is not a decimal", source=name, row=i, field=key)
                )
        for key in (
            "earned_on",
            "due_on",
            "period_first_day",
            "period_last_day",
            "invoice_period_first_day",
            "invoice_period_last_day",
        ):
            try:
                line[key] = date.fromisoformat(str(line[key]))
            except (KeyError, ValueError):
                problems.append(
                    InvalidFile(f"line {i}: {key} is not a date", source=name, row=i, field=key)
                )
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise InvalidFile(f"{len(problems)} problems", source=name, errors=list(problems))
    return doc


def lines_of(doc: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The lines of a settlement document."""
    lines: list[Mapping[str, Any]] = doc.get("lines", [])
    return lines
