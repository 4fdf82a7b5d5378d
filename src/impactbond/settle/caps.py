"""Caps: money cut in earning order, on reduced totals, over any partition of the lines.

A cap counts money in the order it was earned - by day, then participant,
then rule - and cuts the first amount that would pass it to fit and every
later amount to nothing.  Caps apply in scope order: participant caps, then
cohort caps, then contract caps, then mix caps (limits on a share of the money
paid), each on the amounts the earlier caps left.

The lines may be split into *parts* (partitions of the participants in id
order, then the group lines): a participant cap reads one participant's lines,
which lie in one part; a cohort or contract cap needs, per group and day, the
money of the earlier days and of the earlier parts on that day.  Those are
reduced totals (one number per group and day), so a partitioned settlement
cuts exactly as a single one.  :func:`apply_caps` drives the rounds through a
*runner* that calls a part function on every part in order: locally a loop,
on a cluster one task per part (:mod:`impactbond.scale`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.domain.payment import Cap, CapScope
from impactbond.money import exact_bincount
from impactbond.settle.lines import LineBlock, price_fraction

__all__ = ["CapPart", "Runner", "apply_caps", "local_runner"]

I64 = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@attrs.define(eq=False)
class CapPart:
    """One part's lines (in earning order within each participant and day) and their money."""

    lines: LineBlock
    paid: I64
    scen: I64
    """Per line: the index of its scenario among all scenarios."""
    cut_line: list[I64] = attrs.field(factory=list)
    cut_cap: list[I64] = attrs.field(factory=list)
    cut_amount: list[I64] = attrs.field(factory=list)

    def record(self, ci: int, sel: I64, before: I64, after: I64) -> bool:
        cut = np.flatnonzero(after < before)
        if len(cut):
            self.cut_line.append(sel[cut])
            self.cut_cap.append(np.full(len(cut), ci, dtype=np.int64))
            self.cut_amount.append(before[cut] - after[cut])
            self.paid[sel] = after
        return bool(len(cut))

    def cuts(self) -> tuple[I64, I64, I64]:
        """``(line, cap, amount)``: one row per cap that cut a line, by line then cap."""
        if not self.cut_line:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        line = np.concatenate(self.cut_line)
        cap = np.concatenate(self.cut_cap)
        amount = np.concatenate(self.cut_amount)
        order = np.lexsort((cap, line))
        line, cap, amount = line[order], cap[order], amount[order]
        # A mix cap applied in two passes to one line is one cut.
        change = np.ones(len(line), dtype=bool)
        change[1:] = (line[1:] != line[:-1]) | (cap[1:] != cap[:-1])
        first = np.flatnonzero(change)
        return line[first], cap[first], np.add.reduceat(amount, first)


#: ``run(function, per_part_args)`` calls ``function(part, *per_part_args[p])`` for every part
#: ``p`` in order and returns the results; a function may change its part.
Runner = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], list[Any]]


def local_runner(parts: Sequence[CapPart]) -> Runner:
    """A runner over parts held in this process."""

    def run(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [fn(part, *a) for part, a in zip(parts, args, strict=True)]

    return run


# ------------------------------------------------------------------------------ part functions


def _limit(cap: Cap) -> int:
    return int(price_fraction(cap.amount, field="amount", clause=cap.clause, rule_id=cap.id))


def _covered(part: CapPart, contract: Contract, ci: int) -> BoolArray:
    cap = contract.caps[ci]
    lines = part.lines
    if len(lines) == 0:
        return np.zeros(0, dtype=bool)
    covered = np.array([cap.covers(r.id) for r in contract.payment_rules], dtype=bool)
    mask: BoolArray = covered[lines.rule]
    if cap.cohort is not None:
        mask &= lines.cohort == [c.label for c in contract.cohorts].index(cap.cohort)
    if cap.scope is CapScope.PARTICIPANT:
        mask &= lines.participant >= 0
    return mask


def _group(part: CapPart, contract: Contract, ci: int) -> I64:
    """The group of every line under cap ``ci``: (scenario, cohort) or scenario."""
    if contract.caps[ci].scope is CapScope.COHORT:
        grouped: I64 = part.scen * len(contract.cohorts) + part.lines.cohort
        return grouped
    return part.scen


def _segments(keys: npt.NDArray[Any]) -> BoolArray:
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return starts


def _running_before(values: I64, starts: BoolArray) -> I64:
    """Per position: the sum of the earlier values of its segment."""
    csum = np.cumsum(values)
    first = np.flatnonzero(starts)
    offset = np.repeat(np.r_[0, csum[:-1]][first], np.diff(np.r_[first, len(values)]))
    before: I64 = csum - offset - values
    return before


def _participant_cap(part: CapPart, contract: Contract, ci: int) -> bool:
    """A participant's lines lie in one part, contiguous and in earning order."""
    limit = _limit(contract.caps[ci])
    sel = np.flatnonzero(_covered(part, contract, ci))
    if len(sel) == 0:
        return False
    first = np.flatnonzero(_segments(part.lines.participant[sel]))
    over = np.add.reduceat(part.paid[sel], first) > limit
    if not over.any():  # only the participants above the cap are cut
        return False
    sel = sel[np.repeat(over, np.diff(np.r_[first, len(sel)]))]
    a = part.paid[sel]
    before = _running_before(a, _segments(part.lines.participant[sel]))
    return part.record(ci, sel, a, np.clip(limit - before, 0, a))


def _group_totals(part: CapPart, contract: Contract, ci: int, n_groups: int) -> I64:
    sel = _covered(part, contract, ci)
    return exact_bincount(_group(part, contract, ci)[sel], part.paid[sel], n_groups)


def _selected(part: CapPart, contract: Contract, ci: int, over: BoolArray) -> tuple[I64, I64]:
    """Covered lines of the groups over their limit, and their groups."""
    if ci >= 0:
        covered = _covered(part, contract, ci)
        group = _group(part, contract, ci)
    else:  # a mix cap: ``-1 - index`` in the contract's caps; groups are scenarios
        covered = _mix_covered(part, contract, -1 - ci)
        group = part.scen
    sel = np.flatnonzero(covered)
    sel = sel[over[group[sel]]]
    return sel, group[sel]


def _day_totals(
    part: CapPart, contract: Contract, ci: int, over: BoolArray, day_lo: int, n_days: int
) -> tuple[I64, I64]:
    """Sparse ``(key, money)`` per (group, day) of the covered lines, ``key = group * n_days + day``."""
    sel, group = _selected(part, contract, ci, over)
    key = group * n_days + (part.lines.earned_on[sel].astype(np.int64) - day_lo)
    if len(key) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    groups = np.flatnonzero(over)
    if len(groups) * n_days <= 1 << 24:  # dense over the groups that matter, then sparse
        local = np.searchsorted(groups, group) * n_days + (key % n_days)
        sums = exact_bincount(local, part.paid[sel], len(groups) * n_days)
        at = np.flatnonzero(sums)
        return groups[at // n_days] * n_days + at % n_days, sums[at]
    keys, where = np.unique(key, return_inverse=True)
    return keys, exact_bincount(where, part.paid[sel], len(keys))


def _apply_cut(
    part: CapPart,
    contract: Contract,
    ci: int,
    over: BoolArray,
    limit: I64,
    day_lo: int,
    n_days: int,
    offset_keys: I64,
    offset_values: I64,
    offset_ends: I64,
) -> bool:
    """Cut the covered lines given, per (group, day), the money earned before this part's
    lines on that day (earlier days, and earlier parts on the same day) and after them.

    A line on a day that ends within the limit is not cut, one on a day that starts at or
    above it is cut to nothing; only the lines of the day on which the limit is reached
    need the money before them within the day (in the part's table order).
    """
    sel, group = _selected(part, contract, ci, over)
    if len(sel) == 0 or len(offset_keys) == 0:
        return False
    key = group * n_days + (part.lines.earned_on[sel].astype(np.int64) - day_lo)
    # A key without money is not among the offsets: its lines are zero and stay zero.
    at = np.minimum(np.searchsorted(offset_keys, key), len(offset_keys) - 1)
    lim = limit[group]
    crossing = (offset_keys[at] == key) & (offset_ends[at] > lim)
    if not crossing.any():
        return False
    sel, key, at, lim = sel[crossing], key[crossing], at[crossing], lim[crossing]
    a = part.paid[sel]
    before = offset_values[at]
    binding = np.flatnonzero(before < lim)  # the day the limit is reached: in order
    if len(binding):
        order = binding[np.argsort(key[binding], kind="stable")]
        before[order] += _running_before(a[order], _segments(key[order]))
    return part.record(ci if ci >= 0 else -1 - ci, sel, a, np.clip(lim - before, 0, a))


def _mix_covered(part: CapPart, contract: Contract, index: int) -> BoolArray:
    cap = contract.caps[index]
    lines = part.lines
    if len(lines) == 0:
        return np.zeros(0, dtype=bool)
    covered: BoolArray = np.array([cap.covers(r.id) for r in contract.payment_rules], dtype=bool)[
        lines.rule
    ]
    if cap.cohort is not None:
        covered &= lines.cohort == [c.label for c in contract.cohorts].index(cap.cohort)
    return covered


def _mix_totals(part: CapPart, contract: Contract, index: int, n_scen: int) -> tuple[I64, I64]:
    covered = _mix_covered(part, contract, index)
    return (
        exact_bincount(part.scen[covered], part.paid[covered], n_scen),
        exact_bincount(part.scen[~covered], part.paid[~covered], n_scen),
    )


# ---------------------------------------------------------------------------------- driving


def _offsets(day_totals: list[tuple[I64, I64]], n_days: int) -> list[tuple[I64, I64, I64]]:
    """Per part, per (group, day) key: the money before its lines in earning order, and
    the money up to and including them."""
    keys: I64 = np.unique(np.concatenate([k for k, _ in day_totals])).astype(np.int64)
    per_part = np.zeros((len(day_totals), len(keys)), dtype=np.int64)
    for p, (k, v) in enumerate(day_totals):
        per_part[p, np.searchsorted(keys, k)] = v
    total = per_part.sum(axis=0)
    # Earlier days of the same group: a running sum over the keys of each group.
    group = keys // n_days
    before_day = _running_before(total, _segments(group))
    earlier_parts = np.cumsum(per_part, axis=0) - per_part
    return [
        (keys, before_day + earlier_parts[p], before_day + earlier_parts[p] + per_part[p])
        for p in range(len(day_totals))
    ]


def _cut_rounds(
    run: Runner,
    n_parts: int,
    contract: Contract,
    ci: int,
    over: BoolArray,
    limit: I64,
    day_lo: int,
    n_days: int,
) -> bool:
    same = [(contract, ci, over, day_lo, n_days)] * n_parts
    offsets = _offsets(run(_day_totals, same), n_days)
    changed = run(
        _apply_cut,
        [(contract, ci, over, limit, day_lo, n_days, k, v, e) for k, v, e in offsets],
    )
    return any(changed)


def apply_caps(
    contract: Contract,
    run: Runner,
    n_parts: int,
    *,
    n_scenarios: int,
    day_lo: int,
    n_days: int,
) -> None:
    """Apply every cap of ``contract`` to the parts ``run`` reaches, in scope order."""
    scope_rank = {CapScope.PARTICIPANT: 0, CapScope.COHORT: 1, CapScope.CONTRACT: 2}
    ordered = sorted(enumerate(contract.caps), key=lambda ic: (scope_rank[ic[1].scope], ic[0]))
    n_cohorts = len(contract.cohorts)
    for ci, cap in ordered:
        if cap.share_of_paid is not None:
            continue
        if cap.scope is CapScope.PARTICIPANT:
            run(_participant_cap, [(contract, ci)] * n_parts)
            continue
        n_groups = n_scenarios * (n_cohorts if cap.scope is CapScope.COHORT else 1)
        totals = sum(run(_group_totals, [(contract, ci, n_groups)] * n_parts))
        limit = np.full(n_groups, _limit(cap), dtype=np.int64)
        over = np.asarray(totals > limit, dtype=bool)
        if over.any():
            _cut_rounds(run, n_parts, contract, ci, over, limit, day_lo, n_days)
    _apply_mix_caps(contract, run, n_parts, n_scenarios, day_lo, n_days)


def _apply_mix_caps(
    contract: Contract, run: Runner, n_parts: int, n_scen: int, day_lo: int, n_days: int
) -> None:
    """Mix caps (``share_of_paid``), per scenario, repeated until each one holds.

    A covered total ``C`` beside the other money ``O`` is at most ``s`` of
    ``C + O`` exactly when ``C <= s O / (1 - s)``; the covered lines are cut
    in earning order (the latest go first) to the floor of that limit.
    Cutting only lowers amounts, so the caps applied before still hold, and
    the repetition ends: each pass that changes anything removes money.
    """
    mix = [index for index, cap in enumerate(contract.caps) if cap.share_of_paid is not None]
    changed = bool(mix)
    while changed:
        changed = False
        for index in mix:
            cap = contract.caps[index]
            share = cap.share_of_paid
            assert share is not None
            parts = run(_mix_totals, [(contract, index, n_scen)] * n_parts)
            covered = sum(c for c, _ in parts)
            others = sum(o for _, o in parts)
            limit = np.full(n_scen, _limit(cap), dtype=np.int64)
            if share < 1:
                by_share = np.array(
                    [
                        int(o) * share.numerator // (share.denominator - share.numerator)
                        for o in np.asarray(others).tolist()
                    ],
                    dtype=np.int64,
                )
                limit = np.minimum(limit, by_share)
            over = np.asarray(covered > limit, dtype=bool)
            if over.any() and _cut_rounds(
                run, n_parts, contract, -1 - index, over, limit, day_lo, n_days
            ):
                changed = True
