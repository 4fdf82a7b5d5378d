"""The Definitions clause: every date rule and convention of a contract, in words.

The same data that :func:`impactbond.settle` runs on are turned into the
contract's Definitions (English and Danish), so the words a lawyer signs and
the money computed cannot drift apart.  The rules themselves live in one
place, :mod:`impactbond.settle.clock`; each definition here names the
convention it states.

>>> import impactbond as ib
>>> contract, _, _ = ib.examples.nyborg()
>>> d = {x.id: x for x in definitions(contract)}
>>> print(d["term"].text)
The term runs from 1 October 2023 up to and including 30 June 2027.
>>> print(d["due_date"].text_da)
Et beløb forfalder 60 dage efter den sidste dag i den faktureringsperiode, hvor det er optjent.
"""

from __future__ import annotations

from fractions import Fraction

import attrs

from impactbond.calendar import MonthRounding
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.contract import Contract, OnExit
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    StatusAtFollowUp,
    SustainedEmployment,
)
from impactbond.money import Rounding, RoundingStage, minor_unit_digits

__all__ = ["Definition", "definitions", "long_date", "long_date_da"]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTHS_DA = "januar februar marts april maj juni juli august september oktober november december"


def long_date(d: object) -> str:
    """``1 October 2023``: a date as a contract writes it.

    >>> from datetime import date
    >>> long_date(date(2027, 6, 30))
    '30 June 2027'
    """
    from datetime import date

    assert isinstance(d, date)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def long_date_da(d: object) -> str:
    """``1. oktober 2023``: a date as a Danish contract writes it.

    >>> from datetime import date
    >>> long_date_da(date(2027, 6, 30))
    '30. juni 2027'
    """
    from datetime import date

    assert isinstance(d, date)
    return f"{d.day}. {_MONTHS_DA.split()[d.month - 1]} {d.year}"


@attrs.frozen
class Definition:
    """One defined term of the contract, in English and Danish."""

    id: str
    """A stable key (``"term"``, ``"due_date"``, ...)."""
    term: str
    """The defined term in English."""
    term_da: str
    """The defined term in Danish."""
    text: str
    """What it means for this contract, in English."""
    text_da: str
    """What it means for this contract, in Danish."""


_CONVENTION_WORDS: dict[AccrualConvention, tuple[str, str]] = {
    AccrualConvention.PRO_RATA_DAYS: (
        "the days counted in a calendar month divided by the number of days in that month",
        "antallet af tællende dage i en kalendermåned divideret med antallet af dage i måneden",
    ),
    AccrualConvention.WHOLE_MONTHS: (
        "a calendar month counts only if every day of it inside the window counts (days after "
        "an exit or the end of the term do not count, so a month cut short by them is not whole)",
        "en kalendermåned tæller kun, hvis hver dag af den inden for vinduet tæller (dage efter "
        "en udtræden eller kontraktperiodens slutning tæller ikke, så en afkortet måned er ikke "
        "hel)",
    ),
    AccrualConvention.ANY_DAY: (
        "a calendar month counts, for its days measured, if any day of it inside the window counts",
        "en kalendermåned tæller for sine målte dage, hvis blot én dag af den inden for vinduet "
        "tæller",
    ),
    AccrualConvention.HALF_MONTH: (
        "a calendar month counts, for its days measured, if at least half of its days inside "
        "the window count (days after an exit or the end of the term do not count)",
        "en kalendermåned tæller for sine målte dage, hvis mindst halvdelen af dens dage inden "
        "for vinduet tæller (dage efter en udtræden eller kontraktperiodens slutning tæller ikke)",
    ),
    AccrualConvention.DAYS_30: (
        "the days counted divided by 30",
        "antallet af tællende dage divideret med 30",
    ),
    AccrualConvention.WEEKS_52_12: (
        "the ISO weeks counted multiplied by 12/52",
        "antallet af tællende ISO-uger ganget med 12/52",
    ),
}

_ROUNDING_WORDS: dict[Rounding, tuple[str, str]] = {
    Rounding.HALF_UP: (
        "to the nearest minor unit, a half away from zero",
        "til nærmeste øre, halve op",
    ),
    Rounding.HALF_EVEN: (
        "to the nearest minor unit, a half to the even neighbour",
        "til nærmeste øre, halve til nærmeste lige",
    ),
    Rounding.DOWN: ("down to the minor unit (towards zero)", "ned til nærmeste øre (mod nul)"),
    Rounding.UP: ("up to the minor unit (away from zero)", "op til nærmeste øre (væk fra nul)"),
}

_STAGE_WORDS: dict[RoundingStage, tuple[str, str]] = {
    RoundingStage.LINE: (
        "each payment line is rounded",
        "hver betalingslinje afrundes",
    ),
    RoundingStage.PARTICIPANT: (
        "a participant's lines under one payment rule are added exactly and their running sum is "
        "rounded",
        "en deltagers linjer under én betalingsregel lægges sammen eksakt, og den løbende sum afrundes",
    ),
    RoundingStage.INVOICE: (
        "the lines of an invoice period are added exactly and their running sum is rounded",
        "linjerne i en faktureringsperiode lægges sammen eksakt, og den løbende sum afrundes",
    ),
}


def _unit_prices_en(c: Contract, digits: int) -> str:
    if c.exact_unit_prices:
        return (
            f" A unit price may have more than {digits} decimals; it is kept as an exact "
            "fraction and only the amounts are rounded."
        )
    return f" Every unit price has at most {digits} decimals."


def _unit_prices_da(c: Contract, digits: int) -> str:
    if c.exact_unit_prices:
        return (
            f" En enhedspris kan have mere end {digits} decimaler; den regnes eksakt som brøk, "
            "og kun beløbene afrundes."
        )
    return f" Enhver enhedspris har højst {digits} decimaler."


def _month_rounding(rounding: MonthRounding) -> tuple[str, str]:
    if rounding is MonthRounding.DOWN:
        return ("the last day of that month", "den sidste dag i den måned")
    if rounding is MonthRounding.UP:
        return ("the first day of the following month", "den første dag i den følgende måned")
    return (
        "the contract does not say, and such a date is refused",
        "kontrakten siger det ikke, og en sådan dato afvises",
    )


def _number(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _follow_up_definitions(c: Contract, o: StatusAtFollowUp) -> list[Definition]:
    """The follow-up date and the look-back of one outcome (``FOLLOW_UP_ON_DAY``,
    ``LOOKBACK_BEFORE_DAY`` in :mod:`impactbond.settle.clock`)."""
    rounding = o.month_rounding if o.month_rounding is not MonthRounding.RAISE else c.month_rounding
    mr_en, mr_da = _month_rounding(rounding)
    months = ", ".join(str(m) for m in o.follow_up_months)
    anchor_en = "enrolment" if o.anchor == "enrolled" else "referral"
    anchor_da = "opstart" if o.anchor == "enrolled" else "visitation"
    held = " or ".join(s.name.lower() for s in o.statuses)
    held_da = " eller ".join(s.name.lower() for s in o.statuses)
    clause = o.clause or o.id
    exit_en = exit_da = ""
    if c.on_exit is OnExit.STOP_MEASUREMENT:
        exit_en = ", nor after the participant's exit"
        exit_da = " og ikke efter deltagerens udtræden"
    out = [
        Definition(
            f"follow_up:{o.id}",
            f"Follow-up date ({o.id})",
            f"Opfølgningsdato ({o.id})",
            f"Under clause {clause} the follow-up dates are {months} calendar months after the "
            f"date of {anchor_en}: the same day of the month, or, where that month has no such "
            f"day, {mr_en}. A follow-up counts once when the participant holds one of the "
            f"statuses {held} on its date. It is earned on that date, only once the register "
            "data cover it, and not after the term (and its measurement tail)"
            f"{exit_en}.",
            f"Efter punkt {clause} er opfølgningsdatoerne {months} kalendermåneder efter "
            f"datoen for {anchor_da}: samme dag i måneden, eller, hvor måneden ikke har en sådan "
            f"dag, {mr_da}. En opfølgning tæller én gang, når deltageren har en af statusserne "
            f"{held_da} på datoen. Den er optjent på datoen, først når registerdata dækker den, "
            f"og ikke efter kontraktperioden (og dens efterperiode){exit_da}.",
        )
    ]
    if o.has_lookback:
        if o.lookback_months is not None:
            span_en = f"{o.lookback_months} calendar months"
            span_da = f"{o.lookback_months} kalendermåneder"
            start_en = f"the same day of the month {span_en} earlier (or {mr_en})"
            start_da = f"samme dag i måneden {span_da} tidligere (eller {mr_da})"
        else:
            span_en = f"{o.lookback_days} days"
            span_da = f"{o.lookback_days} dage"
            start_en = f"the day {span_en} earlier"
            start_da = f"dagen {span_da} tidligere"
        excluded = ", ".join(s.name.lower() for s in o.lookback_statuses)
        excepted = ", ".join(s.name.lower() for s in o.except_statuses)
        but_en = f" (not {excepted})" if excepted else ""
        but_da = f" (ikke {excepted})" if excepted else ""
        out.append(
            Definition(
                f"lookback:{o.id}",
                f"Look-back ({o.id})",
                f"Tilbageblik ({o.id})",
                f"The look-back of a follow-up is the {span_en} before its date: from "
                f"{start_en} up to and including the day before the follow-up. Every day "
                "counts, whatever the weekday. A follow-up counts only if no day of its "
                f"look-back holds one of the statuses {excluded}{but_en}.",
                f"Tilbageblikket for en opfølgning er de {span_da} før datoen: fra "
                f"{start_da} til og med dagen før opfølgningen. Hver dag tæller, uanset ugedag. "
                "En opfølgning tæller kun, hvis ingen dag i tilbageblikket har en af statusserne "
                f"{excluded}{but_da}.",
            )
        )
    return out


def definitions(contract: Contract) -> tuple[Definition, ...]:
    """The Definitions clause of ``contract``, in the order a contract lists them.

    Each text is generated from the contract's own terms: change a term and
    the words change with it.
    """
    c = contract
    out: list[Definition] = []

    def add(key: str, term: str, term_da: str, text: str, text_da: str) -> None:
        out.append(Definition(key, term, term_da, text, text_da))

    add(
        "dates",
        "Dates and periods",
        "Datoer og perioder",
        'A period "from A to B" includes day A and ends before day B; a period "up to and '
        'including B" includes day B. A register spell runs from its start date up to the day '
        "before its end date; a spell without an end date is still running.",
        'En periode "fra A til B" omfatter dag A og slutter før dag B; en periode "til og med B" '
        "omfatter dag B. Et registerforløb løber fra sin startdato til dagen før sin slutdato; et "
        "forløb uden slutdato er stadig i gang.",
    )
    tail = c.measurement_tail_months
    tail_en = (
        f" Outcomes are measured and earned for {tail} months after the term's last day "
        "(the measurement tail)."
        if tail
        else " Nothing is earned after the term's last day."
    )
    tail_da = (
        f" Resultater måles og optjenes i {tail} måneder efter kontraktperiodens sidste dag "
        "(efterperioden)."
        if tail
        else " Intet optjenes efter kontraktperiodens sidste dag."
    )
    add(
        "term",
        "Term",
        "Kontraktperiode",
        f"The term runs from {long_date(c.term_start)} up to and including "
        f"{long_date(c.term_end)}." + (tail_en if tail else ""),
        f"Kontraktperioden løber fra {long_date_da(c.term_start)} til og med "
        f"{long_date_da(c.term_end)}." + (tail_da if tail else ""),
    )
    add(
        "referral_period",
        "Referral period",
        "Visitationsperiode",
        f"Citizens enrolled from {long_date(c.referral_start)} up to and including "
        f"{long_date(c.referral_end)} are participants; others are reported as excluded.",
        f"Borgere, der er startet fra {long_date_da(c.referral_start)} til og med "
        f"{long_date_da(c.referral_end)}, er deltagere; andre opgøres som udelukket.",
    )
    mr_en, mr_da = _month_rounding(c.month_rounding)
    add(
        "months_after",
        "Months after a date",
        "Måneder efter en dato",
        "A number of months after a date falls on the same day of the month; where that month "
        f"has no such day, it falls on {mr_en}.",
        "Et antal måneder efter en dato falder på samme dag i måneden; hvor måneden ikke har en "
        f"sådan dag, falder det på {mr_da}.",
    )
    add(
        "measurement_period",
        "Measurement period",
        "Måleperiode",
        "Each outcome is measured for each participant in a window of months counted from the "
        "enrolment (or referral) date, as the outcome's clause says. Measurement stops at the "
        "term's last day"
        + (" (or the end of the measurement tail)" if tail else "")
        + (
            " and after the participant's exit date."
            if c.on_exit is OnExit.STOP_MEASUREMENT
            else "; a participant's exit does not stop it."
        ),
        "Hvert resultat måles for hver deltager i et vindue af måneder regnet fra startdatoen "
        "(eller visitationsdatoen), som resultatets punkt siger. Målingen stopper ved "
        "kontraktperiodens sidste dag"
        + (" (eller efterperiodens afslutning)" if tail else "")
        + (
            " og efter deltagerens udtrædelsesdato."
            if c.on_exit is OnExit.STOP_MEASUREMENT
            else "; en deltagers udtræden stopper den ikke."
        ),
    )
    add(
        "exit",
        "Exit date",
        "Udtrædelsesdato",
        "A participant's exit date is the last day in the programme."
        + (
            " Nothing is measured after it."
            if c.on_exit is OnExit.STOP_MEASUREMENT
            else " Measurement continues after it to the end of the window."
        ),
        "En deltagers udtrædelsesdato er den sidste dag i indsatsen."
        + (
            " Intet måles efter den."
            if c.on_exit is OnExit.STOP_MEASUREMENT
            else " Målingen fortsætter efter den til vinduets afslutning."
        ),
    )
    add(
        "data_cut_off",
        "Data cut-off",
        "Dataafgrænsning",
        "The last day the register data of a settlement cover. A spell still running in the "
        "data ends there, and nothing is earned after it. Unless stated otherwise it is the day "
        "before the evaluation date.",
        "Den sidste dag, som registerdata i en opgørelse dækker. Et forløb, der stadig er i gang "
        "i data, slutter der, og intet optjenes efter den. Medmindre andet er angivet, er det "
        "dagen før opgørelsesdatoen.",
    )
    add(
        "evaluation_date",
        "Evaluation date",
        "Opgørelsesdato",
        "The date a settlement is made. What was earned up to the data cut-off is shown; "
        "an amount is due at the evaluation date when its due date is on or before it.",
        "Datoen for en opgørelse. Det, der er optjent til og med dataafgrænsningen, vises; et "
        "beløb er forfaldent på opgørelsesdatoen, når dets forfaldsdato ligger på eller før den.",
    )
    add(
        "earned",
        "Earned",
        "Optjent",
        "An amount is earned on the last day of the period it pays for (a month's part inside "
        "the measurement period, the week of an event, the day a target is reached), once the "
        "register data cover that day.",
        "Et beløb er optjent på den sidste dag i den periode, det betaler for (den del af en "
        "måned, der ligger i måleperioden, ugen for en hændelse, dagen et mål nås), når "
        "registerdata dækker den dag.",
    )
    weekly = any(
        isinstance(o, JobStart | SustainedEmployment | Retention | Progression)
        or (isinstance(o, SelfSufficiency) and o.without_benefit_weeks is not None)
        or (isinstance(o, EmploymentMonths) and o.convention is AccrualConvention.WEEKS_52_12)
        for o in c.outcomes
    )
    if weekly:
        add(
            "week",
            "Week",
            "Uge",
            "An ISO week, Monday to Sunday. A week's status is the register status of highest "
            "priority in it: a benefit paid in a week outweighs work in it. A week counts in a "
            "window when its Monday lies in the window, and only once the week has ended inside "
            "the measurement period and the data.",
            "En ISO-uge, mandag til søndag. En uges status er den registerstatus med højest "
            "prioritet i ugen: en ydelse udbetalt i en uge vejer tungere end arbejde i den. En uge "
            "tæller i et vindue, når dens mandag ligger i vinduet, og først når ugen er afsluttet "
            "inden for måleperioden og data.",
        )
    for o in c.outcomes:
        if isinstance(o, EmploymentMonths | SelfSufficiency) and (
            not isinstance(o, SelfSufficiency) or o.without_benefit_weeks is None
        ):
            conv_en, conv_da = _CONVENTION_WORDS[o.convention]
            statuses = ", ".join(
                f"{s.name.lower()}" + ("" if w == 1 else f" at {_number(w)}") for s, w in o.weights
            )
            statuses_da = ", ".join(
                f"{s.name.lower()}" + ("" if w == 1 else f" med vægt {_number(w)}")
                for s, w in o.weights
            )
            hours_en = hours_da = ""
            norm = getattr(o, "hours_norm", None)
            if norm is not None:
                hours_en = (
                    f" A day of a spell with weekly hours counts hours/{norm} of a day, at most a "
                    "whole day."
                )
                hours_da = (
                    f" En dag i et forløb med ugentlige timer tæller timer/{norm} af en dag, højst "
                    "en hel dag."
                )
            add(
                f"month:{o.id}",
                f"Month ({o.id})",
                f"Måned ({o.id})",
                f"Under clause {o.clause or o.id} a month is {conv_en}. The days counted are "
                f"days with the statuses {statuses}.{hours_en}",
                f"Efter punkt {o.clause or o.id} er en måned {conv_da}. De tællende dage er dage "
                f"med statusserne {statuses_da}.{hours_da}",
            )
        elif isinstance(o, StatusAtFollowUp):
            for d in _follow_up_definitions(c, o):
                out.append(d)
        elif isinstance(o, RecordedEvent):
            add(
                f"event:{o.id}",
                f"Recorded event ({o.event})",
                f"Registreret hændelse ({o.event})",
                f'Under clause {o.clause or o.id} an event "{o.event}" counts on the day it is '
                "recorded, inside the measurement period.",
                f'Efter punkt {o.clause or o.id} tæller en hændelse "{o.event}" på den dag, den er '
                "registreret, inden for måleperioden.",
            )
    shares = any(t.target_share is not None for t in c.cohorts) or any(
        getattr(r, "target_share", None) is not None for r in c.payment_rules
    )
    if shares:
        add(
            "target_share",
            "Target as a share of the cohort",
            "Mål som andel af målgruppen",
            "A target given as a share of a cohort is that share of the cohort's participants "
            "settled at the evaluation date (enrolled in the referral period and not excluded), "
            "counted in units of the outcome: a target of 1/2 for a cohort of 41 participants is "
            "reached when the cohort's total reaches 20.5, that is 21 people with the outcome.",
            "Et mål angivet som en andel af en målgruppe er den andel af målgruppens deltagere, "
            "der er opgjort på opgørelsesdatoen (startet i visitationsperioden og ikke udelukket), "
            "talt i resultatets enheder: et mål på 1/2 for en målgruppe på 41 deltagere er nået, "
            "når målgruppens samlede resultat når 20,5, det vil sige 21 personer med resultatet.",
        )
    effect_rules = [r for r in c.payment_rules if getattr(r, "kind", "") == "effect_tiers"]
    if any(getattr(r, "measure", "share") == "events_per_person" for r in effect_rules):
        add(
            "events_per_person",
            "Events per person",
            "Hændelser pr. person",
            "A cohort's events per person are its events of the outcome recorded up to and "
            "including the measurement date, divided by its settled participants, exactly; a "
            "comparison group's are counted the same way. Events avoided are the comparison's "
            "events per person minus the cohort's, times the cohort's settled participants, "
            "exactly, rounded only as the Rounding clause says.",
            "En målgruppes hændelser pr. person er dens hændelser af resultatet registreret til "
            "og med måledatoen divideret med dens opgjorte deltagere, eksakt; en "
            "sammenligningsgruppes tælles på samme måde. Undgåede hændelser er sammenligningens "
            "hændelser pr. person minus målgruppens, gange målgruppens opgjorte deltagere, "
            "eksakt, og afrundes kun som punktet om afrunding siger.",
        )
    if any(getattr(r, "kind", "") == "weighted_achievement" for r in c.payment_rules):
        add(
            "achievement",
            "Achievement of a metric",
            "Målopfyldelse",
            "A metric's achievement is the cohort's total of its outcome earned up to and "
            "including the measurement date, divided by the metric's target, exactly; it counts "
            "at most up to the metric's highest achievement. The share paid is the sum of each "
            "metric's weight times its counted achievement; the weights add up to 1.",
            "Et måls opfyldelse er målgruppens samlede resultat optjent til og med måledatoen "
            "divideret med målets mål, eksakt; den tæller højst op til målets højeste "
            "opfyldelse. Den udbetalte andel er summen af hvert måls vægt gange dets talte "
            "opfyldelse; vægtene summerer til 1.",
        )
    n = c.schedule.invoice_months
    add(
        "invoice_period",
        "Invoice period",
        "Faktureringsperiode",
        f"Consecutive periods of {n} month{'s' if n != 1 else ''} counted from the term's first "
        "day; the last one ends with the term"
        + (" and the periods continue through the measurement tail." if tail else "."),
        f"På hinanden følgende perioder på {n} måned{'er' if n != 1 else ''} regnet fra "
        "kontraktperiodens første dag; den sidste slutter med kontraktperioden"
        + (", og perioderne fortsætter gennem efterperioden." if tail else "."),
    )
    lag = c.schedule.verification_lag_days
    add(
        "due_date",
        "Due date",
        "Forfaldsdato",
        f"An amount is due {lag} days after the last day of the invoice period in which it was "
        "earned.",
        f"Et beløb forfalder {lag} dage efter den sidste dag i den faktureringsperiode, hvor det "
        "er optjent.",
    )
    if c.caps:
        add(
            "caps",
            "Order of caps",
            "Loftsrækkefølge",
            "Caps count money in the order it was earned (by day, then participant, then payment "
            "rule); the first amount that would pass a cap is cut to fit and later amounts are "
            "cut to nothing. Participant caps apply first, then cohort caps, then contract caps, "
            "then limits on a share of the money paid.",
            "Lofter tæller penge i den rækkefølge, de er optjent (efter dag, så deltager, så "
            "betalingsregel); det første beløb, der ville overskride et loft, nedskæres, så det "
            "passer, og senere beløb nedskæres til nul. Deltagerlofter gælder først, så "
            "målgruppelofter, så kontraktlofter, så lofter over en andel af de udbetalte penge.",
        )
    r_en, r_da = _ROUNDING_WORDS[c.rounding]
    s_en, s_da = _STAGE_WORDS[c.rounding_stage]
    digits = minor_unit_digits(c.currency)
    add(
        "rounding",
        "Rounding",
        "Afrunding",
        f"Amounts are computed exactly in {c.currency} and rounded {r_en} "
        f"({digits} decimals) once: {s_en}." + _unit_prices_en(c, digits),
        f"Beløb beregnes eksakt i {c.currency} og afrundes {r_da} ({digits} decimaler) én gang: "
        f"{s_da}." + _unit_prices_da(c, digits),
    )
    return tuple(out)
