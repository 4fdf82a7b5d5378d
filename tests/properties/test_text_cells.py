"""Text cells: the shortcut for columns of plain printable ASCII (no trim, no control-character
pattern) gives the cells and the problems that the full checks give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from impactbond.io import tables
from impactbond.io.tables import SourceTable, _empty, _Problems, _text

cells = st.lists(
    st.none()
    | st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=6)
    | st.sampled_from(["", " ", " P1", "P1 ", "\u00a0P2", "P\x07", "P\x7f", "P\u0085", "Ø", "E-1"]),
    max_size=10,
)


def run(values: list[str | None], shortcut: bool) -> tuple[list[str | None], list[str], list[bool]]:
    arr = pa.array(values, pa.string())
    t = SourceTable(pa.table({"x": arr}), "f.csv", np.arange(1, len(values) + 1, dtype=np.int64))
    problems = _Problems("f.csv")
    saved = tables._plain_ascii
    if not shortcut:
        tables._plain_ascii = lambda value: False  # type: ignore[assignment]
    try:
        out = _text(arr, "employer", t, problems, [None] * len(values))
        empty = _empty(arr).tolist()
    finally:
        tables._plain_ascii = saved
    return out.to_pylist(), [f"{e.row}: {e.message}" for e in problems.errors], empty


@given(cells)
def test_plain_ascii_shortcut_equals_the_full_checks(values: list[str | None]) -> None:
    assert run(values, shortcut=True) == run(values, shortcut=False)


def test_plain_ascii() -> None:
    assert tables._plain_ascii(pa.array(["P-1", None, "E~9"]))
    assert not tables._plain_ascii(pa.array(["P 1"]))  # a space
    assert not tables._plain_ascii(pa.array(["Ø"]))  # beyond ASCII: may be Unicode space
    assert not tables._plain_ascii(pa.array(["a\x7f"]))  # DEL is a control character
