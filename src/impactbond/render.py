"""The contract schedule (bilag): a contract as the document a lawyer attaches to it.

Everything is generated from the same :class:`~impactbond.domain.contract.Contract`
that :func:`impactbond.settle` evaluates, so the words a lawyer signs and the
numbers a settlement computes come from one source.  The schedule holds, in
the chosen language with the other beside it (HTML) or after it (Markdown):
the parties, the version and effective date, the sha256 of the contract file,
the order of precedence, the change log, the Definitions clause
(:func:`impactbond.definitions`), every clause under complete numbering, the
target groups, outcomes, prices, caps and financing, and, given a
settlement, an annex of worked examples (each line of named participants'
payments).  HTML carries print CSS (A4, page numbers, no clipping); PDF needs
the ``pdf`` extra (WeasyPrint).

>>> from datetime import date
>>> import impactbond as ib
>>> contract = ib.Contract(
...     id="demo", title="Demo <contract>",
...     parties=ib.Parties("Kommune", "Fond", "Leverandør"), currency="DKK",
...     term_start=date(2024, 1, 1), term_end=date(2026, 12, 31),
...     referral_start=date(2024, 1, 1), referral_end=date(2024, 12, 31),
...     cohorts=[ib.CohortTerms("sick_listed")],
...     outcomes=[ib.EmploymentMonths("employment_months", clause="4.1")],
...     payment_rules=[ib.PricePerUnit("pay_months", outcome="employment_months",
...                                    price=ib.Money(1500, "DKK"))],
...     clauses=[ib.Clause("4.1", "Employment months", "Months in work count.",
...                        "Måneder i job tæller.", title_da="Beskæftigelsesmåneder")])
>>> text = render_markdown(contract, language="en")
>>> print(text.splitlines()[0])
# Demo \\<contract\\>
>>> "DKK 1,500.00 per month of employment_months" in text, "Måneder i job tæller." in text
(True, True)
>>> "### 4 Outcomes" in text, "#### 4.1 Employment months" in text  # the parent is named
(True, True)
>>> page = render_html(contract, language="da")
>>> "<h1>Demo &lt;contract&gt;</h1>" in page, "<contract>" in page, '<html lang="da">' in page
(True, False, True)
>>> contract_html(contract).startswith("<div class=\\"impactbond-contract\\">")
True
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from impactbond._version import __version__
from impactbond.calendar import DayCount, MonthRounding
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.contract import Clause, CohortTerms, Contract
from impactbond.domain.definitions import definitions, long_date, long_date_da
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    Outcome,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    StatusAtFollowUp,
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
    WeightedAchievementPayment,
)
from impactbond.domain.terms import Financing, Guarantee, GuaranteeCall
from impactbond.errors import InvalidInput
from impactbond.money import Money, Rounding, RoundingStage
from impactbond.status import Status

if TYPE_CHECKING:
    from impactbond.settle import Settlement

__all__ = [
    "Language",
    "SourceFile",
    "contract_html",
    "describe_outcome",
    "describe_outcome_da",
    "quantity_text",
    "render_html",
    "render_markdown",
    "render_pdf",
    "worked_examples",
]

Language = Literal["da", "en"]
"""The language a schedule shows first: ``"da"`` (Danish) or ``"en"`` (English)."""

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


def _day(d: date) -> str:
    return long_date(d)


def _money(m: Money) -> str:
    return str(m)


def _number(q: Fraction) -> str:
    """A decimal where it is exact (1/2 is 0.5), else the fraction with a rounded value."""
    if _is_finite_decimal(q):
        return _decimal_text(q)
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


def _follow_up_words(outcome: StatusAtFollowUp) -> str:
    anchor = "enrolment (opstart)" if outcome.anchor == "enrolled" else "referral (visitation)"
    months = ", ".join(str(m) for m in outcome.follow_up_months)
    held = " or ".join(_status(x) for x in outcome.statuses)
    text = (
        f"Status on the follow-up date: one unit for each follow-up ({months} calendar months "
        f"after {anchor}) on whose date the person is {held}"
    )
    if outcome.has_lookback:
        span = (
            f"{outcome.lookback_months} calendar months"
            if outcome.lookback_months is not None
            else f"{outcome.lookback_days} days"
        )
        base = (
            ", ".join(_status(x) for x in outcome.without_statuses)
            if outcome.without_statuses
            else "any public benefit"
        )
        but = (
            f" except {', '.join(_status(x) for x in outcome.except_statuses)}"
            if outcome.except_statuses
            else ""
        )
        text += f", with no day of {base}{but} in the {span} before that date"
    return text + "."


def _follow_up_words_da(outcome: StatusAtFollowUp) -> str:
    anchor = "opstart" if outcome.anchor == "enrolled" else "visitation"
    months = ", ".join(str(m) for m in outcome.follow_up_months)
    held = " eller ".join(_status_da(x) for x in outcome.statuses)
    text = (
        f"Status på opfølgningsdatoen: én enhed for hver opfølgning ({months} kalendermåneder "
        f"efter {anchor}), på hvis dato personen er i {held}"
    )
    if outcome.has_lookback:
        span = (
            f"{outcome.lookback_months} kalendermåneder"
            if outcome.lookback_months is not None
            else f"{outcome.lookback_days} dage"
        )
        base = (
            ", ".join(_status_da(x) for x in outcome.without_statuses)
            if outcome.without_statuses
            else "offentlig forsørgelse"
        )
        but = (
            f" undtagen {', '.join(_status_da(x) for x in outcome.except_statuses)}"
            if outcome.except_statuses
            else ""
        )
        text += f", uden en eneste dag med {base}{but} i de {span} før datoen"
    return text + "."


def _follow_up_prices(rule: PricePerUnit, money: Any, other: str) -> str:
    """``; at 12 months DKK 4,000.00, at 24 months ...`` for a price by follow-up."""
    if not rule.price_by_follow_up:
        return ""
    parts = ", ".join(f"{m}: {money(p)}" for m, p in rule.price_by_follow_up)
    return f" ({other} {parts})"


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
    if isinstance(outcome, StatusAtFollowUp):
        return _follow_up_words(outcome)
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


def _target_words(rule: TargetBonus, unit: str) -> str:
    if rule.target_share is not None:
        return (
            f"{unit}s of {rule.outcome} for {_percent(rule.target_share)} of its settled "
            "participants (as many units as that share of them)"
        )
    assert rule.target is not None
    return f"{_number(rule.target)} {unit}s of {rule.outcome}"


def _effect_words(contract: Contract, rule: EffectTierPayment) -> str:
    events = rule.measure == "events_per_person"

    def rate(q: Fraction) -> str:
        return f"{_number(q * 100)} events per 100 people" if events else _percent(q)

    comp = rule.comparison_group()
    if comp is not None:
        against = f"a comparison rate of {rate(comp.rate)}"
        if comp.count is not None and comp.people is not None:
            counted = "events" if events else "with the outcome"
            against += f" ({comp.count} {counted} among {comp.people} people)"
        if rule.comparison_source:
            against += f" ({rule.comparison_source})"
    else:
        against = "a comparison panel"
    gates = f"gate {_percent(rule.gate)} per cohort"
    if rule.pooled_gate is not None:
        gates += f" or {_percent(rule.pooled_gate)} pooled"
    when = _day(rule.measured_on) if rule.measured_on else "the settlement date"
    what = f"{rule.outcome} events per person" if events else f"the share with {rule.outcome}"
    if rule.price_per_event_avoided is not None:
        gained = "avoided" if rule.direction == "reduction" else "gained"
        pays = (
            f"{_money(rule.price_per_event_avoided)} per event {gained}: the difference between "
            "the comparison and the cohort's rate times the cohort's participants, exactly"
        )
    else:
        per = " per participant" if rule.per_participant else " per cohort"
        pays = f"tiers{per}: " + "; ".join(
            f"{_percent(t.from_effect)}"
            + (f" to {_percent(t.to_effect)}" if t.to_effect is not None else " or more")
            + f": {_money(t.payment)}"
            for t in rule.tiers
        )
    return (
        f"by the relative {rule.direction} in {what} against {against}, "
        f"measured on {when}; {gates}; {pays}"
    )


def _effect_limit(rule: EffectTierPayment, money: Callable[[Money], str], each: str) -> str:
    if rule.price_per_event_avoided is not None:
        return "-"
    return f"{money(rule.tiers[-1].payment)}{each if rule.per_participant else ''}"


def _achievement_words(rule: WeightedAchievementPayment) -> str:
    metrics = "; ".join(
        f"{m.outcome} at weight {_number(m.weight)} against "
        + (
            f"{_number(m.target)}"
            if m.target is not None
            else f"{_percent(m.target_share or Fraction(0))} of the cohort's settled participants"
        )
        + f", counted up to {_percent(m.max_achievement)}"
        for m in rule.metrics
    )
    return (
        f"{_money(rule.full_payment)} per cohort times the weighted achievement of its metrics "
        f"(each the cohort's total by {_day(rule.measured_on)} over its target, capped): "
        f"{metrics}"
    )


def _achievement_limit(rule: WeightedAchievementPayment, money: Callable[[Money], str]) -> str:
    most = sum((m.weight * m.max_achievement for m in rule.metrics), Fraction(0))
    return money(rule.full_payment * most)


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
            f"{_money(rule.price)} per {outcome.unit} of {rule.outcome}"
            + _follow_up_prices(rule, _money, "by follow-up in months"),
            _cohorts_words(rule.cohorts),
            limit,
            clause,
        )
    if isinstance(rule, TargetBonus):
        outcome = contract.outcome(rule.outcome)
        return (
            rule.id,
            f"{_money(rule.bonus)} once, when the cohort reaches "
            + _target_words(rule, outcome.unit),
            rule.cohort,
            "-",
            clause,
        )
    if isinstance(rule, EffectTierPayment):
        limit = _effect_limit(rule, _money, " per participant")
        return (rule.id, _effect_words(contract, rule), _cohorts_words(rule.cohorts), limit, clause)
    if isinstance(rule, SavingsSharePayment):
        return (rule.id, _savings_words(contract, rule), _cohorts_words(rule.cohorts), "-", clause)
    if isinstance(rule, WeightedAchievementPayment):
        return (
            rule.id,
            _achievement_words(rule),
            _cohorts_words(rule.cohorts),
            _achievement_limit(rule, _money),
            clause,
        )
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
            rounding = f" {PERIOD_ROUNDING_WORDS[r.month_rounding][0]}"
        out.append(
            f"The investor receives at most {' and at most '.join(limits)}; outcome payments "
            f"above the cap stay with the payers ({_clause_ref(contract, r.clause)}).{rounding}"
        )
    if f.guarantee is not None:
        g = f.guarantee
        limit = "" if g.limit is None else f", up to {_money(g.limit)}"
        out.append(
            f"{g.guarantor} covers {_percent(g.share)} of the investor's loss{limit}. "
            f"{_guarantee_call_words(contract, g)[0]} ({_clause_ref(contract, g.clause)})."
        )
    return tuple(out)


#: The day counts that count whole calendar periods.
WHOLE_PERIOD_COUNTS = (DayCount.WHOLE_YEARS, DayCount.WHOLE_MONTHS)

#: How a day count turns the time between two dates into years, in words (English, Danish).
DAY_COUNT_WORDS: dict[DayCount, tuple[str, str]] = {
    DayCount.ACTUAL_365_FIXED: (
        "years counted actual/365 fixed: the days between two dates / 365",
        "år regnet faktisk/365: dagene mellem to datoer / 365",
    ),
    DayCount.ACTUAL_ACTUAL_ISDA: (
        "years counted actual/actual (ISDA): the days in each calendar year / the days of "
        "that year, 365 or 366",
        "år regnet faktisk/faktisk (ISDA): dagene i hvert kalenderår / årets dage, 365 eller 366",
    ),
    DayCount.THIRTY_360_BOND_BASIS: (
        "years counted 30/360 bond basis (ISDA 2006, 4.16(f)): every month 30 days, a year "
        "360; day 31 counts as 30, and an end on day 31 as 30 when the start is on day 30 or 31",
        "år regnet 30/360 (ISDA 2006, 4.16(f)): hver måned 30 dage, et år 360; den 31. tæller "
        "som den 30., og en slutning den 31. som den 30., når starten er den 30. eller 31.",
    ),
    DayCount.WHOLE_YEARS: (
        "counted in whole calendar years from the date of each amount",
        "regnet i hele kalenderår fra hvert beløbs dato",
    ),
    DayCount.WHOLE_MONTHS: (
        "counted in whole calendar months from the date of each amount, 12 to a year",
        "regnet i hele kalendermåneder fra hvert beløbs dato, 12 pr. år",
    ),
}

#: When a whole period that starts on a day later months lack ends, in words (English, Danish).
PERIOD_ROUNDING_WORDS: dict[MonthRounding, tuple[str, str]] = {
    MonthRounding.RAISE: (
        "No amount may be dated on a day that later months lack.",
        "Intet beløb må dateres på en dag, som senere måneder ikke har.",
    ),
    MonthRounding.DOWN: (
        "A period that starts on a day a later month lacks ends on that month's last day.",
        "En periode, der starter på en dag, en senere måned ikke har, slutter på månedens "
        "sidste dag.",
    ),
    MonthRounding.UP: (
        "A period that starts on a day a later month lacks ends on the first day of the next "
        "month.",
        "En periode, der starter på en dag, en senere måned ikke har, slutter på den første dag "
        "i den følgende måned.",
    ),
}


def _day_count_words(irr: Fraction, day_count: DayCount, danish: bool = False) -> str:
    words = DAY_COUNT_WORDS[day_count][1 if danish else 0]
    if danish:
        pct = _percent_da(irr)
        if day_count is DayCount.WHOLE_YEARS:
            return f"{words}: hvert beløb vokser med {pct} for hvert helt år"
        return f"{words}; hvert beløb vokser med (1 + {pct}) opløftet i antallet af år"
    if day_count is DayCount.WHOLE_YEARS:
        return f"{words}: each amount grows by {_percent(irr)} for every whole year"
    return f"{words}; each amount grows by (1 + {_percent(irr)}) to the power of its years"


def _guarantee_call_words(contract: Contract, g: Guarantee) -> tuple[str, str]:
    """When the guarantee is called, in English and Danish."""
    if g.called is GuaranteeCall.ON_DATE:
        assert g.on is not None
        return (
            f"The loss is measured and the guarantee paid on {_day(g.on)}",
            f"Tabet opgøres, og garantien udbetales den {long_date_da(g.on)}",
        )
    if g.called is GuaranteeCall.MATURITY:
        return (
            "The loss is measured and the guarantee paid at maturity, on the term's last day "
            f"({_day(contract.maturity)})",
            "Tabet opgøres, og garantien udbetales ved udløb, på kontraktperiodens sidste dag "
            f"({long_date_da(contract.maturity)})",
        )
    return (
        "The loss is measured and the guarantee paid at final determination, the day the last "
        "outcome payment falls due: the last day anything is measured, plus the verification "
        f"lag ({_day(contract.final_determination)})",
        "Tabet opgøres, og garantien udbetales ved den endelige opgørelse, den dag den sidste "
        "resultatbetaling forfalder: den sidste dag, der måles, plus verifikationsfristen "
        f"({long_date_da(contract.final_determination)})",
    )


# ---------------------------------------------------------------------------
# The same words in Danish
# ---------------------------------------------------------------------------

CONVENTION_WORDS_DA: dict[AccrualConvention, str] = {
    AccrualConvention.PRO_RATA_DAYS: (
        "hver kalendermåned tæller de beskæftigede dage i den divideret med månedens dage"
    ),
    AccrualConvention.WHOLE_MONTHS: (
        "en kalendermåned tæller som én måned, kun hvis hver dag af den i vinduet er i beskæftigelse"
    ),
    AccrualConvention.ANY_DAY: (
        "en kalendermåned tæller som én måned, hvis blot én dag af den er i beskæftigelse"
    ),
    AccrualConvention.HALF_MONTH: (
        "en kalendermåned tæller som én måned, hvis mindst halvdelen af dens dage i vinduet er i "
        "beskæftigelse"
    ),
    AccrualConvention.DAYS_30: "de beskæftigede dage divideres med 30",
    AccrualConvention.WEEKS_52_12: "de beskæftigede uger i ugeregistret ganges med 12/52",
}
"""The accrual conventions in plain Danish."""

SCOPE_WORDS_DA: dict[CapScope, str] = {
    CapScope.PARTICIPANT: "pr. deltager",
    CapScope.COHORT: "pr. målgruppe",
    CapScope.CONTRACT: "for hele kontrakten",
}

UNIT_WORDS: dict[str, tuple[str, str, str, str]] = {
    # unit: (English singular, English plural, Danish singular, Danish plural)
    "month": ("month", "months", "måned", "måneder"),
    "event": ("event", "events", "hændelse", "hændelser"),
    "step": ("step", "steps", "trin", "trin"),
    "follow-up": ("follow-up", "follow-ups", "opfølgning", "opfølgninger"),
}


def _status_en(s: Status) -> str:
    name = getattr(s, "name_en", None)
    return name if isinstance(name, str) else _status(s)


def _status_da(s: Status) -> str:
    name = getattr(s, "name_da", None)
    return name if isinstance(name, str) else _status(s)


def _money_da(m: Money) -> str:
    return m.format_da()


def _number_da(q: Fraction) -> str:
    return _number(q).replace(".", ",")


def _percent_da(q: Fraction) -> str:
    return f"{float(q * 100):g} %".replace(".", ",")


def _unit_da(unit: str, plural: bool = False) -> str:
    words = UNIT_WORDS.get(unit)
    if words is None:
        return unit
    return words[3] if plural else words[2]


def _weights_da(weights: Weights) -> str:
    parts = []
    for status, w in weights:
        if w == 0:
            continue
        name = _status_da(status)
        parts.append(name if w == 1 else f"{name} (vægt {_number_da(w)})")
    return ", ".join(parts) if parts else "ingen status"


def _window_da(window: Window) -> str:
    anchor = "opstart" if window.anchor == "enrolled" else "visitation"
    start = (
        f"{window.start_months} måneder efter {anchor}"
        if window.start_months
        else f"datoen for {anchor}"
    )
    return f"{window.length_months} måneder fra {start}"


def _clause_ref_da(contract: Contract, clause_id: str) -> str:
    if not clause_id:
        return "intet punkt angivet"
    clause = contract.clause(clause_id)
    title = "" if clause is None else (clause.title_da or clause.title)
    return f"punkt {clause_id}" + (f" «{title}»" if title else "")


def describe_outcome_da(outcome: Outcome) -> str:
    """What an outcome counts, in Danish (the twin of :func:`describe_outcome`).

    >>> from impactbond.domain.outcome import Retention
    >>> describe_outcome_da(Retention("retained_26w", horizon_weeks=26))
    'Stadig i beskæftigelse 26 uger efter jobstart (fastholdelse). Tæller: ordinær beskæftigelse. ...'
    """
    weights: Weights | None = getattr(outcome, "weights", None)
    counts = "" if weights is None else f"Tæller: {_weights_da(weights)}."
    window = f"Måles i et vindue på {_window_da(outcome.window)}."
    if isinstance(outcome, EmploymentMonths):
        text = f"Beskæftigelsesmåneder: {CONVENTION_WORDS_DA[outcome.convention]}. {counts}"
        if outcome.hours_norm is not None:
            text += (
                f" Forløb med ugentlige timer tæller timer / {outcome.hours_norm}, højst fuld tid."
            )
        return f"{text} {window}"
    if isinstance(outcome, SelfSufficiency):
        if outcome.without_benefit_weeks is not None:
            text = (
                "Selvforsørgelse: én hændelse, når personen har været "
                f"{outcome.without_benefit_weeks} uger i træk uden offentlig forsørgelse."
            )
        else:
            text = f"Måneder med selvforsørgelse: {CONVENTION_WORDS_DA[outcome.convention]}."
        return f"{text} {counts} {window}"
    if isinstance(outcome, JobStart):
        return (
            "En jobstart: den første uge i beskæftigelse i vinduet (én hændelse). "
            f"{counts} {window}"
        )
    if isinstance(outcome, SustainedEmployment):
        how = (
            f"{outcome.weeks} uger i beskæftigelse i alt"
            if outcome.cumulative
            else f"{outcome.weeks} uger i træk"
            + (" hos arbejdsgiveren fra jobstart" if outcome.same_employer else "")
            + (
                f", mindst {outcome.min_weekly_hours} timer om ugen"
                if outcome.min_weekly_hours is not None
                else ""
            )
            + (
                f", afbrydelser på højst {outcome.allowed_gap_weeks} uger tilladt"
                if outcome.allowed_gap_weeks
                else ""
            )
        )
        return f"Varig beskæftigelse efter jobstart: {how} (én hændelse). {counts} {window}"
    if isinstance(outcome, Retention):
        who = "hos arbejdsgiveren fra jobstart" if outcome.same_employer else "i beskæftigelse"
        horizon = (
            f"{outcome.horizon_months} måneder"
            if outcome.horizon_months is not None
            else f"{outcome.horizon_weeks} uger"
        )
        return (
            f"Stadig {who} {horizon} efter jobstart (fastholdelse). {counts} {window} "
            "Personer, hvis horisont endnu ikke er observeret, er censureret: hverken "
            "fastholdt eller ikke fastholdt."
        )
    if isinstance(outcome, RecordedEvent):
        how = "den første tæller" if outcome.once else "hver enkelt tæller"
        return (
            f"En registreret hændelse «{outcome.event}» i de data, opgørelsen får, "
            f"ikke læst fra registrene ({how}). {window}"
        )
    if isinstance(outcome, StatusAtFollowUp):
        return _follow_up_words_da(outcome)
    assert isinstance(outcome, Progression)
    rungs = " < ".join("/".join(_status_da(s) for s in rung) for rung in outcome.ladder)
    return (
        "Progression: ét trin for hvert trin på stigen over trinnet ved vinduets start "
        f"(stigen, laveste først: {rungs}). {window}"
    )


def _cohorts_da(cohorts: tuple[str, ...]) -> str:
    return ", ".join(cohorts) if cohorts else "alle målgrupper"


def _target_words_da(rule: TargetBonus, units: str) -> str:
    if rule.target_share is not None:
        pct = f"{float(rule.target_share * 100):g}".replace(".", ",")
        return (
            f"{units} af {rule.outcome} for {pct} % af sine opgjorte deltagere (lige så mange "
            "enheder som den andel af dem)"
        )
    assert rule.target is not None
    return f"{_number_da(rule.target)} {units} af {rule.outcome}"


def _effect_words_da(contract: Contract, rule: EffectTierPayment) -> str:
    events = rule.measure == "events_per_person"

    def rate(q: Fraction) -> str:
        return f"{_number_da(q * 100)} hændelser pr. 100 personer" if events else _percent_da(q)

    comp = rule.comparison_group()
    if comp is not None:
        against = f"en sammenligningsrate på {rate(comp.rate)}"
        if comp.count is not None and comp.people is not None:
            counted = "hændelser" if events else "med resultatet"
            against += f" ({comp.count} {counted} blandt {comp.people} personer)"
        if rule.comparison_source:
            against += f" ({rule.comparison_source})"
    else:
        against = "et sammenligningspanel"
    gates = f"tærskel {_percent_da(rule.gate)} pr. målgruppe"
    if rule.pooled_gate is not None:
        gates += f" eller {_percent_da(rule.pooled_gate)} samlet"
    when = long_date_da(rule.measured_on) if rule.measured_on else "opgørelsesdatoen"
    direction = "fald" if rule.direction == "reduction" else "stigning"
    what = (
        f"antallet af hændelser af {rule.outcome} pr. person"
        if events
        else f"andelen med {rule.outcome}"
    )
    if rule.price_per_event_avoided is not None:
        gained = "undgået" if rule.direction == "reduction" else "opnået"
        pays = (
            f"{_money_da(rule.price_per_event_avoided)} pr. {gained} hændelse: forskellen mellem "
            "sammenligningens og målgruppens rate gange målgruppens deltagere, eksakt"
        )
    else:
        per = " pr. deltager" if rule.per_participant else " pr. målgruppe"
        pays = f"trin{per}: " + "; ".join(
            f"{_percent_da(t.from_effect)}"
            + (f" til {_percent_da(t.to_effect)}" if t.to_effect is not None else " eller mere")
            + f": {_money_da(t.payment)}"
            for t in rule.tiers
        )
    return (
        f"efter det relative {direction} i {what} over for {against}, "
        f"målt den {when}; {gates}; {pays}"
    )


def _achievement_words_da(rule: WeightedAchievementPayment) -> str:
    metrics = "; ".join(
        f"{m.outcome} med vægt {_number_da(m.weight)} over for "
        + (
            f"{_number_da(m.target)}"
            if m.target is not None
            else f"{_percent_da(m.target_share or Fraction(0))} af målgruppens opgjorte deltagere"
        )
        + f", talt op til {_percent_da(m.max_achievement)}"
        for m in rule.metrics
    )
    return (
        f"{_money_da(rule.full_payment)} pr. målgruppe gange den vægtede målopfyldelse af dens "
        f"mål (hver målgruppens samlede resultat til og med {long_date_da(rule.measured_on)} "
        f"over målet, med loft): {metrics}"
    )


def _savings_words_da(contract: Contract, rule: SavingsSharePayment) -> str:
    parts = []
    if rule.tax_gain_per_person is not None:
        parts.append(f"skattegevinst {_money_da(rule.tax_gain_per_person)}")
    if rule.transfer_change_per_person is not None:
        parts.append(f"ændring i overførsler {_money_da(rule.transfer_change_per_person)}")
    for b in rule.benefit_savings:
        refusion = (
            " fratrukket refusion" if any(r.benefit == b.benefit for r in rule.refusion) else ""
        )
        parts.append(
            f"{_number_da(b.weeks_per_person)} ugers {b.benefit} undgået à "
            f"{_money_da(b.weekly_rate)} om ugen{refusion}"
        )
    per_person = rule.saving_per_person(contract.currency)
    exact = "" if per_person.denominator == 1 else " (afrundet til visning)"
    saving = Money.from_minor_units(round(per_person), contract.currency)
    return (
        f"{_percent_da(rule.share)} af nettobesparelsen pr. person over for kontrolgruppen, "
        f"{_money_da(saving)}{exact} ({'; '.join(parts) or 'ingen poster'}), gange deltagerne, "
        f"målt den {long_date_da(rule.measured_on)}"
    )


def _rule_price_da(contract: Contract, rule: PaymentRule) -> str:
    """The price column of a payment rule, in Danish."""
    if isinstance(rule, PricePerUnit):
        outcome = contract.outcome(rule.outcome)
        return (
            f"{_money_da(rule.price)} pr. {_unit_da(outcome.unit)} af {rule.outcome}"
            + _follow_up_prices(rule, _money_da, "pr. opfølgning i måneder")
        )
    if isinstance(rule, TargetBonus):
        outcome = contract.outcome(rule.outcome)
        return f"{_money_da(rule.bonus)} én gang, når målgruppen når " + _target_words_da(
            rule, _unit_da(outcome.unit, plural=True)
        )
    if isinstance(rule, EffectTierPayment):
        return _effect_words_da(contract, rule)
    if isinstance(rule, SavingsSharePayment):
        return _savings_words_da(contract, rule)
    if isinstance(rule, WeightedAchievementPayment):
        return _achievement_words_da(rule)
    if isinstance(rule, FixedFee):
        payee = {"provider": "leverandøren", "investor": "investoren"}.get(rule.payee, rule.payee)
        paid = ", ".join(
            f"{_money_da(i.amount)} den {long_date_da(i.on)}" for i in rule.instalments
        )
        return f"et fast honorar til {payee}: {paid}"
    assert isinstance(rule, ActivityFee)
    payee = {"provider": "leverandøren", "investor": "investoren"}.get(rule.payee, rule.payee)
    return f"{_money_da(rule.fee)} pr. tilmeldt deltager, til {payee}, ved opstart"


def _rule_words_da(contract: Contract, rule: PaymentRule) -> tuple[str, ...]:
    """The Danish twin of :func:`_rule_words`: id, price, cohorts, limit, clause."""
    en = _rule_words(contract, rule)
    if isinstance(rule, PricePerUnit):
        outcome = contract.outcome(rule.outcome)
        limit = (
            "-"
            if rule.max_units_per_participant is None
            else f"{_number_da(rule.max_units_per_participant)} "
            f"{_unit_da(outcome.unit, plural=rule.max_units_per_participant != 1)}"
        )
        cohorts = _cohorts_da(rule.cohorts)
    elif isinstance(rule, EffectTierPayment):
        limit = _effect_limit(rule, _money_da, " pr. deltager")
        cohorts = _cohorts_da(rule.cohorts)
    elif isinstance(rule, SavingsSharePayment | ActivityFee):
        limit, cohorts = "-", _cohorts_da(rule.cohorts)
    elif isinstance(rule, WeightedAchievementPayment):
        limit, cohorts = _achievement_limit(rule, _money_da), _cohorts_da(rule.cohorts)
    else:
        limit, cohorts = "-", en[2]
    return (
        rule.id,
        _rule_price_da(contract, rule),
        cohorts,
        limit,
        _clause_ref_da(contract, rule.clause),
    )


def _cap_words_da(contract: Contract, cap: Cap) -> tuple[str, ...]:
    scope = SCOPE_WORDS_DA[cap.scope]
    if cap.cohort is not None:
        scope += f" (kun {cap.cohort})"
    rules = ", ".join(cap.rules) if cap.rules else "alle betalingsregler"
    amount = _money_da(cap.amount)
    if cap.share_of_paid is not None:
        amount += f", og højst {_percent_da(cap.share_of_paid)} af alle udbetalte penge"
    return (cap.id, amount, scope, rules, _clause_ref_da(contract, cap.clause))


def _financing_paragraphs_da(contract: Contract, f: Financing) -> tuple[str, ...]:
    """The Danish twin of :func:`_financing_paragraphs`, paragraph for paragraph."""
    out = [
        "Investoren finansierer leverandøren: "
        + ", ".join(f"{_money_da(i.amount)} den {long_date_da(i.on)}" for i in f.investments)
        + "."
    ]
    if f.delivery_fee is not None:
        d = f.delivery_fee
        out.append(
            f"Et leveringshonorar på {_percent_da(d.share)} af kontraktværdien "
            f"{_money_da(d.contract_value)} betales til leverandøren den "
            f"{', '.join(long_date_da(x) for x in d.dates)} ({_clause_ref_da(contract, d.clause)})."
        )
    if f.top_up is not None:
        out.append(
            f"{f.top_up.fund} betaler {_percent_da(f.top_up.share)} af hver resultatbetaling, "
            f"resultatbetaleren resten ({_clause_ref_da(contract, f.top_up.clause)})."
        )
    if f.return_cap is not None:
        r = f.return_cap
        limits = []
        if r.irr is not None:
            assert r.day_count is not None
            limits.append(
                f"en intern rente på {_percent_da(r.irr)} om året "
                f"({_day_count_words(r.irr, r.day_count, danish=True)})"
            )
        if r.multiple is not None:
            limits.append(f"{_number_da(r.multiple)} gange det investerede beløb")
        rounding = ""
        if r.irr is not None and r.day_count in WHOLE_PERIOD_COUNTS:
            rounding = f" {PERIOD_ROUNDING_WORDS[r.month_rounding][1]}"
        out.append(
            f"Investoren modtager højst {' og højst '.join(limits)}; resultatbetalinger over "
            f"loftet bliver hos betalerne ({_clause_ref_da(contract, r.clause)}).{rounding}"
        )
    if f.guarantee is not None:
        g = f.guarantee
        limit = "" if g.limit is None else f", op til {_money_da(g.limit)}"
        out.append(
            f"{g.guarantor} dækker {_percent_da(g.share)} af investorens tab{limit}. "
            f"{_guarantee_call_words(contract, g)[1]} ({_clause_ref_da(contract, g.clause)})."
        )
    return tuple(out)


# ---------------------------------------------------------------------------
# A small bilingual document model, rendered as HTML and as Markdown
# ---------------------------------------------------------------------------


@attrs.frozen
class _Text:
    """One piece of text in English and Danish (the same text where no words differ)."""

    en: str
    da: str

    def of(self, language: Language) -> str:
        return self.da if language == "da" else self.en

    @property
    def same(self) -> bool:
        return self.en == self.da


def _t(en: str, da: str | None = None) -> _Text:
    return _Text(en, en if da is None else da)


@attrs.frozen
class _Paragraph:
    text: _Text


@attrs.frozen
class _Table:
    header: tuple[_Text, ...]
    rows: tuple[tuple[_Text, ...], ...]
    numeric: frozenset[int] = frozenset()
    """Columns of numbers: right-aligned, tabular figures."""
    single: frozenset[int] = frozenset()
    """Columns shown in the chosen language only (numbers and dates, the same in both)."""
    footer: tuple[tuple[_Text, ...], ...] = ()
    css_class: str = ""


@attrs.frozen
class _ClauseBlock:
    clause: Clause
    depth: int
    generated_title: bool = False


@attrs.frozen
class _Definitions:
    items: tuple[tuple[_Text, _Text], ...]


_Block = _Paragraph | _Table | _ClauseBlock | _Definitions


@attrs.frozen
class _Section:
    number: str
    title: _Text
    blocks: tuple[_Block, ...]
    anchor: str


@attrs.frozen
class _Meta:
    rows: tuple[tuple[_Text, _Text], ...]


@attrs.frozen
class _Document:
    title: str
    subtitle: _Text
    meta: _Meta
    sections: tuple[_Section, ...]
    annex: _Section | None
    page_header: str


@attrs.frozen
class SourceFile:
    """The contract file a schedule was rendered from: its name and the sha256 of its bytes.

    >>> import hashlib
    >>> from impactbond.examples import nyborg_paths
    >>> path = nyborg_paths().contract
    >>> source = SourceFile.of(path)
    >>> source.name, source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    ('nyborg.toml', True)
    """

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    sha256: str = attrs.field(validator=attrs.validators.matches_re(r"[0-9a-f]{64}"))

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> SourceFile:
        """Hash the file at ``path`` (its exact bytes)."""
        file = Path(path)
        return cls(file.name, hashlib.sha256(file.read_bytes()).hexdigest())

    @classmethod
    def canonical(cls, contract: Contract) -> SourceFile:
        """The sha256 of the contract's canonical file (:func:`impactbond.dumps_contract`)."""
        from impactbond.io.contract_file import dumps_contract

        text = dumps_contract(contract).encode("utf-8")
        return cls(f"{contract.id}.toml (canonical form)", hashlib.sha256(text).hexdigest())


# -- numbers and dates in both languages ------------------------------------------


def _is_finite_decimal(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _decimal_text(q: Fraction) -> str:
    """A finite decimal exactly (``0.5``, ``14.25``); caller checks it is finite."""
    sign = "-" if q < 0 else ""
    q = abs(q)
    whole, rest = divmod(q.numerator, q.denominator)
    digits = ""
    while rest:
        rest *= 10
        digit, rest = divmod(rest, q.denominator)
        digits += str(digit)
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def quantity_text(q: Fraction) -> _Text:
    """An exact quantity: a decimal where it is finite, else the fraction with a rounded value."""
    if _is_finite_decimal(q):
        text = _decimal_text(q)
        return _Text(text, text.replace(".", ","))
    approx = f"{float(q):.4f}"
    return _Text(
        f"{q.numerator}/{q.denominator} (≈ {approx})",
        f"{q.numerator}/{q.denominator} (≈ {approx.replace('.', ',')})",
    )


def _date_text(d: date) -> _Text:
    return _Text(long_date(d), long_date_da(d))


def _money_text(m: Money) -> _Text:
    return _Text(str(m), m.format_da())


def _clause_title(clause: Clause, language: Language) -> str:
    return (clause.title_da or clause.title) if language == "da" else clause.title


# -- the parts of the schedule ---------------------------------------------------------


_PARENT_TITLES: tuple[tuple[str, _Text], ...] = (
    ("cohorts", _Text("Target groups", "Målgrupper")),
    ("outcomes", _Text("Outcomes", "Resultater")),
    ("payment_rules", _Text("Prices", "Priser")),
    ("caps", _Text("Caps", "Lofter")),
)


def _numbered_clauses(contract: Contract) -> tuple[_ClauseBlock, ...]:
    """Every clause in numbering order, with a heading for each missing parent (``6`` of ``6.1``).

    A parent the contract does not carry is named after what its sub-clauses
    cover (target groups, outcomes, prices, caps), else ``Clause 6``.
    """
    by_id = {c.id: c for c in contract.clauses}
    cited: dict[str, set[str]] = {}
    for kind, items in (
        ("cohorts", contract.cohorts),
        ("outcomes", contract.outcomes),
        ("payment_rules", contract.payment_rules),
        ("caps", contract.caps),
    ):
        for item in items:
            if item.clause:
                cited.setdefault(item.clause, set()).add(kind)
    ids = list(by_id)
    for cid in list(ids):
        parts = cid.split(".")
        for n in range(1, len(parts)):
            parent = ".".join(parts[:n])
            if parent not in by_id and parent not in ids:
                ids.append(parent)
    generated: dict[str, Clause] = {}
    for cid in ids:
        if cid in by_id:
            continue
        kinds: set[str] = set()
        for child, cover in cited.items():
            if child.startswith(cid + "."):
                kinds |= cover
        title = _Text(f"Clause {cid}", f"Punkt {cid}")
        for kind, words in _PARENT_TITLES:
            if kinds == {kind}:
                title = words
        generated[cid] = Clause(cid, title.en, "", "", title_da=title.da)

    def key(cid: str) -> tuple[tuple[int, int | str], ...]:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in cid.split("."))

    ordered = sorted(ids, key=key)
    return tuple(
        _ClauseBlock(
            by_id.get(cid) or generated[cid], depth=cid.count("."), generated_title=cid in generated
        )
        for cid in ordered
    )


def _parties_section(c: Contract) -> _Table:
    return _Table(
        (_t("Role", "Rolle"), _t("Party", "Part")),
        (
            (_t("Outcome payer", "Resultatbetaler"), _t(c.parties.outcome_payer)),
            (_t("Investor", "Investor"), _t(c.parties.investor)),
            (_t("Provider", "Leverandør"), _t(c.parties.provider)),
        ),
        css_class="parties",
    )


def _precedence(c: Contract, has_annex: bool) -> tuple[_Block, ...]:
    governing = c.governing_language
    lang = _Text("Danish", "dansk") if governing == "da" else _Text("English", "engelsk")
    items = [
        _t(
            "the clauses of the contract (section B), in the version stated above",
            "kontraktens punkter (afsnit B) i den version, der er angivet ovenfor",
        ),
        _t("the Definitions (section A)", "definitionerne (afsnit A)"),
        _t(
            "the target groups, outcomes, prices, caps and financing (sections C to G)",
            "målgrupper, resultater, priser, lofter og finansiering (afsnit C til G)",
        ),
    ]
    if has_annex:
        items.append(
            _t(
                "the worked examples (annex 1), which illustrate and bind no one",
                "regneeksemplerne (bilag 1), som illustrerer og ikke binder nogen",
            )
        )
    order = _Text(
        "Where parts of this schedule differ, they prevail in this order: "
        + "; ".join(f"({i}) {x.en}" for i, x in enumerate(items, 1))
        + ". A version in the change log prevails over earlier versions from its effective date.",
        "Hvor dele af dette bilag afviger fra hinanden, har de forrang i denne rækkefølge: "
        + "; ".join(f"({i}) {x.da}" for i, x in enumerate(items, 1))
        + ". En version i ændringsloggen har forrang for tidligere versioner fra sin "
        "ikrafttrædelsesdato.",
    )
    language = _Text(
        f"Where the Danish and the English text differ, the {lang.en} text prevails.",
        f"Hvor den danske og den engelske tekst afviger, har den {lang.da}e tekst forrang."
        if governing == "da"
        else "Hvor den danske og den engelske tekst afviger, har den engelske tekst forrang.",
    )
    return (_Paragraph(order), _Paragraph(language))


def _change_log(c: Contract) -> tuple[_Block, ...]:
    if not c.amendments:
        return (
            _Paragraph(
                _t(
                    "The contract file records no amendments.",
                    "Kontraktfilen registrerer ingen ændringer.",
                )
            ),
        )
    rows = tuple(
        (
            _t(a.version),
            _date_text(a.effective),
            _Text(a.summary, a.summary_da or a.summary),
            _t(", ".join(a.clauses) or "-"),
        )
        for a in c.amendments
    )
    return (
        _Table(
            (
                _t("Version"),
                _t("In force from", "Gælder fra"),
                _t("Change", "Ændring"),
                _t("Clauses", "Punkter"),
            ),
            rows,
        ),
    )


def _cohort_row(contract: Contract, c: CohortTerms) -> tuple[str, ...]:
    eligible = ", ".join(_status(s) for s in c.eligible_statuses) or "anyone referred"
    target = "-" if c.target is None else f"{_number(c.target)} ({c.target_outcome})"
    size = "no limit" if c.max_participants is None else str(c.max_participants)
    return (c.label, c.description or "-", eligible, target, size, _clause_ref(contract, c.clause))


def _cohort_row_texts(contract: Contract, c: CohortTerms) -> tuple[_Text, ...]:
    en = _cohort_row(contract, c)
    eligible_da = ", ".join(_status_da(s) for s in c.eligible_statuses) or "alle visiterede"
    target_da = "-" if c.target is None else f"{_number_da(c.target)} ({c.target_outcome})"
    size_da = "ingen grænse" if c.max_participants is None else str(c.max_participants)
    return (
        _t(en[0]),
        _t(en[1]),
        _Text(", ".join(_status_en(s) for s in c.eligible_statuses) or en[2], eligible_da),
        _Text(en[3], target_da),
        _Text(en[4], size_da),
        _Text(en[5], _clause_ref_da(contract, c.clause)),
    )


def _rule_rows(c: Contract) -> tuple[tuple[_Text, ...], ...]:
    rows = []
    for rule in c.payment_rules:
        en, da = _rule_words(c, rule), _rule_words_da(c, rule)
        rows.append(tuple(_Text(e, d) for e, d in zip(en, da, strict=True)))
    return tuple(rows)


def _cap_rows(c: Contract) -> tuple[tuple[_Text, ...], ...]:
    return tuple(
        tuple(_Text(e, d) for e, d in zip(_cap_words(c, k), _cap_words_da(c, k), strict=True))
        for k in c.caps
    )


def _sections(c: Contract) -> list[_Section]:
    defs = definitions(c)
    out = [
        _Section(
            "A",
            _t("Definitions", "Definitioner"),
            (
                _Paragraph(
                    _t(
                        "In this contract the following words mean what is stated here. The "
                        "settlement computes with exactly these rules.",
                        "I denne kontrakt betyder følgende ord det, der står her. Opgørelsen "
                        "regner efter netop disse regler.",
                    )
                ),
                _Definitions(
                    tuple((_Text(d.term, d.term_da), _Text(d.text, d.text_da)) for d in defs)
                ),
            ),
            "definitions",
        ),
        _Section(
            "B",
            _t("Clauses", "Punkter"),
            _numbered_clauses(c)
            or (
                _Paragraph(
                    _t(
                        "The contract carries no clause texts.",
                        "Kontrakten har ingen punkttekster.",
                    )
                ),
            ),
            "clauses",
        ),
        _Section(
            "C",
            _t("Target groups", "Målgrupper"),
            (
                _Table(
                    (
                        _t("Cohort", "Målgruppe"),
                        _t("Who", "Hvem"),
                        _t("Eligible status on enrolment", "Status ved opstart"),
                        _t("Target", "Mål"),
                        _t("Max", "Maks."),
                        _t("Clause", "Punkt"),
                    ),
                    tuple(_cohort_row_texts(c, k) for k in c.cohorts),
                ),
            ),
            "target-groups",
        ),
        _Section(
            "D",
            _t("Outcomes", "Resultater"),
            tuple(
                _Paragraph(
                    _Text(
                        f"**{o.id}** ({_clause_ref(c, o.clause)}). {describe_outcome(o)}",
                        f"**{o.id}** ({_clause_ref_da(c, o.clause)}). {describe_outcome_da(o)}",
                    )
                )
                for o in c.outcomes
            ),
            "outcomes",
        ),
        _Section(
            "E",
            _t("Prices", "Priser"),
            (
                _Table(
                    (
                        _t("Rule", "Regel"),
                        _t("Price", "Pris"),
                        _t("Cohorts", "Målgrupper"),
                        _t("Limit per participant", "Grænse pr. deltager"),
                        _t("Clause", "Punkt"),
                    ),
                    _rule_rows(c),
                    css_class="prices",
                ),
            ),
            "prices",
        ),
    ]
    if c.caps:
        out.append(
            _Section(
                "F",
                _t("Caps", "Lofter"),
                (
                    _Table(
                        (
                            _t("Cap", "Loft"),
                            _t("Amount", "Beløb"),
                            _t("Scope", "Omfang"),
                            _t("Payment rules", "Betalingsregler"),
                            _t("Clause", "Punkt"),
                        ),
                        _cap_rows(c),
                    ),
                ),
                "caps",
            )
        )
    if c.financing is not None:
        en = _financing_paragraphs(c, c.financing)
        da = _financing_paragraphs_da(c, c.financing)
        if len(da) != len(en):  # a paragraph without its translation is shown in English
            da = da + en[len(da) :]
        out.append(
            _Section(
                "G",
                _t("Financing", "Finansiering"),
                tuple(_Paragraph(_Text(e, d)) for e, d in zip(en, da, strict=False)),
                "financing",
            )
        )
    return out


# -- the annex of worked examples ---------------------------------------------------------


def _default_examples(records: Sequence[dict[str, Any]], contract: Contract) -> list[str]:
    """For each cohort, the participant whose lines cover the most payment rules (ties: by id)."""
    rules_of: dict[str, set[str]] = {}
    cohort_of: dict[str, str] = {}
    for r in records:
        pid = r["participant_id"]
        if pid is None or r["amount"] == 0:
            continue
        rules_of.setdefault(pid, set()).add(r["rule"])
        cohort_of[pid] = r["cohort"]
    chosen = []
    for cohort in contract.cohorts:
        mine = [p for p in rules_of if cohort_of[p] == cohort.label]
        if mine:
            chosen.append(min(mine, key=lambda p: (-len(rules_of[p]), p)))
    return chosen


def _short_date(d: date) -> _Text:
    """``1 Oct 2024`` / ``1.10.2024``: a date in a table."""
    return _Text(f"{d.day} {long_date(d).split()[1][:3]} {d.year}", f"{d.day}.{d.month}.{d.year}")


def _period_text(start: date, end: date) -> _Text:
    """A line's period ``[start, end)`` as its first and last day."""
    last = end - timedelta(days=1)
    if last <= start:
        return _short_date(start)
    a, b = _short_date(start), _short_date(last)
    return _Text(f"{a.en} – {b.en}", f"{a.da} – {b.da}")


def worked_examples(
    settlement: Settlement, participants: Sequence[str] | None = None
) -> tuple[tuple[str, tuple[dict[str, Any], ...]], ...]:
    """The lines of named participants, as the annex shows them.

    Parameters
    ----------
    settlement:
        A settlement of the contract (read through ``to_records()`` only).
    participants:
        The participants to show; by default, for each cohort, the one whose
        lines cover the most payment rules.

    Returns
    -------
    tuple of (participant id, lines)
        Each line is a record of :meth:`~impactbond.settle.Settlement.to_records`.

    Raises
    ------
    InvalidInput
        A named participant has no line in the settlement.
    """
    records = settlement.to_records()
    ids = (
        list(participants)
        if participants is not None
        else _default_examples(records, settlement.contract)
    )
    out = []
    for pid in ids:
        mine = tuple(r for r in records if r["participant_id"] == pid)
        if not mine:
            raise InvalidInput(
                "the participant has no payment line in the settlement, so there is no worked "
                "example to show",
                participant=pid,
                field="examples",
            )
        out.append((pid, mine))
    return tuple(out)


def _annex(settlement: Settlement, participants: Sequence[str] | None) -> _Section:
    c = settlement.contract
    currency = c.currency
    blocks: list[_Block] = [
        _Paragraph(
            _Text(
                f"These examples are computed by the settlement of {long_date(settlement.as_of)} "
                "from the contract file above and the register data. Each line is the quantity "
                "times the unit price, rounded as the Definitions say, then cut by any cap. The "
                "examples illustrate the clauses; they bind no one.",
                f"Eksemplerne er beregnet af opgørelsen pr. {long_date_da(settlement.as_of)} ud "
                "fra kontraktfilen ovenfor og registerdata. Hver linje er mængden gange "
                "enhedsprisen, afrundet som definitionerne siger, og derefter nedskåret af et "
                "eventuelt loft. Eksemplerne illustrerer punkterne; de binder ingen.",
            )
        )
    ]
    for pid, lines in worked_examples(settlement, participants):
        cohort = lines[0]["cohort"]
        rows = []
        total = Money.zero(currency)
        due = Money.zero(currency)
        before = Money.zero(currency)
        for r in lines:
            amount = Money(r["amount"], currency)
            pre = Money(r["amount_before_caps"], currency)
            total += amount
            before += pre
            if r["due"]:
                due += amount
            cut = pre - amount
            rows.append(
                (
                    _t(f"{r['rule']} ({r['clause']})" if r["clause"] else r["rule"]),
                    _period_text(r["period_start"], r["period_end"]),
                    quantity_text(r["quantity"]),
                    _money_text(Money(r["unit_price"], currency)),
                    _money_text(pre),
                    _money_text(cut) if cut else _t("-"),
                    _money_text(amount),
                    _short_date(r["due_on"]),
                )
            )
        blocks.append(
            _Table(
                (
                    _t("Rule (clause)", "Regel (punkt)"),
                    _t("Period (first and last day)", "Periode (første og sidste dag)"),
                    _t("Quantity", "Mængde"),
                    _t("Unit price", "Enhedspris"),
                    _t("Rounded", "Afrundet"),
                    _t("Cut by caps", "Nedskåret af lofter"),
                    _t("Amount", "Beløb"),
                    _t("Due", "Forfalder"),
                ),
                tuple(rows),
                numeric=frozenset({2, 3, 4, 5, 6}),
                single=frozenset({1, 2, 3, 4, 5, 6, 7}),
                footer=(
                    (
                        _Text(f"Total for {pid}", f"I alt for {pid}"),
                        _t(""),
                        _t(""),
                        _t(""),
                        _money_text(before),
                        _money_text(before - total) if before != total else _t("-"),
                        _money_text(total),
                        _Text(f"due: {due}", f"forfaldent: {due.format_da()}"),
                    ),
                ),
                css_class=f"example participant-{html.escape(pid, quote=True)}",
            )
        )
        blocks.insert(
            len(blocks) - 1,
            _Paragraph(
                _Text(
                    f"**{pid}** (cohort {cohort}): {len(lines)} lines.",
                    f"**{pid}** (målgruppe {cohort}): {len(lines)} linjer.",
                )
            ),
        )
    return _Section(
        "1", _t("Annex 1: Worked examples", "Bilag 1: Regneeksempler"), tuple(blocks), "annex-1"
    )


def _document(
    contract: Contract,
    *,
    source: SourceFile | None,
    settlement: Settlement | None,
    examples: Sequence[str] | None,
) -> _Document:
    c = contract
    if settlement is not None and settlement.contract != c:
        raise InvalidInput(
            "the settlement is of another contract than the one rendered", field="settlement"
        )
    src = source or SourceFile.canonical(c)
    annex = _annex(settlement, examples) if settlement is not None else None
    meta = _Meta(
        (
            (_t("Contract", "Kontrakt"), _t(c.id)),
            (_t("Version"), _t(c.version or "-")),
            (
                _t("Effective date", "Ikrafttrædelse"),
                _date_text(c.effective_date)
                if c.effective_date
                else _t("not stated", "ikke angivet"),
            ),
            (
                _t("Term", "Kontraktperiode"),
                _Text(
                    f"from {long_date(c.term_start)} up to and including {long_date(c.term_end)}",
                    f"fra {long_date_da(c.term_start)} til og med {long_date_da(c.term_end)}",
                ),
            ),
            (_t("Contract file", "Kontraktfil"), _t(src.name)),
            (_t("sha256 of the file", "sha256 af filen"), _t(src.sha256)),
            (_t("Generated by", "Dannet af"), _t(f"impactbond {__version__}")),
        )
    )
    front = [
        _Section("", _t("Parties", "Parter"), (_parties_section(c),), "parties"),
        _Section(
            "",
            _t("Order of precedence", "Rangorden"),
            _precedence(c, annex is not None),
            "precedence",
        ),
        _Section("", _t("Change log", "Ændringslog"), _change_log(c), "change-log"),
    ]
    if c.description:
        front.insert(
            0,
            _Section(
                "",
                _t("About this contract", "Om kontrakten"),
                (_Paragraph(_t(c.description)),),
                "about",
            ),
        )
    return _Document(
        title=c.title,
        subtitle=_Text(
            f"Schedule to the contract {c.id}, version {c.version or '-'}",
            f"Bilag til kontrakten {c.id}, version {c.version or '-'}",
        ),
        meta=meta,
        sections=(*front, *_sections(c)),
        annex=annex,
        page_header=f"{c.title} — version {c.version or '-'}",
    )


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_CSS = """
:root { --ink: #1d1d1f; --muted: #5a6270; --rule: #cbd5e0; --accent: #2b6cb0; }
body { font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; max-width: 62rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: var(--ink); }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h1 + .subtitle { margin-top: 0; color: var(--muted); }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
h3, h4, h5 { margin: 1.2rem 0 .3rem; }
.other { color: var(--muted); font-weight: normal; font-style: italic; }
span.other { display: block; font-size: .85em; }
.mono p { margin: .2rem 0 .6rem; }
.bi { display: table; width: 100%; table-layout: fixed; border-collapse: collapse; }
.bi > div { display: table-cell; width: 50%; vertical-align: top; padding: 0 .8rem 0 0; }
.bi > div + div { padding: 0 0 0 .8rem; border-left: 1px solid var(--rule); }
.bi p { margin: .2rem 0 .6rem; }
table.data { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
table.data th, table.data td { border: 1px solid var(--rule); padding: .25rem .4rem;
  text-align: left; vertical-align: top; overflow-wrap: break-word; hyphens: manual; }
table.data th { background: #edf2f7; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.data tfoot td { font-weight: bold; background: #f7fafc; }
table.meta { border-collapse: collapse; margin: 1rem 0; }
table.meta th { text-align: left; padding: .1rem 1rem .1rem 0; vertical-align: top; }
table.meta td { padding: .1rem 0; overflow-wrap: anywhere; vertical-align: top; }
table.meta code { font-size: .85em; }
dl.definitions dt { font-weight: bold; margin-top: .6rem; }
dl.definitions dd { margin: 0 0 .3rem 0; }
code { font-family: "DejaVu Sans Mono", monospace; background: #edf2f7; padding: 0 .2rem;
       border-radius: 3px; overflow-wrap: anywhere; }
.clause-generated { color: var(--muted); }
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @top-left { content: var(--page-header); font-size: 8pt; color: #5a6270; }
  @bottom-center { content: var(--page-label) " " counter(page) " / " counter(pages);
                   font-size: 9pt; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; } h3, h4, h5 { break-after: avoid; }
  table.data { font-size: 8.5pt; }
  table.example { font-size: 8pt; table-layout: fixed; }
  table.example td.num, table.example th.num { white-space: normal; }
  table.data thead { display: table-header-group; }
  table.data tfoot { display: table-row-group; }
  table.data tr { break-inside: avoid; }
  .annex { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
"""


def _esc(text: str) -> str:
    """Escape, and let long identifiers (``pay_employment_months``) break after an underscore."""
    return html.escape(text).replace("_", "_<wbr>")


def _inline_html(text: str) -> str:
    """Escape, then turn the two inline marks the document uses (**bold**, `code`) into tags."""
    out: list[str] = []
    for i, part in enumerate(text.split("`")):
        if i % 2:
            out.append(f"<code>{_esc(part)}</code>")
            continue
        pieces = part.split("**")
        out.append(
            "".join(
                f"<strong>{_esc(p)}</strong>" if j % 2 else _esc(p) for j, p in enumerate(pieces)
            )
        )
    return "".join(out)


def _other(language: Language) -> Language:
    return "en" if language == "da" else "da"


def _html_pair(text: _Text, language: Language) -> str:
    """The text in ``language``, and the other language after it where the words differ."""
    first = _inline_html(text.of(language))
    if text.same:
        return first
    other = _other(language)
    return f'{first}<span class="other" lang="{other}">{_inline_html(text.of(other))}</span>'


def _html_paragraphs(text: str) -> str:
    return "".join(f"<p>{_inline_html(p)}</p>" for p in text.split("\n\n") if p.strip())


def _html_side_by_side(text: _Text, language: Language, as_paragraphs: bool = True) -> str:
    other = _other(language)
    render = _html_paragraphs if as_paragraphs else _inline_html
    if text.same:
        return f'<div class="mono">{render(text.en)}</div>'
    if not text.of(other).strip():
        return f'<div class="bi"><div lang="{language}">{render(text.of(language))}</div><div></div></div>'
    return (
        f'<div class="bi"><div lang="{language}">{render(text.of(language))}</div>'
        f'<div lang="{other}" class="other">{render(text.of(other))}</div></div>'
    )


def _html_table(table: _Table, language: Language) -> str:
    def cls(i: int) -> str:
        return ' class="num"' if i in table.numeric else ""

    def cell(i: int, x: _Text) -> str:
        text = _inline_html(x.of(language)) if i in table.single else _html_pair(x, language)
        return f"<td{cls(i)}>{text}</td>"

    def rows(which: Iterable[tuple[_Text, ...]]) -> str:
        return "".join(
            "<tr>" + "".join(cell(i, x) for i, x in enumerate(r)) + "</tr>" for r in which
        )

    head = "".join(
        f"<th{cls(i)}>{_html_pair(h, language)}</th>" for i, h in enumerate(table.header)
    )
    foot = f"<tfoot>{rows(table.footer)}</tfoot>" if table.footer else ""
    body = rows(table.rows)
    css = f"data {table.css_class}".strip()
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>'


def _html_block(block: _Block, language: Language) -> str:
    if isinstance(block, _Paragraph):
        return _html_side_by_side(block.text, language, as_paragraphs=True)
    if isinstance(block, _Table):
        return _html_table(block, language)
    if isinstance(block, _Definitions):
        items = "".join(
            f"<dt>{_html_pair(term, language)}</dt><dd>{_html_side_by_side(text, language)}</dd>"
            for term, text in block.items
        )
        return f'<dl class="definitions">{items}</dl>'
    k = block.clause
    level = min(3 + block.depth, 5)
    anchor = html.escape(f"clause-{k.id}", quote=True)
    title = _Text(k.title, k.title_da or k.title)
    generated = ' class="clause-generated"' if block.generated_title else ""
    out = [
        f'<h{level} id="{anchor}"{generated}>{html.escape(k.id)} {_html_pair(title, language)}</h{level}>'
    ]
    if k.text or k.text_da:
        out.append(_html_side_by_side(_Text(k.text, k.text_da), language))
    return "\n".join(out)


def _html_section(section: _Section, language: Language) -> str:
    number = f"{section.number}. " if section.number and section.number.isalpha() else ""
    out = [f'<section id="{section.anchor}"><h2>{number}{_html_pair(section.title, language)}</h2>']
    out += [_html_block(b, language) for b in section.blocks]
    out.append("</section>")
    return "\n".join(out)


def _css_string(text: str) -> str:
    """A CSS string literal; every character that could end it or the style element is escaped."""
    safe = "".join(ch if ch.isalnum() or ch in " .,:;-–—()'/" else f"\\{ord(ch):x} " for ch in text)
    return f'"{safe}"'


def render_html(
    contract: Contract,
    *,
    language: Language = "da",
    source: SourceFile | None = None,
    settlement: Settlement | None = None,
    examples: Sequence[str] | None = None,
) -> str:
    """The contract schedule as one self-contained HTML page (inline CSS, no scripts).

    Parameters
    ----------
    contract:
        The contract, as loaded with :func:`impactbond.load_contract` or built in code.
    language:
        ``"da"`` or ``"en"``: shown first; the other language stands beside it.
    source:
        The contract file (its name and sha256); default: the canonical form of
        ``contract`` (:meth:`SourceFile.canonical`).
    settlement:
        A settlement of the contract: adds the annex of worked examples.
    examples:
        The participants of the annex (default: one per cohort, see
        :func:`worked_examples`).

    Returns
    -------
    str
        A complete ``<!DOCTYPE html>`` document; everything from the contract is
        escaped.  In print: A4, page numbers, table headers repeated on every page.

    Examples
    --------
    >>> import impactbond as ib
    >>> contract, _, _ = ib.examples.nyborg()
    >>> page = render_html(contract, language="en")
    >>> '<h4 id="clause-6.1">6.1 Price per month in employment' in page
    True
    >>> "counter(pages)" in page and "://" not in page
    True
    """
    _check_language(language)
    doc = _document(contract, source=source, settlement=settlement, examples=examples)
    esc = html.escape
    meta = "".join(
        f"<tr><th>{_html_pair(k, language)}</th><td>"
        + (f"<code>{esc(v.en)}</code>" if k.en.startswith("sha256") else _html_pair(v, language))
        + "</td></tr>"
        for k, v in doc.meta.rows
    )
    body = [
        f"<h1>{esc(doc.title)}</h1>",
        f'<p class="subtitle">{_html_pair(doc.subtitle, language)}</p>',
        f'<table class="meta">{meta}</table>',
    ]
    body += [_html_section(s, language) for s in doc.sections]
    if doc.annex is not None:
        body.append(f'<div class="annex">{_html_section(doc.annex, language)}</div>')
    page_label = "Side" if language == "da" else "Page"
    root = (
        f":root {{ --page-header: {_css_string(doc.page_header)}; "
        f"--page-label: {_css_string(page_label)}; }}"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(doc.title)}</title>\n<style>{_CSS}{root}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def render_pdf(
    contract: Contract,
    *,
    language: Language = "da",
    source: SourceFile | None = None,
    settlement: Settlement | None = None,
    examples: Sequence[str] | None = None,
) -> bytes:
    """The schedule as PDF (A4, page numbers), through WeasyPrint (the ``pdf`` extra).

    WeasyPrint lays out the same HTML and print CSS as :func:`render_html`
    without a browser, and supports the ``@page`` margin boxes that carry the
    page numbers.

    Raises
    ------
    ImportError
        WeasyPrint is not installed: ``pip install 'impactbond[pdf]'``.
    """
    try:
        import weasyprint
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("render_pdf needs WeasyPrint: pip install 'impactbond[pdf]'") from err
    page = render_html(
        contract, language=language, source=source, settlement=settlement, examples=examples
    )
    # No base URL and a fetcher that refuses everything: the page loads nothing.
    document = weasyprint.HTML(string=page, url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the schedule loads no resources, refused {url!r}")


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _md_text(text: str) -> str:
    """Contract text as Markdown text: HTML in it is shown, never run."""
    return text.replace("&", "\\&").replace("<", "\\<").replace(">", "\\>")


def _md_escape_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_pair(text: _Text, language: Language) -> str:
    first = _md_text(text.of(language))
    if text.same:
        return first
    return f"{first} / *{_md_text(text.of(_other(language)))}*"


def _md_table(table: _Table, language: Language) -> list[str]:
    def cell(i: int, x: _Text) -> str:
        text = _md_text(x.of(language)) if i in table.single else _md_pair(x, language)
        return _md_escape_cell(text)

    def row(cells: Iterable[_Text], header: bool = False) -> str:
        texts = (
            _md_escape_cell(_md_pair(x, language)) if header else cell(i, x)
            for i, x in enumerate(cells)
        )
        return "| " + " | ".join(texts) + " |"

    align = ["---:" if i in table.numeric else "---" for i in range(len(table.header))]
    out = [row(table.header, header=True), "| " + " | ".join(align) + " |"]
    out += [row(r) for r in table.rows]
    out += [row(r) for r in table.footer]
    return out


def _md_quote(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in text.splitlines()]


def _md_side(text: _Text, language: Language) -> list[str]:
    other = _other(language)
    out = [_md_text(text.of(language)), ""]
    if text.of(other).strip() and not text.same:
        label = "*English:*" if other == "en" else "*Dansk:*"
        out += [*_md_quote(f"{label} {_md_text(text.of(other))}"), ""]
    return out


def _md_block(block: _Block, language: Language) -> list[str]:
    if isinstance(block, _Paragraph):
        return _md_side(block.text, language)
    if isinstance(block, _Table):
        return [*_md_table(block, language), ""]
    if isinstance(block, _Definitions):
        out: list[str] = []
        for term, text in block.items:
            out += [f"**{_md_pair(term, language)}**", ""]
            out += _md_side(text, language)
        return out
    k = block.clause
    hashes = "#" * min(3 + block.depth, 6)
    title = _Text(k.title, k.title_da or k.title)
    out = [f"{hashes} {k.id} {_md_pair(title, language)}", ""]
    if k.text or k.text_da:
        out += _md_side(_Text(k.text, k.text_da or ""), language)
    return out


def render_markdown(
    contract: Contract,
    *,
    language: Language = "da",
    source: SourceFile | None = None,
    settlement: Settlement | None = None,
    examples: Sequence[str] | None = None,
) -> str:
    """The contract schedule as Markdown (CommonMark with pipe tables).

    The same parts as :func:`render_html`; each paragraph in ``language`` is
    followed by the other language in a quote, and table cells carry both,
    ``primary / *other*``.

    Returns
    -------
    str
        One document.
    """
    _check_language(language)
    doc = _document(contract, source=source, settlement=settlement, examples=examples)
    out = [f"# {_md_text(doc.title)}", "", _md_pair(doc.subtitle, language), ""]
    out += [
        f"- {_md_pair(k, language)}: "
        + (f"`{v.en}`" if k.en.startswith("sha256") else _md_pair(v, language))
        for k, v in doc.meta.rows
    ]
    out.append("")
    sections = [*doc.sections, *([doc.annex] if doc.annex is not None else [])]
    for section in sections:
        number = f"{section.number}. " if section.number.isalpha() else ""
        out += [f"## {number}{_md_pair(section.title, language)}", ""]
        for block in section.blocks:
            out += _md_block(block, language)
    return "\n".join(out).rstrip() + "\n"


def _check_language(language: str) -> None:
    if language not in ("da", "en"):
        raise InvalidInput(
            f"the schedule is rendered in Danish or English, not {language!r}",
            field="language",
            rule="da or en",
        )


# ---------------------------------------------------------------------------
# Notebooks
# ---------------------------------------------------------------------------


def contract_html(contract: Contract) -> str:
    """A compact HTML summary of a contract, for ``Contract._repr_html_`` in notebooks.

    Parties, term, and one table each of cohorts and prices; the full text is
    :func:`render_html`.
    """
    c = contract
    esc = html.escape

    def table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    cohorts = table(
        ("cohort", "eligible on enrolment", "target", "max"),
        (row[:1] + row[2:5] for row in (_cohort_row(c, k) for k in c.cohorts)),
    )
    rules = table(
        ("rule", "price", "cohorts", "clause"),
        (row[:3] + row[4:] for row in (_rule_words(c, r) for r in c.payment_rules)),
    )
    return (
        '<div class="impactbond-contract">'
        f"<strong>{esc(c.title)}</strong> (<code>{esc(c.id)}</code>)<br>"
        f"{esc(c.parties.outcome_payer)} pays {esc(c.parties.investor)} for outcomes of "
        f"{esc(c.parties.provider)}'s programme; term from {_day(c.term_start)} up to and "
        f"including {_day(c.term_end)}, enrolment from {_day(c.referral_start)} up to and "
        f"including {_day(c.referral_end)}; "
        f"{len(c.outcomes)} outcomes, {len(c.caps)} caps, {len(c.clauses)} clauses."
        f"{cohorts}{rules}</div>"
    )
