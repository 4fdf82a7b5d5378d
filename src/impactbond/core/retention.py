"""Job start, retention, sustained employment and survival on a status panel.

Pure numpy.  The panel is a ``participants x periods`` int8 matrix of status
codes; "employed" is a bool lookup table of length 256 indexed by the code's
byte (``code & 0xFF``: the panel is read as uint8, so a negative code ``c``
uses entry ``256 + c``).  Periods are column indices; windows are half-open
``[start, end)``; ``as_of_period`` is the first period not yet observed.
Censored rows are never counted as failures.

>>> import numpy as np
>>> from impactbond.core.retention import job_start, retention_at
>>> employed = np.zeros(256, dtype=bool)
>>> employed[[1, 2]] = True
>>> panel = np.array([[5, 5, 1, 1, 1, 1], [5, 1, 1, 5, 5, 5], [5, 5, 5, 5, 1, 1]], dtype=np.int8)
>>> start = job_start(panel, employed, 0, 6)
>>> start.tolist()
[2, 1, 4]
>>> result = retention_at(panel, employed, start, horizon=2, as_of_period=6)
>>> result.retained.tolist(), result.censored.tolist(), result.rate()
([True, False, False], [False, False, True], 0.5)
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from .accrual import (
    _INT64_MAX,
    DEFAULT_BLOCK_ROWS,
    _check_panel,
    _check_table,
    _CodeMatcher,
    _count_dtype,
    _row_counts,
    _row_values,
    _Scratch,
    _WindowMasker,
    employed_weeks,
)

__all__ = [
    "KaplanMeier",
    "RetentionResult",
    "job_spell_durations",
    "job_start",
    "kaplan_meier",
    "retention_at",
    "sustained_employment",
]

#: Rows per block of :func:`retention_at` (a few 512 KiB index arrays).
_GATHER_BLOCK_ROWS: Final[int] = 65536

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _employed_table(table: npt.ArrayLike) -> BoolArray:
    return _check_table("employed_table", table, "b").astype(np.bool_, copy=False)


def _clip_windows(
    start: npt.ArrayLike, end: npt.ArrayLike, n_periods: int
) -> tuple[Int64Array, Int64Array]:
    """Windows clipped to ``[0, T]``; an empty window becomes ``[s, s)``."""
    first = np.clip(start, 0, n_periods)
    return first, np.clip(end, first, n_periods)


def _as_of(as_of_period: npt.ArrayLike | None, n_rows: int, n_periods: int) -> Int64Array:
    """First unobserved period per row, never beyond the panel."""
    if as_of_period is None:
        return np.full(n_rows, n_periods, dtype=np.int64)
    return np.minimum(_row_values("as_of_period", as_of_period, n_rows), n_periods)


def job_start(
    panel: npt.ArrayLike,
    employed_table: npt.ArrayLike,
    window_start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Int64Array:
    """First employed period of each row inside its window.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
        Status codes per participant and period.
    employed_table : array_like of bool, shape (256,)
        Which status codes count as employment (indexed by ``code & 0xFF``).
    window_start, window_end : array_like of int, shape (n,) or scalar
        Half-open window ``[start, end)`` of period indices, clipped to ``[0, T]``.
    block_rows : int
        Rows per block (working memory about ``4 * block_rows * T`` bytes).

    Returns
    -------
    ndarray of int64, shape (n,)
        The period index, or ``-1`` when no window period is employed.

    Notes
    -----
    .. math:: j_r = \\min\\{t : u_r \\le t < v_r,\\ e[c_{r,t}]\\}, \\quad -1 \\text{ if empty}

    Per block: the employed matrix (range comparisons on the codes) and the
    window mask are intersected in place; ``argmax`` along the row finds the
    first ``True`` and one gather checks that it is ``True`` at all.

    Examples
    --------
    >>> import numpy as np
    >>> employed = np.zeros(256, dtype=bool); employed[1] = True
    >>> panel = np.array([[1, 5, 1, 5], [5, 5, 5, 1]], dtype=np.int8)
    >>> job_start(panel, employed, [1, 0], [4, 3]).tolist()
    [2, -1]
    """
    codes = _check_panel(panel)
    table = _employed_table(employed_table)
    n_rows, n_periods = codes.shape
    start = _row_values("window_start", window_start, n_rows)
    end = _row_values("window_end", window_end, n_rows)
    result = np.full(n_rows, -1, dtype=np.int64)
    matcher = _CodeMatcher(table)
    if n_rows == 0 or n_periods == 0 or not matcher.runs:
        return result
    masker = _WindowMasker(start, end, n_periods)
    scratch = _Scratch(n_rows, n_periods, block_rows)
    for r0, r1 in scratch.blocks():
        b = r1 - r0
        mask = masker.fill(r0, r1, scratch.window[:b], scratch.tmp[:b])
        hits = matcher.any_of(
            codes[r0:r1], scratch.employed[:b], scratch.tmp[:b], scratch.codes[:b]
        )
        np.bitwise_and(hits, mask, out=hits)
        result[r0:r1] = _first_true(hits)
    return result


def _first_true(hits: BoolArray) -> Int64Array:
    """Column of the first ``True`` in each row, ``-1`` for none."""
    n_rows, n_periods = hits.shape
    first = hits.argmax(axis=1)
    found = np.take(hits.reshape(-1), np.arange(n_rows) * n_periods + first)
    return np.where(found, first, -1)


def weekly_summary(
    panel: npt.ArrayLike,
    window_start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    weight_table: npt.ArrayLike,
    employed_table: npt.ArrayLike,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> tuple[Int64Array, Int64Array]:
    """Weighted employed weeks and job start of each row in one pass over the panel.

    Equal to ``(employed_weeks(panel, window_start, window_end, weight_table),
    job_start(panel, employed_table, window_start, window_end))`` but reads
    each block once and builds its window mask once: the hot path when a
    contract pays for both.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
    window_start, window_end : array_like of int, shape (n,) or scalar
    weight_table : array_like of int, shape (256,)
        See :func:`~impactbond.core.accrual.employed_weeks`.
    employed_table : array_like of bool, shape (256,)
        See :func:`job_start`.
    block_rows : int

    Returns
    -------
    weighted_weeks : ndarray of int64, shape (n,)
    job_start : ndarray of int64, shape (n,)

    Notes
    -----
    .. math:: N_r = \\sum_{t=u_r}^{v_r-1} w[c_{r,t}], \\qquad
              j_r = \\min\\{t \\in [u_r, v_r) : e[c_{r,t}]\\}\\ (-1 \\text{ if none})

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.zeros(256, dtype=np.int64); weights[1], weights[2] = 2, 1
    >>> employed = weights > 0
    >>> panel = np.array([[5, 2, 1, 1], [5, 5, 5, 5]], dtype=np.int8)
    >>> weekly_summary(panel, 0, 4, weights, employed)
    (array([5, 0]), array([ 1, -1]))
    """
    codes = _check_panel(panel)
    weights = _check_table("weight_table", weight_table, "iub").astype(np.int64)
    table = _employed_table(employed_table)
    if np.any(weights < 0):
        raise ValueError("weight_table must be >= 0")
    n_rows, n_periods = codes.shape
    if int(weights.max()) * max(n_periods, 1) > _INT64_MAX:
        raise OverflowError("weight_table values too large for int64 sums over a row")
    start = _row_values("window_start", window_start, n_rows)
    end = _row_values("window_end", window_end, n_rows)
    weeks = np.zeros(n_rows, dtype=np.int64)
    first = np.full(n_rows, -1, dtype=np.int64)
    weight_matcher = _CodeMatcher(weights)
    employed_matcher = _CodeMatcher(table)
    if n_rows == 0 or n_periods == 0:
        return weeks, first
    if weight_matcher.use_take:  # many distinct weights: no shared work to gain
        weeks = employed_weeks(codes, start, end, weights, block_rows)
        return weeks, job_start(codes, table, start, end, block_rows)
    masker = _WindowMasker(start, end, n_periods)
    scratch = _Scratch(n_rows, n_periods, block_rows)
    count_dtype = _count_dtype(n_periods)
    counts = np.empty(scratch.size, dtype=count_dtype)
    # When the employed codes are exactly the weighted codes, the job start is
    # found in the union of the weight runs' hits, with no second comparison.
    same_codes = bool(np.array_equal(weights != 0, table))
    for r0, r1 in scratch.blocks():
        b = r1 - r0
        block = codes[r0:r1]
        mask = masker.fill(r0, r1, scratch.window[:b], scratch.tmp[:b])
        union = scratch.union[:b]
        in_job = np.zeros(b, dtype=np.int64)
        for i, run in enumerate(weight_matcher.runs):
            # The first run's hits go straight into the union buffer (no copy).
            target = union if same_codes and i == 0 else scratch.employed[:b]
            hits = weight_matcher.match(block, run, target, scratch.codes[:b])
            np.bitwise_and(hits, mask, out=hits)
            count = _row_counts(hits, scratch, count_dtype, counts).astype(np.int64)
            weeks[r0:r1] += run[2] * count
            in_job += count
            if same_codes and i > 0:
                np.bitwise_or(union, hits, out=union)
        if same_codes:
            # A row has a job start exactly when it has an employed window period.
            first[r0:r1] = np.where(in_job > 0, union.argmax(axis=1), -1)
            continue
        union = employed_matcher.any_of(
            block, scratch.employed[:b], scratch.tmp[:b], scratch.codes[:b]
        )
        np.bitwise_and(union, mask, out=union)
        first[r0:r1] = _first_true(union)
    return weeks, first


class RetentionResult(NamedTuple):
    """Retention of each row at one horizon (bool arrays of length n).

    ``eligible``: the row has a job start.  ``censored``: the horizon period
    is not observed yet (at or after ``as_of_period`` or the panel's end).
    ``retained``: eligible, not censored and employed at the horizon.
    ``same_employer``: retained with the same (non-zero) employer as at the start.
    """

    eligible: BoolArray
    censored: BoolArray
    retained: BoolArray
    same_employer: BoolArray

    @property
    def observed(self) -> BoolArray:
        """Rows whose outcome is known: eligible and not censored (the denominator)."""
        return self.eligible & ~self.censored

    def rate(self, same_employer: bool = False) -> float:
        """Retained (or retained with the same employer) / observed; ``nan`` if none observed.

        Notes
        -----
        .. math:: \\hat r = \\frac{\\sum_r \\text{retained}_r}{\\sum_r \\text{eligible}_r
                  \\wedge \\neg \\text{censored}_r}

        Censored rows are in neither the numerator nor the denominator.

        Examples
        --------
        >>> import numpy as np
        >>> t, f = True, False
        >>> r = RetentionResult(np.array([t, t, t, f]), np.array([f, f, t, f]),
        ...                     np.array([t, f, f, f]), np.array([f, f, f, f]))
        >>> r.rate(), r.rate(same_employer=True)
        (0.5, 0.0)
        """
        denominator = int(np.count_nonzero(self.observed))
        if denominator == 0:
            return math.nan
        numerator = self.same_employer if same_employer else self.retained
        return int(np.count_nonzero(numerator)) / denominator


def retention_at(
    panel: npt.ArrayLike,
    employed_table: npt.ArrayLike,
    start: npt.ArrayLike,
    horizon: npt.ArrayLike,
    as_of_period: npt.ArrayLike | None = None,
    employer: npt.ArrayLike | None = None,
) -> RetentionResult:
    """Whether each row is still employed ``horizon`` periods after its job start.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
    employed_table : array_like of bool, shape (256,)
    start : array_like of int, shape (n,)
        Job start period per row (for example from :func:`job_start`); ``< 0``
        means no job start: the row is not eligible.
    horizon : int or array_like of int, shape (n,)
        Periods after the start (13, 26, 52 weeks ...).
    as_of_period : int or array_like of int, optional
        First period not yet observed; defaults to ``T``.  Never beyond ``T``.
    employer : array_like of int32, shape (n, T), optional
        Employer id per period, ``0`` for none.  Without it ``same_employer``
        is all ``False``.

    Returns
    -------
    RetentionResult
        ``eligible``, ``censored``, ``retained``, ``same_employer`` and ``rate()``.

    Notes
    -----
    With :math:`h_r = s_r + H` and :math:`a = \\min(\\text{as\\_of}, T)`:
    eligible :math:`s_r \\ge 0`; censored :math:`s_r \\ge 0 \\wedge h_r \\ge a`;
    retained :math:`\\neg\\text{censored} \\wedge e[c_{r,h_r}]`; same employer
    additionally :math:`E_{r,h_r} = E_{r,s_r} \\ne 0`.  Only the horizon period
    is read, by one gather per row: a row observed at some ``as_of`` keeps its
    outcome at every later ``as_of``.

    Examples
    --------
    >>> import numpy as np
    >>> employed = np.zeros(256, dtype=bool); employed[1] = True
    >>> panel = np.array([[1, 1, 1], [1, 5, 5], [1, 1, 1]], dtype=np.int8)
    >>> employer = np.array([[7, 7, 7], [7, 0, 0], [3, 3, 3]], dtype=np.int32)
    >>> r = retention_at(panel, employed, [0, 0, 2], 2, as_of_period=3, employer=employer)
    >>> r.retained.tolist(), r.same_employer.tolist(), r.censored.tolist()
    ([True, False, False], [True, False, False], [False, False, True])
    """
    codes = _check_panel(panel)
    table = _employed_table(employed_table)
    n_rows, n_periods = codes.shape
    starts = _row_values("start", start, n_rows)
    horizons = _row_values("horizon", horizon, n_rows)
    if np.any(horizons < 0):
        raise ValueError("horizon must be >= 0")
    as_of = _row_values("as_of_period", n_periods if as_of_period is None else as_of_period, n_rows)
    employers = None
    if employer is not None:
        employers = np.asarray(employer)
        if employers.shape != codes.shape or employers.dtype.kind not in "iu":
            raise ValueError("employer must be an integer matrix shaped like the panel")
    eligible = np.empty(n_rows, dtype=np.bool_)
    censored = np.empty(n_rows, dtype=np.bool_)
    retained = np.zeros(n_rows, dtype=np.bool_)
    same_employer = np.zeros(n_rows, dtype=np.bool_)
    # Flat positions into the panel: one gather per row, no (rows, cols) fancy indexing.
    flat_codes = codes.reshape(-1) if codes.flags.c_contiguous else None
    for r0 in range(0, n_rows, _GATHER_BLOCK_ROWS):
        r1 = min(r0 + _GATHER_BLOCK_ROWS, n_rows)
        row_start = starts[r0:r1]
        target = row_start + horizons[r0:r1]
        np.greater_equal(row_start, 0, out=eligible[r0:r1])
        horizon_unseen = target >= np.minimum(as_of[r0:r1], n_periods)
        np.bitwise_and(eligible[r0:r1], horizon_unseen, out=censored[r0:r1])
        observed = eligible[r0:r1] & ~horizon_unseen
        if n_periods == 0 or not observed.any():
            continue
        row_base = np.arange(r0, r1) * n_periods
        at_horizon = row_base + np.where(observed, target, 0)
        if flat_codes is not None:
            status = np.take(flat_codes, at_horizon)
        else:
            status = codes[np.arange(r0, r1), np.where(observed, target, 0)]
        np.bitwise_and(table[status], observed, out=retained[r0:r1])
        if employers is not None:
            flat_employers = employers.reshape(-1)
            at_start = np.take(flat_employers, row_base + np.where(observed, row_start, 0))
            same = np.take(flat_employers, at_horizon) == at_start
            same &= at_start != 0
            np.bitwise_and(same, retained[r0:r1], out=same_employer[r0:r1])
    return RetentionResult(eligible, censored, retained, same_employer)


def _last_true_index(hits: BoolArray, columns: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Per cell: the index of the last ``True`` at or before it in its row, ``-1`` if none."""
    last = np.where(hits, columns, np.int32(-1))
    np.maximum.accumulate(last, axis=1, out=last)
    return last


def sustained_employment(
    panel: npt.ArrayLike,
    employed_table: npt.ArrayLike,
    start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    weeks: int,
    allowed_gap: int = 0,
    cumulative: bool = False,
    as_of_period: npt.ArrayLike | None = None,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> tuple[BoolArray, Int64Array, BoolArray]:
    """Whether each row reaches ``weeks`` employed periods from its start.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
    employed_table : array_like of bool, shape (256,)
    start : array_like of int, shape (n,)
        First period that counts; ``< 0`` means not eligible.
    window_end : int or array_like of int, shape (n,)
        End (exclusive) of the period in which the outcome can be reached.
    weeks : int
        Employed periods needed, ``>= 1``.
    allowed_gap : int
        Continuous mode: a gap of at most this many consecutive non-employed
        periods does not break the run (gap periods do not count).
    cumulative : bool
        Count employed periods in total from ``start`` instead of in one run.
    as_of_period : int or array_like of int, optional
        First period not yet observed; defaults to ``T``.
    block_rows : int
        Rows per block.

    Returns
    -------
    achieved : ndarray of bool, shape (n,)
    achieved_at : ndarray of int64, shape (n,)
        The period in which the ``weeks``-th counted period falls, ``-1`` if not achieved.
    censored : ndarray of bool, shape (n,)
        Eligible, not achieved, and ``window_end > as_of``: the outcome may still come.

    Notes
    -----
    Only periods :math:`s_r \\le t < \\min(v_r, \\text{as\\_of}, T)` count.  With
    :math:`C_t` the employed periods up to :math:`t`, continuous mode resets the
    count after every gap of :math:`g + 1` non-employed periods:
    :math:`S_t = C_t - C_{\\rho(t)}`, :math:`\\rho(t)` the last period up to
    :math:`t` that completes such a gap; cumulative mode uses :math:`S_t = C_t`.
    ``achieved_at`` is the first :math:`t` with :math:`S_t \\ge k`.  Vectorised
    per block with ``cumsum`` and ``maximum.accumulate`` along the rows.

    Examples
    --------
    >>> import numpy as np
    >>> employed = np.zeros(256, dtype=bool); employed[1] = True
    >>> panel = np.array([[1, 1, 5, 1, 1, 5], [1, 5, 5, 1, 1, 1]], dtype=np.int8)
    >>> sustained_employment(panel, employed, [0, 0], 6, weeks=4, allowed_gap=1)
    (array([ True, False]), array([ 4, -1]), array([False, False]))
    >>> sustained_employment(panel, employed, [0, 0], 8, weeks=4, cumulative=True, as_of_period=5)
    (array([ True, False]), array([ 4, -1]), array([False,  True]))
    """
    codes = _check_panel(panel)
    table = _employed_table(employed_table)
    n_rows, n_periods = codes.shape
    if int(weeks) < 1:
        raise ValueError("weeks must be >= 1")
    if int(allowed_gap) < 0:
        raise ValueError("allowed_gap must be >= 0")
    weeks, allowed_gap = int(weeks), int(allowed_gap)
    starts = _row_values("start", start, n_rows)
    ends = _row_values("window_end", window_end, n_rows)
    as_of = _as_of(as_of_period, n_rows, n_periods)
    eligible = starts >= 0
    first, limit = _clip_windows(
        np.where(eligible, starts, n_periods), np.minimum(ends, as_of), n_periods
    )
    achieved_at = np.full(n_rows, -1, dtype=np.int64)
    matcher = _CodeMatcher(table)
    if n_rows and n_periods and matcher.runs:
        scratch = _Scratch(n_rows, n_periods, block_rows)
        masker = _WindowMasker(first, limit, n_periods)
        columns = np.arange(n_periods, dtype=np.int32)
        for r0, r1 in scratch.blocks():
            b = r1 - r0
            mask = masker.fill(r0, r1, scratch.window[:b], scratch.tmp[:b])
            hits = matcher.any_of(
                codes[r0:r1], scratch.employed[:b], scratch.tmp[:b], scratch.codes[:b]
            )
            np.bitwise_and(hits, mask, out=hits)
            count = np.cumsum(hits, axis=1, dtype=np.int32)
            if not cumulative:
                gap = columns - _last_true_index(hits, columns)
                completes_gap = gap == allowed_gap + 1
                base = np.where(completes_gap, count, np.int32(0))
                np.maximum.accumulate(base, axis=1, out=base)
                count -= base
            reached = count >= weeks
            at = reached.argmax(axis=1)
            found = reached[np.arange(b), at]
            achieved_at[r0:r1] = np.where(found, at, -1)
    achieved = achieved_at >= 0
    censored = eligible & ~achieved & (ends > as_of)
    return achieved, achieved_at, censored


def job_spell_durations(
    panel: npt.ArrayLike,
    employed_table: npt.ArrayLike,
    start: npt.ArrayLike,
    as_of_period: npt.ArrayLike | None = None,
    allowed_gap: int = 0,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> tuple[Int64Array, BoolArray]:
    """Length of the employment spell that begins at each row's start.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
    employed_table : array_like of bool, shape (256,)
    start : array_like of int, shape (n,)
        First period of the spell (a job start); ``< 0`` means none.
    as_of_period : int or array_like of int, optional
        First period not yet observed; defaults to ``T``.
    allowed_gap : int
        Gaps of at most this many consecutive non-employed periods do not end
        the spell (they count in its duration when work resumes).
    block_rows : int
        Rows per block.

    Returns
    -------
    durations : ndarray of int64, shape (n,)
        Periods from ``start`` to the spell's last employed period, inclusive.
    observed : ndarray of bool, shape (n,)
        The end is seen: ``allowed_gap + 1`` non-employed periods follow the
        spell before ``as_of``.  Otherwise the spell is censored and
        ``durations`` counts up to the last employed period observed.

    Notes
    -----
    With :math:`\\ell` the last employed period of the spell,
    :math:`d = \\ell + 1 - s`.  The spell ends at the first :math:`t > s` with
    :math:`t - \\ell_t > g` (:math:`\\ell_t` the last employed period up to
    :math:`t`); then :math:`d = t - g - s` and the end is observed.  A row not
    employed at its start has :math:`d = 0`, observed when ``start < as_of``;
    a row with ``start < 0`` or ``start >= as_of`` has :math:`d = 0`,
    not observed: select ``0 <= start < as_of`` before survival analysis.

    Examples
    --------
    >>> import numpy as np
    >>> employed = np.zeros(256, dtype=bool); employed[1] = True
    >>> panel = np.array([[1, 1, 5, 1, 5, 5], [5, 1, 1, 1, 1, 1]], dtype=np.int8)
    >>> job_spell_durations(panel, employed, [0, 1], as_of_period=6)
    (array([2, 5]), array([ True, False]))
    >>> job_spell_durations(panel, employed, [0, 1], as_of_period=6, allowed_gap=1)
    (array([4, 5]), array([ True, False]))
    """
    codes = _check_panel(panel)
    table = _employed_table(employed_table)
    n_rows, n_periods = codes.shape
    if int(allowed_gap) < 0:
        raise ValueError("allowed_gap must be >= 0")
    allowed_gap = int(allowed_gap)
    starts = _row_values("start", start, n_rows)
    as_of = _as_of(as_of_period, n_rows, n_periods)
    eligible = (starts >= 0) & (starts < as_of)
    first, limit = _clip_windows(
        np.where(eligible, starts, 0), np.where(eligible, as_of, 0), n_periods
    )
    durations = np.zeros(n_rows, dtype=np.int64)
    observed = np.zeros(n_rows, dtype=np.bool_)
    matcher = _CodeMatcher(table)
    if n_rows and n_periods:
        scratch = _Scratch(n_rows, n_periods, block_rows)
        masker = _WindowMasker(first, limit, n_periods)
        columns = np.arange(n_periods, dtype=np.int32)
        for r0, r1 in scratch.blocks():
            b = r1 - r0
            rows = np.arange(b)
            mask = masker.fill(r0, r1, scratch.window[:b], scratch.tmp[:b])
            hits = matcher.any_of(
                codes[r0:r1], scratch.employed[:b], scratch.tmp[:b], scratch.codes[:b]
            )
            np.bitwise_and(hits, mask, out=hits)
            in_job = eligible[r0:r1] & hits[rows, first[r0:r1]]
            last = _last_true_index(hits, columns)
            ends = mask & (columns - last > allowed_gap)
            end_at = ends.argmax(axis=1)
            ended = ends[rows, end_at]
            last_seen = last[rows, np.maximum(limit[r0:r1] - 1, 0)]
            spell_end = np.where(ended, end_at - allowed_gap, last_seen + 1)
            durations[r0:r1] = np.where(in_job, spell_end - first[r0:r1], 0)
            observed[r0:r1] = eligible[r0:r1] & (ended | ~in_job)
    return durations, observed


# ------------------------------------------------------------------------- Kaplan-Meier


class KaplanMeier(NamedTuple):
    """A Kaplan-Meier survival curve (lifelines' vocabulary).

    ``timeline`` holds the distinct event, censoring and entry times (and 0);
    ``survival[i]`` is S(t) on ``[timeline[i], timeline[i + 1])``; ``at_risk``
    and ``events`` are the numbers at risk and ending at each time;
    ``ci_lower``/``ci_upper`` the pointwise log-log (exponential Greenwood)
    confidence band at level ``1 - alpha``.
    """

    timeline: Float64Array
    survival: Float64Array
    at_risk: Int64Array
    events: Int64Array
    ci_lower: Float64Array
    ci_upper: Float64Array
    alpha: float


def _norm_ppf(p: float) -> float:
    """Inverse standard normal CDF: Acklam's approximation plus one Halley step (~1e-15)."""
    if not 0.0 < p < 1.0:
        raise ValueError("probability must lie in (0, 1)")
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687,
         138.3577518672690, -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866,
         66.80131188771972, -13.28068155288572)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838,
         -2.549732539343734, 4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)
    low = 0.02425
    if p < low:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    elif p <= 1.0 - low:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
        )
    else:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    error = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    step = error * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - step / (1.0 + x * step / 2.0)


def _cumsum_skipping_nan(values: Float64Array) -> Float64Array:
    """Cumulative sum that treats NaN terms as 0 (pandas' ``cumsum`` then ``ffill``)."""
    result: Float64Array = np.cumsum(np.where(np.isnan(values), 0.0, values))
    return result


def kaplan_meier(
    durations: npt.ArrayLike,
    observed: npt.ArrayLike,
    entry: npt.ArrayLike | None = None,
    alpha: float = 0.05,
) -> KaplanMeier:
    """Kaplan-Meier estimate of the survival function, with late entry.

    Parameters
    ----------
    durations : array_like of float, shape (n,)
        Time to the event or to censoring.
    observed : array_like of bool, shape (n,)
        ``True`` when the event was seen, ``False`` when censored.
    entry : array_like of float, shape (n,), optional
        Late entry (left truncation) time, ``<= durations``; a row is at risk
        only for events after its entry.
    alpha : float
        The band has level ``1 - alpha``.

    Returns
    -------
    KaplanMeier

    Notes
    -----
    .. math::

        \\hat S(t) = \\prod_{t_i \\le t} \\Bigl(1 - \\frac{d_i}{n_i}\\Bigr), \\qquad
        \\hat V(t) = \\sum_{t_i \\le t} \\frac{d_i}{n_i (n_i - d_i)},

    with :math:`n_i` at risk and :math:`d_i` events at :math:`t_i`.  The band is
    :math:`\\exp(-\\exp(\\log(-\\log \\hat S) \\mp z \\sqrt{\\hat V} / \\log \\hat S))`,
    :math:`z = \\Phi^{-1}(1 - \\alpha/2)`, and is 1 where undefined.
    Conventions follow lifelines' ``KaplanMeierFitter`` exactly (which the
    tests check): the timeline is the sorted distinct durations and entry
    times, starting at ``min(0, min durations)`` without ``entry``; rows
    entering at a time after the first are at risk only after it; once nobody
    is at risk (an undefined factor) the estimate is carried forward.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from
    incomplete observations. JASA 53, 457-481.  Greenwood, M. (1926).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> km.timeline.tolist(), km.survival.round(4).tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 0.8, 0.6, 0.3, 0.3])
    >>> km.at_risk.tolist(), km.events.tolist()
    ([5, 5, 4, 2, 1], [0, 1, 1, 1, 0])
    """
    times = np.asarray(durations, dtype=np.float64).reshape(-1)
    events_seen = np.asarray(observed).astype(np.bool_).reshape(-1)
    if events_seen.shape != times.shape:
        raise ValueError("durations and observed must have one length")
    if times.size == 0:
        raise ValueError("kaplan_meier needs at least one duration")
    if np.isnan(times).any():
        raise ValueError("durations must not be NaN")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must lie in (0, 1)")
    if entry is None:
        births = np.full(times.shape, min(0.0, float(times.min())))
    else:
        births = np.asarray(entry, dtype=np.float64).reshape(-1)
        if births.shape != times.shape:
            raise ValueError("entry must have one value per duration")
        if np.any(births > times):
            raise ValueError("entry must not be after the duration")
    timeline = np.union1d(times, births)
    at = np.searchsorted(timeline, times)
    removed = np.bincount(at, minlength=timeline.size)
    deaths = np.bincount(at, weights=events_seen, minlength=timeline.size).astype(np.int64)
    entrances = np.bincount(np.searchsorted(timeline, births), minlength=timeline.size)
    # Entrants at a time after the first are not at risk for events at that time.
    removed_before = np.concatenate(([0], np.cumsum(removed)[:-1]))
    at_risk = np.cumsum(entrances) - removed_before
    at_risk[1:] -= entrances[1:]
    population = at_risk.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_factor = np.log(population - deaths) - np.log(population)
        variance_terms = deaths / (population * (population - deaths))
    variance_terms[np.isinf(variance_terms)] = 0.0
    # An undefined term (nobody at risk, or a late entrant's own event) changes nothing.
    log_survival = _cumsum_skipping_nan(log_factor)
    variance = _cumsum_skipping_nan(variance_terms)
    survival = np.exp(log_survival)
    z = _norm_ppf(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_log = np.log(-log_survival)
        spread = z * np.sqrt(variance) / log_survival
        lower = np.exp(-np.exp(log_log - spread))
        upper = np.exp(-np.exp(log_log + spread))
    lower[np.isnan(lower)] = 1.0
    upper[np.isnan(upper)] = 1.0
    return KaplanMeier(
        timeline=timeline,
        survival=survival,
        at_risk=at_risk.astype(np.int64),
        events=deaths,
        ci_lower=lower,
        ci_upper=upper,
        alpha=float(alpha),
    )
