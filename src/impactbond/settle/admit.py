"""Admission: who is settled, and why everyone else is not.

Every participant of the register is either settled or listed as excluded
with a reason, the rule and the clause.  The checks are row-local except the
cohort size limit, which ranks the candidates of each (scenario, cohort) by
enrolment date, then id (first enrolled first).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.calendar import OPEN_END_DAY
from impactbond.domain.contract import Contract
from impactbond.errors import SettlementError
from impactbond.register import Register
from impactbond.settle.clock import Observation
from impactbond.status import Status

__all__ = [
    "Admission",
    "Exclusion",
    "Exclusions",
    "Roster",
    "admission",
    "admit",
    "cohort_limits",
    "roster",
    "status_on",
]

I64 = npt.NDArray[np.int64]

OUTSIDE_REFERRAL = 1
NOT_YET_ENROLLED = 2
NOT_ELIGIBLE = 3
COHORT_FULL = 4


@attrs.frozen
class Exclusion:
    """A participant left out of the settlement, and why."""

    participant_id: str
    cohort: str
    reason: str
    rule: str
    clause: str = ""


@attrs.frozen(eq=False)
class Exclusions(Sequence[Exclusion]):
    """The excluded participants as columns; items are :class:`Exclusion` objects made on demand."""

    contract: Contract
    ids: Sequence[str] | object
    """The register's ids (a pyarrow string array)."""
    row: I64
    kind: I64
    cohort: I64
    enrolled: I64
    status: I64
    data_until: date

    def __len__(self) -> int:
        return len(self.row)

    def __getitem__(self, i: int) -> Exclusion:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        c = self.contract
        terms = c.cohorts[int(self.cohort[i])]
        enrolled = date.fromordinal(int(self.enrolled[i]))
        kind = int(self.kind[i])
        if kind == OUTSIDE_REFERRAL:
            reason = (
                f"enrolled {enrolled} outside the referral period {c.referral_start} up to and "
                f"including {c.referral_end}"
            )
            rule = "enrolment lies in the referral period"
        elif kind == NOT_YET_ENROLLED:
            reason = f"enrolled {enrolled}, after the data cut-off {self.data_until}"
            rule = "only participants enrolled by the data cut-off are settled"
        elif kind == NOT_ELIGIBLE:
            status = Status(int(self.status[i]))
            names = ", ".join(s.name.lower() for s in terms.eligible_statuses)
            reason = f"status on enrolment {enrolled} is {status.name.lower()}, not one of {names}"
            rule = "cohort eligibility on the enrolment date"
        else:
            reason = f"cohort {terms.label} already had {terms.max_participants} participants"
            rule = "a cohort takes at most max_participants, first enrolled first"
        pid = self.ids[int(self.row[i])]  # type: ignore[index]
        pid = pid.as_py() if hasattr(pid, "as_py") else pid
        return Exclusion(str(pid), terms.label, reason, rule, terms.clause)

    def __iter__(self) -> Iterator[Exclusion]:
        for i in range(len(self)):
            yield self[i]

    def reasons(self) -> dict[str, int]:
        """How many were excluded for each kind of reason."""
        names = {
            OUTSIDE_REFERRAL: "outside the referral period",
            NOT_YET_ENROLLED: "enrolled after the data cut-off",
            NOT_ELIGIBLE: "not eligible on the enrolment date",
            COHORT_FULL: "cohort full",
        }
        kinds, counts = np.unique(self.kind, return_counts=True)
        return {names[int(k)]: int(c) for k, c in zip(kinds, counts, strict=True)}


@attrs.frozen(eq=False)
class Roster:
    """The settled rows of the register (in id order) with their contract cohort, and the rest."""

    rows: I64
    cohort: I64
    """Per settled row: the index into ``contract.cohorts``."""
    exclusions: Exclusions


def status_on(register: Register, rows: I64, days: I64) -> I64:
    """The register status of each row on one day (``Status.UNKNOWN`` in a gap)."""
    key_start = (register.spell_row.astype(np.int64) << 32) + register.spell_start
    query = (rows.astype(np.int64) << 32) + days
    idx = np.searchsorted(key_start, query, side="right") - 1
    safe = np.maximum(idx, 0)
    if len(register.spell_row) == 0:
        return np.zeros(len(rows), dtype=np.int64)
    hit = (
        (idx >= 0)
        & (register.spell_row[safe] == rows)
        & (days < register.spell_end[safe].astype(np.int64))
    )
    return np.where(hit, register.spell_status[safe], int(Status.UNKNOWN)).astype(np.int64)


def contract_cohorts(contract: Contract, register: Register) -> I64:
    """Per register row: the index of its cohort in the contract (unknown cohorts refused)."""
    labels = [c.label for c in contract.cohorts]
    code = np.full(len(register.cohort_labels), -1, dtype=np.int64)
    for k, label in enumerate(register.cohort_labels):
        if label in labels:
            code[k] = labels.index(label)
    cohort = code[register.cohort.astype(np.int64)] if len(register) else code[:0]
    unknown = np.flatnonzero(cohort < 0)
    if len(unknown):
        bad = sorted({register.cohort_labels[int(register.cohort[i])] for i in unknown})
        first = str(register.ids[int(unknown[0])].as_py())
        raise SettlementError(
            f"{len(unknown)} participants are in cohorts the contract does not have "
            f"({', '.join(repr(b) for b in bad)}; known: {', '.join(labels)})",
            participant=first,
            field="cohort",
            rule="every participant belongs to a contract cohort",
        )
    return cohort


@attrs.frozen(eq=False)
class Admission:
    """The row-local part of admission: each row's exclusion kind (0: admitted so far)."""

    kind: I64
    cohort: I64
    status: I64
    enrolled: I64
    scenario: I64

    def limit_candidates(self, contract: Contract) -> tuple[I64, I64, I64, I64]:
        """``(cohort, scenario, enrolled, row)`` of the rows still in, of cohorts with a size limit."""
        limited = np.array([c.max_participants is not None for c in contract.cohorts], dtype=bool)
        rows = (
            np.flatnonzero((self.kind == 0) & limited[self.cohort]) if len(self.kind) else self.kind
        )
        return self.cohort[rows], self.scenario[rows], self.enrolled[rows], rows.astype(np.int64)


def admission(contract: Contract, register: Register, obs: Observation) -> Admission:
    """Every row's exclusion by the row-local rules: referral period, data cut-off, eligibility."""
    n = len(register)
    cohort = contract_cohorts(contract, register)
    enrolled = register.enrolled.astype(np.int64)
    kind = np.zeros(n, dtype=np.int64)
    outside = (enrolled < contract.referral_start.toordinal()) | (
        enrolled > contract.referral_end.toordinal()
    )
    kind[outside] = OUTSIDE_REFERRAL
    later = (kind == 0) & (enrolled >= obs.data_end)
    kind[later] = NOT_YET_ENROLLED
    status = status_on(register, np.arange(n, dtype=np.int64), enrolled)
    for ci, terms in enumerate(contract.cohorts):
        if not terms.eligible_statuses:
            continue
        allowed = np.zeros(256, dtype=bool)
        for s in terms.eligible_statuses:
            allowed[int(s) & 0xFF] = True
        bad = (kind == 0) & (cohort == ci) & ~allowed[status & 0xFF]
        kind[bad] = NOT_ELIGIBLE
    return Admission(kind, cohort, status, enrolled, register.scenario.astype(np.int64))


def cohort_limits(contract: Contract, candidates: list[tuple[I64, I64, I64, I64]]) -> list[I64]:
    """The rows of each part over their cohort's size limit: first enrolled first, per
    (scenario, cohort), ties by id (parts in id order, rows in id order within a part)."""
    out = [np.zeros(0, dtype=np.int64) for _ in candidates]
    if not candidates:
        return out
    cohort = np.concatenate([c[0] for c in candidates])
    scenario = np.concatenate([c[1] for c in candidates])
    enrolled = np.concatenate([c[2] for c in candidates])
    row = np.concatenate([c[3] for c in candidates])
    part = np.concatenate([np.full(len(c[0]), p, dtype=np.int64) for p, c in enumerate(candidates)])
    for ci, terms in enumerate(contract.cohorts):
        limit = terms.max_participants
        if limit is None:
            continue
        mine = np.flatnonzero(cohort == ci)
        order = mine[np.lexsort((row[mine], part[mine], enrolled[mine], scenario[mine]))]
        scen = scenario[order]
        starts = np.r_[0, np.flatnonzero(scen[1:] != scen[:-1]) + 1] if len(order) else order
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        full = order[rank >= limit]
        for p in range(len(candidates)):
            out[p] = np.concatenate((out[p], row[full[part[full] == p]]))
    return out


def roster(
    contract: Contract, register: Register, obs: Observation, adm: Admission, full: I64
) -> Roster:
    """Settled rows and exclusions once the cohort limits (rows ``full``) are known."""
    kind = adm.kind.copy()
    kind[full] = COHORT_FULL
    settled = np.flatnonzero(kind == 0).astype(np.int64)
    out = np.flatnonzero(kind != 0).astype(np.int64)
    return Roster(
        rows=settled,
        cohort=adm.cohort[settled],
        exclusions=Exclusions(
            contract=contract,
            ids=register.ids,
            row=out,
            kind=kind[out],
            cohort=adm.cohort[out],
            enrolled=adm.enrolled[out],
            status=adm.status[out],
            data_until=obs.data_until,
        ),
    )


def admit(contract: Contract, register: Register, obs: Observation) -> Roster:
    """Settled participants and exclusions (participants in = settled + excluded)."""
    adm = admission(contract, register, obs)
    (full,) = cohort_limits(contract, [adm.limit_candidates(contract)])
    return roster(contract, register, obs, adm, full)


assert OPEN_END_DAY > 0
