"""The words of a settlement: the statement and per-participant explanations."""

from datetime import date
from fractions import Fraction

import pytest

import impactbond as ib

AS_OF = date(2026, 7, 1)


@pytest.fixture(scope="module")
def nyborg() -> ib.Settlement:
    contract, people, trajectories = ib.examples.nyborg()
    return ib.settle(contract, people, trajectories, as_of=AS_OF)


def test_explain_shows_days_and_weights_behind_each_month(nyborg: ib.Settlement) -> None:
    text = nyborg.explain("karina")
    karina = nyborg.trajectories[nyborg.row_of("karina")]
    subsidised = next(s for s in karina.spells if s.status is ib.Status.WAGE_SUBSIDY)
    # The first subsidised month: the days from the spell start to the month end, weight 1/2.
    first_month_days = 31 - subsidised.start.day + 1
    assert f"{first_month_days} days wage subsidy x 1/2 of 31 days" in text
    employed = next(s for s in karina.spells if s.status is ib.Status.EMPLOYED)
    assert f"x {employed.hours}/37 h" in text
    # The total quantity in the text is the settlement's own.
    q = nyborg.results["employment_months"].total_of(nyborg.row_of("karina"))
    whole, rest = divmod(q.numerator, q.denominator)
    assert f"{whole} {rest}/{q.denominator}" in text


def test_statement_totals_and_all_cohorts_row(nyborg: ib.Settlement) -> None:
    text = nyborg.statement()
    assert f"Total due:           {nyborg.total}" in text
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
    assert "cut by cap share_a" in s.explain("a2") + s.explain("a1")


def test_activity_fees_are_explained_per_participant() -> None:
    contract, people, trajectories, events = ib.examples.hybrid()
    s = ib.settle(contract, people, trajectories, as_of=date(2026, 1, 1), events=events)
    pid = s.participant_ids[0]
    text = s.explain(pid)
    row = s.row_of(pid)
    fee_lines = (s.lines.participant == row) & (s.lines.outcome < 0)
    assert fee_lines.any()
    assert "Fees for this participant:" in text
    fee = ib.Money.from_minor_units(int(s.lines.amount_minor[fee_lines].sum()), contract.currency)
    assert f"{fee} earned" in text
    total = ib.Money.from_minor_units(
        int(s.lines.amount_minor[s.lines.participant == row].sum()), contract.currency
    )
    assert f"Total for {pid}: {total} earned" in text
