"""The numerical core: pure numpy kernels over status panels and spells.

No project imports beyond this package, no dates, no Decimal, no I/O: day
numbers and period indices are int64, statuses int8 codes, results exact
integers (or float64 for analysis only).
"""

from impactbond.core.accrual import (
    MONTH_DAYS_LCM,
    AccrualConvention,
    accrue_months,
    accrue_months_float,
    employed_weeks,
    month_day_matrix,
    weeks_to_months,
)
from impactbond.core.retention import (
    KaplanMeier,
    RetentionResult,
    job_spell_durations,
    job_start,
    kaplan_meier,
    retention_at,
    sustained_employment,
    weekly_summary,
)

__all__ = [
    "MONTH_DAYS_LCM",
    "AccrualConvention",
    "KaplanMeier",
    "RetentionResult",
    "accrue_months",
    "accrue_months_float",
    "employed_weeks",
    "job_spell_durations",
    "job_start",
    "kaplan_meier",
    "month_day_matrix",
    "retention_at",
    "sustained_employment",
    "weekly_summary",
    "weeks_to_months",
]
