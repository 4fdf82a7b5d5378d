"""Generate the synthetic register history of citizens comparable to the Nyborg cohorts.

Run once; the CSV files (``nyborg_history_participants.csv``,
``nyborg_history_spells.csv``) are committed as package data::

    python -m impactbond.examples.make_nyborg_history

A municipality that considers a social impact bond has the register history
of citizens like those it would refer: people who became sick-listed, or
unemployed, in the years before, followed week by week in the registers. This
history is synthetic: 600 sick-listed and 400 unemployed citizens, each
followed from the Monday they entered the target group (between January 2019
and December 2022) until :data:`HISTORY_UNTIL`, with statuses drawn from
:func:`true_model`, a weekly model whose job-finding rates fall with the time
since the start (bands 0-12, 13-25, 26-51 and 52+ weeks).  No programme ran
for them: calibrating on this history gives the counterfactual of the Monte
Carlo, and the notebook checks that the calibration recovers
:func:`true_model`.

>>> m = true_model()
>>> m.cohorts, m.band_labels
(('sick_listed', 'unemployed'), ('0-12', '13-25', '26-51', '52+'))
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.examples import NYBORG_HISTORY_UNTIL
from impactbond.io.trajectories import write_participants, write_spells
from impactbond.simulate.model import StatusModel
from impactbond.status import Status

__all__ = ["HISTORY_UNTIL", "PEOPLE", "SEED", "generate", "main", "true_model"]

SEED = 2019
"""Seed of the numpy Generator: the committed files are this seed's output."""
HISTORY_UNTIL = NYBORG_HISTORY_UNTIL
"""The last day the history covers: open spells end here."""
FIRST_START = date(2019, 1, 7)
START_WEEKS = 208
"""Citizens enter the target group on a Monday in the 208 weeks from :data:`FIRST_START`."""
PEOPLE = (("sick_listed", 600), ("unemployed", 400))

STATES = (
    Status.SICKNESS_BENEFIT,
    Status.UNEMPLOYMENT_BENEFIT,
    Status.CASH_BENEFIT,
    Status.EDUCATION,
    Status.EMPLOYED,
    Status.SELF_SUPPORTED,
)
BANDS = (0, 13, 26, 52)


def _matrix(job: dict[int, float], moves: dict[int, dict[int, float]]) -> np.ndarray:
    """Rows of weekly probabilities; ``job[i]``: from state i to employment; diagonal fills up."""
    s = len(STATES)
    m = np.zeros((s, s))
    e = STATES.index(Status.EMPLOYED)
    for i, rate in job.items():
        m[i, e] = rate
    for i, row in moves.items():
        for j, rate in row.items():
            m[i, j] = rate
    np.fill_diagonal(m, 0.0)
    np.fill_diagonal(m, 1.0 - m.sum(axis=1))
    return m


def true_model() -> StatusModel:
    """The weekly model the history is drawn from (illustrative rates).

    States: sickness benefit (0), unemployment benefit (1), social assistance
    (2), education (3), ordinary employment (4), self-supported (5).  The
    weekly job-entry rate from the cohort's own benefit falls over the bands
    (sick-listed 0.5, 0.35, 0.25, 0.15 %; unemployed 0.6, 0.45, 0.3, 0.2 %);
    a job is left with 1.1 % a week (about two years on average).
    """
    leave_job = {0: 0.003, 1: 0.006, 5: 0.002}
    bands = []
    for sick_job, unemp_job in ((0.005, 0.006), (0.0035, 0.0045), (0.0025, 0.003), (0.0015, 0.002)):
        sick = _matrix(
            {0: sick_job, 1: unemp_job, 2: 0.002, 3: 0.006, 5: 0.005},
            {
                0: {1: 0.004, 2: 0.002, 5: 0.002},
                1: {0: 0.004, 2: 0.004, 3: 0.001},
                2: {1: 0.002, 3: 0.002},
                3: {2: 0.004},
                4: leave_job,
                5: {1: 0.004, 2: 0.002},
            },
        )
        unemployed = _matrix(
            {0: sick_job, 1: unemp_job, 2: 0.002, 3: 0.006, 5: 0.005},
            {
                0: {1: 0.006, 2: 0.002},
                1: {0: 0.002, 2: 0.005, 3: 0.002, 5: 0.002},
                2: {1: 0.002, 3: 0.003},
                3: {2: 0.004},
                4: leave_job,
                5: {1: 0.005, 2: 0.002},
            },
        )
        bands.append((sick, unemployed))
    transitions = np.array([[b[0] for b in bands], [b[1] for b in bands]])
    initial = np.zeros((2, len(STATES)))
    initial[0, 0] = 1.0
    initial[1, 1] = 1.0
    return StatusModel(
        states=STATES,
        cohorts=tuple(label for label, _ in PEOPLE),
        bands=BANDS,
        transitions=transitions,
        initial=initial,
    )


def generate(seed: int = SEED) -> tuple[list[Participant], list[Trajectory]]:
    """The history's citizens and their trajectories (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    model = true_model()
    cohort = np.concatenate([np.full(n, k) for k, (_, n) in enumerate(PEOPLE)])
    start_week = rng.integers(0, START_WEEKS, size=len(cohort))
    starts = [FIRST_START + timedelta(weeks=int(w)) for w in start_week]
    weeks = max((HISTORY_UNTIL - s).days // 7 + 1 for s in starts)
    paths = model.sample(rng, cohort, weeks)
    people: list[Participant] = []
    trajectories: list[Trajectory] = []
    for i, start in enumerate(starts):
        observed = (HISTORY_UNTIL - start).days // 7 + 1
        row = paths[i, :observed]
        pid = f"H-{i + 1:04d}"
        label = PEOPLE[int(cohort[i])][0]
        spells = []
        change = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        for k, col in enumerate(change.tolist()):
            status = STATES[int(row[col])]
            end_col = int(change[k + 1]) if k + 1 < len(change) else None
            spells.append(
                Spell(
                    status,
                    start + timedelta(weeks=col),
                    None if end_col is None else start + timedelta(weeks=end_col),
                    hours=37 if status is Status.EMPLOYED else None,
                    employer=f"E-{pid}-{k}" if status is Status.EMPLOYED else None,
                )
            )
        people.append(Participant(pid, label, start))
        trajectories.append(Trajectory(pid, spells))
    return people, trajectories


def main() -> None:
    """Write the two CSV files next to this module."""
    here = Path(str(resources.files("impactbond.examples")))
    people, trajectories = generate()
    write_participants(people, here / "nyborg_history_participants.csv")
    write_spells(trajectories, here / "nyborg_history_spells.csv")
    print(f"wrote {len(people)} citizens, {sum(len(t.spells) for t in trajectories)} spells")


if __name__ == "__main__":
    main()
