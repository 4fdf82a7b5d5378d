"""``impactbond report``: a settlement as one self-contained HTML report."""

from __future__ import annotations

import argparse

from impactbond.cli._common import CommandLineError, emit, input_paths

__all__ = ["register"]


def _cmd_report(args: argparse.Namespace) -> int:
    from impactbond.cli._settle import _settled
    from impactbond.render import SourceFile
    from impactbond.report import settlement_report

    if args.output is None:
        raise CommandLineError("report writes one HTML file: give --output PATH")
    settlement = _settled(args)
    page = settlement_report(settlement, title=args.title, source=SourceFile.of(args.contract))
    emit(args, page, inputs=input_paths(args))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report``."""
    from impactbond.cli._settle import _inputs

    rp = sub.add_parser(
        "report",
        help="write a settlement report (one self-contained HTML file)",
        description=(
            "A report for the payer's board and the investor: the money due, achievement "
            "against target, retention curves with censoring, payments by invoice period, cap "
            "cuts, exclusions and every participant's explanation, in one HTML file that loads "
            "nothing from the network and prints on A4. Needs the 'plot' extra."
        ),
    )
    _inputs(rp)
    rp.add_argument("--title", help="the report's title (default: the contract's title)")
    rp.set_defaults(func=_cmd_report)
