"""Group rules: what is decided over a whole cohort or contract, on reduced totals.

Target bonuses, effect tiers, savings shares and fixed fees are priced on
per-group totals (people, quantities by day); cohort, contract and mix caps
cut money in earning order by per-group, per-day totals.  A group is a
cohort within a scenario (cohort rules) or a scenario (contract rules).
Nothing here needs the lines in a global order: within one day the lines are
already in earning order (participant, then rule), and days are compared by
their totals, so a partitioned settlement reduces the same totals.

A new group rule kind is one function decorated with ``@group_rule(Kind)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.domain.payment import (
    CapScope,
    EffectTierPayment,
    FixedFee,
    SavingsSharePayment,
    TargetBonus,
)
from impactbond.domain.terms import ComparisonGroup
from impactbond.errors import SettlementError
from impactbond.money import Money, exact_bincount
from impactbond.settle.clock import Observation
from impactbond.settle.lines import LineBlock, price_fraction
from impactbond.settle.measure import Measured

__all__ = [
    "GROUP_RULES",
    "CapCut",
    "EffectFigures",
    "GroupContext",
    "SavingsFigures",
    "apply_caps",
    "group_rule",
]

I64 = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# ------------------------------------------------------------------------------ context


@attrs.frozen(eq=False)
class GroupContext:
    """Settled participants by group, and what the group rules read."""

    contract: Contract
    obs: Observation
    cohort: I64
    """Per settled row: the contract cohort index."""
    scenario: I64
    """Per settled row: the scenario value."""
    scenarios: I64
    """The distinct scenario values, sorted (``[0]`` without scenarios)."""
    scenario_index: I64
    """Per settled row: the index into ``scenarios``."""
    measured: Mapping[str, Measured]
    comparison: Any = None

    @property
    def n_cohorts(self) -> int:
        return len(self.contract.cohorts)

    @property
    def n_groups(self) -> int:
        return len(self.scenarios) * self.n_cohorts

    def group_of_rows(self, rows: I64) -> I64:
        """(scenario, cohort) group of settled rows."""
        return self.scenario_index[rows] * self.n_cohorts + self.cohort[rows]

    def people(self) -> I64:
        """Settled people per (scenario, cohort) group."""
        return np.bincount(self.group_of_rows(np.arange(len(self.cohort))), minlength=self.n_groups)

    def day_span(self) -> tuple[int, int]:
        """Days ``[lo, hi)`` inside which every line is earned (the same in every partition)."""
        from impactbond.domain.payment import FixedFee

        c = self.contract
        lo = min(c.term_start.toordinal(), c.referral_start.toordinal())
        for rule in c.payment_rules:
            if isinstance(rule, FixedFee):
                lo = min(lo, min(i.on.toordinal() for i in rule.instalments))
        return lo, self.obs.measure_end

    def outcome_index(self, outcome_id: str) -> int:
        return [o.id for o in self.contract.outcomes].index(outcome_id)

    def group_lines(
        self,
        rule: int,
        groups: I64,
        days: I64,
        *,
        outcome: int = -1,
        quantity_num: I64 | int = 1,
        quantity_den: I64 | int = 1,
        price: Fraction,
    ) -> LineBlock:
        """One group line per entry of ``groups`` (a (scenario, cohort) group index)."""
        n = len(groups)
        return LineBlock.build(
            n,
            participant=-1,
            scenario=self.scenarios[groups // self.n_cohorts] if n else groups,
            cohort=groups % self.n_cohorts,
            outcome=outcome,
            rule=rule,
            period_start=days,
            period_end=days + 1,
            earned_on=days,
            quantity_num=quantity_num,
            quantity_den=quantity_den,
            price_num=price.numerator,
            price_den=price.denominator,
        )


@attrs.frozen
class EffectFigures:
    """The figures behind an effect payment of one cohort (in one scenario)."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    people: int
    with_outcome: int
    treated_rate: Fraction
    comparison_rate: Fraction
    comparison_people: int | None
    comparison_source: str
    effect: Fraction
    gate: Fraction
    passed_gate: bool
    pooled_effect: Fraction
    pooled_gate: Fraction | None
    passed_pooled_gate: bool
    payment: Money
    """The payment per cohort (or per participant with ``per_participant``); zero if not paid."""

    @property
    def paid(self) -> bool:
        """True if the cohort was paid."""
        return (self.passed_gate or self.passed_pooled_gate) and self.payment.amount > 0

    def words(self) -> str:
        """Why this cohort was paid or not, in one sentence."""
        pct = _pct
        verb = "reduction" if self.effect >= 0 else "change"
        head = (
            f"{self.cohort}: {verb} {pct(self.effect)} (treated {pct(self.treated_rate)} of "
            f"{self.people}, comparison {pct(self.comparison_rate)})"
        )
        if self.passed_gate:
            tail = f"at or above its {pct(self.gate)} gate"
        elif self.passed_pooled_gate:
            tail = (
                f"below its {pct(self.gate)} gate; pooled {pct(self.pooled_effect)}, at or above "
                f"{pct(self.pooled_gate or Fraction(0))}"
            )
        else:
            pooled = (
                f"; pooled {pct(self.pooled_effect)}, below {pct(self.pooled_gate)}"
                if self.pooled_gate is not None
                else ""
            )
            tail = f"below its {pct(self.gate)} gate{pooled}"
        money = f": {self.payment}" if self.paid else ": no payment"
        return f"{head}, {tail}{money}"


def _pct(q: Fraction) -> str:
    value = q * 100
    return f"{float(value):.1f}%" if value.denominator != 1 else f"{value.numerator}%"


@attrs.frozen
class SavingsFigures:
    """The figures behind a savings-share payment of one cohort."""

    rule: str
    scenario: int
    cohort: str
    measured_on: date
    people: int
    saving_per_person_minor: Fraction
    share: Fraction
    payment_minor: Fraction

    @property
    def paid(self) -> bool:
        return self.payment_minor > 0


# ------------------------------------------------------------------------------ registry

G = TypeVar("G")
GroupPricer = Callable[[Any, int, GroupContext], tuple[LineBlock, list[Any]]]
GROUP_RULES: dict[type, GroupPricer] = {}


def group_rule(
    kind: type[G],
) -> Callable[[Callable[[G, int, GroupContext], tuple[LineBlock, list[Any]]]], GroupPricer]:
    """Register the pricer of one group rule kind."""

    def register(fn: Callable[[G, int, GroupContext], tuple[LineBlock, list[Any]]]) -> GroupPricer:
        GROUP_RULES[kind] = fn
        return fn

    return register


@group_rule(TargetBonus)
def _target_bonus(rule: TargetBonus, index: int, g: GroupContext) -> tuple[LineBlock, list[Any]]:
    """Paid once, on the day a cohort's running total of the outcome reaches the target."""
    m = g.measured[rule.outcome]
    ci = [c.label for c in g.contract.cohorts].index(rule.cohort)
    items = m.items
    mine = np.flatnonzero(g.cohort[items.row] == ci) if len(items) else items.row
    lo, hi = g.day_span()
    n_days = hi - lo
    scen = g.scenario_index[items.row[mine]]
    keys = scen * n_days + (items.earned_on[mine] - lo)
    n_scen = len(g.scenarios)
    # Running totals are whole numerators: reaching the target is reaching its ceiling.
    target = math.ceil(rule.target * m.den)
    groups: list[int] = []
    days: list[int] = []
    if n_scen * n_days <= 2**25:
        per_day = exact_bincount(keys, items.num[mine], n_scen * n_days).reshape(n_scen, n_days)
        running = np.cumsum(per_day, axis=1)
        reached = running >= target
        hit = np.flatnonzero(reached.any(axis=1))
        for s in hit.tolist():
            groups.append(s * g.n_cohorts + ci)
            days.append(lo + int(np.argmax(reached[s])))
    else:  # many scenarios: sort the items of this cohort instead of a dense grid
        order = np.argsort(keys, kind="stable")
        k, v = keys[order], items.num[mine][order]
        s_of = k // n_days
        starts = np.r_[True, s_of[1:] != s_of[:-1]] if len(k) else np.zeros(0, dtype=bool)
        first = np.flatnonzero(starts)
        running = np.cumsum(v) - np.repeat(
            np.r_[0, np.cumsum(v)[:-1]][first], np.diff(np.r_[first, len(v)])
        )
        done = running >= target
        seen: set[int] = set()
        for pos in np.flatnonzero(done).tolist():
            s = int(s_of[pos])
            if s not in seen:
                seen.add(s)
                groups.append(s * g.n_cohorts + ci)
                days.append(lo + int(k[pos] % n_days))
    bonus = price_fraction(rule.bonus, field="bonus", clause=rule.clause, rule_id=rule.id)
    block = g.group_lines(
        index,
        np.array(groups, dtype=np.int64),
        np.array(days, dtype=np.int64),
        outcome=g.outcome_index(rule.outcome),
        price=bonus,
    )
    return block, []


def _comparison(
    rule: EffectTierPayment, labels: list[str], given: Any
) -> dict[str, ComparisonGroup]:
    if given is not None:
        if isinstance(given, Mapping):
            out = {}
            for label in labels:
                if label not in given:
                    raise SettlementError(
                        f"the comparison has no group for cohort {label!r}",
                        field="comparison",
                        clause=rule.clause or None,
                        rule="a comparison names a group for every cohort the rule measures",
                    )
                item = given[label]
                out[label] = (
                    item
                    if isinstance(item, ComparisonGroup)
                    else ComparisonGroup.from_counts(people=item[0], with_outcome=item[1])
                )
            return out
        group = ComparisonGroup.from_settlement(given, rule.outcome, "comparison panel")
        return dict.fromkeys(labels, group)
    if rule.comparison_rate is None:
        raise SettlementError(
            f"rule {rule.id} has no comparison rate and settle() was given no comparison",
            field="comparison",
            clause=rule.clause or None,
            rule="an effect is measured against a published rate or a comparison panel",
        )
    group = ComparisonGroup(rule.comparison_rate, rule.comparison_people, rule.comparison_source)
    return dict.fromkeys(labels, group)


def _relative(rule: EffectTierPayment, treated: Fraction, comparison: Fraction) -> Fraction:
    if comparison == 0:
        raise SettlementError(
            "a comparison rate of zero gives no relative effect",
            field="comparison",
            clause=rule.clause or None,
            rule="a relative effect needs a comparison rate above zero",
        )
    ratio = treated / comparison
    return 1 - ratio if rule.direction == "reduction" else ratio - 1


@group_rule(EffectTierPayment)
def _effect_tiers(
    rule: EffectTierPayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort: the share of people with the outcome by ``measured_on``, against the comparison."""
    assert rule.measured_on is not None
    day = rule.measured_on.toordinal()
    if not g.obs.earned(np.array([day]))[0]:
        return g.group_lines(
            index, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), price=Fraction(0)
        ), []
    m = g.measured[rule.outcome]
    items = m.items
    upto = items.earned_on <= day
    had = np.zeros(len(g.cohort), dtype=bool)
    had[items.row[upto]] = True
    labels = [c.label for c in g.contract.cohorts]
    people = g.people()
    rows = np.arange(len(g.cohort))
    with_outcome = np.bincount(g.group_of_rows(rows[had]), minlength=g.n_groups)
    mine = [ci for ci, label in enumerate(labels) if rule.applies_to(label)]
    table = rule.table
    currency = table.currency
    groups, prices, quantities = [], [], []
    figures: list[EffectFigures] = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        present = [ci for ci in mine if people[si * g.n_cohorts + ci] > 0]
        if not present:
            continue
        comparisons = _comparison(rule, [labels[ci] for ci in present], g.comparison)
        rates = []
        pooled_t = pooled_c = Fraction(0)
        total = 0
        for ci in present:
            gi = si * g.n_cohorts + ci
            n_people = int(people[gi])
            treated = Fraction(int(with_outcome[gi]), n_people)
            comp = comparisons[labels[ci]]
            rates.append((ci, gi, n_people, treated, comp))
            pooled_t += n_people * treated
            pooled_c += n_people * comp.rate
            total += n_people
        pooled = _relative(rule, pooled_t / total, pooled_c / total)
        pooled_ok = rule.pooled_gate is not None and pooled >= rule.pooled_gate
        for ci, gi, n_people, treated, comp in rates:
            effect = _relative(rule, treated, comp.rate)
            ok = effect >= rule.gate or pooled_ok
            pay = table.payment_for(effect) if ok else Money.zero(currency)
            figures.append(
                EffectFigures(
                    rule=rule.id,
                    scenario=int(scenario),
                    cohort=labels[ci],
                    measured_on=rule.measured_on,
                    people=n_people,
                    with_outcome=int(with_outcome[gi]),
                    treated_rate=treated,
                    comparison_rate=comp.rate,
                    comparison_people=comp.people,
                    comparison_source=comp.source,
                    effect=effect,
                    gate=rule.gate,
                    passed_gate=effect >= rule.gate,
                    pooled_effect=pooled,
                    pooled_gate=rule.pooled_gate,
                    passed_pooled_gate=pooled_ok,
                    payment=pay,
                )
            )
            if pay.amount > 0:
                groups.append(gi)
                prices.append(
                    price_fraction(pay, field="tiers", clause=rule.clause, rule_id=rule.id)
                )
                quantities.append(n_people if rule.per_participant else 1)
    block_parts = [
        g.group_lines(
            index,
            np.array([gi], dtype=np.int64),
            np.array([day], dtype=np.int64),
            outcome=g.outcome_index(rule.outcome),
            quantity_num=q,
            price=p,
        )
        for gi, p, q in zip(groups, prices, quantities, strict=True)
    ]
    from impactbond.settle.lines import concat

    return concat(block_parts), figures


@group_rule(SavingsSharePayment)
def _savings_share(
    rule: SavingsSharePayment, index: int, g: GroupContext
) -> tuple[LineBlock, list[Any]]:
    """Per cohort on ``measured_on``: the shared saving per person times the settled people."""
    day = rule.measured_on.toordinal()
    from impactbond.settle.lines import concat

    if not g.obs.earned(np.array([day]))[0]:
        return concat([]), []
    saving = rule.saving_per_person(g.contract.currency)
    shared = saving * rule.share
    labels = [c.label for c in g.contract.cohorts]
    people = g.people()
    parts = []
    figures = []
    for si, scenario in enumerate(g.scenarios.tolist()):
        for ci, label in enumerate(labels):
            gi = si * g.n_cohorts + ci
            if not rule.applies_to(label) or people[gi] == 0:
                continue
            n_people = int(people[gi])
            figures.append(
                SavingsFigures(
                    rule.id,
                    int(scenario),
                    label,
                    rule.measured_on,
                    n_people,
                    saving,
                    rule.share,
                    max(shared, Fraction(0)) * n_people,
                )
            )
            if shared <= 0:
                continue
            parts.append(
                g.group_lines(
                    index,
                    np.array([gi], dtype=np.int64),
                    np.array([day], dtype=np.int64),
                    quantity_num=n_people,
                    price=shared,
                )
            )
    return concat(parts), figures


@group_rule(FixedFee)
def _fixed_fee(rule: FixedFee, index: int, g: GroupContext) -> tuple[LineBlock, list[Any]]:
    """Each instalment on its date, once per scenario, in the rule's cohort."""
    from impactbond.settle.lines import concat

    labels = [c.label for c in g.contract.cohorts]
    ci = labels.index(rule.cohort) if rule.cohort is not None else 0
    parts = []
    for si in range(len(g.scenarios)):
        for item in rule.instalments:
            day = item.on.toordinal()
            if item.amount.amount <= 0 or not g.obs.earned(np.array([day]))[0]:
                continue
            parts.append(
                g.group_lines(
                    index,
                    np.array([si * g.n_cohorts + ci], dtype=np.int64),
                    np.array([day], dtype=np.int64),
                    price=price_fraction(
                        item.amount, field="instalments", clause=rule.clause, rule_id=rule.id
                    ),
                )
            )
    return concat(parts), []


# ---------------------------------------------------------------------------------- caps


@attrs.frozen(eq=False)
class CapCut:
    """The cuts of all caps: one row per cap that cut a line."""

    line: I64
    cap: I64
    amount: I64


def _segments(keys: I64) -> npt.NDArray[np.bool_]:
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def _cut_in_earning_order(
    paid: I64,
    sel: I64,
    group: I64,
    day: I64,
    limit: I64,
    n_groups: int,
    day_lo: int,
    n_days: int,
) -> I64:
    """Amounts of lines ``sel`` (in earning order within each day) cut so that each group's
    running total in earning order stays within ``limit[group]``; returns the new amounts."""
    a = paid[sel]
    g = group[sel]
    d = day[sel] - day_lo
    per_day = exact_bincount(g * n_days + d, a, n_groups * n_days).reshape(n_groups, n_days)
    through = np.cumsum(per_day, axis=1)
    before_day = (through - per_day)[g, d]
    through_day = through[g, d]
    lim = limit[g]
    out = a.copy()
    out[before_day >= lim] = 0
    crossing = np.flatnonzero((before_day < lim) & (through_day > lim))
    if len(crossing):
        # Lines on a crossing day, in array (earning) order within their (group, day).
        key = g[crossing] * n_days + d[crossing]
        order = np.argsort(key, kind="stable")
        idx = crossing[order]
        k = key[order]
        starts = _segments(k)
        csum = np.cumsum(a[idx])
        first = np.flatnonzero(starts)
        offset = np.repeat(np.r_[0, csum[:-1]][first], np.diff(np.r_[first, len(idx)]))
        before = before_day[idx] + (csum - offset) - a[idx]
        out[idx] = np.clip(lim[idx] - before, 0, a[idx])
    return out


def apply_caps(
    contract: Contract,
    lines: LineBlock,
    amount: I64,
    n_people: int,
    g: GroupContext,
) -> tuple[I64, CapCut]:
    """Caps in scope order (participant, cohort, contract), then mix caps, each in earning order.

    ``lines`` are in the line table's order: participant lines by participant,
    earning day and rule, then group lines by day and rule.
    """
    paid = amount.copy()
    cut_line: list[I64] = []
    cut_cap: list[I64] = []
    cut_amount: list[I64] = []
    rule_ids = [r.id for r in contract.payment_rules]
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    scope_rank = {CapScope.PARTICIPANT: 0, CapScope.COHORT: 1, CapScope.CONTRACT: 2}
    order = sorted(enumerate(contract.caps), key=lambda ic: (scope_rank[ic[1].scope], ic[0]))
    lo, hi = g.day_span()
    n_days = hi - lo
    scen = np.searchsorted(g.scenarios, lines.scenario)

    def record(ci: int, sel: I64, before: I64, after: I64) -> None:
        cut = np.flatnonzero(after < before)
        if len(cut):
            cut_line.append(sel[cut])
            cut_cap.append(np.full(len(cut), ci, dtype=np.int64))
            cut_amount.append(before[cut] - after[cut])

    for ci, cap in order:
        if cap.share_of_paid is not None:
            continue
        covered = np.array([cap.covers(r) for r in rule_ids], dtype=bool)
        mask = covered[lines.rule] if len(lines) else np.zeros(0, dtype=bool)
        limit_minor = int(
            price_fraction(cap.amount, field="amount", clause=cap.clause, rule_id=cap.id)
        )
        if cap.scope is CapScope.PARTICIPANT:
            sel = np.flatnonzero(mask & (lines.participant >= 0))
            if len(sel) == 0:
                continue
            # Participant lines are contiguous per participant, in earning order; only the
            # participants whose lines add up to more than the cap are cut.
            starts = _segments(lines.participant[sel])
            first = np.flatnonzero(starts)
            totals = np.add.reduceat(paid[sel], first)
            over = totals > limit_minor
            if not over.any():
                continue
            length = np.diff(np.r_[first, len(sel)])
            sel = sel[np.repeat(over, length)]
            starts = _segments(lines.participant[sel])
            a = paid[sel]
            csum = np.cumsum(a)
            first = np.flatnonzero(starts)
            offset = np.repeat(np.r_[0, csum[:-1]][first], np.diff(np.r_[first, len(sel)]))
            before = csum - offset - a
            after = np.clip(limit_minor - before, 0, a)
        else:
            if cap.scope is CapScope.COHORT:
                if cap.cohort is not None:
                    mask &= lines.cohort == cohort_index[cap.cohort]
                group = scen * g.n_cohorts + lines.cohort
                n_groups = len(g.scenarios) * g.n_cohorts
            else:
                group = scen
                n_groups = len(g.scenarios)
            sel = np.flatnonzero(mask)
            if len(sel) == 0:
                continue
            # Only the groups whose money passes the cap are cut.
            over = exact_bincount(group[sel], paid[sel], n_groups) > limit_minor
            if not over.any():
                continue
            sel = sel[over[group[sel]]]
            limit = np.full(n_groups, limit_minor, dtype=np.int64)
            after = _cut_in_earning_order(
                paid, sel, group, lines.earned_on, limit, n_groups, lo, n_days
            )
            a = paid[sel]
        record(ci, sel, a, after)
        paid[sel] = after
    _apply_mix_caps(contract, lines, paid, scen, g, record, lo, n_days)
    if cut_line:
        line = np.concatenate(cut_line)
        cap_col = np.concatenate(cut_cap)
        amt = np.concatenate(cut_amount)
        order_ = np.lexsort((cap_col, line))
        line, cap_col, amt = line[order_], cap_col[order_], amt[order_]
        # A mix cap applied twice to one line is one cut.
        first = np.flatnonzero(np.r_[True, (line[1:] != line[:-1]) | (cap_col[1:] != cap_col[:-1])])
        cuts = CapCut(line[first], cap_col[first], np.add.reduceat(amt, first))
    else:
        z = np.zeros(0, dtype=np.int64)
        cuts = CapCut(z, z, z)
    del n_people
    return paid, cuts


def _apply_mix_caps(
    contract: Contract,
    lines: LineBlock,
    paid: I64,
    scen: I64,
    g: GroupContext,
    record: Callable[[int, I64, I64, I64], None],
    lo: int,
    n_days: int,
) -> None:
    """Mix caps (``share_of_paid``), per scenario, repeated until each one holds.

    A covered total ``C`` beside the other money ``O`` is at most ``s`` of
    ``C + O`` exactly when ``C <= s O / (1 - s)``; the covered lines are cut
    in earning order (the latest go first) to the floor of that limit.
    Cutting only lowers amounts, so the caps applied before still hold, and
    the repetition ends: each pass that changes anything removes money.
    """
    mix = [(ci, cap) for ci, cap in enumerate(contract.caps) if cap.share_of_paid is not None]
    if not mix or len(paid) == 0:
        return
    rule_ids = [r.id for r in contract.payment_rules]
    cohort_index = {c.label: i for i, c in enumerate(contract.cohorts)}
    n_scen = len(g.scenarios)
    masks = []
    for _, cap in mix:
        covered = np.array([cap.covers(r) for r in rule_ids], dtype=bool)[lines.rule]
        if cap.cohort is not None:
            covered &= lines.cohort == cohort_index[cap.cohort]
        masks.append(covered)
    changed = True
    while changed:
        changed = False
        for (ci, cap), covered in zip(mix, masks, strict=True):
            share = cap.share_of_paid
            assert share is not None
            covered_total = exact_bincount(scen[covered], paid[covered], n_scen)
            others = exact_bincount(scen[~covered], paid[~covered], n_scen)
            limit_minor = int(
                price_fraction(cap.amount, field="amount", clause=cap.clause, rule_id=cap.id)
            )
            limit = np.full(n_scen, limit_minor, dtype=np.int64)
            if share < 1:
                by_share = np.array(
                    [
                        int(o) * share.numerator // (share.denominator - share.numerator)
                        for o in others.tolist()
                    ],
                    dtype=np.int64,
                )
                limit = np.minimum(limit, by_share)
            if not np.any(covered_total > limit):
                continue
            sel = np.flatnonzero(covered)
            after = _cut_in_earning_order(
                paid, sel, scen, lines.earned_on, limit, n_scen, lo, n_days
            )
            before = paid[sel]
            if np.any(after < before):
                record(ci, sel, before, after)
                paid[sel] = after
                changed = True
