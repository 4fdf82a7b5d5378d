"""Progression up an ordered ladder of statuses (pure numpy).

>>> import numpy as np
>>> rung = np.full(256, -1, dtype=np.int8); rung[[5, 8, 2, 1]] = [0, 1, 2, 3]
>>> panel = np.array([[5, 5, 8, 8, 1, 5], [1, 1, 1, 1, 1, 1]], dtype=np.int8)
>>> steps, reached = progression_steps(panel, rung, np.array([0, 0]), np.array([6, 6]), 6)
>>> steps.tolist(), reached.tolist()
([3, 0], [4, -1])
>>> rungs_first_reached(panel, rung, np.array([0, 0]), np.array([6, 6]), 6).tolist()
[[-1, 2, 4, 4], [-1, -1, -1, -1]]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

__all__ = ["progression_steps", "rungs_first_reached"]


def _observed_rungs(
    panel: npt.NDArray[np.int8],
    rung_table: npt.NDArray[np.int8],
    window_start: npt.NDArray[np.int64],
    window_end: npt.NDArray[np.int64],
    as_of_period: int,
    block_rows: int,
) -> Iterator[tuple[int, int, npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]]:
    """Per row block: the rung of each observed window period (-1 elsewhere),
    whether the row was ever on the ladder, and its first rung."""
    n, t_len = panel.shape
    cols = np.arange(t_len, dtype=np.int64)
    for b0 in range(0, n, block_rows):
        b1 = min(b0 + block_rows, n)
        rung = rung_table[panel[b0:b1].view(np.uint8)].astype(np.int64)
        end = np.minimum(window_end[b0:b1], as_of_period)
        inside = (cols >= window_start[b0:b1, None]) & (cols < end[:, None])
        rung = np.where(inside, rung, -1)
        on = rung >= 0
        first_rung: npt.NDArray[np.int64] = rung[np.arange(b1 - b0), np.argmax(on, axis=1)]
        any_on: npt.NDArray[np.bool_] = np.asarray(on.any(axis=1))
        yield b0, b1, rung, any_on, first_rung


def progression_steps(
    panel: npt.NDArray[np.int8],
    rung_table: npt.NDArray[np.int8],
    window_start: npt.NDArray[np.int64],
    window_end: npt.NDArray[np.int64],
    as_of_period: int,
    block_rows: int = 8192,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rungs climbed in each row's window, and the period the top rung was reached.

    Parameters
    ----------
    panel:
        int8 status codes, participants x periods.
    rung_table:
        int8[256]: rung of each status code (0 = lowest), -1 when off the ladder.
    window_start, window_end:
        Half-open period windows per row.
    as_of_period:
        Periods at or after it are not yet observed.

    Returns
    -------
    steps, reached_at:
        ``steps = max rung - starting rung`` (0 when never on the ladder) and the
        first period at the highest rung (-1 when ``steps == 0``).

    Notes
    -----
    The starting rung is the rung of the first observed period in the window
    that is on the ladder; off-ladder periods neither raise nor lower it.
    """
    n = panel.shape[0]
    steps = np.zeros(n, dtype=np.int64)
    reached = np.full(n, -1, dtype=np.int64)
    for b0, b1, rung, any_on, first_rung in _observed_rungs(
        panel, rung_table, window_start, window_end, as_of_period, block_rows
    ):
        start_rung = np.where(any_on, first_rung, 0)
        top = rung.max(axis=1)
        top_at = np.argmax(rung == top[:, None], axis=1)
        climbed = np.where(any_on, top - start_rung, 0)
        steps[b0:b1] = climbed
        reached[b0:b1] = np.where(climbed > 0, top_at, -1)
    return steps, reached


def rungs_first_reached(
    panel: npt.NDArray[np.int8],
    rung_table: npt.NDArray[np.int8],
    window_start: npt.NDArray[np.int64],
    window_end: npt.NDArray[np.int64],
    as_of_period: int,
    block_rows: int = 8192,
) -> npt.NDArray[np.int64]:
    """The first period each rung above the starting rung was reached.

    Returns an int64 matrix ``rows x rungs``: entry ``[i, k]`` is the first
    observed period in row ``i``'s window at rung ``k`` or higher, for every
    rung ``k`` above the row's starting rung; -1 elsewhere (not reached, or
    at or below the starting rung).  The number of non-negative entries in a
    row equals :func:`progression_steps`'s ``steps``.
    """
    n = panel.shape[0]
    n_rungs = int(rung_table.max()) + 1 if rung_table.max() >= 0 else 0
    out = np.full((n, n_rungs), -1, dtype=np.int64)
    for b0, b1, rung, any_on, first_rung in _observed_rungs(
        panel, rung_table, window_start, window_end, as_of_period, block_rows
    ):
        start_rung = np.where(any_on, first_rung, n_rungs)
        for k in range(n_rungs):
            at_or_above = rung >= k
            first = np.where(at_or_above.any(axis=1), np.argmax(at_or_above, axis=1), -1)
            out[b0:b1, k] = np.where(k > start_rung, first, -1)
    return out
