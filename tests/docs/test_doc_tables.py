"""How the docs show pandas tables (docs/_ipython/profile_default/startup/00-tables.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

pd = pytest.importorskip("pandas")

STARTUP = Path(__file__).resolve().parents[2] / "docs/_ipython/profile_default/startup/00-tables.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("doc_tables", STARTUP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row_heads(page: str) -> list[str]:
    return [
        re.sub("<[^>]+>", "", h).strip()
        for h in re.findall(r"<th[^>]*row_heading[^>]*>(.*?)</th>", page, re.S)
    ]


def test_row_numbers_are_hidden_a_named_index_stays() -> None:
    tables = _load()
    frame = pd.DataFrame({"who": ["a", "b", "c", "d"], "amount": [1500, 20, 3, 40000]})
    # A range index and the unnamed integers left by a filter are row numbers: hidden.
    assert _row_heads(tables._html(frame)) == []
    kept = frame[frame.amount > 10]  # rows 0, 1, 3
    page = tables._html(kept)
    assert _row_heads(page) == []
    # Thousands separated, right-aligned.
    assert ">1,500<" in page and ">40,000<" in page
    # A named index (a price, a participant) is part of the table: it stays.
    priced = frame.set_index(pd.Index([6000, 8000, 9500, 11000], name="price"))
    assert _row_heads(tables._html(priced)) == ["6,000", "8,000", "9,500", "11,000"]
    by_who = frame.set_index("who")
    assert _row_heads(tables._html(by_who)) == ["a", "b", "c", "d"]
