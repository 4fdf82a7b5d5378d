"""Hypothesis strategies for contracts, participants and trajectories.

Use them to property-test your own contracts and pipelines::

    from hypothesis import given
    from impactbond.testing import strategies as ibst

    @given(ibst.contracts(currency="DKK"))
    def test_round_trip(contract):
        assert loads_contract(dumps_contract(contract)) == contract

Every strategy builds *valid* objects (the domain validators pass); the
composite ones keep references consistent (rules price known outcomes, caps
name known rules, clauses cited exist).  This module imports ``hypothesis``;
it is meant for tests only.

>>> from hypothesis import given
>>> @given(contracts())
... def check(contract):
...     assert contract.payment_rules
>>> check()
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from impactbond.calendar import DayCount, MonthRounding
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.contract import Amendment, Clause, CohortTerms, Contract, Parties
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    MissingHours,
    Progression,
    Retention,
    SelfSufficiency,
    StatusAtFollowUp,
    SustainedEmployment,
    Window,
)
from impactbond.domain.participant import Participant
from impactbond.domain.payment import (
    AchievementMetric,
    ActivityFee,
    BenefitSaving,
    Cap,
    CapScope,
    EffectTierPayment,
    FixedFee,
    PaymentSchedule,
    PricePerUnit,
    SavingsSharePayment,
    TargetBonus,
    WeightedAchievementPayment,
    unit_prices,
)
from impactbond.domain.terms import (
    DatedAmount,
    DeliveryFee,
    Financing,
    Guarantee,
    GuaranteeCall,
    RefusionSchedule,
    ReturnCap,
    Tier,
    TopUp,
)
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.money import MINOR_UNITS, Money, Rounding, RoundingStage, minor_unit_digits
from impactbond.status import BENEFITS, Status

__all__ = [
    "caps",
    "change_logs",
    "clauses",
    "cohort_terms",
    "contracts",
    "currencies",
    "financing",
    "ids",
    "money",
    "outcomes",
    "participants",
    "payment_rules",
    "people",
    "schedules",
    "spells",
    "statuses",
    "tier_tables",
    "trajectories",
    "weights",
    "windows",
]

#: Strategies of the element kinds, for ``st.SearchStrategy[...]`` annotations.
Strategy = st.SearchStrategy

_EARLIEST = date(2015, 1, 1)
_LATEST = date(2035, 12, 31)


def ids() -> Strategy[str]:
    """Identifiers as contracts use them: ``pay_months``, ``cap-1``, ``5.1``."""
    return st.from_regex(r"[a-z][a-z0-9_.\-]{0,11}", fullmatch=True)


def currencies() -> Strategy[str]:
    """ISO codes the :mod:`impactbond.money` module knows."""
    return st.sampled_from(sorted(MINOR_UNITS))


def statuses() -> Strategy[Status]:
    """Any register :class:`~impactbond.status.Status`."""
    return st.sampled_from(list(Status))


def money(
    currency: str = "DKK", *, max_amount: int = 10_000_000, places: int = 4
) -> Strategy[Money]:
    """Non-negative exact amounts of ``currency`` with up to ``places`` decimals."""
    return st.decimals(
        min_value=0, max_value=max_amount, places=places, allow_nan=False, allow_infinity=False
    ).map(lambda amount: Money(amount, currency))


def _fractions(lo: int | Fraction, hi: int | Fraction) -> Strategy[Fraction]:
    return st.fractions(min_value=lo, max_value=hi, max_denominator=1000)


def weights() -> Strategy[tuple[tuple[Status, Fraction], ...]]:
    """Status weights: one to four statuses, each weighted in [0, 1]."""
    return st.dictionaries(statuses(), _fractions(0, 1), min_size=1, max_size=4).map(
        lambda d: tuple(sorted(d.items()))
    )


def windows() -> Strategy[Window]:
    """Measurement windows of 1 to 60 months."""
    return st.builds(
        Window,
        length_months=st.integers(1, 60),
        start_months=st.integers(0, 12),
        anchor=st.sampled_from(["enrolled", "referred"]),
        month_rounding=st.sampled_from(list(MonthRounding)),
    )


@st.composite
def _ladder(draw: st.DrawFn) -> tuple[tuple[Status, ...], ...]:
    chosen = draw(st.lists(statuses(), min_size=2, max_size=8, unique=True))
    cuts = sorted(draw(st.sets(st.integers(1, len(chosen) - 1), min_size=1)))
    bounds = [0, *cuts, len(chosen)]
    return tuple(tuple(chosen[a:b]) for a, b in itertools.pairwise(bounds))


@st.composite
def _employment_months(draw: st.DrawFn, outcome_id: str, clause: Strategy[str]) -> EmploymentMonths:
    convention = draw(st.sampled_from(list(AccrualConvention)))
    daily = convention is not AccrualConvention.WEEKS_52_12
    norm = draw(st.none() | st.decimals(1, 60, places=2)) if daily else None
    return EmploymentMonths(
        outcome_id,
        clause=draw(clause),
        weights=draw(weights()),
        convention=convention,
        hours_norm=norm,
        missing_hours=None if norm is None else draw(st.sampled_from(list(MissingHours))),
        window=draw(windows()),
    )


@st.composite
def follow_ups(
    draw: st.DrawFn, outcome_id: str = "outcome", clause: Strategy[str] | None = None
) -> StatusAtFollowUp:
    """A status-at-follow-up outcome: 1-5 follow-ups, perhaps with a look-back."""
    months = sorted(draw(st.sets(st.integers(1, 72), min_size=1, max_size=5)))
    look = draw(st.sampled_from(["none", "months", "days"]))
    without: set[Status] = set()
    excepted: set[Status] = set()
    if look != "none":
        without = draw(st.sets(statuses(), max_size=4))
        base = sorted(without or BENEFITS)
        excepted = draw(st.sets(st.sampled_from(base), max_size=2))
    return StatusAtFollowUp(
        outcome_id,
        clause=draw(clause if clause is not None else st.just("")),
        follow_up_months=months,
        statuses=draw(st.sets(statuses(), min_size=1, max_size=3)),
        anchor=draw(st.sampled_from(["enrolled", "referred"])),
        month_rounding=draw(st.sampled_from(list(MonthRounding))),
        lookback_months=draw(st.integers(1, 120)) if look == "months" else None,
        lookback_days=draw(st.integers(1, 3653)) if look == "days" else None,
        without_statuses=without,
        except_statuses=excepted,
    )


def outcomes(outcome_id: str = "outcome", clause: Strategy[str] | None = None) -> Strategy[Any]:
    """Any outcome kind with id ``outcome_id`` (clause drawn from ``clause``)."""
    clauses_ = clause if clause is not None else st.just("")
    common: dict[str, Any] = {"clause": clauses_, "window": windows()}
    return st.one_of(
        _employment_months(outcome_id, clauses_),
        st.builds(JobStart, st.just(outcome_id), weights=weights(), **common),
        st.builds(
            SustainedEmployment,
            st.just(outcome_id),
            weeks=st.integers(1, 104),
            allowed_gap_weeks=st.integers(0, 8),
            cumulative=st.booleans(),
            weights=weights(),
            **common,
        ),
        st.builds(
            SustainedEmployment,
            st.just(outcome_id),
            weeks=st.integers(1, 104),
            min_weekly_hours=st.decimals(1, 40, places=2),
            missing_hours=st.sampled_from(list(MissingHours)),
            weights=weights(),
            **common,
        ),
        st.builds(
            Retention,
            st.just(outcome_id),
            horizon_weeks=st.integers(1, 104),
            same_employer=st.booleans(),
            weights=weights(),
            **common,
        ),
        st.builds(
            Retention,
            st.just(outcome_id),
            horizon_months=st.integers(1, 24),
            same_employer=st.booleans(),
            weights=weights(),
            **common,
        ),
        st.builds(
            SelfSufficiency,
            st.just(outcome_id),
            weights=weights(),
            convention=st.sampled_from(list(AccrualConvention)),
            without_benefit_weeks=st.none() | st.integers(1, 104),
            **common,
        ),
        st.builds(Progression, st.just(outcome_id), ladder=_ladder(), **common),
        follow_ups(outcome_id, clauses_),
    )


def payment_rules(
    rule_id: str,
    outcome_ids: list[str],
    cohort_labels: list[str],
    currency: str = "DKK",
    clause: Strategy[str] | None = None,
) -> Strategy[Any]:
    """Any payment rule kind on known outcomes and cohorts, all money in ``currency``."""
    clauses_ = clause if clause is not None else st.just("")
    return _design_rules(rule_id, outcome_ids, cohort_labels, currency, clauses_) | st.one_of(
        st.builds(
            PricePerUnit,
            st.just(rule_id),
            clause=clauses_,
            outcome=st.sampled_from(outcome_ids),
            price=money(currency, max_amount=1_000_000),
            cohorts=st.lists(st.sampled_from(cohort_labels), unique=True).map(tuple),
            max_units_per_participant=st.none() | _fractions(0, 100),
        ),
        st.builds(
            TargetBonus,
            st.just(rule_id),
            clause=clauses_,
            outcome=st.sampled_from(outcome_ids),
            cohort=st.sampled_from(cohort_labels),
            target=_fractions(Fraction(1, 1000), 1000),
            bonus=money(currency, max_amount=1_000_000),
        ),
        st.builds(
            TargetBonus,
            st.just(rule_id),
            clause=clauses_,
            outcome=st.sampled_from(outcome_ids),
            cohort=st.sampled_from(cohort_labels),
            target_share=_fractions(Fraction(1, 1000), 1),
            bonus=money(currency, max_amount=1_000_000),
        ),
    )


@st.composite
def tier_tables(draw: st.DrawFn, currency: str = "DKK") -> tuple[Tier, ...]:
    """Monotone tier tables: 1-4 tiers without gaps, payments never falling, top one open."""
    n = draw(st.integers(1, 4))
    bounds = sorted(draw(st.lists(_fractions(0, 2), min_size=n, max_size=n, unique=True)))
    pays = sorted(draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n)))
    return tuple(
        Tier(
            bounds[i],
            bounds[i + 1] if i + 1 < n else None,
            Money.from_minor_units(pays[i], currency),
        )
        for i in range(n)
    )


@st.composite
def _effect_rule(
    draw: st.DrawFn,
    rule_id: str,
    outcome_ids: list[str],
    cohort_labels: list[str],
    currency: str,
    clauses_: Strategy[str],
) -> EffectTierPayment:
    measure = draw(st.sampled_from(["share", "events_per_person"]))
    per_event = draw(st.booleans())
    tiers = () if per_event else draw(tier_tables(currency))
    top = tiers[-1].from_effect if tiers else Fraction(1, 2)
    people = draw(st.none() | st.integers(1, 10**6))
    counted = people is not None and draw(st.booleans())
    events = None
    if counted:
        assert people is not None
        events = draw(st.integers(1, people if measure == "share" else 3 * people))
    most = 1 if measure == "share" else 3
    return EffectTierPayment(
        rule_id,
        clause=draw(clauses_),
        outcome=draw(st.sampled_from(outcome_ids)),
        tiers=tiers,
        price_per_event_avoided=draw(money(currency, max_amount=10**6)) if per_event else None,
        measure=measure,
        direction=draw(st.sampled_from(["increase", "reduction"])),
        gate=draw(_fractions(0, top)),
        pooled_gate=draw(st.none() | _fractions(0, top)),
        per_participant=draw(st.booleans()),
        comparison_rate=None if counted else draw(st.none() | _fractions(Fraction(1, 1000), most)),
        comparison_people=people,
        comparison_events=events,
        comparison_source=draw(st.text(max_size=20)),
        cohorts=tuple(draw(st.lists(st.sampled_from(cohort_labels), unique=True))),
        measured_on=draw(st.none() | _dates()),
    )


@st.composite
def _weighted_rule(
    draw: st.DrawFn,
    rule_id: str,
    outcome_ids: list[str],
    cohort_labels: list[str],
    currency: str,
    clauses_: Strategy[str],
) -> WeightedAchievementPayment:
    chosen = draw(st.lists(st.sampled_from(outcome_ids), min_size=1, max_size=3, unique=True))
    cuts = sorted(
        draw(
            st.lists(
                _fractions(Fraction(1, 100), Fraction(99, 100)),
                min_size=len(chosen) - 1,
                max_size=len(chosen) - 1,
                unique=True,
            )
        )
    )
    bounds = [Fraction(0), *cuts, Fraction(1)]
    metrics = []
    for i, outcome in enumerate(chosen):
        share = draw(st.booleans())
        metrics.append(
            AchievementMetric(
                outcome,
                bounds[i + 1] - bounds[i],
                target=None if share else Fraction(draw(st.integers(1, 1000))),
                target_share=Fraction(draw(st.integers(1, 20)), 20) if share else None,
                max_achievement=Fraction(draw(st.integers(1, 20)), 10),
            )
        )
    return WeightedAchievementPayment(
        rule_id,
        clause=draw(clauses_),
        full_payment=draw(money(currency, max_amount=10**6)),
        metrics=metrics,
        measured_on=draw(_dates()),
        cohorts=tuple(draw(st.lists(st.sampled_from(cohort_labels), unique=True))),
    )


def _dated_amounts(currency: str, min_size: int = 1) -> Strategy[tuple[DatedAmount, ...]]:
    return st.lists(
        st.builds(DatedAmount, _dates(), money(currency, max_amount=10**7)),
        min_size=min_size,
        max_size=4,
    ).map(lambda xs: tuple(sorted(xs, key=lambda x: x.on)))


def _design_rules(
    rule_id: str,
    outcome_ids: list[str],
    cohort_labels: list[str],
    currency: str,
    clauses_: Strategy[str],
) -> Strategy[Any]:
    cohorts_ = st.lists(st.sampled_from(cohort_labels), unique=True).map(tuple)
    savings = st.builds(
        SavingsSharePayment,
        st.just(rule_id),
        clause=clauses_,
        share=_fractions(0, 1),
        measured_on=_dates(date(2016, 1, 4)),
        tax_gain_per_person=st.none() | money(currency, max_amount=10**5),
        transfer_change_per_person=st.none() | money(currency, max_amount=10**5),
        benefit_savings=st.lists(
            st.builds(
                BenefitSaving,
                st.sampled_from(["sickness_benefit", "cash_benefit"]),
                _fractions(0, 60),
                money(currency, max_amount=10**4),
                st.integers(1, 60),
            ),
            max_size=2,
        ).map(tuple),
        refusion=st.just((RefusionSchedule.sickness_benefit_example(),)) | st.just(()),
        cohorts=cohorts_,
    )
    fixed = st.builds(
        FixedFee,
        st.just(rule_id),
        clause=clauses_,
        instalments=_dated_amounts(currency),
        cohort=st.none() | st.sampled_from(cohort_labels),
        payee=st.sampled_from(["provider", "investor"]),
    )
    activity = st.builds(
        ActivityFee,
        st.just(rule_id),
        clause=clauses_,
        fee=money(currency, max_amount=10**6),
        cohorts=cohorts_,
        payee=st.sampled_from(["provider", "investor"]),
    )
    effect = _effect_rule(rule_id, outcome_ids, cohort_labels, currency, clauses_)
    weighted = _weighted_rule(rule_id, outcome_ids, cohort_labels, currency, clauses_)
    return st.one_of(effect, savings, weighted, fixed, activity)


def financing(
    currency: str = "DKK", *, latest_investment: date | None = None
) -> Strategy[Financing]:
    """Financing terms: investments, and maybe a top-up, return cap, guarantee, delivery fee.

    Investments fall on or before ``latest_investment`` (a contract's
    ``term_end`` keeps a guarantee called at maturity or final determination
    valid); a guarantee called on a named date is called on or after the last
    investment.
    """
    return _financing(currency, latest_investment)


@st.composite
def _financing(draw: st.DrawFn, currency: str, latest_investment: date | None) -> Financing:
    positive = money(currency, max_amount=10**7).filter(lambda m: m.amount > 0)
    hi = latest_investment if latest_investment is not None else _LATEST
    investments = draw(
        st.lists(st.builds(DatedAmount, _dates(_EARLIEST, hi), positive), min_size=1, max_size=3)
    )
    last = max(i.on for i in investments)
    day_count = draw(st.sampled_from(list(DayCount)))
    whole = day_count in (DayCount.WHOLE_YEARS, DayCount.WHOLE_MONTHS)
    rounding = [MonthRounding.UP, MonthRounding.DOWN] if whole else list(MonthRounding)
    return_cap = st.builds(
        ReturnCap,
        irr=_fractions(0, 1),
        multiple=st.none() | _fractions(0, 3),
        day_count=st.just(day_count),
        month_rounding=st.sampled_from(rounding),
    )
    called = draw(st.sampled_from(list(GuaranteeCall)))
    on = draw(_dates(last, max(last, _LATEST))) if called is GuaranteeCall.ON_DATE else None
    guarantee = st.builds(
        Guarantee,
        ids(),
        _fractions(0, 1),
        st.none() | money(currency),
        called=st.just(called),
        on=st.just(on),
    )
    return Financing(
        tuple(sorted(investments, key=lambda x: x.on)),
        top_up=draw(st.none() | st.builds(TopUp, ids(), _fractions(0, 1))),
        return_cap=draw(st.none() | return_cap),
        guarantee=draw(st.none() | guarantee),
        delivery_fee=draw(
            st.none()
            | st.builds(
                DeliveryFee,
                _fractions(0, 1),
                money(currency),
                st.lists(_dates(), min_size=1, max_size=3).map(tuple),
            )
        ),
        clause="",
    )


def caps(
    cap_id: str,
    rule_ids: list[str],
    cohort_labels: list[str],
    currency: str = "DKK",
    clause: Strategy[str] | None = None,
) -> Strategy[Cap]:
    """A cap of any scope on known rules and cohorts (a contract-wide one may be a mix cap)."""
    common = {
        "clause": clause if clause is not None else st.just(""),
        "amount": money(currency),
        "rules": st.lists(st.sampled_from(rule_ids), unique=True).map(tuple),
        "cohort": st.none() | st.sampled_from(cohort_labels),
    }
    amount_cap = st.builds(Cap, st.just(cap_id), scope=st.sampled_from(list(CapScope)), **common)
    mix_cap = st.builds(
        Cap,
        st.just(cap_id),
        scope=st.just(CapScope.CONTRACT),
        share_of_paid=_fractions(Fraction(1, 100), 1).filter(lambda f: f > 0),
        **common,
    )
    return amount_cap | mix_cap


def cohort_terms(
    label: str, outcome_ids: list[str], clause: Strategy[str] | None = None
) -> Strategy[CohortTerms]:
    """Terms of the cohort ``label``, possibly with a target on one of ``outcome_ids``."""
    return st.builds(
        CohortTerms,
        st.just(label),
        description=st.text(max_size=30),
        eligible_statuses=st.lists(statuses(), unique=True, max_size=3).map(tuple),
        target_outcome=st.none() | st.sampled_from(outcome_ids),
        target=st.none() | _fractions(0, 1000),
        max_participants=st.none() | st.integers(1, 10_000),
        clause=clause if clause is not None else st.just(""),
    )


def clauses(clause_id: str) -> Strategy[Clause]:
    """A clause with any text (English and Danish)."""
    return st.builds(
        Clause,
        st.just(clause_id),
        title=st.text(max_size=20),
        text=st.text(),
        text_da=st.text(),
        title_da=st.text(max_size=20),
    )


@st.composite
def change_logs(
    draw: st.DrawFn, clause_ids: list[str], first: date = _EARLIEST
) -> tuple[Amendment, ...]:
    """A change log of 0-3 versions, oldest first, each citing some of ``clause_ids``."""
    n = draw(st.integers(0, 3))
    day = draw(_dates(first, date(2030, 1, 1)))
    log = []
    for i in range(n):
        day += timedelta(days=draw(st.integers(0, 400)))
        cited: Any = draw(
            st.lists(st.sampled_from(clause_ids), unique=True) if clause_ids else st.just([])
        )
        log.append(
            Amendment(
                f"{i + 1}",
                day,
                draw(st.text(max_size=40)),
                draw(st.text(max_size=40)),
                cited,
            )
        )
    return tuple(log)


def schedules() -> Strategy[PaymentSchedule]:
    """Invoice periods of 1 to 12 months, verification lags of 0 to 180 days."""
    return st.builds(
        PaymentSchedule,
        invoice_months=st.integers(1, 12),
        verification_lag_days=st.integers(0, 180),
    )


def _dates(lo: date = _EARLIEST, hi: date = _LATEST) -> Strategy[date]:
    return st.dates(min_value=lo, max_value=hi)


@st.composite
def contracts(draw: st.DrawFn, currency: str | None = None) -> Contract:
    """Valid contracts: 1-3 cohorts, 1-4 outcomes, 1-5 payment rules, 0-3 caps.

    Ids are unique, every reference (outcome, cohort, rule, clause) is known,
    and all money is in one currency (``currency``, or drawn).
    """
    cur = currency if currency is not None else draw(currencies())
    names = ids()
    cohort_labels = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    clause_ids = draw(st.lists(names, max_size=4, unique=True))
    clause_ref = st.sampled_from(["", *clause_ids])
    outcome_ids = [f"outcome_{i}" for i in range(draw(st.integers(1, 4)))]
    rule_ids = [f"rule_{i}" for i in range(draw(st.integers(1, 5)))]
    cap_ids = [f"cap_{i}" for i in range(draw(st.integers(0, 3)))]
    term_start = draw(_dates(_EARLIEST, date(2030, 1, 1)))
    cohorts: list[Any] = [draw(cohort_terms(c, outcome_ids, clause_ref)) for c in cohort_labels]
    cap_terms: list[Any] = [
        draw(caps(c, rule_ids, cohort_labels, cur, clause_ref)) for c in cap_ids
    ]
    texts: list[Any] = [draw(clauses(c)) for c in clause_ids]
    span = draw(st.integers(1, 3000))
    term_end = term_start + timedelta(days=span)
    # The referral window lies inside the term.
    referral_start = term_start + timedelta(days=draw(st.integers(0, span)))
    referral_end = referral_start + timedelta(
        days=draw(st.integers(0, (term_end - referral_start).days))
    )
    rules = [draw(payment_rules(r, outcome_ids, cohort_labels, cur, clause_ref)) for r in rule_ids]
    # Unit prices finer than the currency's minor unit need the contract to say so.
    digits = minor_unit_digits(cur)
    finer = any(
        -int(amount.amount.normalize().as_tuple().exponent) > digits
        for rule in rules
        for _, amount in unit_prices(rule)
    )
    log: Any = draw(change_logs(clause_ids))
    return Contract(
        id=draw(names),
        title=draw(st.text(max_size=40)),
        parties=draw(
            st.builds(Parties, st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
        ),
        currency=cur,
        term_start=term_start,
        term_end=term_end,
        referral_start=referral_start,
        referral_end=referral_end,
        cohorts=cohorts,
        outcomes=[draw(outcomes(o, clause_ref)) for o in outcome_ids],
        payment_rules=rules,
        caps=cap_terms,
        schedule=draw(schedules()),
        rounding=draw(st.sampled_from(list(Rounding))),
        rounding_stage=draw(st.sampled_from(list(RoundingStage))),
        clauses=texts,
        month_rounding=draw(st.sampled_from([MonthRounding.UP, MonthRounding.DOWN])),
        description=draw(st.text(max_size=40)),
        financing=draw(st.none() | financing(cur, latest_investment=term_end)),
        version=log[-1].version if log else draw(st.sampled_from(["", "1", "2.1"])),
        effective_date=log[-1].effective if log else draw(st.none() | _dates()),
        amendments=log,
        exact_unit_prices=finer or draw(st.booleans()),
    )


# -- people ----------------------------------------------------------------------------


def participants(
    cohorts: tuple[str, ...] = ("sick_listed", "unemployed"),
    participant_id: Strategy[str] | None = None,
    start: date = date(2023, 1, 1),
    end: date = date(2025, 12, 31),
) -> Strategy[Participant]:
    """Participants enrolled in ``[start, end]``, referred up to 60 days before."""

    @st.composite
    def build(draw: st.DrawFn) -> Participant:
        pid = draw(
            participant_id
            if participant_id is not None
            else st.from_regex(r"P-[0-9]{4}", fullmatch=True)
        )
        enrolled = draw(_dates(start, end))
        referred = draw(st.none() | st.integers(0, 60).map(lambda d: enrolled - timedelta(days=d)))
        exited = draw(st.none() | st.integers(0, 900).map(lambda d: enrolled + timedelta(days=d)))
        return Participant(pid, draw(st.sampled_from(cohorts)), enrolled, referred, exited)

    return build()


def spells(start: date = date(2022, 1, 1), end: date = date(2027, 12, 31)) -> Strategy[Spell]:
    """One spell inside ``[start, end]`` (possibly open), with optional hours and employer."""

    @st.composite
    def build(draw: st.DrawFn) -> Spell:
        first = draw(_dates(start, end - timedelta(days=1)))
        last = draw(st.none() | _dates(first + timedelta(days=1), end))
        return Spell(
            draw(statuses()),
            first,
            last,
            hours=draw(st.none() | st.decimals(0, 60, places=2)),
            employer=draw(st.none() | st.sampled_from(["E1", "E2", "E3"])),
        )

    return build()


@st.composite
def trajectories(
    draw: st.DrawFn,
    participant_id: str | None = None,
    start: date = date(2022, 1, 1),
    max_spells: int = 6,
) -> Trajectory:
    """Sorted, non-overlapping spells (gaps allowed), the last possibly open."""
    pid = (
        participant_id
        if participant_id is not None
        else draw(st.from_regex(r"P-[0-9]{4}", fullmatch=True))
    )
    n = draw(st.integers(0, max_spells))
    day = start + timedelta(days=draw(st.integers(0, 365)))
    items: list[Spell] = []
    for i in range(n):
        day += timedelta(days=draw(st.integers(0, 60)))  # a gap, maybe none
        length = draw(st.integers(1, 400))
        is_open = i == n - 1 and draw(st.booleans())
        end = None if is_open else day + timedelta(days=length)
        hours: Decimal | None = draw(st.none() | st.decimals(0, 60, places=2))
        employer = draw(st.none() | st.sampled_from(["E1", "E2", "E3"]))
        items.append(Spell(draw(statuses()), day, end, hours=hours, employer=employer))
        if end is not None:
            day = end
    return Trajectory(pid, tuple(items))


@st.composite
def people(
    draw: st.DrawFn,
    cohorts: tuple[str, ...] = ("sick_listed", "unemployed"),
    min_size: int = 1,
    max_size: int = 8,
) -> tuple[list[Participant], list[Trajectory]]:
    """Participants with unique ids and one trajectory each (same order)."""
    n = draw(st.integers(min_size, max_size))
    pids = [f"P-{i:04d}" for i in range(n)]
    found = [draw(participants(cohorts, st.just(pid))) for pid in pids]
    paths = [
        draw(trajectories(pid, start=p.enrolled - timedelta(days=200)))
        for pid, p in zip(pids, found, strict=True)
    ]
    return found, paths
