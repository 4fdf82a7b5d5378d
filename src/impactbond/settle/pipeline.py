"""``settle()``: a short fold over the stages.

clock -> admission -> measurement -> pricing -> group rules -> schedule ->
rounding -> caps -> result.  Each stage is a module with one job; this one
only passes the columns along.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.domain.outcome import RecordedEvent, Retention
from impactbond.domain.participant import Participant
from impactbond.domain.payment import EffectTierPayment
from impactbond.domain.terms import ComparisonGroup
from impactbond.domain.trajectory import Trajectory
from impactbond.errors import SettlementError
from impactbond.money import exact_bincount, exact_sum
from impactbond.register import Register
from impactbond.settle.admit import Admission, Roster, admission, cohort_limits, roster
from impactbond.settle.caps import CapPart, apply_caps, local_runner
from impactbond.settle.clock import Observation, observe
from impactbond.settle.group import GROUP_RULES, GroupContext, comparison_figures
from impactbond.settle.lines import LineBlock, assemble
from impactbond.settle.measure import MeasureContext, Measured, measure
from impactbond.settle.price import PRICERS, PriceContext
from impactbond.settle.result import Achievement, Cuts, Lines, RetentionFigures, Settlement
from impactbond.settle.rounding import round_lines

__all__ = ["Comparison", "ParticipantStages", "group_stage", "participant_stages", "settle"]

I64 = npt.NDArray[np.int64]

Comparison = Mapping[str, ComparisonGroup | tuple[int, int]] | Settlement

_SAFE_TOTAL = 2.0**62


def _as_register(
    participants: Register | Iterable[Participant],
    trajectories: Mapping[str, Trajectory] | Iterable[Trajectory] | None,
    events: Mapping[str, Iterable[tuple[str, date]]] | None,
) -> Register:
    if isinstance(participants, Register):
        if trajectories is not None or events is not None:
            raise SettlementError(
                "a Register carries its spells and events; give no trajectories or events",
                field="trajectories",
            )
        return participants
    if trajectories is None:
        raise SettlementError(
            "settle() takes a Register, or participants and their trajectories",
            field="trajectories",
        )
    return Register.from_objects(participants, trajectories, events)


def _check_events(contract: Contract, register: Register) -> None:
    known = {o.event for o in contract.outcomes if isinstance(o, RecordedEvent)}
    for code, name in enumerate(register.event_names):
        if name in known:
            continue
        rows = np.flatnonzero(register.event_code == code)
        if len(rows) == 0:
            continue
        who = str(register.ids[int(register.event_row[rows[0]])].as_py())
        raise SettlementError(
            f"event {name!r} is read by no outcome of the contract "
            f"(known: {', '.join(sorted(known)) or 'none'})",
            participant=who,
            field="event",
            rule="every recorded event is an outcome of the contract",
        )


def _check_bounds(contract: Contract, lines: LineBlock) -> None:
    """Refuse, before money is computed, amounts an exact int64 settlement could not hold."""
    if len(lines) == 0:
        return
    amount = (lines.quantity_num / lines.quantity_den) * (lines.price_num / lines.price_den)
    total = float(np.sum(amount))
    if total >= _SAFE_TOTAL or not np.isfinite(total):
        worst = int(np.argmax(amount))
        rule = contract.payment_rules[int(lines.rule[worst])]
        raise SettlementError(
            f"the amounts of this settlement add up to more than 4.6e18 minor units; "
            f"rule {rule.id} alone prices a line at {amount[worst]:.3g} minor units",
            field="price",
            clause=rule.clause or None,
            rule="a settlement's amounts are exact within 4.6e18 minor units",
        )


def _groups(cohort: I64, scenario: I64, n_cohorts: int) -> tuple[list[int], I64, int]:
    """The scenarios (in order; ``[0]`` for none), each row's ``scenario x cohort`` group, and
    the number of groups: the figures below count per group in one pass instead of a mask each.
    """
    keys, inverse = np.unique(scenario, return_inverse=True)
    values = keys.tolist() or [0]
    group = inverse.astype(np.int64).reshape(-1) * n_cohorts + cohort.astype(np.int64)
    return values, group, len(values) * n_cohorts


def _achievements(
    contract: Contract, measured: Mapping[str, Measured], cohort: I64, scenario: I64
) -> tuple[Achievement, ...]:
    n_cohorts = len(contract.cohorts)
    scenarios, group, n = _groups(cohort, scenario, n_cohorts)
    sums: dict[str, list[int]] = {}
    people: list[int] | None = None
    out = []
    for si, s in enumerate(scenarios):
        for ci, terms in enumerate(contract.cohorts):
            if terms.target_outcome is None:
                continue
            m = measured[terms.target_outcome]
            if terms.target_outcome not in sums:
                totals = np.asarray(m.totals, dtype=np.int64)
                if len(totals) and int(totals.min()) < 0:  # exact_bincount adds values >= 0
                    sums[terms.target_outcome] = [exact_sum(totals[group == g]) for g in range(n)]
                else:
                    sums[terms.target_outcome] = exact_bincount(group, totals, n).tolist()
            q = Fraction(sums[terms.target_outcome][si * n_cohorts + ci], m.den)
            target = terms.target
            if terms.target_share is not None:
                if people is None:
                    people = np.bincount(group, minlength=n).tolist()
                target = terms.target_share * people[si * n_cohorts + ci]
            out.append(
                Achievement(
                    terms.label, terms.target_outcome, q, target, int(s), terms.target_share
                )
            )
    return tuple(out)


def _retention_figures(
    contract: Contract, measured: Mapping[str, Measured], cohort: I64, scenario: I64
) -> tuple[RetentionFigures, ...]:
    n_cohorts = len(contract.cohorts)
    scenarios, group, n = _groups(cohort, scenario, n_cohorts)

    def count(flags: npt.NDArray[np.bool_]) -> list[int]:
        out: list[int] = np.bincount(group[np.asarray(flags, dtype=bool)], minlength=n).tolist()
        return out

    out = []
    for o in contract.outcomes:
        if not isinstance(o, Retention):
            continue
        m = measured[o.id]
        assert m.eligible is not None and m.censored is not None
        assert m.retained is not None and m.same_employer is not None
        horizon = (
            f"{o.horizon_months} months"
            if o.horizon_months is not None
            else f"{o.horizon_weeks} weeks"
        )
        starters, censored = count(m.eligible), count(m.censored)
        retained, same = count(m.retained), count(m.same_employer)
        for si, s in enumerate(scenarios):
            for ci, terms in enumerate(contract.cohorts):
                g = si * n_cohorts + ci
                out.append(
                    RetentionFigures(
                        cohort=terms.label,
                        outcome=o.id,
                        horizon=horizon,
                        job_starters=starters[g],
                        censored=censored[g],
                        retained=retained[g],
                        same_employer=same[g],
                        scenario=int(s),
                    )
                )
    return tuple(out)


@attrs.frozen(eq=False)
class ParticipantStages:
    """What the row-local stages give for one part of the register."""

    roster: Roster
    register: Register
    """The settled participants' data."""
    obs: Observation
    context: MeasureContext
    measured: dict[str, Measured]
    blocks: list[LineBlock]
    """The lines of the participant-level rules, one block per rule."""


def participant_stages(
    contract: Contract,
    register: Register,
    obs: Observation,
    adm: Admission,
    full: I64,
    *,
    price: bool = True,
) -> ParticipantStages:
    """Admission, measurement and pricing: every stage that reads one participant at a time."""
    roster_ = roster(contract, register, obs, adm, full)
    reg = register.take(roster_.rows)
    obs_s: Observation = attrs.evolve(obs, exit_end=obs.exit_end[roster_.rows])
    ctx = MeasureContext(reg, obs_s)
    measured = {o.id: measure(o, ctx) for o in contract.outcomes}
    pctx = PriceContext(
        contract,
        obs_s,
        roster_.cohort,
        reg.scenario.astype(np.int64),
        reg.enrolled.astype(np.int64),
        measured,
    )
    blocks = []
    for index, rule in enumerate(contract.payment_rules):
        kind = type(rule)
        if not price and kind in PRICERS:
            continue
        if kind in PRICERS:
            blocks.append(PRICERS[kind](rule, index, pctx))
        elif kind not in GROUP_RULES:
            raise SettlementError(
                f"no pricer for payment rule kind {kind.__name__}", field="payment_rules"
            )
    return ParticipantStages(roster_, reg, obs_s, ctx, measured, blocks)


def group_stage(contract: Contract, gctx: GroupContext) -> tuple[list[LineBlock], list[Any]]:
    """The group rules' lines and the figures behind them."""
    blocks: list[LineBlock] = []
    figures: list[Any] = []
    if gctx.role == "comparison":  # measured under the same outcomes, nothing priced
        for rule in contract.payment_rules:
            if isinstance(rule, EffectTierPayment):
                figures += comparison_figures(rule, gctx)
        return blocks, figures
    for index, rule in enumerate(contract.payment_rules):
        if type(rule) in GROUP_RULES:
            block, found = GROUP_RULES[type(rule)](rule, index, gctx)
            blocks.append(block)
            figures += found
    return blocks, figures


def settle(
    contract: Contract,
    participants: Register | Iterable[Participant],
    trajectories: Mapping[str, Trajectory] | Iterable[Trajectory] | None = None,
    *,
    as_of: date,
    data_until: date | None = None,
    events: Mapping[str, Iterable[tuple[str, date]]] | None = None,
    comparison: Comparison | None = None,
    role: str = "treatment",
) -> Settlement:
    """Evaluate ``contract`` on the register data at ``as_of``.

    Parameters
    ----------
    contract:
        The contract.
    participants:
        A :class:`~impactbond.register.Register` (the columnar form), or
        everyone referred to the programme as
        :class:`~impactbond.domain.participant.Participant` objects (each with
        a trajectory).
    trajectories:
        With participant objects: one :class:`Trajectory` per participant (a
        sequence, or a mapping by id).
    as_of:
        The evaluation date: money is due when its due date is on or before it.
    data_until:
        The last day the register data cover (default: the day before
        ``as_of``).  Open spells end there and nothing is earned after it.
    events:
        With participant objects: outcomes recorded as dated events,
        ``{participant_id: [(name, date), ...]}`` (a Register carries them).
    comparison:
        The counterfactual of effect-tier rules instead of the contract's
        published rate: a Settlement of a comparison group under the same
        outcomes, or per cohort a
        :class:`~impactbond.domain.terms.ComparisonGroup` or ``(people, count)``
        (people with the outcome, or events for ``measure = "events_per_person"``).
        A settlement made with ``role="comparison"`` compares each cohort with
        the same cohort of the comparison group.
    role:
        ``"treatment"`` (the default) prices the rules.  ``"comparison"``
        settles a comparison group's register under the same contract: every
        outcome is measured as for the treatment, nothing is paid, and
        :attr:`Settlement.figures` holds per effect rule and cohort the people,
        the people with the outcome and the events by the rule's measurement
        date (:class:`~impactbond.settle.group.ComparisonFigures`).

    Returns
    -------
    Settlement
        Lines, cuts, totals, achievement, retention figures, the figures behind
        effect and savings payments, and exclusions.  Participants in =
        participants settled + participants excluded.

    Examples
    --------
    >>> import impactbond as ib
    >>> contract, people, trajectories = ib.examples.nyborg()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    >>> s.n_settled + len(s.exclusions) == len(people)
    True
    >>> s.total == sum(s.by_cohort().values(), ib.Money.zero("DKK"))
    True
    """
    if role not in ("treatment", "comparison"):
        raise SettlementError(
            f"role {role!r} is not 'treatment' or 'comparison'",
            field="role",
            rule="a settlement pays a treatment group or measures a comparison group",
        )
    if role == "comparison" and comparison is not None:
        raise SettlementError(
            "a comparison group is settled without a comparison of its own",
            field="comparison",
            rule="a comparison group is measured, not compared",
        )
    register = _as_register(participants, trajectories, events)
    _check_events(contract, register)
    obs = observe(contract, register, as_of=as_of, data_until=data_until)
    adm = admission(contract, register, obs)
    (full,) = cohort_limits(contract, [adm.limit_candidates(contract)])
    stage = participant_stages(contract, register, obs, adm, full, price=role == "treatment")
    scenario = stage.register.scenario.astype(np.int64)
    scenarios = np.unique(scenario) if len(scenario) else np.zeros(1, dtype=np.int64)
    gctx = GroupContext(
        contract=contract,
        obs=stage.obs,
        cohort=stage.roster.cohort,
        scenario=scenario,
        scenarios=scenarios,
        scenario_index=np.searchsorted(scenarios, scenario),
        measured=stage.measured,
        comparison=comparison,
        role=role,
    )
    group_blocks, figures = group_stage(contract, gctx)
    person_blocks = stage.blocks
    roster, reg, obs_s, ctx, measured = (
        stage.roster,
        stage.register,
        stage.obs,
        stage.context,
        stage.measured,
    )
    lines = assemble(person_blocks, group_blocks)
    _check_bounds(contract, lines)
    invoice_period = obs.invoice_period_of(lines.earned_on)
    due_on = obs.due_on(invoice_period)
    before = round_lines(
        lines,
        contract.rounding,
        contract.rounding_stage,
        invoice_period,
        len(contract.payment_rules),
    )
    part = CapPart(lines, before.copy(), np.searchsorted(scenarios, lines.scenario))
    day_lo, day_hi = gctx.day_span()
    apply_caps(
        contract,
        local_runner([part]),
        1,
        n_scenarios=len(scenarios),
        day_lo=day_lo,
        n_days=day_hi - day_lo,
    )
    paid = part.paid
    cut_line, cut_cap, cut_amount = part.cuts()
    result_lines = Lines(
        participant=lines.participant,
        scenario=lines.scenario,
        cohort=lines.cohort,
        outcome=lines.outcome,
        rule=lines.rule,
        period_start=lines.period_start,
        period_end=lines.period_end,
        earned_on=lines.earned_on,
        invoice_period=invoice_period,
        due_on=due_on,
        quantity_num=lines.quantity_num,
        quantity_den=lines.quantity_den,
        price_num=lines.price_num,
        price_den=lines.price_den,
        amount_before_caps=before,
        amount=paid,
        due=obs.is_due(due_on),
        item=lines.item,
    )
    return Settlement(
        contract=contract,
        observation=obs_s,
        register=reg,
        cohort_of=roster.cohort,
        windows={o.id: ctx.window(o.window) for o in contract.outcomes},
        measured=measured,
        lines=result_lines,
        cuts=Cuts(cut_line, cut_cap, cut_amount),
        exclusions=roster.exclusions,
        achievements=_achievements(contract, measured, roster.cohort, scenario),
        retention=_retention_figures(contract, measured, roster.cohort, scenario),
        figures=tuple(figures),
        participants_in=len(register),
        role=role,
    )
