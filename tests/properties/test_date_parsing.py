"""Dates from text: Arrow's strict ISO cast (the fast path) reads every column as the detailed
per-format parser does, and leaves every column it cannot read whole to that parser."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
from hypothesis import example, given
from hypothesis import strategies as st

from impactbond.io import tables
from impactbond.io.tables import SourceTable, _parse_dates, _Problems

FORMATS = ["yyyy-mm-dd", "dd-mm-yyyy", "yyyy-dd-mm", "mm/dd/yyyy", "%d.%m.%Y"]

iso = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
)
valid = st.dates(min_value=date(1, 1, 1)).map(lambda d: d.isoformat())
other = st.sampled_from(
    [
        "",
        "  ",
        "2024-1-5",
        "05-01-2024",
        "2024-01-05 00:00",
        "2024-01-05T00:00:00",
        "45292",
        "20240105",
        "2024/01/05",
        "x",
        "13.02.2024",
        "02/13/2024",
        " 2024-01-05 ",
    ]
)
cells = st.lists(st.none() | valid | iso | other, max_size=12)


def parse(values: list[str | None], fmt: str, fast: bool) -> tuple[list[object], list[str]]:
    t = SourceTable(
        pa.table({"x": pa.array(values, pa.string())}),
        "f.csv",
        np.arange(1, len(values) + 1, dtype=np.int64),
    )
    problems = _Problems("f.csv")
    saved = tables._iso_dates
    if not fast:
        tables._iso_dates = lambda value, fmt: None  # type: ignore[assignment]
    try:
        out = _parse_dates(
            pa.array(values, pa.string()), fmt, "start", t, problems, [None] * len(values)
        )
    finally:
        tables._iso_dates = saved
    days = out.cast(pa.int32()).to_pylist()
    return days, [f"{e.row}: {e.message}" for e in problems.errors]


@given(cells, st.sampled_from(FORMATS))
@example(["0000-01-01", "9999-12-31", "2000-02-29", "1900-02-29", None], "yyyy-mm-dd")
@example(["2024-03-05"], "yyyy-dd-mm")
@example(["2024-02-30", "2024-01-05"], "yyyy-mm-dd")
def test_fast_path_equals_detailed_parser(values: list[str | None], fmt: str) -> None:
    assert parse(values, fmt, fast=True) == parse(values, fmt, fast=False)


def test_fast_path_reads_iso_and_steps_aside_otherwise() -> None:
    ok = pa.array(["2024-01-05", None, "2000-02-29"])
    # 2024-01-05 is day 19727 since 1970-01-01 (54 years incl. 13 leap days = 19723, +4).
    assert tables._iso_dates(ok, "yyyy-mm-dd").cast(pa.int32()).to_pylist() == [19727, None, 11016]
    assert tables._iso_dates(pa.array(["2024-02-30"]), "yyyy-mm-dd") is None  # no such day
    assert tables._iso_dates(pa.array(["5-1-2024"]), "dd-mm-yyyy") is None  # not ISO
    # Under yyyy-dd-mm, 2024-03-05 is 3 May: the ISO cast must not read it as 5 March.
    assert tables._iso_dates(pa.array(["2024-03-05"]), "yyyy-dd-mm") is None
