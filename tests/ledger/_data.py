"""Data and checks shared by the ledger tests (loaded by path: tests are not a package)."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import sqlalchemy as sa

import impactbond as ib
from impactbond.examples import nyborg_paths
from impactbond.io.trajectories import write_participants, write_spells
from impactbond.ledger._schema import metadata
from impactbond.simulate import synthetic_cohort

HERE = Path(__file__).resolve().parent

#: A contract small enough to settle by hand: 1,000 DKK per employment month
#: (days employed / days in the month), invoiced monthly, due when the month ends.
SMALL_CONTRACT = """\
id = "ledger-test"
title = "Ledger test contract"
currency = "DKK"
term_start = 2024-01-01
term_end = 2026-01-01
referral_start = 2024-01-01
referral_end = 2025-01-01

[parties]
outcome_payer = "Testby Kommune"
investor = "Investor"
provider = "Provider"

[schedule]
invoice_months = 1
verification_lag_days = 0

[[cohorts]]
label = "unemployed"

[[outcomes]]
kind = "employment_months"
id = "months"
weights = { employed = "1" }
convention = "pro_rata_days"
window = { length_months = 24 }

[[payment_rules]]
kind = "price_per_unit"
id = "pay_months"
outcome = "months"
price = "PRICE DKK"
"""


def small_contract(price: str = "1000.00") -> str:
    return SMALL_CONTRACT.replace("PRICE", price)


NYBORG = nyborg_paths()


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ledger_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


People = list[ib.Participant]
Trajectories = list[ib.Trajectory]


def cohort(n: int, seed: int = 0) -> tuple[People, Trajectories]:
    """A synthetic Nyborg cohort enrolled from 2023-10-02 (the contract's referral start)."""
    return synthetic_cohort(n, start=date(2023, 10, 2), seed=seed, weeks=150, enrolment_weeks=60)


def extract(people: People, trajectories: Trajectories, day: date) -> tuple[People, Trajectories]:
    """What a register extract taken at the end of ``day`` holds.

    People enrolled by then; spells that started by then, those still running
    after it open.
    """
    after = day + timedelta(days=1)
    kept_people = [p for p in people if p.enrolled <= day]
    ids = {p.id for p in kept_people}
    kept: Trajectories = []
    for t in trajectories:
        if t.participant_id not in ids:
            continue
        spells = [
            attrs.evolve(s, end=None) if s.end is None or s.end > after else s
            for s in t.spells
            if s.start <= day
        ]
        kept.append(ib.Trajectory(t.participant_id, tuple(spells)))
    return kept_people, kept


def revise(
    people: People, trajectories: Trajectories, participant: int, spell: int, day: date
) -> Trajectories:
    """A correction: a closed spell (ended by ``day``, after enrolment) gets another status.

    Employment becomes sickness benefit and anything else employment, as when
    a spell is recorded late or corrected.  Returns the trajectories unchanged
    when the participant has no such spell.
    """
    out = list(trajectories)
    t = out[participant % len(out)]
    enrolled = {p.id: p.enrolled for p in people}[t.participant_id]
    closed = [i for i, s in enumerate(t.spells) if s.end is not None and enrolled < s.end <= day]
    if not closed:
        return out
    i = closed[spell % len(closed)]
    old = t.spells[i]
    status = ib.Status.SICKNESS_BENEFIT if old.status.is_employment else ib.Status.EMPLOYED
    hours = None if status is ib.Status.SICKNESS_BENEFIT else 37
    new = attrs.evolve(old, status=status, hours=hours, employer=None if hours is None else "E9")
    out[participant % len(out)] = ib.Trajectory(
        t.participant_id, (*t.spells[:i], new, *t.spells[i + 1 :])
    )
    return out


def write(folder: Path, name: str, people: People, trajectories: Trajectories) -> tuple[Path, Path]:
    """The delivery as the two CSV files of :mod:`impactbond.io.trajectories`."""
    folder.mkdir(parents=True, exist_ok=True)
    spells, participants = folder / f"{name}-spells.csv", folder / f"{name}-participants.csv"
    write_spells(trajectories, spells)
    write_participants(people, participants)
    return spells, participants


def due_by_period(ledger: Any, run: int | None = None) -> dict[int, int]:
    """Minor units due per invoice period by a run (default: the latest), from its lines."""
    out: dict[int, int] = defaultdict(int)
    for row in ledger.lines(run).to_pylist():
        if row["due"]:
            out[row["invoice_period"]] += row["amount"]
    return {k: v for k, v in out.items() if v}


def billed_by_period(ledger: Any) -> dict[int, int]:
    """Minor units on issued invoices (lines and adjustments) per invoice period."""
    out: dict[int, int] = defaultdict(int)
    for invoice in ledger.invoices():
        if invoice.state == "draft":
            continue
        for row in ledger.invoice_lines(invoice).to_pylist():
            out[row["invoice_period"]] += row["amount"]
    return {k: v for k, v in out.items() if v}


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the whole ledger), for "nothing changed" checks."""
    version = sa.Table("alembic_version", sa.MetaData(), sa.Column("version_num", sa.String))
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in [*metadata.sorted_tables, version]:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
