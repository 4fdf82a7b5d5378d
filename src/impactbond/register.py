"""The Register: participants, spells and recorded events as columns.

The engine's input.  Every reader (CSV, Excel, Parquet, Arrow, pandas,
polars, DREAM) produces the three canonical tables of
:data:`Register.SCHEMAS` and hands them to :meth:`Register.from_tables`, which
checks them vectorised and reports every bad row at once, with its source,
row number, participant and field.  Inside, every column is a numpy array:
string columns are integer codes into a table of labels, dates are day
numbers (``date.toordinal()``) in int32.  There is no Python object per
person or spell.

>>> from datetime import date
>>> import pyarrow as pa
>>> people = pa.table({"participant_id": ["P-2", "P-1"], "cohort": ["a", "a"],
...                    "enrolled": [date(2024, 1, 1), date(2024, 2, 1)]})
>>> spells = pa.table({"participant_id": ["P-1", "P-2", "P-1"],
...                    "status": ["employed", "sickness_benefit", "sickness_benefit"],
...                    "start": [date(2024, 3, 1), date(2023, 12, 1), date(2024, 1, 15)],
...                    "end": [None, date(2024, 6, 1), date(2024, 3, 1)]})
>>> reg = Register.from_tables(people, spells)
>>> reg.ids.to_pylist(), reg.spell_row.tolist(), len(reg)
(['P-1', 'P-2'], [0, 0, 1], 2)
>>> [s.status.name for s in reg.trajectory("P-1").spells]
['SICKNESS_BENEFIT', 'EMPLOYED']
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.calendar import OPEN_END_DAY
from impactbond.domain._validators import FIRST_DAY, LAST_DAY
from impactbond.domain.participant import Participant, cpr_mask
from impactbond.domain.trajectory import HOURS_SCALE, Spell, Trajectory
from impactbond.errors import (
    CPRNumberRefused,
    ImpactBondError,
    InvalidInput,
    InvalidParticipant,
    InvalidRegister,
    InvalidSpell,
    InvalidTrajectory,
)
from impactbond.status import SPLIT_STATUSES, Status

__all__ = [
    "EARLIEST_DAY",
    "EVENTS_SCHEMA",
    "LATEST_DAY",
    "MAX_WEEKLY_HOURS",
    "NO_DAY",
    "PARTICIPANTS_SCHEMA",
    "SPELLS_SCHEMA",
    "Register",
]

I32 = npt.NDArray[np.int32]

#: Day number standing for "no date" (a null referral or exit date).
NO_DAY = 0
#: The first and last day a register date may fall on (a date outside is a typo), the days a
#: contract's dates may fall on too.
EARLIEST_DAY = FIRST_DAY.toordinal()
LATEST_DAY = LAST_DAY.toordinal()
#: The most hours a week has.
MAX_WEEKLY_HOURS = 168
#: Errors listed one by one; beyond this many only the count is given.
MAX_LISTED_ERRORS = 200

_EPOCH = date(1970, 1, 1).toordinal()

PARTICIPANTS_SCHEMA = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("cohort", pa.string(), nullable=False),
        pa.field("enrolled", pa.date32(), nullable=False),
        pa.field("referred", pa.date32()),
        pa.field("exited", pa.date32()),
        pa.field("scenario", pa.int32()),
    ]
)
SPELLS_SCHEMA = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("start", pa.date32(), nullable=False),
        pa.field("end", pa.date32()),
        pa.field("hours", pa.decimal128(9, 2)),
        pa.field("employer", pa.string()),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
    ]
)
_REQUIRED = {
    "participants": ("participant_id", "cohort", "enrolled"),
    "spells": ("participant_id", "status", "start"),
    "events": ("participant_id", "event", "date"),
}


# ----------------------------------------------------------------------------- checking


class _Problems:
    """Errors collected over a whole table, reported together."""

    def __init__(self, sources: Mapping[str, str], rows: Mapping[str, npt.NDArray[np.int64]]):
        self.sources = sources
        self.rows = rows
        self.items: list[ImpactBondError] = []
        self.count = 0

    def add(
        self,
        table: str,
        mask: npt.NDArray[np.bool_],
        message: str,
        *,
        field: str,
        rule: str,
        ids: Sequence[str | None] | pa.Array | pa.ChunkedArray | None = None,
        kind: type[ImpactBondError] = InvalidInput,
        refuse_ids: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        """One error for each row where ``mask`` holds."""
        where = np.flatnonzero(mask)
        self.count += len(where)
        room = MAX_LISTED_ERRORS - len(self.items)
        for i in where[: max(room, 0)].tolist():
            pid: str | None = None
            if ids is not None:
                refused = refuse_ids is not None and bool(refuse_ids[i])
                value = ids[i]
                value = value.as_py() if isinstance(value, pa.Scalar) else value
                pid = "<refused>" if refused else (None if value is None else str(value))
            self.items.append(
                kind(
                    message,
                    source=self.sources.get(table, table),
                    row=int(self.rows[table][i]),
                    participant=pid,
                    field=field,
                    rule=rule,
                )
            )

    def raise_if_any(self) -> None:
        if not self.count:
            return
        if self.count == 1:
            raise self.items[0]
        more = self.count - len(self.items)
        suffix = f" (the first {len(self.items)} are listed)" if more > 0 else ""
        raise InvalidRegister(
            f"{self.count} problems in the register data{suffix}", errors=list(self.items)
        )


def _column(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    return table.column(name) if name in table.column_names else None


def _check_columns(
    name: str, table: pa.Table, schema: pa.Schema, sources: Mapping[str, str]
) -> None:
    if not isinstance(table, pa.Table):
        raise InvalidInput(
            f"the {name} table is a {type(table).__name__}, not a pyarrow.Table",
            source=sources.get(name, name),
            rule="a register is read from Arrow tables (see Register.from_frames for data frames)",
        )
    nested = [f for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        raise InvalidInput(
            f"column {nested[0].name} of the {name} table holds {nested[0].type}: one value "
            "per cell is meant",
            source=sources.get(name, name),
            field=nested[0].name,
            rule="a register column holds one text, number or date per row",
        )
    missing = [c for c in _REQUIRED[name] if c not in table.column_names]
    unknown = [c for c in table.column_names if c not in schema.names]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise InvalidInput(
            f"the {name} table has {'; '.join(parts)} (columns: {', '.join(schema.names)})",
            source=sources.get(name, name),
            field=(missing or unknown)[0],
            rule=f"a {name} table has the columns of Register.SCHEMAS[{name!r}]",
        )


def _days(
    column: pa.ChunkedArray | None, n: int, problems: _Problems, table: str, field: str, ids: Any
) -> tuple[I32, npt.NDArray[np.bool_]]:
    """Day numbers of a date column (NO_DAY where null) and the null mask."""
    if column is None:
        return np.full(n, NO_DAY, dtype=np.int32), np.ones(n, dtype=bool)
    if not pa.types.is_date(column.type):
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            # A reader's (or pandas') midnight timestamps are days; a time of day is refused.
            days = pc.cast(column, pa.date32())
            timed = pc.not_equal(pc.cast(days, column.type), column)
            problems.add(
                table,
                np.asarray(pc.fill_null(timed, False).to_numpy(zero_copy_only=False), dtype=bool),
                f"{field} is a date-time with a time of day, not a date",
                field=field,
                rule="register dates are days (a timestamp at midnight is read as its day)",
                ids=ids,
            )
            column = days
        else:
            raise InvalidInput(
                f"column {field} holds {column.type}, not dates",
                source=problems.sources.get(table, table),
                field=field,
                rule="dates are Arrow date32 columns (readers parse the text)",
            )
    days32 = pc.cast(column, pa.date32()).cast(pa.int32())
    null = np.asarray(pc.is_null(days32).to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(pc.fill_null(days32, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    values = values + _EPOCH
    outside = ~null & ((values < EARLIEST_DAY) | (values > LATEST_DAY))
    problems.add(
        table,
        outside,
        f"{field} lies outside 1900-01-01..2200-12-31",
        field=field,
        rule="register dates lie between 1900 and 2200",
        ids=ids,
    )
    values = np.where(null | outside, NO_DAY, values)
    return values.astype(np.int32), null


def _strings(column: pa.ChunkedArray | None, n: int, field: str) -> pa.Array:
    if column is None:
        return pa.nulls(n, pa.string())
    try:
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = pc.cast(column, pa.string())
        return column.combine_chunks().cast(pa.string())
    except pa.ArrowException:  # bytes that are not UTF-8 text
        raise InvalidInput(
            f"column {field} holds {column.type} that is not text",
            field=field,
            rule="identifiers, statuses and cohorts are UTF-8 text",
        ) from None


def _blank(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Null or empty after stripping spaces."""
    stripped = pc.utf8_trim_whitespace(values)
    out = pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_length(stripped), 0))
    return np.asarray(pc.fill_null(out, True).to_numpy(zero_copy_only=False), dtype=bool)


def _padded(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Non-null strings with spaces around them."""
    out = pc.not_equal(pc.utf8_trim_whitespace(values), values)
    return np.asarray(pc.fill_null(out, False).to_numpy(zero_copy_only=False), dtype=bool)


def _codes(values: pa.Array) -> tuple[npt.NDArray[np.int32], list[str | None]]:
    """Dictionary codes of a string column (-1 where null) and the distinct values."""
    encoded = pc.dictionary_encode(values)
    indices = np.asarray(
        pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32
    )
    return indices, encoded.dictionary.to_pylist()


def _hours(
    column: pa.ChunkedArray | None, n: int, problems: _Problems, ids: Any
) -> npt.NDArray[np.int32]:
    """Weekly hours in hundredths (-1 where unknown), every bad cell reported."""
    out = np.full(n, -1, dtype=np.int32)
    if column is None:
        return out
    t = column.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        # Text is checked for a number's shape first, so each bad cell gets its row.
        stripped = pc.utf8_trim_whitespace(column)
        empty = pc.equal(pc.utf8_length(stripped), 0)
        column = pc.if_else(empty, pa.scalar(None, pa.string()), stripped)
        numeric = pc.match_substring_regex(
            column, r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
        )
        bad_text = np.asarray(
            pc.fill_null(pc.invert(numeric), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        problems.add(
            "spells",
            bad_text,
            "hours is not a number",
            field="hours",
            rule="hours are a number of weekly hours",
            ids=ids,
            kind=InvalidSpell,
        )
        column = pc.if_else(pc.fill_null(numeric, False), column, pa.scalar(None, pa.string()))
    elif not (pa.types.is_decimal(t) or pa.types.is_integer(t) or pa.types.is_floating(t)):
        raise InvalidInput(
            f"column hours holds {t}, not numbers",
            source=problems.sources.get("spells", "spells"),
            field="hours",
            rule="hours are a number of weekly hours",
        )
    # Hundredths in float64 are exact enough to tell 37.33 from 37.333 (9 significant digits).
    floats = pc.cast(column, pa.float64())
    null = np.asarray(pc.is_null(floats).to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(pc.fill_null(floats, 0.0).to_numpy(zero_copy_only=False)) * HOURS_SCALE
    null |= np.isnan(values)
    values = np.where(null, 0.0, values)
    with np.errstate(invalid="ignore"):
        exact = np.isfinite(values) & (np.abs(values - np.round(values)) < 1e-6)
    finite = np.isfinite(values)
    problems.add(
        "spells",
        ~null & ~finite,
        "hours is not a finite number",
        field="hours",
        rule="hours are a finite number of weekly hours",
        ids=ids,
        kind=InvalidSpell,
    )
    ok = ~null & finite
    negative = ok & (values < 0)
    too_many = ok & (values > MAX_WEEKLY_HOURS * HOURS_SCALE)
    inexact = ok & ~negative & ~too_many & ~exact
    for mask, message, rule in (
        (negative, "hours is negative", "hours are 0 or more"),
        (
            too_many,
            f"hours is above {MAX_WEEKLY_HOURS}, the hours of a week",
            "hours are at most 168 a week",
        ),
        (inexact, "hours has more than two decimals", "hours are given to at most 1/100 hour"),
    ):
        problems.add("spells", mask, message, field="hours", rule=rule, ids=ids, kind=InvalidSpell)
    good = ok & ~negative & ~too_many & ~inexact
    out[good] = np.round(values[good]).astype(np.int32)
    return out


# ----------------------------------------------------------------------------- the Register


@attrs.frozen(eq=False)
class Register:
    """Participants, spells and recorded events as read-only columns.

    Rows are participants in the order of their ids (``ids`` is sorted);
    spells are sorted by row, then start.  Build one with
    :meth:`from_tables`, :meth:`from_frames` or :meth:`from_objects`.

    Attributes
    ----------
    ids : pyarrow.StringArray
        Participant ids, sorted and unique.
    cohort : ndarray of int16
        Index into ``cohort_labels``.
    enrolled, referred, exited : ndarray of int32
        Day numbers (:data:`NO_DAY` where a referral or exit date is absent).
    scenario : ndarray of int32
        A grouping key beyond cohort (0 without one).
    spell_row, spell_start, spell_end : ndarray of int32
        The participant row and half-open ``[start, end)`` day numbers of each
        spell (an open end is :data:`~impactbond.calendar.OPEN_END_DAY`).
    spell_status : ndarray of int8
        :class:`~impactbond.status.Status` codes.
    spell_hours : ndarray of int32
        Weekly hours in hundredths of an hour (-1 where unknown).
    spell_employer : ndarray of int32
        Index into ``employers`` (0: none, ``employers[0] == ""``).
    spell_source_row : ndarray of int32
        The row of each spell in the table it was read from.
    event_row, event_code, event_day : ndarray
        Recorded events: participant row, index into ``event_names``, day number.
    """

    SCHEMAS: ClassVar[dict[str, pa.Schema]] = {
        "participants": PARTICIPANTS_SCHEMA,
        "spells": SPELLS_SCHEMA,
        "events": EVENTS_SCHEMA,
    }

    ids: pa.StringArray
    cohort_labels: tuple[str, ...]
    cohort: npt.NDArray[np.int16]
    enrolled: I32
    referred: I32
    exited: I32
    scenario: I32
    spell_row: I32
    spell_start: I32
    spell_end: I32
    spell_status: npt.NDArray[np.int8]
    spell_hours: I32
    spell_employer: I32
    spell_source_row: I32
    employers: pa.StringArray
    event_row: I32
    event_code: npt.NDArray[np.int16]
    event_day: I32
    event_names: tuple[str, ...]
    sources: Mapping[str, str] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        for f in attrs.fields(Register):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    # -- sizes and lookups --------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_spells(self) -> int:
        """Number of spells."""
        return len(self.spell_row)

    @property
    def spell_offsets(self) -> npt.NDArray[np.int64]:
        """Spells of row ``i`` are ``spell_offsets[i]:spell_offsets[i + 1]``."""
        return np.searchsorted(self.spell_row, np.arange(len(self) + 1), side="left").astype(
            np.int64
        )

    def row_of(self, participant_id: str) -> int:
        """The row of a participant (``KeyError``-compatible error when absent)."""
        from impactbond.errors import UnknownParticipant

        i = int(
            np.searchsorted(np.asarray(self.ids.to_numpy(zero_copy_only=False)), participant_id)
        )
        if i < len(self) and self.ids[i].as_py() == participant_id:
            return i
        raise UnknownParticipant("participant is not in the register", participant=participant_id)

    def participant(self, row: int) -> Participant:
        """The participant of one row, as an object."""

        def day(values: I32) -> date | None:
            v = int(values[row])
            return None if v == NO_DAY else date.fromordinal(v)

        enrolled = day(self.enrolled)
        assert enrolled is not None
        return Participant(
            str(self.ids[row].as_py()),
            self.cohort_labels[int(self.cohort[row])],
            enrolled=enrolled,
            referred=day(self.referred),
            exited=day(self.exited),
        )

    def trajectory(self, participant: str | int) -> Trajectory:
        """One participant's spells as a :class:`~impactbond.domain.trajectory.Trajectory`."""
        row = participant if isinstance(participant, int) else self.row_of(participant)
        lo, hi = np.searchsorted(self.spell_row, [row, row + 1])
        spells = []
        for k in range(int(lo), int(hi)):
            end = int(self.spell_end[k])
            hours = int(self.spell_hours[k])
            employer = int(self.spell_employer[k])
            spells.append(
                Spell(
                    Status(int(self.spell_status[k])),
                    date.fromordinal(int(self.spell_start[k])),
                    None if end == OPEN_END_DAY else date.fromordinal(end),
                    hours=None if hours < 0 else Decimal(hours) / HOURS_SCALE,
                    employer=str(self.employers[employer].as_py()) if employer else None,
                )
            )
        return Trajectory(str(self.ids[row].as_py()), tuple(spells))

    def events_of(self, row: int) -> list[tuple[str, date]]:
        """One participant's recorded events, ``(name, date)`` by date."""
        sel = np.flatnonzero(self.event_row == row)
        items = [
            (self.event_names[int(self.event_code[k])], date.fromordinal(int(self.event_day[k])))
            for k in sel.tolist()
        ]
        return sorted(items, key=lambda e: (e[1], e[0]))

    # -- subsets --------------------------------------------------------------
    def take(self, rows: npt.ArrayLike) -> Register:
        """The register of some participants (``rows`` in increasing order)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) > 1 and np.any(np.diff(rows) <= 0):
            raise InvalidInput("rows must be increasing", field="rows")
        new_row = np.full(len(self) + 1, -1, dtype=np.int64)
        new_row[rows] = np.arange(len(rows))
        spell = np.flatnonzero(new_row[self.spell_row] >= 0)
        event = np.flatnonzero(new_row[self.event_row] >= 0) if len(self.event_row) else spell[:0]
        return attrs.evolve(
            self,
            ids=self.ids.take(pa.array(rows)),
            cohort=self.cohort[rows],
            enrolled=self.enrolled[rows],
            referred=self.referred[rows],
            exited=self.exited[rows],
            scenario=self.scenario[rows],
            spell_row=new_row[self.spell_row[spell]].astype(np.int32),
            spell_start=self.spell_start[spell],
            spell_end=self.spell_end[spell],
            spell_status=self.spell_status[spell],
            spell_hours=self.spell_hours[spell],
            spell_employer=self.spell_employer[spell],
            spell_source_row=self.spell_source_row[spell],
            event_row=new_row[self.event_row[event]].astype(np.int32),
            event_code=self.event_code[event],
            event_day=self.event_day[event],
        )

    def partitions(self, n: int) -> list[Register]:
        """``n`` registers of consecutive rows (so ids stay in order across them)."""
        if n < 1:
            raise InvalidInput("a register is split into at least one part", field="n")
        bounds = np.linspace(0, len(self), n + 1).astype(np.int64)
        return [self.take(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]

    # -- conversion ---------------------------------------------------------------
    def to_tables(self) -> dict[str, pa.Table]:
        """The canonical tables (``participants``, ``spells``, ``events``) of this register."""

        def dates(values: I32, nullable: bool) -> pa.Array:
            days = values.astype(np.int64) - _EPOCH
            mask = (values == NO_DAY) if nullable else None
            return pa.array(days.astype(np.int32), pa.int32(), mask=mask).cast(pa.date32())

        labels = pa.array(self.cohort_labels, pa.string())
        participants = pa.table(
            {
                "participant_id": self.ids,
                "cohort": labels.take(pa.array(self.cohort.astype(np.int32))),
                "enrolled": dates(self.enrolled, False),
                "referred": dates(self.referred, True),
                "exited": dates(self.exited, True),
                "scenario": pa.array(self.scenario, pa.int32()),
            },
            schema=PARTICIPANTS_SCHEMA,
        )
        names = pa.array([s.name.lower() for s in Status], pa.string())
        code_index = np.zeros(256, dtype=np.int32)
        for i, s in enumerate(Status):
            code_index[int(s)] = i
        hours = [
            None if h < 0 else Decimal(int(h)) / HOURS_SCALE for h in self.spell_hours.tolist()
        ]
        employer = self.employers.take(pa.array(self.spell_employer))
        employer = pc.if_else(pc.equal(employer, ""), pa.scalar(None, pa.string()), employer)
        spells = pa.table(
            {
                "participant_id": self.ids.take(pa.array(self.spell_row)),
                "status": names.take(pa.array(code_index[self.spell_status.astype(np.uint8)])),
                "start": dates(self.spell_start, False),
                "end": pa.array(
                    (self.spell_end.astype(np.int64) - _EPOCH).astype(np.int32),
                    pa.int32(),
                    mask=self.spell_end == OPEN_END_DAY,
                ).cast(pa.date32()),
                "hours": pa.array(hours, pa.decimal128(9, 2)),
                "employer": employer,
            },
            schema=SPELLS_SCHEMA,
        )
        events = pa.table(
            {
                "participant_id": self.ids.take(pa.array(self.event_row)),
                "event": pa.array(self.event_names, pa.string()).take(
                    pa.array(self.event_code.astype(np.int32))
                ),
                "date": dates(self.event_day, False),
            },
            schema=EVENTS_SCHEMA,
        )
        return {"participants": participants, "spells": spells, "events": events}

    def fingerprint(self) -> str:
        """sha256 of every column: equal registers have equal fingerprints on any machine."""
        h = hashlib.sha256()
        for name in ("participants", "spells", "events"):
            h.update(name.encode())
        for f in attrs.fields(Register):
            value = getattr(self, f.name)
            h.update(f.name.encode())
            if isinstance(value, np.ndarray):
                h.update(str(value.dtype).encode())
                h.update(
                    np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()
                )
            elif isinstance(value, pa.Array):
                for item in value.to_pylist():
                    h.update(len(item.encode()).to_bytes(8, "little") + item.encode())
            elif isinstance(value, tuple):
                for item in value:
                    h.update(len(item.encode()).to_bytes(8, "little") + item.encode())
        return h.hexdigest()

    def __repr__(self) -> str:
        return (
            f"<Register: {len(self)} participants, {self.n_spells} spells, "
            f"{len(self.event_row)} events>"
        )

    # -- building ---------------------------------------------------------------
    @classmethod
    def from_tables(
        cls,
        participants: pa.Table,
        spells: pa.Table,
        events: pa.Table | None = None,
        *,
        source: Mapping[str, str] | None = None,
        row_numbers: Mapping[str, npt.ArrayLike] | None = None,
    ) -> Register:
        """A register from the canonical Arrow tables, checked vectorised.

        Parameters
        ----------
        participants, spells, events:
            Tables with the columns of :data:`SCHEMAS` (optional columns may
            be left out; the column order does not matter).
        source:
            The name of each table's file, for errors (``{"spells": "spells.csv"}``).
        row_numbers:
            The row number the user sees for each table row (default: row 1 is
            the first row of the table).

        Raises
        ------
        InvalidRegister
            Every bad row, each with its source, row, participant and field:
            empty or duplicate ids, ids that look like CPR numbers (refused and
            never echoed), unknown statuses, dates outside 1900..2200, spells
            that end before they start or overlap, hours outside 0..168 or
            with more than two decimals, spells or events of participants who
            are not listed, referral after enrolment, exit before enrolment.
        """
        sources = dict(source or {})
        tables = {"participants": participants, "spells": spells}
        if events is not None:
            tables["events"] = events
        for name, table in tables.items():
            _check_columns(name, table, cls.SCHEMAS[name], sources)
        rows = {
            name: (
                np.asarray(row_numbers[name], dtype=np.int64)
                if row_numbers and name in row_numbers
                else np.arange(1, t.num_rows + 1, dtype=np.int64)
            )
            for name, t in tables.items()
        }
        problems = _Problems(sources, rows)

        # -- participants
        n = participants.num_rows
        pid = _strings(_column(participants, "participant_id"), n, "participant_id")
        cpr = cpr_mask(pid)
        blank = _blank(pid)
        problems.add(
            "participants",
            blank,
            "participant id is empty",
            field="participant_id",
            rule="every participant has a pseudonymous id",
            kind=InvalidParticipant,
        )
        problems.add(
            "participants",
            cpr,
            "participant id looks like a Danish CPR number; use a pseudonym",
            field="participant_id",
            rule="participant ids are pseudonyms",
            kind=CPRNumberRefused,
            ids=pid,
            refuse_ids=cpr,
        )
        padded = _padded(pid) & ~cpr & ~blank
        problems.add(
            "participants",
            padded,
            "participant id has spaces around it",
            field="participant_id",
            rule="ids are written without surrounding spaces",
            kind=InvalidParticipant,
            ids=pid,
        )
        order = np.asarray(pc.sort_indices(pid).to_numpy(zero_copy_only=False), dtype=np.int64)
        sorted_ids = pid.take(pa.array(order))
        same = np.zeros(n, dtype=bool)
        if n > 1:
            eq = pc.fill_null(pc.equal(sorted_ids[1:], sorted_ids[:-1]), False)
            dup_sorted = np.asarray(eq.to_numpy(zero_copy_only=False), dtype=bool)
            same[order[1:][dup_sorted]] = True
        problems.add(
            "participants",
            same & ~blank & ~cpr,
            "participant listed twice",
            field="participant_id",
            rule="participant ids are unique",
            kind=InvalidParticipant,
            ids=pid,
        )
        refused = cpr | blank
        cohort_values = _strings(_column(participants, "cohort"), n, "cohort")
        problems.add(
            "participants",
            _blank(cohort_values),
            "cohort is empty",
            field="cohort",
            rule="every participant belongs to a cohort",
            kind=InvalidParticipant,
            ids=pid,
            refuse_ids=refused,
        )
        cohort_codes, cohort_labels = _codes(cohort_values)
        enrolled, enrolled_null = _days(
            _column(participants, "enrolled"), n, problems, "participants", "enrolled", pid
        )
        problems.add(
            "participants",
            enrolled_null,
            "enrolment date is empty",
            field="enrolled",
            rule="every participant has an enrolment date",
            kind=InvalidParticipant,
            ids=pid,
            refuse_ids=refused,
        )
        referred, _ = _days(
            _column(participants, "referred"), n, problems, "participants", "referred", pid
        )
        exited, _ = _days(
            _column(participants, "exited"), n, problems, "participants", "exited", pid
        )
        has_enrolled = enrolled != NO_DAY
        problems.add(
            "participants",
            has_enrolled & (referred != NO_DAY) & (referred > enrolled),
            "referred after enrolment",
            field="referred",
            rule="a participant is referred before (or when) enrolled",
            kind=InvalidParticipant,
            ids=pid,
            refuse_ids=refused,
        )
        problems.add(
            "participants",
            has_enrolled & (exited != NO_DAY) & (exited < enrolled),
            "exited before enrolment",
            field="exited",
            rule="a participant exits on or after enrolment",
            kind=InvalidParticipant,
            ids=pid,
            refuse_ids=refused,
        )
        scenario_col = _column(participants, "scenario")
        if scenario_col is None:
            scenario = np.zeros(n, dtype=np.int32)
        else:
            if not pa.types.is_integer(scenario_col.type):
                raise InvalidInput(
                    f"column scenario holds {scenario_col.type}, not integers",
                    source=sources.get("participants", "participants"),
                    field="scenario",
                    rule="a scenario is a whole number >= 0",
                )
            scen = np.asarray(pc.fill_null(scenario_col, -1).to_numpy(zero_copy_only=False))
            problems.add(
                "participants",
                (scen < 0) | (scen > np.iinfo(np.int32).max),
                "scenario is empty or negative",
                field="scenario",
                rule="a scenario is a whole number >= 0",
                ids=pid,
                refuse_ids=refused,
            )
            scenario = np.clip(scen, 0, np.iinfo(np.int32).max).astype(np.int32)

        # -- spells
        m = spells.num_rows
        sid = _strings(_column(spells, "participant_id"), m, "participant_id")
        s_cpr = cpr_mask(sid)
        s_row = _row_index(sid, sorted_ids)
        s_blank = _blank(sid)
        problems.add(
            "spells",
            s_cpr,
            "participant id looks like a Danish CPR number; use a pseudonym",
            field="participant_id",
            rule="participant ids are pseudonyms",
            kind=CPRNumberRefused,
        )
        problems.add(
            "spells",
            s_blank,
            "participant id is empty",
            field="participant_id",
            rule="every spell belongs to a participant",
            kind=InvalidSpell,
        )
        problems.add(
            "spells",
            (s_row < 0) & ~s_cpr & ~s_blank,
            "spell of a participant who is not listed",
            field="participant_id",
            rule="every spell belongs to a listed participant",
            kind=InvalidSpell,
            ids=sid,
        )
        s_refused = s_cpr | s_blank
        status_values = _strings(_column(spells, "status"), m, "status")
        status_idx, status_names = _codes(status_values)
        known = ", ".join(s.name.lower() for s in Status)
        status_table = np.full(len(status_names) + 1, -1, dtype=np.int16)
        split: list[tuple[int, str]] = []  # a removed name: its own message (what it became)
        for k, status_name in enumerate(status_names):
            if status_name is None:
                continue
            try:
                status_table[k] = int(Status.parse(status_name))
            except ImpactBondError as error:
                status_table[k] = -1
                if str(status_name).strip().lower() in SPLIT_STATUSES:
                    status_table[k] = -2
                    split.append((k, error.message))
        status_code = status_table[status_idx]  # index -1 (null) hits the last entry, -1
        for k, message in split:
            problems.add(
                "spells",
                status_idx == k,
                message,
                field="status",
                rule="a status by its current name (impactbond statuses)",
                kind=InvalidSpell,
                ids=sid,
                refuse_ids=s_refused,
            )
        problems.add(
            "spells",
            status_idx < 0,
            "status is empty",
            field="status",
            rule="every spell has a status",
            kind=InvalidSpell,
            ids=sid,
            refuse_ids=s_refused,
        )
        problems.add(
            "spells",
            (status_idx >= 0) & (status_code == -1),
            f"unknown status; the statuses are: {known}",
            field="status",
            rule="a status is one of impactbond's register statuses (impactbond statuses)",
            kind=InvalidSpell,
            ids=sid,
            refuse_ids=s_refused,
        )
        start, start_null = _days(_column(spells, "start"), m, problems, "spells", "start", sid)
        problems.add(
            "spells",
            start_null,
            "start is empty",
            field="start",
            rule="every spell has a start date",
            kind=InvalidSpell,
            ids=sid,
            refuse_ids=s_refused,
        )
        end, end_null = _days(_column(spells, "end"), m, problems, "spells", "end", sid)
        end = np.where(end_null, OPEN_END_DAY, end).astype(np.int32)
        problems.add(
            "spells",
            ~start_null & ~end_null & (end != NO_DAY) & (start != NO_DAY) & (end <= start),
            "spell ends on or before its start",
            field="end",
            rule="a spell [start, end) ends after it starts",
            kind=InvalidSpell,
            ids=sid,
            refuse_ids=s_refused,
        )
        hours = _hours(_column(spells, "hours"), m, problems, sid)
        employer_values = _strings(_column(spells, "employer"), m, "employer")
        e_cpr = cpr_mask(employer_values)
        problems.add(
            "spells",
            e_cpr,
            "employer id looks like a Danish CPR number; use a pseudonym",
            field="employer",
            rule="employer ids are pseudonyms",
            kind=CPRNumberRefused,
        )
        employer_values = pc.if_else(
            pc.or_kleene(pc.is_null(employer_values), pa.array(_blank(employer_values))),
            pa.scalar("", pa.string()),
            employer_values,
        )
        emp_idx, emp_names = _codes(employer_values)
        # Code 0 is "no employer": put "" first.
        names = [x if x is not None else "" for x in emp_names]
        if "" in names:
            zero = names.index("")
            remap = np.arange(len(names), dtype=np.int32)
            remap[[0, zero]] = remap[[zero, 0]]
            names[0], names[zero] = names[zero], names[0]
            emp_idx = remap[emp_idx]
        else:
            names = ["", *names]
            emp_idx = emp_idx + 1
        employers = pa.array(names, pa.string())

        # Overlaps: sort by (row, start) and compare each spell with the one before.  Files
        # usually come sorted already; then the sort is a check.
        in_order = m < 2 or bool(
            np.all(
                (s_row[1:] > s_row[:-1]) | ((s_row[1:] == s_row[:-1]) & (start[1:] >= start[:-1]))
            )
        )
        s_order = np.arange(m) if in_order else np.lexsort((start, s_row))
        r, a, b = s_row[s_order], start[s_order], end[s_order]
        overlap = np.zeros(m, dtype=bool)
        if m > 1:
            clash = (r[1:] == r[:-1]) & (r[1:] >= 0) & (a[1:] < b[:-1])
            overlap[s_order[1:][clash]] = True
        problems.add(
            "spells",
            overlap,
            "spell overlaps the participant's previous spell",
            field="start",
            rule="spells of one participant do not overlap",
            kind=InvalidTrajectory,
            ids=sid,
            refuse_ids=s_refused,
        )

        # -- events
        if events is not None and events.num_rows:
            k = events.num_rows
            eid = _strings(_column(events, "participant_id"), k, "participant_id")
            ev_cpr = cpr_mask(eid)
            e_row = _row_index(eid, sorted_ids)
            problems.add(
                "events",
                ev_cpr,
                "participant id looks like a Danish CPR number; use a pseudonym",
                field="participant_id",
                rule="participant ids are pseudonyms",
                kind=CPRNumberRefused,
            )
            problems.add(
                "events",
                (e_row < 0) & ~ev_cpr,
                "event of a participant who is not listed",
                field="participant_id",
                rule="every event belongs to a listed participant",
                ids=eid,
            )
            ev_values = _strings(_column(events, "event"), k, "event")
            problems.add(
                "events",
                _blank(ev_values),
                "event name is empty",
                field="event",
                rule="every event has a name",
                ids=eid,
                refuse_ids=ev_cpr,
            )
            ev_idx, ev_names = _codes(ev_values)
            ev_day, ev_null = _days(_column(events, "date"), k, problems, "events", "date", eid)
            problems.add(
                "events",
                ev_null,
                "event date is empty",
                field="date",
                rule="every event has a date",
                ids=eid,
                refuse_ids=ev_cpr,
            )
            e_order = np.lexsort((ev_day, e_row))
            event_row = e_row[e_order].astype(np.int32)
            event_code = ev_idx[e_order].astype(np.int16)
            event_day = ev_day[e_order]
            event_names = tuple(x if x is not None else "" for x in ev_names)
        else:
            event_row = np.zeros(0, dtype=np.int32)
            event_code = np.zeros(0, dtype=np.int16)
            event_day = np.zeros(0, dtype=np.int32)
            event_names = ()

        problems.raise_if_any()

        # Participants in id order; cohort labels sorted so equal data give equal codes.
        labels = sorted(x for x in cohort_labels if x is not None)
        label_code = np.array(
            [labels.index(x) if x is not None else 0 for x in cohort_labels] + [0], dtype=np.int16
        )
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        return cls(
            ids=sorted_ids,
            cohort_labels=tuple(labels),
            cohort=label_code[cohort_codes[order]],
            enrolled=enrolled[order],
            referred=referred[order],
            exited=exited[order],
            scenario=scenario[order],
            spell_row=r.astype(np.int32),
            spell_start=a,
            spell_end=b,
            spell_status=status_code[s_order].astype(np.int8),
            spell_hours=hours[s_order],
            spell_employer=emp_idx[s_order].astype(np.int32),
            spell_source_row=rows["spells"][s_order].astype(np.int32),
            employers=employers,
            event_row=event_row,
            event_code=event_code,
            event_day=event_day,
            event_names=event_names,
            sources=sources,
        )

    @classmethod
    def from_frames(
        cls,
        participants: Any,
        spells: Any,
        events: Any | None = None,
        *,
        source: Mapping[str, str] | None = None,
    ) -> Register:
        """A register from pandas or polars data frames with the canonical columns."""
        names = dict(source or {})
        return cls.from_tables(
            _to_arrow(participants, names.get("participants", "participants")),
            _to_arrow(spells, names.get("spells", "spells")),
            None if events is None else _to_arrow(events, names.get("events", "events")),
            source=source,
        )

    @classmethod
    def from_objects(
        cls,
        participants: Iterable[Participant],
        trajectories: Mapping[str, Trajectory] | Iterable[Trajectory],
        events: Mapping[str, Iterable[tuple[str, date]]] | None = None,
    ) -> Register:
        """A register from :class:`Participant` and :class:`Trajectory` objects.

        Every participant needs a trajectory and every trajectory a
        participant; the objects have checked themselves already.
        """
        from impactbond.errors import SettlementError

        people = list(participants)
        if isinstance(trajectories, Mapping):
            by_id = dict(trajectories)
            for key, t in by_id.items():
                if not isinstance(t, Trajectory) or t.participant_id != key:
                    raise SettlementError(
                        f"trajectory filed under {key!r} belongs to "
                        f"{getattr(t, 'participant_id', '?')!r}",
                        participant=key,
                        rule="a trajectory is filed under its participant's id",
                    )
        else:
            by_id = {}
            for t in trajectories:
                if not isinstance(t, Trajectory):
                    raise SettlementError(f"{t!r} is not a Trajectory", field="trajectories")
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
        people.sort(key=lambda p: p.id)
        ids = [p.id for p in people]
        labels = sorted({p.cohort for p in people})
        code = {c: i for i, c in enumerate(labels)}

        def day(d: date | None) -> int:
            return NO_DAY if d is None else d.toordinal()

        spells = [(i, s) for i, pid in enumerate(ids) for s in by_id[pid].spells]
        employer_index: dict[str, int] = {"": 0}
        spell_employer = [
            0 if s.employer is None else employer_index.setdefault(s.employer, len(employer_index))
            for _, s in spells
        ]
        event_names: list[str] = []
        ev_rows: list[tuple[int, int, int]] = []
        if events:
            row_of = {pid: i for i, pid in enumerate(ids)}
            for pid, items in events.items():
                if pid not in row_of:
                    raise SettlementError(
                        "events given for a participant who is not listed",
                        participant=pid,
                        field="events",
                        rule="every event belongs to a listed participant",
                    )
                for k, item in enumerate(items):
                    try:
                        name, d = item
                    except (TypeError, ValueError):
                        raise SettlementError(
                            "an event is a (name, date) pair",
                            participant=pid,
                            row=k,
                            field="events",
                        ) from None
                    if not isinstance(name, str) or not name:
                        raise SettlementError(
                            "an event has a name", participant=pid, row=k, field="event"
                        )
                    if not isinstance(d, date):
                        raise SettlementError(
                            f"event {name!r} has no date", participant=pid, row=k, field="date"
                        )
                    if name not in event_names:
                        event_names.append(name)
                    ev_rows.append((row_of[pid], event_names.index(name), d.toordinal()))
        ev_rows.sort(key=lambda e: (e[0], e[2], e[1]))
        return cls(
            ids=pa.array(ids, pa.string()),
            cohort_labels=tuple(labels),
            cohort=np.array([code[p.cohort] for p in people], dtype=np.int16),
            enrolled=np.array([day(p.enrolled) for p in people], dtype=np.int32),
            referred=np.array([day(p.referred) for p in people], dtype=np.int32),
            exited=np.array([day(p.exited) for p in people], dtype=np.int32),
            scenario=np.zeros(len(people), dtype=np.int32),
            spell_row=np.array([i for i, _ in spells], dtype=np.int32),
            spell_start=np.array([s.start.toordinal() for _, s in spells], dtype=np.int32),
            spell_end=np.array([day(s.end) or OPEN_END_DAY for _, s in spells], dtype=np.int32),
            spell_status=np.array([int(s.status) for _, s in spells], dtype=np.int8),
            spell_hours=np.array(
                [-1 if s.hours is None else int(s.hours * HOURS_SCALE) for _, s in spells],
                dtype=np.int32,
            ),
            spell_employer=np.array(spell_employer, dtype=np.int32),
            spell_source_row=np.arange(1, len(spells) + 1, dtype=np.int32),
            employers=pa.array(list(employer_index), pa.string()),
            event_row=np.array([e[0] for e in ev_rows], dtype=np.int32),
            event_code=np.array([e[1] for e in ev_rows], dtype=np.int16),
            event_day=np.array([e[2] for e in ev_rows], dtype=np.int32),
            event_names=tuple(event_names),
        )


def _row_index(values: pa.Array, sorted_ids: pa.Array) -> npt.NDArray[np.int32]:
    """Row of each id in the sorted participant ids (-1 where absent)."""
    found = pc.index_in(values, value_set=sorted_ids)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int32)


def _to_arrow(frame: Any, name: str = "table") -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    if hasattr(frame, "to_arrow"):  # polars
        table = frame.to_arrow()
        assert isinstance(table, pa.Table)
        return table
    if type(frame).__module__.startswith("pandas"):
        try:
            return pa.Table.from_pandas(frame, preserve_index=False)
        except pa.ArrowException:
            raise _mixed_column(frame, name) from None
    raise InvalidInput(
        f"a {type(frame).__name__} is not a data frame (pandas, polars) or an Arrow table",
        rule="a register is read from tables",
    )


def _mixed_column(frame: Any, name: str) -> InvalidInput:
    """The error of a pandas frame Arrow cannot take: the first column of mixed values, named
    (its values are not echoed: they may be identifiers)."""
    for column in frame.columns:
        try:
            pa.array(frame[column], from_pandas=True)
        except pa.ArrowException:
            return InvalidInput(
                f"column {column} of the {name} frame ({frame[column].dtype}) mixes kinds of "
                "values (text and numbers, dates and text)",
                source=name,
                field=str(column),
                rule="each column holds one kind of value: text, numbers or dates",
            )
    return InvalidInput(
        f"the {name} frame cannot be read as a table", source=name, rule="a flat data frame"
    )
