"""What a scenario assumes: the programme's effect, the referrals, the cost of benefits.

:class:`Effect`
    The programme's effect on the weekly status model: a relative increase of
    the weekly probability of entering ordinary employment, and a relative
    increase of the time a job lasts (the weekly probability of leaving a
    job divided by ``1 + job_stay``).
:class:`Referrals`
    How many citizens each cohort refers, and at what pace: evenly over a
    number of weeks from a start date.
:class:`BenefitCosts`
    What a week of each benefit costs the municipality, and the state's
    refusion of it, so that the weeks of benefit the programme avoids can be
    priced net of refusion.

Parameter uncertainty comes from the calibration (:meth:`Fit.draw
<impactbond.simulate.calibrate.Fit.draw>`): each scenario draws its own
transition matrices from the fit.

>>> import numpy as np
>>> from impactbond.status import Status
>>> states = (Status.UNEMPLOYMENT_BENEFIT, Status.EMPLOYED)
>>> p = np.array([[0.9, 0.1], [0.02, 0.98]])
>>> Effect(job_entry=0.5, job_stay=1.0).apply(p, states).round(3).tolist()
[[0.85, 0.15], [0.01, 0.99]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
from attrs import validators as v

from impactbond.domain.contract import Contract
from impactbond.domain.terms import RefusionSchedule
from impactbond.errors import InvalidInput
from impactbond.money import Money
from impactbond.status import BENEFITS, Status

__all__ = ["BenefitCosts", "Effect", "Referrals"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _relative(_inst: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidInput(f"{attribute.name} is a number, not {value!r}", field=attribute.name)
    if not math.isfinite(value) or value <= -1:
        raise InvalidInput(
            f"{attribute.name} {value} is not a finite number above -1",
            field=attribute.name,
            rule="a relative change keeps the rate positive",
        )


@attrs.frozen
class Effect:
    """The programme's effect: relative changes of the weekly job-entry and job-leaving rates.

    Parameters
    ----------
    job_entry:
        Relative increase of the weekly probability of moving into ordinary
        employment from any other status (0.3: 30 % more likely each week);
        the other moves out of that status give way in proportion.
    job_stay:
        Relative increase of how long a job lasts: the weekly probability of
        leaving ordinary employment is divided by ``1 + job_stay`` (0.25: jobs
        last 25 % longer on average); staying takes up the difference.

    Both apply in every simulated week, for every cohort.  ``Effect()`` is no
    effect: the counterfactual.
    """

    job_entry: float = attrs.field(default=0.0, validator=_relative)
    job_stay: float = attrs.field(default=0.0, validator=_relative)

    @property
    def is_none(self) -> bool:
        """True for no effect at all."""
        return self.job_entry == 0 and self.job_stay == 0

    def scaled(self, factor: float) -> Effect:
        """The effect multiplied by ``factor`` (both parameters)."""
        return Effect(job_entry=self.job_entry * factor, job_stay=self.job_stay * factor)

    def apply(self, transitions: F64, states: Sequence[Status]) -> F64:
        """Transition matrices ``(..., S, S)`` over ``states`` with the effect applied.

        Notes
        -----
        With ``e`` ordinary employment and ``p`` a row of a status ``i != e``:
        :math:`p'_e = \\min(1, p_e (1 + a))` and :math:`p'_j = p_j (1 - p'_e)
        / (1 - p_e)` for ``j != e``.  In the row of ``e``:
        :math:`p'_j = p_j / (1 + b)` for ``j != e`` (scaled down to sum to
        one if they would sum to more) and :math:`p'_e = 1 - \\sum_{j \\ne e}
        p'_j`.  Rows still sum to one.
        """
        p = np.array(transitions, dtype=np.float64, copy=True)
        if self.is_none:
            return p
        if Status.EMPLOYED not in states:
            raise InvalidInput(
                "an effect on jobs needs ordinary employment among the modelled states",
                field="effect",
            )
        e = list(states).index(Status.EMPLOYED)
        others = [i for i in range(len(states)) if i != e]
        rows = p[..., others, :]
        entry = rows[..., e]
        new_entry = np.minimum(1.0, entry * (1.0 + self.job_entry))
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(entry < 1.0, (1.0 - new_entry) / (1.0 - entry), 0.0)
        rows = rows * scale[..., None]
        rows[..., e] = new_entry
        p[..., others, :] = rows
        job = p[..., e, :]
        leave = job[..., others] / (1.0 + self.job_stay)
        # A negative job_stay cannot make leaving more likely than certain.
        total = leave.sum(axis=-1, keepdims=True)
        leave = np.where(total > 1.0, leave / np.maximum(total, 1.0), leave)
        job[..., others] = leave
        job[..., e] = np.maximum(0.0, 1.0 - leave.sum(axis=-1))
        p[..., e, :] = job
        return p


#: Citizens a :class:`Referrals` may refer in all (more than Denmark's population).
MAX_REFERRALS = 10_000_000


def _counts(value: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    items = tuple(dict(value).items())
    for label, n in items:
        if not isinstance(label, str) or not label:
            raise InvalidInput("a cohort label is a non-empty string", field="counts")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise InvalidInput(
                f"cohort {label} refers {n!r} citizens; a count is a whole number >= 0",
                field="counts",
            )
    if sum(n for _, n in items) == 0:
        raise InvalidInput("referrals refer nobody", field="counts")
    if sum(n for _, n in items) > MAX_REFERRALS:
        raise InvalidInput(
            f"referrals refer {sum(n for _, n in items):,} citizens; at most {MAX_REFERRALS:,} "
            "(more than Denmark's population) can be simulated",
            field="counts",
        )
    return items


@attrs.frozen
class Referrals:
    """Referral volume and pace: ``counts`` citizens per cohort, evenly over ``weeks`` weeks.

    The ``j``-th of ``n`` citizens of a cohort is enrolled on ``start + 7
    floor(j weeks / n)`` days.

    >>> r = Referrals({"unemployed": 4}, start=date(2024, 1, 1), weeks=2)
    >>> [d.isoformat() for d in r.enrolment_dates()[1]]
    ['2024-01-01', '2024-01-01', '2024-01-08', '2024-01-08']
    """

    counts: tuple[tuple[str, int], ...] = attrs.field(converter=_counts)
    start: date = attrs.field(validator=v.instance_of(date), kw_only=True)
    weeks: int = attrs.field(validator=v.and_(v.instance_of(int), v.ge(1)), kw_only=True)

    @classmethod
    def over_referral_window(cls, contract: Contract, counts: Mapping[str, int]) -> Referrals:
        """Referrals spread over the contract's referral window (whole weeks)."""
        weeks = max(1, (contract.referral_end - contract.referral_start).days // 7)
        return cls(counts, start=contract.referral_start, weeks=weeks)

    @property
    def size(self) -> int:
        """Citizens referred in all."""
        return sum(n for _, n in self.counts)

    @property
    def cohorts(self) -> tuple[str, ...]:
        """The cohort labels, in order."""
        return tuple(label for label, _ in self.counts)

    def enrolment(self) -> tuple[I64, I64]:
        """``(cohort position, enrolment day number)`` of every citizen, cohort by cohort."""
        cohort, day = [], []
        for k, (_, n) in enumerate(self.counts):
            j = np.arange(n, dtype=np.int64)
            cohort.append(np.full(n, k, dtype=np.int64))
            day.append(self.start.toordinal() + 7 * (j * self.weeks // max(n, 1)))
        return np.concatenate(cohort), np.concatenate(day)

    def enrolment_dates(self) -> tuple[list[str], list[date]]:
        """``(cohort label, enrolment date)`` of every citizen, as Python values."""
        c, d = self.enrolment()
        return [self.counts[int(i)][0] for i in c], [date.fromordinal(int(x)) for x in d]


def _weekly(value: Mapping[Any, Money]) -> tuple[tuple[Status, Money], ...]:
    out = []
    for status, money in dict(value).items():
        st = Status.parse(status)
        if st not in BENEFITS:
            raise InvalidInput(f"{st.name.lower()} is not a benefit", field="weekly")
        if not isinstance(money, Money) or money.amount < 0:
            raise InvalidInput(
                f"the weekly cost of {st.name.lower()} is a non-negative Money", field="weekly"
            )
        out.append((st, money))
    return tuple(sorted(out, key=lambda sm: int(sm[0])))


def _refusion(value: Mapping[Any, RefusionSchedule]) -> tuple[tuple[Status, RefusionSchedule], ...]:
    out = []
    for status, schedule in dict(value).items():
        if not isinstance(schedule, RefusionSchedule):
            raise InvalidInput("a refusion schedule is a RefusionSchedule", field="refusion")
        out.append((Status.parse(status), schedule))
    return tuple(sorted(out, key=lambda ss: int(ss[0])))


@attrs.frozen
class BenefitCosts:
    """The municipality's cost of a week of each benefit, and the state's refusion of it.

    ``weekly`` maps a benefit status to the benefit paid per week;
    ``refusion`` maps it to the :class:`~impactbond.domain.terms.RefusionSchedule`
    of the state's share by benefit week (a benefit without one is carried by
    the municipality alone).  Benefit weeks are counted from the start of each
    run of the benefit in the simulation; a run under way at enrolment is
    counted from ``weeks_before_enrolment + 1``.

    >>> costs = BenefitCosts.with_refusion_staircase({"sickness_benefit": Money(4500, "DKK")})
    >>> costs.municipal_share(Status.SICKNESS_BENEFIT, [1, 5, 27, 53])
    [Fraction(1, 5), Fraction(3, 5), Fraction(7, 10), Fraction(4, 5)]
    """

    weekly: tuple[tuple[Status, Money], ...] = attrs.field(converter=_weekly)
    refusion: tuple[tuple[Status, RefusionSchedule], ...] = attrs.field(
        factory=tuple, converter=_refusion
    )
    weeks_before_enrolment: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0)), kw_only=True
    )

    @classmethod
    def with_refusion_staircase(
        cls, weekly: Mapping[Any, Money], *, weeks_before_enrolment: int = 0
    ) -> BenefitCosts:
        """Every benefit with the refusion staircase of the 2016 reform (80/40/30/20 %).

        The staircase of
        :meth:`~impactbond.domain.terms.RefusionSchedule.sickness_benefit_example`,
        applied to each benefit named; illustrative: check the schedule in
        force for each benefit before relying on it.
        """
        example = RefusionSchedule.sickness_benefit_example()
        schedules = {
            Status.parse(s): attrs.evolve(example, benefit=Status.parse(s).name.lower())
            for s in weekly
        }
        return cls(weekly, schedules, weeks_before_enrolment=weeks_before_enrolment)

    @property
    def currency(self) -> str | None:
        """The currency of the weekly costs (None without any)."""
        return self.weekly[0][1].currency if self.weekly else None

    def schedule_of(self, status: Status) -> RefusionSchedule | None:
        """The refusion schedule of a benefit, if any."""
        for s, schedule in self.refusion:
            if s is status:
                return schedule
        return None

    def municipal_share(self, status: Status, weeks: Sequence[int]) -> list[Fraction]:
        """The municipality's share (1 - refusion) of benefit weeks ``weeks`` (1 = first)."""
        schedule = self.schedule_of(status)
        if schedule is None:
            return [Fraction(1)] * len(weeks)
        return [1 - schedule.share_in_week(int(w)) for w in weeks]

    def bands(self, status: Status) -> list[tuple[int, Fraction]]:
        """``(first benefit week, municipal share)`` of each refusion band of a benefit."""
        schedule = self.schedule_of(status)
        if schedule is None:
            return [(1, Fraction(1))]
        return [(b.from_week, 1 - b.share) for b in schedule.bands]
