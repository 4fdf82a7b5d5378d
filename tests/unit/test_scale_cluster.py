"""A partitioned settlement on a real dask.distributed LocalCluster equals the single one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

import impactbond as ib
from impactbond.errors import SettlementError
from impactbond.scale import settle_partitioned


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _parquet_parts(register: ib.Register, folder: Path, n: int) -> list[Path]:
    out = []
    for k, part in enumerate(register.partitions(n)):
        d = folder / f"part{k}"
        d.mkdir()
        for name, table in part.to_tables().items():
            pq.write_table(table, d / f"{name}.parquet")
        out.append(d)
    return out


def test_two_workers_give_the_single_process_totals_and_lines(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    contract, people, trajectories = ib.examples.nyborg()
    register = ib.Register.from_objects(people, trajectories)
    as_of = date(2026, 7, 1)
    whole = ib.settle(contract, register, as_of=as_of)
    parts = _parquet_parts(register, tmp_path, 3)
    out = tmp_path / "lines"
    parted = settle_partitioned(contract, parts, as_of=as_of, client=client, lines_dir=out)
    assert parted.total == whole.total
    assert parted.accrued_total == whole.accrued_total
    assert parted.capped_total == whole.capped_total
    assert parted.by_rule() == whole.by_rule() and parted.by_cohort() == whole.by_cohort()
    # The lines were written by the workers as a partitioned dataset: three parts, then the
    # group lines (the target bonuses).
    files = sorted(out.glob("part-*.parquet"))
    assert len(files) == 4
    table = pq.ParquetDataset(out).read()
    assert table.num_rows == len(whole.lines)
    assert sum(table.column("amount_minor").to_pylist()) == whole.accrued_total.minor_units
    bonuses = pq.read_table(files[-1])
    assert set(bonuses.column("rule").to_pylist()) == {
        "bonus_sick_listed_target",
        "bonus_unemployed_target",
    }


def test_parts_out_of_order_and_invoice_rounding_are_refused() -> None:
    contract, people, trajectories = ib.examples.nyborg()
    register = ib.Register.from_objects(people, trajectories)
    a, b = register.partitions(2)
    with pytest.raises(SettlementError, match="not after the previous part"):
        settle_partitioned(contract, [b, a], as_of=date(2026, 7, 1))
    invoice = attrs.evolve(contract, rounding_stage=ib.RoundingStage.INVOICE)
    with pytest.raises(SettlementError, match="invoice-stage rounding"):
        settle_partitioned(invoice, [a, b], as_of=date(2026, 7, 1))
