"""Benchmark: price the Nyborg contract with 10,000 scenarios (not a timed test).

Run: .venv/bin/python benchmarks/bench_price.py [SCENARIOS] [BLOCK]

Calibrates the weekly status model on the embedded Nyborg register history,
then simulates and settles SCENARIOS (default 10,000) futures of the Nyborg
cohorts (60 sick-listed and 40 unemployed citizens, 132 weeks each), every
one with the programme's effect and without it (the counterfactual), in
blocks of BLOCK scenarios, with a progress bar on stderr.  Memory is
sampled (resident set size) after every block: it must stay flat as the
scenarios stream through.

Prints the figures, and a last machine-readable line:
``scenarios=<n> simulate_seconds=<s> settle_seconds=<s> reduce_seconds=<s>
total_seconds=<s> rss_first_block_mb=<m> rss_peak_mb=<m> target_seconds=15``.
The target (15 s on 2 cores) is for the columnar engine, which settles a
block of scenarios in one pass; today's engine settles one scenario at a time.
"""

from __future__ import annotations

import sys
import time
from datetime import date

import psutil

import impactbond as ib
from impactbond.examples import NYBORG_HISTORY_UNTIL, nyborg_history
from impactbond.simulate import (
    BenefitCosts,
    Effect,
    Referrals,
    calibrate,
    history_tables,
    price,
)


def main() -> None:
    scenarios = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    block = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    process = psutil.Process()
    contract, _, _ = ib.examples.nyborg()
    t0 = time.perf_counter()
    people, trajectories = nyborg_history()
    fit = calibrate(history_tables(people, trajectories), data_until=NYBORG_HISTORY_UNTIL)
    t_fit = time.perf_counter() - t0
    referrals = Referrals.over_referral_window(contract, {"sick_listed": 60, "unemployed": 40})
    rss: list[float] = []
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rss.append(process.memory_info().rss / 2**20)
        elapsed = time.perf_counter() - started
        width = 30
        bar = "#" * (width * done // total) + "." * (width - width * done // total)
        sys.stderr.write(
            f"\r[{bar}] {done}/{total} scenarios, {elapsed:.0f} s, rss {rss[-1]:.0f} MB"
        )
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    result = price(
        contract,
        fit,
        as_of=date(2027, 9, 1),
        referrals=referrals,
        effect=Effect(job_entry=0.5, job_stay=0.25),
        scenarios=scenarios,
        seed=1,
        benefit_costs=BenefitCosts.with_refusion_staircase(
            {
                "sickness_benefit": ib.Money(4500, "DKK"),
                "unemployment_benefit": ib.Money(4500, "DKK"),
            }
        ),
        block_size=block,
        progress=progress,
    )
    total = time.perf_counter() - started
    sec = result.seconds
    citizen_weeks = scenarios * 2 * 100 * result.weeks
    print(f"calibration: {t_fit:.2f} s on {len(people)} citizens")
    print(
        f"{scenarios} scenarios x 2 arms x 100 citizens x {result.weeks} weeks "
        f"= {citizen_weeks:,} citizen-weeks, blocks of {block}"
    )
    print(f"simulate (paths and tables): {sec['simulate']:.2f} s")
    print(f"settle:                      {sec['settle']:.2f} s")
    print(f"reduce (totals, savings):    {sec['reduce']:.2f} s")
    print(f"total:                       {total:.2f} s")
    print(f"rss after the first block {rss[0]:.0f} MB, peak {max(rss):.0f} MB")
    s = result.summary()
    print(f"mean payments DKK {s.measure('payments').mean:,.0f} ± {s.measure('payments').se:,.0f}")
    print(
        f"scenarios={scenarios} simulate_seconds={sec['simulate']:.2f} "
        f"settle_seconds={sec['settle']:.2f} reduce_seconds={sec['reduce']:.2f} "
        f"total_seconds={total:.2f} rss_first_block_mb={rss[0]:.0f} "
        f"rss_peak_mb={max(rss):.0f} target_seconds=15"
    )


if __name__ == "__main__":
    main()
