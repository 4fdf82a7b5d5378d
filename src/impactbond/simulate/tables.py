"""The canonical register tables the Monte Carlo reads and writes (pyarrow).

History goes into the calibration, and simulated cohorts come out of the
Monte Carlo, as the two canonical tables of the register (see the
architecture page): ``participants`` (``participant_id``, ``cohort``,
``enrolled``, ``referred``, ``exited`` and, for simulated cohorts, an int32
``scenario``) and ``spells`` (``participant_id``, ``status``, ``start``,
``end``, ``hours``, ``employer``), with the schemas of
:class:`impactbond.Register`.  Any reader that produces these tables
(the CSV readers of :mod:`impactbond.io.trajectories` through
:func:`history_tables`, a DREAM reader) feeds the calibration.

>>> from datetime import date
>>> from impactbond.domain.participant import Participant
>>> from impactbond.domain.trajectory import Spell, Trajectory
>>> people = [Participant("P-1", "unemployed", date(2024, 3, 4))]
>>> spells = [Trajectory("P-1", [Spell("unemployment_benefit", date(2024, 1, 1), None)])]
>>> t = history_tables(people, spells)
>>> t.participants.num_rows, t.spells.column("status").to_pylist()
(1, ['unemployment_benefit'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.errors import InvalidInput
from impactbond.register import PARTICIPANTS_SCHEMA, SPELLS_SCHEMA
from impactbond.status import Status

__all__ = [
    "PARTICIPANTS_SCHEMA",
    "SPELLS_SCHEMA",
    "Tables",
    "days_of",
    "history_tables",
    "panel_tables",
    "tables_to_objects",
]

I64 = npt.NDArray[np.int64]

#: Day number (``date.toordinal()``) of 1970-01-01, the origin of Arrow's date32.
EPOCH = date(1970, 1, 1).toordinal()

#: Weekly hours written on simulated employment spells (the full-time norm).
FULL_TIME_HOURS = 37


class Tables(NamedTuple):
    """The ``participants`` and ``spells`` tables of a register."""

    participants: pa.Table
    spells: pa.Table


def _date_array(days: I64, null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array((days - EPOCH).astype(np.int32), type=pa.date32(), mask=null)


def days_of(column: pa.ChunkedArray | pa.Array, *, null_as: int = -1) -> I64:
    """A date32 column as day numbers (``date.toordinal()``); nulls become ``null_as``."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    ints = pc.fill_null(arr.cast(pa.int32()), null_as - EPOCH)
    out: I64 = np.asarray(ints.to_numpy(zero_copy_only=False), dtype=np.int64) + EPOCH
    return out


def history_tables(
    participants: Iterable[Participant], trajectories: Iterable[Trajectory]
) -> Tables:
    """The canonical tables of participants and trajectories in the object form."""
    people = list(participants)
    pid, status, start, end, hours, employer = [], [], [], [], [], []
    for t in trajectories:
        for s in t.spells:
            pid.append(t.participant_id)
            status.append(s.status.name.lower())
            start.append(s.start)
            end.append(s.end)
            hours.append(s.hours)
            employer.append(s.employer)
    ptable = pa.table(
        {
            "participant_id": pa.array([p.id for p in people], pa.string()),
            "cohort": pa.array([p.cohort for p in people], pa.string()),
            "enrolled": pa.array([p.enrolled for p in people], pa.date32()),
            "referred": pa.array([p.referred for p in people], pa.date32()),
            "exited": pa.array([p.exited for p in people], pa.date32()),
        }
    )
    stable = pa.table(
        {
            "participant_id": pa.array(pid, pa.string()),
            "status": pa.array(status, pa.string()),
            "start": pa.array(start, pa.date32()),
            "end": pa.array(end, pa.date32()),
            "hours": pa.array(hours, pa.decimal128(9, 2)),
            "employer": pa.array(employer, pa.string()),
        }
    )
    return Tables(ptable, stable)


def panel_tables(
    states: npt.NDArray[np.int8],
    *,
    statuses: Sequence[Status],
    enrolled: I64,
    participant_ids: pa.Array,
    cohort_labels: pa.Array,
    scenario: npt.NDArray[np.int32],
) -> Tables:
    """Weekly state paths as canonical tables: one spell per run of a status.

    Row ``r`` of ``states`` (indices into ``statuses``) is person ``r``'s
    status in the weeks ``[enrolled[r] + 7 t, enrolled[r] + 7 (t + 1))``; the
    last spell ends after the last week (the simulation says nothing after
    it).  Weeks of :attr:`~impactbond.status.Status.UNKNOWN` are left as gaps,
    as a register shows no record.  Employment spells get full-time hours
    and an employer of their own (a new job is a new employer).
    """
    n, weeks = states.shape
    codes = np.array([int(s) for s in statuses], dtype=np.int8)
    change = np.ones((n, weeks), dtype=bool)
    change[:, 1:] = states[:, 1:] != states[:, :-1]
    rows, cols = np.nonzero(change)
    ends = np.append(cols[1:], weeks)
    ends[np.append(rows[1:] != rows[:-1], True)] = weeks
    code = codes[states[rows, cols]]
    keep = code != int(Status.UNKNOWN)
    rows, cols, ends, code = rows[keep], cols[keep], ends[keep], code[keep]
    by_code = [""] * 256  # status names by code (codes are not contiguous)
    for st in Status:
        by_code[int(st)] = st.file_name
    names = pa.array(by_code)
    status = pc.take(names, pa.array(code.astype(np.int64)))
    employment = np.isin(code, [int(s) for s in Status if s.is_employment])
    hours = (
        pa.array(np.full(len(code), FULL_TIME_HOURS, dtype=np.int32), mask=~employment)
        .cast(pa.decimal128(12, 2))
        .cast(pa.decimal128(9, 2))
    )
    spell_no = pc.cast(pa.array(np.arange(len(code), dtype=np.int64)), pa.string())
    row_ids = pc.take(participant_ids, pa.array(rows.astype(np.int64)))
    employer = pc.if_else(
        pa.array(employment), pc.binary_join_element_wise(row_ids, spell_no, "#"), None
    )
    spells = pa.table(
        [
            row_ids,
            status,
            _date_array(enrolled[rows] + 7 * cols),
            _date_array(enrolled[rows] + 7 * ends),
            hours,
            employer,
        ],
        schema=SPELLS_SCHEMA,
    )
    none = np.ones(n, dtype=bool)
    people = pa.table(
        [
            participant_ids,
            cohort_labels,
            _date_array(enrolled),
            _date_array(enrolled, none),
            _date_array(enrolled, none),
            pa.array(scenario.astype(np.int32), pa.int32()),
        ],
        schema=PARTICIPANTS_SCHEMA,
    )
    return Tables(people, spells)


def _optional_day(day: int) -> date | None:
    return None if day < 0 else date.fromordinal(day)


def tables_to_objects(
    tables: Tables,
) -> tuple[list[Participant], dict[str, list[Spell]]]:
    """Participants and their spells by id, in the object form (for :func:`impactbond.settle`).

    Raises :class:`~impactbond.errors.InvalidInput` for a spell of a
    participant who is not listed.
    """
    p = tables.participants
    ids = p.column("participant_id").to_pylist()
    cohorts = p.column("cohort").to_pylist()
    enrolled = days_of(p.column("enrolled"))
    referred = days_of(p.column("referred"))
    exited = days_of(p.column("exited"))
    people = [
        Participant(
            ids[i],
            cohorts[i],
            date.fromordinal(int(enrolled[i])),
            _optional_day(int(referred[i])),
            _optional_day(int(exited[i])),
        )
        for i in range(len(ids))
    ]
    s = tables.spells
    by_id: dict[str, list[Spell]] = {pid: [] for pid in ids}
    starts = days_of(s.column("start"))
    ends = days_of(s.column("end"))
    hours = s.column("hours").to_pylist()
    employer = s.column("employer").to_pylist()
    for k, (pid, status) in enumerate(
        zip(s.column("participant_id").to_pylist(), s.column("status").to_pylist(), strict=True)
    ):
        if pid not in by_id:
            raise InvalidInput(
                "a spell belongs to no listed participant",
                row=k + 1,
                field="participant_id",
                rule="every spell belongs to a listed participant",
            )
        by_id[pid].append(
            Spell(
                status,
                date.fromordinal(int(starts[k])),
                _optional_day(int(ends[k])),
                hours=hours[k],
                employer=employer[k],
            )
        )
    return people, by_id
