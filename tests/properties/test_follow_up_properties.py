"""The vectorised follow-up measurer equals the day-by-day reference."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
from hypothesis import event, given
from hypothesis import strategies as st

import impactbond as ib
from impactbond.domain.outcome import StatusAtFollowUp
from impactbond.io.contract_file import loads_contract
from impactbond.status import BENEFITS, Status
from tests.reference import status_at_follow_ups
from tests.unit.test_follow_ups import CONTRACT

STATUSES = [
    Status.EMPLOYED,
    Status.EDUCATION,
    Status.CASH_BENEFIT,
    Status.DISABILITY_PENSION,
    Status.UNEMPLOYMENT_BENEFIT,
    Status.FLEXJOB,
]
BASE = loads_contract(CONTRACT)
START = date(2024, 1, 1)


@st.composite
def person(draw: st.DrawFn, k: int) -> tuple[ib.Participant, ib.Trajectory]:
    enrolled = START + timedelta(days=draw(st.integers(0, 365)))
    first = enrolled - timedelta(days=draw(st.integers(0, 300)))
    spells = []
    day = first
    for i in range(draw(st.integers(0, 6))):
        if i:
            day += timedelta(days=draw(st.integers(0, 40)))  # a gap: no record
        length = draw(st.one_of(st.integers(1, 40), st.integers(41, 700), st.none()))
        end = None if length is None else day + timedelta(days=length)
        spells.append(ib.Spell(draw(st.sampled_from(STATUSES)), day, end))
        if end is None:
            break
        day = end
    exited = draw(st.none() | st.integers(0, 1500).map(lambda d: enrolled + timedelta(days=d)))
    referred = enrolled - timedelta(days=draw(st.integers(0, 40)))
    pid = f"p{k}"
    participant = ib.Participant(pid, "all", enrolled, referred=referred, exited=exited)
    return participant, ib.Trajectory(pid, spells)


@given(st.data())
def test_follow_up_measurer_equals_reference(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    pairs = [data.draw(person(k)) for k in range(n)]
    people, trajectories = [p for p, _ in pairs], [t for _, t in pairs]
    months = sorted(data.draw(st.sets(st.integers(1, 60), min_size=1, max_size=5)))
    held = data.draw(st.sets(st.sampled_from(STATUSES), min_size=1))
    look = data.draw(st.sampled_from(["none", "months", "days"]))
    lookback_months = data.draw(st.integers(1, 24)) if look == "months" else None
    lookback_days = data.draw(st.integers(1, 800)) if look == "days" else None
    without = data.draw(st.sets(st.sampled_from(STATUSES))) if look != "none" else set()
    base_set = without or set(BENEFITS)
    excepted = (
        data.draw(st.sets(st.sampled_from(sorted(base_set & set(STATUSES)))))
        if look != "none"
        else set()
    )
    if base_set and excepted >= base_set:
        excepted = set()
    rounding = data.draw(st.sampled_from([ib.MonthRounding.DOWN, ib.MonthRounding.UP]))
    anchor = data.draw(st.sampled_from(["enrolled", "referred"]))
    priced = data.draw(st.sets(st.sampled_from(months)))
    prices = {m: data.draw(st.integers(0, 10_000)) for m in sorted(priced)}
    outcome = StatusAtFollowUp(
        "in_work",
        clause="2",
        anchor=anchor,
        follow_up_months=months,
        statuses=held,
        lookback_months=lookback_months,
        lookback_days=lookback_days,
        without_statuses=without,
        except_statuses=excepted,
    )
    on_exit = data.draw(st.sampled_from(list(ib.OnExit)))
    tail = data.draw(st.integers(0, 12))
    term_end = date(2025, 6, 30) + timedelta(days=data.draw(st.integers(0, 1300)))
    contract = attrs.evolve(
        BASE,
        outcomes=[outcome],
        payment_rules=[
            attrs.evolve(
                BASE.payment_rules[0],
                price_by_follow_up={m: ib.Money(p, "DKK") for m, p in prices.items()},
            )
        ],
        month_rounding=rounding,
        on_exit=on_exit,
        term_end=term_end,
        measurement_tail_months=tail,
    )
    data_until = START + timedelta(days=data.draw(st.integers(200, 2400)))
    s = ib.settle(
        contract, people, trajectories, as_of=data_until + timedelta(days=1), data_until=data_until
    )
    m = s.measured["in_work"]
    got = list(
        zip(
            m.row.tolist(),
            m.earned_on.tolist(),
            m.items.detail["follow_up"].tolist(),
            strict=True,
        )
    )

    reg = s.register
    spells = [
        (
            int(reg.spell_row[i]),
            int(reg.spell_start[i]),
            min(int(reg.spell_end[i]), data_until.toordinal() + 1),
            int(reg.spell_status[i]),
        )
        for i in range(len(reg.spell_row))
    ]
    measure_end = ib.add_months(term_end + timedelta(days=1), tail, rounding).toordinal()
    last_day = []
    for r in range(len(reg)):
        p = reg.participant(r)
        last = min(data_until.toordinal(), measure_end - 1)
        if on_exit is ib.OnExit.STOP_MEASUREMENT and p.exited is not None:
            last = min(last, p.exited.toordinal())
        last_day.append(last)
    want = status_at_follow_ups(
        spells,
        [getattr(reg.participant(r), anchor).toordinal() for r in range(len(reg))],
        last_day,
        months,
        {int(x) for x in held},
        rounding.value,
        lookback_months=lookback_months,
        lookback_days=lookback_days,
        lookback_statuses=frozenset(int(x) for x in base_set - excepted)
        if look != "none"
        else frozenset(),
    )
    event(f"follow-ups earned: {min(len(want), 3)}{'+' if len(want) >= 3 else ''}")
    assert got == want
    # The lines pay exactly the items: one unit each at its follow-up's price (in øre),
    # the rule's DKK 1,000 where the table names none.
    assert len(s.lines) == len(want)
    assert int(s.lines.amount.sum()) == sum(100 * prices.get(m, 1_000) for _, _, m in want)
