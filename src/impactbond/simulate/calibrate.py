"""Calibrate the weekly status model on a register panel of comparable citizens.

The history is the register's canonical ``participants`` and ``spells``
tables (:mod:`impactbond.simulate.tables`): one row per citizen with the
cohort they are comparable to and the date from which they are followed
(``enrolled``: the day they became sick-listed or unemployed, say), and their
register spells.  Each citizen's status is read once a week from that day on,
up to ``data_until`` (the last day the register data cover), and every
observed move from one week to the next is counted by cohort, band of time
since enrolment, and status before and after.

Uncertainty comes from the counts, in one of two ways:

``"dirichlet"`` (default)
    Each row of each matrix has a Dirichlet posterior: the observed counts
    plus a prior of one pseudo-move spread evenly over the states (so that a
    move never seen keeps a credible probability) and ``prior_weight``
    pseudo-moves spread like the cohort's moves pooled over all bands (so a
    thin band is pulled towards the cohort's overall behaviour).
``"bootstrap"``
    Citizens are resampled with replacement within each cohort, and the
    matrices re-estimated from the resampled counts (with the same prior).
    This keeps the dependence between one person's weeks that the Dirichlet
    ignores.

The fit reports its sample sizes (people per cohort and band, observed moves
per row) and warns with :class:`ThinDataWarning` when a band rests on fewer
than ``min_people`` citizens, as lifelines warns of statistically weak fits.

Examples
--------
>>> from datetime import date
>>> from impactbond.simulate import synthetic_cohort
>>> from impactbond.simulate.tables import history_tables
>>> people, trajectories = synthetic_cohort(400, start=date(2020, 1, 6), seed=3)
>>> fit = calibrate(history_tables(people, trajectories), data_until=date(2022, 6, 30),
...                 bands=(0, 26))
>>> fit.model.cohorts, fit.model.band_labels
(('sick_listed', 'unemployed'), ('0-25', '26+'))
>>> int(fit.people.sum())
400
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain.participant import looks_like_cpr
from impactbond.errors import CPRNumberRefused, InvalidInput
from impactbond.register import Register
from impactbond.simulate.model import StatusModel
from impactbond.simulate.tables import Tables, days_of
from impactbond.status import Status

__all__ = ["DEFAULT_BANDS", "Fit", "ThinDataWarning", "calibrate"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Bands of time since enrolment (first week of each): 0-12, 13-25, 26-51, 52+ weeks.
DEFAULT_BANDS: tuple[int, ...] = (0, 13, 26, 52)


class ThinDataWarning(UserWarning):
    """A band of the fit rests on too few citizens for its rates to be trusted."""


@attrs.frozen(eq=False)
class Fit:
    """A calibrated status model with its uncertainty and sample sizes.

    ``model`` holds the posterior means.  ``counts[c, b, i, j]`` are the
    observed moves, ``prior[c, b, i, j]`` the pseudo-moves added to them;
    ``initial_counts[c, i]`` and ``initial_prior`` the same for the status on
    the enrolment day.  ``people[c]`` citizens were followed in cohort ``c``,
    ``people_in_band[c, b]`` of them for at least one move in band ``b``.
    """

    model: StatusModel
    counts: I64
    prior: F64
    initial_counts: I64
    initial_prior: F64
    people: I64
    people_in_band: I64
    method: str
    data_until: date
    min_people: int
    _person_cells: I64 = attrs.field(alias="person_cells")
    _person_moves: I64 = attrs.field(alias="person_moves")
    _person_initial: I64 = attrs.field(alias="person_initial")
    _person_cohort: I64 = attrs.field(alias="person_cohort")

    @classmethod
    def known(cls, model: StatusModel) -> Fit:
        """A fit without data that always draws ``model``: for known or published rates.

        >>> from impactbond.status import Status
        >>> m = StatusModel.constant([[1.0]], states=[Status.EMPLOYED], cohorts=["c"],
        ...                          initial=[1.0])
        >>> Fit.known(m).draw(np.random.default_rng(0), 2)[0].shape
        (2, 1, 1, 1, 1)
        """
        c_n, b_n, s_n = len(model.cohorts), len(model.bands), len(model.states)
        empty = np.zeros(0, dtype=np.int64)
        return cls(
            model=model,
            counts=np.zeros((c_n, b_n, s_n, s_n), dtype=np.int64),
            prior=np.array(model.transitions),
            initial_counts=np.zeros((c_n, s_n), dtype=np.int64),
            initial_prior=np.array(model.initial),
            people=np.zeros(c_n, dtype=np.int64),
            people_in_band=np.zeros((c_n, b_n), dtype=np.int64),
            method="known",
            data_until=date.min,
            min_people=0,
            person_cells=np.zeros((2, 0), dtype=np.int64),
            person_moves=empty,
            person_initial=empty,
            person_cohort=empty,
        )

    @property
    def moves(self) -> I64:
        """Observed moves out of each state: ``moves[c, b, i]``."""
        out: I64 = self.counts.sum(axis=-1)
        return out

    @property
    def thin_bands(self) -> tuple[tuple[str, str, int], ...]:
        """``(cohort, band, people)`` of every band with fewer than ``min_people`` citizens."""
        m = self.model
        return tuple(
            (m.cohorts[c], m.band_labels[b], int(self.people_in_band[c, b]))
            for c in range(len(m.cohorts))
            for b in range(len(m.bands))
            if self.people_in_band[c, b] < self.min_people
        )

    def posterior_sd(self) -> F64:
        """The posterior standard deviation of each transition probability (Dirichlet).

        Notes
        -----
        A Dirichlet(:math:`\\alpha`) row has marginals Beta(:math:`\\alpha_j,
        \\alpha_0 - \\alpha_j`), of variance :math:`\\alpha_j (\\alpha_0 -
        \\alpha_j) / (\\alpha_0^2 (\\alpha_0 + 1))`.
        """
        a = self.counts + self.prior
        a0 = a.sum(axis=-1, keepdims=True)
        sd: F64 = np.sqrt(a * (a0 - a) / (a0**2 * (a0 + 1)))
        return sd

    def draw(
        self, rng: np.random.Generator, k: int, *, uncertainty: bool = True
    ) -> tuple[F64, F64]:
        """``k`` draws of the parameters: transitions ``(k, C, B, S, S)``, initial ``(k, C, S)``.

        Draw ``i`` uses the generator's numbers in order, scenario after
        scenario, so ``draw(rng, a)`` followed by ``draw(rng, b)`` gives the
        same parameters as one ``draw(rng, a + b)``.  Without ``uncertainty``
        every draw is the posterior mean (and ``rng`` is not used).

        ``"dirichlet"``: each row drawn from its Dirichlet posterior.
        ``"bootstrap"``: citizens resampled with replacement within each
        cohort; each draw is the posterior mean given the resampled counts.
        ``"known"`` (:meth:`known`): always the model.
        """
        m = self.model
        t_shape, i_shape = m.transitions.shape, m.initial.shape
        if not uncertainty or self.method == "known":
            return (
                np.broadcast_to(m.transitions, (k, *t_shape)).copy(),
                np.broadcast_to(m.initial, (k, *i_shape)).copy(),
            )
        if self.method == "dirichlet":
            # One gamma array per scenario, transitions then initial: draws in scenario order.
            alpha = np.concatenate(
                [
                    (self.counts + self.prior).ravel(),
                    (self.initial_counts + self.initial_prior).ravel(),
                ]
            )
            g = rng.standard_gamma(np.broadcast_to(alpha, (k, len(alpha))))
            cut = int(np.prod(t_shape))
            return (
                _normalise(g[:, :cut].reshape(k, *t_shape), self.counts + self.prior),
                _normalise(
                    g[:, cut:].reshape(k, *i_shape), self.initial_counts + self.initial_prior
                ),
            )
        counts, initial = self._bootstrap_counts(rng, k)
        a = counts + self.prior
        a0 = initial + self.initial_prior
        return a / a.sum(axis=-1, keepdims=True), a0 / a0.sum(axis=-1, keepdims=True)

    def _bootstrap_counts(self, rng: np.random.Generator, k: int) -> tuple[I64, I64]:
        c_n, b_n, s_n = self.counts.shape[:3]
        cells = c_n * b_n * s_n * s_n
        weight = np.zeros((k, len(self._person_cohort)), dtype=np.int64)
        members = [
            np.flatnonzero((self._person_cohort == c) & (self._person_initial >= 0))
            for c in range(c_n)
        ]
        for i in range(k):  # scenario by scenario, so that blocks draw what one call would
            for group in members:
                if len(group):
                    weight[i, group] = rng.multinomial(
                        len(group), np.full(len(group), 1 / len(group))
                    )
        w = weight[:, self._person_cells[0]] * self._person_cells[1][None, :]
        offset = (np.arange(k) * cells)[:, None]
        moves = np.bincount(
            (offset + self._person_moves[None, :]).ravel(), weights=w.ravel(), minlength=k * cells
        )
        first = np.flatnonzero(self._person_initial >= 0)
        init_cells = self._person_cohort[first] * s_n + self._person_initial[first]
        init = np.bincount(
            ((np.arange(k) * c_n * s_n)[:, None] + init_cells[None, :]).ravel(),
            weights=weight[:, first].ravel(),
            minlength=k * c_n * s_n,
        )
        return (
            np.rint(moves).reshape(k, *self.counts.shape).astype(np.int64),
            np.rint(init).reshape(k, c_n, s_n).astype(np.int64),
        )

    def summary(self) -> list[dict[str, Any]]:
        """One row per cohort, band and state moved from: sample sizes and the job-entry rate.

        ``job_entry`` is the posterior mean weekly probability of moving to
        ordinary employment (``None`` when employment is not modelled).
        """
        m = self.model
        job = m.states.index(Status.EMPLOYED) if Status.EMPLOYED in m.states else None
        sd = self.posterior_sd()
        rows = []
        for c, cohort in enumerate(m.cohorts):
            for b, band in enumerate(m.band_labels):
                for i, state in enumerate(m.states):
                    rows.append(
                        {
                            "cohort": cohort,
                            "band": band,
                            "from": state.name.lower(),
                            "people_in_band": int(self.people_in_band[c, b]),
                            "moves": int(self.moves[c, b, i]),
                            "stay": float(m.transitions[c, b, i, i]),
                            "job_entry": None
                            if job is None
                            else float(m.transitions[c, b, i, job]),
                            "job_entry_sd": None if job is None else float(sd[c, b, i, job]),
                        }
                    )
        return rows

    def to_frame(self) -> Any:
        """:meth:`summary` as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.summary())


def _normalise(g: F64, alpha: F64 | I64) -> F64:
    """Gamma draws ``(k, ..., S)`` normalised per row: Dirichlet draws with parameters ``alpha``."""
    total = g.sum(axis=-1, keepdims=True)
    # A row whose gamma draws all underflow to zero (tiny alphas) falls back to its mean.
    a = np.asarray(alpha, dtype=np.float64)
    mean = np.broadcast_to(a / a.sum(axis=-1, keepdims=True), g.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: F64 = np.where(total > 0, g / total, mean)
    return out


def _refuse_cpr(ids: pa.Array, what: str) -> None:
    candidates = pc.match_substring_regex(ids, r"\d{6}[-\s]?\d{4}")
    for row in np.flatnonzero(pc.fill_null(candidates, False).to_numpy(zero_copy_only=False)):
        if looks_like_cpr(str(ids[int(row)].as_py())):
            raise CPRNumberRefused(
                f"{what}: participant id looks like a Danish CPR number; use a pseudonym",
                participant="<refused>",
                row=int(row) + 1,
                field="participant_id",
                rule="participant ids are pseudonyms",
            )


def _column(table: pa.Table, name: str, what: str) -> pa.Array:
    if name not in table.column_names:
        raise InvalidInput(f"{what} table has no column {name!r}", field=name)
    return table.column(name).combine_chunks()


def _weekly_status(
    tables: Tables, enrolled: I64, n_weeks: I64
) -> tuple[I64, I64, npt.NDArray[np.int8]]:
    """(person, week, status code) of every observed person-week."""
    people = _column(tables.participants, "participant_id", "participants")
    s = tables.spells
    pid = _column(s, "participant_id", "spells")
    _refuse_cpr(pid, "spells")
    row = pc.index_in(pid, value_set=people)
    missing = pc.is_null(row).to_numpy(zero_copy_only=False)
    if missing.any():
        k = int(np.flatnonzero(missing)[0])
        raise InvalidInput(
            f"{int(missing.sum())} spells belong to no listed participant (the first in row {k + 1})",
            row=k + 1,
            field="participant_id",
            rule="every spell belongs to a listed participant",
        )
    who = row.to_numpy(zero_copy_only=False).astype(np.int64)
    start = days_of(_column(s, "start", "spells"))
    if (start < 0).any():
        k = int(np.flatnonzero(start < 0)[0])
        raise InvalidInput("a spell has no start", row=k + 1, field="start")
    end = days_of(_column(s, "end", "spells"), null_as=np.iinfo(np.int32).max)
    bad = end <= start
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInput("a spell ends on or before its start", row=k + 1, field="end")
    status = _column(s, "status", "spells")
    encoded = pc.dictionary_encode(status)
    table = np.empty(len(encoded.dictionary), dtype=np.int8)
    for k, name in enumerate(encoded.dictionary.to_pylist()):
        try:
            table[k] = int(Status.parse(name))
        except InvalidInput as err:
            first = int(np.flatnonzero(encoded.indices.to_numpy(zero_copy_only=False) == k)[0])
            raise InvalidInput(err.message, row=first + 1, field="status") from None
    code = table[encoded.indices.to_numpy(zero_copy_only=False)]
    order = np.lexsort((start, who))
    who, start, end, code = who[order], start[order], end[order], code[order]
    overlap = (who[1:] == who[:-1]) & (start[1:] < end[:-1])
    if overlap.any():
        k = int(order[int(np.flatnonzero(overlap)[0]) + 1])
        raise InvalidInput(
            "a participant's spells overlap",
            row=k + 1,
            field="start",
            rule="a participant's spells do not overlap",
        )
    person = np.repeat(np.arange(len(enrolled), dtype=np.int64), n_weeks)
    first_of = np.cumsum(n_weeks) - n_weeks
    week = np.arange(len(person), dtype=np.int64) - np.repeat(first_of, n_weeks)
    day = enrolled[person] + 7 * week
    # The spell that starts last on or before the day, if it is the person's and covers the day.
    span = np.int64(1) << 32
    keys = who * span + start
    pos = np.searchsorted(keys, person * span + day, side="right") - 1
    ok = pos >= 0
    ok[ok] &= who[pos[ok]] == person[ok]
    ok[ok] &= end[pos[ok]] > day[ok]
    weekly = np.full(len(person), int(Status.UNKNOWN), dtype=np.int8)
    weekly[ok] = code[pos[ok]]
    return person, week, weekly


def calibrate(
    history: Tables | Register,
    *,
    data_until: date,
    bands: Sequence[int] = DEFAULT_BANDS,
    cohorts: Sequence[str] | None = None,
    states: Sequence[Status | str] | None = None,
    weeks: int | None = None,
    method: str = "dirichlet",
    prior_weight: float = 1.0,
    min_people: int = 30,
) -> Fit:
    """Estimate the weekly status model from a register history.

    Parameters
    ----------
    history:
        The canonical ``participants`` and ``spells`` tables of comparable
        citizens (``cohort``: the contract cohort each is comparable to;
        ``enrolled``: the day from which each is followed), or an
        :class:`impactbond.Register` of them (read from any register file or a
        DREAM extract with :func:`impactbond.io.register_tables.read_register`).
    data_until:
        The last day the register data cover: week ``k`` of a citizen is
        observed when ``enrolled + 7 k <= data_until``.
    bands:
        First week of each band of time since enrolment.
    cohorts:
        The cohorts to model, in order (default: those of the history, in
        order of first appearance).  A citizen of another cohort is ignored.
    states:
        The statuses to model (default: every status observed, including
        ``unknown`` for weeks without a record).
    weeks:
        Follow each citizen for at most this many weeks.
    method:
        ``"dirichlet"`` or ``"bootstrap"`` (see the module text).
    prior_weight:
        Pseudo-moves added to each row, spread like the cohort's moves pooled
        over all bands (and the same for the status at enrolment), on top of
        one pseudo-move spread evenly.
    min_people:
        Warn (:class:`ThinDataWarning`) for a band observed for fewer citizens.

    Returns
    -------
    Fit

    Raises
    ------
    InvalidInput
        Missing columns, spells of unlisted participants, overlapping spells,
        unknown statuses, a history with no observed week; a CPR-shaped id is
        refused (:class:`~impactbond.errors.CPRNumberRefused`).
    """
    if isinstance(history, Register):
        canonical = history.to_tables()
        history = Tables(canonical["participants"], canonical["spells"])
    if method not in ("dirichlet", "bootstrap"):
        raise InvalidInput(f"method {method!r} is not 'dirichlet' or 'bootstrap'", field="method")
    if not (isinstance(prior_weight, int | float) and prior_weight > 0):
        raise InvalidInput("prior_weight is a positive number", field="prior_weight")
    p = history.participants
    ids = _column(p, "participant_id", "participants")
    _refuse_cpr(ids, "participants")
    if pc.count_distinct(ids).as_py() != len(ids):
        raise InvalidInput(
            "a participant is listed twice", field="participant_id", rule="ids are unique"
        )
    labels = _column(p, "cohort", "participants").to_pylist()
    order = list(dict.fromkeys(x for x in labels if x is not None))
    model_cohorts = tuple(cohorts) if cohorts is not None else tuple(order)
    cohort_index = {c: i for i, c in enumerate(model_cohorts)}
    cohort_of = np.array([cohort_index.get(x, -1) for x in labels], dtype=np.int64)
    enrolled = days_of(_column(p, "enrolled", "participants"))
    if (enrolled < 0).any():
        k = int(np.flatnonzero(enrolled < 0)[0])
        raise InvalidInput("a participant has no enrolment date", row=k + 1, field="enrolled")
    n_weeks = np.clip((data_until.toordinal() - enrolled) // 7 + 1, 0, None)
    if weeks is not None:
        n_weeks = np.minimum(n_weeks, weeks)
    n_weeks[cohort_of < 0] = 0
    person, week, code = _weekly_status(history, enrolled, n_weeks)
    if len(person) == 0:
        raise InvalidInput(
            f"no citizen of the history is observed on or before {data_until}",
            field="data_until",
        )
    seen = sorted(set(np.unique(code).tolist()))
    model_states = (
        tuple(Status.parse(s) for s in states)
        if states is not None
        else tuple(Status(c) for c in seen)
    )
    index_of = np.full(256, -1, dtype=np.int64)
    for i, st in enumerate(model_states):
        index_of[int(st)] = i
    state = index_of[code]
    if (state < 0).any():
        missing = sorted({Status(int(c)).name.lower() for c in code[state < 0]})
        raise InvalidInput(
            f"the history has statuses the model leaves out: {', '.join(missing)}",
            field="states",
        )
    model_bands = tuple(int(b) for b in bands)
    c_n, b_n, s_n = len(model_cohorts), len(model_bands), len(model_states)
    band = np.searchsorted(np.array(model_bands), week, side="right") - 1
    same = person[1:] == person[:-1]
    frm, to = state[:-1][same], state[1:][same]
    who = person[:-1][same]
    c_of = cohort_of[who]
    b_of = band[:-1][same]
    cell = ((c_of * b_n + b_of) * s_n + frm) * s_n + to
    counts = np.bincount(cell, minlength=c_n * b_n * s_n * s_n).reshape(c_n, b_n, s_n, s_n)
    pairs = np.unique(who * b_n + b_of)
    people_in_band = np.bincount(
        cohort_of[pairs // b_n] * b_n + pairs % b_n, minlength=c_n * b_n
    ).reshape(c_n, b_n)
    starts = week == 0
    initial_counts = np.bincount(
        cohort_of[person[starts]] * s_n + state[starts], minlength=c_n * s_n
    ).reshape(c_n, s_n)
    followed = np.bincount(cohort_of[person[starts]], minlength=c_n)

    # The prior of a row: 1/S per cell (one pseudo-move spread evenly, so that a move never
    # seen keeps a credible probability), plus prior_weight pseudo-moves spread like the
    # cohort's moves pooled over all bands.
    pooled = counts.sum(axis=1).astype(np.float64) + 1.0 / s_n
    pooled /= pooled.sum(axis=-1, keepdims=True)
    prior = np.broadcast_to(prior_weight * pooled[:, None] + 1.0 / s_n, counts.shape).copy()
    init_pooled = initial_counts.sum(axis=0).astype(np.float64) + 1.0 / s_n
    initial_prior = np.broadcast_to(
        prior_weight * init_pooled / init_pooled.sum() + 1.0 / s_n, initial_counts.shape
    ).copy()
    a = counts + prior
    a0 = initial_counts + initial_prior
    model = StatusModel(
        states=model_states,
        cohorts=model_cohorts,
        bands=model_bands,
        transitions=a / a.sum(axis=-1, keepdims=True),
        initial=a0 / a0.sum(axis=-1, keepdims=True),
    )
    # Per-person counts, for the bootstrap: (person, move cell, count) and the first status.
    key = who * (c_n * b_n * s_n * s_n) + cell
    uniq, cnt = np.unique(key, return_counts=True)
    person_initial = np.full(len(enrolled), -1, dtype=np.int64)
    person_initial[person[starts]] = state[starts]
    fit = Fit(
        model=model,
        counts=counts.astype(np.int64),
        prior=prior,
        initial_counts=initial_counts.astype(np.int64),
        initial_prior=initial_prior,
        people=followed.astype(np.int64),
        people_in_band=people_in_band.astype(np.int64),
        method=method,
        data_until=data_until,
        min_people=int(min_people),
        person_cells=np.stack([uniq // (c_n * b_n * s_n * s_n), cnt.astype(np.int64)]).astype(
            np.int64
        ),
        person_moves=(uniq % (c_n * b_n * s_n * s_n)).astype(np.int64),
        person_initial=person_initial,
        person_cohort=np.where(cohort_of >= 0, cohort_of, -1).astype(np.int64),
    )
    thin = fit.thin_bands
    if thin:
        listed = "; ".join(f"{c} weeks {b}: {n}" for c, b, n in thin)
        warnings.warn(
            f"{len(thin)} bands rest on fewer than {min_people} citizens ({listed}); "
            "their rates lean on the prior and on the cohort's other bands",
            ThinDataWarning,
            stacklevel=2,
        )
    return fit
