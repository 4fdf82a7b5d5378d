"""``impactbond ledger ...`` on both backends: the flow, the outputs, the exit codes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

import impactbond as ib
from impactbond.cli import main
from impactbond.ledger import Ledger
from impactbond.ledger._db import create_engine, to_url


def _data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_data", Path(__file__).resolve().parent / "_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


D = _data()
JAN = date(2024, 1, 1)


def _files(tmp_path: Path) -> dict[str, Path]:
    contract = tmp_path / "contract.toml"
    contract.write_text(D.small_contract(), encoding="utf-8")
    people = [ib.Participant("A", "unemployed", JAN), ib.Participant("B", "unemployed", JAN)]
    first = [
        ib.Trajectory("A", [ib.Spell("employed", JAN, date(2024, 3, 1))]),
        ib.Trajectory("B", [ib.Spell("employed", JAN, date(2024, 2, 1))]),
    ]
    revised = [
        ib.Trajectory(
            "A",
            [
                ib.Spell("employed", JAN, date(2024, 2, 15)),
                ib.Spell("sickness_benefit", date(2024, 2, 15), date(2024, 3, 1)),
            ],
        ),
        first[1],
    ]
    s1, p1 = D.write(tmp_path, "first", people, first)
    s2, p2 = D.write(tmp_path, "revised", people, revised)
    return {"contract": contract, "s1": s1, "p1": p1, "s2": s2, "p2": p2}


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _state(target: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(to_url(target))
    try:
        return D.snapshot(engine)
    finally:
        engine.dispose()


def test_the_month_by_month_flow(tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]):
    f = _files(tmp_path)
    L = ("--ledger", target)
    assert _run(capsys, "ledger", "init", target)[0] == 0
    code, out, _ = _run(capsys, "ledger", "contract", "add", f["contract"], *L)
    assert code == 0 and "added contract version 1 of ledger-test" in out
    code, out, _ = _run(
        capsys,
        "ledger",
        "ingest",
        f["s1"],
        "--participants",
        f["p1"],
        "--extract-date",
        "2024-03-31",
        "--source",
        "dream",
        *L,
    )
    assert code == 0 and "ingested delivery 1" in out and "2 participants, 2 spells" in out
    code, out, _ = _run(
        capsys,
        "ledger",
        "ingest",
        f["s1"],
        "--participants",
        f["p1"],
        "--extract-date",
        "2024-03-31",
        "--source",
        "dream",
        *L,
    )
    assert code == 0 and "already in the ledger: delivery 1" in out
    code, out, _ = _run(capsys, "ledger", "run", "--as-of", "2024-04-01", *L)
    # A: January and February, B: January -> 3,000 DKK due.
    assert code == 0 and "run 1 as of 2024-04-01" in out and "due DKK 3,000.00" in out
    code, out, _ = _run(capsys, "ledger", "invoice", *L)
    assert (
        code == 0 and "invoice 1 (issued, issued 2024-04-01)" in out and "total DKK 3,000.00" in out
    )
    assert _run(capsys, "ledger", "invoice", *L)[0] == 5  # nothing to invoice
    _run(
        capsys,
        "ledger",
        "ingest",
        f["s2"],
        "--participants",
        f["p2"],
        "--extract-date",
        "2024-03-31",
        "--source",
        "dream",
        *L,
    )
    _run(capsys, "ledger", "run", "--as-of", "2024-04-01", *L)
    code, out, _ = _run(capsys, "ledger", "invoice", "--issued-on", "2024-04-05", *L)
    # February of A: 1000 * 14/29 = 482.76 instead of 1,000.00.
    assert code == 0 and "total DKK -517.24 (adjustments DKK -517.24)" in out
    code, out, _ = _run(capsys, "ledger", "pay", "1", "--paid-on", "2024-04-30", *L)
    assert code == 0 and "paid 2024-04-30" in out

    code, out, _ = _run(capsys, "ledger", "show", *L)
    assert code == 0 and "open (due by the latest run, not on an issued invoice): DKK 0.00" in out
    assert "2024-04-01..2024-04-30" not in out and "paid" in out
    code, out, _ = _run(capsys, "ledger", "show", "--invoice", "2", *L)
    assert code == 0 and "adjustment" in out and "-517.24" in out and "1/" in out
    assert "A: spells row removed: status=employed, start=2024-01-01, end=2024-03-01" in out
    code, out, _ = _run(capsys, "ledger", "show", "--invoice", "2", "--format", "json", *L)
    doc = json.loads(out)
    assert doc["invoice"]["number"] == 2 and doc["lines"][0]["amount"] == -51724
    code, out, _ = _run(capsys, "ledger", "show", "--run", "2", *L)
    assert code == 0 and "due DKK 2,482.76" in out
    code, out, _ = _run(capsys, "ledger", "diff", "1", "2", *L)
    assert code == 0 and "1 lines changed, total DKK -517.24" in out
    assert (
        "A: 1 line(s), -517.24" in out
        and "because spells row added: status=sickness_benefit" in out
    )
    code, out, _ = _run(capsys, "ledger", "diff", "1", "2", "--format", "json", *L)
    assert json.loads(out)["lines"][0]["change"] == -51724
    code, out, _ = _run(capsys, "ledger", "history", *L)
    actions = [line.split()[3] for line in out.splitlines()[1:]]
    assert actions == [
        "init",
        "contract",
        "ingest",
        "run",
        "draft",
        "issue",
        "ingest",
        "run",
        "draft",
        "issue",
        "pay",
    ]
    code, out, _ = _run(capsys, "ledger", "history", "--format", "json", *L)
    assert [e["action"] for e in json.loads(out)][-1] == "pay"
    code, out, _ = _run(capsys, "ledger", "verify", *L)
    assert code == 0 and "run 1: ok" in out and "run 2: ok" in out and "verified 2 runs" in out
    report = tmp_path / "summary.json"
    assert _run(capsys, "ledger", "show", "--format", "json", "--output", report, *L)[0] == 0
    assert json.loads(report.read_text(encoding="utf-8"))["runs"] == 2


def test_every_bad_command_is_an_error_message_an_exit_status_and_no_change(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
):
    f = _files(tmp_path)
    L = ("--ledger", target)
    _run(capsys, "ledger", "init", target)
    _run(capsys, "ledger", "contract", "add", f["contract"], *L)
    _run(
        capsys,
        "ledger",
        "ingest",
        f["s1"],
        "--participants",
        f["p1"],
        "--extract-date",
        "2024-03-31",
        "--source",
        "x",
        *L,
    )
    _run(capsys, "ledger", "run", "--as-of", "2024-04-01", *L)
    _run(capsys, "ledger", "invoice", "--draft", *L)
    before = _state(target)
    bad_contract = tmp_path / "bad.toml"
    bad_contract.write_text('id = "x"\n', encoding="utf-8")
    cpr = tmp_path / "cpr.csv"
    cpr.write_text(
        "participant_id,cohort,enrolled,status,start,end\n0101901234,unemployed,2024-01-01,employed,2024-01-01,\n",
        encoding="utf-8",
    )
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("this,is\nnot,a register\n", encoding="utf-8")
    cases = [
        (3, ["ledger", "contract", "add", bad_contract, *L]),
        (5, ["ledger", "contract", "add", D.NYBORG.contract, *L]),  # another contract
        (3, ["ledger", "contract", "add", tmp_path / "missing.toml", *L]),
        (4, ["ledger", "ingest", cpr, "--extract-date", "2024-03-31", "--source", "x", *L]),
        (4, ["ledger", "ingest", garbage, "--extract-date", "2024-03-31", "--source", "x", *L]),
        (
            4,
            [
                "ledger",
                "ingest",
                tmp_path / "missing.csv",
                "--extract-date",
                "2024-03-31",
                "--source",
                "x",
                *L,
            ],
        ),
        (5, ["ledger", "run", "--as-of", "2024-04-01", "--delivery", "9", *L]),
        (
            4,
            [
                "ledger",
                "run",
                "--as-of",
                "2023-06-01",
                "--contract-version",
                "1",
                "--delivery",
                "1",
                *L,
            ],
        ),
        (5, ["ledger", "run", "--as-of", "2024-03-30", *L]),  # no delivery extracted by then
        (5, ["ledger", "issue", "7", *L]),
        (5, ["ledger", "pay", "1", "--paid-on", "2024-05-01", *L]),  # no invoice 1 yet: a draft
        (5, ["ledger", "discard", "9", *L]),
        (5, ["ledger", "show", "--invoice", "4", *L]),
        (5, ["ledger", "show", "--run", "4", *L]),
        (5, ["ledger", "diff", "1", "3", *L]),
        (5, ["ledger", "init", target]),
        (
            4,
            ["ledger", "show", "--output", target, *L]
            if "://" not in target
            else ["ledger", "ingest", garbage, "--extract-date", "2024-03-31", "--source", "x", *L],
        ),
    ]
    for expected, argv in cases:
        code, out, err = _run(capsys, *argv)
        assert code == expected, (argv, code, err)
        assert err.startswith("error: ") and "Traceback" not in err, err
        assert "0101901234" not in err + out
        assert _state(target) == before, argv
    # A mistyped date or number is argparse's usage error.
    assert main(["ledger", "run", "--as-of", "1 April", "--ledger", target]) == 2
    assert _state(target) == before
    # Opening a ledger that is not there.
    code, _, err = _run(capsys, "ledger", "show", "--ledger", tmp_path / "nowhere.sqlite")
    assert code == 5 and "impactbond ledger init" in err


def test_the_default_ledger_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    f = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    for args in (["init"], ["contract", "add", f["contract"]], ["show"]):
        assert _run(capsys, "ledger", *args)[0] == 0
    assert (tmp_path / "impactbond-ledger.sqlite").is_file()
    with Ledger.open(tmp_path / "impactbond-ledger.sqlite") as ledger:
        assert [v.contract_id for v in ledger.contract_versions()] == ["ledger-test"]
    # The installed command knows the subcommands.
    done = subprocess.run(
        [sys.executable, "-m", "impactbond.cli", "ledger", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for name in (
        "init",
        "contract",
        "ingest",
        "run",
        "invoice",
        "show",
        "history",
        "diff",
        "verify",
    ):
        assert name in done.stdout


def test_a_danish_export_is_the_same_delivery_as_its_plain_csv(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
):
    # The same two rows written twice: as plain CSV, and as Danish Excel writes it
    # (cp1252, ';', dd-mm-yyyy, decimal comma, CRLF).  The ledger keeps the canonical
    # tables, so the second ingest is a no-op, and without the reading options the
    # Danish file is an error naming the byte and changes nothing.
    contract = tmp_path / "contract.toml"
    contract.write_text(D.small_contract(), encoding="utf-8")
    plain_spells = tmp_path / "spells.csv"
    plain_spells.write_text(
        "participant_id,status,start,end,hours,employer\n"
        "A,employed,2024-01-01,2024-03-01,37.5,Tømrer Ø ApS\n",
        encoding="utf-8",
    )
    plain_people = tmp_path / "people.csv"
    plain_people.write_text(
        "participant_id,cohort,enrolled\nA,unemployed,2024-01-01\n", encoding="utf-8"
    )
    danish_spells = tmp_path / "forloeb.csv"
    danish_spells.write_bytes(
        (
            "participant_id;status;start;end;hours;employer\r\n"
            "A;employed;01-01-2024;01-03-2024;37,5;Tømrer Ø ApS\r\n"
        ).encode("cp1252")
    )
    danish_people = tmp_path / "borgere.csv"
    danish_people.write_bytes(
        "participant_id;cohort;enrolled\r\nA;unemployed;01-01-2024\r\n".encode("cp1252")
    )
    L = ("--ledger", target)
    assert _run(capsys, "ledger", "init", target)[0] == 0
    assert _run(capsys, "ledger", "contract", "add", contract, *L)[0] == 0
    when = ("--extract-date", "2024-03-31", "--source", "jobcenter")
    code, out, _ = _run(
        capsys, "ledger", "ingest", plain_spells, "--participants", plain_people, *when, *L
    )
    assert code == 0 and out.startswith("ingested delivery 1 ")
    before = _state(target)
    danish = ("--encoding", "cp1252", "--date-format", "dd-mm-yyyy", "--decimal", ",")
    code, out, err = _run(
        capsys, "ledger", "ingest", danish_spells, "--participants", danish_people, *when,
        *danish, *L,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("already in the ledger: delivery 1 "), out
    assert _state(target) == before
    code, _, err = _run(
        capsys, "ledger", "ingest", danish_spells, "--participants", danish_people, *when, *L
    )
    assert code == 4 and "byte " in err and "--encoding cp1252" in err, err
    assert _state(target) == before


def test_names_and_notes_with_a_cpr_number_or_a_control_character_are_refused(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
):
    f = _files(tmp_path)
    L = ("--ledger", target)
    _run(capsys, "ledger", "init", target)
    _run(capsys, "ledger", "contract", "add", f["contract"], *L)
    before = _state(target)
    ingest = ("ledger", "ingest", f["s1"], "--participants", f["p1"], "--extract-date")
    cases = [
        [*ingest, "2024-03-31", "--source", "dream 010190-1234", *L],
        [*ingest, "2024-03-31", "--source", "dream 010190/1234", *L],
        [*ingest, "2024-03-31", "--source", "dre\x1b[2Jam", *L],
        [*ingest, "2024-03-31", "--source", "two\nlines", *L],
        [*ingest, "2024-03-31", "--source", "x" * 201, *L],
        ["ledger", "contract", "add", f["contract"], "--note", "for 0101901234", *L],
        ["ledger", "contract", "add", f["contract"], "--note", "bell\x07", *L],
    ]
    for argv in cases:
        code, out, err = _run(capsys, *argv)
        assert code == 4, (argv, code, err)
        assert err.startswith("error: ") and "\x1b" not in err and "\x07" not in err, err
        assert "1234" not in err + out
        assert _state(target) == before, argv


def test_what_a_ledger_command_prints_to_a_terminal_has_its_control_characters_escaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    from argparse import Namespace

    from impactbond.cli._ledger import _guarded

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def handler(_args: Namespace) -> int:
        print("note: \x1b[2Jgone")
        return 0

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    assert _guarded(handler)(Namespace()) == 0
    assert screen.getvalue() == "note: \\x1b[2Jgone\n"
