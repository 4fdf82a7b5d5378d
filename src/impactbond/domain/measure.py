"""Measuring outcomes on trajectories: the bridge from domain objects to the core.

Turns spells and windows into the integer arrays the core works on (day
numbers, weight numerators with one common denominator) and back into exact
:class:`fractions.Fraction` quantities.

>>> from datetime import date
>>> from impactbond.domain.trajectory import Spell, Trajectory
>>> from impactbond.status import Status
>>> t = Trajectory("P-1", [Spell(Status.EMPLOYED, date(2023, 1, 15), date(2023, 3, 15))])
>>> employment_months(t, date(2023, 1, 1), date(2023, 7, 1))
Fraction(2, 1)
>>> employment_months(t, date(2023, 1, 1), date(2023, 7, 1), convention=AccrualConvention.WHOLE_MONTHS)
Fraction(1, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from impactbond.calendar import WeeklyGrid, month_starts_between
from impactbond.core import accrual
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.outcome import Weights, to_weights
from impactbond.domain.trajectory import HOURS_SCALE, Panel, SpellColumns, Trajectory, spell_columns
from impactbond.errors import InvalidContract, InvalidWindow

__all__ = [
    "MonthlyQuantities",
    "employment_months",
    "monthly_quantities",
    "spell_weights",
    "status_weight_table",
    "weekly_window",
]

I64 = npt.NDArray[np.int64]


def status_weight_table(weights: Weights) -> tuple[I64, int]:
    """Integer weight numerator by status code (int64[256]) over one common denominator.

    >>> from impactbond.domain.outcome import to_weights
    >>> table, den = status_weight_table(to_weights({"employed": 1, "wage_subsidy": "1/2"}))
    >>> table[1], table[16], den
    (np.int64(2), np.int64(1), 2)
    """
    den = 1
    for _, w in weights:
        den = math.lcm(den, w.denominator)
    table = np.zeros(256, dtype=np.int64)
    for status, w in weights:
        table[int(status)] = w.numerator * (den // w.denominator)
    return table, den


def spell_weights(
    cols: SpellColumns, weights: Weights, hours_norm: Decimal | None = None
) -> tuple[I64, int]:
    """Integer weight numerator of every spell and their common denominator.

    weight = status weight x min(hours, norm) / norm (hours weighting only when
    ``hours_norm`` is set and the spell has hours; otherwise full time).
    """
    table, den = status_weight_table(weights)
    status_num = table[cols.status.astype(np.uint8)]
    if hours_norm is None:
        return status_num, den
    norm = int(hours_norm * HOURS_SCALE)
    if norm != hours_norm * HOURS_SCALE:
        raise InvalidContract(
            f"hours norm {hours_norm} has more than two decimals", field="hours_norm"
        )
    hours = np.where(cols.hours >= 0, np.minimum(cols.hours, norm), norm)
    return status_num * hours, den * norm


class MonthlyQuantities:
    """Exact quantities per participant and calendar month: ``num[i, m] / den``.

    ``month_starts`` has one more entry than there are months (day numbers).
    """

    def __init__(self, num: I64, den: int, month_starts: I64) -> None:
        self.num = num
        self.den = den
        self.month_starts = month_starts

    def totals(self) -> I64:
        """Numerator of each participant's total (over ``den``)."""
        totals: I64 = self.num.sum(axis=1)
        return totals

    def total_of(self, row: int) -> Fraction:
        """Exact total of one participant."""
        return Fraction(int(self.num[row].sum()), self.den)


def monthly_quantities(
    cols: SpellColumns,
    window_start: I64,
    window_end: I64,
    *,
    weights: Weights,
    convention: AccrualConvention,
    hours_norm: Decimal | None = None,
) -> MonthlyQuantities:
    """Accrued months per participant and calendar month under a daily convention.

    Rows are ``cols.participant_ids``; windows are day numbers ``[start, end)``.
    """
    if convention is AccrualConvention.WEEKS_52_12:
        return _weekly_quantities(cols, window_start, window_end, weights, hours_norm)
    lo = int(window_start.min()) if len(window_start) else date(2000, 1, 1).toordinal()
    hi = int(window_end.max()) if len(window_end) else lo + 1
    months = month_starts_between(date.fromordinal(lo), date.fromordinal(max(hi, lo + 1)))
    weight_num, wden = spell_weights(cols, weights, hours_norm)
    weighted, window_days = accrual.month_day_matrix(
        cols.row, cols.start, cols.end, weight_num, window_start, window_end, months, cols.n_rows
    )
    dim = np.diff(months)
    num = np.zeros_like(weighted)
    den = 0
    for m in range(len(dim)):
        col_num, den = accrual.accrue_months(
            weighted[:, m : m + 1], window_days[:, m : m + 1], dim[m : m + 1], wden, convention
        )
        num[:, m] = col_num
    if den == 0:  # no months at all
        den = wden * accrual.MONTH_DAYS_LCM
    return MonthlyQuantities(num, int(den), months)


def weekly_window(grid: WeeklyGrid, start: I64, end: I64) -> tuple[I64, I64]:
    """Week indices ``[ws, we)`` of the weeks whose Monday lies in ``[start, end)``."""
    first = grid.start.toordinal()
    return -((first - start) // 7), -((first - end) // 7)


def _weekly_quantities(
    cols: SpellColumns,
    window_start: I64,
    window_end: I64,
    weights: Weights,
    hours_norm: Decimal | None,
) -> MonthlyQuantities:
    if hours_norm is not None:
        raise InvalidContract(
            "hours weighting is defined for daily conventions; WEEKS_52_12 counts weeks",
            field="hours_norm",
            rule="WEEKS_52_12 takes status weights only",
        )
    lo, hi = int(window_start.min()), int(window_end.max())
    grid = WeeklyGrid.covering(date.fromordinal(lo), date.fromordinal(max(hi, lo + 1)))
    panel = Panel.from_columns(cols, grid, with_employer=False, clip=True)
    ws, we = weekly_window(grid, window_start, window_end)
    table, den = status_weight_table(weights)
    # Each week is credited to the calendar month of its Monday.
    mondays = grid.start.toordinal() + 7 * np.arange(grid.n_periods + 1, dtype=np.int64)
    months = month_starts_between(
        date.fromordinal(int(mondays[0])), date.fromordinal(int(mondays[-1]))
    )
    month_of_week = np.searchsorted(months, mondays[:-1], side="right") - 1
    num = np.zeros((cols.n_rows, len(months) - 1), dtype=np.int64)
    bounds = np.searchsorted(month_of_week, np.arange(len(months)), side="left")
    for m in range(len(months) - 1):
        w0, w1 = bounds[m], bounds[m + 1]
        if w1 <= w0:
            continue
        weeks = accrual.employed_weeks(
            panel.status, np.clip(ws, w0, w1), np.clip(we, w0, w1), table
        )
        num[:, m] = weeks
    # WEEKS_52_12: months = weeks x 12/52 = weeks x 3/13.
    return MonthlyQuantities(num * 3, 13 * den, months)


def employment_months(
    trajectory: Trajectory,
    start: date,
    end: date,
    convention: AccrualConvention = AccrualConvention.PRO_RATA_DAYS,
    weights: Mapping[Any, Any] | Sequence[Any] | None = None,
    *,
    hours_norm: Decimal | int | str | None = None,
) -> Fraction:
    """Employment months of one trajectory in ``[start, end)``, exactly.

    Parameters
    ----------
    trajectory:
        The participant's spells.
    start, end:
        The half-open window.
    convention:
        How employed days become months (:class:`AccrualConvention`).
    weights:
        Which statuses count and with what weight, e.g.
        ``{"employed": 1, "flexjob": "1/2", "wage_subsidy": "1/2"}``; default: employed only.
    hours_norm:
        Weekly full-time hours (e.g. 37): spells with hours count
        ``min(hours, norm) / norm``.

    Notes
    -----
    Under ``PRO_RATA_DAYS`` the result is
    :math:`\\sum_m \\sum_d w_d / D_m` over the calendar months :math:`m`
    touched by the window, the days :math:`d` of the window in :math:`m`,
    the weight :math:`w_d` of the day's status and the days :math:`D_m` in
    month :math:`m`.

    Examples
    --------
    Employed from 15 January to 15 March 2023 (a non-leap year): 17/31 of
    January, all of February and 14/31 of March.

    >>> from impactbond.domain.trajectory import Spell
    >>> t = Trajectory("P-1", [Spell("employed", date(2023, 1, 15), date(2023, 3, 15))])
    >>> employment_months(t, date(2023, 1, 1), date(2024, 1, 1)) == Fraction(17, 31) + 1 + Fraction(14, 31)
    True
    >>> employment_months(t, date(2023, 1, 1), date(2024, 1, 1), AccrualConvention.DAYS_30)
    Fraction(59, 30)
    """
    if end < start:
        raise InvalidWindow(
            f"window ends {end} before it starts {start}",
            participant=trajectory.participant_id,
            field="end",
            rule="a window [start, end) ends after it starts",
        )
    if end == start:
        return Fraction(0)
    q = monthly_quantities(
        spell_columns([trajectory]),
        np.array([start.toordinal()], dtype=np.int64),
        np.array([end.toordinal()], dtype=np.int64),
        weights=to_weights(weights),
        convention=AccrualConvention(convention),
        hours_norm=None if hours_norm is None else Decimal(str(hours_norm)),
    )
    return q.total_of(0)
