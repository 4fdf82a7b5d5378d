"""The settlement report: one self-contained HTML file whose numbers are the settlement's."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import impactbond as ib
from impactbond import plot
from impactbond.cli import main
from impactbond.core.retention import kaplan_meier
from impactbond.examples import nyborg_paths
from impactbond.report import cap_cuts, period_totals, settlement_report

pytest.importorskip("matplotlib")

AS_OF = date(2026, 7, 1)


@pytest.fixture(scope="module")
def settlement() -> ib.Settlement:
    """The Nyborg cohort plus one citizen enrolled before the referral period (excluded)."""
    contract, people, trajectories = ib.examples.nyborg()
    early = ib.Participant("early-bird", "sick_listed", date(2023, 6, 1))
    spells = [ib.Spell("sickness_benefit", date(2023, 1, 2), date(2024, 1, 1))]
    people = [*people, early]
    trajectories = [*trajectories, ib.Trajectory("early-bird", spells)]
    return ib.settle(contract, people, trajectories, as_of=AS_OF)


@pytest.fixture(scope="module")
def page(settlement: ib.Settlement) -> str:
    return settlement_report(settlement)


def section(page: str, name: str) -> str:
    part = page[page.index(f'<section id="{name}">') :]
    return part[: part.index("</section>")]


def cell_value(page: str, cell_id: str) -> tuple[str, str]:
    m = re.search(rf'<td class="num" id="{cell_id}" data-value="([^"]*)">([^<]*)</td>', page)
    assert m is not None, cell_id
    return m.group(1), html.unescape(m.group(2))


def test_the_page_loads_nothing(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert re.search(r"\bsrc=", page) is None
    # Links only within the page (the SVG figures reuse their own markers).
    assert all(ref.startswith("#") for ref in re.findall(r'href="([^"]*)"', page))
    # The only URLs are XML namespaces of the inline SVG figures.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_key_figures_are_the_settlements(settlement: ib.Settlement, page: str) -> None:
    for cell_id, money in (
        ("total-due", settlement.total),
        ("total-pending", settlement.pending_total),
        ("total-accrued", settlement.accrued_total),
        ("total-cut", settlement.capped_total),
    ):
        value, shown = cell_value(page, cell_id)
        assert Decimal(value) == money.amount and shown == str(money)
    # Due and pending add up to what was earned (three numbers shown, one identity).
    due, pending, accrued = (
        Decimal(cell_value(page, k)[0]) for k in ("total-due", "total-pending", "total-accrued")
    )
    assert due + pending == accrued


def test_period_totals_agree_with_the_settlement(settlement: ib.Settlement, page: str) -> None:
    periods = period_totals(settlement)
    accrued = settlement.by_invoice_period()
    due = settlement.by_invoice_period(due_only=True)
    assert [f"{p.first_day}..{p.last_day}" for p in periods] == list(accrued)
    for p in periods:
        label = f"{p.first_day}..{p.last_day}"
        assert p.earned == accrued[label] and p.due == due[label]
        assert p.pending == p.earned - p.due
    table = section(page, "periods")
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :])
    assert len(rows) == len(periods) + 1  # and the total
    shown = [Decimal(v) for v in re.findall(r'data-value="([^"]*)"', rows[-1])]
    assert shown == [
        settlement.accrued_total.amount,
        settlement.total.amount,
        settlement.pending_total.amount,
    ]


def test_cap_cuts_are_the_lines_cut(settlement: ib.Settlement, page: str) -> None:
    cuts = {c.cap: c for c in cap_cuts(settlement)}
    records = settlement.to_records()
    for cap in settlement.contract.caps:
        mine = [
            r for r in records if r["cut_by"] == cap.id and r["amount_before_caps"] != r["amount"]
        ]
        cut = sum((r["amount_before_caps"] - r["amount"] for r in mine), Decimal(0))
        assert cuts[cap.id].amount.amount == cut
        assert cuts[cap.id].lines == len(mine)
        assert cuts[cap.id].participants == len({r["participant_id"] for r in mine})
        assert f"<td>{cap.id}</td>" in section(page, "caps")
    assert sum((c.amount for c in cuts.values()), ib.Money.zero("DKK")) == settlement.capped_total


def test_achievement_and_retention_tables(settlement: ib.Settlement, page: str) -> None:
    cohorts = section(page, "achievement")
    for a in settlement.achievements:
        row = cohorts[cohorts.index(f"<td>{a.cohort}</td>") :]
        row = row[: row.index("</tr>")]
        values = re.findall(r'data-value="([^"]*)"', row)
        assert values[1] == str(a.quantity) and values[2] == str(a.target)
        assert f"{float(a.ratio) * 100:,.1f} %" in row
    retention = section(page, "retention")
    rows = re.findall(r"<tr>(.*?)</tr>", retention[retention.index("<tbody>") :])
    assert len(rows) == len(settlement.retention)
    for r, row in zip(settlement.retention, rows, strict=True):
        values = [int(v) for v in re.findall(r'data-value="([^"]*)"', row)]
        assert values == [r.job_starters, r.censored, r.observed, r.retained]
        assert r.job_starters == r.censored + r.observed


def test_exclusions_with_reasons(settlement: ib.Settlement, page: str) -> None:
    assert [e.participant_id for e in settlement.exclusions] == ["early-bird"]
    table = section(page, "exclusions")
    exclusion = settlement.exclusions[0]
    assert f"<td>{html.escape(exclusion.reason)}</td>" in table
    value, _ = cell_value(page, "total-accrued")
    assert value  # the money is there too; the excluded earn nothing:
    assert all(r["participant_id"] != "early-bird" for r in settlement.to_records())
    drill = section(page, "participants")
    assert 'id="participant-early-bird" class="excluded"' in drill


def test_every_participant_has_a_drill_down_with_the_explanation(
    settlement: ib.Settlement, page: str
) -> None:
    drill = section(page, "participants")
    assert drill.count("<details") == len(settlement.participant_ids) + len(settlement.exclusions)
    for pid in ("agnes", "karina"):
        start = drill.index(f'<details id="participant-{pid}">')
        entry = drill[start : drill.index("</details>", start)]
        text = html.unescape(re.search(r"<pre>(.*)</pre>", entry, re.DOTALL).group(1))  # type: ignore[union-attr]
        assert text == settlement.explain(pid)
        earned = sum(
            (r["amount"] for r in settlement.to_records() if r["participant_id"] == pid),
            Decimal(0),
        )
        assert f"earned {ib.Money(earned, 'DKK')}" in entry


def test_figures_are_inline_svg_with_labelled_axes(page: str) -> None:
    svgs = re.findall(r'<figure id="figure-(\w+)"><svg', page)
    assert svgs == ["achievement", "retention", "periods"]
    periods = page[page.index('id="figure-periods"') :]
    periods = periods[: periods.index("</svg>")]
    assert "earned (DKK)" in periods  # a labelled axis, kept as text
    # Tick labels of money carry thousands separators (the bars reach beyond 100,000).
    assert re.search(r">\d{3},000<", periods)
    achievement = page[page.index('id="figure-achievement"') :]
    assert "evaluation date 2026-07-01" in achievement[: achievement.index("</svg>")]


def test_censoring_marks_are_drawn_where_spells_were_censored() -> None:
    # Durations 1, 2, 2, 3, 4 weeks; the second 2 and the 4 are still running (censored).
    km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    ax = plot.retention_curve(km, label="five", censoring=True)
    marks = [line for line in ax.lines if line.get_marker() == "+"]
    assert len(marks) == 1
    assert marks[0].get_xdata().tolist() == [2.0, 4.0]
    # S = 1 * 4/5 * 3/4 (at 2) = 0.6; * 1/2 (at 3) = 0.3, flat to 4.
    assert marks[0].get_ydata() == pytest.approx([0.6, 0.3])


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = nyborg_paths()
    out = tmp_path / "report.html"
    args = [
        str(paths.contract),
        str(paths.spells),
        "--participants",
        str(paths.participants),
        "--as-of",
        "2026-07-01",
    ]
    assert main(["report", *args, "--output", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Settlement report as of 1 July 2026" in page
    contract, people, trajectories = ib.examples.nyborg()
    s = ib.settle(contract, people, trajectories, as_of=AS_OF)
    assert cell_value(page, "total-due") == (str(s.total.amount), str(s.total))
    assert main(["report", *args, "--output", str(paths.spells)]) == 2
    assert "refusing to write over the input" in capsys.readouterr().err
