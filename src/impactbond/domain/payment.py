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
from fractions import Fraction
from typing import Any

import attrs
from attrs import validators as v

from impactbond.errors import InvalidContract
from impactbond.money import Money

__all__ = [
    "Cap",
    "CapScope",
    "PaymentRule",
    "PaymentSchedule",
    "PricePerUnit",
    "TargetBonus",
]


def _tuple_of_str(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(x) for x in value)


def _optional_fraction(value: Any) -> Fraction | None:
    if value is None:
        return None
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


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
        default=None, converter=_optional_fraction, kw_only=True
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


PaymentRule = PricePerUnit | TargetBonus
"""Any payment rule (a tagged union in contract files, tag ``kind``)."""

PAYMENT_RULE_KINDS: dict[str, type[Any]] = {
    "price_per_unit": PricePerUnit,
    "target_bonus": TargetBonus,
}


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
        default=None, converter=_optional_fraction, kw_only=True
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

    invoice_months: int = attrs.field(default=3, validator=v.and_(v.instance_of(int), v.gt(0)))
    verification_lag_days: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0))
    )
