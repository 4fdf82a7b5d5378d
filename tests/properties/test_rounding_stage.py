"""The settlement's one rounding step against a Fraction reference, in every mode and stage."""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.money import Rounding, RoundingStage
from impactbond.settle.lines import LineBlock
from impactbond.settle.rounding import round_lines


def reference_round(x: Fraction, rounding: Rounding) -> int:
    whole = x.numerator // x.denominator
    rest = x - whole
    if rounding is Rounding.DOWN:
        return whole
    if rounding is Rounding.UP:
        return whole + (rest > 0)
    if rest != Fraction(1, 2):
        return whole + (rest > Fraction(1, 2))
    return whole + 1 if rounding is Rounding.HALF_UP else whole + (whole % 2)


lines = st.lists(
    st.tuples(
        st.integers(0, 10**9),  # quantity numerator
        st.sampled_from([1, 13, 377580, 377580 * 7400]),  # quantity denominator
        st.integers(0, 10**7),  # unit price numerator, minor units
        st.sampled_from([1, 2, 1000]),  # unit price denominator (finer than the minor unit)
        st.integers(-1, 3),  # participant (-1: a group line)
        st.integers(0, 1),  # rule
        st.integers(0, 2),  # invoice period
        st.integers(0, 5),  # earning day
    ),
    min_size=1,
    max_size=40,
)


@given(lines, st.sampled_from(list(Rounding)), st.sampled_from(list(RoundingStage)), st.booleans())
def test_cumulative_rounding_matches_fractions(
    rows: list[tuple[int, ...]], rounding: Rounding, stage: RoundingStage, huge: bool
) -> None:
    # The line table's order: participants by row then day, group lines last by day.
    rows = sorted(rows, key=lambda r: (r[4] < 0, r[4], r[7]))
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    block = LineBlock.build(
        n,
        participant=np.array(cols[4]),
        scenario=0,
        cohort=0,
        outcome=0,
        rule=np.array(cols[5]),
        period_start=np.array(cols[7]),
        period_end=np.array(cols[7]) + 1,
        earned_on=np.array(cols[7]),
        quantity_num=np.array(cols[0]),
        # `huge` pushes numerators past int64 (amounts stay in range): the Python-int path
        quantity_den=np.array(cols[1]) if not huge else np.full(n, 377580 * 7400),
        price_num=np.array(cols[2]) * (10**4 if huge else 1),
        price_den=np.array(cols[3]),
    )
    period = np.array(cols[6], dtype=np.int64)
    got = round_lines(block, rounding, stage, period, 2)

    if stage is RoundingStage.LINE:
        keys = [(i,) for i in range(n)]
        order = list(range(n))
    elif stage is RoundingStage.PARTICIPANT:
        keys = [
            (int(block.participant[i]), int(block.rule[i]))
            if block.participant[i] >= 0
            else (-1, int(block.rule[i]))
            for i in range(n)
        ]
        order = list(range(n))
    else:
        keys = [(int(period[i]),) for i in range(n)]
        order = sorted(range(n), key=lambda k: (int(block.earned_on[k]), k))
    running: dict[tuple[int, ...], Fraction] = {}
    paid: dict[tuple[int, ...], int] = {}
    expected = [0] * n
    for i in order:
        exact = Fraction(int(block.quantity_num[i]), int(block.quantity_den[i])) * Fraction(
            int(block.price_num[i]), int(block.price_den[i])
        )
        running[keys[i]] = running.get(keys[i], Fraction(0)) + exact
        rounded = reference_round(running[keys[i]], rounding)
        expected[i] = rounded - paid.get(keys[i], 0)
        paid[keys[i]] = rounded
    assert got.tolist() == expected
