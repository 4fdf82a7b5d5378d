"""What every command shares: register inputs, ``--output``, ``--quiet``, progress.

Output goes to standard output, or with ``--output PATH`` to a file written
whole or not at all (a temporary file beside it, then renamed).  A path that
is one of the command's inputs, also through another name or a hard link, is
refused.  Text for a terminal has its control characters escaped.

A progress bar (tqdm) shows the stages of long work, reading and settling
more than :data:`PROGRESS_FROM` participants (drawn from the start of the
reading when the register files hold :data:`PROGRESS_FROM_BYTES` or more),
when standard error is a terminal and ``--quiet`` is not given; otherwise
nothing is drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from impactbond.io._files import printable, same_file

__all__ = [
    "PROGRESS_FROM",
    "PROGRESS_FROM_BYTES",
    "CommandLineError",
    "Stages",
    "add_output",
    "add_register_inputs",
    "emit",
    "input_paths",
    "read_register_args",
    "reading_args",
]

#: Long work: a progress bar from this many participants on.
PROGRESS_FROM = 2000
#: ... and while reading register files of this many bytes in all (about 2,000
#: participants' spells as CSV).
PROGRESS_FROM_BYTES = 200_000


class CommandLineError(Exception):
    """A usage problem found after parsing (exit status 2)."""


def add_output(parser: argparse.ArgumentParser) -> None:
    """``--output PATH`` and ``--quiet``."""
    parser.add_argument(
        "--output", "-o", type=Path, help="write to this file instead of standard output"
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar (a warning that a code table is an EXAMPLE is still shown)",
    )


def emit(
    args: argparse.Namespace, text: str | bytes, *, inputs: Sequence[Path | None] = ()
) -> None:
    """Write ``text`` (or bytes) to ``--output`` (never over an input) or to standard output."""
    target: Path | None = getattr(args, "output", None)
    if target is None:
        if isinstance(text, bytes):
            raise CommandLineError("binary output (a PDF) needs --output PATH")
        out = sys.stdout
        out.write(printable(text) if out.isatty() else text)
        if not text.endswith("\n"):
            out.write("\n")
        out.flush()
        return
    for source in inputs:
        if source is not None and (same_file(source, target) or _same_path(source, target)):
            raise CommandLineError(
                f"refusing to write over the input {printable(str(source))}: "
                f"choose another --output"
            )
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise CommandLineError(f"--output {printable(str(target))}: no such directory")
    if target.exists() and not target.is_file():
        raise CommandLineError(f"--output {printable(str(target))} is not a regular file")
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".impactbond-", suffix=".tmp")
    except OSError as err:
        raise CommandLineError(
            f"--output {printable(str(target))}: cannot write in {printable(str(directory))} "
            f"({err.strerror or type(err).__name__})"
        ) from None
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        os.replace(temp, target)
    except OSError as err:  # a full disk, a file system that refuses the name
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise CommandLineError(
            f"--output {printable(str(target))}: not written "
            f"({err.strerror or type(err).__name__}); nothing was changed"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class Stages:
    """A progress bar over the stages of a command (silent unless it is worth drawing)."""

    def __init__(self, args: argparse.Namespace, stages: Sequence[str]) -> None:
        self._args = args
        self._stages = list(stages)
        self._bar: Any = None

    def _draw(self, desc: str) -> None:
        if getattr(self._args, "quiet", False) or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:  # the progress extra is not installed: no bar
            return
        self._bar = tqdm(
            total=len(self._stages),
            desc=desc,
            unit="stage",
            file=sys.stderr,
            leave=False,
        )

    def reading(self, paths: Sequence[Path | None]) -> None:
        """Before reading: draw the bar if the files are large (the reading is long work)."""
        size = 0
        for path in paths:
            with contextlib.suppress(OSError, TypeError):
                if path is not None and path.is_file():
                    size += path.stat().st_size
        if self._bar is None and size >= PROGRESS_FROM_BYTES:
            self._draw(f"reading {size / 1e6:,.1f} MB")

    def start(self, participants: int) -> None:
        """Draw the bar if the work is long and standard error is a terminal."""
        if participants < PROGRESS_FROM:
            return
        if self._bar is not None:  # drawn while reading: now name the participants
            self._bar.set_description_str(f"{participants:,} participants")
            return
        self._draw(f"{participants:,} participants")

    def step(self, name: str) -> None:
        """Mark the stage ``name`` as the one now running."""
        if self._bar is not None:
            self._bar.set_postfix_str(name)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextlib.contextmanager
def stages(args: argparse.Namespace, names: Sequence[str]) -> Iterator[Stages]:
    """:class:`Stages` that close themselves."""
    bar = Stages(args, names)
    try:
        yield bar
    finally:
        bar.close()


# -- register inputs -------------------------------------------------------------------------


def add_register_inputs(parser: argparse.ArgumentParser, *, spells_required: bool = True) -> None:
    """The register files and how they are written."""
    help_spells = (
        "spells table (CSV, Excel, Parquet, Arrow): participant_id,status,start,end,hours,"
        "employer; without --participants each row also carries cohort,enrolled"
        "[,referred,exited]; with --dream a DREAM extract"
    )
    if spells_required:
        parser.add_argument("spells", type=Path, help=help_spells)
    else:
        parser.add_argument("spells", type=Path, nargs="?", help=help_spells)
    parser.add_argument(
        "--participants", type=Path, help="participants table: participant_id,cohort,enrolled,..."
    )
    parser.add_argument("--events", type=Path, help="recorded events: participant_id,event,date")
    add_reading_options(parser)


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """How register files are written (separator, encoding, ...) and the DREAM options."""
    g = parser.add_argument_group("how the files are written")
    g.add_argument(
        "--separator", choices=[",", ";", "tab"], help="field separator (default: sniffed)"
    )
    g.add_argument(
        "--encoding",
        default="utf-8",
        choices=["utf-8", "cp1252", "latin-1", "utf-16"],
        help="text encoding (default utf-8; a byte-order mark is allowed)",
    )
    g.add_argument("--decimal", default=".", choices=[".", ","], help="decimal mark of numbers")
    g.add_argument(
        "--date-format",
        default="yyyy-mm-dd",
        help="date format, e.g. dd-mm-yyyy (ISO dates are always accepted)",
    )
    g.add_argument("--sheet", help="the sheet of a spreadsheet (default: the first)")
    d = parser.add_argument_group("DREAM extracts")
    d.add_argument("--dream", action="store_true", help="SPELLS is a DREAM extract (y_YYWW)")
    d.add_argument("--codes", type=Path, help="the code table for --dream")
    d.add_argument(
        "--employment-unit",
        choices=["monthly_hours", "weekly_hours", "grade"],
        help="what the monthly employment columns (b_YYMM) hold",
    )
    d.add_argument(
        "--id-column", default="participant_id", help="the pseudonym column of the extract"
    )
    d.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar="NAME",
        help="a column of the extract to leave unread (repeatable)",
    )


def input_paths(args: argparse.Namespace) -> list[Path | None]:
    """Every file the command reads (for the --output check)."""
    names = ("contract", "spells", "participants", "events", "codes", "settlement")
    return [getattr(args, n, None) for n in names]


def read_register_args(args: argparse.Namespace) -> Any:
    """The :class:`~impactbond.io.register_tables.RegisterTables` the arguments name."""
    from impactbond.io.register_tables import read_register

    return read_register(args.spells, args.participants, args.events, **reading_args(args))


def reading_args(args: argparse.Namespace) -> dict[str, Any]:
    """How to read the register files the arguments name: ``dialect``, ``sheet``, ``dream``
    (the keywords of :func:`~impactbond.io.register_tables.read_register`)."""
    from impactbond.io.codes import ExampleCodeTableWarning, read_codes
    from impactbond.io.dream import read_dream
    from impactbond.io.tables import Dialect

    separator = {"tab": "\t"}.get(args.separator, args.separator)
    try:
        dialect = Dialect(
            separator=separator,
            encoding=args.encoding,
            decimal=args.decimal,
            date_format=args.date_format,
        )
    except ValueError as err:
        raise CommandLineError(f"--date-format: {err}") from None
    dream = None
    if args.dream:
        if args.codes is None:
            raise CommandLineError("--dream needs --codes CODE_TABLE")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ExampleCodeTableWarning)
            codes = read_codes(args.codes, dialect=dialect)
        for w in caught:
            print(f"warning: {printable(str(w.message))}", file=sys.stderr)
        dream = partial(
            read_dream,
            codes=codes,
            id_column=args.id_column,
            employment_unit=args.employment_unit,
            ignore_columns=args.ignore_column,
            dialect=dialect,
            sheet=args.sheet,
        )
    elif args.codes is not None:
        raise CommandLineError("--codes is for --dream extracts")
    return {"dialect": dialect, "sheet": args.sheet, "dream": dream}


def decimal_text(value: Decimal) -> str:
    """A decimal for people: thousands separated."""
    return f"{value:,}"
