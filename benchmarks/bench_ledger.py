"""Benchmark: the ledger on a 100,000-participant delivery (not a timed test).

Run: .venv/bin/python benchmarks/bench_ledger.py [N] [--postgresql URL]

Generates a synthetic cohort with the weekly Markov model of
:mod:`impactbond.simulate` (fixed seed), writes it as the two CSV files of a
register delivery, and measures in one process:

- *settle alone*: read the two CSV files with the columnar readers into a
  Register and settle the Nyborg contract on it (what ``impactbond settle``
  does), and the settlement on its own;
- *the ledger*: ``ingest`` the same files, ``run`` at the same ``as_of``,
  ``invoice`` everything due, on a fresh ledger (a SQLite file in a temporary
  folder, or the PostgreSQL database given);
- *reading back*: the lines of the stored run, against reading the delivery
  (its stored tables, and its CSV files).

Last line (machine-readable)::

    participants=<n> spells=<s> lines=<k> settle_seconds=<t> ledger_seconds=<u>
    ledger_over_read_and_settle=<r> ledger_over_settle=<q> lines_over_delivery=<x>
    lines_over_csv=<y>
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import impactbond as ib
from impactbond.examples import nyborg_paths
from impactbond.io.register_tables import read_register
from impactbond.io.trajectories import write_participants, write_spells
from impactbond.ledger import Ledger
from impactbond.simulate import synthetic_cohort

AS_OF = date(2026, 4, 1)
EXTRACT = date(2026, 3, 31)


def _timed(label: str, work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:8.2f} s", flush=True)
    return result, seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--postgresql", help="a postgresql:// URL of an empty database")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    try:
        people, trajectories = synthetic_cohort(
            args.n, start=date(2023, 10, 2), seed=2026, weeks=130, enrolment_weeks=60
        )
        spells, participants = folder / "spells.csv", folder / "participants.csv"
        write_spells(trajectories, spells)
        write_participants(people, participants)
        n_spells = sum(len(t.spells) for t in trajectories)
        del people, trajectories
        print(f"{args.n} participants, {n_spells} spells; as of {AS_OF}")
        contract = ib.load_contract(nyborg_paths().contract)

        register, read_s = _timed(
            "read the CSV files into a Register",
            lambda: read_register(spells, participants).to_register(),
        )
        settlement, settle_s = _timed(
            "settle", lambda: ib.settle(contract, register, as_of=AS_OF, data_until=EXTRACT)
        )
        baseline = read_s + settle_s
        print(f"{'settle alone (read + settle)':<44} {baseline:8.2f} s")

        target = args.postgresql or str(folder / "ledger.sqlite")
        with Ledger.init(target) as ledger:
            ledger.add_contract(nyborg_paths().contract)
            delivery, ingest_s = _timed(
                "ledger ingest",
                lambda: ledger.ingest(spells, participants, extract_date=EXTRACT, source="bench"),
            )
            run, run_s = _timed("ledger run", lambda: ledger.run(AS_OF))
            invoice, invoice_s = _timed("ledger invoice", lambda: ledger.invoice())
            assert run.due == settlement.total == invoice.total, (run.due, settlement.total)
            assert run.line_count == len(settlement.lines)
            ledger_s = ingest_s + run_s + invoice_s
            print(f"{'ledger: ingest + run + invoice':<44} {ledger_s:8.2f} s")

            lines, lines_s = _timed("read back the run's lines", lambda: ledger.lines(run.id))
            _, delivery_s = _timed(
                "read back the delivery's tables", lambda: ledger.delivery_tables(delivery.id)
            )
            assert lines.num_rows == run.line_count
        _, csv_s = _timed(
            "read the delivery's CSV files", lambda: read_register(spells, participants)
        )
        size = Path(target).stat().st_size / 1e6 if not args.postgresql else float("nan")
        print(f"ledger file: {size:.1f} MB")
        print(
            f"participants={args.n} spells={n_spells} lines={run.line_count} "
            f"settle_seconds={baseline:.2f} ledger_seconds={ledger_s:.2f} "
            f"ledger_over_read_and_settle={ledger_s / baseline:.2f} "
            f"ledger_over_settle={ledger_s / settle_s:.2f} "
            f"lines_over_delivery={lines_s / delivery_s:.2f} lines_over_csv={lines_s / csv_s:.3f}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
