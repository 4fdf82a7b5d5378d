"""Day counts held equal to slow, obviously correct references (day by day, period by period)."""

import calendar
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from impactbond.calendar import DayCount, MonthRounding, add_months, year_fraction

dates = st.dates(min_value=date(1999, 1, 1), max_value=date(2031, 12, 31))
roundings = st.sampled_from([MonthRounding.DOWN, MonthRounding.UP])


def _span(a: date, b: date) -> tuple[date, date]:
    return (a, b) if a <= b else (b, a)


def actual_actual_slowly(start: date, end: date) -> Fraction:
    """Each day adds 1/366 or 1/365, by the year it falls in."""
    total, day = Fraction(0), start
    while day < end:
        total += Fraction(1, 366 if calendar.isleap(day.year) else 365)
        day += timedelta(days=1)
    return total


def whole_periods_slowly(start: date, end: date, months: int, rounding: MonthRounding) -> int:
    """Count periods from zero while the next one still ends on or before ``end``."""
    n = 0
    while add_months(start, (n + 1) * months, rounding) <= end:
        n += 1
    return n


@given(dates, dates)
def test_actual_actual_isda_equals_a_day_by_day_sum(a: date, b: date) -> None:
    start, end = _span(a, b)
    assert year_fraction(start, end, DayCount.ACTUAL_ACTUAL_ISDA) == actual_actual_slowly(
        start, end
    )


@given(dates, dates, dates)
def test_actual_counts_add_up_over_a_split_span(a: date, b: date, c: date) -> None:
    start, middle, end = sorted((a, b, c))
    for dc in (DayCount.ACTUAL_ACTUAL_ISDA, DayCount.ACTUAL_365_FIXED):
        assert year_fraction(start, end, dc) == year_fraction(start, middle, dc) + year_fraction(
            middle, end, dc
        )


@given(dates, dates, roundings)
def test_whole_periods_equal_counting_them_one_by_one(a: date, b: date, r: MonthRounding) -> None:
    start, end = _span(a, b)
    years = year_fraction(start, end, DayCount.WHOLE_YEARS, r)
    months = year_fraction(start, end, DayCount.WHOLE_MONTHS, r)
    assert years == whole_periods_slowly(start, end, 12, r)
    assert months == Fraction(whole_periods_slowly(start, end, 1, r), 12)
    assert years <= months  # a whole year is twelve whole months


@given(dates, dates)
def test_thirty_360_of_whole_months_between_first_days(a: date, b: date) -> None:
    # From the 1st of a month to the 1st of another, 30/360 counts whole months / 12.
    start, end = _span(a.replace(day=1), b.replace(day=1))
    months = (end.year - start.year) * 12 + end.month - start.month
    assert year_fraction(start, end, DayCount.THIRTY_360_BOND_BASIS) == Fraction(months, 12)
