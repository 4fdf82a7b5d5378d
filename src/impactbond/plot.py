"""Figures of a settlement (needs the ``plot`` extra: ``pip install 'impactbond[plot]'``).

Every function takes a :class:`~impactbond.settle.Settlement` (or a
:class:`~impactbond.core.retention.KaplanMeier` curve), draws on ``ax`` or on
a new figure, and returns the :class:`matplotlib.axes.Axes`.  Figures are for
reading, not for invoicing: quantities are converted to floats only here.

matplotlib is imported inside the functions, so ``import impactbond`` never
needs it.  Outside a notebook, and when no backend was chosen, the
non-interactive ``Agg`` backend is selected, which is safe on a headless server.

>>> from datetime import date
>>> import impactbond as ib
>>> from impactbond import plot
>>> t = ib.Trajectory("P-1", [ib.Spell("employed", date(2024, 2, 5), date(2024, 8, 5))])
>>> km = plot.job_spell_survival_of([t], date(2024, 1, 1), date(2025, 1, 1))
>>> float(km.survival[-1]), int(km.timeline[-1])  # 26 weeks in the job, then it ended
(0.0, 26)
>>> ax = plot.retention_curve(km, label="P-1")
>>> len(ax.lines), ax.get_xlabel()
(1, 'weeks since job start')
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from impactbond.calendar import WeeklyGrid
from impactbond.core.retention import KaplanMeier, job_spell_durations, job_start, kaplan_meier
from impactbond.domain.measure import weekly_window
from impactbond.domain.outcome import Outcome, Retention, Weights, to_weights
from impactbond.domain.trajectory import Panel, Trajectory
from impactbond.money import minor_unit_digits
from impactbond.status import Status

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from impactbond.finance.cashflows import CashFlows
    from impactbond.settle import Settlement
    from impactbond.simulate.summaries import PriceResult

__all__ = [
    "FAN_BANDS",
    "cashflows",
    "censoring_marks",
    "cumulative_months",
    "job_spell_survival",
    "job_spell_survival_of",
    "party_cashflows",
    "payments_by_period",
    "price_fan_chart",
    "price_histograms",
    "retention_curve",
]

_EPOCH = date(1970, 1, 1).toordinal()
_EXTRA_HINT = "impactbond.plot needs matplotlib: pip install 'impactbond[plot]'"


def _pyplot() -> Any:
    """matplotlib.pyplot, with Agg chosen when nothing else asked for a backend."""
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(_EXTRA_HINT) from err
    interactive = "ipykernel" in sys.modules or "matplotlib.pyplot" in sys.modules
    if not interactive and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    result: Axes = new_ax
    return result


def _dates(day_numbers: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Day numbers (``date.toordinal()``) as matplotlib date numbers."""
    from matplotlib import dates

    date2num: Any = dates.date2num  # untyped in matplotlib's stubs
    days = np.asarray(day_numbers, dtype=np.int64) - _EPOCH
    return np.asarray(date2num(days.astype("datetime64[D]")), dtype=np.float64)


def _thousands(axis: Any, decimals: int = 0) -> None:
    """Tick labels with thousands separators: ``1,250,000``."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.{decimals}f}"))


def _evaluation_date(ax: Axes, as_of: date) -> None:
    """A dotted vertical line at ``as_of``, labelled with the date at the top of the axes."""
    x = float(_dates([as_of.toordinal()])[0])
    ax.axvline(x, color="0.5", linestyle=":")
    ax.annotate(
        f"evaluation date {as_of.isoformat()}",
        (x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize="small",
        color="0.3",
    )


# ---------------------------------------------------------------------------
# Employment months against the target
# ---------------------------------------------------------------------------


def cumulative_months(
    settlement: Settlement, ax: Axes | None = None, *, outcome: str | None = None
) -> Axes:
    """Cumulative employment months of each cohort over time, against its target.

    One step line per cohort (the quantity accrued by each date, from the
    settlement's earning items ``earned_on``/``num``) and one dashed
    horizontal line per cohort target.

    Parameters
    ----------
    settlement:
        A settlement.
    ax:
        Axes to draw on (default: a new figure).
    outcome:
        The outcome to plot; default: each cohort's target outcome, or the
        first month-valued outcome of the contract.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    contract = settlement.contract
    targets = {a.cohort: a for a in settlement.achievements}
    default = outcome or next(
        (o.id for o in contract.outcomes if o.unit == "month"), contract.outcomes[0].id
    )
    for i, terms in enumerate(contract.cohorts):
        achievement = targets.get(terms.label)
        outcome_id = outcome or (achievement.outcome if achievement else default)
        m = settlement.measured[outcome_id]
        res = m.items
        mine = settlement.cohort_of[res.row] == i if len(res.row) else np.zeros(0, dtype=bool)
        order = np.argsort(res.earned_on[mine], kind="stable")
        days = res.earned_on[mine][order]
        running = np.cumsum(res.num[mine][order]) / m.den
        color = f"C{i}"
        xs = _dates(np.r_[contract.term_start.toordinal(), days])
        ys = np.r_[0.0, running]
        ax.step(xs, ys, where="post", color=color, label=f"{terms.label}: {outcome_id}")
        if achievement is not None and achievement.target is not None:
            ax.axhline(
                float(achievement.target),
                color=color,
                linestyle="--",
                linewidth=1,
                label=f"{terms.label}: target {float(achievement.target):g}",
            )
    _evaluation_date(ax, settlement.as_of)
    ax.xaxis_date()
    _thousands(ax.yaxis)
    ax.set_xlabel("date earned")
    ax.set_ylabel("cumulative quantity (months)")
    ax.set_title(f"Accrued against target, by cohort (as of {settlement.as_of})")
    ax.legend(loc="upper left", fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Retention: Kaplan-Meier curves of job spells
# ---------------------------------------------------------------------------


def _employed_table(weights: Weights) -> npt.NDArray[np.bool_]:
    return Status.mask(s for s, w in weights if w > 0)


def job_spell_survival_of(
    trajectories: Sequence[Trajectory],
    window_start: date | Sequence[date],
    as_of: date,
    *,
    window_end: date | Sequence[date] | None = None,
    weights: Weights | None = None,
    allowed_gap_weeks: int = 0,
    alpha: float = 0.05,
) -> KaplanMeier:
    """Kaplan-Meier curve of the first job spell in each window, in weeks.

    Each trajectory is laid on a weekly grid; the job start is the first
    employed week in its window (and before ``as_of``), and the
    spell lasts until ``allowed_gap_weeks + 1`` non-employed weeks follow it.
    Spells still running at ``as_of`` are censored.  People without a job
    start are left out (they are not at risk of losing a job).

    Parameters
    ----------
    trajectories:
        Register histories.
    window_start:
        One date for all, or one per trajectory (e.g. the enrolment dates).
    as_of:
        First day not observed.
    window_end:
        End (exclusive) of the windows in which a job start counts; one date
        or one per trajectory (default: no end but ``as_of``).
    weights:
        Statuses counted as employed (default: ordinary employment only).
    allowed_gap_weeks:
        Gaps that do not end a spell.
    alpha:
        The confidence band has level ``1 - alpha``.
    """
    n = len(trajectories)
    starts = [window_start] * n if isinstance(window_start, date) else list(window_start)
    ends = (
        [as_of] * n
        if window_end is None
        else [window_end] * n
        if isinstance(window_end, date)
        else list(window_end)
    )
    grid = WeeklyGrid.covering(min(starts), as_of)
    panel = Panel.from_trajectories(list(trajectories), grid, with_employer=False, clip=True)
    first = np.array([d.toordinal() for d in starts], dtype=np.int64)
    last = np.minimum(np.array([d.toordinal() for d in ends], dtype=np.int64), as_of.toordinal())
    ws, we = weekly_window(grid, first, np.maximum(last, first))
    as_of_week = (as_of - grid.start).days // 7
    table = _employed_table(weights if weights is not None else to_weights(None))
    js = job_start(panel.status, table, ws, np.minimum(we, as_of_week))
    durations, observed = job_spell_durations(
        panel.status, table, js, as_of_period=as_of_week, allowed_gap=allowed_gap_weeks
    )
    started = (js >= 0) & (js < as_of_week)
    if not started.any():
        raise ValueError("nobody has a job start before as_of: there is no curve to estimate")
    return kaplan_meier(durations[started], observed[started], alpha=alpha)


def job_spell_survival(
    settlement: Settlement,
    *,
    cohort: str | None = None,
    outcome: str | None = None,
    alpha: float = 0.05,
) -> KaplanMeier:
    """Kaplan-Meier curve of the settled participants' first job spells.

    Windows and the statuses that count as employed come from a retention
    outcome of the contract (``outcome``, default the first
    :class:`~impactbond.domain.outcome.Retention`, else the first outcome),
    and ``as_of`` from the settlement.

    Parameters
    ----------
    settlement:
        A settlement.
    cohort:
        Only this cohort (default: everyone settled).
    outcome:
        The outcome whose window and employed statuses are used.
    alpha:
        The confidence band has level ``1 - alpha``.
    """
    contract = settlement.contract
    chosen: Outcome
    if outcome is not None:
        chosen = contract.outcome(outcome)
    else:
        chosen = next(
            (o for o in contract.outcomes if isinstance(o, Retention)), contract.outcomes[0]
        )
    weights = getattr(chosen, "weights", None)
    ws, we = settlement.windows[chosen.id]
    labels = [c.label for c in contract.cohorts]
    rows = [
        i
        for i, k in enumerate(settlement.cohort_of.tolist())
        if cohort is None or labels[k] == cohort
    ]
    if not rows:
        raise ValueError(f"no settled participant in cohort {cohort!r}")
    return job_spell_survival_of(
        [settlement.register.trajectory(i) for i in rows],
        [date.fromordinal(int(ws[i])) for i in rows],
        settlement.as_of,
        window_end=[date.fromordinal(int(we[i])) for i in rows],
        weights=weights,
        alpha=alpha,
    )


def censoring_marks(km: KaplanMeier) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The times at which spells were censored and the curve's level there.

    At each time of the timeline, those at risk who neither ended nor are
    still at risk at the next time were censored (no late entry).

    >>> from impactbond.core.retention import kaplan_meier
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> times, levels = censoring_marks(km)
    >>> times.tolist(), levels.round(12).tolist()
    ([2.0, 4.0], [0.6, 0.3])
    """
    at_risk = km.at_risk.astype(np.int64)
    following = np.r_[at_risk[1:], 0]
    censored = at_risk - km.events - following
    hit = censored > 0
    return km.timeline[hit].astype(np.float64), km.survival[hit].astype(np.float64)


def retention_curve(
    curve: KaplanMeier | Settlement,
    ax: Axes | None = None,
    *,
    label: str | None = None,
    by_cohort: bool = True,
    band: bool = True,
    horizon_weeks: int | None = None,
    censoring: bool = False,
) -> Axes:
    """Kaplan-Meier retention curve(s) with their pointwise confidence band.

    Parameters
    ----------
    curve:
        A :class:`~impactbond.core.retention.KaplanMeier` result, or a
        settlement: then one curve per cohort (``by_cohort``) or one for all,
        from :func:`job_spell_survival`, and a dotted line at the contract's
        retention horizon.
    ax:
        Axes to draw on (default: a new figure).
    label:
        Legend label of a single curve.
    band:
        Shade the ``1 - alpha`` confidence band.
    horizon_weeks:
        Draw a dotted vertical line at this horizon.
    censoring:
        Mark with ``+`` the times at which spells still running were censored.

    Returns
    -------
    matplotlib.axes.Axes
        One step line per curve; the bands are ``PolyCollection`` patches.
    """
    ax = _axes(ax)
    curves: list[tuple[str | None, KaplanMeier]] = []
    if isinstance(curve, KaplanMeier):
        curves.append((label, curve))
    else:
        settlement = curve
        if by_cohort:
            for terms in settlement.contract.cohorts:
                ci = [c.label for c in settlement.contract.cohorts].index(terms.label)
                if np.any(settlement.cohort_of == ci):
                    km = job_spell_survival(settlement, cohort=terms.label)
                    curves.append((f"{terms.label} (n={int(km.at_risk[0])})", km))
        else:
            km = job_spell_survival(settlement)
            curves.append((label or f"all (n={int(km.at_risk[0])})", km))
        if horizon_weeks is None:
            horizon_weeks = next(
                (
                    o.horizon_weeks
                    for o in settlement.contract.outcomes
                    if isinstance(o, Retention) and o.horizon_weeks
                ),
                None,
            )
    level = 0
    for i, (name, km) in enumerate(curves):
        color = f"C{i}"
        ax.step(km.timeline, km.survival, where="post", color=color, label=name)
        if band:
            ax.fill_between(
                km.timeline, km.ci_lower, km.ci_upper, step="post", color=color, alpha=0.2
            )
        if censoring:
            times, levels = censoring_marks(km)
            if len(times):
                ax.plot(
                    times,
                    levels,
                    linestyle="none",
                    marker="+",
                    color=color,
                    markersize=7,
                    label="_censored",
                )
        level = round(100 * (1 - km.alpha))
    if horizon_weeks is not None:
        ax.axvline(horizon_weeks, color="0.4", linestyle=":", linewidth=1)
        ax.annotate(
            f"horizon {horizon_weeks} weeks",
            (horizon_weeks, 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize="small",
            color="0.3",
        )
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("weeks since job start")
    ax.set_ylabel("share still in the job")
    ax.set_title(f"Job retention (Kaplan-Meier, {level}% band)" if band else "Job retention")
    if any(name for name, _ in curves):
        ax.legend(loc="lower left", fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Money over time
# ---------------------------------------------------------------------------


def _minor_scale(settlement: Settlement) -> float:
    """Minor units per major unit (100 øre per krone)."""
    return float(10 ** minor_unit_digits(settlement.currency))


def _period_labels(settlement: Settlement) -> tuple[list[int], list[str]]:
    periods = sorted(set(settlement.lines.invoice_period.tolist()))
    labels = []
    for p in periods:
        start, _ = settlement.contract.invoice_period_bounds(p)
        labels.append(start.strftime("%Y-%m"))
    return periods, labels


def payments_by_period(settlement: Settlement, ax: Axes | None = None) -> Axes:
    """Money earned per invoice period, stacked by cohort; pending periods hatched.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per cohort, one bar per invoice period.
    """
    ax = _axes(ax)
    contract = settlement.contract
    lines = settlement.lines
    periods, labels = _period_labels(settlement)
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    pending = np.array(
        [bool((~lines.due[lines.invoice_period == p]).any()) for p in periods], dtype=bool
    )
    for ci, terms in enumerate(contract.cohorts):
        heights = np.array(
            [
                lines.amount[(lines.invoice_period == p) & (lines.cohort == ci)].sum()
                for p in periods
            ],
            dtype=np.float64,
        ) / _minor_scale(settlement)
        bars = ax.bar(x, heights, bottom=bottom, color=f"C{ci}", label=terms.label)
        for bar, is_pending in zip(bars, pending, strict=True):
            if is_pending:
                bar.set_hatch("//")
                bar.set_alpha(0.6)
        bottom += heights
    ax.set_xticks(x, labels, rotation=45, ha="right")
    _thousands(ax.yaxis)
    ax.set_xlabel("invoice period (start month); hatched: not yet due")
    ax.set_ylabel(f"earned ({contract.currency})")
    ax.set_title(f"Payments by invoice period (as of {settlement.as_of})")
    ax.legend(fontsize="small")
    return ax


def cashflows(settlement: Settlement, ax: Axes | None = None, *, payer_view: bool = True) -> Axes:
    """The outcome payments as dated cash flows: one bar per invoice, on its due date.

    From the outcome payer's view (``payer_view``) money paid out is negative;
    the line is the cumulative total.  Invoices not yet due at ``as_of`` are
    drawn hatched.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container (the invoices) and one line (the running total).
    """
    ax = _axes(ax)
    lines = settlement.lines
    sign = -1.0 if payer_view else 1.0
    scale = _minor_scale(settlement)
    due_days = sorted(set(lines.due_on.tolist()))
    amounts = np.array([lines.amount[lines.due_on == d].sum() for d in due_days], dtype=np.float64)
    amounts = sign * amounts / scale
    when = _dates(due_days)
    bars = ax.bar(when, amounts, width=20, color="C0", label="invoice")
    for bar, day in zip(bars, due_days, strict=True):
        if day > settlement.as_of.toordinal():
            bar.set_hatch("//")
            bar.set_alpha(0.5)
    ax.plot(when, np.cumsum(amounts), color="C3", marker="o", markersize=3, label="cumulative")
    _evaluation_date(ax, settlement.as_of)
    ax.xaxis_date()
    _thousands(ax.yaxis)
    ax.axhline(0, color="0.3", linewidth=0.6)
    who = "outcome payer" if payer_view else "investor"
    ax.set_ylabel(f"{settlement.contract.currency} ({who}'s view)")
    ax.set_xlabel("due date; hatched: due after as_of")
    ax.set_title("Outcome payments as cash flows")
    ax.legend(fontsize="small")
    return ax


def party_cashflows(flows: CashFlows, ax: Axes | None = None) -> Axes:
    """Each party's cumulative cash flow over time, from its own point of view.

    ``flows`` is a :class:`~impactbond.finance.cashflows.CashFlows` ledger,
    e.g. from :func:`impactbond.finance.cash_flows`: money received is
    positive, money paid out negative, so the lines of parties that only pay
    each other mirror around zero.

    Returns
    -------
    matplotlib.axes.Axes
        One step line per party, labelled with the party's name.
    """
    ax = _axes(ax)
    for party in flows.parties:
        days, amounts = flows.of(party)
        order = np.argsort(np.array([d.toordinal() for d in days]), kind="stable")
        running = np.cumsum([float(amounts[i].amount) for i in order])
        ax.step([days[i] for i in order], running, where="post", label=party)
    ax.axhline(0, color="0.5", linewidth=0.8)
    _thousands(ax.yaxis)
    ax.set_ylabel(f"cumulative cash flow ({flows.currency})")
    ax.set_title("Cash flows per party (received +, paid -)")
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Monte Carlo pricing
# ---------------------------------------------------------------------------

#: The quantile bands of a fan chart, outermost first.
FAN_BANDS: tuple[tuple[float, float], ...] = ((0.05, 0.95), (0.25, 0.75))


def price_fan_chart(
    result: PriceResult, ax: Axes | None = None, *, counterfactual: bool = True
) -> Axes:
    """The payer's cumulative outcome payments by invoice period over the scenarios.

    Shaded bands hold the middle 90 % and 50 % of the scenarios (:data:`FAN_BANDS`),
    the line is the median; the dashed line is the counterfactual's median
    (the same citizens without the programme's effect).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections`` holds one band per :data:`FAN_BANDS` entry; ``ax.lines``
        the median (and the counterfactual's median).
    """
    ax = _axes(ax)
    scale = float(result.minor_per_unit)
    cumulative = np.cumsum(result.payments_by_period, axis=1) / scale
    x = _dates([end.toordinal() for _, end in result.periods])
    for i, (lo, hi) in enumerate(FAN_BANDS):
        ax.fill_between(
            x,
            np.quantile(cumulative, lo, axis=0),
            np.quantile(cumulative, hi, axis=0),
            color="C0",
            alpha=0.2 + 0.2 * i,
            linewidth=0,
            label=f"{round(lo * 100)}-{round(hi * 100)} % of scenarios",
        )
    ax.plot(x, np.median(cumulative, axis=0), color="C0", label="median")
    if counterfactual:
        base = np.cumsum(result.counterfactual_by_period, axis=1) / scale
        ax.plot(x, np.median(base, axis=0), color="0.4", linestyle="--", label="median, no effect")
    ax.xaxis_date()
    ax.set_xlabel("end of invoice period")
    ax.set_ylabel(f"cumulative outcome payments ({result.currency})")
    ax.set_title(f"Outcome payments over {result.scenarios} scenarios")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def price_histograms(result: PriceResult, axes: Sequence[Axes] | None = None) -> list[Axes]:
    """Histograms of the payer's payments, the payer's net cost and the investor's multiple.

    The net cost panel appears with benefit costs, the multiple with financing
    terms; each panel marks the mean (solid) and the counterfactual or
    break-even line (dashed).

    Returns
    -------
    list of matplotlib.axes.Axes
        One per panel; each holds one histogram whose counts add up to the
        scenarios with a defined value.
    """
    scale = float(result.minor_per_unit)
    panels: list[tuple[str, npt.NDArray[np.float64], float, str]] = [
        (
            f"outcome payments ({result.currency})",
            result.payments / scale,
            float(np.mean(result.counterfactual_payments / scale)),
            "mean, no effect",
        )
    ]
    if result.has_savings:
        panels.append(
            (f"payer's net cost ({result.currency})", result.net_cost / scale, 0.0, "break-even")
        )
    if result.has_financing:
        multiple = result.investor_multiple[np.isfinite(result.investor_multiple)]
        panels.append(("investor's money multiple", multiple, 1.0, "break-even"))
    if axes is None:
        plt = _pyplot()
        _, grid = plt.subplots(
            1, len(panels), figsize=(4.2 * len(panels), 3.6), layout="constrained", squeeze=False
        )
        axes = list(grid[0])
    out = []
    for ax, (label, values, mark, mark_label) in zip(axes, panels, strict=True):
        ax.hist(values, bins=min(40, max(5, len(values) // 10)), color="C0", alpha=0.8)
        ax.axvline(float(np.mean(values)), color="C1", label="mean")
        ax.axvline(mark, color="0.3", linestyle="--", label=mark_label)
        ax.set_xlabel(label)
        ax.set_ylabel("scenarios")
        ax.legend(fontsize="small")
        out.append(ax)
    return out
