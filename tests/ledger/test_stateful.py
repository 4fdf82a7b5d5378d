"""A running contract as a state machine, on SQLite and on PostgreSQL.

Hypothesis drives sequences of: ingesting the next monthly extract, ingesting
the same extract again, a revised extract (a spell that ended before the
extract date is corrected), runs at later dates, invoices (issued at once or
drafted and then issued), amendments of the contract's prices and payments.
After every step:

- every issued invoice is exactly as it was issued (only ``paid`` may change);
- the stored records are consistent (hashes, totals, numbering);

after every invoice, its lines are exactly the items where the latest run's
due amount differs from what the issued invoices billed (computed here from
the tables, item by item), and afterwards every invoice period's billed total
equals the latest run's due total, to the øre; at the end every run
reproduces bit for bit.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from impactbond.errors import NothingToInvoice
from impactbond.ledger import ITEM_COLUMNS, KEY_COLUMNS, Ledger


def _data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_data", Path(__file__).resolve().parent / "_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _data()
CONTRACT = D.NYBORG.contract.read_text(encoding="utf-8")
PEOPLE, TRUTH = D.cohort(16, seed=11)
# Month ends from the first enrolments on.
EXTRACT_DAYS = [
    date(2023 + (m + 11) // 12, (m + 11) % 12 + 1, 1) - timedelta(days=1) for m in range(2, 30)
]


def _amended(step: int) -> str:
    # The sick-listed price per employment month, indexed by step percent.
    price = 9500 * (100 + step) // 100
    return CONTRACT.replace('price = "9500.00 DKK"', f'price = "{price}.00 DKK"')


def expected_items(ledger: Ledger) -> dict[tuple[Any, ...], int]:
    """Item by item: due by the latest run minus billed by the issued invoices (non-zero only)."""
    target: dict[tuple[Any, ...], int] = {}
    for row in ledger.lines().to_pylist():
        target[tuple(row[c] for c in ITEM_COLUMNS)] = row["amount"] if row["due"] else 0
    billed: dict[tuple[Any, ...], int] = defaultdict(int)
    for invoice in ledger.invoices():
        if invoice.state != "draft":
            for row in ledger.invoice_lines(invoice).to_pylist():
                billed[tuple(row[c] for c in ITEM_COLUMNS)] += row["amount"]
    out = {item: target.get(item, 0) - billed.get(item, 0) for item in set(target) | set(billed)}
    return {item: d for item, d in out.items() if d}


def billed_keys(ledger: Ledger) -> set[tuple[Any, ...]]:
    return {
        tuple(row[c] for c in KEY_COLUMNS)
        for invoice in ledger.invoices()
        if invoice.state != "draft"
        for row in ledger.invoice_lines(invoice).to_pylist()
    }


class LedgerMachine(RuleBasedStateMachine):
    targets: Any = None
    folder: Path = Path()

    def __init__(self) -> None:
        super().__init__()
        self.target = self.targets.new()
        self.ledger = Ledger.init(self.target)
        self.ledger.add_contract_text(CONTRACT, note="signed")
        self.truth = list(TRUTH)
        self.next_extract = 0
        self.current: tuple[date, Any] | None = None  # extract day and its (people, trajectories)
        self.deliveries = 0
        self.runs = 0
        self.as_of = date(2023, 10, 1)
        self.issued: dict[int, tuple[dict[str, Any], Any]] = {}
        self.amendments = 0

    # -- deliveries -------------------------------------------------------------------------

    @initialize(first=st.integers(0, 6), days=st.integers(1, 120))
    def start_with_an_extract_and_a_run(self, first: int, days: int) -> None:
        self.next_extract = first
        self.ingest_next_extract(0)
        self.run(days)

    def _ingest(self, day: date, cut: Any) -> Any:
        name = uuid.uuid4().hex[:8]
        paths = D.write(self.folder, name, *cut)
        return self.ledger.ingest(*paths, extract_date=day, source=f"register {name}")

    @precondition(lambda self: self.next_extract < len(EXTRACT_DAYS))
    @rule(skip=st.integers(0, 3))
    def ingest_next_extract(self, skip: int) -> None:
        self.next_extract = min(self.next_extract + skip, len(EXTRACT_DAYS) - 1)
        day = EXTRACT_DAYS[self.next_extract]
        self.next_extract += 1
        cut = D.extract(PEOPLE, self.truth, day)
        delivery = self._ingest(day, cut)
        assert delivery.created and delivery.extract_date == day
        self.deliveries += 1
        self.current = (day, cut)

    @precondition(lambda self: self.current is not None)
    @rule()
    def ingest_the_same_extract_again(self) -> None:
        assert self.current is not None
        day, cut = self.current
        delivery = self._ingest(day, cut)
        assert not delivery.created

    @precondition(lambda self: self.current is not None)
    @rule(participant=st.integers(0, 50), spell=st.integers(0, 50))
    def ingest_a_revised_extract(self, participant: int, spell: int) -> None:
        assert self.current is not None
        day, old = self.current
        # A correction of history that is likely billed already: a spell that ended months ago.
        self.truth = D.revise(PEOPLE, self.truth, participant, spell, day - timedelta(days=60))
        cut = D.extract(PEOPLE, self.truth, day)
        delivery = self._ingest(day, cut)
        changed = cut != old
        assert delivery.created == changed
        self.deliveries += changed
        self.current = (day, cut)

    # -- contract ---------------------------------------------------------------------------

    @precondition(lambda self: self.current is not None and self.runs > 0)
    @rule(participant=st.integers(0, 50), spell=st.integers(0, 50), days=st.integers(1, 60))
    def a_revised_extract_and_its_adjustment_invoice(
        self, participant: int, spell: int, days: int
    ) -> None:
        assert self.current is not None
        self.ingest_a_revised_extract(participant, spell)
        self.run(days)
        self.invoice(draft_first=False)

    @rule(percent=st.integers(1, 30))
    def amend_the_prices(self, percent: int) -> None:
        self.amendments += percent
        version = self.ledger.add_contract_text(_amended(self.amendments), note=f"+{percent}%")
        assert version.created

    # -- runs and invoices ------------------------------------------------------------------

    @precondition(lambda self: self.current is not None)
    @rule(days=st.integers(1, 120))
    def run(self, days: int) -> None:
        assert self.current is not None
        self.as_of = max(self.as_of, self.current[0]) + timedelta(days=days)
        run = self.ledger.run(self.as_of)
        self.runs += 1
        assert run.id == self.runs and run.as_of == self.as_of

    def _check_invoice(
        self, invoice: Any, expected: dict[tuple[Any, ...], int], keys: set[Any]
    ) -> None:
        lines = self.ledger.invoice_lines(invoice).to_pylist()
        got = {tuple(r[c] for c in ITEM_COLUMNS): r["amount"] for r in lines}
        assert got == expected
        for r in lines:
            key = tuple(r[c] for c in KEY_COLUMNS)
            assert r["kind"] == ("adjustment" if key in keys else "line")
            assert r["billed_before"] + r["amount"] == r["due_amount"]
        assert invoice.total.minor_units == sum(expected.values())
        # A register row is named as a cause only for someone whose billed money changed.
        adjusted = {r["participant_id"] for r in lines if r["kind"] == "adjustment"}
        named = {c.participant_id for c in self.ledger.causes(invoice) if c.participant_id}
        assert named <= adjusted
        self.issued[invoice.number] = (self._fixed(invoice), self.ledger.invoice_lines(invoice))
        assert D.billed_by_period(self.ledger) == D.due_by_period(self.ledger)

    @staticmethod
    def _fixed(invoice: Any) -> dict[str, Any]:
        import attrs

        return {k: v for k, v in attrs.asdict(invoice).items() if k not in ("state", "paid_on")}

    @precondition(lambda self: self.runs > 0)
    @rule(draft_first=st.booleans())
    def invoice(self, draft_first: bool) -> None:
        expected = expected_items(self.ledger)
        keys = billed_keys(self.ledger)
        if not expected:
            with pytest.raises(NothingToInvoice):
                self.ledger.invoice(draft=draft_first)
            return
        if draft_first:
            draft = self.ledger.invoice(draft=True)
            assert draft.number is None
            invoice = self.ledger.issue(draft.id)
        else:
            invoice = self.ledger.invoice()
        assert invoice.number == len(self.issued) + 1 and invoice.state == "issued"
        self._check_invoice(invoice, expected, keys)

    @precondition(
        lambda self: any(self.ledger.get_invoice(n).state == "issued" for n in self.issued)
    )
    @rule(which=st.integers(0, 100), days=st.integers(0, 60))
    def pay(self, which: int, days: int) -> None:
        unpaid = [n for n in self.issued if self.ledger.get_invoice(n).state == "issued"]
        number = unpaid[which % len(unpaid)]
        invoice = self.ledger.pay(
            number, paid_on=self.issued[number][0]["issued_on"] + timedelta(days=days)
        )
        assert invoice.state == "paid"

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def issued_invoices_never_change(self) -> None:
        for number, (fixed, lines) in self.issued.items():
            invoice = self.ledger.get_invoice(number)
            assert self._fixed(invoice) == fixed
            assert self.ledger.invoice_lines(number).equals(lines)

    @invariant()
    def the_records_are_consistent(self) -> None:
        assert self.ledger.problems() == []
        assert len(self.ledger.deliveries()) == self.deliveries
        assert len(self.ledger.runs()) == self.runs

    def teardown(self) -> None:
        try:
            result = self.ledger.verify()
            assert result.ok, result
        finally:
            self.ledger.close()
            if self.targets.server is not None:
                self.targets.server.drop(self.target)


def test_a_running_contract(targets: Any, tmp_path: Path) -> None:
    LedgerMachine.targets = targets
    LedgerMachine.folder = tmp_path
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
