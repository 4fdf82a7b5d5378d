"""Effect against a counterfactual: what the rule does not do itself (family 2).

The payment term is :class:`~impactbond.domain.payment.EffectTierPayment`: its
:meth:`~impactbond.domain.payment.EffectTierPayment.evaluate` is what
:func:`impactbond.settle` runs per cohort (the effect, the gates, the tier or
the events avoided), so there is one implementation of the term.  This module
adds what a rule does not answer by itself: the smallest effect that covers a
cost (:func:`break_even`), for pricing and for investors.

>>> from fractions import Fraction as F
>>> from impactbond.domain.payment import EffectTierPayment
>>> from impactbond.money import Money
>>> rule = EffectTierPayment("reoffending", clause="6", outcome="reconvicted",
...     direction="reduction", gate=F(1, 10), pooled_gate=F(3, 40), comparison_rate=F(1, 2),
...     tiers=[Tier(F(0), F(1, 5), Money(1000, "GBP")), Tier(F(1, 5), None, Money(2000, "GBP"))])
>>> [c.effect for c in rule.evaluate({"cohort_1": (100, 45)})]
[Fraction(1, 10)]
>>> break_even(rule, Money(1500, "GBP"))
Fraction(1, 5)
"""

from __future__ import annotations

from fractions import Fraction

from impactbond.domain.payment import EffectTierPayment
from impactbond.domain.terms import ComparisonGroup, Tier, TierTable
from impactbond.errors import InvalidInput
from impactbond.money import Money

__all__ = ["ComparisonGroup", "Tier", "TierTable", "break_even"]


def break_even(
    rule: EffectTierPayment,
    cost: Money,
    participants: int = 1,
    *,
    comparison_rate: Fraction | None = None,
) -> Fraction | None:
    """The smallest effect at which ``rule`` pays a cohort at least ``cost`` (None: it never does).

    Parameters
    ----------
    rule:
        The payment term, as :func:`impactbond.settle` runs it.
    cost:
        What the payment must cover (for the cohort).
    participants:
        The cohort's settled participants (a tier per participant, or events
        avoided per person).
    comparison_rate:
        For a rule paid per event avoided: the comparison rate (default the
        rule's own).

    Notes
    -----
    By tier: the lowest tier whose payment (times ``participants`` with
    ``per_participant``) covers the cost, and no lower than the gate.  Per
    event avoided, for a reduction :math:`e` against a comparison rate
    :math:`r_c`, the events avoided are :math:`e\\,r_c\\,n` (for an increase,
    gained), so the payment covers the cost from
    :math:`e = \\text{cost} / (\\text{price}\\,r_c\\,n)`, and no lower than the gate.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> rule = EffectTierPayment("e", outcome="o", gate=F(1, 20), comparison_rate=F(1, 2),
    ...     tiers=[Tier(0, F(1, 10), Money(500, "EUR")), Tier(F(1, 10), None, Money(900, "EUR"))])
    >>> break_even(rule, Money(600, "EUR")), break_even(rule, Money(400, "EUR"))
    (Fraction(1, 10), Fraction(1, 20))
    >>> per_event = EffectTierPayment("p", outcome="o", measure="events_per_person",
    ...     direction="reduction", comparison_rate=F(3, 2), gate=F(1, 10),
    ...     price_per_event_avoided=Money(2000, "GBP"))
    >>> break_even(per_event, Money(420_000, "GBP"), 1000)   # 420,000 / (2,000 x 1.5 x 1,000)
    Fraction(7, 50)
    """
    if participants <= 0:
        raise InvalidInput("a cohort has at least one participant", field="participants")
    if rule.price_per_event_avoided is not None:
        rate = comparison_rate
        if rate is None:
            own = rule.comparison_group()
            rate = None if own is None else own.rate
        if rate is None or rate <= 0:
            raise InvalidInput(
                "a rule paid per event avoided needs a comparison rate above zero to break even",
                field="comparison_rate",
                clause=rule.clause or None,
            )
        price = rule.price_per_event_avoided.minor_units
        if price == 0:
            return None if cost.minor_units > 0 else rule.gate
        needed = Fraction(cost.minor_units, 1) / (price * rate * participants)
        if rule.direction == "reduction" and needed > 1:
            return None  # more than every event would have to be avoided
        return max(needed, rule.gate)
    for t in rule.table.tiers:
        pay = t.payment * participants if rule.per_participant else t.payment
        if pay >= cost:
            return max(t.from_effect, rule.gate)
    return None
