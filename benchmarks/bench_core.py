"""Benchmark of the weekly core kernels on a national-register-sized panel.

Run with ``python benchmarks/bench_core.py [n_rows]`` (default 1,000,000
participants x 130 weeks).  The last line is machine-readable::

    ratio_to_floor=<x> pandas_over_ours=<y> extra_memory_mb=<z>

- ``ratio_to_floor``: time of our pipeline (employment weeks under
  WEEKS_52_12, job start, retention at 13/26/52 weeks) / time of ``a.sum()``
  over the same int8 panel (a memory-bandwidth floor), both measured here.
- ``pandas_over_ours``: a straightforward pandas implementation (long format,
  groupby participant) / ours, both on the same subset of rows.
- ``extra_memory_mb``: peak memory allocated by our pipeline above its inputs
  (tracemalloc; numpy reports its allocations to it), results included.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from impactbond.core import retention_at, weekly_summary, weeks_to_months

N_PERIODS = 130
HORIZONS = (13, 26, 52)
PANDAS_ROWS = 100_000
SEED = 20240601

# Status codes as in impactbond.status.Status (the core takes plain codes).
UNKNOWN, EMPLOYED, EDUCATION, SELF_SUPPORTED = 0, 1, 3, 4
SICKNESS, UNEMPLOYMENT, WAGE_SUBSIDY, CASH_BENEFIT = 5, 6, 16, 17
STATUSES = np.array(
    [EMPLOYED, WAGE_SUBSIDY, EDUCATION, SELF_SUPPORTED, SICKNESS, UNEMPLOYMENT,
     CASH_BENEFIT, UNKNOWN], dtype=np.int8)  # fmt: skip
STATUS_SHARE = np.array([0.30, 0.05, 0.05, 0.05, 0.20, 0.15, 0.15, 0.05])
WEEKLY_CHANGE = 0.08  # a status spell lasts about 12 weeks on average


def synthetic_panel(n_rows: int, seed: int = SEED) -> npt.NDArray[np.int8]:
    """Spells of statuses: each week a row keeps its status or, with 8%, draws a new one."""
    rng = np.random.default_rng(seed)
    panel = np.empty((n_rows, N_PERIODS), dtype=np.int8)
    panel[:, 0] = rng.choice(STATUSES, size=n_rows, p=STATUS_SHARE)
    for t in range(1, N_PERIODS):
        change = rng.random(n_rows) < WEEKLY_CHANGE
        panel[:, t] = np.where(
            change, rng.choice(STATUSES, size=n_rows, p=STATUS_SHARE), panel[:, t - 1]
        )
    return panel


def windows(n_rows: int, seed: int = SEED + 1) -> tuple[npt.NDArray[np.int64], ...]:
    """Each participant's own window: enrolled in the first half year, 1-2 years long."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 26, size=n_rows)
    end = np.minimum(start + rng.integers(52, 105, size=n_rows), N_PERIODS)
    return start, end


def tables() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    weights = np.zeros(256, dtype=np.int64)
    weights[EMPLOYED], weights[WAGE_SUBSIDY] = 2, 1  # subsidised counts half; denominator 2
    employed = np.zeros(256, dtype=np.bool_)
    employed[[EMPLOYED, WAGE_SUBSIDY]] = True
    return weights, employed


def ours(
    panel: npt.NDArray[np.int8], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> dict[str, Any]:
    weights, employed = tables()
    # employed_weeks() and job_start() fused: one pass over each block.
    weeks, first_job = weekly_summary(panel, start, end, weights, employed)
    months = weeks_to_months(weeks, 2)
    retention = {h: retention_at(panel, employed, first_job, h, N_PERIODS) for h in HORIZONS}
    return {"weeks": weeks, "months": months, "job_start": first_job, "retention": retention}


def pandas_baseline(
    panel: npt.NDArray[np.int8], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> dict[str, Any]:
    """The straightforward way: long format, boolean filters, groupby participant, merges."""
    import pandas as pd

    n_rows = panel.shape[0]
    long = pd.DataFrame(
        {
            "participant": np.repeat(np.arange(n_rows), N_PERIODS),
            "period": np.tile(np.arange(N_PERIODS), n_rows),
            "status": panel.reshape(-1),
        }
    )
    win = pd.DataFrame({"participant": np.arange(n_rows), "start": start, "end": end})
    df = long.merge(win, on="participant")
    df = df[(df["period"] >= df["start"]) & (df["period"] < df["end"])]
    df["weight"] = df["status"].map({EMPLOYED: 2, WAGE_SUBSIDY: 1}).fillna(0).astype("int64")
    weeks = df.groupby("participant")["weight"].sum().reindex(range(n_rows), fill_value=0)
    employed_rows = df[df["status"].isin([EMPLOYED, WAGE_SUBSIDY])]
    first = employed_rows.groupby("participant")["period"].min()
    first = first.reindex(range(n_rows), fill_value=-1)
    retention = {}
    for h in HORIZONS:
        target = pd.DataFrame({"participant": first.index, "period": first.to_numpy() + h})
        target = target[(first.to_numpy() >= 0) & (target["period"] < N_PERIODS)]
        at = target.merge(long, on=["participant", "period"], how="left")
        retained = at.set_index("participant")["status"].isin([EMPLOYED, WAGE_SUBSIDY])
        retention[h] = retained.reindex(range(n_rows), fill_value=False)
    return {"weeks": weeks.to_numpy(), "job_start": first.to_numpy(), "retention": retention}


def best_time(function: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - t0)
    return best


def main(n_rows: int = 1_000_000) -> None:
    t0 = time.perf_counter()
    panel = synthetic_panel(n_rows)
    start, end = windows(n_rows)
    print(f"panel: {n_rows:,} participants x {N_PERIODS} weeks int8 "
          f"({panel.nbytes / 2**20:.0f} MiB), generated in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    floor = best_time(lambda: panel.sum(), repeat=5)
    ours_time = best_time(lambda: ours(panel, start, end), repeat=5)
    print(f"memory-bandwidth floor a.sum(): {floor * 1e3:8.1f} ms")
    print(f"ours (weeks + job start + retention x3): {ours_time * 1e3:8.1f} ms")

    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    result = ours(panel, start, end)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra_mb = (peak - base) / 2**6 / 2**14
    print(f"peak memory above the input: {extra_mb:.1f} MiB (results included)")
    employed_share = np.mean(result["job_start"] >= 0)
    rates = ", ".join(f"{h}w {result['retention'][h].rate():.3f}" for h in HORIZONS)
    print(f"job start in window: {employed_share:.3f}; retention {rates}")

    subset = min(PANDAS_ROWS, n_rows)
    sub_panel, sub_start, sub_end = panel[:subset], start[:subset], end[:subset]
    pandas_time = best_time(lambda: pandas_baseline(sub_panel, sub_start, sub_end), repeat=1)
    ours_subset = best_time(lambda: ours(sub_panel, sub_start, sub_end), repeat=5)
    check = pandas_baseline(sub_panel, sub_start, sub_end)
    mine = ours(sub_panel, sub_start, sub_end)
    assert np.array_equal(check["weeks"], mine["weeks"])
    assert np.array_equal(check["job_start"], mine["job_start"])
    for h in HORIZONS:
        assert np.array_equal(check["retention"][h].to_numpy(), mine["retention"][h].retained)
    print(f"pandas groupby baseline on the first {subset:,} rows: {pandas_time * 1e3:8.1f} ms; "
          f"ours on the same rows: {ours_subset * 1e3:.1f} ms (results identical)")  # fmt: skip

    print(f"ratio_to_floor={ours_time / floor:.2f} pandas_over_ours={pandas_time / ours_subset:.0f} "
          f"extra_memory_mb={extra_mb:.1f}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
