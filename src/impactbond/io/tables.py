"""Register tables from the files people really have: CSV dialects, Excel, Parquet, Arrow, frames.

Every reader here turns one input into one of the canonical tables of the
Register (``participants``, ``spells``, ``events``; see the architecture page)
as a :class:`pyarrow.Table`, together with the row numbers the user sees.  It
does the *parsing* checks and reports every problem at once, each naming the
file, the row and the column:

- the file: it exists, is a regular file (not a directory, a device or a link
  to one), its encoding (with the byte position of the first bad byte), its
  separator (``,``, ``;`` or tab, sniffed from the header unless given), a
  UTF-8 byte-order mark, CRLF line ends, empty lines (skipped, still counted);
- the columns: missing, unknown (with the closest known name) or repeated;
- the cells: dates in the given format (and ISO), no Excel serial numbers,
  decimal numbers of hours (``--decimal ,`` for decimal commas; no exponents
  such as ``1e400``), status names, no control characters, no cell longer than
  :data:`MAX_TEXT` characters and no line longer than :data:`MAX_LINE` bytes,
  no identifier shaped like a CPR number (never echoed).

The *semantic* checks (end after start, overlaps, hours 0..168, dates in
1900..2200, duplicate ids) belong to :meth:`impactbond.Register.from_tables`,
which receives :attr:`SourceTable.row_numbers` so that its errors name the same
rows.

Row numbers count data rows as the user sees them: row 1 is the first row
under the header (in a spreadsheet whose header is in row 1, that is
spreadsheet row 2).  Empty lines are skipped but keep their numbers, so the
rows after them keep theirs.

>>> import io
>>> text = "participant_id;status;start;end;hours\\r\\nP-1;employed;01-02-2024;;37,5\\r\\n"
>>> t = read_table(io.StringIO(text), "spells", dialect=Dialect(decimal=",", date_format="dd-mm-yyyy"))
>>> t.table.column("start")[0].as_py(), str(t.table.column("hours")[0].as_py()), t.row_numbers.tolist()
(datetime.date(2024, 2, 1), '37.50', [1])
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from attrs import validators as v

from impactbond.domain.participant import cpr_mask, string_bytes
from impactbond.errors import (
    CPRNumberRefused,
    ImpactBondError,
    InvalidFile,
    UnknownCode,
)
from impactbond.io._files import checked_path, shown
from impactbond.register import Register
from impactbond.status import Status

__all__ = [
    "EVENTS_SCHEMA",
    "MAX_LINE",
    "MAX_TEXT",
    "PARTICIPANTS_SCHEMA",
    "SCHEMAS",
    "SPELLS_SCHEMA",
    "Dialect",
    "SourceTable",
    "read_raw",
    "read_table",
    "split_combined",
    "to_canonical",
]

Kind = Literal["participants", "spells", "events"]
Source: TypeAlias = "str | os.PathLike[str] | IO[str] | IO[bytes] | pa.Table | Any"

#: Longest line of a text file, in bytes (a longer one is refused, not read).
MAX_LINE = 1 << 20
#: Longest text cell (an id, a label, a status), in characters.
MAX_TEXT = 200
#: Most problems reported one by one; the rest are counted.
MAX_ERRORS = 100

HOURS_TYPE = pa.decimal128(9, 2)

#: The canonical schema of each table: the ``Register``'s input (one definition, there).
SCHEMAS: dict[str, pa.Schema] = dict(Register.SCHEMAS)
PARTICIPANTS_SCHEMA = SCHEMAS["participants"]
SPELLS_SCHEMA = SCHEMAS["spells"]
EVENTS_SCHEMA = SCHEMAS["events"]
_OPTIONAL_COLUMNS = {"participants": {"scenario"}}
_TEXT_COLUMNS = {"participant_id", "cohort", "status", "employer", "event"}
_DATE_COLUMNS = {"enrolled", "referred", "exited", "start", "end", "date"}

_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "utf-16")
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_ARROW_SUFFIXES = {".arrow", ".feather", ".ipc"}


# -- options -------------------------------------------------------------------------------


_DATE_TOKENS = {"yyyy": r"(?P<y>[0-9]{4})", "mm": r"(?P<m>[0-9]{1,2})", "dd": r"(?P<d>[0-9]{1,2})"}
_STRPTIME = {"%Y": "yyyy", "%m": "mm", "%d": "dd"}


def _date_regex(fmt: str) -> str:
    """The regular expression of a date format such as ``dd-mm-yyyy`` or ``%d.%m.%Y``."""
    for code, token in _STRPTIME.items():
        fmt = fmt.replace(code, token)
    fmt = fmt.lower()
    compact = not re.search(r"[-./ ]", fmt)
    out, i = [], 0
    seen: set[str] = set()
    while i < len(fmt):
        for token, regex in _DATE_TOKENS.items():
            if fmt.startswith(token, i):
                if token in seen:
                    raise ValueError(f"date format {fmt!r} names {token} twice")
                seen.add(token)
                out.append(regex.replace("{1,2}", "{2}") if compact else regex)
                i += len(token)
                break
        else:
            if fmt[i] not in "-./ ":
                raise ValueError(
                    f"date format {fmt!r}: use dd, mm, yyyy and the separators - . / or a space"
                )
            out.append(re.escape(fmt[i]))
            i += 1
    if seen != set(_DATE_TOKENS):
        raise ValueError(f"date format {fmt!r} needs dd, mm and yyyy")
    return "^" + "".join(out) + "$"


def _check_date_format(_inst: object, _attr: object, value: str) -> None:
    _date_regex(value)


def _check_separator(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None and value not in _SEPARATORS:
        raise ValueError(f"separator {value!r}: use ',', ';' or a tab")


@attrs.frozen
class Dialect:
    """How a text file is written.

    Parameters
    ----------
    separator:
        ``","``, ``";"`` or ``"\\t"``; ``None`` sniffs it from the header (the
        candidate that splits the header into the most known column names).
    encoding:
        ``utf-8`` (a byte-order mark is allowed), ``cp1252`` (Windows, as
        Danish Excel saves "CSV"), ``latin-1``, ``utf-16``.
    decimal:
        The decimal mark of numbers: ``"."`` or ``","``.
    date_format:
        ``yyyy-mm-dd`` (ISO), ``dd-mm-yyyy`` (Danish Excel), ``dd.mm.yyyy``,
        ``dd/mm/yyyy``, ``yyyymmdd``... (``strptime`` codes ``%d``, ``%m``,
        ``%Y`` are understood too).  ISO dates are accepted in any format.

    >>> Dialect(separator=";", decimal=",", date_format="dd-mm-yyyy").encoding
    'utf-8'
    """

    separator: str | None = attrs.field(default=None, validator=_check_separator)
    encoding: str = attrs.field(default="utf-8", validator=v.in_(_ENCODINGS))
    decimal: str = attrs.field(default=".", validator=v.in_((".", ",")))
    date_format: str = attrs.field(default="yyyy-mm-dd", validator=_check_date_format)


@attrs.frozen(eq=False)
class SourceTable:
    """A table read from one source, with the row number the user sees for each row.

    ``row_numbers[i]`` is the data row (1 = the first row under the header)
    that row ``i`` of ``table`` came from; pass it on as ``row_numbers`` to
    :meth:`impactbond.Register.from_tables`.
    """

    table: pa.Table
    source: str
    row_numbers: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def take(self, index: npt.NDArray[Any]) -> SourceTable:
        """The rows at ``index`` (their row numbers go with them)."""
        return SourceTable(
            self.table.take(pa.array(index)), self.source, self.row_numbers[np.asarray(index)]
        )


# -- collecting problems ---------------------------------------------------------------------


class _Problems:
    """Problems of one source, bounded: the first :data:`MAX_ERRORS` kept, the rest counted."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[ImpactBondError] = []
        self.more = 0

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        rule: str | None = None,
        participant: str | None = None,
        cls: type[ImpactBondError] = InvalidFile,
    ) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.more += 1
            return
        self.errors.append(
            cls(
                message,
                source=self.source,
                row=row,
                field=field,
                rule=rule,
                participant=participant,
            )
        )

    def rows(
        self,
        mask: npt.NDArray[np.bool_],
        row_numbers: npt.NDArray[np.int64],
        message: Callable[..., str],
        *,
        field: str,
        rule: str,
        participants: Sequence[str | None] | None = None,
        cls: type[ImpactBondError] = InvalidFile,
    ) -> None:
        """One problem per row where ``mask`` holds (``message(i)`` for table row ``i``)."""
        for i in np.flatnonzero(mask):
            if len(self.errors) >= MAX_ERRORS:
                self.more += int(mask.sum()) - int(np.searchsorted(np.flatnonzero(mask), i))
                return
            self.add(
                message(int(i)),
                row=int(row_numbers[i]),
                field=field,
                rule=rule,
                participant=None if participants is None else participants[int(i)],
                cls=cls,
            )

    def raise_if_any(self) -> None:
        errors = sorted(self.errors, key=lambda e: e.row or 0)
        if not errors:
            return
        if self.more:
            errors.append(
                InvalidFile(
                    f"and {self.more:,} more problems of the same kinds (not listed)",
                    source=self.source,
                )
            )
        if len(errors) == 1:
            raise errors[0]
        kinds = {type(e) for e in errors}
        cls = kinds.pop() if len(kinds) == 1 else InvalidFile
        raise cls(
            f"{len(self.errors) + self.more:,} problems",
            source=self.source,
            errors=errors,
        )


# -- reading a source into a raw table -------------------------------------------------------


def _source_name(source: Any, given: str | None) -> str:
    if given:
        return given
    if isinstance(source, str | os.PathLike):
        return str(source)
    return str(getattr(source, "name", None) or f"<{type(source).__name__}>")


def read_raw(
    source: Source,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    source_name: str | None = None,
    known_columns: Iterable[str] = (),
) -> SourceTable:
    """Read any supported input into a table of its own columns, empty rows left out.

    Text files give string columns (empty cells are null); Excel cells become
    text in a canonical form (dates ISO, numbers with a ``.``); Parquet,
    Arrow IPC, :class:`pyarrow.Table`, pandas and polars frames keep their
    types.  ``known_columns`` helps sniff the separator.
    """
    dialect = dialect or Dialect()
    name = _source_name(source, source_name)
    if isinstance(source, pa.Table):
        return _without_empty_rows(source, name)
    module = type(source).__module__.split(".")[0]
    if module == "polars":
        frame: Any = source
        return _without_empty_rows(frame.to_arrow(), name)
    if module == "pandas":
        return _without_empty_rows(_from_pandas(source, name), name)
    if isinstance(source, io.TextIOBase | io.StringIO):
        text = source.read()
        return _read_text(text.encode("utf-8"), "utf-8", dialect, name, known_columns)
    if hasattr(source, "read"):
        data: Any = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _read_text(bytes(data), dialect.encoding, dialect, name, known_columns)
    path = checked_path(source)
    kind = _file_kind(path)
    if kind == "excel":
        return _read_excel(path, name, sheet)
    if kind == "parquet":
        return _without_empty_rows(_read_arrow_file(path, name, "parquet"), name)
    if kind == "arrow":
        return _without_empty_rows(_read_arrow_file(path, name, "arrow"), name)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InvalidFile(f"{name} cannot be read: {err.strerror}", source=name) from None
    return _read_text(data, dialect.encoding, dialect, name, known_columns)


def _file_kind(path: Path) -> str:
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PAR1"):
        return "parquet"
    if magic.startswith(b"ARROW1"):
        return "arrow"
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    suffix = path.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        return "excel"
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    if suffix in _ARROW_SUFFIXES:
        return "arrow"
    return "text"


def _read_arrow_file(path: Path, name: str, kind: str) -> pa.Table:
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        import pyarrow.feather as feather

        return feather.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise InvalidFile(
            f"{name} is not a readable {kind} file ({type(err).__name__})",
            source=name,
            rule=f"the file is a {kind} file",
        ) from None


def _from_pandas(frame: Any, name: str) -> pa.Table:
    columns = [str(c) for c in frame.columns]
    frame = frame.copy()
    frame.columns = columns
    for column in columns:
        if frame[column].dtype == object:  # mixed cells: their text, None stays None
            frame[column] = [_cell_text(x) for x in frame[column]]
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as err:
        raise InvalidFile(
            f"{name}: the frame cannot be read as a table ({type(err).__name__})", source=name
        ) from None


def _cell_text(value: Any) -> str | None:
    """One spreadsheet or frame cell as canonical text (``None`` when empty)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text in ("NaT", "<NA>", "nan"):
        return None
    return text if text.strip() else None


def _read_excel(path: Path, name: str, sheet: str | None) -> SourceTable:
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading Excel files needs the excel extra: pip install 'impactbond[excel]'"
        ) from None
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if sheet is None:
            chosen = names[0] if names else None
        elif sheet in names:
            chosen = sheet
        else:
            raise InvalidFile(
                f"{name} has no sheet {sheet!r} (sheets: {', '.join(map(repr, names))})",
                source=name,
                field="sheet",
            )
        rows = book.get_sheet_by_name(chosen).to_python() if chosen is not None else []
    except InvalidFile:
        raise
    except Exception as err:  # calamine raises its own error types for broken files
        raise InvalidFile(
            f"{name} is not a readable spreadsheet ({type(err).__name__})",
            source=name,
            rule="the file is an Excel or OpenDocument spreadsheet",
        ) from None
    if not rows:
        raise InvalidFile(f"{name}: the sheet is empty", source=name, rule="a table has a header")
    header = [_cell_text(c) or "" for c in rows[0]]
    problems = _Problems(name)
    width = len(header)
    cells: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    for number, row in enumerate(rows[1:], start=1):
        texts = [_cell_text(c) for c in row]
        if len(texts) > width and any(t is not None for t in texts[width:]):
            problems.add(
                f"row has a value beyond the last column of the header ({len(texts)} cells)",
                row=number,
                rule="every value stands under a column name",
            )
            continue
        texts = (texts + [None] * width)[:width]
        if all(t is None for t in texts):
            continue
        numbers.append(number)
        for column, text in zip(cells, texts, strict=True):
            column.append(text)
    problems.raise_if_any()
    table = _named_table(header, [pa.array(c, type=pa.string()) for c in cells], name)
    return SourceTable(table, name, np.asarray(numbers, dtype=np.int64))


def _named_table(header: Sequence[str], arrays: Sequence[pa.Array], name: str) -> pa.Table:
    problems = _Problems(name)
    seen: dict[str, int] = {}
    for i, column in enumerate(header, start=1):
        if not column.strip():
            problems.add(
                f"column {i} of the header has no name", row=0, rule="every column has a name"
            )
        elif column.strip() in seen:
            problems.add(
                f"column {column.strip()!r} appears twice in the header (columns {seen[column.strip()]} and {i})",
                row=0,
                field=column.strip(),
                rule="column names are unique",
            )
        else:
            seen[column.strip()] = i
    problems.raise_if_any()
    return pa.table(list(arrays), names=[c.strip() for c in header])


def _without_empty_rows(table: pa.Table, name: str) -> SourceTable:
    if table.num_columns == 0:
        raise InvalidFile(f"{name}: the table has no columns", source=name)
    keep = np.zeros(table.num_rows, dtype=np.bool_)
    for column in table.columns:
        if keep.all():  # a row with one cell filled is not empty: no need to look further
            break
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            filled = pc.fill_null(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0)
            keep |= np.asarray(filled.to_numpy(zero_copy_only=False)) > 0
        else:
            keep |= ~np.asarray(column.is_null().to_numpy(zero_copy_only=False))
    numbers = np.arange(1, table.num_rows + 1, dtype=np.int64)
    if keep.all():
        return SourceTable(table, name, numbers)
    index = np.flatnonzero(keep)
    return SourceTable(table.take(pa.array(index)), name, numbers[index])


# -- text files ------------------------------------------------------------------------------


_UTF8_BOM = b"\xef\xbb\xbf"


def _decode(data: bytes, encoding: str, name: str) -> str:
    skip = 0
    if data.startswith(_UTF8_BOM):
        # A UTF-8 byte-order mark says the encoding, whatever was given for the other
        # files of a delivery (a cp1252 export beside a file Excel saved as UTF-8).
        encoding, skip = "utf-8", len(_UTF8_BOM)
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as err:
        at = skip + err.start  # the byte's position in the file, the mark included
        line = data.count(b"\n", 0, at) + 1
        hint = ""
        if skip:
            hint = " (the file begins with a UTF-8 byte-order mark)"
        elif encoding.startswith("utf-8"):
            hint = (
                "; the file may be in a Windows encoding: try --encoding cp1252 "
                "(or encoding='cp1252')"
            )
        raise InvalidFile(
            f"{name}: byte {at:,} (line {line}, value 0x{data[at]:02x}) is not "
            f"valid {encoding}{hint}",
            source=name,
            row=line - 1 if line > 1 else 0,
            rule=f"the file is encoded in {encoding}",
        ) from None
    if "\x00" in text:
        at = text.index("\x00")
        raise InvalidFile(
            f"{name}: character {at:,} is a NUL; this is not a text file in {encoding}",
            source=name,
            rule="a text table holds no NUL characters",
        )
    return text


def _sniff(header: str, given: str | None, known: set[str]) -> str:
    if given is not None:
        return given
    best, best_score = ",", (-1, -1)
    for sep in _SEPARATORS:
        fields = next(csv.reader([header], delimiter=sep), [])
        score = (sum(f.strip() in known for f in fields), len(fields))
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_text(
    data: bytes, encoding: str, dialect: Dialect, name: str, known_columns: Iterable[str]
) -> SourceTable:
    import pyarrow.csv as pcsv

    text = _decode(data, encoding, name)
    # Valid UTF-8 without a byte-order mark is its own encoding: no second copy of the file.
    plain_utf8 = encoding in ("utf-8", "utf-8-sig") and not data.startswith(b"\xef\xbb\xbf")
    utf8 = data if plain_utf8 else text.encode("utf-8")
    del text
    newlines = np.flatnonzero(np.frombuffer(utf8, dtype=np.uint8) == 10)
    ends = np.append(newlines, len(utf8))
    starts = np.concatenate(([0], newlines + 1))
    lengths = ends - starts
    too_long = np.flatnonzero(lengths > MAX_LINE)
    header_end = int(ends[0])
    header = utf8[:header_end].decode("utf-8").rstrip("\r")
    separator = _sniff(header, dialect.separator, set(known_columns))
    if too_long.size:
        line = int(too_long[0])
        raise InvalidFile(
            _long_line_message(utf8[starts[line] : ends[line]], line, separator, header),
            source=name,
            row=line,
            rule=f"a line is at most {MAX_LINE:,} bytes",
        )
    columns = next(csv.reader([header], delimiter=separator), [])
    if not header.strip():
        raise InvalidFile(f"{name}: the first line (the header) is empty", source=name, row=0)
    table_header = [c.strip() for c in columns]
    _named_table(table_header, [pa.array([], pa.string()) for _ in table_header], name)
    problems = _Problems(name)
    bad_lines: list[int] = []

    def invalid_row(row: Any) -> str:
        bad_lines.append(int(row.number))
        problems.add(
            f"row has {row.actual_columns} fields, the header has {row.expected_columns} "
            f"(separator {_SEPARATORS[separator]})",
            row=int(row.number) - 1,
            rule="every row has as many fields as the header",
        )
        return "skip"

    block = int(max(1 << 20, 4 * int(lengths.max(initial=0)) + 1024))
    seen_invalid: list[bool] = []

    def any_invalid(row: Any) -> str:
        seen_invalid.append(True)
        return "skip"

    def read(threads: bool) -> pa.Table:
        # Line numbers of invalid rows are known only to a single-threaded read.
        try:
            return pcsv.read_csv(
                io.BytesIO(utf8),
                read_options=pcsv.ReadOptions(
                    use_threads=threads,
                    column_names=table_header,
                    skip_rows=1,
                    block_size=block,
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=separator,
                    invalid_row_handler=any_invalid if threads else invalid_row,
                    ignore_empty_lines=False,
                    newlines_in_values=False,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(table_header, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except pa.ArrowException as err:
            raise InvalidFile(
                f"{name}: not a readable table ({_safe_arrow_message(err)})", source=name
            ) from None

    table = read(threads=True)
    if seen_invalid:  # read again, one thread, to name every invalid row
        table = read(threads=False)
    problems.raise_if_any()
    lines = np.arange(2, 2 + table.num_rows + len(bad_lines), dtype=np.int64)
    if bad_lines:
        lines = np.setdiff1d(lines, np.asarray(bad_lines, dtype=np.int64))
    raw = _without_empty_rows(table, name)
    return SourceTable(raw.table, name, (lines - 1)[raw.row_numbers - 1])


def _safe_arrow_message(err: Exception) -> str:
    # Arrow's messages can quote a row of the file: keep only the first clause.
    return str(err).split(":")[0].strip() or type(err).__name__


def _long_line_message(line: bytes, number: int, separator: str, header: str) -> str:
    csv.field_size_limit(max(csv.field_size_limit(), len(line) + 1))
    fields = next(csv.reader([line.decode("utf-8", "replace")], delimiter=separator), [])
    names = next(csv.reader([header], delimiter=separator), [])
    if fields:
        longest = max(range(len(fields)), key=lambda i: len(fields[i]))
        column = names[longest].strip() if longest < len(names) else f"column {longest + 1}"
        return (
            f"a cell in column {column!r} is {len(fields[longest]):,} characters long; "
            f"a line is at most {MAX_LINE:,} bytes"
        )
    return f"line {number + 1} is {len(line):,} bytes long"


# -- canonical tables ------------------------------------------------------------------------


def _string_column(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if not pa.types.is_string(array.type):
        if pa.types.is_large_string(array.type) or pa.types.is_integer(array.type):
            array = pc.cast(array, pa.string())
        elif pa.types.is_floating(array.type):
            array = pa.array([_cell_text(x) for x in array.to_pylist()], type=pa.string())
        else:
            raise TypeError(str(array.type))
    return array


def _empty(column: pa.Array) -> npt.NDArray[np.bool_]:
    """Cells that are null, or only white space."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        trimmed = column if _plain_ascii(column) else pc.utf8_trim_whitespace(column)
        return ~_to_numpy_bool(pc.greater(pc.utf8_length(trimmed), 0))
    return np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)


def _to_numpy_bool(array: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x9f]"


def _plain_ascii(value: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every cell is printable ASCII without spaces (bytes 0x21..0x7e): then no cell
    has white space to trim (ASCII or Unicode) and none holds a control character."""
    return not any(bool(np.any((b <= 0x20) | (b >= 0x7F))) for b in string_bytes(value))


def _may_hold_control(value: pa.Array) -> bool:
    """Whether any cell could hold a character of :data:`_CONTROL_RE2`: its UTF-8 bytes
    are below 0x20, 0x7f, or start with 0xc2 (U+0080..U+009F); else the regex need not run."""
    return any(bool(np.any((b < 0x20) | (b == 0x7F) | (b == 0xC2))) for b in string_bytes(value))


def _text(
    raw: pa.Array, column: str, t: SourceTable, problems: _Problems, ids: Sequence[str | None]
) -> pa.Array:
    plain = _plain_ascii(raw)
    trimmed = raw if plain else pc.utf8_trim_whitespace(raw)
    length = pc.utf8_length(trimmed)
    if plain and not bool(pc.any(pc.equal(length, 0)).as_py()):
        value = trimmed  # no white space and no empty cell: nothing to trim or null
    else:
        value = pc.if_else(pc.equal(length, 0), pa.scalar(None, pa.string()), trimmed)
    too_long = _to_numpy_bool(pc.greater(length, MAX_TEXT))
    problems.rows(
        too_long,
        t.row_numbers,
        lambda i: f"{column} is {length[i].as_py():,} characters long",
        field=column,
        rule=f"a text cell is at most {MAX_TEXT} characters",
        participants=ids,
    )
    if not plain and _may_hold_control(value):
        controls = _to_numpy_bool(pc.match_substring_regex(value, _CONTROL_RE2)) & ~too_long
    else:
        controls = np.zeros(len(value), dtype=np.bool_)
    problems.rows(
        controls,
        t.row_numbers,
        lambda i: f"{column} contains a control character",
        field=column,
        rule="text cells hold no control characters",
        participants=ids,
    )
    cpr = cpr_mask(value) & ~too_long
    problems.rows(
        cpr,
        t.row_numbers,
        lambda i: f"{column} looks like a Danish CPR number; use a pseudonym",
        field=column,
        rule="identifiers are pseudonyms, never CPR numbers",
        participants=None if column == "participant_id" else ids,
        cls=CPRNumberRefused,
    )
    refused = too_long | controls | cpr
    if refused.any():  # reported once: no second complaint about the same cell
        value = pc.if_else(pa.array(refused), pa.scalar(None, pa.string()), value)
    return value


def _days_from_civil(
    y: npt.NDArray[np.int64], m: npt.NDArray[np.int64], d: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: npt.NDArray[np.int64] = era * 146097 + doe - 719468
    return days


def _month_days(y: npt.NDArray[np.int64], m: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)[
        np.clip(m, 0, 12)
    ]
    out: npt.NDArray[np.int64] = days + ((m == 2) & leap)
    return out


_ISO = _date_regex("yyyy-mm-dd").replace("{1,2}", "{2}")
_MIDNIGHT = r"(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_SERIAL = r"^[0-9]{4,5}(\.[0-9]+)?$"


def _iso_dates(value: pa.Array, fmt: str) -> pa.Array | None:
    """Every present cell as ``yyyy-mm-dd``: Arrow's strict cast (one pass, no regex), else None.

    Arrow accepts exactly ten characters ``yyyy-mm-dd`` of a calendar day,
    which the detailed parser reads the same way whenever the dialect's own
    format cannot take such a cell for another day (its fields in the order
    year, month, day, or a format without ``-`` after a four-digit year).
    Anything else (another shape, an impossible day, a time of day, white
    space only) makes the cast fail, and the detailed parser reports it.
    """
    own = _date_regex(fmt)
    if own != _ISO and own.index("(?P<m>") > own.index("(?P<d>") and own.startswith("^(?P<y>"):
        return None  # yyyy-dd-mm: an ISO-shaped cell means another day
    try:
        out: pa.Array = pc.cast(value, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return out


def _parse_dates(
    raw: pa.Array,
    fmt: str,
    column: str,
    t: SourceTable,
    problems: _Problems,
    ids: Sequence[str | None],
) -> pa.Array:
    if pa.types.is_date32(raw.type):
        return raw
    if pa.types.is_date64(raw.type):
        return pc.cast(raw, pa.date32())
    if pa.types.is_timestamp(raw.type):
        days = pc.cast(pc.floor_temporal(raw, unit="day"), raw.type)
        off = _to_numpy_bool(pc.not_equal(days, raw))
        problems.rows(
            off,
            t.row_numbers,
            lambda i: f"{column} has a time of day ({raw[i].as_py()}); dates only",
            field=column,
            rule="dates carry no time of day",
            participants=ids,
        )
        return pc.cast(pc.cast(days, pa.timestamp("s")), pa.date32())
    try:
        value = _string_column(raw)
    except TypeError:
        problems.add(f"{column} holds {raw.type} values, not dates", field=column, row=0)
        return pa.nulls(len(raw), pa.date32())
    value = pc.utf8_trim_whitespace(value)
    fast = _iso_dates(value, fmt)
    if fast is not None:
        return fast
    own = _date_regex(fmt)
    y = np.zeros(len(value), dtype=np.int64)
    m = np.zeros(len(value), dtype=np.int64)
    d = np.zeros(len(value), dtype=np.int64)
    matched = np.zeros(len(value), dtype=np.bool_)
    for regex in dict.fromkeys((own, _ISO)):
        pattern = regex[:-1] + _MIDNIGHT
        parts = pc.extract_regex(value, pattern)
        ok = _to_numpy_bool(pc.is_valid(parts)) & ~matched
        if ok.any():
            for name, target in (("y", y), ("m", m), ("d", d)):
                field = pc.struct_field(parts, name)
                numbers = pc.cast(pc.fill_null(field, "0"), pa.int64()).to_numpy(
                    zero_copy_only=False
                )
                target[ok] = numbers[ok]
            matched |= ok
    present = _to_numpy_bool(pc.is_valid(value))
    bad_shape = present & ~matched
    serial = bad_shape & _to_numpy_bool(pc.match_substring_regex(value, _SERIAL))
    rule = (
        "dates are written yyyy-mm-dd"
        if fmt == "yyyy-mm-dd"
        else f"dates are written {fmt} (or yyyy-mm-dd)"
    )
    danish = bad_shape & _to_numpy_bool(
        pc.match_substring_regex(value, r"^\s*\d{1,2}[-./]\d{1,2}[-./]\d{4}\s*$")
    )
    hint = {True: "; a day-first date: give --date-format dd-mm-yyyy (Danish Excel)", False: ""}
    problems.rows(
        serial,
        t.row_numbers,
        lambda i: (
            f"{column} {shown(value[i].as_py())} looks like an Excel serial date number; "
            "format the column as dates before exporting"
        ),
        field=column,
        rule=rule,
        participants=ids,
    )
    problems.rows(
        bad_shape & ~serial,
        t.row_numbers,
        lambda i: (
            f"{column} {shown(value[i].as_py())} is not a date in the format {fmt}"
            + hint[bool(danish[i]) and fmt == "yyyy-mm-dd"]
        ),
        field=column,
        rule=rule,
        participants=ids,
    )
    impossible = matched & ((m < 1) | (m > 12) | (d < 1) | (d > _month_days(y, m)))
    problems.rows(
        impossible,
        t.row_numbers,
        lambda i: f"{column} {shown(value[i].as_py())} is not a day of the calendar",
        field=column,
        rule="a date is a day of the calendar",
        participants=ids,
    )
    good = matched & ~impossible
    days = np.where(good, _days_from_civil(y, m, d), 0).astype(np.int32)
    return pa.array(days, type=pa.int32(), mask=~good).cast(pa.date32())


_HOURS_MAX_DIGITS = 7


def _parse_hours(
    raw: pa.Array, decimal: str, t: SourceTable, problems: _Problems, ids: Sequence[str | None]
) -> pa.Array:
    column = "hours"
    rule = "hours are a plain decimal number of weekly hours, at most two decimals"
    if pa.types.is_decimal(raw.type):
        exact = [None if x is None else Decimal(x) for x in raw.to_pylist()]
        return _decimal_hours(exact, t, problems, ids, rule)
    if pa.types.is_integer(raw.type):
        return _decimal_hours(
            [None if x is None else Decimal(x) for x in raw.to_pylist()], t, problems, ids, rule
        )
    if pa.types.is_floating(raw.type):
        values: list[Decimal | None] = []
        for i, x in enumerate(raw.to_pylist()):
            if x is None or x != x:
                values.append(None)
            elif x in (float("inf"), float("-inf")):
                problems.add(
                    f"hours is {x}",
                    row=int(t.row_numbers[i]),
                    field=column,
                    rule=rule,
                    participant=ids[i],
                )
                values.append(None)
            else:
                values.append(Decimal(repr(x)))
        return _decimal_hours(values, t, problems, ids, rule)
    try:
        value = pc.utf8_trim_whitespace(_string_column(raw))
    except TypeError:
        problems.add(f"hours holds {raw.type} values, not numbers", field=column, row=0)
        return pa.nulls(len(raw), HOURS_TYPE)
    mark = re.escape(decimal)
    plain = rf"^[0-9]{{1,{_HOURS_MAX_DIGITS}}}({mark}[0-9]{{1,2}})?$"
    ok = _to_numpy_bool(pc.match_substring_regex(value, plain))
    present = _to_numpy_bool(pc.is_valid(value))
    other = "," if decimal == "." else "."
    other_ok = _to_numpy_bool(
        pc.match_substring_regex(value, rf"^[0-9]{{1,7}}{re.escape(other)}[0-9]{{1,2}}$")
    )

    def message(i: int) -> str:
        text = value[i].as_py()
        if other_ok[i]:
            flag = "--decimal ," if other == "," else "--decimal ."
            return f"hours {shown(text)} uses {other!r} as decimal mark; say so with {flag}"
        if re.search(r"[eE]", text):
            return f"hours {shown(text)} is written with an exponent; write a plain decimal"
        return f"hours {shown(text)} is not a plain decimal number (at most two decimals)"

    problems.rows(present & ~ok, t.row_numbers, message, field=column, rule=rule, participants=ids)
    cleaned = pc.if_else(pa.array(ok), value, pa.scalar(None, pa.string()))
    if decimal == ",":
        cleaned = pc.replace_substring(cleaned, ",", ".")
    return pc.cast(cleaned, HOURS_TYPE)


def _decimal_hours(
    values: list[Decimal | None],
    t: SourceTable,
    problems: _Problems,
    ids: Sequence[str | None],
    rule: str,
) -> pa.Array:
    out: list[Decimal | None] = []
    for i, x in enumerate(values):
        try:
            ok = (
                x is not None
                and x.is_finite()
                and x == x.quantize(Decimal("0.01"))
                and abs(x) < 10**7
            )
        except InvalidOperation:
            ok = False
        if x is not None and not ok:
            problems.add(
                f"hours {shown(x)} is not a decimal number with at most two decimals",
                row=int(t.row_numbers[i]),
                field="hours",
                rule=rule,
                participant=ids[i],
            )
        out.append(x.quantize(Decimal("0.01")) if ok and x is not None else None)
    return pa.array(out, type=HOURS_TYPE)


def _parse_scenario(
    raw: pa.Array, t: SourceTable, problems: _Problems, ids: Sequence[str | None]
) -> pa.Array:
    if pa.types.is_integer(raw.type):
        return pc.cast(raw, pa.int32())
    value = pc.utf8_trim_whitespace(_string_column(raw))
    ok = _to_numpy_bool(pc.match_substring_regex(value, r"^[0-9]{1,9}$"))
    present = _to_numpy_bool(pc.is_valid(value))
    problems.rows(
        present & ~ok,
        t.row_numbers,
        lambda i: f"scenario {shown(value[i].as_py())} is not a whole number",
        field="scenario",
        rule="a scenario is a whole number 0 or more",
        participants=ids,
    )
    return pc.cast(pc.if_else(pa.array(ok), value, pa.scalar(None, pa.string())), pa.int32())


_STATUS_NAMES = pa.array([s.file_name for s in Status])


def _status_message(value: object, names: str) -> str:
    """Why a status cell is not a status: a removed name says what it was split into."""
    from impactbond.errors import ImpactBondError

    try:
        Status.parse(str(value))
    except ImpactBondError as err:
        if "no longer a status" in err.message or "Danish" in err.message:
            return err.message
    return (
        f"status {shown(value)} is not a status; the statuses are {names} "
        "(impactbond statuses lists them with their Danish names)"
    )


def _parse_status(
    value: pa.Array, t: SourceTable, problems: _Problems, ids: Sequence[str | None]
) -> pa.Array:
    lower = pc.utf8_lower(value)
    known = _to_numpy_bool(pc.is_in(lower, value_set=_STATUS_NAMES))
    present = _to_numpy_bool(pc.is_valid(lower))
    names = ", ".join(s.name.lower() for s in Status)
    problems.rows(
        present & ~known,
        t.row_numbers,
        lambda i: _status_message(value[i].as_py(), names),
        field="status",
        rule="a status is one of impactbond's statuses",
        participants=ids,
        cls=UnknownCode,
    )
    return pc.if_else(pa.array(known), lower, pa.scalar(None, pa.string()))


def _columns(
    raw: SourceTable,
    kind: str,
    rename: Mapping[str, str] | None,
    extra_known: Iterable[str],
    problems: _Problems,
) -> dict[str, str]:
    """Canonical column -> the raw table's column; unknown and missing columns are problems."""
    schema = SCHEMAS[kind]
    wanted = [f.name for f in schema]
    renamed = {**(rename or {})}
    mapping: dict[str, str] = {}
    extra = set(extra_known)
    for column in raw.table.column_names:
        target = renamed.get(column, column)
        if target in wanted:
            mapping[target] = column
        elif target not in extra:
            close = difflib.get_close_matches(target.lower(), wanted, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(
                f"column {shown(column)} is not a column of the {kind} table (known: "
                f"{', '.join(wanted)}){hint}",
                row=0,
                field=column,
                rule=f"the {kind} table has the columns {', '.join(wanted)}",
            )
    required = [f.name for f in schema if not f.nullable]
    for column in required:
        if column not in mapping:
            problems.add(
                f"the {kind} table has no column {column!r} (the header has "
                f"{', '.join(map(repr, raw.table.column_names))})",
                row=0,
                field=column,
                rule=f"the {kind} table has the columns {', '.join(required)}",
            )
    return mapping


class _SafeIds(Sequence[str | None]):
    """Each row's participant id for error messages, read only for the rows reported:
    None where the id is empty or looks like a CPR number (never echoed)."""

    def __init__(self, ids: pa.Array) -> None:
        self._ids = ids
        self._cpr: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i: int) -> str | None:  # type: ignore[override]
        if self._cpr is None:
            self._cpr = cpr_mask(self._ids)
        value = self._ids[i].as_py()
        return None if value is None or self._cpr[i] else str(value)


def to_canonical(
    raw: SourceTable,
    kind: Kind,
    *,
    dialect: Dialect | None = None,
    rename: Mapping[str, str] | None = None,
    extra_columns: Iterable[str] = (),
) -> SourceTable:
    """A raw table as the canonical ``kind`` table (every problem reported at once).

    ``rename`` maps a column of the file to a canonical name (``{"timer":
    "hours"}``); ``extra_columns`` are columns of the file that belong to
    another table and are left out without a complaint.
    """
    dialect = dialect or Dialect()
    problems = _Problems(raw.source)
    mapping = _columns(raw, kind, rename, extra_columns, problems)
    problems.raise_if_any()
    schema = SCHEMAS[kind]
    table = raw.table
    n = table.num_rows
    ids_raw = _string_column(table.column(mapping["participant_id"]))
    ids = _text(ids_raw, "participant_id", raw, problems, [None] * n)
    safe_ids = _SafeIds(ids)
    arrays: list[pa.Array] = []
    for field in schema:
        if field.name not in mapping:
            if field.name in _OPTIONAL_COLUMNS.get(kind, set()):
                continue
            arrays.append(pa.nulls(n, field.type))
            continue
        column = table.column(mapping[field.name]).combine_chunks()
        if field.name == "participant_id":
            out = ids
        elif field.name in _TEXT_COLUMNS:
            try:
                text = _string_column(column)
            except TypeError:
                problems.add(
                    f"{field.name} holds {column.type} values, not text", field=field.name, row=0
                )
                text = pa.nulls(n, pa.string())
            out = _text(text, field.name, raw, problems, safe_ids)
            if field.name == "status":
                out = _parse_status(out, raw, problems, safe_ids)
        elif field.name in _DATE_COLUMNS:
            out = _parse_dates(column, dialect.date_format, field.name, raw, problems, safe_ids)
        elif field.name == "hours":
            out = _parse_hours(column, dialect.decimal, raw, problems, safe_ids)
        else:
            out = _parse_scenario(column, raw, problems, safe_ids)
        if not field.nullable:
            problems.rows(
                _empty(column),
                raw.row_numbers,
                lambda i, name=field.name: f"{name} is empty",
                field=field.name,
                rule=f"every row has a {field.name}",
                participants=safe_ids,
            )
        arrays.append(out)
    problems.raise_if_any()
    fields = [
        f for f in schema if f.name in mapping or f.name not in _OPTIONAL_COLUMNS.get(kind, set())
    ]
    out_table = pa.Table.from_arrays(
        [a.cast(f.type) for a, f in zip(arrays, fields, strict=True)],
        schema=pa.schema([f.with_nullable(True) for f in fields]),
    )
    return SourceTable(out_table, raw.source, raw.row_numbers)


def read_table(
    source: Source,
    kind: Kind,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    rename: Mapping[str, str] | None = None,
    source_name: str | None = None,
) -> SourceTable:
    """Read one canonical table (``participants``, ``spells`` or ``events``) from any source.

    Parameters
    ----------
    source:
        A path (CSV or other text table, ``.xlsx``/``.xls``/``.ods``,
        ``.parquet``, ``.arrow``/``.feather``), an open text or binary file, a
        :class:`pyarrow.Table`, or a pandas or polars DataFrame.
    kind:
        Which table it holds.
    dialect:
        How a text file is written (:class:`Dialect`).
    sheet:
        The sheet of a spreadsheet (default: the first).
    rename:
        Columns of the file to read under a canonical name.
    source_name:
        The name errors use (default: the path).

    Returns
    -------
    SourceTable
        The table in the canonical schema, with each row's number.

    Raises
    ------
    impactbond.errors.InvalidFile
        With one error per problem in ``errors`` (file, row, column).
    """
    raw = read_raw(
        source,
        dialect=dialect,
        sheet=sheet,
        source_name=source_name,
        known_columns=[f.name for f in SCHEMAS[kind]] + list((rename or {}).keys()),
    )
    return to_canonical(raw, kind, dialect=dialect, rename=rename)


# -- one file with spells and participants ----------------------------------------------------


def split_combined(
    source: Source,
    *,
    dialect: Dialect | None = None,
    sheet: str | None = None,
    rename: Mapping[str, str] | None = None,
    source_name: str | None = None,
) -> tuple[SourceTable, SourceTable]:
    """Participants and spells from one file whose spell rows also carry the participant columns.

    A participant's rows must agree on ``cohort``, ``enrolled``, ``referred``,
    ``exited`` (and ``scenario``); the participant row is the first one.

    >>> import io
    >>> text = (
    ...     "participant_id,cohort,enrolled,status,start\\n"
    ...     "P-1,unemployed,2024-03-01,unemployment_benefit,2024-01-01\\n"
    ...     "P-1,unemployed,2024-03-01,employed,2024-05-01\\n"
    ... )
    >>> people, spells = split_combined(io.StringIO(text))
    >>> people.table.num_rows, spells.table.num_rows, people.row_numbers.tolist()
    (1, 2, [1])
    """
    person_columns = [f.name for f in PARTICIPANTS_SCHEMA]
    spell_columns = [f.name for f in SPELLS_SCHEMA]
    raw = read_raw(
        source,
        dialect=dialect,
        sheet=sheet,
        source_name=source_name,
        known_columns=person_columns + spell_columns,
    )
    renamed = {c: (rename or {}).get(c, c) for c in raw.table.column_names}
    spells = to_canonical(
        raw,
        "spells",
        dialect=dialect,
        rename=rename,
        extra_columns=[c for c in person_columns if c != "participant_id"],
    )
    present = [c for c, target in renamed.items() if target in person_columns]
    people_all = to_canonical(
        SourceTable(raw.table.select(present), raw.source, raw.row_numbers),
        "participants",
        dialect=dialect,
        rename=rename,
    )
    return _first_per_participant(people_all), spells


def _first_per_participant(t: SourceTable) -> SourceTable:
    ids = t.table.column("participant_id").combine_chunks()
    codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    first_in_group = np.ones(len(order), dtype=np.bool_)
    first_in_group[1:] = codes[order][1:] != codes[order][:-1]
    first_row = order[first_in_group]
    group_first = np.repeat(
        first_row, np.diff(np.append(np.flatnonzero(first_in_group), len(order)))
    )
    first_of = np.empty(len(order), dtype=np.int64)
    first_of[order] = group_first
    problems = _Problems(t.source)
    safe_ids = [None if hit else x for x, hit in zip(ids.to_pylist(), cpr_mask(ids), strict=True)]
    for column in t.table.column_names:
        if column == "participant_id":
            continue
        values = t.table.column(column).combine_chunks()
        mine = values
        theirs = values.take(pa.array(first_of))
        differs = _to_numpy_bool(pc.not_equal(mine, theirs)) | (
            _to_numpy_bool(pc.is_null(mine)) != _to_numpy_bool(pc.is_null(theirs))
        )
        problems.rows(
            differs,
            t.row_numbers,
            lambda i, c=column, a=mine, b=theirs: (
                f"{c} {shown(a[i].as_py())} differs from row "
                f"{t.row_numbers[first_of[i]]} ({shown(b[i].as_py())})"
            ),
            field=column,
            rule="a participant's rows agree on the participant's columns",
            participants=safe_ids,
        )
    problems.raise_if_any()
    keep = np.sort(first_row)
    return t.take(keep)
