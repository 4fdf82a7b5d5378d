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
    """Lines before rounding, caps and dating: every column an int64 array of one length.

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
        out = {}
        for name in COLUMNS:
            value = np.asarray(columns[name], dtype=np.int64)
            out[name] = np.broadcast_to(value, (n,)).copy() if value.ndim == 0 else value
            if len(out[name]) != n:
                raise ValueError(f"column {name} has {len(out[name])} lines, not {n}")
        return cls(**out)

    def take(self, index: npt.NDArray[Any]) -> LineBlock:
        return LineBlock(**{name: getattr(self, name)[index] for name in COLUMNS})


def concat(blocks: list[LineBlock]) -> LineBlock:
    """One block of all lines, in the order given."""
    if not blocks:
        return LineBlock.build(0, **dict.fromkeys(COLUMNS, np.zeros(0, dtype=np.int64)))
    return LineBlock(
        **{name: np.concatenate([getattr(b, name) for b in blocks]) for name in COLUMNS}
    )


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
