"""``impactbond price`` on the embedded Nyborg contract and its register history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from impactbond.cli import main
from impactbond.examples import example_path

CONTRACT = example_path("nyborg.toml")
SPELLS = example_path("nyborg_history_spells.csv")
PEOPLE = example_path("nyborg_history_participants.csv")
BASE = [
    "price",
    str(CONTRACT),
    "--history",
    str(SPELLS),
    "--history-participants",
    str(PEOPLE),
    "--referrals",
    "sick_listed=6",
    "unemployed=4",
    "--scenarios",
    "6",
    "--seed",
    "5",
    "--quiet",
]


def test_json_report(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = [
        *BASE,
        "--effect",
        "0.5,0.25",
        "--weekly-benefit",
        "sickness_benefit=4500",
        "--investment",
        "2023-10-01=300000",
        "--output",
        str(out),
    ]
    assert main(args) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["scenarios"] == 6 and doc["seed"] == 5
    assert doc["effect"] == {"job_entry": 0.5, "job_stay": 0.25}
    assert doc["referrals"]["counts"] == {"sick_listed": 6, "unemployed": 4}
    assert doc["calibration"]["people"] == {"sick_listed": 600, "unemployed": 400}
    names = {m["name"] for m in doc["summary"]["measures"]}
    assert {"payments", "savings", "net_cost", "investor_irr"} <= names
    assert "investor_loss" in doc["summary"]["probabilities"]
    # The investor's dated flows: the funding of DKK 300,000 on 2023-10-01 in every scenario.
    assert doc["mean_investor_flows"][0] == ["2023-10-01", -300000.0]
    # The same seed gives the same report.
    again = tmp_path / "again.json"
    assert main([*args[:-1], str(again)]) == 0
    assert json.loads(again.read_text(encoding="utf-8"))["summary"] == doc["summary"]


def test_html_report_has_the_figures(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main([*BASE, "--effect", "0.3", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 2
    assert "price per additional employment month" in text
    # Nothing is loaded from anywhere: a policy that forbids it, no src= or stylesheet link.
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"" in text
    assert " src=" not in text and "<link" not in text and "<script" not in text


def test_text_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--effect", "0.3,0.1"]) == 0
    out = capsys.readouterr().out
    assert "outcome payments (DKK)" in out and "job entry +30%" in out


def test_errors_exit_with_their_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Input the library refuses (a cohort the contract lacks, a bad history file): 4;
    # a command line that does not fit together: 2.
    assert main([*BASE[:8], "--referrals", "nobody=3", "--quiet"]) == 4
    assert "nobody" in capsys.readouterr().err
    assert main([*BASE, "--output", str(tmp_path / "report.txt")]) == 2
    assert ".html or .json" in capsys.readouterr().err
    assert main([*BASE, "--effect", "lots"]) == 2
    bad = tmp_path / "spells.csv"
    bad.write_text("participant_id,status,start,end\nH-0001,flying,2020-01-01,\n", encoding="utf-8")
    assert (
        main(
            [
                "price",
                str(CONTRACT),
                "--history",
                str(bad),
                "--history-participants",
                str(PEOPLE),
                "--referrals",
                "sick_listed=2",
                "--quiet",
            ]
        )
        == 4
    )
    assert "flying" in capsys.readouterr().err


def test_refuses_to_write_over_an_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # An --output that is the history file itself.
    history = tmp_path / "history.json"
    history.write_bytes(SPELLS.read_bytes())
    assert (
        main(
            [
                "price",
                str(CONTRACT),
                "--history",
                str(history),
                "--history-participants",
                str(PEOPLE),
                "--referrals",
                "sick_listed=2",
                "--quiet",
                "--output",
                str(history),
            ]
        )
        == 2
    )
    assert "refusing to write over it" in capsys.readouterr().err


def test_history_in_a_danish_spreadsheet_dialect_prices_the_same(tmp_path: Path) -> None:
    # The history read as semicolon-separated cp1252 with dd-mm-yyyy dates is the same
    # history, so the same seed gives the same summary as from the shipped UTF-8 CSV.
    def danish(path: Path) -> Path:
        out = tmp_path / path.name
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [
                f"{c[8:10]}-{c[5:7]}-{c[0:4]}" if len(c) == 10 and c[4] == "-" else c
                for c in line.split(",")
            ]
            rows.append(";".join(cells))
        out.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
        return out

    plain, dk = tmp_path / "plain.json", tmp_path / "dk.json"
    assert main([*BASE, "--output", str(plain)]) == 0
    args = [
        "price",
        str(CONTRACT),
        "--history",
        str(danish(SPELLS)),
        "--history-participants",
        str(danish(PEOPLE)),
        *BASE[6:],
        "--encoding",
        "cp1252",
        "--date-format",
        "dd-mm-yyyy",
        "--output",
        str(dk),
    ]
    assert main(args) == 0
    a = json.loads(plain.read_text(encoding="utf-8"))
    b = json.loads(dk.read_text(encoding="utf-8"))
    assert b["calibration"] == a["calibration"] and b["summary"] == a["summary"]


def test_history_as_a_dream_extract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 40 unemployed citizens followed from Monday 2024-01-01 (ISO week 2024-W01): on
    # unemployment benefit (code 111) for 4 weeks, then no code (self-supported) for 4.
    people = tmp_path / "people.csv"
    people.write_text(
        "participant_id,cohort,enrolled\n"
        + "".join(f"D-{i:02d},unemployed,2024-01-01\n" for i in range(40)),
        encoding="utf-8",
    )
    weeks = [f"y_24{w:02d}" for w in range(1, 9)]
    extract = tmp_path / "dream.csv"
    extract.write_text(
        "participant_id,"
        + ",".join(weeks)
        + "\n"
        + "".join(f"D-{i:02d},111,111,111,111,,,,\n" for i in range(40)),
        encoding="utf-8",
    )
    out = tmp_path / "dream.json"
    args = [
        "price",
        str(CONTRACT),
        "--history",
        str(extract),
        "--history-participants",
        str(people),
        "--dream",
        "--codes",
        str(example_path("dream_codes_EXAMPLE.csv")),
        "--history-until",
        "2024-02-25",
        "--referrals",
        "unemployed=4",
        "--scenarios",
        "3",
        "--quiet",
        "--output",
        str(out),
    ]
    assert main(args) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["calibration"]["people"] == {"unemployed": 40}
    # Weeks 0..7 are observed (2024-01-01 + 7 x 7 days = 2024-02-19 <= 2024-02-25 < 02-26):
    # 7 moves each, all in band 0-12; the bands from week 13 on have nobody, so 3 are thin.
    assert doc["calibration"]["people_in_band"] == {"unemployed": [40, 0, 0, 0]}
    err = capsys.readouterr().err
    assert "dream_codes_EXAMPLE.csv is an EXAMPLE" in err
    assert "3 bands rest on fewer than 30 citizens" in err


def test_a_cohort_too_large_to_simulate_is_an_input_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*BASE[:8], "--referrals", "sick_listed=99999999999", "--quiet"]) == 4
    assert "at most 10,000,000" in capsys.readouterr().err


def test_break_even_effects_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "even.json"
    args = [
        *BASE,
        "--effect",
        "0.5,0.25",
        "--investment",
        "2023-10-01=300000",
        "--break-even",
        "investor",
        "--output",
        str(out),
    ]
    assert main(args) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    (even,) = doc["break_even"]
    assert even["party"] == "investor"
    # The bisection's last bracket holds the factor: a mean net cash flow below zero at a
    # smaller factor and at or above zero at a larger one, less than 0.01 apart.
    below = max(f for f, v in even["evaluations"] if v < 0 and f <= even["factor"])
    above = min(f for f, v in even["evaluations"] if v >= 0 and f >= even["factor"])
    assert above - below <= 0.01
    assert even["effect"] == pytest.approx(
        {"job_entry": 0.5 * even["factor"], "job_stay": 0.25 * even["factor"]}
    )


def test_text_lists_mean_payments_by_invoice_period(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--effect", "0.5"]) == 0
    out = capsys.readouterr().out
    head, _, periods = out.partition("mean payments by invoice period (DKK; with no effect):\n")
    rows = [line.split() for line in periods.splitlines() if line.startswith("  ")]
    assert rows and all(".." in r[0] for r in rows)
    # The periods' means add up to the mean of the payments (rounded to whole kroner each).
    listed = sum(float(r[1].replace(",", "")) for r in rows)
    mean = float(head.split("outcome payments (DKK)")[1].split()[0].replace(",", ""))
    assert abs(listed - mean) <= len(rows)


def test_break_even_needs_what_it_balances(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--break-even", "investor"]) == 2
    assert "non-zero --effect" in capsys.readouterr().err
    assert main([*BASE, "--effect", "0.3", "--break-even", "payer"]) == 2
    assert "--weekly-benefit" in capsys.readouterr().err
    assert main([*BASE, "--effect", "0.3", "--break-even", "investor"]) == 2
    assert "--investment" in capsys.readouterr().err


def test_the_report_in_danish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--language da`: the municipality's council reads the report in Danish, with Danish
    number formats; the figures are the same numbers as in the English report."""
    args = [*BASE, "--effect", "0.3,0.1", "--investment", "2023-10-01=300000"]
    args += ["--break-even", "investor"]
    assert main([*args, "--language", "da"]) == 0
    danish = capsys.readouterr().out
    assert main(args) == 0
    english = capsys.readouterr().out
    assert "resultatbetalinger (DKK)" in danish and "jobstart +30 %" in danish
    assert "pris pr. ekstra beskæftigelsesmåned (DKK)" in danish
    assert "nulpunktseffekt for investoren" in danish
    assert "outcome payments" not in danish and "job entry" not in danish
    # The same numbers: the English line of the mean payments, its digits in Danish form.
    line = next(x for x in english.splitlines() if x.startswith("outcome payments (DKK)"))
    numbers = line.removeprefix("outcome payments (DKK)").split()
    row = next(x for x in danish.splitlines() if x.startswith("resultatbetalinger (DKK)"))
    swap = str.maketrans(",.", ".,")
    assert row.removeprefix("resultatbetalinger (DKK)").split() == [
        n.translate(swap) for n in numbers
    ]
    page = tmp_path / "rapport.html"
    assert main([*args, "--language", "da", "--output", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert '<html lang="da">' in text and "Giver en social effektinvestering mening?" in text
    assert "Antagelser" in text and "Assumptions" not in text


def test_an_unknown_report_language_is_refused() -> None:
    from impactbond.errors import InvalidInput
    from impactbond.price_report import price_text

    with pytest.raises(InvalidInput, match="en or da"):
        price_text(None, language="de")  # type: ignore[arg-type]
