"""Hypothesis properties of the clock (issue 8): the term, exits, the data cut-off, cuts
and exact totals.

- settling with an earlier ``term_end`` or an earlier exit never pays more;
- moving ``data_until`` later with the same spells never changes a line earned
  before the old ``data_until``;
- no line is earned after ``data_until``, the term end or an exit under
  ``stop_measurement``;
- the cuts of a line add up to its amount before caps minus its amount;
- totals are exact for prices up to 10^15 minor units.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import impactbond as ib

Cohort = tuple[list[ib.Participant], list[ib.Trajectory]]

START = date(2024, 1, 1)
REFERRAL_END = date(2024, 6, 30)
TERM_END = date(2026, 12, 31)
AS_OF = date(2028, 1, 1)  # after the term: every line is earned and due


def days(lo: int, hi: int) -> st.SearchStrategy[date]:
    return st.integers(lo, hi).map(lambda d: START + timedelta(days=d))


@st.composite
def register(draw: st.DrawFn, max_people: int = 6, exits: bool = True) -> Cohort:
    people, paths = [], []
    for i in range(draw(st.integers(1, max_people))):
        enrolled = draw(days(0, 180))
        exited = draw(st.none() | days(180, 900)) if exits else None
        day = enrolled - timedelta(days=draw(st.integers(0, 30)))
        spells = []
        for _ in range(draw(st.integers(0, 4))):
            length = draw(st.integers(1, 300))
            if draw(st.booleans()):
                status = draw(st.sampled_from(["employed", "wage_subsidy", "sickness_benefit"]))
                end = None if draw(st.integers(0, 4)) == 0 else day + timedelta(days=length)
                spells.append(ib.Spell(status, day, end))
                if end is None:
                    break
            day += timedelta(days=length)
        pid = f"p{i:02d}"
        people.append(
            ib.Participant(pid, draw(st.sampled_from(["a", "b"])), enrolled, exited=exited)
        )
        paths.append(ib.Trajectory(pid, spells))
    return people, paths


@st.composite
def contracts(draw: st.DrawFn, caps: bool = True) -> ib.Contract:
    def price(hi: int = 2_000_000) -> ib.Money:
        return ib.Money(Decimal(draw(st.integers(0, hi))) / 100, "DKK")

    cap_list = []
    if caps:
        for scope in ("participant", "cohort", "contract"):
            if draw(st.booleans()):
                cap_list.append(ib.Cap(f"cap_{scope}", scope=scope, amount=price(5_000_000)))
    return ib.Contract(
        id="clock",
        title="Clock properties",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="DKK",
        term_start=START,
        term_end=TERM_END,
        referral_start=START,
        referral_end=REFERRAL_END,
        cohorts=[ib.CohortTerms("a", target_outcome="months", target=6), ib.CohortTerms("b")],
        outcomes=[
            ib.EmploymentMonths(
                "months",
                convention=draw(st.sampled_from(list(ib.AccrualConvention))),
                weights={"employed": 1, "wage_subsidy": "1/2"},
                window=ib.Window(length_months=draw(st.integers(3, 30))),
            ),
            ib.JobStart("start"),
        ],
        payment_rules=[
            ib.PricePerUnit("pay_months", outcome="months", price=price()),
            ib.PricePerUnit("pay_start", outcome="start", price=price()),
            ib.TargetBonus("bonus", outcome="months", cohort="a", target=6, bonus=price()),
        ],
        caps=cap_list,
        schedule=ib.PaymentSchedule(draw(st.sampled_from([1, 3, 12])), draw(st.integers(0, 90))),
        rounding=draw(st.sampled_from(list(ib.Rounding))),
        rounding_stage=draw(st.sampled_from(list(ib.RoundingStage))),
    )


def _register(cohort: Cohort, exits: dict[str, date | None] | None = None) -> ib.Register:
    people, paths = cohort
    if exits is not None:
        people = [attrs.evolve(p, exited=exits[p.id]) for p in people]
    return ib.Register.from_objects(people, paths)


@given(contracts(), register(), days(181, 1095))
def test_an_earlier_term_end_never_pays_more(
    contract: ib.Contract, cohort: Cohort, earlier: date
) -> None:
    shorter = attrs.evolve(contract, term_end=min(earlier, contract.term_end))
    reg = _register(cohort)
    full = ib.settle(contract, reg, as_of=AS_OF)
    short = ib.settle(shorter, reg, as_of=AS_OF)
    assert short.accrued_total <= full.accrued_total
    assert short.total == short.accrued_total  # everything is due by AS_OF


@given(contracts(), register(exits=False), st.data())
def test_an_earlier_exit_never_pays_more(
    contract: ib.Contract, cohort: Cohort, data: st.DataObject
) -> None:
    ids = [p.id for p in cohort[0]]
    late = {pid: data.draw(st.none() | days(200, 1095)) for pid in ids}
    early = {
        pid: (START + timedelta(days=data.draw(st.integers(180, 1095))) if d is None else d)
        - timedelta(days=data.draw(st.integers(0, 300)))
        for pid, d in late.items()
    }
    enrolled = {p.id: p.enrolled for p in cohort[0]}
    early = {pid: max(d, enrolled[pid]) for pid, d in early.items()}
    later_exit = ib.settle(contract, _register(cohort, late), as_of=AS_OF)
    earlier_exit = ib.settle(contract, _register(cohort, early), as_of=AS_OF)
    assert earlier_exit.accrued_total <= later_exit.accrued_total


def _line_keys(s: ib.Settlement, before: date) -> list[tuple[object, ...]]:
    return sorted(
        tuple(sorted((k, str(v)) for k, v in r.items() if k not in ("due",)))
        for r in s.to_records()
        if r["earned_on"] <= before
    )


@given(contracts(caps=False), register(), days(100, 700), st.integers(1, 400))
def test_a_later_data_until_never_changes_an_earlier_line(
    contract: ib.Contract, cohort: Cohort, until: date, later_by: int
) -> None:
    # Rounded per line, a line's amount is its own; other stages spread the rounding
    # over the lines of a participant or an invoice, which later lines can join.
    contract = attrs.evolve(contract, rounding_stage=ib.RoundingStage.LINE)
    later = until + timedelta(days=later_by)
    reg = _register(cohort)
    old = ib.settle(contract, reg, as_of=AS_OF, data_until=until)
    new = ib.settle(contract, reg, as_of=AS_OF, data_until=later)
    assert _line_keys(new, until) == _line_keys(old, until)
    assert old.accrued_total <= new.accrued_total


@given(contracts(), register(), days(100, 1200), st.sampled_from(list(ib.OnExit)))
def test_no_line_is_earned_after_the_data_the_term_or_an_exit(
    contract: ib.Contract, cohort: Cohort, until: date, on_exit: ib.OnExit
) -> None:
    contract = attrs.evolve(contract, on_exit=on_exit)
    s = ib.settle(contract, _register(cohort), as_of=AS_OF, data_until=until)
    earned = s.lines.earned_on
    assert np.all(earned <= until.toordinal())
    assert np.all(earned <= contract.term_end.toordinal())
    if on_exit is ib.OnExit.STOP_MEASUREMENT:
        exits = {p.id: p.exited for p in cohort[0]}
        for i in np.flatnonzero(s.lines.participant >= 0).tolist():
            exited = exits[s.participant_ids[int(s.lines.participant[i])]]
            if exited is not None:
                assert int(earned[i]) <= exited.toordinal()


@given(contracts(), register(), days(200, 1500))
def test_the_cuts_of_a_line_add_up_to_what_the_caps_took(
    contract: ib.Contract, cohort: Cohort, as_of: date
) -> None:
    s = ib.settle(contract, _register(cohort), as_of=as_of)
    cut = np.zeros(len(s.lines), dtype=object)
    for line, amount in zip(s.cuts.line.tolist(), s.cuts.amount.tolist(), strict=True):
        cut[line] += amount
        assert amount > 0
    before = s.lines.amount_before_caps.astype(object)
    assert list(before - s.lines.amount.astype(object)) == list(cut)
    assert s.capped_total.amount == sum(s.cuts.amount.tolist()) / Decimal(100)


def _half_up(x: Fraction) -> int:
    # Half up (away from zero for the non-negative amounts here): floor(x + 1/2).
    return int((x + Fraction(1, 2)) // 1)


@given(register(max_people=4, exits=False), st.integers(0, 10**15))
def test_totals_are_exact_for_prices_up_to_10_to_the_15_minor_units(
    cohort: Cohort, price_minor: int
) -> None:
    contract = ib.Contract(
        id="big",
        title="Big prices",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="DKK",
        term_start=START,
        term_end=TERM_END,
        referral_start=START,
        referral_end=REFERRAL_END,
        cohorts=[ib.CohortTerms("a"), ib.CohortTerms("b")],
        outcomes=[ib.EmploymentMonths("months", window=ib.Window(length_months=24))],
        payment_rules=[
            ib.PricePerUnit(
                "pay", outcome="months", price=ib.Money.from_minor_units(price_minor, "DKK")
            )
        ],
    )
    s = ib.settle(contract, _register(cohort), as_of=AS_OF)
    expected = 0
    for i in range(len(s.lines)):
        assert s.lines.unit_price(i) == price_minor
        amount = _half_up(s.lines.quantity(i) * price_minor)
        assert int(s.lines.amount[i]) == amount
        expected += amount
    assert s.accrued_total == ib.Money.from_minor_units(expected, "DKK")
    months = s.quantity("months")
    # The lines' exact amounts add up to the months measured times the price, within
    # half a minor unit of rounding per line.
    assert abs(months * price_minor - expected) <= Fraction(len(s.lines), 2)
