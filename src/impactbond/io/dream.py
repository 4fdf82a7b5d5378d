"""DREAM: the Danish register of public transfer payments, read into spells.

A DREAM extract has one row per person and one column per week,
``y_YYWW``: the two-digit year and the ISO week (``y_2401`` is week 1 of
2024; week 53 exists in years that have one).  A cell holds one benefit code:
the person had that benefit on at least one day of the week.  An empty cell
means no benefit that week.  Extracts since 2008 can carry monthly employment
columns (``b_YYMM`` here, ``employment_prefix`` for another name) with the
hours worked in the month, the weekly hours, or the employment grade (share of
full time).

The week-to-date rule
    Week ``y_YYWW`` is the days ``[Monday of ISO week WW, the next Monday)``.
    The whole week gets the week's status: the register says only *that* the
    benefit was paid in the week, not on which days.  Two-digit years are read
    in the century starting at ``first_year`` (default 1991, when DREAM
    begins): ``91``-``99`` are 1991-1999, ``00``-``90`` are 2000-2090.

What a day is
    Each day gets, from its week, the status of the week's code (through the
    code table) and, from its month, employment when the month has hours.  The
    higher priority wins: a code's priority comes from the code table,
    employment has ``employment_priority`` (default 0, below every code, as in
    the register where a benefit paid in the week marks the week).  A day with
    neither is ``empty_week`` (default ``self_supported``: no public benefit;
    ``None`` leaves a gap, which the engine reads as unknown).  Consecutive
    days with the same status and hours are one spell; the last spell ends
    with the last week of the file.  Months outside the weeks are not read.

Hours
    Monthly hours become weekly hours as ``hours x 12 / 52``; a grade becomes
    ``grade x full_time_hours`` (default 37); both rounded half up to 0.01
    hour (the canonical spells table holds hundredths).

The code table is the user's (:func:`impactbond.io.codes.read_codes`); a code
in the file that the table does not have is an error naming the row and the
week, as is a missing week column, a week 53 in a year without one, or a cell
that is not a code.

>>> import io, warnings
>>> from impactbond.io.codes import read_codes
>>> codes = read_codes(io.StringIO("code,status,priority,source,version\\n890,sickness_benefit,80,list,1\\n"))
>>> dream = "participant_id,y_2401,y_2402,y_2403\\nP-1,890,890,\\n"
>>> spells = read_dream(io.StringIO(dream), codes)
>>> [(r["status"], str(r["start"]), str(r["end"])) for r in spells.table.to_pylist()]
[('sickness_benefit', '2024-01-01', '2024-01-15'), ('self_supported', '2024-01-15', '2024-01-22')]
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain.participant import cpr_mask
from impactbond.errors import CPRNumberRefused, UnknownCode
from impactbond.io._files import shown
from impactbond.io.codes import RegisterCodes
from impactbond.io.tables import (
    HOURS_TYPE,
    MAX_TEXT,
    SPELLS_SCHEMA,
    Dialect,
    SourceTable,
    _Problems,
    _string_column,
    read_raw,
)
from impactbond.status import Status

__all__ = ["EmploymentUnit", "read_dream", "week_start"]

EmploymentUnit = Literal["monthly_hours", "weekly_hours", "grade"]
_WEEK = re.compile(r"^y_([0-9]{2})([0-9]{2})$")
_NO = -1


def week_start(year: int, week: int) -> date:
    """Monday of ISO week ``week`` of ``year`` (a ``ValueError`` if the year has no such week).

    >>> week_start(2020, 53), week_start(2021, 1)
    (datetime.date(2020, 12, 28), datetime.date(2021, 1, 4))
    """
    return date.fromisocalendar(year, week, 1)


def _full_year(yy: int, first_year: int) -> int:
    year = first_year - first_year % 100 + yy
    return year if year >= first_year else year + 100


def _hundredths(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def read_dream(
    source: str | os.PathLike[str] | Any,
    codes: RegisterCodes,
    *,
    id_column: str = "participant_id",
    employment_prefix: str = "b_",
    employment_unit: EmploymentUnit | None = None,
    full_time_hours: Decimal = Decimal(37),
    employment_priority: int = 0,
    empty_week: Status | None = Status.SELF_SUPPORTED,
    first_year: int = 1991,
    ignore_columns: Iterable[str] = (),
    dialect: Dialect | None = None,
    sheet: str | None = None,
    source_name: str | None = None,
) -> SourceTable:
    """Read a DREAM extract into the canonical spells table.

    Parameters
    ----------
    source:
        The extract: a path (CSV, Excel, Parquet...), an open file or a frame.
    codes:
        The code table (:func:`impactbond.io.codes.read_codes`).
    id_column:
        The column with the participant's pseudonym.
    employment_prefix, employment_unit:
        Monthly employment columns are ``{employment_prefix}YYMM``; their
        cells are ``"monthly_hours"``, ``"weekly_hours"`` or ``"grade"`` (0..1).
        The unit must be named when the file has such columns.
    full_time_hours:
        Weekly hours of full time, for grades.
    employment_priority:
        Priority of a month of employment against the week's code.
    empty_week:
        The status of a day without a code or employment (``None``: a gap).
    first_year:
        The first year two-digit years can mean.
    ignore_columns:
        Other columns of the extract to leave unread (any other column is an error).
    dialect, sheet, source_name:
        As for :func:`impactbond.io.tables.read_raw`.

    Returns
    -------
    SourceTable
        Spells, each with the row number of its person in the extract.
    """
    dialect = dialect or Dialect()
    raw = read_raw(source, dialect=dialect, sheet=sheet, source_name=source_name)
    problems = _Problems(raw.source)
    table = raw.table
    monthly = re.compile(rf"^{re.escape(employment_prefix)}([0-9]{{2}})([0-9]{{2}})$")
    ignored = set(ignore_columns)
    weeks: list[tuple[date, str]] = []
    months: list[tuple[date, str]] = []
    for column in table.column_names:
        if column == id_column or column in ignored:
            continue
        if m := _WEEK.match(column):
            year, week = _full_year(int(m.group(1)), first_year), int(m.group(2))
            try:
                weeks.append((week_start(year, week), column))
            except ValueError:
                problems.add(
                    f"column {column}: {year} has no ISO week {week}",
                    row=0,
                    field=column,
                    rule="week columns are y_YYWW with an ISO week of that year",
                )
        elif m := monthly.match(column):
            year, month = _full_year(int(m.group(1)), first_year), int(m.group(2))
            if 1 <= month <= 12:
                months.append((date(year, month, 1), column))
            else:
                problems.add(
                    f"column {column}: there is no month {month}",
                    row=0,
                    field=column,
                    rule=f"month columns are {employment_prefix}YYMM",
                )
        else:
            problems.add(
                f"column {shown(column)} is neither {id_column}, a week y_YYWW nor a month "
                f"{employment_prefix}YYMM (pass ignore_columns to leave it unread)",
                row=0,
                field=column,
                rule="every column of the extract is read or named as ignored",
            )
    if id_column not in table.column_names:
        problems.add(
            f"the extract has no column {id_column!r}",
            row=0,
            field=id_column,
            rule="the extract has a column of pseudonyms",
        )
    if not weeks:
        problems.add("the extract has no week columns y_YYWW", row=0, rule="DREAM has weeks")
    if months and employment_unit is None:
        problems.add(
            f"the extract has monthly columns ({months[0][1]}, ...); name their unit "
            "(monthly_hours, weekly_hours or grade)",
            row=0,
            field=months[0][1],
            rule="monthly employment columns have a named unit",
        )
    weeks.sort()
    months.sort()
    for (a, _), (b, column) in itertools.pairwise(weeks):
        if b - a != timedelta(days=7):
            missing = (b - a).days // 7 - 1
            problems.add(
                f"{missing} week column(s) missing before {column} (after "
                f"{a.isocalendar().year}-W{a.isocalendar().week:02d})",
                row=0,
                field=column,
                rule="the week columns are consecutive",
            )
    problems.raise_if_any()

    n = table.num_rows
    ids = pc.utf8_trim_whitespace(_string_column(table.column(id_column).combine_chunks()))
    id_list = ids.to_pylist()
    cpr = cpr_mask(ids)
    problems.rows(
        cpr,
        raw.row_numbers,
        lambda i: f"{id_column} looks like a Danish CPR number; use a pseudonym",
        field=id_column,
        rule="identifiers are pseudonyms, never CPR numbers",
        cls=CPRNumberRefused,
    )
    empty = np.array([x is None or x == "" for x in id_list], dtype=np.bool_)
    problems.rows(
        empty,
        raw.row_numbers,
        lambda i: f"{id_column} is empty",
        field=id_column,
        rule="every row has a pseudonym",
    )
    long_ = np.array([x is not None and len(x) > MAX_TEXT for x in id_list], dtype=np.bool_)
    problems.rows(
        long_ & ~cpr,
        raw.row_numbers,
        lambda i: f"{id_column} is longer than {MAX_TEXT} characters",
        field=id_column,
        rule=f"a text cell is at most {MAX_TEXT} characters",
    )
    safe = [None if (cpr[i] or long_[i]) else id_list[i] for i in range(n)]

    code_values, code_status, code_priority = codes.arrays()
    status_of = np.asarray([*code_status, _NO], dtype=np.int16)
    priority_of = np.asarray([*code_priority, _NO], dtype=np.int16)
    week_status = np.full((n, len(weeks)), _NO, dtype=np.int16)
    week_priority = np.full((n, len(weeks)), _NO, dtype=np.int16)
    for k, (_, column) in enumerate(weeks):
        cells = pc.utf8_trim_whitespace(_string_column(table.column(column).combine_chunks()))
        index = pc.index_in(cells, value_set=code_values)
        present = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(cells), 0), False))
        known = np.asarray(pc.is_valid(index))
        problems.rows(
            present & ~known,
            raw.row_numbers,
            lambda i, c=cells, col=column: (
                f"code {shown(c[i].as_py())} in {col} is not in the code table {codes.name}"
            ),
            field=column,
            rule="every register code maps to a status",
            participants=safe,
            cls=UnknownCode,
        )
        at = np.asarray(pc.fill_null(index, len(code_status)), dtype=np.int64)
        week_status[:, k] = status_of[at]
        week_priority[:, k] = priority_of[at]

    month_hours = np.full((n, len(months)), _NO, dtype=np.int64)
    for k, (_, column) in enumerate(months):
        month_hours[:, k] = _month_column(
            table.column(column).combine_chunks(),
            column,
            employment_unit,
            full_time_hours,
            dialect.decimal,
            raw,
            problems,
            safe,
        )
    problems.raise_if_any()
    spells = _spells(
        weeks,
        months,
        week_status,
        week_priority,
        month_hours,
        employment_priority,
        empty_week,
    )
    person, start, end, status, hours = spells
    names = np.full(256, "", dtype=object)  # by status code (codes are not contiguous)
    for st in Status:
        names[int(st)] = st.file_name
    hours_values = [None if h < 0 else Decimal(int(h)).scaleb(-2) for h in hours.tolist()]
    out = pa.Table.from_arrays(
        [
            pa.array(np.asarray(id_list, dtype=object)[person], type=pa.string()),
            pa.array(names[status], type=pa.string()),
            pa.array(start.astype(np.int32), type=pa.int32()).cast(pa.date32()),
            pa.array(end.astype(np.int32), type=pa.int32()).cast(pa.date32()),
            pa.array(hours_values, type=HOURS_TYPE),
            pa.nulls(len(person), pa.string()),
        ],
        schema=pa.schema([f.with_nullable(True) for f in SPELLS_SCHEMA]),
    )
    return SourceTable(out, raw.source, raw.row_numbers[person])


def _month_column(
    cells: pa.Array,
    column: str,
    unit: EmploymentUnit | None,
    full_time: Decimal,
    decimal: str,
    raw: SourceTable,
    problems: _Problems,
    safe: list[str | None],
) -> npt.NDArray[np.int64]:
    """Weekly hours in hundredths per person (``-1``: not employed that month)."""
    text = pc.utf8_trim_whitespace(_string_column(cells)).to_pylist()
    pattern = re.compile(rf"^[0-9]{{1,4}}({re.escape(decimal)}[0-9]{{1,6}})?$")
    out = np.full(len(text), _NO, dtype=np.int64)
    for i, value in enumerate(text):
        if value is None or value == "":
            continue
        if not pattern.match(value):
            problems.add(
                f"{column} {shown(value)} is not a plain decimal number"
                + (" (decimal mark ',': --decimal ,)" if "," in value and decimal == "." else ""),
                row=int(raw.row_numbers[i]),
                field=column,
                rule="monthly employment is a plain decimal number",
                participant=safe[i],
            )
            continue
        number = Decimal(value.replace(",", "."))
        if unit == "grade" and number > 1:
            problems.add(
                f"{column} {shown(value)} is a grade above 1 (full time)",
                row=int(raw.row_numbers[i]),
                field=column,
                rule="an employment grade lies between 0 and 1",
                participant=safe[i],
            )
            continue
        if unit == "monthly_hours":
            weekly = number * 12 / 52
        elif unit == "grade":
            weekly = number * full_time
        else:
            weekly = number
        if weekly > 168:
            problems.add(
                f"{column} {shown(value)} is more than 168 hours a week",
                row=int(raw.row_numbers[i]),
                field=column,
                rule="a week has 168 hours",
                participant=safe[i],
            )
            continue
        if number > 0:
            out[i] = _hundredths(weekly)
    return out


def _spells(
    weeks: list[tuple[date, str]],
    months: list[tuple[date, str]],
    week_status: npt.NDArray[np.int16],
    week_priority: npt.NDArray[np.int16],
    month_hours: npt.NDArray[np.int64],
    employment_priority: int,
    empty_week: Status | None,
) -> tuple[npt.NDArray[np.int64], ...]:
    """Run-length encode each person's days into spells, vectorised over people.

    The timeline is cut at every week start and every month start inside the
    weeks; each segment has one week and one month, so one status and hours.
    """
    first = weeks[0][0].toordinal()
    last = weeks[-1][0].toordinal() + 7
    week_days = np.asarray([d.toordinal() for d, _ in weeks], dtype=np.int64)
    month_days = np.asarray([d.toordinal() for d, _ in months], dtype=np.int64)
    month_ends = np.asarray([_next_month(d).toordinal() for d, _ in months], dtype=np.int64)
    bounds = np.concatenate((month_days, month_ends))
    inside = bounds[(bounds > first) & (bounds < last)]
    cuts = np.unique(np.concatenate((week_days, inside, [last])))
    seg_start = cuts[:-1]
    seg_week = np.searchsorted(week_days, seg_start, side="right") - 1
    n = week_status.shape[0]
    s = len(seg_start)
    code_status = week_status[:, seg_week]
    code_priority = week_priority[:, seg_week]
    if months:
        seg_month = np.searchsorted(month_days, seg_start, side="right") - 1
        # a segment in a month before the first month column, or after the last, has no month
        has_month = (seg_month >= 0) & (seg_start < month_ends[np.clip(seg_month, 0, None)])
        hours = np.where(has_month, month_hours[:, np.clip(seg_month, 0, None)], _NO)
    else:
        hours = np.full((n, s), _NO, dtype=np.int64)
    employed = hours >= 0
    code = code_status >= 0
    employment_wins = employed & (~code | (employment_priority > code_priority))
    empty = int(empty_week) if empty_week is not None else _NO
    status = np.where(code, code_status, empty).astype(np.int64)
    status = np.where(employment_wins, int(Status.EMPLOYED), status)
    hours = np.where(employment_wins, hours, _NO)
    # runs: a new spell where the row starts or (status, hours) changes
    new = np.ones((n, s), dtype=np.bool_)
    new[:, 1:] = (status[:, 1:] != status[:, :-1]) | (hours[:, 1:] != hours[:, :-1])
    person, seg = np.nonzero(new)
    run_status = status[person, seg]
    run_hours = hours[person, seg]
    # the end of a run: the start of the next run of the same person, else the last day
    next_seg = np.append(seg[1:], s)
    next_person = np.append(person[1:], -1)
    end_seg = np.where(next_person == person, next_seg, s)
    start = seg_start[seg]
    end = cuts[end_seg]
    keep = run_status >= 0
    epoch = date(1970, 1, 1).toordinal()
    return (
        person[keep],
        start[keep] - epoch,
        end[keep] - epoch,
        run_status[keep],
        run_hours[keep],
    )


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)
