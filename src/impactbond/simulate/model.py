"""The weekly status model: one Markov chain per cohort and band of time since enrolment.

A person's register status is observed once a week, on the weekday of their
enrolment (week 0 is the enrolment day).  From week ``k`` to week ``k + 1``
the status moves with the probabilities of a transition matrix that depends
on the person's cohort and on the *band* of time since enrolment that week
``k`` lies in: someone sick-listed for a year does not behave like someone
newly sick-listed.  The status in week 0 is drawn from the cohort's initial
distribution.

:class:`StatusModel` holds the probabilities; :func:`sampling_tables` and
:func:`sample_paths` are the vectorised sampler (pure numpy, many groups of
parameters at once, one uniform number per person and week), which the Monte
Carlo of :mod:`impactbond.simulate.montecarlo` drives.

Notes
-----
For a row ``p`` of a transition matrix and a state ``i``, the sampler first
compares the week's uniform number ``u`` with the probability of staying,
``p[i]``; only a person who moves (``u >= p[i]``) looks up the distribution
of where to, ``p[j] / (1 - p[i])`` for ``j != i``, with the rescaled number
``(u - p[i]) / (1 - p[i])``.  This is inverse-transform sampling over the
order (stay, the other states in model order), so the same ``u`` gives the
same move in two models that differ only slightly: the common random numbers
of a comparison with a counterfactual.

Examples
--------
>>> import numpy as np
>>> from impactbond.status import Status
>>> m = StatusModel.constant(
...     [[0.9, 0.1], [0.2, 0.8]], states=[Status.UNEMPLOYMENT_BENEFIT, Status.EMPLOYED],
...     cohorts=["unemployed"], initial=[1.0, 0.0])
>>> m.band_labels
('0+',)
>>> stay, move = sampling_tables(m.transitions)
>>> paths = sample_paths(stay.reshape(-1), move.reshape(-1, 2), group=np.zeros(3, np.int64),
...     n_bands=1, band_of_step=np.zeros(4, np.int64), initial=np.zeros(3, np.int8),
...     uniforms=np.array([[0.95, 0.5, 0.1, 0.9]] * 3).T)
>>> paths[0].tolist()   # 0.95 >= 0.9 moves to work; 0.5 < 0.8 stays; 0.1 < 0.8 stays; 0.9 leaves
[0, 1, 1, 1, 0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.errors import InvalidInput
from impactbond.status import Status

__all__ = ["StatusModel", "sample_paths", "sampling_tables"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: How far a row of probabilities may be from summing to one.
TOLERANCE = 1e-9


def _states(value: Iterable[Any]) -> tuple[Status, ...]:
    return tuple(Status.parse(s) for s in value)


def _labels(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _weeks(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _float_array(value: Any) -> F64:
    a = np.array(value, dtype=np.float64)
    a.setflags(write=False)
    return a


def _check_distribution(what: str, p: F64) -> None:
    if not np.isfinite(p).all():
        raise InvalidInput(f"{what} holds a value that is not finite", field=what)
    if (p < 0).any():
        raise InvalidInput(f"{what} holds a negative probability", field=what)
    worst = float(np.abs(p.sum(axis=-1) - 1.0).max(initial=0.0))
    if worst > TOLERANCE:
        raise InvalidInput(
            f"{what}: a row of probabilities sums to {1 + worst:.12g} or {1 - worst:.12g}, not 1",
            field=what,
            rule="each row of probabilities sums to 1",
        )


@attrs.frozen(eq=False)
class StatusModel:
    """Weekly transition probabilities per cohort and band, and the status at enrolment.

    Parameters
    ----------
    states:
        The modelled statuses, in the order of the matrices' rows and columns.
    cohorts:
        The cohort labels, in the order of the first axis.
    bands:
        First week of each band of time since enrolment: ``(0, 13, 26, 52)``
        means weeks 0-12, 13-25, 26-51 and 52 on.  Starts at 0, increasing.
    transitions:
        ``transitions[c, b, i, j]``: the probability that a person of cohort
        ``c`` in status ``states[i]`` in a week of band ``b`` is in status
        ``states[j]`` the next week.  Shape (cohorts, bands, states, states);
        rows sum to 1.
    initial:
        ``initial[c, i]``: the probability of status ``states[i]`` on the
        enrolment day.  Shape (cohorts, states); rows sum to 1.
    """

    states: tuple[Status, ...] = attrs.field(converter=_states)
    cohorts: tuple[str, ...] = attrs.field(converter=_labels)
    bands: tuple[int, ...] = attrs.field(converter=_weeks)
    transitions: F64 = attrs.field(converter=_float_array)
    initial: F64 = attrs.field(converter=_float_array)

    def __attrs_post_init__(self) -> None:
        s, c, b = len(self.states), len(self.cohorts), len(self.bands)
        if s < 1 or len(set(self.states)) != s:
            raise InvalidInput("the states of a model are distinct and not empty", field="states")
        if (
            c < 1
            or len(set(self.cohorts)) != c
            or not all(isinstance(x, str) and x for x in self.cohorts)
        ):
            raise InvalidInput("cohort labels are distinct non-empty strings", field="cohorts")
        if (
            b < 1
            or self.bands[0] != 0
            or not all(isinstance(x, int) for x in self.bands)
            or any(x >= y for x, y in zip(self.bands, self.bands[1:], strict=False))
        ):
            raise InvalidInput(
                f"bands {self.bands} do not start at week 0 and increase",
                field="bands",
                rule="bands are the first weeks of consecutive periods since enrolment",
            )
        if self.transitions.shape != (c, b, s, s):
            raise InvalidInput(
                f"transitions have shape {self.transitions.shape}, expected {(c, b, s, s)}",
                field="transitions",
            )
        if self.initial.shape != (c, s):
            raise InvalidInput(
                f"initial has shape {self.initial.shape}, expected {(c, s)}", field="initial"
            )
        _check_distribution("transitions", self.transitions)
        _check_distribution("initial", self.initial)

    @classmethod
    def constant(
        cls,
        transitions: Sequence[Sequence[float]] | F64,
        *,
        states: Sequence[Status | str],
        cohorts: Sequence[str],
        initial: Sequence[float] | F64,
    ) -> StatusModel:
        """One matrix and one initial distribution for every cohort and week."""
        m = np.asarray(transitions, dtype=np.float64)
        p0 = np.asarray(initial, dtype=np.float64)
        c = len(cohorts)
        return cls(
            states=states,
            cohorts=cohorts,
            bands=(0,),
            transitions=np.broadcast_to(m, (c, 1, *m.shape)).copy(),
            initial=np.broadcast_to(p0, (c, *p0.shape)).copy(),
        )

    @property
    def band_labels(self) -> tuple[str, ...]:
        """``"0-12"``, ``"13-25"``, ..., ``"52+"``: the weeks since enrolment of each band."""
        ends = [*self.bands[1:], None]
        return tuple(
            f"{a}+" if e is None else f"{a}-{e - 1}" for a, e in zip(self.bands, ends, strict=True)
        )

    def band_of(self, weeks: npt.ArrayLike) -> I64:
        """The band index of weeks since enrolment."""
        w = np.asarray(weeks, dtype=np.int64)
        return np.searchsorted(np.array(self.bands), w, side="right").astype(np.int64) - 1

    def state_index(self, status: Status | str) -> int:
        """The position of a status in :attr:`states`."""
        st = Status.parse(status)
        if st not in self.states:
            names = ", ".join(s.name.lower() for s in self.states)
            raise InvalidInput(
                f"status {st.name.lower()} is not modelled ({names})", field="status"
            )
        return self.states.index(st)

    def sample(
        self, rng: np.random.Generator, cohort: npt.ArrayLike, weeks: int
    ) -> npt.NDArray[np.int8]:
        """Weekly state paths ``(n, weeks)`` of ``n`` people (``cohort``: their cohort indices).

        One uniform number per person and week, drawn ``(weeks, n)`` from ``rng``.

        >>> m = StatusModel.constant([[0.5, 0.5], [0.0, 1.0]], states=["sickness_benefit",
        ...     "employed"], cohorts=["sick_listed"], initial=[1.0, 0.0])
        >>> paths = m.sample(np.random.default_rng(0), np.zeros(1000, np.int64), 3)
        >>> int(paths[:, 0].max()), abs(float(paths[:, 2].mean()) - 0.75) < 0.05   # 1 - 0.5 ** 2
        (0, True)
        """
        c = np.asarray(cohort, dtype=np.int64)
        n = len(c)
        u = rng.random((weeks, n))
        cum = np.cumsum(self.initial, axis=-1)
        cum[:, -1] = 1.0
        first = np.minimum((u[0][:, None] >= cum[c]).sum(axis=1), len(self.states) - 1)
        stay, move = sampling_tables(self.transitions)
        return sample_paths(
            stay.reshape(-1),
            move.reshape(-1, len(self.states)),
            group=c,
            n_bands=len(self.bands),
            band_of_step=self.band_of(np.arange(weeks - 1)),
            initial=first.astype(np.int8),
            uniforms=u[1:],
        )

    def cohort_index(self, label: str) -> int:
        """The position of a cohort label in :attr:`cohorts`."""
        if label not in self.cohorts:
            raise InvalidInput(
                f"cohort {label!r} is not modelled (known: {', '.join(self.cohorts)})",
                field="cohort",
            )
        return self.cohorts.index(label)


def sampling_tables(transitions: F64) -> tuple[F64, F64]:
    """The sampler's tables of transition matrices ``(..., S, S)``.

    Returns ``stay[..., i] = p[i, i]`` and ``move[..., i, :]``, the cumulative
    distribution of the destination of a move out of ``i`` (``p[i, j] / (1 -
    p[i, i])`` for ``j != i``, zero width at ``i``; the last entry is raised to
    exactly 1).  A row that never moves (``p[i, i] == 1``) gets a table that
    is never read.
    """
    p = np.asarray(transitions, dtype=np.float64)
    s = p.shape[-1]
    stay = np.diagonal(p, axis1=-2, axis2=-1).copy()
    off = p.copy()
    idx = np.arange(s)
    off[..., idx, idx] = 0.0
    leave = off.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        move = np.cumsum(np.where(leave > 0, off / leave, 1.0 / s), axis=-1)
    move[..., -1] = 1.0
    return stay, move


def sample_paths(
    stay: F64,
    move: F64,
    *,
    group: I64,
    n_bands: int,
    band_of_step: I64,
    initial: npt.NDArray[np.int8],
    uniforms: npt.NDArray[np.floating[Any]],
) -> npt.NDArray[np.int8]:
    """Weekly state paths of many people, vectorised over people (a loop over weeks).

    Parameters
    ----------
    stay, move:
        :func:`sampling_tables` of transitions of shape ``(G, n_bands, S, S)``,
        flattened to ``(G * n_bands * S,)`` and ``(G * n_bands * S, S)``.
    group:
        ``(n,)``: the parameter group (scenario and cohort) of each person.
    band_of_step:
        ``(T - 1,)``: the band of the step from week ``t`` to ``t + 1``.
    initial:
        ``(n,)``: the state index in week 0.
    uniforms:
        ``(T - 1, n)`` uniform numbers in [0, 1): row ``t`` drives the step
        from week ``t`` to ``t + 1``.  With ``(T - 1, n / k)`` the numbers are
        repeated ``k`` times: the same numbers drive ``k`` copies of the
        people (common random numbers across ``k`` parameter sets).

    Returns
    -------
    numpy.ndarray
        ``(n, T)`` int8 state indices.
    """
    n = len(initial)
    steps = len(band_of_step)
    s = move.shape[-1]
    m = uniforms.shape[1] if uniforms.ndim == 2 else -1
    if uniforms.ndim != 2 or uniforms.shape[0] != steps or m == 0 or n % m:
        raise InvalidInput(
            f"uniforms have shape {uniforms.shape}, expected ({steps}, n) or ({steps}, n / k)",
            field="uniforms",
        )
    repeat = n // m
    # Weeks-major while sampling (each week's row is contiguous), people-major at the end.
    out = np.empty((steps + 1, n), dtype=np.int8)
    state = initial.astype(np.intp)
    out[0] = state
    base = group.astype(np.intp) * (n_bands * s)
    offsets: dict[int, npt.NDArray[np.intp]] = {}
    for t in range(steps):
        b = int(band_of_step[t])
        if b not in offsets:
            offsets[b] = base + b * s
        flat = offsets[b] + state
        u = uniforms[t] if repeat == 1 else np.tile(uniforms[t], repeat)
        p_stay = stay.take(flat)
        movers = np.flatnonzero(u >= p_stay)
        if len(movers):
            ps = p_stay[movers]
            v = (u[movers] - ps) / (1.0 - ps)
            rows = move[flat[movers]]
            state[movers] = np.minimum((v[:, None] >= rows).sum(axis=1), s - 1)
        out[t + 1] = state
    return np.ascontiguousarray(out.T)
