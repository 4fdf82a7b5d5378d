"""The contract: parties, cohorts, outcomes, payment rules, caps and clauses.

A :class:`Contract` is data.  Its validator checks that the parts fit together
(known outcomes and cohorts, one currency, clauses that exist) and reports
every problem at once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
from attrs import validators as v

from impactbond.calendar import MonthRounding, add_months
from impactbond.domain.outcome import Outcome
from impactbond.domain.payment import (
    Cap,
    FixedFee,
    PaymentRule,
    PaymentSchedule,
    TargetBonus,
    references,
)
from impactbond.domain.terms import Financing, optional_exact_fraction
from impactbond.errors import ImpactBondError, InvalidContract
from impactbond.money import Money, Rounding, RoundingStage
from impactbond.status import Status

__all__ = ["Clause", "CohortTerms", "Contract", "OnExit", "Parties"]


class OnExit(enum.Enum):
    """What a participant's exit from the programme does to their measurement."""

    STOP_MEASUREMENT = "stop_measurement"
    """Nothing is measured after the exit date (the last day in the programme)."""
    KEEP_MEASURING = "keep_measuring"
    """The measurement window runs its full length whatever the exit."""


@attrs.frozen
class Parties:
    """The three parties of a social impact bond."""

    outcome_payer: str = attrs.field(validator=v.instance_of(str))
    """Who pays for results (the municipality)."""
    investor: str = attrs.field(validator=v.instance_of(str))
    """Who pays up front and carries the risk."""
    provider: str = attrs.field(validator=v.instance_of(str))
    """Who runs the programme."""


@attrs.frozen
class Clause:
    """A clause of the contract, in words (English and, where given, Danish)."""

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    title: str = attrs.field(validator=v.instance_of(str))
    text: str = attrs.field(validator=v.instance_of(str))
    text_da: str = attrs.field(default="", validator=v.instance_of(str))


def _statuses(value: Iterable[Any] | None) -> tuple[Status, ...]:
    return tuple(Status.parse(s) for s in (value or ()))


@attrs.frozen
class CohortTerms:
    """A cohort (målgruppe) with its eligibility, target and size limit.

    ``eligible_statuses``: the register status a person must have on the
    enrolment date (empty: anyone).  ``target``: the cohort's target of
    ``target_outcome`` (e.g. 100 employment months); the settlement reports
    achievement against it.
    """

    label: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    description: str = attrs.field(default="", validator=v.instance_of(str))
    eligible_statuses: tuple[Status, ...] = attrs.field(factory=tuple, converter=_statuses)
    target_outcome: str | None = attrs.field(default=None, validator=v.optional(v.instance_of(str)))
    target: Fraction | None = attrs.field(default=None, converter=optional_exact_fraction)
    max_participants: int | None = attrs.field(
        default=None, validator=v.optional(v.and_(v.instance_of(int), v.gt(0)))
    )
    clause: str = attrs.field(default="", validator=v.instance_of(str))


def _collect(contract: Contract) -> list[ImpactBondError]:
    errors: list[ImpactBondError] = []

    def bad(message: str, **where: Any) -> None:
        errors.append(InvalidContract(message, **where))

    if contract.term_end <= contract.term_start:
        bad("the term ends before it starts", field="term_end")
    if contract.referral_end < contract.referral_start:
        bad("the referral window ends before it starts", field="referral_end")
    cohort_labels = [c.label for c in contract.cohorts]
    outcome_ids = [o.id for o in contract.outcomes]
    rule_ids = [r.id for r in contract.payment_rules]
    clause_ids = {c.id for c in contract.clauses}
    for name, ids in (
        ("cohort", cohort_labels),
        ("outcome", outcome_ids),
        ("payment rule", rule_ids),
        ("cap", [c.id for c in contract.caps]),
    ):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            bad(f"{name} ids are not unique: {', '.join(dupes)}", field=name)
    if not contract.cohorts:
        bad("a contract has at least one cohort", field="cohorts")
    for cohort in contract.cohorts:
        if cohort.target_outcome is not None and cohort.target_outcome not in outcome_ids:
            bad(
                f"cohort {cohort.label} targets unknown outcome {cohort.target_outcome!r}",
                field="target_outcome",
                clause=cohort.clause or None,
            )
        if cohort.target is not None and cohort.target < 0:
            bad(
                f"cohort {cohort.label} has a negative target",
                field="target",
                clause=cohort.clause or None,
            )
    money: list[tuple[str, str, Money]] = []
    for rule in contract.payment_rules:
        refs = references(rule)
        for outcome in refs.outcomes:
            if outcome not in outcome_ids:
                bad(
                    f"rule {rule.id} prices unknown outcome {outcome!r}",
                    field="outcome",
                    clause=rule.clause or None,
                )
        unknown = [c for c in refs.cohorts if c not in cohort_labels]
        if unknown:
            field = "cohort" if isinstance(rule, TargetBonus | FixedFee) else "cohorts"
            named = repr(unknown[0]) if field == "cohort" else str(unknown)
            bad(
                f"rule {rule.id} names unknown {field} {named}",
                field=field,
                clause=rule.clause or None,
            )
        money += [(rule.id, rule.clause, amount) for amount in refs.amounts]
    for cap in contract.caps:
        money.append((cap.id, cap.clause, cap.amount))
        unknown = [r for r in cap.rules if r not in rule_ids]
        if unknown:
            bad(
                f"cap {cap.id} names unknown payment rules {unknown}",
                field="rules",
                clause=cap.clause or None,
            )
        if cap.cohort is not None and cap.cohort not in cohort_labels:
            bad(
                f"cap {cap.id} names unknown cohort {cap.cohort!r}",
                field="cohort",
                clause=cap.clause or None,
            )
    if contract.financing is not None:
        money += [(f"financing.{what}", c, m) for what, c, m in contract.financing.amounts()]
    for item_id, clause, amount in money:
        if amount.currency != contract.currency:
            bad(
                f"{item_id} is in {amount.currency}, the contract in {contract.currency}",
                field="currency",
                clause=clause or None,
                rule="one contract, one currency",
            )
    if clause_ids:
        parts: list[tuple[str, str]] = [(o.id, o.clause) for o in contract.outcomes]
        parts += [(r.id, r.clause) for r in contract.payment_rules]
        parts += [(c.id, c.clause) for c in contract.caps]
        parts += [(c.label, c.clause) for c in contract.cohorts]
        for item_id, clause in parts:
            if clause and clause not in clause_ids:
                bad(
                    f"{item_id} cites clause {clause!r}, which the contract does not have",
                    field="clause",
                    clause=clause,
                )
    return errors


@attrs.frozen
class Contract:
    """A social impact bond contract as data.

    Build one in code or read one from TOML with :func:`impactbond.load_contract`.
    ``term_end`` and ``referral_end`` are the *last* days of the term and of
    the referral period (inclusive), as a contract says "from 1 October 2023
    up to and including 30 June 2027"; every date rule is stated in
    :func:`impactbond.domain.definitions.definitions`.
    """

    id: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    title: str = attrs.field(validator=v.instance_of(str))
    parties: Parties = attrs.field(validator=v.instance_of(Parties))
    currency: str = attrs.field(validator=v.instance_of(str))
    term_start: date = attrs.field(validator=v.instance_of(date))
    term_end: date = attrs.field(validator=v.instance_of(date))
    referral_start: date = attrs.field(validator=v.instance_of(date))
    referral_end: date = attrs.field(validator=v.instance_of(date))
    cohorts: tuple[CohortTerms, ...] = attrs.field(converter=tuple)
    outcomes: tuple[Outcome, ...] = attrs.field(converter=tuple)
    payment_rules: tuple[PaymentRule, ...] = attrs.field(converter=tuple)
    caps: tuple[Cap, ...] = attrs.field(factory=tuple, converter=tuple)
    schedule: PaymentSchedule = attrs.field(factory=PaymentSchedule)
    rounding: Rounding = attrs.field(default=Rounding.HALF_UP, converter=Rounding)
    rounding_stage: RoundingStage = attrs.field(default=RoundingStage.LINE, converter=RoundingStage)
    clauses: tuple[Clause, ...] = attrs.field(factory=tuple, converter=tuple)
    month_rounding: MonthRounding = attrs.field(default=MonthRounding.DOWN, converter=MonthRounding)
    description: str = attrs.field(default="", validator=v.instance_of(str))
    financing: Financing | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Financing))
    )
    """How the contract is financed (investment, top-up, return cap, guarantee, fees)."""
    on_exit: OnExit = attrs.field(default=OnExit.STOP_MEASUREMENT, converter=OnExit)
    """What a participant's exit does to their measurement."""
    measurement_tail_months: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0))
    )
    """Months after the term's last day in which outcomes are still measured and earned."""

    def __attrs_post_init__(self) -> None:
        errors = _collect(self)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidContract(f"contract {self.id} has {len(errors)} problems", errors=errors)

    def _repr_html_(self) -> str:
        """Parties, cohorts and prices as HTML, for notebooks."""
        from impactbond.render import contract_html

        return contract_html(self)

    def cohort(self, label: str) -> CohortTerms:
        """The terms of one cohort."""
        for c in self.cohorts:
            if c.label == label:
                return c
        raise InvalidContract(f"the contract has no cohort {label!r}", field="cohort")

    def outcome(self, outcome_id: str) -> Outcome:
        """One outcome definition."""
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise InvalidContract(f"the contract has no outcome {outcome_id!r}", field="outcome")

    def clause(self, clause_id: str) -> Clause | None:
        """One clause, or None when the contract carries no text for it."""
        for c in self.clauses:
            if c.id == clause_id:
                return c
        return None

    def invoice_period(self, day: date) -> int:
        """Index of the invoice period containing ``day`` (0 = the first)."""
        months = (day.year - self.term_start.year) * 12 + day.month - self.term_start.month
        if day.day < self.term_start.day:
            months -= 1
        return months // self.schedule.invoice_months

    def invoice_period_bounds(self, index: int) -> tuple[date, date]:
        """Start and (exclusive) end of invoice period ``index``."""
        n = self.schedule.invoice_months
        return (
            add_months(self.term_start, index * n, self.month_rounding),
            add_months(self.term_start, (index + 1) * n, self.month_rounding),
        )
