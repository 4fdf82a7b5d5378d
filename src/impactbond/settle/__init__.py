"""The settlement engine: a fold over stages (see docs/explanation/architecture.md).

==============  =====================================================================
``clock``       every date rule: as_of, data_until, term, tail, exits, weeks, invoices
``admit``       roster and exclusions
``measure``     one measurer per outcome kind
``price``       one pricer per participant-level payment rule kind
``group``       group rules (bonuses, effect tiers, savings, fees) and caps
``rounding``    cumulative rounding at the contract's stage
``result``      Settlement, Lines, Cuts, figures
``pipeline``    ``settle()``: the fold
==============  =====================================================================
"""

from impactbond.settle.admit import Exclusion, Exclusions
from impactbond.settle.clock import Observation, observe
from impactbond.settle.group import EffectFigures, SavingsFigures
from impactbond.settle.measure import Measured
from impactbond.settle.pipeline import settle
from impactbond.settle.result import Achievement, Cuts, Lines, RetentionFigures, Settlement

__all__ = [
    "Achievement",
    "Cuts",
    "EffectFigures",
    "Exclusion",
    "Exclusions",
    "Lines",
    "Measured",
    "Observation",
    "RetentionFigures",
    "SavingsFigures",
    "Settlement",
    "observe",
    "settle",
]
