"""Participants, spells, trajectories and the panel: construction and bad input."""

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

import impactbond as ib
from impactbond.calendar import MonthlyGrid, WeeklyGrid
from impactbond.domain.participant import Participant, looks_like_cpr
from impactbond.domain.trajectory import Panel, Spell, Trajectory, spell_columns
from impactbond.errors import (
    CPRNumberRefused,
    DateOutsideGrid,
    ImpactBondError,
    InvalidParticipant,
    InvalidSpell,
    InvalidTrajectory,
    UnknownCode,
)
from impactbond.status import CodeTable, Status

D = date


@pytest.mark.parametrize("cpr", ["0102031234", "010203-1234", "311299-9999", "x 010203 1234"])
def test_cpr_numbers_are_refused_without_echo(cpr: str) -> None:
    with pytest.raises(CPRNumberRefused) as err:
        Participant(cpr, "c", D(2024, 1, 1))
    assert isinstance(err.value, ValueError)
    assert cpr not in str(err.value)
    assert err.value.field == "id"


@pytest.mark.parametrize("pseudonym", ["agnes", "P-0001", "9999991234", "NYB-2024-000017"])
def test_pseudonyms_are_accepted(pseudonym: str) -> None:
    assert not looks_like_cpr(pseudonym)
    assert Participant(pseudonym, "c", D(2024, 1, 1)).id == pseudonym


def test_participant_dates_are_checked() -> None:
    with pytest.raises(InvalidParticipant, match="referred"):
        Participant("p", "c", D(2024, 1, 1), referred=D(2024, 2, 1))
    with pytest.raises(InvalidParticipant, match="exited"):
        Participant("p", "c", D(2024, 1, 1), exited=D(2023, 12, 31))


def test_spell_bad_input() -> None:
    with pytest.raises(InvalidSpell, match="on or before its start"):
        Spell(Status.EMPLOYED, D(2024, 2, 1), D(2024, 1, 1))
    with pytest.raises(InvalidSpell, match="NaN"):
        Spell(Status.EMPLOYED, D(2024, 1, 1), hours=float("nan"))
    with pytest.raises(InvalidSpell, match="negative"):
        Spell(Status.EMPLOYED, D(2024, 1, 1), hours=-1)
    with pytest.raises(UnknownCode):
        Spell("no_such_status", D(2024, 1, 1))
    assert Spell("employed", D(2024, 1, 1), hours="32.5").hours == Decimal("32.5")


def test_overlapping_spells_name_participant_and_row() -> None:
    with pytest.raises(InvalidTrajectory) as err:
        Trajectory(
            "P-7",
            [
                Spell(Status.SICKNESS_BENEFIT, D(2024, 1, 1), D(2024, 3, 1)),
                Spell(Status.EMPLOYED, D(2024, 2, 1), None),
            ],
        )
    assert err.value.participant == "P-7"
    assert err.value.row == 1
    assert isinstance(err.value, ValueError)


def test_open_spell_must_be_last() -> None:
    with pytest.raises(InvalidTrajectory):
        Trajectory(
            "P",
            [Spell("employed", D(2024, 1, 1)), Spell("education", D(2024, 5, 1), D(2024, 6, 1))],
        )


def test_several_overlaps_are_reported_at_once() -> None:
    spells = [
        Spell("employed", D(2024, 1, 1), D(2024, 2, 1)),
        Spell("education", D(2024, 1, 15), D(2024, 3, 1)),
        Spell("employed", D(2024, 2, 15), D(2024, 4, 1)),
    ]
    with pytest.raises(InvalidTrajectory) as err:
        Trajectory("P", spells)
    assert len(err.value.errors) == 2


def test_from_weekly_codes_priority_and_unknown_code() -> None:
    table = CodeTable(
        {"890": Status.SICKNESS_BENEFIT, "111": Status.UNEMPLOYMENT_BENEFIT, "job": Status.EMPLOYED}
    )
    grid = WeeklyGrid(D(2024, 1, 1), 4)
    t = Trajectory.from_weekly_codes("P", grid, [["job", "890"], "job", None, "111"], table)
    assert [(s.status, s.start, s.end) for s in t.spells] == [
        (Status.SICKNESS_BENEFIT, D(2024, 1, 1), D(2024, 1, 8)),
        (Status.EMPLOYED, D(2024, 1, 8), D(2024, 1, 15)),
        (Status.UNEMPLOYMENT_BENEFIT, D(2024, 1, 22), D(2024, 1, 29)),
    ]
    with pytest.raises(UnknownCode) as err:
        Trajectory.from_weekly_codes("P", grid, ["890", "999", None, None], table)
    assert (err.value.participant, err.value.row, err.value.field) == ("P", 1, "code")


def test_date_outside_grid() -> None:
    grid = WeeklyGrid(D(2024, 1, 1), 2)
    with pytest.raises(DateOutsideGrid):
        grid.index_of(D(2024, 1, 15))
    assert grid.index_of(D(2024, 1, 14)) == 1
    with pytest.raises(DateOutsideGrid):
        WeeklyGrid(D(2024, 1, 2), 2)
    with pytest.raises(DateOutsideGrid):
        Trajectory.from_periodic("P", grid, [1, 1, 1])


def test_errors_share_one_base() -> None:
    for cls in (CPRNumberRefused, InvalidSpell, InvalidTrajectory, UnknownCode, DateOutsideGrid):
        assert issubclass(cls, ImpactBondError)
        assert issubclass(cls, ValueError)


def test_panel_priority_employer_and_hours() -> None:
    t1 = Trajectory(
        "a",
        [
            Spell("sickness_benefit", D(2024, 1, 1), D(2024, 1, 10)),
            Spell("employed", D(2024, 1, 10), None, hours=32, employer="E1"),
        ],
    )
    t2 = Trajectory("b", [Spell("unemployment_benefit", D(2024, 1, 8), D(2024, 1, 15))])
    p = Panel.from_trajectories([t1, t2], WeeklyGrid(D(2024, 1, 1), 3))
    assert p.shape == (2, 3)
    # week 2 (8-14 Jan) holds sickness benefit (to the 9th) and work: the benefit wins.
    assert p.status.tolist() == [[5, 5, 1], [0, 6, 0]]
    assert p.employer is not None and p.hours is not None
    assert p.employers[p.employer[0, 2]] == "E1"
    assert p.hours[0, 2] == 3200
    assert p.row_of("b") == 1


def test_panel_matches_status_on_for_single_status_weeks() -> None:
    t = Trajectory(
        "a",
        [
            Spell("education", D(2024, 1, 1), D(2024, 2, 5)),
            Spell("employed", D(2024, 2, 5), D(2024, 4, 1)),
        ],
    )
    grid = MonthlyGrid(D(2024, 1, 1), 4)
    p = Panel.from_trajectories([t], grid)
    # February holds education (to the 4th) and work: education ranks below work.
    assert p.status.tolist() == [[3, 1, 1, 0]]


def test_spell_columns_open_end_and_rows() -> None:
    t1 = Trajectory("a", [Spell("employed", D(2024, 1, 1), None, employer="X")])
    t2 = Trajectory(
        "b",
        [
            Spell("education", D(2024, 1, 1), D(2024, 2, 1)),
            Spell("employed", D(2024, 2, 1), D(2024, 3, 1), employer="X"),
        ],
    )
    cols = spell_columns([t1, t2])
    assert cols.row.tolist() == [0, 1, 1]
    assert cols.employer.tolist() == [1, 0, 1]
    assert cols.employers == ("", "X")
    assert np.all(cols.end > cols.start)


def test_panel_refuses_spells_outside_its_grid_unless_told_to_clip() -> None:
    t = Trajectory(
        "a",
        [Spell("education", D(2023, 12, 1), D(2024, 1, 8)), Spell("employed", D(2024, 1, 8), None)],
    )
    grid = WeeklyGrid(D(2024, 1, 1), 2)
    with pytest.raises(DateOutsideGrid) as err:
        Panel.from_trajectories([t], grid)
    assert (err.value.participant, err.value.row, err.value.field) == ("a", 0, "start")
    # the open employment spell is not "outside": it simply goes on
    assert Panel.from_trajectories([t], grid, clip=True).status.tolist() == [[3, 1]]
    late = Trajectory("b", [Spell("employed", D(2024, 1, 1), D(2024, 2, 1))])
    with pytest.raises(DateOutsideGrid, match="clip=True") as err:
        Panel.from_trajectories([late], grid)
    assert err.value.field == "end"


def test_a_contract_built_in_python_refuses_a_cpr_number_in_any_text() -> None:
    import attrs

    contract, _, _ = ib.examples.nyborg()
    with pytest.raises(ib.errors.InvalidContract) as info:
        attrs.evolve(contract, parties=attrs.evolve(contract.parties, provider="C 010190-1234"))
    assert info.value.field == "parties.provider"
    assert "1234" not in str(info.value) and "withheld" in str(info.value)
    clause = attrs.evolve(contract.clauses[0], text="Kontakt 0101901234.")
    with pytest.raises(ib.errors.InvalidContract) as info:
        attrs.evolve(contract, clauses=(clause, *contract.clauses[1:]))
    assert info.value.field == "clauses[0].text"
