"""A national register on a dask.distributed LocalCluster of two workers.

    .venv/bin/python benchmarks/bench_national.py            # 6,000,000 people, 24 partitions
    .venv/bin/python benchmarks/bench_national.py 600000 4   # a smaller register

Generates once (benchmarks/.cache/national-N/) a register of N people with 30
years of weekly history (1995-2025: runs of weeks in one status, a new
status every 60 weeks on average, the last one still open), each with an
enrolment date inside the Nyborg referral period, written as Parquet
partitions of the canonical tables in id order.  Then, on a LocalCluster of
two single-threaded worker processes:

- the floor: one pass that only reads every partition's Parquet files;
- the settlement of the whole Nyborg contract with
  :func:`impactbond.scale.settle_partitioned`, the lines written by the
  workers as a partitioned Parquet dataset;

and prints the wall times, their ratio and the peak memory of each worker.
Last line (machine-readable):

    people=<n> spells=<n> read_seconds=<s> settle_seconds=<s> ratio=<x> peak_worker_mb=<m> lines=<n> due=<DKK>

Targets (issue 9): completes; peak memory per worker at most 3 GB; wall time
within 3x of the read pass.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EPOCH = date(1970, 1, 1).toordinal()
FIRST_MONDAY = date(1995, 1, 2).toordinal()
WEEKS = 31 * 52
REFERRAL = (date(2023, 10, 1).toordinal(), date(2025, 3, 31).toordinal())
STATUSES = np.array(
    [
        "employed",
        "employed",
        "employed",
        "unemployment_benefit",
        "sickness_benefit",
        "cash_benefit",
        "education",
        "wage_subsidy",
        "flexjob",
        "clarification_course",
        "self_supported",
        "disability_pension",
    ]
)


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array((days - EPOCH).astype(np.int32), pa.int32(), mask=mask).cast(pa.date32())


def generate_part(first: int, n: int, seed: int) -> dict[str, pa.Table]:
    """People ``first .. first + n - 1`` of the national register, as canonical tables."""
    rng = np.random.default_rng(seed)
    ids = pa.array(np.char.add("N", np.char.zfill(np.arange(first, first + n).astype(str), 8)))
    enrolled = rng.integers(REFERRAL[0], REFERRAL[1] + 1, n)
    sick = rng.random(n) < 0.6
    participants = pa.table(
        {
            "participant_id": ids,
            "cohort": pa.array(np.where(sick, "sick_listed", "unemployed")),
            "enrolled": _dates(enrolled),
        }
    )
    # Runs of weeks from 1995 to the end of 2025; about 26 spells a person.
    counts = rng.poisson(26, n) + 1
    total = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    weeks = rng.integers(1, 120, total)
    first_of = np.r_[0, np.cumsum(counts)[:-1]]
    start_week = np.cumsum(weeks) - np.repeat(np.cumsum(weeks)[first_of] - weeks[first_of], counts)
    start_week -= weeks  # each person starts in week 0
    keep = start_week < WEEKS
    owner, start_week, weeks = owner[keep], start_week[keep], weeks[keep]
    start = FIRST_MONDAY + 7 * start_week
    end = start + 7 * weeks
    last = np.r_[owner[1:] != owner[:-1], True]
    status = STATUSES[rng.integers(0, len(STATUSES), len(owner))]
    # Everyone is on their cohort's benefit on the enrolment date.
    holds = (start <= enrolled[owner]) & ((end > enrolled[owner]) | last)
    status = np.where(
        holds, np.where(sick[owner], "sickness_benefit", "unemployment_benefit"), status
    )
    working = np.isin(status, ["employed", "wage_subsidy", "flexjob"])
    hours = np.where(rng.random(len(owner)) < 0.8, 37.0, 25.0)
    spells = pa.table(
        {
            "participant_id": ids.take(pa.array(owner)),
            "status": pa.array(status),
            "start": _dates(start),
            "end": _dates(end, mask=last),
            "hours": pa.array(hours, mask=~working),
            "employer": pa.array(np.char.add("E", (owner % 9973).astype(str)), mask=~working),
        }
    )
    return {"participants": participants, "spells": spells}


def write_register(folder: Path, people: int, parts: int) -> list[Path]:
    done = folder / "done"
    paths = [folder / f"in-{k:04d}" for k in range(parts)]
    if done.exists():
        return paths
    bounds = np.linspace(0, people, parts + 1).astype(np.int64)
    for k, path in enumerate(paths):
        path.mkdir(parents=True, exist_ok=True)
        tables = generate_part(int(bounds[k]), int(bounds[k + 1] - bounds[k]), seed=1000 + k)
        for name, table in tables.items():
            pq.write_table(table, path / f"{name}.parquet")
    done.write_text("ok")
    return paths


def _read_only(path: Path) -> int:
    return sum(pq.read_table(f).num_rows for f in sorted(Path(path).glob("*.parquet")))


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> None:
    from distributed import Client, LocalCluster

    import impactbond as ib
    from impactbond.scale import settle_partitioned

    people = int(argv[1]) if len(argv) > 1 else 6_000_000
    n_parts = int(argv[2]) if len(argv) > 2 else 24
    folder = Path(__file__).parent / ".cache" / f"national-{people}-{n_parts}"
    t = time.perf_counter()
    parts = write_register(folder, people, n_parts)
    print(f"register ready in {time.perf_counter() - t:.1f} s ({n_parts} partitions)")
    contract, _, _ = ib.examples.nyborg()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="4GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        t = time.perf_counter()
        rows = sum(client.gather(client.map(_read_only, parts, pure=False)))
        read_seconds = time.perf_counter() - t
        print(f"read pass: {rows:,} rows in {read_seconds:.1f} s")
        t = time.perf_counter()
        result = settle_partitioned(
            contract, parts, as_of=date(2027, 7, 1), client=client, lines_dir=folder / "lines"
        )
        settle_seconds = time.perf_counter() - t
        peaks = client.run(_peak_rss_mb)
    spells = rows - people
    peak = max(peaks.values())
    print(
        f"settled {result.n_settled:,} people, {result.n_lines:,} lines in {settle_seconds:.1f} s"
    )
    print(f"peak worker memory: {', '.join(f'{v:,.0f} MB' for v in peaks.values())}")
    print(
        f"people={people} spells={spells} read_seconds={read_seconds:.2f} "
        f"settle_seconds={settle_seconds:.2f} ratio={settle_seconds / read_seconds:.2f} "
        f"peak_worker_mb={peak:.0f} lines={result.n_lines} due={result.total.amount}"
    )


if __name__ == "__main__":
    main(sys.argv)
