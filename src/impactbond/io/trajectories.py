"""Trajectories and participants from CSV files and pandas frames, and back.

Two tables, one row each, ISO dates, UTF-8:

``spells``: ``participant_id,status,start,end,hours,employer``
    One spell ``[start, end)`` of a register status (lower-case
    :class:`~impactbond.status.Status` name).  An empty ``end`` is an open
    spell; empty ``hours`` / ``employer`` are unknown.  Rows of one participant
    need not be adjacent or sorted; they must not overlap.

``participants``: ``participant_id,cohort,enrolled,referred,exited``
    One row per participant; empty ``referred`` / ``exited`` are unknown.

Any table :func:`impactbond.io.tables.read_table` reads will do (CSV in any
dialect, Excel, Parquet, Arrow, frames); its parsing problems come first, all
at once.  Then every bad row is reported, none is dropped: the reader checks all rows and
raises one typed error (an :class:`~impactbond.errors.ImpactBondError`) whose
``errors`` list names each row (1-based data row, the header not counted), the
field and the rule.  An id that looks like a CPR number is refused and never
echoed.  Extra columns are ignored.

>>> import io
>>> text = '''participant_id,status,start,end,hours,employer
... agnes,sickness_benefit,2023-11-20,2024-09-01,,
... agnes,employed,2024-09-01,,32,E-17
... '''
>>> trajectories = read_spells(io.StringIO(text))
>>> [(s.status.name, s.hours, s.employer) for s in trajectories["agnes"].spells]
[('SICKNESS_BENEFIT', None, None), ('EMPLOYED', Decimal('32'), 'E-17')]
>>> bad = text + "0101901234,employed,2024-13-01,,,\\n"
>>> read_spells(io.StringIO(bad), source_name="spells.csv")
Traceback (most recent call last):
...
impactbond.errors.InvalidFile: 2 problems [source=spells.csv]
  - participant_id looks like a Danish CPR number; use a pseudonym [source=spells.csv, row=3, field=participant_id, rule=identifiers are pseudonyms, never CPR numbers]
  - start '2024-13-01' is not a day of the calendar [source=spells.csv, row=3, field=start, rule=a date is a day of the calendar]
"""  # noqa: E501

from __future__ import annotations

import csv
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, cast

from impactbond.domain.participant import Participant, looks_like_cpr
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.errors import (
    CPRNumberRefused,
    ImpactBondError,
    InvalidInput,
    InvalidParticipant,
    InvalidSpell,
    InvalidTrajectory,
)
from impactbond.io.tables import Dialect, SourceTable, read_table, split_combined
from impactbond.status import Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PARTICIPANT_COLUMNS",
    "SPELL_COLUMNS",
    "participants_from_frame",
    "participants_from_rows",
    "participants_to_frame",
    "read_participants",
    "read_spells",
    "read_spells_and_participants",
    "spells_to_frame",
    "trajectories_from_frame",
    "trajectories_from_rows",
    "write_participants",
    "write_spells",
]

#: Columns of a spells file, in the order they are written.
SPELL_COLUMNS: tuple[str, ...] = ("participant_id", "status", "start", "end", "hours", "employer")
#: Columns of a participants file, in the order they are written.
PARTICIPANT_COLUMNS: tuple[str, ...] = (
    "participant_id",
    "cohort",
    "enrolled",
    "referred",
    "exited",
)

_REQUIRED_SPELL = ("participant_id", "status", "start")
_REQUIRED_PARTICIPANT = ("participant_id", "cohort", "enrolled")

Source: TypeAlias = str | os.PathLike[str] | IO[str]
Row = Mapping[str, Any]

_CPR_RULE = "participant ids are pseudonyms"
_DATE_RULE = "dates are ISO dates YYYY-MM-DD"


# -- cells ----------------------------------------------------------------------


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    # pandas NaT / NA compare unequal to themselves or refuse bool()
    try:
        return bool(value != value)
    except TypeError:
        return True


def _text(value: Any) -> str | None:
    if _empty(value):
        return None
    return str(value).strip()


def _date(value: Any) -> date | None:
    """A date from an ISO string, a date or a pandas Timestamp; ``None`` when empty."""
    if _empty(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(f"{value!r} is not a date")


@contextmanager
def _reader(source: Source) -> Iterator[tuple[str, IO[str]]]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open(newline="", encoding="utf-8") as handle:
            yield str(path), handle
    else:
        yield str(getattr(source, "name", "<stream>")), source


@contextmanager
def _writer(target: Source) -> Iterator[IO[str]]:
    if isinstance(target, str | os.PathLike):
        with Path(target).open("w", newline="", encoding="utf-8") as handle:
            yield handle
    else:
        yield target


def _csv_rows(handle: IO[str], source: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(
            f"{source}: missing column(s) {', '.join(missing)}; the header is {','.join(header)}",
            row=0,
            field=missing[0],
            rule=f"the file has the columns {', '.join(required)}",
        )
    return list(reader)


# -- errors -----------------------------------------------------------------------


def _raise_collected(source: str, errors: list[ImpactBondError], what: str) -> None:
    """Raise one error for all bad rows (the row's own class when there is one)."""
    if not errors:
        return
    for error in errors:
        if error.source is None:
            error.source = source
    if len(errors) == 1:
        e = errors[0]
        raise type(e)(
            f"{source}: {e.message}",
            participant=e.participant,
            row=e.row,
            field=e.field,
            rule=e.rule,
            clause=e.clause,
            errors=e.errors,
            source=source,
        )
    kinds = {type(e) for e in errors}
    cls = kinds.pop() if len(kinds) == 1 else InvalidInput
    raise cls(f"{source}: {len(errors)} bad {what}", errors=errors, source=source)


def _numbered(rows: Iterable[Row], numbers: Iterable[int] | None) -> Iterator[tuple[int, Row]]:
    if numbers is None:
        yield from enumerate(rows, start=1)
    else:
        yield from zip((int(n) for n in numbers), rows, strict=True)


def _located(error: ImpactBondError, row: int, participant: str | None) -> ImpactBondError:
    error.row = row
    if error.participant is None:
        error.participant = participant
    return error


def _cpr_error(row: int) -> CPRNumberRefused:
    # The refused value is never echoed: it may be a real person's number.
    return CPRNumberRefused(
        "participant id looks like a Danish CPR number; use a pseudonym",
        participant="<refused>",
        row=row,
        field="participant_id",
        rule=_CPR_RULE,
    )


def _participant_id(
    row: Row, number: int, errors: list[ImpactBondError], cls: type[ImpactBondError]
) -> str | None:
    """The row's participant id, or ``None`` after recording why it is refused."""
    if None in row:  # csv: more cells than header columns
        errors.append(
            cls("the row has more cells than the header", row=number, rule="one cell per column")
        )
        return None
    pid = _text(row.get("participant_id"))
    if pid is None:
        errors.append(
            cls(
                "participant id is empty",
                row=number,
                field="participant_id",
                rule="ids are non-empty",
            )
        )
        return None
    if looks_like_cpr(pid):
        errors.append(_cpr_error(number))
        return None
    return pid


# -- spells ---------------------------------------------------------------------------


def _spell(row: Row, number: int, pid: str, errors: list[ImpactBondError]) -> Spell | None:
    before = len(errors)

    def bad(cls: type[ImpactBondError], message: str, field: str, rule: str) -> None:
        errors.append(cls(message, participant=pid, row=number, field=field, rule=rule))

    status_text = _text(row.get("status"))
    status: Status | None = None
    if status_text is None:
        bad(InvalidSpell, "status is empty", "status", "every spell has a status")
    else:
        try:
            status = Status.parse(status_text)
        except ImpactBondError as error:
            errors.append(_located(error, number, pid))
    dates: dict[str, date | None] = {}
    for field in ("start", "end"):
        try:
            dates[field] = _date(row.get(field))
        except ValueError:
            bad(InvalidSpell, f"{field} {row.get(field)!r} is not a date", field, _DATE_RULE)
    if "start" in dates and dates["start"] is None:
        bad(InvalidSpell, "start is empty", "start", "every spell has a start date")
    if len(errors) > before or status is None:
        return None
    start = dates["start"]
    assert start is not None
    try:
        return Spell(
            status,
            start,
            dates.get("end"),
            hours=None if _empty(row.get("hours")) else row.get("hours"),
            employer=_text(row.get("employer")),
        )
    except ImpactBondError as error:
        errors.append(_located(error, number, pid))
    return None


def _overlaps(pid: str, spells: list[tuple[int, Spell]]) -> list[ImpactBondError]:
    errors: list[ImpactBondError] = []
    ordered = sorted(spells, key=lambda item: item[1].start)
    for (prev_row, prev), (row, cur) in itertools.pairwise(ordered):
        if prev.end is None or prev.end > cur.start:
            until = "open" if prev.end is None else f"to {prev.end}"
            errors.append(
                InvalidTrajectory(
                    f"spell ({cur.status.name.lower()} from {cur.start}) overlaps row "
                    f"{prev_row} ({prev.status.name.lower()} from {prev.start}, {until})",
                    participant=pid,
                    row=row,
                    field="start",
                    rule="spells of one participant do not overlap",
                )
            )
    return errors


def trajectories_from_rows(
    rows: Iterable[Row], *, source: str = "<rows>", row_numbers: Iterable[int] | None = None
) -> dict[str, Trajectory]:
    """Trajectories from spell rows (mappings with the :data:`SPELL_COLUMNS`).

    Participants come in first-seen order.  Raises one typed error listing
    every bad row (see the module docstring).  ``row_numbers`` gives the row
    number of each row in errors (default 1, 2, ...).

    >>> rows = [{"participant_id": "P-1", "status": "employed", "start": "2024-01-01"}]
    >>> trajectories_from_rows(rows)["P-1"].spells[0].is_open
    True
    """
    errors: list[ImpactBondError] = []
    by_participant: dict[str, list[tuple[int, Spell]]] = {}
    for number, row in _numbered(rows, row_numbers):
        pid = _participant_id(row, number, errors, InvalidSpell)
        if pid is None:
            continue
        spells = by_participant.setdefault(pid, [])
        spell = _spell(row, number, pid, errors)
        if spell is not None:
            spells.append((number, spell))
    trajectories: dict[str, Trajectory] = {}
    for pid, spells in by_participant.items():
        overlaps = _overlaps(pid, spells)
        if overlaps:
            errors += overlaps
            continue
        try:
            trajectories[pid] = Trajectory(pid, tuple(s for _, s in spells))
        except ImpactBondError as error:
            errors.append(error)
    errors.sort(key=lambda e: e.row or 0)
    _raise_collected(source, errors, "spell rows")
    return trajectories


def read_spells(
    source: Source,
    *,
    source_name: str | None = None,
    dialect: Dialect | None = None,
    sheet: str | None = None,
) -> dict[str, Trajectory]:
    """Read a spells table into ``{participant_id: Trajectory}`` (first-seen order).

    Parameters
    ----------
    source:
        A path (CSV in any :class:`~impactbond.io.tables.Dialect`, Excel,
        Parquet, Arrow), an open file, or a frame (see
        :func:`impactbond.io.tables.read_table`).
    source_name:
        Name of the file in error messages (default: the path or ``file.name``).
    dialect, sheet:
        How a text file is written; the sheet of a spreadsheet.
    """
    table = read_table(source, "spells", dialect=dialect, sheet=sheet, source_name=source_name)
    return trajectories_from_table(table)


def trajectories_from_table(spells: SourceTable) -> dict[str, Trajectory]:
    """Trajectories from a canonical spells table (row numbers from the table)."""
    rows = spells.table.to_pylist()
    for row in rows:
        hours = row.get("hours")
        if isinstance(hours, Decimal):  # 37.00 -> 37, 37.50 -> 37.5: the value, not the scale
            row["hours"] = (
                hours.quantize(Decimal(1)) if hours == hours.to_integral() else hours.normalize()
            )
    return trajectories_from_rows(rows, source=spells.source, row_numbers=spells.row_numbers)


def participants_from_table(participants: SourceTable) -> list[Participant]:
    """Participants from a canonical participants table (row numbers from the table)."""
    return participants_from_rows(
        participants.table.to_pylist(),
        source=participants.source,
        row_numbers=participants.row_numbers,
    )


def _spell_cells(trajectory: Trajectory) -> Iterator[list[str]]:
    for s in trajectory.spells:
        yield [
            trajectory.participant_id,
            s.status.name.lower(),
            s.start.isoformat(),
            "" if s.end is None else s.end.isoformat(),
            "" if s.hours is None else str(s.hours),
            s.employer or "",
        ]


def _trajectory_list(
    trajectories: Iterable[Trajectory] | Mapping[str, Trajectory],
) -> list[Trajectory]:
    if isinstance(trajectories, Mapping):
        return list(trajectories.values())
    return list(trajectories)


def write_spells(
    trajectories: Iterable[Trajectory] | Mapping[str, Trajectory], target: Source
) -> None:
    """Write trajectories as a spells CSV (a path or an open text file).

    >>> import io
    >>> from datetime import date
    >>> out = io.StringIO()
    >>> write_spells([Trajectory("P-1", [Spell("employed", date(2024, 1, 1), None, hours=37)])], out)
    >>> print(out.getvalue(), end="")
    participant_id,status,start,end,hours,employer
    P-1,employed,2024-01-01,,37,
    """
    with _writer(target) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SPELL_COLUMNS)
        for trajectory in _trajectory_list(trajectories):
            writer.writerows(_spell_cells(trajectory))


# -- participants --------------------------------------------------------------------------


def _participant(
    row: Row, number: int, pid: str, errors: list[ImpactBondError]
) -> Participant | None:
    before = len(errors)
    cohort = _text(row.get("cohort"))
    if cohort is None:
        errors.append(
            InvalidParticipant(
                "cohort is empty",
                participant=pid,
                row=number,
                field="cohort",
                rule="every participant belongs to a cohort",
            )
        )
    dates: dict[str, date | None] = {}
    for field in ("enrolled", "referred", "exited"):
        try:
            dates[field] = _date(row.get(field))
        except ValueError:
            errors.append(
                InvalidParticipant(
                    f"{field} {row.get(field)!r} is not a date",
                    participant=pid,
                    row=number,
                    field=field,
                    rule=_DATE_RULE,
                )
            )
    if "enrolled" in dates and dates["enrolled"] is None:
        errors.append(
            InvalidParticipant(
                "enrolled is empty",
                participant=pid,
                row=number,
                field="enrolled",
                rule="every participant has an enrolment date",
            )
        )
    if len(errors) > before:
        return None
    enrolled = dates["enrolled"]
    assert cohort is not None and enrolled is not None
    try:
        return Participant(pid, cohort, enrolled, dates.get("referred"), dates.get("exited"))
    except ImpactBondError as error:
        errors.append(_located(error, number, pid))
    return None


def read_spells_and_participants(
    source: Source,
    *,
    source_name: str | None = None,
    dialect: Dialect | None = None,
    sheet: str | None = None,
) -> tuple[list[Participant], dict[str, Trajectory]]:
    """Read one table whose spell rows also carry the participant's columns.

    Each row has the spell columns and ``cohort``, ``enrolled`` (and
    optionally ``referred``, ``exited``); a participant's rows must agree on
    those.  Returns ``(participants, trajectories)`` in first-seen order.

    >>> import io
    >>> text = (
    ...     "participant_id,cohort,enrolled,status,start,end\\n"
    ...     "P-1,unemployed,2024-03-01,unemployment_benefit,2024-01-01,2024-05-01\\n"
    ...     "P-1,unemployed,2024-03-01,employed,2024-05-01,\\n"
    ... )
    >>> people, trajectories = read_spells_and_participants(io.StringIO(text))
    >>> people[0].cohort, len(trajectories["P-1"].spells)
    ('unemployed', 2)
    """
    people, spells = split_combined(source, dialect=dialect, sheet=sheet, source_name=source_name)
    return participants_from_table(people), trajectories_from_table(spells)


def participants_from_rows(
    rows: Iterable[Row], *, source: str = "<rows>", row_numbers: Iterable[int] | None = None
) -> list[Participant]:
    """Participants from rows (mappings with the :data:`PARTICIPANT_COLUMNS`), in order.

    >>> rows = [{"participant_id": "P-1", "cohort": "unemployed", "enrolled": "2024-03-01"}]
    >>> participants_from_rows(rows)[0].cohort
    'unemployed'
    """
    errors: list[ImpactBondError] = []
    participants: list[Participant] = []
    first_row: dict[str, int] = {}
    for number, row in _numbered(rows, row_numbers):
        pid = _participant_id(row, number, errors, InvalidParticipant)
        if pid is None:
            continue
        if pid in first_row:
            errors.append(
                InvalidParticipant(
                    f"participant appears again (first in row {first_row[pid]})",
                    participant=pid,
                    row=number,
                    field="participant_id",
                    rule="each participant appears once",
                )
            )
            continue
        first_row[pid] = number
        participant = _participant(row, number, pid, errors)
        if participant is not None:
            participants.append(participant)
    _raise_collected(source, errors, "participant rows")
    return participants


def read_participants(
    source: Source,
    *,
    source_name: str | None = None,
    dialect: Dialect | None = None,
    sheet: str | None = None,
) -> list[Participant]:
    """Read a participants table (any source :func:`read_spells` reads), in file order."""
    table = read_table(
        source, "participants", dialect=dialect, sheet=sheet, source_name=source_name
    )
    return participants_from_table(table)


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def write_participants(participants: Iterable[Participant], target: Source) -> None:
    """Write participants as a participants CSV (a path or an open text file).

    >>> import io
    >>> from datetime import date
    >>> out = io.StringIO()
    >>> write_participants([Participant("P-1", "unemployed", date(2024, 3, 1))], out)
    >>> print(out.getvalue(), end="")
    participant_id,cohort,enrolled,referred,exited
    P-1,unemployed,2024-03-01,,
    """
    with _writer(target) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PARTICIPANT_COLUMNS)
        for p in participants:
            writer.writerow([p.id, p.cohort, _iso(p.enrolled), _iso(p.referred), _iso(p.exited)])


# -- pandas ----------------------------------------------------------------------------------


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "this function needs pandas; install the extra: pip install 'impactbond[pandas]'"
        ) from error
    return pandas


def _frame_rows(df: pd.DataFrame, required: tuple[str, ...], source: str) -> list[dict[str, Any]]:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InvalidInput(
            f"{source}: missing column(s) {', '.join(missing)}",
            row=0,
            field=missing[0],
            rule=f"the frame has the columns {', '.join(required)}",
        )
    columns = [str(c) for c in df.columns]
    return [dict(zip(columns, values, strict=True)) for values in df.itertuples(index=False)]


def trajectories_from_frame(df: pd.DataFrame, *, source: str = "<frame>") -> dict[str, Trajectory]:
    """Trajectories from a pandas frame with the :data:`SPELL_COLUMNS`.

    Dates may be strings, dates or ``datetime64``; ``NaN``/``NaT``/``None``
    are empty cells.  Row numbers in errors are 1-based positions.  Needs the
    ``pandas`` extra.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"participant_id": ["P-1"], "status": ["employed"],
    ...                    "start": pd.to_datetime(["2024-01-01"]), "end": [pd.NaT]})
    >>> trajectories_from_frame(df)["P-1"].spells[0].start
    datetime.date(2024, 1, 1)
    """
    _pandas()
    return trajectories_from_rows(_frame_rows(df, _REQUIRED_SPELL, source), source=source)


def participants_from_frame(df: pd.DataFrame, *, source: str = "<frame>") -> list[Participant]:
    """Participants from a pandas frame with the :data:`PARTICIPANT_COLUMNS` (needs pandas)."""
    _pandas()
    return participants_from_rows(_frame_rows(df, _REQUIRED_PARTICIPANT, source), source=source)


def spells_to_frame(
    trajectories: Iterable[Trajectory] | Mapping[str, Trajectory],
) -> pd.DataFrame:
    """All spells as a pandas frame (one row per spell; needs pandas).

    ``start``/``end`` are ``datetime64`` (``NaT``: open), ``status`` the
    lower-case name, ``hours`` a float (``NaN``: unknown; for analysis only),
    ``employer`` a string or ``None``.

    >>> from datetime import date
    >>> t = Trajectory("P-1", [Spell("employed", date(2024, 1, 1), None, hours=32)])
    >>> spells_to_frame([t])[["participant_id", "status", "hours"]].values.tolist()
    [['P-1', 'employed', 32.0]]
    """
    pandas = _pandas()
    records = [
        {
            "participant_id": t.participant_id,
            "status": s.status.name.lower(),
            "start": s.start,
            "end": s.end,
            "hours": math.nan if s.hours is None else float(s.hours),
            "employer": s.employer,
        }
        for t in _trajectory_list(trajectories)
        for s in t.spells
    ]
    df = pandas.DataFrame.from_records(records, columns=list(SPELL_COLUMNS))
    df["start"] = pandas.to_datetime(df["start"])
    df["end"] = pandas.to_datetime(df["end"])
    df["hours"] = df["hours"].astype("float64")
    return cast("pd.DataFrame", df)


def participants_to_frame(participants: Iterable[Participant]) -> pd.DataFrame:
    """Participants as a pandas frame with ``datetime64`` dates (needs pandas).

    >>> from datetime import date
    >>> participants_to_frame([Participant("P-1", "unemployed", date(2024, 3, 1))]).shape
    (1, 5)
    """
    pandas = _pandas()
    df = pandas.DataFrame.from_records(
        [
            {
                "participant_id": p.id,
                "cohort": p.cohort,
                "enrolled": p.enrolled,
                "referred": p.referred,
                "exited": p.exited,
            }
            for p in participants
        ],
        columns=list(PARTICIPANT_COLUMNS),
    )
    for column in ("enrolled", "referred", "exited"):
        df[column] = pandas.to_datetime(df[column])
    return cast("pd.DataFrame", df)
