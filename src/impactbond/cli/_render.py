"""``impactbond render``: a contract file as its schedule (bilag), in HTML, Markdown or PDF."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from impactbond.cli._common import CommandLineError, emit

__all__ = ["register"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _settlement(args: argparse.Namespace, contract: Any) -> Any:
    """The settlement behind the annex of worked examples (``--settlement SPELLS``)."""
    from impactbond.cli._settle import settle_tables
    from impactbond.io.register_tables import read_register

    tables = read_register(args.settlement, args.participants)
    return settle_tables(contract, tables, as_of=args.as_of)


def _cmd_render(args: argparse.Namespace) -> int:
    from impactbond.io.contract_file import load_contract
    from impactbond.render import SourceFile, render_html, render_markdown, render_pdf

    contract = load_contract(args.contract)
    settlement = None
    if args.settlement is not None:
        if args.as_of is None:
            raise CommandLineError("--settlement needs --as-of DATE")
        settlement = _settlement(args, contract)
    elif args.example or args.participants or args.as_of:
        raise CommandLineError(
            "--example, --participants and --as-of belong to --settlement SPELLS"
        )
    options: dict[str, Any] = {
        "language": args.language,
        "source": SourceFile.of(args.contract),
        "settlement": settlement,
        "examples": args.example or None,
    }
    data: str | bytes
    if args.format == "pdf":
        data = render_pdf(contract, **options)
    elif args.format == "html":
        data = render_html(contract, **options)
    else:
        data = render_markdown(contract, **options)
    if isinstance(data, bytes) and args.output is None:
        raise CommandLineError("a PDF needs --output PATH")
    emit(args, data, inputs=[args.contract, args.settlement, args.participants])
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``render``."""
    rd = sub.add_parser(
        "render",
        help="render a contract file as its schedule (bilag): HTML, Markdown or PDF",
        description=(
            "The contract as the schedule a lawyer attaches to it: both languages, the "
            "Definitions, every clause, parties, version, effective date, the file's sha256, "
            "the change log and the order of precedence; with --settlement, an annex of worked "
            "examples."
        ),
    )
    rd.add_argument("contract", type=Path, help="contract file (TOML)")
    rd.add_argument(
        "--language",
        choices=["da", "en"],
        default="da",
        help="the language shown first; the other stands beside it (default: da)",
    )
    rd.add_argument(
        "--format",
        choices=["markdown", "html", "pdf"],
        default="markdown",
        help="pdf needs the 'pdf' extra (WeasyPrint) and --output",
    )
    rd.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    rd.add_argument(
        "--settlement",
        type=Path,
        metavar="SPELLS",
        help="spells CSV to settle for the annex of worked examples",
    )
    rd.add_argument("--participants", type=Path, help="participants CSV (with --settlement)")
    rd.add_argument("--as-of", type=_date, help="evaluation date of the settlement (YYYY-MM-DD)")
    rd.add_argument(
        "--example",
        action="append",
        metavar="ID",
        help="a participant of the annex (repeat; default: one per cohort)",
    )
    rd.set_defaults(func=_cmd_render)
