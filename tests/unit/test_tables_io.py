"""Reading register tables as they arrive: dialects, encodings, Excel, Parquet, frames, hostile files.

Every expected value below is written out by hand from the file the test
builds, not taken from the reader's output.
"""

from __future__ import annotations

import io
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from impactbond.errors import CPRNumberRefused, ImpactBondError, InputNotFound, InvalidFile
from impactbond.io.tables import MAX_LINE, Dialect, read_table, split_combined

DANISH = Dialect(separator=None, encoding="cp1252", decimal=",", date_format="dd-mm-yyyy")


def _all(err: ImpactBondError) -> list[ImpactBondError]:
    return err.errors or [err]


def _danish_export(path: Path) -> Path:
    """What Danish Excel writes as "CSV (semikolonsepareret)": cp1252, ';', ',', dd-mm-yyyy, CRLF."""
    text = (
        "participant_id;status;start;end;hours;employer\r\n"
        "NYB-001;sickness_benefit;13-11-2023;15-04-2024;;\r\n"
        "NYB-001;employed;15-04-2024;;37,5;Tømrer Ø ApS\r\n"
        "\r\n"
        "NYB-002;unemployment_benefit;01-02-2024;01-03-2024;;\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    return path


def test_a_danish_excel_export_reads_right(tmp_path: Path) -> None:
    t = read_table(_danish_export(tmp_path / "spells.csv"), "spells", dialect=DANISH)
    rows = t.table.to_pylist()
    assert [r["participant_id"] for r in rows] == ["NYB-001", "NYB-001", "NYB-002"]
    assert rows[0]["start"] == date(2023, 11, 13) and rows[0]["end"] == date(2024, 4, 15)
    assert rows[1]["hours"] == Decimal("37.50") and rows[1]["end"] is None
    assert rows[1]["employer"] == "Tømrer Ø ApS"
    # the empty line 4 of the file is skipped but keeps its number: NYB-002 is row 4
    assert t.row_numbers.tolist() == [1, 2, 4]


def test_the_danish_export_read_as_utf8_names_the_byte(tmp_path: Path) -> None:
    path = _danish_export(tmp_path / "spells.csv")
    with pytest.raises(InvalidFile) as info:
        read_table(path, "spells", dialect=Dialect(decimal=",", date_format="dd-mm-yyyy"))
    data = path.read_bytes()
    position = data.index("ø".encode("cp1252"))  # the first byte that is not UTF-8
    assert f"byte {position:,}" in info.value.message
    assert "line 3" in info.value.message and "cp1252" in info.value.message
    assert info.value.source == str(path)


def test_decimal_comma_without_saying_so_is_named(tmp_path: Path) -> None:
    path = _danish_export(tmp_path / "spells.csv")
    with pytest.raises(InvalidFile) as info:
        read_table(path, "spells", dialect=Dialect(encoding="cp1252", date_format="dd-mm-yyyy"))
    (err,) = _all(info.value)
    assert (err.row, err.field) == (2, "hours")
    assert "--decimal ," in err.message


def test_semicolons_and_a_bom_find_the_header() -> None:
    text = "\ufeffparticipant_id;cohort;enrolled\nP-1;unemployed;2024-03-01\n"
    t = read_table(io.BytesIO(text.encode("utf-8")), "participants")
    assert t.table.column("participant_id").to_pylist() == ["P-1"]
    assert t.table.column("enrolled").to_pylist() == [date(2024, 3, 1)]


def test_a_utf8_bom_says_the_encoding_whatever_was_given() -> None:
    # A delivery of a cp1252 export and a participants file Excel saved as UTF-8 with a
    # byte-order mark: one --encoding cp1252 for both reads the marked file as UTF-8.
    text = "\ufeffparticipant_id;cohort;enrolled\nTømrer-1;unemployed;2024-03-01\n"
    t = read_table(
        io.BytesIO(text.encode("utf-8")), "participants", dialect=Dialect(encoding="cp1252")
    )
    assert t.table.column("participant_id").to_pylist() == ["Tømrer-1"]


def test_a_bad_byte_after_a_bom_is_named_by_its_place_in_the_file() -> None:
    # 3 bytes of mark + 21 of "participant_id;cohort" put the cp1252 'ø' (0xf8) at byte 24.
    data = b"\xef\xbb\xbfparticipant_id;cohort\xf8;enrolled\n"
    with pytest.raises(InvalidFile) as info:
        read_table(io.BytesIO(data), "participants", dialect=Dialect(encoding="cp1252"))
    assert data[24] == 0xF8
    assert "byte 24 (line 1, value 0xf8)" in info.value.message
    assert "byte-order mark" in info.value.message


def test_tabs_and_utf16() -> None:
    text = "participant_id\tevent\tdate\nP-1\texam_passed\t2024-06-30\n"
    t = read_table(io.BytesIO(text.encode("utf-16")), "events", dialect=Dialect(encoding="utf-16"))
    assert t.table.to_pylist() == [
        {"participant_id": "P-1", "event": "exam_passed", "date": date(2024, 6, 30)}
    ]


def test_columns_missing_unknown_and_repeated() -> None:
    with pytest.raises(InvalidFile) as info:
        read_table(
            io.StringIO("participant_id,statsu,start,timer\nP-1,employed,2024-01-01,3\n"), "spells"
        )
    messages = [e.message for e in _all(info.value)]
    assert any("'statsu'" in m and "did you mean 'status'" in m for m in messages)
    assert any("'timer'" in m for m in messages)
    assert any("no column 'status'" in m for m in messages)
    with pytest.raises(InvalidFile, match="appears twice"):
        read_table(io.StringIO("participant_id,status,start,start\n"), "spells")
    t = read_table(
        io.StringIO("participant_id,status,start,timer\nP-1,employed,2024-01-01,3\n"),
        "spells",
        rename={"timer": "hours"},
    )
    assert t.table.column("hours").to_pylist() == [Decimal("3.00")]


def test_cells_that_are_not_what_their_column_holds() -> None:
    text = (
        "participant_id,status,start,end,hours\n"
        "P-1,employed,45292,,\n"  # 1: an Excel serial date
        "P-2,employed,2024-02-30,,\n"  # 2: no such day
        "P-3,employed,2024-01-01,,1e400\n"  # 3: an exponent
        "P-4,employed,2024-01-01,,37.555\n"  # 4: three decimals
        "P-5,employed,2024-01-01 13:00,,\n"  # 5: a time of day
        "P-6,employed,2024-01-01 00:00:00,,40\n"  # 6: fine: midnight
        "P-7,,2024-01-01,,\n"  # 7: no status
        "P-8,employed,2024-01-01,,\x1b[31m\n"  # 8: a control character (hours)
    )
    with pytest.raises(InvalidFile) as info:
        read_table(io.StringIO(text), "spells")
    found = [(e.row, e.field) for e in _all(info.value)]
    assert found == [
        (1, "start"),
        (2, "start"),
        (3, "hours"),
        (4, "hours"),
        (5, "start"),
        (7, "status"),
        (8, "hours"),
    ]
    by_row = {e.row: e.message for e in _all(info.value)}
    assert "Excel serial date" in by_row[1]
    assert "exponent" in by_row[3]
    assert "\x1b" not in str(info.value)


def test_control_characters_of_every_kind_in_text_cells() -> None:
    """C0 (below 0x20), DEL and C1 (U+0080..U+009F, UTF-8 0xc2 0x80..0x9f) are refused; other
    characters whose UTF-8 starts with 0xc2 (U+00A9 ©) and Danish letters are fine."""
    text = (
        "participant_id,status,start,employer\n"
        "P-1,employed,2024-01-01,A\x07B\n"  # 1: BEL
        "P-2,employed,2024-01-01,A\x7fB\n"  # 2: DEL
        "P-3,employed,2024-01-01,A\u0085B\n"  # 3: NEL, a C1 control
        "P-4,employed,2024-01-01,Tømrer © ApS\n"  # 4: fine
    )
    with pytest.raises(InvalidFile) as info:
        read_table(io.StringIO(text), "spells")
    found = [(e.row, e.field) for e in _all(info.value)]
    assert found == [(1, "employer"), (2, "employer"), (3, "employer")]
    t = read_table(io.StringIO(text.split("\n", 1)[0] + "\n" + text.split("\n")[4]), "spells")
    assert t.table.column("employer").to_pylist() == ["Tømrer © ApS"]


def test_a_cpr_number_in_any_identifier_column_is_refused_never_echoed() -> None:
    numbers = ["010190-1234", "0101901234", "010190/1234", "010190.1234", "010190 1234"]
    for cpr in numbers:
        text = f"participant_id,status,start,employer\nP-1,employed,2024-01-01,{cpr}\n"
        with pytest.raises(CPRNumberRefused) as info:
            read_table(io.StringIO(text), "spells")
        assert (info.value.row, info.value.field) == (1, "employer")
        assert cpr not in str(info.value) and cpr not in repr(info.value.details())
    with pytest.raises(CPRNumberRefused) as info:
        read_table(io.StringIO(f"participant_id,event,date\n{numbers[0]},x,2024-01-01\n"), "events")
    assert info.value.participant is None and numbers[0] not in str(info.value)


def test_a_20_mb_cell_is_refused_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write("participant_id,status,start\n")
        f.write("P-1,employed,2024-01-01\n")
        f.write("P-2," + "x" * (20 * 1024 * 1024) + ",2024-01-01\n")
    started = time.perf_counter()
    with pytest.raises(InvalidFile) as info:
        read_table(path, "spells")
    assert time.perf_counter() - started < 10
    assert info.value.row == 2 and "'status'" in info.value.message
    assert f"{MAX_LINE:,}" in info.value.message
    # a long cell under the line limit: named by row and column
    path.write_text("participant_id,status,start\nP-1," + "y" * 5000 + ",2024-01-01\n")
    with pytest.raises(InvalidFile) as info:
        read_table(path, "spells")
    assert (info.value.row, info.value.field) == (1, "status")


def test_files_that_are_not_regular_files(tmp_path: Path) -> None:
    with pytest.raises(InputNotFound) as missing:
        read_table(tmp_path / "nope.csv", "spells")
    assert isinstance(missing.value, FileNotFoundError)
    with pytest.raises(InvalidFile, match="a directory"):
        read_table(tmp_path, "spells")
    with pytest.raises(InvalidFile, match="character device"):
        read_table("/dev/zero", "spells")
    link = tmp_path / "spells.csv"
    os.symlink("/dev/zero", link)
    started = time.perf_counter()
    with pytest.raises(InvalidFile, match="character device"):
        read_table(link, "spells")
    assert time.perf_counter() - started < 1
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InvalidFile, match="named pipe"):
        read_table(fifo, "spells")


def test_rows_with_too_many_fields_are_named() -> None:
    text = "participant_id,status,start\nP-1,employed,2024-01-01\nP-2,employed,2024-01-01,x\n"
    with pytest.raises(InvalidFile) as info:
        read_table(io.StringIO(text), "spells")
    assert info.value.row == 2 and "4 fields" in info.value.message


def _spells_frame_rows() -> list[dict[str, object]]:
    return [
        {
            "participant_id": "P-1",
            "status": "employed",
            "start": date(2024, 1, 1),
            "end": date(2024, 2, 1),
            "hours": Decimal("37.50"),
            "employer": "E-1",
        },
        {
            "participant_id": "P-2",
            "status": "sickness_benefit",
            "start": date(2024, 1, 8),
            "end": None,
            "hours": None,
            "employer": None,
        },
    ]


def test_parquet_arrow_pandas_and_polars_give_the_same_table(tmp_path: Path) -> None:
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    expected = _spells_frame_rows()
    table = pa.Table.from_pylist(expected)
    pq.write_table(table, tmp_path / "s.parquet")
    feather.write_feather(table, tmp_path / "s.arrow")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "participant_id": ["P-1", "P-2"],
            "status": ["employed", "sickness_benefit"],
            "start": pd.to_datetime(["2024-01-01", "2024-01-08"]),
            "end": pd.to_datetime(["2024-02-01", None]),
            "hours": [37.5, float("nan")],
            "employer": ["E-1", None],
        }
    )
    pl = pytest.importorskip("polars")
    polars_frame = pl.from_arrow(table)
    for source in (tmp_path / "s.parquet", tmp_path / "s.arrow", table, frame, polars_frame):
        t = read_table(source, "spells")
        assert t.table.to_pylist() == expected, type(source)
        assert t.row_numbers.tolist() == [1, 2]


def test_danish_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Forløb"
    sheet.append(["participant_id", "status", "start", "end", "hours", "employer"])
    sheet.append(["NYB-001", "employed", date(2024, 4, 15), None, 37.5, "Tømrer Ø ApS"])
    sheet.append([None, None, None, None, None, None])  # an empty row, keeps its number
    sheet.append(["NYB-002", "employed", "01-02-2024", None, 32, 1001])  # a text date, a number id
    sheet.append(["NYB-003", "employed", 45292, None, None, None])  # a number where a date goes
    book.save(tmp_path / "spells.xlsx")
    with pytest.raises(InvalidFile) as info:
        read_table(tmp_path / "spells.xlsx", "spells", dialect=Dialect(date_format="dd-mm-yyyy"))
    assert [(e.row, e.field) for e in _all(info.value)] == [(4, "start")]
    sheet.delete_rows(5)
    book.save(tmp_path / "spells.xlsx")
    t = read_table(tmp_path / "spells.xlsx", "spells", dialect=Dialect(date_format="dd-mm-yyyy"))
    rows = t.table.to_pylist()
    assert rows[0]["start"] == date(2024, 4, 15) and rows[0]["hours"] == Decimal("37.50")
    assert rows[0]["employer"] == "Tømrer Ø ApS"
    assert rows[1]["start"] == date(2024, 2, 1) and rows[1]["employer"] == "1001"
    assert t.row_numbers.tolist() == [1, 3]
    with pytest.raises(InvalidFile, match="no sheet 'Ark1'"):
        read_table(tmp_path / "spells.xlsx", "spells", sheet="Ark1")


def test_one_file_with_participant_columns_agrees_per_participant() -> None:
    text = (
        "participant_id,cohort,enrolled,status,start\n"
        "P-1,a,2024-01-01,employed,2024-01-01\n"
        "P-2,b,2024-01-01,employed,2024-01-01\n"
        "P-1,a,2024-01-01,sickness_benefit,2024-03-01\n"
        "P-1,a,2024-02-01,employed,2024-05-01\n"
    )
    with pytest.raises(InvalidFile) as info:
        split_combined(io.StringIO(text))
    (err,) = _all(info.value)
    assert (err.row, err.field, err.participant) == (4, "enrolled", "P-1")
    assert "differs from row 1" in err.message
    people, spells = split_combined(io.StringIO(text.rsplit("\n", 2)[0] + "\n"))
    assert people.table.column("participant_id").to_pylist() == ["P-1", "P-2"]
    assert np.array_equal(people.row_numbers, [1, 2])
    assert len(spells) == 3


def test_tables_reach_the_register_with_their_row_numbers(tmp_path: Path) -> None:
    from impactbond.io.register_tables import read_register

    spells = tmp_path / "spells.csv"
    spells.write_text(
        "participant_id;status;start;end\n"
        "P-1;employed;2024-01-01;2024-03-01\n"
        "\n"
        "P-1;employed;2024-02-01;\n",  # overlaps row 1; it is row 3 of the file
        encoding="utf-8",
    )
    people = tmp_path / "people.csv"
    people.write_text("participant_id,cohort,enrolled\nP-1,c,2024-01-01\n", encoding="utf-8")
    tables = read_register(spells, people)
    with pytest.raises(ImpactBondError) as info:
        tables.to_register()
    (err,) = _all(info.value)
    assert (err.source, err.row, err.participant) == (str(spells), 3, "P-1")
    spells.write_text("participant_id;status;start\nP-1;employed;2024-01-01\n", encoding="utf-8")
    register = read_register(spells, people).to_register()
    assert register.to_tables()["participants"].column("participant_id").to_pylist() == ["P-1"]


def test_a_day_first_date_read_as_iso_names_the_date_format_option() -> None:
    text = "participant_id,cohort,enrolled\nP-1,unemployed,15-01-2024\nP-2,unemployed,2024-13-01\n"
    with pytest.raises(ImpactBondError) as info:
        read_table(io.BytesIO(text.encode("utf-8")), "participants")
    messages = [e.message for e in info.value.errors] or [info.value.message]
    (day_first,) = [m for m in messages if "15-01-2024" in m]
    assert "--date-format dd-mm-yyyy" in day_first
    # Not every bad date is day-first: an impossible month gets no such hint.
    assert all("--date-format" not in m for m in messages if "2024-13-01" in m)
    rules = {e.rule for e in info.value.errors} or {info.value.rule}
    assert "dates are written yyyy-mm-dd" in rules and not any(
        "(or yyyy-mm-dd)" in r for r in rules if r
    )
