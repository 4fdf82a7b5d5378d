"""The settlement engine (being rebuilt as a fold over stages; see docs/explanation/architecture.md)."""

from impactbond.settle._legacy import (
    Achievement,
    Exclusion,
    Lines,
    OutcomeResult,
    RetentionFigures,
    Settlement,
    _round,
    settle,
)

__all__ = [
    "Achievement",
    "Exclusion",
    "Lines",
    "OutcomeResult",
    "RetentionFigures",
    "Settlement",
    "_round",
    "settle",
]
