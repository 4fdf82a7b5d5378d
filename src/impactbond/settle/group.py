"""Group rules: what is decided over a whole cohort or contract, on reduced totals.

Target bonuses, effect tiers, savings shares and fixed fees are priced on
per-group totals (people, quantities by day).  A group is a cohort within a
scenario (cohort rules) or a scenario (contract rules).  The caps are in
:mod:`impactbond.settle.caps`.

A new group rule kind is one function decorated with ``@group_rule(Kind)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.domain.payment import (
    EffectTierPayment,
    FixedFee,
    SavingsSharePayment,
    TargetBonus,
)
from impactbond.domain.terms import ComparisonGroup
from impactbond.errors import SettlementError
from impactbond.money import Money, exact_bincount
from impactbond.settle.clock import Observation
from impactbond.settle.lines import LineBlock, price_fraction
from impactbond.settle.measure import Measured

__all__ = [
    "GROUP_RULES",
    "EffectFigures",
    "GroupContext",
    "SavingsFigures",
    "group_rule",
]

I64 = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# ------------------------------------------------------------------------------ context


@attrs.frozen(eq=False)
class GroupContext:
    """Settled participants by group, and what the group rules read."""

    contract: Contract
    obs: Observation
    cohort: I64
    """Per settled row: the contract cohort index."""
    scenario: I64
    """Per settled row: the scenario value."""
    scenarios: I64
    """The distinct scenario values, sorted (``[0]`` without scenarios)."""
    scenario_index: I64
    """Per settled row: the index into ``scenarios``."""
    measured: Mapping[str, Measured]
    comparison: Any = None

    @property
    def n_cohorts(self) -> int:
        return len(self.contract.cohorts)

    @property
    def n_groups(self) -> int:
        return len(self.scenarios) * self.n_cohorts

    def group_of_rows(self, rows: I64) -> I64:
        """(scenario, cohort) group of settled rows."""
        return self.scenario_index[rows] * self.n_cohorts + self.cohort[rows]

    def people(self) -> I64:
        """Settled people per (scenario, cohort) group."""
        return np.bincount(self.group_of_rows(np.arange(len(self.cohort))), minlength=self.n_groups)

    def day_span(self) -> tuple[int, int]:
        """Days ``[lo, hi)`` inside which every line is earned (the same in every partition)."""
        from impactbond.domain.payment import FixedFee

        c = self.contract
        lo = min(c.term_start.toordinal(), c.referral_start.toordinal())
        for rule in c.payment_rules:
            if isinstance(rule, FixedFee):
                lo = min(lo, min(i.on.toordinal() for i in rule.instalments))
        return lo, self.obs.measure_end

    def outcome_index(self, outcome_id: str) -> int:
        return [o.id for o in self.contract.outcomes].index(outcome_id)

    def group_lines(
        self,
        rule: int,
        groups: I64,
        days: I64,
        *,
        outcome: int = -1,
        quantity_num: I64 | int = 1,
        quantity_den: I64 | int = 1,
        price: Fraction,
    ) -> LineBlock:
        """One group line per entry of ``groups`` (a (scenario, cohort) group index)."""
        n = len(groups)
        return LineBlock.build(
            n,
            participant=-1,
            scenario=self.scenarios[groups // self.n_cohorts] if n else groups,
            cohort=groups % self.n_cohorts,
            outcome=outcome,
            rule=rule,
            period_start=days,
            period_end=days + 1,
            earned_on=days,
            quantity_num=quantity_num,
            quantity_den=quantity_den,
            price_num=price.numerator,
            price_den=price.denominator,
        )


@attrs.frozen
class EffectFigures:
    """The figures behind an effect payment of one cohort (in one scenario)."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    people: int
    with_outcome: int
    treated_rate: Fraction
    comparison_rate: Fraction
    comparison_people: int | None
    comparison_source: str
    effect: Fraction
    gate: Fraction
    passed_gate: bool
    pooled_effect: Fraction
    pooled_gate: Fraction | None
    passed_pooled_gate: bool
    payment: Money
    """The payment per cohort (or per participant with ``per_participant``); zero if not paid."""

    @property
    def paid(self) -> bool:
        """True if the cohort was paid."""
        return (self.passed_gate or self.passed_pooled_gate) and self.payment.amount > 0

    def words(self) -> str:
        """Why this cohort was paid or not, in one sentence."""
        pct = _pct
        verb = "reduction" if self.effect >= 0 else "change"
        head = (
            f"{self.cohort}: {verb} {pct(self.effect)} (treated {pct(self.treated_rate)} of "
            f"{self.people}, comparison {pct(self.comparison_rate)})"
        )
        if self.passed_gate:
            tail = f"at or above its {pct(self.gate)} gate"
        elif self.passed_pooled_gate:
            tail = (
                f"below its {pct(self.gate)} gate; pooled {pct(self.pooled_effect)}, at or above "
                f"{pct(self.pooled_gate or Fraction(0))}"
            )
        else:
            pooled = (
                f"; pooled {pct(self.pooled_effect)}, below {pct(self.pooled_gate)}"
                if self.pooled_gate is not None
                else ""
            )
            tail = f"below its {pct(self.gate)} gate{pooled}"
        money = f": {self.payment}" if self.paid else ": no payment"
        return f"{head}, {tail}{money}"


def _pct(q: Fraction) -> str:
    value = q * 100
    return f"{float(value):.1f}%" if value.denominator != 1 else f"{value.numerator}%"


@attrs.frozen
class SavingsFigures:
    """The figures behind a savings-share payment of one cohort."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    people: int
    saving_per_person_minor: Fraction
    share: Fraction
    payment_minor: Fraction

    @property
    def paid(self) -> bool:
        return self.payment_minor > 0


# ------------------------------------------------------------------------------ registry

G = TypeVar("G")
GroupPricer = Callable[[Any, int, GroupContext], tuple[LineBlock, list[Any]]]
GROUP_RULES: dict[type, GroupPricer] = {}


def group_rule(
    kind: type[G],
) -> Callable[[Callable[[G, int, GroupContext], tuple[LineBlock, list[Any]]]], GroupPricer]:
    """Register the pricer of one group rule kind."""

    def register(fn: Callable[[G, int, GroupContext], tuple[LineBlock, list[Any]]]) -> GroupPricer:
        GROUP_RULES[kind] = fn
        return fn

    return register


@group_rule(TargetBonus)
def _target_bonus(rule: TargetBonus, index: int, g: GroupContext) -> tuple[LineBlock, list[Any]]:
    """Paid once, on the day a cohort's running total of the outcome reaches the target."""
    m = g.measured[rule.outcome]
    ci = [c.label for c in g.contract.cohorts].index(rule.cohort)
    items = m.items
    mine = np.flatnonzero(g.cohort[items.row] == ci) if len(items) else items.row
    lo, hi = g.day_span()
    n_days = hi - lo
    scen = g.scenario_index[items.row[mine]]
    keys = scen * n_days + (items.earned_on[mine] - lo)
    n_scen = len(g.scenarios)
    # Running totals are whole numerators: reaching the target is reaching its ceiling.
    target = math.ceil(rule.target * m.den)
    groups: list[int] = []
    days: list[int] = []
    if n_scen * n_days <= 2**25:
        per_day = exact_bincount(keys, items.num[mine], n_scen * n_days).reshape(n_scen, n_days)
        running = np.cumsum(per_day, axis=1)
        reached = running >= target
        hit = np.flatnonzero(reached.any(axis=1))
        for s in hit.tolist():
            groups.append(s * g.n_cohorts + ci)
            days.append(lo + int(np.argmax(reached[s])))
    else:  # many scenarios: sort the items of this cohort instead of a dense grid
        order = np.argsort(keys, kind="stable")
        k, v = keys[order], items.num[mine][order]
        s_of = k // n_days
        starts = np.r_[True, s_of[1:] != s_of[:-1]] if len(k) else np.zeros(0, dtype=bool)
        first = np.flatnonzero(starts)
        running = np.cumsum(v) - np.repeat(
            np.r_[0, np.cumsum(v)[:-1]][first], np.diff(np.r_[first, len(v)])
        )
        done = running >= target
        seen: set[int] = set()
        for pos in np.flatnonzero(done).tolist():
            s = int(s_of[pos])
            if s not in seen:
                seen.add(s)
                groups.append(s * g.n_cohorts + ci)
                days.append(lo + int(k[pos] % n_days))
    bonus = price_fraction(rule.bonus, field="bonus", clause=rule.clause, rule_id=rule.id)
    block = g.group_lines(
        index,
        np.array(groups, dtype=np.int64),
        np.array(days, dtype=np.int64),
        outcome=g.outcome_index(rule.outcome),
        price=bonus,
    )
    return block, []


def _comparison(
    rule: EffectTierPayment, labels: list[str], given: Any
) -> dict[str, ComparisonGroup]:
    if given is not None:
        if isinstance(given, Mapping):
            out = {}
            for label in labels:
                if label not in given:
                    raise SettlementError(
                        f"the comparison has no group for cohort {label!r}",
                        field="comparison",
                        clause=rule.clause or None,
                        rule="a comparison names a group for every cohort the rule measures",
                    )
                item = given[label]
                out[label] = (
                    item
                    if isinstance(item, ComparisonGroup)
                    else ComparisonGroup.from_counts(people=item[0], with_outcome=item[1])
                )
            return out
        group = ComparisonGroup.from_settlement(given, rule.outcome, "comparison panel")
        return dict.fromkeys(labels, group)
    if rule.comparison_rate is None:
        raise SettlementError(
            f"rule {rule.id} has no comparison rate and settle() was given no comparison",
            field="comparison",
            clause=rule.clause or None,
            rule="an effect is measured against a published rate or a comparison panel",
        )
    group = ComparisonGroup(rule.comparison_rate, rule.comparison_people, rule.comparison_source)
    return dict.fromkeys(labels, group)


def _relative(rule: EffectTierPayment, treated: Fraction, comparison: Fraction) -> Fraction:
    if comparison == 0:
        raise SettlementError(
            "a comparison rate of zero gives no relative effect",
            field="comparison",
            clause=rule.clause or None,
            rule="a relative effect needs a comparison rate above zero",
        )
    ratio = treated / comparison
    return 1 - ratio if rule.direction == "reduction" else ratio - 1


@group_rule(EffectTierPayment)
def _effect_tiers(
    rule: EffectTierPayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort: the share of people with the outcome by ``measured_on``, against the comparison."""
    assert rule.measured_on is not None
    day = rule.measured_on.toordinal()
    if not g.obs.earned(np.array([day]))[0]:
        return g.group_lines(
            index, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), price=Fraction(0)
        ), []
    m = g.measured[rule.outcome]
    items = m.items
    upto = items.earned_on <= day
    had = np.zeros(len(g.cohort), dtype=bool)
    had[items.row[upto]] = True
    labels = [c.label for c in g.contract.cohorts]
    people = g.people()
    rows = np.arange(len(g.cohort))
    with_outcome = np.bincount(g.group_of_rows(rows[had]), minlength=g.n_groups)
    mine = [ci for ci, label in enumerate(labels) if rule.applies_to(label)]
    table = rule.table
    currency = table.currency
    groups, prices, quantities = [], [], []
    figures: list[EffectFigures] = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        present = [ci for ci in mine if people[si * g.n_cohorts + ci] > 0]
        if not present:
            continue
        comparisons = _comparison(rule, [labels[ci] for ci in present], g.comparison)
        rates = []
        pooled_t = pooled_c = Fraction(0)
        total = 0
        for ci in present:
            gi = si * g.n_cohorts + ci
            n_people = int(people[gi])
            treated = Fraction(int(with_outcome[gi]), n_people)
            comp = comparisons[labels[ci]]
            rates.append((ci, gi, n_people, treated, comp))
            pooled_t += n_people * treated
            pooled_c += n_people * comp.rate
            total += n_people
        pooled = _relative(rule, pooled_t / total, pooled_c / total)
        pooled_ok = rule.pooled_gate is not None and pooled >= rule.pooled_gate
        for ci, gi, n_people, treated, comp in rates:
            effect = _relative(rule, treated, comp.rate)
            ok = effect >= rule.gate or pooled_ok
            pay = table.payment_for(effect) if ok else Money.zero(currency)
            figures.append(
                EffectFigures(
                    rule=rule.id,
                    scenario=int(scenario),
                    cohort=labels[ci],
                    measured_on=rule.measured_on,
                    people=n_people,
                    with_outcome=int(with_outcome[gi]),
                    treated_rate=treated,
                    comparison_rate=comp.rate,
                    comparison_people=comp.people,
                    comparison_source=comp.source,
                    effect=effect,
                    gate=rule.gate,
                    passed_gate=effect >= rule.gate,
                    pooled_effect=pooled,
                    pooled_gate=rule.pooled_gate,
                    passed_pooled_gate=pooled_ok,
                    payment=pay,
                )
            )
            if pay.amount > 0:
                groups.append(gi)
                prices.append(
                    price_fraction(pay, field="tiers", clause=rule.clause, rule_id=rule.id)
                )
                quantities.append(n_people if rule.per_participant else 1)
    block_parts = [
        g.group_lines(
            index,
            np.array([gi], dtype=np.int64),
            np.array([day], dtype=np.int64),
            outcome=g.outcome_index(rule.outcome),
            quantity_num=q,
            price=p,
        )
        for gi, p, q in zip(groups, prices, quantities, strict=True)
    ]
    from impactbond.settle.lines import concat

    return concat(block_parts), figures


@group_rule(SavingsSharePayment)
def _savings_share(
    rule: SavingsSharePayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort on ``measured_on``: the shared saving per person times the settled people."""
    day = rule.measured_on.toordinal()
    from impactbond.settle.lines import concat

    if not g.obs.earned(np.array([day]))[0]:
        return concat([]), []
    saving = rule.saving_per_person(g.contract.currency)
    shared = saving * rule.share
    labels = [c.label for c in g.contract.cohorts]
    people = g.people()
    parts = []
    figures = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        for ci, label in enumerate(labels):
            gi = si * g.n_cohorts + ci
            if not rule.applies_to(label) or people[gi] == 0:
                continue
            n_people = int(people[gi])
            figures.append(
                SavingsFigures(
                    rule.id,
                    int(scenario),
                    label,
                    rule.measured_on,
                    n_people,
                    saving,
                    rule.share,
                    max(shared, Fraction(0)) * n_people,
                )
            )
            if shared <= 0:
                continue
            parts.append(
                g.group_lines(
                    index,
                    np.array([gi], dtype=np.int64),
                    np.array([day], dtype=np.int64),
                    quantity_num=n_people,
                    price=shared,
                )
            )
    return concat(parts), figures


@group_rule(FixedFee)
def _fixed_fee(rule: FixedFee, index: int, g: GroupContext) -> tuple[LineBlock, list[Any]]:
    """Each instalment on its date, once per scenario, in the rule's cohort."""
    from impactbond.settle.lines import concat

    labels = [c.label for c in g.contract.cohorts]
    ci = labels.index(rule.cohort) if rule.cohort is not None else 0
    parts = []
    for si in range(len(g.scenarios)):
        for item in rule.instalments:
            day = item.on.toordinal()
            if item.amount.amount <= 0 or not g.obs.earned(np.array([day]))[0]:
                continue
            parts.append(
                g.group_lines(
                    index,
                    np.array([si * g.n_cohorts + ci], dtype=np.int64),
                    np.array([day], dtype=np.int64),
                    price=price_fraction(
                        item.amount, field="instalments", clause=rule.clause, rule_id=rule.id
                    ),
                )
            )
    return concat(parts), []
