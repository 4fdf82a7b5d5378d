"""Properties of the retention kernels: equal to period-by-period references, and sane."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from impactbond.core import (
    job_spell_durations,
    job_start,
    kaplan_meier,
    retention_at,
    sustained_employment,
    weekly_summary,
)
from impactbond.core.accrual import employed_weeks


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "core_reference", Path(__file__).resolve().parents[1] / "reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

CODES = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 10]


@st.composite
def panels(draw: st.DrawFn, min_periods: int = 0) -> dict[str, object]:
    """A small status panel, with runs of statuses like register data, and an employed table."""
    n_rows = draw(st.integers(1, 10))
    n_periods = draw(st.integers(min_periods, 24))
    panel = []
    for _ in range(n_rows):
        row: list[int] = []
        while len(row) < n_periods:
            row += [draw(st.sampled_from(CODES))] * draw(st.integers(1, 6))
        panel.append(row[:n_periods])
    employed_codes = draw(
        st.one_of(
            st.just([1, 2]),
            st.lists(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 10, 255]), unique=True),
        )
    )
    table = [False] * 256
    for code in employed_codes:
        table[code] = True
    return {
        "panel": panel,
        "array": np.array(panel, dtype=np.int8).reshape(n_rows, n_periods),
        "table": table,
        "n_rows": n_rows,
        "n_periods": n_periods,
    }


def _periods(draw: st.DrawFn, case: dict[str, object], low: int = -3) -> list[int]:
    n_periods = case["n_periods"]
    assert isinstance(n_periods, int)
    return [draw(st.integers(low, n_periods + 3)) for _ in range(int(case["n_rows"]))]


@given(case=panels(), data=st.data(), block_rows=st.integers(1, 4))
def test_job_start_equals_reference(
    case: dict[str, object], data: st.DataObject, block_rows: int
) -> None:
    starts = _periods(data.draw, case)
    ends = _periods(data.draw, case)
    result = job_start(case["array"], np.array(case["table"]), starts, ends, block_rows=block_rows)
    assert result.tolist() == ref.job_start(case["panel"], case["table"],
                                            list(zip(starts, ends, strict=True)))  # fmt: skip


@given(case=panels(), data=st.data(), block_rows=st.integers(1, 4))
def test_weekly_summary_equals_separate_kernels(
    case: dict[str, object], data: st.DataObject, block_rows: int
) -> None:
    starts = _periods(data.draw, case)
    ends = _periods(data.draw, case)
    employed = np.array(case["table"])
    weights = np.zeros(256, dtype=np.int64)
    # Either the employed codes weighted (the fused path) or unrelated weights.
    codes = np.flatnonzero(employed) if data.draw(st.booleans()) else [1, 3, 255]
    for code in codes:
        weights[code] = data.draw(st.integers(1, 9))
    weeks, first = weekly_summary(case["array"], starts, ends, weights, employed,
                                  block_rows=block_rows)  # fmt: skip
    assert weeks.tolist() == employed_weeks(case["array"], starts, ends, weights).tolist()
    assert first.tolist() == ref.job_start(case["panel"], case["table"],
                                           list(zip(starts, ends, strict=True)))  # fmt: skip


@given(case=panels(min_periods=1), data=st.data())
def test_retention_equals_reference(case: dict[str, object], data: st.DataObject) -> None:
    n_periods = case["n_periods"]
    assert isinstance(n_periods, int)
    starts = [data.draw(st.integers(-2, n_periods - 1)) for _ in range(int(case["n_rows"]))]
    horizon = data.draw(st.integers(0, n_periods + 2))
    as_of = data.draw(st.integers(0, n_periods + 2))
    employer = np.array(data.draw(st.lists(st.integers(0, 2), min_size=case["n_rows"] * n_periods,
                                           max_size=case["n_rows"] * n_periods)),
                        dtype=np.int32).reshape(case["array"].shape)  # fmt: skip
    result = retention_at(case["array"], np.array(case["table"]), starts, horizon, as_of,
                          employer=employer)  # fmt: skip
    expected = ref.retention_at(case["panel"], case["table"], starts, horizon, as_of,
                                employer.tolist())  # fmt: skip
    got = list(zip(result.eligible.tolist(), result.censored.tolist(), result.retained.tolist(),
                   result.same_employer.tolist(), strict=True))  # fmt: skip
    assert got == expected
    # Rates are proportions of the observed rows; censored rows are never failures.
    rate = result.rate()
    observed = [e and not c for e, c, _, _ in expected]
    if any(observed):
        assert 0.0 <= rate <= 1.0
        assert rate == sum(r for *_, r, _ in expected) / sum(observed)
        assert 0.0 <= result.rate(same_employer=True) <= rate
    else:
        assert math.isnan(rate)
    assert not np.any(result.retained & result.censored)


@given(case=panels(min_periods=1), data=st.data())
def test_later_as_of_never_turns_a_censored_row_into_a_failure_unobserved(
    case: dict[str, object], data: st.DataObject
) -> None:
    n_periods = case["n_periods"]
    assert isinstance(n_periods, int)
    table = np.array(case["table"])
    start = job_start(case["array"], table, 0, n_periods)
    horizon = data.draw(st.integers(0, n_periods))
    early, late = sorted(data.draw(st.lists(st.integers(0, n_periods + 1), min_size=2,
                                            max_size=2)))  # fmt: skip
    before = retention_at(case["array"], table, start, horizon, early)
    after = retention_at(case["array"], table, start, horizon, late)
    # An observed outcome never changes when more periods are observed.
    known = before.observed
    assert np.array_equal(after.retained[known], before.retained[known])
    # A row censored before is either still censored (excluded) or observed now.
    was_censored = before.censored
    assert np.all(after.censored[was_censored] | after.observed[was_censored])
    assert not np.any(after.retained & after.censored)
    assert np.all(after.observed >= before.observed)


@pytest.mark.parametrize("cumulative", [False, True])
@given(case=panels(), data=st.data(), block_rows=st.integers(1, 4))
def test_sustained_employment_equals_reference(
    cumulative: bool, case: dict[str, object], data: st.DataObject, block_rows: int
) -> None:
    starts = _periods(data.draw, case)
    ends = _periods(data.draw, case, low=0)
    weeks = data.draw(st.integers(1, 8))
    gap = data.draw(st.integers(0, 3))
    as_of = data.draw(st.integers(0, int(case["n_periods"]) + 3))
    achieved, achieved_at, censored = sustained_employment(
        case["array"], np.array(case["table"]), starts, ends, weeks, allowed_gap=gap,
        cumulative=cumulative, as_of_period=as_of, block_rows=block_rows)  # fmt: skip
    expected = ref.sustained_employment(case["panel"], case["table"], starts, ends, weeks, gap,
                                        cumulative, as_of)  # fmt: skip
    got = list(zip(achieved.tolist(), achieved_at.tolist(), censored.tolist(), strict=True))
    assert got == expected


@given(case=panels(), data=st.data())
def test_cumulative_is_reached_no_later_than_continuous(
    case: dict[str, object], data: st.DataObject
) -> None:
    starts = _periods(data.draw, case)
    weeks = data.draw(st.integers(1, 8))
    gap = data.draw(st.integers(0, 3))
    table = np.array(case["table"])
    end = int(case["n_periods"])
    run, run_at, _ = sustained_employment(case["array"], table, starts, end, weeks, gap)
    total, total_at, _ = sustained_employment(case["array"], table, starts, end, weeks,
                                              cumulative=True)  # fmt: skip
    assert np.all(total[run])
    assert np.all(total_at[run] <= run_at[run])


@given(case=panels(), data=st.data(), block_rows=st.integers(1, 4))
def test_job_spell_durations_equal_reference(
    case: dict[str, object], data: st.DataObject, block_rows: int
) -> None:
    starts = _periods(data.draw, case)
    as_of = data.draw(st.integers(0, int(case["n_periods"]) + 3))
    gap = data.draw(st.integers(0, 3))
    durations, observed = job_spell_durations(case["array"], np.array(case["table"]), starts,
                                              as_of, allowed_gap=gap,
                                              block_rows=block_rows)  # fmt: skip
    expected = [ref.job_spell_duration(row, case["table"], s, as_of, gap)
                for row, s in zip(case["panel"], starts, strict=True)]  # fmt: skip
    assert list(zip(durations.tolist(), observed.tolist(), strict=True)) == expected


# ------------------------------------------------------------------------- Kaplan-Meier


def _lifelines_km(durations: list[float], observed: list[bool], entry: list[float] | None):  # type: ignore[no-untyped-def]
    lifelines = pytest.importorskip("lifelines")
    fitter = lifelines.KaplanMeierFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(durations, observed, entry=entry)
    return fitter


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_kaplan_meier_equals_lifelines(rows: list[tuple[int, bool]]) -> None:
    durations = [float(d) for d, _ in rows]
    observed = [e for _, e in rows]
    fitter = _lifelines_km(durations, observed, None)
    km = kaplan_meier(durations, observed)
    expected = fitter.survival_function_
    np.testing.assert_array_equal(km.timeline, expected.index.to_numpy(dtype=float))
    np.testing.assert_allclose(km.survival, expected.iloc[:, 0].to_numpy(), rtol=1e-12)
    interval = fitter.confidence_interval_survival_function_
    np.testing.assert_allclose(km.ci_lower, interval.iloc[:, 0].to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(km.ci_upper, interval.iloc[:, 1].to_numpy(), rtol=1e-9, atol=1e-12)
    table = fitter.event_table
    np.testing.assert_array_equal(km.at_risk, table["at_risk"].to_numpy())
    np.testing.assert_array_equal(km.events, table["observed"].to_numpy())
    assert np.all(np.diff(km.survival) <= 0)
    assert np.all((km.ci_lower <= km.survival + 1e-12) & (km.survival <= km.ci_upper + 1e-12))


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 10), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_kaplan_meier_with_late_entry_equals_lifelines(rows: list[tuple[int, int, bool]]) -> None:
    entry = [float(e) for e, _, _ in rows]
    durations = [float(e + d) for e, d, _ in rows]
    observed = [o for _, _, o in rows]
    lifelines = pytest.importorskip("lifelines")
    try:
        fitter = _lifelines_km(durations, observed, entry)
    except lifelines.exceptions.StatError:
        assume(False)
    km = kaplan_meier(durations, observed, entry=entry)
    expected = fitter.survival_function_
    np.testing.assert_array_equal(km.timeline, expected.index.to_numpy(dtype=float))
    np.testing.assert_allclose(km.survival, expected.iloc[:, 0].to_numpy(), rtol=1e-12)
