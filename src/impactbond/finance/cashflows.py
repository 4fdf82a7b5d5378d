"""Dated cash flows of the parties, and the analysis of them.

Sign convention (used everywhere in :mod:`impactbond.finance`): **from each
party's own point of view, money received is positive and money paid out is
negative.**  A payment from the outcome payer to the investor is therefore two
flows, ``-x`` for the payer and ``+x`` for the investor, and the flows of all
parties add up to zero whenever money only moves between them
(:meth:`CashFlows.transfer` books both sides at once).

The amounts in a :class:`CashFlows` ledger are exact (int64 minor units).
:func:`npv`, :func:`irr`, :func:`xnpv`, :func:`xirr` are analysis, in floats;
they agree with numpy-financial (``npv``, ``irr``) and pyxirr (``xirr``,
``xnpv``), which the test suite checks.

>>> from datetime import date
>>> from impactbond.money import Money
>>> flows = CashFlows("EUR").transfer("investor", "provider", date(2020, 1, 1), Money(1000, "EUR"))
>>> flows = flows.transfer("payer", "investor", date(2022, 1, 1), Money(1210, "EUR"))
>>> flows.total("investor")
Money('210.00', 'EUR')
>>> round(flows.xirr("investor"), 4)
0.0999
>>> sum(flows.by_party().values(), Money.zero("EUR"))
Money('0.00', 'EUR')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.errors import CurrencyMismatch, InvalidInput
from impactbond.money import Money

__all__ = [
    "CashFlow",
    "CashFlows",
    "irr",
    "money_multiple",
    "npv",
    "payback_date",
    "xirr",
    "xnpv",
]

Number = int | float | Decimal | Fraction
I64 = npt.NDArray[np.int64]


@attrs.frozen
class CashFlow:
    """One dated amount for one party (received: positive, paid out: negative)."""

    party: str
    on: date
    amount: Money
    memo: str = ""


def _empty() -> I64:
    return np.zeros(0, dtype=np.int64)


@attrs.frozen(eq=False)
class CashFlows:
    """A ledger of dated money per party, held as columns.

    Build it with :meth:`transfer` (both sides of a payment, so the ledger
    stays balanced) or :meth:`add` (one side only, for money that comes from
    or goes to someone outside the ledger).  Each method returns a new ledger.

    >>> from datetime import date
    >>> f = CashFlows("GBP").transfer("payer", "investor", date(2021, 3, 1), Money(500, "GBP"))
    >>> [(c.party, str(c.amount)) for c in f]
    [('payer', 'GBP -500.00'), ('investor', 'GBP 500.00')]
    """

    currency: str
    party: tuple[str, ...] = ()
    day: I64 = attrs.field(factory=_empty)
    """Ordinal day numbers (``date.toordinal``)."""
    amount_minor: I64 = attrs.field(factory=_empty)
    memo: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.party)

    def __iter__(self) -> Iterator[CashFlow]:
        for i in range(len(self)):
            yield CashFlow(
                self.party[i],
                date.fromordinal(int(self.day[i])),
                Money.from_minor_units(int(self.amount_minor[i]), self.currency),
                self.memo[i],
            )

    def _check(self, amount: Money) -> None:
        if not isinstance(amount, Money):
            raise InvalidInput(f"a cash flow is Money, not {type(amount).__name__}", field="amount")
        if amount.currency != self.currency:
            raise CurrencyMismatch(
                f"a {amount.currency} flow in a {self.currency} ledger",
                field="currency",
                rule="one ledger, one currency",
            )

    def add(self, party: str, on: date, amount: Money, memo: str = "") -> CashFlows:
        """One flow for one party (positive: received, negative: paid out)."""
        self._check(amount)
        return CashFlows(
            self.currency,
            (*self.party, party),
            np.append(self.day, np.int64(on.toordinal())),
            np.append(self.amount_minor, np.int64(amount.minor_units)),
            (*self.memo, memo),
        )

    def transfer(
        self, payer: str, payee: str, on: date, amount: Money, memo: str = ""
    ) -> CashFlows:
        """``amount`` paid by ``payer`` to ``payee`` on ``on``: two flows that sum to zero."""
        return self.add(payer, on, -amount, memo).add(payee, on, amount, memo)

    def __add__(self, other: CashFlows) -> CashFlows:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot join a {other.currency} ledger to a {self.currency} ledger",
                field="currency",
            )
        return CashFlows(
            self.currency,
            self.party + other.party,
            np.concatenate((self.day, other.day)),
            np.concatenate((self.amount_minor, other.amount_minor)),
            self.memo + other.memo,
        )

    @property
    def parties(self) -> tuple[str, ...]:
        """The parties, in order of first appearance."""
        return tuple(dict.fromkeys(self.party))

    def of(self, party: str) -> tuple[list[date], list[Money]]:
        """One party's flows, netted per day and sorted by date."""
        mine = np.array([p == party for p in self.party], dtype=bool)
        days, where = np.unique(self.day[mine], return_inverse=True)
        net = np.zeros(len(days), dtype=np.int64)
        np.add.at(net, where, self.amount_minor[mine])
        return (
            [date.fromordinal(int(d)) for d in days],
            [Money.from_minor_units(int(a), self.currency) for a in net],
        )

    def total(self, party: str | None = None) -> Money:
        """Net money of one party (or of everyone: zero for a balanced ledger)."""
        if party is None:
            minor = int(self.amount_minor.sum())
        else:
            minor = sum(
                int(a) for p, a in zip(self.party, self.amount_minor, strict=True) if p == party
            )
        return Money.from_minor_units(minor, self.currency)

    def by_party(self) -> dict[str, Money]:
        """Net money of each party."""
        return {p: self.total(p) for p in self.parties}

    def _series(self, party: str) -> tuple[list[date], list[float]]:
        days, amounts = self.of(party)
        return days, [float(a.amount) for a in amounts]

    def xnpv(self, party: str, rate: float) -> float:
        """:func:`xnpv` of one party's flows."""
        return xnpv(rate, *self._series(party))

    def xirr(self, party: str) -> float | None:
        """:func:`xirr` of one party's flows."""
        return xirr(*self._series(party))

    def money_multiple(self, party: str) -> Fraction | None:
        """:func:`money_multiple` of one party's flows (exact)."""
        return money_multiple([a.amount for a in self.of(party)[1]])

    def payback_date(self, party: str) -> date | None:
        """:func:`payback_date` of one party's flows."""
        days, amounts = self.of(party)
        return payback_date(days, [a.amount for a in amounts])


# ---------------------------------------------------------------------------
# Periodic and dated analysis (floats)
# ---------------------------------------------------------------------------


def npv(rate: float, values: Sequence[Number]) -> float:
    """Net present value of flows at the ends of equal periods 0, 1, 2, ...

    Parameters
    ----------
    rate:
        The discount rate per period (0.05 for 5 %).
    values:
        The flows; ``values[0]`` is at time 0 and is not discounted.

    Returns
    -------
    float

    Notes
    -----
    :math:`\\mathrm{NPV} = \\sum_t v_t / (1 + r)^t`, the convention of
    ``numpy_financial.npv`` (and not of spreadsheets' ``NPV``, which discounts
    the first flow too).

    References
    ----------
    numpy-financial, ``npv``: https://numpy.org/numpy-financial/

    Examples
    --------
    >>> round(npv(0.1, [-1000, 1100, 121]), 6)
    100.0
    """
    r = float(rate)
    return float(sum(float(v) / (1 + r) ** t for t, v in enumerate(values)))


def _solve(f: Callable[[float], float], low: float = -0.999999, high: float = 1.0) -> float | None:
    """A root of ``f`` in (-1, inf) by bracketing and bisection (None without a sign change)."""
    f_low = f(low)
    while f(high) * f_low > 0:
        high = high * 2 + 1
        if high > 1e6:
            return None
    f_high = f(high)
    if f_low == 0:
        return low
    if f_high == 0:
        return high
    for _ in range(200):
        mid = (low + high) / 2
        f_mid = f(mid)
        if f_mid == 0 or high - low < 1e-15:
            return mid
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return (low + high) / 2


def _has_both_signs(values: Sequence[float]) -> bool:
    return any(v > 0 for v in values) and any(v < 0 for v in values)


def irr(values: Sequence[Number]) -> float | None:
    """Internal rate of return of flows at the ends of equal periods.

    Parameters
    ----------
    values:
        The flows, ``values[0]`` at time 0.

    Returns
    -------
    float or None
        The rate per period at which :func:`npv` is zero; None when the flows
        do not change sign (no rate makes them worth zero).  When there are
        several such rates, the one closest to zero (as ``numpy_financial.irr``).

    Notes
    -----
    Solves :math:`\\sum_t v_t x^t = 0` for :math:`x = 1/(1+r)` with
    :func:`numpy.roots` and keeps the real roots with :math:`r > -1`.

    Examples
    --------
    >>> round(irr([-100, 39, 59, 55, 20]), 6)
    0.280948
    >>> irr([100, 10]) is None
    True
    """
    flows = [float(v) for v in values]
    if not _has_both_signs(flows):
        return None
    # numpy.roots wants the highest power first: v_n x^n + ... + v_0.
    roots = np.roots(flows[::-1])
    real = roots[(np.abs(roots.imag) < 1e-10) & (roots.real > 0)].real
    if len(real) == 0:
        return None
    rates = 1 / real - 1
    return float(rates[np.argmin(np.abs(rates))])


def _years(dates: Sequence[date]) -> list[float]:
    first = min(dates)
    return [(d - first).days / 365 for d in dates]


def xnpv(rate: float, dates: Sequence[date], values: Sequence[Number]) -> float:
    """Net present value of dated flows (actual/365, discounted to the first date).

    Notes
    -----
    :math:`\\sum_i v_i / (1 + r)^{(d_i - d_0)/365}` with :math:`d_0` the earliest
    date; the convention of spreadsheets' ``XNPV`` and of ``pyxirr.xnpv``.

    Examples
    --------
    >>> from datetime import date
    >>> round(xnpv(0.1, [date(2021, 1, 1), date(2022, 1, 1)], [-1000, 1210]), 6)
    100.0
    """
    if len(dates) != len(values):
        raise InvalidInput("dates and values differ in length", field="dates")
    r = float(rate)
    return float(sum(float(v) / (1 + r) ** t for t, v in zip(_years(dates), values, strict=True)))


def xirr(dates: Sequence[date], values: Sequence[Number]) -> float | None:
    """Internal rate of return of dated flows (actual/365), as an annual rate.

    Parameters
    ----------
    dates, values:
        The flows and their dates (any order; flows on one date add up).

    Returns
    -------
    float or None
        The rate at which :func:`xnpv` is zero; None when the flows do not
        change sign.

    Notes
    -----
    Solved by bisection on :math:`(-1, \\infty)`, which always converges when
    the flows change sign once (an investment, then returns).

    References
    ----------
    pyxirr, ``xirr``: https://github.com/Anexen/pyxirr

    Examples
    --------
    >>> from datetime import date
    >>> round(xirr([date(2020, 1, 1), date(2021, 12, 31)], [-1000, 1210]), 4)
    0.1
    """
    if len(dates) != len(values):
        raise InvalidInput("dates and values differ in length", field="dates")
    flows = [float(v) for v in values]
    if not _has_both_signs(flows):
        return None
    years = _years(dates)

    def f(r: float) -> float:
        return float(sum(v / (1 + r) ** t for t, v in zip(years, flows, strict=True)))

    rate = _solve(f)
    return None if rate is None or math.isnan(rate) else rate


def money_multiple(values: Sequence[int | Decimal | Fraction]) -> Fraction | None:
    """Money received divided by money paid out (exact); None when nothing was paid out.

    Examples
    --------
    >>> money_multiple([-1000, 300, 900])
    Fraction(6, 5)
    """
    paid = sum((Fraction(v) for v in values if v < 0), Fraction(0))
    got = sum((Fraction(v) for v in values if v > 0), Fraction(0))
    return None if paid == 0 else got / -paid


def payback_date(dates: Sequence[date], values: Sequence[int | Decimal | Fraction]) -> date | None:
    """The first date on which the running total of the flows is back to zero or more.

    Undiscounted.  None when the running total never turns negative (nothing
    to pay back) or never recovers.

    Examples
    --------
    >>> from datetime import date
    >>> payback_date([date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1)], [-100, 60, 60])
    datetime.date(2022, 1, 1)
    """
    if len(dates) != len(values):
        raise InvalidInput("dates and values differ in length", field="dates")
    running = Fraction(0)
    was_negative = False
    for d, v in sorted(zip(dates, values, strict=True), key=lambda dv: dv[0]):
        running += Fraction(v)
        if running < 0:
            was_negative = True
        elif was_negative:
            return d
    return None
