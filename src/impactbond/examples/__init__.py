"""Embedded example contracts and data.

The Nyborg example is the social impact bond "Kom godt tilbage i job" as
Carelink Gruppen's brochures describe it (prices and caps illustrative), with
a synthetic cohort of 100 citizens (see :mod:`impactbond.examples.make_nyborg_cohort`).
It is loaded from package data exactly as a user's own files would be.

>>> contract, participants, trajectories = nyborg()
>>> contract.parties.provider, len(participants), len(trajectories)
('Carelink Gruppen', 100, 100)
>>> [s.status.name for s in trajectories[0].spells]
['EMPLOYED', 'SICKNESS_BENEFIT', 'REHABILITATION', 'EMPLOYED']
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from impactbond.domain.contract import Contract
from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Trajectory
from impactbond.io.contract_file import load_contract
from impactbond.io.trajectories import read_participants, read_spells

__all__ = ["NYBORG_CUT_OFF", "NyborgPaths", "nyborg", "nyborg_paths"]

#: The last day of register data in the synthetic Nyborg cohort.  Settlements count the days
#: before ``as_of``, so ``as_of = NYBORG_CUT_OFF + 1 day`` (2026-07-01) uses all of it.
NYBORG_CUT_OFF = date(2026, 6, 30)

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
