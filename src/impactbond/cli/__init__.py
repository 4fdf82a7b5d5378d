"""The ``impactbond`` command line.

::

    impactbond example nyborg [--as-of 2026-07-01] [--format text|json|csv]
    impactbond settle CONTRACT.toml SPELLS.csv [--participants PEOPLE.csv] --as-of DATE
    impactbond explain CONTRACT.toml SPELLS.csv --participants PEOPLE.csv --as-of DATE --participant ID
    impactbond render CONTRACT.toml [--format markdown|html]
    impactbond ledger init|contract add|ingest|run|invoice|show|history|diff|verify ...

Each command lives in its own module of this package and adds its parser
with a ``register(subparsers)`` function; :data:`COMMANDS` lists them in the
order ``--help`` shows them.  Errors in the input are printed with the
participant, row, field and rule they concern, and the command exits with
status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from impactbond._version import __version__
from impactbond.cli import _ledger, _render, _settle
from impactbond.cli._settle import NYBORG_AS_OF
from impactbond.errors import ImpactBondError

__all__ = ["COMMANDS", "NYBORG_AS_OF", "main"]

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: The modules that add a sub-command, in the order ``--help`` lists them.
COMMANDS: tuple[Register, ...] = (_settle.register, _render.register, _ledger.register)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impactbond",
        description="Settle social impact bond contracts on register trajectories.",
    )
    parser.add_argument("--version", action="version", version=f"impactbond {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ImpactBondError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
