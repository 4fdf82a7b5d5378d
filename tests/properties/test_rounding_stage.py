"""The settlement's one rounding step against a Fraction reference, in every mode and stage."""

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impactbond.money import Rounding, RoundingStage
from impactbond.settle import _round


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
        st.integers(0, 10**7),  # unit price, minor units
        st.integers(0, 3),  # participant
        st.integers(0, 1),  # rule
        st.integers(0, 2),  # invoice period
    ),
    min_size=1,
    max_size=40,
)


@given(lines, st.sampled_from(list(Rounding)), st.sampled_from(list(RoundingStage)), st.booleans())
def test_cumulative_rounding_matches_fractions(
    rows: list[tuple[int, ...]], rounding: Rounding, stage: RoundingStage, huge: bool
) -> None:
    cols = list(zip(*rows, strict=True))
    d = {
        "quantity_num": np.array(cols[0], dtype=np.int64),
        # `huge` pushes numerators past int64 (amounts stay in range) so the
        # Python-int path runs too
        "quantity_den": np.array(cols[1], dtype=np.int64)
        if not huge
        else np.full(len(rows), 377580 * 7400, dtype=np.int64),
        "price": np.array(cols[2], dtype=np.int64) * (10**4 if huge else 1),
        "participant": np.array(cols[3], dtype=np.int64),
        "rule": np.array(cols[4], dtype=np.int64),
        "invoice_period": np.array(cols[5], dtype=np.int64),
    }
    contract = SimpleNamespace(rounding=rounding, rounding_stage=stage, payment_rules=(0, 1))
    order = np.arange(len(rows), dtype=np.int64)[::-1].copy()  # earning order: last row first
    got = _round(contract, d, order)  # type: ignore[arg-type]

    if stage is RoundingStage.LINE:
        keys = [(i,) for i in range(len(rows))]
    elif stage is RoundingStage.PARTICIPANT:
        keys = [(int(d["participant"][i]), int(d["rule"][i])) for i in range(len(rows))]
    else:
        keys = [(int(d["invoice_period"][i]),) for i in range(len(rows))]
    running: dict[tuple[int, ...], Fraction] = {}
    paid: dict[tuple[int, ...], int] = {}
    expected = [0] * len(rows)
    for i in sorted(range(len(rows)), key=lambda k: order[k]):
        exact = Fraction(int(d["quantity_num"][i]) * int(d["price"][i]), int(d["quantity_den"][i]))
        running[keys[i]] = running.get(keys[i], Fraction(0)) + exact
        rounded = reference_round(running[keys[i]], rounding)
        expected[i] = rounded - paid.get(keys[i], 0)
        paid[keys[i]] = rounded
    assert got.tolist() == expected
