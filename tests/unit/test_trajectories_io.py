"""Trajectory and participant files: round trips, and every bad row reported with its number."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.errors import (
    CPRNumberRefused,
    ImpactBondError,
    InvalidInput,
    InvalidParticipant,
    InvalidTrajectory,
    UnknownCode,
)
from impactbond.examples import nyborg, nyborg_paths
from impactbond.io.trajectories import (
    participants_from_frame,
    read_participants,
    read_spells,
    spells_to_frame,
    trajectories_from_frame,
    write_participants,
    write_spells,
)
from impactbond.status import Status
from impactbond.testing import strategies as ibst

HEADER = "participant_id,status,start,end,hours,employer\n"
P_HEADER = "participant_id,cohort,enrolled,referred,exited\n"
CPR = "0101901234"


def _spells(text: str) -> dict[str, Trajectory]:
    return read_spells(io.StringIO(HEADER + text), source_name="spells.csv")


def _error(text: str, reader=_spells) -> ImpactBondError:  # type: ignore[no-untyped-def]
    with pytest.raises(ImpactBondError) as info:
        reader(text)
    assert info.value.source in ("spells.csv", "people.csv")
    assert all(e.source == info.value.source for e in info.value.errors)
    return info.value


def _all(error: ImpactBondError) -> list[ImpactBondError]:
    return error.errors or [error]


# -- round trips ----------------------------------------------------------------------------


def test_spells_round_trip(tmp_path: Path) -> None:
    t = {
        "P-2": Trajectory(
            "P-2",
            [
                Spell(Status.SICKNESS_BENEFIT, date(2024, 1, 1), date(2024, 3, 1)),
                Spell(
                    Status.EMPLOYED, date(2024, 3, 1), None, hours=Decimal("32.5"), employer="E1"
                ),
            ],
        ),
        "P-1": Trajectory("P-1", [Spell(Status.CASH_BENEFIT, date(2023, 5, 1), date(2023, 6, 1))]),
    }
    path = tmp_path / "spells.csv"
    write_spells(t, path)
    again = read_spells(path)
    assert again == t
    assert list(again) == ["P-2", "P-1"]  # first-seen order


def test_participants_round_trip(tmp_path: Path) -> None:
    people = [
        Participant("P-1", "sick_listed", date(2024, 2, 1), referred=date(2024, 1, 20)),
        Participant("P-2", "unemployed", date(2024, 3, 1), exited=date(2025, 1, 1)),
    ]
    path = tmp_path / "people.csv"
    write_participants(people, path)
    assert read_participants(path) == people


def test_rows_of_one_participant_in_any_order() -> None:
    t = _spells(
        "P-1,employed,2024-03-01,,37,E1\n"
        "P-2,unemployment_benefit,2024-01-01,,,\n"
        "P-1,sickness_benefit,2024-01-01,2024-03-01,,\n"
    )
    assert [s.status for s in t["P-1"].spells] == [Status.SICKNESS_BENEFIT, Status.EMPLOYED]
    assert t["P-1"].spells[1].hours == Decimal(37)
    assert t["P-2"].spells[0].hours is None and t["P-2"].spells[0].employer is None


def test_nyborg_files_round_trip(tmp_path: Path) -> None:
    _, participants, trajectories = nyborg()
    write_spells(trajectories, tmp_path / "s.csv")
    write_participants(participants, tmp_path / "p.csv")
    assert (tmp_path / "s.csv").read_text() == nyborg_paths().spells.read_text()
    assert (tmp_path / "p.csv").read_text() == nyborg_paths().participants.read_text()


# -- bad rows -------------------------------------------------------------------------------


def test_unknown_status_names_row_and_field() -> None:
    err = _error("P-1,employed,2024-01-01,2024-02-01,,\nP-1,working,2024-02-01,,,\n")
    assert isinstance(err, UnknownCode)
    assert (err.row, err.field, err.participant) == (2, "status", "P-1")
    assert "working" in err.message


def test_bad_date() -> None:
    err = _error("P-1,employed,2024-02-30,,,\n")
    assert (err.row, err.field) == (1, "start")
    assert err.rule == "a date is a day of the calendar"
    err = _error("P-1,employed,1/2/2024,,,\n")
    assert (err.row, err.field) == (1, "start")
    assert "not a date in the format yyyy-mm-dd" in err.message


def test_end_before_start() -> None:
    err = _error("P-1,employed,2024-02-01,2024-01-01,,\n")
    assert (err.row, err.field) == (1, "end")


def test_overlapping_spells_name_both_rows() -> None:
    err = _error(
        "P-1,sickness_benefit,2024-01-01,2024-04-01,,\n"
        "P-2,employed,2024-01-01,,,\n"
        "P-1,employed,2024-03-01,,,\n"
    )
    assert isinstance(err, InvalidTrajectory)
    assert (err.row, err.participant) == (3, "P-1")
    assert "row 1" in err.message


def test_cpr_number_is_refused_and_never_echoed() -> None:
    err = _error(f"P-1,employed,2024-01-01,,,\n{CPR},employed,2024-01-01,,,\n")
    assert isinstance(err, CPRNumberRefused)
    assert err.row == 2 and err.field == "participant_id"
    assert CPR not in str(err) and CPR not in repr(err.details())


def test_cpr_with_dash_in_participants_file() -> None:
    cpr = "010190-1234"
    with pytest.raises(CPRNumberRefused) as info:
        read_participants(io.StringIO(P_HEADER + f"{cpr},unemployed,2024-01-01,,\n"))
    assert cpr not in str(info.value)
    assert info.value.row == 1


def test_missing_column() -> None:
    with pytest.raises(InvalidInput) as info:
        read_spells(io.StringIO("participant_id,start,end\nP-1,2024-01-01,\n"), source_name="s.csv")
    assert info.value.field == "status"
    assert "has no column 'status'" in info.value.message


def test_every_bad_row_is_reported_at_once() -> None:
    err = _error(
        "P-1,employed,2024-01-01,2024-02-01,,\n"  # 1 ok
        "P-1,employd,2024-02-01,,,\n"  # 2 unknown status
        f"{CPR},employed,2024-01-01,,,\n"  # 3 CPR
        "P-2,employed,2024-01-01,,-5,\n"  # 4 negative hours
        "P-3,employed,01/02/2024,,,\n"  # 5 bad date
        ",employed,2024-01-01,,,\n"  # 6 empty id
        "P-4,employed,2024-01-01,,,\n"  # 7 open ...
        "P-4,sickness_benefit,2024-05-01,2024-06-01,,\n"  # 8 ... overlapped
    )
    # Parsing problems first, all of them, in row order ...
    assert isinstance(err, InvalidInput)
    assert "5 problems" in err.message
    assert [(e.row, e.field) for e in _all(err)] == [
        (2, "status"),
        (3, "participant_id"),
        (4, "hours"),
        (5, "start"),
        (6, "participant_id"),
    ]
    # ... then, once every cell parses, the rules between rows.
    err = _error(
        "P-4,employed,2024-01-01,,,\n"
        "P-5,employed,2024-01-01,2023-01-01,,\n"
        "P-4,sickness_benefit,2024-05-01,2024-06-01,,\n"
    )
    assert [(e.row, e.field) for e in _all(err)] == [(2, "end"), (3, "start")]


def test_bad_participant_rows() -> None:
    def read(text: str) -> list[Participant]:
        return read_participants(io.StringIO(P_HEADER + text), source_name="people.csv")

    err = _error(
        "P-1,unemployed,2024-01-01,2024-02-01,\n"  # referred after enrolled
        "P-2,,2024-01-01,,\n"  # no cohort
        "P-3,unemployed,2024-01-01,,\n"
        "P-3,unemployed,2024-01-01,,\n"  # twice
        "P-4,unemployed,,,\n",  # no enrolment
        reader=read,
    )
    assert [(e.row, e.field) for e in _all(err)] == [(2, "cohort"), (5, "enrolled")]
    err = _error(
        "P-1,unemployed,2024-01-01,2024-02-01,\n"  # referred after enrolled
        "P-3,unemployed,2024-01-01,,\n"
        "P-3,unemployed,2024-01-01,,\n",  # twice
        reader=read,
    )
    assert isinstance(err, InvalidParticipant)
    assert [(e.row, e.field) for e in _all(err)] == [(1, "referred"), (3, "participant_id")]


# -- pandas ---------------------------------------------------------------------------------


def test_frames_round_trip() -> None:
    pd = pytest.importorskip("pandas")
    _, participants, trajectories = nyborg()
    df = spells_to_frame(trajectories)
    assert list(df.columns) == ["participant_id", "status", "start", "end", "hours", "employer"]
    assert df["start"].dtype.kind == "M"
    again = trajectories_from_frame(df)
    assert list(again.values()) == trajectories
    people = pd.DataFrame(
        {
            "participant_id": [p.id for p in participants],
            "cohort": [p.cohort for p in participants],
            "enrolled": pd.to_datetime([p.enrolled for p in participants]),
            "referred": [p.referred for p in participants],
            "exited": [None] * len(participants),
        }
    )
    assert participants_from_frame(people) == participants


def test_frame_errors_use_positions() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "participant_id": ["P-1", "P-1"],
            "status": ["employed", "nonsense"],
            "start": ["2024-01-01", "2024-02-01"],
        }
    )
    with pytest.raises(UnknownCode) as info:
        trajectories_from_frame(df, source="frame")
    assert info.value.row == 2


# -- any valid data round-trips ----------------------------------------------------------------


@given(ibst.people())
def test_any_people_round_trip_through_csv(
    found: tuple[list[Participant], list[Trajectory]],
) -> None:
    participants, trajectories = found
    spells_file, people_file = io.StringIO(), io.StringIO()
    write_spells(trajectories, spells_file)
    write_participants(participants, people_file)
    spells_file.seek(0)
    people_file.seek(0)
    again = read_spells(spells_file)
    assert [again[t.participant_id] for t in trajectories if t.spells] == [
        t for t in trajectories if t.spells
    ]
    assert read_participants(people_file) == participants
