"""The money between the parties: fees, top-ups, return caps, guarantees (families 4 and 5).

A :class:`Waterfall` takes the outcome payments of a settlement (dated money
owed by the outcome payer) and the investor's funding schedule and books every
transfer between the parties in a :class:`~impactbond.finance.CashFlows`
ledger:

1. the investor funds the provider (``investments``);
2. the outcome payer pays fixed, activity or delivery fees straight to the
   provider (``fees``: the hybrid part of a contract);
3. each outcome payment goes to the investor, split between the local payer
   and a central fund (:class:`TopUp`), but only as far as a
   :class:`ReturnCap` allows: what would lift the investor above the cap stays
   with the payers;
4. on the day the guarantee is called (at maturity, at final determination or
   on a named date), a :class:`Guarantee` covers part of the investor's loss,
   if any.

Every step is a transfer, so the flows of all parties add up to zero.  Money
is exact (minor units); a return cap as an IRR grows each amount by
``(1 + irr) ** years`` with the years counted under the cap's
:class:`~impactbond.calendar.DayCount`: exactly, in fractions, where every
span is a whole number of years (whole years; three calendar years under
actual/actual or 30/360), otherwise in 40-digit decimals; either way rounded
down to the minor unit, so the cap is never passed.

>>> from datetime import date
>>> from fractions import Fraction as F
>>> w = Waterfall(investments=[(date(2020, 1, 1), Money(1000, "EUR"))],
...               return_cap=ReturnCap(multiple=F(6, 5), clause="9"))
>>> flows = w.run([(date(2022, 1, 1), Money(1500, "EUR"))])
>>> {p: str(m) for p, m in flows.by_party().items()}
{'investor': 'EUR 200.00', 'provider': 'EUR 1,000.00', 'payer': 'EUR -1,200.00'}
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
from attrs import validators as v

from impactbond.calendar import year_fraction
from impactbond.domain.terms import (
    DatedAmount,
    Guarantee,
    GuaranteeCall,
    ReturnCap,
    TopUp,
    check_call_date,
)
from impactbond.errors import AmbiguousDate, InvalidContract
from impactbond.finance.cashflows import CashFlows
from impactbond.money import Money, allocate, allocate_minor, exact_sum

__all__ = [
    "Guarantee",
    "GuaranteeCall",
    "ReturnCap",
    "TopUp",
    "Waterfall",
    "cash_flows",
    "delivery_fees",
    "irr_cap_room",
    "payments_by_due_date",
]

Dated = tuple[date, Money]


def _dated(value: Iterable[Any]) -> tuple[Dated, ...]:
    return tuple(sorted(((d, m) for d, m in value), key=lambda dm: dm[0]))


def delivery_fees(contract_value: Money, share: Fraction, dates: Sequence[date]) -> list[Dated]:
    """A delivery fee of ``share`` of the contract value, in equal instalments on ``dates``.

    The instalments add up exactly to the fee (largest remainder).

    >>> from datetime import date
    >>> [str(m) for _, m in delivery_fees(Money(1000, "EUR"), Fraction(1, 3),
    ...                                   [date(2020, 1, 1), date(2020, 7, 1)])]
    ['EUR 166.67', 'EUR 166.66']
    """
    if not 0 <= share <= 1:
        raise InvalidContract(
            f"a delivery fee of {share} of the contract value is outside [0, 1]",
            field="share",
            rule="a share lies between 0 and 100 %",
        )
    f = Fraction(share)
    fee = Money.from_minor_units(
        contract_value.minor_units * f.numerator // f.denominator, contract_value.currency
    )
    return list(zip(dates, allocate(fee, [1] * len(dates)), strict=True))


def payments_by_due_date(settlement: Any, *, due_only: bool = False) -> list[Dated]:
    """A settlement's outcome payments as ``(due date, Money)``, one per due date.

    ``settlement`` is an :class:`impactbond.Settlement`; every accrued line
    counts (with ``due_only``: only lines due at its ``as_of``), dated on the
    day it falls due.  The result is what :meth:`Waterfall.run` takes.

    >>> from datetime import date
    >>> import impactbond as ib
    >>> contract, people, trajectories = ib.examples.nyborg()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    >>> payments = payments_by_due_date(s, due_only=True)
    >>> sum((m for _, m in payments), Money.zero("DKK")) == s.total
    True
    """
    lines = settlement.lines
    mask = lines.due if due_only else slice(None)
    days = lines.due_on[mask]
    amounts = lines.amount[mask]
    out: list[Dated] = []
    for day in sorted(set(days.tolist())):
        minor = exact_sum(amounts[days == day])
        if minor:
            out.append((date.fromordinal(day), Money.from_minor_units(minor, settlement.currency)))
    return out


def irr_cap_room(
    cap: ReturnCap, investments: Sequence[Dated], received: Sequence[Dated], on: date
) -> int:
    """Minor units the investor may still receive on ``on`` under the cap's IRR.

    The investments made by ``on``, less the receipts, each grown at the cap's
    rate from its own date to ``on`` with the years counted under the cap's day
    count; rounded down.  Exact when every span is a whole number of years.

    >>> from datetime import date
    >>> from fractions import Fraction
    >>> from impactbond.calendar import DayCount
    >>> cap = ReturnCap(irr=Fraction(15, 100), day_count=DayCount.WHOLE_YEARS)
    >>> irr_cap_room(cap, [(date(2024, 1, 1), Money(1000, "DKK"))], [], date(2027, 1, 1))
    152087
    """
    assert cap.irr is not None and cap.day_count is not None
    signed = [(m.minor_units, d) for d, m in investments if d <= on]
    signed += [(-m.minor_units, d) for d, m in received]
    try:
        spans = [
            (minor, year_fraction(d, on, cap.day_count, cap.month_rounding)) for minor, d in signed
        ]
    except AmbiguousDate as error:
        raise AmbiguousDate(
            f"{error.message} (return cap counted in {cap.day_count.value})",
            field="month_rounding",
            clause=cap.clause or None,
            rule=error.rule,
        ) from None
    base = 1 + cap.irr
    if all(years.denominator == 1 for _, years in spans):
        return math.floor(
            sum((minor * base**years.numerator for minor, years in spans), Fraction(0))
        )
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        growth = Decimal(base.numerator) / Decimal(base.denominator)
        balance = Decimal(0)
        for minor, years in spans:
            balance += minor * growth ** (Decimal(years.numerator) / Decimal(years.denominator))
        return int(balance.to_integral_value(rounding=decimal.ROUND_FLOOR))


@attrs.frozen
class Waterfall:
    """Who pays whom: investment, fees, outcome payments (topped up, capped), guarantee.

    Parties are named by ``payer``, ``investor``, ``provider`` (and the
    :class:`TopUp`'s fund and the :class:`Guarantee`'s guarantor).
    ``maturity`` and ``final_determination`` are the contract's dates that
    date a guarantee called at maturity or at final determination
    (:func:`cash_flows` takes them from the contract).
    """

    investments: tuple[Dated, ...] = attrs.field(converter=_dated)
    fees: tuple[Dated, ...] = attrs.field(factory=tuple, converter=_dated)
    top_up: TopUp | None = attrs.field(default=None)
    return_cap: ReturnCap | None = attrs.field(default=None)
    guarantee: Guarantee | None = attrs.field(default=None)
    payer: str = attrs.field(default="payer", validator=v.instance_of(str))
    investor: str = attrs.field(default="investor", validator=v.instance_of(str))
    provider: str = attrs.field(default="provider", validator=v.instance_of(str))
    maturity: date | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(date)), kw_only=True
    )
    final_determination: date | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(date)), kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if not self.investments:
            raise InvalidContract("a waterfall needs the investor's funding", field="investments")
        if self.guarantee is not None:
            if self.return_cap is not None:
                for d, _ in self.investments:
                    self.return_cap.check_start(d)
            self.guarantee_call_date()

    def guarantee_call_date(self) -> date | None:
        """The day the guarantee is called (None: no guarantee).

        Raises :class:`~impactbond.errors.InvalidContract` when the date the
        guarantee names is not known to the waterfall, or lies before the last
        investment.
        """
        g = self.guarantee
        if g is None:
            return None
        day = g.call_date(maturity=self.maturity, final_determination=self.final_determination)
        check_call_date(g, day, [DatedAmount(d, m) for d, m in self.investments])
        return day

    @property
    def currency(self) -> str:
        """The currency of the investments."""
        return self.investments[0][1].currency

    def _check(self, what: str, amount: Money, clause: str | None = None) -> None:
        if amount.currency != self.currency:
            raise InvalidContract(
                f"{what} is in {amount.currency}, the investment in {self.currency}",
                field="currency",
                clause=clause,
                rule="one waterfall, one currency",
            )

    def _room(self, on: date, received: list[Dated]) -> int | None:
        """Minor units the investor may still receive on ``on`` (None: no cap)."""
        cap = self.return_cap
        if cap is None:
            return None
        rooms: list[int] = []
        if cap.multiple is not None:
            invested = sum(m.minor_units for _, m in self.investments)
            got = sum(m.minor_units for _, m in received)
            f = cap.multiple
            rooms.append(invested * f.numerator // f.denominator - got)
        if cap.irr is not None:
            rooms.append(irr_cap_room(cap, self.investments, received, on))
        return max(0, min(rooms))

    def run(self, outcome_payments: Iterable[Dated]) -> CashFlows:
        """Book every transfer; the guarantee pays on the day it is called.

        Parameters
        ----------
        outcome_payments:
            ``(date, Money)``: what the outcome payer owes for results, e.g.
            :func:`payments_by_due_date` of a settlement.

        Notes
        -----
        The investor's loss is measured on the guarantee's call date
        (:meth:`guarantee_call_date`), over the flows dated on or before it;
        the guarantor pays its cover on that date.
        """
        flows = CashFlows(self.currency)
        for d, m in self.investments:
            self._check("an investment", m)
            flows = flows.transfer(self.investor, self.provider, d, m, "investment")
        for d, m in self.fees:
            self._check("a fee", m)
            flows = flows.transfer(self.payer, self.provider, d, m, "fee")
        received: list[Dated] = []
        for d, m in _dated(outcome_payments):
            self._check("an outcome payment", m)
            room = self._room(d, received)
            minor = m.minor_units if room is None else min(m.minor_units, room)
            if minor <= 0:
                continue
            paid = Money.from_minor_units(minor, self.currency)
            received.append((d, paid))
            top = self.top_up
            if top is None or top.share == 0:
                flows = flows.transfer(self.payer, self.investor, d, paid, "outcome payment")
                continue
            s = top.share
            fund_part, local_part = allocate_minor(
                minor, [s.numerator, s.denominator - s.numerator]
            )
            for who, part in ((top.fund, fund_part), (self.payer, local_part)):
                if part:
                    flows = flows.transfer(
                        who,
                        self.investor,
                        d,
                        Money.from_minor_units(int(part), self.currency),
                        "outcome payment",
                    )
        if self.guarantee is not None:
            g = self.guarantee
            if g.limit is not None:
                self._check("the guarantee's limit", g.limit, g.clause or None)
            called = self.guarantee_call_date()
            assert called is not None
            position = sum(
                c.amount.minor_units for c in flows if c.party == self.investor and c.on <= called
            )
            cover = g.cover(Money.from_minor_units(-position, self.currency))
            if cover.amount > 0:
                flows = flows.transfer(g.guarantor, self.investor, called, cover, "guarantee")
        return flows


def cash_flows(settlement: Any, *, due_only: bool = False) -> CashFlows:
    """Every party's dated cash flows under the contract's own ``[financing]`` terms.

    The investor's investments, the delivery fee and the fee rules
    (:class:`~impactbond.domain.payment.FixedFee`,
    :class:`~impactbond.domain.payment.ActivityFee` paid to the provider) go
    to the provider; every other line of the settlement is an outcome payment
    to the investor, topped up and capped as the terms say; the guarantee
    pays on the day it is called (at the contract's maturity, its last day ``term_end``;
    at its :attr:`~impactbond.domain.contract.Contract.final_determination`;
    or on the named date).  Parties are named as in the contract.

    Parameters
    ----------
    settlement:
        An :class:`impactbond.Settlement` of a contract with ``financing``.
    due_only:
        Count only lines due at the settlement's ``as_of`` (default: every
        accrued line, dated on its due date).

    Examples
    --------
    >>> from datetime import date
    >>> import impactbond as ib
    >>> contract, people, trajectories, events = ib.examples.hybrid()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 1, 1), events=events)
    >>> flows = cash_flows(s)
    >>> flows.total().amount
    Decimal('0.00')
    """
    from impactbond.domain.payment import ActivityFee, FixedFee

    contract = settlement.contract
    terms = contract.financing
    if terms is None:
        raise InvalidContract(
            f"contract {contract.id} has no financing terms",
            field="financing",
            rule="cash flows need the contract's [financing] table",
        )
    to_provider = [
        isinstance(r, FixedFee | ActivityFee) and r.payee == "provider"
        for r in contract.payment_rules
    ]
    lines = settlement.lines
    mask = lines.due.copy() if due_only else lines.due | True
    fee_lines = mask & _rule_mask(lines.rule, to_provider)
    outcome_lines = mask & ~_rule_mask(lines.rule, to_provider)
    fees = _by_day(lines.due_on[fee_lines], lines.amount[fee_lines], contract.currency)
    if terms.delivery_fee is not None:
        d = terms.delivery_fee
        fees += delivery_fees(d.contract_value, d.share, list(d.dates))
    outcomes = _by_day(lines.due_on[outcome_lines], lines.amount[outcome_lines], contract.currency)
    parties = contract.parties
    return Waterfall(
        investments=[(i.on, i.amount) for i in terms.investments],
        fees=fees,
        top_up=terms.top_up,
        return_cap=terms.return_cap,
        guarantee=terms.guarantee,
        payer=parties.outcome_payer,
        investor=parties.investor,
        provider=parties.provider,
        maturity=contract.maturity,
        final_determination=contract.final_determination,
    ).run(outcomes)


def _rule_mask(rules: Any, flags: list[bool]) -> Any:
    return np.array([*flags, False], dtype=bool)[rules]


def _by_day(days: Any, amounts: Any, currency: str) -> list[Dated]:
    out: list[Dated] = []
    for day in sorted(set(days.tolist())):
        minor = exact_sum(amounts[days == day])
        if minor:
            out.append((date.fromordinal(day), Money.from_minor_units(minor, currency)))
    return out
