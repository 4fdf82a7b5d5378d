"""Checks between a contract and register tables: what neither can see alone.

:func:`cross_check` finds, without computing any money, the problems that
:func:`impactbond.settle` would refuse or that would silently earn nothing:

- a participant in a cohort the contract does not have;
- a recorded event that no outcome of the contract reads;
- a participant without a referral date while an outcome's window is
  anchored on the referral;
- spells or events of a participant the participants table does not list.

Each problem is a :class:`~impactbond.errors.SettlementError` naming the
source, row, participant and field (never the value of an identifier shaped
like a CPR number).

>>> import io
>>> from impactbond.examples import nyborg_paths
>>> from impactbond.io.contract_file import load_contract
>>> from impactbond.io.register_tables import read_register
>>> tables = read_register(io.StringIO(
...     "participant_id,cohort,enrolled,status,start\\n"
...     "P-1,sick_listed,2024-01-08,sickness_benefit,2024-01-01\\n"
...     "P-2,pensioners,2024-01-08,disability_pension,2024-01-01\\n"), None)
>>> [(e.row, e.field) for e in cross_check(load_contract(nyborg_paths().contract), tables)]
[(2, 'cohort')]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from impactbond.domain.outcome import RecordedEvent
from impactbond.domain.participant import cpr_mask
from impactbond.errors import ImpactBondError, SettlementError
from impactbond.io._files import shown
from impactbond.io.tables import MAX_ERRORS, SourceTable

__all__ = ["cross_check"]


def _mask(array: Any) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


class _Found:
    def __init__(self) -> None:
        self.errors: list[ImpactBondError] = []
        self.more = 0

    def rows(
        self,
        t: SourceTable,
        mask: np.ndarray[Any, np.dtype[np.bool_]],
        message: Any,
        *,
        field: str,
        rule: str,
    ) -> None:
        ids = t.table.column("participant_id").combine_chunks()
        safe = ~cpr_mask(ids)
        for i in np.flatnonzero(mask):
            if len(self.errors) >= MAX_ERRORS:
                self.more += 1
                continue
            pid = ids[int(i)].as_py()
            self.errors.append(
                SettlementError(
                    message(int(i)),
                    source=t.source,
                    row=int(t.row_numbers[i]),
                    participant=pid if safe[i] else None,
                    field=field,
                    rule=rule,
                )
            )


def cross_check(contract: Any, tables: Any) -> list[ImpactBondError]:
    """Every problem between ``contract`` and ``tables`` (a ``RegisterTables``), in order.

    Parameters
    ----------
    contract:
        A :class:`~impactbond.domain.contract.Contract`.
    tables:
        Anything with ``participants``, ``spells`` and ``events``
        :class:`~impactbond.io.tables.SourceTable` attributes (``events`` may
        be ``None``).

    Returns
    -------
    list of ImpactBondError
        Empty when the two fit; at most :data:`~impactbond.io.tables.MAX_ERRORS`
        one by one, then one error counting the rest.
    """
    found = _Found()
    people: SourceTable = tables.participants
    labels = [c.label for c in contract.cohorts]
    cohort = people.table.column("cohort").combine_chunks()
    unknown = ~_mask(pc.is_in(cohort, value_set=pa.array(labels, pa.string())))
    found.rows(
        people,
        unknown,
        lambda i: (
            f"cohort {shown(cohort[i].as_py())} is not a cohort of the contract "
            f"(its cohorts: {', '.join(labels)})"
        ),
        field="cohort",
        rule="every participant belongs to a contract cohort",
    )
    anchored = sorted(
        {o.id for o in contract.outcomes if getattr(o.window, "anchor", "") == "referred"}
    )
    if anchored:
        no_referral = ~_mask(pc.is_valid(people.table.column("referred").combine_chunks()))
        found.rows(
            people,
            no_referral,
            lambda i: (
                f"no referral date, and the window of {', '.join(anchored)} starts at the referral"
            ),
            field="referred",
            rule="a window anchored on the referral needs a referral date",
        )
    listed = people.table.column("participant_id").combine_chunks()
    spells: SourceTable = tables.spells
    stray = ~_mask(pc.is_in(spells.table.column("participant_id"), value_set=listed))
    found.rows(
        spells,
        stray,
        lambda i: "the spell's participant is not in the participants table",
        field="participant_id",
        rule="every spell belongs to a listed participant",
    )
    events: SourceTable | None = tables.events
    if events is not None:
        names = sorted({o.event for o in contract.outcomes if isinstance(o, RecordedEvent)})
        event = events.table.column("event").combine_chunks()
        unread = ~_mask(pc.is_in(event, value_set=pa.array(names, pa.string())))
        found.rows(
            events,
            unread,
            lambda i: (
                f"event {shown(event[i].as_py())} is read by no outcome of the contract "
                f"(events it reads: {', '.join(names) or 'none'})"
            ),
            field="event",
            rule="every recorded event is an outcome of the contract",
        )
        stray = ~_mask(pc.is_in(events.table.column("participant_id"), value_set=listed))
        found.rows(
            events,
            stray,
            lambda i: "the event's participant is not in the participants table",
            field="participant_id",
            rule="every event belongs to a listed participant",
        )
    errors = found.errors
    if found.more:
        errors.append(SettlementError(f"and {found.more:,} more problems of the same kinds"))
    return errors
