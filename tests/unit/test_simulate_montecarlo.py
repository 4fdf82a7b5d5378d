"""The Monte Carlo against truth: an analytic case, common random numbers, determinism."""

from __future__ import annotations

import calendar
import hashlib
import math
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import impactbond as ib
from impactbond.errors import InvalidInput
from impactbond.simulate import (
    BenefitCosts,
    Effect,
    Fit,
    PriceResult,
    Referrals,
    StatusModel,
    break_even_effect,
    price,
)
from impactbond.simulate.montecarlo import benefit_costs_by_scenario
from impactbond.status import Status

ROOT = Path(__file__).resolve().parents[2]
START = date(2024, 1, 1)  # a Monday
AS_OF = date(2025, 6, 1)
P = np.array([[0.9, 0.1], [0.05, 0.95]])  # unemployment benefit <-> employed, weekly
STATES = (Status.UNEMPLOYMENT_BENEFIT, Status.EMPLOYED)


def simple_contract(*, price_per_month: int = 1000, cap: int | None = None) -> ib.Contract:
    """One cohort, months in employment over six months, a price per month, no caps."""
    caps = [] if cap is None else [ib.Cap("all", scope="contract", amount=ib.Money(cap, "DKK"))]
    return ib.Contract(
        id="simple",
        title="Simple",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="DKK",
        term_start=START,
        term_end=date(2025, 12, 31),
        referral_start=START,
        referral_end=date(2024, 7, 1),
        cohorts=[ib.CohortTerms("c")],
        outcomes=[ib.EmploymentMonths("months", window=ib.Window(length_months=6))],
        payment_rules=[
            ib.PricePerUnit("pay", outcome="months", price=ib.Money(price_per_month, "DKK"))
        ],
        caps=caps,
    )


def known_fit() -> Fit:
    return Fit.known(StatusModel.constant(P, states=STATES, cohorts=["c"], initial=[1.0, 0.0]))


def expected_months_per_person() -> Fraction | float:
    """Pro-rata months over [2024-01-01, 2024-07-01), from the chain's weekly distribution.

    Week t (days 7t..7t+6 after enrolment) is employed with probability pi_t[1],
    pi_t = (1, 0) P^t; each day counts 1 / (days in its month).
    """
    total = 0.0
    day = START
    pi = np.array([1.0, 0.0])
    week = 0
    while day < date(2024, 7, 1):
        t = (day - START).days // 7
        while week < t:
            pi = pi @ P
            week += 1
        total += pi[1] / calendar.monthrange(day.year, day.month)[1]
        day += timedelta(days=1)
    return total


def run(**kw: object) -> PriceResult:
    args: dict[str, object] = {
        "as_of": AS_OF,
        "referrals": Referrals({"c": 20}, start=START, weeks=1),
        "scenarios": 300,
        "seed": 3,
    }
    args.update(kw)
    contract = args.pop("contract", simple_contract())
    return price(contract, known_fit(), **args)  # type: ignore[arg-type]


def test_mean_payment_equals_the_analytic_expectation() -> None:
    r = run()
    months = expected_months_per_person() * 20
    assert abs(r.counterfactual_months.mean() - months) < 4 * r.counterfactual_months.std(
        ddof=1
    ) / math.sqrt(r.scenarios)
    paid = r.counterfactual_payments / 100  # DKK
    expected = 1000 * months
    se = paid.std(ddof=1) / math.sqrt(r.scenarios)
    assert abs(paid.mean() - expected) < 4 * se, (paid.mean(), expected, se)
    # Rounding per line moves each line by less than half an øre.
    lines_max = 20 * 7
    assert np.all(np.abs(paid - 1000 * r.counterfactual_months) <= lines_max * 0.005 + 1e-6)
    assert r.excluded.sum() == 0


def test_no_effect_is_the_counterfactual_exactly() -> None:
    r = run(scenarios=20, effect=Effect())
    assert np.array_equal(r.payments_by_period, r.counterfactual_by_period)
    assert np.array_equal(r.months, r.counterfactual_months)
    assert math.isnan(r.summary().price_per_additional_month)


def test_common_random_numbers_make_a_small_effect_small() -> None:
    # The same citizens, parameters and uniforms: a larger effect never loses months on
    # average, and the difference is far less noisy than two independent runs.
    small = run(scenarios=100, effect=Effect(job_entry=0.2))
    big = run(scenarios=100, effect=Effect(job_entry=0.6))
    assert np.array_equal(small.counterfactual_months, big.counterfactual_months)
    assert big.months.mean() > small.months.mean() > small.counterfactual_months.mean()
    paired = small.additional_months.std(ddof=1)
    independent = math.sqrt(2) * small.counterfactual_months.std(ddof=1)
    assert paired < 0.7 * independent


def test_summary_quantiles_and_ratio() -> None:
    r = run(scenarios=50, effect=Effect(job_entry=0.5))
    s = r.summary()
    m = s.measure("payments")
    paid = r.payments / 100
    assert m.mean == pytest.approx(paid.mean()) and m.n == 50
    assert m.quantiles[2] == pytest.approx(np.median(paid))
    ratio = paid.mean() / r.additional_months.mean()
    assert s.price_per_additional_month == pytest.approx(ratio)
    frame = r.to_frame()
    assert len(frame) == 50 and frame["payments"].sum() == pytest.approx(paid.sum())
    assert s.to_dict()["scenarios"] == 50


def test_same_seed_same_numbers_whatever_the_block_size() -> None:
    a = run(scenarios=12, block_size=5, effect=Effect(job_entry=0.3))
    b = run(scenarios=12, block_size=12, effect=Effect(job_entry=0.3))
    c = run(scenarios=12, block_size=5, effect=Effect(job_entry=0.3), seed=4)
    assert np.array_equal(a.payments_by_period, b.payments_by_period)
    assert np.array_equal(a.months, b.months)
    assert not np.array_equal(a.months, c.months)


def _fingerprint(r: PriceResult) -> str:
    h = hashlib.sha256()
    for arr in (r.payments_by_period, r.counterfactual_by_period, r.months, r.savings):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def test_same_seed_same_numbers_in_another_process() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_simulate_montecarlo import run, _fingerprint, Effect, costs
        print(_fingerprint(run(scenarios=8, block_size=3, effect=Effect(0.3, 0.2),
                               benefit_costs=costs())))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    here = _fingerprint(
        run(scenarios=8, block_size=3, effect=Effect(0.3, 0.2), benefit_costs=costs())
    )
    assert done.stdout.strip() == here


def costs() -> BenefitCosts:
    return BenefitCosts.with_refusion_staircase({"unemployment_benefit": ib.Money(4000, "DKK")})


def test_savings_are_the_benefit_weeks_avoided_net_of_refusion() -> None:
    r = run(scenarios=30, effect=Effect(job_entry=1.0), benefit_costs=costs())
    assert (r.savings > 0).mean() > 0.8
    assert np.array_equal(r.net_cost, r.payments - r.savings)
    none = run(scenarios=5, effect=Effect(), benefit_costs=costs())
    assert (none.savings == 0).all()


def test_benefit_costs_against_a_week_by_week_reference() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("ref", ROOT / "tests" / "reference.py")
    assert spec is not None and spec.loader is not None
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    rng = np.random.default_rng(1)
    statuses = (Status.SICKNESS_BENEFIT, Status.EMPLOYED, Status.UNEMPLOYMENT_BENEFIT)
    states = rng.choice(3, size=(6, 70), p=[0.5, 0.3, 0.2]).astype(np.int8)
    states[:, :30] = np.sort(states[:, :30], axis=1)  # some long runs
    enrolled = np.full(6, START.toordinal()) + 7 * np.arange(6)
    as_of = START + timedelta(weeks=60)
    c = BenefitCosts.with_refusion_staircase(
        {
            "sickness_benefit": ib.Money("4321.17", "DKK"),
            "unemployment_benefit": ib.Money(3000, "DKK"),
        },
        weeks_before_enrolment=3,
    )
    scenario = np.array([0, 0, 1, 1, 2, 2])
    fast = benefit_costs_by_scenario(
        states,
        statuses=statuses,
        enrolled=enrolled,
        as_of=as_of,
        costs=c,
        scenario=scenario,
        scenarios=3,
    )
    weekly = {0: 432117, 2: 300000}
    shares = {i: c.bands(statuses[i]) for i in (0, 2)}
    for s in range(3):
        total = Fraction(0)
        for r in np.flatnonzero(scenario == s):
            row = states[r].tolist()
            seen = [t for t in range(70) if enrolled[r] + 7 * t < as_of.toordinal()]
            t = 0
            while t < len(seen):
                u = t
                while u + 1 < len(seen) and row[u + 1] == row[t]:
                    u += 1
                first = 1 + (3 if t == 0 else 0)
                total += ref.municipal_cost_of_runs([(row[t], first, u - t + 1)], weekly, shares)
                t = u + 1
        assert fast[s] == math.floor(total + Fraction(1, 2)), s


def test_one_benefit_run_costs_what_municipal_net_cost_says() -> None:
    # One citizen on sickness benefit from 3 weeks before enrolment, 40 weeks observed:
    # benefit weeks 4..43 of the spell, priced by impactbond.finance.municipal_net_cost.
    c = BenefitCosts.with_refusion_staircase(
        {"sickness_benefit": ib.Money("4321.17", "DKK")}, weeks_before_enrolment=3
    )
    states = np.zeros((1, 50), dtype=np.int8)
    got = benefit_costs_by_scenario(
        states,
        statuses=(Status.SICKNESS_BENEFIT,),
        enrolled=np.array([START.toordinal()]),
        as_of=START + timedelta(weeks=40),
        costs=c,
        scenario=np.zeros(1, dtype=np.int64),
        scenarios=1,
    )
    schedule = c.schedule_of(Status.SICKNESS_BENEFIT)
    assert schedule is not None
    expected = ib.finance.municipal_net_cost(range(4, 44), ib.Money("4321.17", "DKK"), schedule)
    assert int(got[0]) == expected.minor_units


def test_investor_cash_flows_under_assumed_financing() -> None:
    investment = ib.Money(30_000, "DKK")
    financing = ib.Financing([ib.DatedAmount(START, investment)])
    r = run(scenarios=20, effect=Effect(job_entry=0.5), financing=financing)
    assert r.has_financing
    assert np.array_equal(r.investor_net, r.payments - investment.minor_units)
    assert np.array_equal(r.investor_loss, r.payments < investment.minor_units)
    assert np.allclose(r.investor_multiple, r.payments / investment.minor_units)
    assert (r.provider_income == investment.minor_units).all()
    ok = np.isfinite(r.investor_irr)
    assert ((r.investor_irr[ok] > 0) == (r.investor_net[ok] > 0)).all()
    p_loss, _ = r.summary().probabilities["investor_loss"]
    assert p_loss == pytest.approx(r.investor_loss.mean())
    # The dated flows: the funding on START in every scenario, then the payments passed on
    # on their due dates; each scenario's flows add up to its net cash flow.
    assert r.investor_flow_days[0] == START
    assert (r.investor_flows[:, 0] == -investment.minor_units).all()
    assert all(d > START for d in r.investor_flow_days[1:])
    assert np.array_equal(r.investor_flows.sum(axis=1), r.investor_net)
    assert np.array_equal(r.investor_flows[:, 1:].sum(axis=1), r.payments)
    cols = r.columns()
    assert (cols[f"investor_{START.isoformat()}"] == -30_000).all()  # kroner


def test_caps_apply_per_scenario() -> None:
    # A contract cap of DKK 20,000: every scenario is cut to it on its own.
    r = run(scenarios=20, contract=simple_contract(cap=20_000), effect=Effect(job_entry=1.0))
    assert (r.payments <= 2_000_000).all()
    uncapped = run(scenarios=20, effect=Effect(job_entry=1.0))
    assert np.array_equal(r.payments, np.minimum(uncapped.payments, 2_000_000))


def test_targets_and_achievement() -> None:
    contract = simple_contract()
    contract = ib.Contract(
        **{
            **{f: getattr(contract, f) for f in ("id", "title", "parties", "currency")},
            "term_start": contract.term_start,
            "term_end": contract.term_end,
            "referral_start": contract.referral_start,
            "referral_end": contract.referral_end,
            "cohorts": [ib.CohortTerms("c", target_outcome="months", target=20)],
            "outcomes": contract.outcomes,
            "payment_rules": contract.payment_rules,
        }
    )
    r = run(scenarios=40, contract=contract, effect=Effect(job_entry=0.5))
    assert np.allclose(r.achieved[:, 0], r.months)
    p, _ = r.summary().probabilities["reach_target_c"]
    assert p == pytest.approx((r.months >= 20).mean())


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidInput, match="does not have"):
        run(referrals=Referrals({"nobody": 3}, start=START, weeks=1))
    with pytest.raises(InvalidInput, match="scenarios"):
        run(scenarios=0)
    with pytest.raises(InvalidInput, match="above -1"):
        Effect(job_entry=-1.0)
    with pytest.raises(InvalidInput, match="refer nobody"):
        Referrals({"c": 0}, start=START, weeks=1)


def test_too_many_citizens_are_refused_before_anything_is_allocated() -> None:
    # 10,000,001 citizens is one more than Referrals allows.
    with pytest.raises(InvalidInput, match="at most 10,000,000") as err:
        Referrals({"c": 10_000_000, "d": 1}, start=START, weeks=1)
    assert err.value.field == "counts"
    # 2,000,000 citizens x 1 week ... the simple contract's horizon: one scenario alone is
    # 40 bytes x 2e6 x weeks > 4 GiB once weeks >= 54 (4 * 2**30 / 8e7 = 53.7).
    with pytest.raises(InvalidInput, match="even one scenario is too large") as err:
        run(referrals=Referrals({"c": 2_000_000}, start=START, weeks=1), weeks=60, scenarios=1)
    assert err.value.field == "referrals"
    # 20,000 citizens x 60 weeks x 40 bytes = 48 MB per scenario: 4 GiB / 48e6 = 89.5, so a
    # block of 100 is refused and the message names 89 as the largest block that fits.
    with pytest.raises(InvalidInput, match="block_size <= 89") as err:
        run(referrals=Referrals({"c": 20_000}, start=START, weeks=1), weeks=60, block_size=100)
    assert err.value.field == "block_size"


def test_break_even_of_the_investor() -> None:
    # The investor breaks even where mean payments equal the investment: an investment of
    # 1.2 x the analytic counterfactual payments needs an effect above zero.
    investment = ib.Money(round(1.2 * 1000 * 20 * expected_months_per_person()), "DKK")
    financing = ib.Financing([ib.DatedAmount(START, investment)])
    kw = dict(
        as_of=AS_OF,
        referrals=Referrals({"c": 20}, start=START, weeks=1),
        scenarios=30,
        seed=2,
        financing=financing,
    )
    be = break_even_effect(
        simple_contract(),
        known_fit(),
        party="investor",
        planned=Effect(job_entry=1.0),
        tolerance=0.05,
        **kw,
    )
    assert be.factor is not None and be.factor > 0.05
    below = price(simple_contract(), known_fit(), effect=Effect(job_entry=be.factor - 0.05), **kw)
    above = price(simple_contract(), known_fit(), effect=Effect(job_entry=be.factor + 0.05), **kw)
    assert below.investor_net.mean() < 0 <= above.investor_net.mean()


def test_simulated_blocks_and_history_are_valid_register_tables() -> None:
    # The tables the Monte Carlo settles, and the history it calibrates on, are the canonical
    # tables the columnar Register reads: it accepts them as they are.
    from impactbond.examples import nyborg_history
    from impactbond.register import Register
    from impactbond.simulate import history_tables
    from impactbond.simulate import montecarlo as mc

    people, trajectories = nyborg_history()
    history = history_tables(people[:50], trajectories[:50])
    assert len(Register.from_tables(history.participants, history.spells).ids) == 50
    contract = simple_contract()
    referrals = Referrals({"c": 7}, start=START, weeks=3)
    plan = mc._plan(contract, known_fit(), referrals, AS_OF, None, None, None)
    params, paths, _ = np.random.default_rng(0).spawn(3)
    block = mc._simulate_block(plan, Effect(job_entry=0.5), 4, 3, params, paths, True)
    tables = mc._block_tables(plan, block)
    register = Register.from_tables(tables.participants, tables.spells)
    assert sorted(set(register.scenario.tolist())) == [8, 9, 10, 11, 12, 13]
    assert len(register.ids) == 2 * 3 * 7
