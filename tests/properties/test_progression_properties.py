"""The progression kernel against a period-by-period reference."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.core.progression import progression_steps, rungs_first_reached


def reference(
    row: list[int], rung_of: dict[int, int], start: int, end: int
) -> tuple[int, list[int]]:
    seen = [rung_of[c] for c in row[start:end] if c in rung_of]
    if not seen:
        return 0, []
    first = seen[0]
    top = max(seen)
    reached = []
    for k in range(first + 1, top + 1):
        for t in range(start, end):
            if row[t] in rung_of and rung_of[row[t]] >= k:
                reached.append(t)
                break
    return top - first, reached


@given(st.data())
def test_progression_equals_reference(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    t_len = data.draw(st.integers(1, 20))
    panel = np.array(
        data.draw(
            st.lists(
                st.lists(st.integers(0, 10), min_size=t_len, max_size=t_len), min_size=n, max_size=n
            )
        ),
        dtype=np.int8,
    )
    rung_of = {5: 0, 6: 0, 8: 1, 2: 2, 1: 3}
    table = np.full(256, -1, dtype=np.int8)
    for code, r in rung_of.items():
        table[code] = r
    ws = np.array(
        data.draw(st.lists(st.integers(0, t_len), min_size=n, max_size=n)), dtype=np.int64
    )
    we = np.array([data.draw(st.integers(int(s), t_len)) for s in ws], dtype=np.int64)
    as_of = data.draw(st.integers(0, t_len))
    steps, reached = progression_steps(panel, table, ws, we, as_of, block_rows=2)
    first = rungs_first_reached(panel, table, ws, we, as_of, block_rows=2)
    for i in range(n):
        ref_steps, ref_reached = reference(
            panel[i].tolist(), rung_of, int(ws[i]), min(int(we[i]), as_of)
        )
        assert steps[i] == ref_steps
        assert sorted(x for x in first[i].tolist() if x >= 0) == ref_reached
        assert (reached[i] == -1) == (ref_steps == 0)
        if ref_steps:
            assert reached[i] == ref_reached[-1]
