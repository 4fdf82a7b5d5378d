"""Calibration of the weekly status model: counts by hand, recovery of a known model, errors."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from impactbond.domain.participant import Participant
from impactbond.domain.trajectory import Spell, Trajectory
from impactbond.errors import CPRNumberRefused, InvalidInput
from impactbond.simulate import StatusModel, ThinDataWarning, calibrate, history_tables
from impactbond.simulate.tables import Tables
from impactbond.status import Status

MONDAY = date(2024, 1, 1)


def _tables(rows: list[tuple[str, str, date, list[tuple[str, date, date | None]]]]) -> Tables:
    people = [Participant(pid, cohort, enrolled) for pid, cohort, enrolled, _ in rows]
    trajectories = [
        Trajectory(pid, [Spell(st, s, e) for st, s, e in spells]) for pid, _, _, spells in rows
    ]
    return history_tables(people, trajectories)


def test_counts_by_hand() -> None:
    # A: sick for 2 weeks from enrolment, then employed (open).  B: unemployed, open.
    # Data until the day of week 3 (day 21): A is seen in weeks 0..3 (sick, sick, employed,
    # employed), B in weeks 0..3 (unemployed x4).  Bands (0, 2): A's moves at weeks 0, 1 are
    # in band 0 (sick->sick, sick->employed), at week 2 in band 1 (employed->employed).
    history = _tables(
        [
            (
                "A",
                "c",
                MONDAY,
                [
                    ("sickness_benefit", MONDAY, MONDAY + timedelta(weeks=2)),
                    ("employed", MONDAY + timedelta(weeks=2), None),
                ],
            ),
            ("B", "c", MONDAY, [("unemployment_benefit", MONDAY - timedelta(days=3), None)]),
        ]
    )
    fit = calibrate(history, data_until=MONDAY + timedelta(weeks=3), bands=(0, 2), min_people=1)
    m = fit.model
    assert m.states == (Status.EMPLOYED, Status.SICKNESS_BENEFIT, Status.UNEMPLOYMENT_BENEFIT)
    e, s, u = 0, 1, 2
    expected = np.zeros((1, 2, 3, 3), dtype=np.int64)
    expected[0, 0, s, s] = 1
    expected[0, 0, s, e] = 1
    expected[0, 1, e, e] = 1
    expected[0, 0, u, u] = 2
    expected[0, 1, u, u] = 1
    assert np.array_equal(fit.counts, expected)
    assert fit.initial_counts.tolist() == [[0, 1, 1]]
    assert fit.people.tolist() == [2]
    assert fit.people_in_band.tolist() == [[2, 2]]
    # The posterior mean: counts, plus 1/3 per cell, plus prior_weight (1) pseudo-moves
    # spread like the pooled moves.  Pooled sick row: (1, 1, 0) + 1/3 each -> (4/3, 4/3, 1/3)
    # / 3.  Row total: 2 moves + 1 + 1.
    pooled_sick = np.array([4 / 3, 4 / 3, 1 / 3]) / 3
    band0_sick = (np.array([1, 1, 0]) + 1 / 3 + pooled_sick) / 4
    assert np.allclose(m.transitions[0, 0, s], band0_sick)


def test_gaps_are_unknown_weeks() -> None:
    history = _tables(
        [
            (
                "A",
                "c",
                MONDAY,
                [
                    ("sickness_benefit", MONDAY, MONDAY + timedelta(days=3)),
                    ("employed", MONDAY + timedelta(weeks=2), None),
                ],
            )
        ]
    )
    fit = calibrate(history, data_until=MONDAY + timedelta(weeks=2), bands=(0,), min_people=1)
    assert Status.UNKNOWN in fit.model.states
    u = fit.model.states.index(Status.UNKNOWN)
    s = fit.model.states.index(Status.SICKNESS_BENEFIT)
    e = fit.model.states.index(Status.EMPLOYED)
    assert fit.counts[0, 0, s, u] == 1 and fit.counts[0, 0, u, e] == 1


def _history_from(model: StatusModel, people: int, weeks: int, seed: int) -> Tables:
    rng = np.random.default_rng(seed)
    cohort = np.arange(people) % len(model.cohorts)
    paths = model.sample(rng, cohort, weeks)
    ps, ts = [], []
    for i in range(people):
        row = paths[i]
        change = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        spells = []
        for k, col in enumerate(change.tolist()):
            end = int(change[k + 1]) if k + 1 < len(change) else None
            status = model.states[int(row[col])]
            if status is Status.UNKNOWN:
                continue
            spells.append(
                Spell(
                    status,
                    MONDAY + timedelta(weeks=col),
                    None if end is None else MONDAY + timedelta(weeks=end),
                )
            )
        ps.append(Participant(f"P{i}", model.cohorts[int(cohort[i])], MONDAY))
        ts.append(Trajectory(f"P{i}", spells))
    return history_tables(ps, ts)


def _known_model() -> StatusModel:
    states = (Status.SICKNESS_BENEFIT, Status.UNEMPLOYMENT_BENEFIT, Status.EMPLOYED)
    early = np.array([[0.90, 0.04, 0.06], [0.05, 0.85, 0.10], [0.02, 0.03, 0.95]])
    late = np.array([[0.96, 0.02, 0.02], [0.03, 0.93, 0.04], [0.01, 0.02, 0.97]])
    other = np.array([[0.80, 0.10, 0.10], [0.10, 0.80, 0.10], [0.05, 0.05, 0.90]])
    return StatusModel(
        states=states,
        cohorts=("a", "b"),
        bands=(0, 10),
        transitions=np.array([[early, late], [other, other]]),
        initial=np.array([[0.7, 0.3, 0.0], [0.2, 0.8, 0.0]]),
    )


@pytest.mark.parametrize("method", ["dirichlet", "bootstrap"])
def test_recovers_a_known_model_within_its_uncertainty(method: str) -> None:
    true = _known_model()
    weeks = 30
    history = _history_from(true, 1200, weeks, seed=11)
    fit = calibrate(
        history,
        data_until=MONDAY + timedelta(weeks=weeks - 1),
        bands=(0, 10),
        cohorts=("a", "b"),
        states=true.states,
        method=method,
    )
    assert fit.people.tolist() == [600, 600]
    # Every cell: the true probability within 4 posterior standard deviations.
    sd = fit.posterior_sd()
    z = np.abs(fit.model.transitions - true.transitions) / sd
    assert z.max() < 4.0, z.max()
    # 95 % credible intervals (Beta marginals of the Dirichlet) cover nearly every cell.
    a = fit.counts + fit.prior
    a0 = a.sum(axis=-1, keepdims=True)
    lo, hi = stats.beta.ppf([[0.025]], a, a0 - a), stats.beta.ppf([[0.975]], a, a0 - a)
    covered = (lo <= true.transitions) & (true.transitions <= hi)
    assert covered.mean() >= 0.85, covered.mean()
    # The draws scatter like the stated uncertainty (and around the truth).
    draws, initial = fit.draw(np.random.default_rng(5), 400)
    assert draws.shape == (400, 2, 2, 3, 3) and initial.shape == (400, 2, 3)
    assert np.allclose(draws.sum(axis=-1), 1.0)
    spread = draws.std(axis=0)
    well_observed = fit.counts >= 50
    ratio = spread[well_observed] / sd[well_observed]
    assert 0.5 < np.median(ratio) < 2.0, np.median(ratio)
    assert (np.abs(draws.mean(axis=0) - true.transitions) < 4 * sd + 0.01).all()


def test_draws_do_not_depend_on_how_they_are_split() -> None:
    fit = calibrate(
        _history_from(_known_model(), 200, 12, seed=2),
        data_until=MONDAY + timedelta(weeks=11),
        bands=(0, 10),
        min_people=1,
    )
    one = np.random.default_rng(9)
    whole = fit.draw(one, 5)
    two = np.random.default_rng(9)
    parts = [fit.draw(two, 3), fit.draw(two, 2)]
    assert np.array_equal(whole[0], np.concatenate([parts[0][0], parts[1][0]]))
    assert np.array_equal(whole[1], np.concatenate([parts[0][1], parts[1][1]]))


def test_without_uncertainty_every_draw_is_the_mean() -> None:
    fit = calibrate(
        _history_from(_known_model(), 100, 8, seed=2),
        data_until=MONDAY + timedelta(weeks=7),
        bands=(0,),
        min_people=1,
    )
    t, i = fit.draw(np.random.default_rng(0), 3, uncertainty=False)
    assert (t == fit.model.transitions).all() and (i == fit.model.initial).all()


def test_thin_bands_warn_and_are_reported() -> None:
    history = _history_from(_known_model(), 40, 20, seed=3)
    with pytest.warns(ThinDataWarning, match="a weeks 0-9: 20"):
        fit = calibrate(history, data_until=MONDAY + timedelta(weeks=19), bands=(0, 10))
    assert ("a", "0-9", 20) in fit.thin_bands
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calibrate(history, data_until=MONDAY + timedelta(weeks=19), bands=(0, 10), min_people=20)


def test_summary_reports_sample_sizes() -> None:
    fit = calibrate(
        _history_from(_known_model(), 100, 8, seed=2),
        data_until=MONDAY + timedelta(weeks=7),
        bands=(0,),
        min_people=1,
    )
    rows = fit.summary()
    assert {r["people_in_band"] for r in rows} == {50}
    assert sum(r["moves"] for r in rows) == 100 * 7
    assert len(fit.to_frame()) == len(rows)


def test_bad_history_is_refused_with_the_row() -> None:
    good = _tables([("A", "c", MONDAY, [("employed", MONDAY, None)])])
    orphan = Tables(
        good.participants,
        pa.concat_tables(
            [good.spells, good.spells.set_column(0, "participant_id", pa.array(["Z"]))]
        ),
    )
    with pytest.raises(InvalidInput, match="no listed participant") as err:
        calibrate(orphan, data_until=MONDAY)
    assert err.value.row == 2
    overlap = _tables(
        [
            (
                "A",
                "c",
                MONDAY,
                [("employed", MONDAY, None)],
            )
        ]
    )
    overlap = Tables(
        overlap.participants,
        pa.concat_tables([overlap.spells, overlap.spells]),
    )
    with pytest.raises(InvalidInput, match="overlap"):
        calibrate(overlap, data_until=MONDAY)
    unknown = Tables(good.participants, good.spells.set_column(1, "status", pa.array(["flying"])))
    with pytest.raises(InvalidInput, match="flying") as err:
        calibrate(unknown, data_until=MONDAY)
    assert err.value.row == 1 and err.value.field == "status"
    with pytest.raises(InvalidInput, match="no citizen"):
        calibrate(good, data_until=MONDAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="method"):
        calibrate(good, data_until=MONDAY, method="magic")


def test_cpr_numbers_are_refused_and_not_echoed() -> None:
    good = _tables([("A", "c", MONDAY, [("employed", MONDAY, None)])])
    cpr = "0101901234"
    bad = Tables(
        good.participants.set_column(0, "participant_id", pa.array([cpr])),
        good.spells.set_column(0, "participant_id", pa.array([cpr])),
    )
    with pytest.raises(CPRNumberRefused) as err:
        calibrate(bad, data_until=MONDAY)
    assert cpr not in str(err.value) and err.value.row == 1


def test_the_shipped_history_recovers_its_true_model() -> None:
    from impactbond.examples import NYBORG_HISTORY_UNTIL, nyborg_history
    from impactbond.examples.make_nyborg_history import generate, true_model

    people, trajectories = nyborg_history()
    again_people, again_trajectories = generate()
    assert people == again_people and trajectories == again_trajectories
    true = true_model()
    fit = calibrate(
        history_tables(people, trajectories),
        data_until=NYBORG_HISTORY_UNTIL,
        bands=true.bands,
        states=true.states,
    )
    assert fit.model.cohorts == true.cohorts
    # Posterior intervals (Beta marginals): about 95 % of the possible moves inside their
    # 95 % interval, every one inside its 99.9 % interval.
    a = fit.counts + fit.prior
    a0 = a.sum(axis=-1, keepdims=True)
    possible = true.transitions > 0
    for level, least in ((0.95, 0.9), (0.999, 1.0)):
        tail = (1 - level) / 2
        lo = stats.beta.ppf(tail, a, a0 - a)
        hi = stats.beta.ppf(1 - tail, a, a0 - a)
        inside = (lo <= true.transitions) & (true.transitions <= hi)
        assert inside[possible].mean() >= least, (level, inside[possible].mean())
    # Moves that cannot happen get little probability in well-observed rows.
    rows = np.broadcast_to(fit.moves[..., None] >= 200, possible.shape)
    assert fit.model.transitions[~possible & rows].max() < 0.005
    job = true.states.index(Status.EMPLOYED)
    # The job-entry rate from each cohort's own benefit, band by band, within 3 sd.
    for c, own in enumerate((Status.SICKNESS_BENEFIT, Status.UNEMPLOYMENT_BENEFIT)):
        i = true.states.index(own)
        est = fit.model.transitions[c, :, i, job]
        assert (
            np.abs(est - true.transitions[c, :, i, job]) < 3 * fit.posterior_sd()[c, :, i, job]
        ).all()


def test_a_register_is_calibrated_as_its_tables() -> None:
    # The Register of the shipped history (as read from its CSV files) gives the same
    # counts, people and posterior means as the canonical tables built from the objects.
    from impactbond.examples import NYBORG_HISTORY_UNTIL, example_path, nyborg_history
    from impactbond.io.register_tables import read_register

    people, trajectories = nyborg_history()
    from_tables = calibrate(history_tables(people, trajectories), data_until=NYBORG_HISTORY_UNTIL)
    register = read_register(
        example_path("nyborg_history_spells.csv"), example_path("nyborg_history_participants.csv")
    ).to_register()
    from_register = calibrate(register, data_until=NYBORG_HISTORY_UNTIL)
    assert from_register.model.cohorts == from_tables.model.cohorts
    assert from_register.model.states == from_tables.model.states
    assert (from_register.counts == from_tables.counts).all()
    assert (from_register.people == from_tables.people).all()
    assert int(from_register.people.sum()) == len(people) == 1000
    assert np.array_equal(from_register.model.transitions, from_tables.model.transitions)
