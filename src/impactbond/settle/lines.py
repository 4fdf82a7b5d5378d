"""The one line table, from the first pricing stage to the result.

Lines are built as :class:`LineBlock`\\ s (one per payment rule, or per group
rule) and concatenated once.  Participant lines come first, in the order of
participant row, then earning day, then rule; group lines (target bonuses,
effect and savings payments, fixed fees: ``participant == -1``) follow, by
earning day then rule.  Within a day this is the earning order that caps and
cumulative rounding follow.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.errors import InvalidContract
from impactbond.money import Money, minor_unit_digits

__all__ = ["COLUMNS", "LineBlock", "concat", "price_fraction"]

I64 = npt.NDArray[np.int64]

#: The dtype of each column: day numbers and row indices fit int32, indices into the
#: contract's lists int16; quantities and prices are int64.
DTYPES: dict[str, type] = {
    "participant": np.int32,
    "scenario": np.int32,
    "cohort": np.int16,
    "outcome": np.int16,
    "rule": np.int16,
    "period_start": np.int32,
    "period_end": np.int32,
    "earned_on": np.int32,
    "quantity_num": np.int64,
    "quantity_den": np.int64,
    "price_num": np.int64,
    "price_den": np.int64,
    "item": np.int32,
}

#: The columns of a line block, in order.
COLUMNS = (
    "participant",
    "scenario",
    "cohort",
    "outcome",
    "rule",
    "period_start",
    "period_end",
    "earned_on",
    "quantity_num",
    "quantity_den",
    "price_num",
    "price_den",
    "item",
)


@attrs.frozen(eq=False)
class LineBlock:
    """Lines before rounding, caps and dating: columns of one length (dtypes in :data:`DTYPES`).

    ``item`` is the index of the measured item a line prices (-1: none), which
    the trace follows back to the spells.
    """

    participant: I64
    scenario: I64
    cohort: I64
    outcome: I64
    rule: I64
    period_start: I64
    period_end: I64
    earned_on: I64
    quantity_num: I64
    quantity_den: I64
    price_num: I64
    price_den: I64
    item: I64

    def __len__(self) -> int:
        return len(self.participant)

    @classmethod
    def build(cls, n: int, **columns: Any) -> LineBlock:
        """A block of ``n`` lines; scalars are broadcast, missing ``item`` is -1."""
        columns.setdefault("item", -1)
        out: dict[str, npt.NDArray[Any]] = {}
        for name in COLUMNS:
            value = np.asarray(columns[name])
            if value.ndim == 0:
                out[name] = np.full(n, value, dtype=DTYPES[name])
            else:
                out[name] = value.astype(DTYPES[name], copy=False)
            if len(out[name]) != n:
                raise ValueError(f"column {name} has {len(out[name])} lines, not {n}")
        return cls(**out)

    def take(self, index: npt.NDArray[Any]) -> LineBlock:
        return LineBlock(**{name: getattr(self, name)[index] for name in COLUMNS})


def concat(blocks: list[LineBlock]) -> LineBlock:
    """One block of all lines, in the order given."""
    if not blocks:
        return LineBlock.build(0, **dict.fromkeys(COLUMNS, np.zeros(0, dtype=np.int64)))
    if len(blocks) == 1:
        return blocks[0]
    return LineBlock(
        **{name: np.concatenate([getattr(b, name) for b in blocks]) for name in COLUMNS}
    )


def _disjoint_order(
    blocks: list[LineBlock], keys: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """The order of the concatenated blocks when no participant has lines in two of them
    (rules limited to different cohorts): each participant's lines keep their block's
    order, at the participant's place, with no sort (the stable sort of ``keys`` gives
    the same).  None when blocks share a participant or a block is not in key order.
    """
    at = 0
    for b in blocks:
        k = keys[at : at + len(b)]
        if np.any(k[1:] < k[:-1]):
            return None
        at += len(b)
    size = max(int(b.participant.max()) for b in blocks) + 1
    counts = np.zeros(size, dtype=np.int64)
    for b in blocks:
        mine = np.bincount(b.participant, minlength=size)
        if np.any((mine > 0) & (counts > 0)):
            return None
        counts += mine
    start = np.cumsum(counts) - counts  # each participant's first line in the table
    order = np.empty(int(counts.sum()), dtype=np.int64)
    at = 0
    for b in blocks:
        p = b.participant.astype(np.int64)
        first = np.r_[0, np.flatnonzero(p[1:] != p[:-1]) + 1]
        rank = np.arange(len(p), dtype=np.int64) - np.repeat(first, np.diff(np.r_[first, len(p)]))
        order[start[p] + rank] = at + np.arange(len(p), dtype=np.int64)
        at += len(p)
    return order


def assemble(person_blocks: list[LineBlock], group_blocks: list[LineBlock]) -> LineBlock:
    """The line table: participant lines by participant, then earning day (blocks keep the
    order of the rules), then group lines by earning day.

    Each block is already in (participant, day) order; one stable sort of a packed
    key finds every line's place, and each column is gathered once (a column that is
    constant in each block is looked up from the block of each line instead).
    """
    blocks = [b for b in person_blocks if len(b)]
    n_people = sum(len(b) for b in blocks)
    groups = concat([b for b in group_blocks if len(b)])
    if len(groups):
        groups = groups.take(np.argsort(groups.earned_on, kind="stable"))
    n = n_people + len(groups)
    out: dict[str, npt.NDArray[Any]] = {name: np.empty(n, dtype=DTYPES[name]) for name in COLUMNS}
    if blocks:
        day0 = min(int(b.earned_on.min()) for b in blocks)
        keys = np.concatenate(
            [(b.participant.astype(np.int64) << 24) + (b.earned_on - day0) for b in blocks]
        )
    if len(blocks) == 1 and bool(np.all(keys[1:] >= keys[:-1])):  # already in order
        for name in COLUMNS:
            out[name][:n_people] = getattr(blocks[0], name)
    elif blocks:
        order = _disjoint_order(blocks, keys)
        if order is None:
            order = np.argsort(keys, kind="stable")
        block_of: npt.NDArray[Any] | None = None
        for name in COLUMNS:
            columns = [getattr(b, name) for b in blocks]
            firsts = [c[0] for c in columns]
            if all(len(c) == 1 or (c == f).all() for c, f in zip(columns, firsts, strict=True)):
                # A constant in each block: one small look-up per line, no gather of a column.
                if all(f == firsts[0] for f in firsts):
                    out[name][:n_people] = firsts[0]
                    continue
                if block_of is None:
                    sizes = [len(b) for b in blocks]
                    block_of = np.repeat(np.arange(len(blocks), dtype=np.int32), sizes)[order]
                table: npt.NDArray[Any] = np.array(firsts, dtype=DTYPES[name])
                out[name][:n_people] = table[block_of]
            else:
                out[name][:n_people] = np.concatenate(columns)[order]
    for name in COLUMNS:
        out[name][n_people:] = getattr(groups, name)
    return LineBlock(**out)


#: The largest unit price, in minor units, that a line can carry exactly in int64 arithmetic.
MAX_PRICE_MINOR = 10**15


def price_fraction(money: Money, *, field: str, clause: str, rule_id: str) -> Fraction:
    """A price in minor units, exactly (a price finer than the minor unit stays exact).

    Raises :class:`InvalidContract` for a price above ``MAX_PRICE_MINOR`` minor units.

    >>> price_fraction(Money("6500.005", "DKK"), field="price", clause="", rule_id="r")
    Fraction(1300001, 2)
    """
    digits = minor_unit_digits(money.currency)
    minor = Fraction(Decimal(money.amount).scaleb(digits))
    if abs(minor) > MAX_PRICE_MINOR:
        raise InvalidContract(
            f"{rule_id}: {money} is more than {MAX_PRICE_MINOR:,} minor units",
            field=field,
            clause=clause or None,
            rule="an amount of a contract is at most 10^15 minor units (10 trillion of the "
            "currency)",
        )
    return minor
