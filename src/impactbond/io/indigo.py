"""A contract, and its results, as an INDIGO project (the Government Outcomes Lab's data standard).

:func:`indigo_project` writes the parts of an INDIGO 4.1.0 project document
that a contract and a settlement know:

======================================  =============================================
INDIGO                                  from
======================================  =============================================
``name``, ``dates``                     the contract's title and term
``outcome_metrics``                     each outcome: its clause, unit and targets
``outcome_pricings``                    each price-per-unit rule and target bonus:
                                        price per unit; the maximum if every cohort
                                        target is achieved (price x target)
``outcome_payment_commitments``         the outcome payer: the contract cap, the term
``outcome_payment_plans``               the term, and each invoice period
``outcome_payments``                    ``Planned``: target x price per cohort, fixed
                                        fees and delivery-fee instalments;
                                        ``Actual``: the settlement's money due, per
                                        invoice period and outcome metric
``results``                             per outcome: people settled, people with the
                                        outcome, the quantity achieved (``Interim``
                                        before the term ends, else ``Final``)
``investments``, ``transactions``       the financing terms: investments (with the
                                        return cap) and their dated instalments;
                                        outcome payments made
``sources``                             the contract file and the settlement
======================================  =============================================

Everything else in INDIGO (jurisdiction, policy sector, SDGs...) is left out:
the contract does not say it.  Money is an ISO 4217 currency and a plain
number; dates are ``YYYY-MM-DD``; organisations are referred to by ids made
from the parties' names (``impactbond-org-nyborg-kommune``).

The result validates against the standard's JSON schema 4.1.0.

>>> from impactbond.examples import nyborg_paths
>>> from impactbond.io.contract_file import load_contract
>>> project = indigo_project(load_contract(nyborg_paths().contract))
>>> project["outcome_pricings"][0]["price_per_unit"]["amount"]
{'value': 9500}
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from impactbond.domain.payment import CapScope, FixedFee, PricePerUnit, TargetBonus
from impactbond.io.results import exact_decimal, settlement_document

__all__ = ["INDIGO_VERSION", "indigo_json", "indigo_project"]

#: The version of the INDIGO data standard written.
INDIGO_VERSION = "4.1.0"
_DAY = timedelta(days=1)
_UNITS = {"month": "month in employment", "event": "person achieving the outcome", "step": "step"}


def _v(value: Any) -> dict[str, Any]:
    return {"value": value}


def _day(d: date) -> dict[str, str]:
    return _v(d.isoformat())


def _number(value: Decimal | Fraction | int) -> int | float:
    """An exact amount as a JSON number (an int when whole; a float only when it prints back)."""
    if isinstance(value, Fraction):
        text = exact_decimal(value)
        if text is None:
            raise ValueError(f"{value} has no exact decimal")
        value = Decimal(text)
    d = Decimal(value)
    if d == d.to_integral_value():
        return int(d)
    f = float(d)
    if Decimal(repr(f)) != d:
        raise ValueError(f"{d} does not print back exactly as a number")
    return f


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "unnamed"


def _org(name: str) -> dict[str, str]:
    return _v(f"impactbond-org-{_slug(name)}")


def _money(currency: str, amount: Any) -> dict[str, Any]:
    return {"currency": _v(currency), "amount": _v(_number(amount))}


def _cohort_target(contract: Any, outcome_id: str, cohorts: tuple[str, ...]) -> Fraction | None:
    """The sum of the targets of ``cohorts`` (all: empty) for ``outcome_id``, if every one has one."""
    chosen = [c for c in contract.cohorts if not cohorts or c.label in cohorts]
    targets = [c.target for c in chosen if c.target_outcome == outcome_id and c.target is not None]
    if not chosen or len(targets) != len(chosen):
        return None
    return sum(targets, Fraction(0))


def _contract_cap(contract: Any) -> Any:
    for cap in contract.caps:
        if (
            cap.scope is CapScope.CONTRACT
            and not cap.rules
            and cap.cohort is None
            and cap.share_of_paid is None
        ):
            return cap.amount
    return None


def _outcome_metrics(contract: Any) -> list[dict[str, Any]]:
    out = []
    for o in contract.outcomes:
        clause = contract.clause(o.clause) if o.clause else None
        definition = clause.text if clause is not None else f"{o.kind} ({o.id})"
        targets = [
            f"{c.label}: {exact_decimal(c.target) or c.target} {o.unit}(s)"
            for c in contract.cohorts
            if c.target_outcome == o.id and c.target is not None
        ]
        metric: dict[str, Any] = {
            "id": o.id,
            "definition": _v(definition),
            "unit_type_of_targeted_service_users_or_beneficiaries": _v("Individual"),
            "unit_description_of_service_user_or_beneficiaries": _v(_UNITS.get(o.unit, o.unit)),
            "outcome_validation_method": _v(
                "computed from register data by the contract's rules (impactbond)"
            ),
            "data_source_for_outcome_validation": _v("register data"),
            "source_ids": "impactbond-contract",
            "notes": f"kind {o.kind}; clause {o.clause or '-'}",
        }
        if targets:
            metric["outcome_metric_target"] = _v("; ".join(targets))
        out.append(metric)
    return out


def _pricings(contract: Any) -> list[dict[str, Any]]:
    currency = contract.currency
    out = []
    for rule in contract.payment_rules:
        if isinstance(rule, PricePerUnit):
            price = rule.price.amount
            target = _cohort_target(contract, rule.outcome, rule.cohorts)
            entry: dict[str, Any] = {
                "outcome_metric_id": _v(rule.outcome),
                "currency": _v(currency),
                "price_per_unit": {"amount": _v(_number(price))},
                "price_description": _v(
                    f"{currency} {price} per unit of {rule.outcome}"
                    + (f" for {', '.join(rule.cohorts)}" if rule.cohorts else "")
                    + (
                        f", at most {rule.max_units_per_participant} units per participant"
                        if rule.max_units_per_participant is not None
                        else ""
                    )
                    + f" (rule {rule.id}, clause {rule.clause or '-'})"
                ),
                "source_ids": "impactbond-contract",
            }
            if target is not None:
                entry["maximum_price_if_all_targets_achieved"] = {
                    "amount": _v(str(_number(price * Decimal(exact_decimal(target) or 0))))
                }
            out.append(entry)
        elif isinstance(rule, TargetBonus):
            out.append(
                {
                    "outcome_metric_id": _v(rule.outcome),
                    "currency": _v(currency),
                    "price_per_unit": {"amount": _v(_number(rule.bonus.amount))},
                    "maximum_price_if_all_targets_achieved": {
                        "amount": _v(str(_number(rule.bonus.amount)))
                    },
                    "price_description": _v(
                        f"a bonus of {currency} {rule.bonus.amount} once cohort {rule.cohort} "
                        f"reaches {_bonus_target(rule)} of {rule.outcome} (rule {rule.id}, clause "
                        f"{rule.clause or '-'})"
                    ),
                    "source_ids": "impactbond-contract",
                }
            )
    return out


def _periods(contract: Any) -> list[tuple[str, date, date]]:
    """``(plan id, first day, last day)`` of each invoice period of the term."""
    out: list[tuple[str, date, date]] = []
    index = 0
    while True:
        start, end = contract.invoice_period_bounds(index)
        if start >= contract.term_end:
            return out
        out.append((f"invoice-period-{index + 1}", start, min(end, contract.term_end) - _DAY))
        index += 1


def _plan_of(periods: list[tuple[str, date, date]], day: date) -> str:
    for plan, first, last in periods:
        if first <= day <= last:
            return plan
    return "term"


def _planned(contract: Any, periods: list[tuple[str, date, date]]) -> list[dict[str, Any]]:
    payer = _org(contract.parties.outcome_payer)
    provider = _org(contract.parties.provider)
    term = {"start_date": _day(contract.term_start), "end_date": _day(contract.term_end - _DAY)}
    out: list[dict[str, Any]] = []
    for rule in contract.payment_rules:
        if isinstance(rule, PricePerUnit):
            for cohort in contract.cohorts:
                if not rule.applies_to(cohort.label):
                    continue
                if cohort.target_outcome != rule.outcome or cohort.target is None:
                    continue
                amount = rule.price.amount * Decimal(exact_decimal(cohort.target) or 0)
                out.append(
                    {
                        "outcome_payment_plan_id": _v("term"),
                        "outcome_metric_id": _v(rule.outcome),
                        "period": term,
                        "payer_organisation_id": payer,
                        "recipient_organisation_id": provider,
                        "type": _v("Planned"),
                        "money": _money(contract.currency, amount),
                        "notes": f"cohort {cohort.label} meeting its target of "
                        f"{cohort.target} at {rule.price} each (rule {rule.id})",
                    }
                )
        elif isinstance(rule, FixedFee):
            for item in rule.instalments:
                out.append(
                    {
                        "outcome_payment_plan_id": _v(_plan_of(periods, item.on)),
                        "period": {"start_date": _day(item.on), "end_date": _day(item.on)},
                        "payer_organisation_id": payer,
                        "recipient_organisation_id": _org(
                            contract.parties.investor
                            if rule.payee == "investor"
                            else contract.parties.provider
                        ),
                        "type": _v("Planned"),
                        "money": _money(contract.currency, item.amount.amount),
                        "notes": f"fixed fee (rule {rule.id}, clause {rule.clause or '-'})",
                    }
                )
    fee = contract.financing.delivery_fee if contract.financing is not None else None
    if fee is not None:
        total = fee.contract_value.minor_units * fee.share
        n = len(fee.dates)
        base, extra = divmod(int(total), n)
        digits = _digits(fee.contract_value.amount)
        for i, on in enumerate(sorted(fee.dates)):
            minor = base + (1 if i < extra else 0)
            out.append(
                {
                    "outcome_payment_plan_id": _v(_plan_of(periods, on)),
                    "period": {"start_date": _day(on), "end_date": _day(on)},
                    "payer_organisation_id": payer,
                    "recipient_organisation_id": provider,
                    "type": _v("Planned"),
                    "money": _money(contract.currency, Decimal(minor).scaleb(-digits)),
                    "notes": f"delivery fee instalment {i + 1} of {n}",
                }
            )
    return out


def _digits(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _actual(contract: Any, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    sums: dict[tuple[date, date, str], Decimal] = {}
    for line in doc["lines"]:
        if not line["due"]:
            continue
        metric = line["outcome"] or line["rule"]
        key = (line["invoice_period_first_day"], line["invoice_period_last_day"], metric)
        sums[key] = sums.get(key, Decimal(0)) + Decimal(str(line["amount"]))
    payer = _org(contract.parties.outcome_payer)
    provider = _org(contract.parties.provider)
    periods = _periods(contract)
    out: list[dict[str, Any]] = []
    for (first, last, metric), amount in sorted(sums.items()):
        out.append(
            {
                "outcome_payment_plan_id": _v(_plan_of(periods, first)),
                "outcome_metric_id": _v(metric),
                "period": {"start_date": _day(first), "end_date": _day(last)},
                "payer_organisation_id": payer,
                "recipient_organisation_id": provider,
                "type": _v("Actual"),
                "money": _money(contract.currency, amount),
                "source_ids": "impactbond-settlement",
                "notes": f"due by {doc['as_of']} under the settlement",
            }
        )
    return out


def _results(contract: Any, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    as_of = doc["as_of"] if isinstance(doc["as_of"], date) else date.fromisoformat(doc["as_of"])
    last = min(as_of, contract.term_end) - _DAY
    final = as_of >= contract.term_end
    settled = len(doc["participants"])
    out = []
    for o in contract.outcomes:
        per_line: dict[tuple[Any, Any], Fraction] = {}
        for line in doc["lines"]:
            if line["outcome"] != o.id or line["participant_id"] is None:
                continue
            q = Fraction(str(line["quantity_fraction"]))
            key = (line["participant_id"], line["period_first_day"])
            per_line[key] = max(per_line.get(key, Fraction(0)), q)
        people = {pid for (pid, _), q in per_line.items() if q > 0}
        total = sum(per_line.values(), Fraction(0))
        shown = exact_decimal(total) or f"{total.numerator}/{total.denominator}"
        out.append(
            {
                "outcome_metric_id": _v(o.id),
                "result_level": _v("Outcome level"),
                "result_type": _v("Final" if final else "Interim"),
                "period": {"start_date": _day(contract.term_start), "end_date": _day(last)},
                "outcomes_achieved": _v(f"{shown} {o.unit}(s) paid for"),
                "number_engaged_in_impact_bond": _v(settled),
                "number_with_positive_social_outcomes": _v(len(people)),
                "source_ids": "impactbond-settlement",
                "notes": "counted from the settlement's payment lines of this outcome",
            }
        )
    return out


def _investments(contract: Any, doc: Mapping[str, Any] | None) -> tuple[list[Any], list[Any]]:
    financing = contract.financing
    investor = _org(contract.parties.investor)
    provider = _org(contract.parties.provider)
    investments: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    if financing is not None:
        total = sum((i.amount.amount for i in financing.investments), Decimal(0))
        investment: dict[str, Any] = {
            "id": "investment-1",
            "organisation_id": investor,
            "investment_commitment": {
                "currency": _v(contract.currency),
                "amount": {"exact": _v(_number(total))},
            },
            "source_ids": "impactbond-contract",
            "notes": f"clause {financing.clause or '-'}",
        }
        cap = financing.return_cap
        if cap is not None and cap.irr is not None and exact_decimal(cap.irr) is not None:
            investment["maximum_potential_return_type"] = _v("IRR")
            investment["maximum_potential_return"] = _v(_number(cap.irr))
        investments.append(investment)
        for item in financing.investments:
            transactions.append(
                {
                    "investment_id": _v("investment-1"),
                    "date": _day(item.on),
                    "sending_organisation_id": investor,
                    "receiving_organisation_id": provider,
                    "transaction_type": _v("Other"),
                    "money": _money(contract.currency, item.amount.amount),
                    "source_ids": "impactbond-contract",
                    "notes": "investment instalment; the contract does not say debt or equity",
                }
            )
    if doc is not None:
        for payment in _actual(contract, doc):
            transactions.append(
                {
                    "outcome_metric_id": payment["outcome_metric_id"],
                    "date": payment["period"]["end_date"],
                    "sending_organisation_id": payment["payer_organisation_id"],
                    "receiving_organisation_id": payment["recipient_organisation_id"],
                    "transaction_type": _v("Outcome Payment"),
                    "money": payment["money"],
                    "source_ids": "impactbond-settlement",
                    "notes": "due for the invoice period ending on this date",
                }
            )
    return investments, transactions


def indigo_project(
    contract: Any, settlement: Any = None, *, contract_source: str = "contract file"
) -> dict[str, Any]:
    """The INDIGO 4.1.0 project document of ``contract`` (and of its ``settlement``).

    Parameters
    ----------
    contract:
        The contract.
    settlement:
        A :class:`~impactbond.Settlement`, or the document
        :func:`impactbond.io.results.read_settlement_json` read (what
        ``impactbond settle --format json`` writes); ``None`` for the contract only.
    contract_source:
        The name of the contract file, for ``sources``.
    """
    doc: Mapping[str, Any] | None
    doc = (
        settlement
        if settlement is None or isinstance(settlement, Mapping)
        else settlement_document(settlement)
    )
    if doc is not None and doc["contract"]["id"] != contract.id:
        raise ValueError(
            f"the settlement is of contract {doc['contract']['id']!r}, not {contract.id!r}"
        )
    periods = _periods(contract)
    months = (contract.term_end.year - contract.term_start.year) * 12 + (
        contract.term_end.month - contract.term_start.month
    )
    project: dict[str, Any] = {
        "name": _v(contract.title),
        "dates": {
            "start_date_of_service_provision": _day(contract.term_start),
            "anticipated_end_date_of_service_provision": _day(contract.term_end - _DAY),
            "anticipated_duration_of_service_provision": _v(months),
            "notes": "the contract term; referrals from "
            f"{contract.referral_start} to {contract.referral_end - _DAY}",
        },
        "sources": [
            {
                "id": "impactbond-contract",
                "name": _v(contract_source),
                "type": _v("Contract"),
                "notes": f"contract {contract.id}",
            }
        ],
        "outcome_metrics": _outcome_metrics(contract),
        "outcome_pricings": _pricings(contract),
        "outcome_payment_plans": [
            {
                "id": _v("term"),
                "period": {
                    "start_date": _day(contract.term_start),
                    "end_date": _day(contract.term_end - _DAY),
                },
                "notes": "the whole term",
            }
        ]
        + [
            {
                "id": _v(plan),
                "period": {"start_date": _day(first), "end_date": _day(last)},
                "notes": "an invoice period",
            }
            for plan, first, last in periods
        ],
    }
    if contract.description:
        project["purpose_and_classifications"] = {"intervention": _v(contract.description)}
    commitment: dict[str, Any] = {
        "organisation_id": _org(contract.parties.outcome_payer),
        "result_type": _v("Overall"),
        "period": {
            "start_date": _day(contract.term_start),
            "end_date": _day(contract.term_end - _DAY),
        },
        "source_ids": "impactbond-contract",
    }
    cap = _contract_cap(contract)
    finance: dict[str, Any] = {}
    if cap is not None:
        commitment["maximum_potential_outcome_payment"] = {
            "currency": _v(contract.currency),
            "amount": _v(_number(cap.amount)),
        }
        finance["maximum_potential_outcome_payment_v2"] = {
            "currency": _v(contract.currency),
            "amount": _v(_number(cap.amount)),
        }
    payments = _planned(contract, periods)
    if doc is not None:
        due = Decimal(str(doc["totals"]["due"]))
        commitment["total_outcome_payments"] = {
            "currency": _v(contract.currency),
            "amount": _v(_number(due)),
        }
        finance["total_outcome_payments_made"] = {
            "currency": _v(contract.currency),
            "amount": _v(_number(due)),
        }
        project["sources"].append(
            {
                "id": "impactbond-settlement",
                "name": _v(f"settlement of {contract.id} as of {doc['as_of']}"),
                "type": _v("Report"),
                "notes": f"impactbond {doc.get('library_version', '')}".strip(),
            }
        )
        payments += _actual(contract, doc)
        project["results"] = _results(contract, doc)
        project["service_and_beneficiaries"] = {
            "actual_number_service_users_or_beneficiaries_total": _v(len(doc["participants"])),
            "unit_type_actual_service_users_or_beneficiaries": _v("Individual"),
        }
    limits = [c.max_participants for c in contract.cohorts]
    if limits and all(n is not None for n in limits):
        project.setdefault("service_and_beneficiaries", {})[
            "targeted_number_service_users_or_beneficiaries_total"
        ] = _v(sum(n for n in limits if n is not None))
    investments, transactions = _investments(contract, doc)
    if investments:
        total = sum(
            (
                Decimal(str(i["investment_commitment"]["amount"]["exact"]["value"]))
                for i in investments
            ),
            Decimal(0),
        )
        finance["total_investment_commitment"] = {
            "currency": _v(contract.currency),
            "amount": {"exact": _v(_number(total))},
        }
        project["investments"] = investments
    if transactions:
        project["transactions"] = transactions
    if finance:
        project["overall_project_finance"] = finance
    project["outcome_payment_commitments"] = [commitment]
    project["outcome_payments"] = payments
    return project


def indigo_json(contract: Any, settlement: Any = None, **kwargs: Any) -> str:
    """:func:`indigo_project` as JSON text."""
    return json.dumps(indigo_project(contract, settlement, **kwargs), indent=2, ensure_ascii=False)


def _bonus_target(rule: TargetBonus) -> str:
    if rule.target_share is not None:
        return f"{rule.target_share} of its settled participants in units"
    return str(rule.target)
