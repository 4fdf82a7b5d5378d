"""Finance: cash flows and their analysis, refusion, effect tiers, the waterfall."""

from datetime import date
from fractions import Fraction as F

import numpy_financial as npf
import pytest
import pyxirr

import impactbond as ib
from impactbond.calendar import DayCount
from impactbond.domain.payment import EffectTierPayment
from impactbond.errors import CurrencyMismatch, InvalidContract, InvalidInput
from impactbond.finance import (
    CashFlows,
    ComparisonGroup,
    Guarantee,
    GuaranteeCall,
    RefusionSchedule,
    ReturnCap,
    Tier,
    TierTable,
    TopUp,
    Waterfall,
    break_even,
    delivery_fees,
    irr,
    money_multiple,
    municipal_net_cost,
    municipal_net_saving,
    npv,
    payback_date,
    xirr,
    xnpv,
)

D = date
EUR = "EUR"


def eur(x: int | str) -> ib.Money:
    return ib.Money(x, EUR)


# -- analysis against the reference libraries --------------------------------------


@pytest.mark.parametrize(
    "values",
    [[-100, 39, 59, 55, 20], [-1000, 0, 0, 1500], [-500, 200, 200, 200], [-100, 230, -132]],
)
def test_npv_and_irr_equal_numpy_financial(values: list[int]) -> None:
    for rate in (0.0, 0.05, 0.1, 0.25):
        assert npv(rate, values) == pytest.approx(npf.npv(rate, values), rel=1e-12, abs=1e-9)
    assert irr(values) == pytest.approx(npf.irr(values), abs=1e-9)


def test_irr_without_a_sign_change_is_none() -> None:
    assert irr([1, 2]) is None and xirr([D(2020, 1, 1), D(2021, 1, 1)], [-1, -2]) is None


DATED = [
    ([D(2020, 1, 1), D(2020, 7, 1), D(2022, 3, 15)], [-1000, 200, 1100]),
    ([D(2019, 5, 1), D(2021, 2, 28), D(2021, 8, 31), D(2024, 1, 1)], [-14300, 900, 2000, 3900]),
    ([D(2021, 1, 1), D(2021, 1, 1), D(2023, 6, 30)], [-600, -400, 1500]),
]


@pytest.mark.parametrize(("dates", "values"), DATED)
def test_xirr_and_xnpv_equal_pyxirr(dates: list[date], values: list[int]) -> None:
    assert xirr(dates, values) == pytest.approx(pyxirr.xirr(dates, values), abs=1e-9)
    for rate in (0.0, 0.03, 0.12):
        assert xnpv(rate, dates, values) == pytest.approx(
            pyxirr.xnpv(rate, dates, values), rel=1e-12, abs=1e-9
        )


def test_money_multiple_and_payback() -> None:
    assert money_multiple([-100, 50, 70]) == F(6, 5)
    assert money_multiple([10]) is None
    days = [D(2020, 1, 1), D(2021, 1, 1), D(2022, 1, 1), D(2023, 1, 1)]
    assert payback_date(days, [-100, 50, 49, 1]) == D(2023, 1, 1)
    assert payback_date(days, [-100, 50, 40, 1]) is None
    assert payback_date(days[:1], [5]) is None


# -- the ledger ---------------------------------------------------------------------


def test_transfers_balance_and_each_party_sees_its_own_sign() -> None:
    f = CashFlows(EUR).transfer("investor", "provider", D(2020, 1, 1), eur(1000))
    f = f.transfer("payer", "investor", D(2021, 1, 1), eur(600))
    f = f.transfer("payer", "investor", D(2021, 1, 1), eur(600))
    assert f.by_party() == {"investor": eur(200), "provider": eur(1000), "payer": eur(-1200)}
    assert f.total() == eur(0)
    assert f.of("investor") == ([D(2020, 1, 1), D(2021, 1, 1)], [eur(-1000), eur(1200)])
    assert f.xirr("investor") == pytest.approx(0.2, abs=1e-3)
    assert f.payback_date("investor") == D(2021, 1, 1)
    assert (f + CashFlows(EUR)).total("payer") == eur(-1200)
    with pytest.raises(CurrencyMismatch):
        f.add("payer", D(2021, 1, 1), ib.Money(1, "DKK"))


# -- refusion -------------------------------------------------------------------------


def test_sickness_benefit_refusion_by_week() -> None:
    sick = RefusionSchedule.sickness_benefit_example()
    # 60 weeks at DKK 4,500: weeks 1-4 cost 20 %, 5-26 60 %, 27-52 70 %, 53-60 80 %.
    expected = 4500 * (4 * F(1, 5) + 22 * F(3, 5) + 26 * F(7, 10) + 8 * F(4, 5))
    assert municipal_net_cost(60, ib.Money(4500, "DKK"), sick).amount == expected == 173700
    saving = municipal_net_saving(60, ib.Money(4500, "DKK"), sick, ib.Money(200000, "DKK"))
    assert saving == ib.Money(-26300, "DKK")


def test_refusion_schedule_in_force_on_a_date() -> None:
    old = RefusionSchedule("sickness_benefit", [(1, None, "1/2")], valid_from=D(2010, 1, 1))
    new = RefusionSchedule.sickness_benefit_example()
    assert RefusionSchedule.in_force([old, new], "sickness_benefit", D(2015, 6, 1)) is old
    assert RefusionSchedule.in_force([old, new], "sickness_benefit", D(2020, 6, 1)) is new
    with pytest.raises(InvalidInput):
        RefusionSchedule.in_force([old, new], "sickness_benefit", D(2009, 6, 1))


@pytest.mark.parametrize(
    "bands",
    [
        [(1, 4, "4/5"), (4, None, "1/5")],  # overlap
        [(2, None, "1/5")],  # does not start at week 1
        [(1, 4, "4/5")],  # not open-ended
        [(1, None, "6/5")],  # share above 100 %
    ],
)
def test_bad_refusion_schedules_name_the_clause(bands: list[tuple[int, int | None, str]]) -> None:
    with pytest.raises(InvalidContract) as err:
        RefusionSchedule("sickness_benefit", bands, valid_from=D(2016, 1, 4), clause="R1")
    assert err.value.clause == "R1" and err.value.field == "bands"


# -- effect against a counterfactual ----------------------------------------------------


def peterborough_like(gate: F = F(1, 10), pooled: F | None = F(3, 40)) -> EffectTierPayment:
    return EffectTierPayment(
        "reconviction",
        clause="6",
        outcome="reconvicted",
        direction="reduction",
        gate=gate,
        pooled_gate=pooled,
        comparison_rate=F(1, 2),
        tiers=[Tier(0, F(1, 5), ib.Money(1000, "GBP")), Tier(F(1, 5), None, ib.Money(1500, "GBP"))],
        per_participant=True,
    )


def test_effect_gates_per_cohort_and_pooled() -> None:
    rule = peterborough_like()
    # Cohort 1: 458/1000 against 50 %: an 8.4 % reduction, under the 10 % gate.
    # Cohort 2: 450/1000: 10 %, at the gate.  Pooled: 9.2 %, over the 7.5 % pooled gate.
    result = rule.evaluate({"c1": (1000, 458), "c2": (1000, 450)})
    assert [c.effect for c in result] == [F(84, 1000), F(1, 10)]
    assert result[0].pooled_effect == F(92, 1000) and result[0].passed_pooled_gate
    # GBP 1,000 per participant x 1,000 in each cohort.
    assert sum(c.amount_minor for c in result) == 2 * 1000 * 100_000
    # Without the pooled route cohort 1 is not paid.
    strict = peterborough_like(pooled=None).evaluate({"c1": (1000, 458), "c2": (1000, 450)})
    assert [c.passed_gate for c in strict] == [False, True]
    assert [c.paid for c in strict] == [False, True]
    assert sum(c.amount_minor for c in strict) == 1000 * 100_000


def test_effect_against_a_second_panel_and_increase() -> None:
    rule = EffectTierPayment(
        "jobs", outcome="employed", direction="increase", tiers=[Tier(F(1, 10), None, eur(100))]
    )
    comparison = ComparisonGroup.from_counts(people=300, with_outcome=90)
    # 33 % against 90/300 = 30 %: 0.33 / 0.3 - 1 = 10 %.
    assert rule.effect(F(33, 100), comparison.rate) == F(1, 10)
    (c,) = rule.evaluate({"a": (100, 33)}, comparison)
    assert c.paid and c.unit_price == eur(100)


def test_break_even() -> None:
    rule = peterborough_like()
    # per participant: GBP 1,200 needs the 20 % tier; GBP 1,000 the first, but not below 10 %.
    assert break_even(rule, ib.Money(1200, "GBP")) == F(1, 5)
    assert break_even(rule, ib.Money(1000, "GBP")) == F(1, 10)
    assert break_even(rule, ib.Money(2000, "GBP")) is None
    # per cohort of 10: GBP 12,000 is 10 x GBP 1,200: the 20 % tier again.
    assert break_even(rule, ib.Money(12_000, "GBP"), 10) == F(1, 5)


def test_break_even_per_event_avoided() -> None:
    rule = EffectTierPayment(
        "per_event",
        clause="6",
        outcome="reconvicted",
        measure="events_per_person",
        direction="reduction",
        gate=F(1, 10),
        comparison_events=1550,
        comparison_people=1000,
        price_per_event_avoided=ib.Money(1000, "GBP"),
    )
    # e x 1.55 x 1,000 people x GBP 1,000 >= GBP 279,000: e >= 279 / 1,550 = 9/50 = 18 %.
    assert break_even(rule, ib.Money(279_000, "GBP"), 1000) == F(9, 50)
    # GBP 100,000 needs 100/1,550 = 6.5 %, but the gate is 10 %.
    assert break_even(rule, ib.Money(100_000, "GBP"), 1000) == F(1, 10)
    # More than every event of the comparison rate: never.
    assert break_even(rule, ib.Money(2_000_000, "GBP"), 1000) is None
    # The effect that breaks even is paid that cost by the rule itself:
    # 18 % of 1.55 = 0.279 fewer a person: 1.271 x 1,000 = 1,271 events.
    (c,) = rule.evaluate({"a": (1000, 1271)})
    assert c.effect == F(9, 50) and c.amount_minor == 279_000 * 100


@pytest.mark.parametrize(
    ("tiers", "rule"),
    [
        ([Tier(0, F(1, 5), eur(20)), Tier(F(1, 5), None, eur(10))], "monotone"),
        ([Tier(0, F(1, 5), eur(10)), Tier(F(1, 10), None, eur(20))], "overlap"),
        ([Tier(0, F(1, 5), eur(10)), Tier(F(3, 10), None, eur(20))], "gaps"),
        ([Tier(0, None, eur(10)), Tier(F(3, 10), None, eur(20))], "overlap"),
        ([Tier(0, F(1, 5), eur(10)), Tier(F(1, 5), None, ib.Money(20, "GBP"))], "currency"),
        ([], "not empty"),
    ],
)
def test_bad_tier_tables_name_the_clause(tiers: list[Tier], rule: str) -> None:
    with pytest.raises(InvalidContract) as err:
        TierTable(tiers, clause="6.2")
    assert err.value.clause == "6.2" and rule in (err.value.rule or "")


def test_a_gate_above_the_top_tier_and_an_empty_comparison_group_are_refused() -> None:
    tiers = TierTable([Tier(0, F(1, 5), eur(10)), Tier(F(1, 5), None, eur(20))])
    with pytest.raises(InvalidContract) as err:
        EffectTierPayment("e", clause="6.3", outcome="o", gate=F(3, 10), tiers=tiers.tiers)
    assert err.value.clause == "6.3" and err.value.field == "gate"
    with pytest.raises(InvalidContract) as err:
        ComparisonGroup.from_counts(people=0, with_outcome=0)
    assert err.value.field == "people"
    with pytest.raises(InvalidContract):
        EffectTierPayment("e", outcome="o", tiers=tiers.tiers).effect(F(1, 2), F(0))


# -- the waterfall ----------------------------------------------------------------------


INVEST = [(D(2020, 1, 1), eur(1000))]


def test_fees_top_up_and_balance() -> None:
    fees = delivery_fees(eur(3000), F(1, 10), [D(2020, 6, 30), D(2020, 12, 31)])
    w = Waterfall(investments=INVEST, fees=fees, top_up=TopUp("fund", F(1, 3)))
    flows = w.run([(D(2021, 1, 1), eur(900)), (D(2022, 1, 1), eur(301))])
    assert flows.by_party() == {
        "investor": eur(201),
        "provider": eur(1300),
        "payer": eur("-1100.67"),
        "fund": eur("-400.33"),  # a third of 900 and of 301 (100.33, largest remainder)
    }
    assert flows.total() == eur(0)


def test_return_cap_as_irr_is_never_passed() -> None:
    cap = ReturnCap(irr=F(1, 10), clause="9", day_count=DayCount.ACTUAL_365_FIXED)
    w = Waterfall(investments=INVEST, return_cap=cap)
    flows = w.run([(D(2021, 1, 1), eur(600)), (D(2022, 1, 1), eur(900))])
    # Room on 1 Jan 2022: 1000 x 1.1^(731/365) - 600 x 1.1^(365/365) = 1210.316... - 660,
    # so 550.31 (rounded down) of the 900 is paid.
    rate = flows.xirr("investor")
    assert rate is not None and rate <= 0.1 and rate == pytest.approx(0.1, abs=1e-5)
    assert flows.total("investor") == eur("150.31")


def test_guarantee_covers_part_of_the_loss() -> None:
    g = Guarantee("foundation", F(1, 2), limit=eur(300), clause="10", called=GuaranteeCall.MATURITY)
    w = Waterfall(investments=INVEST, guarantee=g, maturity=D(2023, 1, 1))
    flows = w.run([(D(2022, 1, 1), eur(300))])
    assert flows.total("foundation") == eur(-300)  # half of 700 is 350, limited to 300
    assert flows.total("investor") == eur(-400)
    no_loss = w.run([(D(2022, 1, 1), eur(1100))])
    assert "foundation" not in no_loss.parties


def test_bad_waterfall_terms() -> None:
    with pytest.raises(InvalidContract):
        TopUp("fund", F(3, 2))
    with pytest.raises(InvalidContract):
        ReturnCap()
    with pytest.raises(InvalidContract) as err:
        Waterfall(investments=INVEST).run([(D(2021, 1, 1), ib.Money(5, "DKK"))])
    assert err.value.field == "currency"
