"""The command line: example, settle, explain, render, and errors with their exit status."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import impactbond as ib
from impactbond.cli import NYBORG_AS_OF, main
from impactbond.examples import nyborg, nyborg_paths


@pytest.fixture(scope="module")
def nyborg_settlement() -> ib.Settlement:
    contract, people, trajectories = nyborg()
    return ib.settle(contract, people, trajectories, as_of=NYBORG_AS_OF)


def _inputs(tmp_path: Path) -> list[str]:
    paths = nyborg_paths()
    for p in paths:
        shutil.copy(p, tmp_path / p.name)
    return [
        str(tmp_path / "nyborg.toml"),
        str(tmp_path / "nyborg_spells.csv"),
        "--participants",
        str(tmp_path / "nyborg_participants.csv"),
        "--as-of",
        NYBORG_AS_OF.isoformat(),
    ]


def test_example_prints_the_statement(
    capsys: pytest.CaptureFixture[str], nyborg_settlement: ib.Settlement
) -> None:
    assert main(["example", "nyborg"]) == 0
    out = capsys.readouterr().out
    assert "Achievement against target" in out
    assert f"Total due:           {nyborg_settlement.total}" in out
    for cohort in ("sick_listed", "unemployed"):
        assert cohort in out


def test_settle_json_matches_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nyborg_settlement: ib.Settlement
) -> None:
    assert main(["settle", *_inputs(tmp_path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert Decimal(doc["totals"]["due"]) == nyborg_settlement.total.amount
    assert len(doc["lines"]) == len(nyborg_settlement.lines)
    assert sum(Decimal(line["amount"]) for line in doc["lines"]) == (
        nyborg_settlement.accrued_total.amount
    )
    assert doc["participants_in"] == 100


def test_settle_csv_has_one_row_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nyborg_settlement: ib.Settlement
) -> None:
    assert main(["settle", *_inputs(tmp_path), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("line,participant_id,")
    assert len(rows) == 1 + len(nyborg_settlement.lines)


def test_explain_names_clauses_and_spells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", *_inputs(tmp_path), "--participant", "agnes"]) == 0
    out = capsys.readouterr().out
    assert "Participant agnes" in out
    assert "clause 6.1" in out
    assert "32 h/week" in out


def test_render_markdown_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract_path = str(nyborg_paths().contract)
    assert main(["render", contract_path]) == 0
    assert "Nyborg" in capsys.readouterr().out
    target = tmp_path / "c.html"
    assert main(["render", contract_path, "--format", "html", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_bad_input_exits_4_with_the_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _inputs(tmp_path)
    spells = tmp_path / "nyborg_spells.csv"
    spells.write_text(
        spells.read_text(encoding="utf-8") + "agnes,no_such_status,2026-01-01,,,\n",
        encoding="utf-8",
    )
    assert main(["settle", *args]) == 4
    err = capsys.readouterr().err
    assert err.startswith("error:")
    assert "no_such_status" in err and "agnes" in err


def test_missing_contract_file_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "/nonexistent/contract.toml"]) == 3
    assert "error:" in capsys.readouterr().err


def test_settle_one_csv_with_participant_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nyborg_settlement: ib.Settlement
) -> None:
    from impactbond.io.trajectories import read_participants

    paths = nyborg_paths()
    people = {p.id: p for p in read_participants(paths.participants)}
    lines = paths.spells.read_text(encoding="utf-8").strip().splitlines()
    combined = [lines[0] + ",cohort,enrolled"]
    for line in lines[1:]:
        p = people[line.split(",")[0]]
        combined.append(f"{line},{p.cohort},{p.enrolled.isoformat()}")
    # referred dates are not in this file, which changes nothing for this contract
    (tmp_path / "combined.csv").write_text("\n".join(combined) + "\n", encoding="utf-8")
    args = [str(paths.contract), str(tmp_path / "combined.csv"), "--as-of", "2026-07-01"]
    assert main(["settle", *args, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert Decimal(doc["totals"]["due"]) == nyborg_settlement.total.amount

    combined.append(combined[1].replace("sick_listed", "unemployed"))
    (tmp_path / "combined.csv").write_text("\n".join(combined) + "\n", encoding="utf-8")
    assert main(["settle", *args]) == 4
    assert "differs from row 1" in capsys.readouterr().err
