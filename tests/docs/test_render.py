"""The contract as words: every clause, every price, every cap, safely escaped."""

from __future__ import annotations

from datetime import date

import pytest

import impactbond as ib
from impactbond.render import contract_html, describe_outcome, render_html, render_markdown

DKK = "DKK"


def small_contract() -> ib.Contract:
    """Two cohorts, three outcomes, two prices, a bonus, two caps, text with HTML in it."""
    return ib.Contract(
        id="demo-1",
        title="Demo <script>alert('x')</script> & co",
        parties=ib.Parties("Nyborg Kommune", "Den Sociale Kapitalfond", "Carelink"),
        currency=DKK,
        term_start=date(2024, 1, 1),
        term_end=date(2027, 1, 1),
        referral_start=date(2024, 1, 1),
        referral_end=date(2025, 1, 1),
        cohorts=[
            ib.CohortTerms(
                "sick_listed",
                description="sygemeldte | on sickness benefit",
                eligible_statuses=["sickness_benefit"],
                target_outcome="employment_months",
                target=100,
                max_participants=40,
                clause="2.1",
            ),
            ib.CohortTerms("unemployed", clause="2.2"),
        ],
        outcomes=[
            ib.EmploymentMonths(
                "employment_months",
                clause="4.1",
                weights={"employed": 1, "wage_subsidy": "1/2"},
            ),
            ib.JobStart("job_start", clause="4.2"),
            ib.Retention("retained_26w", clause="4.3", horizon_weeks=26),
        ],
        payment_rules=[
            ib.PricePerUnit(
                "pay_months",
                clause="5.1",
                outcome="employment_months",
                price=ib.Money("1234.56", DKK),
                max_units_per_participant=18,
            ),
            ib.PricePerUnit(
                "pay_retention",
                clause="5.2",
                outcome="retained_26w",
                price=ib.Money(7500, DKK),
                cohorts=["sick_listed"],
            ),
            ib.TargetBonus(
                "bonus",
                clause="5.3",
                outcome="employment_months",
                cohort="sick_listed",
                target=50,
                bonus=ib.Money(25000, DKK),
            ),
        ],
        caps=[
            ib.Cap("per_person", clause="6.1", scope="participant", amount=ib.Money(30000, DKK)),
            ib.Cap("contract_cap", clause="6.2", scope="contract", amount=ib.Money(2500000, DKK)),
        ],
        schedule=ib.PaymentSchedule(invoice_months=3, verification_lag_days=45),
        rounding=ib.Rounding.HALF_EVEN,
        rounding_stage=ib.RoundingStage.PARTICIPANT,
        clauses=[
            ib.Clause("2.1", "Sick-listed", "Citizens on sickness benefit.", "Sygemeldte borgere."),
            ib.Clause("2.2", "Unemployed", "Citizens on unemployment benefit.", "Ledige borgere."),
            ib.Clause(
                "4.1", "Employment months", "Months <b>in</b> work & more.", "Måneder i job."
            ),
            ib.Clause("4.2", "Job start", "The first week in work.", "Første uge i job."),
            ib.Clause("4.3", "Retention", "Still in work after 26 weeks.", "Fastholdelse."),
            ib.Clause(
                "5.1", "Price per month", "DKK 1,234.56 per month.", "1.234,56 kr. pr. måned."
            ),
            ib.Clause("5.2", "Retention price", "DKK 7,500 per retained person."),
            ib.Clause("5.3", "Bonus", "A bonus at 50 months.", "En bonus ved 50 måneder."),
            ib.Clause(
                "6.1", "Cap per person", "At most DKK 30,000 per person.", "Loft pr. borger."
            ),
            ib.Clause("6.2", "Contract cap", "At most DKK 2.5m in all.", "Samlet loft."),
        ],
    )


@pytest.fixture(scope="module")
def contract() -> ib.Contract:
    return small_contract()


def all_money(contract: ib.Contract) -> list[ib.Money]:
    money = [r.price if isinstance(r, ib.PricePerUnit) else r.bonus for r in contract.payment_rules]
    return money + [c.amount for c in contract.caps]


def test_markdown_mentions_every_clause_price_and_cap(contract: ib.Contract) -> None:
    text = render_markdown(contract)
    for clause in contract.clauses:
        assert f"### {clause.id}. {clause.title}" in text
        assert clause.text in text
        if clause.text_da:
            assert clause.text_da in text
    for amount in all_money(contract):
        assert str(amount) in text
        assert amount.format_da() in text
    for cap in contract.caps:
        assert cap.id in text
    for outcome in contract.outcomes:
        assert f"**{outcome.id}**" in text


def test_markdown_states_terms_in_words(contract: ib.Contract) -> None:
    text = render_markdown(contract)
    assert "every 3 months" in text and "45 days after the period closes" in text
    assert "half øre to the even neighbour" in text and "`participant`" in text
    assert "wage-subsidised job (løntilskud) (weight 1/2" in text
    assert "26 weeks after the job start" in text
    # The last referral day is the day before the (exclusive) referral end.
    assert "up to and including 2024-12-31" in text
    assert "18 months" in text  # the unit limit of pay_months


def test_markdown_escapes_pipes_in_table_cells(contract: ib.Contract) -> None:
    text = render_markdown(contract)
    assert "sygemeldte \\| on sickness benefit" in text
    table_rows = [line for line in text.splitlines() if line.startswith("| sick_listed")]
    # 6 columns -> 7 unescaped pipes.
    assert [row.replace("\\|", "").count("|") for row in table_rows] == [7]


def test_html_escapes_everything_from_the_contract(contract: ib.Contract) -> None:
    page = render_html(contract)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert "Months &lt;b&gt;in&lt;/b&gt; work &amp; more." in page
    assert "<b>" not in page
    assert "<style>" in page and "http" not in page  # self-contained


def test_html_mentions_every_clause_price_and_cap(contract: ib.Contract) -> None:
    page = render_html(contract)
    for clause in contract.clauses:
        assert f'id="clause-{clause.id}"' in page
        if clause.text_da:
            assert f'<blockquote lang="da"><p>{clause.text_da}</p></blockquote>' in page
    for amount in all_money(contract):
        assert str(amount) in page
    assert page.count("<table>") == 4  # parties, cohorts, prices, caps


def test_contract_html_is_a_fragment_with_cohorts_and_prices(contract: ib.Contract) -> None:
    fragment = contract_html(contract)
    assert fragment.startswith('<div class="impactbond-contract">') and fragment.endswith("</div>")
    assert "<script" not in fragment and "&lt;script&gt;" in fragment
    for cohort in contract.cohorts:
        assert f"<td>{cohort.label}</td>" in fragment
    for rule in contract.payment_rules:
        assert f"<td>{rule.id}</td>" in fragment


def test_describe_outcome_names_the_convention() -> None:
    whole = ib.EmploymentMonths("m", convention=ib.AccrualConvention.WHOLE_MONTHS)
    assert "only if every day" in describe_outcome(whole)
    weekly = ib.EmploymentMonths("m", convention=ib.AccrualConvention.WEEKS_52_12)
    assert "12/52" in describe_outcome(weekly)
    sustained = ib.SustainedEmployment("s", weeks=13, allowed_gap_weeks=2)
    assert "13 weeks in a row, gaps of at most 2 weeks" in describe_outcome(sustained)


def test_the_nyborg_contract_renders_every_clause() -> None:
    examples = pytest.importorskip("impactbond.examples")
    if not hasattr(examples, "nyborg"):
        pytest.skip("the Nyborg example is not there yet")
    contract, _, _ = examples.nyborg()
    text, page = render_markdown(contract), render_html(contract)
    assert contract.clauses
    for clause in contract.clauses:
        assert f"### {clause.id}. {clause.title}" in text
        assert f'id="clause-{clause.id}"' in page
    for amount in all_money(contract):
        assert str(amount) in text and str(amount) in page


def test_contract_and_settlement_display_in_notebooks() -> None:
    from datetime import date

    import impactbond as ib

    contract, people, trajectories = ib.examples.nyborg()
    page = contract._repr_html_()
    assert "Nyborg Kommune" in page and "sick_listed" in page
    s = ib.settle(contract, people, trajectories, as_of=date(2026, 7, 1))
    assert str(s.total) in s._repr_html_()
