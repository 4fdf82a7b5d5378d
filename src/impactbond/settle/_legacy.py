"""Settlement: a contract evaluated on a cohort's trajectories at an ``as_of`` date.

:func:`settle` turns the contract's outcomes into exact quantities on the
core, prices them with the payment rules, rounds once at the stage the
contract names, applies the caps in the order money was earned, and dates
every line into an invoice period.  The result is a columnar
:class:`Settlement` that can explain every krone.

The pipeline is vectorised over participants: the only Python loops run over
outcomes, rules, caps and calendar months, never over participant-months.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.calendar import MonthRounding, WeeklyGrid, add_months
from impactbond.core import progression as core_progression
from impactbond.core import retention as core_retention
from impactbond.domain.contract import Contract
from impactbond.domain.measure import monthly_quantities, weekly_window
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    Outcome,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    SustainedEmployment,
    Weights,
    Window,
)
from impactbond.domain.participant import Participant
from impactbond.domain.payment import (
    ActivityFee,
    CapScope,
    EffectTierPayment,
    FixedFee,
    PricePerUnit,
    SavingsSharePayment,
    TargetBonus,
)
from impactbond.domain.trajectory import (
    HOURS_SCALE,
    Panel,
    SpellColumns,
    Trajectory,
    spell_columns,
)
from impactbond.errors import AmbiguousDate, SettlementError, UnknownParticipant
from impactbond.finance.effect import ComparisonGroup, EffectTiers
from impactbond.money import Money, Rounding, RoundingStage, round_fraction_to_minor
from impactbond.status import Status

__all__ = [
    "Achievement",
    "Exclusion",
    "Lines",
    "OutcomeResult",
    "RetentionFigures",
    "Settlement",
    "settle",
]

I64 = npt.NDArray[np.int64]
ONE_DAY = timedelta(days=1)


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@attrs.frozen
class Exclusion:
    """A participant left out of the settlement, and why."""

    participant_id: str
    cohort: str
    reason: str
    rule: str
    clause: str = ""


@attrs.frozen
class Achievement:
    """A cohort's result against its target."""

    cohort: str
    outcome: str
    quantity: Fraction
    target: Fraction | None

    @property
    def ratio(self) -> Fraction | None:
        """quantity / target (None without a target)."""
        if self.target is None or self.target == 0:
            return None
        return self.quantity / self.target


@attrs.frozen
class RetentionFigures:
    """Retention of job starters in one cohort for one retention outcome.

    ``observed`` are the job starters whose horizon lies before ``as_of``;
    censored starters are neither retained nor failures.
    """

    cohort: str
    outcome: str
    horizon_weeks: int
    job_starters: int
    censored: int
    retained: int
    same_employer: int

    @property
    def observed(self) -> int:
        """Job starters whose horizon has been reached."""
        return self.job_starters - self.censored

    @property
    def retention_rate(self) -> Fraction | None:
        """Share of observed job starters still employed at the horizon."""
        return Fraction(self.retained, self.observed) if self.observed else None

    @property
    def same_job_rate(self) -> Fraction | None:
        """Share of those still employed who are with the employer they started with."""
        return Fraction(self.same_employer, self.retained) if self.retained else None


@attrs.frozen(eq=False)
class OutcomeResult:
    """One outcome measured for every settled participant.

    ``total_num[i] / den`` is participant ``i``'s quantity; the earning items
    (one per participant-month for month outcomes, one per event otherwise)
    are columns: ``row``, ``earned_on`` (day number of the last day counted),
    ``period_start``/``period_end`` (day numbers) and ``num`` (over ``den``).
    """

    outcome: Outcome
    den: int
    total_num: I64
    row: I64
    earned_on: I64
    period_start: I64
    period_end: I64
    num: I64
    job_start: I64 | None = None
    retention: core_retention.RetentionResult | None = None
    grid: WeeklyGrid | None = None

    def total_of(self, row: int) -> Fraction:
        """Exact quantity of one participant."""
        return Fraction(int(self.total_num[row]), self.den)


@attrs.frozen(eq=False)
class Lines:
    """The settlement's payment lines, as columns.

    ``participant`` indexes :attr:`Settlement.participant_ids` (-1 for a
    cohort-level line such as a target bonus, an effect or savings payment or
    a fixed fee); ``outcome`` (-1: a fee or savings line, priced on no
    outcome), ``rule`` and
    ``cut_by`` index the contract's outcomes, payment rules and caps (-1: no
    cap cut the line).  Quantities are ``quantity_num / quantity_den``;
    money is in minor units (øre).
    """

    participant: I64
    cohort: I64
    outcome: I64
    rule: I64
    earned_on: I64
    period_start: I64
    period_end: I64
    invoice_period: I64
    due_on: I64
    quantity_num: I64
    quantity_den: I64
    unit_price_minor: I64
    amount_before_caps_minor: I64
    amount_minor: I64
    cut_by: I64
    due: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.participant)

    def take(self, index: npt.NDArray[Any]) -> Lines:
        """The lines selected by an index or mask."""
        return Lines(**{f.name: getattr(self, f.name)[index] for f in attrs.fields(Lines)})


# ---------------------------------------------------------------------------
# Settlement
# ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Settlement:
    """The money due under a contract at ``as_of``, line by line, with reasons.

    ``total`` is what is due (invoice period closed and verification lag
    passed); ``accrued_total`` adds what is earned but not yet due.
    """

    contract: Contract
    as_of: date
    participants: tuple[Participant, ...]
    trajectories: tuple[Trajectory, ...]
    windows: dict[str, tuple[I64, I64]]
    results: dict[str, OutcomeResult]
    lines: Lines
    exclusions: tuple[Exclusion, ...]
    achievements: tuple[Achievement, ...]
    retention: tuple[RetentionFigures, ...]
    participants_in: int

    # -- money ----------------------------------------------------------
    @property
    def currency(self) -> str:
        """The contract's currency."""
        return self.contract.currency

    def _money(self, minor: int | np.integer[Any]) -> Money:
        return Money.from_minor_units(int(minor), self.currency)

    @property
    def participant_ids(self) -> tuple[str, ...]:
        """Settled participants, sorted by id (the row order of every array)."""
        return tuple(p.id for p in self.participants)

    @property
    def total(self) -> Money:
        """Money due at ``as_of``."""
        return self._money(self.lines.amount_minor[self.lines.due].sum())

    @property
    def accrued_total(self) -> Money:
        """Money earned by ``as_of``, due or not yet due."""
        return self._money(self.lines.amount_minor.sum())

    @property
    def pending_total(self) -> Money:
        """Money earned but still inside its invoice period or verification lag."""
        return self._money(self.lines.amount_minor[~self.lines.due].sum())

    @property
    def capped_total(self) -> Money:
        """Money that caps cut away."""
        cut = self.lines.amount_before_caps_minor - self.lines.amount_minor
        return self._money(cut.sum())

    def _grouped(
        self, keys: npt.NDArray[Any], labels: Sequence[str], due_only: bool
    ) -> dict[str, Money]:
        mask = self.lines.due if due_only else np.ones(len(self.lines), dtype=bool)
        amounts = self.lines.amount_minor[mask]
        k = keys[mask]
        return {label: self._money(amounts[k == i].sum()) for i, label in enumerate(labels)}

    def by_cohort(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per cohort label (due, or with ``due_only=False`` accrued)."""
        labels = [c.label for c in self.contract.cohorts]
        return self._grouped(self.lines.cohort, labels, due_only)

    def by_outcome(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per outcome id."""
        labels = [o.id for o in self.contract.outcomes]
        return self._grouped(self.lines.outcome, labels, due_only)

    def by_rule(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per payment rule id."""
        labels = [r.id for r in self.contract.payment_rules]
        return self._grouped(self.lines.rule, labels, due_only)

    def by_invoice_period(self, *, due_only: bool = False) -> dict[str, Money]:
        """Money per invoice period, labelled ``start..end`` (accrued by default)."""
        if len(self.lines) == 0:
            return {}
        periods = sorted(set(self.lines.invoice_period.tolist()))
        mask = self.lines.due if due_only else np.ones(len(self.lines), dtype=bool)
        out: dict[str, Money] = {}
        for p in periods:
            s, e = self.contract.invoice_period_bounds(p)
            sel = mask & (self.lines.invoice_period == p)
            out[f"{s.isoformat()}..{(e - ONE_DAY).isoformat()}"] = self._money(
                self.lines.amount_minor[sel].sum()
            )
        return out

    def quantity(self, outcome_id: str, cohort: str | None = None) -> Fraction:
        """Total quantity of an outcome (in one cohort or all)."""
        res = self.results[outcome_id]
        rows = self._rows_of_cohort(cohort)
        return Fraction(int(res.total_num[rows].sum()), res.den)

    def _rows_of_cohort(self, cohort: str | None) -> npt.NDArray[np.bool_]:
        return np.array(
            [cohort is None or p.cohort == cohort for p in self.participants], dtype=bool
        )

    def achievement(self, cohort: str) -> Achievement:
        """The achievement of one cohort against its target."""
        for a in self.achievements:
            if a.cohort == cohort:
                return a
        raise SettlementError(f"cohort {cohort!r} has no target", field="cohort")

    # -- records ----------------------------------------------------------
    def to_records(self) -> list[dict[str, Any]]:
        """One dict per line, with ids, dates, exact quantities and Decimal amounts."""
        c = self.contract
        ids = self.participant_ids
        out: list[dict[str, Any]] = []
        ln = self.lines
        for i in range(len(ln)):
            p = int(ln.participant[i])
            rule = c.payment_rules[int(ln.rule[i])]
            cut = int(ln.cut_by[i])
            oi = int(ln.outcome[i])
            out.append(
                {
                    "participant_id": ids[p] if p >= 0 else None,
                    "cohort": c.cohorts[int(ln.cohort[i])].label,
                    "outcome": c.outcomes[oi].id if oi >= 0 else None,
                    "rule": rule.id,
                    "clause": rule.clause,
                    "period_start": date.fromordinal(int(ln.period_start[i])),
                    "period_end": date.fromordinal(int(ln.period_end[i])),
                    "earned_on": date.fromordinal(int(ln.earned_on[i])),
                    "invoice_period": int(ln.invoice_period[i]),
                    "due_on": date.fromordinal(int(ln.due_on[i])),
                    "due": bool(ln.due[i]),
                    "quantity": Fraction(int(ln.quantity_num[i]), int(ln.quantity_den[i])),
                    "unit_price": self._money(ln.unit_price_minor[i]).amount,
                    "amount_before_caps": self._money(ln.amount_before_caps_minor[i]).amount,
                    "amount": self._money(ln.amount_minor[i]).amount,
                    "cut_by": c.caps[cut].id if cut >= 0 else None,
                    "currency": c.currency,
                }
            )
        return out

    def to_frame(self) -> Any:
        """The lines as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_frame() needs pandas: pip install 'impactbond[pandas]'") from err
        records = self.to_records()
        frame = pd.DataFrame.from_records(records)
        if len(frame):
            frame["quantity_float"] = [float(q) for q in frame["quantity"]]
        return frame

    # -- words ------------------------------------------------------------
    def explain(self, participant_id: str) -> str:
        """Plain-language account of one participant's money, citing clauses."""
        from impactbond.explain import explain_participant

        return explain_participant(self, participant_id)

    def statement(self) -> str:
        """The settlement statement as text."""
        from impactbond.explain import statement

        return statement(self)

    def row_of(self, participant_id: str) -> int:
        """Row index of a settled participant."""
        ids = self.participant_ids
        i = int(np.searchsorted(np.array(ids, dtype=object), participant_id))
        if i < len(ids) and ids[i] == participant_id:
            return i
        for e in self.exclusions:
            if e.participant_id == participant_id:
                raise UnknownParticipant(
                    f"participant was excluded: {e.reason}",
                    participant=participant_id,
                    rule=e.rule,
                    clause=e.clause or None,
                )
        raise UnknownParticipant("participant is not in the settlement", participant=participant_id)

    def __repr__(self) -> str:
        return (
            f"<Settlement {self.contract.id} as of {self.as_of}: {len(self.participants)} settled, "
            f"{len(self.exclusions)} excluded, {len(self.lines)} lines, due {self.total}>"
        )

    def _repr_html_(self) -> str:
        from impactbond.explain import settlement_html

        return settlement_html(self)


# ---------------------------------------------------------------------------
# Inputs: matching participants and trajectories, eligibility
# ---------------------------------------------------------------------------


def _match(
    participants: Iterable[Participant],
    trajectories: Mapping[str, Trajectory] | Iterable[Trajectory],
) -> tuple[list[Participant], dict[str, Trajectory]]:
    people = list(participants)
    if isinstance(trajectories, Mapping):
        by_id = dict(trajectories)
        for key, t in by_id.items():
            if t.participant_id != key:
                raise SettlementError(
                    f"trajectory filed under {key!r} belongs to {t.participant_id!r}",
                    participant=key,
                    rule="a trajectory is filed under its participant's id",
                )
    else:
        by_id = {}
        for t in trajectories:
            if t.participant_id in by_id:
                raise SettlementError(
                    "two trajectories for one participant",
                    participant=t.participant_id,
                    rule="one trajectory per participant",
                )
            by_id[t.participant_id] = t
    seen: set[str] = set()
    for p in people:
        if not isinstance(p, Participant):
            raise SettlementError(f"{p!r} is not a Participant", field="participants")
        if p.id in seen:
            raise SettlementError(
                "participant listed twice", participant=p.id, rule="participant ids are unique"
            )
        seen.add(p.id)
        if p.id not in by_id:
            raise SettlementError(
                "participant has no trajectory",
                participant=p.id,
                rule="every participant has a register trajectory",
            )
    extra = sorted(set(by_id) - seen)
    if extra:
        raise SettlementError(
            f"{len(extra)} trajectories have no participant: {', '.join(extra[:5])}",
            participant=extra[0],
            rule="every trajectory belongs to a listed participant",
        )
    return people, by_id


def _check_events(
    contract: Contract,
    people: list[Participant],
    events: Mapping[str, Iterable[tuple[str, date]]] | None,
) -> dict[str, list[tuple[str, date]]]:
    """Events by participant; an event for nobody, or of a kind no outcome reads, is an error."""
    known_people = {p.id for p in people}
    known_events = {o.event for o in contract.outcomes if isinstance(o, RecordedEvent)}
    out: dict[str, list[tuple[str, date]]] = {}
    for pid, items in (events or {}).items():
        if pid not in known_people:
            raise SettlementError(
                "events given for a participant who is not listed",
                participant=pid,
                field="events",
                rule="every event belongs to a listed participant",
            )
        rows = list(items)
        for k, (name, day) in enumerate(rows):
            if name not in known_events:
                raise SettlementError(
                    f"event {name!r} is read by no outcome of the contract "
                    f"(known: {', '.join(sorted(known_events)) or 'none'})",
                    participant=pid,
                    row=k,
                    field="event",
                    rule="every recorded event is an outcome of the contract",
                )
            if not isinstance(day, date):
                raise SettlementError(
                    f"event {name!r} has no date", participant=pid, row=k, field="date"
                )
        out[pid] = rows
    return out


def _eligibility(
    contract: Contract, people: list[Participant], by_id: dict[str, Trajectory], as_of: date
) -> tuple[list[Participant], list[Exclusion]]:
    labels = {c.label: c for c in contract.cohorts}
    excluded: list[Exclusion] = []
    candidates: list[Participant] = []
    for p in people:
        if p.cohort not in labels:
            raise SettlementError(
                f"cohort {p.cohort!r} is not in the contract (known: {', '.join(labels)})",
                participant=p.id,
                field="cohort",
                rule="every participant belongs to a contract cohort",
            )
        terms = labels[p.cohort]
        if not contract.referral_start <= p.enrolled < contract.referral_end:
            excluded.append(
                Exclusion(
                    p.id,
                    p.cohort,
                    f"enrolled {p.enrolled} outside the referral window "
                    f"{contract.referral_start}..{contract.referral_end - ONE_DAY}",
                    "enrolment lies in the referral window",
                    terms.clause,
                )
            )
            continue
        if p.enrolled >= as_of:
            excluded.append(
                Exclusion(
                    p.id,
                    p.cohort,
                    f"enrolled {p.enrolled}, on or after as_of {as_of}",
                    "only enrolled participants are settled",
                    terms.clause,
                )
            )
            continue
        if terms.eligible_statuses:
            status = by_id[p.id].status_on(p.enrolled)
            if status not in terms.eligible_statuses:
                names = ", ".join(s.name.lower() for s in terms.eligible_statuses)
                excluded.append(
                    Exclusion(
                        p.id,
                        p.cohort,
                        f"status on enrolment {p.enrolled} is {status.name.lower()}, not one of {names}",
                        "cohort eligibility on the enrolment date",
                        terms.clause,
                    )
                )
                continue
        candidates.append(p)
    settled: list[Participant] = []
    for terms in contract.cohorts:
        members = sorted(
            (p for p in candidates if p.cohort == terms.label), key=lambda p: (p.enrolled, p.id)
        )
        limit = terms.max_participants
        for k, p in enumerate(members):
            if limit is not None and k >= limit:
                excluded.append(
                    Exclusion(
                        p.id,
                        p.cohort,
                        f"cohort {terms.label} already had {limit} participants",
                        "a cohort takes at most max_participants, first enrolled first",
                        terms.clause,
                    )
                )
            else:
                settled.append(p)
    settled.sort(key=lambda p: p.id)
    return settled, excluded


# ---------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------


def _window_arrays(
    contract: Contract, people: Sequence[Participant], window: Window
) -> tuple[I64, I64]:
    """Window bounds (day numbers) of every participant.

    Month arithmetic runs once per distinct anchor date, not per person.
    """
    rounding = window.month_rounding
    if rounding is MonthRounding.RAISE:
        rounding = contract.month_rounding
    window = attrs.evolve(window, month_rounding=rounding)
    anchors = np.array(
        [
            (p.enrolled if window.anchor == "enrolled" else (p.referred or p.enrolled)).toordinal()
            for p in people
        ],
        dtype=np.int64,
    )
    distinct, where = np.unique(anchors, return_inverse=True)
    starts = np.empty(len(distinct), dtype=np.int64)
    ends = np.empty(len(distinct), dtype=np.int64)
    for k, day in enumerate(distinct.tolist()):
        try:
            s, e = window.bounds(date.fromordinal(day))
        except AmbiguousDate as err:
            who = people[int(np.flatnonzero(where == k)[0])].id
            raise AmbiguousDate(
                err.message, participant=who, field="window", rule=err.rule
            ) from err
        starts[k], ends[k] = s.toordinal(), e.toordinal()
    return starts[where], ends[where]


def _table(weights: Weights) -> npt.NDArray[np.bool_]:
    return Status.mask(s for s, w in weights if w > 0)


class _Context:
    """What every outcome evaluation shares: rows, spells, the weekly panel."""

    def __init__(
        self,
        contract: Contract,
        people: list[Participant],
        cols: SpellColumns,
        as_of: date,
        events: dict[str, list[tuple[str, date]]],
    ):
        self.contract = contract
        self.people = people
        self.cols = cols
        self.as_of = as_of
        self.events = events
        self._windows: dict[Window, tuple[I64, I64]] = {}
        self._panel: Panel | None = None
        self._job_starts: dict[tuple[Weights, Window], I64] = {}

    def window(self, window: Window) -> tuple[I64, I64]:
        if window not in self._windows:
            self._windows[window] = _window_arrays(self.contract, self.people, window)
        return self._windows[window]

    def panel(self) -> Panel:
        if self._panel is None:
            starts = [self.window(o.window)[0] for o in self.contract.outcomes]
            lo = min((int(s.min()) for s in starts if len(s)), default=self.as_of.toordinal())
            grid = WeeklyGrid.covering(
                date.fromordinal(min(lo, self.as_of.toordinal() - 1)), self.as_of
            )
            # The grid spans the windows up to as_of; spells beyond it do not count.
            self._panel = Panel.from_columns(self.cols, grid, clip=True)
        return self._panel

    def as_of_week(self, grid: WeeklyGrid) -> int:
        """Weeks before this index are complete before ``as_of``."""
        return (self.as_of - grid.start).days // 7

    def job_start(self, weights: Weights, window: Window) -> I64:
        """First employed observed week in each window; outcomes that share the
        statuses and the window (job start, sustained employment, retention)
        share one pass over the panel."""
        key = (weights, window)
        if key not in self._job_starts:
            panel = self.panel()
            grid = panel.grid
            assert isinstance(grid, WeeklyGrid)
            ws, we = weekly_window(grid, *self.window(window))
            we_obs = np.minimum(we, self.as_of_week(grid))
            self._job_starts[key] = core_retention.job_start(
                panel.status, _table(weights), ws, we_obs
            )
        return self._job_starts[key]


def _empty_items() -> tuple[I64, I64, I64, I64, I64]:
    z = np.zeros(0, dtype=np.int64)
    return z, z, z, z, z


def _monthly_outcome(ctx: _Context, outcome: EmploymentMonths | SelfSufficiency) -> OutcomeResult:
    ws, we = ctx.window(outcome.window)
    we_obs = np.minimum(we, ctx.as_of.toordinal())
    ws_obs = np.minimum(ws, we_obs)
    n = len(ctx.people)
    if n == 0:
        return OutcomeResult(outcome, 1, np.zeros(0, dtype=np.int64), *_empty_items())
    q = monthly_quantities(
        ctx.cols,
        ws_obs,
        we_obs,
        weights=outcome.weights,
        convention=outcome.convention,
        hours_norm=getattr(outcome, "hours_norm", None),
    )
    rows, months = np.nonzero(q.num)
    ms = q.month_starts
    p_start = np.maximum(ms[months], ws_obs[rows])
    p_end = np.minimum(ms[months + 1], we_obs[rows])
    # A month is earned on its last day in the window, whatever as_of is, so a
    # partly observed month is invoiced with the period that holds its end.
    earned_on = np.minimum(ms[months + 1], we[rows]) - 1
    return OutcomeResult(
        outcome,
        q.den,
        q.totals(),
        rows.astype(np.int64),
        earned_on,
        p_start,
        p_end,
        q.num[rows, months],
    )


def _event_result(
    outcome: Outcome,
    grid: WeeklyGrid,
    achieved: npt.NDArray[np.bool_],
    week: I64,
    *,
    num: I64 | None = None,
    job_start: I64 | None = None,
    retention: core_retention.RetentionResult | None = None,
) -> OutcomeResult:
    rows = np.flatnonzero(achieved).astype(np.int64)
    quantity = np.ones(len(rows), dtype=np.int64) if num is None else num[rows]
    first = grid.start.toordinal()
    p_start = first + 7 * week[rows]
    total = np.zeros(len(achieved), dtype=np.int64)
    total[rows] = quantity
    return OutcomeResult(
        outcome,
        1,
        total,
        rows,
        p_start + 6,
        p_start,
        p_start + 7,
        quantity,
        job_start=job_start,
        retention=retention,
        grid=grid,
    )


def _weekly_windows(ctx: _Context, window: Window, grid: WeeklyGrid) -> tuple[I64, I64]:
    ws, we = ctx.window(window)
    return weekly_window(grid, ws, we)


def _event_outcome(ctx: _Context, outcome: Outcome) -> OutcomeResult:
    panel = ctx.panel()
    grid = panel.grid
    assert isinstance(grid, WeeklyGrid)
    as_of_week = ctx.as_of_week(grid)
    ws, we = _weekly_windows(ctx, outcome.window, grid)
    if isinstance(outcome, Progression):
        rung = np.full(256, -1, dtype=np.int8)
        for i, statuses in enumerate(outcome.ladder):
            for s in statuses:
                rung[int(s)] = i
        # One line per rung climbed, dated when the rung was first reached, so a
        # later climb adds a line and never moves an earlier one.
        first_at = core_progression.rungs_first_reached(panel.status, rung, ws, we, as_of_week)
        rows, rungs = np.nonzero(first_at >= 0)
        week = first_at[rows, rungs]
        order = np.lexsort((week, rows))
        rows, week = rows[order].astype(np.int64), week[order]
        start = grid.start.toordinal() + 7 * week
        total = np.bincount(rows, minlength=len(ws)).astype(np.int64)
        return OutcomeResult(
            outcome,
            1,
            total,
            rows,
            start + 6,
            start,
            start + 7,
            np.ones(len(rows), dtype=np.int64),
            grid=grid,
        )
    if isinstance(outcome, SelfSufficiency):
        assert outcome.without_benefit_weeks is not None
        table = _table(outcome.weights)
        achieved, at, _ = core_retention.sustained_employment(
            panel.status,
            table,
            ws,
            we,
            outcome.without_benefit_weeks,
            allowed_gap=0,
            cumulative=False,
            as_of_period=as_of_week,
        )
        return _event_result(outcome, grid, achieved, at)
    assert isinstance(outcome, JobStart | SustainedEmployment | Retention)
    table = _table(outcome.weights)
    js = ctx.job_start(outcome.weights, outcome.window)
    if isinstance(outcome, JobStart):
        return _event_result(outcome, grid, js >= 0, js, job_start=js)
    if isinstance(outcome, SustainedEmployment):
        achieved, at, _ = core_retention.sustained_employment(
            _qualifying_weeks(panel, js, outcome),
            table,
            js,
            we,
            outcome.weeks,
            allowed_gap=outcome.allowed_gap_weeks,
            cumulative=outcome.cumulative,
            as_of_period=as_of_week,
        )
        return _event_result(outcome, grid, achieved & (js >= 0), at, job_start=js)
    horizon: I64 | int = outcome.horizon_weeks
    if outcome.horizon_months is not None:
        horizon = _horizon_in_weeks(ctx, grid, js, outcome.horizon_months)
    res = core_retention.retention_at(
        panel.status, table, js, horizon, as_of_week, employer=panel.employer
    )
    hit = res.same_employer if outcome.same_employer else res.retained
    return _event_result(outcome, grid, hit, js + horizon, job_start=js, retention=res)


def _recorded_event_outcome(ctx: _Context, outcome: RecordedEvent) -> OutcomeResult:
    """Dated events from the data, inside each window and before ``as_of``."""
    ws, we = ctx.window(outcome.window)
    rows: list[int] = []
    days: list[int] = []
    for i, p in enumerate(ctx.people):
        hits = sorted(
            d.toordinal()
            for name, d in ctx.events.get(p.id, ())
            if name == outcome.event and ws[i] <= d.toordinal() < min(we[i], ctx.as_of.toordinal())
        )
        if outcome.once:
            hits = hits[:1]
        rows += [i] * len(hits)
        days += hits
    row = np.array(rows, dtype=np.int64)
    day = np.array(days, dtype=np.int64)
    total = np.bincount(row, minlength=len(ctx.people)).astype(np.int64)
    return OutcomeResult(
        outcome, 1, total, row, day, day, day + 1, np.ones(len(row), dtype=np.int64)
    )


def _with_start_employer(panel: Panel, js: I64) -> npt.NDArray[np.int8]:
    """The status panel with every week at another employer than the job start's blanked."""
    assert panel.employer is not None
    rows = np.arange(len(js))
    first = np.where(js >= 0, panel.employer[rows, np.maximum(js, 0)], -1)
    same = (panel.employer == first[:, None]) & (first[:, None] > 0)
    return np.where(same, panel.status, np.int8(Status.UNKNOWN)).astype(np.int8)


def _qualifying_weeks(panel: Panel, js: I64, outcome: SustainedEmployment) -> npt.NDArray[np.int8]:
    """The status panel with the weeks that cannot count towards ``outcome`` blanked."""
    status = _with_start_employer(panel, js) if outcome.same_employer else panel.status
    if outcome.min_weekly_hours is not None:
        assert panel.hours is not None
        enough = panel.hours >= int(outcome.min_weekly_hours * HOURS_SCALE)
        status = np.where(enough, status, np.int8(Status.UNKNOWN)).astype(np.int8)
    return status


def _horizon_in_weeks(ctx: _Context, grid: WeeklyGrid, js: I64, months: int) -> I64:
    """Weeks from each job start to the week holding the date ``months`` later."""
    out = np.zeros(len(js), dtype=np.int64)
    for week in np.unique(js[js >= 0]).tolist():
        start = grid.start_of(week)
        later = add_months(start, months, ctx.contract.month_rounding)
        out[js == week] = (later - grid.start).days // 7 - week
    return out


def _evaluate(ctx: _Context, outcome: Outcome) -> OutcomeResult:
    if isinstance(outcome, RecordedEvent):
        return _recorded_event_outcome(ctx, outcome)
    if isinstance(outcome, EmploymentMonths) or (
        isinstance(outcome, SelfSufficiency) and outcome.without_benefit_weeks is None
    ):
        return _monthly_outcome(ctx, outcome)
    if len(ctx.people) == 0:
        return OutcomeResult(outcome, 1, np.zeros(0, dtype=np.int64), *_empty_items())
    return _event_outcome(ctx, outcome)


# ---------------------------------------------------------------------------
# Money: pricing, rounding, caps, schedule
# ---------------------------------------------------------------------------


def _group_cumsum(values: npt.NDArray[Any], groups: I64) -> npt.NDArray[Any]:
    """Running sum of ``values`` within consecutive runs of equal ``groups``."""
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = np.concatenate((np.zeros(1, dtype=values.dtype), total[:-1]))
    offset = np.repeat(before[starts], np.diff(np.r_[starts, len(values)]))
    result: npt.NDArray[Any] = total - offset
    return result


def _minor(money: Money) -> int:
    return money.minor_units


@attrs.define
class _Draft:
    """Lines being built (before rounding, caps and dating)."""

    participant: list[I64] = attrs.field(factory=list)
    outcome: list[I64] = attrs.field(factory=list)
    rule: list[I64] = attrs.field(factory=list)
    earned_on: list[I64] = attrs.field(factory=list)
    period_start: list[I64] = attrs.field(factory=list)
    period_end: list[I64] = attrs.field(factory=list)
    quantity_num: list[I64] = attrs.field(factory=list)
    quantity_den: list[I64] = attrs.field(factory=list)
    price: list[I64] = attrs.field(factory=list)
    cohort: list[I64] = attrs.field(factory=list)

    def add(self, **cols: I64) -> None:
        for name, value in cols.items():
            getattr(self, name).append(np.asarray(value, dtype=np.int64))

    def arrays(self) -> dict[str, I64]:
        return {
            f.name: (
                np.concatenate(getattr(self, f.name))
                if getattr(self, f.name)
                else np.zeros(0, dtype=np.int64)
            )
            for f in attrs.fields(_Draft)
        }


def _cap_units(rows: I64, order: I64, num: I64, den: int, max_units: Fraction) -> I64:
    """Cut quantities so each participant's running total stays within ``max_units``.

    Quantities are numerators over ``den``; a limit that is not a whole number
    of ``1/den`` is rounded down, so the cap is never passed.
    """
    limit = math.floor(max_units * den)
    idx = np.lexsort((order, rows))
    running = _group_cumsum(num[idx], rows[idx])
    out = num.copy()
    out[idx] = np.clip(limit - (running - num[idx]), 0, num[idx])
    return out


def _price_lines(
    contract: Contract, results: dict[str, OutcomeResult], cohort_of_row: I64, draft: _Draft
) -> None:
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    outcome_index = {o.id: i for i, o in enumerate(contract.outcomes)}
    for ri, rule in enumerate(contract.payment_rules):
        if not isinstance(rule, PricePerUnit):
            continue
        res = results[rule.outcome]
        allowed = np.zeros(len(contract.cohorts), dtype=bool)
        for c in contract.cohorts:
            allowed[cohort_index[c.label]] = rule.applies_to(c.label)
        keep = allowed[cohort_of_row[res.row]] if len(res.row) else np.zeros(0, dtype=bool)
        rows, num = res.row[keep], res.num[keep]
        if rule.max_units_per_participant is not None and len(rows):
            num = _cap_units(
                rows, res.earned_on[keep], num, res.den, rule.max_units_per_participant
            )
        k = len(rows)
        draft.add(
            participant=rows,
            outcome=np.full(k, outcome_index[rule.outcome]),
            rule=np.full(k, ri),
            earned_on=res.earned_on[keep],
            period_start=res.period_start[keep],
            period_end=res.period_end[keep],
            quantity_num=num,
            quantity_den=np.full(k, res.den),
            price=np.full(k, _minor(rule.price)),
            cohort=cohort_of_row[rows],
        )


def _bonus_lines(
    contract: Contract, results: dict[str, OutcomeResult], cohort_of_row: I64, draft: _Draft
) -> None:
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    outcome_index = {o.id: i for i, o in enumerate(contract.outcomes)}
    for ri, rule in enumerate(contract.payment_rules):
        if not isinstance(rule, TargetBonus):
            continue
        res = results[rule.outcome]
        ci = cohort_index[rule.cohort]
        mine = cohort_of_row[res.row] == ci if len(res.row) else np.zeros(0, dtype=bool)
        order = np.lexsort((res.row[mine], res.earned_on[mine]))
        earned = res.earned_on[mine][order]
        running = np.cumsum(res.num[mine][order].astype(object))
        target = rule.target * res.den
        hit = np.flatnonzero(running >= target) if len(running) else np.zeros(0, dtype=np.int64)
        if len(hit) == 0:
            continue
        day = int(earned[hit[0]])
        draft.add(
            participant=np.array([-1]),
            outcome=np.array([outcome_index[rule.outcome]]),
            rule=np.array([ri]),
            earned_on=np.array([day]),
            period_start=np.array([day]),
            period_end=np.array([day + 1]),
            quantity_num=np.array([1]),
            quantity_den=np.array([1]),
            price=np.array([_minor(rule.bonus)]),
            cohort=np.array([ci]),
        )


def _cohort_line(
    draft: _Draft, *, rule: int, outcome: int, cohort: int, day: int, num: int, den: int, price: int
) -> None:
    draft.add(
        participant=np.array([-1]),
        outcome=np.array([outcome]),
        rule=np.array([rule]),
        earned_on=np.array([day]),
        period_start=np.array([day]),
        period_end=np.array([day + 1]),
        quantity_num=np.array([num]),
        quantity_den=np.array([den]),
        price=np.array([price]),
        cohort=np.array([cohort]),
    )


Comparison = Mapping[str, ComparisonGroup | tuple[int, int]]


def _comparison_groups(
    rule: EffectTierPayment, labels: list[str], comparison: Any
) -> dict[str, ComparisonGroup]:
    """The comparison group of each cohort: from ``settle(comparison=...)`` or the contract."""
    if comparison is not None:
        if isinstance(comparison, Mapping):
            out = {}
            for label in labels:
                if label not in comparison:
                    raise SettlementError(
                        f"the comparison has no group for cohort {label!r}",
                        field="comparison",
                        clause=rule.clause or None,
                        rule="a comparison names a group for every cohort the rule measures",
                    )
                g = comparison[label]
                out[label] = (
                    g
                    if isinstance(g, ComparisonGroup)
                    else ComparisonGroup.from_counts(people=g[0], with_outcome=g[1])
                )
            return out
        group = ComparisonGroup.from_settlement(comparison, rule.outcome, "comparison panel")
        return dict.fromkeys(labels, group)
    if rule.comparison_rate is None:
        raise SettlementError(
            f"rule {rule.id} has no comparison rate and settle() was given no comparison",
            field="comparison",
            clause=rule.clause or None,
            rule="an effect is measured against a published rate or a comparison panel",
        )
    group = ComparisonGroup(rule.comparison_rate, rule.comparison_people, rule.comparison_source)
    return dict.fromkeys(labels, group)


def _design_lines(
    contract: Contract,
    results: dict[str, OutcomeResult],
    settled: Sequence[Participant],
    cohort_of_row: I64,
    draft: _Draft,
    as_of: date,
    comparison: Any,
) -> None:
    """Lines of effect tiers, savings shares, fixed and activity fees."""
    labels = [c.label for c in contract.cohorts]
    outcome_index = {o.id: i for i, o in enumerate(contract.outcomes)}
    people = np.bincount(cohort_of_row, minlength=len(labels)) if len(settled) else None
    counts = [int(people[ci]) if people is not None else 0 for ci in range(len(labels))]
    for ri, rule in enumerate(contract.payment_rules):
        if isinstance(rule, EffectTierPayment):
            day = rule.measured_on or as_of
            if day > as_of:
                continue
            mine = [
                (ci, label)
                for ci, label in enumerate(labels)
                if rule.applies_to(label) and counts[ci] > 0
            ]
            if not mine:
                continue
            res = results[rule.outcome]
            had = res.total_num > 0
            treated = {
                label: (counts[ci], int((had & (cohort_of_row == ci)).sum())) for ci, label in mine
            }
            groups = _comparison_groups(rule, [label for _, label in mine], comparison)
            tiers = EffectTiers(
                rule.id,
                clause=rule.clause,
                direction=rule.direction,
                tiers=rule.table,
                gate=rule.gate,
                pooled_gate=rule.pooled_gate,
            )
            result = tiers.evaluate(treated, groups)
            for (ci, _), effect in zip(mine, result.cohorts, strict=True):
                if effect.payment.amount <= 0:
                    continue
                _cohort_line(
                    draft,
                    rule=ri,
                    outcome=outcome_index[rule.outcome],
                    cohort=ci,
                    day=day.toordinal(),
                    num=counts[ci] if rule.per_participant else 1,
                    den=1,
                    price=effect.payment.minor_units,
                )
        elif isinstance(rule, SavingsSharePayment):
            if rule.measured_on > as_of:
                continue
            saving = rule.saving_per_person(contract.currency) * rule.share
            if saving <= 0:
                continue
            for ci, label in enumerate(labels):
                if not rule.applies_to(label) or counts[ci] == 0:
                    continue
                # The unit price is the shared saving per person when it is a whole
                # number of minor units; otherwise one minor unit, so that it stays exact.
                whole = saving.denominator == 1
                quantity = counts[ci] * (Fraction(1) if whole else saving)
                _cohort_line(
                    draft,
                    rule=ri,
                    outcome=-1,
                    cohort=ci,
                    day=rule.measured_on.toordinal(),
                    num=quantity.numerator,
                    den=quantity.denominator,
                    price=int(saving) if whole else 1,
                )
        elif isinstance(rule, FixedFee):
            ci = labels.index(rule.cohort) if rule.cohort is not None else 0
            for item in rule.instalments:
                if item.on < as_of and item.amount.amount > 0:
                    _cohort_line(
                        draft,
                        rule=ri,
                        outcome=-1,
                        cohort=ci,
                        day=item.on.toordinal(),
                        num=1,
                        den=1,
                        price=item.amount.minor_units,
                    )
        elif isinstance(rule, ActivityFee):
            allowed = np.array([rule.applies_to(label) for label in labels], dtype=bool)
            enrolled = np.array([p.enrolled.toordinal() for p in settled], dtype=np.int64)
            rows = np.flatnonzero(
                allowed[cohort_of_row] & (enrolled < as_of.toordinal())
                if len(settled)
                else np.zeros(0, dtype=bool)
            )
            k = len(rows)
            draft.add(
                participant=rows,
                outcome=np.full(k, -1),
                rule=np.full(k, ri),
                earned_on=enrolled[rows],
                period_start=enrolled[rows],
                period_end=enrolled[rows] + 1,
                quantity_num=np.ones(k, dtype=np.int64),
                quantity_den=np.ones(k, dtype=np.int64),
                price=np.full(k, rule.fee.minor_units),
                cohort=cohort_of_row[rows],
            )


def _round_split(whole: I64, rest: I64, den: int, rounding: Rounding) -> I64:
    """Round ``whole + rest / den`` (``0 <= rest < den``, amounts >= 0) to an integer.

    Integer arithmetic only; ``rest >= den - rest`` stands for ``2 rest >= den``
    so nothing overflows.
    """
    above, tie = rest > den - rest, rest == den - rest
    if rounding is Rounding.DOWN:
        bump = np.zeros(len(whole), dtype=bool)
    elif rounding is Rounding.UP:
        bump = rest > 0
    elif rounding is Rounding.HALF_UP:
        bump = above | tie
    else:
        bump = above | (tie & (whole % 2 == 1))
    result: I64 = whole + bump.astype(np.int64)
    return result


def _round(contract: Contract, d: dict[str, I64], order: I64) -> I64:
    """Exact amounts rounded once, at the contract's stage, by cumulative rounding.

    Within a group (a line, a participant's rule, an invoice period) the
    running exact sum is rounded and each line gets the difference, so the
    lines add up to the rounded group total and an earlier line never changes
    when later lines arrive.

    Each exact amount ``num / common`` is split into whole minor units and a
    remainder below ``common``; running sums of the two parts stay within
    int64 where the full numerators would not.  Python integers are used only
    when even one line's numerator could leave int64.
    """
    n = len(order)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    common = 1
    for den in set(d["quantity_den"].tolist()):
        common = math.lcm(common, int(den))
    scale = common // d["quantity_den"].astype(object)
    rounding: Rounding = contract.rounding
    stage = contract.rounding_stage
    if stage is RoundingStage.LINE:
        groups = np.arange(n, dtype=np.int64)
    elif stage is RoundingStage.PARTICIPANT:
        groups = d["participant"] * (len(contract.payment_rules) + 1) + d["rule"]
        groups = np.where(d["participant"] < 0, -1 - d["rule"], groups)
    else:
        groups = d["invoice_period"]
    idx = np.lexsort((order, groups))
    g = groups[idx]
    # The largest line numerator, estimated in floats with a wide margin (only
    # chooses the path; the arithmetic itself is exact).
    line_bound = float(
        np.max(
            np.abs(d["quantity_num"]).astype(np.float64)
            * d["price"].astype(np.float64)
            * scale.astype(np.float64)
        )
    )
    if line_bound < 2.0**60 and n * common < 2**62:
        exact = (d["quantity_num"] * d["price"] * scale.astype(np.int64))[idx]
        whole, rest = np.divmod(exact, np.int64(common))
        whole, rest = _group_cumsum(whole, g), _group_cumsum(rest, g)
        whole, rest = whole + rest // common, rest % common
        rounded = _round_split(whole, rest, common, rounding)
    else:
        exact_obj = d["quantity_num"].astype(object) * d["price"].astype(object) * scale
        rounded = round_fraction_to_minor(_group_cumsum(exact_obj[idx], g), common, rounding)
    starts = np.r_[True, g[1:] != g[:-1]]
    previous = np.where(starts, 0, np.r_[0, rounded[:-1]])
    out = np.empty(n, dtype=np.int64)
    out[idx] = rounded - previous
    return out


def _apply_caps(contract: Contract, d: dict[str, I64], order: I64, amount: I64) -> tuple[I64, I64]:
    """Caps in scope order (participant, cohort, contract), each in earning order."""
    paid = amount.copy()
    cut_by = np.full(len(amount), -1, dtype=np.int64)
    rule_ids = [r.id for r in contract.payment_rules]
    scope_rank = {CapScope.PARTICIPANT: 0, CapScope.COHORT: 1, CapScope.CONTRACT: 2}
    caps = sorted(enumerate(contract.caps), key=lambda ic: (scope_rank[ic[1].scope], ic[0]))
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    for ci, cap in caps:
        if cap.share_of_paid is not None:
            continue  # a mix cap: see _apply_mix_caps
        covered = np.array([cap.covers(r) for r in rule_ids], dtype=bool)
        mask = covered[d["rule"]] if len(amount) else np.zeros(0, dtype=bool)
        if cap.scope is CapScope.PARTICIPANT:
            mask &= d["participant"] >= 0
            groups = d["participant"]
        elif cap.scope is CapScope.COHORT:
            groups = d["cohort"]
            if cap.cohort is not None:
                mask &= d["cohort"] == cohort_index[cap.cohort]
        else:
            groups = np.zeros(len(amount), dtype=np.int64)
        sel = np.flatnonzero(mask)
        if len(sel) == 0:
            continue
        idx = sel[np.lexsort((order[sel], groups[sel]))]
        running = _group_cumsum(paid[idx], groups[idx])
        before = running - paid[idx]
        limit = cap.amount.minor_units
        allowed = np.clip(limit - before, 0, paid[idx])
        cut = allowed < paid[idx]
        cut_by[idx[cut]] = ci
        paid[idx] = allowed
    _apply_mix_caps(contract, d, order, paid, cut_by)
    return paid, cut_by


def _apply_mix_caps(
    contract: Contract, d: dict[str, I64], order: I64, paid: I64, cut_by: I64
) -> None:
    """Mix caps (``share_of_paid``), in place, repeated until each one holds.

    A covered total ``C`` beside the other money ``O`` is at most ``s`` of
    ``C + O`` exactly when ``C <= s O / (1 - s)``; the covered lines are cut in
    earning order (latest first to go) to the floor of that limit.  Cutting
    only lowers amounts, so the amount caps applied before still hold, and
    the repetition ends: each pass that changes anything removes money.
    """
    mix = [(ci, cap) for ci, cap in enumerate(contract.caps) if cap.share_of_paid is not None]
    if not mix or len(paid) == 0:
        return
    rule_ids = [r.id for r in contract.payment_rules]
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    masks = []
    for _, cap in mix:
        covered = np.array([cap.covers(r) for r in rule_ids], dtype=bool)[d["rule"]]
        if cap.cohort is not None:
            covered &= d["cohort"] == cohort_index[cap.cohort]
        masks.append(covered)
    changed = True
    while changed:
        changed = False
        for (ci, cap), covered in zip(mix, masks, strict=True):
            share = cap.share_of_paid
            assert share is not None
            covered_total = int(paid[covered].sum())
            others = int(paid[~covered].sum())
            limit = cap.amount.minor_units
            if share < 1:
                limit = min(
                    limit, others * share.numerator // (share.denominator - share.numerator)
                )
            if covered_total <= limit:
                continue
            sel = np.flatnonzero(covered)
            idx = sel[np.argsort(order[sel], kind="stable")]
            before = np.cumsum(paid[idx]) - paid[idx]
            allowed = np.clip(limit - before, 0, paid[idx])
            cut = allowed < paid[idx]
            cut_by[idx[cut]] = ci
            paid[idx] = allowed
            changed = True


def _schedule(
    contract: Contract, earned_on: I64, as_of: date
) -> tuple[I64, I64, npt.NDArray[np.bool_]]:
    """Invoice period and due date of every line (calendar work once per distinct day)."""
    lag = contract.schedule.verification_lag_days
    days, where = np.unique(earned_on, return_inverse=True)
    periods = np.empty(len(days), dtype=np.int64)
    due_on = np.empty(len(days), dtype=np.int64)
    for k, day in enumerate(days.tolist()):
        periods[k] = contract.invoice_period(date.fromordinal(day))
        due_on[k] = contract.invoice_period_bounds(int(periods[k]))[1].toordinal() + lag
    periods, due_on = periods[where], due_on[where]
    return periods, due_on, due_on <= as_of.toordinal()


# ---------------------------------------------------------------------------
# settle()
# ---------------------------------------------------------------------------


def settle(
    contract: Contract,
    participants: Iterable[Participant],
    trajectories: Mapping[str, Trajectory] | Iterable[Trajectory],
    *,
    as_of: date,
    events: Mapping[str, Iterable[tuple[str, date]]] | None = None,
    comparison: Settlement | Comparison | None = None,
) -> Settlement:
    """Evaluate ``contract`` on the participants' trajectories at ``as_of``.

    Parameters
    ----------
    contract:
        The contract.
    participants:
        Everyone referred to the programme.  Each must have a trajectory.
    trajectories:
        One :class:`Trajectory` per participant (a sequence, or a mapping by id).
    events:
        Outcomes recorded as dated events, ``{participant_id: [(name, date), ...]}``,
        for :class:`~impactbond.domain.outcome.RecordedEvent` outcomes.
    comparison:
        The counterfactual of :class:`~impactbond.domain.payment.EffectTierPayment`
        rules, instead of the contract's published rate: a Settlement of a
        comparison panel under the same outcomes (its share of people with
        the outcome), or per cohort a
        :class:`~impactbond.finance.ComparisonGroup` or ``(people, with_outcome)``.
    as_of:
        The evaluation date.  Days before ``as_of`` are observed; money is due
        when its invoice period has closed and the verification lag has
        passed by ``as_of``.

    Returns
    -------
    Settlement
        Lines, totals, achievement, retention figures and exclusions.
        Participants in = participants settled + participants excluded.

    Raises
    ------
    SettlementError
        ``as_of`` before the contract starts, a participant without a
        trajectory (or the reverse), a cohort the contract does not know.

    Examples
    --------
    >>> import impactbond as ib
    >>> contract, people, trajectories = ib.examples.nyborg()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    >>> len(s.participants) + len(s.exclusions) == len(people)
    True
    >>> s.total == sum((s.by_cohort()[c] for c in s.by_cohort()), Money.zero("DKK"))
    True
    """
    if not isinstance(as_of, date):
        raise SettlementError("as_of must be a date", field="as_of")
    if as_of < contract.term_start:
        raise SettlementError(
            f"as_of {as_of} is before the contract starts {contract.term_start}",
            field="as_of",
            rule="a contract is evaluated on or after its start",
        )
    people, by_id = _match(participants, trajectories)
    settled, excluded = _eligibility(contract, people, by_id, as_of)
    trajs = [by_id[p.id] for p in settled]
    cols = spell_columns(trajs)
    ctx = _Context(contract, settled, cols, as_of, _check_events(contract, people, events))
    results = {o.id: _evaluate(ctx, o) for o in contract.outcomes}

    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    cohort_of_row = np.array([cohort_index[p.cohort] for p in settled], dtype=np.int64)
    draft = _Draft()
    _price_lines(contract, results, cohort_of_row, draft)
    _bonus_lines(contract, results, cohort_of_row, draft)
    _design_lines(contract, results, settled, cohort_of_row, draft, as_of, comparison)
    d = draft.arrays()
    # Earning order: date, then participant (cohort-level lines last), then rule.
    n_people = len(settled)
    who = np.where(d["participant"] < 0, n_people, d["participant"])
    order = np.empty(len(who), dtype=np.int64)
    order[np.lexsort((d["period_start"], d["rule"], who, d["earned_on"]))] = np.arange(len(who))
    d["invoice_period"], due_on, due = _schedule(contract, d["earned_on"], as_of)
    before_caps = _round(contract, d, order)
    paid, cut_by = _apply_caps(contract, d, order, before_caps)
    sort = np.argsort(order, kind="stable")
    lines = Lines(
        participant=d["participant"],
        cohort=d["cohort"],
        outcome=d["outcome"],
        rule=d["rule"],
        earned_on=d["earned_on"],
        period_start=d["period_start"],
        period_end=d["period_end"],
        invoice_period=d["invoice_period"],
        due_on=due_on,
        quantity_num=d["quantity_num"],
        quantity_den=d["quantity_den"],
        unit_price_minor=d["price"],
        amount_before_caps_minor=before_caps,
        amount_minor=paid,
        cut_by=cut_by,
        due=due,
    ).take(sort)

    achievements = _achievements(contract, results, cohort_of_row)
    retention = _retention_figures(contract, results, cohort_of_row)
    return Settlement(
        contract=contract,
        as_of=as_of,
        participants=tuple(settled),
        trajectories=tuple(trajs),
        windows={o.id: ctx.window(o.window) for o in contract.outcomes},
        results=results,
        lines=lines,
        exclusions=tuple(sorted(excluded, key=lambda e: e.participant_id)),
        achievements=achievements,
        retention=retention,
        participants_in=len(people),
    )


def _achievements(
    contract: Contract, results: dict[str, OutcomeResult], cohort_of_row: I64
) -> tuple[Achievement, ...]:
    out = []
    for ci, terms in enumerate(contract.cohorts):
        if terms.target_outcome is None:
            continue
        res = results[terms.target_outcome]
        q = Fraction(int(res.total_num[cohort_of_row == ci].sum()), res.den)
        out.append(Achievement(terms.label, terms.target_outcome, q, terms.target))
    return tuple(out)


def _retention_figures(
    contract: Contract, results: dict[str, OutcomeResult], cohort_of_row: I64
) -> tuple[RetentionFigures, ...]:
    out = []
    for o in contract.outcomes:
        if not isinstance(o, Retention):
            continue
        res = results[o.id].retention
        for ci, terms in enumerate(contract.cohorts):
            if res is None:
                out.append(RetentionFigures(terms.label, o.id, o.horizon_weeks, 0, 0, 0, 0))
                continue
            mine = cohort_of_row == ci
            out.append(
                RetentionFigures(
                    cohort=terms.label,
                    outcome=o.id,
                    horizon_weeks=o.horizon_weeks,
                    job_starters=int((res.eligible & mine).sum()),
                    censored=int((res.censored & mine).sum()),
                    retained=int((res.retained & mine).sum()),
                    same_employer=int((res.same_employer & mine).sum()),
                )
            )
    return tuple(out)
