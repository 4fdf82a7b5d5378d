"""Benchmark: the follow-up measurer against employment months (not a timed test).

Run: .venv/bin/python benchmarks/bench_follow_ups.py [PARTICIPANTS]

On the synthetic register of ``_register_data`` (default 1,000,000
participants, about 3.75 spells each) under the Nyborg contract's clock as of
1 July 2026, measures best-of-3 the time of a ``status_at_follow_up`` outcome
with five follow-ups (6 to 30 months) and a 6-month look-back, and of the
Nyborg contract's ``employment_months`` outcome, each on a fresh context (so
each pays for its windows).  The last line is machine-readable:
``participants=<n> spells=<s> follow_up_seconds=<t> employment_months_seconds=<u>
follow_up_over_months=<r>``.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from _register_data import generate

import impactbond as ib
from impactbond.domain.outcome import StatusAtFollowUp
from impactbond.settle.clock import observe
from impactbond.settle.measure import MeasureContext, measure


def best_of(
    outcome: object, register: ib.Register, obs: object, runs: int = 3
) -> tuple[float, int]:
    best, items = float("inf"), 0
    for _ in range(runs):
        ctx = MeasureContext(register, obs)  # type: ignore[arg-type]
        t = time.perf_counter()
        m = measure(outcome, ctx)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - t)
        items = len(m.items)
    return best, items


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 1_000_000
    participants, spells = generate(n)
    register = ib.Register.from_tables(participants, spells)
    contract, _, _ = ib.examples.nyborg()
    obs = observe(contract, register, as_of=date(2026, 7, 1))
    follow_up = StatusAtFollowUp(
        "in_work",
        follow_up_months=[6, 12, 18, 24, 30],
        statuses=["employed", "education"],
        lookback_months=6,
        except_statuses=["disability_pension"],
    )
    t_fu, n_fu = best_of(follow_up, register, obs)
    t_em, n_em = best_of(contract.outcomes[0], register, obs)
    print(f"status_at_follow_up (5 follow-ups, 6-month look-back): {t_fu:.2f} s, {n_fu:,} items")
    print(f"employment_months (Nyborg): {t_em:.2f} s, {n_em:,} items")
    print(
        f"participants={n} spells={len(register.spell_row)} follow_up_seconds={t_fu:.2f} "
        f"employment_months_seconds={t_em:.2f} follow_up_over_months={t_fu / t_em:.2f}"
    )


if __name__ == "__main__":
    main(sys.argv)
