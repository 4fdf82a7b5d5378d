"""The schedule, the report and docs pages in a real browser: they load without console
errors or network requests, show the settlement's numbers, and print every row."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import impactbond as ib
from impactbond.render import SourceFile, render_html
from impactbond.report import period_totals, settlement_report

AS_OF = date(2026, 7, 1)
DOCS = Path(__file__).resolve().parents[2] / "docs"
# A few pages of the site: the front page (a figure), the lawyers' guide (the statement,
# side-by-side clauses, links to the schedule and report), a page with formulas, the FAQ.
PAGES = ("index", "guide/nyborg-contract", "explanation/retention-and-censoring", "faq")


@pytest.fixture(scope="module")
def settlement() -> ib.Settlement:
    contract, people, trajectories = ib.examples.nyborg()
    return ib.settle(contract, people, trajectories, as_of=AS_OF)


def only_files(requested: list[str]) -> list[str]:
    """The requests that left the machine (anything but the page's own files)."""
    # chrome:// pages are the browser's own (its print preview), not the network.
    return [
        url for url in requested if not url.startswith(("file://", "data:", "about:", "chrome://"))
    ]


def squash(text: str) -> str:
    """Text without any white space: printing wraps long lines, even inside a word."""
    return "".join(text.split())


def words(pages: list[str]) -> str:
    """The printed text of all pages, squashed."""
    return squash("".join(pages))


# -- the schedule ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schedule(settlement: ib.Settlement, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schedule") / "schedule.html"
    source = SourceFile.of(ib.examples.nyborg_paths().contract)
    page = render_html(
        settlement.contract,
        language="da",
        source=source,
        settlement=settlement,
        examples=["agnes", "karina"],
    )
    path.write_text(page, encoding="utf-8")
    return path


def test_schedule_loads_cleanly(browser: Any, schedule: Path) -> None:
    errors, requested = browser.load(schedule)
    assert errors == []
    assert only_files(requested) == []
    assert browser.driver.title.startswith("Kom godt tilbage i job")


def test_schedule_shows_each_line_of_the_worked_examples(
    browser: Any, schedule: Path, settlement: ib.Settlement
) -> None:
    browser.load(schedule)
    records = settlement.to_records()
    for pid in ("agnes", "karina"):
        mine = [r for r in records if r["participant_id"] == pid]
        rows = browser.text(f"table.participant-{pid} tbody tr")
        assert len(rows) == len(mine)
        amounts = browser.text(f"table.participant-{pid} tbody td:nth-child(7)")
        assert amounts == [ib.Money(r["amount"], "DKK").format_da() for r in mine]
        total = browser.text(f"table.participant-{pid} tfoot td:nth-child(7)")
        expected = sum((ib.Money(r["amount"], "DKK") for r in mine), ib.Money.zero("DKK"))
        assert total == [expected.format_da()]


def test_schedule_prints_every_row_with_page_numbers(
    browser: Any, schedule: Path, settlement: ib.Settlement
) -> None:
    browser.load(schedule)
    pages = browser.pdf_text()
    n = len(pages)
    assert n > 3
    for i, text in enumerate(pages, 1):
        assert squash(f"Side {i} / {n}") in squash(text)
    printed = words(pages)
    records = settlement.to_records()
    for pid in ("agnes", "karina"):
        mine = [r for r in records if r["participant_id"] == pid]
        # Every line's period and amount survives printing, in order.
        position = 0
        for r in mine:
            start = r["period_start"]
            found = printed.find(squash(f"{start.day}.{start.month}.{start.year}"), position)
            assert found >= 0, (pid, r["period_start"])
            position = found
        for r in mine:
            assert squash(ib.Money(r["amount"], "DKK").format_da()) in printed
    for clause in settlement.contract.clauses:
        assert squash(f"{clause.id} {clause.title_da or clause.title}") in printed


# -- the report -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(settlement: ib.Settlement, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(settlement_report(settlement), encoding="utf-8")
    return path


def test_report_loads_cleanly_and_shows_the_settlements_numbers(
    browser: Any, report: Path, settlement: ib.Settlement
) -> None:
    errors, requested = browser.load(report)
    assert errors == []
    assert only_files(requested) == []
    for cell, money in (
        ("#total-due", settlement.total),
        ("#total-pending", settlement.pending_total),
        ("#total-accrued", settlement.accrued_total),
        ("#total-cut", settlement.capped_total),
    ):
        assert browser.text(cell) == [str(money)]
    periods = period_totals(settlement)
    earned = browser.text("table.periods tbody td:nth-child(4)")
    assert earned == [str(p.earned) for p in periods]
    assert browser.text("table.periods tfoot td:nth-child(4)") == [str(settlement.accrued_total)]
    # The figures are drawn (inline SVG with a size on the page).
    sizes = browser.driver.execute_script(
        "return [...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) == 3 and min(sizes) > 100
    # One drill-down per participant, closed on screen.
    assert len(browser.text("details")) == len(settlement.participant_ids)
    opened = browser.driver.execute_script(
        "return [...document.querySelectorAll('details')].filter(d => d.open).length"
    )
    assert opened == 0


def test_report_prints_every_period_and_every_explanation(
    browser: Any, report: Path, settlement: ib.Settlement
) -> None:
    browser.load(report)
    pages = browser.pdf_text()
    printed = words(pages)
    n = len(pages)
    assert squash(f"Page 1 of {n}") in printed and squash(f"Page {n} of {n}") in printed
    for p in period_totals(settlement):
        assert squash(str(p.earned)) in printed
    # Printing opens every drill-down: each participant's explanation is on paper.
    for pid in settlement.participant_ids:
        last_line = settlement.explain(pid).strip().splitlines()[-1]
        assert squash(last_line) in printed, pid


# -- docs pages -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few real pages of the documentation, built (and executed) with the site's own conf."""
    source = tmp_path_factory.mktemp("docs-src") / "docs"
    source.mkdir()
    for part in ("conf.py", "_static", "_ext", "_ipython"):
        item = DOCS / part
        if item.is_dir():
            shutil.copytree(item, source / part)
        else:
            shutil.copy2(item, source / part)
    for page in PAGES:
        target = source / f"{page}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(DOCS / f"{page}.md", target)
    out = source.parent / "html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-b",
            "html",
            "-D",
            "nb_execution_mode=force",
            str(source),
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_docs_pages_load_cleanly_and_offline(browser: Any, site: Path, page: str) -> None:
    errors, requested = browser.load(site / f"{page}.html")
    assert errors == []
    assert only_files(requested) == []
    body = browser.driver.find_element("tag name", "body").text
    assert "$$" not in body and "\\frac" not in body and "\\hat" not in body  # no raw LaTeX


def test_formulas_are_drawn(browser: Any, site: Path) -> None:
    browser.load(site / "explanation/retention-and-censoring.html")
    sizes = browser.driver.execute_script(
        "return [...document.querySelectorAll('math')].map(m => m.getBoundingClientRect().width)"
    )
    assert sizes and min(sizes) > 0


def test_the_guide_prints_the_whole_statement(
    browser: Any, site: Path, settlement: ib.Settlement
) -> None:
    browser.load(site / "guide/nyborg-contract.html")
    # On screen no output is cut off: every output box is as tall as its content.
    clipped = browser.driver.execute_script(
        "return [...document.querySelectorAll('.cell_output pre')]"
        ".filter(p => p.scrollHeight > p.clientHeight + 1).length"
    )
    assert clipped == 0
    printed = words(browser.pdf_text())
    for line in settlement.statement().splitlines():
        if line.strip():
            assert squash(line) in printed, line
    explanation = settlement.explain("agnes").strip().splitlines()
    assert squash(explanation[-1]) in printed


def test_the_guide_links_to_the_schedule_and_the_report(browser: Any, site: Path) -> None:
    browser.load(site / "guide/nyborg-contract.html")
    links = browser.driver.execute_script(
        "return [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))"
    )
    for name in ("nyborg-schedule-da.html", "nyborg-schedule-en.html", "nyborg-report.html"):
        assert f"../{name}" in links
        errors, requested = browser.load(site / name)
        assert errors == [] and only_files(requested) == []


# -- the pricing report ------------------------------------------------------------------------


def test_pricing_report_loads_cleanly_and_shows_its_figures(browser: Any, tmp_path: Path) -> None:
    from impactbond.examples import NYBORG_HISTORY_UNTIL, nyborg_history
    from impactbond.price_report import price_html
    from impactbond.simulate import Effect, Referrals, calibrate, history_tables, price

    contract, _, _ = ib.examples.nyborg()
    fit = calibrate(history_tables(*nyborg_history()), data_until=NYBORG_HISTORY_UNTIL)
    referrals = Referrals.over_referral_window(contract, {"sick_listed": 6, "unemployed": 4})
    result = price(
        contract,
        fit,
        as_of=date(2027, 9, 1),
        referrals=referrals,
        effect=Effect(job_entry=0.5),
        scenarios=8,
        seed=2,
    )
    path = tmp_path / "pricing.html"
    path.write_text(price_html(result, fit), encoding="utf-8")
    errors, requested = browser.load(path)
    assert errors == []
    assert only_files(requested) == []
    # The fan chart and the histograms are drawn with a size on the page.
    sizes = browser.driver.execute_script(
        "return [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) == 2 and min(sizes) > 100
    # The mean payments shown are the result's, in whole kroner with thousands separators.
    mean = float(result.payments.mean()) / result.minor_per_unit
    row = next(r for r in browser.text("tr") if r.startswith("outcome payments"))
    assert f"{mean:,.0f}" in row
