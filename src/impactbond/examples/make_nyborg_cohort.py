"""Generate the synthetic Nyborg cohort (``nyborg_participants.csv``, ``nyborg_spells.csv``).

Run once; the CSV files are committed as package data and this script is not
run at import time::

    python -m impactbond.examples.make_nyborg_cohort          # writes the two files
    python -m impactbond.examples.make_nyborg_cohort --check  # prints the estimates only

The cohort is synthetic: ~60 sick-listed and ~40 unemployed citizens enrolled
between the contract's referral start and end, each with spells from about six
months before enrolment to the data cut-off :data:`CUT_OFF`.  After enrolment
each person's status follows a weekly Markov chain (:data:`TRANSITIONS`) whose
job-finding rates ramp up over the first weeks of the programme.  The chain is
tuned so that the cohort shows the *kind* of result the brochure reports
(employment months well above the target for the sick-listed, ~80-85 % of job
starters still employed at 26 weeks, ~90-95 % of those with the same
employer); the numbers are not the brochure's.

Two personas from the brochures are written by hand, with first-name
pseudonyms: ``agnes`` (sick-listed, chronic illness) and ``karina`` (long
sickness and unemployment, a social and health assistant who moves into a new
field).  See :func:`personas`.

>>> from impactbond.examples.make_nyborg_cohort import personas
>>> [p.id for p, _ in personas()]
['agnes', 'karina']
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

import numpy as np

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.io.trajectories import write_participants, write_spells
from impactbond.status import Status

__all__ = [
    "CUT_OFF",
    "SEED",
    "TRANSITIONS",
    "estimate",
    "generate",
    "main",
    "personas",
]

SEED = 145
"""Seed of the numpy Generator: the committed files are this seed's output."""
CUT_OFF = date(2026, 6, 30)
"""Data cut-off: spells open at this date are written with an empty end."""
REFERRAL_START = date(2023, 10, 1)
REFERRAL_END = date(2025, 3, 31)
N_SICK_LISTED = 60
N_UNEMPLOYED = 40

S = Status
#: Weekly transition probabilities after enrolment: status -> {next status: p}.
#: Moves into work are scaled by the programme ramp (see :func:`_ramp`).
#: Staying put takes the rest.  ``EMPLOYED -> EMPLOYED`` is a move to a new employer.
#: A sick-listed person moves on to a clarification course (jobafklaringsforløb)
#: or a flexjob, an unemployed person on cash benefit to a resource course
#: (ressourceforløb); a flexjob that ends leads to ledighedsydelse, a wage
#: subsidy (løntilskud) that ends to unemployment benefit.
TRANSITIONS: dict[str, dict[Status, dict[Status, float]]] = {
    "sick_listed": {
        S.SICKNESS_BENEFIT: {
            S.CLARIFICATION_COURSE: 0.016,
            S.EMPLOYED: 0.00726,
            S.FLEXJOB: 0.00198,
            S.UNEMPLOYMENT_BENEFIT: 0.004,
        },
        S.CLARIFICATION_COURSE: {
            S.EMPLOYED: 0.00561,
            S.FLEXJOB: 0.00264,
            S.SICKNESS_BENEFIT: 0.002,
            S.EDUCATION: 0.002,
        },
        S.UNEMPLOYMENT_BENEFIT: {S.EMPLOYED: 0.00825, S.WAGE_SUBSIDY: 0.004},
        S.FLEXJOB_UNEMPLOYMENT_BENEFIT: {S.EMPLOYED: 0.00825, S.FLEXJOB: 0.004},
        S.FLEXJOB: {S.EMPLOYED: 0.025, S.FLEXJOB_UNEMPLOYMENT_BENEFIT: 0.004},
        S.WAGE_SUBSIDY: {S.EMPLOYED: 0.025, S.UNEMPLOYMENT_BENEFIT: 0.004},
        S.EDUCATION: {S.EMPLOYED: 0.015},
        S.EMPLOYED: {
            S.UNEMPLOYMENT_BENEFIT: 0.004125,
            S.SICKNESS_BENEFIT: 0.003375,
            S.EMPLOYED: 0.0022,
        },
    },
    "unemployed": {
        S.UNEMPLOYMENT_BENEFIT: {
            S.EMPLOYED: 0.0028,
            S.WAGE_SUBSIDY: 0.0012,
            S.EDUCATION: 0.003,
            S.SICKNESS_BENEFIT: 0.002,
        },
        S.FLEXJOB_UNEMPLOYMENT_BENEFIT: {
            S.EMPLOYED: 0.0028,
            S.FLEXJOB: 0.0012,
            S.EDUCATION: 0.003,
            S.SICKNESS_BENEFIT: 0.002,
        },
        S.CASH_BENEFIT: {
            S.EMPLOYED: 0.0014,
            S.WAGE_SUBSIDY: 0.0012,
            S.EDUCATION: 0.003,
            S.RESOURCE_COURSE: 0.002,
        },
        S.SICKNESS_BENEFIT: {S.UNEMPLOYMENT_BENEFIT: 0.03},
        S.RESOURCE_COURSE: {S.FLEXJOB: 0.01},
        S.FLEXJOB: {S.EMPLOYED: 0.02, S.FLEXJOB_UNEMPLOYMENT_BENEFIT: 0.006},
        S.WAGE_SUBSIDY: {S.EMPLOYED: 0.02, S.UNEMPLOYMENT_BENEFIT: 0.006},
        S.EDUCATION: {S.EMPLOYED: 0.01, S.UNEMPLOYMENT_BENEFIT: 0.005},
        S.EMPLOYED: {S.UNEMPLOYMENT_BENEFIT: 0.0085, S.EMPLOYED: 0.0022},
    },
}
_SUPPORTED = (S.FLEXJOB, S.WAGE_SUBSIDY)
_WORK = (S.EMPLOYED, *_SUPPORTED)
_HOURS = (Decimal(37), Decimal(32), Decimal(30), Decimal(25), Decimal(20))
_HOURS_P = (0.6, 0.15, 0.12, 0.08, 0.05)


def _ramp(week: int) -> float:
    """The programme's ramp: moves into work reach full rate after 12 weeks."""
    return min(1.0, (week + 1) / 12)


def personas() -> list[tuple[Participant, Trajectory]]:
    """Agnes and Karina, the brochures' two citizens, as trajectories.

    Agnes (sick-listed): a chronic illness in late 2023; sickness benefit
    from 13 November 2023, enrolled 15 January 2024, a clarification course
    (jobafklaringsforløb) when sickness benefit ran out after 22 weeks, then
    a permanent job at 32 hours a week from 2 September 2024, still employed.

    Karina (unemployed): a social and health assistant (social- og
    sundhedsassistent) since 18 who could not go on in her trade: sickness
    benefit, then unemployment benefit, enrolled 13 May 2024; a short course
    in a new field, a subsidised job (løntilskud) with a new employer, then
    ordinary employment with that employer at 30 hours a week.
    """
    agnes = Participant("agnes", "sick_listed", date(2024, 1, 15), referred=date(2024, 1, 8))
    agnes_spells = [
        Spell(S.EMPLOYED, date(2023, 7, 1), date(2023, 11, 13), hours=37, employer="EMP-A01"),
        Spell(S.SICKNESS_BENEFIT, date(2023, 11, 13), date(2024, 4, 15)),
        Spell(S.CLARIFICATION_COURSE, date(2024, 4, 15), date(2024, 9, 2)),
        Spell(S.EMPLOYED, date(2024, 9, 2), None, hours=32, employer="EMP-A02"),
    ]
    karina = Participant("karina", "unemployed", date(2024, 5, 13), referred=date(2024, 5, 6))
    karina_spells = [
        Spell(S.SICKNESS_BENEFIT, date(2023, 9, 4), date(2024, 1, 29)),
        Spell(S.UNEMPLOYMENT_BENEFIT, date(2024, 1, 29), date(2024, 10, 7)),
        Spell(S.EDUCATION, date(2024, 10, 7), date(2024, 12, 16)),
        Spell(S.WAGE_SUBSIDY, date(2024, 12, 16), date(2025, 6, 16), employer="EMP-K01"),
        Spell(S.EMPLOYED, date(2025, 6, 16), None, hours=30, employer="EMP-K01"),
    ]
    return [
        (agnes, Trajectory("agnes", agnes_spells)),
        (karina, Trajectory("karina", karina_spells)),
    ]


def _history(
    rng: np.random.Generator, cohort: str, enrolled: date, employers: list[int]
) -> tuple[list[Spell], Status]:
    """About six months before enrolment; returns the spells and the status at enrolment."""
    months_before = int(rng.integers(5, 8))
    history_start = enrolled - timedelta(days=30 * months_before)
    employer = f"EMP-{_new_employer(employers):03d}"
    if cohort == "sick_listed":
        sick_weeks = int(rng.integers(4, 40))
        sick_start = enrolled - timedelta(weeks=sick_weeks)
        status = S.SICKNESS_BENEFIT
        spells: list[Spell] = []
        if sick_start > history_start:
            spells.append(Spell(S.EMPLOYED, history_start, sick_start, hours=37, employer=employer))
        else:
            sick_start = history_start
        if sick_weeks > 22 and rng.random() < 0.7:  # sickness benefit ran out: clarification
            rehab_start = sick_start + timedelta(weeks=22)
            if rehab_start < enrolled:
                spells.append(Spell(S.SICKNESS_BENEFIT, sick_start, rehab_start))
                course = Spell(S.CLARIFICATION_COURSE, rehab_start, enrolled)
                return [*spells, course], S.CLARIFICATION_COURSE
        return [*spells, Spell(status, sick_start, enrolled)], status
    status = S.UNEMPLOYMENT_BENEFIT if rng.random() < 0.6 else S.CASH_BENEFIT
    return [Spell(status, history_start, enrolled)], status


def _new_employer(employers: list[int]) -> int:
    employers.append(len(employers) + 1)
    return employers[-1]


def _follow(
    rng: np.random.Generator,
    cohort: str,
    enrolled: date,
    status: Status,
    employers: list[int],
) -> list[Spell]:
    """Weekly Markov chain from enrolment to the cut-off, merged into spells."""
    table = TRANSITIONS[cohort]
    weeks = (CUT_OFF - enrolled).days // 7
    spells: list[Spell] = []
    start = enrolled
    employer: str | None = None
    hours: Decimal | None = None
    for week in range(weeks):
        moves = table.get(status, {})
        targets = list(moves)
        probabilities = [
            moves[t] * (_ramp(week) if t in _WORK and status not in _WORK else 1.0) for t in targets
        ]
        u = rng.random()
        chosen: Status | None = None
        for target, p in zip(targets, probabilities, strict=True):
            if u < p:
                chosen = target
                break
            u -= p
        if chosen is None:
            continue
        day = enrolled + timedelta(weeks=week + 1)
        spells.append(Spell(status, start, day, hours=hours, employer=employer))
        if chosen in _WORK:
            keep = status in _SUPPORTED and chosen is S.EMPLOYED and rng.random() < 0.5
            if not keep:  # kept on after a supported job: same employer
                employer = f"EMP-{_new_employer(employers):03d}"
            hours = (
                _HOURS[int(rng.choice(len(_HOURS), p=_HOURS_P))] if chosen is S.EMPLOYED else None
            )
        else:
            employer, hours = None, None
        status, start = chosen, day
    spells.append(Spell(status, start, None, hours=hours, employer=employer))
    return spells


def generate(seed: int = SEED) -> tuple[list[Participant], list[Trajectory]]:
    """The synthetic cohort: the two personas first, then the generated citizens.

    >>> participants, trajectories = generate()
    >>> len(participants), sum(p.cohort == "sick_listed" for p in participants)
    (100, 60)
    """
    rng = np.random.default_rng(seed)
    participants: list[Participant] = []
    trajectories: list[Trajectory] = []
    for persona, trajectory in personas():
        participants.append(persona)
        trajectories.append(trajectory)
    employers: list[int] = []
    span = (REFERRAL_END - REFERRAL_START).days
    counts = {
        "sick_listed": N_SICK_LISTED - sum(p.cohort == "sick_listed" for p in participants),
        "unemployed": N_UNEMPLOYED - sum(p.cohort == "unemployed" for p in participants),
    }
    plan = [cohort for cohort, n in counts.items() for _ in range(n)]
    offsets = np.sort(rng.integers(0, span + 1, size=len(plan)))
    order = rng.permutation(len(plan))
    for number, (i, offset) in enumerate(zip(order, offsets, strict=True), start=1):
        cohort = plan[int(i)]
        enrolled = REFERRAL_START + timedelta(days=int(offset))
        referred = max(REFERRAL_START, enrolled - timedelta(days=int(rng.integers(0, 22))))
        pid = f"NYB-{number:04d}"
        history, status = _history(rng, cohort, enrolled, employers)
        spells = history + _follow(rng, cohort, enrolled, status, employers)
        participants.append(Participant(pid, cohort, enrolled, referred=referred))
        trajectories.append(Trajectory(pid, spells))
    return participants, trajectories


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    year, month = d.year + month // 12, month % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def estimate(
    participants: Sequence[Participant], trajectories: Sequence[Trajectory], as_of: date = CUT_OFF
) -> dict[str, float]:
    """A rough, independent estimate of the cohort's results at ``as_of``.

    Plain Python, for tuning only (the settlement is :func:`impactbond.settle`):
    employment months = weighted employed days in the 24-month window / 30.4
    (flexjob and wage subsidy 1/2, hours against 37); a job start is the first ordinary
    employment day in the window; retained = ordinarily employed 26 weeks later
    (only for job starts whose 26 weeks have passed by ``as_of``).
    """
    by_id = {t.participant_id: t for t in trajectories}
    out: dict[str, float] = {"months_sick_listed": 0.0, "months_unemployed": 0.0}
    starts = retained = same = 0
    for p in participants:
        t = by_id[p.id]
        end = min(_add_months(p.enrolled, 24), as_of)
        days = 0.0
        first_job: Spell | None = None
        for s in t.between(p.enrolled, end):
            weight = {S.EMPLOYED: 1.0, S.FLEXJOB: 0.5, S.WAGE_SUBSIDY: 0.5}.get(s.status, 0.0)
            if s.hours is not None:
                weight *= min(1.0, float(s.hours) / 37)
            days += weight * s.days()
            if s.status is S.EMPLOYED and first_job is None:
                first_job = s
        out[f"months_{p.cohort}"] += days / 30.4
        if first_job is None:
            continue
        start_day = first_job.start
        horizon = start_day + timedelta(weeks=26)
        if horizon > as_of:
            continue
        starts += 1
        if t.status_on(horizon) is S.EMPLOYED:
            retained += 1
            at_horizon = next(
                s for s in t.spells if s.start <= horizon and (s.end is None or horizon < s.end)
            )
            original = next(
                s for s in t.spells if s.start <= start_day and (s.end is None or start_day < s.end)
            )
            same += at_horizon.employer == original.employer
    out["job_starts_observed_26w"] = starts
    out["retained_26w_share"] = retained / starts if starts else float("nan")
    out["same_employer_share_of_retained"] = same / retained if retained else float("nan")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Write the two CSV files next to this module (or only print with ``--check``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="print the estimates, write nothing")
    parser.add_argument("--out", type=Path, default=None, help="directory to write to")
    args = parser.parse_args(argv)
    participants, trajectories = generate()
    for key, value in estimate(participants, trajectories).items():
        print(f"{key:>34}: {value:.3f}")
    if args.check:
        return
    out = args.out or Path(str(resources.files("impactbond.examples")))
    write_participants(participants, out / "nyborg_participants.csv")
    write_spells(trajectories, out / "nyborg_spells.csv")
    print(f"wrote {len(participants)} participants to {out}")


if __name__ == "__main__":
    main()
