"""Contract files: the Nyborg contract loads, round-trips, and bad input gets typed errors."""

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from impactbond.calendar import MonthRounding
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.outcome import EmploymentMonths, Progression, Retention
from impactbond.domain.payment import CapScope, PricePerUnit
from impactbond.errors import ContractFileError, ImpactBondError, InvalidContract
from impactbond.examples import nyborg_paths
from impactbond.io.contract_file import (
    dump_contract,
    dumps_contract,
    load_contract,
    loads_contract,
    make_converter,
)
from impactbond.money import Money, Rounding, RoundingStage
from impactbond.status import Status

NYBORG = nyborg_paths().contract
TEXT = NYBORG.read_text(encoding="utf-8")


def _bad(text: str) -> ContractFileError:
    with pytest.raises(ContractFileError) as info:
        loads_contract(text, source="nyborg.toml")
    assert str(info.value).startswith("nyborg.toml: ")
    return info.value


def _edit(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _fields(error: ImpactBondError) -> set[str | None]:
    return {e.field for e in error.errors} if error.errors else {error.field}


# -- the Nyborg contract ----------------------------------------------------------------


def test_nyborg_contract_terms() -> None:
    c = load_contract(NYBORG)
    assert (c.parties.outcome_payer, c.parties.provider) == ("Nyborg Kommune", "Carelink Gruppen")
    assert c.currency == "DKK"
    assert c.rounding is Rounding.HALF_UP and c.rounding_stage is RoundingStage.LINE
    assert [(k.label, k.target) for k in c.cohorts] == [
        ("sick_listed", Fraction(100)),
        ("unemployed", Fraction(50)),
    ]
    assert c.cohort("sick_listed").eligible_statuses == (
        Status.SICKNESS_BENEFIT,
        Status.CLARIFICATION_COURSE,
    )
    months = c.outcome("employment_months")
    assert isinstance(months, EmploymentMonths)
    assert months.convention is AccrualConvention.PRO_RATA_DAYS
    assert months.weight_of(Status.FLEXJOB) == Fraction(1, 2)
    assert months.weight_of(Status.WAGE_SUBSIDY) == Fraction(1, 2)
    assert months.hours_norm == Decimal(37)
    assert months.window.length_months == 24
    assert months.window.month_rounding is MonthRounding.DOWN
    same_job = c.outcome("same_job_retention_26w")
    assert isinstance(same_job, Retention) and same_job.same_employer
    assert same_job.horizon_weeks == 26
    assert isinstance(c.outcome("progression"), Progression)
    assert {cap.scope for cap in c.caps} == {CapScope.PARTICIPANT, CapScope.CONTRACT}
    assert c.schedule.invoice_months == 3 and c.schedule.verification_lag_days > 0


def test_nyborg_clauses_are_bilingual_and_prices_labelled_illustrative() -> None:
    c = load_contract(NYBORG)
    for clause in c.clauses:
        assert clause.title and clause.text and clause.text_da
    priced = {r.clause for r in c.payment_rules} | {cap.clause for cap in c.caps}
    for clause_id in priced:
        priced_clause = c.clause(clause_id)
        assert priced_clause is not None
        assert "ILLUSTRATIVE" in priced_clause.text and "ILLUSTRATIVT" in priced_clause.text_da
    contact = c.clause("3")
    assert contact is not None and "same consultant" in contact.text
    assert "ILLUSTRATIVE PRICES" in TEXT.split("\nid = ")[0]  # the top comment


def test_round_trip_text_and_file(tmp_path: Path) -> None:
    c = load_contract(NYBORG)
    assert loads_contract(dumps_contract(c)) == c
    dump_contract(c, tmp_path / "copy.toml")
    assert load_contract(tmp_path / "copy.toml") == c


def test_kind_written_and_unit_not() -> None:
    text = dumps_contract(load_contract(NYBORG))
    assert text.count('kind = "retention"') == 2
    assert "unit =" not in text


# -- alternative spellings that are accepted -------------------------------------------------


def test_money_as_table_or_currency_first_and_float_refused() -> None:
    a = loads_contract(
        _edit('price = "7500.00 DKK"', 'price = { amount = "7500.00", currency = "DKK" }')
    )
    b = loads_contract(_edit('price = "7500.00 DKK"', 'price = "DKK 7500.00"'))
    price = Money("7500.00", "DKK")
    for contract in (a, b):
        rule = next(r for r in contract.payment_rules if r.id == "pay_employment_months_unemployed")
        assert isinstance(rule, PricePerUnit) and rule.price == price
    # A TOML float is not exact: refused, with the exact spellings (7500.10 = 75001/10).
    err = _bad(_edit('price = "7500.00 DKK"', 'price = { amount = 7500.10, currency = "DKK" }'))
    assert '"75001/10" or "7500.10"' in err.message


def test_dates_as_strings_and_fractions_as_decimals() -> None:
    c = loads_contract(
        _edit("term_start = 2023-10-01", 'term_start = "2023-10-01"').replace(
            'wage_subsidy = "1/2"', 'wage_subsidy = "0.5"'
        )
    )
    assert c.term_start == date(2023, 10, 1)
    months = c.outcome("employment_months")
    assert isinstance(months, EmploymentMonths)
    assert months.weight_of(Status.WAGE_SUBSIDY) == Fraction(1, 2)


def test_converter_refuses_float_money_without_currency() -> None:
    with pytest.raises(ContractFileError):
        make_converter().structure(Decimal("1.5"), Money)


# -- bad input: each a typed error naming the clause and the field ---------------------------


def test_negative_price() -> None:
    err = _bad(_edit('price = "7500.00 DKK"', 'price = "-7500.00 DKK"'))
    assert isinstance(err, InvalidContract)
    assert err.field == "payment_rules[1].price"
    assert err.clause == "6.1"
    assert "negative" in err.message


def test_cap_below_zero() -> None:
    err = _bad(_edit('amount = "200000.00 DKK"', 'amount = "-1.00 DKK"'))
    assert (err.field, err.clause) == ("caps[0].amount", "7.1")


def test_two_currencies() -> None:
    err = _bad(_edit('price = "3000.00 DKK"', 'price = "3000.00 EUR"'))
    assert err.rule == "one contract, one currency"
    assert err.clause == "6.3"
    assert err.field == "payment_rules[4].currency"


def test_unknown_outcome_in_a_rule() -> None:
    err = _bad(_edit('outcome = "progression"', 'outcome = "progresion"'))
    assert err.field == "payment_rules[4].outcome"
    assert err.clause == "6.3"
    assert "progresion" in err.message


def test_toml_syntax_error_names_the_line() -> None:
    lines = TEXT.splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("currency ="))
    err = _bad(_edit('currency = "DKK"', 'currency = "DKK'))
    assert err.rule == "TOML syntax"
    assert err.row == number


@pytest.mark.parametrize(
    ("old", "new", "field", "clause"),
    [
        ("horizon_weeks = 26", 'horizon_weeks = "26"', "outcomes[2].horizon_weeks", "5.3"),
        ("same_employer = true", 'same_employer = "yes"', "outcomes[3].same_employer", "5.4"),
        ('price = "3000.00 DKK"', "price = 3000", "payment_rules[4].price", "6.3"),
        ("term_end = 2027-06-30", 'term_end = "soon"', "term_end", None),
        (
            'convention = "pro_rata_days"',
            'convention = "pro_rata"',
            "outcomes[0].convention",
            "5.1",
        ),
        ('kind = "job_start"', 'kind = "jobstart"', "outcomes[1].kind", "5.2"),
        ('id = "cap_contract"', "id = 7", "caps[1].id", "7.2"),
        ('title = "Job start"', "title = 5", "clauses[8].title", "5.2"),
        ("invoice_months = 3", "invoice_months = 3\ninvoice_day = 1", "schedule.invoice_day", None),
        ('target = "50"\nclause', 'target = "fifty"\nclause', "cohorts[1].target", "2.2"),
        (
            'eligible_statuses = ["sickness_benefit", "clarification_course"]',
            'eligible_statuses = ["sickness_benefit", "sick"]',
            "cohorts[0].eligible_statuses[1]",
            "2.1",
        ),
    ],
)
def test_wrong_value_in_a_field(old: str, new: str, field: str, clause: str | None) -> None:
    err = _bad(_edit(old, new))
    assert err.field == field
    assert err.clause == clause
    assert err.rule


def test_missing_required_field() -> None:
    err = _bad(_edit('outcome_payer = "Nyborg Kommune"\n', ""))
    assert err.field == "parties.outcome_payer"
    assert err.rule == "every required field is given"


def test_every_bad_field_is_reported_at_once() -> None:
    text = TEXT
    for old, new in [
        ("horizon_weeks = 26", 'horizon_weeks = "26"'),
        ('price = "3000.00 DKK"', "price = 3000"),
        ('kind = "job_start"', 'kind = "jobstart"'),
        ('price = "7500.00 DKK"', 'price = "-7500.00 DKK"'),
        ("invoice_months = 3", "invoice_months = 3\nfoo = 1"),
    ]:
        text = _edit(old, new, text)
    err = _bad(text)
    assert "5 problems" in err.message
    assert _fields(err) == {
        "outcomes[1].kind",
        "outcomes[2].horizon_weeks",
        "payment_rules[1].price",
        "payment_rules[4].price",
        "schedule.foo",
    }
    assert all(isinstance(e, ContractFileError) for e in err.errors)


def test_several_contract_wide_problems_at_once() -> None:
    text = _edit('outcome = "progression"', 'outcome = "progresion"')
    text = _edit('amount = "6000000.00 DKK"', 'amount = "6000000.00 EUR"', text)
    err = _bad(text)
    assert _fields(err) == {"payment_rules[4].outcome", "caps[1].currency"}


def test_domain_validator_errors_keep_their_rule() -> None:
    err = _bad(_edit('wage_subsidy = "1/2"', 'wage_subsidy = "3/2"'))
    assert err.field == "outcomes[0].weights"
    assert err.rule == "a status weight lies between 0 and 1"


def test_file_name_in_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\n', encoding="utf-8")
    with pytest.raises(ContractFileError, match=r"broken\.toml"):
        load_contract(path)


HUGE = "99999999999999999999"  # 10**20 - 1: beyond a C long, as a user may type by mistake


@pytest.mark.parametrize(
    ("old", "field"),
    [
        ("invoice_months = 3", "schedule.invoice_months"),
        ("verification_lag_days = 60", "schedule.verification_lag_days"),
        ("length_months = 24", "outcomes[0].window.length_months"),
        ("horizon_weeks = 26", "outcomes[2].horizon_weeks"),
    ],
)
def test_a_huge_count_of_months_weeks_or_days_is_a_typed_error(old: str, field: str) -> None:
    # Before the bounds these loaded and the settlement ended in an OverflowError.
    name, _ = old.split(" = ")
    err = _bad(_edit(old, f"{name} = {HUGE}"))
    (only,) = err.errors or [err]
    assert only.field == field and name in only.message, (only.field, only.message)


def test_counts_at_their_bounds_load_and_settle() -> None:
    # 100 years: 1,200 months, 5,200 weeks, 36,600 days.
    import impactbond as ib

    text = TEXT
    for old, new in [
        ("invoice_months = 3", "invoice_months = 1200"),
        ("verification_lag_days = 60", "verification_lag_days = 36600"),
        ("length_months = 24", "length_months = 1200"),
        ("horizon_weeks = 26", "horizon_weeks = 5200"),
    ]:
        text = _edit(old, new, text)
    contract = loads_contract(text, source="nyborg.toml")
    assert contract.schedule.invoice_months == 1200
    people = [ib.Participant("P-1", "sick_listed", date(2024, 1, 15))]
    trajectories = [
        ib.Trajectory(
            "P-1",
            [
                ib.Spell("sickness_benefit", date(2024, 1, 1), date(2024, 2, 1)),
                ib.Spell("employed", date(2024, 2, 1), None, hours=Decimal(37)),
            ],
        )
    ]
    s = ib.settle(contract, people, trajectories, as_of=date(2025, 1, 1))
    # One invoice period of 100 years, due 36,600 days after it: nothing is due yet.
    assert s.total == Money(0, "DKK")


def test_a_cpr_number_anywhere_in_a_contract_file_is_refused_and_never_echoed() -> None:
    # A party name and a clause text each carry a CPR-shaped number (in two spellings).
    text = _edit('provider = "Carelink Gruppen"', 'provider = "Carelink Gruppen 010190-1234"')
    text = _edit(
        'text = "The programme serves two target groups',
        'text = "Contact 0101901234. The programme serves two target groups',
        text,
    )
    err = _bad(text)
    assert _fields(err) == {"parties.provider", "clauses[1].text"}
    assert {e.clause for e in err.errors} == {None, "2"}
    everything = str(err) + "".join(str(e) for e in err.errors)
    assert "1234" not in everything and "withheld" in everything
    # The same contract without the numbers loads.
    assert loads_contract(TEXT, source="nyborg.toml").parties.provider == "Carelink Gruppen"


def test_financing_terms_cite_clauses_the_contract_has() -> None:
    # hybrid.toml's guarantee cites clause 6, which the file has; clause 66 it does not.
    hybrid = (NYBORG.parent / "hybrid.toml").read_text(encoding="utf-8")
    assert loads_contract(hybrid, source="hybrid.toml").financing is not None
    bad = hybrid.replace(
        'called = "final_determination"\nclause = "6"',
        'called = "final_determination"\nclause = "66"',
        1,
    )
    assert bad != hybrid
    with pytest.raises(ContractFileError) as info:
        loads_contract(bad, source="hybrid.toml")
    err = info.value
    assert (err.field, err.clause) == ("financing.guarantee.clause", "66"), (err.field, err.clause)
    assert "financing.guarantee cites clause '66'" in err.message
