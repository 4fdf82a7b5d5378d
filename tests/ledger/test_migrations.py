"""The schema's history: migrations match the tables, old ledgers upgrade, newer ones are refused."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import impactbond as ib
from impactbond.errors import LedgerSchemaTooNew
from impactbond.ledger import Ledger, _migrate
from impactbond.ledger._db import create_engine, to_url
from impactbond.ledger._schema import metadata


def _data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_data", Path(__file__).resolve().parent / "_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _data()


def _filled(target: str, tmp_path: Path) -> Ledger:
    ledger = Ledger.init(target)
    contract = tmp_path / "c.toml"
    contract.write_text(D.small_contract(), encoding="utf-8")
    ledger.add_contract(contract)
    people = [ib.Participant("A", "unemployed", date(2024, 1, 1))]
    trajectories = [ib.Trajectory("A", [ib.Spell("employed", date(2024, 1, 1), date(2024, 3, 1))])]
    ledger.ingest(
        *D.write(tmp_path, "d", people, trajectories), extract_date=date(2024, 3, 31), source="d"
    )
    ledger.run(date(2024, 4, 1))
    ledger.invoice()
    return ledger


def test_the_migrations_build_exactly_the_tables_the_code_reads(target: str):
    with Ledger.init(target) as ledger, ledger.engine.connect() as conn:
        assert _migrate.current_revision(conn) == _migrate.head() == "0002"
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_an_older_ledger_upgrades_when_opened_and_keeps_its_records(target: str, tmp_path: Path):
    with _filled(target, tmp_path) as ledger:
        before = D.snapshot(ledger.engine)
        with ledger.engine.begin() as conn:  # back to the first revision: no triggers
            command.downgrade(_migrate._config(conn), "0001")
        with ledger.engine.begin() as conn:
            assert _migrate.current_revision(conn) == "0001"
            conn.exec_driver_sql("UPDATE runs SET due_minor = due_minor")  # allowed at 0001
    with Ledger.open(target) as ledger:
        assert ledger.revision == "0002"
        after = D.snapshot(ledger.engine)
        assert {k: v for k, v in after.items() if k != "journal"} == {
            k: v for k, v in before.items() if k != "journal"
        }
        assert [e.action for e in ledger.history()][-1] == "upgrade"
        assert ledger.history()[-1].detail == {"from": "0001", "to": "0002"}
        with (
            pytest.raises(sa.exc.DatabaseError, match="impactbond ledger"),
            ledger.engine.begin() as conn,
        ):
            conn.exec_driver_sql("UPDATE runs SET due_minor = 0")
        assert ledger.verify().ok


def test_a_ledger_from_a_newer_impactbond_is_refused_and_left_alone(target: str, tmp_path: Path):
    with _filled(target, tmp_path) as ledger:
        with ledger.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
        before = D.snapshot(ledger.engine)
    with pytest.raises(LedgerSchemaTooNew) as refused:
        Ledger.open(target)
    message = str(refused.value)
    assert "9999_future" in message and "newer impactbond" in message and "0002" in message
    engine = create_engine(to_url(target))
    try:
        assert D.snapshot(engine) == before
    finally:
        engine.dispose()
