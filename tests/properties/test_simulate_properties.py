"""The Monte Carlo's sampler and effect against slow references (Hypothesis)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from impactbond.simulate import Effect, sample_paths, sampling_tables
from impactbond.status import Status


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "core_reference", Path(__file__).resolve().parents[1] / "reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()


@st.composite
def matrices(draw: st.DrawFn, bands: int, states: int) -> np.ndarray:
    """Random row-stochastic matrices (bands, S, S), some rows absorbing, some with zeros."""
    raw = draw(
        hnp.arrays(
            np.float64,
            (bands, states, states),
            elements=st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.5, 1.0, 3.0]),
        )
    )
    raw[..., np.arange(states), np.arange(states)] += 1.0  # every row has mass
    return raw / raw.sum(axis=-1, keepdims=True)


@given(
    data=st.data(),
    states=st.integers(1, 5),
    bands=st.integers(1, 3),
    people=st.integers(1, 6),
    weeks=st.integers(1, 12),
)
def test_sampler_equals_the_reference(
    data: st.DataObject, states: int, bands: int, people: int, weeks: int
) -> None:
    m = data.draw(matrices(bands, states))
    band_of_step = np.array(
        data.draw(st.lists(st.integers(0, bands - 1), min_size=weeks, max_size=weeks))
    )
    initial = np.array(
        data.draw(st.lists(st.integers(0, states - 1), min_size=people, max_size=people)),
        dtype=np.int8,
    )
    u = data.draw(
        hnp.arrays(np.float64, (weeks, people), elements=st.floats(0, 1, exclude_max=True))
    )
    stay, move = sampling_tables(m[None])
    fast = sample_paths(
        stay.reshape(-1),
        move.reshape(-1, states),
        group=np.zeros(people, np.int64),
        n_bands=bands,
        band_of_step=band_of_step,
        initial=initial,
        uniforms=u,
    )
    for i in range(people):
        slow = ref.sample_path(m.tolist(), band_of_step.tolist(), int(initial[i]), u[:, i].tolist())
        # The two may differ only where u sits within rounding of a boundary.
        assert fast[i].tolist() == slow or _near_boundary(m, band_of_step, fast[i], u[:, i])


def _near_boundary(m: np.ndarray, bands: np.ndarray, path: np.ndarray, u: np.ndarray) -> bool:
    for t in range(len(u)):
        row = m[bands[t]][path[t]]
        edges = np.cumsum(row)
        if np.min(np.abs(edges - u[t])) < 1e-9 or abs(row[path[t]] - u[t]) < 1e-9:
            return True
    return False


@given(
    data=st.data(),
    entry=st.floats(-0.9, 5),
    stay=st.floats(-0.9, 5),
)
def test_effect_keeps_rows_stochastic_and_moves_the_job_rates(
    data: st.DataObject, entry: float, stay: float
) -> None:
    states = (Status.SICKNESS_BENEFIT, Status.EMPLOYED, Status.EDUCATION)
    m = data.draw(matrices(2, 3))
    out = Effect(job_entry=entry, job_stay=stay).apply(m, states)
    assert np.allclose(out.sum(axis=-1), 1.0)
    assert (out >= -1e-12).all()
    e = 1
    for i in (0, 2):
        # Entry rate times (1 + entry), capped at one.
        assert np.allclose(out[:, i, e], np.minimum(1.0, m[:, i, e] * (1 + entry)))
        # Moves between the other states keep their ratios.
        other = 2 - i
        with np.errstate(invalid="ignore", divide="ignore"):
            before = m[:, i, other] / m[:, i, i]
            after = out[:, i, other] / out[:, i, i]
        ok = (m[:, i, i] > 1e-9) & (out[:, i, i] > 1e-9)
        assert np.allclose(before[ok], after[ok])
    # Leaving a job divided by (1 + stay), as long as leaving stays below certain.
    leave = m[:, e, [0, 2]] / (1 + stay)
    ok = leave.sum(axis=-1) <= 1
    assert np.allclose(out[ok][:, e, [0, 2]], leave[ok])
    assert np.allclose(out[~ok][:, e, e], 0.0)


@given(data=st.data())
def test_no_effect_is_the_identity(data: st.DataObject) -> None:
    m = data.draw(matrices(2, 3))
    out = Effect().apply(m, (Status.SICKNESS_BENEFIT, Status.EMPLOYED, Status.EDUCATION))
    assert np.array_equal(out, m)
