"""Measuring employment months on one trajectory: the engine's kernels, one person at a time.

:func:`employment_months` runs the same kernels as the settlement
(:func:`impactbond.core.accrual.month_items` for daily conventions,
:mod:`impactbond.core.runs` for ``WEEKS_52_12``) on one trajectory, and
:func:`spell_weight_numerators` is the one definition of how a spell's
status and weekly hours weigh its days.

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

from impactbond.calendar import OPEN_END_DAY, WEEK_ZERO, WeeklyGrid
from impactbond.core import runs as core_runs
from impactbond.core.accrual import AccrualConvention, month_items
from impactbond.domain.outcome import MissingHours, Weights, to_weights
from impactbond.domain.trajectory import HOURS_SCALE, Trajectory
from impactbond.errors import InvalidContract, InvalidWindow
from impactbond.status import DEFAULT_PRIORITY, priority_rank

__all__ = [
    "employment_months",
    "spell_weight_numerators",
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
        table[int(status) & 0xFF] = w.numerator * (den // w.denominator)
    return table, den


def spell_weight_numerators(
    status: npt.NDArray[Any],
    hours: npt.NDArray[Any],
    weights: Weights,
    hours_norm: Decimal | None = None,
    missing_hours: MissingHours | None = None,
) -> tuple[I64, int]:
    """Integer weight of each spell's days, over one denominator (a full-time counted day).

    weight = status weight x min(hours, norm) / norm when ``hours_norm`` is
    set; a spell without hours (``hours < 0``, in hundredths) counts as the
    contract's ``missing_hours`` says.

    >>> w, den = spell_weight_numerators(np.array([1, 1]), np.array([3200, -1]),
    ...     to_weights({"employed": 1}), Decimal(37), MissingHours.NOT_COUNTED)
    >>> [Fraction(int(x), den) for x in w]
    [Fraction(32, 37), Fraction(0, 1)]
    """
    table, den = status_weight_table(weights)
    status_num = table[np.asarray(status).astype(np.int64) & 0xFF]
    if hours_norm is None:
        return status_num, den
    norm = int(hours_norm * HOURS_SCALE)
    if norm != hours_norm * HOURS_SCALE or norm <= 0:
        raise InvalidContract(
            f"hours norm {hours_norm} is not a positive number of hours with two decimals",
            field="hours_norm",
        )
    if missing_hours is None:
        raise InvalidContract(
            "weighing hours needs a rule for spells without hours (missing_hours)",
            field="missing_hours",
            rule="what a missing hours cell means is a term of the contract",
        )
    missing = norm if missing_hours is MissingHours.FULL_TIME else 0
    h = np.asarray(hours).astype(np.int64)
    weighted = np.where(h >= 0, np.minimum(h, norm), missing)
    return status_num * weighted, den * norm


def weekly_window(grid: WeeklyGrid, start: I64, end: I64) -> tuple[I64, I64]:
    """Week indices ``[ws, we)`` of the weeks whose Monday lies in ``[start, end)``."""
    first = grid.start.toordinal()
    return -((first - start) // 7), -((first - end) // 7)


def employment_months(
    trajectory: Trajectory,
    start: date,
    end: date,
    convention: AccrualConvention = AccrualConvention.PRO_RATA_DAYS,
    weights: Mapping[Any, Any] | Sequence[Any] | None = None,
    *,
    hours_norm: Decimal | int | str | None = None,
    missing_hours: MissingHours | str | None = None,
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
    missing_hours:
        With ``hours_norm``: what a spell without hours counts as
        (``"full_time"`` or ``"not_counted"``).

    Notes
    -----
    Under ``PRO_RATA_DAYS`` the result is
    :math:`\\sum_m \\sum_d w_d / D_m` over the calendar months :math:`m`
    touched by the window, the days :math:`d` of the window in :math:`m`,
    the weight :math:`w_d` of the day's status and the days :math:`D_m` in
    month :math:`m`.  Under ``WEEKS_52_12`` it is the counted ISO weeks whose
    Monday lies in the window, times 12/52.

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
    conv = AccrualConvention(convention)
    w = to_weights(weights)
    if end == start:
        return Fraction(0)
    spells = trajectory.spells
    status = np.array([int(s.status) for s in spells], dtype=np.int64)
    s_start = np.array([s.start.toordinal() for s in spells], dtype=np.int64)
    s_end = np.array(
        [OPEN_END_DAY if s.end is None else s.end.toordinal() for s in spells], dtype=np.int64
    )
    rows = np.zeros(len(spells), dtype=np.int64)
    lo, hi = np.array([start.toordinal()]), np.array([end.toordinal()])
    if conv is AccrualConvention.WEEKS_52_12:
        if hours_norm is not None:
            raise InvalidContract(
                "hours weighting is defined for daily conventions; WEEKS_52_12 counts weeks",
                field="hours_norm",
                rule="WEEKS_52_12 takes status weights only",
            )
        table, wden = status_weight_table(w)
        first = (s_start - WEEK_ZERO) // 7
        last = (np.minimum(s_end, hi[0] + 7) - 1 - WEEK_ZERO) // 7 + 1
        keep = last > first
        rank = priority_rank(DEFAULT_PRIORITY).astype(np.int64)[status & 0xFF]
        runs = core_runs.week_runs(rows[keep], first[keep], last[keep], rank[keep])
        run_weight = table[status[keep][runs.spell] & 0xFF]
        wk_lo = -((WEEK_ZERO - lo) // 7)
        wk_hi = -((WEEK_ZERO - hi) // 7)
        if wk_hi[0] <= wk_lo[0]:
            return Fraction(0)
        segments = np.array([wk_lo[0], wk_hi[0]])
        _, _, weeks = core_runs.weeks_by_segment(runs, run_weight, wk_lo, wk_hi, segments, 1)
        return Fraction(int(weeks.sum()) * 12, 52 * wden)
    hours = np.array(
        [-1 if s.hours is None else int(s.hours * HOURS_SCALE) for s in spells], dtype=np.int64
    )
    norm = None if hours_norm is None else Decimal(str(hours_norm))
    rule = None if missing_hours is None else MissingHours(missing_hours)
    weight, wden = spell_weight_numerators(status, hours, w, norm, rule)
    items, den = month_items(rows, s_start, s_end, weight, wden, lo, hi, conv)
    return Fraction(int(items.num.sum()), den)
