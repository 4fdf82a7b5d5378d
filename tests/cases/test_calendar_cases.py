"""Date cases as data (tests/cases/data/*.csv): month arithmetic and ISO weeks."""

import csv
from datetime import date
from pathlib import Path

import pytest

from impactbond.calendar import (
    MonthRounding,
    add_months,
    iso_week,
    iso_weeks_in_year,
    monday_of_iso_week,
)
from impactbond.errors import AmbiguousDate

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


@pytest.mark.parametrize(
    "case",
    _rows("add_months.csv"),
    ids=lambda c: "{start}{months:+}{rounding}".format(**{**c, "months": int(c["months"])}),
)
def test_add_months(case: dict[str, str]) -> None:
    start = date.fromisoformat(case["start"])
    rounding = MonthRounding(case["rounding"])
    if case["expected"] == "error":
        with pytest.raises(AmbiguousDate) as err:
            add_months(start, int(case["months"]), rounding)
        assert isinstance(err.value, ValueError)
        assert "MonthRounding" in str(err.value)
    else:
        assert add_months(start, int(case["months"]), rounding) == date.fromisoformat(
            case["expected"]
        )


@pytest.mark.parametrize("case", _rows("iso_weeks.csv"), ids=lambda c: c["date"])
def test_iso_weeks(case: dict[str, str]) -> None:
    d = date.fromisoformat(case["date"])
    year, week = int(case["iso_year"]), int(case["iso_week"])
    assert iso_week(d) == (year, week)
    monday = monday_of_iso_week(year, week)
    assert monday.isoweekday() == 1
    assert 0 <= (d - monday).days < 7
    assert week <= iso_weeks_in_year(year)
