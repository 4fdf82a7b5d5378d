"""What is billed, what is due, and what the next invoice holds (pure Arrow, no database).

An *item* is a line of a run in one invoice period: its key
(:data:`~impactbond.ledger._engine.KEY_COLUMNS`) and ``invoice_period``.
For every item the latest run says what is due (its amount if the line is
due, else nothing), the issued invoices say what was billed (the sum of
their lines for the item).  The next invoice holds every item where the two
differ, by the difference:

- a *line* when the key was never billed (new money);
- an *adjustment* when it was (a restatement): it refers to the invoice line
  that first billed the key, and records what was billed before and what is
  due now, so that ``billed_before + amount == due_amount``.

After the invoice is issued, billed equals due for every item it covers, so
for every invoice period the issued lines plus the adjustments add up to
what the latest run says is due, to the øre.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.ledger._engine import DELIVERY_SCHEMAS, KEY_COLUMNS
from impactbond.ledger._records import Cause

__all__ = [
    "INVOICE_LINE_SCHEMA",
    "ITEM_COLUMNS",
    "billed_items",
    "open_items",
    "row_changes",
]

ITEM_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "invoice_period")

#: The lines of an invoice (stored as a Parquet blob named by the invoice row).
INVOICE_LINE_SCHEMA = pa.schema(
    [
        pa.field("position", pa.int32(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # "line" or "adjustment"
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("scenario", pa.int32(), nullable=False),
        pa.field("cohort", pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("occurrence", pa.int32(), nullable=False),
        pa.field("invoice_period", pa.int32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("earned_on", pa.date32(), nullable=False),
        pa.field("due_on", pa.date32(), nullable=False),
        pa.field("quantity_num", pa.int64(), nullable=False),
        pa.field("quantity_den", pa.int64(), nullable=False),
        pa.field("amount", pa.int64(), nullable=False),  # minor units billed by this line
        pa.field("billed_before", pa.int64(), nullable=False),
        pa.field("due_amount", pa.int64(), nullable=False),  # = billed_before + amount
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("delivery_id", pa.int64(), nullable=False),
        pa.field("billed_run_id", pa.int64()),  # the run behind the last billing of the item
        pa.field("refers_to_invoice", pa.int64()),  # number of the invoice first billing the key
        pa.field("refers_to_position", pa.int32()),
    ]
)

_BILLED_SCHEMA = pa.schema(
    [
        *(INVOICE_LINE_SCHEMA.field(c) for c in ITEM_COLUMNS),
        pa.field("billed", pa.int64()),
        pa.field("billed_period_end", pa.date32()),
        pa.field("billed_earned_on", pa.date32()),
        pa.field("billed_due_on", pa.date32()),
        pa.field("billed_run_id", pa.int64()),
    ]
)
_ORIGINAL_SCHEMA = pa.schema(
    [
        *(INVOICE_LINE_SCHEMA.field(c) for c in KEY_COLUMNS),
        pa.field("refers_to_invoice", pa.int64()),
        pa.field("refers_to_position", pa.int32()),
    ]
)


def billed_items(invoices: Iterable[tuple[int, pa.Table]]) -> tuple[pa.Table, pa.Table]:
    """What the issued invoices billed per item, and the line that first billed each key.

    ``invoices`` are ``(number, lines)`` of the issued (and paid) invoices.
    Returns ``(billed, originals)``: ``billed`` has the item columns, the sum
    ``billed`` and the dates and run of the item's last billing; ``originals``
    has the key columns and the ``refers_to_invoice`` / ``refers_to_position``
    of the first billing.
    """
    parts = [
        t.append_column("number", pa.array(np.full(t.num_rows, n), pa.int64()))
        for n, t in sorted(invoices, key=lambda x: x[0])
        if t.num_rows
    ]
    if not parts:
        return _BILLED_SCHEMA.empty_table(), _ORIGINAL_SCHEMA.empty_table()
    lines = pa.concat_tables(parts)  # in invoice and position order
    billed = lines.group_by(list(ITEM_COLUMNS), use_threads=False).aggregate(
        [
            ("amount", "sum"),
            ("period_end", "last"),
            ("earned_on", "last"),
            ("due_on", "last"),
            ("run_id", "last"),
        ]
    )
    billed = billed.rename_columns(
        {
            "amount_sum": "billed",
            "period_end_last": "billed_period_end",
            "earned_on_last": "billed_earned_on",
            "due_on_last": "billed_due_on",
            "run_id_last": "billed_run_id",
        }
    ).select(_BILLED_SCHEMA.names)
    originals = lines.group_by(list(KEY_COLUMNS), use_threads=False).aggregate(
        [("number", "first"), ("position", "first")]
    )
    originals = originals.rename_columns(
        {"number_first": "refers_to_invoice", "position_first": "refers_to_position"}
    ).select(_ORIGINAL_SCHEMA.names)
    return billed.cast(_BILLED_SCHEMA), originals.cast(_ORIGINAL_SCHEMA)


def _filled(table: pa.Table, name: str, value: Any) -> pa.ChunkedArray:
    return pc.fill_null(table.column(name), value)


def open_items(
    lines: pa.Table,
    *,
    run_id: int,
    delivery_id: int,
    billed: pa.Table,
    originals: pa.Table,
    through_period: int | None = None,
) -> pa.Table:
    """The lines of the next invoice (:data:`INVOICE_LINE_SCHEMA`), sorted by item.

    ``lines`` is the latest run's line table; ``billed`` and ``originals``
    come from :func:`billed_items`.  With ``through_period``, new lines of
    later invoice periods wait; adjustments are always included.
    """
    current = lines.select(
        [*ITEM_COLUMNS, "period_end", "earned_on", "due_on", "quantity_num", "quantity_den"]
    ).append_column("target", pc.if_else(lines.column("due"), lines.column("amount"), 0))
    joined = current.join(billed, list(ITEM_COLUMNS), join_type="full outer", coalesce_keys=True)
    target = _filled(joined, "target", 0)
    before = _filled(joined, "billed", 0)
    difference = pc.subtract(target, before)
    keep = pc.not_equal(difference, 0)
    joined = joined.append_column("amount", difference).append_column("billed_before", before)
    joined = joined.append_column("due_amount", target).filter(keep)
    joined = joined.join(originals, list(KEY_COLUMNS), join_type="left outer")
    adjustment = pc.is_valid(joined.column("refers_to_invoice"))
    if through_period is not None:
        joined = joined.filter(
            pc.or_(adjustment, pc.less_equal(joined.column("invoice_period"), through_period))
        )
        adjustment = pc.is_valid(joined.column("refers_to_invoice"))
    missing = pc.is_null(joined.column("quantity_num"))  # billed, but gone from the latest run
    n = joined.num_rows
    columns: dict[str, Any] = {
        "position": pa.array(np.arange(n, dtype=np.int32)),
        "kind": pc.if_else(adjustment, "adjustment", "line"),
        **{c: joined.column(c) for c in ITEM_COLUMNS},
        "period_end": pc.coalesce(joined.column("period_end"), joined.column("billed_period_end")),
        "earned_on": pc.coalesce(joined.column("earned_on"), joined.column("billed_earned_on")),
        "due_on": pc.coalesce(joined.column("due_on"), joined.column("billed_due_on")),
        "quantity_num": pc.if_else(missing, 0, joined.column("quantity_num")),
        "quantity_den": pc.if_else(missing, 1, joined.column("quantity_den")),
        "amount": joined.column("amount"),
        "billed_before": joined.column("billed_before"),
        "due_amount": joined.column("due_amount"),
        "run_id": pa.array(np.full(n, run_id, dtype=np.int64)),
        "delivery_id": pa.array(np.full(n, delivery_id, dtype=np.int64)),
        "billed_run_id": joined.column("billed_run_id"),
        "refers_to_invoice": joined.column("refers_to_invoice"),
        "refers_to_position": joined.column("refers_to_position"),
    }
    table = pa.table(columns).cast(INVOICE_LINE_SCHEMA)
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in ITEM_COLUMNS])
    table = table.take(order).combine_chunks()
    return table.set_column(0, "position", pa.array(np.arange(n, dtype=np.int32)))


# -- causes --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def _rows_of(table: pa.Table, participants: pa.Array) -> dict[str, list[tuple[Any, ...]]]:
    picked = table.filter(pc.is_in(table.column("participant_id"), value_set=participants))
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in zip(*(picked.column(c).to_pylist() for c in table.column_names), strict=True):
        out.setdefault(row[0], []).append(tuple(_plain(v) for v in row))
    return out


def row_changes(
    before: Mapping[str, pa.Table], after: Mapping[str, pa.Table], participants: Sequence[str]
) -> dict[str, list[Cause]]:
    """The register rows of ``participants`` removed and added from one delivery to another.

    A changed row (a spell whose end moved) is one row removed and one added.
    """
    wanted = pa.array(sorted(set(participants) - {""}), pa.string())
    out: dict[str, list[Cause]] = {}
    if len(wanted) == 0:
        return out
    for name in DELIVERY_SCHEMAS:
        names = DELIVERY_SCHEMAS[name].names
        old, new = _rows_of(before[name], wanted), _rows_of(after[name], wanted)
        for pid in sorted(set(old) | set(new)):
            a, b = old.get(pid, []), new.get(pid, [])
            remaining = list(b)
            removed = []
            for row in a:
                if row in remaining:
                    remaining.remove(row)
                else:
                    removed.append(row)
            for change, rows in (("removed", removed), ("added", remaining)):
                for row in rows:
                    out.setdefault(pid, []).append(
                        Cause(pid, name, change, dict(zip(names, row, strict=True)))
                    )
    return out
