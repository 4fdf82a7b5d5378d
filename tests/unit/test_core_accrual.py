"""Worked cases for impactbond.core.accrual, with the fractions written out."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pytest

from impactbond.core import (
    MONTH_DAYS_LCM,
    AccrualConvention,
    accrue_months,
    accrue_months_float,
    employed_weeks,
    month_day_matrix,
    weeks_to_months,
)

# Q1 of the common year 2023: January (31 days), February (28), March (31).
MONTHS_2023_Q1 = np.array([date(2023, m, 1).toordinal() for m in (1, 2, 3, 4)])
JAN15 = date(2023, 1, 15).toordinal()
MAR16 = date(2023, 3, 16).toordinal()  # exclusive end: employed 15 Jan - 15 Mar inclusive


def _months(convention: AccrualConvention, weight: int = 1, wden: int = 1) -> Fraction:
    weighted, window = month_day_matrix(
        [0], [JAN15], [MAR16], [weight],
        [MONTHS_2023_Q1[0]], [MONTHS_2023_Q1[-1]], MONTHS_2023_Q1, n_rows=1,
    )  # fmt: skip
    numerators, denominator = accrue_months(
        weighted, window, np.diff(MONTHS_2023_Q1), wden, convention
    )
    return Fraction(int(numerators[0]), denominator)


def test_month_day_matrix_of_15_january_to_15_march() -> None:
    weighted, window = month_day_matrix(
        [0], [JAN15], [MAR16], [1],
        [MONTHS_2023_Q1[0]], [MONTHS_2023_Q1[-1]], MONTHS_2023_Q1, n_rows=1,
    )  # fmt: skip
    # January 15-31 = 17 days, all of February = 28, March 1-15 = 15.
    assert weighted.tolist() == [[17, 28, 15]]
    assert window.tolist() == [[31, 28, 31]]


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        # 17/31 + 28/28 + 15/31 = 1 + 32/31 = 63/31
        (AccrualConvention.PRO_RATA_DAYS, Fraction(17, 31) + 1 + Fraction(15, 31)),
        # (17 + 28 + 15) / 30 = 60/30 = 2
        (AccrualConvention.DAYS_30, Fraction(60, 30)),
        # only February is employed on every day: 1
        (AccrualConvention.WHOLE_MONTHS, Fraction(1)),
        # January 17 >= 31/2 yes, February yes, March 15 < 31/2 no: 2
        (AccrualConvention.HALF_MONTH, Fraction(2)),
        # every month has an employed day: 3
        (AccrualConvention.ANY_DAY, Fraction(3)),
    ],
    ids=lambda x: getattr(x, "value", ""),
)
def test_15_january_to_15_march_under_each_convention(
    convention: AccrualConvention, expected: Fraction
) -> None:
    assert _months(convention) == expected


def test_half_time_weight_halves_pro_rata_and_fails_whole_months() -> None:
    # Weight 1/2: 63/31 / 2 = 63/62 pro rata; February is no longer "full", so 0 whole months.
    assert _months(AccrualConvention.PRO_RATA_DAYS, weight=1, wden=2) == Fraction(63, 62)
    assert _months(AccrualConvention.WHOLE_MONTHS, weight=1, wden=2) == 0
    # Half-month: January 17/2 = 8.5 employed days < 15.5; February 14 >= 14: 1 month.
    assert _months(AccrualConvention.HALF_MONTH, weight=1, wden=2) == 1


def test_window_share_is_credited_for_partial_months() -> None:
    # Window 10 Feb - 10 Mar 2023 (exclusive), employed throughout.
    start, end = date(2023, 2, 10).toordinal(), date(2023, 3, 10).toordinal()
    weighted, window = month_day_matrix(
        [0], [start], [end], [1], [start], [end], MONTHS_2023_Q1, n_rows=1
    )
    # February 10-28 = 19 days of 28, March 1-9 = 9 days of 31.
    assert window.tolist() == [[0, 19, 9]]
    for convention in ("whole_months", "half_month", "any_day", "pro_rata_days"):
        num, den = accrue_months(weighted, window, np.diff(MONTHS_2023_Q1), 1, convention)
        assert Fraction(int(num[0]), den) == Fraction(19, 28) + Fraction(9, 31), convention


def test_leap_february_has_29_days() -> None:
    months = np.array([date(2024, 2, 1).toordinal(), date(2024, 3, 1).toordinal()])
    weighted, window = month_day_matrix(
        [0], [months[0]], [months[0] + 14], [1], [months[0]], [months[1]], months, n_rows=1
    )
    num, den = accrue_months(weighted, window, np.diff(months), 1, "pro_rata_days")
    assert window.tolist() == [[29]]
    assert Fraction(int(num[0]), den) == Fraction(14, 29)
    assert den == MONTH_DAYS_LCM


def test_float_months_match_exact_months() -> None:
    weighted, window = [[17, 28, 15]], [[31, 28, 31]]
    exact = _months(AccrualConvention.PRO_RATA_DAYS)
    approx = accrue_months_float(weighted, window, [31, 28, 31], 1, "pro_rata_days")
    assert approx[0] == pytest.approx(float(exact), rel=1e-15)


def test_weeks_52_12_is_not_for_daily_data() -> None:
    with pytest.raises(ValueError, match="employed_weeks"):
        accrue_months([[1]], [[31]], [31], 1, AccrualConvention.WEEKS_52_12)


def test_overflowing_weights_raise() -> None:
    huge = 2**62
    with pytest.raises(OverflowError):
        month_day_matrix([0], [0], [10], [huge], [0], [31], [0, 31], n_rows=1)
    with pytest.raises(OverflowError):
        accrue_months([[31 * 2**45]], [[31]], [31], 2**45, "pro_rata_days")


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="weight"):
        month_day_matrix([0], [0], [10], [-1], [0], [31], [0, 31], n_rows=1)
    with pytest.raises(ValueError, match="n_rows"):
        month_day_matrix([1], [0], [10], [1], [0], [31], [0, 31], n_rows=1)
    with pytest.raises(ValueError, match="calendar month"):
        accrue_months([[1]], [[10]], [10], 1, "pro_rata_days")


def test_employed_weeks_worked_case() -> None:
    weights = np.zeros(256, dtype=np.int64)
    weights[1] = 2  # employed: full weight (denominator 2)
    weights[2] = 1  # subsidised: half weight
    panel = np.array(
        [
            [5, 1, 1, 2, 2, 5, 1],  # window [1, 6): 2 + 2 + 1 + 1 + 0 = 6 -> 3 weeks
            [1, 1, 1, 1, 1, 1, 1],  # window [0, 7): 7 * 2 = 14 -> 7 weeks
            [-1, 2, 5, 5, 5, 5, 5],  # window [0, 3): code -1 weighs 0, then 1 -> 1/2 week
        ],
        dtype=np.int8,
    )
    result = employed_weeks(panel, [1, 0, 0], [6, 7, 3], weights, block_rows=2)
    assert result.tolist() == [6, 14, 1]
    numerators, denominator = weeks_to_months(result, 2)
    # months = weeks * 12 / 52: 3 weeks = 36/52 = 9/13 months; 7 weeks = 84/52 = 21/13.
    assert [Fraction(int(n), denominator) for n in numerators] == [
        Fraction(9, 13), Fraction(21, 13), Fraction(3, 26)
    ]  # fmt: skip


def test_employed_weeks_reads_negative_codes_as_their_byte() -> None:
    weights = np.zeros(256, dtype=np.int64)
    weights[255] = 1  # code -1 as uint8
    panel = np.array([[-1, -1, 0]], dtype=np.int8)
    assert employed_weeks(panel, 0, 3, weights).tolist() == [2]
