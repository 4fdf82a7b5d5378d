"""Worked settlement cases with hand-computed numbers, one per outcome and rule kind."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest

import impactbond as ib
from impactbond.errors import SettlementError

D = date


def contract(**changes: object) -> ib.Contract:
    base = ib.Contract(
        id="test",
        title="Test contract",
        parties=ib.Parties("Municipality", "Investor", "Provider"),
        currency="DKK",
        term_start=D(2024, 1, 1),
        term_end=D(2027, 1, 1),
        referral_start=D(2024, 1, 1),
        referral_end=D(2025, 1, 1),
        cohorts=[ib.CohortTerms("c", target_outcome="months", target=Fraction(10), clause="2")],
        outcomes=[ib.EmploymentMonths("months", clause="3", window=ib.Window(length_months=24))],
        payment_rules=[
            ib.PricePerUnit("pay", clause="4", outcome="months", price=ib.Money(1000, "DKK"))
        ],
        clauses=[
            ib.Clause("2", "Cohort", "The cohort."),
            ib.Clause("3", "Months", "Months count."),
            ib.Clause("4", "Price", "DKK 1,000 a month."),
            ib.Clause("5", "Cap", "At most."),
        ],
    )
    return attrs.evolve(base, **changes)


def person(pid: str, enrolled: date, *spells: ib.Spell) -> tuple[ib.Participant, ib.Trajectory]:
    return ib.Participant(pid, "c", enrolled), ib.Trajectory(pid, spells)


def settle(
    c: ib.Contract, people: list[tuple[ib.Participant, ib.Trajectory]], as_of: date
) -> ib.Settlement:
    return ib.settle(c, [p for p, _ in people], [t for _, t in people], as_of=as_of)


AGNES_LIKE = person(
    "a",
    D(2024, 1, 15),
    ib.Spell("sickness_benefit", D(2023, 11, 1), D(2024, 2, 10)),
    ib.Spell("employed", D(2024, 2, 10), None),
)


def test_price_per_month_pro_rata_quarterly() -> None:
    # Feb 2024 (leap year): employed 10-29 Feb = 20 of 29 days; March to June whole months.
    s = settle(contract(), [AGNES_LIKE], D(2024, 7, 1))
    assert s.quantity("months") == 4 + Fraction(20, 29)
    # 1000 x 20/29 = 689.655... -> 689.66 (half up, per line); four whole months 4,000.00.
    assert s.total == ib.Money("4689.66", "DKK")
    rec = s.to_records()
    assert [r["amount"] for r in rec] == [Decimal("689.66")] + [Decimal("1000.00")] * 4
    assert {r["clause"] for r in rec} == {"4"}
    # Q1 (Jan-Mar) and Q2 (Apr-Jun) have both closed by 1 July.
    assert s.by_invoice_period(due_only=True) == {
        "2024-01-01..2024-03-31": ib.Money("1689.66", "DKK"),
        "2024-04-01..2024-06-30": ib.Money("3000.00", "DKK"),
    }
    assert s.achievement("c").ratio == (4 + Fraction(20, 29)) / 10


def test_participant_cap_cuts_the_latest_line_and_it_is_pending() -> None:
    cap = ib.Cap("cap", clause="5", scope="participant", amount=ib.Money(5000, "DKK"))
    s = settle(contract(caps=[cap]), [AGNES_LIKE], D(2024, 8, 1))
    # July would add 1,000.00 (total 5,689.66); the cap leaves 310.34 of it.
    assert s.accrued_total == ib.Money(5000, "DKK")
    july = next(r for r in s.to_records() if r["period_start"] == D(2024, 7, 1))
    assert july["amount_before_caps"] == Decimal("1000.00")
    assert july["amount"] == Decimal("310.34")
    assert july["cut_by"] == "cap"
    assert not july["due"]  # Q3 has not closed on 1 August
    assert s.total == ib.Money("4689.66", "DKK")
    assert s.pending_total == ib.Money("310.34", "DKK")
    assert "cut by cap cap" in s.explain("a")


def test_verification_lag_delays_what_is_due() -> None:
    c = contract(schedule=ib.PaymentSchedule(invoice_months=3, verification_lag_days=45))
    s = settle(c, [AGNES_LIKE], D(2024, 7, 1))
    # Q1 is due 2024-04-01 + 45 days = 16 May; Q2 only on 15 August.
    assert s.total == ib.Money("1689.66", "DKK")
    assert s.accrued_total == ib.Money("4689.66", "DKK")


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        # three lines of 1000 x 1/3: per line 333.33 x 3 = 999.99
        (ib.RoundingStage.LINE, Decimal("999.99")),
        # per participant (and per invoice) the exact 1000.00 is rounded once
        (ib.RoundingStage.PARTICIPANT, Decimal("1000.00")),
        (ib.RoundingStage.INVOICE, Decimal("1000.00")),
    ],
)
def test_rounding_stage_is_a_contract_term(stage: ib.RoundingStage, expected: Decimal) -> None:
    # Employed 11-20 April, May and June: under DAYS_30 each is 10/30 = 1/3 month.
    outcome = ib.EmploymentMonths("months", clause="3", convention="days_30")
    spells = [ib.Spell("employed", D(2024, m, 11), D(2024, m, 21)) for m in (4, 5, 6)]
    p = person("r", D(2024, 1, 15), *spells)
    s = settle(contract(outcomes=[outcome], rounding_stage=stage), [p], D(2024, 10, 1))
    assert s.quantity("months") == 1
    assert s.accrued_total.amount == expected
    assert sum(r["amount"] for r in s.to_records()) == expected


def test_target_bonus_on_the_day_the_target_is_reached() -> None:
    bonus = ib.TargetBonus(
        "bonus",
        clause="4",
        outcome="months",
        cohort="c",
        target=Fraction(2),
        bonus=ib.Money(5000, "DKK"),
    )
    people = [
        person(x, D(2024, 1, 15), ib.Spell("employed", D(2024, 3, 1), None)) for x in ("x", "y")
    ]
    s = settle(contract(payment_rules=[*contract().payment_rules, bonus]), people, D(2024, 7, 1))
    rec = [r for r in s.to_records() if r["rule"] == "bonus"]
    # x and y earn one month each in March: the target of 2 is reached on 31 March.
    assert (
        len(rec) == 1 and rec[0]["earned_on"] == D(2024, 3, 31) and rec[0]["participant_id"] is None
    )
    assert s.by_rule()["bonus"] == ib.Money(5000, "DKK")


def test_cohort_and_contract_caps() -> None:
    caps = [
        ib.Cap("cohort_cap", clause="5", scope="cohort", amount=ib.Money(2500, "DKK")),
        ib.Cap("contract_cap", clause="5", scope="contract", amount=ib.Money(2000, "DKK")),
    ]
    people = [
        person(x, D(2024, 1, 15), ib.Spell("employed", D(2024, 3, 1), None)) for x in ("x", "y")
    ]
    s = settle(contract(caps=caps), people, D(2024, 7, 1))
    assert s.accrued_total == ib.Money(2000, "DKK")
    # March: x then y (by id), 1,000 each: the contract cap is reached after March.
    paid = {(r["participant_id"], r["period_start"].month): r["amount"] for r in s.to_records()}
    assert paid[("x", 3)] == paid[("y", 3)] == Decimal("1000.00")
    assert paid[("x", 4)] == Decimal("0.00")
    assert s.capped_total == ib.Money(6000, "DKK")


def test_rate_card_summed_then_capped_per_person() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.JobStart("start", clause="3"),
        ib.Retention("kept", clause="3", horizon_weeks=4),
    ]
    rules = [
        ib.PricePerUnit("pay", clause="4", outcome="months", price=ib.Money(1000, "DKK")),
        ib.PricePerUnit("pay_start", clause="4", outcome="start", price=ib.Money(2000, "DKK")),
        ib.PricePerUnit("pay_kept", clause="4", outcome="kept", price=ib.Money(3000, "DKK")),
    ]
    cap = ib.Cap("person", clause="5", scope="participant", amount=ib.Money(5500, "DKK"))
    # Employed from Monday 4 March 2024 (ISO week 10).
    p = person("k", D(2024, 1, 15), ib.Spell("employed", D(2024, 3, 4), None, employer="E"))
    s = settle(contract(outcomes=outcomes, payment_rules=rules, caps=[cap]), [p], D(2024, 5, 1))
    rec = s.to_records()
    start = next(r for r in rec if r["rule"] == "pay_start")
    kept = next(r for r in rec if r["rule"] == "pay_kept")
    assert start["earned_on"] == D(2024, 3, 10)  # end of the job-start week
    assert kept["earned_on"] == D(2024, 4, 7)  # end of week 10 + 4
    # before caps: months 28/31 + 1 = 1903.23, start 2000, kept 3000 -> 6903.23; cap 5500
    assert s.accrued_total == ib.Money(5500, "DKK")
    assert sum(r["amount_before_caps"] for r in rec) == Decimal("6903.23")
    fig = s.retention[0]
    assert (fig.job_starters, fig.censored, fig.retained) == (1, 0, 1)


def test_retention_censoring_and_same_employer() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.Retention("kept", clause="3", horizon_weeks=8),
        ib.Retention("same", clause="3", horizon_weeks=8, same_employer=True),
    ]
    rules = [
        ib.PricePerUnit("pay_kept", clause="4", outcome="kept", price=ib.Money(100, "DKK")),
        ib.PricePerUnit("pay_same", clause="4", outcome="same", price=ib.Money(10, "DKK")),
    ]
    people = [
        person("stay", D(2024, 1, 15), ib.Spell("employed", D(2024, 2, 5), None, employer="A")),
        person(
            "move",
            D(2024, 1, 15),
            ib.Spell("employed", D(2024, 2, 5), D(2024, 3, 4), employer="A"),
            ib.Spell("employed", D(2024, 3, 4), None, employer="B"),
        ),
        person(
            "left",
            D(2024, 1, 15),
            ib.Spell("employed", D(2024, 2, 5), D(2024, 2, 19), employer="A"),
        ),
        person("late", D(2024, 1, 15), ib.Spell("employed", D(2024, 4, 22), None, employer="A")),
    ]
    s = settle(contract(outcomes=outcomes, payment_rules=rules), people, D(2024, 5, 6))
    kept = next(f for f in s.retention if f.outcome == "kept")
    assert (kept.job_starters, kept.censored, kept.retained, kept.same_employer) == (4, 1, 2, 1)
    assert kept.retention_rate == Fraction(2, 3)
    assert kept.same_job_rate == Fraction(1, 2)
    assert s.by_rule(due_only=False) == {
        "pay_kept": ib.Money(200, "DKK"),
        "pay_same": ib.Money(10, "DKK"),
    }


def test_progression_and_self_sufficiency() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.Progression("steps", clause="3"),
        ib.SelfSufficiency("self", clause="3"),
        ib.SelfSufficiency("self13", clause="3", without_benefit_weeks=13),
    ]
    rules = [
        ib.PricePerUnit("pay_steps", clause="4", outcome="steps", price=ib.Money(500, "DKK")),
        ib.PricePerUnit("pay_self13", clause="4", outcome="self13", price=ib.Money(700, "DKK")),
    ]
    p = person(
        "p",
        D(2024, 1, 1),
        ib.Spell("sickness_benefit", D(2023, 6, 1), D(2024, 3, 1)),
        ib.Spell("clarification_course", D(2024, 3, 1), D(2024, 5, 1)),
        ib.Spell("employed", D(2024, 5, 1), None),
    )
    s = settle(contract(outcomes=outcomes, payment_rules=rules), [p], D(2024, 10, 1))
    # sickness (rung 0) -> clarification course (1) -> employed (3): three rungs climbed
    assert s.quantity("steps") == 3
    # whole months without benefit: May to September
    assert s.quantity("self") == 5
    assert s.quantity("self13") == 1
    assert s.by_rule(due_only=False)["pay_steps"] == ib.Money(1500, "DKK")


def test_exclusions_are_listed_with_reasons() -> None:
    c = contract(
        cohorts=[
            ib.CohortTerms(
                "c", eligible_statuses=["sickness_benefit"], max_participants=2, clause="2"
            )
        ]
    )
    people = [
        person("in1", D(2024, 2, 1), ib.Spell("sickness_benefit", D(2024, 1, 1), None)),
        person("in2", D(2024, 3, 1), ib.Spell("sickness_benefit", D(2024, 1, 1), None)),
        person("full", D(2024, 4, 1), ib.Spell("sickness_benefit", D(2024, 1, 1), None)),
        person("early", D(2023, 12, 1), ib.Spell("sickness_benefit", D(2023, 1, 1), None)),
        person("wrong", D(2024, 2, 1), ib.Spell("employed", D(2024, 1, 1), None)),
        person("future", D(2024, 9, 1), ib.Spell("sickness_benefit", D(2024, 1, 1), None)),
    ]
    s = settle(c, people, D(2024, 6, 1))
    reasons = {e.participant_id: e.reason for e in s.exclusions}
    assert set(reasons) == {"full", "early", "wrong", "future"}
    assert "outside the referral period" in reasons["early"]
    assert "already had 2" in reasons["full"]
    assert "employed" in reasons["wrong"]
    assert len(s.participants) + len(s.exclusions) == s.participants_in == 6
    # Explaining an excluded participant gives the reason, not an error.
    assert reasons["full"] in s.explain("full") and "not settled" in s.explain("full")
    with pytest.raises(ib.ImpactBondError, match="excluded"):
        s.row_of("full")


def test_bad_settlement_inputs() -> None:
    p, t = AGNES_LIKE
    with pytest.raises(SettlementError, match="before the contract starts"):
        ib.settle(contract(), [p], [t], as_of=D(2023, 1, 1))
    with pytest.raises(SettlementError, match="no trajectory") as err:
        ib.settle(contract(), [p], [], as_of=D(2024, 7, 1))
    assert err.value.participant == "a"
    with pytest.raises(SettlementError, match="no participant"):
        ib.settle(contract(), [], [t], as_of=D(2024, 7, 1))
    stranger = ib.Participant("a", "nope", D(2024, 2, 1))
    with pytest.raises(
        SettlementError, match="cohorts the contract does not have \\('nope'"
    ) as err:
        ib.settle(contract(), [stranger], [t], as_of=D(2024, 7, 1))
    assert err.value.field == "cohort"


def test_bad_contract_terms() -> None:
    with pytest.raises(ib.ImpactBondError, match="negative"):
        ib.PricePerUnit("p", outcome="months", price=ib.Money(-1, "DKK"))
    with pytest.raises(ib.ImpactBondError, match="negative"):
        ib.Cap("c", scope="contract", amount=ib.Money(-1, "DKK"))
    with pytest.raises(ib.ImpactBondError, match="EUR") as err:
        contract(
            payment_rules=[
                ib.PricePerUnit("p", clause="4", outcome="months", price=ib.Money(1, "EUR"))
            ]
        )
    assert err.value.clause == "4"
    with pytest.raises(ib.ImpactBondError, match="unknown outcome"):
        contract(
            payment_rules=[
                ib.PricePerUnit("p", clause="4", outcome="nope", price=ib.Money(1, "DKK"))
            ]
        )


def test_recorded_events_in_a_rate_card() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.RecordedEvent("exam", clause="3", event="exam_passed"),
        ib.RecordedEvent("visits", clause="3", event="visit", once=False),
    ]
    rules = [
        ib.PricePerUnit("pay_exam", clause="4", outcome="exam", price=ib.Money(700, "DKK")),
        ib.PricePerUnit("pay_visits", clause="4", outcome="visits", price=ib.Money(10, "DKK")),
    ]
    p = person("e", D(2024, 1, 15))
    events = {
        "e": [
            ("exam_passed", D(2024, 2, 1)),
            ("exam_passed", D(2024, 3, 1)),  # counted once
            ("visit", D(2024, 1, 20)),
            ("visit", D(2024, 1, 27)),
            ("visit", D(2024, 1, 10)),  # before the window opens
            ("visit", D(2024, 8, 1)),  # after as_of
        ]
    }
    c = contract(outcomes=outcomes, payment_rules=rules)
    s = ib.settle(c, [p[0]], [p[1]], as_of=D(2024, 7, 1), events=events)
    assert s.quantity("exam") == 1 and s.quantity("visits") == 2
    assert s.accrued_total == ib.Money(720, "DKK")
    with pytest.raises(SettlementError, match="read by no outcome"):
        ib.settle(c, [p[0]], [p[1]], as_of=D(2024, 7, 1), events={"e": [("typo", D(2024, 2, 1))]})
    with pytest.raises(SettlementError, match="not listed"):
        ib.settle(c, [p[0]], [p[1]], as_of=D(2024, 7, 1), events={"x": []})


def test_sustained_employment_with_the_same_employer_and_a_horizon_in_months() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.SustainedEmployment("sust", clause="3", weeks=8),
        ib.SustainedEmployment("sust_same", clause="3", weeks=8, same_employer=True),
        ib.Retention("kept_3m", clause="3", horizon_months=3),
    ]
    rules = [
        ib.PricePerUnit(f"pay_{o}", clause="4", outcome=o, price=ib.Money(100, "DKK"))
        for o in ("sust", "sust_same", "kept_3m")
    ]
    # Employed from Monday 5 Feb 2024 with A, from Monday 4 Mar with B (four weeks with A).
    mover = person(
        "m",
        D(2024, 1, 15),
        ib.Spell("employed", D(2024, 2, 5), D(2024, 3, 4), employer="A"),
        ib.Spell("employed", D(2024, 3, 4), None, employer="B"),
    )
    # Employed from 5 Feb to 6 May: three calendar months after 5 Feb is 5 May (a Sunday,
    # week of 29 April), still employed; a 13-week horizon would land on 6 May, not employed.
    leaver = person(
        "l", D(2024, 1, 15), ib.Spell("employed", D(2024, 2, 5), D(2024, 5, 6), employer="C")
    )
    s = settle(contract(outcomes=outcomes, payment_rules=rules), [mover, leaver], D(2024, 7, 1))
    got = {(r["participant_id"], r["outcome"]) for r in s.to_records()}
    assert ("m", "sust") in got and ("l", "sust") in got
    assert ("m", "sust_same") not in got and ("l", "sust_same") in got
    assert ("m", "kept_3m") in got and ("l", "kept_3m") in got
    kept = next(
        r for r in s.to_records() if r["participant_id"] == "l" and r["outcome"] == "kept_3m"
    )
    assert kept["period_start"] == D(2024, 4, 29)
    with pytest.raises(ib.ImpactBondError, match="exactly one"):
        ib.Retention("r", horizon_weeks=13, horizon_months=3)


def test_sustained_employment_with_minimum_weekly_hours() -> None:
    outcomes = [
        ib.EmploymentMonths("months", clause="3"),
        ib.SustainedEmployment(
            "entry", clause="3", weeks=13, min_weekly_hours="16", missing_hours="not_counted"
        ),
    ]
    rules = [ib.PricePerUnit("pay", clause="4", outcome="entry", price=ib.Money(2600, "DKK"))]
    full = person("f", D(2024, 1, 15), ib.Spell("employed", D(2024, 2, 5), None, hours=30))
    # ten weeks at 12 hours, then 16 hours: the 13 weeks count from the first 16-hour week
    short = person(
        "s",
        D(2024, 1, 15),
        ib.Spell("employed", D(2024, 2, 5), D(2024, 4, 15), hours=12),
        ib.Spell("employed", D(2024, 4, 15), None, hours=16),
    )
    unknown = person("u", D(2024, 1, 15), ib.Spell("employed", D(2024, 2, 5), None))
    s = settle(
        contract(outcomes=outcomes, payment_rules=rules), [full, short, unknown], D(2024, 12, 1)
    )
    earned = {r["participant_id"]: r["earned_on"] for r in s.to_records()}
    assert earned["f"] == D(2024, 2, 5) + timedelta(weeks=13) - timedelta(days=1)
    assert earned["s"] == D(2024, 4, 15) + timedelta(weeks=13) - timedelta(days=1)
    assert "u" not in earned  # no hours in the register: the condition is not shown
