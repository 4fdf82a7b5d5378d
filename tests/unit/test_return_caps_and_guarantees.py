"""Return caps with a named day count, and guarantees dated by their call (issue 11, items 8-9).

Every expected number is worked out by hand in the comments (or, where a power has no
short decimal, by a float computation independent of the library's exact arithmetic).
"""

import math
from datetime import date, timedelta
from fractions import Fraction as F

import attrs
import pytest

import impactbond as ib
from impactbond.calendar import DayCount, MonthRounding, whole_periods, year_fraction
from impactbond.errors import AmbiguousDate, ContractFileError, InvalidContract, InvalidWindow
from impactbond.examples import example_path
from impactbond.finance import Guarantee, GuaranteeCall, ReturnCap, Waterfall, cash_flows
from impactbond.io.contract_file import loads_contract
from impactbond.render import render_markdown
from impactbond.settle.clock import observe

D = date
DKK, EUR = "DKK", "EUR"
HYBRID = example_path("hybrid.toml").read_text(encoding="utf-8")


def dkk(x: object) -> ib.Money:
    return ib.Money(x, DKK)  # type: ignore[arg-type]


def eur(x: object) -> ib.Money:
    return ib.Money(x, EUR)  # type: ignore[arg-type]


def _edit(old: str, new: str, text: str = HYBRID) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- day counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "day_count", "expected"),
    [
        # 2024-01-01 to 2027-01-01: 366 + 365 + 365 = 1096 days, 29 February 2024 among them
        (D(2024, 1, 1), D(2027, 1, 1), DayCount.ACTUAL_365_FIXED, F(1096, 365)),
        (D(2024, 1, 1), D(2027, 1, 1), DayCount.ACTUAL_ACTUAL_ISDA, F(3)),
        (D(2024, 1, 1), D(2027, 1, 1), DayCount.THIRTY_360_BOND_BASIS, F(3)),
        (D(2024, 1, 1), D(2027, 1, 1), DayCount.WHOLE_YEARS, F(3)),
        (D(2024, 1, 1), D(2027, 1, 1), DayCount.WHOLE_MONTHS, F(3)),
        # one day short: 2 whole years; 366/366 + 365/365 + 364/365; 30/360: 720 + 330 + 30
        (D(2024, 1, 1), D(2026, 12, 31), DayCount.WHOLE_YEARS, F(2)),
        (D(2024, 1, 1), D(2026, 12, 31), DayCount.ACTUAL_ACTUAL_ISDA, 2 + F(364, 365)),
        (D(2024, 1, 1), D(2026, 12, 31), DayCount.THIRTY_360_BOND_BASIS, F(3)),
        (D(2024, 1, 1), D(2026, 12, 31), DayCount.WHOLE_MONTHS, F(35, 12)),
        # ISDA's example: 61 days in 2003, 121 in (leap) 2004
        (D(2003, 11, 1), D(2004, 5, 1), DayCount.ACTUAL_ACTUAL_ISDA, F(61, 365) + F(121, 366)),
        # 29 Feb 2024 to 28 Feb 2025: 307 days of 2024 (of 366), 58 of 2025
        (D(2024, 2, 29), D(2025, 2, 28), DayCount.ACTUAL_ACTUAL_ISDA, F(307, 366) + F(58, 365)),
        (D(2024, 2, 29), D(2025, 2, 28), DayCount.ACTUAL_365_FIXED, F(365, 365)),
        # 30/360: D1 31 -> 30, then D2 31 -> 30: 60 days; D1 28 keeps D2 31: 30 + 3 days
        (D(2024, 1, 31), D(2024, 3, 31), DayCount.THIRTY_360_BOND_BASIS, F(60, 360)),
        (D(2024, 2, 28), D(2024, 3, 31), DayCount.THIRTY_360_BOND_BASIS, F(33, 360)),
        # no end-of-February rule in the bond basis: 360 + 0 + (28 - 29) days
        (D(2024, 2, 29), D(2025, 2, 28), DayCount.THIRTY_360_BOND_BASIS, F(359, 360)),
        (D(2024, 5, 5), D(2024, 5, 5), DayCount.ACTUAL_ACTUAL_ISDA, F(0)),
    ],
)
def test_year_fraction(start: date, end: date, day_count: DayCount, expected: F) -> None:
    assert year_fraction(start, end, day_count) == expected


def test_whole_periods_from_a_day_later_months_lack_need_a_rounding() -> None:
    with pytest.raises(AmbiguousDate):
        year_fraction(D(2024, 2, 29), D(2025, 3, 1), DayCount.WHOLE_YEARS)
    # DOWN: the year ends on 28 Feb 2025; UP: on 1 Mar 2025
    down, up = MonthRounding.DOWN, MonthRounding.UP
    assert year_fraction(D(2024, 2, 29), D(2025, 2, 28), DayCount.WHOLE_YEARS, down) == 1
    assert year_fraction(D(2024, 2, 29), D(2025, 2, 28), DayCount.WHOLE_YEARS, up) == 0
    assert whole_periods(D(2024, 1, 31), D(2024, 2, 29), 1, down) == 1
    assert whole_periods(D(2024, 1, 31), D(2024, 2, 29), 1, up) == 0
    with pytest.raises(InvalidWindow):
        year_fraction(D(2025, 1, 1), D(2024, 1, 1), DayCount.ACTUAL_365_FIXED)


# -- a return cap under each day count ----------------------------------------------------------


def _capped(day_count: DayCount, owed_on: date) -> ib.Money:
    w = Waterfall(
        investments=[(D(2024, 1, 1), dkk(1_000_000))],
        return_cap=ReturnCap(irr=F(15, 100), day_count=day_count, clause="9"),
    )
    return w.run([(owed_on, dkk(2_000_000))]).total("investor") + dkk(1_000_000)


@pytest.mark.parametrize(
    "day_count",
    [
        DayCount.WHOLE_YEARS,
        DayCount.WHOLE_MONTHS,
        DayCount.ACTUAL_ACTUAL_ISDA,
        DayCount.THIRTY_360_BOND_BASIS,
    ],
)
def test_fifteen_percent_a_year_for_three_years_is_exactly_1_15_cubed(day_count: DayCount) -> None:
    # 1,000,000 x 1.15^3 = 1,000,000 x 1.520875 = 1,520,875.00, exactly
    assert _capped(day_count, D(2027, 1, 1)) == dkk("1520875.00")


def test_actual_365_fixed_over_a_29_february_gives_a_higher_cap() -> None:
    # 1096/365 years: 1,000,000 x 1.15^(1096/365), in floats, to the øre below
    expected = math.floor(100_000_000 * 1.15 ** (1096 / 365)) / 100
    got = _capped(DayCount.ACTUAL_365_FIXED, D(2027, 1, 1))
    assert abs(float(got.amount) - expected) <= 0.01
    assert got > dkk("1520875.00")  # about 582 kroner more than the contract's words


def test_one_day_short_of_three_years() -> None:
    # whole years: two, 1.15^2 = 1.3225; 30/360 counts 1 Jan to 31 Dec as whole years: three
    assert _capped(DayCount.WHOLE_YEARS, D(2026, 12, 31)) == dkk("1322500.00")
    assert _capped(DayCount.THIRTY_360_BOND_BASIS, D(2026, 12, 31)) == dkk("1520875.00")
    expected = math.floor(100_000_000 * 1.15 ** (2 + 364 / 365)) / 100
    got = _capped(DayCount.ACTUAL_ACTUAL_ISDA, D(2026, 12, 31))
    assert abs(float(got.amount) - expected) <= 0.01


def test_whole_years_with_an_earlier_receipt() -> None:
    w = Waterfall(
        investments=[(D(2024, 1, 1), dkk(1_000_000))],
        return_cap=ReturnCap(irr=F(15, 100), day_count=DayCount.WHOLE_YEARS, clause="9"),
    )
    flows = w.run([(D(2025, 1, 1), dkk(600_000)), (D(2027, 1, 1), dkk(1_000_000))])
    paid = [c.amount for c in flows if c.party == "investor" and c.memo == "outcome payment"]
    # Room on 2025-01-01: 1,150,000, so 600,000 is paid in full.  Room on 2027-01-01:
    # 1,000,000 x 1.15^3 - 600,000 x 1.15^2 = 1,520,875 - 793,500 = 727,375.00.
    assert paid == [dkk(600_000), dkk("727375.00")]


def test_whole_months_from_a_month_end_need_a_rounding_at_run_time() -> None:
    cap = ReturnCap(irr=F(1, 10), day_count=DayCount.WHOLE_MONTHS, clause="9")
    w = Waterfall(investments=[(D(2024, 1, 1), dkk(1000))], return_cap=cap)
    with pytest.raises(AmbiguousDate) as err:
        w.run([(D(2024, 1, 31), dkk(10)), (D(2024, 3, 1), dkk(10))])
    assert err.value.clause == "9" and err.value.field == "month_rounding"


def test_return_cap_in_a_contract_file() -> None:
    c = loads_contract(_edit('day_count = "actual_365_fixed"', 'day_count = "whole_years"'))
    assert c.financing is not None and c.financing.return_cap is not None
    assert c.financing.return_cap.day_count is DayCount.WHOLE_YEARS
    assert ib.loads_contract(ib.dumps_contract(c)) == c
    text = render_markdown(c)
    assert "counted in whole calendar years" in text and "8 % for every whole year" in text


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            'day_count = "actual_365_fixed"',
            'day_count = "act/360"',
            "financing.return_cap.day_count",
            "'act/360' is not a DayCount",
        ),
        (
            'day_count = "actual_365_fixed"\n',
            "",
            "financing.return_cap.day_count",
            "names the day count",
        ),
        (
            'day_count = "actual_365_fixed"',
            'day_count = "whole_years"',
            "financing.return_cap.month_rounding",
            "2024-02-29 are ambiguous",
        ),
    ],
)
def test_bad_day_count_terms_name_the_clause(old: str, new: str, field: str, words: str) -> None:
    text = _edit(old, new)
    if "whole_years" in new:
        text = _edit("{ on = 2022-01-01,", "{ on = 2024-02-29,", text)
    with pytest.raises(ContractFileError) as err:
        loads_contract(text, source="hybrid.toml")
    assert (err.value.field, err.value.clause) == (field, "5")
    assert words in str(err.value)


# -- when a guarantee pays -------------------------------------------------------------------


def test_guarantee_called_at_maturity_dates_the_investors_flows() -> None:
    g = Guarantee("foundation", F(1, 2), clause="11", called=GuaranteeCall.MATURITY)
    w = Waterfall(
        investments=[(D(2021, 1, 1), eur(1_000_000))], guarantee=g, maturity=D(2025, 12, 31)
    )
    flows = w.run([])  # no outcome payments at all
    investor = [(c.on, c.amount) for c in flows if c.party == "investor"]
    assert investor == [(D(2021, 1, 1), eur(-1_000_000)), (D(2025, 12, 31), eur(500_000))]
    # 1825 days = 5 x 365: XIRR = 0.5^(1/5) - 1 = -12.9449 % (2^-0.2 = 0.870550563...)
    rate = flows.xirr("investor")
    assert rate is not None and rate == pytest.approx(0.5**0.2 - 1, abs=1e-9)
    assert rate == pytest.approx(-0.129449437, abs=1e-8)


def test_loss_is_measured_on_the_call_date() -> None:
    g = Guarantee("g", F(1), clause="11", called=GuaranteeCall.ON_DATE, on=D(2022, 1, 1))
    w = Waterfall(investments=[(D(2020, 1, 1), eur(1000))], guarantee=g)
    flows = w.run([(D(2021, 1, 1), eur(300)), (D(2023, 1, 1), eur(500))])
    # On 2022-01-01 the investor is 1000 - 300 = 700 down: the guarantor pays 700 then;
    # the payment of 500 in 2023 comes after the call and is not counted against it.
    assert [(c.on, c.amount) for c in flows if c.party == "g"] == [(D(2022, 1, 1), eur(-700))]
    assert flows.total("investor") == eur(500)


def _last_due_by_the_clock(contract: ib.Contract, register: ib.Register) -> date:
    obs = observe(contract, register, as_of=contract.term_start + timedelta(days=1))
    last_period = len(obs.invoice_bounds) - 2
    return date.fromordinal(int(obs.due_on([last_period])[0]))


def test_final_determination_is_the_last_due_date() -> None:
    nyborg, people, trajectories = ib.examples.nyborg()
    # The term's last day is 30 June 2027 (inclusive); no tail; + 60 days = 29 August 2027
    assert nyborg.final_determination == D(2027, 8, 29)
    register = ib.Register.from_objects(people, trajectories)
    assert _last_due_by_the_clock(nyborg, register) == nyborg.final_determination
    # With a tail of 3 months: measured up to 30 September 2027, due 29 November 2027
    tailed = attrs.evolve(nyborg, measurement_tail_months=3)
    assert tailed.final_determination == D(2027, 11, 29)
    assert _last_due_by_the_clock(tailed, register) == tailed.final_determination
    hybrid, people, trajectories, events = ib.examples.hybrid()
    # Last day 31 December 2025, no tail, no verification lag
    assert hybrid.final_determination == D(2025, 12, 31)
    s = ib.settle(hybrid, people, trajectories, as_of=D(2026, 1, 2), events=events)
    cover = [c for c in cash_flows(s) if c.memo == "guarantee"]
    assert {c.on for c in cover} == {D(2025, 12, 31)}
    text = render_markdown(hybrid)
    assert "at final determination" in text and "(31 December 2025)" in text


def test_guarantee_terms_are_checked() -> None:
    with pytest.raises(InvalidContract, match="names the date") as err:
        Guarantee("g", called=GuaranteeCall.ON_DATE, clause="11")
    assert (err.value.field, err.value.clause) == ("on", "11")
    with pytest.raises(InvalidContract, match="names no date of its own"):
        Guarantee("g", called=GuaranteeCall.MATURITY, on=D(2024, 1, 1))
    with pytest.raises(InvalidContract, match="before the investment") as err:
        Waterfall(
            investments=[(D(2021, 1, 1), eur(1)), (D(2022, 1, 1), eur(1))],
            guarantee=Guarantee("g", called=GuaranteeCall.ON_DATE, on=D(2021, 6, 30), clause="11"),
        )
    assert err.value.clause == "11"
    with pytest.raises(InvalidContract, match="at maturity") as err:
        Waterfall(
            investments=[(D(2021, 1, 1), eur(1))],
            guarantee=Guarantee("g", called=GuaranteeCall.MATURITY, clause="11"),
        )
    assert err.value.field == "called"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            'called = "final_determination"',
            'called = "on_date"\non = 2021-06-30',
            "financing.guarantee.on",
        ),
        ('called = "final_determination"\n', "", "financing.guarantee.called"),
        ('called = "final_determination"', 'called = "at_the_end"', "financing.guarantee.called"),
    ],
)
def test_bad_guarantee_terms_in_a_contract_file(old: str, new: str, field: str) -> None:
    with pytest.raises(ContractFileError) as err:
        loads_contract(_edit(old, new), source="hybrid.toml")
    assert (err.value.field, err.value.clause) == (field, "6")


def test_a_guarantee_called_at_maturity_before_the_last_investment() -> None:
    contract = ib.examples.hybrid()[0]
    assert contract.financing is not None and contract.financing.guarantee is not None
    g = attrs.evolve(contract.financing.guarantee, called=GuaranteeCall.MATURITY)
    with pytest.raises(InvalidContract, match=r"called on 2021-12-31 \(maturity\)") as err:
        attrs.evolve(
            contract,
            term_end=D(2021, 12, 31),
            referral_end=D(2021, 12, 31),
            financing=attrs.evolve(contract.financing, guarantee=g),
        )
    assert (err.value.field, err.value.clause) == ("financing.guarantee.called", "6")


def test_guarantee_called_on_a_named_date_in_a_contract_file() -> None:
    c = loads_contract(
        _edit('called = "final_determination"', 'called = "on_date"\non = 2024-06-30')
    )
    assert c.financing is not None and c.financing.guarantee is not None
    assert c.financing.guarantee.on == D(2024, 6, 30)
    assert ib.loads_contract(ib.dumps_contract(c)) == c
    assert "guarantee paid on 30 June 2024" in render_markdown(c)
