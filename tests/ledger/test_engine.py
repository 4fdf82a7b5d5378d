"""The adapter between the ledger and the engine: tables, line tables, readers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given

import impactbond as ib
from impactbond.errors import CPRNumberRefused, InvalidInput
from impactbond.io.trajectories import (
    read_participants,
    read_spells,
    write_participants,
    write_spells,
)
from impactbond.ledger._engine import (
    DELIVERY_SCHEMAS,
    KEY_COLUMNS,
    LINE_SCHEMA,
    canonical,
    line_table,
    read_delivery,
)
from impactbond.testing.strategies import people


def _tables(participants, trajectories):  # type: ignore[no-untyped-def]
    return canonical(ib.Register.from_objects(participants, trajectories).to_tables())


@given(people(max_size=5))
def test_objects_survive_the_canonical_tables(found):
    participants, trajectories = found
    tables = _tables(participants, trajectories)
    assert {k: t.schema for k, t in tables.items()} == DELIVERY_SCHEMAS
    back = ib.Register.from_tables(tables["participants"], tables["spells"], tables["events"])
    assert sorted((back.participant(i) for i in range(len(back))), key=lambda p: p.id) == sorted(
        participants, key=lambda p: p.id
    )
    assert sorted(
        (back.trajectory(i) for i in range(len(back))), key=lambda t: t.participant_id
    ) == sorted(trajectories, key=lambda t: t.participant_id)
    assert tables["events"].num_rows == 0
    # Any order of the same rows gives the same tables.
    again = _tables(list(reversed(participants)), list(reversed(trajectories)))
    assert all(again[k].equals(tables[k]) for k in tables)


def test_the_line_table_holds_every_line_of_the_settlement_once():
    contract, participants, trajectories = ib.examples.nyborg()
    s = ib.settle(contract, participants, trajectories, as_of=date(2026, 7, 1))
    table = line_table(s)
    assert table.schema == LINE_SCHEMA
    assert table.num_rows == len(s.lines)
    # Independently, from the settlement's records (one dict per line).
    expected = Counter(
        (
            r["participant_id"] or "",
            r["cohort"],
            r["rule"],
            r["outcome"] or "",
            r["period_start"],
            r["quantity"],
            int(r["amount"] * 100),
            r["due"],
        )
        for r in s.to_records()
    )
    got = Counter(
        (
            r["participant_id"],
            r["cohort"],
            r["rule"],
            r["outcome"],
            r["period_start"],
            Fraction(r["quantity_num"], r["quantity_den"]),
            r["amount"],
            r["due"],
        )
        for r in table.to_pylist()
    )
    assert got == expected
    # The key with its occurrence number is unique, and the table is sorted by it.
    keys = list(zip(*(table.column(c).to_pylist() for c in KEY_COLUMNS), strict=True))
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)
    # Progression can step twice in one week: those lines share a key, numbered 0 and 1.
    assert pc.max(table.column("occurrence")).as_py() >= 1


def _rows(text: str, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reading_a_delivery_with_and_without_a_participants_file(tmp_path: Path):
    paths = ib.examples.nyborg_paths()
    tables = read_delivery(paths.spells, paths.participants)
    expected = _tables(read_participants(paths.participants), read_spells(paths.spells))
    assert all(tables[k].equals(expected[k]) for k in DELIVERY_SCHEMAS)
    combined = _rows(
        "participant_id,cohort,enrolled,status,start,end,hours,employer\n"
        "P-1,unemployed,2024-03-01,unemployment_benefit,2024-01-01,2024-05-01,,\n"
        "P-1,unemployed,2024-03-01,employed,2024-05-01,,32.5,E-1\n",
        tmp_path,
        "combined.csv",
    )
    events = _rows(
        "participant_id,event,date\nP-1,qualification,2024-06-03\n", tmp_path, "events.csv"
    )
    t = read_delivery(combined, events=events)
    assert t["participants"].column("enrolled").to_pylist() == [date(2024, 3, 1)]
    assert t["spells"].column("hours").to_pylist()[1] == pytest.approx(32.5)
    assert t["events"].to_pylist() == [
        {"participant_id": "P-1", "event": "qualification", "date": date(2024, 6, 3)}
    ]


def test_bad_event_rows_are_reported_together_and_a_cpr_number_is_never_echoed(tmp_path: Path):
    spells = _rows(
        "participant_id,cohort,enrolled,status,start,end\nP-1,unemployed,2024-03-01,employed,2024-05-01,\n",
        tmp_path,
        "s.csv",
    )
    bad = _rows(
        "participant_id,event,date\nP-1,qualification,2024-13-01\n,qualification,2024-01-01\n"
        "P-1,,2024-01-01\n",
        tmp_path,
        "e.csv",
    )
    with pytest.raises(InvalidInput) as caught:
        read_delivery(spells, events=bad)
    assert [e.row for e in caught.value.errors] == [1, 2, 3]
    assert [e.field for e in caught.value.errors] == ["date", "participant_id", "event"]
    cpr = _rows(
        "participant_id,event,date\n0101901234,qualification,2024-01-01\n", tmp_path, "c.csv"
    )
    with pytest.raises(CPRNumberRefused) as refused:
        read_delivery(spells, events=cpr)
    assert "0101901234" not in str(refused.value)
    missing = _rows("participant_id,date\nP-1,2024-01-01\n", tmp_path, "m.csv")
    with pytest.raises(InvalidInput, match="has no column 'event'"):
        read_delivery(spells, events=missing)


def test_a_participant_without_spells_has_an_empty_trajectory(tmp_path: Path):
    folder = tmp_path
    people_ = [
        ib.Participant("P-1", "unemployed", date(2024, 3, 1)),
        ib.Participant("P-2", "unemployed", date(2024, 3, 1)),
    ]
    write_participants(people_, folder / "p.csv")
    write_spells(
        [ib.Trajectory("P-1", [ib.Spell("employed", date(2024, 1, 1), None)])], folder / "s.csv"
    )
    tables = read_delivery(folder / "s.csv", folder / "p.csv")
    back = ib.Register.from_tables(tables["participants"], tables["spells"], tables["events"])
    assert {back.ids[i].as_py(): len(back.trajectory(i).spells) for i in range(len(back))} == {
        "P-1": 1,
        "P-2": 0,
    }
    assert isinstance(tables["spells"], pa.Table)
