"""The Monte Carlo's report: text for the terminal, JSON for machines, HTML with figures.

>>> from impactbond.price_report import format_number
>>> format_number(1234567.891), format_number(0.0512, percent=True)
('1,234,568', '5.1 %')
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from impactbond.simulate.calibrate import Fit
from impactbond.simulate.montecarlo import BreakEven
from impactbond.simulate.summaries import QUANTILES, PriceResult

__all__ = ["format_number", "price_html", "price_json", "price_text"]

_ONE_DAY = timedelta(days=1)

_LABELS = {
    "payments": "outcome payments",
    "counterfactual_payments": "payments with no effect",
    "months": "employment months",
    "additional_months": "additional employment months",
    "savings": "benefit savings (net of refusion)",
    "net_cost": "payer's net cost",
    "investor_net": "investor's net cash flow",
    "investor_irr": "investor's IRR (XIRR)",
    "investor_multiple": "investor's money multiple",
    "provider_income": "provider's income",
}


def format_number(value: float, *, percent: bool = False) -> str:
    """A number for people: thousands separated, percentages with one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if percent:
        return f"{value * 100:.1f} %"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _label(name: str) -> str:
    if name.startswith("achieved_"):
        return f"achieved, {name.removeprefix('achieved_')}"
    return _LABELS.get(name, name)


def _assumptions(result: PriceResult) -> list[tuple[str, str]]:
    e = result.effect
    r = result.referrals
    return [
        ("contract", result.contract_id),
        ("as of", result.as_of.isoformat()),
        ("scenarios", f"{result.scenarios} (seed {result.seed}, blocks of {result.block_size})"),
        (
            "effect",
            f"job entry {e.job_entry:+.0%}, job duration {e.job_stay:+.0%} "
            "(relative to the counterfactual)",
        ),
        (
            "referrals",
            ", ".join(f"{c} {n}" for c, n in r.counts)
            + f" over {r.weeks} weeks from {r.start.isoformat()}",
        ),
        ("weeks simulated per citizen", str(result.weeks)),
        ("parameter uncertainty", "drawn from the fit" if result.parameter_uncertainty else "off"),
        ("excluded by the settlement", str(int(result.excluded.sum()))),
    ]


def _rows(result: PriceResult) -> list[list[str]]:
    s = result.summary()
    rows = []
    for m in s.measures:
        pct = m.name == "investor_irr"
        unit = "" if m.unit in ("units", "x", "per year", "months") else f" ({m.unit})"
        rows.append(
            [
                _label(m.name) + unit,
                format_number(m.mean, percent=pct),
                format_number(m.se, percent=pct),
                *(format_number(q, percent=pct) for q in m.quantiles),
            ]
        )
    return rows


def _probabilities(result: PriceResult) -> list[tuple[str, str]]:
    s = result.summary()
    names = {"investor_loss": "investor loses money", "payer_saves": "payer saves money"}
    out = []
    for key, (p, se) in s.probabilities.items():
        label = names.get(key, key.replace("reach_target_", "target reached, "))
        out.append((label, f"{format_number(p, percent=True)} ± {format_number(se, percent=True)}"))
    out.append(
        (
            f"price per additional employment month ({result.currency})",
            f"{format_number(s.price_per_additional_month)} ± "
            f"{format_number(s.price_per_additional_month_se)}",
        )
    )
    return out


def _break_even_rows(result: PriceResult, break_even: Sequence[BreakEven]) -> list[tuple[str, str]]:
    """``(party, what breaks them even)`` of each break-even search."""
    rows = []
    for be in break_even:
        if be.factor is None or be.effect is None:
            top = max(f for f, _ in be.evaluations)
            text = f"not reached up to {format_number(top)} x the planned effect"
        else:
            e = be.effect
            text = (
                f"{format_number(be.factor)} x the planned effect (job entry "
                f"{e.job_entry:+.0%}, job duration {e.job_stay:+.0%})"
            )
        rows.append((f"break-even effect of the {be.party}", text))
    return rows


def _break_even_dict(break_even: Sequence[BreakEven]) -> list[dict[str, Any]]:
    return [
        {
            "party": be.party,
            "factor": be.factor,
            "effect": None
            if be.effect is None
            else {"job_entry": be.effect.job_entry, "job_stay": be.effect.job_stay},
            "evaluations": [list(fv) for fv in be.evaluations],
        }
        for be in break_even
    ]


def _by_period(result: PriceResult) -> list[tuple[str, str, str]]:
    """``(invoice period, mean payments, mean with no effect)`` of every period with money."""
    k = result.minor_per_unit
    treated = result.payments_by_period.mean(axis=0) / k
    without = result.counterfactual_by_period.mean(axis=0) / k
    return [
        (f"{start.isoformat()}..{(end - _ONE_DAY).isoformat()}", format_number(a), format_number(b))
        for (start, end), a, b in zip(result.periods, treated, without, strict=True)
        if a or b
    ]


def _investor_flows(result: PriceResult) -> list[tuple[str, str, str]]:
    """``(day, mean flow, share of scenarios with a flow)`` of the investor's dated flows."""
    k = result.minor_per_unit
    flows = result.investor_flows
    return [
        (
            day.isoformat(),
            format_number(float(flows[:, d].mean()) / k),
            format_number(float((flows[:, d] != 0).mean()), percent=True),
        )
        for d, day in enumerate(result.investor_flow_days)
    ]


def price_text(result: PriceResult, *, break_even: Sequence[BreakEven] = ()) -> str:
    """The summary as aligned text (means, Monte Carlo standard errors, quantiles)."""
    header = ["", "mean", "± se", *(f"{round(q * 100)} %" for q in QUANTILES)]
    rows = [header, *_rows(result)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"{k}: {v}" for k, v in _assumptions(result)]
    lines.append("")
    for r in rows:
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(r)
            )
        )
    lines.append("")
    lines += [f"{k}: {v}" for k, v in _probabilities(result)]
    lines += [f"{k}: {v}" for k, v in _break_even_rows(result, break_even)]
    periods = _by_period(result)
    if periods:
        lines += ["", f"mean payments by invoice period ({result.currency}; with no effect):"]
        w = max(len(a) for a, _, _ in periods)
        v = max(len(b) for _, b, _ in periods)
        lines += [f"  {a:<{w}}  {b:>{v}}  ({c})" for a, b, c in periods]
    flows = _investor_flows(result)
    if flows:
        lines += [
            "",
            f"investor's mean cash flow by date ({result.currency}; share of scenarios with one):",
        ]
        v = max(len(b) for _, b, _ in flows)
        lines += [f"  {a}  {b:>{v}}  ({c})" for a, b, c in flows]
    return "\n".join(lines)


def price_json(
    result: PriceResult, fit: Fit | None = None, *, break_even: Sequence[BreakEven] = ()
) -> str:
    """The assumptions, the summary and (with ``fit``) the calibration's sample sizes, as JSON."""
    doc: dict[str, Any] = result.to_dict()
    if break_even:
        doc["break_even"] = _break_even_dict(break_even)
    if fit is not None:
        doc["calibration"] = {
            "method": fit.method,
            "data_until": fit.data_until.isoformat(),
            "people": dict(zip(fit.model.cohorts, fit.people.tolist(), strict=True)),
            "bands": list(fit.model.band_labels),
            "people_in_band": {
                c: fit.people_in_band[i].tolist() for i, c in enumerate(fit.model.cohorts)
            },
            "thin_bands": [list(t) for t in fit.thin_bands],
        }

    return json.dumps(_clean(doc), indent=2, ensure_ascii=False, allow_nan=False)


def _clean(value: Any) -> Any:
    """JSON has no NaN: an undefined number is null."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def price_html(
    result: PriceResult,
    fit: Fit | None = None,
    *,
    figures: bool = True,
    break_even: Sequence[BreakEven] = (),
) -> str:
    """A self-contained HTML page: assumptions, summary table, probabilities and figures."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Self-contained: the page may load nothing (styles and figures are inline).
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>Pricing {esc(result.contract_id)}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}</style>",
        "</head><body>",
        f"<h1>Is a social impact bond sensible? {esc(result.contract_id)}</h1>",
        "<h2>Assumptions</h2><table>",
    ]
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _assumptions(result)]
    parts.append("</table><h2>Over the scenarios</h2><table><tr><th></th>")
    parts += [
        f"<th>{esc(h)}</th>" for h in ["mean", "± se", *(f"{round(q * 100)} %" for q in QUANTILES)]
    ]
    parts.append("</tr>")
    for row in _rows(result):
        cells = "".join(f'<td class="n">{esc(c)}</td>' for c in row[1:])
        parts.append(f"<tr><th>{esc(row[0])}</th>{cells}</tr>")
    parts.append("</table><h2>Probabilities and the price of an additional month</h2><table>")
    parts += [
        f'<tr><th>{esc(k)}</th><td class="n">{esc(v)}</td></tr>'
        for k, v in [*_probabilities(result), *_break_even_rows(result, break_even)]
    ]
    parts.append("</table>")
    periods = _by_period(result)
    if periods:
        parts.append(
            f"<h2>Mean payments by invoice period ({esc(result.currency)})</h2><table>"
            "<tr><th>invoice period</th><th>with the effect</th><th>with no effect</th></tr>"
        )
        parts += [
            f'<tr><th>{esc(a)}</th><td class="n">{esc(b)}</td><td class="n">{esc(c)}</td></tr>'
            for a, b, c in periods
        ]
        parts.append("</table>")
    flows = _investor_flows(result)
    if flows:
        parts.append(
            f"<h2>The investor's mean cash flow by date ({esc(result.currency)})</h2><table>"
            "<tr><th>date</th><th>mean</th><th>scenarios with a flow</th></tr>"
        )
        parts += [
            f'<tr><th>{esc(a)}</th><td class="n">{esc(b)}</td><td class="n">{esc(c)}</td></tr>'
            for a, b, c in flows
        ]
        parts.append("</table>")
    if fit is not None:
        parts.append("<h2>Calibration</h2><table><tr><th>cohort</th><th>citizens</th>")
        parts += [f"<th>weeks {esc(b)}</th>" for b in fit.model.band_labels]
        parts.append("</tr>")
        for i, c in enumerate(fit.model.cohorts):
            cells = "".join(f'<td class="n">{int(x)}</td>' for x in fit.people_in_band[i])
            parts.append(
                f'<tr><th>{esc(c)}</th><td class="n">{int(fit.people[i])}</td>{cells}</tr>'
            )
        parts.append("</table>")
    if figures:
        from impactbond import plot

        plt = plot._pyplot()
        ax = plot.price_fan_chart(result)
        parts.append("<h2>Payments over time</h2>" + _svg(ax.figure))
        plt.close(ax.figure)
        axes = plot.price_histograms(result)
        parts.append("<h2>Distributions</h2>" + _svg(axes[0].figure))
        plt.close(axes[0].figure)
    parts.append("</body></html>")
    return "\n".join(parts)
