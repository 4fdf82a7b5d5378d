"""Contract files: dumps -> loads gives back an equal contract, for any valid contract."""

from hypothesis import given

from impactbond.domain.contract import Contract
from impactbond.domain.payment import references
from impactbond.io.contract_file import (
    contract_from_dict,
    contract_to_dict,
    dumps_contract,
    loads_contract,
)
from impactbond.testing import strategies as ibst


@given(ibst.contracts())
def test_toml_round_trip_is_exact(contract: Contract) -> None:
    text = dumps_contract(contract)
    again = loads_contract(text)
    assert again == contract
    # Exact, not merely equal: every Decimal amount keeps its digits.
    for before, after in zip(contract.payment_rules, again.payment_rules, strict=True):
        pairs = zip(references(before).amounts, references(after).amounts, strict=True)
        for money_before, money_after in pairs:
            assert money_after.amount.as_tuple() == money_before.amount.as_tuple()


@given(ibst.contracts())
def test_writing_is_deterministic(contract: Contract) -> None:
    text = dumps_contract(contract)
    assert dumps_contract(loads_contract(text)) == text


@given(ibst.contracts(currency="EUR"))
def test_dict_round_trip(contract: Contract) -> None:
    data = contract_to_dict(contract)
    assert all(value is not None for value in data.values())
    assert contract_from_dict(data) == contract
