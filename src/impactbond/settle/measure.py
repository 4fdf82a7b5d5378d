"""Measurement: one measurer per outcome kind, registered by type.

A measurer turns one outcome of the contract into :class:`Measured`: the
earned *items* (one per participant-month, per event, per rung), each with
its period, the day it was earned and its exact quantity over the outcome's
denominator, plus what the statement reports (job starts, retention).  It
reads only the participants' own data, so it runs on any partition of them.

A new outcome kind is one function decorated with ``@measurer(Kind)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.calendar import OPEN_END_DAY, add_months
from impactbond.core import runs as core_runs
from impactbond.core.accrual import AccrualConvention, month_items
from impactbond.domain.measure import spell_weight_numerators, status_weight_table
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    MissingHours,
    Outcome,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    StatusAtFollowUp,
    SustainedEmployment,
    Weights,
    Window,
)
from impactbond.domain.trajectory import HOURS_SCALE
from impactbond.errors import AmbiguousDate, SettlementError
from impactbond.register import Register
from impactbond.settle.clock import Observation
from impactbond.status import DEFAULT_PRIORITY, Status, priority_rank

__all__ = [
    "FOLLOW_UP_REASONS",
    "MEASURERS",
    "Items",
    "MeasureContext",
    "Measured",
    "measure",
    "measurer",
]

I64 = npt.NDArray[np.int64]
#: Item columns: rows and days in int32 or int64, quantities in int64.
IA = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]

_EPOCH = date(1970, 1, 1).toordinal()


@attrs.frozen(eq=False)
class Items:
    """Earned units of one outcome, sorted by participant row, then earning day.

    ``num / den`` (the outcome's denominator) is each item's quantity;
    ``detail`` holds what the trace shows about it (for a month: the weighted
    days ``weighted`` over ``weight_den``, the measured days ``days`` and the
    days of the month ``month_days``; for a weekly event: the ``week`` and,
    for a rung, the ``rung``).
    """

    row: IA
    period_start: IA
    period_end: IA
    earned_on: IA
    num: IA
    detail: dict[str, IA] = attrs.field(factory=dict)

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def empty(cls) -> Items:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z)

    def take(self, index: npt.NDArray[Any]) -> Items:
        return Items(
            self.row[index],
            self.period_start[index],
            self.period_end[index],
            self.earned_on[index],
            self.num[index],
            {k: v[index] for k, v in self.detail.items()},
        )


@attrs.frozen(eq=False)
class Measured:
    """One outcome measured for every settled participant."""

    outcome: Outcome
    den: int
    items: Items
    totals: I64
    """Per participant row: the numerator of the quantity earned (over ``den``)."""
    job_start: I64 | None = None
    """Per row: the job start week (-1: none), for outcomes that follow one."""
    eligible: BoolArray | None = None
    censored: BoolArray | None = None
    retained: BoolArray | None = None
    same_employer: BoolArray | None = None
    detail_den: int = 1
    """Denominator of ``items.detail["weighted"]`` (full-time day = ``detail_den``)."""
    follow_up_day: I64 | None = None
    """Per row and follow-up (``rows x follow-ups``): the follow-up date, for follow-up outcomes."""
    follow_up_reason: I64 | None = None
    """Per row and follow-up: a :data:`FOLLOW_UP_REASONS` code, why it was (not) earned."""

    def total_of(self, row: int) -> Fraction:
        """The exact quantity earned by one participant row."""
        return Fraction(int(self.totals[row]), self.den)

    # The items' columns, for reading one outcome's earned units directly.
    @property
    def row(self) -> IA:
        return self.items.row

    @property
    def period_start(self) -> IA:
        return self.items.period_start

    @property
    def period_end(self) -> IA:
        return self.items.period_end

    @property
    def earned_on(self) -> IA:
        return self.items.earned_on

    @property
    def num(self) -> IA:
        return self.items.num


def _sum_by_row(rows: IA, values: IA, n: int) -> I64:
    """Per row the sum of its items' values (items sorted by row)."""
    out = np.zeros(n, dtype=np.int64)
    if len(rows):
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        out[rows[first]] = np.add.reduceat(values.astype(np.int64, copy=False), first)
    return out


# ---------------------------------------------------------------------------- context


class MeasureContext:
    """What the measurers share: the settled register, the clock, cached windows and runs."""

    def __init__(self, register: Register, obs: Observation) -> None:
        self.register = register
        self.obs = obs
        self.n = len(register)
        stop = obs.stop
        keep = register.spell_start < stop
        self.spell_index = np.flatnonzero(keep)
        self.spell_row = register.spell_row[keep].astype(np.int64)
        self.spell_start = register.spell_start[keep].astype(np.int64)
        # DATA_UNTIL: a spell still open (or running past the cut-off) ends at the cut-off.
        self.spell_end = np.minimum(register.spell_end[keep].astype(np.int64), stop)
        self.spell_status = register.spell_status[keep]
        self.spell_hours = register.spell_hours[keep].astype(np.int64)
        self.spell_employer = register.spell_employer[keep].astype(np.int64)
        self._windows: dict[Window, tuple[I64, I64]] = {}
        self._runs: core_runs.WeekRuns | None = None
        self._job_starts: dict[tuple[Weights, Window], I64] = {}

    def window(self, window: Window) -> tuple[I64, I64]:
        """``(start, end)`` day numbers of every participant's window."""
        if window not in self._windows:
            self._windows[window] = self.obs.windows(self.register, window)
        return self._windows[window]

    def runs(self) -> core_runs.WeekRuns:
        """Weekly statuses as runs (a benefit paid in a week wins the week)."""
        if self._runs is None:
            first = self.obs.week_of(self.spell_start)
            end = self.obs.week_of(self.spell_end - 1) + 1
            rank = priority_rank(DEFAULT_PRIORITY).astype(np.int64)
            self._runs = core_runs.week_runs(
                self.spell_row, first, end, rank[self.spell_status.astype(np.int64) & 0xFF]
            )
        return self._runs

    def run_status(self) -> npt.NDArray[np.int8]:
        return self.spell_status[self.runs().spell]

    def weekly_bounds(self, window: Window) -> tuple[I64, I64, I64, I64]:
        """Weeks ``[lo, hi)`` of each window, the first week past the contract's end of
        measurement (term, tail, exit) and the first week not yet observed."""
        ws, we = self.window(window)
        obs = self.obs
        lo = obs.first_week_from(ws)
        hi = obs.first_week_from(we)
        contract_stop = obs.weeks_ended_before(np.minimum(obs.exit_end, obs.measure_end))
        data_stop = np.full(self.n, int(obs.weeks_ended_before([obs.data_end])[0]), np.int64)
        return lo, hi, contract_stop, data_stop

    def job_start(self, weights: Weights, window: Window) -> I64:
        """First week in each window with a counted status (-1: none observed yet)."""
        key = (weights, window)
        if key not in self._job_starts:
            lo, hi, cstop, dstop = self.weekly_bounds(window)
            ok = _status_table(weights)[self.run_status().astype(np.int64) & 0xFF]
            end = np.minimum(np.minimum(hi, cstop), dstop)
            self._job_starts[key] = core_runs.first_week(self.runs(), ok, lo, end, self.n)
        return self._job_starts[key]


def _status_table(weights: Weights) -> BoolArray:
    table = np.zeros(256, dtype=bool)
    for status, w in weights:
        if w > 0:
            table[int(status) & 0xFF] = True
    return table


# ----------------------------------------------------------------------------- registry

M = TypeVar("M")
Measurer = Callable[[Any, MeasureContext], Measured]
MEASURERS: dict[type, Measurer] = {}


def measurer(kind: type[M]) -> Callable[[Callable[[M, MeasureContext], Measured]], Measurer]:
    """Register the measurer of one outcome kind."""

    def register(fn: Callable[[M, MeasureContext], Measured]) -> Measurer:
        MEASURERS[kind] = fn
        return fn

    return register


def measure(outcome: Outcome, ctx: MeasureContext) -> Measured:
    """Measure one outcome with the measurer registered for its kind."""
    try:
        fn = MEASURERS[type(outcome)]
    except KeyError:
        raise SettlementError(
            f"no measurer for outcome kind {type(outcome).__name__}", field="outcomes"
        ) from None
    return fn(outcome, ctx)


# ------------------------------------------------------------------------------- months


def _month_index(days: I64) -> I64:
    """Months since January 1970 of day numbers."""
    return (days - _EPOCH).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(months: I64) -> I64:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + _EPOCH


def _daily_month_items(
    ctx: MeasureContext, outcome: EmploymentMonths | SelfSufficiency
) -> tuple[Items, int, int]:
    ws, we = ctx.window(outcome.window)
    mend = ctx.obs.measurement_end(we)
    weight, wden = spell_weight_numerators(
        ctx.spell_status,
        ctx.spell_hours,
        outcome.weights,
        getattr(outcome, "hours_norm", None),
        getattr(outcome, "missing_hours", None),
    )
    # Only spells with a weight count: the others are left out before the months are cut.
    counted = np.flatnonzero(weight > 0)
    if len(counted) < len(weight):
        rows, start, end = (
            ctx.spell_row[counted],
            ctx.spell_start[counted],
            ctx.spell_end[counted],
        )
        weight = weight[counted]
    else:
        rows, start, end = ctx.spell_row, ctx.spell_start, ctx.spell_end
    # A threshold convention judges a month against its days in the window, so a month
    # cut short by an exit or the term's end is not whole (an earlier exit never pays more).
    m, den = month_items(
        rows, start, end, weight, wden, ws, we, outcome.convention, measure_end=mend
    )
    earned_on = m.period_end - 1
    # EARNED_ON_LAST_DAY: a month's part is earned once the data cover its last day.
    ok = ctx.obs.earned(earned_on)
    detail = {"weighted": m.weighted, "days": m.days, "month_days": m.month_days}
    if ok.all():
        items = Items(m.row, m.period_start, m.period_end, earned_on, m.num, detail)
    else:
        items = Items(
            m.row[ok],
            m.period_start[ok],
            m.period_end[ok],
            earned_on[ok],
            m.num[ok],
            {k: v[ok] for k, v in detail.items()},
        )
    return items, den, wden


def _weekly_month_items(
    ctx: MeasureContext, outcome: EmploymentMonths | SelfSufficiency
) -> tuple[Items, int, int]:
    """``WEEKS_52_12``: counted weeks, each credited to the month of its Monday, x 12/52."""
    table, wden = status_weight_table(outcome.weights)
    runs = ctx.runs()
    weight = table[ctx.run_status().astype(np.int64) & 0xFF]
    lo, hi, cstop, dstop = ctx.weekly_bounds(outcome.window)
    end = np.minimum(hi, cstop)
    if ctx.n == 0 or len(runs) == 0:
        return Items.empty(), 13 * wden, wden
    first_month = int(_month_index(ctx.obs.monday(np.array([max(int(lo.min()), 0)])))[0])
    last_month = int(_month_index(ctx.obs.monday(np.array([int(end.max())])))[0]) + 1
    months = np.arange(first_month, last_month + 1, dtype=np.int64)
    seg = ctx.obs.first_week_from(_month_start(months))
    keep_seg = np.r_[True, np.diff(seg) > 0]
    months, seg = months[keep_seg], seg[keep_seg]
    if len(seg) < 2:
        return Items.empty(), 13 * wden, wden
    rows, segment, weeks = core_runs.weeks_by_segment(runs, weight, lo, end, seg, ctx.n)
    # The item's weeks: the segment's weeks inside the measured range; earned on the last
    # Sunday, once observed.
    a = np.maximum(seg[segment], lo[rows])
    b = np.minimum(seg[segment + 1], end[rows])
    observed = b <= dstop[rows]
    p_start = ctx.obs.monday(a)
    p_end = ctx.obs.monday(b)
    ok = observed & (weeks > 0)
    items = Items(
        rows[ok],
        p_start[ok],
        p_end[ok],
        p_end[ok] - 1,
        3 * weeks[ok],
        {"weeks": weeks[ok], "week": a[ok]},
    )
    return items, 13 * wden, wden


def _monthly(ctx: MeasureContext, outcome: EmploymentMonths | SelfSufficiency) -> Measured:
    if outcome.convention is AccrualConvention.WEEKS_52_12:
        items, den, wden = _weekly_month_items(ctx, outcome)
    else:
        items, den, wden = _daily_month_items(ctx, outcome)
    return Measured(outcome, den, items, _sum_by_row(items.row, items.num, ctx.n), detail_den=wden)


@measurer(EmploymentMonths)
def _employment_months(outcome: EmploymentMonths, ctx: MeasureContext) -> Measured:
    return _monthly(ctx, outcome)


# ------------------------------------------------------------------------------- events


def _week_events(
    ctx: MeasureContext, outcome: Outcome, week: I64, *, job_start: I64 | None = None, **extra: Any
) -> Measured:
    """One item per row with ``week >= 0``: the week, earned on its Sunday."""
    rows = np.flatnonzero(week >= 0).astype(np.int64)
    monday = ctx.obs.monday(week[rows])
    items = Items(
        rows,
        monday,
        monday + 7,
        monday + 6,
        np.ones(len(rows), dtype=np.int64),
        {"week": week[rows]},
    )
    return Measured(
        outcome, 1, items, _sum_by_row(rows, items.num, ctx.n), job_start=job_start, **extra
    )


@measurer(JobStart)
def _job_start(outcome: JobStart, ctx: MeasureContext) -> Measured:
    js = ctx.job_start(outcome.weights, outcome.window)
    return _week_events(ctx, outcome, js, job_start=js)


def _gather(values: npt.NDArray[Any], index: I64, default: int = 0) -> I64:
    """``values[index]``, ``default`` where ``index < 0`` (also when ``values`` is empty)."""
    out = np.full(len(index), default, dtype=np.int64)
    hit = index >= 0
    out[hit] = values[index[hit]]
    return out


def _employer_at(ctx: MeasureContext, run: I64) -> I64:
    spell = _gather(ctx.runs().spell, run, -1)
    return _gather(ctx.spell_employer, spell)


@measurer(SustainedEmployment)
def _sustained(outcome: SustainedEmployment, ctx: MeasureContext) -> Measured:
    runs = ctx.runs()
    js = ctx.job_start(outcome.weights, outcome.window)
    _, hi, cstop, dstop = ctx.weekly_bounds(outcome.window)
    ok = _status_table(outcome.weights)[ctx.run_status().astype(np.int64) & 0xFF]
    if outcome.same_employer:
        start_employer = _employer_at(ctx, core_runs.run_at(runs, np.arange(ctx.n), js))
        run_employer = ctx.spell_employer[runs.spell]
        ok = ok & (run_employer == start_employer[runs.row]) & (run_employer > 0)
    if outcome.min_weekly_hours is not None:
        hours = ctx.spell_hours[runs.spell]
        enough = hours >= int(outcome.min_weekly_hours * HOURS_SCALE)
        if getattr(outcome, "missing_hours", None) is MissingHours.FULL_TIME:
            enough |= hours < 0
        ok = ok & enough
    end = np.minimum(np.minimum(hi, cstop), dstop)
    at = core_runs.streak_reached(
        runs,
        ok,
        js,
        end,
        outcome.weeks,
        ctx.n,
        allowed_gap=outcome.allowed_gap_weeks,
        cumulative=outcome.cumulative,
    )
    return _week_events(ctx, outcome, np.where(js >= 0, at, -1), job_start=js)


def _horizon_weeks(ctx: MeasureContext, js: I64, outcome: Retention) -> I64:
    if outcome.horizon_months is None:
        assert outcome.horizon_weeks is not None
        return np.full(len(js), outcome.horizon_weeks, dtype=np.int64)
    out = np.zeros(len(js), dtype=np.int64)
    for week in np.unique(js[js >= 0]).tolist():
        monday = date.fromordinal(int(ctx.obs.monday(np.array([week]))[0]))
        later = add_months(monday, outcome.horizon_months, ctx.obs.contract.month_rounding)
        out[js == week] = int(ctx.obs.week_of(np.array([later.toordinal()]))[0]) - week
    return out


@measurer(Retention)
def _retention(outcome: Retention, ctx: MeasureContext) -> Measured:
    runs = ctx.runs()
    js = ctx.job_start(outcome.weights, outcome.window)
    _, _, cstop, dstop = ctx.weekly_bounds(outcome.window)
    target = js + _horizon_weeks(ctx, js, outcome)
    eligible = js >= 0
    # The horizon week is observed once it ended inside the measurement and the data.
    censored = eligible & (target >= np.minimum(cstop, dstop))
    observed = eligible & ~censored
    rows = np.arange(ctx.n)
    at_h = core_runs.run_at(runs, rows, np.where(observed, target, -1))
    table = _status_table(outcome.weights)
    status_h = _gather(ctx.run_status(), at_h)
    retained = observed & table[status_h.astype(np.int64) & 0xFF]
    start_employer = _employer_at(ctx, core_runs.run_at(runs, rows, js))
    same = retained & (_employer_at(ctx, at_h) == start_employer) & (start_employer > 0)
    hit = same if outcome.same_employer else retained
    return _week_events(
        ctx,
        outcome,
        np.where(hit, target, -1),
        job_start=js,
        eligible=eligible,
        censored=censored,
        retained=retained,
        same_employer=same,
    )


@measurer(Progression)
def _progression(outcome: Progression, ctx: MeasureContext) -> Measured:
    runs = ctx.runs()
    rung = np.full(256, -1, dtype=np.int64)
    for i, statuses in enumerate(outcome.ladder):
        for s in statuses:
            rung[int(s) & 0xFF] = i
    lo, hi, cstop, dstop = ctx.weekly_bounds(outcome.window)
    end = np.minimum(np.minimum(hi, cstop), dstop)
    first_at = core_runs.levels_first_reached(
        runs, rung[ctx.run_status().astype(np.int64) & 0xFF], lo, end, ctx.n, len(outcome.ladder)
    )
    rows, rungs = np.nonzero(first_at >= 0)
    week = first_at[rows, rungs]
    # One line per rung climbed, dated when first reached: by row, then week, then rung.
    order = np.lexsort((rungs, week, rows))
    rows, rungs, week = rows[order].astype(np.int64), rungs[order].astype(np.int64), week[order]
    monday = ctx.obs.monday(week)
    items = Items(
        rows,
        monday,
        monday + 7,
        monday + 6,
        np.ones(len(rows), dtype=np.int64),
        {"week": week, "rung": rungs},
    )
    return Measured(outcome, 1, items, _sum_by_row(rows, items.num, ctx.n))


@measurer(SelfSufficiency)
def _self_sufficiency(outcome: SelfSufficiency, ctx: MeasureContext) -> Measured:
    if outcome.without_benefit_weeks is None:
        return _monthly(ctx, outcome)
    runs = ctx.runs()
    lo, hi, cstop, dstop = ctx.weekly_bounds(outcome.window)
    ok = _status_table(outcome.weights)[ctx.run_status().astype(np.int64) & 0xFF]
    end = np.minimum(np.minimum(hi, cstop), dstop)
    at = core_runs.streak_reached(runs, ok, lo, end, outcome.without_benefit_weeks, ctx.n)
    return _week_events(ctx, outcome, at)


@measurer(RecordedEvent)
def _recorded_event(outcome: RecordedEvent, ctx: MeasureContext) -> Measured:
    reg = ctx.register
    ws, we = ctx.window(outcome.window)
    mend = ctx.obs.measurement_end(we)
    code = reg.event_names.index(outcome.event) if outcome.event in reg.event_names else -1
    r = reg.event_row.astype(np.int64)
    d = reg.event_day.astype(np.int64)
    hit = (reg.event_code == code) & (d >= ws[r]) & (d < mend[r]) & ctx.obs.earned(d)
    r, d = r[hit], d[hit]
    if outcome.once and len(r):
        first = np.r_[True, r[1:] != r[:-1]]
        r, d = r[first], d[first]
    items = Items(r, d, d + 1, d, np.ones(len(r), dtype=np.int64))
    return Measured(outcome, 1, items, _sum_by_row(r, items.num, ctx.n))


# ---------------------------------------------------------------------------- follow-ups


#: Why a follow-up was or was not earned, by code (``Measured.follow_up_reason``).
FOLLOW_UP_REASONS: tuple[str, ...] = (
    "earned",
    "not yet observed: after the data cut-off",
    "after the end of measurement (the term and its tail)",
    "after the exit (on_exit = stop_measurement)",
    "not holding a counted status on the date",
    "a status of the look-back was found before the date",
)


def _day_keys(rows: I64, days: I64) -> I64:
    """One sortable int64 per (row, day): rows in the high bits, day numbers below."""
    key: I64 = (rows.astype(np.int64) << 32) | days.astype(np.int64)
    return key


def _covering_spell(ctx: MeasureContext, rows: I64, days: I64) -> I64:
    """Per query the observed spell holding ``days`` for ``rows`` (-1: none).

    A participant's spells do not overlap (the register checks it), so the
    spell holding a day is the last one starting on or before it, if it has
    not ended.
    """
    start_key = _day_keys(ctx.spell_row, ctx.spell_start)
    order = np.arange(len(start_key))
    if len(start_key) > 1 and bool((start_key[1:] < start_key[:-1]).any()):
        order = np.argsort(start_key, kind="stable")
    at = np.searchsorted(start_key[order], _day_keys(rows, days), side="right") - 1
    spell = _gather(order, at, -1)
    hit = spell >= 0
    hit[hit] = (ctx.spell_row[spell[hit]] == rows[hit]) & (ctx.spell_end[spell[hit]] > days[hit])
    return np.where(hit, spell, -1)


def _spells_overlapping(ctx: MeasureContext, table: BoolArray, rows: I64, lo: I64, hi: I64) -> I64:
    """Per query how many spells with a status of ``table`` overlap ``[lo, hi)`` of ``rows``.

    Spells starting before ``hi`` less spells ending on or before ``lo``: every
    spell of the second kind is of the first, whatever the weekday.
    """
    keep = table[ctx.spell_status.astype(np.int64) & 0xFF]
    srow = ctx.spell_row[keep]
    starts = np.sort(_day_keys(srow, ctx.spell_start[keep]))
    ends = np.sort(_day_keys(srow, ctx.spell_end[keep]))
    before_hi = np.searchsorted(starts, _day_keys(rows, hi), side="left")
    ended_by_lo = np.searchsorted(ends, _day_keys(rows, lo), side="right")
    out: I64 = (before_hi - ended_by_lo).astype(np.int64)
    return np.where(hi > lo, out, 0)


def _status_set(statuses: tuple[Any, ...]) -> BoolArray:
    table = np.zeros(256, dtype=bool)
    for s in statuses:
        table[int(s) & 0xFF] = True
    return table


def _first_ambiguous(
    ctx: MeasureContext, outcome: StatusAtFollowUp, rows: I64, day: I64
) -> str | None:
    """The participant of the first follow-up whose look-back start the contract leaves open
    (only on the way to an error)."""
    for d in np.unique(day).tolist():
        try:
            ctx.obs.lookback_start(
                np.array([d]), months=outcome.lookback_months, rounding=outcome.month_rounding
            )
        except AmbiguousDate:
            row = int(rows[np.flatnonzero(day == d)[0]])
            return str(ctx.register.ids[row].as_py())
    return None


@measurer(StatusAtFollowUp)
def _status_at_follow_up(outcome: StatusAtFollowUp, ctx: MeasureContext) -> Measured:
    """One item per follow-up held on its date, with no look-back status before it.

    Queries are (row, follow-up) pairs, row-major, so items come out by row and
    then by date (a schedule is strictly increasing).
    """
    n, k = ctx.n, len(outcome.follow_up_months)
    dates = np.empty((n, k), dtype=np.int64)
    for j, months in enumerate(outcome.follow_up_months):
        dates[:, j] = ctx.window(outcome.follow_up_window(months))[1]
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    day = dates.reshape(-1)
    follow_up = np.tile(np.array(outcome.follow_up_months, dtype=np.int64), n)
    measured = ctx.obs.measured_on_day(day, rows)
    spell = _covering_spell(ctx, rows, day)
    status = _gather(ctx.spell_status, spell, int(Status.UNKNOWN))
    held = measured & (spell >= 0) & _status_set(outcome.statuses)[status & 0xFF]
    try:
        lookback = ctx.obs.lookback_start(
            day,
            months=outcome.lookback_months,
            day_count=outcome.lookback_days,
            rounding=outcome.month_rounding,
        )
    except AmbiguousDate as err:
        raise AmbiguousDate(
            f"{outcome.id}: look-back of {outcome.lookback_months} months: {err.message}",
            participant=_first_ambiguous(ctx, outcome, rows, day),
            field="lookback_months",
            clause=outcome.clause or None,
            rule=err.rule,
        ) from err
    found = np.zeros(len(rows), dtype=np.int64)
    if outcome.has_lookback and held.any():
        q = np.flatnonzero(held)
        found[q] = _spells_overlapping(
            ctx, _status_set(outcome.lookback_statuses), rows[q], lookback[q], day[q]
        )
    reason = np.select(
        [
            day >= ctx.obs.data_end,
            day >= ctx.obs.measure_end,
            ~measured,
            ~held,
            found > 0,
        ],
        [1, 2, 3, 4, 5],
        0,
    ).astype(np.int64)
    ok = np.flatnonzero(reason == 0)
    r, d = rows[ok], day[ok]
    items = Items(
        r,
        d,
        d + 1,
        d,
        np.ones(len(ok), dtype=np.int64),
        {"follow_up": follow_up[ok], "status": status[ok], "lookback_start": lookback[ok]},
    )
    return Measured(
        outcome,
        1,
        items,
        _sum_by_row(r, items.num, ctx.n),
        follow_up_day=dates,
        follow_up_reason=reason.reshape(n, k),
    )


assert OPEN_END_DAY > 0
