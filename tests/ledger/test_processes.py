"""Several processes at once, and processes killed half-way: on SQLite and PostgreSQL.

Two processes issuing the same invoice at the same moment: exactly one
succeeds, the other gets a clear error, nothing is duplicated.  A process
killed with SIGKILL at a random point of an ingest, a run or an invoice
leaves the ledger consistent and loses nothing that was committed.
"""

from __future__ import annotations

import importlib.util
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

from impactbond.ledger import Ledger

WORKER = Path(__file__).resolve().parent / "_worker.py"


def _data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_data", Path(__file__).resolve().parent / "_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _data()


def _start(target: str, *args: str, wait: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, str(WORKER), target, *args, *(["--wait"] if wait else [])]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "ready\n", (line, process.stderr.read() if process.stderr else "")
    return process


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


COHORT = D.cohort(60, seed=7)


def _ledger_with_a_run(target: str, tmp_path: Path, n: int = 60) -> Ledger:
    people, truth = D.cohort(n, seed=7)
    ledger = Ledger.init(target)
    # The Nyborg contract without its contract-wide cap, so that every quarter brings money.
    text = D.NYBORG.contract.read_text(encoding="utf-8")
    assert 'amount = "6000000.00 DKK"' in text
    ledger.add_contract_text(
        text.replace('amount = "6000000.00 DKK"', 'amount = "6000000000.00 DKK"')
    )
    day = date(2025, 3, 31)
    ledger.ingest(
        *D.write(tmp_path, "first", *D.extract(people, truth, day)), extract_date=day, source="r"
    )
    ledger.run(date(2025, 6, 1))
    return ledger


def _invoice_count(ledger: Ledger) -> int:
    return len(ledger.invoices())


def test_two_processes_issuing_the_same_invoice(target: str, tmp_path: Path):
    with _ledger_with_a_run(target, tmp_path) as ledger:
        for round_ in range(2):
            if round_:
                # The next extract covers the second quarter, which falls due on 29 August.
                day = date(2025, 6, 30)
                people, truth = COHORT
                ledger.ingest(
                    *D.write(tmp_path, "second", *D.extract(people, truth, day)),
                    extract_date=day,
                    source="r",
                )
                ledger.run(date(2025, 9, 1))
            before = _invoice_count(ledger)
            a, b = _start(target, "invoice", wait=True), _start(target, "invoice", wait=True)
            for p in (a, b):
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            results = sorted([_finish(a), _finish(b)], key=lambda r: r[0])
            assert [r[0] for r in results] == [0, 5], results
            assert "done" in results[0][1]
            refused = results[1][1]
            assert "refused NothingToInvoice" in refused or "refused LedgerBusy" in refused, refused
            assert "Traceback" not in results[1][2]
            assert _invoice_count(ledger) == before + 1
            assert [i.number for i in ledger.invoices()] == list(range(1, before + 2))
            assert D.billed_by_period(ledger) == D.due_by_period(ledger)
            assert ledger.problems() == []


def test_two_processes_issuing_the_same_draft(target: str, tmp_path: Path):
    with _ledger_with_a_run(target, tmp_path) as ledger:
        draft = ledger.invoice(draft=True)
        a = _start(target, "issue", str(draft.id), wait=True)
        b = _start(target, "issue", str(draft.id), wait=True)
        for p in (a, b):
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = sorted([_finish(a), _finish(b)], key=lambda r: r[0])
        assert [r[0] for r in results] == [0, 5], results
        assert "already issued" in results[1][1] or "LedgerBusy" in results[1][1], results[1]
        (invoice,) = ledger.invoices()
        assert (invoice.number, invoice.state) == (1, "issued")
        assert ledger.problems() == []


# -- SIGKILL --------------------------------------------------------------------------------------


def _counts(ledger: Ledger) -> dict[str, int]:
    return {
        "deliveries": len(ledger.deliveries()),
        "runs": len(ledger.runs()),
        "invoices": len([i for i in ledger.invoices() if i.state != "draft"]),
    }


def _healthy(ledger: Ledger) -> None:
    if ledger.engine.dialect.name == "sqlite":
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    assert ledger.problems() == []
    with ledger.engine.connect() as conn:  # no draft left behind by a killed invoice
        assert (
            conn.execute(sa.text("SELECT count(*) FROM invoices WHERE state = 'draft'")).scalar()
            == 0
        )


def test_a_process_killed_at_any_point_loses_nothing_committed(target: str, tmp_path: Path):
    rng = random.Random(20260115)
    people, truth = D.cohort(1200, seed=9)
    with _ledger_with_a_run(target, tmp_path, n=1200) as ledger:
        ledger.invoice()
        seconds: dict[str, float] = {}
        day = date(2025, 3, 31)
        as_of = date(2025, 6, 1)
        for step in range(12):
            operation = ("ingest", "run", "invoice")[step % 3]
            if operation == "ingest":
                day += timedelta(days=31)
                truth = D.revise(people, truth, step * 37, step, day - timedelta(days=90))
                paths = D.write(tmp_path, f"x{step}", *D.extract(people, truth, day))
                args: tuple[str, ...] = (str(paths[0]), str(paths[1]), day.isoformat())
            elif operation == "run":
                # New data for the quarter, unless the worker's ingest was lost: then here.
                if all(d.extract_date != day for d in ledger.deliveries()):
                    ledger.ingest(paths[0], paths[1], extract_date=day, source="w")
                as_of = max(as_of, day) + timedelta(days=92)  # a new quarter falls due
                args = (as_of.isoformat(),)
            else:
                # Something to invoice: the latest delivery run, unless the worker's run was lost.
                ledger.run(as_of)
                args = ()
            before = _counts(ledger)
            process = _start(target, operation, *args)
            started = time.perf_counter()  # the operation starts once the ledger is open
            kill = operation in seconds  # the first of each kind runs through, to time it
            if kill:
                time.sleep(rng.uniform(0, 1.1 * seconds[operation]))
                process.send_signal(signal.SIGKILL)
            code, out, err = _finish(process)
            if not kill:
                seconds[operation] = time.perf_counter() - started
            assert code in (0, -signal.SIGKILL), (operation, code, out, err)
            after = _counts(ledger)
            name = {"ingest": "deliveries", "run": "runs", "invoice": "invoices"}[operation]
            committed = "done" in out
            assert after[name] in (before[name], before[name] + 1), (operation, before, after)
            assert after[name] == before[name] + 1 or not committed  # nothing committed is lost
            assert {k: v for k, v in after.items() if k != name} == {
                k: v for k, v in before.items() if k != name
            }
            _healthy(ledger)
            if operation == "invoice" and after[name] > before[name]:
                assert D.billed_by_period(ledger) == D.due_by_period(ledger)
        assert ledger.verify().ok
