"""Published outcome contracts, reproduced with their published numbers.

* UK DWP Innovation Fund, round 1: the rate card and its GBP 8,200 cap per person.
* Finnish Koto-SIB: a 50 % share of the savings measured against a control
  group, beside a fixed fee per completed integration training.
"""

from datetime import date
from fractions import Fraction

import attrs
import pytest

import impactbond as ib
from impactbond.domain.payment import SavingsSharePayment
from impactbond.finance import Waterfall

D = date
GBP = "GBP"


def dwp() -> ib.Contract:
    return ib.examples.dwp_rate_card()


def test_dwp_rate_card_round_trips_through_the_contract_file() -> None:
    c = dwp()
    assert ib.loads_contract(ib.dumps_contract(c)) == c
    prices = {r.id: r.price for r in c.payment_rules if isinstance(r, ib.PricePerUnit)}
    assert prices == {
        "pay_behaviour": ib.Money(1300, GBP),
        "pay_attendance": ib.Money(800, GBP),
        "pay_nqf_1": ib.Money(700, GBP),
        "pay_nqf_2": ib.Money(2200, GBP),
        "pay_nqf_3": ib.Money(3300, GBP),
        "pay_nqf_4": ib.Money(2000, GBP),
        "pay_esol": ib.Money(1200, GBP),
        "pay_entry_to_employment": ib.Money(2600, GBP),
        "pay_sustained_employment": ib.Money(1000, GBP),
    }
    assert c.caps[0].amount == ib.Money(8200, GBP)


def dwp_people() -> tuple[
    list[ib.Participant], list[ib.Trajectory], dict[str, list[tuple[str, date]]]
]:
    people = [
        ib.Participant("ada", "young_people", D(2012, 6, 4)),
        ib.Participant("ben", "young_people", D(2012, 6, 4)),
    ]
    # Both start work (30 hours a week) on Monday 1 July 2013 and stay: entry to
    # employment after 13 weeks of 16+ hours (29 Sep), 26 weeks employed by 29 Dec 2013.
    trajectories = [
        ib.Trajectory(
            pid,
            [
                ib.Spell("unemployment_benefit", D(2012, 6, 4), D(2013, 7, 1)),
                ib.Spell("employed", D(2013, 7, 1), None, hours=30),
            ],
        )
        for pid in ("ada", "ben")
    ]
    events = {
        "ada": [
            ("improved_behaviour", D(2012, 9, 14)),
            ("improved_attendance", D(2012, 10, 12)),
            ("nqf_level_1", D(2012, 12, 14)),
            ("nqf_level_2", D(2013, 3, 15)),
            ("nqf_level_3", D(2013, 6, 14)),
        ],
        "ben": [],
    }
    return people, trajectories, events


def test_dwp_person_with_seven_outcomes_earns_11900_and_is_paid_the_8200_cap() -> None:
    people, trajectories, events = dwp_people()
    s = ib.settle(dwp(), people, trajectories, as_of=D(2015, 3, 31), events=events)
    rec = [r for r in s.to_records() if r["participant_id"] == "ada"]
    assert sum(r["amount_before_caps"] for r in rec) == 11900
    assert sum(r["amount"] for r in rec) == 8200
    # The cap cuts in earning order: behaviour, attendance, levels 1 and 2 make
    # GBP 5,000; level 3 (GBP 3,300) is cut to GBP 3,200; the two employment
    # outcomes, earned last, are cut to nothing.
    cut = {r["rule"]: r["amount"] for r in rec if r["cut_by"] == "cap_per_person"}
    assert cut == {"pay_nqf_3": 3200, "pay_entry_to_employment": 0, "pay_sustained_employment": 0}


def test_dwp_person_with_only_the_employment_outcomes_is_paid_3600() -> None:
    people, trajectories, events = dwp_people()
    s = ib.settle(dwp(), people, trajectories, as_of=D(2015, 3, 31), events=events)
    rec = [r for r in s.to_records() if r["participant_id"] == "ben"]
    assert {r["rule"]: r["amount"] for r in rec} == {
        "pay_entry_to_employment": 2600,
        "pay_sustained_employment": 1000,
    }
    assert sum(r["amount"] for r in rec) == 3600
    assert s.total == ib.Money(8200 + 3600, GBP)
    assert s.capped_total == ib.Money(11900 - 8200, GBP)


# -- Koto-SIB ---------------------------------------------------------------------

KOTO_PARTICIPANTS = 2636
KOTO_TAX_GAIN = ib.Money(1330, "EUR")  # per person, against the control group, 3 years
KOTO_TRANSFER_CHANGE = ib.Money(-1340, "EUR")  # per person: transfers fell by EUR 1,340
KOTO_TRAINING_FEE = ib.Money(1500, "EUR")
KOTO_MAX_TRAININGS = 2217
KOTO_INVESTMENT = ib.Money(14_300_000, "EUR")


def koto() -> tuple[ib.Settlement, SavingsSharePayment]:
    """The Koto-SIB contract file settled on its 2,636 participants, 2,217 trainings completed."""
    contract, people, trajectories, events = ib.examples.koto_sib()
    assert len(people) == KOTO_PARTICIPANTS and len(events) == KOTO_MAX_TRAININGS
    s = ib.settle(contract, people, trajectories, as_of=D(2024, 6, 30), events=events)
    rule = contract.payment_rules[1]
    assert isinstance(rule, SavingsSharePayment)
    return s, rule


def test_koto_sib_savings_share() -> None:
    s, rule = koto()
    assert rule.tax_gain_per_person == KOTO_TAX_GAIN
    assert rule.transfer_change_per_person == KOTO_TRANSFER_CHANGE
    # EUR 1,330 more tax - (EUR -1,340 of transfers) = EUR 2,670 a person, in cents.
    assert rule.saving_per_person("EUR") == 267_000
    (figures,) = [f for f in s.figures if f.rule == rule.id]
    assert figures.people == KOTO_PARTICIPANTS
    # 2,636 x EUR 2,670 = EUR 7,038,120 saved; half of it EUR 3,519,060 ("about EUR 3.52M").
    assert figures.saving_per_person_minor * figures.people == 7_038_120 * 100
    assert s.by_rule()["outcome_payment"] == ib.Money(3_519_060, "EUR")
    # EUR 1,500 for each of the 2,217 trainings: EUR 3,325,500.
    assert s.by_rule()["training_fee"] == KOTO_TRAINING_FEE * KOTO_MAX_TRAININGS
    assert s.total == ib.Money(6_844_560, "EUR")
    assert s.total < ib.Money(6_850_000, "EUR") < KOTO_INVESTMENT
    assert "net saving 2,670 per person x share 0.5 x 2636 people = 3,519,060" in s.statement()


def test_koto_sib_investor_loses_money() -> None:
    s, _ = koto()
    flows = Waterfall(investments=[(D(2017, 1, 1), KOTO_INVESTMENT)]).run(
        [
            (D(2020, 12, 31), s.by_rule()["training_fee"]),
            (D(2023, 12, 31), s.by_rule()["outcome_payment"]),
        ]
    )
    assert flows.total("investor") == ib.Money(6_844_560 - 14_300_000, "EUR")
    multiple = flows.money_multiple("investor")
    assert multiple is not None and multiple < Fraction(1, 2)
    rate = flows.xirr("investor")
    assert rate is not None and rate < 0
    assert flows.total() == ib.Money(0, "EUR")


def test_a_negative_saving_pays_nothing() -> None:
    contract, people, trajectories, events = ib.examples.koto_sib()
    rule = contract.payment_rules[1]
    # EUR -10 of tax and EUR 5 more in transfers: a saving of EUR -15 a person.
    worse = attrs.evolve(
        rule,
        tax_gain_per_person=ib.Money(-10, "EUR"),
        transfer_change_per_person=ib.Money(5, "EUR"),
    )
    c = attrs.evolve(contract, payment_rules=[contract.payment_rules[0], worse])
    few = {p.id: events[p.id] for p in people[:100] if p.id in events}
    s = ib.settle(c, people[:100], trajectories[:100], as_of=D(2024, 6, 30), events=few)
    assert s.by_rule()["outcome_payment"] == ib.Money(0, "EUR")
    (figures,) = [f for f in s.figures if f.rule == "outcome_payment"]
    assert figures.saving_per_person_minor == -1500 and not figures.paid
    assert "no saving, no payment" in s.statement()


@pytest.mark.parametrize("share", [Fraction(-1, 10), Fraction(11, 10)])
def test_a_share_outside_0_and_100_percent_is_refused(share: Fraction) -> None:
    with pytest.raises(ib.ImpactBondError) as err:
        SavingsSharePayment("s", clause="7", share=share, measured_on=D(2022, 12, 31))
    assert err.value.clause == "7" and err.value.field == "share"


def test_a_settlement_flows_into_the_waterfall() -> None:
    from impactbond.finance import payments_by_due_date

    people, trajectories, events = dwp_people()
    s = ib.settle(dwp(), people, trajectories, as_of=D(2015, 3, 31), events=events)
    payments = payments_by_due_date(s)
    assert (
        sum((m for _, m in payments), ib.Money(0, GBP)) == s.accrued_total == ib.Money(11800, GBP)
    )
    flows = Waterfall(investments=[(D(2012, 4, 1), ib.Money(10000, GBP))]).run(payments)
    assert flows.total("investor") == ib.Money(1800, GBP)
    assert flows.total("payer") == -s.accrued_total
    # Monthly invoices with no verification lag: an amount is due on the last day of the
    # month it is earned in (0 days after it).  Ada's GBP 8,200 is due by 30 June 2013;
    # Ben's entry to employment (GBP 2,600), earned in September, is due 30 September 2013
    # and takes the investor past its GBP 10,000.
    assert flows.payback_date("investor") == D(2013, 9, 30)
