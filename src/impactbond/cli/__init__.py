"""The ``impactbond`` command line.

::

    impactbond example nyborg [--as-of 2026-07-01] [--format text|json|csv]
    impactbond settle CONTRACT SPELLS [--participants PEOPLE] [--events EVENTS] --as-of DATE
    impactbond explain CONTRACT SPELLS [--participants PEOPLE] --as-of DATE --participant ID
    impactbond validate CONTRACT [SPELLS [--participants PEOPLE] [--events EVENTS]]
    impactbond render CONTRACT [--language da|en] [--format markdown|html|pdf] [--settlement SPELLS]
    impactbond report CONTRACT SPELLS [--participants PEOPLE] --as-of DATE --output report.html
    impactbond price CONTRACT --history SPELLS --scenarios N [--effect ...] [--seed S]
    impactbond ledger init|contract add|ingest|run|invoice|show|history|diff|verify ...
    impactbond statuses [--format text|markdown|csv|json]
    impactbond export indigo CONTRACT [--settlement RESULTS.json]

Each command lives in its own module of this package and adds its parser
with a ``register(subparsers)`` function; :data:`COMMANDS` lists them in the
order ``--help`` shows them.

Exit status (:func:`exit_status`): 0 success, 1 internal error (one line, no
traceback), 2 usage error, 3 invalid contract, 4 invalid data, 5 the ledger
refused.  Errors name the file, row, field and rule; control characters in
them are escaped.  A closed pipe (``impactbond settle ... | head``) ends the
command quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from impactbond._version import __version__
from impactbond.cli import (
    _export,
    _ledger,
    _price,
    _render,
    _report,
    _settle,
    _statuses,
    _validate,
)
from impactbond.cli._common import CommandLineError
from impactbond.cli._settle import NYBORG_AS_OF
from impactbond.domain.participant import withhold_cpr
from impactbond.errors import ImpactBondError, InvalidContract, LedgerError
from impactbond.io._files import printable

__all__ = ["COMMANDS", "NYBORG_AS_OF", "exit_status", "main"]

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: The modules that add a sub-command, in the order ``--help`` lists them.
COMMANDS: tuple[Register, ...] = (
    _settle.register,
    _validate.register,
    _render.register,
    _report.register,
    _price.register,
    _ledger.register,
    _statuses.register,
    _export.register,
)

#: Exit status of each outcome.
OK, INTERNAL, USAGE, INVALID_CONTRACT, INVALID_DATA, LEDGER_REFUSED = 0, 1, 2, 3, 4, 5


def exit_status(error: BaseException) -> int:
    """The exit status of an error: its class's ``exit_status`` if it has one.

    >>> from impactbond.errors import ContractFileError, InvalidSpell
    >>> exit_status(ContractFileError("x")), exit_status(InvalidSpell("x")), exit_status(KeyError())
    (3, 4, 1)
    """
    own = getattr(type(error), "exit_status", None)
    if isinstance(own, int):
        return own
    if isinstance(error, CommandLineError):
        return USAGE
    if isinstance(error, LedgerError):
        return LEDGER_REFUSED
    if isinstance(error, InvalidContract):
        return INVALID_CONTRACT
    if isinstance(error, ImpactBondError):
        return INVALID_DATA
    return INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="impactbond",
        description="Settle social impact bond contracts on register trajectories.",
        epilog="exit status: 0 ok, 1 internal error, 2 usage, 3 invalid contract, "
        "4 invalid data, 5 ledger refused",
    )
    parser.add_argument("--version", action="version", version=f"impactbond {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def _quiet_pipe() -> None:
    # The reader went away (| head): send what is left nowhere, so Python's
    # flush at exit does not complain.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version (0) and usage errors (2)
        return int(stop.code or 0) if isinstance(stop.code, int | None) else USAGE
    try:
        return int(args.func(args))
    except BrokenPipeError:
        _quiet_pipe()
        return OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ImpactBondError, CommandLineError) as err:
        status = exit_status(err)
        _say(f"error: {err}")
        return status
    except OSError as err:
        if err.filename is None:
            return _internal(err)
        # The machine refused a file (an output where it may not be written, a full disk):
        # the command line's problem, named by the file, not a bug.
        _say(f"error: {err.filename}: {err.strerror or type(err).__name__}")
        return USAGE
    except Exception as err:  # a bug: one line, no traceback, no data
        return _internal(err)


def _internal(err: Exception) -> int:
    """A bug: one line, no traceback, no data (``IMPACTBOND_TRACEBACK=1`` raises it)."""
    if os.environ.get("IMPACTBOND_TRACEBACK"):
        raise err
    _say(
        f"internal error ({type(err).__name__}): this is a bug in impactbond "
        f"{__version__}, not in your input; please report it with the command you ran "
        "(IMPACTBOND_TRACEBACK=1 shows the traceback)"
    )
    return INTERNAL


def _say(text: str) -> None:
    # Errors never echo an identifier shaped like a CPR number, whatever raised them.
    with contextlib.suppress(BrokenPipeError, OSError):
        print(printable(withhold_cpr(text)), file=sys.stderr)
