"""Words for a settlement: the statement, per-participant explanations, HTML.

Everything here reads a :class:`~impactbond.settle.Settlement` and what its
stages recorded while settling (the measured items behind every line, the
cuts of every cap, the figures behind effect and savings payments); nothing
is computed a second time, so the words and the money cannot disagree.  The
one thing shown that the trace does not hold line by line, the spells behind
a month's weighted days, is checked against the traced total.

Numbers are decimals where a decimal is exact, and otherwise a rounded
decimal with the exact fraction beside it: ``0.548387 (= 17/31)``.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from impactbond.calendar import OPEN_END_DAY
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    MissingHours,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    SustainedEmployment,
)
from impactbond.domain.payment import Cap, PricePerUnit, TargetBonus
from impactbond.money import Money, exact_sum
from impactbond.settle import RetentionFigures
from impactbond.settle.group import EffectFigures, SavingsFigures
from impactbond.status import Status

if TYPE_CHECKING:
    from impactbond.settle import Settlement

__all__ = [
    "explain_participant",
    "format_number",
    "format_quantity",
    "settlement_html",
    "statement",
]


def _is_decimal(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _decimal_text(q: Fraction, places: int) -> str:
    if _is_decimal(q):
        d = Decimal(q.numerator) / Decimal(q.denominator)
        text = format(d.normalize(), "f")
        return text
    return f"{float(q):.{places}f}"


def format_number(q: Fraction | int, places: int = 6) -> str:
    """A number a reader can check: an exact decimal, or a decimal with its exact fraction.

    >>> format_number(Fraction(53, 4)), format_number(Fraction(17, 31)), format_number(3)
    ('13.25', '0.548387 (= 17/31)', '3')
    """
    q = Fraction(q)
    if _is_decimal(q):
        return _decimal_text(q, places)
    return f"{_decimal_text(q, places)} (= {q.numerator}/{q.denominator})"


def format_quantity(q: Fraction, places: int = 3) -> str:
    """A quantity in words: as :func:`format_number` with ``places`` decimals.

    >>> format_quantity(Fraction(53, 3)), format_quantity(Fraction(4))
    ('17.667 (= 53/3)', '4')
    """
    return format_number(q, places)


def _minor_words(minor: Fraction, currency: str) -> str:
    """An exact amount in minor units, in the currency's units: ``5,383.333333 (= 16150/3)``."""
    from impactbond.money import minor_unit_digits

    major = minor / 10 ** minor_unit_digits(currency)
    if _is_decimal(major):
        d = Decimal(major.numerator) / Decimal(major.denominator)
        return f"{d:,f}"
    return f"{float(major):,.6f} (= {major.numerator}/{major.denominator})"


def _price_words(minor: Fraction, currency: str) -> str:
    """A unit price: ``DKK 9,500.00``, or exactly where it is finer than the minor unit."""
    if minor.denominator == 1:
        return str(Money.from_minor_units(minor.numerator, currency))
    return f"{currency} {_minor_words(minor, currency)}"


def _pct(q: Fraction | None) -> str:
    return "n/a" if q is None else f"{float(q) * 100:.1f}%"


def _day(n: int) -> str:
    return "open" if n >= OPEN_END_DAY else date.fromordinal(int(n)).isoformat()


def _status_words(s: Status) -> str:
    name_en = getattr(s, "name_en", None)
    return str(name_en) if name_en else s.name.lower().replace("_", " ")


def _clause_ref(s: Settlement, clause_id: str) -> str:
    if not clause_id:
        return ""
    clause = s.contract.clause(clause_id)
    return f"clause {clause_id}" + (f" «{clause.title}»" if clause is not None else "")


def _cap_kind(cap: Cap) -> str:
    """`` [at most 2/5 of paid outcomes]`` for a mix cap, nothing for an amount cap."""
    share = cap.share_of_paid
    return "" if share is None else f" [at most {share} of paid outcomes]"


def _money(s: Settlement, minor: int) -> Money:
    return Money.from_minor_units(int(minor), s.currency)


def _week_label(monday_day: int) -> str:
    d = date.fromordinal(int(monday_day))
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d} (Monday {d.isoformat()})"


# ------------------------------------------------------------------------------ statement


def statement(s: Settlement) -> str:
    """The settlement statement: parties, achievement, retention, money, caps, exclusions."""
    c = s.contract
    out: list[str] = []
    title = f"{c.title} ({c.id}): settlement as of {s.as_of.isoformat()}"
    out += [title, "=" * len(title)]
    out.append(
        f"Outcome payer: {c.parties.outcome_payer}; investor: {c.parties.investor}; "
        f"provider: {c.parties.provider}"
    )
    out.append(f"Register data up to and including {s.data_until.isoformat()}.")
    out.append(
        f"Participants: {s.participants_in} in, {s.n_settled} settled, {len(s.exclusions)} excluded"
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
                        mine[0].horizon,
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
    if s.figures:
        out += ["", "Figures behind effect and savings payments", "-" * 42]
        for f in s.figures:
            if isinstance(f, EffectFigures):
                out.append(f"  {f.rule} (measured {f.measured_on}): {f.words()}")
            elif isinstance(f, SavingsFigures):
                saving = _minor_words(f.saving_per_person_minor, c.currency)
                paid = _minor_words(f.payment_minor, c.currency)
                out.append(
                    f"  {f.rule} (measured {f.measured_on}): {f.cohort}: net saving {saving} "
                    f"per person x share {format_number(f.share)} x {f.people} people = {paid}"
                    + ("" if f.paid else ": no saving, no payment")
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
    out += _unpaid_bonuses(s, accrued)
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
    if len(s.cuts):
        out.append("")
        for ci, amount in enumerate(s.by_cap().values()):
            if amount.is_zero():
                continue
            cap = c.caps[ci]
            out.append(
                f"  cap {cap.id} ({_clause_ref(s, cap.clause)}){_cap_kind(cap)} cut {amount}"
            )
    out += [
        "",
        f"Total due:           {s.total}",
        f"Earned, not yet due: {s.pending_total}",
        f"Total accrued:       {s.accrued_total}",
    ]
    if len(s.exclusions):
        out += ["", "Excluded participants", "-" * 21]
        for e in s.exclusions:
            ref = f" ({_clause_ref(s, e.clause)})" if e.clause else ""
            out.append(f"  {e.participant_id} [{e.cohort}]: {e.reason}{ref}")
    return "\n".join(out)


def _unpaid_bonuses(s: Settlement, accrued: dict[str, Money]) -> list[str]:
    """Why each target bonus that earned nothing was not paid: the cohort's total and target."""
    if len(np.unique(s.register.scenario)) > 1:
        return []  # one statement per scenario is not what this text is for
    labels = [c.label for c in s.contract.cohorts]
    out: list[str] = []
    for rule in s.contract.payment_rules:
        if not isinstance(rule, TargetBonus) or not accrued[rule.id].is_zero():
            continue
        m = s.measured[rule.outcome]
        mine = s.cohort_of == labels.index(rule.cohort)
        total = Fraction(exact_sum(m.totals[mine]), m.den)
        unit = next(o.unit for o in s.contract.outcomes if o.id == rule.outcome)
        out.append(
            f"  not paid: {rule.id} ({_clause_ref(s, rule.clause) or 'no clause'}): cohort "
            f"{rule.cohort} has {format_number(total)} {unit}(s) of {rule.outcome} of the "
            f"{format_number(rule.target)} the bonus needs (target not reached by "
            f"{s.as_of.isoformat()})"
        )
    return out


# ------------------------------------------------------------------------------ one person


def _spell_pieces(
    s: Settlement, row: int, outcome: EmploymentMonths | SelfSufficiency, start: int, end: int
) -> tuple[list[str], Fraction]:
    """The spells behind a month's weighted days: text per spell and their weighted sum."""
    reg = s.register
    weights = dict(outcome.weights)
    norm = getattr(outcome, "hours_norm", None)
    stop = s.observation.stop
    lo, hi = np.searchsorted(reg.spell_row, [row, row + 1])
    parts: list[str] = []
    total = Fraction(0)
    for k in range(int(lo), int(hi)):
        status = Status(int(reg.spell_status[k]))
        w = weights.get(status, Fraction(0))
        a = max(int(reg.spell_start[k]), start)
        b = min(int(reg.spell_end[k]), end, stop)
        if w == 0 or b <= a:
            continue
        days = b - a
        factor = w
        text = f"{days} days {_status_words(status)}"
        if w != 1:
            text += f" at weight {format_number(w)}"
        if norm is not None:
            hours = int(reg.spell_hours[k])
            if hours >= 0:
                share = min(Fraction(hours, 100), Fraction(norm)) / Fraction(norm)
                if share != 1:
                    text += f" x {format_number(Fraction(hours, 100))} of {norm} weekly hours"
            else:
                share = (
                    Fraction(1)
                    if getattr(outcome, "missing_hours", None) is MissingHours.FULL_TIME
                    else Fraction(0)
                )
                text += " (no hours registered: " + (
                    "counted as full time)" if share == 1 else "not counted)"
                )
            factor *= share
        total += days * factor
        parts.append(text)
    return parts, total


def _month_line_words(
    s: Settlement, row: int, outcome: EmploymentMonths | SelfSufficiency, item: int
) -> str:
    m = s.measured[outcome.id]
    it = m.items
    p0, p1 = int(it.period_start[item]), int(it.period_end[item])
    if "weighted" not in it.detail:  # WEEKS_52_12
        weeks = int(it.detail["weeks"][item])
        return (
            f"{format_number(Fraction(weeks, m.detail_den))} counted weeks with a Monday in "
            f"{_day(p0)} to {_day(p1)} x 12/52"
        )
    weighted = Fraction(int(it.detail["weighted"][item]), m.detail_den)
    days = int(it.detail["days"][item])
    month_days = int(it.detail["month_days"][item])
    parts, total = _spell_pieces(s, row, outcome, p0, p1)
    if total != weighted:  # the trace and the spells must tell the same story
        raise AssertionError(
            f"explanation of {outcome.id} disagrees with the settlement in {_day(p0)}"
        )
    conv = outcome.convention.value
    rule = {
        "pro_rata_days": f"/ {month_days} days in the month",
        "days_30": "/ 30",
        "whole_months": f"(whole-month rule: {days} of {days} days needed; share {days}/{month_days})",
        "half_month": f"(half-month rule: at least {days}/2 days needed; share {days}/{month_days})",
        "any_day": f"(any-day rule; share {days}/{month_days})",
    }[conv]
    return f"{' + '.join(parts)} = {format_number(weighted)} counted days {rule}"


def _event_words(s: Settlement, row: int, outcome: Any, item: int) -> str:
    m = s.measured[outcome.id]
    it = m.items
    monday = int(it.period_start[item])
    if isinstance(outcome, Progression):
        rung = int(it.detail["rung"][item])
        names = " or ".join(_status_words(x) for x in outcome.ladder[rung])
        return (
            f"at rung {rung + 1} of {len(outcome.ladder)} ({names}) or above, first in week "
            f"{_week_label(monday)}"
        )
    if isinstance(outcome, Retention):
        assert m.job_start is not None
        js = int(m.job_start[row])
        start = int(s.observation.monday(np.array([js]))[0])
        horizon = (
            f"{outcome.horizon_months} months"
            if outcome.horizon_months is not None
            else f"{outcome.horizon_weeks} weeks"
        )
        same = " with the employer of the job start" if outcome.same_employer else ""
        return (
            f"job start in week {_week_label(start)} + {horizon} = week {_week_label(monday)}: "
            f"still employed{same}"
        )
    if isinstance(outcome, SustainedEmployment):
        return f"{outcome.weeks} counted weeks after the job start reached in week {_week_label(monday)}"
    if isinstance(outcome, JobStart):
        return f"first week in employment: {_week_label(monday)}"
    if isinstance(outcome, RecordedEvent):
        return f"event {outcome.event!r} recorded on {_day(monday)}"
    if isinstance(outcome, SelfSufficiency):
        return f"{outcome.without_benefit_weeks} weeks without benefit reached in week {_week_label(monday)}"
    return f"earned in the period from {_day(monday)}"


def _why_not(s: Settlement, row: int, outcome: Any) -> list[str]:
    """Why an outcome paid nothing (or stopped) for this participant."""
    m = s.measured[outcome.id]
    out: list[str] = []
    _, we = s.windows[outcome.id]
    exit_end = int(s.observation.exit_end[row])
    if exit_end < int(we[row]):
        out.append(f"measurement stopped after the exit on {_day(exit_end - 1)} (exit rule)")
    if s.observation.measure_end < int(we[row]):
        out.append(
            f"measurement stopped at the end of the term ({_day(s.observation.measure_end - 1)})"
        )
    if isinstance(outcome, Retention):
        assert m.eligible is not None and m.censored is not None and m.retained is not None
        if not m.eligible[row]:
            out.append("no job start observed in the window, so no retention to measure")
        elif m.censored[row]:
            out.append(
                "the horizon week has not been observed yet (censored: data up to "
                f"{s.data_until.isoformat()})"
            )
        elif not m.retained[row]:
            out.append("not employed in the horizon week")
        elif outcome.same_employer and m.same_employer is not None and not m.same_employer[row]:
            out.append("employed in the horizon week, but not with the employer of the job start")
    elif int(m.totals[row]) == 0 and isinstance(outcome, JobStart | SustainedEmployment):
        out.append("not reached in the observed weeks of the window")
    return out


def explain_participant(s: Settlement, participant_id: str) -> str:
    """Every krone of one participant, from the clause to the register spells.

    An excluded participant is explained by the reason of the exclusion.
    """
    c = s.contract
    try:
        row = s.register.row_of(participant_id)
    except Exception:
        for e in s.exclusions:
            if e.participant_id == participant_id:
                ref = f" ({_clause_ref(s, e.clause)})" if e.clause else ""
                return (
                    f"Participant {participant_id}: cohort {e.cohort}, not settled: "
                    f"{e.reason}{ref}. Nothing is paid for this participant."
                )
        s.row_of(participant_id)  # raises the typed error
        raise
    p = s.register.participant(row)
    terms = c.cohort(p.cohort)
    reg = s.register
    out = [
        f"Participant {p.id}: cohort {p.cohort}"
        + (f" ({_clause_ref(s, terms.clause)})" if terms.clause else "")
        + f", enrolled {p.enrolled.isoformat()}"
        + (f", exited {p.exited.isoformat()}" if p.exited else "")
        + ".",
        f"Settlement as of {s.as_of.isoformat()}; register data up to and including "
        f"{s.data_until.isoformat()}.",
        "",
        "Register spells (from the start date to the end date, which is the first day after "
        "the spell):",
    ]
    lo, hi = np.searchsorted(reg.spell_row, [row, row + 1])
    for k in range(int(lo), int(hi)):
        extra = []
        hours = int(reg.spell_hours[k])
        if hours >= 0:
            extra.append(f"{format_number(Fraction(hours, 100))} h/week")
        emp = int(reg.spell_employer[k])
        if emp:
            extra.append(f"employer {reg.employers[emp].as_py()}")
        out.append(
            f"  {_day(int(reg.spell_start[k]))} to {_day(int(reg.spell_end[k]))}: "
            f"{_status_words(Status(int(reg.spell_status[k])))}"
            + (f" ({', '.join(extra)})" if extra else "")
        )
    lines = s.lines
    mine = np.flatnonzero(lines.participant == row)
    for oi, outcome in enumerate(c.outcomes):
        m = s.measured[outcome.id]
        ws, we = s.windows[outcome.id]
        q = Fraction(int(m.totals[row]), m.den)
        out += [
            "",
            f"Outcome {outcome.id} ({_clause_ref(s, outcome.clause) or 'no clause'}): "
            f"{format_number(q)} {outcome.unit}(s)",
            f"  window from {_day(int(ws[row]))} to {_day(int(we[row]))}",
        ]
        out += [f"  {why}" for why in _why_not(s, row, outcome)]
        for ri, rule in enumerate(c.payment_rules):
            sel = mine[(lines.outcome[mine] == oi) & (lines.rule[mine] == ri)]
            if len(sel) == 0:
                continue
            price = lines.unit_price(int(sel[0]))
            out.append(
                f"  Rule {rule.id} ({_clause_ref(s, rule.clause) or 'no clause'}): "
                f"{_price_words(price, c.currency)} per {outcome.unit}"
                + (
                    f", at most {format_number(rule.max_units_per_participant)} per participant"
                    if isinstance(rule, PricePerUnit) and rule.max_units_per_participant is not None
                    else ""
                )
            )
            exact_total = Fraction(0)
            for k in sel.tolist():
                item = int(lines.item[k])
                qty = lines.quantity(k)
                measured_q = Fraction(int(m.items.num[item]), m.den)
                if outcome.unit == "month":
                    how = _month_line_words(s, row, outcome, item)  # type: ignore[arg-type]
                else:
                    how = _event_words(s, row, outcome, item)
                exact = lines.exact_amount(k)
                exact_total += exact
                cut_note = ""
                if qty != measured_q:
                    cut_note = (
                        f" (cut from {format_number(measured_q)} to stay within the unit limit)"
                    )
                out.append(
                    f"    {_day(int(lines.period_start[k]))} to {_day(int(lines.period_end[k]))}: {how}"
                )
                out.append(
                    f"      quantity {format_number(qty)}{cut_note} x "
                    f"{_minor_words(price, c.currency)} = {_minor_words(exact, c.currency)}, "
                    f"rounded {_money(s, int(lines.amount_before_caps[k]))}"
                )
                for cap_index, amount in s.cuts.of_line(k):
                    cap = c.caps[cap_index]
                    out.append(
                        f"      cut by cap {cap.id} ({_clause_ref(s, cap.clause)}){_cap_kind(cap)}: "
                        f"-{_money(s, amount)}"
                    )
                out.append(
                    f"      paid {_money(s, int(lines.amount[k]))}; invoice period "
                    f"{s.invoice_period_label(int(lines.invoice_period[k]))}, due "
                    f"{_day(int(lines.due_on[k]))}{'' if lines.due[k] else ' (not yet due)'}"
                )
            rounded = exact_sum(lines.amount_before_caps[sel])
            paid = exact_sum(lines.amount[sel])
            due = exact_sum(lines.amount[sel][lines.due[sel]])
            diff = Fraction(rounded) - exact_total
            out.append(
                f"    sum of the rounded lines {_money(s, rounded)}; quantity x price exactly "
                f"{_minor_words(exact_total, c.currency)}; rounding {c.rounding.value} per "
                f"{c.rounding_stage.value} made a difference of {_minor_words(diff, c.currency)}"
            )
            out.append(
                f"    paid {_money(s, paid)}, of which due by {s.as_of.isoformat()}: {_money(s, due)}"
            )
    fees = mine[lines.outcome[mine] < 0]
    if len(fees):  # fees that follow the person, not an outcome (activity fees)
        out += ["", "Fees for this participant:"]
        for k in fees.tolist():
            rule = c.payment_rules[int(lines.rule[k])]
            out.append(
                f"  Rule {rule.id} ({_clause_ref(s, rule.clause)}): {_money(s, int(lines.amount[k]))} "
                f"earned {_day(int(lines.earned_on[k]))}{'' if lines.due[k] else ' (not yet due)'}"
            )
    total_due = exact_sum(lines.amount[mine][lines.due[mine]])
    total = exact_sum(lines.amount[mine])
    out += ["", f"Total for {p.id}: {_money(s, total)} earned, {_money(s, total_due)} due."]
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
        f"<td style='text-align:right'>{float(a.quantity):,.2f}</td>"
        f"<td style='text-align:right'>{'' if a.target is None else f'{float(a.target):,g}'}</td></tr>"
        for a in s.achievements
    )
    return (
        f"<div><strong>{esc(s.contract.title)}</strong>: settlement as of {s.as_of.isoformat()} "
        f"(data up to {s.data_until.isoformat()})"
        f"<br>{s.n_settled} settled, {len(s.exclusions)} excluded; "
        f"due <strong>{esc(str(s.total))}</strong>, pending {esc(str(s.pending_total))}"
        f"<table><tr><th>cohort</th><th>due</th></tr>{rows}</table>"
        f"<table><tr><th>cohort</th><th>outcome</th><th>quantity</th><th>target</th></tr>{ach}</table>"
        "</div>"
    )
