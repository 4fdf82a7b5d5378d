"""``impactbond price``: a Monte Carlo of a contract, calibrated on register history.

::

    impactbond price CONTRACT.toml --history SPELLS.csv --history-participants PEOPLE.csv \\
        --referrals sick_listed=60 unemployed=40 --scenarios 1000 --effect 0.3,0.2 \\
        --seed 1 --output report.html
"""

from __future__ import annotations

import argparse
import sys
import warnings
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from impactbond.domain.contract import Contract

__all__ = ["closing_date", "register"]


def closing_date(contract: Contract) -> date:
    """The day after the last invoice period of the term has fallen due.

    The end of the invoice period that holds the term's last day, plus the
    verification lag, plus one day (``as_of`` counts the days before it).
    """
    last = contract.invoice_period(contract.term_end - timedelta(days=1))
    _, end = contract.invoice_period_bounds(last)
    return end + timedelta(days=contract.schedule.verification_lag_days + 1)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _effect(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ENTRY[,STAY], e.g. 0.3,0.2 (relative changes)"
        ) from None
    if len(values) not in (1, 2):
        raise argparse.ArgumentTypeError(f"{text!r} is not ENTRY[,STAY]")
    return values[0], values[1] if len(values) == 2 else 0.0


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return key.strip(), value.strip()


def _count(text: str) -> tuple[str, int]:
    key, value = _pair(text)
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: the count is a whole number")
    return key, int(value)


def _amount(text: str) -> tuple[str, Decimal]:
    key, value = _pair(text)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r}: {value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: an amount is a number >= 0")
    return key, amount


def _investment(text: str) -> tuple[date, Decimal]:
    day, amount = _amount(text)
    return _date(day), amount


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 1")
    return n


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of weeks, e.g. 0,13,26,52"
        ) from None


def _progress(quiet: bool) -> Any:
    if quiet:
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{total} scenarios")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _history_until(tables: Any) -> date:
    """The latest day the history mentions (a start, the last day of a spell, an enrolment)."""
    from impactbond.simulate.tables import days_of

    days = [
        days_of(tables.spells.column("start")).max(initial=-1),
        (days_of(tables.spells.column("end")) - 1).max(initial=-1),
        days_of(tables.participants.column("enrolled")).max(initial=-1),
    ]
    return date.fromordinal(int(max(days)))


def _cmd_price(args: argparse.Namespace) -> int:
    from impactbond.cli._common import CommandLineError, emit, read_register_args
    from impactbond.domain.terms import DatedAmount, Financing
    from impactbond.io.contract_file import load_contract
    from impactbond.money import Money
    from impactbond.price_report import price_html, price_json, price_text
    from impactbond.simulate import (
        BenefitCosts,
        Effect,
        Referrals,
        break_even_effect,
        calibrate,
        price,
    )
    from impactbond.simulate.tables import Tables

    inputs = [p for p in (args.contract, args.history, args.history_participants, args.codes) if p]
    if args.output is not None:
        if args.output.suffix not in (".html", ".json"):
            raise CommandLineError(f"--output {args.output.name}: the report is .html or .json")
        if any(args.output.resolve() == p.resolve() for p in inputs):
            raise CommandLineError(
                f"--output {args.output.name} is one of the inputs; refusing to write over it"
            )
    contract = load_contract(args.contract)
    # The history is read as any register delivery is (CSV in any dialect, Excel, Parquet,
    # a DREAM extract), with every bad row reported and CPR numbers refused.
    reading = argparse.Namespace(
        **vars(args), spells=args.history, participants=args.history_participants, events=None
    )
    history_register = read_register_args(reading).to_register()
    history_cohorts = set(history_register.cohort_labels)
    canonical = history_register.to_tables()
    history = Tables(canonical["participants"], canonical["spells"])
    until = args.history_until or _history_until(history)
    if args.referrals:
        counts = dict(args.referrals)
    elif all(c.max_participants is not None for c in contract.cohorts):
        counts = {c.label: int(c.max_participants or 0) for c in contract.cohorts}
    else:
        raise CommandLineError("say how many citizens each cohort refers: --referrals COHORT=N ...")
    if args.referral_weeks is None:
        referrals = Referrals.over_referral_window(contract, counts)
    else:
        referrals = Referrals(counts, start=contract.referral_start, weeks=args.referral_weeks)
    costs = None
    if args.weekly_benefit:
        costs = BenefitCosts.with_refusion_staircase(
            {s: Money(a, contract.currency) for s, a in args.weekly_benefit}
        )
    financing = None
    if args.investment:
        financing = Financing(
            [DatedAmount(d, Money(a, contract.currency)) for d, a in args.investment]
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = calibrate(
            history,
            data_until=until,
            bands=args.bands,
            cohorts=[c.label for c in contract.cohorts if c.label in history_cohorts],
            method=args.calibration,
        )
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    as_of = args.as_of or closing_date(contract)
    entry, stay = args.effect
    effect = Effect(job_entry=entry, job_stay=stay)
    common: dict[str, Any] = {
        "as_of": as_of,
        "referrals": referrals,
        "scenarios": args.scenarios,
        "seed": args.seed,
        "parameter_uncertainty": not args.no_parameter_uncertainty,
        "benefit_costs": costs,
        "financing": financing,
        "block_size": args.block,
    }
    parties = list(dict.fromkeys(args.break_even or []))
    if parties and effect == Effect():
        raise CommandLineError("--break-even scales the planned effect: give a non-zero --effect")
    if "payer" in parties and costs is None:
        raise CommandLineError("--break-even payer needs --weekly-benefit (the savings)")
    if "investor" in parties and financing is None and contract.financing is None:
        raise CommandLineError("--break-even investor needs --investment or [financing] terms")
    result = price(contract, fit, effect=effect, progress=_progress(args.quiet), **common)
    even = []
    for party in parties:
        if not args.quiet:
            print(f"break-even effect of the {party}: searching", file=sys.stderr)
        even.append(break_even_effect(contract, fit, party=party, planned=effect, **common))
    if args.output is None:
        print(price_text(result, break_even=even, language=args.language))
    elif args.output.suffix == ".json":
        emit(args, price_json(result, fit, break_even=even) + "\n", inputs=inputs)
    else:
        emit(args, price_html(result, fit, break_even=even, language=args.language), inputs=inputs)
    if args.output is not None and not args.quiet:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``price``."""
    from impactbond.cli._common import add_reading_options
    from impactbond.simulate import DEFAULT_BANDS, DEFAULT_BLOCK

    p = sub.add_parser(
        "price",
        help="a Monte Carlo of a contract, calibrated on register history",
        description="Calibrate a weekly status model on the register history of comparable "
        "citizens, simulate N scenarios of the referred cohorts with and without the "
        "programme's effect, settle each under the contract, and summarise what the payer "
        "pays and saves, what the investor and the provider get, and the chance of reaching "
        "the targets.",
    )
    p.add_argument("contract", type=Path, help="contract file (TOML)")
    p.add_argument(
        "--history",
        type=Path,
        required=True,
        help="history spells table (CSV, Excel, Parquet, Arrow): participant_id,status,start,"
        "end,hours,employer; without --history-participants each row also carries "
        "cohort,enrolled; with --dream a DREAM extract",
    )
    p.add_argument(
        "--history-participants",
        type=Path,
        help="history participants table: participant_id,cohort,enrolled (the day each is "
        "followed from)",
    )
    p.add_argument(
        "--history-until",
        type=_date,
        help="the last day the history covers (default: the latest day it mentions)",
    )
    p.add_argument("--scenarios", type=_positive, default=1000, help="scenarios (default 1000)")
    p.add_argument(
        "--effect",
        type=_effect,
        default=(0.0, 0.0),
        metavar="ENTRY[,STAY]",
        help="relative increase of the weekly job-entry rate and of how long a job lasts, "
        "e.g. 0.3,0.2 (default: no effect)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random generator (default 0)")
    p.add_argument(
        "--as-of",
        type=_date,
        help="settlement date of every scenario (default: the day after the term's last "
        "invoice period falls due)",
    )
    p.add_argument(
        "--referrals",
        type=_count,
        nargs="+",
        metavar="COHORT=N",
        help="citizens each cohort refers (default: each cohort's max_participants)",
    )
    p.add_argument(
        "--referral-weeks",
        type=_positive,
        help="weeks over which the referrals arrive (default: the referral window)",
    )
    p.add_argument(
        "--weekly-benefit",
        type=_amount,
        nargs="+",
        metavar="STATUS=AMOUNT",
        help="weekly benefit paid, e.g. sickness_benefit=4500, priced net of the 2016 "
        "refusion staircase (80/40/30/20 %%; illustrative)",
    )
    p.add_argument(
        "--investment",
        type=_investment,
        nargs="+",
        metavar="DATE=AMOUNT",
        help="the investor's funding, when the contract has no [financing] terms",
    )
    p.add_argument(
        "--bands",
        type=_bands,
        default=DEFAULT_BANDS,
        help="first week of each band of time since enrolment (default 0,13,26,52)",
    )
    p.add_argument(
        "--calibration",
        choices=["dirichlet", "bootstrap"],
        default="dirichlet",
        help="how the fit's uncertainty is drawn (default dirichlet)",
    )
    p.add_argument(
        "--no-parameter-uncertainty",
        action="store_true",
        help="use the fitted means in every scenario",
    )
    p.add_argument(
        "--break-even",
        choices=["payer", "investor"],
        nargs="+",
        help="also search the multiple of --effect at which the payer (savings = payments; "
        "needs --weekly-benefit) or the investor (net cash flow 0) breaks even on average: "
        "about ten more runs of --scenarios each",
    )
    p.add_argument("--block", type=_positive, default=DEFAULT_BLOCK, help="scenarios per block")
    p.add_argument(
        "--output", "-o", type=Path, help="write the report (report.html or report.json)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--language",
        choices=["en", "da"],
        default="en",
        help="the words and number formats of the text and HTML report (default: en); "
        "the JSON is the same in both",
    )
    add_reading_options(p)
    p.set_defaults(func=_cmd_price)
