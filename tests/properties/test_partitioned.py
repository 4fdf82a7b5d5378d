"""A settlement over partitions of the participants equals the single-process settlement."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from types import ModuleType

import attrs
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import impactbond as ib
from impactbond.scale import concat_part_lines, settle_partitioned


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


props = _load("test_settle_properties")


def _same(contract: ib.Contract, register: ib.Register, as_of: date, n_parts: int) -> None:
    whole = ib.settle(contract, register, as_of=as_of)
    parted = settle_partitioned(
        contract, register.partitions(n_parts), as_of=as_of, keep_lines=True
    )
    assert parted.total == whole.total
    assert parted.accrued_total == whole.accrued_total
    assert parted.capped_total == whole.capped_total
    assert parted.by_rule() == whole.by_rule()
    assert parted.n_settled == whole.n_settled and parted.n_lines == len(whole.lines)
    assert parted.n_excluded == len(whole.exclusions)
    assert parted.achievements == whole.achievements
    assert parted.retention == whole.retention
    # Line by line, in the same order: participant lines of the parts in id order, then the
    # group lines.
    lines = concat_part_lines(parted)
    ln = whole.lines
    for name in ("participant", "rule", "earned_on", "quantity_num", "quantity_den"):
        assert getattr(lines, name).tolist() == getattr(ln, name).tolist(), name
    paid = np.concatenate([p["paid"] for p in parted.parts])
    before = np.concatenate([p["before"] for p in parted.parts])
    due = np.concatenate([p["due"] for p in parted.parts])
    assert paid.tolist() == ln.amount.tolist()
    assert before.tolist() == ln.amount_before_caps.tolist()
    assert due.tolist() == ln.due.tolist()


@given(props.contracts(), props.cohorts(max_people=10), props.as_of_dates, st.integers(1, 4))
def test_partitions_settle_to_the_same_lines(contract, cohort, as_of, n_parts) -> None:  # type: ignore[no-untyped-def]
    if contract.rounding_stage is ib.RoundingStage.INVOICE:
        # invoice-stage running sums cross partitions: a partitioned settlement refuses them
        contract = attrs.evolve(contract, rounding_stage=ib.RoundingStage.LINE)
    register = ib.Register.from_objects(*cohort)
    _same(contract, register, as_of, n_parts)


def test_the_nyborg_cohort_in_three_parts() -> None:
    contract, people, trajectories = ib.examples.nyborg()
    register = ib.Register.from_objects(people, trajectories)
    _same(contract, register, date(2026, 7, 1), 3)
