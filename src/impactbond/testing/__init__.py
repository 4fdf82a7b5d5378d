"""Test helpers for users of impactbond: Hypothesis strategies in
:mod:`impactbond.testing.strategies` (imports ``hypothesis``; for tests only).
"""
