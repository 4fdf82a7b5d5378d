"""Outcome definitions: what a contract measures for each participant.

Each outcome carries an ``id`` (used by payment rules) and the ``clause`` of
the contract it implements.  Outcomes are data; :func:`impactbond.settle`
evaluates them on the core.

>>> from impactbond.status import Status
>>> em = EmploymentMonths("employment_months", clause="4.1")
>>> em.weight_of(Status.EMPLOYED), em.weight_of(Status.SICKNESS_BENEFIT)
(Fraction(1, 1), Fraction(0, 1))
>>> em.window.length_months
24
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from impactbond.calendar import MonthRounding, add_months
from impactbond.core.accrual import AccrualConvention
from impactbond.domain import _validators as v
from impactbond.domain.terms import exact_fraction
from impactbond.errors import InvalidContract
from impactbond.status import BENEFITS, Status

__all__ = [
    "EmploymentMonths",
    "JobStart",
    "MissingHours",
    "Outcome",
    "Progression",
    "RecordedEvent",
    "Retention",
    "SelfSufficiency",
    "StatusAtFollowUp",
    "SustainedEmployment",
    "Window",
    "to_weights",
]

Weights = tuple[tuple[Status, Fraction], ...]


def to_weights(value: Mapping[Any, Any] | Iterable[Any] | None) -> Weights:
    """Normalise status weights to sorted ``((Status, Fraction), ...)`` pairs.

    Accepts a mapping ``{status: weight}`` (names, codes or Status; weights as
    int, Decimal, str such as ``"1/2"``) or an iterable of statuses (weight 1).

    >>> to_weights({"employed": 1, "flexjob": "1/2"})
    ((<Status.EMPLOYED: 1>, Fraction(1, 1)), (<Status.FLEXJOB: 14>, Fraction(1, 2)))
    """
    if value is None:
        return ((Status.EMPLOYED, Fraction(1)),)
    pairs: dict[Status, Fraction] = {}
    if isinstance(value, Mapping):
        items = list(value.items())
    else:
        items = [(s, 1) if not isinstance(s, tuple) else s for s in value]
    for status, weight in items:
        st = Status.parse(status)
        w = exact_fraction(weight)
        if not 0 <= w <= 1:
            raise InvalidContract(
                f"weight {w} of {st.name} is outside [0, 1]",
                field="weights",
                rule="a status weight lies between 0 and 1",
            )
        pairs[st] = w
    return tuple(sorted(pairs.items()))


class MissingHours(enum.Enum):
    """What a spell without weekly hours counts as, where an outcome weighs hours.

    A contract term, never an assumption: an outcome with ``hours_norm`` or
    ``min_weekly_hours`` must name it.
    """

    FULL_TIME = "full_time"
    """A spell without hours counts as full time."""
    NOT_COUNTED = "not_counted"
    """A spell without hours counts nothing."""


def _self_sufficient_weights() -> Weights:
    return tuple((s, Fraction(1)) for s in Status if s not in BENEFITS and s is not Status.UNKNOWN)


def _month_rounding(value: Any) -> Any:
    return v.member(MonthRounding, value)


def _accrual_convention(value: Any) -> Any:
    return v.member(AccrualConvention, value)


def _optional_missing_hours(value: Any) -> Any:
    return None if value is None else v.member(MissingHours, value)


@attrs.frozen
class Window:
    """The measurement window (forløb) of a participant, relative to an anchor date.

    ``[anchor + start_months, anchor + start_months + length_months)``; month
    arithmetic that lands on a missing day uses ``month_rounding``.

    >>> from datetime import date
    >>> Window(length_months=24).bounds(date(2024, 1, 31))
    (datetime.date(2024, 1, 31), datetime.date(2026, 1, 31))
    >>> Window(length_months=1, month_rounding=MonthRounding.DOWN).bounds(date(2024, 1, 31))
    (datetime.date(2024, 1, 31), datetime.date(2024, 2, 29))
    """

    # At most 100 years (1,200 months, 5,200 weeks): bounded date arithmetic on any input.
    length_months: int = attrs.field(
        default=24, validator=v.and_(v.instance_of(int), v.gt(0), v.le(1200))
    )
    start_months: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0), v.le(1200))
    )
    anchor: str = attrs.field(default="enrolled", validator=v.in_(("enrolled", "referred")))
    month_rounding: MonthRounding = attrs.field(
        default=MonthRounding.RAISE, converter=_month_rounding, validator=v.member_of(MonthRounding)
    )

    def bounds(self, anchor_date: date) -> tuple[date, date]:
        """Start and (exclusive) end of the window for one anchor date."""
        start = add_months(anchor_date, self.start_months, self.month_rounding)
        end = add_months(anchor_date, self.start_months + self.length_months, self.month_rounding)
        return start, end


def _check_hours_terms(outcome: Any, hours: Any, name: str) -> None:
    """An outcome that weighs hours says what a spell without hours counts as, and only then."""
    if hours is not None and outcome.missing_hours is None:
        raise InvalidContract(
            f"{outcome.id} weighs weekly hours ({name}) but does not say what a spell without "
            'hours counts as: missing_hours = "full_time" or "not_counted"',
            field="missing_hours",
            clause=outcome.clause or None,
            rule="what a missing hours cell means is a term of the contract",
        )
    if hours is None and outcome.missing_hours is not None:
        raise InvalidContract(
            f"{outcome.id} names missing_hours but weighs no hours ({name})",
            field="missing_hours",
            clause=outcome.clause or None,
            rule="missing_hours goes with hours_norm or min_weekly_hours",
        )


def _clause_field() -> Any:
    return attrs.field(default="", validator=v.instance_of(str), kw_only=True)


def _id_field() -> Any:
    return attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))


@attrs.frozen
class EmploymentMonths:
    """Months in employment (beskæftigelsesmåneder) accrued in the window.

    ``weights`` says which statuses count and with what weight (subsidised
    employment may count 1/2); ``hours_norm`` (e.g. 37) weights spells with
    weekly hours against full time, capped at full time; ``convention`` says
    how employed days become months.
    """

    id: str = _id_field()
    clause: str = _clause_field()
    weights: Weights = attrs.field(
        factory=lambda: to_weights(None), converter=to_weights, kw_only=True
    )
    convention: AccrualConvention = attrs.field(
        default=AccrualConvention.PRO_RATA_DAYS,
        converter=_accrual_convention,
        validator=v.member_of(AccrualConvention),
        kw_only=True,
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    hours_norm: Decimal | None = attrs.field(
        default=None,
        converter=v.as_optional_decimal,
        validator=v.optional(v.decimal_number),
        kw_only=True,
    )
    missing_hours: MissingHours | None = attrs.field(
        default=None,
        converter=_optional_missing_hours,
        validator=v.optional(v.member_of(MissingHours)),
        kw_only=True,
    )
    """What a spell without hours counts as (required with ``hours_norm``)."""
    kind: str = attrs.field(default="employment_months", init=False)
    unit: str = attrs.field(default="month", init=False)

    def __attrs_post_init__(self) -> None:
        _check_hours_terms(self, self.hours_norm, "hours_norm")
        if self.hours_norm is not None:
            if self.hours_norm <= 0 or self.hours_norm > 168:
                raise InvalidContract(
                    f"hours norm {self.hours_norm} is not a number of weekly hours in (0, 168]",
                    field="hours_norm",
                    clause=self.clause or None,
                    rule="the full-time norm is a positive number of weekly hours",
                )
            if self.hours_norm * 100 != int(self.hours_norm * 100):
                raise InvalidContract(
                    f"hours norm {self.hours_norm} has more than two decimals",
                    field="hours_norm",
                    clause=self.clause or None,
                    rule="hours are given to at most 1/100 hour",
                )
            if self.convention is AccrualConvention.WEEKS_52_12:
                raise InvalidContract(
                    "hours weighting is defined for daily conventions; WEEKS_52_12 counts weeks",
                    field="hours_norm",
                    clause=self.clause or None,
                    rule="WEEKS_52_12 takes status weights only",
                )

    def weight_of(self, status: Status) -> Fraction:
        """The weight of one status (0 when it does not count)."""
        return dict(self.weights).get(status, Fraction(0))


@attrs.frozen
class JobStart:
    """A job start: the first employed week in the window (one event per person)."""

    id: str = _id_field()
    clause: str = _clause_field()
    weights: Weights = attrs.field(
        factory=lambda: to_weights(None), converter=to_weights, kw_only=True
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="job_start", init=False)
    unit: str = attrs.field(default="event", init=False)


@attrs.frozen
class SustainedEmployment:
    """Employment sustained for ``weeks`` weeks after the job start.

    Continuous, where gaps of at most ``allowed_gap_weeks`` do not break the
    run, or ``cumulative`` (``weeks`` employed weeks in total).  With
    ``same_employer`` only weeks with the employer of the job start count;
    with ``min_weekly_hours`` only weeks whose register hours reach it (a week
    of a spell without hours counts as the contract's ``missing_hours`` says).
    A week in which a benefit is paid is never an employed week (the benefit wins the week), so these weeks are also off
    benefit.
    """

    id: str = _id_field()
    clause: str = _clause_field()
    weeks: int = attrs.field(
        default=13, validator=v.and_(v.instance_of(int), v.gt(0), v.le(5200)), kw_only=True
    )
    allowed_gap_weeks: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0), v.le(5200)), kw_only=True
    )
    cumulative: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    same_employer: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    min_weekly_hours: Decimal | None = attrs.field(
        default=None,
        converter=v.as_optional_decimal,
        validator=v.optional(v.decimal_number),
        kw_only=True,
    )
    missing_hours: MissingHours | None = attrs.field(
        default=None,
        converter=_optional_missing_hours,
        validator=v.optional(v.member_of(MissingHours)),
        kw_only=True,
    )
    """What a week of a spell without hours counts as (required with ``min_weekly_hours``)."""
    weights: Weights = attrs.field(
        factory=lambda: to_weights(None), converter=to_weights, kw_only=True
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="sustained_employment", init=False)
    unit: str = attrs.field(default="event", init=False)

    def __attrs_post_init__(self) -> None:
        _check_hours_terms(self, self.min_weekly_hours, "min_weekly_hours")
        if self.min_weekly_hours is not None and not 0 <= self.min_weekly_hours <= 168:
            raise InvalidContract(
                f"min_weekly_hours {self.min_weekly_hours} is not a number of weekly hours",
                field="min_weekly_hours",
                clause=self.clause or None,
                rule="weekly hours lie between 0 and 168",
            )


@attrs.frozen
class Retention:
    """Still employed (or with the same employer) at a horizon after the job start.

    The horizon is ``horizon_weeks`` after the job start week or, when
    ``horizon_months`` is given, the week holding the date that many calendar
    months after the job start (month ends follow the contract's
    ``month_rounding``).  People whose horizon lies after ``as_of`` are
    censored: neither retained nor failures.  The cohort's retention rate is
    reported in the settlement.
    """

    id: str = _id_field()
    clause: str = _clause_field()
    horizon_weeks: int | None = attrs.field(
        default=None,
        validator=v.optional(v.and_(v.instance_of(int), v.gt(0), v.le(5200))),
        kw_only=True,
    )
    horizon_months: int | None = attrs.field(
        default=None,
        validator=v.optional(v.and_(v.instance_of(int), v.gt(0), v.le(1200))),
        kw_only=True,
    )
    same_employer: bool = attrs.field(default=False, validator=v.instance_of(bool), kw_only=True)
    weights: Weights = attrs.field(
        factory=lambda: to_weights(None), converter=to_weights, kw_only=True
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="retention", init=False)
    unit: str = attrs.field(default="event", init=False)

    def __attrs_post_init__(self) -> None:
        if (self.horizon_months is None) == (self.horizon_weeks is None):
            raise InvalidContract(
                "give the retention horizon in weeks or in months (exactly one)",
                field="horizon_months" if self.horizon_months is not None else "horizon_weeks",
                clause=self.clause or None,
                rule="one horizon per retention outcome",
            )

    @property
    def horizon_label(self) -> str:
        """The horizon in words: ``26 weeks`` or ``6 months``."""
        if self.horizon_months is not None:
            return f"{self.horizon_months} months"
        return f"{self.horizon_weeks} weeks"


@attrs.frozen
class SelfSufficiency:
    """Months with no public benefit (selvforsørgelse).

    With ``without_benefit_weeks`` set, the outcome is instead one event when
    the person has gone that many consecutive weeks without any benefit.
    """

    id: str = _id_field()
    clause: str = _clause_field()
    weights: Weights = attrs.field(
        factory=_self_sufficient_weights, converter=to_weights, kw_only=True
    )
    convention: AccrualConvention = attrs.field(
        default=AccrualConvention.WHOLE_MONTHS,
        converter=_accrual_convention,
        validator=v.member_of(AccrualConvention),
        kw_only=True,
    )
    without_benefit_weeks: int | None = attrs.field(
        default=None,
        validator=v.optional(v.and_(v.instance_of(int), v.gt(0), v.le(5200))),
        kw_only=True,
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="self_sufficiency", init=False)

    @property
    def unit(self) -> str:
        """``"event"`` for the N-weeks rule, otherwise ``"month"``."""
        return "event" if self.without_benefit_weeks is not None else "month"


def _ladder(value: Iterable[Any]) -> tuple[tuple[Status, ...], ...]:
    rungs: list[tuple[Status, ...]] = []
    for rung in value:
        if isinstance(rung, str | int | Status):
            rungs.append((Status.parse(rung),))
        else:
            rungs.append(tuple(Status.parse(s) for s in rung))
    if len(rungs) < 2:
        raise InvalidContract("a progression ladder has at least two rungs", field="ladder")
    problems: list[str] = []
    where: dict[Status, list[int]] = {}
    for i, rung_statuses in enumerate(rungs):
        if not rung_statuses:
            problems.append(f"rung {i} is empty")
        for s in rung_statuses:
            where.setdefault(s, []).append(i)
    for s, at in where.items():
        if len(at) == 1:
            continue
        if len(set(at)) == 1:
            problems.append(f"{s.file_name} is listed {len(at)} times on rung {at[0]}")
        else:
            on = " and ".join(str(i) for i in sorted(set(at)))
            problems.append(f"{s.file_name} stands on rungs {on}")
    if problems:
        raise InvalidContract(
            f"progression ladder (rung 0 lowest): {'; '.join(problems)}",
            field="ladder",
            rule="each status stands once on one rung, and no rung is empty",
        )
    return tuple(rungs)


@attrs.frozen
class Progression:
    """Moves up an ordered ladder of statuses (lowest rung first).

    The quantity is the number of rungs climbed: the highest rung reached in
    the window minus the rung at the window's start (never negative).
    Statuses not on the ladder neither raise nor lower the rung.
    """

    id: str = _id_field()
    clause: str = _clause_field()
    ladder: tuple[tuple[Status, ...], ...] = attrs.field(
        factory=lambda: _ladder(
            [
                (
                    "sickness_benefit",
                    "unemployment_benefit",
                    "flexjob_unemployment_benefit",
                    "cash_benefit",
                    "education_assistance",
                    "integration_benefit",
                ),
                ("clarification_course", "resource_course", "vocational_rehabilitation"),
                ("flexjob", "wage_subsidy", "education"),
                ("employed",),
            ]
        ),
        converter=_ladder,
        kw_only=True,
    )
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="progression", init=False)
    unit: str = attrs.field(default="step", init=False)

    def rung_of(self, status: Status) -> int:
        """The rung (0 = lowest) of a status, -1 when it is not on the ladder."""
        for i, rung in enumerate(self.ladder):
            if status in rung:
                return i
        return -1


@attrs.frozen
class RecordedEvent:
    """An outcome recorded in the data as a dated event (a qualification, better attendance).

    Outcomes that are not read from the registers (an exam passed, improved
    behaviour confirmed by a school) are given to :func:`impactbond.settle`
    as ``events``: ``{participant_id: [(event_name, date), ...]}``.  Each
    event named ``event`` inside the window counts once (or only the first
    when ``once``).
    """

    id: str = _id_field()
    clause: str = _clause_field()
    event: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)), kw_only=True)
    once: bool = attrs.field(default=True, validator=v.instance_of(bool), kw_only=True)
    window: Window = attrs.field(factory=Window, validator=v.instance_of(Window), kw_only=True)
    kind: str = attrs.field(default="recorded_event", init=False)
    unit: str = attrs.field(default="event", init=False)


#: The longest follow-up after the anchor, in months (50 years).
MAX_FOLLOW_UP_MONTHS = 600
#: The longest look-back: 10 years, as 120 calendar months or 3,653 days.
MAX_LOOKBACK_MONTHS = 120
MAX_LOOKBACK_DAYS = 3653


def _statuses(value: Any) -> tuple[Status, ...]:
    """Statuses by name, code or Status, in code order, each once."""
    if value is None:
        return ()
    if isinstance(value, str | int | Status):
        value = [value]
    return tuple(sorted({Status.parse(s) for s in value}))


def _follow_up_months(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        value = [value]
    return tuple(value)


@attrs.frozen
class StatusAtFollowUp:
    """Holding a status on each follow-up date ("in employment or education at 12 months").

    The follow-up dates of a participant are ``follow_up_months`` calendar
    months after the anchor (``enrolled`` or ``referred``), month ends by
    ``month_rounding`` (else the contract's).  A follow-up is one unit,
    earned on its date (``FOLLOW_UP_ON_DAY``) when the participant holds one
    of ``statuses`` that day and, with a look-back, held none of the
    look-back's statuses on any day of the ``lookback_months`` calendar
    months (or ``lookback_days`` days) before it.  The look-back's statuses
    are ``without_statuses`` (empty: every benefit) less ``except_statuses``.
    Each unit carries its follow-up, so a price can differ by follow-up
    (:attr:`~impactbond.domain.payment.PricePerUnit.price_by_follow_up`).

    >>> o = StatusAtFollowUp("in_work", follow_up_months=[12, 24], statuses=["employed"],
    ...     lookback_months=6, except_statuses=["disability_pension"])
    >>> Status.DISABILITY_PENSION in o.lookback_statuses, Status.CASH_BENEFIT in o.lookback_statuses
    (False, True)
    >>> o.follow_up_dates(date(2024, 1, 31), MonthRounding.DOWN)
    (datetime.date(2025, 1, 31), datetime.date(2026, 1, 31))
    """

    id: str = _id_field()
    clause: str = _clause_field()
    follow_up_months: tuple[int, ...] = attrs.field(converter=_follow_up_months, kw_only=True)
    statuses: tuple[Status, ...] = attrs.field(
        default=(Status.EMPLOYED,), converter=_statuses, kw_only=True
    )
    anchor: str = attrs.field(
        default="enrolled", validator=v.in_(("enrolled", "referred")), kw_only=True
    )
    month_rounding: MonthRounding = attrs.field(
        default=MonthRounding.RAISE, converter=MonthRounding, kw_only=True
    )
    lookback_months: int | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(int)), kw_only=True
    )
    lookback_days: int | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(int)), kw_only=True
    )
    without_statuses: tuple[Status, ...] = attrs.field(
        factory=tuple, converter=_statuses, kw_only=True
    )
    """The statuses the look-back excludes (empty: every benefit)."""
    except_statuses: tuple[Status, ...] = attrs.field(
        factory=tuple, converter=_statuses, kw_only=True
    )
    """Statuses of ``without_statuses`` (or of the benefits) the look-back allows."""
    kind: str = attrs.field(default="status_at_follow_up", init=False)
    unit: str = attrs.field(default="follow-up", init=False)

    def __attrs_post_init__(self) -> None:
        clause = self.clause or None

        def bad(message: str, field: str, rule: str) -> None:
            raise InvalidContract(f"{self.id}: {message}", field=field, clause=clause, rule=rule)

        months = self.follow_up_months
        if not months:
            bad("no follow-ups", "follow_up_months", "a follow-up schedule has a follow-up")
        for m in months:
            if isinstance(m, bool) or not isinstance(m, int):
                bad(
                    f"follow-up {m!r} is not a whole number of months",
                    "follow_up_months",
                    "follow-ups are whole months after the anchor",
                )
            if not 0 < m <= MAX_FOLLOW_UP_MONTHS:
                bad(
                    f"follow-up at {m} months is not in 1..{MAX_FOLLOW_UP_MONTHS}",
                    "follow_up_months",
                    "a follow-up lies 1 to 600 months after the anchor",
                )
        later = [f"{a} then {b}" for a, b in itertools.pairwise(months) if b <= a]
        if later:
            bad(
                f"follow-ups are not strictly increasing ({', '.join(later)} months)",
                "follow_up_months",
                "a follow-up schedule is strictly increasing",
            )
        if not self.statuses:
            bad("no statuses to hold", "statuses", "a follow-up names the statuses it counts")
        if self.lookback_months is not None and self.lookback_days is not None:
            bad(
                "give the look-back in months or in days, not both",
                "lookback_days",
                "one look-back per follow-up outcome",
            )
        for name, value, top in (
            ("lookback_months", self.lookback_months, MAX_LOOKBACK_MONTHS),
            ("lookback_days", self.lookback_days, MAX_LOOKBACK_DAYS),
        ):
            if value is not None and (isinstance(value, bool) or not 0 < value <= top):
                bad(
                    f"{name} {value} is not in 1..{top}",
                    name,
                    "a look-back is positive and at most 10 years",
                )
        if not self.has_lookback and (self.without_statuses or self.except_statuses):
            name = "without_statuses" if self.without_statuses else "except_statuses"
            bad(
                f"{name} without a look-back (lookback_months or lookback_days)",
                name,
                "look-back statuses go with a look-back period",
            )
        base = set(self.without_statuses) or set(BENEFITS)
        idle = sorted(set(self.except_statuses) - base)
        if idle:
            bad(
                f"except_statuses {', '.join(s.file_name for s in idle)} are not among the "
                "look-back's excluded statuses",
                "except_statuses",
                "an exception names a status the look-back would otherwise exclude",
            )

    @property
    def has_lookback(self) -> bool:
        """Whether a follow-up also looks back (``lookback_months`` or ``lookback_days``)."""
        return self.lookback_months is not None or self.lookback_days is not None

    @property
    def lookback_statuses(self) -> tuple[Status, ...]:
        """The statuses no day of the look-back may hold (empty without a look-back)."""
        if not self.has_lookback:
            return ()
        base = set(self.without_statuses) or set(BENEFITS)
        return tuple(sorted(base - set(self.except_statuses)))

    @property
    def window(self) -> Window:
        """The span the follow-ups lie in: from the anchor to the last follow-up date.

        The last follow-up date is the window's (exclusive) end; a follow-up is
        measured on its own date (``FOLLOW_UP_ON_DAY``), not by the window.
        """
        return Window(
            length_months=self.follow_up_months[-1],
            anchor=self.anchor,
            month_rounding=self.month_rounding,
        )

    def follow_up_window(self, months: int) -> Window:
        """The window whose (exclusive) end is the follow-up ``months`` after the anchor."""
        return Window(length_months=months, anchor=self.anchor, month_rounding=self.month_rounding)

    def follow_up_dates(
        self, anchor_date: date, rounding: MonthRounding = MonthRounding.RAISE
    ) -> tuple[date, ...]:
        """The follow-up dates of one anchor date (``rounding`` when the outcome names none)."""
        r = self.month_rounding if self.month_rounding is not MonthRounding.RAISE else rounding
        return tuple(add_months(anchor_date, m, r) for m in self.follow_up_months)

    def lookback_start(
        self, follow_up: date, rounding: MonthRounding = MonthRounding.RAISE
    ) -> date:
        """The first day of the look-back before ``follow_up`` (the follow-up itself if none)."""
        if self.lookback_days is not None:
            return follow_up - timedelta(days=self.lookback_days)
        if self.lookback_months is not None:
            r = self.month_rounding if self.month_rounding is not MonthRounding.RAISE else rounding
            return add_months(follow_up, -self.lookback_months, r)
        return follow_up


Outcome = (
    EmploymentMonths
    | JobStart
    | SustainedEmployment
    | Retention
    | SelfSufficiency
    | Progression
    | RecordedEvent
    | StatusAtFollowUp
)
"""Any outcome kind (a tagged union in contract files, tag ``kind``)."""

OUTCOME_KINDS: dict[str, type[Any]] = {
    "employment_months": EmploymentMonths,
    "job_start": JobStart,
    "sustained_employment": SustainedEmployment,
    "retention": Retention,
    "self_sufficiency": SelfSufficiency,
    "progression": Progression,
    "recorded_event": RecordedEvent,
    "status_at_follow_up": StatusAtFollowUp,
}
