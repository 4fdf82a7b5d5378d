"""Synthetic cohorts: a weekly Markov model of register statuses.

For benchmarks, what-if analysis and tests.  The model is deliberately simple:
each week a person stays in their status or moves to another with the
probabilities of a transition matrix; employment spells carry an employer
that changes only when a new employment spell starts.

>>> from datetime import date
>>> people, trajectories = synthetic_cohort(3, start=date(2024, 1, 1), seed=7)
>>> [p.cohort for p in people]
['sick_listed', 'unemployed', 'sick_listed']
>>> all(t.participant_id == p.id for p, t in zip(people, trajectories))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.status import Status

__all__ = ["DEFAULT_STATES", "default_transitions", "simulate_panel", "synthetic_cohort"]

#: The states of the default model, in the order of the transition matrix.
DEFAULT_STATES: tuple[Status, ...] = (
    Status.SICKNESS_BENEFIT,
    Status.UNEMPLOYMENT_BENEFIT,
    Status.CLARIFICATION_COURSE,
    Status.FLEXJOB,
    Status.WAGE_SUBSIDY,
    Status.EMPLOYED,
    Status.SELF_SUPPORTED,
)


def default_transitions(weekly_job_rate: float = 0.02) -> npt.NDArray[np.float64]:
    """A weekly transition matrix over :data:`DEFAULT_STATES` (rows sum to 1).

    A clarification course (jobafklaringsforløb) follows sickness benefit only;
    a flexjob follows sickness benefit or a clarification course, a wage
    subsidy (løntilskud) follows unemployment or employment.
    """
    j = weekly_job_rate
    m = np.array(
        [
            # sick  unemp  clarif flex   wage    empl     self
            [0.0, 0.010, 0.015, 0.006, 0.0, j, 0.004],
            [0.004, 0.0, 0.0, 0.0, 0.006, j * 1.2, 0.006],
            [0.004, 0.006, 0.0, 0.010, 0.0, j * 0.6, 0.002],
            [0.002, 0.004, 0.002, 0.0, 0.0, 0.015, 0.002],
            [0.002, 0.004, 0.0, 0.0, 0.0, 0.015, 0.002],
            [0.002, 0.003, 0.0, 0.0, 0.0005, 0.0, 0.002],
            [0.004, 0.006, 0.0, 0.0, 0.0, 0.02, 0.0],
        ]
    )
    np.fill_diagonal(m, 1.0 - m.sum(axis=1))
    return m


def simulate_panel(
    n: int,
    weeks: int,
    initial: npt.NDArray[np.int64],
    transitions: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """State index per person and week (vectorised over people, a loop over weeks)."""
    cumulative = np.cumsum(transitions, axis=1)
    cumulative[:, -1] = 1.0
    state = np.empty((n, weeks), dtype=np.int64)
    state[:, 0] = initial
    for t in range(1, weeks):
        u = rng.random(n)
        state[:, t] = (u[:, None] > cumulative[state[:, t - 1]]).sum(axis=1)
    return state


def synthetic_cohort(
    n: int,
    *,
    start: date,
    weeks: int = 130,
    seed: int = 0,
    cohorts: Sequence[tuple[str, Status]] = (
        ("sick_listed", Status.SICKNESS_BENEFIT),
        ("unemployed", Status.UNEMPLOYMENT_BENEFIT),
    ),
    enrolment_weeks: int = 52,
    history_weeks: int = 8,
    transitions: npt.NDArray[np.float64] | None = None,
    n_employers: int = 500,
    prefix: str = "SYN",
) -> tuple[list[Participant], list[Trajectory]]:
    """A synthetic cohort of ``n`` people with weekly Markov trajectories.

    Person ``i`` belongs to ``cohorts[i % len(cohorts)]``, starts in that
    cohort's status ``history_weeks`` before enrolment, and is enrolled on a
    Monday within ``enrolment_weeks`` of ``start`` (a Monday is not required
    of ``start``; weeks count from it).
    """
    rng = np.random.default_rng(seed)
    states = list(DEFAULT_STATES)
    matrix = default_transitions() if transitions is None else transitions
    cohort_of = np.arange(n) % len(cohorts)
    initial = np.array([states.index(cohorts[int(c)][1]) for c in cohort_of], dtype=np.int64)
    panel = simulate_panel(n, weeks, initial, matrix, rng)
    enrol_week = rng.integers(0, enrolment_weeks, size=n) + history_weeks
    # Run-length encode each row: a spell starts where the state changes.
    change = np.ones((n, weeks), dtype=bool)
    change[:, 1:] = panel[:, 1:] != panel[:, :-1]
    rows, cols = np.nonzero(change)
    ends = np.append(cols[1:], weeks)
    ends[np.append(rows[1:] != rows[:-1], True)] = weeks
    employer = rng.integers(1, n_employers + 1, size=len(rows))
    width = len(str(max(n - 1, 1)))
    people: list[Participant] = []
    trajectories: list[Trajectory] = []
    spells: list[Spell] = []
    first_monday = start - timedelta(days=start.weekday())
    for k in range(len(rows)):
        i = int(rows[k])
        status = states[int(panel[i, cols[k]])]
        s = first_monday + timedelta(weeks=int(cols[k]))
        e = None if ends[k] == weeks else first_monday + timedelta(weeks=int(ends[k]))
        spells.append(
            Spell(
                status,
                s,
                e,
                employer=f"E{employer[k]:04d}" if status.is_employment else None,
                hours=37 if status.is_employment else None,
            )
        )
        if k + 1 == len(rows) or rows[k + 1] != i:
            pid = f"{prefix}-{i:0{width}d}"
            label = cohorts[int(cohort_of[i])][0]
            enrolled = first_monday + timedelta(weeks=int(enrol_week[i]))
            people.append(Participant(pid, label, enrolled))
            trajectories.append(Trajectory(pid, tuple(spells)))
            spells = []
    return people, trajectories
