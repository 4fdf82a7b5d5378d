"""The Register: canonical tables in, columns inside, every bad row reported."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

import impactbond as ib
from impactbond.calendar import OPEN_END_DAY
from impactbond.errors import CPRNumberRefused, InvalidInput, InvalidRegister
from impactbond.examples import nyborg
from impactbond.register import NO_DAY, Register

D = date


def _people(**cols: list[object]) -> pa.Table:
    base: dict[str, list[object]] = {
        "participant_id": ["P-2", "P-1", "P-3"],
        "cohort": ["b", "a", "a"],
        "enrolled": [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)],
    }
    base.update(cols)
    return pa.table(base)


def _spells(**cols: list[object]) -> pa.Table:
    base: dict[str, list[object]] = {
        "participant_id": ["P-1", "P-2", "P-1"],
        "status": ["employed", "sickness_benefit", "sickness_benefit"],
        "start": [D(2024, 3, 1), D(2023, 12, 1), D(2024, 1, 15)],
        "end": [None, D(2024, 6, 1), D(2024, 3, 1)],
    }
    base.update(cols)
    return pa.table(base)


def test_rows_are_sorted_by_id_and_spells_by_row_then_start() -> None:
    reg = Register.from_tables(_people(), _spells(hours=["37", None, None]))
    assert reg.ids.to_pylist() == ["P-1", "P-2", "P-3"]
    assert reg.cohort_labels == ("a", "b")
    assert reg.cohort.tolist() == [0, 1, 0]
    assert reg.enrolled.tolist() == [
        D(2024, 2, 1).toordinal(),
        D(2024, 1, 1).toordinal(),
        D(2024, 3, 1).toordinal(),
    ]
    assert reg.referred.tolist() == [NO_DAY] * 3
    assert reg.spell_row.tolist() == [0, 0, 1]
    assert reg.spell_start.tolist() == [
        D(2024, 1, 15).toordinal(),
        D(2024, 3, 1).toordinal(),
        D(2023, 12, 1).toordinal(),
    ]
    assert reg.spell_end.tolist()[1] == OPEN_END_DAY
    # The input row of each spell is kept: the employed spell was row 1, with 37 hours.
    assert reg.spell_source_row.tolist() == [3, 1, 2]
    assert reg.spell_hours.tolist() == [-1, 3700, -1]
    assert reg.spell_offsets.tolist() == [0, 2, 3, 3]


def test_arrays_are_read_only() -> None:
    reg = Register.from_tables(_people(), _spells())
    with pytest.raises(ValueError, match="read-only"):
        reg.spell_start[0] = 0


def test_every_bad_row_is_reported_at_once() -> None:
    people = _people(
        participant_id=["P-2", "P-1", "P-1"],
        exited=[None, D(2024, 1, 1), None],
    )
    spells = _spells(
        participant_id=["P-1", "P-9", "P-1"],
        status=["employed", "sick", "sickness_benefit"],
        end=[None, D(2023, 11, 1), D(2024, 3, 2)],
        hours=["200", "x", "37.333"],
    )
    with pytest.raises(InvalidRegister) as info:
        Register.from_tables(people, spells, source={"spells": "spells.csv"})
    found = {(e.source, e.row, e.field) for e in info.value.errors}
    assert ("participants", 3, "participant_id") in found  # P-1 twice
    assert ("participants", 2, "exited") in found  # exit before enrolment
    assert ("spells.csv", 2, "participant_id") in found  # P-9 unknown
    assert ("spells.csv", 2, "status") in found  # "sick" unknown
    assert ("spells.csv", 2, "end") in found  # ends before it starts
    assert ("spells.csv", 1, "hours") in found  # 200 > 168
    assert ("spells.csv", 2, "hours") in found  # not a number
    assert ("spells.csv", 3, "hours") in found  # three decimals
    assert ("spells.csv", 1, "start") in found  # starts 1 March, inside row 3's spell
    assert isinstance(info.value, ValueError)


def test_overlap_names_the_later_spell() -> None:
    spells = _spells(end=[None, D(2024, 6, 1), D(2024, 3, 2)])  # row 3 runs into row 1
    with pytest.raises(InvalidInput) as info:
        Register.from_tables(_people(), spells)
    assert info.value.row == 1 and info.value.field == "start"
    assert info.value.participant == "P-1"


@pytest.mark.parametrize("cpr", ["0102031234", "010203-1234", "010203 1234", "010203/1234"])
def test_cpr_numbers_are_refused_and_never_echoed(cpr: str) -> None:
    people = _people(participant_id=["P-2", cpr, "P-3"])
    spells = _spells(participant_id=[cpr, "P-2", cpr], employer=[cpr, None, None])
    with pytest.raises(InvalidRegister) as info:
        Register.from_tables(people, spells)
    text = str(info.value) + repr([e.details() for e in info.value.errors])
    assert cpr not in text and cpr.replace("-", "") not in text
    assert any(isinstance(e, CPRNumberRefused) for e in info.value.errors)
    assert {("participants", 2), ("spells", 1), ("spells", 3)} <= {
        (e.source, e.row) for e in info.value.errors if e.field in ("participant_id", "employer")
    }


def test_dates_outside_1900_to_2200_are_refused() -> None:
    spells = _spells(start=[D(2024, 3, 1), D(1850, 12, 1), D(2024, 1, 15)])
    with pytest.raises(InvalidInput) as info:
        Register.from_tables(_people(), spells)
    assert info.value.row == 2 and info.value.field == "start"


def test_missing_and_unknown_columns_are_named() -> None:
    with pytest.raises(InvalidInput, match=r"missing column.*status") as info:
        Register.from_tables(_people(), _spells().drop(["status"]))
    assert info.value.field == "status"
    with pytest.raises(InvalidInput, match=r"unknown column.*colour"):
        Register.from_tables(_people(colour=["r", "g", "b"]), _spells())


def test_timestamps_are_days_at_midnight_only() -> None:
    """A pandas or reader timestamp at midnight is its day; one with a time of day is refused
    with its row (a date-time is not a date)."""
    from datetime import datetime

    midnight = pa.array([datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)])
    by_day = Register.from_tables(_people(), _spells())
    by_stamp = Register.from_tables(_people(enrolled=midnight), _spells())
    assert by_stamp.enrolled.tolist() == by_day.enrolled.tolist()
    noon = pa.array([datetime(2024, 1, 1), datetime(2024, 2, 1, 12), datetime(2024, 3, 1)])
    with pytest.raises(InvalidInput, match="time of day") as info:
        Register.from_tables(_people(enrolled=noon), _spells())
    assert (info.value.row, info.value.field, info.value.participant) == (2, "enrolled", "P-1")


def test_cells_that_hold_lists_or_bytes_are_named() -> None:
    listed = pa.array([["b"], ["a"], ["a"]])
    with pytest.raises(InvalidInput, match="one value per cell") as info:
        Register.from_tables(_people(cohort=listed), _spells())
    assert info.value.field == "cohort"
    raw = pa.array([b"employed", b"\xff\xfe", b"employed"], pa.binary())
    with pytest.raises(InvalidInput, match="not text") as info:
        Register.from_tables(_people(), _spells(status=raw))
    assert info.value.field == "status"


def test_hours_in_every_type_give_the_same_hundredths() -> None:
    from decimal import Decimal

    for hours in (["32.5", None, " 7 "], [32.5, None, 7.0], [Decimal("32.50"), None, Decimal(7)]):
        reg = Register.from_tables(_people(), _spells(hours=hours))
        assert reg.spell_hours.tolist() == [700, 3250, -1]  # sorted: P-1 Jan, P-1 Mar, P-2
    with pytest.raises(InvalidInput, match="not a finite"):
        Register.from_tables(_people(), _spells(hours=[float("inf"), None, None]))
    with pytest.raises(InvalidInput, match="not a number"):
        Register.from_tables(_people(), _spells(hours=["1e400x", None, None]))
    with pytest.raises(InvalidInput, match="not a finite"):
        Register.from_tables(_people(), _spells(hours=["1e400", None, None]))
    with pytest.raises(InvalidInput, match="above 168"):
        Register.from_tables(_people(), _spells(hours=["200", None, None]))


def test_the_nyborg_cohort_round_trips_through_tables() -> None:
    _, people, trajectories = nyborg()
    reg = Register.from_objects(people, trajectories)
    again = Register.from_tables(**{k: v for k, v in reg.to_tables().items()})
    assert again.fingerprint() == reg.fingerprint()
    for row in (0, 17, len(reg) - 1):
        pid = reg.ids[row].as_py()
        want = next(t for t in trajectories if t.participant_id == pid)
        assert again.trajectory(pid) == want
        assert again.participant(row) == next(p for p in people if p.id == pid)


def test_take_and_partitions_keep_rows_in_order() -> None:
    _, people, trajectories = nyborg()
    reg = Register.from_objects(people, trajectories)
    parts = reg.partitions(3)
    assert sum(len(p) for p in parts) == len(reg)
    assert sum(p.n_spells for p in parts) == reg.n_spells
    ids = [i for p in parts for i in p.ids.to_pylist()]
    assert ids == reg.ids.to_pylist()
    sub = reg.take(np.array([1, 5]))
    assert sub.trajectory(0) == reg.trajectory(1)
    assert sub.trajectory(1) == reg.trajectory(5)


def test_objects_with_events() -> None:
    p = [ib.Participant("A", "c", enrolled=D(2024, 1, 1))]
    t = [ib.Trajectory("A", [])]
    reg = Register.from_objects(
        p, t, events={"A": [("exam", D(2024, 5, 1)), ("exam", D(2024, 2, 1))]}
    )
    assert reg.events_of(0) == [("exam", D(2024, 2, 1)), ("exam", D(2024, 5, 1))]
    back = Register.from_tables(**reg.to_tables())
    assert back.events_of(0) == reg.events_of(0)


def test_frames_are_read_through_arrow() -> None:
    reg = Register.from_frames(_people().to_pandas(), _spells().to_pandas())
    assert reg.fingerprint() == Register.from_tables(_people(), _spells()).fingerprint()


def test_a_frame_column_of_mixed_values_is_named_not_echoed() -> None:
    people = _people().to_pandas()
    people["participant_id"] = ["0101901234", 7, "P-3"]  # text and a number in one column
    with pytest.raises(InvalidInput, match="mixes kinds of values") as info:
        Register.from_frames(people, _spells().to_pandas())
    assert (info.value.field, info.value.source) == ("participant_id", "participants")
    assert "0101901234" not in str(info.value)
