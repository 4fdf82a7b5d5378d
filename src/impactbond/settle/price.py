"""Pricing: one pricer per participant-level payment rule, registered by type.

A pricer turns measured items into a :class:`~impactbond.settle.lines.LineBlock`
of one rule: one line per participant-month, event or rung (or per enrolment
for an activity fee), with the exact quantity and the exact unit price.  It
reads one participant's items at a time, so it runs on any partition.

A new participant-level rule kind is one function decorated with
``@pricer(Kind)``; rules priced on group totals are group rules
(:mod:`impactbond.settle.group`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.domain.payment import ActivityFee, PricePerUnit
from impactbond.settle.clock import Observation
from impactbond.settle.lines import LineBlock, price_fraction
from impactbond.settle.measure import Measured

__all__ = ["PRICERS", "PriceContext", "pricer"]

I64 = npt.NDArray[np.int64]


@attrs.frozen(eq=False)
class PriceContext:
    """What pricers share: the contract, the clock, the settled rows and the measurements."""

    contract: Contract
    obs: Observation
    cohort: I64
    """Per settled row: the index into ``contract.cohorts``."""
    scenario: I64
    enrolled: I64
    measured: Mapping[str, Measured]

    @property
    def n(self) -> int:
        return len(self.cohort)

    def cohort_mask(self, cohorts: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        """Per contract cohort index: whether a rule limited to ``cohorts`` applies."""
        return np.array([not cohorts or c.label in cohorts for c in self.contract.cohorts])

    def outcome_index(self, outcome_id: str) -> int:
        return [o.id for o in self.contract.outcomes].index(outcome_id)


R = TypeVar("R")
Pricer = Callable[[Any, int, PriceContext], LineBlock]
PRICERS: dict[type, Pricer] = {}


def pricer(kind: type[R]) -> Callable[[Callable[[R, int, PriceContext], LineBlock]], Pricer]:
    """Register the pricer of one participant-level rule kind."""

    def register(fn: Callable[[R, int, PriceContext], LineBlock]) -> Pricer:
        PRICERS[kind] = fn
        return fn

    return register


def _group_cumsum(values: npt.NDArray[np.integer[Any]], starts: npt.NDArray[np.bool_]) -> I64:
    """Running sum of ``values`` within runs that begin where ``starts`` holds."""
    if len(values) == 0:
        return values.astype(np.int64)
    total = np.cumsum(values)
    first = np.flatnonzero(starts)
    before = np.r_[0, total[:-1]]
    offset = np.repeat(before[first], np.diff(np.r_[first, len(values)]))
    result: I64 = total - offset
    return result


def cap_units(
    rows: npt.NDArray[np.integer[Any]],
    num: npt.NDArray[np.integer[Any]],
    den: int,
    max_units: Fraction,
) -> I64:
    """Quantities cut so that each row's running total stays within ``max_units``.

    Items are in earning order within each row.  A limit that is not a whole
    number of ``1/den`` is rounded down, so the limit is never passed.

    >>> cap_units(np.array([0, 0, 0, 1]), np.array([5, 5, 5, 9]), 1, Fraction(12)).tolist()
    [5, 5, 2, 9]
    """
    limit = math.floor(max_units * den)
    starts = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    running = _group_cumsum(num, starts)
    out: I64 = np.clip(limit - (running - num), 0, num)
    return out


def _follow_up_prices(
    rule: PricePerUnit, price: Fraction, follow_up: npt.NDArray[np.integer[Any]]
) -> tuple[I64, I64]:
    """Per item the exact unit price of its follow-up (``price`` where the table names none)."""
    months = [m for m, _ in rule.price_by_follow_up]
    prices = [
        price_fraction(p, field="price_by_follow_up", clause=rule.clause, rule_id=rule.id)
        for _, p in rule.price_by_follow_up
    ]
    at = np.searchsorted(np.array(months, dtype=np.int64), follow_up)
    at = np.minimum(at, len(months) - 1)
    named = np.array(months, dtype=np.int64)[at] == follow_up
    num = np.where(
        named, np.array([p.numerator for p in prices], dtype=np.int64)[at], price.numerator
    )
    den = np.where(
        named, np.array([p.denominator for p in prices], dtype=np.int64)[at], price.denominator
    )
    return num.astype(np.int64), den.astype(np.int64)


@pricer(PricePerUnit)
def _price_per_unit(rule: PricePerUnit, index: int, ctx: PriceContext) -> LineBlock:
    m = ctx.measured[rule.outcome]
    items = m.items
    applies = ctx.cohort_mask(rule.cohorts)[ctx.cohort[items.row]] if len(items) else items.row > 0
    keep = np.flatnonzero(applies)
    rows, num = items.row[keep], items.num[keep]
    if rule.max_units_per_participant is not None and len(rows):
        # Only a participant whose whole outcome total passes the limit can be cut.
        over = m.totals > math.floor(rule.max_units_per_participant * m.den)
        if over.any():
            cut = np.flatnonzero(over[rows])
            num[cut] = cap_units(rows[cut], num[cut], m.den, rule.max_units_per_participant)
    price = price_fraction(rule.price, field="price", clause=rule.clause, rule_id=rule.id)
    price_num: Any = price.numerator
    price_den: Any = price.denominator
    if rule.price_by_follow_up:
        price_num, price_den = _follow_up_prices(rule, price, items.detail["follow_up"][keep])
    return LineBlock.build(
        len(rows),
        participant=rows,
        scenario=ctx.scenario[rows],
        cohort=ctx.cohort[rows],
        outcome=ctx.outcome_index(rule.outcome),
        rule=index,
        period_start=items.period_start[keep],
        period_end=items.period_end[keep],
        earned_on=items.earned_on[keep],
        quantity_num=num,
        quantity_den=m.den,
        price_num=price_num,
        price_den=price_den,
        item=keep,
    )


@pricer(ActivityFee)
def _activity_fee(rule: ActivityFee, index: int, ctx: PriceContext) -> LineBlock:
    applies = ctx.cohort_mask(rule.cohorts)[ctx.cohort] if ctx.n else np.zeros(0, dtype=bool)
    rows = np.flatnonzero(applies & ctx.obs.earned(ctx.enrolled)).astype(np.int64)
    fee = price_fraction(rule.fee, field="fee", clause=rule.clause, rule_id=rule.id)
    day = ctx.enrolled[rows]
    return LineBlock.build(
        len(rows),
        participant=rows,
        scenario=ctx.scenario[rows],
        cohort=ctx.cohort[rows],
        outcome=-1,
        rule=index,
        period_start=day,
        period_end=day + 1,
        earned_on=day,
        quantity_num=1,
        quantity_den=1,
        price_num=fee.numerator,
        price_den=fee.denominator,
    )
