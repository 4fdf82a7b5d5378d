"""Employment-month accrual: employed days or weeks become exact month fractions.

Pure numpy.  Days are int64 day numbers (``date.toordinal()``), periods are
int64 column indices of a ``participants x periods`` int8 status panel, and
every interval is half-open ``[start, end)``.  Results are exact integer
numerators over one common denominator; floats only in
:func:`accrue_months_float`, which is for analysis, never for invoices.

>>> import numpy as np
>>> from impactbond.core.accrual import AccrualConvention, month_day_matrix, accrue_months
>>> month_starts = np.array([0, 31, 59, 90])        # January, February, March of a common year
>>> weighted, window = month_day_matrix(
...     np.array([0]), np.array([14]), np.array([74]), np.array([1]),   # 15 Jan to 15 Mar, inclusive
...     np.array([0]), np.array([90]), month_starts, n_rows=1)
>>> weighted.tolist(), window.tolist()
([[17, 28, 15]], [[31, 28, 31]])
>>> numerators, denominator = accrue_months(
...     weighted, window, np.diff(month_starts), 1, AccrualConvention.PRO_RATA_DAYS)
>>> from fractions import Fraction
>>> Fraction(int(numerators[0]), denominator)
Fraction(63, 31)
"""

from __future__ import annotations

import enum
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "MONTH_DAYS_LCM",
    "AccrualConvention",
    "MonthItems",
    "accrue_months",
    "accrue_months_float",
    "employed_weeks",
    "month_day_matrix",
    "month_items",
    "weeks_to_months",
]

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: lcm(28, 29, 30, 31): every calendar month's length divides it, and so does 30.
MONTH_DAYS_LCM: Final[int] = 377580

_INT64_MAX: Final[int] = int(np.iinfo(np.int64).max)
#: Default rows per block: for ~130 weekly periods a block and its four
#: scratch matrices take about 5 MiB (in L3), few enough blocks that Python
#: overhead per block stays small; measured best among 1024-8192 rows.
DEFAULT_BLOCK_ROWS: Final[int] = 8192
#: A lookup table with more runs of equal values than this is applied with
#: ``np.take`` instead of with one range comparison per run.
_MAX_COMPARISON_RUNS: Final[int] = 4
#: Largest precomputed table of window masks (one row per (start, end) pair).
_MAX_PAIR_TABLE_BYTES: Final[int] = 4 * 2**20


class AccrualConvention(enum.Enum):
    """How employed days (or weeks) become employment months.

    Like a day-count convention in bond maths, a contract names one of these.
    """

    PRO_RATA_DAYS = "pro_rata_days"
    """Employed days in each calendar month / days in that month."""
    WHOLE_MONTHS = "whole_months"
    """A month counts only if every window day in it is employed (at full weight)."""
    ANY_DAY = "any_day"
    """A month counts if any window day in it is employed."""
    HALF_MONTH = "half_month"
    """A month counts if at least half of its window days are employed."""
    DAYS_30 = "days_30"
    """Employed days / 30."""
    WEEKS_52_12 = "weeks_52_12"
    """Employed weeks x 12/52, for weekly register data (:func:`employed_weeks`)."""


# --------------------------------------------------------------------------- daily data


def _as_int64(name: str, value: npt.ArrayLike, ndim: int) -> Int64Array:
    array = np.asarray(value)
    if array.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integers, not {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    return array.astype(np.int64, copy=False)


def month_day_matrix(
    spell_row: npt.ArrayLike,
    spell_start: npt.ArrayLike,
    spell_end: npt.ArrayLike,
    spell_weight: npt.ArrayLike,
    window_start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    month_starts: npt.ArrayLike,
    n_rows: int,
) -> tuple[Int64Array, Int64Array]:
    """Weighted employed days and window days of each row in each calendar month.

    Parameters
    ----------
    spell_row, spell_start, spell_end, spell_weight : array_like of int, shape (S,)
        Employment spells: the row each belongs to (``0 <= row < n_rows``),
        half-open day numbers ``[start, end)`` (open ends already replaced by a
        large day number) and an integer weight numerator ``>= 0`` over a
        common denominator that :func:`accrue_months` receives.  Spells of one
        row must not overlap.
    window_start, window_end : array_like of int, shape (n_rows,)
        Half-open measurement window of each row, in day numbers.
    month_starts : array_like of int, shape (M + 1,)
        Strictly increasing day numbers of the first days of consecutive
        calendar months; month ``m`` is ``[month_starts[m], month_starts[m + 1])``.
    n_rows : int
        Number of rows (participants).

    Returns
    -------
    weighted_days : ndarray of int64, shape (n_rows, M)
        ``sum over the row's spells of weight * |spell ∩ window ∩ month|``.
    window_days : ndarray of int64, shape (n_rows, M)
        ``|window ∩ month|``.

    Raises
    ------
    ValueError
        Mismatched shapes, rows out of range, negative weights, an end before
        its start, or months that are not strictly increasing.
    OverflowError
        Weights so large that a cell could exceed the int64 range.

    Notes
    -----
    With ``[a, b)`` the spell, ``[u, v)`` the row's window and ``[l_m, h_m)`` month ``m``,

    .. math::

        W_{r,m} = \\sum_{s \\in r} w_s \\max(0, \\min(b_s, v_r, h_m) - \\max(a_s, u_r, l_m)),
        \\qquad D_{r,m} = \\max(0, \\min(v_r, h_m) - \\max(u_r, l_m)).

    Each spell is cut into its month pieces with ``searchsorted`` and
    ``repeat`` and the pieces are added with ``np.add.at``: there is no
    Python loop over spells, rows or months.  A cell is bounded by
    ``max(weight) * 31 * (most spells of one row)``; that bound is checked
    against the int64 range.

    Examples
    --------
    Two rows, January and February of a common year (days 0-30, 31-58); row 0 is
    employed from 10 January into February at weight 2, row 1's window starts 1 February.

    >>> import numpy as np
    >>> weighted, window = month_day_matrix(
    ...     [0, 1], [9, 0], [40, 100], [2, 1], [0, 31], [59, 59], [0, 31, 59], n_rows=2)
    >>> weighted.tolist()
    [[44, 18], [0, 28]]
    >>> window.tolist()
    [[31, 28], [0, 28]]
    """
    rows = _as_int64("spell_row", spell_row, 1)
    starts = _as_int64("spell_start", spell_start, 1)
    ends = _as_int64("spell_end", spell_end, 1)
    weights = _as_int64("spell_weight", spell_weight, 1)
    w_start = _as_int64("window_start", window_start, 1)
    w_end = _as_int64("window_end", window_end, 1)
    months = _as_int64("month_starts", month_starts, 1)
    n_rows = int(n_rows)
    if not rows.shape == starts.shape == ends.shape == weights.shape:
        raise ValueError("spell_row, spell_start, spell_end and spell_weight must have one length")
    if not w_start.shape == w_end.shape == (n_rows,):
        raise ValueError(f"window_start and window_end must have length n_rows={n_rows}")
    if months.size < 1 or np.any(np.diff(months) <= 0):
        raise ValueError("month_starts must be non-empty and strictly increasing")
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        raise ValueError("spell_row must lie in [0, n_rows)")
    if np.any(weights < 0):
        raise ValueError("spell_weight must be >= 0")
    if np.any(ends < starts):
        raise ValueError("a spell ends before it starts")
    if np.any(w_end < w_start):
        raise ValueError("a window ends before it starts")
    n_months = months.size - 1

    window_days = np.minimum(w_end[:, None], months[None, 1:]) - np.maximum(
        w_start[:, None], months[None, :-1]
    )
    np.maximum(window_days, 0, out=window_days)

    weighted_days = np.zeros((n_rows, n_months), dtype=np.int64)
    if rows.size == 0 or n_months == 0:
        return weighted_days, window_days
    longest_month = int(np.diff(months).max())
    most_spells = int(np.bincount(rows).max())
    if int(weights.max()) * longest_month * most_spells > _INT64_MAX:
        raise OverflowError("spell weights too large: weighted days could overflow int64")

    # Clip every spell to its row's window and to the month grid; drop empty ones.
    lo = np.maximum(np.maximum(starts, w_start[rows]), months[0])
    hi = np.minimum(np.minimum(ends, w_end[rows]), months[-1])
    keep = (hi > lo) & (weights > 0)
    rows, lo, hi, weights = rows[keep], lo[keep], hi[keep], weights[keep]
    if rows.size == 0:
        return weighted_days, window_days
    first = np.searchsorted(months, lo, side="right") - 1
    last = np.searchsorted(months, hi - 1, side="right") - 1
    pieces = last - first + 1
    spell_of_piece = np.repeat(np.arange(rows.size), pieces)
    # Month of each piece: the spell's first month plus the piece's rank within the spell.
    piece_offset = np.arange(spell_of_piece.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    month = first[spell_of_piece] + piece_offset
    days = np.minimum(hi[spell_of_piece], months[month + 1]) - np.maximum(
        lo[spell_of_piece], months[month]
    )
    np.add.at(
        weighted_days.reshape(-1),
        rows[spell_of_piece] * n_months + month,
        weights[spell_of_piece] * days,
    )
    return weighted_days, window_days


def _check_month_inputs(
    weighted_days: npt.ArrayLike,
    window_days: npt.ArrayLike,
    days_in_month: npt.ArrayLike,
    weight_denominator: int,
    convention: AccrualConvention | str,
) -> tuple[Int64Array, Int64Array, Int64Array, int, AccrualConvention]:
    weighted = _as_int64("weighted_days", weighted_days, 2)
    window = _as_int64("window_days", window_days, 2)
    dim = _as_int64("days_in_month", days_in_month, 1)
    wden = int(weight_denominator)
    convention = AccrualConvention(convention)
    if convention is AccrualConvention.WEEKS_52_12:
        raise ValueError(
            "WEEKS_52_12 is for weekly data: count weeks with employed_weeks() and "
            "turn them into months with weeks_to_months()"
        )
    if weighted.shape != window.shape or weighted.shape[1:] != dim.shape:
        raise ValueError("weighted_days and window_days must be (n_rows, M), days_in_month (M,)")
    if np.any((dim < 28) | (dim > 31)):
        raise ValueError("days_in_month must be calendar month lengths (28 to 31)")
    if wden <= 0:
        raise ValueError("weight_denominator must be positive")
    if np.any(weighted < 0) or np.any(window < 0):
        raise ValueError("weighted_days and window_days must be >= 0")
    return weighted, window, dim, wden, convention


def _threshold_met(
    weighted: Int64Array, window: Int64Array, wden: int, convention: AccrualConvention
) -> BoolArray:
    if convention is AccrualConvention.ANY_DAY:
        return weighted > 0
    if convention is AccrualConvention.HALF_MONTH:
        return (window > 0) & (2 * weighted >= wden * window)
    # WHOLE_MONTHS.  ">=" equals "==" for weights <= the denominator and keeps
    # the convention monotone if a weight above it (overtime) ever appears.
    return (window > 0) & (weighted >= wden * window)


def accrue_months(
    weighted_days: npt.ArrayLike,
    window_days: npt.ArrayLike,
    days_in_month: npt.ArrayLike,
    weight_denominator: int,
    convention: AccrualConvention | str,
) -> tuple[Int64Array, int]:
    """Exact employment months per row from a month-day matrix.

    Parameters
    ----------
    weighted_days, window_days : array_like of int, shape (n_rows, M)
        As returned by :func:`month_day_matrix`.
    days_in_month : array_like of int, shape (M,)
        Calendar length of each month (``np.diff(month_starts)``), 28 to 31.
    weight_denominator : int
        The common denominator of the spell weights (``wden``); a full-time,
        fully counted day has weight ``wden``.
    convention : AccrualConvention or str
        Any daily convention; ``WEEKS_52_12`` raises (use :func:`employed_weeks`).

    Returns
    -------
    numerators : ndarray of int64, shape (n_rows,)
    denominator : int
        Months of row ``r`` are exactly ``numerators[r] / denominator``, with
        ``denominator = wden * MONTH_DAYS_LCM`` for every daily convention.

    Raises
    ------
    ValueError
        ``WEEKS_52_12``, mismatched shapes, month lengths outside 28-31.
    OverflowError
        When the inputs could overflow int64 (see Notes).

    Notes
    -----
    With :math:`W_{r,m}` weighted days, :math:`D_{r,m}` window days,
    :math:`d_m` days in month and :math:`L` = ``MONTH_DAYS_LCM``:

    - ``PRO_RATA_DAYS``: :math:`\\sum_m W_{r,m} / (w d_m)`, numerator :math:`\\sum_m W_{r,m} L/d_m`;
    - ``DAYS_30``: :math:`\\sum_m W_{r,m} / (30 w)`, numerator :math:`\\sum_m W_{r,m} L/30`;
    - threshold conventions credit the window's share :math:`D_{r,m}/d_m` of every
      month whose condition holds, numerator :math:`\\sum_m w D_{r,m} L/d_m`:
      ``WHOLE_MONTHS`` :math:`D>0 \\wedge W \\ge w D` (equal for weights
      :math:`\\le w`: every window day employed at full weight),
      ``HALF_MONTH`` :math:`D>0 \\wedge 2W \\ge w D`, ``ANY_DAY`` :math:`W>0`.

    Overflow bound: a numerator is at most
    :math:`M \\cdot \\max(\\max W \\cdot \\lceil L/28 \\rceil, w L)`; the function
    raises ``OverflowError`` unless that is below :math:`2^{63}`.  With weights
    ``<= wden`` this holds for ``wden * M < 2.2e13`` (for example any
    denominator up to a million over 100 years of months).

    Examples
    --------
    Employed 15 January to 15 March (inclusive) of a common year, window = Q1:

    >>> from fractions import Fraction
    >>> weighted, window = [[17, 28, 15]], [[31, 28, 31]]
    >>> dim = [31, 28, 31]
    >>> for convention in ("pro_rata_days", "days_30", "whole_months", "half_month", "any_day"):
    ...     num, den = accrue_months(weighted, window, dim, 1, convention)
    ...     print(convention, Fraction(int(num[0]), den))
    pro_rata_days 63/31
    days_30 2
    whole_months 1
    half_month 2
    any_day 3
    """
    weighted, window, dim, wden, convention = _check_month_inputs(
        weighted_days, window_days, days_in_month, weight_denominator, convention
    )
    n_months = dim.size
    denominator = wden * MONTH_DAYS_LCM
    bound = n_months * max(
        int(weighted.max(initial=0)) * (MONTH_DAYS_LCM // 28), wden * MONTH_DAYS_LCM
    )
    if bound > _INT64_MAX or denominator > _INT64_MAX:
        raise OverflowError(
            f"months could overflow int64 (bound {bound}); use a smaller weight denominator"
        )
    per_day = MONTH_DAYS_LCM // dim  # exact: every month length divides the LCM
    if convention is AccrualConvention.PRO_RATA_DAYS:
        numerators = weighted @ per_day
    elif convention is AccrualConvention.DAYS_30:
        numerators = weighted.sum(axis=1) * (MONTH_DAYS_LCM // 30)
    else:
        met = _threshold_met(weighted, window, wden, convention)
        numerators = np.where(met, window, 0) @ per_day * wden
    return numerators.astype(np.int64, copy=False), denominator


def accrue_months_float(
    weighted_days: npt.ArrayLike,
    window_days: npt.ArrayLike,
    days_in_month: npt.ArrayLike,
    weight_denominator: int,
    convention: AccrualConvention | str,
) -> Float64Array:
    """Employment months per row in float64, for analysis (never for invoices).

    Same parameters and maths as :func:`accrue_months`, without the common
    denominator and without an overflow bound.

    Notes
    -----
    ``PRO_RATA_DAYS``: :math:`\\sum_m W_{r,m}/(w d_m)`; ``DAYS_30``:
    :math:`\\sum_m W_{r,m}/(30 w)`; threshold conventions:
    :math:`\\sum_m [\\text{met}_{r,m}] D_{r,m}/d_m`.

    Examples
    --------
    >>> accrue_months_float([[17, 28, 15]], [[31, 28, 31]], [31, 28, 31], 1, "half_month")
    array([2.])
    """
    weighted, window, dim, wden, convention = _check_month_inputs(
        weighted_days, window_days, days_in_month, weight_denominator, convention
    )
    share = 1.0 / dim.astype(np.float64)
    if convention is AccrualConvention.PRO_RATA_DAYS:
        result: Float64Array = (weighted @ share) / wden
    elif convention is AccrualConvention.DAYS_30:
        result = weighted.sum(axis=1) / (30.0 * wden)
    else:
        met = _threshold_met(weighted, window, wden, convention)
        result = np.where(met, window, 0) @ share
    return result


# -------------------------------------------------------------------------- weekly data


def _code_runs(table: npt.NDArray[np.generic]) -> list[tuple[int, int, int]]:
    """``(first code, run length - 1, value)`` of each run of equal non-zero values."""
    values = np.asarray(table).astype(np.int64)
    change = np.flatnonzero(np.diff(values)) + 1
    run_starts = np.concatenate(([0], change))
    run_ends = np.concatenate((change, [values.size]))
    return [
        (int(lo), int(hi - lo - 1), int(values[lo]))
        for lo, hi in zip(run_starts, run_ends, strict=True)
        if values[lo] != 0
    ]


def _check_panel(panel: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    array = np.asarray(panel)
    if array.ndim != 2 or array.dtype.itemsize != 1 or array.dtype.kind not in "iu":
        raise TypeError(
            f"panel must be a 2-d int8 (or uint8) matrix, got {array.dtype} {array.shape}"
        )
    return array.view(np.uint8)


def _check_table(name: str, table: npt.ArrayLike, kind: str) -> npt.NDArray[np.generic]:
    array = np.asarray(table)
    if array.shape != (256,) or array.dtype.kind not in kind:
        raise ValueError(f"{name} must be a length-256 table indexed by status code & 0xFF")
    return array


def _row_values(name: str, value: npt.ArrayLike, n_rows: int) -> Int64Array:
    """A scalar or per-row integer argument as an int64 array of length n (a view if possible)."""
    array = np.asarray(value)
    if array.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integers, not {array.dtype}")
    try:
        return np.broadcast_to(array.astype(np.int64, copy=False), (n_rows,))
    except ValueError:
        raise ValueError(f"{name} must be a scalar or have one entry per row ({n_rows})") from None


class _CodeMatcher:
    """Applies a lookup table by status code to a uint8 block of codes.

    Indexing is by the code's byte: ``table[code & 0xFF]`` (the int8 panel is
    viewed as uint8, so code -1 looks up entry 255).  A table whose non-zero
    entries form a few runs of consecutive codes with equal values is applied
    as one wrap-around range comparison per run, ``(u - lo) <= span`` in
    uint8, which costs about a tenth of a gather with ``np.take``.
    """

    def __init__(self, table: npt.NDArray[np.generic]) -> None:
        self.table = table
        self.runs = _code_runs(table)
        self.use_take = len(self.runs) > _MAX_COMPARISON_RUNS

    def match(
        self,
        block: npt.NDArray[np.uint8],
        run: tuple[int, int, int],
        out: BoolArray,
        scratch: npt.NDArray[np.uint8],
    ) -> BoolArray:
        lo, span, _ = run
        if span == 0:
            return np.equal(block, np.uint8(lo), out=out)
        if lo == 0:
            return np.less_equal(block, np.uint8(span), out=out)
        np.subtract(block, np.uint8(lo), out=scratch)
        return np.less_equal(scratch, np.uint8(span), out=out)

    def any_of(
        self,
        block: npt.NDArray[np.uint8],
        out: BoolArray,
        tmp: BoolArray,
        scratch: npt.NDArray[np.uint8],
    ) -> BoolArray:
        """``out = table[block] != 0``."""
        if self.use_take:
            np.take(self.table != 0, block, out=out)
            return out
        if not self.runs:
            out.fill(False)
            return out
        self.match(block, self.runs[0], out, scratch)
        for run in self.runs[1:]:
            np.bitwise_or(out, self.match(block, run, tmp, scratch), out=out)
        return out


class _WindowMasker:
    """Fills a bool block with ``start[r] <= column < end[r]``, block by block.

    Windows are clipped to ``[0, T]`` per block (an empty window becomes
    ``[s, s)``), so no full-length temporaries are made.  The mask rows are
    copied from a precomputed table with ``np.take`` (a memcpy per row)
    rather than computed with two broadcast comparisons: one table of all
    ``(start, end)`` pairs when it is small, else the two tables
    ``column >= k`` combined with xor.
    """

    def __init__(self, start: Int64Array, end: Int64Array, n_periods: int) -> None:
        self.start = start
        self.end = end
        self.n_periods = n_periods
        edges = np.arange(n_periods + 1)
        self.at_or_after = np.arange(n_periods)[None, :] >= edges[:, None]  # (T + 1, T)
        pair_bytes = (n_periods + 1) ** 2 * n_periods
        self.pairs: BoolArray | None = None
        if pair_bytes <= min(_MAX_PAIR_TABLE_BYTES, start.size * n_periods):
            self.pairs = (self.at_or_after[:, None, :] ^ self.at_or_after[None, :, :]).reshape(
                -1, n_periods
            )

    def bounds(self, r0: int, r1: int) -> tuple[Int64Array, Int64Array]:
        """Clipped window ``[first, limit)`` of rows ``r0:r1``."""
        first = np.clip(self.start[r0:r1], 0, self.n_periods)
        limit = np.clip(self.end[r0:r1], first, self.n_periods)
        return first, limit

    def fill(self, r0: int, r1: int, out: BoolArray, tmp: BoolArray) -> BoolArray:
        first, limit = self.bounds(r0, r1)
        if self.pairs is not None:
            np.take(self.pairs, first * (self.n_periods + 1) + limit, axis=0, out=out)
            return out
        np.take(self.at_or_after, first, axis=0, out=out)
        np.take(self.at_or_after, limit, axis=0, out=tmp)
        return np.bitwise_xor(out, tmp, out=out)


class _Scratch:
    """Preallocated block matrices for one kernel call: no allocation (page faults) per block."""

    def __init__(self, n_rows: int, n_periods: int, block_rows: int) -> None:
        self.size = max(1, min(int(block_rows), max(n_rows, 1)))
        shape = (self.size, n_periods)
        self.window = np.empty(shape, dtype=np.bool_)
        self.employed = np.empty(shape, dtype=np.bool_)
        self.tmp = np.empty(shape, dtype=np.bool_)
        self.codes = np.empty(shape, dtype=np.uint8)
        self.union = np.empty(shape, dtype=np.bool_)
        self.row_offsets = np.arange(self.size) * n_periods
        self.n_rows = n_rows

    def blocks(self) -> list[tuple[int, int]]:
        return [(r0, min(r0 + self.size, self.n_rows)) for r0 in range(0, self.n_rows, self.size)]


def _row_counts(
    hits: BoolArray, scratch: _Scratch, dtype: type[np.integer[Any]], out: npt.NDArray[Any]
) -> npt.NDArray[Any]:
    """``True`` cells per row of a contiguous block (segment sums over the flat block)."""
    b = hits.shape[0]
    np.add.reduceat(
        hits.reshape(-1).view(np.uint8), scratch.row_offsets[:b], dtype=dtype, out=out[:b]
    )
    return out[:b]


def _count_dtype(n_periods: int) -> type[np.integer[Any]]:
    """Smallest accumulator that holds a count of up to ``n_periods`` (no casting loop)."""
    if n_periods <= 255:
        return np.uint8
    if n_periods <= 65535:
        return np.uint16
    return np.int64


def employed_weeks(
    panel: npt.ArrayLike,
    window_start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    weight_table: npt.ArrayLike,
    block_rows: int = DEFAULT_BLOCK_ROWS,
) -> Int64Array:
    """Weighted employed periods (weeks) of each row inside its window.

    Parameters
    ----------
    panel : array_like of int8, shape (n, T)
        Status codes on a weekly grid, one row per participant.
    window_start, window_end : array_like of int, shape (n,) or scalar
        Half-open window of period indices per row; clipped to ``[0, T]``.
    weight_table : array_like of int, shape (256,)
        Weight numerator of each status code, ``>= 0``, indexed by the code's
        byte ``code & 0xFF`` (the int8 panel is read as uint8, so a negative
        code ``c`` uses entry ``256 + c``).  ``0`` means "not employment".
    block_rows : int
        Rows per block; working memory is about ``5 * block_rows * T`` bytes.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``sum over window periods of weight_table[code]``: weeks times the
        weight denominator.  Use :func:`weeks_to_months` for ``WEEKS_52_12``.

    Notes
    -----
    .. math:: N_r = \\sum_{t = u_r}^{v_r - 1} w[c_{r,t}]

    Each block of rows is evaluated in place in a few preallocated scratch
    matrices: for each run of consecutive codes with one weight ``w_k`` a
    range comparison gives the bool matrix of matching periods, it is
    intersected with the window mask and counted along the row in a uint8
    (T <= 255) accumulator; ``N_r = sum_k w_k count_{r,k}``.  No cumulative
    sum, no int64 matrix.  Weights must satisfy ``max(w) * T < 2**63``.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.zeros(256, dtype=np.int64)
    >>> weights[1], weights[2] = 2, 1          # employed 1, subsidised 1/2 (denominator 2)
    >>> panel = np.array([[1, 1, 2, 5, 1], [0, 2, 2, 2, 1]], dtype=np.int8)
    >>> employed_weeks(panel, [0, 1], [4, 5], weights)
    array([5, 5])
    """
    codes = _check_panel(panel)
    table = _check_table("weight_table", weight_table, "iub").astype(np.int64)
    if np.any(table < 0):
        raise ValueError("weight_table must be >= 0")
    n_rows, n_periods = codes.shape
    if int(table.max()) * max(n_periods, 1) > _INT64_MAX:
        raise OverflowError("weight_table values too large for int64 sums over a row")
    start = _row_values("window_start", window_start, n_rows)
    end = _row_values("window_end", window_end, n_rows)
    result = np.zeros(n_rows, dtype=np.int64)
    matcher = _CodeMatcher(table)
    if not matcher.runs or n_periods == 0 or n_rows == 0:
        return result
    masker = _WindowMasker(start, end, n_periods)
    scratch = _Scratch(n_rows, n_periods, block_rows)
    if matcher.use_take:
        weights_block = np.empty((scratch.size, n_periods), dtype=np.int64)
    count_dtype = _count_dtype(n_periods)
    counts = np.empty(scratch.size, dtype=count_dtype)
    for r0, r1 in scratch.blocks():
        b = r1 - r0
        block = codes[r0:r1]
        mask = masker.fill(r0, r1, scratch.window[:b], scratch.tmp[:b])
        if matcher.use_take:
            np.take(table, block, out=weights_block[:b])
            np.multiply(weights_block[:b], mask, out=weights_block[:b])
            np.add.reduce(weights_block[:b], axis=1, out=result[r0:r1])
            continue
        for run in matcher.runs:
            hits = matcher.match(block, run, scratch.employed[:b], scratch.codes[:b])
            np.bitwise_and(hits, mask, out=hits)
            result[r0:r1] += run[2] * _row_counts(hits, scratch, count_dtype, counts).astype(
                np.int64
            )
    return result


def weeks_to_months(
    weighted_weeks: npt.ArrayLike, weight_denominator: int
) -> tuple[Int64Array, int]:
    """Employment months under ``WEEKS_52_12`` as exact numerators over one denominator.

    Parameters
    ----------
    weighted_weeks : array_like of int
        Output of :func:`employed_weeks` (weeks times the weight denominator).
    weight_denominator : int
        The weight table's denominator ``w``.

    Returns
    -------
    numerators : ndarray of int64
    denominator : int
        Months are ``numerators / denominator`` exactly.

    Notes
    -----
    .. math:: \\text{months} = N \\cdot \\frac{12}{52 w} = \\frac{3N}{13 w}

    Raises ``OverflowError`` when ``3 max(N)`` or ``13 w`` leave int64.

    Examples
    --------
    >>> weeks_to_months([26, 52], 1)
    (array([ 78, 156]), 13)
    """
    weeks = np.asarray(weighted_weeks)
    if weeks.dtype.kind not in "iub":
        raise TypeError("weighted_weeks must hold integers")
    weeks = weeks.astype(np.int64, copy=False)
    wden = int(weight_denominator)
    if wden <= 0:
        raise ValueError("weight_denominator must be positive")
    if 3 * int(np.abs(weeks).max(initial=0)) > _INT64_MAX or 13 * wden > _INT64_MAX:
        raise OverflowError("weeks or denominator too large for int64 months")
    return weeks * 3, 13 * wden


# ------------------------------------------------------------------- sparse month items

#: Day number (proleptic ordinal) of 1 January 1970, where numpy's datetime64 counts from.
_EPOCH_DAY: Final[int] = 719163


class MonthItems(NamedTuple):
    """Accrued months per (row, calendar month), sparse: only months with something counted.

    ``row`` and the day columns are int32 (row indices and day numbers fit), the
    quantities int64.

    ``num / den`` is the quantity; ``weighted`` (over the weight denominator)
    the counted days, ``days`` the measured days of the month and
    ``month_days`` the days of the calendar month.
    """

    row: npt.NDArray[np.integer[Any]]
    period_start: npt.NDArray[np.integer[Any]]
    period_end: npt.NDArray[np.integer[Any]]
    num: Int64Array
    weighted: Int64Array
    days: npt.NDArray[np.integer[Any]]
    month_days: npt.NDArray[np.integer[Any]]


def _month_of(days: Int64Array) -> Int64Array:
    return (days - _EPOCH_DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_day_of(months: Int64Array) -> Int64Array:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + _EPOCH_DAY


def month_items(
    spell_row: npt.ArrayLike,
    spell_start: npt.ArrayLike,
    spell_end: npt.ArrayLike,
    spell_weight: npt.ArrayLike,
    weight_denominator: int,
    window_start: npt.ArrayLike,
    window_end: npt.ArrayLike,
    convention: AccrualConvention | str,
    *,
    measure_end: npt.ArrayLike | None = None,
) -> tuple[MonthItems, int]:
    """Employment months of each row, one item per calendar month with months counted.

    The sparse twin of :func:`month_day_matrix` and :func:`accrue_months`:
    no ``rows x months`` matrix, one piece per spell and month.

    Parameters
    ----------
    spell_row, spell_start, spell_end, spell_weight : array_like of int, shape (S,)
        Spells sorted by row, then start, not overlapping within a row;
        ``[start, end)`` day numbers (``date.toordinal()``), weight numerators
        over ``weight_denominator``.
    window_start, window_end : array_like of int, shape (n_rows,)
        The measured days ``[start, end)`` of each row.
    convention : AccrualConvention or str
        A daily convention.
    measure_end : array_like of int, shape (n_rows,), optional
        The day after the last day measured (an exit, the end of the term);
        default ``window_end``.  No day from it on counts, and an item ends
        there.  A threshold convention still judges a month against its days
        in the window, so a month cut short is never whole: measuring less
        never counts more.

    Returns
    -------
    items : MonthItems
        Sorted by row, then month; only items with a non-zero quantity.
    denominator : int
        ``weight_denominator * MONTH_DAYS_LCM``.

    Notes
    -----
    Per item the quantity is :func:`accrue_months`'s for one month:
    ``PRO_RATA_DAYS`` :math:`W L / d`, ``DAYS_30`` :math:`W L / 30`,
    thresholds :math:`w D L / d` when met (``WHOLE_MONTHS`` :math:`W \\ge w D`,
    ``HALF_MONTH`` :math:`2W \\ge w D`, ``ANY_DAY`` :math:`W > 0`).

    Examples
    --------
    Employed 15 January to 15 March 2023 (inclusive), measured over the first quarter:

    >>> jan1 = 738521  # date(2023, 1, 1).toordinal()
    >>> items, den = month_items([0], [jan1 + 14], [jan1 + 74], [1], 1, [jan1], [jan1 + 90],
    ...                          "pro_rata_days")
    >>> from fractions import Fraction
    >>> sum(Fraction(int(n), den) for n in items.num), items.weighted.tolist()
    (Fraction(63, 31), [17, 28, 15])
    """
    conv = AccrualConvention(convention)
    if conv is AccrualConvention.WEEKS_52_12:
        raise ValueError("WEEKS_52_12 counts weeks: use impactbond.core.runs.weeks_by_segment")
    rows = _as_int64("spell_row", spell_row, 1)
    starts = _as_int64("spell_start", spell_start, 1)
    ends = _as_int64("spell_end", spell_end, 1)
    weights = _as_int64("spell_weight", spell_weight, 1)
    ws = _as_int64("window_start", window_start, 1)
    we = _as_int64("window_end", window_end, 1)
    me = we if measure_end is None else np.minimum(we, _as_int64("measure_end", measure_end, 1))
    wden = int(weight_denominator)
    if wden <= 0 or np.any(weights < 0):
        raise ValueError("weights are >= 0 over a positive denominator")
    den = wden * MONTH_DAYS_LCM
    if den > _INT64_MAX // (31 * 60):
        raise OverflowError("weight denominator too large for exact months in int64")
    lo = np.maximum(starts, ws[rows]) if len(rows) else starts
    hi = np.minimum(ends, me[rows]) if len(rows) else ends
    keep = (hi > lo) & (weights > 0)
    # Day numbers and rows fit int32: half the memory traffic of the piece arrays below.
    r, w = rows[keep].astype(np.int32), weights[keep]
    lo, hi = lo[keep].astype(np.int32), hi[keep].astype(np.int32)
    if len(r) == 0:
        z = np.zeros(0, dtype=np.int64)
        return MonthItems(z, z, z, z, z, z, z), den
    if np.any(np.diff(r) < 0):
        raise ValueError("spells must be sorted by row")
    # The first days of the months touched, once; each day's month by a binary search.
    months = np.arange(
        _month_of(np.array([lo.min()]))[0], _month_of(np.array([hi.max() - 1]))[0] + 2
    )
    table = _first_day_of(months).astype(np.int32)
    first = np.searchsorted(table, lo, side="right") - 1
    last = np.searchsorted(table, hi - 1, side="right") - 1
    pieces = last - first + 1
    # Piece k of a spell lies in month first + k: month = position - (spell's first position - first).
    base = np.cumsum(pieces) - pieces - first
    month = (np.arange(int(pieces.sum()), dtype=np.int64) - np.repeat(base, pieces)).astype(
        np.int32
    )
    m0, m1 = table[month], table[month + 1]
    days = np.minimum(np.repeat(hi, pieces), m1) - np.maximum(np.repeat(lo, pieces), m0)
    prow = np.repeat(r, pieces)
    # Spells in (row, start) order give pieces in (row, month) order: add neighbours.
    change = np.ones(len(prow), dtype=bool)
    change[1:] = (prow[1:] != prow[:-1]) | (month[1:] != month[:-1])
    at = np.flatnonzero(change)
    weighted_days = days.astype(np.int64) * np.repeat(w, pieces)
    if len(at) == len(prow):  # no spells share a month: nothing to add
        weighted, row = weighted_days, prow
    else:
        weighted = np.add.reduceat(weighted_days, at)
        row, m0, m1 = prow[at], m0[at], m1[at]
    p_start = np.maximum(m0, ws[row])
    p_end = np.minimum(m1, me[row])
    window_days = np.minimum(m1, we[row]) - p_start
    measured_days = p_end - p_start
    month_days = m1 - m0
    per_day = (MONTH_DAYS_LCM // month_days).astype(np.int64)
    if conv is AccrualConvention.PRO_RATA_DAYS:
        num = weighted * per_day
    elif conv is AccrualConvention.DAYS_30:
        num = weighted * (MONTH_DAYS_LCM // 30)
    else:
        met = _threshold_met(weighted, window_days, wden, conv)
        num = np.where(met, measured_days.astype(np.int64) * per_day * wden, 0)
    ok = num > 0
    if ok.all():
        return MonthItems(row, p_start, p_end, num, weighted, window_days, month_days), den
    return (
        MonthItems(
            row[ok], p_start[ok], p_end[ok], num[ok], weighted[ok], window_days[ok], month_days[ok]
        ),
        den,
    )
