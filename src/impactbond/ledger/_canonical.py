"""Canonical bytes of Arrow tables, and their sha256.

Parquet files are not canonical: two writers (or two versions of one) may
lay out the same rows differently.  The ledger therefore addresses a stored
table by the sha256 of a serialisation that depends only on the table's
schema and values: for each column its name and type, then its values as
little-endian fixed-width integers (dates as day numbers, decimals as their
unscaled 128-bit integers, booleans as bytes), strings as a length column
followed by their UTF-8 bytes, and a validity byte per row.  Every part is
length-prefixed, so no two tables share a serialisation.  The result is the
same in every process and on every machine.

>>> import pyarrow as pa
>>> a = pa.table({"x": pa.array([1, None], pa.int64()), "s": ["a", "bc"]})
>>> b = pa.concat_tables([a.slice(0, 1), a.slice(1, 1)])  # the same rows, two chunks
>>> table_digest(a) == table_digest(b)
True
>>> table_digest(a) == table_digest(a.slice(0, 1))
False
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["digest_parts", "table_digest"]

#: Bumped if the serialisation ever changes (stored digests name their version).
CANONICAL_VERSION = b"impactbond-canonical-1"


def _validity(column: pa.Array) -> bytes:
    return np.asarray(pc.is_valid(column), dtype=np.uint8).tobytes()


def _fixed_width(column: pa.Array, width: int) -> bytes:
    """The value buffer of a fixed-width column, nulls zeroed, without slice offsets."""
    filled = column.fill_null(pa.scalar(0, column.type)) if column.null_count else column
    buffer = filled.buffers()[1]
    assert buffer is not None
    start = filled.offset * width
    data: bytes = buffer.to_pybytes()
    return data[start : start + len(filled) * width]


def _column_parts(column: pa.Array) -> Iterator[bytes]:
    kind = column.type
    yield _validity(column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column.cast(pa.large_string()).fill_null("")
        offsets = np.frombuffer(text.buffers()[1], dtype="<i8")
        offsets = offsets[text.offset : text.offset + len(text) + 1]
        yield np.diff(offsets).astype("<i8").tobytes()
        data = text.buffers()[2]
        yield b"" if data is None else data.to_pybytes()[int(offsets[0]) : int(offsets[-1])]
    elif pa.types.is_date32(kind):
        yield np.asarray(column.cast(pa.int32()).fill_null(0), dtype="<i4").tobytes()
    elif pa.types.is_boolean(kind):
        yield np.asarray(column.fill_null(False), dtype=np.uint8).tobytes()
    elif pa.types.is_integer(kind):
        yield np.asarray(column.cast(pa.int64()).fill_null(0), dtype="<i8").tobytes()
    elif pa.types.is_decimal128(kind):
        yield _fixed_width(column, 16)
    else:  # pragma: no cover - the ledger's schemas use only the types above
        raise TypeError(f"no canonical form for Arrow type {kind}")


def _update(h: hashlib._Hash, part: bytes) -> None:
    h.update(len(part).to_bytes(8, "little"))
    h.update(part)


def _table_parts(table: pa.Table) -> Iterator[bytes]:
    yield str(table.num_rows).encode()
    for field, chunked in zip(table.schema, table.columns, strict=True):
        yield field.name.encode()
        yield str(field.type).encode()
        column = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        yield from _column_parts(column)


def table_digest(table: pa.Table) -> str:
    """The sha256 (hex) of the canonical serialisation of ``table``."""
    h = hashlib.sha256()
    _update(h, CANONICAL_VERSION)
    for part in _table_parts(table):
        _update(h, part)
    return h.hexdigest()


def digest_parts(tag: str, tables: Mapping[str, pa.Table], values: Mapping[str, object]) -> str:
    """One sha256 over named tables and named scalar values, in sorted name order.

    >>> digest_parts("t", {}, {"a": 1}) == digest_parts("t", {}, {"a": 1})
    True
    >>> digest_parts("t", {}, {"a": 1}) == digest_parts("t", {}, {"a": 2})
    False
    """
    h = hashlib.sha256()
    _update(h, CANONICAL_VERSION)
    _update(h, tag.encode())
    for name in sorted(tables):
        _update(h, name.encode())
        for part in _table_parts(tables[name]):
            _update(h, part)
    for name in sorted(values):
        _update(h, name.encode())
        _update(h, str(values[name]).encode())
    return h.hexdigest()
