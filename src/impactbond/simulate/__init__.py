"""Simulation: synthetic cohorts, the weekly status model, its calibration, Monte Carlo pricing.

:mod:`~impactbond.simulate.synthetic`
    Synthetic cohorts of a fixed weekly Markov model (benchmarks, tests).
:mod:`~impactbond.simulate.model`
    :class:`StatusModel`: transition probabilities per cohort and band of
    time since enrolment, and the vectorised sampler.
:mod:`~impactbond.simulate.calibrate`
    :func:`calibrate`: the model estimated from a register history, with its
    uncertainty (:class:`Fit`) and :class:`ThinDataWarning`.
:mod:`~impactbond.simulate.scenarios`
    What a scenario assumes: :class:`Effect`, :class:`Referrals`,
    :class:`BenefitCosts`.
:mod:`~impactbond.simulate.montecarlo`
    :func:`price`: scenarios simulated in blocks and settled by the engine;
    :func:`break_even_effect`.
:mod:`~impactbond.simulate.summaries`
    :class:`PriceResult` (the scenario table) and :class:`PriceSummary`.
"""

from impactbond.simulate.calibrate import DEFAULT_BANDS, Fit, ThinDataWarning, calibrate
from impactbond.simulate.model import StatusModel, sample_paths, sampling_tables
from impactbond.simulate.montecarlo import (
    DEFAULT_BLOCK,
    BreakEven,
    break_even_effect,
    horizon_weeks,
    price,
)
from impactbond.simulate.scenarios import BenefitCosts, Effect, Referrals
from impactbond.simulate.summaries import Measure, PriceResult, PriceSummary
from impactbond.simulate.synthetic import (
    DEFAULT_STATES,
    default_transitions,
    simulate_panel,
    synthetic_cohort,
)
from impactbond.simulate.tables import Tables, history_tables

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_BLOCK",
    "DEFAULT_STATES",
    "BenefitCosts",
    "BreakEven",
    "Effect",
    "Fit",
    "Measure",
    "PriceResult",
    "PriceSummary",
    "Referrals",
    "StatusModel",
    "Tables",
    "ThinDataWarning",
    "break_even_effect",
    "calibrate",
    "default_transitions",
    "history_tables",
    "horizon_weeks",
    "price",
    "sample_paths",
    "sampling_tables",
    "simulate_panel",
    "synthetic_cohort",
]
