"""Worked cases for impactbond.core.retention, with the numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from impactbond.core import (
    job_spell_durations,
    job_start,
    kaplan_meier,
    retention_at,
    sustained_employment,
    weekly_summary,
)

EMPLOYED = np.zeros(256, dtype=bool)
EMPLOYED[[1, 14]] = True  # ordinary employment and flexjob
E, S, U = 1, 5, 6  # employed, sickness benefit, unemployment benefit

PANEL = np.array(
    [
        [S, S, E, E, E, E, E, E, U, U],  # job from week 2, lost at week 8
        [U, E, U, E, E, E, U, U, U, U],  # short jobs from week 1 and week 3
        [S, S, S, S, S, S, S, S, S, S],  # never employed
        [U, U, U, U, U, U, U, U, E, E],  # job from week 8
    ],
    dtype=np.int8,
)


def test_job_start_respects_the_window() -> None:
    # Row 1's window starts at week 2, so its first job start there is week 3.
    result = job_start(PANEL, EMPLOYED, [0, 2, 0, 0], [10, 10, 10, 8])
    assert result.tolist() == [2, 3, -1, -1]  # row 3's job at week 8 is outside [0, 8)


def test_weekly_summary_counts_weeks_and_finds_the_job_start() -> None:
    weights = np.zeros(256, dtype=np.int64)
    weights[1] = 1
    weeks, first = weekly_summary(PANEL, 0, 10, weights, EMPLOYED)
    assert weeks.tolist() == [6, 4, 0, 2]
    assert first.tolist() == [2, 1, -1, 8]


def test_retention_at_13_weeks_style_horizon() -> None:
    start = np.array([2, 3, -1, 8])
    result = retention_at(PANEL, EMPLOYED, start, horizon=4, as_of_period=10)
    # Row 0: week 6 employed -> retained.  Row 1: week 7 unemployed -> failure.
    # Row 2: no job start -> not eligible.  Row 3: week 12 not observed -> censored.
    assert result.eligible.tolist() == [True, True, False, True]
    assert result.censored.tolist() == [False, False, False, True]
    assert result.retained.tolist() == [True, False, False, False]
    assert result.rate() == 1 / 2  # censored row 3 is not in the denominator


def test_retention_rate_is_nan_without_observed_rows() -> None:
    result = retention_at(PANEL, EMPLOYED, [-1, -1, -1, -1], horizon=1)
    assert math.isnan(result.rate())


def test_same_employer() -> None:
    employer = np.zeros(PANEL.shape, dtype=np.int32)
    employer[0, 2:5] = 11  # row 0 changes employer in week 5
    employer[0, 5:8] = 12
    employer[1, 3:6] = 21
    start = np.array([2, 3, -1, -1])
    at_two = retention_at(PANEL, EMPLOYED, start, 2, employer=employer)
    at_four = retention_at(PANEL, EMPLOYED, start, 4, employer=employer)
    assert at_two.same_employer.tolist() == [True, True, False, False]
    assert at_four.retained.tolist()[0] is True
    assert at_four.same_employer.tolist()[0] is False  # employer 12 at week 6, 11 at week 2
    assert at_two.rate(same_employer=True) == 1.0


def test_sustained_employment_continuous_and_cumulative() -> None:
    start = np.array([0, 0, 0, 0])
    # Continuous 4 weeks: row 0 reaches its 4th week at week 5; row 1's longest run is 3.
    achieved, at, censored = sustained_employment(PANEL, EMPLOYED, start, 10, weeks=4)
    assert achieved.tolist() == [True, False, False, False]
    assert at.tolist() == [5, -1, -1, -1]
    assert not censored.any()
    # A gap of one week is allowed: row 1 counts weeks 1, 3, 4, 5 -> 4th at week 5.
    achieved, at, _ = sustained_employment(PANEL, EMPLOYED, start, 10, weeks=4, allowed_gap=1)
    assert at.tolist() == [5, 5, -1, -1]
    # Cumulative 2 weeks, observed up to week 9 (as_of 9), window to week 12:
    # row 3 has one employed week (8) so far -> censored, not a failure.
    achieved, at, censored = sustained_employment(
        PANEL, EMPLOYED, start, 12, weeks=2, cumulative=True, as_of_period=9
    )
    assert at.tolist() == [3, 3, -1, -1]
    assert censored.tolist() == [False, False, True, True]


def test_job_spell_durations() -> None:
    start = np.array([2, 1, -1, 8])
    durations, observed = job_spell_durations(PANEL, EMPLOYED, start, as_of_period=10)
    # Row 0: weeks 2-7 (6 weeks), ended at week 8.  Row 1: week 1 only, ended at week 2.
    # Row 3: weeks 8-9, still employed at as_of -> censored at 2 weeks.
    assert durations.tolist() == [6, 1, 0, 2]
    assert observed.tolist() == [True, True, False, False]
    # Allowing a one-week gap, row 1's spell runs weeks 1-5 (5 weeks).
    durations, _ = job_spell_durations(PANEL, EMPLOYED, start, 10, allowed_gap=1)
    assert durations.tolist()[1] == 5


def test_kaplan_meier_worked_example() -> None:
    # Durations 2, 3, 3+, 5, 6+ (+ = censored).
    km = kaplan_meier([2, 3, 3, 5, 6], [True, True, False, True, False])
    # t=2: 5 at risk, 1 event -> 4/5; t=3: 4 at risk, 1 event -> 4/5 * 3/4 = 3/5;
    # t=5: 2 at risk, 1 event -> 3/5 * 1/2 = 3/10; t=6: censored -> 3/10.
    assert km.timeline.tolist() == [0, 2, 3, 5, 6]
    np.testing.assert_allclose(km.survival, [1, 4 / 5, 3 / 5, 3 / 10, 3 / 10])
    assert km.at_risk.tolist() == [5, 5, 4, 2, 1]
    assert km.events.tolist() == [0, 1, 1, 1, 0]
    # Greenwood: V(2) = 1/(5*4) = 0.05; log-log band at 95%.
    z = 1.959963984540054
    v = math.log(0.8)
    lower = math.exp(-math.exp(math.log(-v) - z * math.sqrt(0.05) / v))
    assert km.ci_lower[1] == pytest.approx(lower, rel=1e-12)
    assert km.ci_lower[0] == 1.0 and km.ci_upper[0] == 1.0


def test_kaplan_meier_late_entry() -> None:
    # Row entering at 3 is not at risk for the event at 2.
    km = kaplan_meier([2, 4, 5], [True, True, False], entry=[0, 0, 3])
    # t=2: 2 at risk -> 1/2; t=4: rows 2 and 3 at risk -> 1/2 * 1/2 = 1/4.
    assert km.timeline.tolist() == [0, 2, 3, 4, 5]
    np.testing.assert_allclose(km.survival, [1, 0.5, 0.5, 0.25, 0.25])
