"""Code tables: which register code means which status, by whose word and in which version.

A code table is a data file (CSV, Excel, Parquet...) with one row per code:

===============  ===========================================================
``code``         the register's code, as text (``"111"``, ``"890"``)
``status``       the status it means (``impactbond statuses`` lists them)
``priority``     a whole number 1..999; when a period has two records (a
                 benefit code and a month of employment), the higher wins
``source``       where the mapping comes from (a code list, its publisher)
``version``      the version or date of that source
``description``  optional: the code's name in the source's words
===============  ===========================================================

Every row names its source and version, so a settlement can say which
mapping it used.  The library ships an *example* table
(:func:`example_dream_codes`), marked as an example in every row; reading a
table marked so warns with :class:`ExampleCodeTableWarning`, and the command
line says so on every run: check it against the official code list first.

>>> import io
>>> text = "code,status,priority,source,version\\n111,unemployment_benefit,50,my list,2024-01\\n"
>>> codes = read_codes(io.StringIO(text))
>>> codes.status_of("111").name, codes.is_example
('UNEMPLOYMENT_BENEFIT', False)
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
from attrs import validators as v

from impactbond.errors import UnknownCode
from impactbond.io._files import shown
from impactbond.io.tables import Dialect, SourceTable, _Problems, _status_message, read_raw
from impactbond.status import Status

__all__ = [
    "CODE_COLUMNS",
    "CodeEntry",
    "ExampleCodeTableWarning",
    "RegisterCodes",
    "example_dream_codes",
    "read_codes",
]

#: Columns of a code table (``description`` may be left out).
CODE_COLUMNS = ("code", "status", "priority", "source", "version", "description")
_REQUIRED = CODE_COLUMNS[:-1]
_EXAMPLE_FILE = "dream_codes_EXAMPLE.csv"
_EXAMPLE = re.compile(r"\bexample\b", re.IGNORECASE)


class ExampleCodeTableWarning(UserWarning):
    """The code table in use is marked as an example, not checked against an official list."""


@attrs.frozen
class CodeEntry:
    """One row of a code table."""

    code: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    status: Status = attrs.field(validator=v.instance_of(Status))
    priority: int = attrs.field(validator=v.and_(v.instance_of(int), v.ge(1), v.le(999)))
    source: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    version: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    description: str = attrs.field(default="", validator=v.instance_of(str))


@attrs.frozen(eq=False)
class RegisterCodes:
    """A code table: register code -> :class:`~impactbond.status.Status` and priority.

    ``name`` is where it was read from.  Build one with :func:`read_codes`.
    """

    entries: tuple[CodeEntry, ...] = attrs.field(converter=tuple[CodeEntry, ...])
    name: str = attrs.field(default="<codes>", validator=v.instance_of(str))
    _by_code: dict[str, CodeEntry] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {e.code: e for e in self.entries})

    @property
    def is_example(self) -> bool:
        """True when any row's source or version says it is an example."""
        return any(_EXAMPLE.search(f"{e.source} {e.version}") for e in self.entries)

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """The distinct ``(source, version)`` pairs of the table, in order."""
        return tuple(dict.fromkeys((e.source, e.version) for e in self.entries))

    def entry(self, code: str) -> CodeEntry:
        """The row of ``code``; an unknown code is :class:`~impactbond.errors.UnknownCode`."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownCode(
                f"register code {shown(code)} is not in the code table {self.name}",
                field="code",
                rule="every register code maps to a status",
            ) from None

    def status_of(self, code: str) -> Status:
        """The status of ``code``."""
        return self.entry(code).status

    def as_mapping(self) -> Mapping[str, CodeEntry]:
        """``{code: entry}``."""
        return dict(self._by_code)

    def arrays(self) -> tuple[pa.Array, list[int], list[int]]:
        """Codes (Arrow strings), status codes and priorities, aligned (for vectorised lookups)."""
        return (
            pa.array([e.code for e in self.entries], type=pa.string()),
            [int(e.status) for e in self.entries],
            [e.priority for e in self.entries],
        )


def read_codes(
    source: str | os.PathLike[str] | Any,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    source_name: str | None = None,
) -> RegisterCodes:
    """Read a code table (any format :func:`impactbond.io.tables.read_raw` reads).

    Every problem is reported at once: missing columns, an unknown status, a
    priority that is not a whole number in 1..999, an empty source or
    version, a code that appears twice.  A table marked as an example warns
    with :class:`ExampleCodeTableWarning`.
    """
    raw = read_raw(
        source, dialect=dialect, sheet=sheet, source_name=source_name, known_columns=CODE_COLUMNS
    )
    codes = _entries(raw)
    if codes.is_example:
        warnings.warn(
            f"the code table {codes.name} is an EXAMPLE: check every row against the official "
            "code list before settling money on it",
            ExampleCodeTableWarning,
            stacklevel=2,
        )
    return codes


def _entries(raw: SourceTable) -> RegisterCodes:
    problems = _Problems(raw.source)
    columns = raw.table.column_names
    for column in _REQUIRED:
        if column not in columns:
            problems.add(
                f"the code table has no column {column!r} (the header has "
                f"{', '.join(map(repr, columns))})",
                row=0,
                field=column,
                rule=f"a code table has the columns {', '.join(_REQUIRED)}",
            )
    for column in columns:
        if column not in CODE_COLUMNS:
            problems.add(
                f"column {shown(column)} is not a column of a code table",
                row=0,
                field=column,
                rule=f"a code table has the columns {', '.join(CODE_COLUMNS)}",
            )
    problems.raise_if_any()
    rows = raw.table.to_pylist()
    statuses = {s.name.lower(): s for s in Status}
    entries: list[CodeEntry] = []
    first: dict[str, int] = {}
    for number, row in zip(raw.row_numbers.tolist(), rows, strict=True):
        cells = {k: ("" if row.get(k) is None else str(row.get(k)).strip()) for k in CODE_COLUMNS}
        bad = len(problems.errors) + problems.more
        if not cells["code"]:
            problems.add("code is empty", row=number, field="code", rule="every row has a code")
        elif cells["code"] in first:
            problems.add(
                f"code {shown(cells['code'])} appears again (first in row {first[cells['code']]})",
                row=number,
                field="code",
                rule="each code appears once",
            )
        status = statuses.get(cells["status"].lower())
        if status is None:
            problems.add(
                _status_message(cells["status"], ", ".join(statuses)),
                row=number,
                field="status",
                rule="a status is one of impactbond's statuses",
                cls=UnknownCode,
            )
        if not re.fullmatch(r"[0-9]{1,3}", cells["priority"]) or int(cells["priority"]) < 1:
            problems.add(
                f"priority {shown(cells['priority'])} is not a whole number from 1 to 999",
                row=number,
                field="priority",
                rule="a priority is a whole number from 1 to 999",
            )
        for column in ("source", "version"):
            if not cells[column]:
                problems.add(
                    f"{column} is empty",
                    row=number,
                    field=column,
                    rule="every mapping names its source and version",
                )
        if len(problems.errors) + problems.more == bad and status is not None:
            first[cells["code"]] = number
            entries.append(
                CodeEntry(
                    cells["code"],
                    status,
                    int(cells["priority"]),
                    cells["source"],
                    cells["version"],
                    cells["description"],
                )
            )
    problems.raise_if_any()
    return RegisterCodes(entries, name=raw.source)


def example_dream_codes_path() -> Path:
    """Where the example DREAM code table is installed."""
    # Package data beside the example contracts; found without importing the examples layer.
    with resources.as_file(resources.files("impactbond") / "examples" / _EXAMPLE_FILE) as path:
        return Path(path)


def example_dream_codes() -> RegisterCodes:
    """The example DREAM code table shipped with the library (warns: it is an example).

    It shows the format and a plausible mapping of a few benefit codes; it has
    **not** been checked against the official DREAM code list and must not be
    used for money before it is.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     codes = example_dream_codes()
    >>> codes.is_example
    True
    """
    return read_codes(example_dream_codes_path())
