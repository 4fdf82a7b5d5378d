"""Words for a settlement: the statement, per-participant explanations, HTML.

Everything here reads a :class:`~impactbond.settle.Settlement`; nothing is
computed that the settlement does not already hold, so the words and the
money cannot disagree.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import html
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from impactbond.calendar import OPEN_END_DAY
from impactbond.domain.payment import Cap
from impactbond.money import Money
from impactbond.settle import RetentionFigures

if TYPE_CHECKING:
    from impactbond.domain.trajectory import Trajectory
    from impactbond.settle import Settlement

__all__ = ["explain_participant", "format_quantity", "settlement_html", "statement"]

ONE_DAY = timedelta(days=1)


def format_quantity(q: Fraction, places: int = 3) -> str:
    """An exact quantity in words a reader can check: ``17 2/3 (≈ 17.667)``.

    >>> format_quantity(Fraction(53, 3)), format_quantity(Fraction(4)), format_quantity(Fraction(1, 2))
    ('17 2/3 (≈ 17.667)', '4', '1/2 (≈ 0.500)')
    """
    if q.denominator == 1:
        return str(q.numerator)
    whole, rest = divmod(q.numerator, q.denominator)
    exact = f"{whole} {rest}/{q.denominator}" if whole else f"{rest}/{q.denominator}"
    return f"{exact} (≈ {float(q):.{places}f})"


def _pct(q: Fraction | None) -> str:
    return "n/a" if q is None else f"{float(q) * 100:.1f}%"


def _day(n: int) -> str:
    return "open" if n >= OPEN_END_DAY else date.fromordinal(int(n)).isoformat()


def _clause_ref(s: Settlement, clause_id: str) -> str:
    if not clause_id:
        return ""
    clause = s.contract.clause(clause_id)
    return f"clause {clause_id}" + (f" «{clause.title}»" if clause is not None else "")


def _cap_kind(cap: Cap) -> str:
    """`` [at most 2/5 of paid outcomes]`` for a mix cap, nothing for an amount cap."""
    share = cap.share_of_paid
    return "" if share is None else f" [at most {share} of paid outcomes]"


def statement(s: Settlement) -> str:
    """The settlement statement: parties, achievement, retention, money, exclusions."""
    c = s.contract
    out: list[str] = []
    title = f"{c.title} ({c.id}): settlement as of {s.as_of.isoformat()}"
    out += [title, "=" * len(title)]
    out.append(
        f"Outcome payer: {c.parties.outcome_payer}; investor: {c.parties.investor}; "
        f"provider: {c.parties.provider}"
    )
    out.append(
        f"Participants: {s.participants_in} in, {len(s.participants)} settled, "
        f"{len(s.exclusions)} excluded"
    )
    if s.achievements:
        out += ["", "Achievement against target", "-" * 26]
        out.append(f"  {'cohort':<16}{'outcome':<22}{'quantity':>12}{'target':>9}{'ratio':>9}")
        for a in s.achievements:
            ratio = "n/a" if a.ratio is None else f"{float(a.ratio):.2f}x"
            target = "-" if a.target is None else f"{float(a.target):g}"
            out.append(
                f"  {a.cohort:<16}{a.outcome:<22}{float(a.quantity):>12.2f}{target:>9}{ratio:>9}"
            )
    if s.retention:
        out += ["", "Retention of job starters", "-" * 25]
        out.append(
            f"  {'cohort':<16}{'outcome':<22}{'starters':>9}{'observed':>9}{'censored':>9}"
            f"{'employed':>10}{'same job':>10}"
        )
        rows = list(s.retention)
        if len(c.cohorts) > 1:  # every cohort together, per retention outcome
            for outcome_id in dict.fromkeys(r.outcome for r in s.retention):
                mine = [r for r in s.retention if r.outcome == outcome_id]
                rows.append(
                    RetentionFigures(
                        "all cohorts",
                        outcome_id,
                        mine[0].horizon_weeks,
                        sum(r.job_starters for r in mine),
                        sum(r.censored for r in mine),
                        sum(r.retained for r in mine),
                        sum(r.same_employer for r in mine),
                    )
                )
        for r in rows:
            out.append(
                f"  {r.cohort:<16}{r.outcome:<22}{r.job_starters:>9}{r.observed:>9}"
                f"{r.censored:>9}{_pct(r.retention_rate):>10}{_pct(r.same_job_rate):>10}"
            )
        out.append(
            "  (employed: share of observed starters still employed at the horizon; "
            "same job: share of those with the employer they started with)"
        )
    out += ["", f"Payments ({c.currency})", "-" * 20]
    due, accrued = s.by_rule(), s.by_rule(due_only=False)
    w = max([len("rule"), *(len(r.id) for r in c.payment_rules)]) + 2
    out.append(f"  {'rule':<{w}}{'clause':<8}{'due':>16}{'accrued':>16}")
    for rule in c.payment_rules:
        out.append(
            f"  {rule.id:<{w}}{rule.clause:<8}{due[rule.id].amount:>16,.2f}"
            f"{accrued[rule.id].amount:>16,.2f}"
        )
    out.append("")
    for label, amount in s.by_cohort().items():
        out.append(f"  due for cohort {label:<20}{amount.amount:>16,.2f}")
    periods = s.by_invoice_period()
    if periods:
        out += ["", "  by invoice period (accrued; * = due)"]
        due_periods = s.by_invoice_period(due_only=True)
        for label, amount in periods.items():
            flag = "*" if due_periods[label] == amount and amount.amount > 0 else " "
            out.append(f"  {flag} {label:<26}{amount.amount:>16,.2f}")
    cut = s.capped_total
    if not cut.is_zero():
        out.append("")
        for ci, cap in enumerate(c.caps):
            mask = s.lines.cut_by == ci
            if mask.any():
                cap_cut = s.lines.amount_before_caps_minor[mask] - s.lines.amount_minor[mask]
                out.append(
                    f"  cap {cap.id} ({_clause_ref(s, cap.clause)}){_cap_kind(cap)} cut "
                    f"{Money.from_minor_units(int(cap_cut.sum()), c.currency)}"
                )
    out += [
        "",
        f"Total due:           {s.total}",
        f"Earned, not yet due: {s.pending_total}",
        f"Total accrued:       {s.accrued_total}",
    ]
    if s.exclusions:
        out += ["", "Excluded participants", "-" * 21]
        for e in s.exclusions:
            ref = f" ({_clause_ref(s, e.clause)})" if e.clause else ""
            out.append(f"  {e.participant_id} [{e.cohort}]: {e.reason}{ref}")
    return "\n".join(out)


def _earned_by(outcome: Any, traj: Trajectory, start: int, end: int) -> str:
    """Which spells earned a month: days x weight, in words (daily conventions)."""
    convention = getattr(outcome, "convention", None)
    if convention is None or convention.value == "weeks_52_12":
        return ""
    weights = dict(outcome.weights)
    norm = getattr(outcome, "hours_norm", None)
    parts = []
    for sp in traj.spells:
        w = weights.get(sp.status, Fraction(0))
        s0 = max(sp.start.toordinal(), start)
        s1 = min(OPEN_END_DAY if sp.end is None else sp.end.toordinal(), end)
        if w == 0 or s1 <= s0:
            continue
        text = f"{s1 - s0} days {sp.status.name.lower().replace('_', ' ')}"
        if w != 1:
            text += f" x {w}"
        if norm is not None and sp.hours is not None and sp.hours < norm:
            text += f" x {sp.hours}/{norm} h"
        parts.append(text)
    days = end - start
    month_days = _days_in_month_of(start)
    rule = {
        "pro_rata_days": f"of {month_days} days in the month",
        "days_30": "/ 30",
        "whole_months": "(whole month rule)",
        "half_month": "(half month rule)",
        "any_day": "(any day rule)",
    }[convention.value]
    return f"  <- {', '.join(parts)} {rule}; {days} window days" if parts else ""


def _days_in_month_of(day: int) -> int:
    d = date.fromordinal(day)
    return _stdlib_calendar.monthrange(d.year, d.month)[1]


def explain_participant(s: Settlement, participant_id: str) -> str:
    """Every krone of one participant, from the clause to the register spells."""
    c = s.contract
    row = s.row_of(participant_id)
    p = s.participants[row]
    traj = s.trajectories[row]
    terms = c.cohort(p.cohort)
    out = [
        f"Participant {p.id}: cohort {p.cohort}"
        + (f" ({_clause_ref(s, terms.clause)})" if terms.clause else "")
        + f", enrolled {p.enrolled.isoformat()}.",
        f"Evaluated as of {s.as_of.isoformat()}: days before that date are counted.",
        "",
        "Register spells:",
    ]
    for sp in traj.spells:
        extra = []
        if sp.hours is not None:
            extra.append(f"{sp.hours} h/week")
        if sp.employer is not None:
            extra.append(f"employer {sp.employer}")
        end = "open" if sp.end is None else (sp.end - ONE_DAY).isoformat()
        out.append(
            f"  {sp.start.isoformat()} to {end}: {sp.status.name.lower().replace('_', ' ')}"
            + (f" ({', '.join(extra)})" if extra else "")
        )
    lines = s.lines
    mine = lines.participant == row
    for oi, outcome in enumerate(c.outcomes):
        res = s.results[outcome.id]
        ws, we = s.windows[outcome.id]
        q = res.total_of(row)
        out += [
            "",
            f"Outcome {outcome.id} ({_clause_ref(s, outcome.clause)}): "
            f"{format_quantity(q)} {outcome.unit}(s)",
            f"  window {_day(int(ws[row]))} to {_day(int(we[row]) - 1)}",
        ]
        items = np.flatnonzero(res.row == row)
        for k in items:
            qty = Fraction(int(res.num[k]), res.den)
            p0, p1 = int(res.period_start[k]), int(res.period_end[k])
            why = _earned_by(outcome, traj, p0, p1) if outcome.unit == "month" else ""
            out.append(f"  {_day(p0)} to {_day(p1 - 1)}: {format_quantity(qty)}{why}")
        for ri, rule in enumerate(c.payment_rules):
            sel = mine & (lines.outcome == oi) & (lines.rule == ri)
            if not sel.any():
                continue
            qty = sum(
                (
                    Fraction(int(n), int(d))
                    for n, d in zip(lines.quantity_num[sel], lines.quantity_den[sel], strict=True)
                ),
                Fraction(0),
            )
            price = Money.from_minor_units(int(lines.unit_price_minor[sel][0]), c.currency)
            before = Money.from_minor_units(
                int(lines.amount_before_caps_minor[sel].sum()), c.currency
            )
            paid = Money.from_minor_units(int(lines.amount_minor[sel].sum()), c.currency)
            due = Money.from_minor_units(int(lines.amount_minor[sel & lines.due].sum()), c.currency)
            out.append(
                f"  Rule {rule.id} ({_clause_ref(s, rule.clause)}): {format_quantity(qty)} x "
                f"{price} = {before} (rounded {c.rounding.value} per {c.rounding_stage.value})"
            )
            for ci, cap in enumerate(c.caps):
                cut_here = sel & (lines.cut_by == ci)
                if cut_here.any():
                    cut = lines.amount_before_caps_minor[cut_here] - lines.amount_minor[cut_here]
                    out.append(
                        f"    cut by cap {cap.id} ({_clause_ref(s, cap.clause)}){_cap_kind(cap)}: "
                        f"-{Money.from_minor_units(int(cut.sum()), c.currency)}"
                    )
            out.append(f"    paid {paid}, of which due by {s.as_of.isoformat()}: {due}")
    fees = mine & (lines.outcome < 0)
    if fees.any():  # fees that follow the person, not an outcome (activity fees)
        out += ["", "Fees for this participant:"]
        for k in np.flatnonzero(fees):
            rule = c.payment_rules[int(lines.rule[k])]
            amount = Money.from_minor_units(int(lines.amount_minor[k]), c.currency)
            out.append(
                f"  Rule {rule.id} ({_clause_ref(s, rule.clause)}): {amount} earned "
                f"{_day(int(lines.earned_on[k]))}{'' if lines.due[k] else ' (not yet due)'}"
            )
    total_due = Money.from_minor_units(int(lines.amount_minor[mine & lines.due].sum()), c.currency)
    total = Money.from_minor_units(int(lines.amount_minor[mine].sum()), c.currency)
    out += ["", f"Total for {p.id}: {total} earned, {total_due} due."]
    return "\n".join(out)


def settlement_html(s: Settlement) -> str:
    """A compact HTML summary for notebooks."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(label)}</td><td style='text-align:right'>{esc(str(m))}</td></tr>"
        for label, m in s.by_cohort().items()
    )
    ach = "".join(
        f"<tr><td>{esc(a.cohort)}</td><td>{esc(a.outcome)}</td>"
        f"<td style='text-align:right'>{float(a.quantity):.2f}</td>"
        f"<td style='text-align:right'>{'' if a.target is None else f'{float(a.target):g}'}</td></tr>"
        for a in s.achievements
    )
    return (
        f"<div><strong>{esc(s.contract.title)}</strong>: settlement as of {s.as_of.isoformat()}"
        f"<br>{len(s.participants)} settled, {len(s.exclusions)} excluded; "
        f"due <strong>{esc(str(s.total))}</strong>, pending {esc(str(s.pending_total))}"
        f"<table><tr><th>cohort</th><th>due</th></tr>{rows}</table>"
        f"<table><tr><th>cohort</th><th>outcome</th><th>quantity</th><th>target</th></tr>{ach}</table>"
        "</div>"
    )
