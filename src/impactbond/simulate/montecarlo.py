"""The Monte Carlo of a contract: scenarios simulated in blocks and settled by the engine.

:func:`price` simulates ``scenarios`` futures of a cohort referred to the
programme, each with its own parameters drawn from the calibration, and
settles each of them under the contract, with the programme's effect and
without it (the counterfactual) on the same random numbers.  Scenarios are
streamed in blocks of ``block_size``: memory stays bounded as ``scenarios``
grows, and a block is simulated for all its citizens and weeks at once
(numpy, one uniform number per citizen and week).

All random numbers come from one ``numpy.random.Generator`` seeded with
``seed``, which spawns three streams (parameters, paths, spare): each stream
is read scenario after scenario, so the numbers do not depend on the block
size, and the same seed gives the same numbers in every run and process.
The uniform numbers of the paths are float32 (a resolution of 2**-24, far
below any weekly probability a register history can estimate), which halves
the memory and the time of drawing them.

A block's simulated citizens are the register's canonical tables with a
``scenario`` column (:mod:`impactbond.simulate.tables`), and
:func:`_settle_block` is the one place that calls the settlement engine.

Examples
--------
>>> from datetime import date
>>> import impactbond as ib
>>> from impactbond.simulate import synthetic_cohort, history_tables, calibrate
>>> contract, _, _ = ib.examples.nyborg()
>>> people, trajectories = synthetic_cohort(300, start=date(2019, 1, 7), seed=1,
...     cohorts=[("sick_listed", ib.Status.SICKNESS_BENEFIT),
...              ("unemployed", ib.Status.UNEMPLOYMENT_BENEFIT)])
>>> fit = calibrate(history_tables(people, trajectories), data_until=date(2022, 1, 1))
>>> referrals = Referrals.over_referral_window(contract, {"sick_listed": 5, "unemployed": 5})
>>> result = price(contract, fit, as_of=date(2027, 9, 1), referrals=referrals,
...                effect=Effect(job_entry=0.3), scenarios=4, seed=1)
>>> result.scenarios, bool((result.payments >= 0).all())
(4, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.calendar import MonthRounding
from impactbond.domain.contract import Contract
from impactbond.domain.outcome import EmploymentMonths, Outcome
from impactbond.domain.terms import Financing
from impactbond.errors import InvalidInput
from impactbond.finance.waterfall import cash_flows
from impactbond.money import exact_bincount, minor_unit_digits
from impactbond.simulate.calibrate import Fit
from impactbond.simulate.model import sample_paths, sampling_tables
from impactbond.simulate.scenarios import BenefitCosts, Effect, Referrals
from impactbond.simulate.summaries import PriceResult
from impactbond.simulate.tables import Tables, panel_tables
from impactbond.status import Status

__all__ = [
    "DEFAULT_BLOCK",
    "BreakEven",
    "SettledBlock",
    "benefit_costs_by_scenario",
    "break_even_effect",
    "horizon_weeks",
    "price",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]

#: Scenarios per block: memory per block is about 40 bytes x block x citizens x weeks.
DEFAULT_BLOCK = 200
#: Bytes a block needs per citizen, week and scenario (uniforms, both arms' paths, tables).
BYTES_PER_CITIZEN_WEEK = 40
#: The largest block :func:`price` allocates.
MAX_BLOCK_BYTES = 4 * 2**30


# ---------------------------------------------------------------------------
# The plan: what every block shares
# ---------------------------------------------------------------------------


def _window_weeks(contract: Contract, outcome: Outcome, anchor: date) -> int:
    window = outcome.window
    rounding = window.month_rounding
    if rounding is MonthRounding.RAISE:
        rounding = contract.month_rounding
    _, end = attrs.evolve(window, month_rounding=rounding).bounds(anchor)
    extra = max(
        int(getattr(outcome, name, 0) or 0)
        for name in ("horizon_weeks", "weeks", "without_benefit_weeks")
    )
    months = getattr(outcome, "horizon_months", None)
    if months:
        extra = max(extra, math.ceil(int(months) * 31 / 7))
    return math.ceil((end - anchor).days / 7) + extra + 1


def horizon_weeks(contract: Contract) -> int:
    """Weeks to simulate from each enrolment so that every outcome can be measured.

    The longest measurement window of the contract's outcomes (for an
    enrolment on the first referral day), plus the longest horizon an outcome
    looks beyond a job start (retention, sustained employment), plus one.

    >>> import impactbond as ib
    >>> horizon_weeks(ib.examples.nyborg()[0])   # 24 months = 105 weeks, 26 weeks more, one
    132
    """
    return max(_window_weeks(contract, o, contract.referral_start) for o in contract.outcomes)


@attrs.frozen(eq=False)
class _Plan:
    contract: Contract
    fit: Fit
    referrals: Referrals
    as_of: date
    weeks: int
    cohort: I64  # model cohort of each referred citizen
    contract_cohort: I64  # contract cohort of each referred citizen
    enrolled: I64
    eligible: npt.NDArray[np.bool_]  # (model cohorts, states)
    band_of_step: I64
    periods: tuple[tuple[date, date], ...]
    months_outcome: str | None
    targets: F64
    benefit_costs: BenefitCosts | None
    financed: Contract | None


def _plan(
    contract: Contract,
    fit: Fit,
    referrals: Referrals,
    as_of: date,
    weeks: int | None,
    benefit_costs: BenefitCosts | None,
    financing: Financing | None,
) -> _Plan:
    if not isinstance(as_of, date):
        raise InvalidInput("as_of must be a date", field="as_of")
    model = fit.model
    labels = [c.label for c in contract.cohorts]
    for label in referrals.cohorts:
        if label not in labels:
            raise InvalidInput(
                f"referrals name cohort {label!r}, which the contract does not have "
                f"(known: {', '.join(labels)})",
                field="referrals",
            )
        if label not in model.cohorts:
            raise InvalidInput(
                f"cohort {label!r} is not in the calibrated model (known: {', '.join(model.cohorts)}): "
                "the history has no comparable citizens for it",
                field="referrals",
            )
    position, enrolled = referrals.enrolment()
    cohort = np.array([model.cohorts.index(referrals.cohorts[int(p)]) for p in position])
    contract_cohort = np.array([labels.index(referrals.cohorts[int(p)]) for p in position])
    eligible = np.ones((len(model.cohorts), len(model.states)), dtype=bool)
    for c, label in enumerate(model.cohorts):
        if label in labels and contract.cohort(label).eligible_statuses:
            allowed = set(contract.cohort(label).eligible_statuses)
            eligible[c] = [s in allowed for s in model.states]
            if label in referrals.cohorts and not eligible[c].any():
                raise InvalidInput(
                    f"none of cohort {label}'s eligible statuses is in the model "
                    f"({', '.join(s.name.lower() for s in model.states)})",
                    field="eligible_statuses",
                    clause=contract.cohort(label).clause or None,
                )
    t = horizon_weeks(contract) if weeks is None else int(weeks)
    if t < 2:
        raise InvalidInput("simulate at least two weeks", field="weeks")
    # Lines are earned before as_of; retention can be earned after the term's end.
    last = contract.invoice_period(max(contract.term_end, as_of) - timedelta(days=1))
    periods = tuple(contract.invoice_period_bounds(p) for p in range(last + 1))
    months = next((o.id for o in contract.outcomes if isinstance(o, EmploymentMonths)), None)
    targets = np.array(
        [math.nan if c.target is None else float(c.target) for c in contract.cohorts]
    )
    if benefit_costs is not None and benefit_costs.currency not in (None, contract.currency):
        raise InvalidInput(
            f"benefit costs are in {benefit_costs.currency}, the contract in {contract.currency}",
            field="benefit_costs",
        )
    terms = financing if financing is not None else contract.financing
    financed = None if terms is None else attrs.evolve(contract, financing=terms)
    return _Plan(
        contract=contract,
        fit=fit,
        referrals=referrals,
        as_of=as_of,
        weeks=t,
        cohort=cohort.astype(np.int64),
        contract_cohort=contract_cohort.astype(np.int64),
        enrolled=enrolled,
        eligible=eligible,
        band_of_step=model.band_of(np.arange(t - 1)),
        periods=periods,
        months_outcome=months,
        targets=targets,
        benefit_costs=benefit_costs,
        financed=financed,
    )


# ---------------------------------------------------------------------------
# One block of scenarios
# ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Block:
    first: int
    size: int
    treated: npt.NDArray[np.int8]  # (size * n, weeks)
    counterfactual: npt.NDArray[np.int8]


def _simulate_block(
    plan: _Plan,
    effect: Effect,
    first: int,
    size: int,
    params: np.random.Generator,
    paths: np.random.Generator,
    uncertainty: bool,
) -> _Block:
    model = plan.fit.model
    c_n, b_n, s_n = len(model.cohorts), len(model.bands), len(model.states)
    n = len(plan.cohort)
    transitions, initial = plan.fit.draw(params, size, uncertainty=uncertainty)
    # Referred citizens are eligible on the enrolment day: the initial status is conditioned on it.
    initial = initial * plan.eligible[None]
    initial /= initial.sum(axis=-1, keepdims=True)
    u = paths.random((size, plan.weeks, n), dtype=np.float32)
    group = (np.arange(size, dtype=np.int64)[:, None] * c_n + plan.cohort[None, :]).ravel()
    cum = np.cumsum(initial, axis=-1).reshape(-1, s_n)
    cum[:, -1] = 1.0
    start = np.minimum((u[:, 0, :].reshape(-1)[:, None] >= cum[group]).sum(axis=1), s_n - 1)
    start = start.astype(np.int8)
    steps = np.ascontiguousarray(u[:, 1:, :].transpose(1, 0, 2)).reshape(plan.weeks - 1, -1)
    # Both arms in one pass: parameter groups of the effect first, then the counterfactual's,
    # driven by the same uniform numbers.
    both = np.concatenate([effect.apply(transitions, model.states), transitions])
    stay, move = sampling_tables(both)
    paths_ = sample_paths(
        stay.reshape(-1),
        move.reshape(-1, s_n),
        group=np.concatenate([group, group + size * c_n]),
        n_bands=b_n,
        band_of_step=plan.band_of_step,
        initial=np.concatenate([start, start]),
        uniforms=steps,
    )
    half = size * n
    return _Block(first, size, paths_[:half], paths_[half:])


def _block_tables(plan: _Plan, block: _Block) -> Tables:
    """Both arms of a block as canonical tables; scenario ``2 s + arm`` (arm 1: counterfactual)."""
    n = len(plan.cohort)
    k = block.size
    scenario = (2 * (block.first + np.arange(k, dtype=np.int64)))[:, None] + np.arange(2)[None, :]
    # rows: arm-major within the block (treated rows, then counterfactual rows)
    key = np.concatenate([np.repeat(scenario[:, 0], n), np.repeat(scenario[:, 1], n)])
    person = np.tile(np.arange(n, dtype=np.int64), 2 * k)
    ids = pc.binary_join_element_wise(
        "K",
        pc.cast(pa.array(key), pa.string()),
        "P",
        pc.cast(pa.array(person), pa.string()),
        "",
    )
    labels = pa.array([c.label for c in plan.contract.cohorts])
    cohorts = pc.take(labels, pa.array(np.tile(plan.contract_cohort, 2 * k)))
    return panel_tables(
        np.concatenate([block.treated, block.counterfactual]),
        statuses=plan.fit.model.states,
        enrolled=np.tile(plan.enrolled, 2 * k),
        participant_ids=ids,
        cohort_labels=cohorts,
        scenario=key.astype(np.int32),
    )


# ---------------------------------------------------------------------------
# The settlement of a block: the one place the engine is called
# ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class SettledBlock:
    """What the settlement of a block gives the Monte Carlo.

    ``keys``: the scenario keys settled.  Per line: ``scenario`` (a key),
    ``cohort``, ``rule``, ``invoice_period``, ``due_on`` (day number) and
    ``amount`` (minor units paid).  ``quantity[k, c, o]``: the exact quantity
    of outcome ``o`` in cohort ``c`` under key ``keys[k]``, as a float;
    ``excluded[k]``: citizens the settlement excluded.
    """

    keys: I64
    scenario: I64
    cohort: I64
    rule: I64
    invoice_period: I64
    due_on: I64
    amount: I64
    quantity: F64
    excluded: I64


def _settle_block(contract: Contract, tables: Tables, as_of: date) -> SettledBlock:
    """Settle every scenario of ``tables`` under ``contract`` at ``as_of``, in one call.

    The scenario is a grouping key of the engine: targets, bonuses and caps
    apply per scenario exactly as in a real settlement.
    """
    from impactbond.register import Register
    from impactbond.settle import settle

    register = Register.from_tables(tables.participants, tables.spells)
    s = settle(contract, register, as_of=as_of)
    keys = np.unique(register.scenario).astype(np.int64)
    o_ids = [o.id for o in contract.outcomes]
    n_cohorts = len(contract.cohorts)
    settled_key = np.searchsorted(keys, s.register.scenario.astype(np.int64))
    group = settled_key * n_cohorts + s.cohort_of
    quantity = np.zeros((len(keys), n_cohorts, len(o_ids)))
    for oi, oid in enumerate(o_ids):
        m = s.measured[oid]
        sums = exact_bincount(group, m.totals, len(keys) * n_cohorts)
        quantity[:, :, oi] = (sums / m.den).reshape(len(keys), n_cohorts)
    excluded_key = np.searchsorted(keys, register.scenario[s.exclusions.row].astype(np.int64))
    excluded = np.bincount(excluded_key, minlength=len(keys)).astype(np.int64)
    ln = s.lines
    return SettledBlock(
        keys=keys,
        scenario=ln.scenario.astype(np.int64),
        cohort=ln.cohort.astype(np.int64),
        rule=ln.rule.astype(np.int64),
        invoice_period=ln.invoice_period.astype(np.int64),
        due_on=ln.due_on.astype(np.int64),
        amount=ln.amount.astype(np.int64),
        quantity=quantity,
        excluded=excluded,
    )


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _LinesOfOneScenario:
    """The attributes of a settlement's lines that :func:`impactbond.finance.cash_flows` reads."""

    due: npt.NDArray[np.bool_]
    rule: I64
    due_on: I64
    amount: I64


@attrs.frozen(eq=False)
class _OneScenario:
    """One scenario's settlement, as far as :func:`impactbond.finance.cash_flows` reads it."""

    contract: Contract
    lines: _LinesOfOneScenario

    @property
    def currency(self) -> str:
        return self.contract.currency


def benefit_costs_by_scenario(
    states: npt.NDArray[np.int8],
    *,
    statuses: tuple[Status, ...],
    enrolled: I64,
    as_of: date,
    costs: BenefitCosts,
    scenario: I64,
    scenarios: int,
) -> I64:
    """The municipality's benefit costs net of refusion per scenario (minor units).

    ``states[r, t]`` (indices into ``statuses``) is citizen ``r``'s status in
    week ``t`` from ``enrolled[r]``; a week counts if it starts before
    ``as_of``.  Each run of a benefit is numbered week by week from 1 (from
    ``weeks_before_enrolment + 1`` for a run under way at enrolment), and the
    week costs the weekly rate times the municipality's share in that week's
    refusion band.  Exact until one half-up rounding per scenario.
    """
    rows, weeks = states.shape
    # Weeks observed per citizen: those that start before as_of.
    seen = np.clip(-((enrolled - as_of.toordinal()) // 7), 0, weeks)
    # One item per run of a status: row, first week, weeks observed, status.
    change = np.ones((rows, weeks), dtype=bool)
    change[:, 1:] = states[:, 1:] != states[:, :-1]
    r, c = np.nonzero(change)
    last = np.append(r[1:] != r[:-1], True)
    end = np.append(c[1:], weeks)
    end[last] = weeks
    end = np.minimum(end, seen[r])
    length = np.maximum(end - c, 0)
    status = states[r, c]
    # Benefit week of the run's first week (1, or later for a run under way at enrolment).
    first = np.where(c == 0, 1 + costs.weeks_before_enrolment, 1)
    den = 1
    terms: list[tuple[I64, int, int]] = []
    for benefit, weekly in costs.weekly:
        if benefit not in statuses:
            continue
        mine = (status == statuses.index(benefit)) & (length > 0)
        lo, n, who = first[mine], length[mine], scenario[r[mine]]
        hi = lo + n  # benefit weeks [lo, hi)
        bands = costs.bands(benefit)
        for b, (band_from, share) in enumerate(bands):
            band_to = bands[b + 1][0] if b + 1 < len(bands) else np.iinfo(np.int64).max
            overlap = np.clip(np.minimum(hi, band_to) - np.maximum(lo, band_from), 0, None)
            count = np.bincount(who, weights=overlap, minlength=scenarios)
            terms.append(
                (
                    np.rint(count).astype(np.int64),
                    weekly.minor_units * share.numerator,
                    share.denominator,
                )
            )
            den = math.lcm(den, share.denominator)
    total = [0] * scenarios
    for count, num, d in terms:
        factor = num * (den // d)
        for i, c in enumerate(count.tolist()):
            total[i] += c * factor
    # Half up, once per scenario (costs are never negative).
    return np.array([(2 * x + den) // (2 * den) for x in total], dtype=np.int64)


def _investor(
    plan: _Plan, settled: SettledBlock, key: int
) -> tuple[int, float, float, int, dict[int, int]]:
    assert plan.financed is not None
    sel = settled.scenario == key
    lines = _LinesOfOneScenario(
        due=np.ones(int(sel.sum()), dtype=bool),
        rule=settled.rule[sel],
        due_on=settled.due_on[sel],
        amount=settled.amount[sel],
    )
    flows = cash_flows(_OneScenario(plan.financed, lines))
    parties = plan.financed.parties
    net = flows.total(parties.investor).minor_units
    irr = flows.xirr(parties.investor)
    multiple = flows.money_multiple(parties.investor)
    provider = flows.total(parties.provider).minor_units
    dated: dict[int, int] = {}
    for party, day, amount in zip(
        flows.party, flows.day.tolist(), flows.amount_minor.tolist(), strict=True
    ):
        if party == parties.investor:
            dated[day] = dated.get(day, 0) + amount
    return (
        net,
        math.nan if irr is None else float(irr),
        math.nan if multiple is None else float(multiple),
        provider,
        dated,
    )


class _Accumulator:
    def __init__(self, plan: _Plan, n: int):
        c_n = len(plan.contract.cohorts)
        p_n = len(plan.periods)
        self.plan = plan
        self.by_period = np.zeros((n, 2, p_n), dtype=np.int64)
        self.months = np.full((n, 2), math.nan)
        self.achieved = np.full((n, c_n), math.nan)
        self.savings = np.zeros(n, dtype=np.int64)
        self.investor_net = np.zeros(n, dtype=np.int64)
        self.investor_irr = np.full(n, math.nan)
        self.investor_multiple = np.full(n, math.nan)
        self.provider = np.zeros(n, dtype=np.int64)
        self.excluded = np.zeros(n, dtype=np.int64)
        self.n = n
        # The investor's net flow per day (ordinal) and scenario: few days (the funding and
        # the due dates of the invoice periods), so one array per day.
        self.investor_flows: dict[int, I64] = {}

    def add(self, block: _Block, settled: SettledBlock) -> None:
        plan = self.plan
        first, size = block.first, block.size
        p_n = len(plan.periods)
        local = settled.scenario - 2 * first
        if len(settled.invoice_period) and (
            settled.invoice_period.min() < 0 or settled.invoice_period.max() >= p_n
        ):
            raise InvalidInput(
                "a payment line falls outside the contract's invoice periods", field="as_of"
            )
        flat = np.zeros(size * 2 * p_n, dtype=np.int64)
        np.add.at(flat, local * p_n + settled.invoice_period, settled.amount)
        self.by_period[first : first + size] = flat.reshape(size, 2, p_n)
        k_local = settled.keys - 2 * first
        ex = np.zeros(2 * size, dtype=np.int64)
        ex[k_local] = settled.excluded
        self.excluded[first : first + size] = ex.reshape(size, 2).sum(axis=1)
        outcome_ids = [o.id for o in plan.contract.outcomes]
        q = np.zeros((2 * size, *settled.quantity.shape[1:]))
        q[k_local] = settled.quantity
        q = q.reshape(size, 2, *settled.quantity.shape[1:])
        if plan.months_outcome is not None:
            oi = outcome_ids.index(plan.months_outcome)
            self.months[first : first + size] = q[:, :, :, oi].sum(axis=2)
        for c, terms in enumerate(plan.contract.cohorts):
            if terms.target_outcome is not None and terms.target is not None:
                oi = outcome_ids.index(terms.target_outcome)
                self.achieved[first : first + size, c] = q[:, 0, c, oi]
        if plan.benefit_costs is not None:
            n = len(plan.cohort)
            common: dict[str, Any] = {
                "statuses": plan.fit.model.states,
                "enrolled": np.tile(plan.enrolled, size),
                "as_of": plan.as_of,
                "costs": plan.benefit_costs,
                "scenario": np.repeat(np.arange(size, dtype=np.int64), n),
                "scenarios": size,
            }
            treated = benefit_costs_by_scenario(block.treated, **common)
            counterfactual = benefit_costs_by_scenario(block.counterfactual, **common)
            self.savings[first : first + size] = counterfactual - treated
        for i in range(size):
            if plan.financed is not None:
                net, irr, multiple, provider, dated = _investor(plan, settled, 2 * (first + i))
                for day, amount in dated.items():
                    if day not in self.investor_flows:
                        self.investor_flows[day] = np.zeros(self.n, dtype=np.int64)
                    self.investor_flows[day][first + i] = amount
                self.investor_net[first + i] = net
                self.investor_irr[first + i] = irr
                self.investor_multiple[first + i] = multiple
                self.provider[first + i] = provider
            else:
                self.provider[first + i] = self.by_period[first + i, 0].sum()

    def result(self, effect: Effect, seed: int, block_size: int, uncertainty: bool) -> PriceResult:
        plan = self.plan
        days = sorted(self.investor_flows)
        flows = (
            np.stack([self.investor_flows[d] for d in days], axis=1)
            if days
            else np.zeros((self.n, 0), dtype=np.int64)
        )
        return PriceResult(
            contract_id=plan.contract.id,
            currency=plan.contract.currency,
            minor_per_unit=10 ** minor_unit_digits(plan.contract.currency),
            as_of=plan.as_of,
            seed=seed,
            block_size=block_size,
            effect=effect,
            referrals=plan.referrals,
            weeks=plan.weeks,
            parameter_uncertainty=uncertainty,
            months_outcome=plan.months_outcome,
            cohorts=tuple(c.label for c in plan.contract.cohorts),
            targets=plan.targets,
            periods=plan.periods,
            payments_by_period=self.by_period[:, 0],
            counterfactual_by_period=self.by_period[:, 1],
            months=self.months[:, 0],
            counterfactual_months=self.months[:, 1],
            achieved=self.achieved,
            savings=self.savings,
            has_savings=plan.benefit_costs is not None,
            investor_net=self.investor_net,
            investor_irr=self.investor_irr,
            investor_multiple=self.investor_multiple,
            provider_income=self.provider,
            has_financing=plan.financed is not None,
            excluded=self.excluded,
            investor_flow_days=tuple(date.fromordinal(d) for d in days),
            investor_flows=flows,
        )


# ---------------------------------------------------------------------------
# The public functions
# ---------------------------------------------------------------------------


def price(
    contract: Contract,
    fit: Fit,
    *,
    as_of: date,
    referrals: Referrals,
    effect: Effect | None = None,
    scenarios: int = 1000,
    seed: int = 0,
    parameter_uncertainty: bool = True,
    benefit_costs: BenefitCosts | None = None,
    financing: Financing | None = None,
    weeks: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    progress: Progress | None = None,
) -> PriceResult:
    """Simulate and settle ``scenarios`` futures of the contract.

    Parameters
    ----------
    contract:
        The contract to price.
    fit:
        The calibrated status model (:func:`~impactbond.simulate.calibrate`).
    as_of:
        The settlement date of every scenario: choose one after the last
        payment falls due to price the whole contract.
    referrals:
        Who is referred, when (:class:`~impactbond.simulate.scenarios.Referrals`).
    effect:
        The programme's effect (default: none).
    scenarios:
        The number of scenarios.
    seed:
        The seed of the one random generator.
    parameter_uncertainty:
        Draw each scenario's parameters from the fit (default), or use the
        posterior means in every scenario.
    benefit_costs:
        Weekly benefit costs and refusion, to price the benefit weeks avoided.
    financing:
        Financing terms to assume when the contract has none (or to replace
        its own): the investor's cash flows, IRR and multiple.
    weeks:
        Weeks to simulate from each enrolment (default: :func:`horizon_weeks`).
    block_size:
        Scenarios simulated and settled at once.
    progress:
        Called as ``progress(done, total)`` after each block.

    Returns
    -------
    PriceResult
    """
    if not isinstance(scenarios, int) or scenarios < 1:
        raise InvalidInput("scenarios is a whole number >= 1", field="scenarios")
    if not isinstance(block_size, int) or block_size < 1:
        raise InvalidInput("block_size is a whole number >= 1", field="block_size")
    if not isinstance(seed, int) or seed < 0:
        raise InvalidInput("seed is a whole number >= 0", field="seed")
    effect = Effect() if effect is None else effect
    plan = _plan(contract, fit, referrals, as_of, weeks, benefit_costs, financing)
    _check_block_memory(min(block_size, scenarios), len(plan.cohort), plan.weeks)
    params, paths, _spare = np.random.default_rng(seed).spawn(3)
    acc = _Accumulator(plan, scenarios)
    seconds = {"simulate": 0.0, "settle": 0.0, "reduce": 0.0}
    for first in range(0, scenarios, block_size):
        size = min(block_size, scenarios - first)
        t0 = time.perf_counter()
        block = _simulate_block(plan, effect, first, size, params, paths, parameter_uncertainty)
        tables = _block_tables(plan, block)
        t1 = time.perf_counter()
        settled = _settle_block(contract, tables, as_of)
        t2 = time.perf_counter()
        acc.add(block, settled)
        t3 = time.perf_counter()
        seconds["simulate"] += t1 - t0
        seconds["settle"] += t2 - t1
        seconds["reduce"] += t3 - t2
        if progress is not None:
            progress(first + size, scenarios)
    return attrs.evolve(
        acc.result(effect, seed, block_size, parameter_uncertainty), seconds=seconds
    )


def _check_block_memory(block: int, citizens: int, weeks: int) -> None:
    """Refuse a block whose arrays would not fit in memory, before allocating anything."""
    need = BYTES_PER_CITIZEN_WEEK * block * citizens * weeks
    if need <= MAX_BLOCK_BYTES:
        return
    fits = MAX_BLOCK_BYTES // (BYTES_PER_CITIZEN_WEEK * citizens * weeks)
    advice = (
        f"use block_size <= {fits:,}"
        if fits >= 1
        else "even one scenario is too large: refer fewer citizens or simulate fewer weeks"
    )
    raise InvalidInput(
        f"a block of {block:,} scenarios x {citizens:,} citizens x {weeks:,} weeks needs about "
        f"{need / 2**30:,.1f} GiB (at most {MAX_BLOCK_BYTES / 2**30:,.0f} GiB); {advice}",
        field="block_size" if fits >= 1 else "referrals",
    )


@attrs.frozen
class BreakEven:
    """The effect at which a party breaks even, on average over the scenarios.

    ``factor`` scales the planned effect (``effect = planned.scaled(factor)``);
    ``None`` when the party does not break even in ``[low, high]``.
    ``evaluations`` lists ``(factor, mean)`` of every Monte Carlo run.
    """

    party: str
    planned: Effect
    factor: float | None
    effect: Effect | None
    evaluations: tuple[tuple[float, float], ...]


def _mean_balance(result: PriceResult, party: str) -> float:
    if party == "payer":
        return float((result.savings - result.payments).mean()) / result.minor_per_unit
    return float(result.investor_net.mean()) / result.minor_per_unit


def break_even_effect(
    contract: Contract,
    fit: Fit,
    *,
    party: str,
    planned: Effect,
    low: float = 0.0,
    high: float = 4.0,
    tolerance: float = 0.01,
    **kwargs: Any,
) -> BreakEven:
    """The multiple of ``planned`` at which ``party`` breaks even on average.

    ``party="payer"``: the mean benefit savings equal the mean payments
    (needs ``benefit_costs``); ``party="investor"``: the investor's mean net
    cash flow is zero (needs financing terms).  Bisection on the factor, each
    step a :func:`price` run with the same seed (common random numbers, so
    the mean moves smoothly with the factor); ``kwargs`` go to :func:`price`.
    """
    if party not in ("payer", "investor"):
        raise InvalidInput(f"party {party!r} is not 'payer' or 'investor'", field="party")
    if party == "payer" and kwargs.get("benefit_costs") is None:
        raise InvalidInput("the payer's break-even needs benefit_costs", field="benefit_costs")
    if party == "investor" and kwargs.get("financing") is None and contract.financing is None:
        raise InvalidInput("the investor's break-even needs financing terms", field="financing")
    if not 0 <= low < high:
        raise InvalidInput("the search runs over 0 <= low < high", field="low")
    seen: list[tuple[float, float]] = []

    def balance(factor: float) -> float:
        r = price(contract, fit, effect=planned.scaled(factor), **kwargs)
        value = _mean_balance(r, party)
        seen.append((factor, value))
        return value

    lo, hi = low, high
    f_lo, f_hi = balance(lo), balance(hi)
    if f_lo >= 0 or f_hi < 0:
        # Already even at the low end, or never even: no crossing in the range.
        factor = lo if f_lo >= 0 else None
        return BreakEven(
            party, planned, factor, None if factor is None else planned.scaled(factor), tuple(seen)
        )
    while hi - lo > tolerance:
        mid = (lo + hi) / 2
        if balance(mid) >= 0:
            hi = mid
        else:
            lo = mid
    factor = (lo + hi) / 2
    return BreakEven(party, planned, factor, planned.scaled(factor), tuple(seen))
