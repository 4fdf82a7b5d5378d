"""Weekly statuses as runs of weeks, straight from the spells (pure numpy).

A weekly register says one status per ISO week; where spells of one person
share a week (a sickness spell ends on a Wednesday, a job starts on the
Thursday), the status of highest priority wins the week.  Instead of a dense
``participants x weeks`` matrix, the week statuses are kept as **runs**: for
each participant, maximal intervals of weeks ``[start, end)`` won by one
spell.  A spell covers all of its interior weeks alone (its days fill them),
so only its first and last week can be contested; the runs therefore number
at most about three per spell and every kernel below is linear in the spells.

Weeks are integer indices on any grid of consecutive weeks; days never appear
here.  Runs are sorted by row, then start, and never overlap.

>>> import numpy as np
>>> # Row 0: spell 0 in weeks 0-2 (rank 1), spell 1 in weeks 2-5 (rank 5, wins week 2).
>>> runs = week_runs(np.array([0, 0]), np.array([0, 2]), np.array([3, 6]), np.array([1, 5]))
>>> runs.row.tolist(), runs.start.tolist(), runs.end.tolist(), runs.spell.tolist()
([0, 0], [0, 2], [2, 6], [0, 1])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "WeekRuns",
    "first_week",
    "levels_first_reached",
    "run_at",
    "streak_reached",
    "week_runs",
    "weeks_by_segment",
]

I64 = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_KEY_SHIFT = 32


class WeekRuns(NamedTuple):
    """Runs of weeks won by one spell: ``row``, ``[start, end)`` and the winning ``spell``."""

    row: I64
    start: I64
    end: I64
    spell: I64

    def __len__(self) -> int:
        return len(self.row)


def _i64(value: npt.ArrayLike) -> I64:
    array = np.asarray(value)
    if array.dtype.kind not in "iub":
        raise TypeError(f"expected integers, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def week_runs(
    spell_row: npt.ArrayLike,
    spell_first_week: npt.ArrayLike,
    spell_end_week: npt.ArrayLike,
    spell_rank: npt.ArrayLike,
) -> WeekRuns:
    """The runs of weeks won by each spell.

    Parameters
    ----------
    spell_row, spell_first_week, spell_end_week : array_like of int, shape (S,)
        Spells sorted by row, then start, not overlapping in days: the row and
        the half-open range of weeks ``[first, end)`` the spell touches
        (``end > first``).
    spell_rank : array_like of int, shape (S,)
        Priority of each spell's status, ``0 <= rank < 2**30``: in a week
        touched by several spells the highest rank wins, and among equal ranks
        the later spell.

    Returns
    -------
    WeekRuns
        ``row``, ``start``, ``end``, ``spell`` of each run, sorted by row and
        start; adjacent weeks won by the same spell form one run.

    Notes
    -----
    Spell :math:`i` touching weeks :math:`[a_i, b_i)` owns its interior
    :math:`[a_i + 1, b_i - 1)` alone; its first and last week compete with the
    neighbouring spells of the same row.  Laid out in spell order, the
    one-week pieces of a contested week are adjacent, so the winners are one
    ``np.maximum.reduceat`` over the key ``rank << 32 | spell``: no sort.

    Examples
    --------
    Three spells of one row in week 4 (the middle one lies inside it):

    >>> r = week_runs([0, 0, 0], [0, 4, 4], [5, 5, 9], [2, 9, 2])
    >>> list(zip(r.start.tolist(), r.end.tolist(), r.spell.tolist()))
    [(0, 4, 0), (4, 5, 1), (5, 9, 2)]
    """
    row = _i64(spell_row)
    first = _i64(spell_first_week)
    end = _i64(spell_end_week)
    rank = _i64(spell_rank)
    n = len(row)
    if not len(first) == len(end) == len(rank) == n:
        raise ValueError("spell arrays must have one length")
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return WeekRuns(z, z, z, z)
    if np.any(end <= first):
        raise ValueError("a spell touches at least one week: end_week > first_week")
    if np.any((rank < 0) | (rank >= 2**30)):
        raise ValueError("ranks lie in [0, 2**30)")
    length = end - first
    # Pieces per spell: head [a, a+1), body [a+1, b-1), tail [b-1, b).
    p_start = np.stack((first, first + 1, end - 1), axis=1).reshape(-1)
    p_end = np.stack((first + 1, end - 1, end), axis=1).reshape(-1)
    p_valid = np.stack((np.ones(n, dtype=bool), length >= 3, length >= 2), axis=1).reshape(-1)
    p_single = np.tile(np.array([True, False, True]), n)
    p_spell = np.repeat(np.arange(n, dtype=np.int64), 3)
    keep = np.flatnonzero(p_valid)
    p_start, p_end, p_single, p_spell = p_start[keep], p_end[keep], p_single[keep], p_spell[keep]
    p_row = row[p_spell]
    if np.any((p_row[1:] == p_row[:-1]) & (p_start[1:] < p_start[:-1])):
        raise ValueError("spells must be sorted by row and start and must not overlap")
    # A new group starts unless this piece and the one before are single weeks of the same week.
    same_week = (
        p_single[1:] & p_single[:-1] & (p_row[1:] == p_row[:-1]) & (p_start[1:] == p_start[:-1])
    )
    group_start = np.flatnonzero(np.r_[True, ~same_week])
    key = (rank[p_spell] << _KEY_SHIFT) | p_spell
    winner = np.maximum.reduceat(key, group_start) & ((1 << _KEY_SHIFT) - 1)
    g_row, g_start, g_end = p_row[group_start], p_start[group_start], p_end[group_start]
    # Merge adjacent groups won by the same spell.
    join = (winner[1:] == winner[:-1]) & (g_row[1:] == g_row[:-1]) & (g_start[1:] == g_end[:-1])
    run_start = np.flatnonzero(np.r_[True, ~join])
    run_last = np.r_[run_start[1:], len(winner)] - 1
    return WeekRuns(
        g_row[run_start], g_start[run_start], g_end[run_last], winner[run_start].astype(np.int64)
    )


def _first_of_each(rows: I64) -> BoolArray:
    """True at the first entry of each run of equal values (``rows`` sorted)."""
    out = np.ones(len(rows), dtype=bool)
    out[1:] = rows[1:] != rows[:-1]
    return out


def _per_row(value: npt.ArrayLike, n_rows: int, name: str) -> I64:
    array = _i64(value)
    if array.ndim == 0:
        return np.full(n_rows, int(array), dtype=np.int64)
    if array.shape != (n_rows,):
        raise ValueError(f"{name} must be a scalar or have one entry per row ({n_rows})")
    return array


def first_week(
    runs: WeekRuns, ok: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike, n_rows: int
) -> I64:
    """First week of each row in ``[lo, hi)`` that lies in a run where ``ok`` holds (-1: none).

    Examples
    --------
    >>> r = WeekRuns(*(np.array(x) for x in ([0, 0, 1], [0, 3, 0], [3, 6, 9], [0, 1, 2])))
    >>> first_week(r, [False, True, True], [0, 4], [9, 9], 2).tolist()
    [3, 4]
    """
    ok_ = np.asarray(ok, dtype=bool)
    lo_ = _per_row(lo, n_rows, "lo")
    hi_ = _per_row(hi, n_rows, "hi")
    out = np.full(n_rows, -1, dtype=np.int64)
    sel = np.flatnonzero(ok_)
    r = runs.row[sel]
    s = np.maximum(runs.start[sel], lo_[r])
    valid = s < np.minimum(runs.end[sel], hi_[r])
    r, s = r[valid], s[valid]
    if len(r) == 0:
        return out
    first = _first_of_each(r)  # runs are in row order: the first of each row
    out[r[first]] = s[first]
    return out


def run_at(runs: WeekRuns, rows: npt.ArrayLike, weeks: npt.ArrayLike) -> I64:
    """Index of the run holding week ``weeks[i]`` of row ``rows[i]`` (-1 in a gap).

    Examples
    --------
    >>> r = WeekRuns(*(np.array(x) for x in ([0, 0, 1], [0, 3, 0], [2, 6, 9], [0, 1, 2])))
    >>> run_at(r, [0, 0, 1, 1], [1, 2, 8, 9]).tolist()
    [0, -1, 2, -1]
    """
    rows_ = _i64(rows)
    weeks_ = _i64(weeks)
    key_start = (runs.row << _KEY_SHIFT) + runs.start
    query = (rows_ << _KEY_SHIFT) + weeks_
    idx = np.searchsorted(key_start, query, side="right") - 1
    safe = np.maximum(idx, 0)
    hit = (idx >= 0) & (runs.row[safe] == rows_) & (weeks_ < runs.end[safe]) & (weeks_ >= 0)
    return np.where(hit, idx, -1).astype(np.int64)


def streak_reached(
    runs: WeekRuns,
    ok: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    weeks: int,
    n_rows: int,
    *,
    allowed_gap: int = 0,
    cumulative: bool = False,
) -> I64:
    """The week in which each row's ``weeks``-th counted week falls (-1: not reached).

    Only weeks in ``[lo, hi)`` count, and only weeks in runs where ``ok``
    holds (rows with ``lo < 0`` are not eligible).  Continuous mode: a gap of
    at most ``allowed_gap`` weeks that do not count does not break the streak
    (the gap weeks themselves do not count); ``cumulative``: every counted
    week from ``lo`` on.

    Notes
    -----
    With the counted runs clipped to the row's range, a streak is a maximal
    chain of runs whose gaps are at most :math:`g`; the target is reached in
    the run where the streak's running length first reaches :math:`k`, at
    week :math:`s + (k - \\text{before}) - 1`.

    Examples
    --------
    >>> r = WeekRuns(*(np.array(x) for x in ([0, 0, 0], [0, 2, 3], [2, 3, 6], [0, 1, 2])))
    >>> streak_reached(r, [True, False, True], 0, 6, 4, 1, allowed_gap=1).tolist()
    [4]
    >>> streak_reached(r, [True, False, True], 0, 6, 4, 1).tolist()
    [-1]
    """
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    if allowed_gap < 0:
        raise ValueError("allowed_gap must be >= 0")
    ok_ = np.asarray(ok, dtype=bool)
    lo_ = _per_row(lo, n_rows, "lo")
    hi_ = _per_row(hi, n_rows, "hi")
    out = np.full(n_rows, -1, dtype=np.int64)
    sel = np.flatnonzero(ok_)
    r = runs.row[sel]
    eligible = lo_[r] >= 0
    s = np.maximum(runs.start[sel], lo_[r])
    e = np.minimum(runs.end[sel], hi_[r])
    valid = eligible & (s < e)
    r, s, e = r[valid], s[valid], e[valid]
    if len(r) == 0:
        return out
    new_row = _first_of_each(r)
    if cumulative:
        new_streak = new_row
    else:
        gap = s - np.r_[0, e[:-1]]
        new_streak = new_row | (gap > allowed_gap)
    length = e - s
    total = np.cumsum(length)
    streak_id = np.cumsum(new_streak) - 1
    streak_first = np.flatnonzero(new_streak)
    before_streak = (total - length)[streak_first][streak_id]
    running_end = total - before_streak  # streak length up to the end of this run
    running_start = running_end - length
    reached = (running_start < weeks) & (running_end >= weeks)
    at = s + (weeks - running_start) - 1
    hit_rows = r[reached]
    hit_at = at[reached]
    first = _first_of_each(hit_rows)
    out[hit_rows[first]] = hit_at[first]
    return out


def levels_first_reached(
    runs: WeekRuns,
    level: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    n_rows: int,
    n_levels: int,
) -> I64:
    """First week each level above the starting level is reached (rows x levels, -1: not).

    ``level[k]`` is the rung of run ``k`` (``-1``: off the ladder, neither
    raising nor lowering).  The starting level of a row is the level of its
    first week in ``[lo, hi)`` on the ladder; entry ``[i, k]`` is the first
    week in ``[lo, hi)`` at level ``k`` or above, for ``k`` above row ``i``'s
    starting level.

    Examples
    --------
    >>> r = WeekRuns(*(np.array(x) for x in ([0, 0, 0], [0, 2, 4], [2, 4, 5], [0, 1, 2])))
    >>> levels_first_reached(r, [0, 1, 3], 0, 6, 1, 4).tolist()
    [[-1, 2, 4, 4]]
    """
    lev = _i64(level)
    lo_ = _per_row(lo, n_rows, "lo")
    hi_ = _per_row(hi, n_rows, "hi")
    out = np.full((n_rows, n_levels), -1, dtype=np.int64)
    r = runs.row
    s = np.maximum(runs.start, lo_[r])
    valid = (lev >= 0) & (s < np.minimum(runs.end, hi_[r]))
    r, s, lev = r[valid], s[valid], lev[valid]
    if len(r) == 0:
        return out
    first = _first_of_each(r)
    start_level = np.full(n_rows, n_levels, dtype=np.int64)
    start_level[r[first]] = lev[first]
    for k in range(n_levels):
        at_or_above = lev >= k
        rk, sk = r[at_or_above], s[at_or_above]
        if len(rk) == 0:
            continue
        f = _first_of_each(rk)
        col = np.full(n_rows, -1, dtype=np.int64)
        col[rk[f]] = sk[f]
        out[:, k] = np.where(k > start_level, col, -1)
    return out


def weeks_by_segment(
    runs: WeekRuns,
    weight: npt.ArrayLike,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    segment_starts: npt.ArrayLike,
    n_rows: int,
) -> tuple[I64, I64, I64]:
    """Weighted weeks of each row in ``[lo, hi)``, per segment of weeks (sparse).

    ``weight[k]`` is the integer weight of a week in run ``k`` (0: does not
    count); ``segment_starts`` (strictly increasing) cut the weeks into
    segments ``[segment_starts[j], segment_starts[j + 1])`` (for example the
    weeks whose Monday falls in one calendar month).

    Returns
    -------
    rows, segments, weighted : ndarray of int64
        One entry per (row, segment) with a non-zero sum, sorted by row then
        segment.

    Examples
    --------
    >>> r = WeekRuns(*(np.array(x) for x in ([0, 0], [0, 5], [4, 9], [0, 1])))
    >>> [a.tolist() for a in weeks_by_segment(r, [2, 1], 0, 9, [0, 3, 6, 9], 1)]
    [[0, 0, 0], [0, 1, 2], [6, 3, 3]]
    """
    w = _i64(weight)
    lo_ = _per_row(lo, n_rows, "lo")
    hi_ = _per_row(hi, n_rows, "hi")
    seg = _i64(segment_starts)
    if len(seg) < 2 or np.any(np.diff(seg) <= 0):
        raise ValueError("segment_starts must hold at least two strictly increasing weeks")
    sel = np.flatnonzero(w > 0)
    r = runs.row[sel]
    s = np.clip(np.maximum(runs.start[sel], lo_[r]), seg[0], seg[-1])
    e = np.clip(np.minimum(runs.end[sel], hi_[r]), seg[0], seg[-1])
    valid = s < e
    r, s, e, wk = r[valid], s[valid], e[valid], w[sel][valid]
    if len(r) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    first_seg = np.searchsorted(seg, s, side="right") - 1
    last_seg = np.searchsorted(seg, e - 1, side="right") - 1
    pieces = last_seg - first_seg + 1
    of = np.repeat(np.arange(len(r)), pieces)
    offset = np.arange(len(of)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    piece_seg = first_seg[of] + offset
    length = np.minimum(e[of], seg[piece_seg + 1]) - np.maximum(s[of], seg[piece_seg])
    value = length * wk[of]
    piece_row = r[of]
    # Pieces are in (row, segment) order: add equal neighbours.
    change = np.r_[True, (piece_row[1:] != piece_row[:-1]) | (piece_seg[1:] != piece_seg[:-1])]
    starts = np.flatnonzero(change)
    return piece_row[starts], piece_seg[starts], np.add.reduceat(value, starts)
