"""Figures build headless (Agg) and draw what they say they draw."""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import impactbond as ib
from impactbond import plot

DKK = "DKK"
AS_OF = date(2025, 7, 1)


def small_settlement() -> ib.Settlement:
    """Two cohorts of three people each; simple employment spells on Mondays."""
    contract = ib.Contract(
        id="plot-demo",
        title="Plot demo",
        parties=ib.Parties("Kommune", "Fond", "Leverandør"),
        currency=DKK,
        term_start=date(2024, 1, 1),
        term_end=date(2027, 1, 1),
        referral_start=date(2024, 1, 1),
        referral_end=date(2025, 1, 1),
        cohorts=[
            ib.CohortTerms("sick_listed", target_outcome="employment_months", target=20),
            ib.CohortTerms("unemployed", target_outcome="employment_months", target=15),
        ],
        outcomes=[
            ib.EmploymentMonths("employment_months"),
            ib.Retention("retained_13w", horizon_weeks=13),
        ],
        payment_rules=[
            ib.PricePerUnit("pay_months", outcome="employment_months", price=ib.Money(1500, DKK)),
            ib.PricePerUnit("pay_retention", outcome="retained_13w", price=ib.Money(5000, DKK)),
        ],
        schedule=ib.PaymentSchedule(invoice_months=3, verification_lag_days=30),
    )
    monday = date(2024, 1, 1)
    plans = {
        # id: (cohort, enrolled week, job start week, job end week or None)
        "a": ("sick_listed", 0, 4, 30),
        "b": ("sick_listed", 2, 10, None),
        "c": ("sick_listed", 3, 20, 26),
        "d": ("unemployed", 1, 6, None),
        "e": ("unemployed", 5, 12, 40),
        "f": ("unemployed", 8, None, None),
    }
    people, trajectories = [], []
    for pid, (cohort, enrolled, job, end) in plans.items():
        start = monday + timedelta(weeks=enrolled)
        benefit = "sickness_benefit" if cohort == "sick_listed" else "unemployment_benefit"
        spells = []
        if job is None:
            spells.append(ib.Spell(benefit, start, None))
        else:
            job_day = monday + timedelta(weeks=job)
            spells.append(ib.Spell(benefit, start, job_day))
            end_day = None if end is None else monday + timedelta(weeks=end)
            spells.append(ib.Spell("employed", job_day, end_day, employer="E-" + pid))
            if end_day is not None:
                spells.append(ib.Spell(benefit, end_day, None))
        people.append(ib.Participant(pid, cohort, start))
        trajectories.append(ib.Trajectory(pid, spells))
    return ib.settle(contract, people, trajectories, as_of=AS_OF)


@pytest.fixture(scope="module")
def settlement() -> ib.Settlement:
    return small_settlement()


@pytest.fixture(autouse=True)
def _close_figures() -> object:
    yield None
    plt.close("all")


def png_bytes(ax: object) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")  # type: ignore[attr-defined]
    return buf.getvalue()


def test_backend_is_headless() -> None:
    assert matplotlib.get_backend().lower() == "agg"


def test_cumulative_months_one_step_line_and_one_target_per_cohort(
    settlement: ib.Settlement,
) -> None:
    ax = plot.cumulative_months(settlement)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "sick_listed: employment_months",
        "sick_listed: target 20",
        "unemployed: employment_months",
        "unemployed: target 15",
    ]
    # 2 cumulative steps + 2 targets + the as_of marker.
    assert len(ax.lines) == 5
    # The last point of each step line is the cohort's accrued quantity.
    for line, cohort in zip(ax.lines[0:4:2], ["sick_listed", "unemployed"], strict=True):
        expected = float(settlement.quantity("employment_months", cohort))
        assert line.get_ydata()[-1] == pytest.approx(expected)
        assert line.get_ydata()[0] == 0.0
    assert png_bytes(ax).startswith(b"\x89PNG")


def test_retention_curve_from_a_settlement_draws_a_curve_and_band_per_cohort(
    settlement: ib.Settlement,
) -> None:
    ax = plot.retention_curve(settlement)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # a, b, c started a job (sick_listed); d, e did (unemployed); f did not.
    assert labels == ["sick_listed (n=3)", "unemployed (n=2)"]
    assert len(ax.lines) == 3  # two curves and the 13-week horizon
    assert len(ax.collections) == 2  # two confidence bands
    assert ax.get_xlabel() == "weeks since job start"
    for line in ax.lines[:2]:
        y = np.asarray(line.get_ydata(), dtype=float)
        assert y[0] == 1.0 and np.all(np.diff(y) <= 0)
    assert png_bytes(ax).startswith(b"\x89PNG")


def test_job_spell_survival_counts_spells_and_censoring(settlement: ib.Settlement) -> None:
    km = plot.job_spell_survival(settlement, cohort="sick_listed")
    # a: weeks 4..29 (26 weeks, ended); b: open at as_of (censored); c: 6 weeks, ended.
    assert int(km.at_risk[0]) == 3
    assert int(km.events.sum()) == 2
    assert 6.0 in km.timeline and 26.0 in km.timeline
    assert np.all(km.ci_lower <= km.survival + 1e-12)
    assert np.all(km.survival <= km.ci_upper + 1e-12)


def test_retention_curve_from_a_kaplan_meier_result() -> None:
    km = ib.core.retention.kaplan_meier([3, 5, 5, 8, 12], [True, True, False, True, False])
    ax = plot.retention_curve(km, label="five", horizon_weeks=6)
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["five"]
    assert ax.get_title() == "Job retention (Kaplan-Meier, 95% band)"


def test_payments_by_period_stacks_cohorts_and_adds_up(settlement: ib.Settlement) -> None:
    ax = plot.payments_by_period(settlement)
    periods = sorted(set(settlement.lines.invoice_period.tolist()))
    assert len(ax.containers) == len(settlement.contract.cohorts)
    assert all(len(c) == len(periods) for c in ax.containers)
    assert ax.get_xticklabels()[0].get_text() == "2024-01"
    height = sum(bar.get_height() for c in ax.containers for bar in c)
    assert height == pytest.approx(float(settlement.accrued_total.amount))


def test_cashflows_are_negative_for_the_payer_and_cumulate(settlement: ib.Settlement) -> None:
    ax = plot.cashflows(settlement)
    assert len(ax.containers) == 1
    cumulative = ax.lines[0]
    assert cumulative.get_label() == "cumulative"
    assert cumulative.get_ydata()[-1] == pytest.approx(-float(settlement.accrued_total.amount))
    assert all(bar.get_height() <= 0 for bar in ax.containers[0])
    investor = plot.cashflows(settlement, payer_view=False)
    assert investor.lines[0].get_ydata()[-1] == pytest.approx(
        float(settlement.accrued_total.amount)
    )


def test_draws_on_given_axes(settlement: ib.Settlement) -> None:
    fig, axes = plt.subplots(1, 2)
    assert plot.cumulative_months(settlement, ax=axes[0]) is axes[0]
    assert plot.payments_by_period(settlement, ax=axes[1]) is axes[1]
    assert len(fig.axes) == 2


def test_without_matplotlib_the_error_names_the_extra(
    settlement: ib.Settlement, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"impactbond\[plot\]"):
        plot.cumulative_months(settlement)


def test_party_cashflows_one_line_per_party_ending_at_each_total() -> None:
    from datetime import date

    from impactbond.finance import cash_flows

    contract, people, trajectories, events = ib.examples.hybrid()
    s = ib.settle(contract, people, trajectories, as_of=date(2026, 1, 1), events=events)
    flows = cash_flows(s)
    ax = plot.party_cashflows(flows)
    lines = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    assert set(lines) == set(flows.parties)
    for party, line in lines.items():
        assert line.get_ydata()[-1] == pytest.approx(float(flows.total(party).amount))
