"""INDIGO 4.1.0 export: every shipped example validates, with and without its settlement.

The schema is a copy of the standard's ``schema/project.json`` (see
``tests/data/indigo-4.1.0/PROVENANCE.md``).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

import impactbond as ib
from impactbond import examples
from impactbond.io.indigo import indigo_project
from impactbond.io.results import read_settlement_json, settlement_json

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "indigo-4.1.0" / "project.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
EXAMPLES = ["nyborg.toml", "dwp_rate_card.toml", "koto_sib.toml", "effect_size.toml", "hybrid.toml"]


def _valid(project: dict[str, object]) -> None:
    errors = sorted(VALIDATOR.iter_errors(project), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_contract_validates(name: str) -> None:
    contract = ib.load_contract(examples.example_path(name))
    project = indigo_project(contract)
    _valid(project)
    assert {m["id"] for m in project["outcome_metrics"]} == {o.id for o in contract.outcomes}


def _settled(name: str) -> tuple[ib.Contract, ib.Settlement]:
    if name == "nyborg.toml":
        contract, people, trajectories = examples.nyborg()
        return contract, ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    loader = {
        "koto_sib.toml": examples.koto_sib,
        "effect_size.toml": examples.effect_size,
        "hybrid.toml": examples.hybrid,
    }[name]
    contract, people, trajectories, events = loader()
    return contract, ib.settle(
        contract, people, trajectories, as_of=contract.term_end, events=events
    )


@pytest.mark.parametrize(
    "name", ["nyborg.toml", "koto_sib.toml", "effect_size.toml", "hybrid.toml"]
)
def test_examples_with_their_settlement_validate(name: str, tmp_path: Path) -> None:
    contract, settlement = _settled(name)
    path = tmp_path / "s.json"
    path.write_text(settlement_json(settlement), encoding="utf-8")
    project = indigo_project(contract, read_settlement_json(path))
    _valid(project)
    actual = [p for p in project["outcome_payments"] if p["type"]["value"] == "Actual"]
    assert (
        sum(Decimal(str(p["money"]["amount"]["value"])) for p in actual) == settlement.total.amount
    )
    assert project["service_and_beneficiaries"][
        "actual_number_service_users_or_beneficiaries_total"
    ] == {"value": len(settlement.participant_ids)}


def test_nyborg_figures_by_hand() -> None:
    contract = ib.load_contract(examples.example_path("nyborg.toml"))
    project = indigo_project(contract)
    pricing = project["outcome_pricings"][0]
    # 9,500 DKK a month for the sick-listed, whose target is 100 months
    assert pricing["price_per_unit"]["amount"] == {"value": 9500}
    assert pricing["maximum_price_if_all_targets_achieved"]["amount"] == {"value": "950000"}
    commitment = project["outcome_payment_commitments"][0]
    assert commitment["maximum_potential_outcome_payment"]["amount"] == {"value": 6000000}
    plans = [p["id"]["value"] for p in project["outcome_payment_plans"]]
    # the term 2023-10-01 .. 2027-06-30 in quarters: 15 invoice periods, plus the term
    assert plans[0] == "term" and len(plans) == 1 + 15
    assert project["outcome_payment_plans"][-1]["period"]["end_date"] == {"value": "2027-06-29"}


def test_hybrid_investments_and_transactions() -> None:
    contract = ib.load_contract(examples.example_path("hybrid.toml"))
    project = indigo_project(contract)
    (investment,) = project["investments"]
    assert investment["investment_commitment"]["amount"]["exact"] == {"value": 1000000}
    assert investment["maximum_potential_return"] == {"value": 0.08}
    dates = [t["date"]["value"] for t in project["transactions"]]
    assert dates == ["2021-01-01", "2022-01-01"]
    fees = [p for p in project["outcome_payments"] if "delivery fee" in p.get("notes", "")]
    # a tenth of 1,500,000 in two instalments
    assert [f["money"]["amount"]["value"] for f in fees] == [75000, 75000]
