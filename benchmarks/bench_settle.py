"""Benchmark: settle a synthetic cohort of 100,000 participants (not a timed test).

Run: .venv/bin/python benchmarks/bench_settle.py [N]

Builds a cohort with the weekly Markov model of impactbond.simulate, settles
a contract with every outcome kind, a rate card, caps and invoice-stage
rounding, and prints its time together with a floor measured in the same
run: one sort of the resulting lines into earning order and one sum, the
least work that caps cutting in earning order must do.  Last line:
``participants=<n> lines=<k> settle_seconds=<s> ratio_to_floor=<r>``.
"""

from __future__ import annotations

import sys
import time
from datetime import date

import numpy as np

import impactbond as ib
from impactbond.simulate import synthetic_cohort


def contract() -> ib.Contract:
    return ib.Contract(
        id="bench",
        title="Benchmark contract",
        parties=ib.Parties("payer", "investor", "provider"),
        currency="DKK",
        term_start=date(2024, 1, 1),
        term_end=date(2028, 1, 1),
        referral_start=date(2024, 1, 1),
        referral_end=date(2025, 6, 1),
        cohorts=[
            ib.CohortTerms("sick_listed", target_outcome="months", target=100),
            ib.CohortTerms("unemployed", target_outcome="months", target=50),
        ],
        outcomes=[
            ib.EmploymentMonths(
                "months",
                weights={"employed": 1, "flexjob": "1/2", "wage_subsidy": "1/2"},
                hours_norm=37,
            ),
            ib.JobStart("start"),
            ib.Retention("kept", horizon_weeks=26),
            ib.Retention("same_job", horizon_weeks=26, same_employer=True),
            ib.Progression("steps"),
        ],
        payment_rules=[
            ib.PricePerUnit("pay_months", outcome="months", price=ib.Money("1500", "DKK")),
            ib.PricePerUnit("pay_kept", outcome="kept", price=ib.Money("5000", "DKK")),
            ib.PricePerUnit("pay_steps", outcome="steps", price=ib.Money("1000", "DKK")),
        ],
        caps=[
            ib.Cap("per_person", scope="participant", amount=ib.Money(40_000, "DKK")),
            ib.Cap("contract", scope="contract", amount=ib.Money(10**9, "DKK")),
        ],
        rounding_stage="invoice",
    )


def floor_seconds(settlement: ib.Settlement) -> float:
    """One sort of the settlement's lines into earning order plus one sum.

    Caps that cut in the order money was earned cannot do less than this.
    """
    lines = settlement.lines
    t0 = time.perf_counter()
    order = np.lexsort((lines.rule, lines.participant, lines.earned_on))
    int(lines.amount_minor[order].sum())
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    as_of = date(2026, 7, 1)
    t0 = time.perf_counter()
    people, trajectories = synthetic_cohort(n, start=date(2024, 1, 1), seed=1)
    t1 = time.perf_counter()
    c = contract()
    s = ib.settle(c, people, trajectories, as_of=as_of)
    t2 = time.perf_counter()
    floor = floor_seconds(s)
    spells = sum(len(t.spells) for t in trajectories)
    print(f"cohort: {n} participants, {spells} spells, built in {t1 - t0:.2f} s (not counted)")
    print(
        f"settle: {t2 - t1:.2f} s for {len(s.lines)} lines; due {s.total}, accrued {s.accrued_total}"
    )
    print(f"floor (one lexsort of the lines into earning order, one sum): {floor:.3f} s")
    print(
        f"participants={n} lines={len(s.lines)} settle_seconds={t2 - t1:.2f} "
        f"ratio_to_floor={(t2 - t1) / floor:.1f}"
    )


if __name__ == "__main__":
    main()
