"""Properties of :mod:`impactbond.money`, each fast kernel held equal to a slow reference."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.money import (
    MINOR_UNITS,
    Money,
    Rounding,
    allocate,
    allocate_minor,
    round_fraction_to_minor,
    sum_money,
    to_minor_units,
)

INT64_MAX = 2**63 - 1

currencies = st.sampled_from(sorted(MINOR_UNITS))
roundings = st.sampled_from(list(Rounding))
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4
)
minor_totals = st.integers(min_value=-(10**15), max_value=10**15)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
    any
)


@st.composite
def money_triples(draw: st.DrawFn) -> tuple[Money, Money, Money]:
    currency = draw(currencies)
    a, b, c = (Money(draw(amounts), currency) for _ in range(3))
    return a, b, c


# -- slow references ----------------------------------------------------------------


def reference_allocation(total: int, weights: list[Fraction]) -> list[int]:
    """Hamilton's method with Fractions, written the obvious way."""
    weight_sum = sum(weights)
    sign = -1 if total < 0 else 1
    shares = [abs(total) * weight / weight_sum for weight in weights]
    parts = [share.numerator // share.denominator for share in shares]
    left_over = abs(total) - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return [sign * part for part in parts]


_DECIMAL_MODES = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.DOWN: ROUND_DOWN,
    Rounding.UP: ROUND_UP,
}


def reference_round_fraction(numerator: int, denominator: int, rounding: Rounding) -> int:
    """Round n/d with Fractions: the definitions of the four modes."""
    value = Fraction(numerator, denominator)
    floor = value.numerator // value.denominator
    if value == floor:
        return floor
    ceil = floor + 1
    toward_zero, away_from_zero = (floor, ceil) if value > 0 else (ceil, floor)
    if rounding is Rounding.DOWN:
        return toward_zero
    if rounding is Rounding.UP:
        return away_from_zero
    distance = abs(value - toward_zero)
    if distance < Fraction(1, 2):
        return toward_zero
    if distance > Fraction(1, 2):
        return away_from_zero
    if rounding is Rounding.HALF_UP:
        return away_from_zero
    return floor if floor % 2 == 0 else ceil


# -- allocation -------------------------------------------------------------------


@given(total=minor_totals, weights=weight_lists)
def test_allocate_minor_parts_sum_to_total_within_one_unit(total: int, weights: list[int]) -> None:
    parts = allocate_minor(total, np.array(weights, dtype=np.int64))
    assert parts.dtype == np.int64
    assert sum(parts.tolist()) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts.tolist(), weights, strict=True):
        assert abs(part - Fraction(total * weight, weight_sum)) < 1
        if weight == 0:
            assert part == 0


@given(total=minor_totals, weights=weight_lists)
def test_allocate_minor_equals_reference(total: int, weights: list[int]) -> None:
    parts = allocate_minor(total, np.array(weights, dtype=np.int64))
    assert parts.tolist() == reference_allocation(total, [Fraction(w) for w in weights])


@given(total=minor_totals, weights=weight_lists)
def test_allocate_minor_is_symmetric_in_sign(total: int, weights: list[int]) -> None:
    array = np.array(weights, dtype=np.int64)
    assert allocate_minor(-total, array).tolist() == (-allocate_minor(total, array)).tolist()


@given(
    total=st.integers(min_value=-INT64_MAX, max_value=INT64_MAX),
    weights=st.lists(st.integers(min_value=0, max_value=INT64_MAX), min_size=1, max_size=8).filter(
        any
    ),
)
def test_allocate_minor_is_exact_for_wide_products(total: int, weights: list[int]) -> None:
    parts = allocate_minor(total, np.array(weights, dtype=object))
    assert parts.tolist() == reference_allocation(total, [Fraction(w) for w in weights])


exact_weights = st.one_of(
    st.integers(min_value=0, max_value=1000),
    st.fractions(min_value=0, max_value=1000, max_denominator=50),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False),
)


@given(
    currency=currencies,
    minor=minor_totals,
    weights=st.lists(exact_weights, min_size=1, max_size=12).filter(any),
)
def test_allocate_money_parts_sum_to_total_within_one_unit(
    currency: str, minor: int, weights: list[int | Fraction | Decimal]
) -> None:
    total = Money.from_minor_units(minor, currency)
    parts = allocate(total, weights)
    assert sum_money(parts, currency) == total
    exact = [Fraction(w) for w in weights]
    for part, weight in zip(parts, exact, strict=True):
        assert part.currency == currency
        share = Fraction(minor) * weight / sum(exact)
        assert abs(part.minor_units - share) < 1
    assert [part.minor_units for part in parts] == reference_allocation(minor, exact)


# -- rounding rationals -------------------------------------------------------------

numerators = st.integers(min_value=-(2**62), max_value=2**62)
denominators = st.integers(min_value=1, max_value=10**12)


@given(numerator=st.lists(numerators, max_size=20), denominator=denominators, rounding=roundings)
def test_round_fraction_to_minor_equals_fraction_reference(
    numerator: list[int], denominator: int, rounding: Rounding
) -> None:
    result = round_fraction_to_minor(np.array(numerator, dtype=np.int64), denominator, rounding)
    assert result.dtype == np.int64
    assert result.tolist() == [
        reference_round_fraction(n, denominator, rounding) for n in numerator
    ]


@given(
    numerator=st.lists(st.integers(min_value=-(10**39), max_value=10**39), max_size=10),
    denominator=st.integers(min_value=10**21, max_value=10**30),
    rounding=roundings,
)
def test_round_fraction_to_minor_on_wide_integers(
    numerator: list[int], denominator: int, rounding: Rounding
) -> None:
    result = round_fraction_to_minor(np.array(numerator, dtype=object), denominator, rounding)
    assert result.tolist() == [
        reference_round_fraction(n, denominator, rounding) for n in numerator
    ]


@given(
    numerator=st.integers(min_value=-(10**9), max_value=10**9),
    denominator=st.sampled_from([1, 2, 3, 4, 5, 8, 10, 16, 20, 25, 40, 100, 1000, 10**6]),
    rounding=roundings,
)
def test_round_fraction_to_minor_equals_decimal_quantize(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    # Denominators with prime factors 2 and 5 only: n/d is an exact Decimal, so
    # Decimal.quantize with the matching mode is a second, independent reference.
    exact = Decimal(numerator) / Decimal(denominator)
    expected = int(exact.quantize(Decimal(1), rounding=_DECIMAL_MODES[rounding]))
    result = round_fraction_to_minor(np.array([numerator]), denominator, rounding)
    assert result.tolist() == [expected]


@given(amount=amounts, currency=currencies, rounding=roundings)
def test_money_round_agrees_with_round_fraction_to_minor(
    amount: Decimal, currency: str, rounding: Rounding
) -> None:
    fraction = Fraction(amount) * 10 ** MINOR_UNITS[currency]
    kernel = round_fraction_to_minor(
        np.array([fraction.numerator], dtype=object), fraction.denominator, rounding
    )
    assert Money(amount, currency).round(rounding).minor_units == int(kernel[0])
    assert to_minor_units([amount], currency, rounding).tolist() == kernel.tolist()


# -- Money algebra -----------------------------------------------------------------


@given(triple=money_triples())
def test_addition_is_associative_and_commutative(triple: tuple[Money, Money, Money]) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a - a == Money.zero(a.currency)
    negated = -a
    assert -negated == a


@given(amount=amounts, currency=currencies, rounding=roundings, again=roundings)
def test_round_is_idempotent(
    amount: Decimal, currency: str, rounding: Rounding, again: Rounding
) -> None:
    once = Money(amount, currency).round(rounding)
    assert once.round(rounding) == once
    assert once.round(again) == once  # a rounded amount is exact in every mode
    assert Money.from_minor_units(once.minor_units, currency) == once


@given(amount=amounts, currency=currencies, rounding=roundings)
def test_round_moves_less_than_one_minor_unit(
    amount: Decimal, currency: str, rounding: Rounding
) -> None:
    rounded = Money(amount, currency).round(rounding)
    unit = Decimal(1).scaleb(-MINOR_UNITS[currency])
    assert abs(rounded.amount - amount) < unit


@given(amount=amounts, currency=currencies, factor=st.fractions(max_denominator=1000))
def test_fraction_product_within_fifty_digits(
    amount: Decimal, currency: str, factor: Fraction
) -> None:
    product = Money(amount, currency) * factor
    exact = Fraction(amount) * factor
    error = abs(Fraction(product.amount) - exact)
    assert error <= abs(exact) / 10**49
