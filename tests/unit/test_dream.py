"""DREAM extracts into spells: the week-to-date rule, week 53, codes, monthly employment.

A slow day-by-day reference (:func:`reference_spells`) states the rule
plainly; Hypothesis holds the vectorised reader equal to it.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactbond.errors import InvalidFile, UnknownCode
from impactbond.io.codes import (
    ExampleCodeTableWarning,
    RegisterCodes,
    example_dream_codes,
    read_codes,
)
from impactbond.io.dream import read_dream
from impactbond.status import Status

CODES = read_codes(
    io.StringIO(
        "code,status,priority,source,version,description\n"
        "111,unemployment_benefit,60,test list,1,dagpenge\n"
        "890,sickness_benefit,80,test list,1,sygedagpenge\n"
        "740,flexjob,40,test list,1,fleksjob\n"
    )
)


def _rows(t: object) -> list[tuple[str, str, date, date, Decimal | None]]:
    return [
        (r["participant_id"], r["status"], r["start"], r["end"], r["hours"])
        for r in t.table.to_pylist()  # type: ignore[attr-defined]
    ]


def test_week_53_and_the_week_to_date_rule() -> None:
    # 2020 has an ISO week 53 (Monday 28 December 2020); week 1 of 2021 starts 4 January.
    text = "participant_id,y_2052,y_2053,y_2101,y_2102\nP-1,890,890,,111\nP-2,,,,\n"
    t = read_dream(io.StringIO(text), CODES)
    assert _rows(t) == [
        ("P-1", "sickness_benefit", date(2020, 12, 21), date(2021, 1, 4), None),
        ("P-1", "self_supported", date(2021, 1, 4), date(2021, 1, 11), None),
        ("P-1", "unemployment_benefit", date(2021, 1, 11), date(2021, 1, 18), None),
        ("P-2", "self_supported", date(2020, 12, 21), date(2021, 1, 18), None),
    ]
    assert t.row_numbers.tolist() == [1, 1, 1, 2]
    t = read_dream(io.StringIO(text), CODES, empty_week=None)
    assert [r[1] for r in _rows(t)] == ["sickness_benefit", "unemployment_benefit"]


def test_week_53_in_a_year_without_one_and_missing_weeks() -> None:
    with pytest.raises(InvalidFile) as info:
        read_dream(io.StringIO("participant_id,y_2153,y_2201\nP-1,,\n"), CODES)
    assert "2021 has no ISO week 53" in str(info.value)
    with pytest.raises(InvalidFile) as info:
        read_dream(io.StringIO("participant_id,y_2401,y_2404\nP-1,,\n"), CODES)
    assert "2 week column(s) missing before y_2404" in str(info.value)
    with pytest.raises(InvalidFile, match="neither participant_id"):
        read_dream(io.StringIO("participant_id,y_2401,kommune\nP-1,,450\n"), CODES)
    t = read_dream(
        io.StringIO("participant_id,y_2401,kommune\nP-1,,450\n"), CODES, ignore_columns=["kommune"]
    )
    assert len(t) == 1


def test_unknown_codes_name_row_and_week() -> None:
    text = "participant_id,y_2401,y_2402\nP-1,890,\nP-2,999,111\n"
    with pytest.raises(UnknownCode) as info:
        read_dream(io.StringIO(text), CODES)
    assert (info.value.row, info.value.field, info.value.participant) == (2, "y_2401", "P-2")
    assert "'999'" in info.value.message


def test_monthly_hours_become_weekly_hours_on_employment() -> None:
    # January 2024: weeks 1-5 start on 1, 8, 15, 22, 29 January; February starts on a Thursday.
    text = "participant_id,y_2401,y_2402,y_2403,y_2404,y_2405,b_2401,b_2402\nP-1,890,,,,,130,0\n"
    with pytest.raises(InvalidFile, match="name their unit"):
        read_dream(io.StringIO(text), CODES)
    t = read_dream(io.StringIO(text), CODES, employment_unit="monthly_hours")
    # 130 hours a month x 12 / 52 = 30.0 hours a week
    assert _rows(t) == [
        ("P-1", "sickness_benefit", date(2024, 1, 1), date(2024, 1, 8), None),
        ("P-1", "employed", date(2024, 1, 8), date(2024, 2, 1), Decimal("30.00")),
        ("P-1", "self_supported", date(2024, 2, 1), date(2024, 2, 5), None),
    ]
    grade = text.replace(",130,0", ',"0,5",')
    t = read_dream(io.StringIO(grade), CODES, employment_unit="grade", dialect=_comma())
    assert _rows(t)[1][4] == Decimal("18.50")  # half of 37 hours


def _comma():  # type: ignore[no-untyped-def]
    from impactbond.io.tables import Dialect

    return Dialect(decimal=",")


def test_the_example_code_table_says_it_is_an_example() -> None:
    with pytest.warns(ExampleCodeTableWarning, match="EXAMPLE"):
        codes = example_dream_codes()
    assert codes.is_example
    assert all("EXAMPLE" in e.source and e.version == "EXAMPLE" for e in codes.entries)
    assert codes.status_of("890") is Status.SICKNESS_BENEFIT


def test_a_code_table_reports_every_bad_row() -> None:
    text = (
        "code,status,priority,source,version\n"
        "111,unemployment_benefit,60,list,1\n"
        "111,unemployment_benefit,60,list,1\n"  # twice
        "112,dagpenge,60,list,1\n"  # not a status
        "113,unemployment_benefit,high,list,1\n"  # not a number
        "114,unemployment_benefit,60,,\n"  # no source, no version
    )
    with pytest.raises(InvalidFile) as info:
        read_codes(io.StringIO(text))
    assert [(e.row, e.field) for e in info.value.errors] == [
        (2, "code"),
        (3, "status"),
        (4, "priority"),
        (5, "source"),
        (5, "version"),
    ]


# -- the vectorised reader equals a day-by-day reference -------------------------------------


def reference_spells(
    ids: list[str],
    weeks: list[date],
    codes: list[list[str]],
    months: list[date],
    hours: list[list[str]],
    table: RegisterCodes,
) -> list[tuple[str, str, date, date, Decimal | None]]:
    """Walk every day; a day's status is its week's code or its month's employment, higher wins."""
    out: list[tuple[str, str, date, date, Decimal | None]] = []
    first, end = weeks[0], weeks[-1] + timedelta(days=7)
    for person, pid in enumerate(ids):
        days: list[tuple[str, Decimal | None]] = []
        day = first
        while day < end:
            week = (day - first).days // 7
            code = codes[person][week]
            month = date(day.year, day.month, 1)
            worked = None
            if month in months and hours[person][months.index(month)] not in ("", "0"):
                monthly = Decimal(hours[person][months.index(month)])
                worked = (monthly * 12 / 52 * 100).quantize(Decimal(1), ROUND_HALF_UP) / 100
            if code and worked is not None and table.entry(code).priority < 0:
                days.append(("employed", worked))  # never: employment ranks below codes
            elif code:
                days.append((table.status_of(code).name.lower(), None))
            elif worked is not None:
                days.append(("employed", worked))
            else:
                days.append(("self_supported", None))
            day += timedelta(days=1)
        start = 0
        for k in range(1, len(days) + 1):
            if k == len(days) or days[k] != days[start]:
                status, h = days[start]
                out.append(
                    (pid, status, first + timedelta(days=start), first + timedelta(days=k), h)
                )
                start = k
    return out


@st.composite
def extracts(
    draw: st.DrawFn,
) -> tuple[list[str], list[date], list[list[str]], list[date], list[list[str]]]:
    year = draw(st.sampled_from([2020, 2023, 2024, 2026]))  # 2020 and 2026 have a week 53
    first_week = draw(st.integers(40, 52))
    n_weeks = draw(st.integers(1, 12))
    start = date.fromisocalendar(year, first_week, 1)
    weeks = [start + timedelta(days=7 * k) for k in range(n_weeks)]
    m0 = date(start.year, start.month, 1)
    n_months = draw(st.integers(0, 4))
    months = []
    for k in range(n_months):
        y, m = divmod(m0.month - 1 + k, 12)
        months.append(date(m0.year + y, m + 1, 1))
    n = draw(st.integers(1, 4))
    ids = [f"P-{i}" for i in range(n)]
    codes = [[draw(st.sampled_from(["", "", "111", "890", "740"])) for _ in weeks] for _ in ids]
    hours = [[draw(st.sampled_from(["", "0", "80", "160", "37.5"])) for _ in months] for _ in ids]
    return ids, weeks, codes, months, hours


@given(extracts())
@settings(deadline=None)
def test_read_dream_equals_the_day_by_day_reference(
    extract: tuple[list[str], list[date], list[list[str]], list[date], list[list[str]]],
) -> None:
    ids, weeks, codes, months, hours = extract
    header = ["participant_id"]
    header += [f"y_{d.isocalendar().year % 100:02d}{d.isocalendar().week:02d}" for d in weeks]
    header += [f"b_{d.year % 100:02d}{d.month:02d}" for d in months]
    lines = [",".join(header)]
    for i, pid in enumerate(ids):
        lines.append(",".join([pid, *codes[i], *hours[i]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = read_dream(io.StringIO("\n".join(lines) + "\n"), CODES, employment_unit="monthly_hours")
    assert _rows(t) == reference_spells(ids, weeks, codes, months, hours, CODES)
