"""The clock: every date rule of a settlement, in one place.

A settlement looks at the register data as of a date.  This module turns the
contract's dates (term, tail, referral period, windows), the participants'
dates (enrolment, referral, exit) and the two dates of a run (``as_of`` and
``data_until``) into integer day and week numbers, and states each boundary
as a named convention.  The Definitions clause
(:func:`impactbond.domain.definitions.definitions`) says the same in words.

Conventions (the names are used in tests and in the Definitions):

``TERM_END_INCLUSIVE``
    ``term_end`` and ``referral_end`` are the last days of the term and of
    the referral period.
``MEASUREMENT_TAIL``
    Outcomes are measured and earned up to ``measurement_tail_months`` after
    the term's last day (zero: nothing after the term).
``EXIT_IS_LAST_DAY``
    A participant's ``exited`` date is the last day in the programme; under
    ``on_exit = "stop_measurement"`` nothing is measured after it.
``DATA_UNTIL``
    ``data_until`` is the last day the register data cover (default: the day
    before ``as_of``); a spell still open in the data ends there; nothing is
    earned after it.  It lies before ``as_of``.
``EARNED_ON_LAST_DAY``
    A line is earned on the last day of the period it pays for, once the data
    cover that day.  Every rule kind uses this one boundary.
``WEEK_IN_WINDOW``
    A week (Monday to Sunday) belongs to a window when its Monday lies in the
    window; it is observed once its Sunday lies inside the measurement
    (before the term's end, the exit and after the data cut-off: whole weeks
    only).
``FOLLOW_UP_ON_DAY``
    A follow-up (the status held on the date N calendar months after the
    anchor) is measured on that one day and earned on it: only when the day
    is on or before ``data_until``, inside the term and its tail, and on or
    before an exit under ``on_exit = "stop_measurement"``.
``LOOKBACK_BEFORE_DAY``
    A look-back of N calendar months (or N days) before a date ``d`` is the
    days ``[d - N months, d)``, every day counted whatever the weekday; month
    ends follow the contract's ``month_rounding``.
``INVOICE_PERIODS``
    Consecutive periods of ``invoice_months`` from the term's first day (month
    ends by the contract's ``month_rounding``); the last period of the term
    ends with the term, and periods continue through the tail.
``DUE_AFTER_LAST_DAY``
    An amount is due ``verification_lag_days`` after the last day of its
    invoice period; it is due at ``as_of`` when that day is on or before
    ``as_of``.

Memory and time never grow with ``as_of`` beyond the term: every index is
bounded by the end of the measurement (term plus tail).

>>> from datetime import date
>>> import impactbond as ib
>>> contract, people, trajectories = ib.examples.nyborg()
>>> reg = ib.Register.from_objects(people, trajectories)
>>> obs = observe(contract, reg, as_of=date(2026, 7, 1))
>>> obs.data_until, date.fromordinal(obs.due_on(obs.invoice_period_of([date(2026, 3, 31).toordinal()]))[0])
(datetime.date(2026, 6, 30), datetime.date(2026, 5, 30))
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.calendar import OPEN_END_DAY, WEEK_ZERO, MonthRounding, add_months
from impactbond.domain.contract import Contract, OnExit
from impactbond.domain.outcome import Window
from impactbond.errors import AmbiguousDate, SettlementError
from impactbond.register import NO_DAY, Register

__all__ = ["WEEK_ZERO", "Observation", "observe"]

I64 = npt.NDArray[np.int64]


_ONE_DAY = timedelta(days=1)


def _check_date(value: object, name: str) -> date:
    from datetime import datetime

    if isinstance(value, datetime) or not isinstance(value, date):
        raise SettlementError(
            f"{name} must be a date (not a {type(value).__name__})",
            field=name,
            rule="every evaluation takes an explicit date",
        )
    return value


@attrs.frozen(eq=False)
class Observation:
    """What a settlement sees: the run's dates and the contract's boundaries as day numbers.

    Day numbers are ``date.toordinal()``; every ``*_end`` is exclusive.
    """

    contract: Contract
    as_of: date
    data_until: date
    data_until_given: bool
    term_start: int
    term_end: int
    """The day after the term's last day."""
    measure_end: int
    """The day after the last day anything is measured (the term plus the tail)."""
    data_end: int
    """The day after ``data_until``."""
    exit_end: I64
    """Per participant: the day after the last day measured because of an exit
    (``OPEN_END_DAY`` when there is no exit or the contract keeps measuring)."""
    invoice_bounds: I64
    """Invoice period ``k`` is ``[invoice_bounds[k], invoice_bounds[k + 1])``."""

    # -- bounds ---------------------------------------------------------------
    @property
    def stop(self) -> int:
        """Nothing at or after this day is observed: ``min(data_end, measure_end)``."""
        return min(self.data_end, self.measure_end)

    def earned(self, days: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether a line earned on ``days`` is in the settlement (``EARNED_ON_LAST_DAY``)."""
        d = np.asarray(days, dtype=np.int64)
        return (d < self.data_end) & (d < self.measure_end)

    def measurement_end(self, window_end: I64) -> I64:
        """Per participant: where measurement in a window ends (window, term + tail, exit)."""
        return np.minimum(np.minimum(window_end, self.measure_end), self.exit_end)

    def measured_on_day(self, days: npt.ArrayLike, rows: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether a status held on ``days`` by participant ``rows`` is measured
        (``FOLLOW_UP_ON_DAY``): earned (``EARNED_ON_LAST_DAY``) and not after the exit."""
        d = np.asarray(days, dtype=np.int64)
        return self.earned(d) & (d < self.exit_end[np.asarray(rows, dtype=np.int64)])

    def lookback_start(
        self,
        days: I64,
        *,
        months: int | None = None,
        day_count: int | None = None,
        rounding: MonthRounding = MonthRounding.RAISE,
    ) -> I64:
        """The first day of the look-back before each day (``LOOKBACK_BEFORE_DAY``).

        ``months`` calendar months (month ends by ``rounding``, else the
        contract's) or ``day_count`` days before each day; neither: the day
        itself (an empty look-back).  Raises
        :class:`~impactbond.errors.AmbiguousDate` for a month end that neither
        names.
        """
        d = np.asarray(days, dtype=np.int64)
        if day_count is not None:
            out: I64 = d - day_count
            return out
        if months is None:
            return d.copy()
        if rounding is MonthRounding.RAISE:
            rounding = self.contract.month_rounding
        distinct, where = np.unique(d, return_inverse=True)
        starts = np.empty(len(distinct), dtype=np.int64)
        for k, day in enumerate(distinct.tolist()):
            starts[k] = add_months(date.fromordinal(day), -months, rounding).toordinal()
        result: I64 = starts[where.reshape(d.shape)]
        return result

    # -- weeks (WEEK_IN_WINDOW) ----------------------------------------------------
    @staticmethod
    def week_of(days: npt.ArrayLike) -> I64:
        """The week index holding each day."""
        return np.floor_divide(np.asarray(days, dtype=np.int64) - WEEK_ZERO, 7)

    @staticmethod
    def monday(weeks: npt.ArrayLike) -> I64:
        """The day number of the Monday of each week."""
        return WEEK_ZERO + 7 * np.asarray(weeks, dtype=np.int64)

    @staticmethod
    def first_week_from(days: npt.ArrayLike) -> I64:
        """The first week whose Monday is on or after each day."""
        return -np.floor_divide(WEEK_ZERO - np.asarray(days, dtype=np.int64), 7)

    @staticmethod
    def weeks_ended_before(days: npt.ArrayLike) -> I64:
        """The first week whose Sunday is on or after each day (so earlier weeks ended before it)."""
        return np.floor_divide(np.asarray(days, dtype=np.int64) - WEEK_ZERO, 7)

    def weekly_window(self, window_start: I64, window_end: I64) -> tuple[I64, I64, I64]:
        """Weeks ``[lo, hi)`` of each window, and the first week not measured or not observed.

        ``hi`` is the window's own end (weeks whose Monday lies in it); the
        third array is the first week whose Sunday falls at or after the end
        of the term (plus tail), the exit or the data cut-off.
        """
        lo = self.first_week_from(window_start)
        hi = self.first_week_from(window_end)
        stop = np.minimum(np.minimum(self.exit_end, self.measure_end), self.data_end)
        return lo, hi, self.weeks_ended_before(stop)

    # -- invoices ------------------------------------------------------------------
    def invoice_period_of(self, days: npt.ArrayLike) -> I64:
        """The invoice period (0 = the first) holding each day (``INVOICE_PERIODS``)."""
        d = np.asarray(days)
        if len(d) == 0:
            return np.zeros(0, dtype=np.int64)
        lo, hi = int(d.min()), int(d.max())
        if hi - lo < 100_000:  # one look-up per line in a table of the days spanned
            span = np.arange(lo, hi + 1, dtype=np.int64)
            table = np.searchsorted(self.invoice_bounds, span, side="right") - 1
            k = table[d - lo]
        else:
            k = np.searchsorted(self.invoice_bounds, d.astype(np.int64), side="right") - 1
        if k.min() < 0 or k.max() >= len(self.invoice_bounds) - 1:
            raise SettlementError(
                "a line falls outside every invoice period",
                field="invoice_period",
                rule="lines are earned inside the term (plus its tail)",
            )
        out: I64 = k.astype(np.int64)
        return out

    def period_bounds(self, k: int) -> tuple[date, date]:
        """First and last day of invoice period ``k``."""
        if not 0 <= k < len(self.invoice_bounds) - 1:
            raise SettlementError(f"there is no invoice period {k}", field="invoice_period")
        return (
            date.fromordinal(int(self.invoice_bounds[k])),
            date.fromordinal(int(self.invoice_bounds[k + 1]) - 1),
        )

    def due_on(self, periods: npt.ArrayLike) -> I64:
        """The due date of each invoice period (``DUE_AFTER_LAST_DAY``)."""
        k = np.asarray(periods, dtype=np.int64)
        lag = self.contract.schedule.verification_lag_days
        return self.invoice_bounds[k + 1] - 1 + lag

    def is_due(self, due_on: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether amounts due on these days are due at ``as_of``."""
        return np.asarray(due_on, dtype=np.int64) <= self.as_of.toordinal()

    # -- windows ---------------------------------------------------------------------
    def windows(self, register: Register, window: Window) -> tuple[I64, I64]:
        """Start and (exclusive) end of every participant's window, as day numbers.

        Month arithmetic runs once per distinct anchor date; an anchor of
        ``"referred"`` needs every participant's referral date.
        """
        anchor = register.referred if window.anchor == "referred" else register.enrolled
        missing = np.flatnonzero(anchor == NO_DAY)
        if len(missing):
            ids = [str(register.ids[int(i)].as_py()) for i in missing[:5]]
            raise SettlementError(
                f"{len(missing)} participants have no referral date, and the window is measured "
                f"from referral: {', '.join(ids)}",
                participant=ids[0],
                field="referred",
                rule="a window anchored on the referral date needs every referral date",
            )
        rounding = window.month_rounding
        if rounding is MonthRounding.RAISE:
            rounding = self.contract.month_rounding
        window = attrs.evolve(window, month_rounding=rounding)
        distinct, where = np.unique(anchor.astype(np.int64), return_inverse=True)
        starts = np.empty(len(distinct), dtype=np.int64)
        ends = np.empty(len(distinct), dtype=np.int64)
        for k, day in enumerate(distinct.tolist()):
            try:
                s, e = window.bounds(date.fromordinal(day))
            except AmbiguousDate as err:
                who = str(register.ids[int(np.flatnonzero(where == k)[0])].as_py())
                raise AmbiguousDate(
                    err.message, participant=who, field="window", rule=err.rule
                ) from err
            starts[k], ends[k] = s.toordinal(), e.toordinal()
        return starts[where], ends[where]


def _invoice_bounds(contract: Contract, measure_end: int) -> I64:
    n = contract.schedule.invoice_months
    term_end = contract.term_end.toordinal() + 1
    bounds = {term_end, measure_end}
    k = 0
    while True:
        day = add_months(contract.term_start, k * n, contract.month_rounding).toordinal()
        if day >= measure_end:
            break
        bounds.add(day)
        k += 1
    return np.array(sorted(b for b in bounds if b <= measure_end), dtype=np.int64)


def observe(
    contract: Contract, register: Register, *, as_of: date, data_until: date | None = None
) -> Observation:
    """The observation of ``register`` under ``contract`` at ``as_of``.

    Raises
    ------
    SettlementError
        ``as_of`` or ``data_until`` not a date, ``as_of`` before the term
        starts, ``data_until`` on or after ``as_of``.
    """
    as_of = _check_date(as_of, "as_of")
    if as_of < contract.term_start:
        raise SettlementError(
            f"as_of {as_of} is before the contract starts {contract.term_start}",
            field="as_of",
            rule="a contract is evaluated on or after its start",
        )
    given = data_until is not None
    if data_until is None:
        data_until = as_of - _ONE_DAY
    data_until = _check_date(data_until, "data_until")
    if data_until >= as_of:
        raise SettlementError(
            f"data_until {data_until} is not before as_of {as_of}",
            field="data_until",
            rule="the register data end before the evaluation date",
        )
    term_end = contract.term_end.toordinal() + 1
    tail = contract.measurement_tail_months
    measure_end = (
        add_months(date.fromordinal(term_end), tail, contract.month_rounding).toordinal()
        if tail
        else term_end
    )
    if contract.on_exit is OnExit.STOP_MEASUREMENT:
        exited = register.exited.astype(np.int64)
        exit_end = np.where(exited == NO_DAY, OPEN_END_DAY, exited + 1)
    else:
        exit_end = np.full(len(register), OPEN_END_DAY, dtype=np.int64)
    return Observation(
        contract=contract,
        as_of=as_of,
        data_until=data_until,
        data_until_given=given,
        term_start=contract.term_start.toordinal(),
        term_end=term_end,
        measure_end=measure_end,
        data_end=data_until.toordinal() + 1,
        exit_end=exit_end.astype(np.int64),
        invoice_bounds=_invoice_bounds(contract, measure_end),
    )
