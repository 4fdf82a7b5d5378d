"""Status on the follow-up date, with calendar look-backs: hand-worked settlements.

The contract pays a participant who is employed or in education on the day 12,
18 and 24 calendar months after enrolment (month ends rounded down), with no
benefit other than disability pension on any day of the 6 calendar months
before that day.  The follow-up at 12 months pays DKK 4,000, at 24 months DKK
6,000; the one at 18 months is paid the rule's own price, DKK 1,000.
"""

from __future__ import annotations

from datetime import date

import attrs
import numpy as np
import pytest

import impactbond as ib
from impactbond.domain.definitions import definitions
from impactbond.domain.outcome import StatusAtFollowUp
from impactbond.domain.payment import PricePerUnit
from impactbond.errors import AmbiguousDate, ContractFileError, InvalidContract
from impactbond.io.contract_file import dumps_contract, loads_contract
from impactbond.render import render_markdown
from impactbond.scale import settle_partitioned
from impactbond.settle.clock import observe

CONTRACT = """
id = "follow-ups"
title = "In work or education at follow-ups"
currency = "DKK"
term_start = 2024-01-01
term_end = 2028-12-31
referral_start = 2024-01-01
referral_end = 2024-12-31
month_rounding = "down"
on_exit = "stop_measurement"

[parties]
outcome_payer = "Kommune"
investor = "Investor"
provider = "Provider"

[schedule]
invoice_months = 6

[[cohorts]]
label = "all"
clause = "1"

[[outcomes]]
kind = "status_at_follow_up"
id = "in_work"
clause = "2"
statuses = ["employed", "education"]
follow_up_months = [12, 18, 24]
lookback_months = 6
except_statuses = ["disability_pension"]

[[payment_rules]]
kind = "price_per_unit"
id = "pay_follow_up"
clause = "3"
outcome = "in_work"
price = "1000.00 DKK"
price_by_follow_up = { 12 = "4000.00 DKK", 24 = "6000.00 DKK" }

[[clauses]]
id = "1"
title = "Participants"
text = "Everyone enrolled from 1 January 2024 up to and including 31 December 2024."

[[clauses]]
id = "2"
title = "In work or education"
text = "Employed or in education 12, 18 and 24 months after enrolment."

[[clauses]]
id = "3"
title = "Payment"
text = "DKK 4,000.00 for the follow-up at 12 months, DKK 6,000.00 at 24 months and DKK 1,000.00 at 18 months."
"""

DKK = "DKK"


def _spell(status: str, start: date, end: date | None) -> ib.Spell:
    return ib.Spell(status, start, end)


def people_and_spells() -> tuple[list[ib.Participant], list[ib.Trajectory]]:
    """Five people; the comments in the tests work out each one."""
    people = [
        ib.Participant("ada", "all", date(2024, 1, 31)),
        ib.Participant("bob", "all", date(2024, 3, 15)),
        ib.Participant("cem", "all", date(2024, 2, 29)),
        ib.Participant("dan", "all", date(2024, 1, 31), exited=date(2025, 6, 30)),
        ib.Participant("eve", "all", date(2024, 5, 1)),
    ]
    trajectories = [
        ib.Trajectory(
            "ada",
            [
                _spell("cash_benefit", date(2024, 1, 31), date(2024, 7, 31)),
                _spell("employed", date(2024, 7, 31), None),
            ],
        ),
        ib.Trajectory(
            "bob",
            [
                # The last benefit day, Sunday 15 September 2024, is the first day of
                # the look-back of the 12-month follow-up (15 March 2025).
                _spell("cash_benefit", date(2024, 3, 15), date(2024, 9, 16)),
                _spell("employed", date(2024, 9, 16), None),
            ],
        ),
        ib.Trajectory(
            "cem",
            [
                _spell("disability_pension", date(2024, 2, 29), date(2024, 12, 1)),
                _spell("education", date(2024, 12, 1), None),
            ],
        ),
        ib.Trajectory("dan", [_spell("employed", date(2024, 1, 31), None)]),
        ib.Trajectory(
            "eve",
            [
                _spell("employed", date(2024, 5, 1), date(2025, 5, 1)),
                _spell("unemployment_benefit", date(2025, 5, 1), None),
            ],
        ),
    ]
    return people, trajectories


def settle(as_of: date, data_until: date, contract: ib.Contract | None = None) -> ib.Settlement:
    c = contract if contract is not None else loads_contract(CONTRACT, source="fu.toml")
    people, trajectories = people_and_spells()
    return ib.settle(c, people, trajectories, as_of=as_of, data_until=data_until)


def total_of(s: ib.Settlement, pid: str) -> ib.Money:
    """What the settlement pays one participant (every line of theirs)."""
    mine = s.lines.participant == s.register.row_of(pid)
    return ib.Money.from_minor_units(int(s.lines.amount[mine].sum()), s.currency)


def _paid(s: ib.Settlement) -> dict[str, ib.Money]:
    return {pid: total_of(s, pid) for pid in ("ada", "bob", "cem", "dan", "eve")}


def test_follow_ups_worked_by_hand() -> None:
    s = settle(date(2026, 2, 1), date(2026, 1, 31))
    # ada (enrolled 31 Jan 2024): follow-ups 31 Jan 2025, 31 Jul 2025, 31 Jan 2026.
    #   Cash benefit ends before 31 Jul 2024 (its end day is exclusive), and the
    #   look-back of the first follow-up is [31 Jul 2024, 31 Jan 2025): clean.
    #   Employed on all three dates; 31 Jan 2026 <= data_until: 4000 + 1000 + 6000.
    # bob (15 Mar 2024): 15 Mar 2025 fails (cash benefit on 15 Sep 2024, inside
    #   [15 Sep 2024, 15 Mar 2025)); 15 Sep 2025 pays 1000; 15 Mar 2026 > data_until.
    # cem (29 Feb 2024): 29 Feb 2025 does not exist, rounded down to 28 Feb 2025;
    #   disability pension in its look-back is excepted; in education: 4000; then
    #   29 Aug 2025: 1000; 28 Feb 2026 > data_until.
    # dan: 31 Jan 2025 employed: 4000; 31 Jul 2025 is after his exit (30 Jun 2025).
    # eve: employed up to 30 Apr 2025, on benefit from 1 May 2025, the follow-up: 0.
    assert _paid(s) == {
        "ada": ib.Money(11_000, DKK),
        "bob": ib.Money(1_000, DKK),
        "cem": ib.Money(5_000, DKK),
        "dan": ib.Money(4_000, DKK),
        "eve": ib.Money(0, DKK),
    }
    assert s.accrued_total == ib.Money(21_000, DKK)  # 11000 + 1000 + 5000 + 4000
    # Invoice periods of 6 months from 1 Jan 2024: ada's 6,000 of 31 Jan 2026 falls in
    # the period ending 30 Jun 2026, not yet due on 1 Feb 2026.
    assert s.total == ib.Money(15_000, DKK)
    m = s.measured["in_work"]
    ada = s.register.row_of("ada")
    days = [date.fromordinal(int(d)) for d in m.earned_on[m.row == ada]]
    assert days == [date(2025, 1, 31), date(2025, 7, 31), date(2026, 1, 31)]
    assert m.items.detail["follow_up"][m.row == ada].tolist() == [12, 18, 24]


def test_a_follow_up_on_the_day_after_data_until_is_not_earned() -> None:
    s = settle(date(2026, 1, 31), date(2026, 1, 30))
    # ada's 24-month follow-up, 31 Jan 2026, is one day past the data: 4000 + 1000.
    assert total_of(s, "ada") == ib.Money(5_000, DKK)


def test_keep_measuring_pays_after_the_exit() -> None:
    c = attrs.evolve(loads_contract(CONTRACT), on_exit=ib.OnExit.KEEP_MEASURING)
    s = settle(date(2026, 2, 1), date(2026, 1, 31), c)
    # dan, employed throughout, is now measured on 31 Jul 2025 and 31 Jan 2026 too.
    assert total_of(s, "dan") == ib.Money(11_000, DKK)  # 4000 + 1000 + 6000


def test_measurement_ends_with_the_term() -> None:
    c = attrs.evolve(loads_contract(CONTRACT), term_end=date(2025, 6, 30))
    s = settle(date(2026, 2, 1), date(2026, 1, 31), c)
    # Only the follow-ups up to 30 Jun 2025 count: ada, cem, dan at 12 months.
    # bob's first follow-up failed its look-back; eve was on benefit.
    assert s.accrued_total == ib.Money(12_000, DKK)  # 3 x 4000


def test_a_look_back_in_days_counts_every_day_whatever_the_weekday() -> None:
    base = loads_contract(CONTRACT)
    outcome = base.outcomes[0]
    assert isinstance(outcome, StatusAtFollowUp)
    # bob's last benefit day is 15 Sep 2024; his 12-month follow-up 15 Mar 2025.
    # 181 days back from 15 Mar 2025 is 15 Sep 2024 (16 days of Sep 2024 from the
    # 15th, 31 + 30 + 31 + 31 + 28 = 151 to the end of Feb, 14 of March: 181):
    # the look-back holds that one benefit day.  180 days starts on 16 Sep: clean.
    for days, bob in ((181, 1_000), (180, 5_000)):
        o = attrs.evolve(outcome, lookback_months=None, lookback_days=days)
        c = attrs.evolve(base, outcomes=[o])
        s = settle(date(2026, 2, 1), date(2026, 1, 31), c)
        assert total_of(s, "bob") == ib.Money(bob, DKK)


def test_without_a_look_back_only_the_status_on_the_day_counts() -> None:
    base = loads_contract(CONTRACT)
    o = attrs.evolve(base.outcomes[0], lookback_months=None, except_statuses=())
    s = settle(date(2026, 2, 1), date(2026, 1, 31), attrs.evolve(base, outcomes=[o]))
    # bob's 12-month follow-up now pays: employed on 15 Mar 2025.
    assert total_of(s, "bob") == ib.Money(5_000, DKK)  # 4000 + 1000


def test_the_exception_is_what_lets_disability_pension_pass() -> None:
    base = loads_contract(CONTRACT)
    o = attrs.evolve(base.outcomes[0], except_statuses=())
    s = settle(date(2026, 2, 1), date(2026, 1, 31), attrs.evolve(base, outcomes=[o]))
    # cem's 12-month look-back [28 Aug 2024, 28 Feb 2025) now holds disability
    # pension (to 30 Nov 2024): only 29 Aug 2025 pays, whose look-back starts on
    # 29 Aug 2025 - 6 months = 29 Feb 2025, which does not exist: rounded down,
    # 28 Feb 2025, after the pension.
    assert total_of(s, "cem") == ib.Money(1_000, DKK)


def test_contract_file_round_trip() -> None:
    c = loads_contract(CONTRACT)
    text = dumps_contract(c)
    assert 'kind = "status_at_follow_up"' in text
    assert loads_contract(text) == c
    rule = c.payment_rules[0]
    assert isinstance(rule, PricePerUnit)
    assert rule.price_by_follow_up == ((12, ib.Money(4000, DKK)), (24, ib.Money(6000, DKK)))


@pytest.mark.parametrize(
    ("old", "new", "path", "says"),
    [
        ("follow_up_months = [12, 18, 24]", "follow_up_months = [12, 24, 18]",
         "outcomes[0].follow_up_months", "not strictly increasing"),
        ("follow_up_months = [12, 18, 24]", "follow_up_months = [12, 12, 24]",
         "outcomes[0].follow_up_months", "not strictly increasing"),
        ("follow_up_months = [12, 18, 24]", "follow_up_months = [0, 18, 24]",
         "outcomes[0].follow_up_months", "not in 1..600"),
        ("follow_up_months = [12, 18, 24]", "follow_up_months = [-6, 18, 24]",
         "outcomes[0].follow_up_months", "not in 1..600"),
        ("follow_up_months = [12, 18, 24]", "follow_up_months = []",
         "outcomes[0].follow_up_months", "no follow-ups"),
        ('statuses = ["employed", "education"]', 'statuses = ["employed", "studying"]',
         "outcomes[0].statuses[1]", "studying"),
        ('except_statuses = ["disability_pension"]', 'except_statuses = ["pension"]',
         "outcomes[0].except_statuses[0]", "pension"),
        ("lookback_months = 6", "lookback_months = 121",
         "outcomes[0].lookback_months", "at most 10 years"),
        ("lookback_months = 6", "lookback_days = 3654",
         "outcomes[0].lookback_days", "at most 10 years"),
        ("lookback_months = 6", "lookback_months = 0",
         "outcomes[0].lookback_months", "positive"),
        ("lookback_months = 6", "lookback_months = 6\nlookback_days = 180",
         "outcomes[0].lookback_days", "not both"),
        ('except_statuses = ["disability_pension"]', 'except_statuses = ["employed"]',
         "outcomes[0].except_statuses", "not among"),
        ("lookback_months = 6\n", "",
         "outcomes[0].except_statuses", "without a look-back"),
        ('24 = "6000.00 DKK"', '36 = "6000.00 DKK"',
         "payment_rules[0].price_by_follow_up", "does not have"),
        ('24 = "6000.00 DKK"', 'two = "6000.00 DKK"',
         "payment_rules[0].price_by_follow_up", "not a number of months"),
        ('24 = "6000.00 DKK"', '24 = "-1.00 DKK"',
         "payment_rules[0].price_by_follow_up", "zero or more"),
    ],
)  # fmt: skip
def test_hostile_contract_files_name_the_path(old: str, new: str, path: str, says: str) -> None:
    assert old in CONTRACT
    with pytest.raises(ContractFileError) as info:
        loads_contract(CONTRACT.replace(old, new), source="fu.toml")
    err = info.value
    problems = err.errors or [err]
    assert any(p.field == path for p in problems), [(p.field, p.message) for p in problems]
    assert any(says in p.message or says in (p.rule or "") for p in problems), str(err)
    assert isinstance(err, InvalidContract | ValueError)


def test_price_by_follow_up_on_an_outcome_without_follow_ups() -> None:
    c = loads_contract(CONTRACT)
    em = ib.EmploymentMonths("months", clause="2")
    rule = attrs.evolve(c.payment_rules[0], outcome="months")
    with pytest.raises(InvalidContract, match="has no follow-ups"):
        attrs.evolve(c, outcomes=[*c.outcomes, em], payment_rules=[rule])


def test_an_ambiguous_look_back_month_end_needs_a_rounding() -> None:
    c = loads_contract(CONTRACT)
    o = attrs.evolve(c.outcomes[0], follow_up_months=(7,))
    c = attrs.evolve(
        c,
        outcomes=[o],
        payment_rules=[attrs.evolve(c.payment_rules[0], price_by_follow_up=())],
        month_rounding=ib.MonthRounding.RAISE,
    )
    people, trajectories = people_and_spells()
    # bob: 15 Mar 2024 + 7 months = 15 Oct 2024, fine; ada: 31 Jan 2024 + 7 months
    # = 31 Aug 2024 has a day; minus 6 months = 31 Feb 2024, which does not exist.
    with pytest.raises(AmbiguousDate) as info:
        ib.settle(
            c, people[:1], trajectories[:1], as_of=date(2026, 2, 1), data_until=date(2026, 1, 31)
        )
    assert info.value.field == "lookback_months"
    assert info.value.participant == "ada"
    assert info.value.clause == "2"


def test_explain_names_the_follow_up_its_date_the_status_and_the_look_back() -> None:
    s = settle(date(2026, 2, 1), date(2026, 1, 31))
    cem = s.explain("cem")
    # 28 Feb 2025 - 6 months = 28 Aug 2024; [28 Aug 2024, 28 Feb 2025) has 184 days:
    # 4 in August (28-31) + 30 + 31 + 30 + 31 + 31 + 27 in February = 184.
    # Disability pension to 30 Nov 2024: 4 + 30 + 31 + 30 = 95 days; education
    # from 1 Dec 2024 to 27 Feb 2025: 31 + 31 + 27 = 89 days (95 + 89 = 184).
    assert (
        "follow-up at 12 months after enrolment, on 2025-02-28: ordinary education, study "
        "grant that day; look-back of 6 calendar months from 2024-08-28 to 2025-02-27 "
        "(184 days): no excluded status found (found: 95 days disability pension (excepted); "
        "89 days ordinary education, study grant)"
    ) in cem
    assert "follow-up dates: 2025-02-28 (12 months), 2025-08-29 (18 months), 2026-02-28" in cem
    assert "quantity 1 x 4,000 = 4,000, rounded DKK 4,000.00" in cem
    assert "quantity 1 x 1,000 = 1,000, rounded DKK 1,000.00" in cem  # the 18-month one
    assert "follow-up at 24 months, on 2026-02-28: not earned, not yet observed" in cem
    bob = s.explain("bob")
    assert (
        "follow-up at 12 months, on 2025-03-15: not earned, a status of the look-back was "
        "found before the date"
    ) in bob
    dan = s.explain("dan")
    assert "follow-up at 18 months, on 2025-07-31: not earned, after the exit" in dan
    eve = s.explain("eve")
    assert "follow-up at 12 months, on 2025-05-01: not earned, not holding a counted status" in eve


def test_definitions_state_the_follow_up_date_and_the_look_back() -> None:
    d = {x.id: x for x in definitions(loads_contract(CONTRACT))}
    assert "12, 18, 24 calendar months after the date of enrolment" in d["follow_up:in_work"].text
    assert "the last day of that month" in d["follow_up:in_work"].text
    assert "nor after the participant's exit" in d["follow_up:in_work"].text
    assert "12, 18, 24 kalendermåneder efter datoen for opstart" in d["follow_up:in_work"].text_da
    lookback = d["lookback:in_work"]
    assert "6 calendar months before its date" in lookback.text
    assert "whatever the weekday" in lookback.text
    assert "(not disability_pension)" in lookback.text
    assert "cash_benefit" in lookback.text and "disability_pension," not in lookback.text
    assert "uanset ugedag" in lookback.text_da and "(ikke disability_pension)" in lookback.text_da


def test_the_schedule_renders_the_follow_ups_and_their_prices() -> None:
    text = render_markdown(loads_contract(CONTRACT))
    assert "one unit for each follow-up (12, 18, 24 calendar months after enrolment" in text
    assert "except disability pension (førtidspension) in the 6 calendar months" in text
    assert "(by follow-up in months 12: DKK 4,000.00, 24: DKK 6,000.00)" in text


def test_a_partitioned_settlement_equals_the_single_one() -> None:
    c = loads_contract(CONTRACT)
    people, trajectories = people_and_spells()
    as_of, data_until = date(2026, 2, 1), date(2026, 1, 31)
    order = sorted(range(len(people)), key=lambda i: people[i].id)
    parts = [
        ib.Register.from_objects([people[i] for i in chunk], [trajectories[i] for i in chunk])
        for chunk in (order[:2], order[2:])
    ]
    whole = settle(as_of, data_until)
    split = settle_partitioned(c, parts, as_of=as_of, data_until=data_until)
    # 21,000 earned (see the worked test), 15,000 due on 1 February 2026.
    assert split.accrued_minor == 2_100_000
    assert split.due_minor == 1_500_000
    assert split.n_lines == len(whole.lines) == 7  # ada 3, bob 1, cem 2, dan 1, eve 0


def test_the_clock_look_back_starts_by_calendar_month_or_by_day() -> None:
    c = loads_contract(CONTRACT)
    people, trajectories = people_and_spells()
    obs = observe(c, ib.Register.from_objects(people, trajectories), as_of=date(2026, 2, 1))
    days = np.array([date(2025, 8, 31).toordinal(), date(2025, 3, 15).toordinal()])
    # 31 Aug 2025 - 6 months: 31 Feb 2025 does not exist; down: 28 Feb, up: 1 Mar.
    # 15 Mar 2025 - 6 months = 15 Sep 2024 (any rounding).
    down = obs.lookback_start(days, months=6, rounding=ib.MonthRounding.DOWN)
    up = obs.lookback_start(days, months=6, rounding=ib.MonthRounding.UP)
    assert [date.fromordinal(int(d)) for d in down] == [date(2025, 2, 28), date(2024, 9, 15)]
    assert [date.fromordinal(int(d)) for d in up] == [date(2025, 3, 1), date(2024, 9, 15)]
    # The contract's own rounding (down) when the outcome names none.
    assert obs.lookback_start(days, months=6).tolist() == down.tolist()
    # 181 days before 15 Mar 2025 is 15 Sep 2024 (16 + 31 + 30 + 31 + 31 + 28 + 14 = 181).
    by_day = obs.lookback_start(days[1:], day_count=181)
    assert date.fromordinal(int(by_day[0])) == date(2024, 9, 15)
    # A follow-up on 31 Jul 2025 is measured for dan (exit 30 Jun 2025) only without exit.
    dan = ib.Register.from_objects(people, trajectories).row_of("dan")
    july = np.array([date(2025, 6, 30).toordinal(), date(2025, 7, 1).toordinal()])
    assert obs.measured_on_day(july, np.array([dan, dan])).tolist() == [True, False]


def test_definitions_of_a_look_back_in_days() -> None:
    c = loads_contract(CONTRACT)
    o = attrs.evolve(c.outcomes[0], lookback_months=None, lookback_days=183)
    d = {x.id: x for x in definitions(attrs.evolve(c, outcomes=[o]))}
    assert (
        "the 183 days before its date: from the day 183 days earlier" in d["lookback:in_work"].text
    )
    assert "de 183 dage før datoen: fra dagen 183 dage tidligere" in d["lookback:in_work"].text_da
