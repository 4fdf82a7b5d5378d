"""The words of a settlement: the statement and per-participant explanations a lawyer can redo."""

from datetime import date
from fractions import Fraction

import numpy as np
import pytest

import impactbond as ib
from impactbond.explain import format_number

AS_OF = date(2026, 7, 1)


@pytest.fixture(scope="module")
def nyborg() -> ib.Settlement:
    contract, people, trajectories = ib.examples.nyborg()
    return ib.settle(contract, people, trajectories, as_of=AS_OF)


def test_numbers_are_decimals_with_a_fraction_only_where_needed() -> None:
    assert format_number(Fraction(1, 2)) == "0.5"
    assert format_number(Fraction(14, 1)) == "14"
    assert format_number(Fraction(17, 31)) == "0.548387 (= 17/31)"


def test_explain_shows_days_and_weights_behind_each_month(nyborg: ib.Settlement) -> None:
    text = nyborg.explain("karina")
    karina = nyborg.register.trajectory("karina")
    subsidised = next(s for s in karina.spells if s.status is ib.Status.WAGE_SUBSIDY)
    # The first subsidised month: the days from the spell start to the month end, weight 1/2.
    first_month_days = 31 - subsidised.start.day + 1
    assert f"{first_month_days} days {ib.Status.WAGE_SUBSIDY.name_en} at weight 0.5" in text
    employed = next(s for s in karina.spells if s.status is ib.Status.EMPLOYED)
    assert f"x {employed.hours} of 37 weekly hours" in text
    # The total quantity in the text is the settlement's own.
    q = nyborg.quantity_of("karina", "employment_months")
    assert f"{format_number(q)} month(s)" in text


def test_each_line_can_be_redone_by_hand(nyborg: ib.Settlement) -> None:
    row = nyborg.row_of("agnes")
    ln = nyborg.lines
    rule = [r.id for r in nyborg.contract.payment_rules].index("pay_employment_months_sick_listed")
    mine = np.flatnonzero((ln.participant == row) & (ln.rule == rule))
    text = nyborg.explain("agnes")
    exact = Fraction(0)
    for k in mine.tolist():
        q = ln.quantity(k)
        amount = q * 950000  # DKK 9,500.00 a month, in øre
        exact += amount
        # quantity x price = exact amount, and the line rounded half up to the øre
        rounded = (amount * 2 + 1) // 2
        assert int(ln.amount_before_caps[k]) == rounded
        assert f"quantity {format_number(q)} x 9,500 = " in text
        due = date.fromordinal(int(ln.due_on[k]))
        assert f"due {due.isoformat()}" in text
    total_rounded = int(ln.amount_before_caps[mine].sum())
    money = ib.Money.from_minor_units(total_rounded, "DKK")
    assert f"sum of the rounded lines {money}" in text
    # Rounding each month differs from the exact product by a few øre, and it is shown.
    diff = Fraction(total_rounded) - exact
    assert diff != 0
    assert f"made a difference of {format_number(diff / 100)}" in text


def test_retention_and_progression_name_their_weeks_and_rungs(nyborg: ib.Settlement) -> None:
    text = nyborg.explain("agnes")
    assert "+ 26 weeks = week" in text
    ladder = nyborg.contract.outcome("progression").ladder
    top = " or ".join(s.name_en for s in ladder[-1])
    assert f"at rung {len(ladder)} of {len(ladder)} ({top}) or above" in text


def test_an_excluded_participant_is_explained_by_the_reason() -> None:
    contract, people, trajectories = ib.examples.nyborg()
    late = [
        ib.Participant(p.id, p.cohort, date(2025, 6, 2)) if p.id == "agnes" else p for p in people
    ]
    s = ib.settle(contract, late, trajectories, as_of=AS_OF)
    text = s.explain("agnes")
    assert "not settled" in text and "outside the referral period" in text


def test_statement_totals_and_all_cohorts_row(nyborg: ib.Settlement) -> None:
    text = nyborg.statement()
    assert f"Total due:           {nyborg.total}" in text
    assert f"Register data up to and including {nyborg.data_until}" in text
    kept = [r for r in nyborg.retention if r.outcome == nyborg.retention[0].outcome]
    starters = sum(r.job_starters for r in kept)
    observed = sum(r.observed for r in kept)
    retained = sum(r.retained for r in kept)
    line = next(x for x in text.splitlines() if x.strip().startswith("all cohorts"))
    assert f"{starters:>9}{observed:>9}" in line
    assert f"{float(Fraction(retained, observed)) * 100:.1f}%" in line


def test_a_mix_cap_is_named_as_a_share_limit() -> None:
    c = ib.Contract(
        id="mix",
        title="Mix",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="GBP",
        term_start=date(2020, 1, 1),
        term_end=date(2024, 1, 1),
        referral_start=date(2020, 1, 1),
        referral_end=date(2021, 1, 1),
        cohorts=[ib.CohortTerms("a"), ib.CohortTerms("b")],
        outcomes=[ib.RecordedEvent("q", event="q")],
        payment_rules=[ib.PricePerUnit("pay", outcome="q", price=ib.Money(1000, "GBP"))],
        caps=[
            ib.Cap(
                "share_a",
                scope="contract",
                amount=ib.Money(10**6, "GBP"),
                cohort="a",
                share_of_paid=Fraction(1, 2),
            )
        ],
    )
    people = [ib.Participant(p, p[0], date(2020, 2, 3)) for p in ("a1", "a2", "b1")]
    events = {p.id: [("q", date(2020, 3, 1))] for p in people}
    s = ib.settle(
        c, people, [ib.Trajectory(p.id, []) for p in people], as_of=date(2021, 1, 1), events=events
    )
    assert "[at most 1/2 of paid outcomes]" in s.statement()
    # a1 and a2 earn GBP 1,000 each beside b1's GBP 1,000: cohort a may have at most half,
    # so GBP 1,000 of a's GBP 2,000 goes, the later line (a2, after a1 on the same day) first.
    assert "cut by cap share_a" in s.explain("a2")
    assert s.by_cap()["share_a"] == ib.Money(1000, "GBP")
    assert len(s.cuts) == 1 and s.participant_ids[int(s.lines.participant[s.cuts.line[0]])] == "a2"


def test_activity_fees_are_explained_per_participant() -> None:
    contract, people, trajectories, events = ib.examples.hybrid()
    s = ib.settle(contract, people, trajectories, as_of=date(2026, 1, 1), events=events)
    pid = s.participant_ids[0]
    text = s.explain(pid)
    row = s.row_of(pid)
    fee_lines = (s.lines.participant == row) & (s.lines.outcome < 0)
    assert fee_lines.any()
    assert "Fees for this participant:" in text
    fee = ib.Money.from_minor_units(int(s.lines.amount[fee_lines].sum()), contract.currency)
    assert f"{fee} earned" in text
    total = ib.Money.from_minor_units(
        int(s.lines.amount[s.lines.participant == row].sum()), contract.currency
    )
    assert f"Total for {pid}: {total} earned" in text


def test_a_target_bonus_not_reached_says_how_far_the_cohort_got() -> None:
    def contract(target: int) -> ib.Contract:
        return ib.Contract(
            id="bonus",
            title="Bonus",
            parties=ib.Parties("payer", "investor", "provider"),
            currency="DKK",
            term_start=date(2020, 1, 1),
            term_end=date(2024, 1, 1),
            referral_start=date(2020, 1, 1),
            referral_end=date(2021, 1, 1),
            cohorts=[ib.CohortTerms("a")],
            outcomes=[ib.RecordedEvent("q", event="q")],
            payment_rules=[
                ib.PricePerUnit("pay", outcome="q", price=ib.Money(1000, "DKK")),
                ib.TargetBonus(
                    "bonus",
                    clause="",
                    outcome="q",
                    cohort="a",
                    target=target,
                    bonus=ib.Money(5000, "DKK"),
                ),
            ],
        )

    people = [ib.Participant(p, "a", date(2020, 2, 3)) for p in ("a1", "a2")]
    events = {p.id: [("q", date(2020, 3, 1))] for p in people}
    spells = [ib.Trajectory(p.id, []) for p in people]
    # Two participants with one event each: 2 events against a target of 3, no bonus.
    s = ib.settle(contract(3), people, spells, as_of=date(2021, 1, 1), events=events)
    assert s.by_rule(due_only=False)["bonus"].is_zero()
    assert "bonus: a: 2 q of a target of 3: not reached, no bonus" in s.statement()
    # A target of 2 is reached: the bonus is paid and no reason is given.
    paid = ib.settle(contract(2), people, spells, as_of=date(2021, 1, 1), events=events)
    assert paid.by_rule(due_only=False)["bonus"] == ib.Money(5000, "DKK")
    assert "not reached" not in paid.statement()
    assert "bonus: a: 2 q of a target of 2: reached on 2020-03-01" in paid.statement()
