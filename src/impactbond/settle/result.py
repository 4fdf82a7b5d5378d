"""The result of a settlement: lines, cuts, exclusions and figures, all read-only.

:class:`Settlement` holds the line table (:class:`Lines`, one numpy column
per field), the cuts of the caps (:class:`Cuts`), the exclusions, the
achievement against targets, the retention figures and the figures behind
effect and savings payments.  Every array is read-only: a settlement is a
value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from impactbond.domain.contract import Contract
from impactbond.errors import SettlementError, UnknownParticipant
from impactbond.money import Money, exact_sum
from impactbond.register import Register
from impactbond.settle.admit import Exclusion, Exclusions
from impactbond.settle.clock import Observation
from impactbond.settle.measure import Measured

__all__ = [
    "Achievement",
    "Cuts",
    "Exclusion",
    "Lines",
    "RetentionFigures",
    "Settlement",
    "exact_sum",
]

I64 = npt.NDArray[np.int64]
_EPOCH = date(1970, 1, 1).toordinal()


def _freeze(obj: Any) -> None:
    for f in attrs.fields(type(obj)):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False


@attrs.frozen
class Achievement:
    """A cohort's result against its target (in one scenario)."""

    cohort: str
    outcome: str
    quantity: Fraction
    target: Fraction | None
    scenario: int = 0
    target_share: Fraction | None = None
    """The cohort's target as a share of its settled participants (``target`` is then that
    share of them)."""

    @property
    def ratio(self) -> Fraction | None:
        """quantity / target (None without a target)."""
        if self.target is None or self.target == 0:
            return None
        return self.quantity / self.target


@attrs.frozen
class RetentionFigures:
    """Retention of job starters in one cohort for one retention outcome.

    ``observed`` are the job starters whose horizon has been observed;
    censored starters are neither retained nor failures.
    """

    cohort: str
    outcome: str
    horizon: str
    job_starters: int
    censored: int
    retained: int
    same_employer: int
    scenario: int = 0

    @property
    def observed(self) -> int:
        """Job starters whose horizon has been reached."""
        return self.job_starters - self.censored

    @property
    def retention_rate(self) -> Fraction | None:
        """Share of observed job starters still employed at the horizon."""
        return Fraction(self.retained, self.observed) if self.observed else None

    @property
    def same_job_rate(self) -> Fraction | None:
        """Share of those still employed who are with the employer they started with."""
        return Fraction(self.same_employer, self.retained) if self.retained else None


@attrs.frozen(eq=False)
class Lines:
    """The payment lines as read-only columns (see the architecture page for each field).

    ``participant`` indexes :attr:`Settlement.participant_ids` (-1: a group
    line); ``cohort``, ``outcome`` (-1: none) and ``rule`` index the
    contract's cohorts, outcomes and payment rules; days are day numbers
    (``date.toordinal()``); money is in minor units.
    """

    participant: I64
    scenario: I64
    cohort: I64
    outcome: I64
    rule: I64
    period_start: I64
    period_end: I64
    earned_on: I64
    invoice_period: I64
    due_on: I64
    quantity_num: I64
    quantity_den: I64
    price_num: I64
    price_den: I64
    amount_before_caps: I64
    amount: I64
    due: npt.NDArray[np.bool_]
    item: I64

    def __attrs_post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.participant)

    def take(self, index: npt.NDArray[Any]) -> Lines:
        """The lines selected by an index or mask."""
        return Lines(**{f.name: getattr(self, f.name)[index] for f in attrs.fields(Lines)})

    def quantity(self, i: int) -> Fraction:
        """The exact quantity of line ``i``."""
        return Fraction(int(self.quantity_num[i]), int(self.quantity_den[i]))

    def unit_price(self, i: int) -> Fraction:
        """The exact unit price of line ``i``, in minor units."""
        return Fraction(int(self.price_num[i]), int(self.price_den[i]))

    def exact_amount(self, i: int) -> Fraction:
        """Quantity x unit price of line ``i``, in minor units, before rounding."""
        return self.quantity(i) * self.unit_price(i)


@attrs.frozen(eq=False)
class Cuts:
    """One row per cap that cut a line: ``line`` (into :attr:`Settlement.lines`),
    ``cap`` (into ``contract.caps``) and the ``amount`` cut (minor units)."""

    line: I64
    cap: I64
    amount: I64

    def __attrs_post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.line)

    def of_line(self, i: int) -> list[tuple[int, int]]:
        """``(cap index, amount)`` of every cut of line ``i``."""
        lo, hi = np.searchsorted(self.line, [i, i + 1])
        return [(int(self.cap[k]), int(self.amount[k])) for k in range(int(lo), int(hi))]


def _dates32(days: I64) -> Any:
    import pyarrow as pa

    return pa.array((days - _EPOCH).astype(np.int32), pa.int32()).cast(pa.date32())


@attrs.frozen(eq=False)
class Settlement:
    """The money due under a contract at ``as_of``, line by line, with reasons.

    ``total`` is what is due (its due date on or before ``as_of``);
    ``accrued_total`` adds what is earned but not yet due.
    """

    contract: Contract
    observation: Observation
    register: Register
    """The settled participants' data (rows in id order)."""
    cohort_of: I64
    """Per settled participant: the index into ``contract.cohorts``."""
    windows: Mapping[str, tuple[I64, I64]]
    measured: Mapping[str, Measured]
    lines: Lines
    cuts: Cuts
    exclusions: Exclusions
    achievements: tuple[Achievement, ...]
    retention: tuple[RetentionFigures, ...]
    figures: tuple[Any, ...]
    """What decided each group payment, paid or not (effect, bonus, savings, achievement);
    for a comparison group, what it measured per effect rule and cohort."""
    participants_in: int
    role: str = "treatment"
    """``"treatment"``, or ``"comparison"``: a comparison group measured under the contract's
    outcomes, with no lines."""

    def __attrs_post_init__(self) -> None:
        _freeze(self)

    # -- dates ----------------------------------------------------------------
    @property
    def as_of(self) -> date:
        """The evaluation date."""
        return self.observation.as_of

    @property
    def data_until(self) -> date:
        """The last day the register data covered (given, or the day before ``as_of``)."""
        return self.observation.data_until

    # -- people ----------------------------------------------------------------
    @property
    def currency(self) -> str:
        """The contract's currency."""
        return self.contract.currency

    @property
    def participant_ids(self) -> tuple[str, ...]:
        """Settled participants, sorted by id (the row order of every array)."""
        return tuple(self.register.ids.to_pylist())

    @property
    def n_settled(self) -> int:
        """Number of settled participants."""
        return len(self.register)

    @property
    def participants(self) -> tuple[Any, ...]:
        """The settled participants as :class:`~impactbond.domain.participant.Participant` objects."""
        return tuple(self.register.participant(i) for i in range(len(self.register)))

    @property
    def trajectories(self) -> tuple[Any, ...]:
        """The settled participants' trajectories as objects (one per participant)."""
        return tuple(self.register.trajectory(i) for i in range(len(self.register)))

    def row_of(self, participant_id: str) -> int:
        """Row index of a settled participant (an excluded one names the reason)."""
        try:
            return self.register.row_of(participant_id)
        except UnknownParticipant:
            pass
        for e in self.exclusions:
            if e.participant_id == participant_id:
                raise UnknownParticipant(
                    f"participant was excluded: {e.reason}",
                    participant=participant_id,
                    rule=e.rule,
                    clause=e.clause or None,
                ) from None
        raise UnknownParticipant("participant is not in the settlement", participant=participant_id)

    # -- money ------------------------------------------------------------------
    def _money(self, minor: int | np.integer[Any]) -> Money:
        return Money.from_minor_units(int(minor), self.currency)

    @property
    def total(self) -> Money:
        """Money due at ``as_of``."""
        return self._money(exact_sum(self.lines.amount[self.lines.due]))

    @property
    def accrued_total(self) -> Money:
        """Money earned by the data cut-off, due or not yet due."""
        return self._money(exact_sum(self.lines.amount))

    @property
    def pending_total(self) -> Money:
        """Money earned but not yet due."""
        return self._money(exact_sum(self.lines.amount[~self.lines.due]))

    @property
    def capped_total(self) -> Money:
        """Money that caps cut away."""
        return self._money(exact_sum(self.cuts.amount))

    def _grouped(self, keys: I64, labels: Sequence[str], due_only: bool) -> dict[str, Money]:
        mask = self.lines.due if due_only else np.ones(len(self.lines), dtype=bool)
        amounts = self.lines.amount[mask]
        k = keys[mask]
        return {label: self._money(exact_sum(amounts[k == i])) for i, label in enumerate(labels)}

    def by_cohort(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per cohort label (due, or with ``due_only=False`` accrued)."""
        return self._grouped(self.lines.cohort, [c.label for c in self.contract.cohorts], due_only)

    def by_outcome(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per outcome id."""
        return self._grouped(self.lines.outcome, [o.id for o in self.contract.outcomes], due_only)

    def by_rule(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per payment rule id."""
        return self._grouped(self.lines.rule, [r.id for r in self.contract.payment_rules], due_only)

    def by_cap(self) -> dict[str, Money]:
        """Money cut by each cap (every cut counted, a line cut by two caps under both)."""
        return {
            cap.id: self._money(exact_sum(self.cuts.amount[self.cuts.cap == i]))
            for i, cap in enumerate(self.contract.caps)
        }

    def by_scenario(self, *, due_only: bool = True) -> dict[int, Money]:
        """Money per scenario."""
        mask = self.lines.due if due_only else np.ones(len(self.lines), dtype=bool)
        out: dict[int, Money] = {}
        for s in np.unique(self.register.scenario).tolist():
            sel = mask & (self.lines.scenario == s)
            out[int(s)] = self._money(exact_sum(self.lines.amount[sel]))
        return out

    def invoice_period_label(self, k: int) -> str:
        """``2026-01-01..2026-03-31``: the first and last day of invoice period ``k``."""
        start, last = self.observation.period_bounds(k)
        return f"{start.isoformat()}..{last.isoformat()}"

    def by_invoice_period(self, *, due_only: bool = False) -> dict[str, Money]:
        """Money per invoice period, labelled ``first..last day`` (accrued by default)."""
        if len(self.lines) == 0:
            return {}
        mask = self.lines.due if due_only else np.ones(len(self.lines), dtype=bool)
        out: dict[str, Money] = {}
        for p in np.unique(self.lines.invoice_period).tolist():
            sel = mask & (self.lines.invoice_period == p)
            out[self.invoice_period_label(int(p))] = self._money(exact_sum(self.lines.amount[sel]))
        return out

    def quantity(self, outcome_id: str, cohort: str | None = None) -> Fraction:
        """Total quantity of an outcome earned (in one cohort or all)."""
        m = self._measured(outcome_id)
        rows = self._rows_of_cohort(cohort)
        return Fraction(exact_sum(m.totals[rows]), m.den)

    def quantity_of(self, participant_id: str, outcome_id: str) -> Fraction:
        """One participant's quantity of an outcome."""
        m = self._measured(outcome_id)
        return Fraction(int(m.totals[self.row_of(participant_id)]), m.den)

    def outcome_counts(self, outcome_id: str) -> tuple[int, int]:
        """``(settled people, people with any of the outcome)``: a comparison group's counts."""
        m = self._measured(outcome_id)
        return self.n_settled, int(np.count_nonzero(m.totals > 0))

    def _measured(self, outcome_id: str) -> Measured:
        try:
            return self.measured[outcome_id]
        except KeyError:
            known = ", ".join(self.measured)
            raise SettlementError(
                f"no outcome {outcome_id!r} (known: {known})", field="outcome"
            ) from None

    def _rows_of_cohort(self, cohort: str | None) -> npt.NDArray[np.bool_]:
        if cohort is None:
            return np.ones(self.n_settled, dtype=bool)
        labels = [c.label for c in self.contract.cohorts]
        if cohort not in labels:
            raise SettlementError(f"the contract has no cohort {cohort!r}", field="cohort")
        mask: npt.NDArray[np.bool_] = self.cohort_of == labels.index(cohort)
        return mask

    def achievement(self, cohort: str, scenario: int = 0) -> Achievement:
        """The achievement of one cohort against its target."""
        for a in self.achievements:
            if a.cohort == cohort and a.scenario == scenario:
                return a
        raise SettlementError(f"cohort {cohort!r} has no target", field="cohort")

    # -- records ------------------------------------------------------------------
    def _line_ids(
        self,
    ) -> tuple[list[str | None], list[str], list[str | None], list[str], list[str]]:
        c = self.contract
        ids = self.register.ids
        people = [None if p < 0 else ids[int(p)].as_py() for p in self.lines.participant.tolist()]
        cohorts = [c.cohorts[int(k)].label for k in self.lines.cohort.tolist()]
        outcomes = [None if k < 0 else c.outcomes[int(k)].id for k in self.lines.outcome.tolist()]
        rules = [c.payment_rules[int(k)].id for k in self.lines.rule.tolist()]
        clauses = [c.payment_rules[int(k)].clause for k in self.lines.rule.tolist()]
        return people, cohorts, outcomes, rules, clauses

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per line, with ids, dates, exact quantities and Decimal amounts."""
        ln = self.lines
        people, cohorts, outcomes, rules, clauses = self._line_ids()
        caps = self.contract.caps
        out: list[dict[str, Any]] = []
        for i in range(len(ln)):
            cuts = self.cuts.of_line(i)
            k = int(ln.invoice_period[i])
            start, last = self.observation.period_bounds(k)
            out.append(
                {
                    "participant_id": people[i],
                    "scenario": int(ln.scenario[i]),
                    "cohort": cohorts[i],
                    "outcome": outcomes[i],
                    "rule": rules[i],
                    "clause": clauses[i],
                    "period_start": date.fromordinal(int(ln.period_start[i])),
                    "period_end": date.fromordinal(int(ln.period_end[i])),
                    "earned_on": date.fromordinal(int(ln.earned_on[i])),
                    "invoice_period": k,
                    "invoice_period_start": start,
                    "invoice_period_end": last,
                    "due_on": date.fromordinal(int(ln.due_on[i])),
                    "due": bool(ln.due[i]),
                    "quantity": ln.quantity(i),
                    "unit_price": _minor_fraction_to_decimal(ln.unit_price(i), self.currency),
                    "amount_before_caps": self._money(ln.amount_before_caps[i]).amount,
                    "amount": self._money(ln.amount[i]).amount,
                    "cut_by": ",".join(caps[c].id for c, _ in cuts) or None,
                    "currency": self.currency,
                }
            )
        return out

    def lines_table(self, rows: npt.NDArray[Any] | slice | None = None) -> Any:
        """The lines (or some of them) as a ``pyarrow.Table`` with ids, labels and dates.

        Money columns are minor units (``amount_minor``, ...); the quantity
        and the unit price are exact fractions (``*_num`` / ``*_den``).
        """
        import pyarrow as pa

        ln = self.lines if rows is None else self.lines.take(rows)  # type: ignore[arg-type]
        c = self.contract
        ids = self.register.ids
        person = ln.participant
        if len(ids):
            pid = _mask_strings(ids.take(pa.array(np.maximum(person, 0))), person < 0)
        else:
            pid = pa.nulls(len(person), pa.string())
        labels = pa.array([x.label for x in c.cohorts], pa.string())
        outcome_ids = pa.array([o.id for o in c.outcomes] + [None], pa.string())
        rule_ids = pa.array([r.id for r in c.payment_rules], pa.string())
        clauses = pa.array([r.clause for r in c.payment_rules], pa.string())
        bounds = self.observation.invoice_bounds
        cut = ln.amount_before_caps - ln.amount
        return pa.table(
            {
                "participant_id": pid,
                "scenario": pa.array(ln.scenario.astype(np.int32)),
                "cohort": labels.take(pa.array(ln.cohort)),
                "outcome": outcome_ids.take(
                    pa.array(np.where(ln.outcome < 0, len(c.outcomes), ln.outcome))
                ),
                "rule": rule_ids.take(pa.array(ln.rule)),
                "clause": clauses.take(pa.array(ln.rule)),
                "period_start": _dates32(ln.period_start),
                "period_end": _dates32(ln.period_end),
                "earned_on": _dates32(ln.earned_on),
                "invoice_period": pa.array(ln.invoice_period.astype(np.int32)),
                "invoice_period_start": _dates32(bounds[ln.invoice_period]),
                "invoice_period_end": _dates32(bounds[ln.invoice_period + 1] - 1),
                "due_on": _dates32(ln.due_on),
                "due": pa.array(ln.due),
                "quantity_num": pa.array(ln.quantity_num),
                "quantity_den": pa.array(ln.quantity_den),
                "price_num": pa.array(ln.price_num),
                "price_den": pa.array(ln.price_den),
                "amount_before_caps_minor": pa.array(ln.amount_before_caps),
                "cut_minor": pa.array(cut),
                "amount_minor": pa.array(ln.amount),
            }
        )

    def write_lines(
        self, path: str | Path, *, format: str | None = None, chunk: int = 1_000_000
    ) -> None:
        """Stream the lines to Parquet or CSV in chunks (``format`` from the suffix by default)."""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        target = Path(path)
        fmt = format or target.suffix.lstrip(".").lower()
        if fmt not in ("parquet", "csv"):
            raise SettlementError(
                f"lines are written as parquet or csv, not {fmt!r}", field="format"
            )
        n = len(self.lines)
        first = self.lines_table(slice(0, min(chunk, n)))
        if fmt == "parquet":
            with pq.ParquetWriter(target, first.schema) as writer:
                writer.write_table(first)
                for lo in range(chunk, n, chunk):
                    writer.write_table(self.lines_table(slice(lo, min(lo + chunk, n))))
        else:
            with pacsv.CSVWriter(target, first.schema) as writer:
                writer.write_table(first)
                for lo in range(chunk, n, chunk):
                    writer.write_table(self.lines_table(slice(lo, min(lo + chunk, n))))

    def fingerprint(self) -> str:
        """sha256 of the contract id, the dates, the participants, every line and every cut.

        The same inputs give the same fingerprint in every process and on every machine.
        """
        h = hashlib.sha256()
        h.update(f"{self.contract.id}|{self.as_of}|{self.data_until}|{self.currency}".encode())
        for pid in self.register.ids.to_pylist():
            b = pid.encode()
            h.update(len(b).to_bytes(8, "little") + b)
        for obj in (self.lines, self.cuts):
            for f in attrs.fields(type(obj)):
                value = np.ascontiguousarray(getattr(obj, f.name))
                h.update(f.name.encode())
                h.update(value.astype(value.dtype.newbyteorder("<")).tobytes())
        return h.hexdigest()

    def to_frame(self) -> Any:
        """The lines as a pandas DataFrame (needs the ``pandas`` extra).

        The columns of :meth:`to_records`, built column by column: ids and
        labels as text, dates as dates, ``quantity`` as an exact Fraction (and
        ``quantity_float`` for plots), money as exact Decimals.
        """
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("to_frame() needs pandas: pip install 'impactbond[pandas]'") from err
        from decimal import Decimal

        from impactbond.money import minor_unit_digits

        table = self.lines_table()
        digits = -minor_unit_digits(self.currency)
        ln = self.lines

        def money(values: I64) -> list[Decimal]:
            return [Decimal(int(v)).scaleb(digits) for v in values.tolist()]

        cut_by = (
            [
                ",".join(self.contract.caps[c].id for c, _ in self.cuts.of_line(i)) or None
                for i in range(len(ln))
            ]
            if len(self.cuts)
            else [None] * len(ln)
        )
        frame = pd.DataFrame(
            {
                "participant_id": table.column("participant_id").to_pylist(),
                "scenario": ln.scenario,
                "cohort": table.column("cohort").to_pylist(),
                "outcome": table.column("outcome").to_pylist(),
                "rule": table.column("rule").to_pylist(),
                "clause": table.column("clause").to_pylist(),
                "period_start": table.column("period_start").to_pylist(),
                "period_end": table.column("period_end").to_pylist(),
                "earned_on": table.column("earned_on").to_pylist(),
                "invoice_period": ln.invoice_period,
                "invoice_period_start": table.column("invoice_period_start").to_pylist(),
                "invoice_period_end": table.column("invoice_period_end").to_pylist(),
                "due_on": table.column("due_on").to_pylist(),
                "due": ln.due,
                "quantity": [
                    Fraction(int(n), int(d))
                    for n, d in zip(ln.quantity_num.tolist(), ln.quantity_den.tolist(), strict=True)
                ],
                "quantity_float": ln.quantity_num / ln.quantity_den,
                "unit_price": [
                    _minor_fraction_to_decimal(Fraction(int(n), int(d)), self.currency)
                    for n, d in zip(ln.price_num.tolist(), ln.price_den.tolist(), strict=True)
                ],
                "amount_before_caps": money(ln.amount_before_caps),
                "amount": money(ln.amount),
                "cut_by": cut_by,
                "currency": self.currency,
            }
        )
        return frame

    # -- words ----------------------------------------------------------------------
    def explain(self, participant_id: str) -> str:
        """Plain-language account of one participant's money, citing clauses."""
        from impactbond.explain import explain_participant

        return explain_participant(self, participant_id)

    def statement(self) -> str:
        """The settlement statement as text."""
        from impactbond.explain import statement

        return statement(self)

    def __repr__(self) -> str:
        return (
            f"<Settlement {self.contract.id} as of {self.as_of} (data until {self.data_until}): "
            f"{self.n_settled} settled, {len(self.exclusions)} excluded, {len(self.lines)} lines, "
            f"due {self.total}>"
        )

    def _repr_html_(self) -> str:
        from impactbond.explain import settlement_html

        return settlement_html(self)


def _mask_strings(values: Any, mask: npt.NDArray[np.bool_]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), values)


def _minor_fraction_to_decimal(minor: Fraction, currency: str) -> Any:
    from decimal import Decimal

    from impactbond.money import minor_unit_digits

    digits = minor_unit_digits(currency)
    value = Decimal(minor.numerator) / Decimal(minor.denominator)
    return value.scaleb(-digits)
