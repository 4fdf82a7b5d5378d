"""Payment rules: how measured outcomes become money.

A contract prices outcomes with :class:`PricePerUnit` rules (per month, per
event, per rung), adds :class:`TargetBonus` payments when a cohort reaches a
target, limits money with :class:`Cap` (per participant, per cohort,
contract-wide) and pays on a :class:`PaymentSchedule`.  Every rule carries the
id of the clause it implements.

>>> from impactbond.money import Money
>>> rule = PricePerUnit("pay_months", clause="5.1", outcome="employment_months",
...                     price=Money("1500", "DKK"))
>>> rule.applies_to("sick_listed")
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

import attrs

from impactbond.domain import _validators as v
from impactbond.domain.terms import (
    MEASURES,
    ComparisonGroup,
    DatedAmount,
    RefusionSchedule,
    Tier,
    TierTable,
    check_gates,
    check_share_of_savings,
    check_target,
    target_in_units,
)
from impactbond.errors import InvalidContract
from impactbond.money import Money

__all__ = [
    "PAYMENT_RULE_KINDS",
    "AchievementMetric",
    "ActivityFee",
    "BenefitSaving",
    "Cap",
    "CapScope",
    "CohortEffect",
    "EffectTierPayment",
    "FixedFee",
    "PaymentRule",
    "PaymentSchedule",
    "PricePerUnit",
    "RuleReferences",
    "SavingsSharePayment",
    "TargetBonus",
    "WeightedAchievementPayment",
    "references",
]


def _non_negative_money(inst: Any, attribute: attrs.Attribute[Any], value: Money | None) -> None:
    if value is None:
        return
    if not isinstance(value, Money):
        raise InvalidContract(
            f"{attribute.name} must be Money, not {type(value).__name__}",
            field=attribute.name,
            clause=getattr(inst, "clause", None),
        )
    if value.amount < 0:
        raise InvalidContract(
            f"{attribute.name} {value} is negative",
            field=attribute.name,
            clause=getattr(inst, "clause", None),
            rule=f"a {attribute.name} is zero or more",
        )


def _cap_scope(value: Any) -> Any:
    return v.member(CapScope, value)


def _follow_up_prices(value: Any) -> tuple[tuple[int, Money], ...]:
    """``{months: Money}`` (or pairs) as pairs sorted by months."""
    if value is None:
        return ()
    items = value.items() if hasattr(value, "items") else value
    pairs: dict[int, Money] = {}
    for months, price in items:
        if isinstance(months, bool) or not isinstance(months, int):
            raise InvalidContract(
                f"follow-up {months!r} of a price by follow-up is not a whole number of months",
                field="price_by_follow_up",
                rule="prices by follow-up are keyed by the follow-up's months",
            )
        if months in pairs:
            raise InvalidContract(
                f"follow-up {months} is priced twice",
                field="price_by_follow_up",
                rule="one price per follow-up",
            )
        pairs[months] = price
    return tuple(sorted(pairs.items()))


@attrs.frozen
class PricePerUnit:
    """A price for each unit of an outcome (a month, an event, a rung).

    ``cohorts`` limits the rule to some cohorts (empty: all).
    ``max_units_per_participant`` caps the units one person can be paid for.
    ``price_by_follow_up`` prices the follow-ups of a
    :class:`~impactbond.domain.outcome.StatusAtFollowUp` outcome by their
    months (``{12: ..., 24: ...}``); a follow-up it does not name is paid
    ``price``.

    >>> rule = PricePerUnit("pay_fu", outcome="in_work", price=Money(0, "GBP"),
    ...                     price_by_follow_up={24: Money(900, "GBP"), 12: Money(600, "GBP")})
    >>> rule.price_of_follow_up(12), rule.price_of_follow_up(18)
    (Money('600', 'GBP'), Money('0', 'GBP'))
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    price: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    max_units_per_participant: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )
    price_by_follow_up: tuple[tuple[int, Money], ...] = attrs.field(
        factory=tuple, converter=_follow_up_prices, kw_only=True
    )
    kind: str = attrs.field(default="price_per_unit", init=False)

    def __attrs_post_init__(self) -> None:
        if self.max_units_per_participant is not None and self.max_units_per_participant < 0:
            raise InvalidContract(
                "max_units_per_participant is negative",
                field="max_units_per_participant",
                clause=self.clause,
                rule="a unit cap is zero or more",
            )
        for months, price in self.price_by_follow_up:
            if not isinstance(price, Money) or price.amount < 0:
                raise InvalidContract(
                    f"{self.id}: the price of the follow-up at {months} months is not money of "
                    "zero or more",
                    field="price_by_follow_up",
                    clause=self.clause or None,
                    rule="a price is zero or more",
                )

    def price_of_follow_up(self, months: int) -> Money:
        """The price of one follow-up (``price`` where ``price_by_follow_up`` names none)."""
        return dict(self.price_by_follow_up).get(months, self.price)

    def applies_to(self, cohort: str) -> bool:
        """True if the rule prices outcomes of ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


@attrs.frozen
class TargetBonus:
    """A bonus paid once when a cohort's total of an outcome reaches its target.

    The target is ``target`` units of ``outcome`` (an absolute count), or
    ``target_share`` of the cohort's settled participants (``1/2``: half as
    many units as the cohort has participants admitted and not excluded at
    the evaluation date; "at least 50 % of participants self-sufficient").
    Exactly one of the two is given.

    >>> bonus = TargetBonus("half", clause="5", outcome="self_sufficient", cohort="a",
    ...     target_share=Fraction(1, 2), bonus=Money(10000, "DKK"))
    >>> bonus.target_for(people=41)
    Fraction(41, 2)
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    cohort: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    target: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )
    target_share: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )
    bonus: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    kind: str = attrs.field(default="target_bonus", init=False)

    def __attrs_post_init__(self) -> None:
        check_target(self.target, self.target_share, self.clause)

    def target_for(self, people: int) -> Fraction:
        """The target in units of the outcome, for a cohort of ``people`` settled participants."""
        return target_in_units(self.target, self.target_share, people)


def _tiers(value: Iterable[Any]) -> tuple[Tier, ...]:
    return tuple(t if isinstance(t, Tier) else Tier(*t) for t in value)


def _instalments(value: Iterable[Any]) -> tuple[DatedAmount, ...]:
    items = (i if isinstance(i, DatedAmount) else DatedAmount(*i) for i in value)
    return tuple(sorted(items, key=lambda i: i.on))


@attrs.frozen
class CohortEffect:
    """One cohort's measured effect, the gates it met, and what it is paid.

    ``count`` is the cohort's people with the outcome (measure ``share``) or
    its events (``events_per_person``); ``units`` and ``unit_price`` are the
    payment line (1 cohort, ``people`` participants, or the events avoided;
    the tier's payment or the price per event avoided), both zero-priced
    when the cohort is not paid.  ``amount_minor`` is exact.
    """

    cohort: str
    people: int
    count: int | Fraction
    treated_rate: Fraction
    comparison: ComparisonGroup
    effect: Fraction
    passed_gate: bool
    pooled_effect: Fraction
    passed_pooled_gate: bool
    events_avoided: Fraction
    """(comparison rate - cohort rate) x people for a reduction (the other way for an increase)."""
    units: Fraction
    unit_price: Money

    @property
    def paid(self) -> bool:
        """True if the cohort passed a gate and its payment is above zero."""
        return (self.passed_gate or self.passed_pooled_gate) and self.amount_minor > 0

    @property
    def amount_minor(self) -> Fraction:
        """units x unit price in minor units, exactly (rounded only at the contract's stage)."""
        return self.units * self.unit_price.minor_units


@attrs.frozen
class EffectTierPayment:
    """Pay by the size of an effect against a counterfactual (family 2).

    ``measure`` is what is compared: ``"share"`` (the share of a cohort's
    settled participants with any of ``outcome`` by ``measured_on``) or
    ``"events_per_person"`` (the cohort's events of ``outcome`` per settled
    participant, as reoffending contracts count reconvictions per 100
    people).  The comparison is the published ``comparison_rate`` of the
    contract (a share, or events per person), counts of a comparison group
    (``comparison_events`` and ``comparison_people``: people with the outcome
    or events, by ``measure``), or a second panel given to
    :func:`impactbond.settle` as ``comparison=``.  The effect is a relative
    ``"reduction"`` (``1 - treated / comparison``) or ``"increase"``
    (``treated / comparison - 1``).  A cohort is paid when its effect reaches
    ``gate`` or the effect pooled over the rule's cohorts reaches
    ``pooled_gate``: by the tier of its effect (``tiers``, per participant with
    ``per_participant``) or, with ``price_per_event_avoided``, that price
    times the events avoided, ``(comparison rate - cohort rate) x people``,
    exactly.  Each paid cohort gets one cohort-level line.

    >>> from fractions import Fraction as F
    >>> rule = EffectTierPayment("pay_effect", clause="6", outcome="reconviction",
    ...     direction="reduction", comparison_rate=F(1, 2), gate=F(1, 10),
    ...     tiers=[Tier(0, F(1, 5), Money(1000, "GBP")), Tier(F(1, 5), None, Money(2000, "GBP"))])
    >>> print(rule.table.payment_for(F(3, 20)))
    GBP 1,000.00
    >>> per_event = EffectTierPayment("per_event", clause="6", outcome="reconviction",
    ...     measure="events_per_person", direction="reduction", gate=F(1, 10),
    ...     comparison_events=1500, comparison_people=1000,
    ...     price_per_event_avoided=Money(2000, "GBP"))
    >>> [c.events_avoided for c in per_event.evaluate({"a": (1000, 1290)})]   # (1.5 - 1.29) x 1000
    [Fraction(210, 1)]
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    tiers: tuple[Tier, ...] = attrs.field(factory=tuple, converter=_tiers, kw_only=True)
    price_per_event_avoided: Money | None = attrs.field(
        default=None, validator=_non_negative_money, kw_only=True
    )
    measure: str = attrs.field(default="share", validator=v.in_(MEASURES), kw_only=True)
    direction: str = attrs.field(
        default="increase", validator=v.in_(("increase", "reduction")), kw_only=True
    )
    gate: Fraction = attrs.field(
        default=Fraction(0), converter=v.as_fraction, validator=v.exact_number, kw_only=True
    )
    pooled_gate: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )
    per_participant: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    comparison_rate: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )
    comparison_people: int | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(int)), kw_only=True
    )
    comparison_events: int | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(int)), kw_only=True
    )
    comparison_source: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    measured_on: date | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(date)), kw_only=True
    )
    kind: str = attrs.field(default="effect_tiers", init=False)

    def __attrs_post_init__(self) -> None:
        clause = self.clause or None

        def bad(message: str, field: str, rule: str) -> InvalidContract:
            return InvalidContract(message, field=field, clause=clause, rule=rule)

        if bool(self.tiers) == (self.price_per_event_avoided is not None):
            raise bad(
                "give exactly one of tiers and price_per_event_avoided",
                "tiers" if not self.tiers else "price_per_event_avoided",
                "an effect is paid by tier or per event avoided, not both or neither",
            )
        if self.tiers:
            table = self.table  # validates the tiers: monotone, no gaps, no overlaps
            check_gates(table, self.clause, gate=self.gate, pooled_gate=self.pooled_gate)
        if self.comparison_people is not None and self.comparison_people <= 0:
            raise bad(
                "a comparison group with no people has no rate",
                "comparison_people",
                "a comparison group has at least one person",
            )
        share = self.measure == "share"
        if self.comparison_rate is not None:
            if self.comparison_events is not None:
                raise bad(
                    "give the comparison as comparison_rate or as comparison_events and "
                    "comparison_people, not both",
                    "comparison_events",
                    "one comparison per rule",
                )
            if self.comparison_rate <= 0 or (share and self.comparison_rate > 1):
                raise bad(
                    f"comparison rate {self.comparison_rate} is outside "
                    + ("(0, 1]" if share else "(0, infinity)"),
                    "comparison_rate",
                    "a comparison share lies above 0 and at most 1"
                    if share
                    else "a comparison rate of events per person is above 0",
                )
        if self.comparison_events is not None:
            people = self.comparison_people
            if people is None:
                raise bad(
                    "comparison_events without comparison_people gives no rate",
                    "comparison_people",
                    "a counted comparison names its events and its people",
                )
            if self.comparison_events <= 0 or (share and self.comparison_events > people):
                raise bad(
                    f"{self.comparison_events} comparison events for {people} people",
                    "comparison_events",
                    "a counted comparison has at least one event"
                    + (" and at most one person with the outcome per person" if share else ""),
                )

    @property
    def table(self) -> TierTable:
        """The tiers as a validated :class:`~impactbond.domain.terms.TierTable`."""
        return TierTable(self.tiers, clause=self.clause)

    @property
    def currency(self) -> str:
        """The currency the rule pays in."""
        if self.price_per_event_avoided is not None:
            return self.price_per_event_avoided.currency
        return self.table.currency

    def applies_to(self, cohort: str) -> bool:
        """True if the rule measures ``cohort``."""
        return not self.cohorts or cohort in self.cohorts

    def comparison_group(self) -> ComparisonGroup | None:
        """The contract's own comparison (published rate or counts); None: given at settlement."""
        source = self.comparison_source
        if self.comparison_events is not None:
            assert self.comparison_people is not None
            if self.measure == "share":
                return ComparisonGroup.from_counts(
                    people=self.comparison_people,
                    with_outcome=self.comparison_events,
                    source=source,
                )
            return ComparisonGroup.from_events(
                people=self.comparison_people, events=self.comparison_events, source=source
            )
        if self.comparison_rate is None:
            return None
        return ComparisonGroup(
            self.comparison_rate, self.comparison_people, source, measure=self.measure
        )

    def effect(self, treated_rate: Fraction, comparison_rate: Fraction) -> Fraction:
        """The relative effect of a treated rate against a comparison rate (above zero)."""
        if comparison_rate == 0:
            raise InvalidContract(
                "a comparison rate of zero gives no relative effect",
                field="comparison",
                clause=self.clause or None,
                rule="a relative effect needs a comparison rate above zero",
            )
        ratio = Fraction(treated_rate) / comparison_rate
        return 1 - ratio if self.direction == "reduction" else ratio - 1

    def evaluate(
        self,
        treated: Mapping[str, tuple[int, int | Fraction]],
        comparison: ComparisonGroup | Mapping[str, ComparisonGroup] | None = None,
    ) -> tuple[CohortEffect, ...]:
        """The effect, gates and payment of cohorts ``{label: (people, count)}``.

        ``count``: people with the outcome (measure ``share``) or events
        (``events_per_person``).  ``comparison``: one group for all cohorts, one
        per cohort, or (None) the contract's own.  This is what
        :func:`impactbond.settle` runs for each scenario.
        """
        own = self.comparison_group()
        rows = []
        total = 0
        pooled_t = pooled_c = Fraction(0)
        for label, (people, count) in treated.items():
            if people <= 0 or count < 0 or (self.measure == "share" and count > people):
                raise InvalidContract(
                    f"cohort {label} has {people} people and a count of {count}",
                    field="treated",
                    clause=self.clause or None,
                    rule="a treated cohort has people, and a count between none and "
                    + ("all of them" if self.measure == "share" else "any number of events"),
                )
            comp = comparison[label] if isinstance(comparison, Mapping) else comparison or own
            if comp is None:
                raise InvalidContract(
                    f"rule {self.id} has no comparison for cohort {label}",
                    field="comparison",
                    clause=self.clause or None,
                    rule="an effect is measured against a published rate or a comparison group",
                )
            if comp.measure != self.measure:
                raise InvalidContract(
                    f"the comparison of cohort {label} is measured as {comp.measure}, "
                    f"the rule as {self.measure}",
                    field="comparison",
                    clause=self.clause or None,
                    rule="an effect compares like with like",
                )
            rate = Fraction(count) / people
            rows.append((label, people, count, rate, comp))
            total += people
            pooled_t += count
            pooled_c += people * comp.rate
        if not rows:
            return ()
        pooled = self.effect(pooled_t / total, pooled_c / total)
        pooled_ok = self.pooled_gate is not None and pooled >= self.pooled_gate
        sign = 1 if self.direction == "reduction" else -1
        out = []
        for label, people, count, rate, comp in rows:
            e = self.effect(rate, comp.rate)
            ok = e >= self.gate or pooled_ok
            avoided = sign * (comp.rate - rate) * people
            if self.price_per_event_avoided is not None:
                price = self.price_per_event_avoided
                units = max(avoided, Fraction(0)) if ok else Fraction(0)
            else:
                price = self.table.payment_for(e) if ok else Money.zero(self.currency)
                units = Fraction(people if self.per_participant else 1)
            out.append(
                CohortEffect(
                    label,
                    people,
                    count,
                    rate,
                    comp,
                    e,
                    e >= self.gate,
                    pooled,
                    pooled_ok,
                    avoided,
                    units,
                    price,
                )
            )
        return tuple(out)


@attrs.frozen
class BenefitSaving:
    """Benefit weeks avoided per person, priced net of the state's refusion.

    ``weeks_per_person`` avoided weeks of ``benefit`` (counted from benefit
    week ``from_week`` of the spell) at ``weekly_rate``; the saving is the
    part the state does not reimburse under the refusion schedule in force on
    the measurement date.
    """

    benefit: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    weeks_per_person: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number)
    weekly_rate: Money = attrs.field(validator=_non_negative_money)
    from_week: int = attrs.field(default=1, validator=v.and_(v.instance_of(int), v.ge(1)))

    def net_factor(self, schedule: RefusionSchedule | None) -> Fraction:
        """Weeks avoided times the municipality's share (1 - refusion), exactly."""
        weeks = self.weeks_per_person
        if schedule is None:
            return weeks
        total, week, left = Fraction(0), self.from_week, abs(weeks)
        while left > 0:
            part = min(left, Fraction(1))
            total += part * (1 - schedule.share_in_week(week))
            left -= part
            week += 1
        return total if weeks >= 0 else -total


@attrs.frozen
class SavingsSharePayment:
    """Pay a share of the public savings measured against a control group (family 3).

    The net saving per person is ``tax_gain_per_person`` minus
    ``transfer_change_per_person`` (a fall in transfers is a saving) plus each
    :class:`BenefitSaving` net of refusion (``refusion``: dated schedules, the
    one in force on ``measured_on`` is used).  On ``measured_on`` each cohort
    of the rule is paid ``share`` of the saving per person times its settled
    participants, as one cohort-level line; no saving, no payment.

    >>> from datetime import date
    >>> rule = SavingsSharePayment("koto", clause="7", share=Fraction(1, 2),
    ...     measured_on=date(2022, 12, 31), tax_gain_per_person=Money(1330, "EUR"),
    ...     transfer_change_per_person=Money(-1340, "EUR"))
    >>> rule.saving_per_person("EUR")
    Fraction(267000, 1)
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    share: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number, kw_only=True)
    measured_on: date = attrs.field(validator=v.instance_of(date), kw_only=True)
    tax_gain_per_person: Money | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Money)), kw_only=True
    )
    transfer_change_per_person: Money | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Money)), kw_only=True
    )
    benefit_savings: tuple[BenefitSaving, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(BenefitSaving), kw_only=True
    )
    refusion: tuple[RefusionSchedule, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(RefusionSchedule), kw_only=True
    )
    cohorts: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    kind: str = attrs.field(default="savings_share", init=False)

    def __attrs_post_init__(self) -> None:
        check_share_of_savings(self.share, self.clause)
        benefits = {s.benefit for s in self.refusion}
        for saving in self.benefit_savings:
            if saving.benefit in benefits and not any(
                s.benefit == saving.benefit and s.valid_from <= self.measured_on
                for s in self.refusion
            ):
                raise InvalidContract(
                    f"no refusion schedule for {saving.benefit} is in force on {self.measured_on}",
                    field="refusion",
                    clause=self.clause or None,
                    rule="a dated parameter is looked up on a date it covers",
                )

    def amounts(self) -> list[Money]:
        """Every amount the rule names (for the contract's currency check)."""
        out = [m for m in (self.tax_gain_per_person, self.transfer_change_per_person) if m]
        return out + [s.weekly_rate for s in self.benefit_savings]

    def saving_per_person(self, currency: str) -> Fraction:
        """The exact net saving per person, in minor units of ``currency``."""
        total = Fraction(0)
        if self.tax_gain_per_person is not None:
            total += self.tax_gain_per_person.minor_units
        if self.transfer_change_per_person is not None:
            total -= self.transfer_change_per_person.minor_units
        for saving in self.benefit_savings:
            schedules = [s for s in self.refusion if s.benefit == saving.benefit]
            schedule = (
                RefusionSchedule.in_force(schedules, saving.benefit, self.measured_on)
                if schedules
                else None
            )
            total += saving.weekly_rate.minor_units * saving.net_factor(schedule)
        return total

    def applies_to(self, cohort: str) -> bool:
        """True if the rule pays for ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


@attrs.frozen
class AchievementMetric:
    """One metric of a :class:`WeightedAchievementPayment`: an outcome against its target.

    ``target`` (units of ``outcome``) or ``target_share`` (a share of the
    cohort's settled participants), exactly one; ``weight`` its weight in the
    payment; ``max_achievement`` the highest achievement counted (1: no
    credit above the target; 6/5: up to 120 %).
    """

    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    weight: Fraction = attrs.field(converter=v.as_fraction, validator=v.exact_number)
    target: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    target_share: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    max_achievement: Fraction = attrs.field(
        default=Fraction(1), converter=v.as_fraction, validator=v.exact_number
    )

    def target_for(self, people: int) -> Fraction:
        """The target in units of the outcome, for a cohort of ``people`` settled participants."""
        return target_in_units(self.target, self.target_share, people)

    def achievement(self, quantity: Fraction, people: int) -> Fraction:
        """``quantity / target``, capped at ``max_achievement``, exactly."""
        return min(Fraction(quantity) / self.target_for(people), self.max_achievement)


def _metrics(value: Iterable[Any]) -> tuple[AchievementMetric, ...]:
    return tuple(m if isinstance(m, AchievementMetric) else AchievementMetric(**m) for m in value)


@attrs.frozen
class WeightedAchievementPayment:
    """Pay a share of an amount by the achievement of weighted metrics against their targets.

    On ``measured_on`` each cohort of the rule is paid ``full_payment`` x
    the sum over ``metrics`` of ``weight x min(quantity / target,
    max_achievement)``, where ``quantity`` is the cohort's total of the
    metric's outcome earned by that day: one cohort-level line, exact until
    the contract's rounding.  The weights add up to 1, so ``full_payment``
    is what a cohort is paid when every metric meets its target exactly
    (more, up to the caps, when metrics may count above 100 %).

    >>> rule = WeightedAchievementPayment("pbr", clause="7", full_payment=Money(100000, "GBP"),
    ...     measured_on=date(2024, 3, 31), metrics=[
    ...         AchievementMetric("jobs", Fraction(4, 5), target=Fraction(80)),
    ...         AchievementMetric("training", Fraction(1, 5), target=Fraction(20),
    ...                           max_achievement=Fraction(6, 5))])
    >>> rule.share({"jobs": Fraction(60), "training": Fraction(30)}, people=100)
    Fraction(21, 25)
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    full_payment: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    metrics: tuple[AchievementMetric, ...] = attrs.field(converter=_metrics, kw_only=True)
    measured_on: date = attrs.field(validator=v.instance_of(date), kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    kind: str = attrs.field(default="weighted_achievement", init=False)

    def __attrs_post_init__(self) -> None:
        clause = self.clause or None
        if not self.metrics:
            raise InvalidContract(
                "a weighted achievement payment has at least one metric",
                field="metrics",
                clause=clause,
                rule="a payment by achievement names its metrics",
            )
        outcomes = [m.outcome for m in self.metrics]
        for i, m in enumerate(self.metrics):
            where = f"metrics[{i}]"
            if not 0 < m.weight <= 1:
                raise InvalidContract(
                    f"metric {m.outcome} has weight {m.weight}, outside (0, 1]",
                    field=f"{where}.weight",
                    clause=clause,
                    rule="a metric's weight lies above 0 and at most 1",
                )
            try:
                check_target(m.target, m.target_share, self.clause)
            except InvalidContract as err:
                raise InvalidContract(
                    f"metric {m.outcome}: {err.message}",
                    field=f"{where}.{err.field}",
                    clause=clause,
                    rule=err.rule,
                ) from None
            if m.max_achievement <= 0:
                raise InvalidContract(
                    f"metric {m.outcome} has max_achievement {m.max_achievement}",
                    field=f"{where}.max_achievement",
                    clause=clause,
                    rule="the highest achievement counted is above zero",
                )
            if m.outcome in outcomes[:i]:
                raise InvalidContract(
                    f"outcome {m.outcome} is measured by two metrics",
                    field=f"{where}.outcome",
                    clause=clause,
                    rule="each metric measures its own outcome",
                )
        total = sum((m.weight for m in self.metrics), Fraction(0))
        if total != 1:
            raise InvalidContract(
                f"the weights add up to {total}, not 1",
                field="metrics",
                clause=clause,
                rule="the weights of the metrics add up to 1",
            )

    def applies_to(self, cohort: str) -> bool:
        """True if the rule pays for ``cohort``."""
        return not self.cohorts or cohort in self.cohorts

    def share(self, quantities: Mapping[str, Fraction], people: int) -> Fraction:
        """The share of ``full_payment`` earned: the weighted sum of the capped achievements."""
        return sum(
            (m.weight * m.achievement(quantities[m.outcome], people) for m in self.metrics),
            Fraction(0),
        )


@attrs.frozen
class FixedFee:
    """Fixed amounts paid on dates whatever the results (family 4).

    Each instalment is earned on its date (when that date is before the
    settlement's ``as_of``) as one cohort-level line of ``cohort`` (default:
    the contract's first cohort), invoiced like any other line.  ``payee`` is
    who receives it in :func:`impactbond.finance.cash_flows`.
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    instalments: tuple[DatedAmount, ...] = attrs.field(converter=_instalments, kw_only=True)
    cohort: str | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(str)), kw_only=True
    )
    payee: str = attrs.field(
        default="provider", validator=v.in_(("provider", "investor")), kw_only=True
    )
    kind: str = attrs.field(default="fixed_fee", init=False)

    def __attrs_post_init__(self) -> None:
        if not self.instalments:
            raise InvalidContract(
                "a fixed fee has at least one instalment",
                field="instalments",
                clause=self.clause or None,
                rule="a fixed fee names its amounts and dates",
            )
        for item in self.instalments:
            if item.amount.amount < 0:
                raise InvalidContract(
                    f"an instalment of {item.amount} on {item.on} is negative",
                    field="instalments",
                    clause=self.clause or None,
                    rule="a fee is zero or more",
                )


@attrs.frozen
class ActivityFee:
    """A fee per participant enrolled, earned on the enrolment date (family 4).

    One line per settled participant of the rule's ``cohorts`` (empty: all)
    enrolled before ``as_of``.
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    fee: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    payee: str = attrs.field(
        default="provider", validator=v.in_(("provider", "investor")), kw_only=True
    )
    kind: str = attrs.field(default="activity_fee", init=False)

    def applies_to(self, cohort: str) -> bool:
        """True if the fee is paid for participants of ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


PaymentRule = (
    PricePerUnit
    | TargetBonus
    | EffectTierPayment
    | SavingsSharePayment
    | WeightedAchievementPayment
    | FixedFee
    | ActivityFee
)
"""Any payment rule (a tagged union in contract files, tag ``kind``)."""

PAYMENT_RULE_KINDS: dict[str, type[Any]] = {
    "price_per_unit": PricePerUnit,
    "target_bonus": TargetBonus,
    "effect_tiers": EffectTierPayment,
    "savings_share": SavingsSharePayment,
    "weighted_achievement": WeightedAchievementPayment,
    "fixed_fee": FixedFee,
    "activity_fee": ActivityFee,
}


@attrs.frozen
class RuleReferences:
    """What a payment rule refers to: outcomes, cohorts and amounts of money."""

    outcomes: tuple[str, ...]
    cohorts: tuple[str, ...]
    amounts: tuple[Money, ...]


def references(rule: PaymentRule) -> RuleReferences:
    """The outcomes, cohorts and money a rule names (the contract checks each one).

    >>> references(ActivityFee("fee", fee=Money(100, "EUR"), cohorts=["a"])).cohorts
    ('a',)
    """
    if isinstance(rule, PricePerUnit):
        amounts = (rule.price, *(p for _, p in rule.price_by_follow_up))
        return RuleReferences((rule.outcome,), rule.cohorts, amounts)
    if isinstance(rule, TargetBonus):
        return RuleReferences((rule.outcome,), (rule.cohort,), (rule.bonus,))
    if isinstance(rule, EffectTierPayment):
        prices = tuple(t.payment for t in rule.tiers)
        if rule.price_per_event_avoided is not None:
            prices += (rule.price_per_event_avoided,)
        return RuleReferences((rule.outcome,), rule.cohorts, prices)
    if isinstance(rule, SavingsSharePayment):
        return RuleReferences((), rule.cohorts, tuple(rule.amounts()))
    if isinstance(rule, WeightedAchievementPayment):
        outcomes = tuple(m.outcome for m in rule.metrics)
        return RuleReferences(outcomes, rule.cohorts, (rule.full_payment,))
    if isinstance(rule, FixedFee):
        cohorts = () if rule.cohort is None else (rule.cohort,)
        return RuleReferences((), cohorts, tuple(i.amount for i in rule.instalments))
    return RuleReferences((), rule.cohorts, (rule.fee,))


def unit_prices(rule: PaymentRule) -> tuple[tuple[str, Money], ...]:
    """The amounts of a rule that are prices of one unit or one event, by field.

    >>> unit_prices(PricePerUnit("p", outcome="o", price=Money("9.5", "EUR")))
    (('price', Money('9.5', 'EUR')),)
    """
    if isinstance(rule, PricePerUnit):
        return (("price", rule.price),)
    if isinstance(rule, TargetBonus):
        return (("bonus", rule.bonus),)
    if isinstance(rule, ActivityFee):
        return (("fee", rule.fee),)
    if isinstance(rule, EffectTierPayment):
        return tuple(("tiers", t.payment) for t in rule.tiers)
    if isinstance(rule, FixedFee):
        return tuple(("instalments", i.amount) for i in rule.instalments)
    return ()


class CapScope(enum.Enum):
    """Whose payments a cap limits."""

    PARTICIPANT = "participant"
    """Each participant's payments (a rate card's per-person cap)."""
    COHORT = "cohort"
    """Each cohort's payments (or only ``cohort``'s)."""
    CONTRACT = "contract"
    """All payments under the contract."""


@attrs.frozen
class Cap:
    """An upper limit on payments.

    Payments are counted in the order they were earned (earning date, then
    participant id, then rule order); the first payment that would pass the
    cap is cut to fit and every later one is cut to zero.  Each cut is kept on
    the line with the cap's id, so the statement shows which cap cut what.

    ``rules`` limits the cap to some payment rules (empty: all).

    A *mix cap* sets ``share_of_paid`` (scope ``contract`` only): the money
    of the lines it covers (its ``rules``, its ``cohort``: a route or a
    subgroup) may be at most that share of all money paid under the contract,
    besides never passing ``amount``.  Mix caps apply after the amount caps,
    and are applied again until every one holds, so cutting one subgroup
    cannot push another past its share.

    >>> from fractions import Fraction
    >>> Cap("mix", scope="contract", amount=Money(10**6, "GBP"), cohort="under_16",
    ...     share_of_paid=Fraction(2, 5)).share_of_paid
    Fraction(2, 5)
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    scope: CapScope = attrs.field(
        converter=_cap_scope, validator=v.member_of(CapScope), kw_only=True
    )
    amount: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    rules: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str), kw_only=True
    )
    cohort: str | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(str)), kw_only=True
    )
    share_of_paid: Fraction | None = attrs.field(
        default=None,
        converter=v.as_optional_fraction,
        validator=v.optional(v.exact_number),
        kw_only=True,
    )

    def __attrs_post_init__(self) -> None:
        if self.share_of_paid is None:
            return
        if not 0 < self.share_of_paid <= 1:
            raise InvalidContract(
                f"share_of_paid {self.share_of_paid} is outside (0, 1]",
                field="share_of_paid",
                clause=self.clause or None,
                rule="a mix cap allows a share above 0 and at most 100 % of the money paid",
            )
        if self.scope is not CapScope.CONTRACT:
            raise InvalidContract(
                f"mix cap {self.id} has scope {self.scope.value}",
                field="scope",
                clause=self.clause or None,
                rule="a mix cap (share_of_paid) has scope contract",
            )

    def covers(self, rule_id: str) -> bool:
        """True if the cap counts payments of ``rule_id``."""
        return not self.rules or rule_id in self.rules


@attrs.frozen
class PaymentSchedule:
    """When earned money is invoiced and due.

    Outcomes earned in an invoice period (``invoice_months`` long, counted
    from the contract start) are invoiced in arrears after the period closes,
    once ``verification_lag_days`` have passed for register data to settle.

    >>> PaymentSchedule(invoice_months=3, verification_lag_days=60).invoice_months
    3
    """

    # At most 100 years: bounded date arithmetic on any input.
    invoice_months: int = attrs.field(
        default=3, validator=v.and_(v.instance_of(int), v.gt(0), v.le(1200))
    )
    verification_lag_days: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0), v.le(36600))
    )
