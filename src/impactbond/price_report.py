"""The Monte Carlo's report: text for the terminal, JSON for machines, HTML with figures.

The text and the page are in English or in Danish (``language="da"``, the words a
Danish municipality's council reads, with Danish number formats); the JSON keys are
the same in both.

>>> from impactbond.price_report import format_number
>>> format_number(1234567.891), format_number(0.0512, percent=True)
('1,234,568', '5.1 %')
>>> format_number(1234567.891, language="da"), format_number(0.0512, percent=True, language="da")
('1.234.568', '5,1 %')
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

from impactbond.errors import InvalidInput
from impactbond.simulate.calibrate import Fit
from impactbond.simulate.montecarlo import BreakEven
from impactbond.simulate.summaries import QUANTILES, PriceResult

__all__ = ["LANGUAGES", "format_number", "price_html", "price_json", "price_text"]

_ONE_DAY = timedelta(days=1)

Language = Literal["da", "en"]
#: The languages of the report.
LANGUAGES: tuple[Language, ...] = ("en", "da")

#: Every word of the report, in English and in Danish.
_WORDS: dict[str, tuple[str, str]] = {
    "payments": ("outcome payments", "resultatbetalinger"),
    "counterfactual_payments": ("payments with no effect", "betalinger uden effekt"),
    "months": ("employment months", "beskæftigelsesmåneder"),
    "additional_months": ("additional employment months", "ekstra beskæftigelsesmåneder"),
    "savings": ("benefit savings (net of refusion)", "besparelser på ydelser (efter refusion)"),
    "net_cost": ("payer's net cost", "betalerens nettoudgift"),
    "investor_net": ("investor's net cash flow", "investorens nettopengestrøm"),
    "investor_irr": ("investor's IRR (XIRR)", "investorens interne rente (XIRR)"),
    "investor_multiple": ("investor's money multiple", "investorens pengemultiplum"),
    "provider_income": ("provider's income", "leverandørens indtægt"),
    "achieved": ("achieved, {0}", "opnået, {0}"),
    "contract": ("contract", "kontrakt"),
    "as of": ("as of", "opgjort pr."),
    "scenarios": ("scenarios", "scenarier"),
    "scenario text": ("{0} (seed {1}, blocks of {2})", "{0} (seed {1}, i blokke på {2})"),
    "effect": ("effect", "effekt"),
    "effect text": (
        "job entry {0}, job duration {1} (relative to the counterfactual)",
        "jobstart {0}, jobvarighed {1} (i forhold til forløbet uden indsats)",
    ),
    "referrals": ("referrals", "henvisninger"),
    "referral text": ("{0} over {1} weeks from {2}", "{0} over {1} uger fra {2}"),
    "weeks": ("weeks simulated per citizen", "simulerede uger pr. borger"),
    "uncertainty": ("parameter uncertainty", "parameterusikkerhed"),
    "drawn": ("drawn from the fit", "trukket fra kalibreringen"),
    "off": ("off", "slået fra"),
    "excluded": ("excluded by the settlement", "udelukket af afregningen"),
    "mean": ("mean", "middel"),
    "se": ("± se", "± sf"),
    "investor_loss": ("investor loses money", "investoren taber penge"),
    "payer_saves": ("payer saves money", "betaleren sparer penge"),
    "reach_target": ("target reached, {0}", "mål nået, {0}"),
    "price per month": (
        "price per additional employment month ({0})",
        "pris pr. ekstra beskæftigelsesmåned ({0})",
    ),
    "not reached": (
        "not reached up to {0} x the planned effect",
        "ikke nået op til {0} x den planlagte effekt",
    ),
    "break-even text": (
        "{0} x the planned effect (job entry {1}, job duration {2})",
        "{0} x den planlagte effekt (jobstart {1}, jobvarighed {2})",
    ),
    "break-even": ("break-even effect of the {0}", "nulpunktseffekt for {0}"),
    "payer": ("payer", "betaleren"),
    "investor": ("investor", "investoren"),
    "provider": ("provider", "leverandøren"),
    "by period text": (
        "mean payments by invoice period ({0}; with no effect):",
        "gennemsnitlige betalinger pr. faktureringsperiode ({0}; uden effekt):",
    ),
    "flows text": (
        "investor's mean cash flow by date ({0}; share of scenarios with one):",
        "investorens gennemsnitlige pengestrøm pr. dato ({0}; andel af scenarier med en):",
    ),
    "title": ("Pricing {0}", "Prisfastsættelse af {0}"),
    "heading": (
        "Is a social impact bond sensible? {0}",
        "Giver en social effektinvestering mening? {0}",
    ),
    "assumptions": ("Assumptions", "Antagelser"),
    "over scenarios": ("Over the scenarios", "På tværs af scenarierne"),
    "probabilities": (
        "Probabilities and the price of an additional month",
        "Sandsynligheder og prisen på en ekstra måned",
    ),
    "by period": (
        "Mean payments by invoice period ({0})",
        "Gennemsnitlige betalinger pr. faktureringsperiode ({0})",
    ),
    "invoice period": ("invoice period", "faktureringsperiode"),
    "with effect": ("with the effect", "med effekt"),
    "without effect": ("with no effect", "uden effekt"),
    "flows": (
        "The investor's mean cash flow by date ({0})",
        "Investorens gennemsnitlige pengestrøm pr. dato ({0})",
    ),
    "date": ("date", "dato"),
    "with a flow": ("scenarios with a flow", "scenarier med en betaling"),
    "calibration": ("Calibration", "Kalibrering"),
    "cohort": ("cohort", "kohorte"),
    "citizens": ("citizens", "borgere"),
    "band": ("weeks {0}", "uger {0}"),
    "over time": ("Payments over time", "Betalinger over tid"),
    "distributions": ("Distributions", "Fordelinger"),
}


def _w(key: str, language: Language, *args: object) -> str:
    """The words of ``key`` in ``language``, with ``args`` put in."""
    en, da = _WORDS[key]
    return (da if language == "da" else en).format(*args)


def _language(language: object) -> Language:
    for known in LANGUAGES:
        if language == known:
            return known
    raise InvalidInput(
        f"the report is in en or da, not {language!r}", field="language", rule="en or da"
    )


def format_number(value: float, *, percent: bool = False, language: Language = "en") -> str:
    """A number for people: thousands separated, percentages with one decimal.

    In Danish the thousands are separated by points and the decimals by a comma.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if percent:
        text = f"{value * 100:,.1f} %"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}"
    if language == "da":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def _share(value: float, language: Language) -> str:
    """A signed relative change, ``+30%`` (Danish ``+30 %``)."""
    return f"{value:+.0%}" if language == "en" else f"{value:+.0%}".replace("%", " %")


def _label(name: str, language: Language = "en") -> str:
    if name.startswith("achieved_"):
        return _w("achieved", language, name.removeprefix("achieved_"))
    return _w(name, language) if name in _WORDS else name


def _assumptions(result: PriceResult, language: Language = "en") -> list[tuple[str, str]]:
    e = result.effect
    r = result.referrals
    lang = language
    return [
        (_w("contract", lang), result.contract_id),
        (_w("as of", lang), result.as_of.isoformat()),
        (
            _w("scenarios", lang),
            _w("scenario text", lang, result.scenarios, result.seed, result.block_size),
        ),
        (
            _w("effect", lang),
            _w("effect text", lang, _share(e.job_entry, lang), _share(e.job_stay, lang)),
        ),
        (
            _w("referrals", lang),
            _w(
                "referral text",
                lang,
                ", ".join(f"{c} {n}" for c, n in r.counts),
                r.weeks,
                r.start.isoformat(),
            ),
        ),
        (_w("weeks", lang), str(result.weeks)),
        (_w("uncertainty", lang), _w("drawn" if result.parameter_uncertainty else "off", lang)),
        (_w("excluded", lang), str(int(result.excluded.sum()))),
    ]


def _rows(result: PriceResult, language: Language = "en") -> list[list[str]]:
    s = result.summary()
    rows = []
    for m in s.measures:
        pct = m.name == "investor_irr"
        unit = "" if m.unit in ("units", "x", "per year", "months") else f" ({m.unit})"
        rows.append(
            [
                _label(m.name, language) + unit,
                format_number(m.mean, percent=pct, language=language),
                format_number(m.se, percent=pct, language=language),
                *(format_number(q, percent=pct, language=language) for q in m.quantiles),
            ]
        )
    return rows


def _probabilities(result: PriceResult, language: Language = "en") -> list[tuple[str, str]]:
    s = result.summary()
    out = []
    for key, (p, se) in s.probabilities.items():
        if key in ("investor_loss", "payer_saves"):
            label = _w(key, language)
        elif key.startswith("reach_target_"):
            label = _w("reach_target", language, key.removeprefix("reach_target_"))
        else:
            label = key
        shown = (
            f"{format_number(p, percent=True, language=language)} ± "
            f"{format_number(se, percent=True, language=language)}"
        )
        out.append((label, shown))
    out.append(
        (
            _w("price per month", language, result.currency),
            f"{format_number(s.price_per_additional_month, language=language)} ± "
            f"{format_number(s.price_per_additional_month_se, language=language)}",
        )
    )
    return out


def _break_even_rows(
    result: PriceResult, break_even: Sequence[BreakEven], language: Language = "en"
) -> list[tuple[str, str]]:
    """``(party, what breaks them even)`` of each break-even search."""
    rows = []
    for be in break_even:
        if be.factor is None or be.effect is None:
            top = max(f for f, _ in be.evaluations)
            text = _w("not reached", language, format_number(top, language=language))
        else:
            e = be.effect
            text = _w(
                "break-even text",
                language,
                format_number(be.factor, language=language),
                _share(e.job_entry, language),
                _share(e.job_stay, language),
            )
        party = _w(be.party, language) if be.party in _WORDS else be.party
        rows.append((_w("break-even", language, party), text))
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


def _by_period(result: PriceResult, language: Language = "en") -> list[tuple[str, str, str]]:
    """``(invoice period, mean payments, mean with no effect)`` of every period with money."""
    k = result.minor_per_unit
    treated = result.payments_by_period.mean(axis=0) / k
    without = result.counterfactual_by_period.mean(axis=0) / k
    return [
        (
            f"{start.isoformat()}..{(end - _ONE_DAY).isoformat()}",
            format_number(a, language=language),
            format_number(b, language=language),
        )
        for (start, end), a, b in zip(result.periods, treated, without, strict=True)
        if a or b
    ]


def _investor_flows(result: PriceResult, language: Language = "en") -> list[tuple[str, str, str]]:
    """``(day, mean flow, share of scenarios with a flow)`` of the investor's dated flows."""
    k = result.minor_per_unit
    flows = result.investor_flows
    return [
        (
            day.isoformat(),
            format_number(float(flows[:, d].mean()) / k, language=language),
            format_number(float((flows[:, d] != 0).mean()), percent=True, language=language),
        )
        for d, day in enumerate(result.investor_flow_days)
    ]


def _header(language: Language) -> list[str]:
    return [
        "",
        _w("mean", language),
        _w("se", language),
        *(f"{round(q * 100)} %" for q in QUANTILES),
    ]


def price_text(
    result: PriceResult, *, break_even: Sequence[BreakEven] = (), language: Language = "en"
) -> str:
    """The summary as aligned text (means, Monte Carlo standard errors, quantiles).

    ``language`` is ``"en"`` or ``"da"`` (Danish words and number formats).
    """
    language = _language(language)
    header = _header(language)
    rows = [header, *_rows(result, language)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"{k}: {v}" for k, v in _assumptions(result, language)]
    lines.append("")
    for r in rows:
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(r)
            )
        )
    lines.append("")
    lines += [f"{k}: {v}" for k, v in _probabilities(result, language)]
    lines += [f"{k}: {v}" for k, v in _break_even_rows(result, break_even, language)]
    periods = _by_period(result, language)
    if periods:
        lines += ["", _w("by period text", language, result.currency)]
        w = max(len(a) for a, _, _ in periods)
        v = max(len(b) for _, b, _ in periods)
        lines += [f"  {a:<{w}}  {b:>{v}}  ({c})" for a, b, c in periods]
    flows = _investor_flows(result, language)
    if flows:
        lines += ["", _w("flows text", language, result.currency)]
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
    language: Language = "en",
) -> str:
    """A self-contained HTML page: assumptions, summary table, probabilities and figures.

    ``language`` is ``"en"`` or ``"da"``: the page's words and numbers (the figures'
    axes are in English).
    """
    esc = html.escape
    lang = _language(language)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        # Self-contained: the page may load nothing (styles and figures are inline).
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{esc(_w('title', lang, result.contract_id))}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}</style>",
        "</head><body>",
        f"<h1>{esc(_w('heading', lang, result.contract_id))}</h1>",
        f"<h2>{esc(_w('assumptions', lang))}</h2><table>",
    ]
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _assumptions(result, lang)]
    parts.append(f"</table><h2>{esc(_w('over scenarios', lang))}</h2><table><tr><th></th>")
    parts += [f"<th>{esc(h)}</th>" for h in _header(lang)[1:]]
    parts.append("</tr>")
    for row in _rows(result, lang):
        cells = "".join(f'<td class="n">{esc(c)}</td>' for c in row[1:])
        parts.append(f"<tr><th>{esc(row[0])}</th>{cells}</tr>")
    parts.append(f"</table><h2>{esc(_w('probabilities', lang))}</h2><table>")
    parts += [
        f'<tr><th>{esc(k)}</th><td class="n">{esc(v)}</td></tr>'
        for k, v in [*_probabilities(result, lang), *_break_even_rows(result, break_even, lang)]
    ]
    parts.append("</table>")
    periods = _by_period(result, lang)
    if periods:
        parts.append(
            f"<h2>{esc(_w('by period', lang, result.currency))}</h2><table>"
            f"<tr><th>{esc(_w('invoice period', lang))}</th><th>{esc(_w('with effect', lang))}"
            f"</th><th>{esc(_w('without effect', lang))}</th></tr>"
        )
        parts += [
            f'<tr><th>{esc(a)}</th><td class="n">{esc(b)}</td><td class="n">{esc(c)}</td></tr>'
            for a, b, c in periods
        ]
        parts.append("</table>")
    flows = _investor_flows(result, lang)
    if flows:
        parts.append(
            f"<h2>{esc(_w('flows', lang, result.currency))}</h2><table>"
            f"<tr><th>{esc(_w('date', lang))}</th><th>{esc(_w('mean', lang))}</th>"
            f"<th>{esc(_w('with a flow', lang))}</th></tr>"
        )
        parts += [
            f'<tr><th>{esc(a)}</th><td class="n">{esc(b)}</td><td class="n">{esc(c)}</td></tr>'
            for a, b, c in flows
        ]
        parts.append("</table>")
    if fit is not None:
        parts.append(
            f"<h2>{esc(_w('calibration', lang))}</h2><table><tr><th>{esc(_w('cohort', lang))}"
            f"</th><th>{esc(_w('citizens', lang))}</th>"
        )
        parts += [f"<th>{esc(_w('band', lang, b))}</th>" for b in fit.model.band_labels]
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
        parts.append(f"<h2>{esc(_w('over time', lang))}</h2>" + _svg(ax.figure))
        plt.close(ax.figure)
        axes = plot.price_histograms(result)
        parts.append(f"<h2>{esc(_w('distributions', lang))}</h2>" + _svg(axes[0].figure))
        plt.close(axes[0].figure)
    parts.append("</body></html>")
    return "\n".join(parts)
