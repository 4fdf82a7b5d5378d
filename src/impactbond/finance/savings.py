"""Public savings: avoided benefit weeks, state reimbursement (refusion), tax gains.

A Danish municipality pays a benefit and gets part of it back from the state
(*refusion*), at a share that falls with the length of the benefit spell.  A
week of benefit avoided therefore saves the municipality only the part it does
not get back.  :class:`RefusionSchedule` holds those shares as dated
parameters (benefit, week bands, ``valid_from``, clause);
:func:`municipal_net_cost` prices benefit weeks net of refusion.  The payment
term that shares savings measured against a control group (family 3) is
:class:`~impactbond.domain.payment.SavingsSharePayment`, run by
:func:`impactbond.settle` (see the Koto-SIB page of the docs).

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

import numpy as np

from impactbond.domain.terms import (
    RefusionBand,
    RefusionSchedule,
)
from impactbond.money import Money, Rounding, round_fraction_to_minor

__all__ = [
    "RefusionBand",
    "RefusionSchedule",
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
