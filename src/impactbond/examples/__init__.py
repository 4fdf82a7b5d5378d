"""Embedded example contracts and data.

The Nyborg example is the social impact bond "Kom godt tilbage i job" as
Carelink Gruppen's brochures describe it (prices and caps illustrative), with
a synthetic cohort of 100 citizens (see :mod:`impactbond.examples.make_nyborg_cohort`).
It is loaded from package data exactly as a user's own files would be.

>>> contract, participants, trajectories = nyborg()
>>> contract.parties.provider, len(participants), len(trajectories)
('Carelink Gruppen', 100, 100)
>>> [s.status.name for s in trajectories[0].spells]
['EMPLOYED', 'SICKNESS_BENEFIT', 'CLARIFICATION_COURSE', 'EMPLOYED']
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from impactbond.domain.contract import Contract
from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.io.contract_file import load_contract
from impactbond.io.trajectories import read_participants, read_spells
from impactbond.status import Status

__all__ = [
    "NYBORG_CUT_OFF",
    "NYBORG_HISTORY_UNTIL",
    "NyborgPaths",
    "dwp_rate_card",
    "effect_size",
    "example_path",
    "hybrid",
    "koto_sib",
    "nyborg",
    "nyborg_history",
    "nyborg_history_paths",
    "nyborg_paths",
]

Events = dict[str, list[tuple[str, date]]]

#: The last day of register data in the synthetic Nyborg cohort.  Settlements count the days
#: before ``as_of``, so ``as_of = NYBORG_CUT_OFF + 1 day`` (2026-07-01) uses all of it.
NYBORG_CUT_OFF = date(2026, 6, 30)

#: The last day of the synthetic register history of citizens comparable to the Nyborg cohorts.
NYBORG_HISTORY_UNTIL = date(2023, 6, 30)

_files = ExitStack()


class NyborgPaths(NamedTuple):
    """Paths of the Nyborg example files."""

    contract: Path
    participants: Path
    spells: Path


def _path(name: str) -> Path:
    # as_file gives a real path even from a zipped install; kept until exit.
    return _files.enter_context(resources.as_file(resources.files(__name__) / name))


def nyborg_paths() -> NyborgPaths:
    """The paths of ``nyborg.toml``, ``nyborg_participants.csv`` and ``nyborg_spells.csv``.

    >>> nyborg_paths().contract.name
    'nyborg.toml'
    """
    return NyborgPaths(
        contract=_path("nyborg.toml"),
        participants=_path("nyborg_participants.csv"),
        spells=_path("nyborg_spells.csv"),
    )


def nyborg() -> tuple[Contract, list[Participant], list[Trajectory]]:
    """The Nyborg contract, its participants and their trajectories (same order).

    Returns
    -------
    contract, participants, trajectories
        ``trajectories[i]`` belongs to ``participants[i]``.
    """
    paths = nyborg_paths()
    contract = load_contract(paths.contract)
    participants = read_participants(paths.participants)
    by_id = read_spells(paths.spells)
    return contract, participants, [by_id[p.id] for p in participants]


def nyborg_history_paths() -> tuple[Path, Path]:
    """The paths of the history's ``(spells, participants)`` CSV files.

    >>> [p.name for p in nyborg_history_paths()]
    ['nyborg_history_spells.csv', 'nyborg_history_participants.csv']
    """
    return _path("nyborg_history_spells.csv"), _path("nyborg_history_participants.csv")


def nyborg_history() -> tuple[list[Participant], list[Trajectory]]:
    """A register history of 1,000 citizens comparable to the Nyborg cohorts (synthetic).

    600 sick-listed and 400 unemployed citizens, each followed from the Monday
    they entered the target group (2019-2022) until :data:`NYBORG_HISTORY_UNTIL`;
    drawn from the banded weekly model of
    :func:`impactbond.examples.make_nyborg_history.true_model`.  The input of
    the pricing notebook and of ``impactbond price``.

    >>> people, trajectories = nyborg_history()
    >>> len(people), people[0].cohort
    (1000, 'sick_listed')
    """
    spells, participants = nyborg_history_paths()
    people = read_participants(participants)
    by_id = read_spells(spells)
    return people, [by_id[p.id] for p in people]


def example_path(name: str) -> Path:
    """The path of an embedded example contract file, e.g. ``"koto_sib.toml"``.

    >>> example_path("dwp_rate_card.toml").name
    'dwp_rate_card.toml'
    """
    return _path(name)


def dwp_rate_card() -> Contract:
    """The UK DWP Innovation Fund round-1 rate card (``dwp_rate_card.toml``).

    >>> dwp_rate_card().caps[0].amount
    Money('8200.00', 'GBP')
    """
    return load_contract(example_path("dwp_rate_card.toml"))


def _cohort(
    prefix: str, cohort: str, n: int, enrolled: date, status: Status
) -> tuple[list[Participant], list[Trajectory]]:
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    people = [Participant(pid, cohort, enrolled) for pid in ids]
    trajectories = [Trajectory(pid, [Spell(status, enrolled, None)]) for pid in ids]
    return people, trajectories


def koto_sib() -> tuple[Contract, list[Participant], list[Trajectory], Events]:
    """Koto-SIB (``koto_sib.toml``) with 2,636 participants, 2,217 of whom complete training.

    The people are synthetic (one enrolment date, one open spell each): the
    contract pays by published per-person figures, so only their number and
    the completed trainings matter.

    >>> contract, people, trajectories, events = koto_sib()
    >>> len(people), len(events)
    (2636, 2217)
    """
    contract = load_contract(example_path("koto_sib.toml"))
    people, trajectories = _cohort(
        "koto", "immigrants", 2636, date(2017, 1, 2), Status.UNEMPLOYMENT_BENEFIT
    )
    completed = date(2017, 12, 15)
    events = {p.id: [("integration_training_completed", completed)] for p in people[:2217]}
    return contract, people, trajectories, events


def effect_size() -> tuple[Contract, list[Participant], list[Trajectory], Events]:
    """The effect-size example (``effect_size.toml``): two cohorts of 1,000.

    458 of cohort 1 and 450 of cohort 2 are reconvicted, against a published
    comparison rate of 50 %.

    >>> contract, people, trajectories, events = effect_size()
    >>> len(people), len(events)
    (2000, 908)
    """
    contract = load_contract(example_path("effect_size.toml"))
    people: list[Participant] = []
    trajectories: list[Trajectory] = []
    events: Events = {}
    for label, start, reconvicted in (
        ("cohort_1", date(2011, 1, 3), 458),
        ("cohort_2", date(2012, 1, 2), 450),
    ):
        p, t = _cohort(f"{label}_", label, 1000, start, Status.OTHER_BENEFIT)
        people += p
        trajectories += t
        for person in p[:reconvicted]:
            events[person.id] = [("reconviction", start + timedelta(days=200))]
    return contract, people, trajectories, events


def hybrid() -> tuple[Contract, list[Participant], list[Trajectory], Events]:
    """The hybrid example (``hybrid.toml``): 200 participants, 120 job starts.

    >>> contract, people, trajectories, events = hybrid()
    >>> contract.financing.guarantee.guarantor, len(people), len(events)
    ('foundation', 200, 120)
    """
    contract = load_contract(example_path("hybrid.toml"))
    people, trajectories = _cohort(
        "h", "participants", 200, date(2021, 6, 1), Status.UNEMPLOYMENT_BENEFIT
    )
    events = {p.id: [("job_start", date(2022, 9, 1))] for p in people[:120]}
    return contract, people, trajectories, events
