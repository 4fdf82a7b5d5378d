"""What the ledger returns: frozen records of what it keeps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs
import pyarrow as pa

from impactbond.money import Money

__all__ = [
    "Cause",
    "ContractVersion",
    "Delivery",
    "Invoice",
    "JournalEntry",
    "Run",
    "RunCheck",
    "RunDiff",
    "Verification",
]


@attrs.frozen
class ContractVersion:
    """A version of the contract: its file's text, from an effective date on."""

    id: int
    contract_id: str
    sha256: str
    effective: date
    note: str
    library_version: str
    recorded_at: datetime
    text: str = attrs.field(repr=False)
    created: bool = False
    """True when the call that returned it stored it (False: it was already there)."""


@attrs.frozen
class Delivery:
    """A register extract: its data cover the days up to ``extract_date`` (``data_until``)."""

    id: int
    source: str
    extract_date: date
    sha256: str
    participant_rows: int
    spell_rows: int
    event_rows: int
    recorded_at: datetime
    created: bool = False
    """True when the call that returned it stored it (False: the same data were there)."""


@attrs.frozen
class Run:
    """A settlement of one contract version on one delivery at ``as_of``."""

    id: int
    contract_version: int
    delivery: int
    as_of: date
    data_until: date
    library_version: str
    fingerprint: str
    line_count: int
    due: Money
    accrued: Money
    recorded_at: datetime


@attrs.frozen
class Invoice:
    """An invoice: a draft, or issued with a number (and later paid).

    ``period`` is the contract's invoice period it bills up to, ``[period_start,
    period_end)``; ``total`` includes ``adjustments`` (the restated lines).
    """

    id: int
    number: int | None
    state: str
    period: int
    period_start: date
    period_end: date
    payer: str
    run: int
    line_count: int
    total: Money
    adjustments: Money
    issued_on: date | None
    paid_on: date | None
    recorded_at: datetime


@attrs.frozen
class Cause:
    """One register row (or the contract) that differs between two runs' inputs.

    ``source`` is ``spells``, ``participants`` or ``events`` (then ``row``
    holds the row's values), or ``contract``, ``delivery`` or ``as_of`` for a
    change of the run's inputs (``row`` holds ``from`` and ``to``); ``change``
    is ``removed``, ``added`` or ``changed``.
    """

    participant_id: str
    source: str
    change: str
    row: dict[str, Any]


@attrs.frozen
class JournalEntry:
    """One operation on the ledger, in the order they happened."""

    id: int
    recorded_at: datetime
    action: str
    subject: int
    detail: dict[str, Any]


@attrs.frozen(eq=False)
class RunDiff:
    """What changed between two runs, for whom, by how much, and which register rows caused it.

    ``lines`` has one row per line whose amount or due date differs: the key
    columns, ``amount_a``, ``amount_b``, ``change`` (minor units),
    ``due_a``, ``due_b``, and ``in_a``, ``in_b`` (whether the run has the
    line).  ``causes`` maps each participant with a changed line to the
    register rows that differ between the two deliveries; ``inputs`` lists
    the inputs of the runs that differ (contract version, delivery, as_of).
    """

    run_a: int
    run_b: int
    lines: pa.Table
    causes: dict[str, tuple[Cause, ...]]
    inputs: tuple[Cause, ...]
    change: Money


@attrs.frozen
class RunCheck:
    """The outcome of re-running one stored run."""

    run: int
    stored: str
    recomputed: str
    lines_equal: bool

    @property
    def ok(self) -> bool:
        """True when the run reproduces its fingerprint and its lines, bit for bit."""
        return self.lines_equal and self.stored == self.recomputed


@attrs.frozen
class Verification:
    """The result of :meth:`Ledger.verify`: every run re-run, every record checked."""

    runs: tuple[RunCheck, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every run reproduces and no record is inconsistent."""
        return not self.problems and all(r.ok for r in self.runs)
