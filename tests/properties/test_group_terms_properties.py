"""Effect per event avoided and weighted achievement, settled, against slow references."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import impactbond as ib
from impactbond.io.contract_file import loads_contract
from impactbond.money import Rounding, round_fraction_to_minor


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "core_reference", Path(__file__).resolve().parents[1] / "reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

HEAD = """
id = "p"
title = "p"
currency = "GBP"
term_start = 2020-01-01
term_end = 2024-12-31
referral_start = 2020-01-01
referral_end = 2020-12-31

[parties]
outcome_payer = "a"
investor = "b"
provider = "c"

[[cohorts]]
label = "a"

[[cohorts]]
label = "b"

[[outcomes]]
kind = "recorded_event"
id = "e"
event = "e"
once = false

[[outcomes]]
kind = "recorded_event"
id = "f"
event = "f"
once = false
"""
ENROLLED = date(2020, 3, 2)


def _register(counts: dict[str, dict[str, list[int]]]):  # type: ignore[no-untyped-def]
    """counts[cohort][event] = events per person."""
    people, trajectories, events = [], [], {}
    for cohort, by_event in counts.items():
        n = len(next(iter(by_event.values())))
        for i in range(n):
            pid = f"{cohort}{i:03d}"
            people.append(ib.Participant(pid, cohort, ENROLLED))
            trajectories.append(
                ib.Trajectory(pid, [ib.Spell(ib.Status.OTHER_BENEFIT, ENROLLED, None)])
            )
            for name, per_person in by_event.items():
                for j in range(per_person[i]):
                    events.setdefault(pid, []).append((name, ENROLLED + timedelta(days=10 + j)))
    return people, trajectories, events


def _half_up(minor: Fraction) -> int:
    numerator = np.array([minor.numerator], dtype=object)
    return int(round_fraction_to_minor(numerator, minor.denominator, Rounding.HALF_UP)[0])


def _money_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d} GBP"


counts_ = st.lists(st.integers(0, 3), min_size=1, max_size=6)
percent = st.integers(0, 30).map(lambda k: Fraction(k, 100))


@given(
    a=counts_,
    b=counts_,
    rate=st.integers(1, 40).map(lambda k: Fraction(k, 10)),
    measure=st.sampled_from(["share", "events_per_person"]),
    direction=st.sampled_from(["reduction", "increase"]),
    gate=percent,
    pooled_gate=st.none() | percent,
    price=st.integers(1, 10**6),
)
def test_effect_per_event_avoided_equals_the_reference(  # type: ignore[no-untyped-def]
    a, b, rate, measure, direction, gate, pooled_gate, price
) -> None:
    if measure == "share":
        rate = min(rate, Fraction(1))
    pooled = "" if pooled_gate is None else f'pooled_gate = "{pooled_gate}"\n'
    contract = loads_contract(
        HEAD
        + f"""
[[payment_rules]]
kind = "effect_tiers"
id = "r"
outcome = "e"
measure = "{measure}"
direction = "{direction}"
comparison_rate = "{rate}"
gate = "{gate}"
{pooled}price_per_event_avoided = "{Fraction(price, 100)} GBP"
measured_on = 2021-01-01
""".replace(f'"{Fraction(price, 100)} GBP"', f'"{price // 100}.{price % 100:02d} GBP"')
    )
    people, trajectories, events = _register({"a": {"e": a}, "b": {"e": b}})
    s = ib.settle(contract, people, trajectories, as_of=date(2023, 1, 1), events=events)
    expected = ref.effect_payments(
        {"a": a, "b": b},
        rate,
        measure=measure,
        direction=direction,
        gate=gate,
        pooled_gate=pooled_gate,
        price_minor=price,
    )
    assert {f.cohort: f.payment_minor for f in s.figures} == expected
    assert s.by_cohort() == {
        k: ib.Money.from_minor_units(_half_up(v), "GBP") for k, v in expected.items()
    }


@given(
    e=counts_,
    f=counts_,
    weight=st.integers(1, 19).map(lambda k: Fraction(k, 20)),
    targets=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    caps=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    full=st.integers(0, 10**7),
)
def test_weighted_achievement_equals_the_reference(  # type: ignore[no-untyped-def]
    e, f, weight, targets, caps, full
) -> None:
    n = min(len(e), len(f))
    e, f = e[:n], f[:n]
    contract = loads_contract(
        HEAD
        + f"""
[[payment_rules]]
kind = "weighted_achievement"
id = "w"
cohorts = ["a"]
full_payment = "{_money_text(full)}"
measured_on = 2021-01-01
metrics = [
    {{ outcome = "e", weight = "{weight}", target = "{targets[0]}", max_achievement = "{Fraction(caps[0], 10)}" }},
    {{ outcome = "f", weight = "{1 - weight}", target = "{targets[1]}", max_achievement = "{Fraction(caps[1], 10)}" }},
]
"""
    )
    people, trajectories, events = _register({"a": {"e": e, "f": f}})
    s = ib.settle(contract, people, trajectories, as_of=date(2023, 1, 1), events=events)
    share = ref.weighted_share(
        {"e": Fraction(sum(e)), "f": Fraction(sum(f))},
        [
            ("e", weight, Fraction(targets[0]), Fraction(caps[0], 10)),
            ("f", 1 - weight, Fraction(targets[1]), Fraction(caps[1], 10)),
        ],
    )
    (fig,) = s.figures
    assert fig.share == share
    assert s.total == ib.Money.from_minor_units(_half_up(share * full), "GBP")
