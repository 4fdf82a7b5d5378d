"""Exact money: :class:`Money`, rounding, minor units and allocation.

Invoice amounts are exact.  The public :class:`Money` holds a
:class:`~decimal.Decimal` and an ISO 4217 currency code; inside the core,
amounts are int64 *minor units* (øre, cents, pence) and quantities stay exact
until the one rounding step the contract names (:class:`Rounding` at a
:class:`RoundingStage`).  Floats are refused everywhere in this module: they are
for analysis, never for what is invoiced.

>>> price = Money("1234.5", "DKK")
>>> print(price)
DKK 1,234.50
>>> price.format_da()
'1.234,50 kr.'
>>> [str(part) for part in allocate(Money(100, "DKK"), [1, 1, 1])]
['DKK 33.34', 'DKK 33.33', 'DKK 33.33']
>>> Money("2.665", "DKK").round(Rounding.HALF_EVEN)
Money('2.66', 'DKK')

Signs: an amount carries its sign and every operation here is symmetric in it
(rounding modes are defined toward or away from zero, allocation of a negative
total mirrors the positive one); which direction of payment is negative is set
by the ledger that uses this module, not here.
"""

from __future__ import annotations

import decimal
import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.errors import CurrencyMismatch, InvalidInput

__all__ = [
    "FRACTION_PRECISION",
    "MINOR_UNITS",
    "InexactNumber",
    "Money",
    "Rounding",
    "RoundingStage",
    "allocate",
    "allocate_minor",
    "exact_sum",
    "from_minor_units_array",
    "minor_unit_digits",
    "round_fraction_to_minor",
    "sum_money",
    "to_minor_units",
]


class InexactNumber(InvalidInput, TypeError):
    """A float (or another inexact or unsupported number) was given where an exact
    amount or weight is needed.

    It is both a ``ValueError`` (through :class:`~impactbond.errors.InvalidInput`)
    and a ``TypeError``, so either ``except`` clause catches it.
    """


# ---------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------


class Rounding(enum.Enum):
    """How an exact amount is rounded to the minor unit: a term of the contract.

    >>> Rounding("half_even").decimal_mode
    'ROUND_HALF_EVEN'
    """

    HALF_UP = "half_up"
    """To the nearest; a half goes away from zero (2.665 -> 2.67, -2.665 -> -2.67)."""
    HALF_EVEN = "half_even"
    """To the nearest; a half goes to the even neighbour (banker's rounding)."""
    DOWN = "down"
    """Toward zero: truncate (2.669 -> 2.66, -2.669 -> -2.66)."""
    UP = "up"
    """Away from zero (2.661 -> 2.67, -2.661 -> -2.67)."""

    @property
    def decimal_mode(self) -> str:
        """The matching rounding constant of the :mod:`decimal` module."""
        return _DECIMAL_MODES[self]


_DECIMAL_MODES: Mapping[Rounding, str] = MappingProxyType(
    {
        Rounding.HALF_UP: decimal.ROUND_HALF_UP,
        Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
        Rounding.DOWN: decimal.ROUND_DOWN,
        Rounding.UP: decimal.ROUND_UP,
    }
)


class RoundingStage(enum.Enum):
    """Where in a settlement the contract rounds to the minor unit.

    Rounding each line and then adding can differ from adding exactly and
    rounding once, so the stage is a contract term like the mode.
    """

    LINE = "line"
    """Each participant-month (or outcome) line is rounded, then lines are added."""
    PARTICIPANT = "participant"
    """A participant's lines are added exactly, and each participant's total rounded."""
    INVOICE = "invoice"
    """Everything is added exactly and only the invoice total is rounded."""


# ---------------------------------------------------------------------------
# Currencies
# ---------------------------------------------------------------------------

MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "AUD": 2,
        "CAD": 2,
        "CHF": 2,
        "DKK": 2,
        "EUR": 2,
        "GBP": 2,
        "ISK": 0,
        "JPY": 0,
        "NOK": 2,
        "NZD": 2,
        "PLN": 2,
        "SEK": 2,
        "USD": 2,
    }
)
"""ISO 4217 minor unit (number of decimals) of each supported currency."""

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def minor_unit_digits(currency: str) -> int:
    """Number of decimals of a currency's minor unit (ISO 4217).

    Raises :class:`~impactbond.errors.InvalidInput` for a code that is not three
    upper-case letters or not in :data:`MINOR_UNITS`.

    >>> minor_unit_digits("DKK"), minor_unit_digits("JPY")
    (2, 0)
    >>> minor_unit_digits("dkk")
    Traceback (most recent call last):
    ...
    impactbond.errors.InvalidInput: currency must be an ISO 4217 code of three upper-case letters, got 'dkk' [field=currency]
    """  # noqa: E501
    if not isinstance(currency, str) or _CURRENCY_CODE.fullmatch(currency) is None:
        raise InvalidInput(
            f"currency must be an ISO 4217 code of three upper-case letters, got {currency!r}",
            field="currency",
        )
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        known = ", ".join(sorted(MINOR_UNITS))
        raise InvalidInput(
            f"unknown currency {currency!r}; known: {known}", field="currency"
        ) from None


# ---------------------------------------------------------------------------
# Decimal plumbing
# ---------------------------------------------------------------------------

# Addition, subtraction and multiplication of Decimals are exact in a context of
# unbounded precision; the default context (28 digits) would round silently.
_EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

FRACTION_PRECISION = 50
"""Significant digits kept when an amount is multiplied by a non-decimal Fraction."""

_FRACTION_CONTEXT = decimal.Context(
    prec=FRACTION_PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

_FLOAT_MESSAGE = (
    "floats are never invoiced: give the {what} as int, str or Decimal "
    "(e.g. '0.10' or Decimal('0.10')), got {value!r}"
)


def _is_float(value: object) -> bool:
    return isinstance(value, float | complex | np.floating | np.complexfloating)


def _to_decimal(value: Decimal | int | np.integer[Any] | str) -> Decimal:
    """Convert an amount to a finite Decimal; floats and bools are refused."""
    if isinstance(value, bool | np.bool_):
        raise InexactNumber(f"an amount cannot be a bool, got {value!r}", field="amount")
    if _is_float(value):
        raise InexactNumber(_FLOAT_MESSAGE.format(what="amount", value=value), field="amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | np.integer):
        result = Decimal(int(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value)
        except decimal.InvalidOperation:
            raise InvalidInput(f"not a decimal number: {value!r}", field="amount") from None
    else:
        raise InexactNumber(
            f"an amount must be int, str or Decimal, got {type(value).__name__}", field="amount"
        )
    if not result.is_finite():
        raise InvalidInput(f"an amount must be finite, got {value!r}", field="amount")
    if result.is_zero() and result.is_signed():
        result = result.copy_abs()  # no "-0.00" on an invoice
    return result


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    minor_unit_digits(value)


def _check_integer_array(values: npt.NDArray[Any], what: str) -> npt.NDArray[Any]:
    """Return ``values`` as int64 when it fits, else as an object array of Python ints."""
    if values.dtype.kind in "fc":
        raise InexactNumber(f"{what} must be integers, got an array of {values.dtype}", field=what)
    if values.dtype.kind == "b":
        raise InexactNumber(f"{what} must be integers, got booleans", field=what)
    if values.dtype.kind == "i":
        return values.astype(np.int64, copy=False)
    if values.dtype.kind in "uO":
        items = values.ravel().tolist()
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int):
                if _is_float(item):
                    raise InexactNumber(_FLOAT_MESSAGE.format(what=what, value=item), field=what)
                raise InvalidInput(f"{what} must be integers, got {item!r}", field=what)
        if all(_INT64_MIN <= item <= _INT64_MAX for item in items):
            return np.array(items, dtype=np.int64).reshape(values.shape)
        return np.array(items, dtype=object).reshape(values.shape)
    raise InvalidInput(f"{what} must be integers, got an array of {values.dtype}", field=what)


_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)


def _to_int64(values: npt.NDArray[Any], what: str) -> npt.NDArray[np.int64]:
    if values.dtype == np.int64:
        return values
    if values.size and (min(values.flat) < _INT64_MIN or max(values.flat) > _INT64_MAX):
        raise InvalidInput(f"{what} do not fit in int64 minor units", field=what)
    return values.astype(np.int64)


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------


@attrs.frozen(order=False, repr=False)
class Money:
    """An exact amount of one currency.

    Parameters
    ----------
    amount:
        The amount in major units (kroner, euros) as ``int``, ``str`` or
        :class:`~decimal.Decimal`.  A ``float`` is refused with
        :class:`InexactNumber`: ``0.1`` is not a tenth, and floats are never
        invoiced.
    currency:
        ISO 4217 code in :data:`MINOR_UNITS`.

    Notes
    -----
    ``+``, ``-`` and comparisons need the same currency on both sides and raise
    :class:`~impactbond.errors.CurrencyMismatch` (a ``TypeError``) otherwise;
    ``==`` between currencies is simply ``False``.  Sums, differences and
    products by ``int`` or ``Decimal`` are exact (unbounded precision).  A
    product by a :class:`~fractions.Fraction` ``p/q`` is ``(amount * p) / q``
    computed to :data:`FRACTION_PRECISION` (50) significant digits: exact
    whenever the quotient has at most 50 digits (always when ``q`` has only the
    prime factors 2 and 5 and the amount is of ordinary size), otherwise
    correctly rounded (half even) at the 50th digit.  Amounts are not rounded to
    the minor unit until :meth:`round` is called: that step, with the mode the
    contract names, is the only rounding of an invoice.

    Examples
    --------
    >>> a = Money("10.10", "DKK")
    >>> a + Money(5, "DKK")
    Money('15.10', 'DKK')
    >>> a * 3, -a
    (Money('30.30', 'DKK'), Money('-10.10', 'DKK'))
    >>> (a * Fraction(1, 3)).round(Rounding.HALF_UP)
    Money('3.37', 'DKK')
    >>> a + Money(1, "EUR")
    Traceback (most recent call last):
    ...
    impactbond.errors.CurrencyMismatch: cannot add DKK and EUR
    >>> Money(0.1, "DKK")
    Traceback (most recent call last):
    ...
    impactbond.money.InexactNumber: floats are never invoiced: ... [field=amount]
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(validator=_check_currency)

    # -- constructors --------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``.

        >>> Money.zero("EUR")
        Money('0', 'EUR')
        """
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor_units(cls, minor: int | np.integer[Any], currency: str) -> Money:
        """The amount of ``minor`` minor units (øre, cents) of ``currency``.

        >>> Money.from_minor_units(123450, "DKK")
        Money('1234.50', 'DKK')
        >>> Money.from_minor_units(500, "JPY")
        Money('500', 'JPY')
        """
        if isinstance(minor, bool | np.bool_) or not isinstance(minor, int | np.integer):
            if _is_float(minor):
                raise InexactNumber(
                    _FLOAT_MESSAGE.format(what="minor units", value=minor), field="minor_units"
                )
            raise InvalidInput(
                f"minor units must be an int, got {type(minor).__name__}", field="minor_units"
            )
        digits = minor_unit_digits(currency)
        return cls(Decimal(int(minor)).scaleb(-digits, context=_EXACT), currency)

    # -- properties ----------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an int of minor units; it must be exact.

        Raises :class:`~impactbond.errors.InvalidInput` when the amount has
        digits below the minor unit: round it first.

        >>> Money("1234.5", "DKK").minor_units
        123450
        >>> Money("0.125", "DKK").minor_units
        Traceback (most recent call last):
        ...
        impactbond.errors.InvalidInput: DKK 0.125 is not a whole number of minor units; round it first [field=amount, rule=exact-minor-units]
        """  # noqa: E501
        scaled = self.amount.scaleb(minor_unit_digits(self.currency), context=_EXACT)
        if scaled != scaled.to_integral_value(context=_EXACT):
            raise InvalidInput(
                f"{self} is not a whole number of minor units; round it first",
                field="amount",
                rule="exact-minor-units",
            )
        return int(scaled)

    def is_zero(self) -> bool:
        """Whether the amount is zero.

        >>> Money("0.00", "DKK").is_zero(), Money("0.01", "DKK").is_zero()
        (True, False)
        """
        return self.amount.is_zero()

    def __bool__(self) -> bool:
        return not self.amount.is_zero()

    # -- rounding ------------------------------------------------------------

    def round(self, rounding: Rounding, places: int | None = None) -> Money:
        """Round to the currency's minor unit (or to ``places`` decimals).

        The mode has no default: it is a term of the contract.

        >>> Money("2.675", "EUR").round(Rounding.HALF_UP)
        Money('2.68', 'EUR')
        >>> Money("2.665", "EUR").round(Rounding.HALF_EVEN)
        Money('2.66', 'EUR')
        >>> Money("-2.669", "EUR").round(Rounding.DOWN)
        Money('-2.66', 'EUR')
        >>> Money("1234.5", "DKK").round(Rounding.HALF_UP, places=0)
        Money('1235', 'DKK')
        """
        if not isinstance(rounding, Rounding):
            raise InvalidInput(f"rounding must be a Rounding, got {rounding!r}", field="rounding")
        if places is None:
            places = minor_unit_digits(self.currency)
        exponent = Decimal(1).scaleb(-places)
        rounded = self.amount.quantize(exponent, rounding=rounding.decimal_mode, context=_EXACT)
        return Money(rounded, self.currency)

    # -- arithmetic ----------------------------------------------------------

    def _same_currency(self, other: Money, verb: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot {verb} {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return Money(_EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money(_EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(_EXACT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money(_EXACT.abs(self.amount), self.currency)

    def __mul__(self, factor: int | np.integer[Any] | Decimal | Fraction) -> Money:
        if isinstance(factor, bool | np.bool_) or _is_float(factor):
            raise InexactNumber(_FLOAT_MESSAGE.format(what="factor", value=factor), field="factor")
        if isinstance(factor, Fraction):
            product = _EXACT.multiply(self.amount, Decimal(factor.numerator))
            quotient = _FRACTION_CONTEXT.divide(product, Decimal(factor.denominator))
            return Money(quotient, self.currency)
        if isinstance(factor, int | np.integer):
            return Money(_EXACT.multiply(self.amount, Decimal(int(factor))), self.currency)
        if isinstance(factor, Decimal):
            if not factor.is_finite():
                raise InvalidInput(f"factor must be finite, got {factor!r}", field="factor")
            return Money(_EXACT.multiply(self.amount, factor), self.currency)
        return NotImplemented

    __rmul__ = __mul__

    # -- comparisons (one currency) -------------------------------------------

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount >= other.amount

    # -- text ----------------------------------------------------------------

    def _english_digits(self) -> str:
        """``1,234.50``: at least the minor unit's decimals, more if the amount has them."""
        shown = minor_unit_digits(self.currency)
        exponent = self.amount.normalize(context=_EXACT).as_tuple().exponent
        assert isinstance(exponent, int)  # finite amounts only
        shown = max(shown, -exponent)
        return format(self.amount, f",.{shown}f")

    def __str__(self) -> str:
        """``DKK 1,234.50``; digits below the minor unit are shown, never hidden.

        >>> print(Money("-1234.5", "DKK"), Money("0.125", "EUR"), Money(1500, "JPY"))
        DKK -1,234.50 EUR 0.125 JPY 1,500
        """
        return f"{self.currency} {self._english_digits()}"

    def format_da(self) -> str:
        """Danish notation: ``1.234,50 kr.`` for DKK, ``1.234,50 EUR`` otherwise.

        >>> Money("1234.5", "DKK").format_da()
        '1.234,50 kr.'
        >>> Money("-1000000", "EUR").format_da()
        '-1.000.000,00 EUR'
        """
        digits = self._english_digits().translate(str.maketrans(",.", ".,"))
        unit = "kr." if self.currency == "DKK" else self.currency
        return f"{digits} {unit}"

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Exact sum of ``amounts``, all in ``currency`` (zero when empty).

    >>> sum_money([Money("0.10", "DKK")] * 10, "DKK")
    Money('1.00', 'DKK')
    >>> sum_money([], "EUR")
    Money('0', 'EUR')
    """
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


# ---------------------------------------------------------------------------
# Minor units as int64 arrays
# ---------------------------------------------------------------------------


def to_minor_units(
    amounts: Iterable[Money | Decimal | int | str] | npt.NDArray[Any],
    currency: str,
    rounding: Rounding,
) -> npt.NDArray[np.int64]:
    """Round amounts (major units) to ``currency``'s minor unit, as an int64 array.

    Elements may be :class:`Money` of ``currency``, ``Decimal``, ``int`` or
    ``str``; floats and float arrays are refused.

    >>> to_minor_units([Decimal("1.005"), "2", Money("0.125", "DKK")], "DKK", Rounding.HALF_UP)
    array([101, 200,  13])
    """
    if isinstance(amounts, np.ndarray) and amounts.dtype.kind in "fc":
        raise InexactNumber(
            f"floats are never invoiced: got an array of {amounts.dtype}", field="amount"
        )
    minor: list[int] = []
    for row, item in enumerate(amounts):
        if isinstance(item, Money):
            if item.currency != currency:
                raise CurrencyMismatch(
                    f"expected {currency}, got {item.currency}", row=row, field="amount"
                )
            money = item
        else:
            try:
                money = Money(item, currency)
            except InvalidInput as error:
                error.row = row
                raise
        minor.append(money.round(rounding).minor_units)
    return _to_int64(np.array(minor, dtype=object), "amount")


def from_minor_units_array(minor: npt.ArrayLike, currency: str) -> list[Money]:
    """Turn an integer array of minor units into a list of :class:`Money`.

    >>> from_minor_units_array(np.array([3334, 3333, -5]), "DKK")
    [Money('33.34', 'DKK'), Money('33.33', 'DKK'), Money('-0.05', 'DKK')]
    """
    values = _check_integer_array(np.asarray(minor), "minor_units")
    return [Money.from_minor_units(int(value), currency) for value in values.ravel().tolist()]


# ---------------------------------------------------------------------------
# Exact rounding of rational amounts
# ---------------------------------------------------------------------------


def round_fraction_to_minor(
    numerator: npt.ArrayLike, denominator: int | np.integer[Any], rounding: Rounding
) -> npt.NDArray[np.int64]:
    """Round the rational amounts ``numerator / denominator`` (in minor units) to integers.

    This is the one rounding step of a settlement: quantities stay exact as
    integer numerators over a common denominator until here.

    Parameters
    ----------
    numerator:
        Integer array (int64, or object holding Python ints for wide values).
    denominator:
        A positive integer.
    rounding:
        The contract's :class:`Rounding`.

    Returns
    -------
    numpy.ndarray of int64
        Same shape as ``numerator``.

    Notes
    -----
    With ``q, r = divmod(n, d)`` (floor division, ``0 <= r < d``) the result is

    - ``DOWN`` (toward zero): ``q + (r > 0 and n < 0)``
    - ``UP`` (away from zero): ``q + (r > 0 and n > 0)``
    - nearest (``HALF_UP``, ``HALF_EVEN``): ``q + 1`` if ``r > d - r``, ``q`` if
      ``r < d - r``; a tie (``r == d - r``) goes away from zero (``q + (n > 0)``)
      under ``HALF_UP`` and to the even neighbour (``q + q % 2``) under
      ``HALF_EVEN``.

    Only integer arithmetic is used (``r > d - r`` instead of ``2 r > d`` so
    that nothing overflows int64).

    Examples
    --------
    >>> n = np.array([5, -5, 7, -7, 3])
    >>> round_fraction_to_minor(n, 2, Rounding.HALF_UP)
    array([ 3, -3,  4, -4,  2])
    >>> round_fraction_to_minor(n, 2, Rounding.HALF_EVEN)
    array([ 2, -2,  4, -4,  2])
    >>> round_fraction_to_minor(n, 2, Rounding.DOWN)
    array([ 2, -2,  3, -3,  1])
    >>> round_fraction_to_minor(n, 2, Rounding.UP)
    array([ 3, -3,  4, -4,  2])
    """
    if isinstance(denominator, bool | np.bool_) or not isinstance(denominator, int | np.integer):
        raise InexactNumber(
            f"denominator must be a positive int, got {denominator!r}", field="denominator"
        )
    d = int(denominator)
    if d <= 0:
        raise InvalidInput(f"denominator must be positive, got {d}", field="denominator")
    if not isinstance(rounding, Rounding):
        raise InvalidInput(f"rounding must be a Rounding, got {rounding!r}", field="rounding")
    n = _check_integer_array(np.asarray(numerator), "numerator")
    if n.dtype == np.int64 and d > _INT64_MAX:
        n = n.astype(object)
    if n.dtype == np.int64:
        q, r = np.divmod(n, np.int64(d))
        half_point = np.int64(d) - r
    else:  # Python ints: np.divmod has no object loop
        q, r = n // d, n % d
        half_point = d - r
    inexact = r != 0
    if rounding is Rounding.DOWN:
        bump = inexact & (n < 0)
    elif rounding is Rounding.UP:
        bump = inexact & (n > 0)
    else:
        tie = r == half_point
        tie_up = (n > 0) if rounding is Rounding.HALF_UP else (q % 2 != 0)
        bump = (r > half_point) | (tie & tie_up)
    result = q + bump.astype(n.dtype)
    return _to_int64(np.asarray(result), "numerator")


# ---------------------------------------------------------------------------
# Largest-remainder allocation
# ---------------------------------------------------------------------------


def allocate_minor(
    total_minor: int | np.integer[Any], weights: npt.ArrayLike
) -> npt.NDArray[np.int64]:
    """Split ``total_minor`` minor units in proportion to integer ``weights``.

    Largest-remainder (Hamilton) allocation: the parts are integers that add up
    exactly to the total, each within one minor unit of its exact share.

    Parameters
    ----------
    total_minor:
        The amount to split, in minor units; may be negative (split
        symmetrically: ``allocate_minor(-t, w) == -allocate_minor(t, w)``).
    weights:
        One-dimensional array of non-negative integers, not all zero.

    Returns
    -------
    numpy.ndarray of int64

    Notes
    -----
    With ``W = sum(w)``, each part starts at ``floor(t * w_i / W)``; the
    ``t - sum(floors)`` minor units left over go one each to the parts with the
    largest remainders ``t * w_i mod W`` (compared as integers), ties to the
    earlier position.  A zero weight has remainder zero and never gets one.
    Products are formed in int64 when they cannot overflow and in Python
    integers otherwise; no float is involved.

    References
    ----------
    Balinski, M. L. and Young, H. P. (2001). *Fair Representation*, 2nd ed.
    Brookings Institution Press (Hamilton's method).

    Examples
    --------
    >>> allocate_minor(10000, np.array([1, 1, 1]))
    array([3334, 3333, 3333])
    >>> allocate_minor(-10000, np.array([1, 1, 1]))
    array([-3334, -3333, -3333])
    >>> allocate_minor(5, np.array([0, 2, 1, 0]))
    array([0, 3, 2, 0])
    """
    if isinstance(total_minor, bool | np.bool_) or not isinstance(total_minor, int | np.integer):
        raise InexactNumber(
            f"total must be an int of minor units, got {total_minor!r}", field="total"
        )
    total = int(total_minor)
    if not _INT64_MIN < total <= _INT64_MAX:
        raise InvalidInput("total does not fit in int64 minor units", field="total")
    w = _check_integer_array(np.asarray(weights), "weights")
    if w.ndim != 1 or w.size == 0:
        raise InvalidInput("weights must be a non-empty one-dimensional array", field="weights")
    if bool((w < 0).any()):
        raise InvalidInput("weights must not be negative", field="weights", rule="allocation")
    weight_sum = sum(w.tolist())
    if weight_sum == 0:
        raise InvalidInput("weights must not all be zero", field="weights", rule="allocation")
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    fits = magnitude * max(w.tolist()) <= _INT64_MAX and weight_sum <= _INT64_MAX
    if fits and w.dtype == np.int64:
        products = w * np.int64(magnitude)
        floors, remainders = np.divmod(products, np.int64(weight_sum))
    else:
        wide = w.astype(object)
        products = wide * magnitude
        floors, remainders = products // weight_sum, products % weight_sum
    left_over = magnitude - int(sum(floors.tolist()))
    # A stable sort on the negated remainders puts the largest first, earlier on ties.
    order = np.argsort(-remainders, kind="stable")
    parts = np.asarray(floors, dtype=object) if floors.dtype == object else floors.copy()
    parts[order[:left_over]] += 1
    return _to_int64(np.asarray(parts), "total") * sign


def allocate(total: Money, weights: Sequence[int | Decimal | Fraction]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` so that the parts add up exactly.

    Largest-remainder allocation in minor units (see :func:`allocate_minor`):
    each part is within one minor unit of its exact share, ties go to the
    earlier position, a zero weight gets zero, and a negative total is split
    symmetrically.  ``total`` must be a whole number of minor units (round it
    first).  Weights are ``int``, ``Decimal`` or ``Fraction``; floats, negative
    weights and all-zero weights raise.

    >>> allocate(Money(100, "DKK"), [1, 1, 1])
    [Money('33.34', 'DKK'), Money('33.33', 'DKK'), Money('33.33', 'DKK')]
    >>> allocate(Money("-0.05", "EUR"), [Fraction(1, 3), Decimal("0.5"), 0])
    [Money('-0.02', 'EUR'), Money('-0.03', 'EUR'), Money('0.00', 'EUR')]
    """
    if not isinstance(total, Money):
        raise InvalidInput(f"total must be Money, got {type(total).__name__}", field="total")
    exact: list[Fraction] = []
    for position, weight in enumerate(weights):
        if isinstance(weight, bool | np.bool_) or _is_float(weight):
            raise InexactNumber(
                _FLOAT_MESSAGE.format(what="weight", value=weight), row=position, field="weights"
            )
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise InvalidInput(
                f"weight must be finite, got {weight!r}", row=position, field="weights"
            )
        if not isinstance(weight, int | np.integer | Decimal | Fraction):
            raise InexactNumber(
                f"weight must be int, Decimal or Fraction, got {type(weight).__name__}",
                row=position,
                field="weights",
            )
        exact.append(Fraction(int(weight)) if isinstance(weight, np.integer) else Fraction(weight))
    if not exact:
        raise InvalidInput("weights must not be empty", field="weights")
    common = math.lcm(*(weight.denominator for weight in exact))
    integer_weights = [weight.numerator * (common // weight.denominator) for weight in exact]
    parts = allocate_minor(total.minor_units, np.array(integer_weights, dtype=object))
    return from_minor_units_array(parts, total.currency)


def exact_sum(values: npt.NDArray[Any]) -> int:
    """The exact sum of an int64 array (no wrap-around, whatever its length).

    >>> exact_sum(np.array([2**62, 2**62, 2**62], dtype=np.int64)) == 3 * 2**62
    True
    """
    v = np.asarray(values, dtype=np.int64)
    if len(v) == 0:
        return 0
    largest = max(int(v.max()), -int(v.min()))
    if largest < (2**62) // len(v):  # no partial sum can leave int64
        return int(v.sum())
    high = v >> 32
    low = v & 0xFFFFFFFF
    return (int(high.sum(dtype=np.int64)) << 32) + int(low.sum(dtype=np.int64))


_LIMB = 21


def exact_bincount(
    keys: npt.NDArray[np.integer[Any]], values: npt.NDArray[np.integer[Any]], n: int
) -> npt.NDArray[np.int64]:
    """``np.bincount(keys, weights=values)`` exactly in int64 for values ``>= 0``.

    ``np.bincount`` adds in float64; the values are split into 21-bit limbs,
    whose sums stay below 2**53 for up to 2**32 values, and joined again.

    >>> exact_bincount(np.array([0, 2, 2]), np.array([2**60, 2**60 + 1, 5]), 3).tolist()
    [1152921504606846976, 0, 1152921504606846982]
    """
    if len(values) and int(values.min()) < 0:
        raise ValueError("exact_bincount adds values >= 0")
    if len(values) == 0 or exact_sum(values) < 2**53:
        # Every partial sum is below 2**53, so float64 adds exactly: one pass.
        return np.bincount(keys, weights=values, minlength=n).astype(np.int64)
    out = np.zeros(n, dtype=np.int64)
    v = values.astype(np.int64)
    mask = (1 << _LIMB) - 1
    for k in range(3):
        limb = (v >> (_LIMB * k)) & mask
        if not limb.any():
            continue
        sums = np.bincount(keys, weights=limb.astype(np.float64), minlength=n)
        out += sums.astype(np.int64) << (_LIMB * k)
    return out
