"""impactbond: executable social impact bond contracts.

Register trajectories in, exact outcome payments out, every krone explained.

>>> import impactbond as ib
>>> from datetime import date
>>> t = ib.Trajectory("P-1", [ib.Spell(ib.Status.EMPLOYED, date(2024, 1, 1), date(2024, 3, 1))])
>>> ib.employment_months(t, date(2024, 1, 1), date(2025, 1, 1))
Fraction(2, 1)
"""

from impactbond import examples, finance, simulate
from impactbond._version import __version__
from impactbond.calendar import MonthlyGrid, MonthRounding, WeeklyGrid, add_months
from impactbond.core.accrual import AccrualConvention
from impactbond.domain.contract import (
    Amendment,
    Clause,
    CohortTerms,
    Contract,
    OnExit,
    Parties,
)
from impactbond.domain.definitions import Definition, definitions
from impactbond.domain.measure import employment_months
from impactbond.domain.outcome import (
    EmploymentMonths,
    JobStart,
    Outcome,
    Progression,
    RecordedEvent,
    Retention,
    SelfSufficiency,
    StatusAtFollowUp,
    SustainedEmployment,
    Window,
)
from impactbond.domain.participant import Participant
from impactbond.domain.payment import (
    ActivityFee,
    BenefitSaving,
    Cap,
    CapScope,
    EffectTierPayment,
    FixedFee,
    PaymentRule,
    PaymentSchedule,
    PricePerUnit,
    SavingsSharePayment,
    TargetBonus,
)
from impactbond.domain.terms import (
    DatedAmount,
    DeliveryFee,
    Financing,
    Guarantee,
    RefusionBand,
    RefusionSchedule,
    ReturnCap,
    Tier,
    TierTable,
    TopUp,
)
from impactbond.domain.trajectory import Panel, Spell, Trajectory
from impactbond.errors import ImpactBondError
from impactbond.io.contract_file import dump_contract, dumps_contract, load_contract, loads_contract
from impactbond.money import Money, Rounding, RoundingStage
from impactbond.register import Register
from impactbond.settle import Settlement, settle
from impactbond.status import CodeTable, Status

__all__ = [
    "AccrualConvention",
    "ActivityFee",
    "Amendment",
    "BenefitSaving",
    "Cap",
    "CapScope",
    "Clause",
    "CodeTable",
    "CohortTerms",
    "Contract",
    "DatedAmount",
    "Definition",
    "DeliveryFee",
    "EffectTierPayment",
    "EmploymentMonths",
    "Financing",
    "FixedFee",
    "Guarantee",
    "ImpactBondError",
    "JobStart",
    "Money",
    "MonthRounding",
    "MonthlyGrid",
    "OnExit",
    "Outcome",
    "Panel",
    "Participant",
    "Parties",
    "PaymentRule",
    "PaymentSchedule",
    "PricePerUnit",
    "Progression",
    "RecordedEvent",
    "RefusionBand",
    "RefusionSchedule",
    "Register",
    "Retention",
    "ReturnCap",
    "Rounding",
    "RoundingStage",
    "SavingsSharePayment",
    "SelfSufficiency",
    "Settlement",
    "Spell",
    "Status",
    "StatusAtFollowUp",
    "SustainedEmployment",
    "TargetBonus",
    "Tier",
    "TierTable",
    "TopUp",
    "Trajectory",
    "WeeklyGrid",
    "Window",
    "__version__",
    "add_months",
    "definitions",
    "dump_contract",
    "dumps_contract",
    "employment_months",
    "examples",
    "finance",
    "load_contract",
    "loads_contract",
    "settle",
    "simulate",
]
