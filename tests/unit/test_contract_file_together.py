"""A contract file's problems are reported together: the problems of its fields, and the
contract-wide problems of the fields that are good, in one error, and no problem that is
only the echo of another (a rule "pricing an unknown outcome" because that outcome's table
has a typo of its own)."""

from __future__ import annotations

import copy
import tomllib
from decimal import Decimal
from typing import Any

import attrs
import pytest
import tomli_w

from impactbond.domain.contract import Contract
from impactbond.errors import ContractFileError
from impactbond.examples import example_path, nyborg_paths
from impactbond.io.contract_file import contract_from_dict, loads_contract

EXAMPLES = ["nyborg.toml", "koto_sib.toml", "dwp_rate_card.toml", "effect_size.toml", "hybrid.toml"]


def _data(name: str) -> dict[str, Any]:
    path = nyborg_paths().contract if name == "nyborg.toml" else example_path(name)
    return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _wrong(value: Any) -> Any:
    """A value of the wrong type for a field holding ``value``."""
    return "yes" if isinstance(value, bool) else True


def _problems(data: dict[str, Any], source: str) -> list[ContractFileError]:
    with pytest.raises(ContractFileError) as caught:
        loads_contract(tomli_w.dumps(data), source=source)
    error = caught.value
    assert str(error).startswith(f"{source}: ")
    return list(error.errors) if error.errors else [error]


def _top(field: str | None) -> str:
    assert field, "every problem names its field"
    return field.split(".")[0].split("[")[0]


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_bad_field_is_reported_alone(name: str) -> None:
    """Each field of a good contract (given or left out), given a value of the wrong type:
    the problem is that field's, and no contract-wide check reports an echo of it."""
    good = _data(name)
    assert contract_from_dict(good).id  # the file is good as it is
    types = {field.name: field.type for field in attrs.fields(attrs.resolve_types(Contract))}
    for key in dict.fromkeys([*good, *types]):
        data = copy.deepcopy(good)
        data[key] = "yes" if types.get(key) is bool else _wrong(good.get(key))
        problems = _problems(data, f"{name}:{key}")
        assert [_top(p.field) for p in problems] == [key] * len(problems), (key, problems)


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_bad_item_is_reported_alone(name: str) -> None:
    """An item of a list of terms with a field of the wrong type (or an unknown field): its
    problem alone, though the other items and the other checks are read."""
    good = _data(name)
    sections = [k for k, v in good.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    assert {"outcomes", "payment_rules"} <= set(sections)
    for section in sections:
        for i, item in enumerate(good[section]):
            for key in [k for k in item if k != "kind"] + ["no_such_term"]:
                data = copy.deepcopy(good)
                data[section][i][key] = _wrong(item.get(key))
                problems = _problems(data, f"{name}:{section}[{i}].{key}")
                where = {p.field for p in problems}
                assert where == {f"{section}[{i}].{key}"}, (section, i, key, problems)


def test_field_problems_and_contract_wide_problems_together() -> None:
    """Validation complete, at load time, all at once (issue 8, what to build 5): a file with
    bad fields and with contract-wide problems in its good fields reports them all."""
    data = _data("nyborg.toml")
    data["title"] = 3  # a field problem
    data["outcomes"][0]["hours_norm"] = Decimal("37.5")  # a field problem in a list of terms
    data["referral_end"] = data["term_end"].replace(day=1, month=12)  # contract-wide
    data["clauses"].append({"id": data["clauses"][0]["id"], "title": "Again", "text": "Twice."})
    rule = next(i for i, r in enumerate(data["payment_rules"]) if "price" in r)
    data["payment_rules"][rule]["price"] = "7500.00 EUR"  # one contract, one currency
    problems = _problems(data, "both.toml")
    fields = [p.field for p in problems]
    # The field problems first, in the order of the file's fields, then the contract-wide ones.
    assert fields[:2] == ["title", "outcomes[0].hours_norm"]
    assert sorted(fields[2:]) == sorted(
        ["referral_end", "clauses", f"payment_rules[{rule}].currency"]
    )
    assert "lies outside the term" in str(problems[2:])
    assert "not unique" in str(problems[2:])


def test_checks_that_need_an_unsettled_field_wait_for_it() -> None:
    """A rule pricing an outcome whose table is bad is not called a rule of an unknown outcome;
    a cap naming a bad rule is not a cap of unknown rules; a missing currency makes no
    currency mismatch; a bad clause list makes no citation of a missing clause."""
    good = _data("nyborg.toml")
    data = copy.deepcopy(good)
    data["outcomes"][0]["kind"] = "no_such_kind"
    del data["currency"]
    data["clauses"][0]["id"] = 51
    problems = _problems(data, "waits.toml")
    assert {p.field for p in problems} == {"currency", "outcomes[0].kind", "clauses[0].id"}
    assert [p.message for p in problems if p.field == "currency"] == ["required field missing"]


def test_not_a_table() -> None:
    with pytest.raises(ContractFileError, match="expected a table of contract fields"):
        contract_from_dict(["id", "x"], source="list.json")  # type: ignore[arg-type]


def test_a_file_of_thousands_of_problems_lists_the_first_ones_and_counts_all() -> None:
    data = _data("nyborg.toml")
    data["payment_rules"] += [
        {"kind": "fixed_fee", "id": f"f{i}", "cohort": 5} for i in range(3000)
    ]
    data["clauses"] += [{"id": "dup", "title": "T", "text": "t"}] * 2000
    problems = _problems(data, "many.toml")
    assert len(problems) == 200
    with pytest.raises(ContractFileError, match=r"many\.toml: \d+ problems .*first 200 are listed"):
        loads_contract(tomli_w.dumps(data), source="many.toml")


def test_contract_wide_problems_of_many_tables_are_each_placed() -> None:
    """Thousands of rules citing clauses the file lacks: each listed problem names its own
    table (the index of names is built once, not searched per problem)."""
    data = _data("nyborg.toml")
    first = len(data["payment_rules"])
    template = next(r for r in data["payment_rules"] if r["kind"] == "price_per_unit")
    for i in range(5000):
        data["payment_rules"].append({**template, "id": f"r{i}", "clause": f"none.{i}"})
    problems = _problems(data, "cites.toml")
    assert len(problems) == 200
    assert [p.field for p in problems[:3]] == [
        f"payment_rules[{first + i}].clause" for i in range(3)
    ]
    assert [p.clause for p in problems[:3]] == ["none.0", "none.1", "none.2"]


def test_term_dates_outside_1900_to_2200_are_refused_where_they_are() -> None:
    """A term that ends in 9999 ended in a ValueError from the calendar; now each date outside
    1900..2200 is a problem at its field, with the contract's other problems."""
    from datetime import date

    data = _data("nyborg.toml")
    data["term_end"] = date(9999, 12, 31)
    data["referral_start"] = date(1, 1, 1)
    problems = _problems(data, "dates.toml")
    assert [p.field for p in problems] == ["term_end", "referral_start"]
    assert all("lies outside 1900-01-01..2200-12-31" in p.message for p in problems)
