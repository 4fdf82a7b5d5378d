"""One definition of a CPR number: the Python test and its Arrow twin agree on every string."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import example, given
from hypothesis import strategies as st

from impactbond.domain.participant import cpr_mask, looks_like_cpr


def slow_reference(text: str) -> bool:
    """Scan every position for DDMMYY[sep]XXXX with no ASCII digit right before or after."""
    digits = set("0123456789")
    for i in range(len(text)):
        if i > 0 and text[i - 1] in digits:
            continue
        head = text[i : i + 6]
        if len(head) < 6 or not set(head) <= digits:
            continue
        day, month = int(head[:2]), int(head[2:4])
        if not ((1 <= day <= 31 or 61 <= day <= 91) and 1 <= month <= 12):
            continue
        for sep in ("", "-", "/", ".", " "):
            if sep and text[i + 6 : i + 7] != sep:
                continue
            tail_at = i + 6 + len(sep)
            tail = text[tail_at : tail_at + 4]
            after = text[tail_at + 4 : tail_at + 5]
            if len(tail) == 4 and set(tail) <= digits and after not in digits:
                return True
    return False


cpr_like = st.builds(
    lambda d, m, y, sep, seq, pre, post: f"{pre}{d:02d}{m:02d}{y:02d}{sep}{seq:04d}{post}",
    st.integers(0, 99),
    st.integers(0, 13),
    st.integers(0, 99),
    st.sampled_from(["", "-", "/", ".", " ", "_", "--"]),
    st.integers(0, 9999),
    st.sampled_from(["", "P-", "7", "x ", "٣"]),
    st.sampled_from(["", "1", " a", "-2"]),
)
texts = st.one_of(st.text(alphabet="0123456789-/. x٣", max_size=24), cpr_like, st.text(max_size=16))


@given(st.lists(texts, max_size=20))
@example(["0102031234", "010203-1234", "9999991234", "01020312345", "٠١٠٢٠٣١٢٣٤", "6101011234"])
def test_python_and_arrow_agree_with_the_slow_reference(values: list[str]) -> None:
    mask = cpr_mask(pa.array(values, type=pa.string())).tolist()
    assert mask == [looks_like_cpr(v) for v in values]
    assert mask == [slow_reference(v) for v in values]


@given(st.lists(texts, min_size=1, max_size=20), st.data())
def test_slices_and_chunks_agree_with_the_slow_reference(
    values: list[str], data: st.DataObject
) -> None:
    """The byte pre-test reads only a slice's own cells (a slice shares its parent's buffers)."""
    lo = data.draw(st.integers(0, len(values) - 1))
    hi = data.draw(st.integers(lo, len(values)))
    part = pa.array(values, type=pa.string()).slice(lo, hi - lo)
    assert cpr_mask(part).tolist() == [slow_reference(v) for v in values[lo:hi]]
    chunked = pa.chunked_array(
        [pa.array(values[:lo], pa.string()), pa.array(values[lo:], pa.string())]
    )
    assert cpr_mask(chunked).tolist() == [slow_reference(v) for v in values]
