"""Slow, obviously correct reference implementations of the core kernels.

Plain Python loops, one day or one period at a time, exact ``Fraction``
arithmetic, no numpy tricks.  Hypothesis holds the fast kernels in
``impactbond.core`` equal to these.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

Spell = tuple[int, int, int, int]  # (row, start, end, weight): [start, end) in day numbers


def month_day_matrix(
    spells: Sequence[Spell],
    windows: Sequence[tuple[int, int]],
    month_starts: Sequence[int],
) -> tuple[list[list[int]], list[list[int]]]:
    """Weighted employed days and window days per row and month, day by day."""
    n_months = len(month_starts) - 1
    weighted = [[0] * n_months for _ in windows]
    window_days = [[0] * n_months for _ in windows]
    for r, (w_start, w_end) in enumerate(windows):
        for m in range(n_months):
            for day in range(month_starts[m], month_starts[m + 1]):
                if not w_start <= day < w_end:
                    continue
                window_days[r][m] += 1
                for row, start, end, weight in spells:
                    if row == r and start <= day < end:
                        weighted[r][m] += weight
    return weighted, window_days


def months(
    spells: Sequence[Spell],
    windows: Sequence[tuple[int, int]],
    month_starts: Sequence[int],
    weight_denominator: int,
    convention: str,
) -> list[Fraction]:
    """Employment months per row under a daily convention, as exact fractions."""
    weighted, window_days = month_day_matrix(spells, windows, month_starts)
    result = []
    for r in range(len(windows)):
        total = Fraction(0)
        for m in range(len(month_starts) - 1):
            in_month = month_starts[m + 1] - month_starts[m]
            employed = Fraction(weighted[r][m], weight_denominator)  # full-time days
            window = window_days[r][m]
            if convention == "pro_rata_days":
                total += employed / in_month
            elif convention == "days_30":
                total += employed / 30
            else:
                if convention == "whole_months":
                    counts = window > 0 and employed >= window
                elif convention == "half_month":
                    counts = window > 0 and employed >= Fraction(window, 2)
                elif convention == "any_day":
                    counts = employed > 0
                else:
                    raise ValueError(convention)
                if counts:
                    total += Fraction(window, in_month)
        result.append(total)
    return result


def employed_weeks(
    panel: Sequence[Sequence[int]],
    windows: Sequence[tuple[int, int]],
    weight_table: Sequence[int],
) -> list[int]:
    """Sum of the weight of each period's status inside the row's window."""
    result = []
    for row, (start, end) in zip(panel, windows, strict=True):
        total = 0
        for t, code in enumerate(row):
            if start <= t < end:
                total += weight_table[code % 256]
        result.append(total)
    return result


def job_start(
    panel: Sequence[Sequence[int]],
    employed: Sequence[bool],
    windows: Sequence[tuple[int, int]],
) -> list[int]:
    """First employed period in the window, -1 if none."""
    result = []
    for row, (start, end) in zip(panel, windows, strict=True):
        found = -1
        for t, code in enumerate(row):
            if start <= t < end and employed[code % 256]:
                found = t
                break
        result.append(found)
    return result


def retention_at(
    panel: Sequence[Sequence[int]],
    employed: Sequence[bool],
    starts: Sequence[int],
    horizon: int,
    as_of: int,
    employer: Sequence[Sequence[int]] | None = None,
) -> list[tuple[bool, bool, bool, bool]]:
    """(eligible, censored, retained, same_employer) per row."""
    result = []
    for r, (row, start) in enumerate(zip(panel, starts, strict=True)):
        if start < 0:
            result.append((False, False, False, False))
            continue
        target = start + horizon
        if target >= as_of or target >= len(row):
            result.append((True, True, False, False))
            continue
        retained = employed[row[target] % 256]
        same = False
        if employer is not None and retained:
            same = employer[r][start] != 0 and employer[r][target] == employer[r][start]
        result.append((True, False, retained, same))
    return result


def sustained_employment(
    panel: Sequence[Sequence[int]],
    employed: Sequence[bool],
    starts: Sequence[int],
    window_ends: Sequence[int],
    weeks: int,
    allowed_gap: int,
    cumulative: bool,
    as_of: int,
) -> list[tuple[bool, int, bool]]:
    """(achieved, achieved_at, censored) per row, walking period by period."""
    result = []
    for row, start, window_end in zip(panel, starts, window_ends, strict=True):
        if start < 0:
            result.append((False, -1, False))
            continue
        limit = min(window_end, as_of, len(row))
        count = 0
        gap = 0
        achieved_at = -1
        for t in range(start, limit):
            if employed[row[t] % 256]:
                count += 1
                gap = 0
                if count >= weeks:
                    achieved_at = t
                    break
            elif not cumulative:
                gap += 1
                if gap > allowed_gap:
                    count = 0
        achieved = achieved_at >= 0
        censored = not achieved and window_end > min(as_of, len(row))
        result.append((achieved, achieved_at, censored))
    return result


def job_spell_duration(
    row: Sequence[int],
    employed: Sequence[bool],
    start: int,
    as_of: int,
    allowed_gap: int,
) -> tuple[int, bool]:
    """(duration, observed) of the employment spell beginning at ``start``."""
    limit = min(as_of, len(row))
    if start < 0 or start >= limit:
        return 0, False
    if not employed[row[start] % 256]:
        return 0, True
    last = start
    gap = 0
    for t in range(start + 1, limit):
        if employed[row[t] % 256]:
            last = t
            gap = 0
        else:
            gap += 1
            if gap > allowed_gap:
                return last + 1 - start, True
    return last + 1 - start, False


def sample_path(
    matrices: Sequence[Sequence[Sequence[float]]],
    band_of_step: Sequence[int],
    initial: int,
    uniforms: Sequence[float],
) -> list[int]:
    """One person's weekly states, by inverse transform over (stay, the others in order).

    ``matrices[b][i][j]``: the probability of moving from ``i`` to ``j`` in a
    week of band ``b``.  A week's number ``u`` keeps the state when ``u <
    p[i][i]``; otherwise the destination is the first other state ``j``
    (in order) whose running share of the leaving probability exceeds
    ``(u - p[i][i]) / (1 - p[i][i])``.
    """
    state = initial
    path = [state]
    for t, u in enumerate(uniforms):
        row = matrices[band_of_step[t]][state]
        stay = row[state]
        if u >= stay:
            leave = sum(p for j, p in enumerate(row) if j != state)
            v = (u - stay) / (1 - stay)
            running = 0.0
            chosen = None
            for j, p in enumerate(row):
                if j == state or p == 0:
                    continue
                running += p / leave
                if v < running:
                    chosen = j
                    break
            if chosen is None:  # v at the very top: the last state with a share
                chosen = max(j for j, p in enumerate(row) if j != state and p > 0)
            state = chosen
        path.append(state)
    return path


def municipal_cost_of_runs(
    runs: Sequence[tuple[int, int, int]],
    weekly: dict[int, int],
    shares: dict[int, list[tuple[int, Fraction]]],
) -> Fraction:
    """The municipality's cost of benefit runs ``(status, first benefit week, weeks)``, exactly.

    ``weekly[status]``: minor units a week; ``shares[status]``: ``(from week,
    municipal share)`` bands.  Week by week, no numpy.
    """
    total = Fraction(0)
    for status, first, weeks in runs:
        if status not in weekly:
            continue
        for w in range(first, first + weeks):
            share = Fraction(1)
            for start, s in shares.get(status, [(1, Fraction(1))]):
                if w >= start:
                    share = s
            total += weekly[status] * share
    return total


def effect_payments(
    events: dict[str, list[int]],
    comparison_rate: Fraction,
    *,
    measure: str,
    direction: str,
    gate: Fraction,
    pooled_gate: Fraction | None,
    price_minor: int,
) -> dict[str, Fraction]:
    """Exact minor units per cohort of an effect rule paid per event avoided.

    ``events[cohort]`` holds each person's number of events.  One cohort at a
    time, by the words of the contract: the cohort's rate (events per person,
    or the share of people with any), its relative effect, the pooled effect
    over all people, the gates, and price x events avoided when passed.
    """

    def rate(counts: list[int]) -> Fraction:
        if measure == "share":
            return Fraction(sum(1 for k in counts if k > 0), len(counts))
        return Fraction(sum(counts), len(counts))

    def relative(treated: Fraction) -> Fraction:
        if direction == "reduction":
            return 1 - treated / comparison_rate
        return treated / comparison_rate - 1

    everyone = [k for counts in events.values() for k in counts]
    pooled = relative(rate(everyone))
    pooled_ok = pooled_gate is not None and pooled >= pooled_gate
    out = {}
    for cohort, counts in events.items():
        treated = rate(counts)
        paid = relative(treated) >= gate or pooled_ok
        if direction == "reduction":
            avoided = (comparison_rate - treated) * len(counts)
        else:
            avoided = (treated - comparison_rate) * len(counts)
        out[cohort] = avoided * price_minor if paid and avoided > 0 else Fraction(0)
    return out


def weighted_share(
    quantities: dict[str, Fraction],
    metrics: list[tuple[str, Fraction, Fraction, Fraction]],
) -> Fraction:
    """The share of a weighted achievement payment: (outcome, weight, target, cap) per metric."""
    total = Fraction(0)
    for outcome, weight, target, cap in metrics:
        achieved = quantities.get(outcome, Fraction(0)) / target
        if achieved > cap:
            achieved = cap
        total += weight * achieved
    return total


def add_calendar_months(day: int, months: int, rounding: str) -> int:
    """A day number plus calendar months, month by month: a missing day is the month's
    last day (``"down"``) or the first of the next month (``"up"``)."""
    from datetime import date

    d = date.fromordinal(day)
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = 31
    while True:
        try:
            date(year, month, last)
            break
        except ValueError:
            last -= 1
    if d.day <= last:
        return date(year, month, d.day).toordinal()
    if rounding == "down":
        return date(year, month, last).toordinal()
    return date(year, month, last).toordinal() + 1


StatusSpell = tuple[int, int, int, int]  # (row, start, end, status code): [start, end)


def status_at_follow_ups(
    spells: Sequence[StatusSpell],
    anchors: Sequence[int],
    last_day: Sequence[int],
    follow_up_months: Sequence[int],
    statuses: set[int],
    rounding: str,
    lookback_months: int | None = None,
    lookback_days: int | None = None,
    lookback_statuses: frozenset[int] = frozenset(),
) -> list[tuple[int, int, int]]:
    """The follow-ups earned, as ``(row, day, months)``, one day at a time.

    ``last_day[r]`` is the last day anything is measured for row ``r`` (the
    data, the term and tail, the exit: whichever comes first).  A follow-up
    counts when its day is on or before it, some spell of a listed status
    holds the day, and no day of the look-back before it is held by a spell
    of a look-back status.
    """

    def held(row: int, day: int, wanted: set[int] | frozenset[int]) -> bool:
        return any(r == row and s <= day < e and st in wanted for r, s, e, st in spells)

    earned = []
    for row, anchor in enumerate(anchors):
        for months in follow_up_months:
            day = add_calendar_months(anchor, months, rounding)
            if day > last_day[row] or not held(row, day, statuses):
                continue
            if lookback_days is not None:
                first = day - lookback_days
            elif lookback_months is not None:
                first = add_calendar_months(day, -lookback_months, rounding)
            else:
                first = day
            if any(held(row, d, lookback_statuses) for d in range(first, day)):
                continue
            earned.append((row, day, months))
    return earned
