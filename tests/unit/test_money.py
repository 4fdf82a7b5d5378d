"""Worked cases for :mod:`impactbond.money`."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from impactbond.errors import CurrencyMismatch, ImpactBondError, InvalidInput
from impactbond.money import (
    MINOR_UNITS,
    InexactNumber,
    Money,
    Rounding,
    RoundingStage,
    allocate,
    allocate_minor,
    from_minor_units_array,
    minor_unit_digits,
    round_fraction_to_minor,
    sum_money,
    to_minor_units,
)

# -- construction ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [(5, Decimal(5)), ("1234.50", Decimal("1234.50")), (Decimal("0.1"), Decimal("0.1"))],
)
def test_amount_is_converted_to_decimal(given: int | str | Decimal, expected: Decimal) -> None:
    money = Money(given, "DKK")
    assert isinstance(money.amount, Decimal)
    assert money.amount == expected


def test_numpy_integer_amount_is_accepted() -> None:
    assert Money(np.int64(7), "DKK") == Money(7, "DKK")


@pytest.mark.parametrize("value", [0.1, 1.0, np.float64(2.5), np.float32(2.5)])
def test_float_amount_is_refused(value: object) -> None:
    with pytest.raises(InexactNumber, match="floats are never invoiced") as caught:
        Money(value, "DKK")  # type: ignore[arg-type]
    # catchable as the package error, as a bad value and as a bad type
    assert isinstance(caught.value, ImpactBondError)
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, TypeError)
    assert caught.value.field == "amount"


@pytest.mark.parametrize("value", ["NaN", "Infinity", Decimal("-Infinity"), "1,5", "abc"])
def test_non_numbers_and_non_finite_amounts_are_refused(value: str | Decimal) -> None:
    with pytest.raises(InvalidInput):
        Money(value, "DKK")


def test_bool_amount_is_refused() -> None:
    with pytest.raises(InexactNumber):
        Money(True, "DKK")


@pytest.mark.parametrize("code", ["dkk", "DK", "DKKK", "XXX", "", "D1K"])
def test_bad_currency_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Money(1, code)
    assert caught.value.field == "currency"


def test_minor_unit_table() -> None:
    for code in ("DKK", "EUR", "GBP", "USD", "SEK", "NOK"):
        assert minor_unit_digits(code) == 2
    assert minor_unit_digits("JPY") == 0
    assert all(len(code) == 3 and code.isupper() for code in MINOR_UNITS)


def test_negative_zero_is_plain_zero() -> None:
    assert str(Money("-0.00", "DKK")) == "DKK 0.00"
    assert str(-Money(0, "DKK")) == "DKK 0.00"
    assert str(Money("-0.004", "DKK").round(Rounding.HALF_UP)) == "DKK 0.00"


# -- arithmetic -------------------------------------------------------------------


def test_adding_dkk_and_eur_raises_currency_mismatch_which_is_a_type_error() -> None:
    with pytest.raises(CurrencyMismatch) as caught:
        Money(1, "DKK") + Money(1, "EUR")
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, ImpactBondError)
    with pytest.raises(TypeError):
        Money(1, "DKK") - Money(1, "EUR")


def test_comparing_currencies_raises_but_equality_is_false() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "DKK") < Money(2, "EUR")
    assert Money(1, "DKK") != Money(1, "EUR")


def test_comparisons_within_one_currency() -> None:
    small, large = Money("0.10", "DKK"), Money("0.2", "DKK")
    assert small < large <= large
    assert large > small >= small
    assert max([small, large]) == large
    assert Money("1.0", "DKK") == Money("1.00", "DKK")
    assert hash(Money("1.0", "DKK")) == hash(Money("1.00", "DKK"))


def test_comparison_with_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Money(1, "DKK") < 2  # type: ignore[operator]


def test_decimal_addition_is_exact_where_floats_are_not() -> None:
    assert 0.1 + 0.2 != 0.3
    assert Money("0.1", "DKK") + Money("0.2", "DKK") == Money("0.3", "DKK")


def test_arithmetic_is_exact_beyond_28_digits() -> None:
    big = Money("1" + "0" * 40, "DKK")
    assert (big + Money("0.01", "DKK")).amount == Decimal("1" + "0" * 40 + ".01")
    assert (big * 3 - big * 2) == big


def test_multiplication() -> None:
    price = Money("1250.50", "DKK")
    assert price * 3 == Money("3751.50", "DKK")
    assert 3 * price == Money("3751.50", "DKK")
    assert price * Decimal("0.5") == Money("625.25", "DKK")
    assert price * Fraction(1, 4) == Money("312.625", "DKK")  # exact: denominator 2**2


def test_multiplication_by_fraction_keeps_fifty_digits() -> None:
    third = Money(100, "DKK") * Fraction(1, 3)
    digits = third.amount.as_tuple().digits
    assert len(digits) == 50
    assert third.round(Rounding.HALF_UP) == Money("33.33", "DKK")
    assert (third * 3).round(Rounding.HALF_UP) == Money(100, "DKK")


@pytest.mark.parametrize("factor", [0.5, np.float64(0.5), True])
def test_multiplication_by_float_or_bool_is_refused(factor: object) -> None:
    with pytest.raises(InexactNumber):
        Money(1, "DKK") * factor  # type: ignore[operator]


def test_multiplying_money_by_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Money(1, "DKK") * Money(1, "DKK")  # type: ignore[operator]


def test_negation_abs_zero_and_truth() -> None:
    assert -Money("1.50", "EUR") == Money("-1.50", "EUR")
    assert abs(Money("-1.50", "EUR")) == Money("1.50", "EUR")
    assert Money.zero("JPY").is_zero()
    assert not Money.zero("JPY")
    assert Money("0.01", "EUR")


def test_sum_money() -> None:
    assert sum_money([Money("0.10", "DKK")] * 10, "DKK") == Money(1, "DKK")
    assert sum_money([], "EUR") == Money.zero("EUR")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "DKK")], "EUR")


# -- rounding ---------------------------------------------------------------------


def test_2_675_rounds_to_2_68_in_decimal_unlike_float() -> None:
    # The float 2.675 is really 2.67499999...; Decimal keeps the half.
    assert round(2.675, 2) == 2.67
    assert Money("2.675", "EUR").round(Rounding.HALF_UP) == Money("2.68", "EUR")
    assert Money("2.675", "EUR").round(Rounding.HALF_EVEN) == Money("2.68", "EUR")


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [
        ("2.665", Rounding.HALF_UP, "2.67"),
        ("2.665", Rounding.HALF_EVEN, "2.66"),
        ("-2.665", Rounding.HALF_UP, "-2.67"),
        ("-2.665", Rounding.HALF_EVEN, "-2.66"),
        ("2.669", Rounding.DOWN, "2.66"),
        ("-2.669", Rounding.DOWN, "-2.66"),
        ("2.661", Rounding.UP, "2.67"),
        ("-2.661", Rounding.UP, "-2.67"),
        ("2.66", Rounding.UP, "2.66"),
    ],
)
def test_rounding_modes(amount: str, rounding: Rounding, expected: str) -> None:
    rounded = Money(amount, "EUR").round(rounding)
    assert rounded == Money(expected, "EUR")
    assert str(rounded.amount) == expected


def test_rounding_to_the_currency_minor_unit_and_to_places() -> None:
    assert Money("1234.5", "JPY").round(Rounding.HALF_EVEN) == Money(1234, "JPY")
    assert Money("1234.5", "DKK").round(Rounding.HALF_UP, places=0) == Money(1235, "DKK")
    assert Money("1250", "DKK").round(Rounding.HALF_UP, places=-2) == Money(1300, "DKK")


def test_rounding_needs_a_rounding() -> None:
    with pytest.raises(InvalidInput):
        Money(1, "DKK").round("half_up")  # type: ignore[arg-type]


def test_rounding_enums_carry_contract_values() -> None:
    assert Rounding("half_up") is Rounding.HALF_UP
    assert Rounding("down").decimal_mode == "ROUND_DOWN"
    assert [stage.value for stage in RoundingStage] == ["line", "participant", "invoice"]


# -- minor units --------------------------------------------------------------------


def test_minor_units_round_trip() -> None:
    assert Money("1234.5", "DKK").minor_units == 123450
    assert Money(-7, "JPY").minor_units == -7
    assert Money.from_minor_units(123450, "DKK") == Money("1234.50", "DKK")
    assert Money.from_minor_units(np.int64(5), "EUR") == Money("0.05", "EUR")


def test_minor_units_require_an_exact_amount() -> None:
    with pytest.raises(InvalidInput, match="round it first"):
        _ = Money("0.125", "DKK").minor_units


def test_from_minor_units_refuses_floats() -> None:
    with pytest.raises(InexactNumber):
        Money.from_minor_units(1.0, "DKK")  # type: ignore[arg-type]


def test_to_minor_units() -> None:
    minor = to_minor_units([Decimal("1.005"), "2", 3, Money("0.125", "DKK")], "DKK", Rounding.DOWN)
    assert minor.dtype == np.int64
    assert minor.tolist() == [100, 200, 300, 12]
    objects = np.array([Decimal("0.015"), Decimal("-0.015")], dtype=object)
    assert to_minor_units(objects, "EUR", Rounding.HALF_EVEN).tolist() == [2, -2]
    assert to_minor_units([], "EUR", Rounding.HALF_UP).dtype == np.int64


def test_to_minor_units_refuses_floats_and_other_currencies() -> None:
    with pytest.raises(InexactNumber):
        to_minor_units(np.array([1.5]), "DKK", Rounding.HALF_UP)
    with pytest.raises(InexactNumber) as caught:
        to_minor_units([Decimal(1), 1.5], "DKK", Rounding.HALF_UP)  # type: ignore[list-item]
    assert caught.value.row == 1
    with pytest.raises(CurrencyMismatch):
        to_minor_units([Money(1, "EUR")], "DKK", Rounding.HALF_UP)


def test_to_minor_units_refuses_amounts_beyond_int64() -> None:
    with pytest.raises(InvalidInput):
        to_minor_units([Decimal("1e30")], "DKK", Rounding.HALF_UP)


def test_from_minor_units_array() -> None:
    assert from_minor_units_array(np.array([1, -250], dtype=np.int32), "EUR") == [
        Money("0.01", "EUR"),
        Money("-2.50", "EUR"),
    ]
    with pytest.raises(InexactNumber):
        from_minor_units_array(np.array([1.0]), "EUR")


# -- text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "english", "danish"),
    [
        (Money("1234.5", "DKK"), "DKK 1,234.50", "1.234,50 kr."),
        (Money("-1234567.891", "DKK"), "DKK -1,234,567.891", "-1.234.567,891 kr."),
        (Money(0, "EUR"), "EUR 0.00", "0,00 EUR"),
        (Money("1.000", "EUR"), "EUR 1.00", "1,00 EUR"),
        (Money(1500, "JPY"), "JPY 1,500", "1.500 JPY"),
    ],
)
def test_text(money: Money, english: str, danish: str) -> None:
    assert str(money) == english
    assert money.format_da() == danish


def test_repr_round_trips() -> None:
    money = Money("1234.50", "DKK")
    assert repr(money) == "Money('1234.50', 'DKK')"
    assert eval(repr(money)) == money


# -- allocation -------------------------------------------------------------------


def test_allocate_100_dkk_over_three_equal_parts() -> None:
    parts = allocate(Money(100, "DKK"), [1, 1, 1])
    assert [str(part.amount) for part in parts] == ["33.34", "33.33", "33.33"]
    assert sum_money(parts, "DKK") == Money(100, "DKK")


def test_allocate_negative_total_symmetrically() -> None:
    parts = allocate(Money(-100, "DKK"), [1, 1, 1])
    assert parts == [Money("-33.34", "DKK"), Money("-33.33", "DKK"), Money("-33.33", "DKK")]


def test_allocate_largest_remainder_not_first() -> None:
    # exact shares 0.285714.., 0.714285..: the second has the larger remainder
    assert allocate_minor(1, np.array([2, 5])).tolist() == [0, 1]
    assert allocate_minor(10, np.array([2, 5])).tolist() == [3, 7]


def test_allocate_zero_weights_get_zero() -> None:
    assert allocate_minor(7, np.array([0, 1, 0, 1, 0])).tolist() == [0, 4, 0, 3, 0]


def test_allocate_mixed_exact_weights() -> None:
    parts = allocate(Money("10.00", "EUR"), [Fraction(1, 3), Decimal("0.5"), 1])
    assert parts == [Money("1.82", "EUR"), Money("2.73", "EUR"), Money("5.45", "EUR")]


@pytest.mark.parametrize("weights", [[0, 0], [1, -1], []])
def test_allocate_refuses_bad_weights(weights: list[int]) -> None:
    with pytest.raises(InvalidInput):
        allocate(Money(1, "DKK"), weights)
    with pytest.raises(InvalidInput):
        allocate_minor(100, np.array(weights, dtype=np.int64))


def test_allocate_refuses_float_weights() -> None:
    with pytest.raises(InexactNumber):
        allocate(Money(1, "DKK"), [0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(InexactNumber):
        allocate_minor(100, np.array([0.5, 0.5]))


def test_allocate_refuses_a_total_below_the_minor_unit() -> None:
    with pytest.raises(InvalidInput, match="round it first"):
        allocate(Money("0.005", "DKK"), [1, 1])


def test_allocate_minor_does_not_overflow_int64() -> None:
    total = 9 * 10**18
    weights = np.array([10**9, 10**9 + 1, 3], dtype=np.int64)
    parts = allocate_minor(total, weights)
    assert parts.dtype == np.int64
    assert sum(parts.tolist()) == total
    wide = np.array([10**30, 2 * 10**30], dtype=object)
    assert allocate_minor(3, wide).tolist() == [1, 2]


# -- rounding rationals -------------------------------------------------------------


def test_round_fraction_to_minor_worked_cases() -> None:
    numerators = np.array([5, -5, 7, -7, 1, -1, 0], dtype=np.int64)
    expected = {
        Rounding.HALF_UP: [3, -3, 4, -4, 1, -1, 0],
        Rounding.HALF_EVEN: [2, -2, 4, -4, 0, 0, 0],
        Rounding.DOWN: [2, -2, 3, -3, 0, 0, 0],
        Rounding.UP: [3, -3, 4, -4, 1, -1, 0],
    }
    for rounding, values in expected.items():
        result = round_fraction_to_minor(numerators, 2, rounding)
        assert result.dtype == np.int64
        assert result.tolist() == values, rounding


def test_round_fraction_to_minor_keeps_shape_and_accepts_wide_numerators() -> None:
    grid = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert round_fraction_to_minor(grid, 3, Rounding.HALF_UP).shape == (2, 3)
    wide = np.array([10**25 + 1], dtype=object)
    assert round_fraction_to_minor(wide, 10**10, Rounding.DOWN).tolist() == [10**15]


def test_round_fraction_to_minor_refuses_bad_input() -> None:
    with pytest.raises(InvalidInput):
        round_fraction_to_minor(np.array([1]), 0, Rounding.DOWN)
    with pytest.raises(InexactNumber):
        round_fraction_to_minor(np.array([1.5]), 2, Rounding.DOWN)
    with pytest.raises(InvalidInput):
        round_fraction_to_minor(np.array([10**30], dtype=object), 1, Rounding.DOWN)
