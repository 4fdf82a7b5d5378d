"""Rounding: exact amounts to minor units, once, at the contract's stage.

Within a rounding group (a line; a participant's lines under one rule; the
lines of one invoice period in one scenario) the running exact sum is rounded
and each line gets the difference, so the lines add up to the rounded group
total and an earlier line never changes when later lines arrive.

Amounts are exact: each line's amount is ``quantity x price``, two fractions.
They are brought to one common denominator and split into whole minor units
and a remainder, whose running sums stay inside int64 where the full
numerators would not; Python integers are used only when even one line could
leave int64.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from impactbond.errors import SettlementError
from impactbond.money import Rounding, RoundingStage, round_fraction_to_minor
from impactbond.settle.lines import LineBlock

__all__ = ["round_lines"]

I64 = npt.NDArray[np.int64]

_SAFE = 2.0**62


def _group_cumsum(
    values: npt.NDArray[np.generic], starts: npt.NDArray[np.bool_]
) -> npt.NDArray[np.generic]:
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    first = np.flatnonzero(starts)
    before = np.concatenate((np.zeros(1, dtype=values.dtype), total[:-1]))
    offset = np.repeat(before[first], np.diff(np.r_[first, len(values)]))
    result: npt.NDArray[np.generic] = total - offset
    return result


def _round_split(whole: I64, rest: I64, den: int | I64, rounding: Rounding) -> I64:
    """Round ``whole + rest / den`` (``0 <= rest < den``, amounts >= 0) to an integer."""
    above, tie = rest > den - rest, rest == den - rest
    if rounding is Rounding.DOWN:
        bump = np.zeros(len(whole), dtype=bool)
    elif rounding is Rounding.UP:
        bump = rest > 0
    elif rounding is Rounding.HALF_UP:
        bump = above | tie
    else:
        bump = above | (tie & (whole % 2 == 1))
    result: I64 = whole + bump.astype(np.int64)
    return result


def round_lines(
    lines: LineBlock,
    rounding: Rounding,
    stage: RoundingStage,
    invoice_period: I64,
    n_rules: int,
) -> I64:
    """Rounded amount of every line, in minor units (``lines`` in the line table's order).

    The line table's order is the earning order within each participant and
    within each day; the invoice stage orders its groups by day, then that.
    """
    n = len(lines)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    den_line = lines.quantity_den * lines.price_den
    if np.any(den_line <= 0):
        raise SettlementError("a line has a zero denominator", field="quantity")
    q, p = lines.quantity_num, lines.price_num
    if np.any(q < 0) or np.any(p < 0):
        raise SettlementError("amounts are zero or more", field="amount")
    bound = float(np.max(q.astype(np.float64) * p.astype(np.float64)))
    if stage is RoundingStage.LINE:
        # Each line alone: no running sums, no common denominator.
        if bound < _SAFE:
            whole, rest = np.divmod(q * p, den_line)
            return _round_split(whole, rest, den_line, rounding)
        # Python integers, one call per distinct denominator (only where int64 would not do).
        exact_obj = q.astype(object) * p.astype(object)
        out = np.empty(n, dtype=np.int64)
        for d in np.unique(den_line).tolist():
            sel = den_line == d
            out[sel] = round_fraction_to_minor(exact_obj[sel], int(d), rounding)
        return out
    scen = np.unique(lines.scenario, return_inverse=True)[1].astype(np.int64)
    if stage is RoundingStage.PARTICIPANT:
        # A participant's lines under one rule; group lines per (scenario, rule).
        n_people = int(lines.participant.max()) + 1
        who = np.where(lines.participant >= 0, lines.participant, n_people + scen)
        group = who * n_rules + lines.rule
        order = np.argsort(group, kind="stable")
    else:
        # An invoice period of one scenario, its lines by day (then in table order).
        n_periods = int(invoice_period.max()) + 1
        group = scen * n_periods + invoice_period
        day = lines.earned_on.astype(np.int64) - int(lines.earned_on.min())
        order = np.argsort(group * (int(day.max()) + 1) + day, kind="stable")
    g = group[order]
    starts = np.r_[True, g[1:] != g[:-1]]
    distinct, which = np.unique(den_line, return_inverse=True)
    common = 1
    for d in distinct.tolist():
        common = math.lcm(common, int(d))
    scale_of = [common // int(d) for d in distinct.tolist()]
    q, p = q[order], p[order]
    if bound * max(scale_of) < _SAFE and n * float(common) < _SAFE and common < _SAFE:
        scale = np.array(scale_of, dtype=np.int64)[which[order]]
        exact = q * p * scale
        whole, rest = np.divmod(exact, np.int64(common))
        whole = np.asarray(_group_cumsum(whole, starts), dtype=np.int64)
        rest = np.asarray(_group_cumsum(rest, starts), dtype=np.int64)
        whole, rest = whole + rest // common, rest % common
        rounded = _round_split(whole, rest, common, rounding)
    else:
        scale_obj = np.array(scale_of, dtype=object)[which[order]]
        exact_obj = q.astype(object) * p.astype(object) * scale_obj
        running = _group_cumsum(exact_obj, starts)
        rounded = round_fraction_to_minor(running, common, rounding)
    previous = np.where(starts, 0, np.r_[0, rounded[:-1]])
    result = np.empty(n, dtype=np.int64)
    result[order] = rounded - previous
    return result
