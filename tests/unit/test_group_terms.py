"""Group terms of published outcome contracts (issue 11): shares of a cohort as targets,
effects as frequencies, comparison groups settled under the same outcomes, the
figures behind each group decision, and payment by weighted achievement.

Every expected number is worked by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction as F

import pytest

import impactbond as ib
from impactbond.domain.definitions import definitions
from impactbond.errors import ContractFileError, InvalidContract, SettlementError
from impactbond.io.contract_file import dumps_contract, loads_contract
from impactbond.render import render_markdown

GBP = "GBP"

HEAD = """
id = "groups-test"
title = "Group terms"
currency = "GBP"
term_start = 2020-01-01
term_end = 2024-12-31
referral_start = 2020-01-01
referral_end = 2020-12-31

[parties]
outcome_payer = "Payer"
investor = "Investor"
provider = "Provider"

[schedule]
invoice_months = 12

[[outcomes]]
kind = "recorded_event"
id = "reconvicted"
event = "reconviction"
once = false
clause = "2"

[[outcomes]]
kind = "recorded_event"
id = "housed"
event = "housed"
clause = "3"

[[outcomes]]
kind = "recorded_event"
id = "trained"
event = "trained"
clause = "4"
"""


CLAUSES = "".join(
    f'\n[[clauses]]\nid = "{n}"\ntitle = "{title}"\ntext = "{title}."\n'
    for n, title in [
        ("1", "Participants"),
        ("2", "Reconvictions"),
        ("3", "Housing"),
        ("4", "Training"),
        ("5", "Bonus"),
        ("6", "Effect payment"),
        ("7", "Payment by achievement"),
    ]
)


def contract(rules: str, cohorts: str | None = None) -> ib.Contract:
    cohorts = cohorts or '[[cohorts]]\nlabel = "a"\n\n[[cohorts]]\nlabel = "b"\n'
    c = loads_contract(HEAD + "\n" + cohorts + "\n" + rules + CLAUSES, source="test.toml")
    assert loads_contract(dumps_contract(c)) == c  # the contract-file form round-trips
    return c


def people(
    cohort: str, n: int, *, events: dict[str, list[int]] | None = None, start: int = 0
) -> tuple[list[ib.Participant], list[ib.Trajectory], dict[str, list[tuple[str, date]]]]:
    """``n`` participants of ``cohort``; ``events[name][i]`` events for the i-th person."""
    enrolled = date(2020, 3, 2)
    ps, ts, ev = [], [], {}
    for i in range(n):
        pid = f"{cohort}{start + i:04d}"
        ps.append(ib.Participant(pid, cohort, enrolled))
        ts.append(ib.Trajectory(pid, [ib.Spell(ib.Status.OTHER_BENEFIT, enrolled, None)]))
        for name, counts in (events or {}).items():
            k = counts[i] if i < len(counts) else 0
            ev.setdefault(pid, []).extend(
                (name, enrolled + timedelta(days=30 + 7 * j)) for j in range(k)
            )
    return ps, ts, ev


def merge(*groups):  # type: ignore[no-untyped-def]
    ps, ts, ev = [], [], {}
    for p, t, e in groups:
        ps += p
        ts += t
        for k, v in e.items():
            ev.setdefault(k, []).extend(v)
    return ps, ts, ev


AS_OF = date(2023, 1, 1)


# -- 6. targets as a share of the cohort ------------------------------------------------


BONUS_SHARE = """
[[payment_rules]]
kind = "target_bonus"
id = "half_housed"
clause = "5"
outcome = "housed"
cohort = "a"
target_share = "1/2"
bonus = "10000.00 GBP"
"""


def test_target_share_pays_when_half_the_cohort_has_the_outcome() -> None:
    c = contract(BONUS_SHARE)
    # 41 people: the target is 41/2 = 20.5 people housed, so 21 are needed.
    ps, ts, ev = people("a", 41, events={"housed": [1] * 21})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.by_rule()["half_housed"] == ib.Money(10_000, GBP)
    ps, ts, ev = people("a", 41, events={"housed": [1] * 20})  # 20 < 20.5: no bonus
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.by_rule()["half_housed"] == ib.Money(0, GBP)


def test_target_share_is_earned_on_the_day_the_share_is_reached() -> None:
    c = contract(BONUS_SHARE)
    # 4 people, target 2; events on enrolled + 30 days + 7 x j for person j's j-th event:
    # one event each, all on 2020-04-01, so the bonus is earned on 2020-04-01.
    ps, ts, ev = people("a", 4, events={"housed": [1, 1]})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.to_records()[0]["earned_on"] == date(2020, 3, 2) + timedelta(days=30)


def test_target_share_of_a_cohort_target_is_reported_as_achievement() -> None:
    cohorts = (
        '[[cohorts]]\nlabel = "a"\ntarget_outcome = "housed"\ntarget_share = "3/4"\n\n'
        '[[cohorts]]\nlabel = "b"\n'
    )
    c = contract(BONUS_SHARE, cohorts)
    ps, ts, ev = people("a", 8, events={"housed": [1] * 5})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    a = s.achievement("a")
    # 3/4 of 8 settled participants = 6; 5 housed: ratio 5/6.
    assert (a.target, a.quantity, a.ratio, a.target_share) == (6, 5, F(5, 6), F(3, 4))


def test_target_share_appears_in_the_definitions_and_the_schedule() -> None:
    c = contract(BONUS_SHARE)
    keys = [d.id for d in definitions(c)]
    assert "target_share" in keys
    assert "50 % of its settled participants" in render_markdown(c)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ('target = "10"\ntarget_share = "1/2"', "target_share"),  # both
        ("", "target"),  # neither
        ('target_share = "3/2"', "target_share"),  # above the whole cohort
        ('target_share = "0"', "target_share"),
        ('target = "-1"', "target"),
    ],
)
def test_hostile_target_shares_name_the_clause_and_path(fields: str, field: str) -> None:
    rule = (
        '[[payment_rules]]\nkind = "target_bonus"\nid = "b"\nclause = "5"\noutcome = "housed"\n'
        f'cohort = "a"\nbonus = "1.00 GBP"\n{fields}\n'
    )
    with pytest.raises(InvalidContract) as err:
        contract(rule)
    assert isinstance(err.value, ContractFileError)
    assert err.value.clause == "5"
    assert err.value.field == f"payment_rules[0].{field}"


def test_cohort_with_both_target_and_target_share_is_refused() -> None:
    cohorts = '[[cohorts]]\nlabel = "a"\nclause = "1"\ntarget_outcome = "housed"\ntarget = "3"\ntarget_share = "1/2"\n'
    with pytest.raises(InvalidContract) as err:
        contract(BONUS_SHARE, cohorts)
    assert err.value.clause == "1"
    assert "target_share" in str(err.value.field)


# -- 1. effect as a frequency ---------------------------------------------------------

PER_EVENT = """
[[payment_rules]]
kind = "effect_tiers"
id = "per_event"
clause = "6"
outcome = "reconvicted"
measure = "events_per_person"
direction = "reduction"
comparison_events = 150
comparison_people = 100
comparison_source = "matched comparison group (illustrative)"
gate = "1/10"
pooled_gate = "3/40"
price_per_event_avoided = "2000.00 GBP"
measured_on = 2022-06-30
"""


def frequency_cohorts():  # type: ignore[no-untyped-def]
    # a: 29 people with 2 reconvictions and 71 with 1 = 129 events among 100;
    # b: 41 with 2 and 59 with 1 = 141 events among 100.
    return merge(
        people("a", 100, events={"reconviction": [2] * 29 + [1] * 71}),
        people("b", 100, events={"reconviction": [2] * 41 + [1] * 59}),
    )


def test_events_per_person_paid_per_event_avoided() -> None:
    c = contract(PER_EVENT)
    ps, ts, ev = frequency_cohorts()
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    # comparison 150/100 = 1.5 a person.
    # a: 1.29 a person, reduction 1 - 1.29/1.5 = 14 % >= 10 %; avoided (1.5 - 1.29) x 100 = 21
    #    events x GBP 2,000 = GBP 42,000.
    # b: 1.41, reduction 1 - 1.41/1.5 = 6 % < 10 %, but pooled (129 + 141)/200 = 1.35,
    #    1 - 1.35/1.5 = 10 % >= 7.5 %: avoided (1.5 - 1.41) x 100 = 9 x GBP 2,000 = GBP 18,000.
    assert s.by_cohort() == {"a": ib.Money(42_000, GBP), "b": ib.Money(18_000, GBP)}
    fa, fb = s.figures
    assert (fa.treated_rate, fa.effect, fa.events_avoided, fa.count) == (
        F(129, 100),
        F(14, 100),
        21,
        129,
    )
    assert (fb.effect, fb.passed_gate, fb.pooled_effect, fb.passed_pooled_gate) == (
        F(6, 100),
        False,
        F(1, 10),
        True,
    )


def test_events_per_person_is_defined_in_the_contract() -> None:
    c = contract(PER_EVENT)
    (d,) = [d for d in definitions(c) if d.id == "events_per_person"]
    assert "divided by its settled participants" in d.text
    assert "events_per_person" not in [d.id for d in definitions(contract(GATES))]


def test_per_event_without_the_pooled_route_pays_only_the_cohort_past_its_gate() -> None:
    c = contract(PER_EVENT.replace('pooled_gate = "3/40"\n', ""))
    ps, ts, ev = frequency_cohorts()
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.by_cohort() == {"a": ib.Money(42_000, GBP), "b": ib.Money(0, GBP)}


def test_events_avoided_stay_exact_until_the_contracts_rounding() -> None:
    rule = (
        PER_EVENT.replace("comparison_events = 150\ncomparison_people = 100\n", "")
        .replace(
            'measure = "events_per_person"',
            'measure = "events_per_person"\ncomparison_rate = "3/2"',
        )
        .replace('"2000.00 GBP"', '"333.33 GBP"')
        .replace('pooled_gate = "3/40"\n', "")
    )
    c = contract(rule, '[[cohorts]]\nlabel = "a"\n')
    # 3 people with 4 events: 4/3 a person; reduction 1 - (4/3)/(3/2) = 1/9 >= 1/10;
    # avoided (3/2 - 4/3) x 3 = 1/2 event x 33,333 pence = 16,666.5, half up 16,667 pence.
    ps, ts, ev = people("a", 3, events={"reconviction": [2, 1, 1]})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.lines.quantity(0) == F(1, 2)
    assert s.lines.exact_amount(0) == F(33_333, 2)
    assert s.total == ib.Money("166.67", GBP)


def test_events_per_person_by_tier_and_a_comparison_rate_above_one() -> None:
    rule = """
[[payment_rules]]
kind = "effect_tiers"
id = "tiers"
clause = "6"
outcome = "reconvicted"
measure = "events_per_person"
direction = "reduction"
comparison_rate = "3/2"
gate = "1/10"
measured_on = 2022-06-30
tiers = [
    { from_effect = "0", to_effect = "1/5", payment = "1000.00 GBP" },
    { from_effect = "1/5", payment = "5000.00 GBP" },
]
"""
    c = contract(rule)
    ps, ts, ev = frequency_cohorts()
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    # a: 14 %, past the 10 % gate, in the 0-20 % tier: GBP 1,000 for the cohort; b: 6 %: nothing.
    assert s.by_cohort() == {"a": ib.Money(1_000, GBP), "b": ib.Money(0, GBP)}


def test_share_measure_counts_people_not_events() -> None:
    rule = PER_EVENT.replace('measure = "events_per_person"', 'measure = "share"').replace(
        "comparison_events = 150", "comparison_events = 90"
    )
    c = contract(rule, '[[cohorts]]\nlabel = "a"\n')
    ps, ts, ev = people("a", 100, events={"reconviction": [3] * 72})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    # 72 of 100 people reconvicted (216 events, not counted): 72 % against 90/100;
    # reduction 1 - 0.72/0.9 = 20 %; people avoided (0.9 - 0.72) x 100 = 18 x GBP 2,000.
    assert s.total == ib.Money(36_000, GBP)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            (
                'price_per_event_avoided = "2000.00 GBP"',
                'price_per_event_avoided = "2000.00 GBP"\ntiers = [{ from_effect = "0", payment = "1.00 GBP" }]',
            ),
            "price_per_event_avoided",
        ),
        (('price_per_event_avoided = "2000.00 GBP"\n', ""), "tiers"),
        (("comparison_people = 100\n", ""), "comparison_people"),
        (
            ("comparison_events = 150", 'comparison_events = 150\ncomparison_rate = "3/2"'),
            "comparison_events",
        ),
        (("comparison_events = 150", "comparison_events = 0"), "comparison_events"),
        (('measure = "events_per_person"', 'measure = "share"'), "comparison_events"),  # 150 of 100
        (('measure = "events_per_person"', 'measure = "per_capita"'), "measure"),
        (
            ('price_per_event_avoided = "2000.00 GBP"', 'price_per_event_avoided = "-1.00 GBP"'),
            "price_per_event_avoided",
        ),
    ],
)
def test_hostile_frequency_terms_name_the_clause_and_path(
    change: tuple[str, str], field: str
) -> None:
    old, new = change
    assert old in PER_EVENT
    with pytest.raises(InvalidContract) as err:
        contract(PER_EVENT.replace(old, new))
    assert err.value.field == f"payment_rules[0].{field}", err.value
    assert err.value.clause == "6"


def test_share_rate_above_one_is_refused_but_events_per_person_may_pass_one() -> None:
    base = PER_EVENT.replace(
        "comparison_events = 150\ncomparison_people = 100\n", 'comparison_rate = "3/2"\n'
    )
    assert contract(base).payment_rules[0].comparison_rate == F(3, 2)
    with pytest.raises(InvalidContract) as err:
        contract(base.replace('measure = "events_per_person"', 'measure = "share"'))
    assert err.value.field == "payment_rules[0].comparison_rate"


# -- 3. the figures behind each group decision, kept and shown ------------------------

GATES = """
[[payment_rules]]
kind = "effect_tiers"
id = "pay_effect"
clause = "6"
outcome = "reconvicted"
direction = "reduction"
comparison_rate = "1/2"
gate = "9/100"
pooled_gate = "6/100"
measured_on = 2022-06-30
tiers = [
    { from_effect = "0", to_effect = "1/10", payment = "1000.00 GBP" },
    { from_effect = "1/10", payment = "50000.00 GBP" },
]
"""


def test_why_nothing_was_paid_is_kept_and_shown() -> None:
    c = contract(GATES + BONUS_SHARE)
    ps, ts, ev = merge(
        # a: 469 of 1,000 reconvicted: 1 - 0.469 / 0.5 = 6.2 % < 9 %.
        people("a", 1000, events={"reconviction": [1] * 469, "housed": [1] * 20}),
        # b: 480 of 1,000: 1 - 0.48 / 0.5 = 4 %.  Pooled 949 / 2,000 = 0.4745:
        # 1 - 0.4745 / 0.5 = 5.1 % < 6 %.
        people("b", 1000, events={"reconviction": [1] * 480}),
    )
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert s.total == ib.Money(0, GBP)
    effect_a = next(f for f in s.figures if f.rule == "pay_effect" and f.cohort == "a")
    assert (effect_a.effect, effect_a.pooled_effect) == (F(62, 1000), F(51, 1000))
    assert not effect_a.paid and effect_a.payment_minor == 0
    why_a = (
        "pay_effect (measured 2022-06-30): a: reduction 6.2% (treated 46.9% of 1000, "
        "comparison 50%), below its 9% gate; pooled reduction 5.1%, below 6%: no payment"
    )
    # 1/2 of 1,000 = 500 housed needed, 20 housed.
    why_bonus = (
        "half_housed: a: 20 housed of a target of 500 (1/2 of 1000 settled participants): "
        "not reached, no bonus"
    )
    statement = s.statement()
    assert why_a in statement and why_bonus in statement
    assert "b: reduction 4% (treated 48% of 1000" in statement
    explained = s.explain("a0000")
    assert why_a in explained and why_bonus in explained
    assert "b: reduction 4%" not in explained  # only the participant's own cohort
    assert "b: reduction 4%" in s.explain("b0000")


def test_a_paid_decision_shows_the_arithmetic() -> None:
    c = contract(PER_EVENT + BONUS_SHARE)
    ps, ts, ev = frequency_cohorts()
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    text = s.statement()
    assert (
        "per_event (measured 2022-06-30): b: reduction 6% (treated 141 events per 100 of 100, "
        "comparison 150 per 100), below its 10% gate; pooled reduction 10%, at or above 7.5%: "
        "9 events avoided x GBP 2,000.00 = GBP 18,000.00"
    ) in text
    bonus = next(f for f in s.figures if f.rule == "half_housed")
    # nobody housed in a: 0 of 1/2 x 100 = 50
    assert (bonus.quantity, bonus.target, bonus.reached_on) == (0, 50, None)


# -- 2. comparison groups settled under the same outcome definitions ------------------


def test_a_comparison_group_settles_under_the_same_contract_and_pays_nothing() -> None:
    c = contract(PER_EVENT.replace("comparison_events = 150\ncomparison_people = 100\n", ""))
    # The rule has no comparison of its own: a treatment settlement without one is refused.
    ps, ts, ev = frequency_cohorts()
    with pytest.raises(SettlementError) as err:
        ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    assert err.value.clause == "6"
    # The comparison group: a 150 events among 100 (50 with 2, 50 with 1), b 160 among 100
    # (60 with 2, 40 with 1); 10 more in a without any event.
    cps, cts, cev = merge(
        people("a", 110, events={"reconviction": [2] * 50 + [1] * 50}, start=5000),
        people("b", 100, events={"reconviction": [2] * 60 + [1] * 40}, start=5000),
    )
    comparison = ib.settle(c, cps, cts, as_of=AS_OF, events=cev, role="comparison")
    assert comparison.role == "comparison"
    assert len(comparison.lines) == 0 and comparison.total == ib.Money(0, GBP)
    fa, fb = comparison.figures
    assert (fa.cohort, fa.people, fa.with_outcome, fa.events) == ("a", 110, 100, 150)
    assert (fa.share, fa.events_per_person) == (F(100, 110), F(150, 110))
    assert (fb.cohort, fb.people, fb.with_outcome, fb.events) == ("b", 100, 100, 160)
    assert "a: comparison group of 110, 100 with reconvicted (90.9%), 150 events" in (
        comparison.statement()
    )
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev, comparison=comparison)
    # a: 1.29 against 150/110 = 15/11: reduction 1 - 1.29 x 11/15 = 1 - 14.19/15 = 0.054 < 10 %.
    # b: 1.41 against 1.6: 1 - 1.41/1.6 = 0.11875 >= 10 %: (1.6 - 1.41) x 100 = 19 events
    #    x GBP 2,000 = GBP 38,000.  Pooled: 270/200 = 1.35 against (100 x 15/11 + 100 x 1.6)/200
    #    = 163/110: 1 - 1.35 x 110/163 = 1 - 148.5/163 = 14.5/163 = 8.9 % >= 7.5 %, so a is paid
    #    too: (15/11 - 1.29) x 100 = (1500 - 1419)/11 = 81/11 events x GBP 2,000 = 162,000/11
    #    = GBP 14,727.2727..., half up per line: GBP 14,727.27.
    ea, eb = s.figures
    assert ea.comparison_rate == F(15, 11) and eb.comparison_rate == F(8, 5)
    assert ea.events_avoided == F(81, 11) and eb.events_avoided == 19
    assert s.by_cohort() == {"a": ib.Money("14727.27", GBP), "b": ib.Money(38_000, GBP)}


def test_a_comparison_without_the_cohort_names_it() -> None:
    c = contract(PER_EVENT.replace("comparison_events = 150\ncomparison_people = 100\n", ""))
    cps, cts, cev = people("a", 10, events={"reconviction": [1] * 5}, start=5000)
    comparison = ib.settle(c, cps, cts, as_of=AS_OF, events=cev, role="comparison")
    ps, ts, ev = frequency_cohorts()
    with pytest.raises(SettlementError) as err:
        ib.settle(c, ps, ts, as_of=AS_OF, events=ev, comparison=comparison)
    assert "'b'" in str(err.value) and err.value.field == "comparison"
    with pytest.raises(SettlementError) as err:
        ib.settle(c, ps, ts, as_of=AS_OF, events=ev, role="control")
    assert err.value.field == "role"


def test_a_comparison_group_of_a_share_rule_gives_the_share() -> None:
    c = contract(GATES.replace('comparison_rate = "1/2"\n', ""))
    cps, cts, cev = people("a", 10, events={"reconviction": [3] * 5}, start=5000)
    comparison = ib.settle(c, cps, cts, as_of=AS_OF, events=cev, role="comparison")
    ps, ts, ev = people("a", 10, events={"reconviction": [1] * 4})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev, comparison=comparison)
    # 5 of 10 (15 events, not counted) against 4 of 10: 1 - 0.4/0.5 = 20 % >= 9 %: top tier.
    (f,) = s.figures
    assert (f.comparison_rate, f.effect) == (F(1, 2), F(1, 5))
    assert s.total == ib.Money(50_000, GBP)


# -- 7. payment by achievement across weighted metrics --------------------------------

WEIGHTED = """
[[payment_rules]]
kind = "weighted_achievement"
id = "by_achievement"
clause = "7"
full_payment = "100000.00 GBP"
measured_on = 2022-06-30
metrics = [
    { outcome = "housed", weight = "4/5", target = "80" },
    { outcome = "trained", weight = "1/5", target_share = "1/5", max_achievement = "6/5" },
]
"""


def test_weighted_achievement_pays_a_share_of_the_full_payment() -> None:
    c = contract(WEIGHTED, '[[cohorts]]\nlabel = "a"\n')
    ps, ts, ev = people("a", 100, events={"housed": [1] * 60, "trained": [1] * 30})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    # housed 60 of 80 = 3/4, x 4/5 = 3/5; trained 30 of 1/5 x 100 = 20 is 3/2, capped at 6/5,
    # x 1/5 = 6/25; share 15/25 + 6/25 = 21/25 of GBP 100,000 = GBP 84,000.
    assert s.total == ib.Money(84_000, GBP)
    (f,) = s.figures
    assert f.share == F(21, 25)
    assert [(m.achievement, m.counted) for m in f.metrics] == [
        (F(3, 4), F(3, 4)),
        (F(3, 2), F(6, 5)),
    ]
    assert (
        "by_achievement: a: housed 60 of 80 (75%) x 4/5 + trained 30 of 20 (150%, counted 120%) "
        "x 1/5 = 84% of GBP 100,000.00: GBP 84,000.00"
    ) in s.statement()
    assert "weighted achievement" in render_markdown(c)
    assert "achievement" in [d.id for d in definitions(c)]


def test_weighted_achievement_stays_exact_until_the_rounding() -> None:
    rule = WEIGHTED.replace('"100000.00 GBP"', '"1000.00 GBP"').replace(
        'target = "80"', 'target = "3"'
    )
    c = contract(rule, '[[cohorts]]\nlabel = "a"\n')
    ps, ts, ev = people("a", 10, events={"housed": [1]})
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev)
    # housed 1 of 3 x 4/5 = 4/15; nobody trained: 0.  4/15 x 100,000 pence = 26,666.67 pence,
    # half up: GBP 266.67.
    assert s.lines.quantity(0) == F(4, 15)
    assert s.total == ib.Money("266.67", GBP)
    before = ib.settle(c, ps, ts, as_of=date(2022, 6, 30), events=ev)
    assert len(before.lines) == 0  # measured on 30 June: the data do not cover it yet


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            'weight = "1/5", target_share',
            'weight = "1/10", target_share',
            "payment_rules[0].metrics",
        ),
        ('weight = "4/5"', 'weight = "0"', "payment_rules[0].metrics[0].weight"),
        (
            'target = "80"',
            'target = "80", target_share = "1/2"',
            "payment_rules[0].metrics[0].target_share",
        ),
        ('target = "80"', 'target = "0"', "payment_rules[0].metrics[0].target"),
        (
            'max_achievement = "6/5"',
            'max_achievement = "0"',
            "payment_rules[0].metrics[1].max_achievement",
        ),
        ('outcome = "trained"', 'outcome = "housed"', "payment_rules[0].metrics[1].outcome"),
        ('"100000.00 GBP"', '"-1.00 GBP"', "payment_rules[0].full_payment"),
    ],
)
def test_hostile_weighted_achievements_name_the_clause_and_path(
    old: str, new: str, field: str
) -> None:
    assert old in WEIGHTED
    with pytest.raises(InvalidContract) as err:
        contract(WEIGHTED.replace(old, new))
    assert (err.value.field, err.value.clause) == (field, "7")


def test_a_weighted_achievement_of_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(InvalidContract) as err:
        contract(WEIGHTED.replace('outcome = "trained"', 'outcome = "employed"'))
    assert err.value.clause == "7" and "employed" in str(err.value)


def test_a_partitioned_comparison_group_equals_the_single_one() -> None:
    from impactbond.scale import settle_partitioned

    c = contract(PER_EVENT.replace("comparison_events = 150\ncomparison_people = 100\n", ""))
    cps, cts, cev = merge(
        people("a", 110, events={"reconviction": [2] * 50 + [1] * 50}, start=5000),
        people("b", 100, events={"reconviction": [2] * 60 + [1] * 40}, start=5000),
    )
    register = ib.Register.from_objects(cps, cts, cev)
    single = ib.settle(c, register, as_of=AS_OF, role="comparison")
    parted = settle_partitioned(c, register.partitions(3), as_of=AS_OF, role="comparison")
    assert parted.figures == single.figures and parted.n_lines == 0
    # Fed as the comparison, the partitioned figures pay as the single ones (see the test
    # above: GBP 14,727.27 and GBP 38,000).
    ps, ts, ev = frequency_cohorts()
    s = ib.settle(c, ps, ts, as_of=AS_OF, events=ev, comparison=parted)
    assert s.by_cohort() == {"a": ib.Money("14727.27", GBP), "b": ib.Money(38_000, GBP)}
