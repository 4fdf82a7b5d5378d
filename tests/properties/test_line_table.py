"""The line table's assembly (fast paths for one block in order and for blocks of disjoint
participants) equals the obvious one: concatenate the blocks and sort them stably by
(participant, earning day)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.settle.lines import COLUMNS, LineBlock, assemble, concat


@st.composite
def blocks(draw: st.DrawFn) -> list[LineBlock]:
    n_people = draw(st.integers(1, 8))
    disjoint = draw(st.booleans())
    owner = draw(st.lists(st.integers(0, 3), min_size=n_people, max_size=n_people))
    out = []
    for rule in range(draw(st.integers(1, 4))):
        people = [p for p in range(n_people) if not disjoint or owner[p] == rule]
        lines = (
            draw(
                st.lists(st.tuples(st.sampled_from(people or [0]), st.integers(0, 5)), max_size=12)
            )
            if people
            else []
        )
        lines.sort()
        p = np.array([x[0] for x in lines], dtype=np.int64)
        d = 738000 + np.array([x[1] for x in lines], dtype=np.int64)
        price = draw(st.integers(1, 3))
        out.append(
            LineBlock.build(
                len(lines),
                participant=p,
                scenario=0,
                cohort=rule % 2,
                outcome=0,
                rule=rule,
                period_start=d,
                period_end=d + 1,
                earned_on=d,
                quantity_num=np.arange(len(lines)) + 100 * rule,
                quantity_den=1,
                price_num=price,
                price_den=1,
            )
        )
    return out


@given(blocks())
def test_assemble_equals_a_stable_sort_of_the_concatenated_blocks(
    person_blocks: list[LineBlock],
) -> None:
    whole = concat([b for b in person_blocks if len(b)])
    got = assemble(person_blocks, [])
    if len(whole) == 0:
        assert len(got) == 0
        return
    order = np.lexsort((whole.earned_on, whole.participant))  # stable: ties keep block order
    for name in COLUMNS:
        assert getattr(got, name).tolist() == getattr(whole, name)[order].tolist(), name
