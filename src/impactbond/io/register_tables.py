"""The three register tables of one delivery, read together, and handed on.

:func:`read_register` reads the spells (a table, or a DREAM extract with its
code table), the participants (their own file, or the participant columns of
the spells file) and the recorded events, and reports the parsing problems of
every file at once.  :class:`RegisterTables` hands them to the engine:
:meth:`RegisterTables.to_register` as the columnar ``Register`` (where the
library has it), :meth:`RegisterTables.to_objects` as participants,
trajectories and events.

>>> import io
>>> spells = io.StringIO(
...     "participant_id;cohort;enrolled;status;start\\n"
...     "P-1;unemployed;2024-03-01;unemployment_benefit;2024-01-01\\n"
... )
>>> tables = read_register(spells)
>>> tables.participant_count, tables.sources
(1, ('<StringIO>',))
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Trajectory
from impactbond.errors import ImpactBondError, InvalidFile
from impactbond.io.tables import Dialect, SourceTable, read_table, split_combined
from impactbond.register import Register

__all__ = ["RegisterTables", "read_register"]


@attrs.frozen(eq=False)
class RegisterTables:
    """Participants, spells and (optionally) events, each with its source and row numbers."""

    participants: SourceTable
    spells: SourceTable
    events: SourceTable | None = None

    @property
    def participant_count(self) -> int:
        """Rows of the participants table."""
        return len(self.participants)

    @property
    def sources(self) -> tuple[str, ...]:
        """The distinct sources the tables came from."""
        parts = [self.participants, self.spells] + ([self.events] if self.events else [])
        return tuple(dict.fromkeys(t.source for t in parts))

    def to_register(self) -> Register:
        """The columnar :class:`impactbond.Register` (its semantic checks run here).

        Each table's source and row numbers go with it, so the Register's
        errors name the rows as the user sees them.
        """
        tables = {"participants": self.participants, "spells": self.spells}
        if self.events is not None:
            tables["events"] = self.events
        return Register.from_tables(
            self.participants.table,
            self.spells.table,
            self.events.table if self.events is not None else None,
            source={name: t.source for name, t in tables.items()},
            row_numbers={name: t.row_numbers for name, t in tables.items()},
        )

    def to_objects(
        self,
    ) -> tuple[list[Participant], dict[str, Trajectory], dict[str, list[tuple[str, date]]]]:
        """Participants, trajectories and events as objects (the semantic checks run here).

        Every participant gets a trajectory (empty when the spells table has
        no rows for them).  Problems of the participants and of the spells are
        reported together.
        """
        from impactbond.io.trajectories import participants_from_table, trajectories_from_table

        errors: list[ImpactBondError] = []
        people: list[Participant] = []
        trajectories: dict[str, Trajectory] = {}
        try:
            people = participants_from_table(self.participants)
        except ImpactBondError as err:
            errors += err.errors or [err]
        try:
            trajectories = trajectories_from_table(self.spells)
        except ImpactBondError as err:
            errors += err.errors or [err]
        _raise_all(errors)
        for p in people:
            trajectories.setdefault(p.id, Trajectory(p.id, ()))
        events: dict[str, list[tuple[str, date]]] = {}
        if self.events is not None:
            for row in self.events.table.to_pylist():
                events.setdefault(row["participant_id"], []).append((row["event"], row["date"]))
        return people, trajectories, events


def _raise_all(errors: list[ImpactBondError]) -> None:
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    kinds = {type(e) for e in errors}
    cls = kinds.pop() if len(kinds) == 1 else InvalidFile
    sources = sorted({e.source for e in errors if e.source})
    raise cls(
        f"{len(errors):,} problems",
        source=" + ".join(sources) if sources else None,
        errors=errors,
    )


Reader = Callable[[], Any]


def read_register(
    spells: str | os.PathLike[str] | Any,
    participants: str | os.PathLike[str] | Any | None = None,
    events: str | os.PathLike[str] | Any | None = None,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    dream: Callable[[Any], SourceTable] | None = None,
) -> RegisterTables:
    """Read a delivery's tables, reporting the parsing problems of every file at once.

    Parameters
    ----------
    spells:
        The spells table; without ``participants`` its rows also carry the
        participant columns (``cohort``, ``enrolled``, ...).
    participants, events:
        The participants and events tables.
    dialect, sheet:
        How text files are written; the sheet of spreadsheets.
    dream:
        When given, ``spells`` is a DREAM extract and ``dream(spells)`` reads
        it (e.g. ``functools.partial(read_dream, codes=codes)``); then
        ``participants`` is required.
    """
    errors: list[ImpactBondError] = []

    def attempt(read: Reader) -> Any:
        try:
            return read()
        except ImpactBondError as err:
            errors.extend(err.errors or [err])
            return None

    if dream is not None and participants is None:
        raise InvalidFile(
            "a DREAM extract has no participant columns: give the participants table too",
            field="participants",
            rule="a delivery names its participants",
        )
    people_table: SourceTable | None
    spells_table: SourceTable | None
    if participants is None:
        both = attempt(lambda: split_combined(spells, dialect=dialect, sheet=sheet))
        people_table, spells_table = both if both is not None else (None, None)
    else:
        people_table = attempt(
            lambda: read_table(participants, "participants", dialect=dialect, sheet=sheet)
        )
        if dream is not None:
            spells_table = attempt(lambda: dream(spells))
        else:
            spells_table = attempt(
                lambda: read_table(spells, "spells", dialect=dialect, sheet=sheet)
            )
    events_table = (
        attempt(lambda: read_table(events, "events", dialect=dialect, sheet=sheet))
        if events is not None
        else None
    )
    _raise_all(errors)
    assert people_table is not None and spells_table is not None
    return RegisterTables(people_table, spells_table, events_table)
