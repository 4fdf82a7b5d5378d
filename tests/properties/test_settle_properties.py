"""Hypothesis properties of settle(): caps, totals, permutation, determinism, monotonicity."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import attrs
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import impactbond as ib

START = date(2024, 1, 1)
STATUSES = [
    ib.Status.EMPLOYED,
    ib.Status.WAGE_SUBSIDY,
    ib.Status.FLEXJOB,
    ib.Status.SICKNESS_BENEFIT,
    ib.Status.UNEMPLOYMENT_BENEFIT,
    ib.Status.CLARIFICATION_COURSE,
    ib.Status.EDUCATION,
]


@st.composite
def cohorts(
    draw: st.DrawFn, max_people: int = 8
) -> tuple[list[ib.Participant], list[ib.Trajectory]]:
    n = draw(st.integers(1, max_people))
    people, trajectories = [], []
    for i in range(n):
        enrolled = START + timedelta(days=draw(st.integers(0, 150)))
        day = enrolled - timedelta(days=draw(st.integers(0, 60)))
        spells = []
        for _ in range(draw(st.integers(0, 6))):
            length = draw(st.integers(1, 150))
            if draw(st.integers(0, 3)) > 0:  # a gap one time in four
                status = draw(st.sampled_from(STATUSES))
                employer = draw(st.sampled_from([None, "E1", "E2"]))
                hours = draw(st.sampled_from([None, 20, 37, 45]))
                spells.append(
                    ib.Spell(
                        status, day, day + timedelta(days=length), hours=hours, employer=employer
                    )
                )
            day += timedelta(days=length)
        cohort = draw(st.sampled_from(["a", "b"]))
        people.append(ib.Participant(f"p{i:03d}", cohort, enrolled))
        trajectories.append(ib.Trajectory(f"p{i:03d}", spells))
    return people, trajectories


@st.composite
def contracts(draw: st.DrawFn, *, caps: bool = True, bonus: bool = True) -> ib.Contract:
    convention = draw(st.sampled_from(list(ib.AccrualConvention)))
    weights = draw(
        st.sampled_from([{"employed": 1}, {"employed": 1, "flexjob": "1/2", "wage_subsidy": "1/2"}])
    )
    hours = (
        None
        if convention is ib.AccrualConvention.WEEKS_52_12
        else draw(st.sampled_from([None, 37]))
    )
    outcomes = [
        ib.EmploymentMonths(
            "months",
            convention=convention,
            weights=weights,
            hours_norm=hours,
            missing_hours=None
            if hours is None
            else draw(st.sampled_from(["full_time", "not_counted"])),
            window=ib.Window(length_months=draw(st.integers(3, 24))),
        ),
        ib.JobStart("start"),
        ib.Retention(
            "kept", horizon_weeks=draw(st.integers(1, 30)), same_employer=draw(st.booleans())
        ),
        ib.Progression("steps"),
    ]

    def price() -> ib.Money:
        return ib.Money(Decimal(draw(st.integers(0, 500_000))) / 100, "DKK")

    rules: list[ib.PaymentRule] = [
        ib.PricePerUnit("pay_months", outcome="months", price=price()),
        ib.PricePerUnit("pay_start", outcome="start", price=price(), cohorts=("a",)),
        ib.PricePerUnit("pay_kept", outcome="kept", price=price()),
        ib.PricePerUnit(
            "pay_steps",
            outcome="steps",
            price=price(),
            max_units_per_participant=draw(st.sampled_from([None, 1, 2])),
        ),
    ]
    if bonus and draw(st.booleans()):
        rules.append(
            ib.TargetBonus(
                "bonus",
                outcome="months",
                cohort="a",
                target=draw(st.integers(1, 20)),
                bonus=price(),
            )
        )
    cap_list = []
    if caps:
        for scope in ("participant", "cohort", "contract"):
            if draw(st.booleans()):
                cap_list.append(ib.Cap(f"cap_{scope}", scope=scope, amount=price() * 3))
    return ib.Contract(
        id="prop",
        title="Property contract",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="DKK",
        term_start=START,
        term_end=date(2028, 1, 1),
        referral_start=START,
        referral_end=date(2025, 1, 1),
        cohorts=[ib.CohortTerms("a", target_outcome="months", target=10), ib.CohortTerms("b")],
        outcomes=outcomes,
        payment_rules=rules,
        caps=cap_list,
        schedule=ib.PaymentSchedule(draw(st.sampled_from([1, 3, 12])), draw(st.integers(0, 90))),
        rounding=draw(st.sampled_from(list(ib.Rounding))),
        rounding_stage=draw(st.sampled_from(list(ib.RoundingStage))),
    )


as_of_dates = st.integers(120, 1000).map(lambda d: START + timedelta(days=d))


def _key(s: ib.Settlement) -> list[tuple[object, ...]]:
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in s.to_records())


@given(contracts(), cohorts(), as_of_dates)
def test_no_cap_is_exceeded_and_total_is_sum_of_lines(
    contract: ib.Contract, cohort: tuple[list[ib.Participant], list[ib.Trajectory]], as_of: date
) -> None:
    s = ib.settle(contract, *cohort, as_of=as_of)
    ln = s.lines
    assert s.accrued_total.minor_units == int(ln.amount.sum())
    assert s.total.minor_units == int(ln.amount[ln.due].sum())
    assert (ln.amount >= 0).all() and (ln.amount <= ln.amount_before_caps).all()
    assert len(s.participants) + len(s.exclusions) == s.participants_in == len(cohort[0])
    rule_ids = [r.id for r in contract.payment_rules]
    for cap in contract.caps:
        covered = (
            np.array([cap.covers(r) for r in rule_ids])[ln.rule] if len(ln) else np.zeros(0, bool)
        )
        limit = cap.amount.minor_units
        if cap.scope is ib.CapScope.PARTICIPANT:
            groups = ln.participant[covered & (ln.participant >= 0)]
            amounts = ln.amount[covered & (ln.participant >= 0)]
        elif cap.scope is ib.CapScope.COHORT:
            groups, amounts = ln.cohort[covered], ln.amount[covered]
        else:
            groups, amounts = np.zeros(int(covered.sum()), dtype=np.int64), ln.amount[covered]
        for g in set(groups.tolist()):
            assert int(amounts[groups == g].sum()) <= limit


@given(contracts(), cohorts(), as_of_dates, st.randoms(use_true_random=False))
def test_permuting_participants_changes_nothing_and_settling_twice_is_identical(
    contract: ib.Contract,
    cohort: tuple[list[ib.Participant], list[ib.Trajectory]],
    as_of: date,
    rnd: random.Random,
) -> None:
    people, trajectories = cohort
    first = ib.settle(contract, people, trajectories, as_of=as_of)
    again = ib.settle(contract, people, trajectories, as_of=as_of)
    assert _key(first) == _key(again)
    shuffled_people, shuffled_traj = people[:], trajectories[:]
    rnd.shuffle(shuffled_people)
    rnd.shuffle(shuffled_traj)
    other = ib.settle(contract, shuffled_people, shuffled_traj, as_of=as_of)
    assert _key(first) == _key(other)
    assert first.total == other.total and first.by_cohort() == other.by_cohort()


@given(contracts(), cohorts(), as_of_dates, st.integers(1, 400))
def test_a_later_as_of_never_lowers_what_is_due(
    contract: ib.Contract,
    cohort: tuple[list[ib.Participant], list[ib.Trajectory]],
    as_of: date,
    later_by: int,
) -> None:
    # Every outcome here only accrues: months, job starts, retention events, rungs.
    early = ib.settle(contract, *cohort, as_of=as_of)
    late = ib.settle(contract, *cohort, as_of=as_of + timedelta(days=later_by))
    assert late.total >= early.total
    assert late.accrued_total + late.capped_total >= early.accrued_total


@given(contracts(caps=False, bonus=False), cohorts(), as_of_dates, st.data())
def test_two_halves_add_up_to_the_whole(
    contract: ib.Contract,
    cohort: tuple[list[ib.Participant], list[ib.Trajectory]],
    as_of: date,
    data: st.DataObject,
) -> None:
    # Without cohort-level terms (caps, bonuses) and with rounding per line or participant,
    # the cohort is a sum of its people.
    stage = data.draw(st.sampled_from([ib.RoundingStage.LINE, ib.RoundingStage.PARTICIPANT]))
    contract = attrs.evolve(contract, rounding_stage=stage)
    people, trajectories = cohort
    k = data.draw(st.integers(0, len(people)))
    whole = ib.settle(contract, people, trajectories, as_of=as_of)
    left = ib.settle(contract, people[:k], trajectories[:k], as_of=as_of)
    right = ib.settle(contract, people[k:], trajectories[k:], as_of=as_of)
    assert left.total + right.total == whole.total
    assert left.accrued_total + right.accrued_total == whole.accrued_total


class MonthlySettlement(RuleBasedStateMachine):
    """A service settles the same cohort again as time passes (a later ``as_of`` each run).

    What was due stays due, line for line and to the øre: an invoice once sent
    is never restated by later data of the same trajectories.
    """

    def __init__(self) -> None:
        super().__init__()
        self.contract: ib.Contract | None = None
        self.cohort: tuple[list[ib.Participant], list[ib.Trajectory]] | None = None
        self.as_of = START
        self.due: dict[tuple[object, ...], int] = {}

    @initialize(contract=contracts(), cohort=cohorts(), start=as_of_dates)
    def start(
        self,
        contract: ib.Contract,
        cohort: tuple[list[ib.Participant], list[ib.Trajectory]],
        start: date,
    ) -> None:
        self.contract, self.cohort, self.as_of = contract, cohort, start

    @rule(days=st.integers(1, 120))
    def settle_later(self, days: int) -> None:
        assert self.contract is not None and self.cohort is not None
        self.as_of += timedelta(days=days)
        s = ib.settle(self.contract, *self.cohort, as_of=self.as_of)
        due_now = {
            (r["participant_id"], r["rule"], r["period_start"], r["earned_on"]): r["amount"]
            for r in s.to_records()
            if r["due"]
        }
        for key, amount in self.due.items():
            assert due_now.get(key) == amount, key
        self.due = due_now

    @invariant()
    def due_amounts_are_non_negative(self) -> None:
        assert all(a >= 0 for a in self.due.values())


MonthlySettlement.TestCase.settings = settings(max_examples=25, stateful_step_count=6)
test_monthly_settlement = MonthlySettlement.TestCase
