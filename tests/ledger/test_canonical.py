"""Content hashes and fingerprints: equal to a slow reference, and the same everywhere."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

import impactbond as ib
from impactbond.ledger._canonical import CANONICAL_VERSION, digest_parts, table_digest
from impactbond.ledger._engine import fingerprint, line_table, totals

EPOCH = date(1970, 1, 1)


# -- the reference: the serialisation written out value by value ------------------------------------


def _part(h: Any, data: bytes) -> None:
    h.update(struct.pack("<Q", len(data)))
    h.update(data)


def _reference_parts(table: pa.Table) -> list[bytes]:
    parts = [str(table.num_rows).encode()]
    for field in table.schema:
        values = table.column(field.name).to_pylist()
        parts += [field.name.encode(), str(field.type).encode()]
        parts.append(bytes(0 if v is None else 1 for v in values))
        kind = field.type
        if pa.types.is_string(kind):
            encoded = [b"" if v is None else v.encode("utf-8") for v in values]
            parts.append(b"".join(struct.pack("<q", len(e)) for e in encoded))
            parts.append(b"".join(encoded))
        elif pa.types.is_date32(kind):
            parts.append(
                b"".join(struct.pack("<i", 0 if v is None else (v - EPOCH).days) for v in values)
            )
        elif pa.types.is_boolean(kind):
            parts.append(bytes(1 if v else 0 for v in values))
        elif pa.types.is_integer(kind):
            parts.append(b"".join(struct.pack("<q", 0 if v is None else v) for v in values))
        elif pa.types.is_decimal128(kind):
            scale = kind.scale
            unscaled = [0 if v is None else int(v.scaleb(scale)) for v in values]
            parts.append(b"".join(u.to_bytes(16, "little", signed=True) for u in unscaled))
        else:
            raise AssertionError(kind)
    return parts


def reference_digest(table: pa.Table) -> str:
    h = hashlib.sha256()
    _part(h, CANONICAL_VERSION)
    for p in _reference_parts(table):
        _part(h, p)
    return h.hexdigest()


# -- tables of every column type the ledger stores --------------------------------------------------

COLUMN_TYPES = {
    "s": (pa.string(), st.text(max_size=6)),
    "d": (pa.date32(), st.dates(date(1900, 1, 1), date(2200, 12, 31))),
    "i": (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    "l": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "b": (pa.bool_(), st.booleans()),
    "h": (pa.decimal128(9, 2), st.decimals(-9999999, 9999999, places=2)),
}


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 0) -> pa.Table:
    names = draw(
        st.lists(st.sampled_from(sorted(COLUMN_TYPES)), min_size=1, max_size=4, unique=True)
    )
    n = draw(st.integers(min_rows, 8))
    columns = {}
    for name in names:
        kind, values = COLUMN_TYPES[name]
        columns[name] = pa.array(draw(st.lists(st.none() | values, min_size=n, max_size=n)), kind)
    return pa.table(columns)


@given(tables(), st.data())
def test_the_digest_is_the_reference_serialisation_however_the_table_is_chunked(table, data):
    expected = reference_digest(table)
    assert table_digest(table) == expected
    cut = data.draw(st.integers(0, table.num_rows))
    chunked = pa.concat_tables([table.slice(0, cut), table.slice(cut)])
    assert table_digest(chunked) == expected
    # A slice of a bigger table (non-zero buffer offsets) hashes like a fresh copy of it.
    padded = pa.concat_tables([table, table]).combine_chunks()
    assert table_digest(padded.slice(table.num_rows)) == expected


@given(tables(min_rows=1), st.data())
def test_changing_any_one_value_changes_the_digest(table, data):
    name = data.draw(st.sampled_from(table.column_names))
    row = data.draw(st.integers(0, table.num_rows - 1))
    values = table.column(name).to_pylist()
    kind, strategy = COLUMN_TYPES[name]
    new = data.draw(
        (st.none() | strategy).filter(
            lambda v: v != values[row] or (v is None) != (values[row] is None)
        )
    )
    values[row] = new
    changed = table.set_column(table.column_names.index(name), name, pa.array(values, kind))
    assert table_digest(changed) != table_digest(table)


def test_digests_name_their_parts():
    t = pa.table({"x": [1]})
    assert digest_parts("a", {"t": t}, {}) != digest_parts("b", {"t": t}, {})
    assert digest_parts("a", {"t": t}, {}) != digest_parts("a", {"u": t}, {})
    # A null and a zero differ (validity byte), as do "" and a null string.
    assert table_digest(pa.table({"x": pa.array([None], pa.int64())})) != table_digest(
        pa.table({"x": [0]})
    )
    assert table_digest(pa.table({"x": pa.array([None], pa.string())})) != table_digest(
        pa.table({"x": [""]})
    )
    assert table_digest(
        pa.table({"h": pa.array([Decimal("37.00")], pa.decimal128(9, 2))})
    ) == table_digest(pa.table({"h": pa.array([Decimal("37")], pa.decimal128(9, 2))}))


FINGERPRINT_SCRIPT = """
from datetime import date
import impactbond as ib
from impactbond.ledger._engine import fingerprint, line_table, totals
contract, people, trajectories = ib.examples.nyborg()
s = ib.settle(contract, list(reversed(people)), trajectories, as_of=date(2026, 7, 1))
print(fingerprint(line_table(s), totals(s)))
"""


def test_the_fingerprint_is_the_same_in_another_process():
    contract, people, trajectories = ib.examples.nyborg()
    s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    here = fingerprint(line_table(s), totals(s))
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", FINGERPRINT_SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert done.stdout.strip() == here
    # ... and it is the reference digest of the line table and the totals.
    lines = line_table(s)
    h = hashlib.sha256()
    _part(h, CANONICAL_VERSION)
    _part(h, b"impactbond-run")
    _part(h, b"lines")
    for p in _reference_parts(lines):
        _part(h, p)
    for name, value in sorted(totals(s).items()):
        _part(h, name.encode())
        _part(h, str(value).encode())
    assert h.hexdigest() == here
