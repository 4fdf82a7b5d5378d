"""Figures of a Monte Carlo: the fan chart and the histograms show the scenario table."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np

import impactbond as ib
from impactbond import plot
from impactbond.simulate import Effect, PriceResult, Referrals, price

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_simulate_montecarlo import AS_OF, START, costs, known_fit, simple_contract


def _result() -> PriceResult:
    return price(
        simple_contract(),
        known_fit(),
        as_of=AS_OF,
        referrals=Referrals({"c": 10}, start=START, weeks=1),
        effect=Effect(job_entry=0.5),
        scenarios=40,
        seed=1,
        benefit_costs=costs(),
        financing=ib.Financing([ib.DatedAmount(START, ib.Money(20_000, "DKK"))]),
    )


def test_fan_chart_bands_and_median() -> None:
    r = _result()
    ax = plot.price_fan_chart(r)
    cumulative = np.cumsum(r.payments_by_period, axis=1) / 100
    median = ax.lines[0].get_ydata()
    assert np.allclose(median, np.median(cumulative, axis=0))
    assert np.isclose(median[-1], np.median(r.payments / 100))
    base = ax.lines[1].get_ydata()
    assert np.isclose(base[-1], np.median(r.counterfactual_payments / 100))
    assert len(ax.collections) == len(plot.FAN_BANDS)
    # The outer band contains the inner one.
    outer, inner = (c.get_paths()[0].vertices[:, 1] for c in ax.collections)
    assert outer.max() >= inner.max() and outer.min() <= inner.min()
    assert ax.get_xlim()[0] < ax.get_xlim()[1]


def test_histograms_count_every_scenario() -> None:
    r = _result()
    axes = plot.price_histograms(r)
    assert len(axes) == 3
    for ax in axes:
        heights = sum(p.get_height() for p in ax.patches)
        assert heights == np.isfinite(r.investor_multiple).sum() or heights == r.scenarios
    assert np.isclose(axes[0].lines[0].get_xdata()[0], r.payments.mean() / 100)
    assert axes[1].lines[1].get_xdata()[0] == 0.0  # break-even of the payer's net cost
