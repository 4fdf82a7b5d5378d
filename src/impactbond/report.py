"""The settlement report: one self-contained HTML file for the payer's board and the investor.

:func:`settlement_report` reads a :class:`~impactbond.settle.Settlement`
through its public API only and writes one HTML page with everything inline
(CSS, and the figures as SVG drawn by :mod:`impactbond.plot`): the money due,
achievement against target per cohort, retention curves with censoring,
payments by invoice period, cap cuts, exclusions with their reasons, and a
drill-down per participant (the text of ``settlement.explain``).  The page
makes no network request (its Content-Security-Policy forbids any) and
prints on A4 with page numbers and every drill-down opened.

Needs the ``plot`` extra (matplotlib) for the figures.

>>> from datetime import date
>>> import impactbond as ib
>>> contract, people, trajectories = ib.examples.nyborg()
>>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
>>> page = settlement_report(s)
>>> page.startswith("<!DOCTYPE html>"), page.count("<svg") >= 3, "http-equiv" in page
(True, True, True)
>>> f'<td class="num" id="total-due" data-value="{s.total.amount}">{s.total}</td>' in page
True
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from impactbond._version import __version__
from impactbond.domain.definitions import long_date
from impactbond.money import Money, exact_sum
from impactbond.render import SourceFile, quantity_text

if TYPE_CHECKING:
    from impactbond.settle import Settlement

__all__ = ["CapCut", "PeriodTotal", "cap_cuts", "period_totals", "settlement_report"]

ONE_DAY = timedelta(days=1)


@attrs.frozen
class CapCut:
    """What one cap cut: the lines it cut and the money cut from them."""

    cap: str
    clause: str
    lines: int
    amount: Money
    participants: int
    """Participants with a line the cap cut."""


@attrs.frozen
class PeriodTotal:
    """The money of one invoice period."""

    index: int
    first_day: date
    last_day: date
    due_on: tuple[date, ...]
    """The due dates of its lines (one, unless lines fall due on different days)."""
    earned: Money
    due: Money
    """The part due at the evaluation date."""

    @property
    def pending(self) -> Money:
        """Earned but not yet due at the evaluation date."""
        return self.earned - self.due


def cap_cuts(settlement: Settlement) -> tuple[CapCut, ...]:
    """The money each cap cut, in the contract's order of caps.

    Read from :attr:`Settlement.cuts` (one row per cap that cut a line), so a
    line cut by two caps counts under both.

    >>> from datetime import date
    >>> import impactbond as ib
    >>> contract, people, trajectories = ib.examples.nyborg()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    >>> sum((c.amount for c in cap_cuts(s)), ib.Money.zero("DKK")) == s.capped_total
    True
    """
    lines = settlement.lines
    cuts = settlement.cuts
    currency = settlement.contract.currency
    out = []
    for i, cap in enumerate(settlement.contract.caps):
        mine = cuts.cap == i
        people = {int(p) for p in lines.participant[cuts.line[mine]].tolist() if p >= 0}
        out.append(
            CapCut(
                cap.id,
                cap.clause,
                int(mine.sum()),
                Money.from_minor_units(exact_sum(cuts.amount[mine]), currency),
                len(people),
            )
        )
    return tuple(out)


def period_totals(settlement: Settlement) -> tuple[PeriodTotal, ...]:
    """Money earned and due per invoice period, from the settlement's records.

    >>> from datetime import date
    >>> import impactbond as ib
    >>> contract, people, trajectories = ib.examples.nyborg()
    >>> s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    >>> periods = period_totals(s)
    >>> sum((p.earned for p in periods), ib.Money.zero("DKK")) == s.accrued_total
    True
    """
    c = settlement.contract
    zero = Money.zero(c.currency)
    earned: dict[int, Money] = {}
    due: dict[int, Money] = {}
    due_on: dict[int, set[date]] = {}
    for r in settlement.to_records():
        k = r["invoice_period"]
        amount = Money(r["amount"], c.currency)
        earned[k] = earned.get(k, zero) + amount
        due[k] = due.get(k, zero) + (amount if r["due"] else zero)
        due_on.setdefault(k, set()).add(r["due_on"])
    out = []
    for k in sorted(earned):
        first, end = c.invoice_period_bounds(k)
        out.append(
            PeriodTotal(k, first, end - ONE_DAY, tuple(sorted(due_on[k])), earned[k], due[k])
        )
    return tuple(out)


# ---------------------------------------------------------------------------
# Figures (matplotlib, as inline SVG)
# ---------------------------------------------------------------------------


def _svg(ax: Any, title: str) -> str:
    """The figure of ``ax`` as an inline SVG element with text kept as text."""
    import matplotlib.pyplot as plt

    fig = ax.figure
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "impactbond-report"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    # A title for screen readers, and sizes that scale with the page.
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', svg, count=1)
    return svg.replace(">", f' role="img" aria-label="{html.escape(title, quote=True)}">', 1)


def _figures(settlement: Settlement) -> dict[str, str]:
    from impactbond import plot

    figures: dict[str, str] = {}
    ax = plot.cumulative_months(settlement)
    figures["achievement"] = _svg(ax, "Cumulative quantity per cohort against its target")
    if settlement.retention and any(r.job_starters for r in settlement.retention):
        try:
            ax = plot.retention_curve(settlement, censoring=True)
        except ValueError:  # nobody has a job start before as_of
            pass
        else:
            figures["retention"] = _svg(ax, "Kaplan-Meier retention curves by cohort")
    if len(settlement.lines):
        ax = plot.payments_by_period(settlement)
        figures["periods"] = _svg(ax, "Payments by invoice period, stacked by cohort")
    return figures


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
:root { --ink: #1d1d1f; --muted: #5a6270; --rule: #cbd5e0; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; max-width: 64rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: var(--ink); }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.subtitle { color: var(--muted); margin-top: 0; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border: 1px solid var(--rule); padding: .25rem .45rem; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
th { background: #edf2f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tfoot td { font-weight: bold; background: #f7fafc; }
table.key { width: auto; } table.key th { width: 22rem; }
figure { margin: .5rem 0 1.5rem; } figure svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9em; }
details { border: 1px solid var(--rule); border-radius: 4px; margin: .3rem 0; padding: .2rem .6rem; }
details summary { cursor: pointer; }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85em; margin: .4rem 0; }
.note { color: var(--muted); font-size: .9em; }
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @top-left { content: var(--page-header); font-size: 8pt; color: #5a6270; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; } figure, tr { break-inside: avoid; }
  thead { display: table-header-group; } tfoot { display: table-row-group; }
  details { border: none; padding: 0; break-inside: auto; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; font-weight: bold; margin-top: .6rem; }
  details > summary::-webkit-details-marker { display: none; }
}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _esc(text: object) -> str:
    return html.escape(str(text))


def _money_cell(m: Money, cell_id: str = "") -> str:
    ident = f' id="{cell_id}"' if cell_id else ""
    return f'<td class="num"{ident} data-value="{m.amount}">{_esc(m)}</td>'


def _num_cell(value: object, data: object | None = None) -> str:
    extra = "" if data is None else f' data-value="{_esc(data)}"'
    return f'<td class="num"{extra}>{_esc(value)}</td>'


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Iterable[int] = (),
    footer: Sequence[str] | None = None,
    css: str = "",
) -> str:
    nums = set(numeric)
    head = "".join(
        f"<th{' class=' + chr(34) + 'num' + chr(34) if i in nums else ''}>{_esc(h)}</th>"
        for i, h in enumerate(header)
    )
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    foot = "" if footer is None else "<tfoot><tr>" + "".join(footer) + "</tr></tfoot>"
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def _decimal(q: Fraction, places: int = 2) -> str:
    """A quantity for a table: exact where it is a short decimal, else rounded with ≈."""
    exact = quantity_text(q).en
    if "/" not in exact and len(exact.partition(".")[2]) <= places:
        whole, _, frac = exact.partition(".")
        return f"{int(whole):,}" + (f".{frac}" if frac else "")
    return f"≈ {float(q):,.{places}f}"


def _percent(q: Fraction | None) -> str:
    return "-" if q is None else f"{float(q) * 100:,.1f} %"


def _figure(figures: dict[str, str], key: str, caption: str) -> str:
    svg = figures.get(key)
    if svg is None:
        return ""
    return f'<figure id="figure-{key}">{svg}<figcaption>{_esc(caption)}</figcaption></figure>'


def _key_figures(s: Settlement) -> str:
    c = s.contract
    cut = sum((k.amount for k in cap_cuts(s)), Money.zero(c.currency))
    rows = [
        ("Due at the evaluation date", _money_cell(s.total, "total-due")),
        ("Earned, not yet due", _money_cell(s.pending_total, "total-pending")),
        ("Earned in all", _money_cell(s.accrued_total, "total-accrued")),
        ("Cut by caps", _money_cell(cut, "total-cut")),
        ("Participants in the data", _num_cell(f"{s.participants_in:,}", s.participants_in)),
        ("Settled", _num_cell(f"{len(s.participant_ids):,}", len(s.participant_ids))),
        ("Excluded", _num_cell(f"{len(s.exclusions):,}", len(s.exclusions))),
    ]
    body = "".join(f"<tr><th>{_esc(k)}</th>{v}</tr>" for k, v in rows)
    return f'<table class="key" id="key-figures"><tbody>{body}</tbody></table>'


def _by_cohort(s: Settlement) -> str:
    c = s.contract
    due, earned = s.by_cohort(), s.by_cohort(due_only=False)
    settled: dict[str, int] = {}
    for p in s.participants:
        settled[p.cohort] = settled.get(p.cohort, 0) + 1
    achieved = {a.cohort: a for a in s.achievements}
    rows = []
    for k in c.cohorts:
        a = achieved.get(k.label)
        rows.append(
            [
                f"<td>{_esc(k.label)}</td>",
                _num_cell(f"{settled.get(k.label, 0):,}", settled.get(k.label, 0)),
                f"<td>{_esc(a.outcome) if a else '-'}</td>",
                _num_cell(_decimal(a.quantity), a.quantity) if a else _num_cell("-"),
                _num_cell(_decimal(a.target), a.target)
                if a and a.target is not None
                else _num_cell("-"),
                _num_cell(_percent(a.ratio)) if a else _num_cell("-"),
                _money_cell(earned[k.label]),
                _money_cell(due[k.label]),
            ]
        )
    return _table(
        ["cohort", "settled", "target outcome", "achieved", "target", "of target", "earned", "due"],
        rows,
        numeric=(1, 3, 4, 5, 6, 7),
        css="cohorts",
    )


def _retention(s: Settlement) -> str:
    if not s.retention:
        return '<p class="note">The contract has no retention outcome.</p>'
    rows = [
        [
            f"<td>{_esc(r.cohort)}</td>",
            f"<td>{_esc(r.outcome)}</td>",
            _num_cell(r.horizon),
            _num_cell(f"{r.job_starters:,}", r.job_starters),
            _num_cell(f"{r.censored:,}", r.censored),
            _num_cell(f"{r.observed:,}", r.observed),
            _num_cell(f"{r.retained:,}", r.retained),
            _num_cell(_percent(r.retention_rate)),
        ]
        for r in s.retention
    ]
    return _table(
        [
            "cohort",
            "outcome",
            "horizon",
            "job starters",
            "censored",
            "observed",
            "retained",
            "retention rate",
        ],
        rows,
        numeric=range(2, 8),
        css="retention",
    )


def _periods(s: Settlement) -> str:
    periods = period_totals(s)
    zero = Money.zero(s.contract.currency)
    rows = [
        [
            f"<td>{p.index + 1}</td>",
            f"<td>{_esc(long_date(p.first_day))} – {_esc(long_date(p.last_day))}</td>",
            f"<td>{_esc(', '.join(long_date(d) for d in p.due_on))}</td>",
            _money_cell(p.earned),
            _money_cell(p.due),
            _money_cell(p.pending),
        ]
        for p in periods
    ]
    footer = [
        "<td>all</td>",
        "<td></td>",
        "<td></td>",
        _money_cell(sum((p.earned for p in periods), zero)),
        _money_cell(sum((p.due for p in periods), zero)),
        _money_cell(sum((p.pending for p in periods), zero)),
    ]
    return _table(
        ["period", "first – last day", "due on", "earned", "due", "not yet due"],
        rows,
        numeric=(3, 4, 5),
        footer=footer,
        css="periods",
    )


def _by_rule(s: Settlement) -> str:
    c = s.contract
    due, earned = s.by_rule(), s.by_rule(due_only=False)
    rows = [
        [
            f"<td>{_esc(r.id)}</td>",
            f"<td>{_esc(r.clause or '-')}</td>",
            _money_cell(earned[r.id]),
            _money_cell(due[r.id]),
        ]
        for r in c.payment_rules
    ]
    return _table(["payment rule", "clause", "earned", "due"], rows, numeric=(2, 3), css="rules")


def _caps(s: Settlement) -> str:
    cuts = cap_cuts(s)
    if not cuts:
        return '<p class="note">The contract has no caps.</p>'
    caps = {k.id: k for k in s.contract.caps}
    rows = [
        [
            f"<td>{_esc(k.cap)}</td>",
            f"<td>{_esc(k.clause or '-')}</td>",
            _money_cell(caps[k.cap].amount),
            _num_cell(f"{k.lines:,}", k.lines),
            _num_cell(f"{k.participants:,}", k.participants),
            _money_cell(k.amount),
        ]
        for k in cuts
    ]
    return _table(
        ["cap", "clause", "limit", "lines cut", "participants cut", "amount cut"],
        rows,
        numeric=(2, 3, 4, 5),
        css="caps",
    )


def _exclusions(s: Settlement) -> str:
    if not s.exclusions:
        return '<p class="note">Every participant in the data was settled.</p>'
    rows = [
        [
            f"<td>{_esc(e.participant_id)}</td>",
            f"<td>{_esc(e.cohort)}</td>",
            f"<td>{_esc(e.reason)}</td>",
            f"<td>{_esc(e.rule)}</td>",
            f"<td>{_esc(e.clause or '-')}</td>",
        ]
        for e in s.exclusions
    ]
    return _table(["participant", "cohort", "reason", "rule", "clause"], rows, css="exclusions")


def _drill_down(s: Settlement) -> str:
    currency = s.contract.currency
    zero = Money.zero(currency)
    earned: dict[str, Money] = {}
    due: dict[str, Money] = {}
    for r in s.to_records():
        pid = r["participant_id"]
        if pid is None:
            continue
        amount = Money(r["amount"], currency)
        earned[pid] = earned.get(pid, zero) + amount
        if r["due"]:
            due[pid] = due.get(pid, zero) + amount
    out = []
    for p in s.participants:
        summary = (
            f"{_esc(p.id)} — {_esc(p.cohort)} — earned {_esc(earned.get(p.id, zero))}, "
            f"due {_esc(due.get(p.id, zero))}"
        )
        anchor = html.escape(f"participant-{p.id}", quote=True)
        out.append(
            f'<details id="{anchor}"><summary>{summary}</summary>'
            f"<pre>{_esc(s.explain(p.id))}</pre></details>"
        )
    for e in s.exclusions:
        anchor = html.escape(f"participant-{e.participant_id}", quote=True)
        out.append(
            f'<details id="{anchor}" class="excluded"><summary>{_esc(e.participant_id)} — '
            f"{_esc(e.cohort)} — excluded</summary><pre>{_esc(e.reason)} "
            f"({_esc(e.rule)}{', clause ' + _esc(e.clause) if e.clause else ''})</pre></details>"
        )
    return "\n".join(out)


def _css_string(text: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in " .,:;-–—()'/" else f"\\{ord(ch):x} " for ch in text)
    return f'"{safe}"'


def settlement_report(
    settlement: Settlement,
    *,
    title: str | None = None,
    source: SourceFile | None = None,
    figures: bool = True,
) -> str:
    """The settlement as one self-contained HTML report.

    Parameters
    ----------
    settlement:
        A settlement.
    title:
        The report's title (default: the contract's title).
    source:
        The contract file, whose name and sha256 the report states.
    figures:
        Draw the figures (needs matplotlib, the ``plot`` extra).

    Returns
    -------
    str
        A complete ``<!DOCTYPE html>`` page: CSS and SVG inline, no scripts, and
        a Content-Security-Policy that forbids every network request.
    """
    s = settlement
    c = s.contract
    drawn = _figures(s) if figures else {}
    heading = title or c.title
    src = source or SourceFile.canonical(c)
    meta = [
        ("Evaluation date", long_date(s.as_of)),
        ("Outcome payer", c.parties.outcome_payer),
        ("Investor", c.parties.investor),
        ("Provider", c.parties.provider),
        ("Contract", f"{c.id}, version {c.version or '-'}"),
        ("Contract file", f"{src.name}, sha256 {src.sha256}"),
        ("Generated by", f"impactbond {__version__}"),
    ]
    meta_rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in meta)
    parts = [
        f"<h1>{_esc(heading)}</h1>",
        f'<p class="subtitle">Settlement report as of {_esc(long_date(s.as_of))}</p>',
        f'<table class="key" id="about"><tbody>{meta_rows}</tbody></table>',
        '<section id="money"><h2>The money</h2>',
        _key_figures(s),
        _by_rule(s),
        "</section>",
        '<section id="achievement"><h2>Achievement against target</h2>',
        _by_cohort(s),
        _figure(
            drawn,
            "achievement",
            "Cumulative quantity by the date it was earned; dashed: "
            "each cohort's target; dotted: the evaluation date.",
        ),
        "</section>",
        '<section id="retention"><h2>Retention</h2>',
        '<p class="note">Job starters whose horizon lies after the evaluation date are censored: '
        "neither retained nor failures. The curves show the first job spell of each starter "
        "(Kaplan-Meier, with a 95 % band; + marks a spell still running, censored).</p>",
        _retention(s),
        _figure(
            drawn,
            "retention",
            "Share of job starters still in their first job, by weeks since the job start.",
        ),
        "</section>",
        '<section id="periods"><h2>Payments by invoice period</h2>',
        _periods(s),
        _figure(
            drawn,
            "periods",
            "Money earned per invoice period, stacked by cohort; hatched: "
            "not yet due at the evaluation date.",
        ),
        "</section>",
        '<section id="caps"><h2>Cap cuts</h2>',
        _caps(s),
        "</section>",
        '<section id="exclusions"><h2>Exclusions</h2>',
        _exclusions(s),
        "</section>",
        '<section id="participants"><h2>Participants</h2>',
        '<p class="note">Each participant\'s money, line by line, from the clause to the '
        "register spells. Printing opens every entry.</p>",
        _drill_down(s),
        "</section>",
    ]
    header = f"{heading} — {long_date(s.as_of)}"
    root = f":root {{ --page-header: {_css_string(header)}; }}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(heading)}: settlement as of {s.as_of.isoformat()}</title>\n"
        f"<style>{_CSS}{root}</style>\n</head>\n<body>\n"
        + "\n".join(p for p in parts if p)
        + "\n</body>\n</html>\n"
    )
