"""Properties of the payment designs: tiers, caps (with mix caps), guarantees, the waterfall."""

from datetime import date, timedelta
from fractions import Fraction

import attrs
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import impactbond as ib
from impactbond.calendar import DayCount, MonthRounding, year_fraction
from impactbond.finance import (
    Guarantee,
    GuaranteeCall,
    ReturnCap,
    Tier,
    TierTable,
    TopUp,
    Waterfall,
)

D = date
EUR = "EUR"
START = D(2020, 1, 1)

fractions = st.fractions(min_value=0, max_value=2, max_denominator=200)
minor = st.integers(min_value=0, max_value=5_000_000)
dates = st.integers(min_value=0, max_value=6 * 365).map(lambda n: START + timedelta(days=n))


@st.composite
def tier_tables(draw: st.DrawFn) -> TierTable:
    cuts = sorted(draw(st.sets(fractions, min_size=1, max_size=6)))
    pays = sorted(draw(st.lists(minor, min_size=len(cuts), max_size=len(cuts))))
    ends: list[Fraction | None] = [*cuts[1:], draw(st.none() | st.just(cuts[-1] + 1))]
    return TierTable(
        [
            Tier(c, e, ib.Money.from_minor_units(p, EUR))
            for c, e, p in zip(cuts, ends, pays, strict=True)
        ]
    )


@given(tier_tables(), fractions, fractions)
def test_a_higher_effect_never_pays_less(table: TierTable, a: Fraction, b: Fraction) -> None:
    low, high = sorted((a, b))
    assert table.payment_for(low) <= table.payment_for(high)


# -- caps on a rate card of recorded events ------------------------------------------------

EVENTS = ("a", "b", "c")


def rate_card(per_person: int, mix_share: Fraction, mix_cohort: str) -> ib.Contract:
    return ib.Contract(
        id="card",
        title="Rate card",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="GBP",
        term_start=START,
        term_end=D(2024, 1, 1),
        referral_start=START,
        referral_end=D(2021, 1, 1),
        cohorts=[ib.CohortTerms("young"), ib.CohortTerms("adult")],
        outcomes=[ib.RecordedEvent(e, event=e, once=False) for e in EVENTS],
        payment_rules=[
            ib.PricePerUnit(f"pay_{e}", outcome=e, price=ib.Money(price, "GBP"))
            for e, price in zip(EVENTS, (700, 1300, 2600), strict=True)
        ],
        caps=[
            ib.Cap("per_person", scope="participant", amount=ib.Money(per_person, "GBP")),
            ib.Cap(
                "mix",
                scope="contract",
                amount=ib.Money(10**7, "GBP"),
                cohort=mix_cohort,
                share_of_paid=mix_share,
            ),
            ib.Cap(
                "route_a",
                scope="contract",
                amount=ib.Money(10**7, "GBP"),
                rules=["pay_a"],
                share_of_paid=Fraction(1, 2),
            ),
        ],
    )


@st.composite
def cohorts_with_events(
    draw: st.DrawFn,
) -> tuple[list[ib.Participant], dict[str, list[tuple[str, date]]]]:
    n = draw(st.integers(1, 8))
    people = [
        ib.Participant(f"p{i}", draw(st.sampled_from(["young", "adult"])), D(2020, 2, 3))
        for i in range(n)
    ]
    events = {
        p.id: draw(
            st.lists(
                st.tuples(
                    st.sampled_from(EVENTS),
                    st.integers(0, 600).map(lambda k: D(2020, 2, 3) + timedelta(days=k)),
                ),
                max_size=6,
            )
        )
        for p in people
    }
    return people, events


@settings(max_examples=60, deadline=None)
@given(
    cohorts_with_events(),
    st.integers(0, 6000),
    st.fractions(min_value=Fraction(1, 20), max_value=1, max_denominator=20),
    st.sampled_from(["young", "adult"]),
)
def test_no_cap_is_ever_exceeded(
    group: tuple[list[ib.Participant], dict[str, list[tuple[str, date]]]],
    per_person: int,
    share: Fraction,
    mix_cohort: str,
) -> None:
    people, events = group
    c = rate_card(per_person, share, mix_cohort)
    trajectories = [
        ib.Trajectory(p.id, [ib.Spell("unemployment_benefit", START, None)]) for p in people
    ]
    s = ib.settle(c, people, trajectories, as_of=D(2023, 1, 1), events=events)
    ln = s.lines
    assert (ln.amount >= 0).all() and (ln.amount <= ln.amount_before_caps).all()
    for row in range(len(people)):
        assert ln.amount[ln.participant == row].sum() <= per_person * 100
    total = int(ln.amount.sum())
    mix_cohort_index = [x.label for x in c.cohorts].index(mix_cohort)
    covered = int(ln.amount[ln.cohort == mix_cohort_index].sum())
    assert covered <= share * total
    route_a = int(ln.amount[ln.rule == 0].sum())
    assert route_a <= Fraction(1, 2) * total


# -- the waterfall ------------------------------------------------------------------------------


def eur_minor(n: int) -> ib.Money:
    return ib.Money.from_minor_units(n, EUR)


dated_money = st.lists(st.tuples(dates, minor.map(eur_minor)), min_size=1, max_size=5)


@st.composite
def waterfalls(draw: st.DrawFn) -> Waterfall:
    investments = draw(dated_money)
    last = max(d for d, _ in investments)
    called = draw(st.sampled_from(list(GuaranteeCall)))
    after = st.integers(0, 4 * 365).map(lambda n: last + timedelta(days=n))
    maturity = draw(after)
    day_count = draw(st.sampled_from(list(DayCount)))
    return Waterfall(
        investments=investments,
        fees=draw(st.lists(st.tuples(dates, minor.map(eur_minor)), max_size=3)),
        top_up=draw(
            st.none() | st.builds(TopUp, st.just("fund"), st.fractions(0, 1, max_denominator=50))
        ),
        return_cap=draw(
            st.none()
            | st.builds(
                ReturnCap,
                irr=st.none() | st.fractions(0, Fraction(1, 2), max_denominator=100),
                multiple=st.fractions(1, 3, max_denominator=20),
                day_count=st.just(day_count),
                month_rounding=st.sampled_from([MonthRounding.DOWN, MonthRounding.UP]),
            )
        ),
        guarantee=draw(
            st.none()
            | st.builds(
                Guarantee,
                st.just("guarantor"),
                st.fractions(0, 1, max_denominator=50),
                st.none() | minor.map(eur_minor),
                called=st.just(called),
                on=st.just(draw(after)) if called is GuaranteeCall.ON_DATE else st.none(),
            )
        ),
        maturity=maturity,
        final_determination=maturity + timedelta(days=draw(st.integers(0, 200))),
    )


@settings(max_examples=150, deadline=None)
@given(waterfalls(), dated_money)
def test_money_only_moves_between_the_parties(
    w: Waterfall, payments: list[tuple[date, ib.Money]]
) -> None:
    flows = w.run(payments)
    assert flows.total() == ib.Money(0, EUR)
    assert sum(flows.by_party().values(), ib.Money(0, EUR)) == ib.Money(0, EUR)
    assert flows.total("provider").amount >= 0


@settings(max_examples=150, deadline=None)
@given(waterfalls(), dated_money, st.fractions(0, 1, max_denominator=50))
def test_a_guarantee_never_makes_the_investors_loss_larger(
    w: Waterfall, payments: list[tuple[date, ib.Money]], share: Fraction
) -> None:
    bare = attrs.evolve(w, guarantee=None)
    guarantee = w.guarantee or Guarantee("guarantor", share, called=GuaranteeCall.MATURITY)
    guaranteed = attrs.evolve(w, guarantee=guarantee)
    flows = guaranteed.run(payments)
    assert flows.total("investor") >= bare.run(payments).total("investor")
    # The guarantor pays on the call date, never before the last investment.
    called = guaranteed.guarantee_call_date()
    assert called is not None and called >= max(d for d, _ in w.investments)
    assert all(c.on == called for c in flows if c.memo == "guarantee")


@settings(max_examples=150, deadline=None)
@given(waterfalls(), dated_money)
def test_a_return_cap_is_never_passed(w: Waterfall, payments: list[tuple[date, ib.Money]]) -> None:
    flows = w.run(payments)
    cap = w.return_cap
    if cap is None or cap.multiple is None:
        return
    invested = sum(m.minor_units for _, m in w.investments)
    received = sum(
        c.amount.minor_units for c in flows if c.party == "investor" and c.memo == "outcome payment"
    )
    assert received <= cap.multiple * invested
    if cap.irr is None:
        return
    assert cap.day_count is not None
    if cap.day_count is DayCount.ACTUAL_365_FIXED and w.guarantee is None:
        rate = flows.xirr("investor")
        assert rate is None or rate <= float(cap.irr) + 1e-9 or np.isclose(rate, float(cap.irr))
    # At every receipt, in floats (a slow reference): the investments by then grown at the
    # cap's rate, less the receipts so far grown the same way, never fall below zero.
    receipts = [
        (c.on, c.amount.minor_units)
        for c in flows
        if c.party == "investor" and c.memo == "outcome payment"
    ]
    for k, (on, _) in enumerate(receipts):

        def grown(minor: int, start: date, on: date = on) -> float:
            years = year_fraction(start, on, cap.day_count, cap.month_rounding)
            return minor * (1 + float(cap.irr)) ** float(years)

        room = sum(grown(m.minor_units, d) for d, m in w.investments if d <= on)
        room -= sum(grown(minor, d) for d, minor in receipts[: k + 1])
        assert room >= -1e-6 * max(1.0, abs(room)) - 1e-3
