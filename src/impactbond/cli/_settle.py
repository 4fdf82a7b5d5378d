"""``impactbond example``, ``settle`` and ``explain``: settle a contract on register data."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from impactbond.cli._common import (
    CommandLineError,
    add_output,
    add_register_inputs,
    emit,
    input_paths,
    read_register_args,
    stages,
)

__all__ = ["NYBORG_AS_OF", "register", "settle_tables"]

#: The embedded example's register data run to 30 June 2026.
NYBORG_AS_OF = date(2026, 7, 1)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def settle_tables(
    contract: Any, tables: Any, *, as_of: date, data_until: date | None = None
) -> Any:
    """The one place the command line asks the engine for a settlement of read tables."""
    from impactbond.settle import settle

    return settle(contract, tables.to_register(), as_of=as_of, data_until=data_until)


def _formatted(settlement: Any, args: argparse.Namespace) -> str:
    from impactbond.io.results import settlement_csv, settlement_json

    if args.format == "json":
        return settlement_json(settlement)
    if args.format == "csv":
        separator, decimal = (";", ",") if args.csv_dialect == "danish" else (",", ".")
        return settlement_csv(settlement, separator=separator, decimal=decimal)
    return str(settlement.statement())


def _settled(args: argparse.Namespace) -> Any:
    from impactbond.io.contract_file import load_contract

    with stages(args, ["contract", "register", "settle", "write"]) as bar:
        bar.reading([args.spells, args.participants, args.events])
        contract = load_contract(args.contract)
        bar.step("reading the register")
        tables = read_register_args(args)
        bar.start(tables.participant_count)
        bar.step("settling")
        settlement = settle_tables(
            contract, tables, as_of=args.as_of, data_until=getattr(args, "data_until", None)
        )
        bar.step("writing")
    return settlement


def _cmd_example(args: argparse.Namespace) -> int:
    from impactbond.examples import nyborg
    from impactbond.settle import settle

    contract, people, trajectories = nyborg()
    s = settle(contract, people, trajectories, as_of=args.as_of)
    emit(args, s.explain(args.participant) if args.participant else _formatted(s, args))
    return 0


def _cmd_settle(args: argparse.Namespace) -> int:
    emit(args, _formatted(_settled(args), args), inputs=input_paths(args))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from impactbond.domain.participant import looks_like_cpr

    if looks_like_cpr(args.participant):
        raise CommandLineError(
            "--participant looks like a CPR number; participant ids are pseudonyms"
        )
    emit(args, str(_settled(args).explain(args.participant)), inputs=input_paths(args))
    return 0


def _formats(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument(
        "--csv-dialect",
        choices=["standard", "danish"],
        default="standard",
        help="standard: ',' and '.'; danish: ';' and ',' (as Danish Excel reads CSV)",
    )


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("contract", type=Path, help="contract file (TOML)")
    add_register_inputs(p)
    p.add_argument("--as-of", type=_date, required=True, help="evaluation date (YYYY-MM-DD)")
    p.add_argument(
        "--data-until",
        type=_date,
        help="the last day the register data cover (default: the day before --as-of)",
    )
    add_output(p)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``example``, ``settle`` and ``explain``."""
    ex = sub.add_parser("example", help="settle an embedded example contract")
    ex.add_argument("name", choices=["nyborg"], help="the example")
    ex.add_argument(
        "--as-of",
        type=_date,
        default=NYBORG_AS_OF,
        help=f"evaluation date (default: the data cut-off, {NYBORG_AS_OF})",
    )
    _formats(ex)
    ex.add_argument("--participant", help="explain one participant instead")
    add_output(ex)
    ex.set_defaults(func=_cmd_example)

    st = sub.add_parser("settle", help="settle a contract on register data")
    _inputs(st)
    _formats(st)
    st.set_defaults(func=_cmd_settle)

    exp = sub.add_parser("explain", help="explain one participant's payments")
    _inputs(exp)
    exp.add_argument("--participant", required=True, help="the participant id")
    exp.set_defaults(func=_cmd_explain)
