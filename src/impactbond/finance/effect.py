"""Payment by effect size against a counterfactual (family 2 of the payment designs).

The treated cohort's outcome rate is compared with a comparison group's rate
(published rates, or counted from a second panel with
:meth:`ComparisonGroup.from_settlement`).  The effect is a relative reduction
(reconvictions, benefit weeks) or a relative increase (employment).  Gates say
the minimum effect below which nothing is paid, per cohort and pooled over
cohorts; a :class:`TierTable` maps effect sizes to payments; and
:meth:`EffectTiers.break_even` finds the smallest effect whose payment covers a
cost.

Effects and rates are exact fractions; payments are exact money.

>>> from fractions import Fraction as F
>>> from impactbond.money import Money
>>> rule = EffectTiers(
...     "reoffending", clause="6", direction="reduction",
...     gate=F(1, 10), pooled_gate=F(3, 40),
...     tiers=TierTable([Tier(F(0), F(1, 5), Money(1000, "GBP")),
...                      Tier(F(1, 5), None, Money(2000, "GBP"))], clause="6"))
>>> rule.effect(treated_rate=F(45, 100), comparison=ComparisonGroup.from_rate(F(1, 2)))
Fraction(1, 10)
>>> print(rule.tiers.payment_for(F(1, 4)))
GBP 2,000.00
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import attrs
from attrs import validators as v

from impactbond.domain.terms import (
    ComparisonGroup,
    Tier,
    TierTable,
    check_gates,
    exact_fraction,
    optional_exact_fraction,
)
from impactbond.errors import InvalidContract
from impactbond.money import Money

__all__ = [
    "CohortEffect",
    "ComparisonGroup",
    "EffectResult",
    "EffectTiers",
    "Tier",
    "TierTable",
]


@attrs.frozen
class CohortEffect:
    """One cohort's measured effect and whether it passed the gate."""

    cohort: str
    treated_rate: Fraction
    comparison_rate: Fraction
    effect: Fraction
    passed_gate: bool
    payment: Money


@attrs.frozen
class EffectResult:
    """Effects per cohort and pooled, and the money due."""

    cohorts: tuple[CohortEffect, ...]
    pooled_effect: Fraction
    passed_pooled_gate: bool
    total: Money


@attrs.frozen
class EffectTiers:
    """Pay by the size of the effect against a comparison group, through gates and tiers.

    ``direction``: ``"reduction"`` (effect = 1 - treated / comparison) or
    ``"increase"`` (effect = treated / comparison - 1).  ``gate``: the minimum
    effect of a cohort; ``pooled_gate``: the minimum effect pooled over all
    cohorts (weighted by cohort size).  A cohort is paid its tier when it
    passes its gate *or* the pooled effect passes the pooled gate (as in the
    Peterborough bond: 10 % per cohort, or 7.5 % over all cohorts).
    ``per_participant``: a tier's payment is per participant of the cohort
    (else per cohort).
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    direction: str = attrs.field(
        default="increase", validator=v.in_(("increase", "reduction")), kw_only=True
    )
    tiers: TierTable = attrs.field(validator=v.instance_of(TierTable), kw_only=True)
    gate: Fraction = attrs.field(default=Fraction(0), converter=exact_fraction, kw_only=True)
    pooled_gate: Fraction | None = attrs.field(
        default=None, converter=optional_exact_fraction, kw_only=True
    )
    per_participant: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    kind: str = attrs.field(default="effect_tiers", init=False)

    def __attrs_post_init__(self) -> None:
        check_gates(self.tiers, self.clause, gate=self.gate, pooled_gate=self.pooled_gate)

    def effect(self, treated_rate: Fraction, comparison: ComparisonGroup) -> Fraction:
        """The relative effect of a treated rate against the comparison group."""
        if comparison.rate == 0:
            raise InvalidContract(
                "a comparison rate of zero gives no relative effect",
                field="comparison",
                clause=self.clause or None,
                rule="a relative effect needs a comparison rate above zero",
            )
        ratio = Fraction(treated_rate) / comparison.rate
        return 1 - ratio if self.direction == "reduction" else ratio - 1

    def evaluate(
        self,
        treated: Mapping[str, tuple[int, int]],
        comparison: ComparisonGroup | Mapping[str, ComparisonGroup],
    ) -> EffectResult:
        """Effects and payments of cohorts ``{label: (people, with_outcome)}``.

        ``comparison``: one group for all cohorts or one per cohort.
        """
        rows = []
        people_total = 0
        pooled_comparison = Fraction(0)
        pooled_treated = Fraction(0)
        for label, (people, with_outcome) in treated.items():
            if people <= 0 or not 0 <= with_outcome <= people:
                raise InvalidContract(
                    f"cohort {label} has {people} people, {with_outcome} with the outcome",
                    field="treated",
                    clause=self.clause or None,
                    rule="a treated cohort has people, and between none and all have the outcome",
                )
            group = ComparisonGroup.from_counts(people=people, with_outcome=with_outcome)
            comp = comparison[label] if isinstance(comparison, Mapping) else comparison
            rows.append((label, people, group.rate, comp))
            people_total += people
            pooled_treated += people * group.rate
            pooled_comparison += people * comp.rate
        pooled = self.effect(
            pooled_treated / people_total, ComparisonGroup(pooled_comparison / people_total)
        )
        pooled_ok = self.pooled_gate is not None and pooled >= self.pooled_gate
        out = []
        total = Money.zero(self.tiers.currency)
        for label, people, rate, comp in rows:
            e = self.effect(rate, comp)
            ok = e >= self.gate or pooled_ok
            pay = self.tiers.payment_for(e) if ok else Money.zero(self.tiers.currency)
            if self.per_participant:
                pay = pay * people
            total += pay
            out.append(CohortEffect(label, rate, comp.rate, e, ok, pay))
        return EffectResult(tuple(out), pooled, pooled_ok, total)

    def break_even(self, cost: Money, participants: int = 1) -> Fraction | None:
        """The smallest effect whose payment covers ``cost`` (None: no tier does).

        >>> from fractions import Fraction as F
        >>> rule = EffectTiers("e", gate=F(1, 20), tiers=TierTable(
        ...     [Tier(0, F(1, 10), Money(500, "EUR")), Tier(F(1, 10), None, Money(900, "EUR"))]))
        >>> rule.break_even(Money(600, "EUR"))
        Fraction(1, 10)
        >>> rule.break_even(Money(400, "EUR"))   # the first tier would, but the gate is 5 %
        Fraction(1, 20)
        """
        for t in self.tiers.tiers:
            pay = t.payment * participants if self.per_participant else t.payment
            if pay >= cost:
                return max(t.from_effect, self.gate)
        return None
