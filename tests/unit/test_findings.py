"""Issue 8: each finding of the new-user trial, as a test that failed on the old behaviour.

Every test's docstring quotes its finding.  Numbers are worked by hand in the
comments.  FINDINGS.md (for the lead) maps each finding to its test.
"""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import attrs
import numpy as np
import pytest

import impactbond as ib
from impactbond.domain.definitions import definitions
from impactbond.errors import (
    ContractFileError,
    ImpactBondError,
    InvalidContract,
    InvalidInput,
    SettlementError,
)
from impactbond.examples import nyborg_paths
from impactbond.io.contract_file import loads_contract
from impactbond.render import render_markdown

D = date
DKK = "DKK"


def contract(**changes: object) -> ib.Contract:
    """A one-cohort contract paying DKK 1,000 per employment month (pro rata days)."""
    base = ib.Contract(
        id="findings",
        title="Findings",
        parties=ib.Parties("Municipality", "Investor", "Provider"),
        currency=DKK,
        term_start=D(2024, 1, 1),
        term_end=D(2025, 12, 31),
        referral_start=D(2024, 1, 1),
        referral_end=D(2024, 12, 31),
        cohorts=[ib.CohortTerms("c")],
        outcomes=[ib.EmploymentMonths("months", window=ib.Window(length_months=24))],
        payment_rules=[ib.PricePerUnit("pay", outcome="months", price=ib.Money(1000, DKK))],
        schedule=ib.PaymentSchedule(invoice_months=1, verification_lag_days=0),
    )
    return attrs.evolve(base, **changes)


def employed_from(
    start: date, *, exited: date | None = None, referred: date | None = None
) -> tuple[list[ib.Participant], list[ib.Trajectory]]:
    """One participant enrolled on 1 January 2024, employed from ``start`` (open spell)."""
    p = ib.Participant("p1", "c", D(2024, 1, 1), referred=referred, exited=exited)
    return [p], [ib.Trajectory("p1", [ib.Spell("employed", start, None)])]


def earned_days(s: ib.Settlement) -> list[date]:
    return [date.fromordinal(int(d)) for d in s.lines.earned_on]


NYBORG = Path(nyborg_paths().contract).read_text(encoding="utf-8")


def nyborg_with(old: str, new: str) -> str:
    assert old in NYBORG, old
    return NYBORG.replace(old, new, 1)


def problems(error: ImpactBondError) -> list[ImpactBondError]:
    return error.errors or [error]


# -- the clock -----------------------------------------------------------------------------


def test_term_end_takes_effect() -> None:
    """`term_end` has no effect: lines earned after the term are paid."""
    c = contract(term_end=D(2024, 6, 30), referral_end=D(2024, 6, 30))
    people, trajectories = employed_from(D(2024, 1, 1))
    s = ib.settle(c, people, trajectories, as_of=D(2025, 6, 1))
    # Employed all through January..June 2024 (the term): six whole months, DKK 6,000;
    # nothing for July 2024 onwards although the window (24 months) runs on.
    assert len(s.lines) == 6
    assert max(earned_days(s)) == D(2024, 6, 30)
    assert s.accrued_total == ib.Money(6000, DKK)


def test_exit_takes_effect() -> None:
    """A participant's `exited` date has no effect: months after the exit are paid."""
    people, trajectories = employed_from(D(2024, 1, 1), exited=D(2024, 3, 15))
    s = ib.settle(contract(), people, trajectories, as_of=D(2024, 12, 1))
    # stop_measurement (the default): January and February whole (2,000), March 1..15 is
    # 15/31 of a month = 483.870.. -> 483.87; nothing after the exit.
    assert s.accrued_total == ib.Money("2483.87", DKK)
    assert max(earned_days(s)) <= D(2024, 3, 31)
    keep = ib.settle(contract(on_exit="keep_measuring"), people, trajectories, as_of=D(2024, 12, 1))
    # keep_measuring: January..October 2024 whole (data until 30 November: November too)
    # = 11 months = DKK 11,000.
    assert keep.accrued_total == ib.Money(11000, DKK)


def test_open_spells_end_at_data_until() -> None:
    """Open spells are assumed to continue up to `as_of`; there is no notion of the last day
    the register data covers, so an extract that ends in December pays employment in the
    following months."""
    people, trajectories = employed_from(D(2024, 1, 1))
    s = ib.settle(contract(), people, trajectories, as_of=D(2025, 4, 1), data_until=D(2024, 12, 31))
    # The extract covers 2024 only: twelve months (DKK 12,000), none in 2025.
    assert s.data_until == D(2024, 12, 31)
    assert len(s.lines) == 12
    assert max(earned_days(s)) == D(2024, 12, 31)
    assert s.accrued_total == ib.Money(12000, DKK)
    # The default is the day before as_of, and the settlement says so.
    default = ib.settle(contract(), people, trajectories, as_of=D(2025, 4, 1))
    assert default.data_until == D(2025, 3, 31)
    assert len(default.lines) == 15  # January 2024 .. March 2025


def _effect_contract(measured_on: date) -> ib.Contract:
    rule = ib.EffectTierPayment(
        "pay_effect",
        outcome="job",
        direction="increase",
        comparison_rate=Fraction(1, 2),
        gate=Fraction(1, 10),
        tiers=[
            ib.Tier(0, Fraction(1, 2), ib.Money(1000, DKK)),
            ib.Tier(Fraction(1, 2), None, ib.Money(2000, DKK)),
        ],
        measured_on=measured_on,
    )
    return contract(
        outcomes=[ib.RecordedEvent("job", event="job")],
        payment_rules=[rule],
    )


def test_measured_on_limits_the_events_counted() -> None:
    """`measured_on` of an effect-size rule does not limit the events counted."""
    people = [ib.Participant("a", "c", D(2024, 1, 1)), ib.Participant("b", "c", D(2024, 1, 1))]
    trajectories = [ib.Trajectory("a", []), ib.Trajectory("b", [])]
    events = {"a": [("job", D(2024, 3, 1))], "b": [("job", D(2024, 9, 1))]}
    c = _effect_contract(measured_on=D(2024, 6, 30))
    s = ib.settle(c, people, trajectories, events=events, as_of=D(2025, 1, 1))
    # By 30 June only a has a job: treated rate 1/2 against 1/2 -> effect 0, below the
    # gate 1/10: nothing.  Counting b's September job would give rate 1, effect 1: DKK 2,000.
    assert s.accrued_total == ib.Money(0, DKK)
    later = ib.settle(
        _effect_contract(measured_on=D(2024, 12, 31)),
        people,
        trajectories,
        events=events,
        as_of=D(2025, 1, 1),
    )
    assert later.accrued_total == ib.Money(2000, DKK)


def test_one_as_of_boundary_and_month_lines_dated_by_their_period() -> None:
    """The `as_of` boundary differs by rule kind (an effect or savings payment measured on
    `as_of` is paid, a fixed fee dated on `as_of` is not), and a month line's `earned_on`
    comes from the unclipped window, so a part-month observed to the 10th is dated the 31st
    and counted as earned."""
    fee = ib.FixedFee("fee", instalments=[ib.DatedAmount(D(2024, 6, 1), ib.Money(500, DKK))])
    on_the_day = D(2024, 6, 1)
    effect = _effect_contract(measured_on=on_the_day)
    both = attrs.evolve(effect, payment_rules=[*effect.payment_rules, fee])
    people = [ib.Participant("a", "c", D(2024, 1, 1))]
    trajectories = [ib.Trajectory("a", [])]
    events = {"a": [("job", D(2024, 3, 1))]}
    # Dated on as_of: neither the fee nor the effect payment is earned (the data cover
    # the days before as_of only) ...
    s = ib.settle(both, people, trajectories, events=events, as_of=on_the_day)
    assert len(s.lines) == 0
    # ... and the day after, both are: fee 500 + top tier 2,000 (rate 1, effect 1) = 2,500.
    s = ib.settle(both, people, trajectories, events=events, as_of=D(2024, 6, 2))
    assert s.accrued_total == ib.Money(2500, DKK)
    assert set(earned_days(s)) == {on_the_day}
    # A February observed to the 10th is not a line earned on 29 February.
    people, trajectories = employed_from(D(2024, 1, 1))
    s = ib.settle(contract(), people, trajectories, as_of=D(2024, 3, 1), data_until=D(2024, 2, 10))
    assert earned_days(s) == [D(2024, 1, 31)]
    assert s.accrued_total == ib.Money(1000, DKK)


def test_invoice_periods_from_a_month_end_start() -> None:
    """`Contract.invoice_period` does its own month arithmetic and disagrees with
    `invoice_period_bounds` when the term starts at a month end (31 January with monthly
    invoices puts 29 February in the wrong period, due the day it is earned)."""
    c = contract(term_start=D(2024, 1, 31), referral_start=D(2024, 1, 31))
    # Monthly periods from 31 January, month ends rounded down: [31 Jan, 29 Feb),
    # [29 Feb, 31 Mar), ...  So 28 February is in period 0 and 29 February in period 1.
    assert c.invoice_period_bounds(0) == (D(2024, 1, 31), D(2024, 2, 29))
    assert c.invoice_period(D(2024, 2, 28)) == 0
    assert c.invoice_period(D(2024, 2, 29)) == 1
    assert c.invoice_period(D(2024, 3, 30)) == 1
    assert c.invoice_period(D(2024, 3, 31)) == 2
    for day in (D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 12, 30), D(2025, 1, 31)):
        k = c.invoice_period(day)
        lo, hi = c.invoice_period_bounds(k)
        assert lo <= day < hi


def test_due_days_count_from_the_last_day_and_the_words_agree() -> None:
    """ "Due 60 days after the invoice period ends" is counted from the day after the period,
    so the rendered words and the due dates disagree by a day; the rendered contract says
    "until 2027-06-30 (the last day is 2027-06-29)" and "enrolled up to and including
    2025-03-30" for a referral end of 31 March."""
    nyborg, people, trajectories = ib.examples.nyborg()
    s = ib.settle(nyborg, people, trajectories, as_of=D(2025, 1, 1))
    for k, due in zip(s.lines.invoice_period.tolist(), s.lines.due_on.tolist(), strict=True):
        _, last = s.observation.period_bounds(k)
        # Q1 2024 ends 31 March; 31 March + 60 days = 30 May (30 days of April, 30 of May).
        assert date.fromordinal(due) == last + (date(2024, 5, 30) - date(2024, 3, 31))
    assert D(2024, 5, 30).toordinal() in s.lines.due_on.tolist()
    text = render_markdown(nyborg, language="en")
    assert "the last day is" not in text
    assert "2027-06-29" not in text and "29 June 2027" not in text
    assert "30 June 2027" in text
    assert "31 March 2025" in text and "30 March 2025" not in text


def test_anchor_referred_without_a_referral_date_is_refused() -> None:
    """`anchor = "referred"` with no referral date silently falls back to the enrolment
    date."""
    outcome = ib.EmploymentMonths("months", window=ib.Window(length_months=24, anchor="referred"))
    people, trajectories = employed_from(D(2024, 1, 1))
    with pytest.raises(SettlementError) as caught:
        ib.settle(contract(outcomes=[outcome]), people, trajectories, as_of=D(2024, 6, 1))
    assert caught.value.participant == "p1" and caught.value.field == "referred"
    # With the date, the window runs from it: referred 1 January, so Jan..May = DKK 5,000.
    people, trajectories = employed_from(D(2024, 1, 1), referred=D(2024, 1, 1))
    s = ib.settle(contract(outcomes=[outcome]), people, trajectories, as_of=D(2024, 6, 1))
    assert s.accrued_total == ib.Money(5000, DKK)


def test_a_line_cut_by_two_caps_records_both() -> None:
    """A line cut by two caps records only one (`cut_by`), so the statement attributes the
    whole cut to one cap."""
    caps = [
        ib.Cap("per_person", scope="participant", amount=ib.Money(2500, DKK)),
        ib.Cap("contract", scope="contract", amount=ib.Money(2200, DKK)),
    ]
    people, trajectories = employed_from(D(2024, 1, 1))
    s = ib.settle(contract(caps=caps), people, trajectories, as_of=D(2024, 4, 1))
    # Three months of 1,000: the person cap leaves 500 of March (cut 500), the contract cap
    # then leaves 200 of it (cut 300).  Total 2,200; cuts 500 + 300 on one line.
    assert s.accrued_total == ib.Money(2200, DKK)
    march = int(np.flatnonzero(s.lines.earned_on == D(2024, 3, 31).toordinal())[0])
    assert sorted(s.cuts.of_line(march)) == [(0, 50_000), (1, 30_000)]
    assert s.by_cap() == {"per_person": ib.Money(500, DKK), "contract": ib.Money(300, DKK)}


# -- money -----------------------------------------------------------------------------------


def test_totals_never_wrap_and_huge_numbers_are_refused_at_load() -> None:
    """Totals are int64 and overflow to a negative total for large prices; a price of 1e20
    or hours of 1e400 end in an OverflowError traceback."""
    # 10^13 DKK is 10^15 minor units, the largest price; 30 people x 24 months of it is
    # 7.2 x 10^17 minor units, exact in Python integers.
    big = contract(
        payment_rules=[ib.PricePerUnit("pay", outcome="months", price=ib.Money(10**13, DKK))]
    )
    people = [ib.Participant(f"p{i:02d}", "c", D(2024, 1, 1)) for i in range(30)]
    trajectories = [
        ib.Trajectory(p.id, [ib.Spell("employed", D(2024, 1, 1), None)]) for p in people
    ]
    s = ib.settle(big, people, trajectories, as_of=D(2026, 1, 1))
    assert s.accrued_total.amount == 30 * 24 * 10**13
    # 300 x 10^13 DKK would pass int64 (9.2 x 10^18 minor) after 31 months: refused, typed.
    many = [ib.Participant(f"q{i:03d}", "c", D(2024, 1, 1)) for i in range(400)]
    paths = [ib.Trajectory(p.id, [ib.Spell("employed", D(2024, 1, 1), None)]) for p in many]
    with pytest.raises(SettlementError):
        ib.settle(big, many, paths, as_of=D(2026, 1, 1))
    for old, new, field in (
        ('price = "9500.00 DKK"', 'price = "1e20 DKK"', "payment_rules[0].price"),
        ('hours_norm = "37"', "hours_norm = 1e400", "outcomes[0].hours_norm"),
    ):
        with pytest.raises(ContractFileError) as caught:
            loads_contract(nyborg_with(old, new))
        assert [e.field for e in problems(caught.value)] == [field]


def test_a_price_finer_than_the_currency_needs_the_contract_to_say_so() -> None:
    """A price with more decimals than the currency has (6500.005 DKK) loads and renders,
    then `settle` fails naming no file or rule."""
    text = nyborg_with('price = "7500.00 DKK"', 'price = "6500.005 DKK"')
    with pytest.raises(ContractFileError) as caught:
        loads_contract(text, source="nyborg.toml")
    (problem,) = problems(caught.value)
    assert problem.field == "payment_rules[1].price"
    assert problem.clause == "6.1"
    assert "nyborg.toml" in str(caught.value)
    # Where the contract says unit prices are exact fractions, the price is kept exactly:
    exact = loads_contract(
        text.replace('rounding = "half_up"', 'rounding = "half_up"\nexact_unit_prices = true')
    )
    rule = exact.payment_rules[1]
    assert isinstance(rule, ib.PricePerUnit) and rule.price == ib.Money("6500.005", DKK)
    # and settled exactly, rounded at the contract's stage: one month at 6500.005 DKK is
    # 650,000.5 minor units -> 6,500.01 half up.
    c = attrs.evolve(
        contract(exact_unit_prices=True),
        payment_rules=[ib.PricePerUnit("pay", outcome="months", price=ib.Money("6500.005", DKK))],
    )
    people, trajectories = employed_from(D(2024, 1, 1))
    assert ib.settle(c, people, trajectories, as_of=D(2024, 2, 1)).accrued_total == ib.Money(
        "6500.01", DKK
    )
    with pytest.raises(InvalidContract) as caught:
        attrs.evolve(c, exact_unit_prices=False)
    assert caught.value.field == "price"
    # The Definitions clause says which, in both languages.
    (rounding,) = [d for d in definitions(c) if d.id == "rounding"]
    assert "exact fraction" in rounding.text and "brøk" in rounding.text_da
    (rounding,) = [d for d in definitions(contract()) if d.id == "rounding"]
    assert "at most 2 decimals" in rounding.text and "højst 2 decimaler" in rounding.text_da


# -- validation ------------------------------------------------------------------------------


def test_duplicate_clause_ids() -> None:
    """Contract validation misses: duplicate clause ids (two texts for clause 5.1)."""
    text = NYBORG + '\n[[clauses]]\nid = "5.1"\ntitle = "Again"\ntext = "A second text."\n'
    with pytest.raises(ContractFileError) as caught:
        loads_contract(text)
    (problem,) = problems(caught.value)
    assert "5.1" in problem.message and problem.field == "clauses"


def test_citations_of_clauses_when_no_clauses_are_given() -> None:
    """Contract validation misses: citations of clauses that do not exist when no clauses
    are given at all."""
    with pytest.raises(InvalidContract) as caught:
        contract(outcomes=[ib.EmploymentMonths("months", clause="5.1")])
    assert caught.value.clause == "5.1" and caught.value.field == "clause"
    # Without citations, a contract without clause texts is fine.
    assert contract().clauses == ()


def test_referral_window_ending_after_the_term() -> None:
    """Contract validation misses: a referral window that ends after the term."""
    with pytest.raises(ContractFileError) as caught:
        loads_contract(nyborg_with("referral_end = 2025-03-31", "referral_end = 2027-07-01"))
    (problem,) = problems(caught.value)
    assert problem.field == "referral_end"


def test_no_outcomes_or_no_payment_rules() -> None:
    """Contract validation misses: no outcomes or no payment rules."""
    with pytest.raises(InvalidContract) as caught:
        contract(payment_rules=[])
    assert caught.value.field == "payment_rules"
    with pytest.raises(InvalidContract) as caught:
        contract(
            outcomes=[],
            payment_rules=[
                ib.FixedFee("fee", instalments=[ib.DatedAmount(D(2024, 6, 1), ib.Money(1, DKK))])
            ],
        )
    assert "outcomes" in [e.field for e in problems(caught.value)]


def test_option_combinations_fail_at_construction() -> None:
    """Contract validation misses: option combinations that only fail inside `settle` (a
    weekly convention with an hours norm; both `horizon_weeks` and `horizon_months`)."""
    with pytest.raises(InvalidContract) as caught:
        ib.EmploymentMonths(
            "m", convention="weeks_52_12", hours_norm="37", missing_hours="full_time"
        )
    assert caught.value.field == "hours_norm"
    with pytest.raises(InvalidContract) as caught:
        ib.Retention("r", horizon_weeks=26, horizon_months=6)
    assert caught.value.field == "horizon_months"


def test_float_terms_in_a_contract_file_are_refused_with_a_hint() -> None:
    """Contract validation misses: float terms (`target = 0.1`)."""
    for old, new, field in (
        ('target = "100"', "target = 0.1", "cohorts[0].target"),
        ('hours_norm = "37"', "hours_norm = 37.5", "outcomes[0].hours_norm"),
    ):
        with pytest.raises(ContractFileError) as caught:
            loads_contract(nyborg_with(old, new))
        (problem,) = problems(caught.value)
        assert problem.field == field
        assert '"1/10"' in problem.message or '"1/10"' in (problem.rule or "")
    # Written as text, the same numbers are exact.
    assert loads_contract(nyborg_with('target = "100"', 'target = "1/10"')).cohorts[
        0
    ].target == Fraction(1, 10)
    assert loads_contract(nyborg_with('target = "100"', 'target = "0.1"')).cohorts[
        0
    ].target == Fraction(1, 10)


def test_constructors_check_instead_of_coercing() -> None:
    """Contract validation misses: constructors that coerce instead of check
    (`cohorts=[1, None]` becomes `('1', 'None')`)."""
    with pytest.raises(InvalidContract) as caught:
        ib.PricePerUnit("x", outcome="o", price=ib.Money(1, DKK), cohorts=[1, None])  # type: ignore[list-item]
    assert caught.value.field == "cohorts"
    with pytest.raises(InvalidContract):
        ib.PricePerUnit("x", outcome="o", price=ib.Money(1, DKK), cohorts="abc")  # type: ignore[arg-type]
    with pytest.raises(InvalidContract) as caught:
        ib.TargetBonus("b", outcome="o", cohort="c", target="many", bonus=ib.Money(1, DKK))  # type: ignore[arg-type]
    assert caught.value.field == "target"
    with pytest.raises(InvalidContract) as caught:
        ib.EmploymentMonths("m", hours_norm="lots", missing_hours="full_time")  # type: ignore[arg-type]
    assert caught.value.field == "hours_norm"
    with pytest.raises(InvalidContract) as caught:
        ib.EmploymentMonths("m", convention="weekly")  # type: ignore[arg-type]
    assert caught.value.field == "convention"
    with pytest.raises(InvalidContract) as caught:
        ib.PaymentSchedule(invoice_months=True)
    assert caught.value.field == "invoice_months"


def test_wrong_types_are_typed_errors() -> None:
    """Contract validation misses: raw attrs `TypeError`s instead of the library's typed
    errors."""
    cases = [
        (lambda: ib.PaymentSchedule(invoice_months="3"), "invoice_months"),  # type: ignore[arg-type]
        (lambda: ib.Window(anchor="signed"), "anchor"),
        (lambda: ib.Parties("a", "b", 3), "provider"),  # type: ignore[arg-type]
        (lambda: ib.Participant("p1", "c", "2024-01-01"), "enrolled"),  # type: ignore[arg-type]
        (lambda: ib.Spell("employed", "2024-01-01"), "start"),  # type: ignore[arg-type]
        (lambda: contract(term_start="2024-01-01"), "term_start"),
    ]
    for make, field in cases:
        with pytest.raises(ImpactBondError) as caught:
            make()
        assert caught.value.field == field, field
        assert isinstance(caught.value, TypeError | ValueError)


def test_datetime_is_not_a_date() -> None:
    """Contract validation misses: `datetime` given where a `date` is meant."""
    at_noon = datetime(2024, 1, 1, 12, 0)
    cases = [
        (lambda: ib.Participant("p1", "c", at_noon), "enrolled"),
        (lambda: ib.Spell("employed", at_noon), "start"),
        (lambda: contract(term_start=at_noon), "term_start"),
        (lambda: ib.Amendment("1", at_noon, "first"), "effective"),
    ]
    for make, field in cases:
        with pytest.raises(ImpactBondError) as caught:
            make()
        assert caught.value.field == field, field
    people, trajectories = employed_from(D(2024, 1, 1))
    with pytest.raises(SettlementError):
        ib.settle(contract(), people, trajectories, as_of=datetime(2024, 6, 1))  # type: ignore[arg-type]


def test_load_contract_reports_every_problem_at_once() -> None:
    """Validation complete, at load time, all at once (what to build, 5): every bad field
    together, and every contract-wide problem together."""
    text = nyborg_with('target = "100"', "target = 0.1")
    text = text.replace('hours_norm = "37"', "hours_norm = 37.5")
    text = text.replace('title = "Kom godt', "title = 3\n#", 1)
    with pytest.raises(ContractFileError) as caught:
        loads_contract(text, source="fields.toml")
    fields = [e.field for e in caught.value.errors]
    assert sorted(fields) == ["cohorts[0].target", "outcomes[0].hours_norm", "title"]
    assert str(caught.value).startswith("fields.toml: 3 problems")
    text = nyborg_with('price = "7500.00 DKK"', 'price = "6500.005 DKK"')
    text = text.replace("referral_end = 2025-03-31", "referral_end = 2027-07-01")
    text += '\n[[clauses]]\nid = "5.1"\ntitle = "Again"\ntext = "A second text."\n'
    with pytest.raises(ContractFileError) as caught:
        loads_contract(text, source="whole.toml")
    fields = [e.field for e in caught.value.errors]
    assert sorted(fields) == ["clauses", "payment_rules[1].price", "referral_end"]


# -- register data ----------------------------------------------------------------------------


def _register(hours: object = None, start: str = "2024-01-01") -> ib.Register:
    import pyarrow as pa

    participants = pa.table(
        {"participant_id": ["p1"], "cohort": ["c"], "enrolled": [D(2024, 1, 1)]}
    )
    spells = pa.table(
        {
            "participant_id": ["p1"],
            "status": ["employed"],
            "start": [date.fromisoformat(start)],
            "end": pa.array([None], pa.date32()),
            "hours": pa.array([hours], pa.float64()),
        }
    )
    return ib.Register.from_tables(participants, spells)


def test_impossible_hours_and_missing_hours() -> None:
    """Hours of 200 a week are accepted and counted as full time; an empty hours cell counts
    as full time without the contract saying so."""
    with pytest.raises(InvalidInput) as caught:
        _register(hours=200)
    (row,) = problems(caught.value)
    assert (row.field, row.row, row.participant) == ("hours", 1, "p1")
    with pytest.raises(ImpactBondError):
        ib.Spell("employed", D(2024, 1, 1), hours=200)
    # An hours norm without saying what an empty cell means is refused.
    with pytest.raises(InvalidContract) as caught:
        ib.EmploymentMonths("m", hours_norm="37")
    assert caught.value.field == "missing_hours"
    # Said, it takes effect: an empty cell under "not_counted" earns nothing.
    counted = ib.EmploymentMonths(
        "months", hours_norm="37", missing_hours="not_counted", window=ib.Window(length_months=24)
    )
    s = ib.settle(contract(outcomes=[counted]), _register(), as_of=D(2024, 4, 1))
    assert s.accrued_total == ib.Money(0, DKK)


def test_register_dates_outside_1900_to_2200() -> None:
    """Impossible data (dates before 1900 or after 2200) is refused with the row and field
    (what to build, 5)."""
    for start in ("1899-12-31", "2201-01-01"):
        with pytest.raises(InvalidInput) as caught:
            _register(start=start)
        assert [(e.field, e.row) for e in problems(caught.value)] == [("start", 1)]


def test_memory_does_not_grow_with_as_of() -> None:
    """Memory grows with `as_of`: `as_of = 9999-12-31` tries to allocate 161 GiB."""
    c, people, trajectories = ib.examples.nyborg()
    near = ib.settle(c, people, trajectories, as_of=D(2028, 1, 1))
    tracemalloc.start()
    try:
        far = ib.settle(c, people, trajectories, as_of=D(9999, 12, 31))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Everything is earned by the term's end (30 June 2027) and due 60 days later: the
    # two settlements are the same, and settling the far one stays below 64 MiB.
    assert far.total == near.total
    assert peak < 64 * 2**20


def test_settlement_arrays_are_read_only() -> None:
    """The "frozen" Settlement can be changed through its arrays (`s.lines.amount_minor[:] =
    0` makes the total zero)."""
    people, trajectories = employed_from(D(2024, 1, 1))
    s = ib.settle(contract(), people, trajectories, as_of=D(2024, 4, 1))
    for array in (s.lines.amount, s.lines.earned_on, s.cuts.amount):
        with pytest.raises(ValueError):
            array[:] = 0
    assert s.accrued_total == ib.Money(3000, DKK)


def test_a_month_cut_short_by_an_exit_is_not_whole() -> None:
    """Found by the property "an earlier exit never pays more" (issue 8, Tests): under a
    threshold convention a month cut short by an exit was judged against its measured days
    only, so an exit on the one employed day of January made that day a whole month's part."""
    whole = ib.EmploymentMonths(
        "months", convention="whole_months", window=ib.Window(length_months=3)
    )
    c = contract(outcomes=[whole])
    # Employed on 1 January only.  Without an exit January has 31 window days and 1
    # employed: not whole, nothing.  With an exit on 1 January it is still not whole
    # (it was 1/31 of a month, DKK 32.26, before the fix).
    for exited in (None, D(2024, 1, 1)):
        p = ib.Participant("p1", "c", D(2024, 1, 1), exited=exited)
        t = ib.Trajectory("p1", [ib.Spell("employed", D(2024, 1, 1), D(2024, 1, 2))])
        assert ib.settle(c, [p], [t], as_of=D(2024, 6, 1)).accrued_total == ib.Money(0, DKK)
    # Employed all January to an exit on 15 February: January whole (1,000), February
    # cut short by the exit and not whole: DKK 1,000.
    p = ib.Participant("p1", "c", D(2024, 1, 1), exited=D(2024, 2, 15))
    t = ib.Trajectory("p1", [ib.Spell("employed", D(2024, 1, 1), None)])
    assert ib.settle(c, [p], [t], as_of=D(2024, 6, 1)).accrued_total == ib.Money(1000, DKK)
    # Half-month: 15 of February's 29 window days employed before the exit is at least
    # half, so February counts for its 15 measured days: 15/29 x 1000 = 517.24.. -> 517.24.
    half = attrs.evolve(whole, convention=ib.AccrualConvention.HALF_MONTH)
    s = ib.settle(contract(outcomes=[half]), [p], [t], as_of=D(2024, 6, 1))
    assert s.accrued_total == ib.Money("1517.24", DKK)
