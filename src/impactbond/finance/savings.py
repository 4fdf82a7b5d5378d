"""Public savings: avoided benefit weeks, state reimbursement (refusion), tax gains.

A Danish municipality pays a benefit and gets part of it back from the state
(*refusion*), at a share that falls with the length of the benefit spell.  A
week of benefit avoided therefore saves the municipality only the part it does
not get back.  :class:`RefusionSchedule` holds those shares as dated
parameters (benefit, week bands, ``valid_from``, clause);
:func:`municipal_net_cost` prices benefit weeks net of refusion; and
:class:`SavingsShare` pays a share of savings measured against a control group
(family 3 of the payment designs; see the Koto-SIB page of the docs).

All amounts are exact: shares are :class:`~fractions.Fraction`, money is
rounded once, at the end, with the contract's :class:`~impactbond.money.Rounding`.

>>> from datetime import date
>>> sick = RefusionSchedule.sickness_benefit_example()
>>> [str(sick.share_in_week(w)) for w in (1, 4, 5, 26, 27, 52, 53, 200)]
['4/5', '4/5', '2/5', '2/5', '3/10', '3/10', '1/5', '1/5']
>>> municipal_net_cost(60, Money(4500, "DKK"), sick)
Money('173700.00', 'DKK')
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import attrs
import numpy as np
from attrs import validators as v

from impactbond.domain.terms import (
    RefusionBand,
    RefusionSchedule,
    check_share_of_savings,
    exact_fraction,
)
from impactbond.errors import InvalidInput
from impactbond.money import Money, Rounding, round_fraction_to_minor

__all__ = [
    "RefusionBand",
    "RefusionSchedule",
    "SavingsShare",
    "municipal_net_cost",
    "municipal_net_saving",
    "round_money",
    "share_of",
]


def round_money(
    amount: Money, factor: Fraction | int, rounding: Rounding = Rounding.HALF_UP
) -> Money:
    """``amount x factor`` rounded once to minor units (exact until the rounding).

    >>> round_money(Money(100, "DKK"), Fraction(1, 3))
    Money('33.33', 'DKK')
    """
    f = Fraction(factor)
    numerator = np.array([amount.minor_units * f.numerator], dtype=object)
    minor = round_fraction_to_minor(numerator, f.denominator, rounding)
    return Money.from_minor_units(int(minor[0]), amount.currency)


def share_of(amount: Money, share: Fraction, rounding: Rounding = Rounding.HALF_UP) -> Money:
    """A share (0 to 1) of an amount, rounded once.

    >>> share_of(Money("7038120", "EUR"), Fraction(1, 2))
    Money('3519060.00', 'EUR')
    """
    return round_money(amount, share, rounding)


def municipal_net_cost(
    weeks: int | Iterable[int],
    weekly_rate: Money,
    schedule: RefusionSchedule,
    *,
    rounding: Rounding = Rounding.HALF_UP,
) -> Money:
    """The municipality's cost of benefit weeks, net of the state's refusion.

    Parameters
    ----------
    weeks:
        The benefit weeks: ``n`` means weeks 1 to ``n`` of the spell; an
        iterable gives the week numbers themselves (e.g. ``range(27, 40)``).
    weekly_rate:
        The benefit paid per week.
    schedule:
        The refusion schedule of the benefit.

    Notes
    -----
    :math:`\\sum_w \\text{rate} \\times (1 - \\text{refusion}(w))`, exact, rounded once.

    Examples
    --------
    >>> sick = RefusionSchedule.sickness_benefit_example()
    >>> municipal_net_cost(4, Money(1000, "DKK"), sick)   # 4 x 20 %
    Money('800.00', 'DKK')
    >>> municipal_net_cost(range(5, 7), Money(1000, "DKK"), sick)   # 2 x 60 %
    Money('1200.00', 'DKK')
    """
    numbers = range(1, weeks + 1) if isinstance(weeks, int) else weeks
    factor = sum((1 - schedule.share_in_week(w) for w in numbers), Fraction(0))
    return round_money(weekly_rate, factor, rounding)


def municipal_net_saving(
    avoided_weeks: int | Iterable[int],
    weekly_rate: Money,
    schedule: RefusionSchedule,
    payments: Money,
    *,
    rounding: Rounding = Rounding.HALF_UP,
) -> Money:
    """The outcome payer's net saving: benefit avoided (net of refusion) minus outcome payments.

    Positive: the contract saved the municipality money (received, in the
    sign convention of :mod:`impactbond.finance`); negative: it cost more than
    it saved.

    >>> sick = RefusionSchedule.sickness_benefit_example()
    >>> municipal_net_saving(60, Money(4500, "DKK"), sick, Money(150000, "DKK"))
    Money('23700.00', 'DKK')
    """
    return municipal_net_cost(avoided_weeks, weekly_rate, schedule, rounding=rounding) - payments


@attrs.frozen
class SavingsShare:
    """Pay a share of the public savings measured against a control group.

    The net saving per person is what the treated group produced for the
    public purse over the comparison: the tax gain minus the change in
    transfers (a fall in transfers is a saving).  The payment is ``share`` of
    the net saving of all ``participants``; a negative saving pays nothing.

    >>> rule = SavingsShare("koto", clause="7", share=Fraction(1, 2))
    >>> print(rule.net_saving_per_person(Money(1330, "EUR"), Money(-1340, "EUR")))
    EUR 2,670.00
    >>> print(rule.payment(2636, Money(1330, "EUR"), Money(-1340, "EUR")))
    EUR 3,519,060.00
    >>> SavingsShare("x", clause="7", share=Fraction(3, 2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impactbond.errors.InvalidContract: share 3/2 is outside [0, 1] [field=share, ...]
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    clause: str = attrs.field(default="", validator=v.instance_of(str), kw_only=True)
    share: Fraction = attrs.field(converter=exact_fraction, kw_only=True)
    rounding: Rounding = attrs.field(default=Rounding.HALF_UP, converter=Rounding, kw_only=True)
    kind: str = attrs.field(default="savings_share", init=False)

    def __attrs_post_init__(self) -> None:
        check_share_of_savings(self.share, self.clause)

    @staticmethod
    def net_saving_per_person(tax_gain: Money, transfer_change: Money) -> Money:
        """Tax gain minus the change in transfers, per person, against the control group."""
        return tax_gain - transfer_change

    def net_saving(self, participants: int, tax_gain: Money, transfer_change: Money) -> Money:
        """The net saving of the whole group (per-person difference x participants)."""
        if participants < 0:
            raise InvalidInput("a negative number of participants", field="participants")
        return self.net_saving_per_person(tax_gain, transfer_change) * participants

    def payment(self, participants: int, tax_gain: Money, transfer_change: Money) -> Money:
        """``share`` of the net saving, rounded once; zero when there is no saving."""
        saving = self.net_saving(participants, tax_gain, transfer_change)
        if saving.amount <= 0:
            return Money.zero(saving.currency)
        return share_of(saving, self.share, self.rounding)
