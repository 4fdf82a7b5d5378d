"""Status categories on Danish register semantics: codes, names, decisions, removed names."""

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

import impactbond as ib
from impactbond.errors import ContractFileError, InvalidContract, UnknownCode
from impactbond.examples import nyborg_paths
from impactbond.io.contract_file import loads_contract
from impactbond.io.trajectories import read_spells
from impactbond.status import (
    BENEFITS,
    DEFAULT_PRIORITY,
    EMPLOYMENT,
    RETIRED_CODES,
    SPLIT_STATUSES,
    CodeTable,
    Status,
)

D = date
S = Status
NYBORG_TEXT = nyborg_paths().contract.read_text(encoding="utf-8")


def _edit(old: str, new: str, text: str = NYBORG_TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- codes and names ------------------------------------------------------------------


def test_codes_of_unchanged_categories_are_kept() -> None:
    # The codes before the split, for every category whose meaning did not change.
    assert {s.name: int(s) for s in Status if int(s) <= 10} == {
        "UNKNOWN": 0,
        "EMPLOYED": 1,
        "EDUCATION": 3,
        "SELF_SUPPORTED": 4,
        "SICKNESS_BENEFIT": 5,
        "UNEMPLOYMENT_BENEFIT": 6,
        "DISABILITY_PENSION": 9,
        "OTHER_BENEFIT": 10,
    }


def test_retired_codes_are_never_reused_and_every_code_fits_int8() -> None:
    codes = [int(s) for s in Status]
    assert len(set(codes)) == len(codes)
    assert set(RETIRED_CODES) == {2, 7, 8}
    assert not set(RETIRED_CODES) & set(codes)
    assert all(0 <= c <= 127 for c in codes)


def test_the_categories_danish_contracts_distinguish_are_distinct() -> None:
    danish = {
        "jobafklaringsforløb",
        "ressourceforløb",
        "revalidering",
        "fleksjob",
        "ledighedsydelse",
        "løntilskud",
        "førtidspension",
        "sygedagpenge",
        "a-dagpenge",
        "kontanthjælp",
        "uddannelseshjælp",
        "selvforsørgelses- og hjemrejseydelse",
        "SU",
        "barselsdagpenge",
        "efterløn",
        "folkepension",
    }
    # Each word is part of the Danish name of exactly one status.
    owners = {word: [s for s in Status if word in s.name_da.split(", ")] for word in danish}
    assert all(len(found) == 1 for found in owners.values()), owners
    assert len({found[0] for found in owners.values()}) == len(danish)


def test_every_status_has_a_danish_and_an_english_name() -> None:
    for s in Status:
        assert s.name_da and s.name_en and s.name_da == s.name_da.strip()
    assert len({s.name_da for s in Status}) == len(Status)
    assert len({s.name_en for s in Status}) == len(Status)
    assert S.FLEXJOB_UNEMPLOYMENT_BENEFIT.name_da == "ledighedsydelse"
    assert S.CLARIFICATION_COURSE.name_en == "job clarification course"


def test_every_status_parses_from_its_file_name_and_its_code() -> None:
    for s in Status:
        assert Status.parse(s.file_name) is s
        assert Status.parse(s.name) is s
        assert Status.parse(int(s)) is s


# -- decisions: benefits, employment, priority ---------------------------------------------


def test_benefits_and_employment() -> None:
    assert {S.EMPLOYED, S.FLEXJOB, S.WAGE_SUBSIDY} == EMPLOYMENT
    # Supported employment is both work and public support; SU is not a benefit.
    assert S.FLEXJOB.is_benefit and S.FLEXJOB.is_employment
    assert S.WAGE_SUBSIDY.is_benefit and S.WAGE_SUBSIDY.is_employment
    assert not S.EMPLOYED.is_benefit
    not_benefits = set(Status) - BENEFITS
    assert not_benefits == {S.UNKNOWN, S.EMPLOYED, S.EDUCATION, S.SELF_SUPPORTED}
    for s in (S.CLARIFICATION_COURSE, S.RESOURCE_COURSE, S.VOCATIONAL_REHABILITATION):
        assert s.is_benefit and not s.is_employment


def test_default_self_sufficiency_counts_no_supported_job() -> None:
    counted = {s for s, w in ib.SelfSufficiency("self").weights if w > 0}
    assert counted == {S.EMPLOYED, S.EDUCATION, S.SELF_SUPPORTED}


def test_default_priority_lists_every_status_once() -> None:
    assert len(DEFAULT_PRIORITY) == len(set(DEFAULT_PRIORITY)) == len(Status)
    rank = {s: i for i, s in enumerate(DEFAULT_PRIORITY)}
    # Every benefit that is not employment outranks every kind of work.
    for benefit in BENEFITS - EMPLOYMENT:
        for work in EMPLOYMENT:
            assert rank[benefit] < rank[work], (benefit, work)
    assert rank[S.FLEXJOB] < rank[S.EMPLOYED] and rank[S.WAGE_SUBSIDY] < rank[S.EMPLOYED]
    assert rank[S.EMPLOYED] < rank[S.EDUCATION] < rank[S.SELF_SUPPORTED] < rank[S.UNKNOWN]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["job", "flex"], S.FLEXJOB),  # the subsidised job is what the week records
        (["job", "fp"], S.DISABILITY_PENSION),  # a pensioner with a small job
        (["jaf", "job"], S.CLARIFICATION_COURSE),
        (["led", "flex"], S.FLEXJOB_UNEMPLOYMENT_BENEFIT),
        (["su", "job"], S.EMPLOYED),
    ],
)
def test_one_status_per_week_by_priority(codes: list[str], expected: Status) -> None:
    table = CodeTable(
        {
            "job": S.EMPLOYED,
            "flex": S.FLEXJOB,
            "fp": S.DISABILITY_PENSION,
            "jaf": S.CLARIFICATION_COURSE,
            "led": S.FLEXJOB_UNEMPLOYMENT_BENEFIT,
            "su": S.EDUCATION,
        }
    )
    assert table.resolve(codes) is expected
    assert table.resolve(list(reversed(codes))) is expected


# -- removed names: an error that says what they were split into -------------------------


@pytest.mark.parametrize("old", sorted(SPLIT_STATUSES))
def test_a_removed_name_says_what_it_was_split_into(old: str) -> None:
    for spelling in (old, old.upper()):
        with pytest.raises(UnknownCode) as err:
            Status.parse(spelling)
        assert err.value.field == "status"
        for new in SPLIT_STATUSES[old]:
            assert new.file_name in err.value.message and new.name_da in err.value.message


def test_a_retired_code_is_refused_with_its_old_name() -> None:
    with pytest.raises(UnknownCode, match=r"code 8 \(rehabilitation\) is retired.*resource_course"):
        Status.parse(8)
    with pytest.raises(UnknownCode, match="no status has code 99"):
        Status.parse(99)


def test_a_danish_name_gets_the_name_to_use() -> None:
    with pytest.raises(UnknownCode, match="'løntilskud': løntilskud is named 'wage_subsidy'"):
        Status.parse("løntilskud")
    with pytest.raises(UnknownCode, match="is named 'unemployment_benefit'"):
        Status.parse("Dagpenge")


def test_an_unknown_value_that_looks_like_a_cpr_number_is_not_echoed() -> None:
    with pytest.raises(UnknownCode) as err:
        Status.parse("010203-1234")
    assert "1234" not in str(err.value) and "not a status name" in str(err.value)


def test_contract_file_with_rehabilitation_names_the_field_and_the_split() -> None:
    text = _edit(
        '"sickness_benefit", "clarification_course"]', '"sickness_benefit", "rehabilitation"]'
    )
    with pytest.raises(ContractFileError) as err:
        loads_contract(text, source="nyborg.toml")
    assert isinstance(err.value, InvalidContract)
    assert err.value.field == "cohorts[0].eligible_statuses[1]"
    assert err.value.clause == "2.1"
    assert "clarification_course (jobafklaringsforløb)" in str(err.value)


def test_contract_file_with_subsidised_employment_weights() -> None:
    text = _edit('flexjob = "1/2", wage_subsidy = "1/2"', 'subsidised_employment = "1/2"')
    with pytest.raises(ContractFileError) as err:
        loads_contract(text, source="nyborg.toml")
    assert err.value.field == "outcomes[0].weights"
    assert "flexjob (fleksjob), wage_subsidy (løntilskud)" in str(err.value)


def test_spells_file_with_social_assistance_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "spells.csv"
    path.write_text(
        "participant_id,status,start,end,hours,employer\n"
        "P-1,cash_benefit,2024-01-01,2024-02-01,,\n"
        "P-1,social_assistance,2024-02-01,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ib.ImpactBondError) as err:
        read_spells(path)
    problems = err.value.errors or [err.value]
    # data rows count from 1 (the header is not a row): the second one
    assert [(e.row, e.field, e.participant) for e in problems] == [(2, "status", "P-1")]
    assert isinstance(problems[0], UnknownCode)
    assert "cash_benefit (kontanthjælp)" in problems[0].message


# -- a status listed twice in a ladder -----------------------------------------------------


@pytest.mark.parametrize(
    ("ladder", "words"),
    [
        ('["flexjob", "wage_subsidy", "flexjob"]', "flexjob is listed 2 times on rung 1"),
        (
            '["flexjob", "wage_subsidy", "education", "cash_benefit"]',
            "cash_benefit stands on rungs 0 and 1",
        ),
        ("[]", "rung 1 is empty"),
    ],
)
def test_ladder_with_a_status_twice_or_an_empty_rung(ladder: str, words: str) -> None:
    text = _edit('["flexjob", "wage_subsidy", "education"]', ladder)
    with pytest.raises(ContractFileError) as err:
        loads_contract(text, source="nyborg.toml")
    assert err.value.field == "outcomes[4].ladder"
    assert err.value.clause == "5.5"
    assert words in str(err.value)


def test_ladder_in_code_reports_every_duplicate_at_once() -> None:
    with pytest.raises(InvalidContract) as err:
        ib.Progression("p", ladder=[["cash_benefit", "flexjob"], ["flexjob", "cash_benefit"]])
    assert "cash_benefit stands on rungs 0 and 1" in err.value.message
    assert "flexjob stands on rungs 0 and 1" in err.value.message


# -- what the split changes: who a cohort admits, how far a person climbs -------------------


def _contract(cohort: ib.CohortTerms, outcomes: list[ib.Outcome] | None = None) -> ib.Contract:
    return ib.Contract(
        id="t",
        title="T",
        parties=ib.Parties("Kommune", "Investor", "Provider"),
        currency="DKK",
        term_start=D(2024, 1, 1),
        term_end=D(2027, 1, 1),
        referral_start=D(2024, 1, 1),
        referral_end=D(2025, 1, 1),
        cohorts=[cohort],
        outcomes=outcomes or [ib.Progression("steps")],
        payment_rules=[
            ib.PricePerUnit(
                "pay",
                outcome=(outcomes or [ib.Progression("steps")])[0].id,
                price=ib.Money(100, "DKK"),
            )
        ],
    )


def test_a_sick_listed_cohort_admits_a_clarification_course_not_a_resource_course() -> None:
    # "On sickness benefit or in a clarification course": ressourceforløb and revalidering
    # were the same status as jobafklaringsforløb before the split, and were admitted.
    cohort = ib.CohortTerms(
        "sick_listed", eligible_statuses=["sickness_benefit", "clarification_course"]
    )
    people, trajectories = [], []
    for pid, status in [
        ("jaf", "clarification_course"),
        ("rf", "resource_course"),
        ("rev", "vocational_rehabilitation"),
        ("syg", "sickness_benefit"),
    ]:
        people.append(ib.Participant(pid, "sick_listed", D(2024, 3, 1)))
        trajectories.append(ib.Trajectory(pid, [ib.Spell(status, D(2024, 1, 1), None)]))
    s = ib.settle(_contract(cohort), people, trajectories, as_of=D(2024, 6, 1))
    assert sorted(s.participant_ids) == ["jaf", "syg"]
    reasons = {e.participant_id: e.reason for e in s.exclusions}
    assert set(reasons) == {"rf", "rev"}
    assert "resource_course" in reasons["rf"]


def test_default_ladder_from_cash_benefit_to_work() -> None:
    # Default rungs: 0 cash benefits, 1 courses, 2 supported work or education, 3 employed.
    p = ib.Participant("p", "c", D(2024, 1, 1))
    t = ib.Trajectory(
        "p",
        [
            ib.Spell("cash_benefit", D(2023, 6, 1), D(2024, 2, 1)),
            ib.Spell("resource_course", D(2024, 2, 1), D(2024, 6, 1)),
            ib.Spell("flexjob", D(2024, 6, 1), None),
        ],
    )
    steps = ib.Progression("steps")
    assert [steps.rung_of(s) for s in (S.CASH_BENEFIT, S.RESOURCE_COURSE, S.FLEXJOB)] == [0, 1, 2]
    assert steps.rung_of(S.EMPLOYED) == 3 and steps.rung_of(S.DISABILITY_PENSION) == -1
    s = ib.settle(_contract(ib.CohortTerms("c")), [p], [t], as_of=D(2024, 10, 1))
    # cash benefit (rung 0) -> resource course (1) -> flexjob (2): two rungs, DKK 100 each
    assert s.quantity("steps") == 2
    assert s.by_rule(due_only=False)["pay"] == ib.Money(200, "DKK")


def test_nyborg_months_weigh_flexjob_and_wage_subsidy_one_half() -> None:
    contract, _, _ = ib.examples.nyborg()
    months = contract.outcome("employment_months")
    assert isinstance(months, ib.EmploymentMonths)
    assert {s: months.weight_of(s) for s in EMPLOYMENT} == {
        S.EMPLOYED: Fraction(1),
        S.FLEXJOB: Fraction(1, 2),
        S.WAGE_SUBSIDY: Fraction(1, 2),
    }


def test_register_tables_with_a_removed_name_say_what_it_became() -> None:
    import pyarrow as pa

    people = pa.table({"participant_id": ["P-1"], "cohort": ["a"], "enrolled": [D(2024, 2, 1)]})
    spells = pa.table(
        {
            "participant_id": ["P-1", "P-1", "P-1"],
            "status": ["rehabilitation", "no_such_status", "employed"],
            "start": [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)],
            "end": [D(2024, 2, 1), D(2024, 3, 1), None],
        }
    )
    with pytest.raises(ib.ImpactBondError) as err:
        ib.Register.from_tables(people, spells)
    problems = {e.row: e for e in err.value.errors}
    assert set(problems) == {1, 2} and {e.field for e in problems.values()} == {"status"}
    assert "resource_course (ressourceforløb)" in problems[1].message
    assert problems[2].message.startswith("unknown status")
