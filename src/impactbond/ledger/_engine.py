"""The ledger's one adapter to the settlement engine and the register readers.

Every call into :func:`impactbond.settle` and every conversion between the
engine's objects and the ledger's tables is in this module, so that the
ledger follows the engine by changing these functions only:

- :func:`read_delivery`: register files -> the canonical tables
  (``participants``, ``spells``, ``events``; see
  ``docs/explanation/architecture.md``), read with the library's readers and
  checked by :meth:`impactbond.Register.from_tables`;
- :func:`settle_delivery`: a contract and canonical tables -> a Settlement;
- :func:`line_table`: a Settlement -> the ledger's line table (one row per
  line, sorted by its key);
- :func:`fingerprint`: a line table and its totals -> a sha256 that is the
  same in every process and on every machine.

>>> import impactbond as ib
>>> from datetime import date
>>> contract, people, trajectories = ib.examples.nyborg()
>>> tables = ib.Register.from_objects(people, trajectories).to_tables()
>>> sorted(tables), tables["participants"].num_rows == len(people)
(['events', 'participants', 'spells'], True)
>>> s = settle_delivery(contract, tables, as_of=date(2026, 7, 1), data_until=date(2026, 6, 30))
>>> lines = line_table(s)
>>> totals(s)["due"] == ib.Money.from_minor_units(
...     sum(a for a, d in zip(lines["amount"].to_pylist(), lines["due"].to_pylist()) if d),
...     "DKK").minor_units
True
>>> fingerprint(lines, totals(s)) == fingerprint(line_table(s), totals(s))
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain.contract import Contract
from impactbond.ledger._canonical import digest_parts
from impactbond.register import Register
from impactbond.settle import Settlement, settle

if TYPE_CHECKING:
    from impactbond.io.tables import Dialect

__all__ = [
    "DELIVERY_SCHEMAS",
    "KEY_COLUMNS",
    "LINE_SCHEMA",
    "canonical",
    "checked_tables",
    "fingerprint",
    "line_table",
    "read_delivery",
    "settle_delivery",
    "totals",
]

Events = Mapping[str, Sequence[tuple[str, date]]]

#: The canonical register tables a delivery is stored as: the Register's input
#: (:data:`impactbond.Register.SCHEMAS`), every optional column present.
DELIVERY_SCHEMAS: dict[str, pa.Schema] = dict(Register.SCHEMAS)

#: The columns that identify a line across runs, plus ``occurrence``: the
#: engine may give several lines one key (two progression steps in one week);
#: they are numbered 0, 1, ... in a fixed order.
KEY_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "scenario",
    "cohort",
    "rule",
    "outcome",
    "period_start",
    "occurrence",
)

#: One row per line of a run, sorted by the key columns.
LINE_SCHEMA = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),  # "" for a group line
        pa.field("scenario", pa.int32(), nullable=False),
        pa.field("cohort", pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),  # "" for a fee or savings line
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("occurrence", pa.int32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("earned_on", pa.date32(), nullable=False),
        pa.field("invoice_period", pa.int32(), nullable=False),
        pa.field("due_on", pa.date32(), nullable=False),
        pa.field("due", pa.bool_(), nullable=False),
        pa.field("quantity_num", pa.int64(), nullable=False),
        pa.field("quantity_den", pa.int64(), nullable=False),
        pa.field("price_num", pa.int64(), nullable=False),  # minor units
        pa.field("price_den", pa.int64(), nullable=False),
        pa.field("amount_before_caps", pa.int64(), nullable=False),  # minor units
        pa.field("amount", pa.int64(), nullable=False),  # minor units
    ]
)

_SORT_KEYS: dict[str, list[str]] = {
    "participants": ["participant_id"],
    "spells": ["participant_id", "start", "end", "status", "hours", "employer"],
    "events": ["participant_id", "date", "event"],
}


# -- reading register files ----------------------------------------------------------------


def read_delivery(
    spells: str | os.PathLike[str],
    participants: str | os.PathLike[str] | None = None,
    events: str | os.PathLike[str] | None = None,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    dream: Callable[[Any], Any] | None = None,
) -> dict[str, pa.Table]:
    """The canonical tables of a register delivery read from files.

    Any format the readers take (CSV dialects, Excel, Parquet, Arrow, a DREAM
    extract): ``dialect``, ``sheet`` and ``dream`` are those of
    :func:`impactbond.io.register_tables.read_register`.  Without
    ``participants`` the spells file carries the participants' columns
    (``cohort``, ``enrolled``, ...) on every row.  Every bad row is reported
    in one typed error.
    """
    from impactbond.io.register_tables import read_register

    tables = read_register(
        Path(spells),
        None if participants is None else Path(participants),
        None if events is None else Path(events),
        dialect=dialect,
        sheet=sheet,
        dream=dream,
    )
    return canonical(tables.to_register().to_tables())


def _sorted(name: str, table: pa.Table) -> pa.Table:
    keys = [(k, "ascending", "at_start") for k in _SORT_KEYS[name]]
    order = pc.sort_indices(table, sort_keys=keys)
    return table.take(order).combine_chunks()


def canonical(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """The delivery tables in the canonical schema and row order (missing tables empty)."""
    out: dict[str, pa.Table] = {}
    for name, schema in DELIVERY_SCHEMAS.items():
        table = tables.get(name)
        if table is None:
            table = schema.empty_table()
        for field in schema:  # an optional column left out is a column of nulls
            if field.name not in table.column_names:
                table = table.append_column(field, pa.nulls(table.num_rows, field.type))
        if name == "participants":  # no scenario column is scenario 0
            column = pc.fill_null(table.column("scenario"), 0)
            table = table.set_column(table.schema.get_field_index("scenario"), "scenario", column)
        out[name] = _sorted(name, table.select(schema.names).cast(schema))
    return out


def checked_tables(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Canonical tables after every check of :meth:`Register.from_tables` (a typed error otherwise)."""
    c = canonical(tables)
    register = Register.from_tables(c["participants"], c["spells"], c["events"])
    return canonical(register.to_tables())


# -- the engine ----------------------------------------------------------------------------------


def settle_delivery(
    contract: Contract, tables: Mapping[str, pa.Table], *, as_of: date, data_until: date
) -> Settlement:
    """Settle ``contract`` on a delivery's canonical tables at ``as_of``.

    ``data_until`` is the delivery's extract date: the last day its data cover.
    """
    register = Register.from_tables(tables["participants"], tables["spells"], tables["events"])
    return settle(contract, register, as_of=as_of, data_until=data_until)


def _ranks(labels: Sequence[str]) -> npt.NDArray[np.int64]:
    """Rank of each label in sorted (code point) order, so sorting codes sorts the labels."""
    order = sorted(range(len(labels)), key=lambda i: labels[i])
    ranks = np.empty(len(labels), dtype=np.int64)
    ranks[order] = np.arange(len(labels))
    return ranks


def _ranked(codes: npt.NDArray[Any], labels: Sequence[str]) -> npt.NDArray[np.int64]:
    """Codes into ``labels`` replaced by the labels' ranks; -1 (no label) stays -1."""
    codes = codes.astype(np.int64)
    if not labels:
        return np.full(len(codes), -1, dtype=np.int64)
    return np.where(codes < 0, -1, _ranks(labels)[np.maximum(codes, 0)])


def _labelled(codes: npt.NDArray[np.int64], labels: Sequence[str]) -> pa.Array:
    """Strings from codes into labels, where code -1 means the empty string."""
    dictionary = pa.array(["", *labels], pa.string())
    indices = pa.array(codes + 1, pa.int32())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def _dates(days: npt.NDArray[np.int64]) -> pa.Array:
    # Proleptic Gregorian ordinal -> days since 1970-01-01 (date32).
    return pa.array((days - date(1970, 1, 1).toordinal()).astype(np.int32), pa.int32()).cast(
        pa.date32()
    )


def line_table(settlement: Settlement) -> pa.Table:
    """The settlement's lines as the ledger's line table (:data:`LINE_SCHEMA`), sorted by key."""
    lines = settlement.lines
    c = settlement.contract
    ids = list(settlement.participant_ids)
    cohort_labels = [x.label for x in c.cohorts]
    rule_ids = [r.id for r in c.payment_rules]
    outcome_ids = [o.id for o in c.outcomes]
    participant = _ranked(lines.participant, ids)
    scenario = lines.scenario.astype(np.int64)
    cohort = _ranked(lines.cohort, cohort_labels)
    rule = _ranked(lines.rule, rule_ids)
    outcome = _ranked(lines.outcome, outcome_ids)
    tie_breaks = (
        lines.amount,
        lines.amount_before_caps,
        lines.quantity_den,
        lines.quantity_num,
        lines.due_on,
        lines.earned_on,
        lines.period_end,
    )
    keys = (lines.period_start, outcome, rule, cohort, scenario, participant)
    order = np.lexsort((*tie_breaks, *keys))
    sorted_keys = np.stack([k[order] for k in keys])
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(sorted_keys[:, 1:] != sorted_keys[:, :-1], axis=0)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    occurrence = (np.arange(len(order)) - group_start).astype(np.int32)
    take = lines.take(order)
    columns: dict[str, pa.Array] = {
        "participant_id": _labelled(take.participant, ids),
        "scenario": pa.array(scenario[order].astype(np.int32)),
        "cohort": _labelled(take.cohort, cohort_labels),
        "rule": _labelled(take.rule, rule_ids),
        "outcome": _labelled(take.outcome, outcome_ids),
        "period_start": _dates(take.period_start),
        "occurrence": pa.array(occurrence),
        "period_end": _dates(take.period_end),
        "earned_on": _dates(take.earned_on),
        "invoice_period": pa.array(take.invoice_period.astype(np.int32)),
        "due_on": _dates(take.due_on),
        "due": pa.array(take.due),
        "quantity_num": pa.array(take.quantity_num.astype(np.int64)),
        "quantity_den": pa.array(take.quantity_den.astype(np.int64)),
        "price_num": pa.array(take.price_num.astype(np.int64)),
        "price_den": pa.array(take.price_den.astype(np.int64)),
        "amount_before_caps": pa.array(take.amount_before_caps.astype(np.int64)),
        "amount": pa.array(take.amount.astype(np.int64)),
    }
    return pa.Table.from_arrays(list(columns.values()), schema=LINE_SCHEMA)


def totals(settlement: Settlement) -> dict[str, int]:
    """The settlement's totals in minor units: ``due``, ``accrued`` and the number of ``lines``."""
    return {
        "due": settlement.total.minor_units,
        "accrued": settlement.accrued_total.minor_units,
        "lines": len(settlement.lines),
    }


def fingerprint(table: pa.Table, run_totals: Mapping[str, int]) -> str:
    """The sha256 of a run: its sorted line table and totals in canonical form."""
    return digest_parts("impactbond-run", {"lines": table}, dict(run_totals))
