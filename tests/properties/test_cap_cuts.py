"""A cohort or contract cap cuts lines in earning order (by day; on one day in the order of
the line table), held equal to a slow, obviously correct walk over the lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import impactbond as ib
from tests.properties.test_settle_properties import as_of_dates, cohorts, contracts


def _walk(s: ib.Settlement, contract: ib.Contract, cap: ib.Cap) -> list[int]:
    """Every line's amount after the one cap: a running total per group, line by line."""
    ln = s.lines
    before = [int(a) for a in ln.amount_before_caps]
    rule_ids = [r.id for r in contract.payment_rules]
    labels = [c.label for c in contract.cohorts]
    limit = cap.amount.minor_units
    order = sorted(range(len(ln)), key=lambda i: (int(ln.earned_on[i]), i))
    spent: dict[int, int] = {}
    after = list(before)
    for i in order:
        if not cap.covers(rule_ids[int(ln.rule[i])]):
            continue
        if cap.cohort is not None and labels[int(ln.cohort[i])] != cap.cohort:
            continue
        group = int(ln.cohort[i]) if cap.scope is ib.CapScope.COHORT else 0
        room = max(limit - spent.get(group, 0), 0)
        after[i] = min(before[i], room)
        spent[group] = spent.get(group, 0) + before[i]
    return after


@given(
    contracts(caps=False),
    cohorts(max_people=12),
    as_of_dates,
    st.sampled_from(["cohort", "contract"]),
    st.integers(0, 3_000_000),
    st.sampled_from([None, "a"]),
)
def test_a_group_cap_cuts_in_earning_order(
    contract: ib.Contract,
    cohort: tuple[list[ib.Participant], list[ib.Trajectory]],
    as_of: date,
    scope: str,
    limit_minor: int,
    cap_cohort: str | None,
) -> None:
    cap = ib.Cap(
        "cap", scope=scope, amount=ib.Money(Decimal(limit_minor) / 100, "DKK"), cohort=cap_cohort
    )
    capped = attrs.evolve(contract, caps=[cap], rounding_stage=ib.RoundingStage.LINE)
    s = ib.settle(capped, *cohort, as_of=as_of)
    assert s.lines.amount.tolist() == _walk(s, capped, cap)
    # Every cut is recorded, once, against the cap.
    cut = np.asarray(s.lines.amount_before_caps) - np.asarray(s.lines.amount)
    assert int(cut.sum()) == int(np.asarray(s.cuts.amount).sum())
