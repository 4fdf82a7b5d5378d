"""The command line at its edges: validate, statuses, export, exit codes, --output, pipes, privacy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from impactbond.cli import main
from impactbond.examples import example_path, nyborg_paths
from impactbond.status import Status

CPRS = ["010190-1234", "0201901234", "030190/1234", "040190.1234", "050190 1234"]


def _copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = nyborg_paths()
    for p in paths:
        shutil.copy(p, tmp_path / p.name)
    return (
        tmp_path / "nyborg.toml",
        tmp_path / "nyborg_spells.csv",
        tmp_path / "nyborg_participants.csv",
    )


def test_statuses_lists_every_status_with_both_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["statuses", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == [s.name.lower() for s in Status]
    assert all(r["danish"] and r["english"] for r in rows)
    assert main(["statuses"]) == 0
    out = capsys.readouterr().out
    assert "sygedagpenge" in out and "sickness benefit" in out


def test_validate_reports_contract_and_data_problems_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract, spells, people = _copy(tmp_path)
    assert main(["validate", str(contract), str(spells), "--participants", str(people)]) == 0
    assert "the register data fit the contract" in capsys.readouterr().out
    people.write_text(
        people.read_text("utf-8") + "zed,pensioners,2024-01-01,,\nyan,sick_listed,2024-13-01,,\n",
        encoding="utf-8",
    )
    spells.write_text(spells.read_text("utf-8") + "zed,working,2024-01-01,,,\n", encoding="utf-8")
    code = main(
        ["validate", str(contract), str(spells), "--participants", str(people), "--format", "json"]
    )
    assert code == 4
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False and doc["contract"] == []
    found = {(p["source"], p["row"], p["field"]) for p in doc["data"]}
    assert (str(spells), len(spells.read_text().splitlines()) - 1, "status") in found
    assert (str(people), 102, "enrolled") in found
    # once those parse, the cohort the contract does not know
    people.write_text(people.read_text("utf-8").replace("2024-13-01", "2024-02-01"), "utf-8")
    spells.write_text(spells.read_text("utf-8").replace("working", "employed"), "utf-8")
    assert main(["validate", str(contract), str(spells), "--participants", str(people)]) == 4
    out = capsys.readouterr().out
    assert "'pensioners' is not a cohort of the contract" in out
    contract.write_text(
        contract.read_text("utf-8").replace('currency = "DKK"', "currency = 3"), "utf-8"
    )
    assert main(["validate", str(contract)]) == 3
    assert "problem(s) in the contract" in capsys.readouterr().out


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract, _, _ = _copy(tmp_path)
    assert main(["settle", str(contract)]) == 2  # usage: SPELLS and --as-of missing
    assert main(["render", str(tmp_path / "missing.toml")]) == 3
    assert main(["settle", str(contract), str(tmp_path / "none.csv"), "--as-of", "2026-07-01"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_an_internal_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import impactbond.cli._statuses as statuses

    def broken(fmt: str) -> str:
        raise KeyError("010190-1234")

    monkeypatch.setattr(statuses, "statuses_text", broken)
    assert main(["statuses"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (KeyError)" in err
    assert "010190" not in err


def test_output_never_overwrites_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract, spells, people = _copy(tmp_path)
    before = contract.read_bytes()
    assert main(["render", str(contract), "-o", str(contract)]) == 2
    os.link(contract, tmp_path / "hard.toml")
    os.symlink(contract, tmp_path / "soft.toml")
    for other in (tmp_path / "hard.toml", tmp_path / "soft.toml", tmp_path / "." / "nyborg.toml"):
        assert main(["render", str(contract), "--output", str(other)]) == 2
    args = [str(contract), str(spells), "--participants", str(people), "--as-of", "2026-07-01"]
    assert main(["settle", *args, "-o", str(people)]) == 2
    assert "refusing to write over the input" in capsys.readouterr().err
    assert contract.read_bytes() == before
    assert main(["settle", *args, "--format", "json", "-o", str(tmp_path / "out.json")]) == 0
    assert json.loads((tmp_path / "out.json").read_text())["format"] == "impactbond-settlement"


def test_an_output_the_machine_refuses_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An --output where no file can be made (a directory of the kernel's, a full disk) is
    named, with exit status 2 and nothing half written; never an internal error."""
    contract = _copy(tmp_path)[0]
    assert main(["render", str(contract), "--format", "html", "--output", "/proc/x.html"]) == 2
    err = capsys.readouterr().err
    assert "--output /proc/x.html: cannot write in /proc" in err and "internal" not in err
    # A disk that fills up while the file is written: the target is left as it was.
    target = tmp_path / "schedule.md"
    target.write_text("before", encoding="utf-8")

    def full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    assert main(["render", str(contract), "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert "not written (No space left on device)" in err
    assert target.read_text(encoding="utf-8") == "before"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".impactbond-")] == []


def test_an_oserror_naming_a_file_is_not_called_a_bug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import impactbond.cli._render as render

    def refused(_: object) -> int:
        raise PermissionError(13, "Permission denied", "/srv/out/schedule.html")

    monkeypatch.setattr(render, "_cmd_render", refused)
    args = ["render", str(nyborg_paths().contract)]
    assert main(args) == 2
    assert "error: /srv/out/schedule.html: Permission denied" in capsys.readouterr().err


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impactbond.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_closed_pipe_ends_quietly() -> None:
    shell = f"{sys.executable} -m impactbond.cli example nyborg --format csv | head -n 2"
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""


def test_control_characters_are_escaped_on_a_terminal(tmp_path: Path) -> None:
    import pty

    contract = tmp_path / "c.toml"
    text = example_path("nyborg.toml").read_text("utf-8")
    contract.write_text(text.replace('title = "Kom', 'title = "\\u001b[2JKom'), "utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child runs the command with a terminal as standard output
        os.execv(sys.executable, [sys.executable, "-m", "impactbond.cli", "render", str(contract)])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    assert b"\x1b[2J" not in out and b"\\x1b[2J" in out
    piped = _run("render", str(contract))
    assert "\x1b[2J" in piped.stdout  # a file gets the text as it is


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from impactbond.cli._common import PROGRESS_FROM, Stages

    class Tty:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, s: str) -> int:
            self.text += s
            return len(s)

        def flush(self) -> None:
            pass

    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    for quiet, participants, drawn in (
        (False, PROGRESS_FROM, True),
        (True, PROGRESS_FROM, False),
        (False, PROGRESS_FROM - 1, False),
    ):
        tty.text = ""
        bar = Stages(argparse.Namespace(quiet=quiet), ["a", "b"])
        bar.start(participants)
        bar.step("a")
        bar.close()
        assert ("participants" in tty.text) is drawn
    monkeypatch.undo()
    bar = Stages(argparse.Namespace(quiet=False), ["a"])  # stderr is not a terminal here
    bar.start(10**6)
    assert bar._bar is None


def test_progress_bar_from_the_start_of_reading_large_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import argparse
    import io

    from impactbond.cli._common import PROGRESS_FROM_BYTES, Stages

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    big.write_bytes(b"x" * PROGRESS_FROM_BYTES)
    small.write_bytes(b"x" * (PROGRESS_FROM_BYTES - 1))
    for quiet, files, drawn in (
        (False, [big, None], True),
        (True, [big, None], False),
        (False, [small, None], False),
        (False, [small, tmp_path / "missing.csv"], False),
    ):
        tty = Tty()
        monkeypatch.setattr(sys, "stderr", tty)
        bar = Stages(argparse.Namespace(quiet=quiet), ["register", "settle"])
        bar.reading(files)
        assert ("reading 0.2 MB" in tty.getvalue()) is drawn, (quiet, files)
        assert (bar._bar is not None) is drawn
        bar.start(5000)  # after reading: the same bar names the participants
        bar.step("settle")
        if drawn:
            assert "5,000 participants" in tty.getvalue()
        bar.close()


def test_no_cpr_number_in_any_output_of_any_command(tmp_path: Path) -> None:
    """Put CPR numbers in every identifier column and scan everything every command prints."""
    contract, spells, people = _copy(tmp_path)
    lines = spells.read_text("utf-8").splitlines()
    lines.append(f"{CPRS[0]},employed,2024-01-01,,,")
    lines.append(f"agnes,employed,2026-06-01,,,{CPRS[1]}")
    spells.write_text("\n".join(lines) + "\n", encoding="utf-8")
    people.write_text(
        people.read_text("utf-8") + f"{CPRS[2]},sick_listed,2024-01-01,,\n", encoding="utf-8"
    )
    events = tmp_path / "events.csv"
    events.write_text(
        f"participant_id,event,date\n{CPRS[3]},x,2024-01-01\nagnes,{CPRS[4]},2024-01-01\n"
    )
    dream = tmp_path / "dream.csv"
    dream.write_text(f"participant_id,y_2401\n{CPRS[0]},890\nP-1,{CPRS[1]}\n")
    codes = tmp_path / "codes.csv"
    codes.write_text("code,status,priority,source,version\n890,sickness_benefit,80,list,1\n")
    base = [str(contract), str(spells), "--participants", str(people), "--events", str(events)]
    commands = [
        ["validate", *base],
        ["validate", *base, "--format", "json"],
        ["settle", *base, "--as-of", "2026-07-01"],
        ["settle", *base, "--as-of", "2026-07-01", "--format", "json"],
        ["settle", *base, "--as-of", "2026-07-01", "--format", "csv"],
        ["explain", *base, "--as-of", "2026-07-01", "--participant", CPRS[0]],
        [
            "validate",
            str(contract),
            str(dream),
            "--participants",
            str(people),
            "--dream",
            "--codes",
            str(codes),
        ],
        ["explain", str(contract), str(spells), "--as-of", "2026-07-01", "--participant", "x"],
        [
            "explain",
            *[str(p) for p in nyborg_paths()[:1]],
            str(nyborg_paths().spells),
            "--participants",
            str(nyborg_paths().participants),
            "--as-of",
            "2026-07-01",
            "--participant",
            CPRS[2],
        ],
        ["statuses"],
        ["render", str(contract), "--format", "html"],
        ["export", "indigo", str(contract)],
        ["report", *base, "--as-of", "2026-07-01", "--output", str(tmp_path / "report.html")],
    ]
    ledger = ["--ledger", str(tmp_path / "ledger.sqlite")]
    assert _run("ledger", "init", *ledger).returncode == 0
    ingest = ["ledger", "ingest", str(spells), "--participants", str(people), *ledger]
    commands += [
        [*ingest, "--events", str(events), "--extract-date", "2024-12-31", "--source", "x"],
        [*ingest, "--extract-date", "2024-12-31", "--source", CPRS[3]],
        ["ledger", "contract", "add", str(contract), "--note", CPRS[4], *ledger],
    ]
    for command in commands:
        done = _run(*command)
        assert "Traceback" not in done.stderr, command
        for cpr in CPRS:
            digits = cpr.replace("-", "").replace("/", "").replace(".", "").replace(" ", "")
            for text in (done.stdout, done.stderr):
                assert cpr not in text and digits not in text, (command, cpr)
    assert _run(*commands[0]).returncode == 4
    assert not (tmp_path / "report.html").exists()  # refused: CPR numbers in the data
    assert [_run(*c).returncode for c in commands[-3:]] == [4, 4, 4]
