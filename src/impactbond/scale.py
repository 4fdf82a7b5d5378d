"""Scale: settlements over partitions on dask.distributed, and the core kernels on row chunks.

:func:`settle_partitioned` settles a register given as consecutive partitions
of the participants: the stages that read one participant at a time
(admission, measurement, pricing, rounding per line or per participant,
participant caps) run where each partition lies; what a group decides (cohort
size limits, target bonuses, effect tiers, savings shares, cohort, contract
and mix caps) is decided once, on totals reduced from the partitions.  The
result is exactly the single-process settlement: the same lines, to the øre,
in the same order.  With a ``dask.distributed`` client (the optional
``scale`` extra) each partition is a task per stage on the cluster's workers,
and each partition's lines are written from its worker as one file of a
partitioned Parquet dataset.

The core works row by row, so a memory-mapped ``numpy.memmap`` panel needs
nothing special, and :func:`map_rows` runs a kernel on every row chunk of a
:mod:`dask.array`.

>>> import numpy as np
>>> from impactbond.core.accrual import employed_weeks
>>> panel = np.array([[1, 1, 5, 1], [5, 5, 1, 1], [1, 5, 5, 5]], dtype=np.int8)
>>> table = np.zeros(256, dtype=np.int64); table[1] = 1
>>> weeks = map_rows(employed_weeks, panel, chunk_rows=2,
...                  rows={"window_start": [0, 1, 0], "window_end": [4, 4, 2]},
...                  weight_table=table)
>>> weeks.compute().tolist()
[3, 2, 1]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from impactbond.domain.contract import Contract
from impactbond.domain.outcome import Retention
from impactbond.domain.payment import references
from impactbond.errors import SettlementError
from impactbond.money import Money, RoundingStage, exact_bincount, exact_sum
from impactbond.register import Register
from impactbond.settle.admit import admission, cohort_limits
from impactbond.settle.caps import CapPart, apply_caps
from impactbond.settle.clock import Observation, observe
from impactbond.settle.group import GROUP_RULES, GroupContext
from impactbond.settle.lines import LineBlock, assemble, concat
from impactbond.settle.measure import Items, Measured
from impactbond.settle.pipeline import (
    ParticipantStages,
    _check_bounds,
    _check_events,
    group_stage,
    participant_stages,
)
from impactbond.settle.result import Achievement, RetentionFigures
from impactbond.settle.rounding import round_lines

__all__ = ["PartitionedSettlement", "concat_part_lines", "map_rows", "settle_partitioned"]

I64 = npt.NDArray[np.int64]
Source = Register | str | Path


# ---------------------------------------------------------------------------- executors


class _Local:
    """Parts held in this process."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def run(self, fn: Callable[..., tuple[Any, Any]], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        out = []
        for k, a in enumerate(args):
            self.items[k], result = fn(self.items[k], *a)
            out.append(result)
        return out

    def add(self, item: Any) -> None:
        self.items.append(item)


class _Dask:
    """Parts held on the workers of a dask.distributed client, one task per part and stage."""

    def __init__(self, client: Any, items: list[Any]) -> None:
        self.client = client
        # Scattered one by one inside a list: a dict would be read as many named values.
        self.items = [client.scatter([i])[0] for i in items]

    def run(self, fn: Callable[..., tuple[Any, Any]], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        done = [
            self.client.submit(fn, item, *a, pure=False)
            for item, a in zip(self.items, args, strict=True)
        ]
        self.items = [self.client.submit(operator.getitem, d, 0, pure=False) for d in done]
        results = [self.client.submit(operator.getitem, d, 1, pure=False) for d in done]
        return list(self.client.gather(results))

    def add(self, item: Any) -> None:
        self.items.append(self.client.scatter([item])[0])


# ----------------------------------------------------------------------- per-part stages


def _read(source: Source, contract: Contract, as_of: date, data_until: date | None) -> Register:
    """A partition's register; from Parquet, only the spells the settlement can see.

    A spell that ended a week or more before anything is measured (the term's
    or the referral period's start, or the earliest referral date), or that
    starts after the data cut-off, changes no line: it is not read.  Every
    spell read is checked as any register is.
    """
    if isinstance(source, Register):
        return source
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    folder = Path(source)
    people = ds.dataset(folder / "participants.parquet").to_table()
    earliest = min(contract.term_start, contract.referral_start)
    if "referred" in people.column_names and people.num_rows:
        first = pc.min(people.column("referred")).as_py()
        if first is not None:
            earliest = min(earliest, first)
    last = data_until or date.fromordinal(as_of.toordinal() - 1)
    spell_end, spell_start = ds.field("end"), ds.field("start")
    keep = (
        spell_end.is_null() | (spell_end > pa.scalar(date.fromordinal(earliest.toordinal() - 7)))
    ) & (spell_start <= pa.scalar(last))
    spells = ds.dataset(folder / "spells.parquet").to_table(filter=keep)
    events_path = folder / "events.parquet"
    events = ds.dataset(events_path).to_table() if events_path.exists() else None
    names = {"participants": people, "spells": spells} | ({"events": events} if events else {})
    return Register.from_tables(
        people, spells, events, source={name: str(folder / f"{name}.parquet") for name in names}
    )


def _begin(
    source: Source, contract: Contract, as_of: date, data_until: date | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    register = _read(source, contract, as_of, data_until)
    _check_events(contract, register)
    obs = observe(contract, register, as_of=as_of, data_until=data_until)
    adm = admission(contract, register, obs)
    ids = register.ids
    summary = {
        "n": len(register),
        "first": ids[0].as_py() if len(ids) else None,
        "last": ids[len(ids) - 1].as_py() if len(ids) else None,
        "candidates": adm.limit_candidates(contract),
    }
    return {"register": register, "obs": obs, "adm": adm}, summary


def _participants(
    state: dict[str, Any],
    contract: Contract,
    full: I64,
    outcomes: tuple[str, ...],
    price: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    stage = participant_stages(
        contract, state["register"], state["obs"], state["adm"], full, price=price
    )
    summary = {
        "cohort": stage.roster.cohort,
        "scenario": stage.register.scenario.astype(np.int64),
        "excluded": len(stage.roster.exclusions),
        "in": len(state["register"]),
        "measured": {
            oid: (stage.measured[oid].den, stage.measured[oid].items, stage.measured[oid].totals)
            for oid in outcomes
        },
        # Per (scenario value, cohort): the achievement's numerators and the retention counts.
        "groups": _group_sums(contract, stage),
    }
    # Only the lines stay on the worker: the register and the measurements are done with.
    return {"blocks": stage.blocks}, summary


def _group_sums(contract: Contract, stage: ParticipantStages) -> dict[str, Any]:
    scenario = stage.register.scenario.astype(np.int64)
    values = np.unique(scenario)
    n_cohorts = len(contract.cohorts)
    group = np.searchsorted(values, scenario) * n_cohorts + stage.roster.cohort
    n_groups = len(values) * n_cohorts
    sums: dict[str, Any] = {"scenarios": values, "quantity": {}, "retention": {}}
    for oid, m in stage.measured.items():
        sums["quantity"][oid] = (m.den, exact_bincount(group, m.totals, n_groups))
        if m.eligible is not None:
            assert m.censored is not None and m.retained is not None
            assert m.same_employer is not None
            sums["retention"][oid] = np.stack(
                [
                    np.bincount(group, weights=flag, minlength=n_groups).astype(np.int64)
                    for flag in (m.eligible, m.censored, m.retained, m.same_employer)
                ]
            )
    return sums


def _round(
    state: dict[str, Any], contract: Contract, scenarios: I64, group_lines: LineBlock | None
) -> tuple[dict[str, Any], tuple[int, int]]:
    lines = assemble(state["blocks"], []) if group_lines is None else group_lines
    _check_bounds(contract, lines)
    before = round_lines(
        lines,
        contract.rounding,
        contract.rounding_stage,
        np.zeros(len(lines), dtype=np.int64),
        len(contract.payment_rules),
    )
    state = {"lines": lines, "before": before}  # the blocks are in the lines now
    state["cap"] = CapPart(lines, before.copy(), np.searchsorted(scenarios, lines.scenario))
    return state, (len(lines), exact_sum(before))


def _on_cap(
    state: dict[str, Any], fn: Callable[..., Any], *args: Any
) -> tuple[dict[str, Any], Any]:
    return state, fn(state["cap"], *args)


def _finish(
    state: dict[str, Any], contract: Contract, obs: Observation, path: str | None, keep: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    lines: LineBlock = state["lines"]
    cap: CapPart = state["cap"]
    period = obs.invoice_period_of(lines.earned_on)
    due_on = obs.due_on(period)
    due = obs.is_due(due_on)
    paid = cap.paid
    cut_line, cut_cap, cut_amount = cap.cuts()
    by_rule = np.zeros(len(contract.payment_rules), dtype=np.int64)
    by_rule_due = np.zeros(len(contract.payment_rules), dtype=np.int64)
    by_cohort_due = np.zeros(len(contract.cohorts), dtype=np.int64)
    np.add.at(by_rule, lines.rule, paid)
    np.add.at(by_rule_due, lines.rule[due], paid[due])
    np.add.at(by_cohort_due, lines.cohort[due], paid[due])
    summary: dict[str, Any] = {
        "lines": len(lines),
        "due": exact_sum(paid[due]),
        "accrued": exact_sum(paid),
        "capped": exact_sum(cut_amount),
        "by_rule": by_rule,
        "by_rule_due": by_rule_due,
        "by_cohort_due": by_cohort_due,
    }
    columns = {
        "lines": lines,
        "invoice_period": period,
        "due_on": due_on,
        "due": due,
        "before": state["before"],
        "paid": paid,
        "cuts": (cut_line, cut_cap, cut_amount),
    }
    if path is not None:
        _write_part(path, contract, columns)
    if keep:
        summary["columns"] = columns
    return {}, summary


def _write_part(path: str, contract: Contract, columns: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines: LineBlock = columns["lines"]
    epoch = date(1970, 1, 1).toordinal()

    def dates(days: npt.NDArray[Any]) -> Any:
        return pa.array((np.asarray(days) - epoch).astype(np.int32), pa.int32()).cast(pa.date32())

    table = pa.table(
        {
            "participant": pa.array(lines.participant),
            "scenario": pa.array(lines.scenario),
            "cohort": pa.array([c.label for c in contract.cohorts]).take(pa.array(lines.cohort)),
            "rule": pa.array([r.id for r in contract.payment_rules]).take(pa.array(lines.rule)),
            "period_start": dates(lines.period_start),
            "period_end": dates(lines.period_end),
            "earned_on": dates(lines.earned_on),
            "invoice_period": pa.array(columns["invoice_period"].astype(np.int32)),
            "due_on": dates(columns["due_on"]),
            "due": pa.array(columns["due"]),
            "quantity_num": pa.array(lines.quantity_num),
            "quantity_den": pa.array(lines.quantity_den),
            "price_num": pa.array(lines.price_num),
            "price_den": pa.array(lines.price_den),
            "amount_before_caps_minor": pa.array(columns["before"]),
            "amount_minor": pa.array(columns["paid"]),
        }
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


# ---------------------------------------------------------------------------------- result


@attrs.frozen(eq=False)
class PartitionedSettlement:
    """The totals of a partitioned settlement, and where its lines are.

    ``parts`` holds, with ``keep_lines=True``, each part's line columns (the
    participant parts in id order, then the group lines); otherwise the lines
    are only in ``lines_dir`` (one Parquet file per part).  ``participant``
    in a part's lines counts from the part's first settled participant.
    """

    contract: Contract
    as_of: date
    data_until: date
    participants_in: int
    n_settled: int
    n_excluded: int
    n_lines: int
    due_minor: int
    accrued_minor: int
    capped_minor: int
    by_rule_minor: I64
    by_rule_due_minor: I64
    by_cohort_due_minor: I64
    figures: tuple[Any, ...]
    achievements: tuple[Achievement, ...]
    retention: tuple[RetentionFigures, ...]
    parts: tuple[dict[str, Any], ...]
    part_offsets: tuple[int, ...]
    """The settled row of each part's first participant (and the total at the end)."""
    lines_dir: Path | None

    def _money(self, minor: int | np.integer[Any]) -> Money:
        return Money.from_minor_units(int(minor), self.contract.currency)

    @property
    def total(self) -> Money:
        """Money due at ``as_of``."""
        return self._money(self.due_minor)

    @property
    def accrued_total(self) -> Money:
        """Money earned by the data cut-off."""
        return self._money(self.accrued_minor)

    @property
    def capped_total(self) -> Money:
        """Money that caps cut away."""
        return self._money(self.capped_minor)

    def by_rule(self, *, due_only: bool = True) -> dict[str, Money]:
        """Money per payment rule id."""
        values = self.by_rule_due_minor if due_only else self.by_rule_minor
        return {
            r.id: self._money(v) for r, v in zip(self.contract.payment_rules, values, strict=True)
        }

    def by_cohort(self) -> dict[str, Money]:
        """Money due per cohort."""
        return {
            c.label: self._money(v)
            for c, v in zip(self.contract.cohorts, self.by_cohort_due_minor, strict=True)
        }


# ---------------------------------------------------------------------------------- driver


def settle_partitioned(
    contract: Contract,
    parts: Sequence[Source],
    *,
    as_of: date,
    data_until: date | None = None,
    client: Any = None,
    lines_dir: str | Path | None = None,
    keep_lines: bool = False,
    comparison: Any = None,
    role: str = "treatment",
) -> PartitionedSettlement:
    """Settle ``contract`` on partitions of the participants.

    Parameters
    ----------
    parts:
        Registers, or folders holding ``participants.parquet``, ``spells.parquet``
        and optionally ``events.parquet`` (the canonical tables), one per
        partition, in increasing participant id order (each part's ids all
        before the next part's).
    client:
        A ``dask.distributed.Client``: one task per part and stage on its
        workers (the ``scale`` extra).  Without one, the parts are settled in
        this process, one after the other.
    lines_dir:
        Write each part's lines to ``part-00000.parquet``, ... in this folder
        (the group lines last), from the workers.
    keep_lines:
        Bring every part's line columns back (for small registers and tests).
    comparison, role:
        As for :func:`impactbond.settle`: ``role="comparison"`` measures a
        comparison group drawn from a national register under the contract's
        outcomes, pays nothing and keeps its figures per effect rule and
        cohort, which are then the ``comparison`` of the treatment's settlement.

    Raises
    ------
    SettlementError
        Parts out of id order or overlapping, or invoice-stage rounding (its
        running sums cross partitions; settle such a contract in one process).
    """
    if contract.rounding_stage is RoundingStage.INVOICE:
        raise SettlementError(
            "invoice-stage rounding runs over the lines of every partition in earning order; "
            "settle this contract with impactbond.settle in one process",
            field="rounding_stage",
            rule="a partitioned settlement rounds per line or per participant",
        )
    if not parts:
        raise SettlementError("a partitioned settlement has at least one part", field="parts")
    if role not in ("treatment", "comparison"):
        raise SettlementError(
            f"role {role!r} is not 'treatment' or 'comparison'",
            field="role",
            rule="a settlement pays a treatment group or measures a comparison group",
        )
    ex: _Local | _Dask = _Dask(client, list(parts)) if client is not None else _Local(list(parts))
    n = len(parts)
    begun = ex.run(_begin, [(contract, as_of, data_until)] * n)
    previous = None
    for k, b in enumerate(begun):
        if b["first"] is None:
            continue
        if previous is not None and not previous < b["first"]:
            raise SettlementError(
                f"part {k} starts at an id that is not after the previous part's last id",
                field="parts",
                rule="partitions are consecutive runs of participant ids, in order",
            )
        previous = b["last"]
    full = cohort_limits(contract, [b["candidates"] for b in begun])
    group_outcomes = tuple(
        dict.fromkeys(
            oid
            for rule in contract.payment_rules
            if type(rule) in GROUP_RULES
            for oid in references(rule).outcomes
        )
    )
    price = role == "treatment"
    summaries = ex.run(
        _participants, [(contract, full[k], group_outcomes, price) for k in range(n)]
    )
    # The group rules on the reduced and gathered columns of all parts.
    offsets = np.cumsum([0] + [len(s["cohort"]) for s in summaries])
    cohort = np.concatenate([s["cohort"] for s in summaries]).astype(np.int64)
    scenario = np.concatenate([s["scenario"] for s in summaries]).astype(np.int64)
    scenarios = np.unique(scenario) if len(scenario) else np.zeros(1, dtype=np.int64)
    measured: dict[str, Measured] = {}
    for oid in group_outcomes:
        den = summaries[0]["measured"][oid][0]
        items = [s["measured"][oid][1] for s in summaries]
        measured[oid] = Measured(
            contract.outcome(oid),
            den,
            Items(
                np.concatenate([i.row + offsets[k] for k, i in enumerate(items)]),
                np.concatenate([i.period_start for i in items]),
                np.concatenate([i.period_end for i in items]),
                np.concatenate([i.earned_on for i in items]),
                np.concatenate([i.num for i in items]),
            ),
            np.concatenate([s["measured"][oid][2] for s in summaries]),
        )
    empty = Register.from_objects([], [])
    obs = observe(contract, empty, as_of=as_of, data_until=data_until)
    gctx = GroupContext(
        contract=contract,
        obs=obs,
        cohort=cohort,
        scenario=scenario,
        scenarios=scenarios,
        scenario_index=np.searchsorted(scenarios, scenario),
        measured=measured,
        comparison=comparison,
        role=role,
    )
    group_blocks, figures = group_stage(contract, gctx)
    people = gctx.people().reshape(len(scenarios), len(contract.cohorts))
    achievements, retention = _figures(
        contract, scenarios, [s["groups"] for s in summaries], people
    )
    group_lines = assemble([], group_blocks)
    ex.add({})
    rounded = ex.run(
        _round, [(contract, scenarios, None)] * n + [(contract, scenarios, group_lines)]
    )
    day_lo, day_hi = gctx.day_span()

    def run(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
        return ex.run(_on_cap, [(fn, *a) for a in args])

    apply_caps(
        contract, run, n + 1, n_scenarios=len(scenarios), day_lo=day_lo, n_days=day_hi - day_lo
    )
    folder = None if lines_dir is None else Path(lines_dir)
    paths = [
        None if folder is None else str(folder / f"part-{k:05d}.parquet") for k in range(n + 1)
    ]
    finished = ex.run(_finish, [(contract, obs, paths[k], keep_lines) for k in range(n + 1)])
    del rounded
    return PartitionedSettlement(
        contract=contract,
        as_of=obs.as_of,
        data_until=obs.data_until,
        participants_in=sum(s["in"] for s in summaries),
        n_settled=int(offsets[-1]),
        n_excluded=sum(s["excluded"] for s in summaries),
        n_lines=sum(f["lines"] for f in finished),
        due_minor=sum(f["due"] for f in finished),
        accrued_minor=sum(f["accrued"] for f in finished),
        capped_minor=sum(f["capped"] for f in finished),
        by_rule_minor=np.sum([f["by_rule"] for f in finished], axis=0),
        by_rule_due_minor=np.sum([f["by_rule_due"] for f in finished], axis=0),
        by_cohort_due_minor=np.sum([f["by_cohort_due"] for f in finished], axis=0),
        figures=tuple(figures),
        achievements=achievements,
        retention=retention,
        parts=tuple(f.get("columns", {}) for f in finished),
        part_offsets=tuple(int(x) for x in offsets),
        lines_dir=folder,
    )


def _figures(
    contract: Contract, scenarios: I64, parts: list[dict[str, Any]], people: I64
) -> tuple[tuple[Achievement, ...], tuple[RetentionFigures, ...]]:
    """Achievement against targets and retention figures, from each part's group sums."""
    n_cohorts = len(contract.cohorts)
    shape = (len(scenarios), n_cohorts)
    quantity: dict[str, tuple[int, I64]] = {}
    kept: dict[str, I64] = {}
    for part in parts:
        at = np.searchsorted(scenarios, part["scenarios"])
        for oid, (den, sums) in part["quantity"].items():
            q = quantity.setdefault(oid, (den, np.zeros(shape, dtype=np.int64)))[1]
            q[at] += sums.reshape(len(at), n_cohorts)
        for oid, counts in part["retention"].items():
            r = kept.setdefault(oid, np.zeros((4, *shape), dtype=np.int64))
            r[:, at] += counts.reshape(4, len(at), n_cohorts)
    achievements = []
    for si, s in enumerate(scenarios.tolist()):
        for ci, terms in enumerate(contract.cohorts):
            if terms.target_outcome is None or terms.target_outcome not in quantity:
                continue
            den, q = quantity[terms.target_outcome]
            target = terms.target
            if terms.target_share is not None:
                target = terms.target_share * int(people[si, ci])
            achievements.append(
                Achievement(
                    terms.label,
                    terms.target_outcome,
                    Fraction(int(q[si, ci]), den),
                    target,
                    s,
                    terms.target_share,
                )
            )
    retention = []
    for o in contract.outcomes:
        if not isinstance(o, Retention) or o.id not in kept:
            continue
        horizon = (
            f"{o.horizon_months} months"
            if o.horizon_months is not None
            else f"{o.horizon_weeks} weeks"
        )
        r = kept[o.id]
        for si, s in enumerate(scenarios.tolist()):
            for ci, terms in enumerate(contract.cohorts):
                starters, censored, retained, same = (int(r[k, si, ci]) for k in range(4))
                retention.append(
                    RetentionFigures(
                        terms.label, o.id, horizon, starters, censored, retained, same, s
                    )
                )
    return tuple(achievements), tuple(retention)


def concat_part_lines(result: PartitionedSettlement) -> LineBlock:
    """All parts' lines as one block, participant rows counted over all parts (for checks)."""
    blocks = []
    for k, part in enumerate(result.parts[:-1]):
        lines: LineBlock = part["lines"]
        blocks.append(attrs.evolve(lines, participant=lines.participant + result.part_offsets[k]))
    blocks.append(result.parts[-1]["lines"])
    return concat(blocks)


def map_rows(
    kernel: Callable[..., npt.NDArray[Any]],
    panel: Any,
    *,
    rows: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    dtype: Any = np.int64,
    **constants: Any,
) -> Any:
    """Run a row-wise core kernel on every row chunk of ``panel`` (lazily, with dask).

    Parameters
    ----------
    kernel:
        A core function whose first argument is the panel and which returns
        one value per row, e.g. :func:`impactbond.core.accrual.employed_weeks`
        or :func:`impactbond.core.retention.job_start`.
    panel:
        A 2-D array (numpy, memmap or dask) of int8 status codes, rows =
        participants.  Columns are never split: a row is always whole.
    rows:
        Per-row arguments of the kernel by name (``window_start``, ...), each
        of length ``panel.shape[0]``; they are chunked like the panel's rows.
    chunk_rows:
        Rows per chunk when ``panel`` is not already a dask array (default: a
        chunk of about 64 MiB).
    dtype:
        The kernel's result dtype.
    **constants:
        Arguments passed unchanged to every call (tables, horizons).

    Returns
    -------
    dask.array.Array
        One value per row; ``.compute()`` gives the numpy result, equal to
        calling the kernel on the whole panel.
    """
    try:
        import importlib

        # dask.array is only partly typed: treat it as Any here.
        da: Any = importlib.import_module("dask.array")
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("map_rows needs dask: pip install 'impactbond[scale]'") from err
    if isinstance(panel, da.Array):
        arr = panel.rechunk({1: -1})
    else:
        n_cols = np.shape(panel)[1]
        step = chunk_rows or max(1, (64 << 20) // max(1, n_cols))
        arr = da.from_array(panel, chunks=(step, n_cols))
    names = list(rows or {})
    per_row = [
        da.asarray(
            np.asarray(rows[name]) if not isinstance(rows[name], da.Array) else rows[name]
        ).rechunk((arr.chunks[0],))[:, None]
        for name in names
        if rows is not None
    ]

    def block(chunk: npt.NDArray[Any], *columns: npt.NDArray[Any]) -> npt.NDArray[Any]:
        named = {name: column[:, 0] for name, column in zip(names, columns, strict=True)}
        return kernel(np.asarray(chunk), **named, **constants)

    return da.map_blocks(block, arr, *per_row, drop_axis=1, dtype=dtype)
