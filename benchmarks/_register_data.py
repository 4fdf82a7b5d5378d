"""Synthetic register data for the benchmarks: participants and spells as canonical tables.

Reproducible (one seeded numpy Generator), vectorised, no Python object per
person or spell.  Every participant is enrolled inside the Nyborg referral
period on a benefit that makes them eligible, and then moves through about
3.6 spells over 2.5 years: work with weekly hours (or none registered), wage
subsidy or flexjob, education, benefits, gaps without a record.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

EPOCH = date(1970, 1, 1).toordinal()
REFERRAL_START = date(2023, 10, 1).toordinal()
REFERRAL_END = date(2025, 3, 31).toordinal()

# After the first (eligible) spell, what comes next.
NEXT = np.array(
    [
        "employed",
        "employed",
        "employed",
        "wage_subsidy",
        "flexjob",
        "education",
        "sickness_benefit",
        "unemployment_benefit",
        "cash_benefit",
        "clarification_course",
    ]
)
NEXT_P = np.array([0.30, 0.12, 0.08, 0.08, 0.04, 0.06, 0.10, 0.10, 0.08, 0.04])


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array((days - EPOCH).astype(np.int32), pa.int32()).cast(pa.date32())


def generate(n: int, seed: int = 2026) -> tuple[pa.Table, pa.Table]:
    """``(participants, spells)`` canonical tables of ``n`` synthetic participants."""
    rng = np.random.default_rng(seed)
    ids = pa.array(np.char.add("P", np.char.zfill(np.arange(n).astype(str), 7)))
    sick = rng.random(n) < 0.6
    cohort = np.where(sick, "sick_listed", "unemployed")
    enrolled = rng.integers(REFERRAL_START, REFERRAL_END + 1, n)
    referred = enrolled - rng.integers(0, 21, n)
    participants = pa.table(
        {
            "participant_id": ids,
            "cohort": pa.array(cohort),
            "enrolled": _dates(enrolled),
            "referred": _dates(referred),
        }
    )
    # Spells per person: 1 eligible + k more (k from 1 to 5, mean ~2.6), contiguous or with gaps.
    extra = rng.choice([1, 2, 3, 4, 5], n, p=[0.15, 0.30, 0.30, 0.15, 0.10])
    counts = 1 + extra
    total = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    is_first = np.zeros(total, dtype=bool)
    is_first[first] = True
    length = rng.integers(20, 320, total)
    gap = np.where(rng.random(total) < 0.15, rng.integers(1, 40, total), 0)
    gap[is_first] = 0
    # The first spell starts before enrolment and runs past it.
    lead = rng.integers(10, 200, n)
    length[first] = lead + rng.integers(7, 120, n)
    step = length + gap
    offset = np.cumsum(step) - np.repeat(np.cumsum(step)[first] - step[first], counts)
    start0 = enrolled - lead
    end = np.repeat(start0, counts) + offset - 0
    start = end - length
    status = NEXT[rng.choice(len(NEXT), total, p=NEXT_P)]
    status[first] = np.where(sick, "sickness_benefit", "unemployment_benefit")
    last = np.r_[first[1:] - 1, total - 1]
    open_end = np.zeros(total, dtype=bool)
    open_end[last] = rng.random(n) < 0.5
    working = np.isin(status, ["employed", "wage_subsidy", "flexjob"])
    hours = np.where(rng.random(total) < 0.7, 37.0, rng.integers(15, 37, total).astype(float))
    hours_mask = ~working | (rng.random(total) < 0.1)  # some jobs have no registered hours
    employer = np.char.add("E", (owner * 7 + np.arange(total) % 5).astype(str))
    spells = pa.table(
        {
            "participant_id": ids.take(pa.array(owner)),
            "status": pa.array(status),
            "start": _dates(start),
            "end": pa.array((end - EPOCH).astype(np.int32), pa.int32(), mask=open_end).cast(
                pa.date32()
            ),
            "hours": pa.array(hours, pa.float64(), mask=hours_mask),
            "employer": pa.array(employer, mask=~working),
        }
    )
    return participants, spells


def write(folder: Path, n: int, seed: int = 2026) -> tuple[Path, Path]:
    """Write (once) the participants and spells CSV files of ``n`` participants."""
    folder.mkdir(parents=True, exist_ok=True)
    people_path = folder / f"participants_{n}.csv"
    spells_path = folder / f"spells_{n}.csv"
    if not (people_path.exists() and spells_path.exists()):
        participants, spells = generate(n, seed)
        pacsv.write_csv(participants, people_path)
        pacsv.write_csv(spells, spells_path)
    return people_path, spells_path
