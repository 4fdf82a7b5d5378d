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
from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
from attrs import validators as v

from impactbond.domain.terms import (
    DatedAmount,
    RefusionSchedule,
    Tier,
    TierTable,
    check_gates,
    check_share_of_savings,
    exact_fraction,
    optional_exact_fraction,
)
from impactbond.errors import InvalidContract
from impactbond.money import Money

__all__ = [
    "PAYMENT_RULE_KINDS",
    "ActivityFee",
    "BenefitSaving",
    "Cap",
    "CapScope",
    "EffectTierPayment",
    "FixedFee",
    "PaymentRule",
    "PaymentSchedule",
    "PricePerUnit",
    "RuleReferences",
    "SavingsSharePayment",
    "TargetBonus",
    "references",
]


def _tuple_of_str(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(x) for x in value)


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


@attrs.frozen
class PricePerUnit:
    """A price for each unit of an outcome (a month, an event, a rung).

    ``cohorts`` limits the rule to some cohorts (empty: all).
    ``max_units_per_participant`` caps the units one person can be paid for.
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    price: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(factory=tuple, converter=_tuple_of_str, kw_only=True)
    max_units_per_participant: Fraction | None = attrs.field(
        default=None, converter=optional_exact_fraction, kw_only=True
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

    def applies_to(self, cohort: str) -> bool:
        """True if the rule prices outcomes of ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


@attrs.frozen
class TargetBonus:
    """A bonus paid once when a cohort's total of an outcome reaches ``target``."""

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    cohort: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    target: Fraction = attrs.field(converter=Fraction, kw_only=True)
    bonus: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    kind: str = attrs.field(default="target_bonus", init=False)

    def __attrs_post_init__(self) -> None:
        if self.target <= 0:
            raise InvalidContract(
                f"target {self.target} is not positive",
                field="target",
                clause=self.clause,
                rule="a bonus target is positive",
            )


def _tiers(value: Iterable[Any]) -> tuple[Tier, ...]:
    return tuple(t if isinstance(t, Tier) else Tier(*t) for t in value)


def _instalments(value: Iterable[Any]) -> tuple[DatedAmount, ...]:
    items = (i if isinstance(i, DatedAmount) else DatedAmount(*i) for i in value)
    return tuple(sorted(items, key=lambda i: i.on))


@attrs.frozen
class EffectTierPayment:
    """Pay by the size of an effect against a counterfactual (family 2).

    A cohort's *treated rate* is the share of its settled participants with
    any of ``outcome`` by the measurement date (``measured_on``, default the
    settlement's ``as_of``).  The comparison rate is the published
    ``comparison_rate`` of the contract, or a second panel given to
    :func:`impactbond.settle` as ``comparison=``.  The effect is a relative
    ``"reduction"`` (``1 - treated / comparison``) or ``"increase"``
    (``treated / comparison - 1``).  A cohort is paid its tier (per
    participant with ``per_participant``) when its effect reaches ``gate``
    or the effect pooled over the rule's cohorts reaches ``pooled_gate``.
    Each paid cohort gets one cohort-level line.

    >>> from fractions import Fraction as F
    >>> rule = EffectTierPayment("pay_effect", clause="6", outcome="reconviction",
    ...     direction="reduction", comparison_rate=F(1, 2), gate=F(1, 10),
    ...     tiers=[Tier(0, F(1, 5), Money(1000, "GBP")), Tier(F(1, 5), None, Money(2000, "GBP"))])
    >>> print(rule.table.payment_for(F(3, 20)))
    GBP 1,000.00
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    outcome: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers, kw_only=True)
    direction: str = attrs.field(
        default="increase", validator=v.in_(("increase", "reduction")), kw_only=True
    )
    gate: Fraction = attrs.field(default=Fraction(0), converter=exact_fraction, kw_only=True)
    pooled_gate: Fraction | None = attrs.field(
        default=None, converter=optional_exact_fraction, kw_only=True
    )
    per_participant: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    comparison_rate: Fraction | None = attrs.field(
        default=None, converter=optional_exact_fraction, kw_only=True
    )
    comparison_people: int | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(int)), kw_only=True
    )
    comparison_source: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    cohorts: tuple[str, ...] = attrs.field(factory=tuple, converter=_tuple_of_str, kw_only=True)
    measured_on: date | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(date)), kw_only=True
    )
    kind: str = attrs.field(default="effect_tiers", init=False)

    def __attrs_post_init__(self) -> None:
        table = self.table  # validates the tiers: monotone, no gaps, no overlaps
        clause = self.clause or None
        check_gates(table, self.clause, gate=self.gate, pooled_gate=self.pooled_gate)
        if self.comparison_people is not None and self.comparison_people <= 0:
            raise InvalidContract(
                "a comparison group with no people has no rate",
                field="comparison_people",
                clause=clause,
                rule="a comparison group has at least one person",
            )
        if self.comparison_rate is not None and not 0 < self.comparison_rate <= 1:
            raise InvalidContract(
                f"comparison rate {self.comparison_rate} is outside (0, 1]",
                field="comparison_rate",
                clause=clause,
                rule="a comparison rate lies above 0 and at most 1",
            )

    @property
    def table(self) -> TierTable:
        """The tiers as a validated :class:`~impactbond.domain.terms.TierTable`."""
        return TierTable(self.tiers, clause=self.clause)

    def applies_to(self, cohort: str) -> bool:
        """True if the rule measures ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


@attrs.frozen
class BenefitSaving:
    """Benefit weeks avoided per person, priced net of the state's refusion.

    ``weeks_per_person`` avoided weeks of ``benefit`` (counted from benefit
    week ``from_week`` of the spell) at ``weekly_rate``; the saving is the
    part the state does not reimburse under the refusion schedule in force on
    the measurement date.
    """

    benefit: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    weeks_per_person: Fraction = attrs.field(converter=exact_fraction)
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
    share: Fraction = attrs.field(converter=exact_fraction, kw_only=True)
    measured_on: date = attrs.field(validator=v.instance_of(date), kw_only=True)
    tax_gain_per_person: Money | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Money)), kw_only=True
    )
    transfer_change_per_person: Money | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Money)), kw_only=True
    )
    benefit_savings: tuple[BenefitSaving, ...] = attrs.field(
        factory=tuple, converter=tuple, kw_only=True
    )
    refusion: tuple[RefusionSchedule, ...] = attrs.field(
        factory=tuple, converter=tuple, kw_only=True
    )
    cohorts: tuple[str, ...] = attrs.field(factory=tuple, converter=_tuple_of_str, kw_only=True)
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
    cohorts: tuple[str, ...] = attrs.field(factory=tuple, converter=_tuple_of_str, kw_only=True)
    payee: str = attrs.field(
        default="provider", validator=v.in_(("provider", "investor")), kw_only=True
    )
    kind: str = attrs.field(default="activity_fee", init=False)

    def applies_to(self, cohort: str) -> bool:
        """True if the fee is paid for participants of ``cohort``."""
        return not self.cohorts or cohort in self.cohorts


PaymentRule = (
    PricePerUnit | TargetBonus | EffectTierPayment | SavingsSharePayment | FixedFee | ActivityFee
)
"""Any payment rule (a tagged union in contract files, tag ``kind``)."""

PAYMENT_RULE_KINDS: dict[str, type[Any]] = {
    "price_per_unit": PricePerUnit,
    "target_bonus": TargetBonus,
    "effect_tiers": EffectTierPayment,
    "savings_share": SavingsSharePayment,
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

    >>> references(ActivityFee("fee", fee=Money(100, "EUR"), cohorts="a")).cohorts
    ('a',)
    """
    if isinstance(rule, PricePerUnit):
        return RuleReferences((rule.outcome,), rule.cohorts, (rule.price,))
    if isinstance(rule, TargetBonus):
        return RuleReferences((rule.outcome,), (rule.cohort,), (rule.bonus,))
    if isinstance(rule, EffectTierPayment):
        return RuleReferences((rule.outcome,), rule.cohorts, tuple(t.payment for t in rule.tiers))
    if isinstance(rule, SavingsSharePayment):
        return RuleReferences((), rule.cohorts, tuple(rule.amounts()))
    if isinstance(rule, FixedFee):
        cohorts = () if rule.cohort is None else (rule.cohort,)
        return RuleReferences((), cohorts, tuple(i.amount for i in rule.instalments))
    return RuleReferences((), rule.cohorts, (rule.fee,))


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
    scope: CapScope = attrs.field(converter=CapScope, kw_only=True)
    amount: Money = attrs.field(validator=_non_negative_money, kw_only=True)
    rules: tuple[str, ...] = attrs.field(factory=tuple, converter=_tuple_of_str, kw_only=True)
    cohort: str | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(str)), kw_only=True
    )
    share_of_paid: Fraction | None = attrs.field(
        default=None, converter=optional_exact_fraction, kw_only=True
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
