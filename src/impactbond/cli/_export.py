"""``impactbond export indigo``: a contract, and its settlement, as an INDIGO project."""

from __future__ import annotations

import argparse
from pathlib import Path

from impactbond.cli._common import CommandLineError, add_output, emit, input_paths

__all__ = ["register"]


def _cmd_indigo(args: argparse.Namespace) -> int:
    from impactbond.io.contract_file import load_contract
    from impactbond.io.indigo import indigo_json
    from impactbond.io.results import read_settlement_json

    contract = load_contract(args.contract)
    settlement = read_settlement_json(args.settlement) if args.settlement else None
    try:
        text = indigo_json(contract, settlement, contract_source=args.contract.name)
    except ValueError as err:
        raise CommandLineError(str(err)) from None
    emit(args, text, inputs=input_paths(args))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export indigo``."""
    ex = sub.add_parser("export", help="export a contract in another data standard")
    kinds = ex.add_subparsers(dest="standard", required=True)
    ind = kinds.add_parser(
        "indigo", help="an INDIGO 4.1.0 project (Government Outcomes Lab) as JSON"
    )
    ind.add_argument("contract", type=Path, help="contract file (TOML)")
    ind.add_argument(
        "--settlement",
        type=Path,
        help="results: the JSON that impactbond settle --format json wrote",
    )
    add_output(ind)
    ind.set_defaults(func=_cmd_indigo)
