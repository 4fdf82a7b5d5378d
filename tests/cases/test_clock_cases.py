"""The clock's date rules as data (tests/cases/data/clock_cases.csv).

Each row is a contract (term, tail, invoice periods, due days, exits), one
participant, an ``as_of`` and a ``data_until``, with every expected line
(earned on, amount, due on) and the totals worked by hand in the file.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import impactbond as ib

DATA = Path(__file__).parent / "data"


def _rows() -> list[dict[str, str]]:
    with (DATA / "clock_cases.csv").open(newline="", encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _contract(case: dict[str, str]) -> ib.Contract:
    term_start = date.fromisoformat(case["term_start"])
    term_end = date.fromisoformat(case["term_end"])
    return ib.Contract(
        id=case["case"],
        title=case["case"],
        parties=ib.Parties("Municipality", "Investor", "Provider"),
        currency="DKK",
        term_start=term_start,
        term_end=term_end,
        referral_start=term_start,
        referral_end=term_end,
        cohorts=[ib.CohortTerms("c")],
        outcomes=[ib.EmploymentMonths("months", window=ib.Window(length_months=24))],
        payment_rules=[ib.PricePerUnit("pay", outcome="months", price=ib.Money(1000, "DKK"))],
        schedule=ib.PaymentSchedule(
            invoice_months=int(case["invoice_months"]),
            verification_lag_days=int(case["lag_days"]),
        ),
        on_exit=case["on_exit"],
        measurement_tail_months=int(case["tail_months"]),
    )


def _expected(text: str) -> list[tuple[date, Decimal, date]]:
    out = []
    for item in text.split():
        earned, rest = item.split("=")
        amount, due = rest.split("@")
        out.append((date.fromisoformat(earned), Decimal(amount), date.fromisoformat(due)))
    return out


CASES = _rows()


def test_the_table_has_every_kind_of_case() -> None:
    names = {c["case"] for c in CASES}
    assert len(names) == len(CASES) >= 13
    assert any(c["data_until"] for c in CASES) and any(c["exited"] for c in CASES)
    assert any(c["tail_months"] != "0" for c in CASES)
    assert any(c["term_start"][-2:] == "31" for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_clock_case(case: dict[str, str]) -> None:
    person = ib.Participant(
        "p1", "c", date.fromisoformat(case["enrolled"]), exited=_day(case["exited"])
    )
    path = ib.Trajectory("p1", [ib.Spell("employed", date.fromisoformat(case["employed_from"]))])
    s = ib.settle(
        _contract(case),
        [person],
        [path],
        as_of=date.fromisoformat(case["as_of"]),
        data_until=_day(case["data_until"]),
    )
    got = [
        (r["earned_on"], r["amount"], r["due_on"])
        for r in sorted(s.to_records(), key=lambda r: r["earned_on"])
    ]
    assert got == _expected(case["lines"])
    assert s.total == ib.Money(case["total_due"], "DKK")
    assert s.accrued_total == ib.Money(case["accrued"], "DKK")
    # Every line is earned on or before the data cut-off, the measurement's end and the exit.
    bounds = [s.data_until, date.fromisoformat(case["term_end"])]
    exited = _day(case["exited"])
    if exited is not None and case["on_exit"] == "stop_measurement":
        bounds.append(exited)
    if case["tail_months"] == "0":
        assert all(earned <= min(bounds) for earned, _, _ in got)
