"""Properties of the accrual kernels: equal to the day-by-day reference, and sane."""

from __future__ import annotations

import importlib.util
from datetime import date
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from impactbond.core import (
    AccrualConvention,
    accrue_months,
    accrue_months_float,
    employed_weeks,
    month_day_matrix,
    weeks_to_months,
)


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "core_reference", Path(__file__).resolve().parents[1] / "reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

DAILY = [c for c in AccrualConvention if c is not AccrualConvention.WEEKS_52_12]


@st.composite
def month_grids(draw: st.DrawFn) -> list[int]:
    """Day numbers of the first days of 1-6 consecutive real calendar months."""
    year = draw(st.integers(2019, 2026))
    month = draw(st.integers(1, 12))
    count = draw(st.integers(1, 6))
    starts = []
    for _ in range(count + 1):
        starts.append(date(year, month, 1).toordinal())
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


@st.composite
def accrual_cases(draw: st.DrawFn) -> dict[str, object]:
    """Month grid, per-row windows and non-overlapping weighted spells per row."""
    months = draw(month_grids())
    lo, hi = months[0] - 5, months[-1] + 5
    n_rows = draw(st.integers(1, 3))
    wden = draw(st.sampled_from([1, 2, 37, 100]))
    windows = []
    spells = []
    for r in range(n_rows):
        a, b = sorted(draw(st.lists(st.integers(lo, hi), min_size=2, max_size=2)))
        windows.append((a, b))
        cuts = sorted(draw(st.lists(st.integers(lo, hi), max_size=8, unique=True)))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            weight = draw(st.integers(0, wden))
            spells.append((r, start, end, weight))
    return {"months": months, "windows": windows, "spells": spells, "wden": wden}


def _kernel(case: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    spells = case["spells"]
    windows = case["windows"]
    assert isinstance(spells, list) and isinstance(windows, list)
    columns = list(zip(*spells, strict=True)) if spells else [(), (), (), ()]
    return month_day_matrix(
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=np.int64),
        np.array(columns[3], dtype=np.int64),
        np.array([w[0] for w in windows], dtype=np.int64),
        np.array([w[1] for w in windows], dtype=np.int64),
        np.array(case["months"], dtype=np.int64),
        n_rows=len(windows),
    )


def _months(case: dict[str, object], convention: AccrualConvention) -> list[Fraction]:
    weighted, window = _kernel(case)
    months = np.array(case["months"])
    wden = case["wden"]
    assert isinstance(wden, int)
    numerators, denominator = accrue_months(weighted, window, np.diff(months), wden, convention)
    return [Fraction(int(n), denominator) for n in numerators]


@given(accrual_cases())
def test_month_day_matrix_equals_reference(case: dict[str, object]) -> None:
    weighted, window = _kernel(case)
    expected_weighted, expected_window = ref.month_day_matrix(
        case["spells"], case["windows"], case["months"]
    )
    assert weighted.tolist() == expected_weighted
    assert window.tolist() == expected_window


@pytest.mark.parametrize("convention", DAILY, ids=lambda c: c.value)
@given(case=accrual_cases())
def test_months_equal_reference(convention: AccrualConvention, case: dict[str, object]) -> None:
    expected = ref.months(
        case["spells"], case["windows"], case["months"], case["wden"], convention.value
    )
    assert _months(case, convention) == expected
    weighted, window = _kernel(case)
    approx = accrue_months_float(
        weighted, window, np.diff(case["months"]), case["wden"], convention
    )
    np.testing.assert_allclose(approx, [float(x) for x in expected], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("convention", DAILY, ids=lambda c: c.value)
@given(case=accrual_cases())
def test_months_never_exceed_the_window(
    convention: AccrualConvention, case: dict[str, object]
) -> None:
    _, window = _kernel(case)
    in_month = np.diff(case["months"])
    if convention is AccrualConvention.DAYS_30:
        bound = [Fraction(int(d), 30) for d in window.sum(axis=1)]
    else:
        bound = [sum(Fraction(int(d), int(m)) for d, m in zip(row, in_month, strict=True))
                 for row in window]  # fmt: skip
    for months, limit in zip(_months(case, convention), bound, strict=True):
        assert 0 <= months <= limit


@given(case=accrual_cases())
def test_fully_employed_window_is_its_length_in_months(case: dict[str, object]) -> None:
    windows = case["windows"]
    assert isinstance(windows, list)
    full = dict(case)
    full["spells"] = [(r, a, b, case["wden"]) for r, (a, b) in enumerate(windows)]
    _, window = _kernel(full)
    in_month = np.diff(case["months"])
    lengths = [sum(Fraction(int(d), int(m)) for d, m in zip(row, in_month, strict=True))
               for row in window]  # fmt: skip
    for convention in (AccrualConvention.PRO_RATA_DAYS, AccrualConvention.WHOLE_MONTHS,
                       AccrualConvention.HALF_MONTH, AccrualConvention.ANY_DAY):  # fmt: skip
        assert _months(full, convention) == lengths


@pytest.mark.parametrize("convention", DAILY, ids=lambda c: c.value)
@given(case=accrual_cases(), data=st.data())
def test_splitting_a_spell_changes_nothing(
    convention: AccrualConvention, case: dict[str, object], data: st.DataObject
) -> None:
    spells = case["spells"]
    assert isinstance(spells, list)
    long_spells = [i for i, s in enumerate(spells) if s[2] - s[1] >= 2]
    assume(long_spells)
    i = data.draw(st.sampled_from(long_spells))
    row, start, end, weight = spells[i]
    cut = data.draw(st.integers(start + 1, end - 1))
    split = dict(case)
    split["spells"] = [*spells[:i], (row, start, cut, weight), (row, cut, end, weight),
                       *spells[i + 1:]]  # fmt: skip
    assert _months(split, convention) == _months(case, convention)


@given(case=accrual_cases(), data=st.data())
def test_one_more_employed_day_never_lowers_months(
    case: dict[str, object], data: st.DataObject
) -> None:
    spells = case["spells"]
    windows = case["windows"]
    months = case["months"]
    assert isinstance(spells, list) and isinstance(windows, list) and isinstance(months, list)
    row = data.draw(st.integers(0, len(windows) - 1))
    taken = {d for r, a, b, _ in spells if r == row for d in range(a, b)}
    free = [d for d in range(months[0] - 2, months[-1] + 2) if d not in taken]
    assume(free)
    day = data.draw(st.sampled_from(free))
    weight = data.draw(st.integers(1, case["wden"]))
    more = dict(case)
    more["spells"] = [*spells, (row, day, day + 1, weight)]
    for convention in DAILY:
        before = _months(case, convention)
        after = _months(more, convention)
        assert all(b <= a for b, a in zip(before, after, strict=True)), convention


@given(case=accrual_cases(), data=st.data())
def test_pro_rata_is_additive_over_adjacent_windows(
    case: dict[str, object], data: st.DataObject
) -> None:
    windows = case["windows"]
    assert isinstance(windows, list)
    cuts = [data.draw(st.integers(a, b)) for a, b in windows]
    first = dict(case, windows=[(a, c) for (a, _), c in zip(windows, cuts, strict=True)])
    second = dict(case, windows=[(c, b) for (_, b), c in zip(windows, cuts, strict=True)])
    convention = AccrualConvention.PRO_RATA_DAYS
    whole = _months(case, convention)
    parts = [x + y for x, y in zip(_months(first, convention), _months(second, convention),
                                    strict=True)]  # fmt: skip
    assert whole == parts


# ----------------------------------------------------------------------------- weekly


@st.composite
def weekly_cases(draw: st.DrawFn) -> dict[str, object]:
    n_rows = draw(st.integers(0, 12))
    n_periods = draw(st.integers(0, 20))
    codes = st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 6, 10])
    panel = [[draw(codes) for _ in range(n_periods)] for _ in range(n_rows)]
    windows = [tuple(sorted(draw(st.lists(st.integers(-3, n_periods + 3), min_size=2,
                                          max_size=2)))) for _ in range(n_rows)]  # fmt: skip
    table = [0] * 256
    # Few runs (range comparisons) or many (the np.take path), including code 255 (= -1).
    for code in draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 6, 10, 255]), unique=True)):
        table[code] = draw(st.integers(0, 40))
    return {"panel": panel, "windows": windows, "table": table, "shape": (n_rows, n_periods)}


@given(case=weekly_cases(), block_rows=st.integers(1, 5))
def test_employed_weeks_equals_reference(case: dict[str, object], block_rows: int) -> None:
    panel = np.array(case["panel"], dtype=np.int8).reshape(case["shape"])
    windows = np.array(case["windows"], dtype=np.int64).reshape(-1, 2)
    result = employed_weeks(panel, windows[:, 0], windows[:, 1], np.array(case["table"]),
                            block_rows=block_rows)  # fmt: skip
    assert result.tolist() == ref.employed_weeks(case["panel"], case["windows"], case["table"])
    numerators, denominator = weeks_to_months(result, 7)
    for n, weeks in zip(numerators, result, strict=True):
        assert Fraction(int(n), denominator) == Fraction(int(weeks) * 12, 52 * 7)


@given(case=weekly_cases())
def test_employed_weeks_never_exceed_the_window(case: dict[str, object]) -> None:
    panel = np.array(case["panel"], dtype=np.int8).reshape(case["shape"])
    windows = np.array(case["windows"], dtype=np.int64).reshape(-1, 2)
    full_weight = max(case["table"])
    result = employed_weeks(panel, windows[:, 0], windows[:, 1], np.array(case["table"]))
    length = np.clip(windows[:, 1], 0, panel.shape[1]) - np.clip(windows[:, 0], 0, panel.shape[1])
    assert np.all(result <= full_weight * np.maximum(length, 0))
    assert np.all(result >= 0)


@given(accrual_cases(), st.sampled_from(DAILY))
def test_sparse_month_items_equal_the_reference(
    case: dict[str, object], convention: AccrualConvention
) -> None:
    """The engine's sparse kernel (month_items) against the day-by-day reference, per month."""
    from impactbond.core.accrual import month_items

    spells = case["spells"]
    windows = case["windows"]
    wden = case["wden"]
    months = case["months"]
    assert isinstance(spells, list) and isinstance(windows, list) and isinstance(wden, int)
    assert isinstance(months, list)
    # The reference's windows cut to the month grid, as the kernel's callers do.
    cut = [(max(a, months[0]), min(b, months[-1])) for a, b in windows]
    columns = list(zip(*spells, strict=True)) if spells else [(), (), (), ()]
    items, den = month_items(
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=np.int64),
        np.array(columns[3], dtype=np.int64),
        wden,
        np.array([w[0] for w in cut], dtype=np.int64),
        np.array([max(w[0], w[1]) for w in cut], dtype=np.int64),
        convention,
    )
    got: dict[tuple[int, int], Fraction] = {}
    for r, start, num in zip(
        items.row.tolist(), items.period_start.tolist(), items.num.tolist(), strict=True
    ):
        m = int(np.searchsorted(months, start, side="right")) - 1
        got[(r, m)] = Fraction(num, den)
    for r, (a, b) in enumerate(cut):
        for m in range(len(months) - 1):
            sub = {
                "months": months[m : m + 2],
                "windows": [(a, max(a, b))],
                "wden": wden,
                "spells": [(0, s, e, w) for row, s, e, w in spells if row == r],
            }
            want = ref.months(sub["spells"], sub["windows"], sub["months"], wden, convention.value)[
                0
            ]
            assert got.get((r, m), Fraction(0)) == want, (r, m)
