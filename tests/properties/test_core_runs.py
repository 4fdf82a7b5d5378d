"""The run kernels equal the dense weekly panel and its (separately referenced) kernels.

The dense panel (Panel.from_columns with np.maximum.at) and the dense kernels
(job_start, sustained_employment, retention_at, rungs_first_reached,
employed_weeks) are themselves held equal to the period-by-period references
in tests/reference.py; here the run-based kernels the engine uses are held
equal to them on random spells.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.calendar import OPEN_END_DAY, WeeklyGrid
from impactbond.core import job_start, retention_at, sustained_employment
from impactbond.core.accrual import employed_weeks
from impactbond.core.progression import rungs_first_reached
from impactbond.core.runs import (
    first_week,
    levels_first_reached,
    run_at,
    streak_reached,
    week_runs,
    weeks_by_segment,
)
from impactbond.domain.trajectory import Panel, SpellColumns
from impactbond.status import Status, priority_rank

MONDAY = date(2024, 1, 1).toordinal()  # a Monday
STATUSES = [int(s) for s in Status if s is not Status.UNKNOWN]


@st.composite
def spell_sets(draw: st.DrawFn) -> tuple[SpellColumns, int]:
    """Spells of a few rows over a few weeks: short spells, gaps, shared weeks, open ends."""
    n_rows = draw(st.integers(1, 6))
    n_weeks = draw(st.integers(1, 20))
    rows, starts, ends, statuses, employers = [], [], [], [], []
    for r in range(n_rows):
        day = MONDAY - draw(st.integers(0, 10))
        while day < MONDAY + 7 * n_weeks + 5:
            day += draw(st.sampled_from([0, 0, 1, 3, 9]))  # gaps
            length = draw(st.sampled_from([1, 2, 3, 5, 7, 8, 13, 30]))
            open_end = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
            rows.append(r)
            starts.append(day)
            ends.append(OPEN_END_DAY if open_end else day + length)
            statuses.append(draw(st.sampled_from(STATUSES)))
            employers.append(draw(st.integers(0, 3)))
            if open_end:
                break
            day += length
    cols = SpellColumns(
        participant_ids=tuple(f"P{r}" for r in range(n_rows)),
        row=np.array(rows, dtype=np.int64),
        start=np.array(starts, dtype=np.int64),
        end=np.array(ends, dtype=np.int64),
        status=np.array(statuses, dtype=np.int8),
        hours=np.full(len(rows), -1, dtype=np.int64),
        employer=np.array(employers, dtype=np.int32),
        employers=("", "E1", "E2", "E3"),
    )
    return cols, n_weeks


def _runs(cols: SpellColumns, n_weeks: int):  # type: ignore[no-untyped-def]
    first = np.clip((cols.start - MONDAY) // 7, 0, n_weeks)
    end = np.clip((np.minimum(cols.end, MONDAY + 7 * n_weeks) - 1 - MONDAY) // 7 + 1, 0, n_weeks)
    keep = end > first
    rank = priority_rank().astype(np.int64)[cols.status.astype(np.int64)]
    runs = week_runs(cols.row[keep], first[keep], end[keep], rank[keep])
    spell_index = np.flatnonzero(keep)[runs.spell]
    return runs, spell_index


def _panel(cols: SpellColumns, n_weeks: int) -> Panel:
    return Panel.from_columns(cols, WeeklyGrid(date.fromordinal(MONDAY), n_weeks), clip=True)


@given(spell_sets())
def test_runs_paint_the_dense_panel(case: tuple[SpellColumns, int]) -> None:
    cols, n_weeks = case
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    status = np.zeros_like(panel.status)
    employer = np.zeros_like(panel.employer)
    for k in range(len(runs)):
        status[runs.row[k], runs.start[k] : runs.end[k]] = cols.status[spell[k]]
        employer[runs.row[k], runs.start[k] : runs.end[k]] = cols.employer[spell[k]]
    assert status.tolist() == panel.status.tolist()
    assert employer.tolist() == panel.employer.tolist()
    # Runs are sorted, disjoint and maximal per spell.
    key = runs.row * 1000 + runs.start
    assert np.all(np.diff(key) > 0)
    same_row = runs.row[1:] == runs.row[:-1]
    assert np.all(runs.start[1:][same_row] >= runs.end[:-1][same_row])
    assert not np.any(same_row & (runs.start[1:] == runs.end[:-1]) & (spell[1:] == spell[:-1]))


@st.composite
def windows(draw: st.DrawFn, n_rows: int, n_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([draw(st.integers(0, n_weeks)) for _ in range(n_rows)])
    hi = np.array([draw(st.integers(0, n_weeks + 2)) for _ in range(n_rows)])
    return lo, hi


@given(spell_sets(), st.data())
def test_first_week_is_the_job_start(case: tuple[SpellColumns, int], data: st.DataObject) -> None:
    cols, n_weeks = case
    n = cols.n_rows
    lo, hi = data.draw(windows(n, n_weeks))
    employed = data.draw(st.sets(st.sampled_from(STATUSES), min_size=1))
    table = np.zeros(256, dtype=bool)
    table[list(employed)] = True
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    ok = table[cols.status[spell]]
    got = first_week(runs, ok, lo, hi, n)
    assert got.tolist() == job_start(panel.status, table, lo, hi).tolist()


@given(spell_sets(), st.data())
def test_streaks_are_sustained_employment(
    case: tuple[SpellColumns, int], data: st.DataObject
) -> None:
    cols, n_weeks = case
    n = cols.n_rows
    lo, hi = data.draw(windows(n, n_weeks))
    lo = np.where(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), lo, -1)
    weeks = data.draw(st.integers(1, 8))
    gap = data.draw(st.integers(0, 3))
    cumulative = data.draw(st.booleans())
    table = np.zeros(256, dtype=bool)
    table[[1, 2]] = True
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    got = streak_reached(
        runs,
        table[cols.status[spell]],
        lo,
        hi,
        weeks,
        n,
        allowed_gap=gap,
        cumulative=cumulative,
    )
    _, want, _ = sustained_employment(
        panel.status, table, lo, hi, weeks, allowed_gap=gap, cumulative=cumulative
    )
    assert got.tolist() == want.tolist()


@given(spell_sets(), st.data())
def test_run_at_reads_retention(case: tuple[SpellColumns, int], data: st.DataObject) -> None:
    cols, n_weeks = case
    n = cols.n_rows
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    start = np.array([data.draw(st.integers(-1, n_weeks - 1)) for _ in range(n)])
    horizon = data.draw(st.integers(0, 6))
    table = np.zeros(256, dtype=bool)
    table[1] = True
    want = retention_at(panel.status, table, start, horizon, employer=panel.employer)
    at_h = run_at(runs, np.arange(n), start + horizon)
    at_s = run_at(runs, np.arange(n), start)
    observed = (start >= 0) & (start + horizon < n_weeks)
    status_h = np.where(at_h >= 0, cols.status[spell[at_h]], 0)
    retained = observed & table[status_h]
    emp_h = np.where(at_h >= 0, cols.employer[spell[at_h]], 0)
    emp_s = np.where(at_s >= 0, cols.employer[spell[at_s]], 0)
    same = retained & (emp_h == emp_s) & (emp_s != 0)
    assert retained.tolist() == want.retained.tolist()
    assert same.tolist() == want.same_employer.tolist()


@given(spell_sets(), st.data())
def test_levels_are_rungs(case: tuple[SpellColumns, int], data: st.DataObject) -> None:
    cols, n_weeks = case
    n = cols.n_rows
    lo, hi = data.draw(windows(n, n_weeks))
    rung = np.full(256, -1, dtype=np.int8)
    ladder = data.draw(st.permutations(STATUSES))[: data.draw(st.integers(2, 6))]
    for i, s in enumerate(ladder):
        rung[s] = min(i, 3)
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    n_levels = int(rung.max()) + 1
    got = levels_first_reached(runs, rung[cols.status[spell]], lo, hi, n, n_levels)
    want = rungs_first_reached(panel.status, rung, lo, hi, n_weeks)
    assert got.tolist() == want.tolist()


@given(spell_sets(), st.data())
def test_segments_add_up_employed_weeks(
    case: tuple[SpellColumns, int], data: st.DataObject
) -> None:
    cols, n_weeks = case
    n = cols.n_rows
    lo, hi = data.draw(windows(n, n_weeks))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, n_weeks - 1)), max_size=4)))
    segments = np.array([0, *[c for c in cuts if c < n_weeks], n_weeks])
    weight = np.zeros(256, dtype=np.int64)
    weight[1], weight[2] = 2, 1
    panel = _panel(cols, n_weeks)
    runs, spell = _runs(cols, n_weeks)
    rows, seg, value = weeks_by_segment(runs, weight[cols.status[spell]], lo, hi, segments, n)
    dense = np.zeros((n, len(segments) - 1), dtype=np.int64)
    dense[rows, seg] = value
    assert np.all(value > 0)
    for j in range(len(segments) - 1):
        a, b = segments[j], segments[j + 1]
        want = employed_weeks(panel.status, np.clip(lo, a, b), np.clip(hi, a, b), weight)
        want = np.where(np.clip(hi, a, b) > np.clip(lo, a, b), want, 0)
        assert dense[:, j].tolist() == want.tolist()
