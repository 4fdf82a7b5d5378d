"""The ledger's operations and guarantees, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

import impactbond as ib
from impactbond.errors import (
    ContractFileError,
    CPRNumberRefused,
    InvalidInput,
    LedgerError,
    LedgerNotFound,
    NothingToInvoice,
    SettlementError,
    UnknownRecord,
)
from impactbond.ledger import Ledger
from impactbond.ledger._engine import line_table


def _data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_data", Path(__file__).resolve().parent / "_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _data()

JAN, FEB, MAR, APR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)


def _small(tmp_path: Path, target: str, price: str = "1000.00") -> Ledger:
    ledger = Ledger.init(target)
    contract = tmp_path / "contract.toml"
    contract.write_text(D.small_contract(price), encoding="utf-8")
    ledger.add_contract(contract)
    return ledger


def _deliver(
    ledger: Ledger, tmp_path: Path, name: str, spells: list[ib.Spell], extract_date: date
) -> ib.ledger.Delivery:  # type: ignore[name-defined]
    people = [ib.Participant("A", "unemployed", JAN), ib.Participant("B", "unemployed", JAN)]
    trajectories = [
        ib.Trajectory("A", spells),
        ib.Trajectory("B", [ib.Spell("employed", JAN, date(2024, 2, 1))]),
    ]
    paths = D.write(tmp_path, name, people, trajectories)
    return ledger.ingest(*paths, extract_date=extract_date, source=name)


# -- hand-computed restatement ------------------------------------------------------------------


def test_a_correction_becomes_one_adjustment_line_with_its_cause(tmp_path: Path, target: str):
    # A is employed all of January and February (2 months x 1,000 DKK); B all of January.
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "march", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        first = ledger.invoice()
        assert first.total == ib.Money("3000.00", "DKK")
        assert first.adjustments == ib.Money("0.00", "DKK")

        # The revised extract: A's job ended on 15 February, then sickness benefit.
        # February: 14 of 29 days employed -> 1000 * 14/29 = 482.758... -> 482.76 (half up),
        # so the adjustment is 482.76 - 1000.00 = -517.24.
        revised = [
            ib.Spell("employed", JAN, date(2024, 2, 15)),
            ib.Spell("sickness_benefit", date(2024, 2, 15), MAR),
        ]
        delivery = _deliver(ledger, tmp_path, "march-revised", revised, date(2024, 3, 31))
        run = ledger.run(APR)
        second = ledger.invoice()
        assert second.number == 2
        assert second.total == ib.Money("-517.24", "DKK")
        assert second.adjustments == second.total
        (line,) = ledger.invoice_lines(second).to_pylist()
        assert line["kind"] == "adjustment"
        assert (line["participant_id"], line["period_start"]) == ("A", FEB)
        assert (line["billed_before"], line["due_amount"], line["amount"]) == (
            100000,
            48276,
            -51724,
        )
        assert Fraction(line["quantity_num"], line["quantity_den"]) == Fraction(14, 29)
        assert (line["run_id"], line["delivery_id"]) == (run.id, delivery.id)
        # It refers to the line of invoice 1 that billed A's February.
        original = ledger.invoice_lines(1).to_pylist()[line["refers_to_position"]]
        assert line["refers_to_invoice"] == 1
        assert (original["participant_id"], original["period_start"]) == ("A", FEB)
        # The cause: A's spell row removed and the two rows that replace it added.
        causes = {
            (c.participant_id, c.source, c.change, c.row.get("status"), c.row.get("end"))
            for c in ledger.causes(second)
        }
        assert ("A", "spells", "removed", "employed", "2024-03-01") in causes
        assert ("A", "spells", "added", "employed", "2024-02-15") in causes
        assert ("A", "spells", "added", "sickness_benefit", "2024-03-01") in causes
        assert ("", "delivery", "changed", None, None) in causes
        assert not any(c.participant_id == "B" for c in ledger.causes(second))


def test_issued_lines_plus_adjustments_equal_the_latest_run_per_period(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        # The revision raises January (no change) and adds March employment: a new line
        # for March and none for the others.
        _deliver(ledger, tmp_path, "m2", [ib.Spell("employed", JAN, APR)], date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        # And one that takes February away: a negative adjustment.
        revised = [
            ib.Spell("employed", JAN, FEB),
            ib.Spell("sickness_benefit", FEB, MAR),
            ib.Spell("employed", MAR, APR),
        ]
        _deliver(ledger, tmp_path, "m3", revised, date(2024, 3, 31))
        ledger.run(APR)
        third = ledger.invoice()
        assert third.total == ib.Money("-1000.00", "DKK")
        # Per period: January A + B = 2,000; February nothing; March A = 1,000.
        assert D.due_by_period(ledger) == {0: 200000, 2: 100000}
        assert D.billed_by_period(ledger) == D.due_by_period(ledger)
        assert all(row["open"] == 0 for row in ledger.position().to_pylist())


def test_an_issued_invoice_never_changes(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        first = ledger.invoice()
        lines = ledger.invoice_lines(first)
        revised = [ib.Spell("employed", JAN, FEB)]
        _deliver(ledger, tmp_path, "m2", revised, date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        paid = ledger.pay(1, paid_on=date(2024, 4, 20))
        assert ledger.invoice_lines(1).equals(lines)
        assert attrs_without(paid, "state", "paid_on") == attrs_without(first, "state", "paid_on")
        # The API refuses to touch it ...
        with pytest.raises(LedgerError, match="already"):
            ledger.issue(first.id)
        with pytest.raises(LedgerError, match="never changes"):
            ledger.discard(first.id)
        with pytest.raises(LedgerError, match="already paid"):
            ledger.pay(1, paid_on=date(2024, 5, 1))
        # ... and so does the database, to anyone who writes SQL directly.
        for statement in (
            "UPDATE invoices SET total_minor = 1 WHERE number = 1",
            "UPDATE invoices SET state = 'issued', paid_on = NULL WHERE number = 1",
            "DELETE FROM invoices WHERE number = 2",
            "UPDATE blobs SET size = 0",
            "DELETE FROM blobs",
            "UPDATE runs SET due_minor = 0",
            "DELETE FROM deliveries",
            "UPDATE contract_versions SET text = ''",
            "DELETE FROM journal",
            "UPDATE ledger_info SET contract_id = 'other'",
            "DELETE FROM adjustment_causes",
        ):
            with (
                pytest.raises(sa.exc.DatabaseError, match="impactbond ledger"),
                ledger.engine.begin() as conn,
            ):
                conn.exec_driver_sql(statement)
        assert ledger.invoice_lines(1).equals(lines)
        assert ledger.problems() == []


def attrs_without(record: object, *names: str) -> dict[str, object]:
    import attrs

    return {k: v for k, v in attrs.asdict(record, recurse=False).items() if k not in names}


def test_paying_is_the_one_change_the_database_allows(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        with ledger.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE invoices SET state = 'paid', paid_on = '2024-05-01'")
        assert ledger.get_invoice(1).paid_on == date(2024, 5, 1)


# -- runs ------------------------------------------------------------------------------------------


def test_a_run_stores_the_settlement_of_the_files_it_was_given(tmp_path: Path, target: str):
    # The ledger's route (CSV -> canonical tables -> Parquet -> objects -> settle) gives the
    # same lines as settling the objects directly.
    people, trajectories = D.cohort(40, seed=3)
    people, trajectories = D.extract(people, trajectories, date(2025, 3, 31))
    paths = D.write(tmp_path, "x", people, trajectories)
    with Ledger.init(target) as ledger:
        ledger.add_contract(D.NYBORG.contract)
        ledger.ingest(*paths, extract_date=date(2025, 3, 31), source="x")
        run = ledger.run(date(2025, 4, 1))
        direct = ib.settle(
            ib.load_contract(D.NYBORG.contract), people, trajectories, as_of=date(2025, 4, 1)
        )
        assert ledger.lines(run.id).equals(line_table(direct))
        assert run.due == direct.total and run.accrued == direct.accrued_total
        assert run.line_count == len(direct.lines) > 0


def test_verify_reruns_every_run_bit_for_bit_and_finds_a_tampered_blob(tmp_path: Path, target: str):
    people, trajectories = D.cohort(30, seed=5)
    with Ledger.init(target) as ledger:
        ledger.add_contract(D.NYBORG.contract)
        for day in (date(2024, 12, 31), date(2025, 6, 30)):
            cut = D.extract(people, trajectories, day)
            ledger.ingest(*D.write(tmp_path, str(day), *cut), extract_date=day, source="r")
            ledger.run(day + timedelta(days=1))
        result = ledger.verify()
        assert result.ok and len(result.runs) == 2
        assert all(c.stored == c.recomputed and c.lines_equal for c in result.runs)
        if ledger.engine.dialect.name == "sqlite":
            # Tamper with a run's lines behind the ledger's back (dropping the trigger first).
            other = ledger.lines(1)
            with ledger.engine.begin() as conn:
                conn.exec_driver_sql("DROP TRIGGER blobs_no_update")
                digest = conn.exec_driver_sql("SELECT lines_blob FROM runs WHERE id = 2").scalar()
                blob = conn.exec_driver_sql(
                    "SELECT data FROM blobs WHERE sha256 = (SELECT lines_blob FROM runs WHERE id = 1)"
                ).scalar()
                conn.execute(
                    sa.text("UPDATE blobs SET data = :d WHERE sha256 = :s"),
                    {"d": blob, "s": digest},
                )
            assert other.num_rows > 0
            result = ledger.verify()
            assert not result.ok
            assert [c.run for c in result.runs if not c.ok] == [2]
            assert any("does not match its hash" in p for p in result.problems)


def test_the_same_delivery_twice_is_a_no_op_and_a_new_extract_date_is_not(
    tmp_path: Path, target: str
):
    with _small(tmp_path, target) as ledger:
        a = _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        again = _deliver(
            ledger, tmp_path, "m1-copy", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31)
        )
        later = _deliver(
            ledger, tmp_path, "m1-later", [ib.Spell("employed", JAN, MAR)], date(2024, 4, 30)
        )
        assert a.created and not again.created and later.created
        assert again.id == a.id and later.id != a.id
        assert later.sha256 == a.sha256  # the same data ...
        assert len(ledger.deliveries()) == 2  # ... but a later extract is a delivery of its own
        with ledger.engine.connect() as conn:
            blobs = conn.exec_driver_sql("SELECT count(*) FROM blobs").scalar()
        assert blobs == 3  # participants, spells, events: stored once


def test_runs_pick_the_contract_version_and_delivery_of_their_date(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        amended = tmp_path / "amended.toml"
        amended.write_text(D.small_contract("2000.00"), encoding="utf-8")
        v2 = ledger.add_contract(amended, effective=date(2024, 6, 1), note="price doubled")
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        _deliver(ledger, tmp_path, "m2", [ib.Spell("employed", JAN, APR)], date(2024, 6, 30))
        early, late = ledger.run(APR), ledger.run(date(2024, 7, 1))
        assert (early.contract_version, early.delivery, early.data_until) == (
            1,
            1,
            date(2024, 3, 31),
        )
        assert (late.contract_version, late.delivery) == (v2.id, 2)
        # Early: A Jan+Feb, B Jan = 3 months x 1,000.  Late: A Jan-Mar, B Jan = 4 x 2,000.
        assert early.due == ib.Money("3000.00", "DKK") and late.due == ib.Money("8000.00", "DKK")
        assert ledger.contract(v2.id).payment_rules[0].price == ib.Money("2000.00", "DKK")
        # An amendment of the whole term restates invoice 1's lines as adjustments.
        ledger.run(APR, contract_version=v2.id, delivery=1)
        ledger.invoice()
        assert ledger.get_invoice(1).total == ib.Money("6000.00", "DKK")


def test_an_amendment_restates_billed_lines_and_says_so(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        amended = tmp_path / "amended.toml"
        amended.write_text(D.small_contract("1100.00"), encoding="utf-8")
        ledger.add_contract(amended, note="indexed +10%")
        ledger.run(APR)
        second = ledger.invoice()
        assert second.total == ib.Money("300.00", "DKK") == second.adjustments  # 3 months x 100
        causes = ledger.causes(second)
        assert [(c.source, c.row["from"], c.row["to"]) for c in causes] == [("contract", 1, 2)]


# -- invoices --------------------------------------------------------------------------------------


def test_invoice_by_period_drafts_and_stale_drafts(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, APR)], date(2024, 3, 31))
        ledger.run(APR)
        january = ledger.invoice(date(2024, 1, 15))
        assert january.total == ib.Money("2000.00", "DKK")  # A and B in January
        assert (january.period, january.period_start, january.period_end) == (0, JAN, FEB)
        draft = ledger.invoice(draft=True)
        assert draft.number is None and draft.state == "draft"
        assert draft.total == ib.Money("2000.00", "DKK")  # A's February and March
        issued = ledger.issue(draft.id, issued_on=date(2024, 4, 2))
        assert (issued.number, issued.state, issued.issued_on) == (2, "issued", date(2024, 4, 2))
        with pytest.raises(NothingToInvoice):
            ledger.invoice()
        # A draft made before another invoice is issued is out of date and refused.
        _deliver(ledger, tmp_path, "m2", [ib.Spell("employed", JAN, FEB)], date(2024, 3, 31))
        ledger.run(APR)
        stale = ledger.invoice(draft=True)
        ledger.invoice(issued_on=date(2024, 4, 3))
        with pytest.raises(LedgerError, match="out of date"):
            ledger.issue(stale.id)
        ledger.discard(stale.id)
        assert [i.number for i in ledger.invoices()] == [1, 2, 3]
        # Numbers and issue dates go up together.
        _deliver(ledger, tmp_path, "m3", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        with pytest.raises(LedgerError, match="before invoice 3"):
            ledger.invoice(issued_on=date(2024, 4, 2))
        assert ledger.invoice(issued_on=date(2024, 4, 3)).number == 4


def test_nothing_to_invoice_without_a_run(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger, pytest.raises(LedgerError, match="no run"):
        ledger.invoice()


# -- bad input -------------------------------------------------------------------------------------


def test_bad_input_is_a_typed_error_and_changes_nothing(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        _deliver(ledger, tmp_path, "m1", [ib.Spell("employed", JAN, MAR)], date(2024, 3, 31))
        ledger.run(APR)
        ledger.invoice()
        before = D.snapshot(ledger.engine)
        cpr = tmp_path / "cpr.csv"
        cpr.write_text(
            "participant_id,cohort,enrolled,status,start,end\n0101901234,unemployed,"
            "2024-01-01,employed,2024-01-01,\n",
            encoding="utf-8",
        )
        overlap = tmp_path / "overlap.csv"
        overlap.write_text(
            "participant_id,cohort,enrolled,status,start,end\nA,unemployed,2024-01-01,"
            "employed,2024-01-01,2024-03-01\nA,unemployed,2024-01-01,"
            "sickness_benefit,2024-02-01,\n",
            encoding="utf-8",
        )
        stranger = tmp_path / "stranger.csv"
        stranger.write_text(
            "participant_id,cohort,enrolled,status,start,end\nA,pensioners,"
            "2024-01-01,employed,2024-01-01,\n",
            encoding="utf-8",
        )
        other = tmp_path / "other.toml"
        other.write_text(D.small_contract().replace('"ledger-test"', '"another"'), encoding="utf-8")
        broken = tmp_path / "broken.toml"
        broken.write_text("id = ", encoding="utf-8")
        attempts = [
            (CPRNumberRefused, lambda: ledger.ingest(cpr, extract_date=APR, source="x")),
            (InvalidInput, lambda: ledger.ingest(overlap, extract_date=APR, source="x")),
            (
                InvalidInput,
                lambda: ledger.ingest(
                    tmp_path / "m1-spells.csv", extract_date="2024-04-01", source="x"
                ),
            ),
            (
                InvalidInput,  # a delivery that claims to end in 1800
                lambda: ledger.ingest(
                    tmp_path / "m1-spells.csv",
                    tmp_path / "m1-participants.csv",
                    extract_date=date(1800, 12, 31),
                    source="x",
                ),
            ),
            (
                InvalidInput,
                lambda: ledger.ingest(
                    tmp_path / "m1-spells.csv",
                    tmp_path / "m1-participants.csv",
                    extract_date=APR,
                    source=" ",
                ),
            ),
            (
                FileNotFoundError,
                lambda: ledger.ingest(tmp_path / "missing.csv", extract_date=APR, source="x"),
            ),
            (
                CPRNumberRefused,
                lambda: ledger.ingest(
                    tmp_path / "m1-spells.csv",
                    tmp_path / "m1-participants.csv",
                    extract_date=APR,
                    source="DREAM 0101901234",
                ),
            ),
            (
                InvalidInput,
                lambda: ledger.ingest(
                    tmp_path / "m1-spells.csv",
                    tmp_path / "m1-participants.csv",
                    extract_date=APR,
                    source="DREAM\x1b[2J",
                ),
            ),
            (
                CPRNumberRefused,
                lambda: ledger.add_contract_text(D.small_contract(), note="for 0101901234"),
            ),
            (ContractFileError, lambda: ledger.add_contract(broken)),
            (LedgerError, lambda: ledger.add_contract(other)),
            (UnknownRecord, lambda: ledger.run(APR, delivery=99)),
            (LedgerError, lambda: ledger.run(date(2023, 1, 1))),
            (SettlementError, lambda: ledger.run(date(2023, 6, 1), contract_version=1, delivery=1)),
            (UnknownRecord, lambda: ledger.pay(7, paid_on=APR)),
            (UnknownRecord, lambda: ledger.diff(1, 9)),
            (NothingToInvoice, lambda: ledger.invoice()),
            (LedgerError, lambda: ledger.pay(1, paid_on=date(2024, 1, 1))),
        ]
        for kind, attempt in attempts:
            with pytest.raises(kind) as caught:
                attempt()
            assert isinstance(caught.value, ib.ImpactBondError) or kind is FileNotFoundError
            assert "0101901234" not in str(caught.value)
        # The settlement that refuses a delivery whose cohort the contract does not know:
        ledger.ingest(stranger, extract_date=date(2024, 3, 31), source="stranger")
        with pytest.raises(SettlementError):
            ledger.run(APR)
        after = D.snapshot(ledger.engine)
        changed = {k for k in after if after[k] != before.get(k)}
        assert changed <= {"deliveries", "blobs", "journal"}  # only the stranger's delivery
        assert len(after["deliveries"]) == len(before["deliveries"]) + 1


def test_opening_what_is_not_a_ledger(tmp_path: Path, targets):  # type: ignore[no-untyped-def]
    with pytest.raises(LedgerNotFound, match="no ledger"):
        Ledger.open(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerNotFound):
        Ledger.open(junk)
    empty = targets.new()
    if targets.backend == "postgresql":
        with pytest.raises(LedgerNotFound, match="holds no impactbond ledger"):
            Ledger.open(empty)
    Ledger.init(empty).close()
    with pytest.raises(LedgerError, match=r"already exists|not empty"):
        Ledger.init(empty)
    with pytest.raises(LedgerNotFound):
        Ledger.open("mysql://somewhere/db")


def test_money_is_exact_minor_units(tmp_path: Path, target: str):
    # 1000 * 14/29 rounds half up once, per line; the ledger adds integers.
    with _small(tmp_path, target, price="999.99") as ledger:
        spells = [ib.Spell("employed", JAN, date(2024, 2, 15))]
        _deliver(ledger, tmp_path, "m1", spells, date(2024, 3, 31))
        run = ledger.run(APR)
        # A: January 999.99 + February 999.99 * 14/29 = 482.753... -> 482.75; B: January 999.99.
        assert run.due.amount == Decimal("999.99") * 2 + Decimal("482.75")


def test_a_revision_taken_back_is_the_latest_delivery_again(tmp_path: Path, target: str):
    with _small(tmp_path, target) as ledger:
        first = [ib.Spell("employed", JAN, MAR)]
        a = _deliver(ledger, tmp_path, "a", first, date(2024, 3, 31))
        b = _deliver(ledger, tmp_path, "b", [ib.Spell("employed", JAN, FEB)], date(2024, 3, 31))
        back = _deliver(ledger, tmp_path, "a-again", first, date(2024, 3, 31))
        assert a.created and b.created and back.created
        assert back.sha256 == a.sha256 and back.id == 3
        assert ledger.run(APR).delivery == back.id
        assert not _deliver(ledger, tmp_path, "a-thrice", first, date(2024, 3, 31)).created
        # Amendments likewise: back to the first terms is a version of its own.
        amended = tmp_path / "amended.toml"
        amended.write_text(D.small_contract("1500.00"), encoding="utf-8")
        original = tmp_path / "contract.toml"
        assert ledger.add_contract(amended).created
        assert ledger.add_contract(original).created
        assert not ledger.add_contract(original).created
        assert ledger.run(APR).contract_version == 3
