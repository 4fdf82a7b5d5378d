"""Mix caps: at most a share of the money paid may come from one subgroup or one route."""

from datetime import date
from fractions import Fraction

import pytest

import impactbond as ib
from impactbond.errors import InvalidContract

D = date


def card(*caps: ib.Cap) -> ib.Contract:
    return ib.Contract(
        id="card",
        title="Rate card",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="GBP",
        term_start=D(2020, 1, 1),
        term_end=D(2024, 1, 1),
        referral_start=D(2020, 1, 1),
        referral_end=D(2021, 1, 1),
        cohorts=[ib.CohortTerms("under_16"), ib.CohortTerms("over_16")],
        outcomes=[ib.RecordedEvent("qualification", event="q", clause="2")],
        payment_rules=[
            ib.PricePerUnit("pay_q", outcome="qualification", price=ib.Money(1000, "GBP"))
        ],
        caps=caps,
        clauses=[
            ib.Clause("2", "Qualifications", "GBP 1,000 for each qualification."),
            ib.Clause("5", "Mix", "At most 3/5 of the money paid goes to under-16s."),
        ],
    )


def settle(c: ib.Contract) -> ib.Settlement:
    people = [
        ib.Participant("u1", "under_16", D(2020, 2, 3)),
        ib.Participant("u2", "under_16", D(2020, 2, 3)),
        ib.Participant("u3", "under_16", D(2020, 2, 3)),
        ib.Participant("o1", "over_16", D(2020, 2, 3)),
    ]
    trajectories = [ib.Trajectory(p.id, []) for p in people]
    events = {
        "u1": [("q", D(2020, 3, 1))],
        "u2": [("q", D(2020, 4, 1))],
        "u3": [("q", D(2020, 5, 1))],
        "o1": [("q", D(2020, 6, 1))],
    }
    return ib.settle(c, people, trajectories, as_of=D(2021, 1, 1), events=events)


def test_a_mix_cap_on_a_subgroup_cuts_its_latest_payments() -> None:
    mix = ib.Cap(
        "under_16_share",
        clause="5",
        scope="contract",
        amount=ib.Money(10**6, "GBP"),
        cohort="under_16",
        share_of_paid=Fraction(3, 5),
    )
    s = settle(card(mix))
    # Under-16s earn 3,000 beside 1,000 for the over-16: 3,000 / 4,000 = 75 % > 60 %.
    # C <= 0.6 (C + 1,000) gives C <= 1,500: u1 keeps 1,000, u2 500, u3 nothing.
    paid = {r["participant_id"]: r["amount"] for r in s.to_records()}
    assert paid == {"u1": 1000, "u2": 500, "u3": 0, "o1": 1000}
    assert {r["participant_id"] for r in s.to_records() if r["cut_by"] == "under_16_share"} == {
        "u2",
        "u3",
    }
    assert s.accrued_total == ib.Money(2500, "GBP")


def test_a_mix_cap_round_trips_through_the_contract_file() -> None:
    mix = ib.Cap(
        "m", scope="contract", amount=ib.Money(100, "GBP"), rules=["pay_q"], share_of_paid="2/5"
    )
    c = card(mix)
    text = ib.dumps_contract(c)
    assert 'share_of_paid = "2/5"' in text
    assert ib.loads_contract(text) == c


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scope": "contract", "share_of_paid": Fraction(3, 2)}, "share_of_paid"),
        ({"scope": "contract", "share_of_paid": 0}, "share_of_paid"),
        ({"scope": "participant", "share_of_paid": Fraction(1, 2)}, "scope"),
    ],
)
def test_bad_mix_caps_name_the_clause(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidContract) as err:
        ib.Cap("m", clause="5", amount=ib.Money(1, "GBP"), **changes)  # type: ignore[arg-type]
    assert err.value.clause == "5" and err.value.field == field


def test_a_cap_in_another_currency_names_the_clause() -> None:
    cap = ib.Cap("m", clause="5", scope="contract", amount=ib.Money(1, "EUR"))
    with pytest.raises(InvalidContract) as err:
        card(cap)
    assert err.value.clause == "5" and err.value.field == "currency"
