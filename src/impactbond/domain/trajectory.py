"""Register trajectories: spells of status over time, and the dense Panel.

A :class:`Spell` is one status over the half-open interval ``[start, end)``
(``end=None``: still open).  A :class:`Trajectory` is one participant's sorted,
non-overlapping spells.  A :class:`Panel` is the dense ``participants x
periods`` int8 status matrix the core works on.

>>> from datetime import date
>>> from impactbond.status import Status
>>> t = Trajectory("P-1", [
...     Spell(Status.EMPLOYED, date(2024, 3, 1), None, hours=32, employer="E1"),
...     Spell(Status.SICKNESS_BENEFIT, date(2023, 11, 20), date(2024, 3, 1)),
... ])
>>> [s.status.name for s in t.spells]
['SICKNESS_BENEFIT', 'EMPLOYED']
>>> t.status_on(date(2024, 6, 1)).name
'EMPLOYED'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.calendar import OPEN_END_DAY, MonthlyGrid, WeeklyGrid
from impactbond.domain import _validators as v
from impactbond.errors import DateOutsideGrid, InvalidSpell, InvalidTrajectory
from impactbond.status import DEFAULT_PRIORITY, CodeTable, Status, priority_rank

__all__ = ["Panel", "Spell", "SpellColumns", "Trajectory", "spell_columns"]

Grid = WeeklyGrid | MonthlyGrid

# Hours are kept in hundredths of an hour so that weighting stays exact.
HOURS_SCALE = 100


#: The most hours a week has.
MAX_WEEKLY_HOURS = 168


def _to_hours(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        raise InvalidSpell("hours is NaN", field="hours", rule="hours are a finite number >= 0")
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidSpell(
            f"hours {value!r} is not a number", field="hours", rule="hours are a number"
        ) from None
    if not d.is_finite():
        raise InvalidSpell(
            f"hours {value!r} is not finite", field="hours", rule="hours are a finite number >= 0"
        )
    if d < 0:
        raise InvalidSpell(
            f"hours {value} is negative", field="hours", rule="hours are a finite number >= 0"
        )
    if d > MAX_WEEKLY_HOURS:
        raise InvalidSpell(
            f"hours {value} is above {MAX_WEEKLY_HOURS}, the hours of a week",
            field="hours",
            rule=f"hours are at most {MAX_WEEKLY_HOURS} a week",
        )
    if d * HOURS_SCALE != int(d * HOURS_SCALE):
        raise InvalidSpell(
            f"hours {value} has more than two decimals",
            field="hours",
            rule="hours are given to at most 1/100 hour",
        )
    return d


def _to_status(value: Any) -> Status:
    return Status.parse(value)


@attrs.frozen
class Spell:
    """One register status over ``[start, end)``; ``end=None`` means still open.

    Parameters
    ----------
    status:
        The :class:`~impactbond.status.Status` (a name or code is converted).
    start, end:
        Half-open interval of dates.  ``end`` must be after ``start``.
    hours:
        Weekly hours (employment spells), at most two decimals; ``None`` when unknown.
    employer:
        A pseudonymous employer id, used for "still in the same job".
    """

    status: Status = attrs.field(converter=_to_status)
    start: date = attrs.field(validator=v.instance_of(date))
    end: date | None = attrs.field(default=None, validator=v.optional(v.instance_of(date)))
    hours: Decimal | None = attrs.field(default=None, converter=_to_hours)
    employer: str | None = attrs.field(default=None, validator=v.optional(v.instance_of(str)))

    @end.validator
    def _after_start(self, _attr: attrs.Attribute[date | None], value: date | None) -> None:
        if value is not None and value <= self.start:
            raise InvalidSpell(
                f"spell ends {value} on or before its start {self.start}",
                field="end",
                rule="a spell [start, end) ends after it starts",
            )

    @property
    def is_open(self) -> bool:
        """True when the spell has no end yet."""
        return self.end is None

    def days(self, until: date | None = None) -> int:
        """Length in days, an open spell counted up to ``until``."""
        end = self.end if self.end is not None else until
        if end is None:
            raise InvalidSpell("an open spell has no length without `until`", field="end")
        return max(0, (end - self.start).days)

    def overlaps(self, start: date, end: date | None) -> bool:
        """True if the spell shares a day with ``[start, end)``."""
        return (self.end is None or self.end > start) and (end is None or self.start < end)


def _sorted_spells(spells: Iterable[Spell]) -> tuple[Spell, ...]:
    items = tuple(spells)
    for i, s in enumerate(items):
        if not isinstance(s, Spell):
            raise InvalidTrajectory(f"item {i} is a {type(s).__name__}, not a Spell", row=i)
    return tuple(sorted(items, key=lambda s: s.start))


@attrs.frozen
class Trajectory:
    """One participant's register history: sorted, non-overlapping spells.

    Gaps between spells are allowed and mean "no record" (Status.UNKNOWN).
    """

    participant_id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    spells: tuple[Spell, ...] = attrs.field(converter=_sorted_spells)

    @spells.validator
    def _no_overlap(
        self, _attr: attrs.Attribute[tuple[Spell, ...]], value: tuple[Spell, ...]
    ) -> None:
        errors: list[InvalidTrajectory] = []
        for i in range(1, len(value)):
            prev, cur = value[i - 1], value[i]
            if prev.end is None or prev.end > cur.start:
                errors.append(
                    InvalidTrajectory(
                        f"spell {i - 1} ({prev.status.name} from {prev.start}, "
                        f"{'open' if prev.end is None else 'to ' + str(prev.end)}) overlaps "
                        f"spell {i} ({cur.status.name} from {cur.start})",
                        participant=self.participant_id,
                        row=i,
                        field="start",
                        rule="spells of one participant do not overlap",
                    )
                )
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidTrajectory(
                f"{len(errors)} overlapping spells",
                participant=self.participant_id,
                rule="spells of one participant do not overlap",
                errors=list(errors),
            )

    @classmethod
    def from_spells(cls, participant_id: str, spells: Iterable[Spell]) -> Trajectory:
        """The trajectory of ``spells`` (any order)."""
        return cls(participant_id, tuple(spells))

    @classmethod
    def from_periodic(
        cls,
        participant_id: str,
        grid: Grid,
        statuses: Sequence[Status | int] | npt.NDArray[np.integer[Any]],
        *,
        keep_unknown: bool = False,
    ) -> Trajectory:
        """Spells from one status per grid period (consecutive equal periods merge).

        ``Status.UNKNOWN`` periods become gaps unless ``keep_unknown``.

        >>> from datetime import date
        >>> g = WeeklyGrid(date(2024, 1, 1), 4)
        >>> t = Trajectory.from_periodic("P-1", g, [5, 5, 1, 1])
        >>> [(s.status.name, s.start.isoformat(), s.end.isoformat()) for s in t.spells]
        [('SICKNESS_BENEFIT', '2024-01-01', '2024-01-15'), ('EMPLOYED', '2024-01-15', '2024-01-29')]
        """
        codes = np.asarray(statuses, dtype=np.int64)
        if codes.ndim != 1 or len(codes) != grid.n_periods:
            raise DateOutsideGrid(
                f"{len(codes)} statuses for a grid of {grid.n_periods} periods",
                participant=participant_id,
                field="statuses",
                rule="one status per grid period",
            )
        spells: list[Spell] = []
        i = 0
        while i < len(codes):
            j = i
            while j + 1 < len(codes) and codes[j + 1] == codes[i]:
                j += 1
            status = Status.parse(int(codes[i]))
            if keep_unknown or status is not Status.UNKNOWN:
                spells.append(Spell(status, grid.start_of(i), grid.start_of(j + 1)))
            i = j + 1
        return cls(participant_id, tuple(spells))

    @classmethod
    def from_weekly_codes(
        cls,
        participant_id: str,
        grid: WeeklyGrid,
        codes: Sequence[str | Sequence[str] | None],
        table: CodeTable,
        *,
        no_code: Status = Status.UNKNOWN,
    ) -> Trajectory:
        """Spells from raw weekly register codes.

        Each entry is one code, several codes (the highest priority wins, see
        :class:`~impactbond.status.CodeTable`) or ``None`` (no record: ``no_code``).

        >>> from datetime import date
        >>> table = CodeTable({"890": Status.SICKNESS_BENEFIT, "111": Status.UNEMPLOYMENT_BENEFIT})
        >>> t = Trajectory.from_weekly_codes("P-1", WeeklyGrid(date(2024, 1, 1), 3),
        ...                                  ["890", ["111", "890"], "111"], table)
        >>> [s.status.name for s in t.spells]
        ['SICKNESS_BENEFIT', 'UNEMPLOYMENT_BENEFIT']
        """
        statuses: list[int] = []
        for row, code in enumerate(codes):
            if code is None:
                statuses.append(int(no_code))
            elif isinstance(code, str):
                statuses.append(int(table.lookup(code, participant=participant_id, row=row)))
            else:
                statuses.append(int(table.resolve(code, participant=participant_id, row=row)))
        return cls.from_periodic(participant_id, grid, statuses, keep_unknown=False)

    def status_on(self, day: date) -> Status:
        """The status on ``day`` (``Status.UNKNOWN`` in a gap)."""
        for s in self.spells:
            if s.start <= day and (s.end is None or day < s.end):
                return s.status
        return Status.UNKNOWN

    def between(self, start: date, end: date) -> tuple[Spell, ...]:
        """The spells clipped to ``[start, end)``."""
        out = []
        for s in self.spells:
            if s.overlaps(start, end):
                new_end = end if s.end is None else min(s.end, end)
                out.append(attrs.evolve(s, start=max(s.start, start), end=new_end))
        return tuple(out)


@attrs.frozen(eq=False)
class SpellColumns:
    """Every spell of many trajectories as columns (the core's input).

    ``row`` indexes ``participant_ids``; ``start``/``end`` are day numbers
    (an open end is :data:`~impactbond.calendar.OPEN_END_DAY`); ``hours`` are
    hundredths of an hour (-1 when unknown); ``employer`` indexes ``employers``
    (0 = none, so ``employers[0] == ""``).
    """

    participant_ids: tuple[str, ...]
    row: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    status: npt.NDArray[np.int8]
    hours: npt.NDArray[np.int64]
    employer: npt.NDArray[np.int32]
    employers: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        """Number of participants."""
        return len(self.participant_ids)


def spell_columns(trajectories: Sequence[Trajectory]) -> SpellColumns:
    """Columns of every spell of ``trajectories`` (row i is ``trajectories[i]``).

    One pass over the spells; everything after this is vectorised.
    """
    n = sum(len(t.spells) for t in trajectories)
    row = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int8)
    hours = np.empty(n, dtype=np.int64)
    employer = np.empty(n, dtype=np.int32)
    employer_index: dict[str, int] = {"": 0}
    k = 0
    for i, t in enumerate(trajectories):
        for s in t.spells:
            row[k] = i
            start[k] = s.start.toordinal()
            end[k] = OPEN_END_DAY if s.end is None else s.end.toordinal()
            status[k] = int(s.status)
            hours[k] = -1 if s.hours is None else int(s.hours * HOURS_SCALE)
            employer[k] = (
                0
                if s.employer is None
                else employer_index.setdefault(s.employer, len(employer_index))
            )
            k += 1
    return SpellColumns(
        participant_ids=tuple(t.participant_id for t in trajectories),
        row=row,
        start=start,
        end=end,
        status=status,
        hours=hours,
        employer=employer,
        employers=tuple(employer_index),
    )


def _period_index(grid: Grid, days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Period index of each day number on ``grid`` (unbounded; callers clip)."""
    if isinstance(grid, WeeklyGrid):
        return grid.indices_of(days)
    epoch = date(1970, 1, 1).toordinal()
    months = (days - epoch).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = (grid.start.year - 1970) * 12 + grid.start.month - 1
    return months - first


def _check_inside(cols: SpellColumns, grid: Grid) -> None:
    """Refuse spells that reach outside the grid (nothing is clipped silently)."""
    lo, hi = grid.start.toordinal(), grid.end.toordinal()
    outside = (cols.start < lo) | ((cols.end > hi) & (cols.end != OPEN_END_DAY))
    if not outside.any():
        return
    k = int(np.flatnonzero(outside)[0])
    row = int(cols.row[k])
    spell = k - int(np.searchsorted(cols.row, row))
    raise DateOutsideGrid(
        f"{int(outside.sum())} spells reach outside the grid {grid.start}..{grid.end}; "
        f"the first is spell {spell} ({date.fromordinal(int(cols.start[k]))} to "
        f"{date.fromordinal(int(cols.end[k]))}); pass clip=True to keep the part inside",
        participant=cols.participant_ids[row],
        row=spell,
        field="start" if cols.start[k] < lo else "end",
        rule="a panel holds spells inside its grid unless told to clip",
    )


@attrs.frozen(eq=False)
class Panel:
    """The dense participants x periods status matrix, with its grid and ids.

    ``status[i, t]`` is the int8 :class:`~impactbond.status.Status` code of
    participant ``ids[i]`` in period ``t`` of ``grid``; a period touched by
    several spells takes the highest-priority status (a benefit paid in a week
    wins over work in it, as in the weekly registers).  ``employer[i, t]``
    indexes ``employers`` (0 = none) and ``hours[i, t]`` holds weekly hours in
    hundredths (-1 = unknown).

    >>> from datetime import date
    >>> t = Trajectory("P-1", [Spell("sickness_benefit", date(2024, 1, 1), date(2024, 1, 10)),
    ...                        Spell("employed", date(2024, 1, 10), None, employer="E1")])
    >>> p = Panel.from_trajectories([t], WeeklyGrid(date(2024, 1, 1), 3))
    >>> p.status.tolist()
    [[5, 5, 1]]
    """

    ids: tuple[str, ...]
    grid: Grid
    status: npt.NDArray[np.int8]
    employer: npt.NDArray[np.int32] | None = None
    hours: npt.NDArray[np.int64] | None = None
    employers: tuple[str, ...] = ("",)

    @property
    def shape(self) -> tuple[int, int]:
        """(participants, periods)."""
        return (len(self.ids), self.grid.n_periods)

    def row_of(self, participant_id: str) -> int:
        """Row index of a participant."""
        try:
            return self.ids.index(participant_id)
        except ValueError:
            from impactbond.errors import UnknownParticipant

            raise UnknownParticipant(
                "participant is not in the panel", participant=participant_id
            ) from None

    @classmethod
    def from_trajectories(
        cls,
        trajectories: Sequence[Trajectory],
        grid: Grid,
        *,
        priority: Iterable[Status] = DEFAULT_PRIORITY,
        with_employer: bool = True,
        clip: bool = False,
    ) -> Panel:
        """Build the panel from many trajectories without a loop per period.

        Spells reaching outside the grid are an error unless ``clip``.
        """
        return cls.from_columns(
            spell_columns(trajectories),
            grid,
            priority=priority,
            with_employer=with_employer,
            clip=clip,
        )

    @classmethod
    def from_columns(
        cls,
        cols: SpellColumns,
        grid: Grid,
        *,
        priority: Iterable[Status] = DEFAULT_PRIORITY,
        with_employer: bool = True,
        clip: bool = False,
    ) -> Panel:
        """Build the panel from spell columns (vectorised).

        A spell that reaches outside the grid (an open end does not count) is a
        :class:`~impactbond.errors.DateOutsideGrid` error unless ``clip`` says
        to keep only the part inside.
        """
        if not clip:
            _check_inside(cols, grid)
        n, t_len = cols.n_rows, grid.n_periods
        first = np.clip(_period_index(grid, cols.start), 0, t_len)
        last = np.clip(_period_index(grid, cols.end - 1) + 1, 0, t_len)
        lengths = np.maximum(last - first, 0)
        total = int(lengths.sum())
        spell_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        cell = cols.row[spell_of] * t_len + first[spell_of] + offsets
        rank = priority_rank(priority).astype(np.int64)
        # One key per (cell, spell): priority first, then the later spell.
        key = (rank[cols.status.astype(np.int64)[spell_of]] << 40) | spell_of
        best = np.full(n * t_len, -1, dtype=np.int64)
        np.maximum.at(best, cell, key)
        covered = best >= 0
        winner = best[covered] & ((1 << 40) - 1)
        status = np.zeros(n * t_len, dtype=np.int8)
        status[covered] = cols.status[winner]
        employer: npt.NDArray[np.int32] | None = None
        hours: npt.NDArray[np.int64] | None = None
        if with_employer:
            flat_employer = np.zeros(n * t_len, dtype=np.int32)
            flat_employer[covered] = cols.employer[winner]
            flat_hours = np.full(n * t_len, -1, dtype=np.int64)
            flat_hours[covered] = cols.hours[winner]
            employer = flat_employer.reshape(n, t_len)
            hours = flat_hours.reshape(n, t_len)
        return cls(
            ids=cols.participant_ids,
            grid=grid,
            status=status.reshape(n, t_len),
            employer=employer,
            hours=hours,
            employers=cols.employers,
        )
