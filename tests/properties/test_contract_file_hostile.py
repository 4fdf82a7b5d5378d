"""Hostile contract files: any value in any place, any key added or taken away, gives a
Contract or one typed ContractFileError whose every problem names where it is; never another
exception, never a traceback as the answer."""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import tomli_w
from hypothesis import assume, given
from hypothesis import strategies as st

from impactbond.domain.contract import Contract
from impactbond.errors import ContractFileError
from impactbond.examples import example_path, nyborg_paths
from impactbond.io.contract_file import loads_contract

NAMES = ["nyborg.toml", "koto_sib.toml", "dwp_rate_card.toml", "effect_size.toml", "hybrid.toml"]


def _data(name: str) -> dict[str, Any]:
    path = nyborg_paths().contract if name == "nyborg.toml" else example_path(name)
    return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


GOOD = {name: _data(name) for name in NAMES}

scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1/0", "-1", "1e400", "0.000000000000001", "DKK", "1 EUR", "kind"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=10**15, max_value=10**30),
    st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**6),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(min_value=datetime(1, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


PATHS = {name: _paths(data)[1:] for name, data in GOOD.items()}


@given(
    name=st.sampled_from(NAMES),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(["set", "delete", "add"]), values),
        min_size=1,
        max_size=3,
    ),
)
def test_any_edit_is_a_contract_or_a_located_error(name: str, edits: list[Any]) -> None:
    data = copy.deepcopy(GOOD[name])
    for index, action, value in edits:
        path = PATHS[name][index % len(PATHS[name])]
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            if action == "set":
                parent[key] = value
            elif action == "delete":
                del parent[key]
            elif isinstance(parent, dict):
                parent[f"{key}_extra"] = value
            elif isinstance(parent, list):
                parent.append(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit took this place away
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):  # not TOML (a number as a key after two edits)
        assume(False)
    try:
        result = loads_contract(text, source="edited.toml")
    except ContractFileError as error:
        message = str(error)
        assert message.startswith("edited.toml: ")
        assert "Traceback" not in message
        for problem in error.errors or [error]:
            assert problem.field or problem.row, problem
            assert "object has no attribute" not in problem.message, problem
            assert "object is not" not in problem.message, problem
    else:
        assert isinstance(result, Contract)
