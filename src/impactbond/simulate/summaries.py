"""What the Monte Carlo gives: one row per scenario, and the summaries of the rows.

:class:`PriceResult` holds the scenario table as numpy columns (money in
minor units, exact per scenario; quantities and rates as floats, for
analysis) and :meth:`PriceResult.to_frame` gives it as a pandas frame.
:meth:`PriceResult.summary` gives means, standard deviations, Monte Carlo
standard errors and quantiles of each measure, the probabilities that matter
to each party, and the price per additional employment month.

Sign conventions: payments and net cost are what the outcome payer pays
(positive: money out of the municipality); savings are benefit costs avoided
against the counterfactual (positive: saved); the investor's and provider's
figures are from their own point of view (positive: received).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["QUANTILES", "Measure", "PriceResult", "PriceSummary"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: The quantiles every summary reports.
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


@attrs.frozen
class Measure:
    """Mean, spread and quantiles of one measure over the scenarios (NaN rows left out).

    ``se`` is the Monte Carlo standard error of the mean, ``sd / sqrt(n)``.
    """

    name: str
    unit: str
    n: int
    mean: float
    sd: float
    se: float
    quantiles: tuple[float, ...]

    @classmethod
    def of(cls, name: str, unit: str, values: npt.ArrayLike) -> Measure:
        """The summary of an array of values."""
        x = np.asarray(values, dtype=np.float64)
        x = x[np.isfinite(x)]
        n = len(x)
        if n == 0:
            nan = math.nan
            return cls(name, unit, 0, nan, nan, nan, tuple(nan for _ in QUANTILES))
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        return cls(
            name,
            unit,
            n,
            float(x.mean()),
            sd,
            sd / math.sqrt(n),
            tuple(float(q) for q in np.quantile(x, QUANTILES)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The measure as plain values (quantiles keyed ``q05`` ... ``q95``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "unit": self.unit,
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "se": self.se,
        }
        for q, value in zip(QUANTILES, self.quantiles, strict=True):
            out[f"q{round(q * 100):02d}"] = value
        return out


@attrs.frozen
class PriceSummary:
    """The scenario table summarised.

    ``measures``: one :class:`Measure` per column (money in major units).
    ``probabilities``: ``name -> (probability, Monte Carlo standard error)``.
    ``price_per_additional_month``: the payer's mean payments over the mean
    additional employment months against the counterfactual (a ratio of
    means), with its delta-method standard error.
    """

    scenarios: int
    currency: str
    measures: tuple[Measure, ...]
    probabilities: dict[str, tuple[float, float]]
    price_per_additional_month: float
    price_per_additional_month_se: float

    def measure(self, name: str) -> Measure:
        """The measure of one column."""
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain values (for JSON)."""
        return {
            "scenarios": self.scenarios,
            "currency": self.currency,
            "measures": [m.to_dict() for m in self.measures],
            "probabilities": {k: {"p": p, "se": se} for k, (p, se) in self.probabilities.items()},
            "price_per_additional_month": self.price_per_additional_month,
            "price_per_additional_month_se": self.price_per_additional_month_se,
        }


def _probability(flags: npt.NDArray[np.bool_]) -> tuple[float, float]:
    n = len(flags)
    if n == 0:
        return math.nan, math.nan
    p = float(flags.mean())
    return p, math.sqrt(p * (1 - p) / n)


def _ratio_of_means(num: F64, den: F64) -> tuple[float, float]:
    """mean(num) / mean(den) and its delta-method standard error."""
    n = len(num)
    if n < 2 or not np.isfinite(den).all():
        return math.nan, math.nan
    mx, my = float(num.mean()), float(den.mean())
    if my <= 0:
        return math.nan, math.nan
    r = mx / my
    resid = num - r * den
    se = float(resid.std(ddof=1)) / (my * math.sqrt(n))
    return r, se


def _minor(value: I64, scale: int) -> F64:
    out: F64 = value.astype(np.float64) / scale
    return out


@attrs.frozen(eq=False)
class PriceResult:
    """Per scenario, what the contract does: the columns of the Monte Carlo.

    Money columns are int64 minor units of :attr:`currency`
    (``minor_per_unit`` per krone).  Per scenario ``s``:

    ``payments_by_period[s, p]``
        The outcome payer's payments earned in invoice period ``p``
        (:attr:`periods` gives its first and last day).
    ``payments``, ``counterfactual_payments``
        All outcome payments earned by :attr:`as_of`, with the programme's
        effect and without it (the same citizens, parameters and random
        numbers: common random numbers).
    ``months``, ``counterfactual_months``
        Employment months of the contract's employment-months outcome
        (``months_outcome``), all cohorts.
    ``achieved[s, c]``, :attr:`targets`
        The quantity of cohort ``c``'s target outcome, and the target (NaN:
        the cohort has none).
    ``savings``
        Benefit costs the municipality avoids, net of refusion: the
        counterfactual's costs minus the effect's (zero without
        :class:`~impactbond.simulate.scenarios.BenefitCosts`).
    ``investor_net``, ``investor_irr``, ``investor_multiple``
        The investor's net cash flow, XIRR and money multiple under the
        financing terms (NaN where undefined or without financing).
    ``investor_flows[s, d]``, :attr:`investor_flow_days`
        The investor's net cash flow on day ``investor_flow_days[d]`` (funding
        negative, repayments and returns positive; zero where the scenario
        has no flow that day).  Its row sums are ``investor_net``.
    ``provider_income``
        The provider's income: the investor's funding and the fees under
        financing terms, otherwise every payment.
    ``excluded``
        Simulated citizens the settlement excluded (both arms).
    ``seconds``
        Where the time went (not part of the result's numbers).
    """

    contract_id: str
    currency: str
    minor_per_unit: int
    as_of: date
    seed: int
    block_size: int
    effect: Any
    referrals: Any
    weeks: int
    parameter_uncertainty: bool
    months_outcome: str | None
    cohorts: tuple[str, ...]
    targets: F64
    periods: tuple[tuple[date, date], ...]
    payments_by_period: I64
    counterfactual_by_period: I64
    months: F64
    counterfactual_months: F64
    achieved: F64
    savings: I64
    has_savings: bool
    investor_net: I64
    investor_irr: F64
    investor_multiple: F64
    provider_income: I64
    has_financing: bool
    excluded: I64
    investor_flow_days: tuple[date, ...] = ()
    investor_flows: I64 = attrs.field(factory=lambda: np.zeros((0, 0), dtype=np.int64))
    seconds: dict[str, float] = attrs.field(factory=dict)
    """Wall-clock seconds spent simulating (with building the tables), settling and reducing."""

    @property
    def scenarios(self) -> int:
        """The number of scenarios."""
        return len(self.months)

    @property
    def payments(self) -> I64:
        """Outcome payments per scenario (minor units)."""
        out: I64 = self.payments_by_period.sum(axis=1)
        return out

    @property
    def counterfactual_payments(self) -> I64:
        """Outcome payments per scenario without the effect (minor units)."""
        out: I64 = self.counterfactual_by_period.sum(axis=1)
        return out

    @property
    def net_cost(self) -> I64:
        """The payer's net cost: payments minus savings (minor units; negative: a net saving)."""
        out: I64 = self.payments - self.savings
        return out

    @property
    def additional_months(self) -> F64:
        """Employment months above the counterfactual's."""
        out: F64 = self.months - self.counterfactual_months
        return out

    @property
    def reached(self) -> npt.NDArray[np.bool_]:
        """``reached[s, c]``: cohort ``c`` reached its target in scenario ``s``."""
        with np.errstate(invalid="ignore"):
            out: npt.NDArray[np.bool_] = self.achieved >= self.targets[None, :]
        return out

    @property
    def investor_loss(self) -> npt.NDArray[np.bool_]:
        """The investor gets back less than it put in."""
        out: npt.NDArray[np.bool_] = self.investor_net < 0
        return out

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """The scenario table: one array per column, money in major units (floats)."""
        k = self.minor_per_unit
        cols: dict[str, npt.NDArray[Any]] = {
            "scenario": np.arange(self.scenarios, dtype=np.int32),
            "payments": _minor(self.payments, k),
            "counterfactual_payments": _minor(self.counterfactual_payments, k),
            "savings": _minor(self.savings, k),
            "net_cost": _minor(self.net_cost, k),
            "months": self.months,
            "counterfactual_months": self.counterfactual_months,
            "additional_months": self.additional_months,
        }
        for c, label in enumerate(self.cohorts):
            if np.isfinite(self.targets[c]):
                cols[f"achieved_{label}"] = self.achieved[:, c]
                cols[f"reached_{label}"] = self.reached[:, c]
        if self.has_financing:
            cols["investor_net"] = _minor(self.investor_net, k)
            cols["investor_irr"] = self.investor_irr
            cols["investor_multiple"] = self.investor_multiple
            cols["investor_loss"] = self.investor_loss
            for d, day in enumerate(self.investor_flow_days):
                cols[f"investor_{day.isoformat()}"] = _minor(self.investor_flows[:, d], k)
        cols["provider_income"] = _minor(self.provider_income, k)
        cols["excluded"] = self.excluded
        for p, (start, _) in enumerate(self.periods):
            cols[f"paid_{start.isoformat()}"] = _minor(self.payments_by_period[:, p], k)
        return cols

    def to_frame(self) -> Any:
        """The scenario table as a pandas DataFrame (needs pandas), one row per scenario."""
        import pandas as pd

        return pd.DataFrame(self.columns())

    def summary(self) -> PriceSummary:
        """Means, spreads, quantiles and probabilities over the scenarios."""
        k = self.minor_per_unit
        cur = self.currency
        measures = [
            Measure.of("payments", cur, _minor(self.payments, k)),
            Measure.of("counterfactual_payments", cur, _minor(self.counterfactual_payments, k)),
            Measure.of("months", "months", self.months),
            Measure.of("additional_months", "months", self.additional_months),
        ]
        if self.has_savings:
            measures += [
                Measure.of("savings", cur, _minor(self.savings, k)),
                Measure.of("net_cost", cur, _minor(self.net_cost, k)),
            ]
        for c, label in enumerate(self.cohorts):
            if np.isfinite(self.targets[c]):
                measures.append(Measure.of(f"achieved_{label}", "units", self.achieved[:, c]))
        if self.has_financing:
            measures += [
                Measure.of("investor_net", cur, _minor(self.investor_net, k)),
                Measure.of("investor_irr", "per year", self.investor_irr),
                Measure.of("investor_multiple", "x", self.investor_multiple),
            ]
        measures.append(Measure.of("provider_income", cur, _minor(self.provider_income, k)))
        probabilities: dict[str, tuple[float, float]] = {}
        for c, label in enumerate(self.cohorts):
            if np.isfinite(self.targets[c]):
                probabilities[f"reach_target_{label}"] = _probability(self.reached[:, c])
        if self.has_financing:
            probabilities["investor_loss"] = _probability(self.investor_loss)
        if self.has_savings:
            probabilities["payer_saves"] = _probability(self.net_cost < 0)
        ratio, se = _ratio_of_means(_minor(self.payments, k), self.additional_months)
        return PriceSummary(
            scenarios=self.scenarios,
            currency=cur,
            measures=tuple(measures),
            probabilities=probabilities,
            price_per_additional_month=ratio,
            price_per_additional_month_se=se,
        )

    def to_dict(self) -> dict[str, Any]:
        """Assumptions and the summary as plain values (for JSON)."""
        effect = self.effect
        return {
            "contract": self.contract_id,
            "as_of": self.as_of.isoformat(),
            "seed": self.seed,
            "block_size": self.block_size,
            "scenarios": self.scenarios,
            "weeks": self.weeks,
            "parameter_uncertainty": self.parameter_uncertainty,
            "effect": {"job_entry": effect.job_entry, "job_stay": effect.job_stay},
            "referrals": {
                "counts": dict(self.referrals.counts),
                "start": self.referrals.start.isoformat(),
                "weeks": self.referrals.weeks,
            },
            "months_outcome": self.months_outcome,
            "excluded": int(self.excluded.sum()),
            "periods": [[s.isoformat(), e.isoformat()] for s, e in self.periods],
            "mean_payments_by_period": (
                self.payments_by_period.mean(axis=0) / self.minor_per_unit
            ).tolist(),
            "mean_investor_flows": [
                [day.isoformat(), float(self.investor_flows[:, d].mean()) / self.minor_per_unit]
                for d, day in enumerate(self.investor_flow_days)
            ],
            "summary": self.summary().to_dict(),
        }
