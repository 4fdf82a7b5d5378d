"""Settlements for spreadsheets and programs: hand-computed lines, formula injection, every participant."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

import impactbond as ib
from impactbond.io.results import (
    CSV_COLUMNS,
    neutralise,
    read_settlement_json,
    settlement_csv,
    settlement_json,
)

CONTRACT = """
id = "small"
title = "A small contract"
currency = "DKK"
term_start = 2024-01-01
term_end = 2025-01-01
referral_start = 2024-01-01
referral_end = 2024-07-01
month_rounding = "down"

[parties]
outcome_payer = "Kommune"
investor = "Investor"
provider = "Provider"

[schedule]
invoice_months = 3
verification_lag_days = 0

[[cohorts]]
label = "c"

[[outcomes]]
kind = "employment_months"
id = "months"
clause = "1"
convention = "pro_rata_days"
window = { length_months = 12, month_rounding = "down" }

[[payment_rules]]
kind = "price_per_unit"
id = "pay"
clause = "2"
outcome = "months"
price = "1000.00 DKK"

[[clauses]]
id = "1"
title = "Employment months"
text = "Months in employment, pro rata by days."

[[clauses]]
id = "2"
title = "Price"
text = "DKK 1,000.00 a month."
"""


@pytest.fixture(scope="module")
def settlement() -> ib.Settlement:
    contract = ib.loads_contract(CONTRACT)
    people = [
        ib.Participant("=HYPERLINK(1)", "c", date(2024, 1, 1)),  # two whole months employed
        ib.Participant("P-ten-days", "c", date(2024, 1, 1)),  # 10 days of a 31-day month
        ib.Participant("P-nothing", "c", date(2024, 1, 1)),  # never employed
        ib.Participant("P-late", "c", date(2024, 8, 1)),  # enrolled after the referral window
    ]
    employed = ib.Status.EMPLOYED
    trajectories = [
        ib.Trajectory("=HYPERLINK(1)", [ib.Spell(employed, date(2024, 1, 1), date(2024, 3, 1))]),
        ib.Trajectory("P-ten-days", [ib.Spell(employed, date(2024, 5, 1), date(2024, 5, 11))]),
        ib.Trajectory("P-nothing", []),
        ib.Trajectory("P-late", []),
    ]
    return ib.settle(contract, people, trajectories, as_of=date(2025, 1, 1))


def _csv(s: ib.Settlement, **kwargs: str) -> list[dict[str, str]]:
    text = settlement_csv(s, **kwargs)
    return list(csv.DictReader(io.StringIO(text), delimiter=kwargs.get("separator", ",")))


def test_csv_rows_carry_the_line_number_that_cuts_and_explanations_use(
    settlement: ib.Settlement,
) -> None:
    rows = _csv(settlement)
    assert [r["line"] for r in rows] == [str(i) for i in range(len(settlement.lines))]
    # The rows whose line the cuts table names are exactly the rows with a cap in cut_by.
    cut = {str(i) for i in settlement.cuts.line.tolist()}
    assert {r["line"] for r in rows if r["cut_by"]} == cut
    # Each row's amount is that line's amount (minor units / 100 in DKK).
    for r in rows:
        assert Decimal(r["amount"]) * 100 == int(settlement.lines.amount[int(r["line"])])


def test_csv_lines_by_hand(settlement: ib.Settlement) -> None:
    rows = _csv(settlement)
    assert list(rows[0]) == list(CSV_COLUMNS)
    hyper = [r for r in rows if r["participant_id"] == "'=HYPERLINK(1)"]
    assert [(r["period_first_day"], r["period_last_day"]) for r in hyper] == [
        ("2024-01-01", "2024-01-31"),
        ("2024-02-01", "2024-02-29"),
    ]
    assert [r["quantity"] for r in hyper] == ["1", "1"]
    assert [r["amount"] for r in hyper] == ["1000.00", "1000.00"]
    assert all(r["invoice_period_first_day"] == "2024-01-01" for r in hyper)
    assert all(r["invoice_period_last_day"] == "2024-03-31" for r in hyper)
    assert all(r["due"] == "true" and r["quantity_exact"] == "true" for r in hyper)
    (ten,) = [r for r in rows if r["participant_id"] == "P-ten-days"]
    # 10 of 31 days: no exact decimal; 1000 x 10/31 = 322.5806... -> 322.58
    assert (ten["quantity_exact"], ten["quantity_fraction"]) == ("false", "10/31")
    assert ten["quantity"] == "0.3225806452"
    assert ten["amount"] == "322.58"
    assert (ten["invoice_period_first_day"], ten["invoice_period_last_day"]) == (
        "2024-04-01",
        "2024-06-30",
    )


def test_danish_csv(settlement: ib.Settlement) -> None:
    rows = _csv(settlement, separator=";", decimal=",")
    (ten,) = [r for r in rows if r["participant_id"] == "P-ten-days"]
    assert ten["amount"] == "322,58" and ten["quantity"] == "0,3225806452"
    with pytest.raises(ValueError):
        settlement_csv(settlement, separator=",", decimal=",")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised(start: str) -> None:
    assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("P" + start) == "P" + start


def test_json_lists_every_participant_exclusions_and_totals(
    settlement: ib.Settlement, tmp_path: object
) -> None:
    doc = json.loads(settlement_json(settlement))
    per = {p["participant_id"]: p for p in doc["participants"]}
    assert set(per) == {"=HYPERLINK(1)", "P-ten-days", "P-nothing"}
    assert per["P-nothing"]["due"] == "0.00" and per["P-nothing"]["lines"] == 0
    assert per["=HYPERLINK(1)"]["due"] == "2000.00"
    assert per["P-ten-days"]["accrued"] == "322.58"
    assert [e["participant_id"] for e in doc["excluded"]] == ["P-late"]
    assert doc["totals"]["due"] == "2322.58"  # 1000 + 1000 + 322.58
    assert doc["participants_in"] == 4
    assert [p["first_day"] for p in doc["by_invoice_period"]] == ["2024-01-01", "2024-04-01"]
    line = next(x for x in doc["lines"] if x["participant_id"] == "P-ten-days")
    assert line["quantity_fraction"] == "10/31" and line["due"] is True


def test_read_back_and_refuse_what_is_not_a_settlement(
    settlement: ib.Settlement, tmp_path: pytest.TempPathFactory
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "s.json"
    path.write_text(settlement_json(settlement), encoding="utf-8")
    doc = read_settlement_json(path)
    assert sum(line["amount"] for line in doc["lines"]) == Decimal("2322.58")
    path.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ib.errors.InvalidFile, match="not a settlement"):
        read_settlement_json(path)
    path.write_text("[" * 100000, encoding="utf-8")
    with pytest.raises(ib.errors.InvalidFile, match="not a JSON document"):
        read_settlement_json(path)
