"""The core on row chunks (dask) and on memory-mapped panels equals the core on the whole panel."""

from pathlib import Path

import dask.array as da
import numpy as np

from impactbond.core.accrual import employed_weeks
from impactbond.core.retention import job_start
from impactbond.scale import map_rows
from impactbond.status import Status


def _panel(n: int = 3000, t_len: int = 60, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = np.array([int(s) for s in Status], dtype=np.int8)
    return rng.choice(codes, size=(n, t_len)).astype(np.int8)


def test_map_rows_equals_the_kernel_on_the_whole_panel() -> None:
    panel = _panel()
    n, t_len = panel.shape
    rng = np.random.default_rng(4)
    ws = rng.integers(0, t_len // 2, size=n)
    we = ws + rng.integers(0, t_len // 2, size=n)
    weights = np.zeros(256, dtype=np.int64)
    weights[int(Status.EMPLOYED)], weights[int(Status.WAGE_SUBSIDY)] = 2, 1
    employed = Status.mask([Status.EMPLOYED, Status.WAGE_SUBSIDY])
    window = {"window_start": ws, "window_end": we}

    lazy = map_rows(employed_weeks, panel, rows=window, chunk_rows=700, weight_table=weights)
    assert isinstance(lazy, da.Array) and lazy.numblocks == (5,)
    np.testing.assert_array_equal(lazy.compute(), employed_weeks(panel, ws, we, weights))

    # a panel that is already a dask array, chunked differently in both axes
    chunked = da.from_array(panel, chunks=(1000, 20))
    starts = map_rows(job_start, chunked, rows=window, employed_table=employed).compute()
    np.testing.assert_array_equal(starts, job_start(panel, employed, ws, we))
    assert (starts >= -1).all() and ((starts == -1) | ((starts >= ws) & (starts < we))).all()


def test_a_memory_mapped_panel_needs_nothing_special(tmp_path: Path) -> None:
    panel = _panel(2000, 52, seed=9)
    stored = np.memmap(tmp_path / "panel.int8", dtype=np.int8, mode="w+", shape=panel.shape)
    stored[:] = panel
    stored.flush()
    mapped = np.memmap(tmp_path / "panel.int8", dtype=np.int8, mode="r", shape=panel.shape)
    ws = np.zeros(len(panel), dtype=np.int64)
    we = np.full(len(panel), panel.shape[1], dtype=np.int64)
    weights = np.zeros(256, dtype=np.int64)
    weights[int(Status.EMPLOYED)] = 1
    expected = (panel == int(Status.EMPLOYED)).sum(axis=1)
    np.testing.assert_array_equal(employed_weeks(mapped, ws, we, weights, block_rows=256), expected)
