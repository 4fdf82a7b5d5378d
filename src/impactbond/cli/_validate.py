"""``impactbond validate``: everything settle would refuse, reported at once, no money computed.

::

    impactbond validate CONTRACT [SPELLS [--participants PEOPLE] [--events EVENTS]]

Three parts, each reporting all its problems: the contract file (every bad
field), the register files (every parsing problem of every file; once they
parse, every rule between rows), and the two together
(:func:`impactbond.io.checks.cross_check`).  Exit status 0 when all is well,
3 when the contract has problems, 4 when only the data have.
"""

from __future__ import annotations

import argparse
import json
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
from impactbond.errors import ImpactBondError

__all__ = ["register", "validate"]


def _flat(err: ImpactBondError) -> list[ImpactBondError]:
    return list(err.errors) if err.errors else [err]


def validate(args: argparse.Namespace) -> tuple[list[ImpactBondError], list[ImpactBondError]]:
    """The problems of the contract and of the data (nothing is settled)."""
    from impactbond.io.checks import cross_check
    from impactbond.io.contract_file import load_contract

    contract_problems: list[ImpactBondError] = []
    data_problems: list[ImpactBondError] = []
    contract: Any = None
    try:
        contract = load_contract(args.contract)
    except ImpactBondError as err:
        contract_problems = _flat(err)
        for e in contract_problems:
            e.source = e.source or str(args.contract)
    if args.spells is None:
        if args.participants or args.events:
            raise CommandLineError("--participants and --events need SPELLS")
        return contract_problems, data_problems
    with stages(args, ["register", "rows", "contract"]) as bar:
        bar.reading([args.spells, args.participants, args.events])
        tables = None
        try:
            tables = read_register_args(args)
        except ImpactBondError as err:
            data_problems = _flat(err)
        if tables is not None:
            bar.start(tables.participant_count)
            bar.step("rules between rows")
            try:
                tables.to_objects()
            except ImpactBondError as err:
                data_problems += _flat(err)
            bar.step("contract and data")
            if contract is not None:
                data_problems += cross_check(contract, tables)
    return contract_problems, data_problems


def _where(e: ImpactBondError) -> dict[str, Any]:
    return {"class": type(e).__name__, "message": e.message, **e.details()}


def _cmd_validate(args: argparse.Namespace) -> int:
    contract_problems, data_problems = validate(args)
    if args.format == "json":
        text = json.dumps(
            {
                "valid": not (contract_problems or data_problems),
                "contract": [_where(e) for e in contract_problems],
                "data": [_where(e) for e in data_problems],
            },
            indent=2,
            ensure_ascii=False,
        )
    else:
        lines: list[str] = []
        for title, problems, ok in (
            ("contract", contract_problems, f"{args.contract}: the contract is valid"),
            ("data", data_problems, "the register data fit the contract"),
        ):
            if title == "data" and args.spells is None:
                continue
            if problems:
                lines.append(f"{len(problems)} problem(s) in the {title}:")
                lines += [f"  - {e}" for e in problems]
            else:
                lines.append(ok)
        text = "\n".join(lines)
    emit(args, text, inputs=input_paths(args))
    if contract_problems:
        return 3
    return 4 if data_problems else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``validate``."""
    va = sub.add_parser(
        "validate",
        help="report every problem of a contract and its register data, without settling",
    )
    va.add_argument("contract", type=Path, help="contract file (TOML)")
    add_register_inputs(va, spells_required=False)
    va.add_argument("--format", choices=["text", "json"], default="text")
    add_output(va)
    va.set_defaults(func=_cmd_validate)
