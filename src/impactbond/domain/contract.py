"""The contract: parties, cohorts, outcomes, payment rules, caps and clauses.

A :class:`Contract` is data.  Its validator checks that the parts fit together
(known outcomes and cohorts, one currency, clauses that exist) and reports
every problem at once.
"""

from __future__ import annotations

import collections
import enum
import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs

from impactbond.calendar import MonthRounding, add_months
from impactbond.domain import _validators as v
from impactbond.domain.outcome import OUTCOME_KINDS, Outcome, StatusAtFollowUp
from impactbond.domain.participant import looks_like_cpr
from impactbond.domain.payment import (
    PAYMENT_RULE_KINDS,
    Cap,
    FixedFee,
    PaymentRule,
    PaymentSchedule,
    PricePerUnit,
    TargetBonus,
    references,
    unit_prices,
)
from impactbond.domain.terms import (
    Financing,
    GuaranteeCall,
    check_call_date,
)
from impactbond.errors import AmbiguousDate, ImpactBondError, InvalidContract
from impactbond.money import MINOR_UNITS, Money, Rounding, RoundingStage, minor_unit_digits
from impactbond.status import Status

__all__ = [
    "Amendment",
    "Clause",
    "CohortTerms",
    "Contract",
    "OnExit",
    "PartialContract",
    "Parties",
    "contract_problems",
]


class OnExit(enum.Enum):
    """What a participant's exit from the programme does to their measurement."""

    STOP_MEASUREMENT = "stop_measurement"
    """Nothing is measured after the exit date (the last day in the programme)."""
    KEEP_MEASURING = "keep_measuring"
    """The measurement window runs its full length whatever the exit."""


def _rounding(value: Any) -> Any:
    return v.member(Rounding, value)


def _rounding_stage(value: Any) -> Any:
    return v.member(RoundingStage, value)


def _month_rounding(value: Any) -> Any:
    return v.member(MonthRounding, value)


def _on_exit(value: Any) -> Any:
    return v.member(OnExit, value)


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
    title_da: str = attrs.field(default="", validator=v.instance_of(str))
    """The title in Danish (the rendered schedule shows it beside the English one)."""


@attrs.frozen
class Amendment:
    """One entry of the contract's change log: a version, when it takes effect, what changed.

    The change log lists every version, oldest first; the last entry is the
    contract's current ``version`` and ``effective_date``.  ``clauses`` names
    the clauses the version changed (they must exist).
    """

    version: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    effective: date = attrs.field(validator=v.instance_of(date))
    """The first day the version applies."""
    summary: str = attrs.field(validator=v.instance_of(str))
    """What changed, in English."""
    summary_da: str = attrs.field(default="", validator=v.instance_of(str))
    """What changed, in Danish."""
    clauses: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(str)
    )
    """The clauses the version changed."""


def _statuses(value: Iterable[Any] | None) -> tuple[Status, ...]:
    return tuple(Status.parse(s) for s in (value or ()))


@attrs.frozen
class CohortTerms:
    """A cohort (målgruppe) with its eligibility, target and size limit.

    ``eligible_statuses``: the register status a person must have on the
    enrolment date (empty: anyone).  ``target``: the cohort's target of
    ``target_outcome`` (e.g. 100 employment months), or ``target_share``: a
    share of the cohort's settled participants (``1/2``: half as many units
    as the cohort has participants); the settlement reports achievement
    against it.
    """

    label: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    description: str = attrs.field(default="", validator=v.instance_of(str))
    eligible_statuses: tuple[Status, ...] = attrs.field(factory=tuple, converter=_statuses)
    target_outcome: str | None = attrs.field(default=None, validator=v.optional(v.instance_of(str)))
    target: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    target_share: Fraction | None = attrs.field(
        default=None, converter=v.as_optional_fraction, validator=v.optional(v.exact_number)
    )
    max_participants: int | None = attrs.field(
        default=None, validator=v.optional(v.and_(v.instance_of(int), v.gt(0)))
    )
    clause: str = attrs.field(default="", validator=v.instance_of(str))


def contract_problems(contract: Any, unsettled: Iterable[str] = ()) -> list[ImpactBondError]:
    """Every contract-wide problem of ``contract``: the checks of :class:`Contract` as a list.

    ``contract`` is a :class:`Contract` or any object with its fields (a contract file
    being read).  ``unsettled`` names the fields whose values are not (all) known, because
    they have problems of their own: a missing or bad field is ``None``, a list of terms
    holds only its good items.  A check that needs a field complete is left out while the
    field is unsettled, so that a file's field problems and its contract-wide problems are
    reported together, without a problem that is only the echo of another.
    """
    errors: list[ImpactBondError] = []
    pending = frozenset(unsettled)

    def known(*names: str) -> bool:
        return pending.isdisjoint(names)

    def bad(message: str, **where: Any) -> None:
        errors.append(InvalidContract(message, **where))

    if known("term_start", "term_end") and contract.term_end <= contract.term_start:
        bad("the term ends before it starts", field="term_end")
    if known("referral_start", "referral_end") and contract.referral_end < contract.referral_start:
        bad("the referral window ends before it starts", field="referral_end")
    if known("term_start", "term_end", "referral_start", "referral_end") and (
        contract.referral_start < contract.term_start or contract.referral_end > contract.term_end
    ):
        bad(
            f"the referral window {contract.referral_start}..{contract.referral_end} lies outside "
            f"the term {contract.term_start}..{contract.term_end}",
            field="referral_end" if contract.referral_end > contract.term_end else "referral_start",
            rule="people are referred during the term",
        )
    if known("outcomes") and not contract.outcomes:
        bad("a contract has at least one outcome", field="outcomes")
    if known("payment_rules") and not contract.payment_rules:
        bad("a contract has at least one payment rule", field="payment_rules")
    clause_list = [c.id for c in contract.clauses]
    twice = _repeated(clause_list)
    if twice:
        bad(
            f"clause ids are not unique: {', '.join(twice)} (one text per clause)",
            field="clauses",
            clause=twice[0],
            rule="each clause has one text",
        )
    cohort_labels = [c.label for c in contract.cohorts]
    outcome_ids = [o.id for o in contract.outcomes]
    rule_ids = [r.id for r in contract.payment_rules]
    cohort_set, outcome_set, rule_set = set(cohort_labels), set(outcome_ids), set(rule_ids)
    clause_ids = {c.id for c in contract.clauses}
    for name, ids in (
        ("cohort", cohort_labels),
        ("outcome", outcome_ids),
        ("payment rule", rule_ids),
        ("cap", [c.id for c in contract.caps]),
    ):
        dupes = _repeated(ids)
        if dupes:
            bad(f"{name} ids are not unique: {', '.join(dupes)}", field=name)
    if known("cohorts") and not contract.cohorts:
        bad("a contract has at least one cohort", field="cohorts")
    for cohort in contract.cohorts:
        if (
            known("outcomes")
            and cohort.target_outcome is not None
            and cohort.target_outcome not in outcome_set
        ):
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
        if cohort.target_share is not None:
            if cohort.target is not None:
                bad(
                    f"cohort {cohort.label} gives both target and target_share",
                    field="target_share",
                    clause=cohort.clause or None,
                    rule="a target is an absolute count or a share of the cohort, not both",
                )
            if not 0 < cohort.target_share <= 1:
                bad(
                    f"cohort {cohort.label} has target_share {cohort.target_share} outside (0, 1]",
                    field="target_share",
                    clause=cohort.clause or None,
                    rule="a target share lies above 0 and at most 100 % of the cohort",
                )
    money: list[tuple[str, str, Money]] = []
    for rule in contract.payment_rules:
        refs = references(rule)
        for outcome in refs.outcomes:
            if known("outcomes") and outcome not in outcome_set:
                bad(
                    f"rule {rule.id} prices unknown outcome {outcome!r}",
                    field="outcome",
                    clause=rule.clause or None,
                )
        if isinstance(rule, PricePerUnit) and rule.price_by_follow_up:
            errors += _follow_up_price_errors(rule, contract)
        unknown = [c for c in refs.cohorts if c not in cohort_set]
        if known("cohorts") and unknown:
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
        unknown = [r for r in cap.rules if r not in rule_set]
        if known("payment_rules") and unknown:
            bad(
                f"cap {cap.id} names unknown payment rules {unknown}",
                field="rules",
                clause=cap.clause or None,
            )
        if known("cohorts") and cap.cohort is not None and cap.cohort not in cohort_set:
            bad(
                f"cap {cap.id} names unknown cohort {cap.cohort!r}",
                field="cohort",
                clause=cap.clause or None,
            )
    if contract.financing is not None:
        money += [(f"financing.{what}", c, m) for what, c, m in contract.financing.amounts()]
    for item_id, clause, amount in money:
        if known("currency") and amount.currency != contract.currency:
            bad(
                f"{item_id} is in {amount.currency}, the contract in {contract.currency}",
                field="currency",
                clause=clause or None,
                rule="one contract, one currency",
            )
    if known("amendments", "clauses", "version", "effective_date"):
        errors += _change_log_errors(contract, clause_ids)
    # A citation names a clause the contract has, also when it has no clause texts at all.
    parts: list[tuple[str, str, str]] = [(o.id, o.clause, "clause") for o in contract.outcomes]
    parts += [(r.id, r.clause, "clause") for r in contract.payment_rules]
    parts += [(c.id, c.clause, "clause") for c in contract.caps]
    parts += [(c.label, c.clause, "clause") for c in contract.cohorts]
    if contract.financing is not None:
        parts += [
            (path, clause, f"{path}.clause")
            for path, name, clause in _texts(contract.financing, "financing")
            if name == "clause"
        ]
    for item_id, clause, field in parts:
        if known("clauses") and clause and clause not in clause_ids:
            bad(
                f"{item_id} cites clause {clause!r}, which the contract does not have",
                field=field,
                clause=clause,
                rule="a cited clause is one of the contract's clauses",
            )
    if known("currency", "exact_unit_prices"):
        errors += _price_precision_errors(contract)
    for path, name, text in _texts(contract, ""):
        if looks_like_cpr(text):
            bad(
                f"{path + '.' if path else ''}{name} holds text shaped like a Danish CPR number "
                "(withheld)",
                field=f"{path}.{name}" if path else name,
                rule="a contract holds no CPR number: people are named by pseudonyms only",
            )
    guarantee = contract.financing.guarantee if contract.financing is not None else None
    if (
        guarantee is not None
        and known("term_start", "term_end", "measurement_tail_months", "month_rounding", "schedule")
        and guarantee.called is not GuaranteeCall.ON_DATE
        and contract.term_end > contract.term_start
    ):
        assert contract.financing is not None
        try:
            day = guarantee.call_date(
                maturity=contract.term_end,
                final_determination=_final_determination(contract),
            )
            check_call_date(guarantee, day, contract.financing.investments)
        except (InvalidContract, AmbiguousDate) as error:
            errors.append(
                InvalidContract(
                    error.message,
                    field=f"financing.{error.field}" if error.field else "financing",
                    clause=guarantee.clause or None,
                    rule=error.rule,
                )
            )
    return errors


def _repeated(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted (in linear time: a file may hold many)."""
    return sorted(v for v, n in collections.Counter(values).items() if n > 1)


def _final_determination(contract: Any) -> date:
    """:attr:`Contract.final_determination` of a contract or of a partial one."""
    last: date = contract.term_end
    if contract.measurement_tail_months:
        after = add_months(
            contract.term_end + timedelta(days=1),
            contract.measurement_tail_months,
            contract.month_rounding,
        )
        last = after - timedelta(days=1)
    return last + timedelta(days=contract.schedule.verification_lag_days)


def _price_precision_errors(contract: Contract) -> list[ImpactBondError]:
    """Unit prices finer than the currency's minor unit, unless the contract allows them."""
    if contract.exact_unit_prices:
        return []
    digits = minor_unit_digits(contract.currency) if contract.currency in MINOR_UNITS else None
    if digits is None:
        return []
    errors: list[ImpactBondError] = []
    for rule in contract.payment_rules:
        for field, amount in unit_prices(rule):
            exponent = amount.amount.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > digits:
                errors.append(
                    InvalidContract(
                        f"rule {rule.id}: the price {format(amount.amount, 'f')} "
                        f"{amount.currency} has more decimals than the {amount.currency} minor "
                        f"unit ({digits}); say exact_unit_prices = true if the contract means it",
                        field=field,
                        clause=rule.clause or None,
                        rule="a unit price is in whole minor units unless the contract says "
                        "prices are exact fractions",
                    )
                )
    return errors


def _texts(node: Any, path: str) -> list[tuple[str, str, str]]:
    """``(path of the term, field, text)`` of every text field in a tree of attrs terms."""
    out: list[tuple[str, str, str]] = []
    if isinstance(node, tuple | list):
        for i, item in enumerate(node):
            out += _texts(item, f"{path}[{i}]")
    elif attrs.has(type(node)) or isinstance(node, PartialContract):
        for field in attrs.fields(type(node) if attrs.has(type(node)) else Contract):
            value = getattr(node, field.name)
            if isinstance(value, str):
                out.append((path, field.name, value))
            elif attrs.has(type(value)) or isinstance(value, tuple | list):
                out += _texts(value, f"{path}.{field.name}" if path else field.name)
    return out


def _follow_up_price_errors(rule: PricePerUnit, contract: Contract) -> list[ImpactBondError]:
    """A price by follow-up goes with a follow-up outcome and names only its follow-ups."""
    outcome = next((o for o in contract.outcomes if o.id == rule.outcome), None)
    if outcome is None:
        return []  # reported as an unknown outcome
    clause = rule.clause or None
    if not isinstance(outcome, StatusAtFollowUp):
        return [
            InvalidContract(
                f"rule {rule.id} prices by follow-up, but outcome {outcome.id} has no follow-ups",
                field="price_by_follow_up",
                clause=clause,
                rule="prices by follow-up price a status_at_follow_up outcome",
            )
        ]
    unknown = [m for m, _ in rule.price_by_follow_up if m not in outcome.follow_up_months]
    if unknown:
        return [
            InvalidContract(
                f"rule {rule.id} prices follow-ups at {unknown} months, which outcome "
                f"{outcome.id} does not have (its follow-ups: {list(outcome.follow_up_months)})",
                field="price_by_follow_up",
                clause=clause,
                rule="a price by follow-up names a follow-up of the outcome",
            )
        ]
    return []


def _change_log_errors(contract: Contract, clause_ids: set[str]) -> list[ImpactBondError]:
    errors: list[ImpactBondError] = []
    log = contract.amendments
    versions = [a.version for a in log]
    dupes = _repeated(versions)
    if dupes:
        errors.append(
            InvalidContract(
                f"amendment versions are not unique: {', '.join(dupes)}", field="amendments"
            )
        )
    for before, after in itertools.pairwise(log):
        if after.effective < before.effective:
            errors.append(
                InvalidContract(
                    f"version {after.version} takes effect on {after.effective}, before version "
                    f"{before.version} ({before.effective}): list the change log oldest first",
                    field="amendments",
                    rule="the change log is in the order of the versions",
                )
            )
    if log and (log[-1].version, log[-1].effective) != (contract.version, contract.effective_date):
        errors.append(
            InvalidContract(
                f"the last entry of the change log is version {log[-1].version} of "
                f"{log[-1].effective}, but the contract is version {contract.version or '(none)'} "
                f"of {contract.effective_date or '(no date)'}",
                field="version",
                rule="the change log ends with the current version",
            )
        )
    for a in log:
        unknown = [c for c in a.clauses if c not in clause_ids]
        if unknown:
            errors.append(
                InvalidContract(
                    f"version {a.version} names clauses the contract does not have: "
                    f"{', '.join(unknown)}",
                    field="amendments",
                    clause=unknown[0],
                )
            )
    return errors


def _language(_: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if value not in ("da", "en"):
        raise InvalidContract(
            f"the governing language is da or en, not {value!r}",
            field=attribute.name,
            rule="da or en",
        )


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
    term_start: date = attrs.field(validator=v.a_day())
    term_end: date = attrs.field(validator=v.a_day())
    referral_start: date = attrs.field(validator=v.a_day())
    referral_end: date = attrs.field(validator=v.a_day())
    cohorts: tuple[CohortTerms, ...] = attrs.field(
        converter=v.as_tuple, validator=v.tuple_of(CohortTerms)
    )
    outcomes: tuple[Outcome, ...] = attrs.field(
        converter=v.as_tuple, validator=v.tuple_of(*OUTCOME_KINDS.values())
    )
    payment_rules: tuple[PaymentRule, ...] = attrs.field(
        converter=v.as_tuple, validator=v.tuple_of(*PAYMENT_RULE_KINDS.values())
    )
    caps: tuple[Cap, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(Cap)
    )
    schedule: PaymentSchedule = attrs.field(
        factory=PaymentSchedule, validator=v.instance_of(PaymentSchedule)
    )
    rounding: Rounding = attrs.field(
        default=Rounding.HALF_UP, converter=_rounding, validator=v.member_of(Rounding)
    )
    rounding_stage: RoundingStage = attrs.field(
        default=RoundingStage.LINE, converter=_rounding_stage, validator=v.member_of(RoundingStage)
    )
    clauses: tuple[Clause, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(Clause)
    )
    month_rounding: MonthRounding = attrs.field(
        default=MonthRounding.DOWN, converter=_month_rounding, validator=v.member_of(MonthRounding)
    )
    description: str = attrs.field(default="", validator=v.instance_of(str))
    financing: Financing | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Financing))
    )
    """How the contract is financed (investment, top-up, return cap, guarantee, fees)."""
    on_exit: OnExit = attrs.field(
        default=OnExit.STOP_MEASUREMENT, converter=_on_exit, validator=v.member_of(OnExit)
    )
    """What a participant's exit does to their measurement."""
    measurement_tail_months: int = attrs.field(
        default=0, validator=v.and_(v.instance_of(int), v.ge(0), v.le(1200))
    )
    """Months after the term's last day in which outcomes are still measured and earned."""
    version: str = attrs.field(default="", validator=v.instance_of(str))
    """The version of the contract (``"2"``, ``"2.1"``); the schedule and the change log name it."""
    effective_date: date | None = attrs.field(default=None, validator=v.optional(v.a_day()))
    """The first day this version of the contract applies."""
    amendments: tuple[Amendment, ...] = attrs.field(
        factory=tuple, converter=v.as_tuple, validator=v.tuple_of(Amendment)
    )
    """The change log, oldest version first; the last entry is this version."""
    governing_language: str = attrs.field(default="da", validator=_language)
    """Where the Danish and the English text differ, the text in this language prevails."""
    exact_unit_prices: bool = attrs.field(default=False, validator=v.instance_of(bool))
    """Unit prices may be finer than the currency's minor unit (a price per learning point
    of DKK 6,500.005); they are kept as exact fractions and rounded only at the contract's
    rounding stage.  Without this term a price with more decimals than the currency has is
    an error."""

    def __attrs_post_init__(self) -> None:
        errors = contract_problems(self)
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

    @property
    def maturity(self) -> date:
        """The day a guarantee called at maturity is called: ``term_end``, the term's last day."""
        return self.term_end

    @property
    def final_determination(self) -> date:
        """The day the last outcome payment of the contract falls due.

        The last invoice period ends on the last day anything is measured (the
        term's last day, or the last day of the measurement tail), and its
        money is due ``verification_lag_days`` after that day (the clock's
        ``MEASUREMENT_TAIL``, ``INVOICE_PERIODS`` and ``DUE_AFTER_LAST_DAY``).

        >>> import impactbond as ib
        >>> ib.examples.nyborg()[0].final_determination  # 30 June 2027 + 60 days
        datetime.date(2027, 8, 29)
        """
        return _final_determination(self)

    def invoice_period(self, day: date) -> int:
        """Index of the invoice period containing ``day`` (0 = the first).

        The periods are those of :meth:`invoice_period_bounds` (month ends by the
        contract's ``month_rounding``), so the two never disagree: from a start
        on 31 January, monthly periods are [31 Jan, 29 Feb), [29 Feb, 31 Mar), ...
        """
        months = (day.year - self.term_start.year) * 12 + day.month - self.term_start.month
        index = max(months // self.schedule.invoice_months, 0)
        # The month count is at most one period off at month ends: step to the period.
        while index > 0 and day < self.invoice_period_bounds(index)[0]:
            index -= 1
        while day >= self.invoice_period_bounds(index)[1]:
            index += 1
        return index

    def invoice_period_bounds(self, index: int) -> tuple[date, date]:
        """Start and (exclusive) end of invoice period ``index``."""
        n = self.schedule.invoice_months
        return (
            add_months(self.term_start, index * n, self.month_rounding),
            add_months(self.term_start, (index + 1) * n, self.month_rounding),
        )


class PartialContract:
    """The fields of a contract being read, as far as they are good.

    Every field of :class:`Contract` is an attribute: a field left out has its default, a
    field with a problem of its own (or a required field left out) is ``None``, and a list
    of terms with bad items holds its good ones.  :func:`contract_problems` reads it, told
    which fields are unsettled.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        for field in attrs.fields(Contract):
            if field.name in values:
                value = values[field.name]
            elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                value = field.default.factory()  # type: ignore[union-attr]
            elif field.default is attrs.NOTHING:
                value = None
            else:
                value = field.default
            setattr(self, field.name, value)

    def __repr__(self) -> str:
        return f"PartialContract(id={getattr(self, 'id', None)!r})"
