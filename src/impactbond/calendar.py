"""Calendar months, ISO weeks, period grids and month arithmetic.

All month arithmetic of impactbond happens here, on python-dateutil.  Adding
months is ambiguous when the day does not exist in the target month
(31 January + 1 month): :func:`add_months` raises :class:`AmbiguousDate` unless
the contract names a :class:`MonthRounding`.

>>> from datetime import date
>>> add_months(date(2024, 1, 31), 1, rounding=MonthRounding.DOWN)
datetime.date(2024, 2, 29)
>>> add_months(date(2024, 1, 31), 1, rounding=MonthRounding.UP)
datetime.date(2024, 3, 1)
>>> add_months(date(2024, 1, 15), 24)
datetime.date(2026, 1, 15)
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import enum
from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from impactbond.errors import AmbiguousDate, DateOutsideGrid, InvalidWindow

__all__ = [
    "DayCount",
    "MonthRounding",
    "MonthlyGrid",
    "WeeklyGrid",
    "add_months",
    "day_number",
    "days_in_month",
    "from_day_number",
    "iso_week",
    "iso_weeks_in_year",
    "monday_of_iso_week",
    "month_starts_between",
    "whole_periods",
    "year_fraction",
]

#: Day number of an open end: far beyond any contract (year 9999).
OPEN_END_DAY = date(9999, 12, 31).toordinal()
#: The Monday that week 0 starts on (1 January 1900 was a Monday): week indices count from it.
WEEK_ZERO = date(1900, 1, 1).toordinal()


class MonthRounding(enum.Enum):
    """What to do when adding months lands on a day the month does not have."""

    RAISE = "raise"
    """Refuse: the contract must say which way (the default)."""
    UP = "up"
    """Roll forward to the first day of the next month (31 Jan + 1 month = 1 Mar)."""
    DOWN = "down"
    """Clip to the last day of the month (31 Jan + 1 month = 28/29 Feb)."""


def days_in_month(year: int, month: int) -> int:
    """Number of days in a calendar month.

    >>> days_in_month(2024, 2), days_in_month(2023, 2), days_in_month(2024, 12)
    (29, 28, 31)
    """
    return _stdlib_calendar.monthrange(year, month)[1]


def add_months(d: date, n: int, rounding: MonthRounding = MonthRounding.RAISE) -> date:
    """``d`` plus ``n`` calendar months.

    Raises :class:`~impactbond.errors.AmbiguousDate` when the day of ``d`` does
    not exist in the target month and ``rounding`` is ``RAISE``.
    """
    target = d + relativedelta(months=n)  # dateutil clips to the month end
    if target.day == d.day:
        return target
    if rounding is MonthRounding.DOWN:
        return target
    if rounding is MonthRounding.UP:
        return target + timedelta(days=1)
    raise AmbiguousDate(
        f"{d.isoformat()} + {n} months has no day {d.day} in "
        f"{target.year}-{target.month:02d}; name MonthRounding.UP or MonthRounding.DOWN",
        field="rounding",
        rule="ambiguous month arithmetic needs a named rounding",
    )


class DayCount(enum.Enum):
    """How the time between two dates becomes a number of years (a day-count convention).

    A term of the contract wherever a rate "a year" is applied to dated money
    (an IRR cap on the investor's return).  See :func:`year_fraction`.
    """

    ACTUAL_365_FIXED = "actual_365_fixed"
    """Actual days / 365, whatever the year (ISDA 2006, 4.16(d))."""
    ACTUAL_ACTUAL_ISDA = "actual_actual_isda"
    """Days in each calendar year / the days of that year (365 or 366), summed (ISDA 2006, 4.16(b))."""
    THIRTY_360_BOND_BASIS = "30_360_bond_basis"
    """30/360 bond basis (ISDA 2006, 4.16(f)): day 31 counts as 30; an end on day 31
    counts as 30 only when the start is on day 30 or 31.  No end-of-February rule."""
    WHOLE_YEARS = "whole_years"
    """Whole calendar years from the start date: "15 % a year for three years" is 1.15^3."""
    WHOLE_MONTHS = "whole_months"
    """Whole calendar months from the start date, twelve to a year."""


def whole_periods(
    start: date, end: date, months: int, rounding: MonthRounding = MonthRounding.RAISE
) -> int:
    """How many whole periods of ``months`` calendar months fit in ``[start, end)``.

    Period ``n`` ends on ``add_months(start, n * months, rounding)``; a period
    is whole when it ends on or before ``end``.

    >>> whole_periods(date(2024, 1, 1), date(2027, 1, 1), 12), whole_periods(
    ...     date(2024, 1, 1), date(2026, 12, 31), 12)
    (3, 2)
    >>> whole_periods(date(2024, 1, 31), date(2024, 2, 29), 1, MonthRounding.DOWN)
    1
    """
    if end < start:
        raise InvalidWindow(
            f"{end.isoformat()} is before {start.isoformat()}",
            field="end",
            rule="a span ends on or after its start",
        )
    # An estimate from the calendar, then corrected: at most one step either way.
    n = ((end.year - start.year) * 12 + end.month - start.month) // months + 1
    while n > 0 and add_months(start, n * months, rounding) > end:
        n -= 1
    return n


def _thirty_360(start: date, end: date) -> int:
    d1, d2 = min(start.day, 30), end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1


def year_fraction(
    start: date,
    end: date,
    day_count: DayCount,
    rounding: MonthRounding = MonthRounding.RAISE,
) -> Fraction:
    """The years from ``start`` to ``end`` under ``day_count``, exactly.

    ``rounding`` is used by the whole-period counts only (a start on 29
    February or on the 31st makes them ambiguous without one).

    >>> year_fraction(date(2024, 1, 1), date(2027, 1, 1), DayCount.ACTUAL_365_FIXED)
    Fraction(1096, 365)
    >>> year_fraction(date(2024, 1, 1), date(2027, 1, 1), DayCount.ACTUAL_ACTUAL_ISDA)
    Fraction(3, 1)
    >>> f = year_fraction(date(2003, 11, 1), date(2004, 5, 1), DayCount.ACTUAL_ACTUAL_ISDA)
    >>> f == Fraction(61, 365) + Fraction(121, 366), round(float(f), 5)  # ISDA's example
    (True, 0.49772)
    >>> year_fraction(date(2024, 1, 31), date(2024, 3, 31), DayCount.THIRTY_360_BOND_BASIS)
    Fraction(1, 6)
    >>> year_fraction(date(2024, 1, 15), date(2026, 1, 14), DayCount.WHOLE_YEARS)
    Fraction(1, 1)
    >>> year_fraction(date(2024, 1, 15), date(2025, 7, 15), DayCount.WHOLE_MONTHS)
    Fraction(3, 2)

    Notes
    -----
    actual/365 fixed: ``days / 365``.  actual/actual (ISDA): the days falling in
    each calendar year divided by 365 or 366, summed.  30/360 bond basis:
    ``(360 (Y2 - Y1) + 30 (M2 - M1) + (D2 - D1)) / 360`` with ``D1 = 31 -> 30``,
    and ``D2 = 31 -> 30`` when ``D1`` is then 30.  Whole years and whole months:
    :func:`whole_periods` of 12 months, or of one month divided by 12.

    References
    ----------
    International Swaps and Derivatives Association, *2006 ISDA Definitions*,
    Section 4.16 (Day Count Fraction).
    """
    if end < start:
        raise InvalidWindow(
            f"{end.isoformat()} is before {start.isoformat()}",
            field="end",
            rule="a span ends on or after its start",
        )
    if day_count is DayCount.ACTUAL_365_FIXED:
        return Fraction((end - start).days, 365)
    if day_count is DayCount.ACTUAL_ACTUAL_ISDA:
        total = Fraction(0)
        for year in range(start.year, end.year + 1):
            a = max(start, date(year, 1, 1))
            b = min(end, date(year + 1, 1, 1))
            if b > a:
                total += Fraction((b - a).days, 366 if _stdlib_calendar.isleap(year) else 365)
        return total
    if day_count is DayCount.THIRTY_360_BOND_BASIS:
        return Fraction(_thirty_360(start, end), 360)
    if day_count is DayCount.WHOLE_YEARS:
        return Fraction(whole_periods(start, end, 12, rounding))
    return Fraction(whole_periods(start, end, 1, rounding), 12)


def day_number(d: date) -> int:
    """The integer day number the core works with (proleptic Gregorian ordinal)."""
    return d.toordinal()


def from_day_number(n: int) -> date:
    """Inverse of :func:`day_number`."""
    return date.fromordinal(int(n))


def iso_week(d: date) -> tuple[int, int]:
    """ISO year and week of a date.

    >>> iso_week(date(2021, 1, 3)), iso_week(date(2020, 12, 31)), iso_week(date(2024, 12, 30))
    ((2020, 53), (2020, 53), (2025, 1))
    """
    y, w, _ = d.isocalendar()
    return y, w


def iso_weeks_in_year(year: int) -> int:
    """52 or 53: the number of ISO weeks in an ISO year.

    >>> iso_weeks_in_year(2020), iso_weeks_in_year(2021), iso_weeks_in_year(2026)
    (53, 52, 53)
    """
    return date(year, 12, 28).isocalendar()[1]


def monday_of_iso_week(year: int, week: int) -> date:
    """The Monday that starts ISO week ``week`` of ISO year ``year``.

    >>> monday_of_iso_week(2020, 53)
    datetime.date(2020, 12, 28)
    """
    if not 1 <= week <= iso_weeks_in_year(year):
        raise DateOutsideGrid(
            f"ISO year {year} has no week {week}", field="week", rule="ISO 8601 week numbering"
        )
    return date.fromisocalendar(year, week, 1)


def month_starts_between(start: date, end: date) -> npt.NDArray[np.int64]:
    """Day numbers of the first days of the calendar months covering ``[start, end)``.

    The result has one more entry than there are months: month ``m`` is
    ``[result[m], result[m+1])``.

    >>> [from_day_number(x).isoformat() for x in month_starts_between(date(2024, 1, 15), date(2024, 3, 1))]
    ['2024-01-01', '2024-02-01', '2024-03-01']
    """
    if end < start:
        raise InvalidWindow(f"window ends {end} before it starts {start}", field="end")
    first = date(start.year, start.month, 1)
    out = [first.toordinal()]
    cur = first
    while cur < end or len(out) < 2:
        cur = cur + relativedelta(months=1)
        out.append(cur.toordinal())
    return np.asarray(out, dtype=np.int64)


@attrs.frozen
class WeeklyGrid:
    """Consecutive ISO weeks from the Monday ``start`` for ``n_periods`` weeks.

    >>> g = WeeklyGrid(date(2020, 12, 28), 4)
    >>> g.index_of(date(2021, 1, 3)), g.index_of(date(2021, 1, 4)), g.label(0)
    (0, 1, '2020-W53')
    >>> g.start_of(1)
    datetime.date(2021, 1, 4)
    """

    start: date = attrs.field(validator=attrs.validators.instance_of(date))
    n_periods: int = attrs.field(validator=attrs.validators.instance_of(int))

    @start.validator
    def _monday(self, _attr: attrs.Attribute[date], value: date) -> None:
        if value.isoweekday() != 1:
            raise DateOutsideGrid(f"a weekly grid starts on a Monday, not {value}", field="start")

    @classmethod
    def from_iso(cls, year: int, week: int, n_periods: int) -> WeeklyGrid:
        """A grid starting at ISO week ``year-Wweek``."""
        return cls(monday_of_iso_week(year, week), n_periods)

    @classmethod
    def covering(cls, start: date, end: date) -> WeeklyGrid:
        """The smallest weekly grid covering ``[start, end)``."""
        monday = start - timedelta(days=start.isoweekday() - 1)
        n = max(1, -(-(end - monday).days // 7))
        return cls(monday, n)

    @property
    def end(self) -> date:
        """First day after the grid."""
        return self.start + timedelta(weeks=self.n_periods)

    def index_of(self, d: date, *, clip: bool = False) -> int:
        """Index of the week containing ``d`` (outside the grid: error unless ``clip``)."""
        i = (d - self.start).days // 7
        if not clip and not 0 <= i < self.n_periods:
            raise DateOutsideGrid(
                f"{d} lies outside the weekly grid {self.start}..{self.end}", field="date"
            )
        return min(max(i, 0), self.n_periods)

    def indices_of(self, days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Vectorised week index of day numbers (no bounds check: callers clip)."""
        return np.floor_divide(days - self.start.toordinal(), 7)

    def start_of(self, i: int) -> date:
        """Monday of period ``i`` (``i == n_periods`` gives the end)."""
        return self.start + timedelta(weeks=int(i))

    def label(self, i: int) -> str:
        """ISO week label such as ``2021-W01``."""
        y, w = iso_week(self.start_of(i))
        return f"{y}-W{w:02d}"

    def labels(self) -> list[str]:
        """Labels of every period."""
        return [self.label(i) for i in range(self.n_periods)]


@attrs.frozen
class MonthlyGrid:
    """Consecutive calendar months from the month of ``start`` for ``n_periods`` months.

    >>> g = MonthlyGrid(date(2024, 1, 1), 3)
    >>> g.index_of(date(2024, 2, 29)), g.label(2), g.days_in_period(1)
    (1, '2024-03', 29)
    """

    start: date = attrs.field(validator=attrs.validators.instance_of(date))
    n_periods: int = attrs.field(validator=attrs.validators.instance_of(int))

    @start.validator
    def _first(self, _attr: attrs.Attribute[date], value: date) -> None:
        if value.day != 1:
            raise DateOutsideGrid(f"a monthly grid starts on a 1st, not {value}", field="start")

    @classmethod
    def covering(cls, start: date, end: date) -> MonthlyGrid:
        """The smallest monthly grid covering ``[start, end)``."""
        first = date(start.year, start.month, 1)
        n = (end.year - first.year) * 12 + end.month - first.month + (1 if end.day > 1 else 0)
        return cls(first, max(n, 1))

    @property
    def end(self) -> date:
        """First day after the grid."""
        return self.start_of(self.n_periods)

    def index_of(self, d: date, *, clip: bool = False) -> int:
        """Index of the month containing ``d``."""
        i = (d.year - self.start.year) * 12 + d.month - self.start.month
        if not clip and not 0 <= i < self.n_periods:
            raise DateOutsideGrid(
                f"{d} lies outside the monthly grid {self.start}..{self.end}", field="date"
            )
        return min(max(i, 0), self.n_periods)

    def start_of(self, i: int) -> date:
        """First day of month ``i``."""
        return self.start + relativedelta(months=int(i))

    def month_starts(self) -> npt.NDArray[np.int64]:
        """Day numbers of every period start plus the end (length ``n_periods + 1``)."""
        return np.asarray(
            [self.start_of(i).toordinal() for i in range(self.n_periods + 1)], dtype=np.int64
        )

    def days_in_period(self, i: int) -> int:
        """Days in month ``i``."""
        s = self.start_of(i)
        return days_in_month(s.year, s.month)

    def label(self, i: int) -> str:
        """Label such as ``2024-03``."""
        s = self.start_of(i)
        return f"{s.year}-{s.month:02d}"

    def labels(self) -> list[str]:
        """Labels of every period."""
        return [self.label(i) for i in range(self.n_periods)]


def dates_to_day_numbers(
    dates: Iterable[date | None], open_end: int = OPEN_END_DAY
) -> npt.NDArray[np.int64]:
    """Day numbers of dates; ``None`` (an open end) becomes ``open_end``."""
    return np.fromiter((open_end if d is None else d.toordinal() for d in dates), dtype=np.int64)
