"""A contract as a readable document: Markdown, HTML and a notebook summary.

Everything is generated from the same :class:`~impactbond.domain.contract.Contract`
that :func:`impactbond.settle` evaluates, so the words a lawyer reads and the
numbers a settlement computes come from one source: parties, term, referral
window, cohorts, outcomes (what counts, the accrual convention, the window),
prices, caps, the payment schedule, rounding, and every clause in English and
Danish.

>>> from datetime import date
>>> import impactbond as ib
>>> contract = ib.Contract(
...     id="demo", title="Demo <contract>",
...     parties=ib.Parties("Kommune", "Fond", "Leverandør"), currency="DKK",
...     term_start=date(2024, 1, 1), term_end=date(2027, 1, 1),
...     referral_start=date(2024, 1, 1), referral_end=date(2025, 1, 1),
...     cohorts=[ib.CohortTerms("sick_listed")],
...     outcomes=[ib.EmploymentMonths("employment_months", clause="4")],
...     payment_rules=[ib.PricePerUnit("pay_months", outcome="employment_months",
...                                    price=ib.Money(1500, "DKK"))],
...     clauses=[ib.Clause("4", "Employment months", "Months in work count.",
...                        "Måneder i job tæller.")])
>>> text = render_markdown(contract)
>>> print(text.splitlines()[0])
# Demo <contract>
>>> "DKK 1,500.00 (1.500,00 kr.) per month" in text, "Måneder i job tæller." in text
(True, True)
>>> page = render_html(contract)
>>> "<h1>Demo &lt;contract&gt;</h1>" in page, "<contract>" in page
(True, False)
>>> contract_html(contract).startswith("<div class=\\"impactbond-contract\\">")
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

import attrs

from impactbond.calendar import DayCount, MonthRounding
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.contract import Clause, CohortTerms, Contract
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    Outcome,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    SustainedEmployment,
    Weights,
    Window,
)
from impactbond.domain.payment import (
    ActivityFee,
    Cap,
    CapScope,
    EffectTierPayment,
    FixedFee,
    PaymentRule,
    PricePerUnit,
    SavingsSharePayment,
    TargetBonus,
)
from impactbond.domain.terms import Financing, Guarantee, GuaranteeCall
from impactbond.money import Money, Rounding, RoundingStage
from impactbond.status import Status

__all__ = ["contract_html", "describe_outcome", "render_html", "render_markdown"]

ONE_DAY = timedelta(days=1)

CONVENTION_WORDS: dict[AccrualConvention, str] = {
    AccrualConvention.PRO_RATA_DAYS: (
        "each calendar month counts the employed days in it divided by the days in that month"
    ),
    AccrualConvention.WHOLE_MONTHS: (
        "a calendar month counts as one month only if every day of it in the window is employed"
    ),
    AccrualConvention.ANY_DAY: "a calendar month counts as one month if any day of it is employed",
    AccrualConvention.HALF_MONTH: (
        "a calendar month counts as one month if at least half of its days in the window "
        "are employed"
    ),
    AccrualConvention.DAYS_30: "employed days are divided by 30",
    AccrualConvention.WEEKS_52_12: (
        "employed weeks of the weekly register are multiplied by 12/52"
    ),
}
"""The accrual conventions in plain words."""

ROUNDING_WORDS: dict[Rounding, str] = {
    Rounding.HALF_UP: "to the nearest øre, a half øre away from zero",
    Rounding.HALF_EVEN: "to the nearest øre, a half øre to the even neighbour",
    Rounding.DOWN: "down to the øre (towards zero)",
    Rounding.UP: "up to the øre (away from zero)",
}

STAGE_WORDS: dict[RoundingStage, str] = {
    RoundingStage.LINE: "each payment line (one participant, one month or event) is rounded",
    RoundingStage.PARTICIPANT: (
        "each participant's payments under a rule are added exactly and the sum is rounded"
    ),
    RoundingStage.INVOICE: "payments are added exactly and only each invoice total is rounded",
}

MONTH_ROUNDING_WORDS: dict[MonthRounding, str] = {
    MonthRounding.RAISE: "refused: the contract must name a rounding",
    MonthRounding.UP: "moves forward to the first day of the next month",
    MonthRounding.DOWN: "moves back to the last day of the month",
}

SCOPE_WORDS: dict[CapScope, str] = {
    CapScope.PARTICIPANT: "per participant",
    CapScope.COHORT: "per cohort",
    CapScope.CONTRACT: "for the whole contract",
}


# ---------------------------------------------------------------------------
# A small document model, rendered twice (Markdown and HTML)
# ---------------------------------------------------------------------------


@attrs.frozen
class _Paragraph:
    text: str


@attrs.frozen
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@attrs.frozen
class _ClauseBlock:
    clause: Clause


@attrs.frozen
class _Section:
    title: str
    blocks: tuple[_Paragraph | _Table | _ClauseBlock, ...]


def _day(d: date) -> str:
    return d.isoformat()


def _last_day(end: date) -> str:
    return (end - ONE_DAY).isoformat()


def _money(m: Money) -> str:
    return f"{m} ({m.format_da()})" if m.currency == "DKK" else str(m)


def _number(q: Fraction) -> str:
    if q.denominator == 1:
        return str(q.numerator)
    return f"{q.numerator}/{q.denominator} (≈ {float(q):.3f})"


def _status(s: Status) -> str:
    return f"{s.name_en} ({s.name_da})"


def _weights(weights: Weights) -> str:
    parts = []
    for status, w in weights:
        if w == 0:
            continue
        parts.append(_status(status) if w == 1 else f"{_status(status)} (weight {_number(w)})")
    return ", ".join(parts) if parts else "no status"


def _window(window: Window) -> str:
    anchor = "enrolment (opstart)" if window.anchor == "enrolled" else "referral (visitation)"
    start = (
        f"{window.start_months} months after {anchor}"
        if window.start_months
        else f"the date of {anchor}"
    )
    return f"{window.length_months} months from {start}"


def _clause_ref(contract: Contract, clause_id: str) -> str:
    if not clause_id:
        return "no clause cited"
    clause = contract.clause(clause_id)
    return f"clause {clause_id}" + (f" «{clause.title}»" if clause is not None else "")


def describe_outcome(outcome: Outcome) -> str:
    """What an outcome counts, in one or two sentences.

    >>> from impactbond.domain.outcome import Retention
    >>> describe_outcome(Retention("retained_26w", horizon_weeks=26))
    'Still employed 26 weeks after the job start (fastholdelse). Counts: ordinary employment ...'
    """
    weights: Weights | None = getattr(outcome, "weights", None)
    counts = "" if weights is None else f"Counts: {_weights(weights)}."
    window = f"Measured in a window of {_window(outcome.window)}."
    if isinstance(outcome, EmploymentMonths):
        text = (
            "Months in employment (beskæftigelsesmåneder): "
            f"{CONVENTION_WORDS[outcome.convention]}. {counts}"
        )
        if outcome.hours_norm is not None:
            text += (
                f" Spells with weekly hours count hours / {outcome.hours_norm}, at most full time."
            )
        return f"{text} {window}"
    if isinstance(outcome, SelfSufficiency):
        if outcome.without_benefit_weeks is not None:
            text = (
                "Self-sufficiency (selvforsørgelse): one event when the person has gone "
                f"{outcome.without_benefit_weeks} consecutive weeks without a public benefit."
            )
        else:
            text = (
                "Months of self-sufficiency (selvforsørgelse): "
                f"{CONVENTION_WORDS[outcome.convention]}."
            )
        return f"{text} {counts} {window}"
    if isinstance(outcome, JobStart):
        return f"A job start: the first employed week in the window (one event). {counts} {window}"
    if isinstance(outcome, SustainedEmployment):
        how = (
            f"{outcome.weeks} employed weeks in total"
            if outcome.cumulative
            else f"{outcome.weeks} weeks in a row"
            + (" with the employer of the job start" if outcome.same_employer else "")
            + (
                f", at least {outcome.min_weekly_hours} hours a week"
                if outcome.min_weekly_hours is not None
                else ""
            )
            + (
                f", gaps of at most {outcome.allowed_gap_weeks} weeks allowed"
                if outcome.allowed_gap_weeks
                else ""
            )
        )
        return f"Sustained employment after the job start: {how} (one event). {counts} {window}"
    if isinstance(outcome, Retention):
        who = "with the employer of the job start" if outcome.same_employer else "employed"
        return (
            f"Still {who} {outcome.horizon_label} after the job start (fastholdelse). "
            f"{counts} {window} People whose horizon has not yet been observed are censored: "
            "neither retained nor failures."
        )
    if isinstance(outcome, RecordedEvent):
        how = "the first one counts" if outcome.once else "each one counts"
        return (
            f"A recorded event «{outcome.event}» in the data given to the settlement, "
            f"not read from the registers ({how}). {window}"
        )
    assert isinstance(outcome, Progression)
    rungs = " < ".join(" or ".join(_status(s) for s in rung) for rung in outcome.ladder)
    return (
        "Progression: one step for each rung of the ladder climbed above the rung at the "
        f"window's start (ladder, lowest first: {rungs}). {window}"
    )


def _percent(q: Fraction) -> str:
    return f"{float(q * 100):g} %"


def _cohorts_words(cohorts: tuple[str, ...]) -> str:
    return ", ".join(cohorts) if cohorts else "all cohorts"


def _effect_words(contract: Contract, rule: EffectTierPayment) -> str:
    tiers = "; ".join(
        f"{_percent(t.from_effect)}"
        + (f" to {_percent(t.to_effect)}" if t.to_effect is not None else " or more")
        + f": {_money(t.payment)}"
        for t in rule.tiers
    )
    per = " per participant" if rule.per_participant else " per cohort"
    if rule.comparison_rate is not None:
        against = f"a comparison rate of {_percent(rule.comparison_rate)}"
        if rule.comparison_source:
            against += f" ({rule.comparison_source})"
    else:
        against = "a comparison panel"
    gates = f"gate {_percent(rule.gate)} per cohort"
    if rule.pooled_gate is not None:
        gates += f" or {_percent(rule.pooled_gate)} pooled"
    when = _day(rule.measured_on) if rule.measured_on else "the settlement date"
    return (
        f"by the relative {rule.direction} in the share with {rule.outcome} against {against}, "
        f"measured on {when}; {gates}; tiers{per}: {tiers}"
    )


def _savings_words(contract: Contract, rule: SavingsSharePayment) -> str:
    parts = []
    if rule.tax_gain_per_person is not None:
        parts.append(f"tax gain {_money(rule.tax_gain_per_person)}")
    if rule.transfer_change_per_person is not None:
        parts.append(f"change in transfers {_money(rule.transfer_change_per_person)}")
    for b in rule.benefit_savings:
        refusion = " net of refusion" if any(r.benefit == b.benefit for r in rule.refusion) else ""
        parts.append(
            f"{_number(b.weeks_per_person)} weeks of {b.benefit} avoided at "
            f"{_money(b.weekly_rate)} a week{refusion}"
        )
    per_person = rule.saving_per_person(contract.currency)
    exact = "" if per_person.denominator == 1 else " (rounded for display)"
    saving = Money.from_minor_units(round(per_person), contract.currency)
    return (
        f"{_percent(rule.share)} of the net saving per person against the control group, "
        f"{_money(saving)}{exact} ({'; '.join(parts) or 'no items'}), times the participants, "
        f"measured on {_day(rule.measured_on)}"
    )


def _rule_words(contract: Contract, rule: PaymentRule) -> tuple[str, ...]:
    clause = _clause_ref(contract, rule.clause)
    if isinstance(rule, PricePerUnit):
        outcome = contract.outcome(rule.outcome)
        limit = (
            "-"
            if rule.max_units_per_participant is None
            else f"{_number(rule.max_units_per_participant)} {outcome.unit}s"
        )
        return (
            rule.id,
            f"{_money(rule.price)} per {outcome.unit} of {rule.outcome}",
            _cohorts_words(rule.cohorts),
            limit,
            clause,
        )
    if isinstance(rule, TargetBonus):
        outcome = contract.outcome(rule.outcome)
        return (
            rule.id,
            f"{_money(rule.bonus)} once, when the cohort reaches {_number(rule.target)} "
            f"{outcome.unit}s of {rule.outcome}",
            rule.cohort,
            "-",
            clause,
        )
    if isinstance(rule, EffectTierPayment):
        top = rule.tiers[-1].payment
        limit = f"{_money(top)}{' per participant' if rule.per_participant else ''}"
        return (rule.id, _effect_words(contract, rule), _cohorts_words(rule.cohorts), limit, clause)
    if isinstance(rule, SavingsSharePayment):
        return (rule.id, _savings_words(contract, rule), _cohorts_words(rule.cohorts), "-", clause)
    if isinstance(rule, FixedFee):
        paid = ", ".join(f"{_money(i.amount)} on {_day(i.on)}" for i in rule.instalments)
        return (
            rule.id,
            f"a fixed fee to the {rule.payee}: {paid}",
            rule.cohort or contract.cohorts[0].label,
            "-",
            clause,
        )
    assert isinstance(rule, ActivityFee)
    return (
        rule.id,
        f"{_money(rule.fee)} per participant enrolled, to the {rule.payee}, on enrolment",
        _cohorts_words(rule.cohorts),
        "-",
        clause,
    )


def _cap_words(contract: Contract, cap: Cap) -> tuple[str, ...]:
    scope = SCOPE_WORDS[cap.scope]
    if cap.cohort is not None:
        scope += f" ({cap.cohort} only)"
    rules = ", ".join(cap.rules) if cap.rules else "all payment rules"
    amount = _money(cap.amount)
    if cap.share_of_paid is not None:
        amount += f", and at most {_percent(cap.share_of_paid)} of all money paid"
    return (cap.id, amount, scope, rules, _clause_ref(contract, cap.clause))


def _financing_paragraphs(contract: Contract, f: Financing) -> tuple[str, ...]:
    out = [
        "The investor funds the provider: "
        + ", ".join(f"{_money(i.amount)} on {_day(i.on)}" for i in f.investments)
        + "."
    ]
    if f.delivery_fee is not None:
        d = f.delivery_fee
        out.append(
            f"A delivery fee of {_percent(d.share)} of the contract value {_money(d.contract_value)} "
            f"is paid to the provider on {', '.join(_day(x) for x in d.dates)} "
            f"({_clause_ref(contract, d.clause)})."
        )
    if f.top_up is not None:
        out.append(
            f"{f.top_up.fund} pays {_percent(f.top_up.share)} of every outcome payment, "
            f"the outcome payer the rest ({_clause_ref(contract, f.top_up.clause)})."
        )
    if f.return_cap is not None:
        r = f.return_cap
        limits = []
        if r.irr is not None:
            assert r.day_count is not None
            limits.append(
                f"an IRR of {_percent(r.irr)} a year ({_day_count_words(r.irr, r.day_count)})"
            )
        if r.multiple is not None:
            limits.append(f"{_number(r.multiple)} times the money invested")
        rounding = ""
        if r.irr is not None and r.day_count in WHOLE_PERIOD_COUNTS:
            rounding = f" {PERIOD_ROUNDING_WORDS[r.month_rounding]}"
        out.append(
            f"The investor receives at most {' and at most '.join(limits)}; outcome payments "
            f"above the cap stay with the payers ({_clause_ref(contract, r.clause)}).{rounding}"
        )
    if f.guarantee is not None:
        g = f.guarantee
        limit = "" if g.limit is None else f", up to {_money(g.limit)}"
        out.append(
            f"{g.guarantor} covers {_percent(g.share)} of the investor's loss{limit}. "
            f"{_guarantee_call_words(contract, g)} ({_clause_ref(contract, g.clause)})."
        )
    return tuple(out)


#: The day counts that count whole calendar periods.
WHOLE_PERIOD_COUNTS = (DayCount.WHOLE_YEARS, DayCount.WHOLE_MONTHS)

#: How a day count turns the time between two dates into years, in words.
DAY_COUNT_WORDS: dict[DayCount, str] = {
    DayCount.ACTUAL_365_FIXED: "years counted actual/365 fixed: the days between two dates / 365",
    DayCount.ACTUAL_ACTUAL_ISDA: (
        "years counted actual/actual (ISDA): the days in each calendar year / the days of "
        "that year, 365 or 366"
    ),
    DayCount.THIRTY_360_BOND_BASIS: (
        "years counted 30/360 bond basis (ISDA 2006, 4.16(f)): every month 30 days, a year "
        "360; day 31 counts as 30, and an end on day 31 as 30 when the start is on day 30 or 31"
    ),
    DayCount.WHOLE_YEARS: "counted in whole calendar years from the date of each amount",
    DayCount.WHOLE_MONTHS: "counted in whole calendar months from the date of each amount, 12 to a year",
}

#: When a whole period that starts on a day later months lack ends, in words.
PERIOD_ROUNDING_WORDS: dict[MonthRounding, str] = {
    MonthRounding.RAISE: "No amount may be dated on a day that later months lack.",
    MonthRounding.DOWN: "A period that starts on a day a later month lacks ends on that month's last day.",
    MonthRounding.UP: "A period that starts on a day a later month lacks ends on the first day of the next month.",
}


def _day_count_words(irr: Fraction, day_count: DayCount) -> str:
    words = DAY_COUNT_WORDS[day_count]
    if day_count is DayCount.WHOLE_YEARS:
        return f"{words}: each amount grows by {_percent(irr)} for every whole year"
    return f"{words}; each amount grows by (1 + {_percent(irr)}) to the power of its years"


def _guarantee_call_words(contract: Contract, g: Guarantee) -> str:
    if g.called is GuaranteeCall.ON_DATE:
        assert g.on is not None
        return f"The loss is measured and the guarantee paid on {_day(g.on)}"
    if g.called is GuaranteeCall.MATURITY:
        return (
            "The loss is measured and the guarantee paid at maturity, on the term's last day "
            f"({_day(contract.maturity)})"
        )
    return (
        "The loss is measured and the guarantee paid at final determination, the day the last "
        "outcome payment falls due: the last day anything is measured, plus the verification "
        f"lag ({_day(contract.final_determination)})"
    )


def _cohort_row(contract: Contract, c: CohortTerms) -> tuple[str, ...]:
    eligible = ", ".join(_status(s) for s in c.eligible_statuses) or "anyone referred"
    target = "-" if c.target is None else f"{_number(c.target)} ({c.target_outcome})"
    size = "no limit" if c.max_participants is None else str(c.max_participants)
    return (c.label, c.description or "-", eligible, target, size, _clause_ref(contract, c.clause))


def _document(contract: Contract) -> tuple[str, tuple[_Section, ...]]:
    c = contract
    intro = [f"Contract `{c.id}`, amounts in {c.currency}."]
    if c.description:
        intro.insert(0, c.description)
    sections = [
        _Section("About this document", tuple(_Paragraph(t) for t in intro)),
        _Section(
            "Parties (parter)",
            (
                _Table(
                    ("role", "party"),
                    (
                        ("outcome payer (betaler for effekt)", c.parties.outcome_payer),
                        ("investor", c.parties.investor),
                        ("provider (leverandør)", c.parties.provider),
                    ),
                ),
            ),
        ),
        _Section(
            "Term and referral window",
            (
                _Paragraph(
                    f"The contract runs from {_day(c.term_start)} until {_day(c.term_end)} "
                    f"(the last day is {_last_day(c.term_end)})."
                ),
                _Paragraph(
                    f"Participants enrolled from {_day(c.referral_start)} up to and including "
                    f"{_last_day(c.referral_end)} are settled; others are reported as excluded."
                ),
            ),
        ),
        _Section(
            "Cohorts (målgrupper)",
            (
                _Table(
                    ("cohort", "who", "eligible status on enrolment", "target", "max", "clause"),
                    tuple(_cohort_row(c, k) for k in c.cohorts),
                ),
            ),
        ),
        _Section(
            "Outcomes (what is measured)",
            tuple(
                _Paragraph(f"**{o.id}** ({_clause_ref(c, o.clause)}). {describe_outcome(o)}")
                for o in c.outcomes
            ),
        ),
        _Section(
            "Prices (betaling ved dokumenteret effekt)",
            (
                _Table(
                    ("rule", "price", "cohorts", "limit per participant", "clause"),
                    tuple(_rule_words(c, r) for r in c.payment_rules),
                ),
            ),
        ),
    ]
    if c.caps:
        sections.append(
            _Section(
                "Caps (lofter)",
                (
                    _Paragraph(
                        "Payments count towards a cap in the order they were earned; the first "
                        "payment that would pass the cap is cut to fit and later ones to zero."
                    ),
                    _Table(
                        ("cap", "amount", "scope", "payment rules", "clause"),
                        tuple(_cap_words(c, k) for k in c.caps),
                    ),
                ),
            )
        )
    if c.financing is not None:
        sections.append(
            _Section(
                "Financing",
                tuple(_Paragraph(t) for t in _financing_paragraphs(c, c.financing)),
            )
        )
    s = c.schedule
    sections += [
        _Section(
            "Payment schedule",
            (
                _Paragraph(
                    f"Outcomes are invoiced in arrears every {s.invoice_months} months, counted "
                    f"from {_day(c.term_start)}. Money earned in an invoice period is due "
                    f"{s.verification_lag_days} days after the period closes, when the register "
                    "data have settled."
                ),
            ),
        ),
        _Section(
            "Rounding and dates",
            (
                _Paragraph(
                    f"Amounts are exact until one rounding step: {STAGE_WORDS[c.rounding_stage]}, "
                    f"{ROUNDING_WORDS[c.rounding]} (`{c.rounding.value}` at stage "
                    f"`{c.rounding_stage.value}`)."
                ),
                _Paragraph(
                    "When adding months lands on a day the month does not have "
                    f"(31 January + 1 month), the date {MONTH_ROUNDING_WORDS[c.month_rounding]} "
                    f"(`{c.month_rounding.value}`)."
                ),
            ),
        ),
        _Section(
            "Clauses (klausuler)",
            tuple(_ClauseBlock(k) for k in c.clauses)
            or (_Paragraph("The contract carries no clause texts."),),
        ),
    ]
    return c.title, tuple(sections)


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(table: _Table) -> list[str]:
    out = ["| " + " | ".join(_md_cell(h) for h in table.header) + " |"]
    out.append("| " + " | ".join("---" for _ in table.header) + " |")
    out += ["| " + " | ".join(_md_cell(x) for x in row) + " |" for row in table.rows]
    return out


def _md_quote(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in text.splitlines()]


def render_markdown(contract: Contract) -> str:
    """The contract as a Markdown document (CommonMark with pipe tables).

    Parameters
    ----------
    contract:
        The contract, as loaded with :func:`impactbond.load_contract` or built in code.

    Returns
    -------
    str
        One document: parties, term, cohorts, outcomes, prices, caps,
        schedule, rounding and every clause (English, then Danish).
    """
    title, sections = _document(contract)
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, _Paragraph):
                out += [block.text, ""]
            elif isinstance(block, _Table):
                out += [*_md_table(block), ""]
            else:
                k = block.clause
                out += [f"### {k.id}. {k.title}", ""]
                out += [*_md_quote(k.text), ""]
                if k.text_da:
                    out += ["*Dansk:*", "", *_md_quote(k.text_da), ""]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1d1d1f; }
h1 { border-bottom: 2px solid #2b6cb0; padding-bottom: .3rem; }
h2 { margin-top: 2rem; color: #2b6cb0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border: 1px solid #cbd5e0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #edf2f7; }
blockquote { margin: .3rem 0 .8rem; padding: .3rem .8rem; border-left: 4px solid #a0aec0;
             background: #f7fafc; }
blockquote[lang="da"] { border-left-color: #c53030; }
code { background: #edf2f7; padding: 0 .2rem; border-radius: 3px; }
"""


def _inline_html(text: str) -> str:
    """Escape, then turn the two inline marks the document uses (**bold**, `code`) into tags."""
    out: list[str] = []
    for i, part in enumerate(text.split("`")):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        pieces = part.split("**")
        out.append(
            "".join(
                f"<strong>{html.escape(p)}</strong>" if j % 2 else html.escape(p)
                for j, p in enumerate(pieces)
            )
        )
    return "".join(out)


def _html_table(table: _Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in row) + "</tr>" for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _html_body(title: str, sections: Sequence[_Section]) -> str:
    out = [f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, _Paragraph):
                out.append(f"<p>{_inline_html(block.text)}</p>")
            elif isinstance(block, _Table):
                out.append(_html_table(block))
            else:
                k = block.clause
                anchor = html.escape(f"clause-{k.id}", quote=True)
                out.append(f'<h3 id="{anchor}">{html.escape(k.id)}. {html.escape(k.title)}</h3>')
                out.append(f'<blockquote lang="en">{_html_paragraphs(k.text)}</blockquote>')
                if k.text_da:
                    out.append(f'<blockquote lang="da">{_html_paragraphs(k.text_da)}</blockquote>')
    return "\n".join(out)


def render_html(contract: Contract) -> str:
    """The contract as a self-contained HTML page (inline CSS, no scripts, everything escaped).

    Parameters
    ----------
    contract:
        The contract.

    Returns
    -------
    str
        A complete ``<!DOCTYPE html>`` document with the same content as
        :func:`render_markdown`.
    """
    title, sections = _document(contract)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{_html_body(title, sections)}\n</body>\n</html>\n"
    )


def contract_html(contract: Contract) -> str:
    """A compact HTML summary of a contract, for ``Contract._repr_html_`` in notebooks.

    Parties, term, and one table each of cohorts and prices; the full text is
    :func:`render_html`.
    """
    c = contract
    esc = html.escape
    cohorts = _Table(
        ("cohort", "eligible on enrolment", "target", "max"),
        tuple(row[:1] + row[2:5] for row in (_cohort_row(c, k) for k in c.cohorts)),
    )
    rules = _Table(
        ("rule", "price", "cohorts", "clause"),
        tuple(row[:3] + row[4:] for row in (_rule_words(c, r) for r in c.payment_rules)),
    )
    return (
        '<div class="impactbond-contract">'
        f"<strong>{esc(c.title)}</strong> (<code>{esc(c.id)}</code>)<br>"
        f"{esc(c.parties.outcome_payer)} pays {esc(c.parties.investor)} for outcomes of "
        f"{esc(c.parties.provider)}'s programme; term {_day(c.term_start)} until "
        f"{_day(c.term_end)}, enrolment {_day(c.referral_start)} to {_last_day(c.referral_end)}; "
        f"{len(c.outcomes)} outcomes, {len(c.caps)} caps, {len(c.clauses)} clauses."
        f"{_html_table(cohorts)}{_html_table(rules)}</div>"
    )
