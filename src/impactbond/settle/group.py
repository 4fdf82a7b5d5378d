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
from decimal import Decimal
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
    WeightedAchievementPayment,
)
from impactbond.domain.terms import ComparisonGroup
from impactbond.errors import InvalidContract, SettlementError
from impactbond.money import Money, exact_bincount
from impactbond.settle.clock import Observation
from impactbond.settle.lines import LineBlock, price_fraction
from impactbond.settle.measure import Measured

__all__ = [
    "GROUP_RULES",
    "AchievementFigures",
    "BonusFigures",
    "ComparisonFigures",
    "EffectFigures",
    "GroupContext",
    "MetricFigures",
    "SavingsFigures",
    "comparison_figures",
    "effect_counts",
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
    role: str = "treatment"
    """``"treatment"`` (price the rules) or ``"comparison"`` (measure only, pay nothing)."""

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
    """The figures behind an effect payment of one cohort (in one scenario), paid or not."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    measure: str
    """``"share"`` (people with the outcome) or ``"events_per_person"``."""
    direction: str
    people: int
    count: int | Fraction
    """People with the outcome (share) or events (events per person) in the cohort."""
    treated_rate: Fraction
    comparison_rate: Fraction
    comparison_people: int | None
    comparison_count: int | None
    comparison_source: str
    effect: Fraction
    gate: Fraction
    passed_gate: bool
    pooled_effect: Fraction
    pooled_gate: Fraction | None
    passed_pooled_gate: bool
    events_avoided: Fraction
    units: Fraction
    """What the line pays for: 1 (per cohort), the people (per participant) or events avoided."""
    unit_price: Money
    per: str
    """``"cohort"``, ``"participant"`` (a tier per participant) or ``"event"`` (per event avoided)."""
    payment_minor: Fraction
    """The exact payment of the cohort in minor units (before rounding and caps); zero if not paid."""
    currency: str

    @property
    def paid(self) -> bool:
        """True if the cohort was paid."""
        return (self.passed_gate or self.passed_pooled_gate) and self.payment_minor > 0

    @property
    def payment(self) -> Money:
        """The cohort's payment before rounding and caps, to the minor unit (half up)."""
        return Money.from_minor_units(
            math.floor(self.payment_minor + Fraction(1, 2)), self.currency
        )

    def words(self) -> str:
        """Why this cohort was paid or not, in one sentence."""
        pct = _pct
        verb = self.direction if self.effect >= 0 else "change"
        if self.measure == "share":
            rates = (
                f"treated {pct(self.treated_rate)} of {self.people}, "
                f"comparison {pct(self.comparison_rate)}"
            )
        else:
            rates = (
                f"treated {_per_100(self.treated_rate)} events per 100 of {self.people}, "
                f"comparison {_per_100(self.comparison_rate)} per 100"
            )
        head = f"{self.cohort}: {verb} {pct(self.effect)} ({rates})"
        pooled_verb = f"pooled {self.direction}"
        if self.passed_gate:
            tail = f"at or above its {pct(self.gate)} gate"
        elif self.passed_pooled_gate:
            tail = (
                f"below its {pct(self.gate)} gate; {pooled_verb} {pct(self.pooled_effect)}, "
                f"at or above {pct(self.pooled_gate or Fraction(0))}"
            )
        else:
            pooled = (
                f"; {pooled_verb} {pct(self.pooled_effect)}, below {pct(self.pooled_gate)}"
                if self.pooled_gate is not None
                else ""
            )
            tail = f"below its {pct(self.gate)} gate{pooled}"
        if not self.paid:
            return f"{head}, {tail}: no payment"
        if self.per == "event":
            what = "events avoided" if self.direction == "reduction" else "events gained"
            how = f"{_num(self.units)} {what} x {self.unit_price} = {self.payment}"
        elif self.per == "participant":
            how = f"{_num(self.units)} participants x {self.unit_price} = {self.payment}"
        else:
            how = f"{self.payment}"
        return f"{head}, {tail}: {how}"


def _num(q: Fraction) -> str:
    if q.denominator == 1:
        return f"{q.numerator:,}"
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d == 1:  # an exact decimal
        exact = Decimal(q.numerator) / Decimal(q.denominator)
        return f"{exact.normalize():,f}"
    return f"{float(q):,.3f} (= {q.numerator}/{q.denominator})"


def _per_100(q: Fraction) -> str:
    value = q * 100
    return f"{value.numerator}" if value.denominator == 1 else f"{float(value):.1f}"


def _pct(q: Fraction) -> str:
    value = q * 100
    return f"{float(value):.1f}%" if value.denominator != 1 else f"{value.numerator}%"


@attrs.frozen
class BonusFigures:
    """The figures behind a target bonus of one cohort (in one scenario), reached or not."""

    rule: str
    scenario: int
    cohort: str
    outcome: str
    people: int
    """The cohort's settled participants."""
    quantity: Fraction
    """The cohort's total of the outcome earned by the data cut-off."""
    target: Fraction
    """The target in units of the outcome (``target_share`` x ``people`` for a share)."""
    target_share: Fraction | None
    reached_on: date | None
    bonus: Money

    @property
    def paid(self) -> bool:
        """True if the target was reached (the bonus is earned on ``reached_on``)."""
        return self.reached_on is not None

    def words(self) -> str:
        """Whether the cohort reached its target, in one sentence.

        >>> BonusFigures("b", 0, "a", "housed", 41, Fraction(20), Fraction(41, 2), Fraction(1, 2),
        ...              None, Money(10000, "GBP")).words()
        'a: 20 housed of a target of 20.5 (1/2 of 41 settled participants): not reached, no bonus'
        """
        share = (
            f" ({self.target_share} of {self.people} settled participants)"
            if self.target_share is not None
            else ""
        )
        head = (
            f"{self.cohort}: {_num(self.quantity)} {self.outcome} of a target of "
            f"{_num(self.target)}{share}"
        )
        if self.reached_on is None:
            return f"{head}: not reached, no bonus"
        return f"{head}: reached on {self.reached_on.isoformat()}, bonus {self.bonus}"


@attrs.frozen
class ComparisonFigures:
    """What a comparison group measured for one effect rule, per cohort (nothing is paid).

    Settle a comparison group's register with the treatment's contract and
    ``role="comparison"``; give that settlement to the treatment's settlement
    as ``comparison=``, and each cohort is compared with its own figures.
    """

    rule: str
    scenario: int
    cohort: str
    outcome: str
    measured_on: date
    measure: str
    people: int
    with_outcome: int
    """People with at least one event of the outcome by ``measured_on``."""
    events: int | Fraction
    """The outcome's quantity by ``measured_on`` (events, for a recorded event)."""

    @property
    def share(self) -> Fraction:
        """The share of people with the outcome."""
        return Fraction(self.with_outcome, self.people)

    @property
    def events_per_person(self) -> Fraction:
        """Events per person."""
        return Fraction(self.events) / self.people

    @property
    def paid(self) -> bool:
        """A comparison group is never paid."""
        return False

    def group(
        self, source: str = "comparison group settled under the same outcomes"
    ) -> ComparisonGroup:
        """The comparison of the rule's ``measure``, from these counts."""
        if self.measure == "events_per_person":
            return ComparisonGroup(
                self.events_per_person,
                self.people,
                source,
                measure=self.measure,
                count=int(self.events) if Fraction(self.events).denominator == 1 else None,
            )
        return ComparisonGroup.from_counts(
            people=self.people, with_outcome=self.with_outcome, source=source
        )

    def words(self) -> str:
        """The measured figures in one sentence.

        >>> ComparisonFigures("e", 0, "a", "reconvicted", date(2014, 6, 30), "share", 1000,
        ...                   600, 1550).words()
        'a: comparison group of 1000, 600 with reconvicted (60%), 1,550 events (155 per 100): nothing paid'
        """
        return (
            f"{self.cohort}: comparison group of {self.people}, {self.with_outcome} with "
            f"{self.outcome} ({_pct(self.share)}), {_num(Fraction(self.events))} events "
            f"({_per_100(self.events_per_person)} per 100): nothing paid"
        )


@attrs.frozen
class MetricFigures:
    """One metric of a weighted achievement payment, for one cohort."""

    outcome: str
    quantity: Fraction
    target: Fraction
    achievement: Fraction
    """``quantity / target`` before the cap."""
    counted: Fraction
    """The achievement counted: at most ``max_achievement``."""
    max_achievement: Fraction
    weight: Fraction


@attrs.frozen
class AchievementFigures:
    """The figures behind a weighted achievement payment of one cohort (in one scenario)."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    people: int
    metrics: tuple[MetricFigures, ...]
    share: Fraction
    """The share of ``full_payment`` earned: sum of weight x counted achievement."""
    full_payment: Money
    payment_minor: Fraction

    @property
    def paid(self) -> bool:
        return self.payment_minor > 0

    def words(self) -> str:
        """The weighted achievement in one sentence."""
        parts = []
        for m in self.metrics:
            capped = f", counted {_pct(m.counted)}" if m.counted != m.achievement else ""
            parts.append(
                f"{m.outcome} {_num(m.quantity)} of {_num(m.target)} ({_pct(m.achievement)}"
                f"{capped}) x {m.weight}"
            )
        money = Money.from_minor_units(
            math.floor(self.payment_minor + Fraction(1, 2)), self.full_payment.currency
        )
        tail = f"{money}" if self.paid else "no payment"
        return (
            f"{self.cohort}: {' + '.join(parts)} = {_pct(self.share)} of {self.full_payment}: "
            f"{tail}"
        )


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
    people = g.people().reshape(n_scen, g.n_cohorts)[:, ci]
    # Running totals are whole numerators: reaching the target is reaching its ceiling.
    targets = [rule.target_for(int(people[s])) for s in range(n_scen)]
    threshold = np.array([math.ceil(t * m.den) for t in targets], dtype=np.int64)
    # A cohort with nobody settled has no share to reach.
    live = people > 0
    groups: list[int] = []
    days: list[int] = []
    if n_scen * n_days <= 2**25:
        per_day = exact_bincount(keys, items.num[mine], n_scen * n_days).reshape(n_scen, n_days)
        running = np.cumsum(per_day, axis=1)
        reached = (running >= threshold[:, None]) & live[:, None]
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
        done = (running >= threshold[s_of]) & live[s_of]
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
    totals = exact_bincount(scen, items.num[mine], n_scen)
    reached_day = dict(zip((gi // g.n_cohorts for gi in groups), days, strict=True))
    figures = [
        BonusFigures(
            rule=rule.id,
            scenario=int(scenario),
            cohort=rule.cohort,
            outcome=rule.outcome,
            people=int(people[si]),
            quantity=Fraction(int(totals[si]), m.den),
            target=targets[si],
            target_share=rule.target_share,
            reached_on=date.fromordinal(reached_day[si]) if si in reached_day else None,
            bonus=rule.bonus,
        )
        for si, scenario in enumerate(g.scenarios.tolist())
    ]
    return block, figures


def _comparison(
    rule: EffectTierPayment, labels: list[str], given: Any
) -> dict[str, ComparisonGroup]:
    def from_tuple(item: Any) -> ComparisonGroup:
        if isinstance(item, ComparisonGroup):
            return item
        people, count = item
        if rule.measure == "events_per_person":
            return ComparisonGroup.from_events(people=people, events=count)
        return ComparisonGroup.from_counts(people=people, with_outcome=count)

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
                out[label] = from_tuple(given[label])
            return out
        return _from_settlement(rule, labels, given)
    own = rule.comparison_group()
    if own is None:
        raise SettlementError(
            f"rule {rule.id} has no comparison rate and settle() was given no comparison",
            field="comparison",
            clause=rule.clause or None,
            rule="an effect is measured against a published rate or a comparison panel",
        )
    return dict.fromkeys(labels, own)


def _from_settlement(
    rule: EffectTierPayment, labels: list[str], given: Any
) -> dict[str, ComparisonGroup]:
    """Each cohort's comparison from a settlement of the comparison group, cohort by cohort.

    A settlement with ``role="comparison"`` kept :class:`ComparisonFigures`; a
    treatment settlement kept :class:`EffectFigures` with the same counts.
    """
    source = "comparison group settled under the same outcomes"
    found: dict[str, ComparisonGroup] = {}
    for f in getattr(given, "figures", ()):
        if f.rule != rule.id or f.cohort not in labels or f.cohort in found:
            continue
        if isinstance(f, ComparisonFigures):
            found[f.cohort] = attrs.evolve(f, measure=rule.measure).group(source)
        elif isinstance(f, EffectFigures) and f.measure == rule.measure:
            if rule.measure == "share":
                found[f.cohort] = ComparisonGroup.from_counts(
                    people=f.people, with_outcome=int(f.count), source=source
                )
            else:
                found[f.cohort] = ComparisonGroup(
                    f.treated_rate, f.people, source, measure=rule.measure
                )
    missing = [label for label in labels if label not in found]
    if missing:
        raise SettlementError(
            f"the comparison settlement has no figures of rule {rule.id} for cohort "
            f"{missing[0]!r} (settle the comparison group with the same contract, "
            'role="comparison", and as_of on or after the measurement date)',
            field="comparison",
            clause=rule.clause or None,
            rule="a comparison group is settled under the same outcomes, cohort by cohort",
        )
    return found


def comparison_figures(rule: EffectTierPayment, g: GroupContext) -> list[ComparisonFigures]:
    """A comparison group's figures for one effect rule: people, people with the outcome, events."""
    assert rule.measured_on is not None
    day = rule.measured_on.toordinal()
    if not g.obs.earned(np.array([day]))[0]:
        return []
    people, with_outcome, _ = effect_counts(attrs.evolve(rule, measure="share"), g, day)
    _, events, den = effect_counts(attrs.evolve(rule, measure="events_per_person"), g, day)
    labels = [c.label for c in g.contract.cohorts]
    out = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        for ci, label in enumerate(labels):
            gi = si * g.n_cohorts + ci
            if not rule.applies_to(label) or people[gi] == 0:
                continue
            out.append(
                ComparisonFigures(
                    rule=rule.id,
                    scenario=int(scenario),
                    cohort=label,
                    outcome=rule.outcome,
                    measured_on=rule.measured_on,
                    measure=rule.measure,
                    people=int(people[gi]),
                    with_outcome=int(with_outcome[gi]),
                    events=_count(int(events[gi]), den),
                )
            )
    return out


def effect_counts(rule: EffectTierPayment, g: GroupContext, day: int) -> tuple[I64, I64, int]:
    """Per (scenario, cohort) group: settled people and the count the rule measures by ``day``.

    The count is people with any of the outcome (measure ``share``) or the
    numerators of its quantity (``events_per_person``; over the returned
    denominator).
    """
    m = g.measured[rule.outcome]
    items = m.items
    upto = items.earned_on <= day
    rows = items.row[upto].astype(np.int64)
    if rule.measure == "share":
        had = np.zeros(len(g.cohort), dtype=bool)
        had[rows] = True
        hit = np.arange(len(g.cohort))[had]
        count = np.bincount(g.group_of_rows(hit), minlength=g.n_groups).astype(np.int64)
        den = 1
    else:
        count = exact_bincount(g.group_of_rows(rows), items.num[upto], g.n_groups)
        den = m.den
    return g.people(), count, den


@group_rule(EffectTierPayment)
def _effect_tiers(
    rule: EffectTierPayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort: its share with the outcome (or events per person) by ``measured_on``,
    against the comparison, through the rule's gates to its tier or price per event avoided."""
    from impactbond.settle.lines import concat

    assert rule.measured_on is not None
    day = rule.measured_on.toordinal()
    if not g.obs.earned(np.array([day]))[0]:
        return concat([]), []
    people, count, den = effect_counts(rule, g, day)
    labels = [c.label for c in g.contract.cohorts]
    mine = [ci for ci, label in enumerate(labels) if rule.applies_to(label)]
    parts = []
    figures: list[EffectFigures] = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        present = [ci for ci in mine if people[si * g.n_cohorts + ci] > 0]
        if not present:
            continue
        comparisons = _comparison(rule, [labels[ci] for ci in present], g.comparison)
        treated = {
            labels[ci]: (
                int(people[si * g.n_cohorts + ci]),
                _count(int(count[si * g.n_cohorts + ci]), den),
            )
            for ci in present
        }
        try:
            decisions = rule.evaluate(treated, comparisons)
        except InvalidContract as err:
            raise SettlementError(
                err.message, field=err.field, clause=err.clause, rule=err.rule
            ) from None
        for ci, d in zip(present, decisions, strict=True):
            gi = si * g.n_cohorts + ci
            figures.append(
                EffectFigures(
                    rule=rule.id,
                    scenario=int(scenario),
                    cohort=d.cohort,
                    measured_on=rule.measured_on,
                    measure=rule.measure,
                    direction=rule.direction,
                    people=d.people,
                    count=d.count,
                    treated_rate=d.treated_rate,
                    comparison_rate=d.comparison.rate,
                    comparison_people=d.comparison.people,
                    comparison_count=d.comparison.count,
                    comparison_source=d.comparison.source,
                    effect=d.effect,
                    gate=rule.gate,
                    passed_gate=d.passed_gate,
                    pooled_effect=d.pooled_effect,
                    pooled_gate=rule.pooled_gate,
                    passed_pooled_gate=d.passed_pooled_gate,
                    events_avoided=d.events_avoided,
                    units=d.units,
                    unit_price=d.unit_price,
                    per="event"
                    if rule.price_per_event_avoided is not None
                    else ("participant" if rule.per_participant else "cohort"),
                    payment_minor=d.amount_minor if d.paid else Fraction(0),
                    currency=g.contract.currency,
                )
            )
            if not d.paid:
                continue
            units = _exact_quantity(d.units, rule)
            parts.append(
                g.group_lines(
                    index,
                    np.array([gi], dtype=np.int64),
                    np.array([day], dtype=np.int64),
                    outcome=g.outcome_index(rule.outcome),
                    quantity_num=units.numerator,
                    quantity_den=units.denominator,
                    price=price_fraction(
                        d.unit_price, field="tiers", clause=rule.clause, rule_id=rule.id
                    ),
                )
            )
    return concat(parts), figures


_INT64 = 2**63 - 1


def _exact_quantity(q: Fraction, rule: Any) -> Fraction:
    """``q`` as a line quantity: its numerator and denominator must fit the int64 columns."""
    if abs(q.numerator) > _INT64 or q.denominator > _INT64:
        raise SettlementError(
            f"rule {rule.id}: the exact quantity {q} does not fit a line (int64 numerator and "
            "denominator); state the terms with smaller denominators",
            field="payment_rules",
            clause=rule.clause or None,
            rule="a line's exact quantity fits 64-bit integers",
        )
    return q


def _count(num: int, den: int) -> int | Fraction:
    q = Fraction(num, den)
    return q.numerator if q.denominator == 1 else q


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


@group_rule(WeightedAchievementPayment)
def _weighted_achievement(
    rule: WeightedAchievementPayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort on ``measured_on``: ``full_payment`` x the weighted, capped achievements."""
    from impactbond.settle.lines import concat

    day = rule.measured_on.toordinal()
    if not g.obs.earned(np.array([day]))[0]:
        return concat([]), []
    people = g.people()
    totals = {}
    for m in rule.metrics:
        measured = g.measured[m.outcome]
        items = measured.items
        upto = items.earned_on <= day
        rows = items.row[upto].astype(np.int64)
        sums = exact_bincount(g.group_of_rows(rows), items.num[upto], g.n_groups)
        totals[m.outcome] = (sums, measured.den)
    labels = [c.label for c in g.contract.cohorts]
    price = price_fraction(
        rule.full_payment, field="full_payment", clause=rule.clause, rule_id=rule.id
    )
    parts = []
    figures = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        for ci, label in enumerate(labels):
            gi = si * g.n_cohorts + ci
            n_people = int(people[gi])
            if not rule.applies_to(label) or n_people == 0:
                continue
            quantities = {oid: Fraction(int(sums[gi]), den) for oid, (sums, den) in totals.items()}
            metrics = []
            for m in rule.metrics:
                target = m.target_for(n_people)
                metrics.append(
                    MetricFigures(
                        outcome=m.outcome,
                        quantity=quantities[m.outcome],
                        target=target,
                        achievement=quantities[m.outcome] / target,
                        counted=m.achievement(quantities[m.outcome], n_people),
                        max_achievement=m.max_achievement,
                        weight=m.weight,
                    )
                )
            share = rule.share(quantities, n_people)
            figures.append(
                AchievementFigures(
                    rule=rule.id,
                    scenario=int(scenario),
                    cohort=label,
                    measured_on=rule.measured_on,
                    people=n_people,
                    metrics=tuple(metrics),
                    share=share,
                    full_payment=rule.full_payment,
                    payment_minor=share * price,
                )
            )
            if share > 0 and price > 0:
                share = _exact_quantity(share, rule)
                parts.append(
                    g.group_lines(
                        index,
                        np.array([gi], dtype=np.int64),
                        np.array([day], dtype=np.int64),
                        quantity_num=share.numerator,
                        quantity_den=share.denominator,
                        price=price,
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
