"""End to end: the Nyborg employment-month payment from CSV files, against pandas, polars, DuckDB.

    .venv/bin/python benchmarks/bench_e2e.py             # 1,000,000 participants
    .venv/bin/python benchmarks/bench_e2e.py --quick     # 100,000
    .venv/bin/python benchmarks/bench_e2e.py --n 2000 --tools impactbond,pandas

The job (issue 9), the same in every tool, from the same two CSV files
(:mod:`_register_data`, generated once into ``benchmarks/.cache/e2e/``):

- a participant is settled when enrolled inside the referral period and, on
  the enrolment date, on a benefit of their cohort (sick-listed: sickness
  benefit or clarification course; unemployed: unemployment or cash benefit);
- their window is 24 months from enrolment (a day the month lacks: its last
  day), measured up to the end of the term;
- a calendar month counts pro rata: the days employed in it (inside the
  window) over the days of the month; wage subsidy and flexjob at 1/2; a
  job's weekly hours against 37 (no hours registered: full time);
- at most 24 units per participant, cut in earning order;
- DKK 9,500 a unit for sick-listed, DKK 7,500 for unemployed participants,
  each line rounded to whole øre half up;
- at most DKK 200,000 per participant (the per-citizen cap).

Every tool runs in its own subprocess (so its peak memory, the resident set
high-water mark, is its own) and reads the files itself; its time is read
plus compute.  Each result, the øre paid per participant, is checked equal
to impactbond's for every participant.  The *floor* is one read of both
files with pyarrow and an ``a.sum()`` over the spells' day column.
``impactbond_full`` settles the whole Nyborg contract (every outcome, bonus
and cap) on the same files and writes its lines as Parquet.

The last line is machine-readable::

    n=<n> ours_seconds=<s> floor_seconds=<s> ours_over_floor=<x> fastest_peer=<name>
    ours_over_fastest_peer=<x> full_contract_seconds=<s> peak_rss_mb=<m> stages=<read:s,...>

Targets (issue 9): ``ours_over_fastest_peer <= 0.5``; the full contract at
1M in at most 10 s with at most 1.5 GB.  Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _register_data  # noqa: E402

AS_OF = date(2027, 7, 1)  # the day after the term: every window closed, the data complete
EPOCH = date(1970, 1, 1)
REFERRAL_START = (date(2023, 10, 1) - EPOCH).days
REFERRAL_END = (date(2025, 3, 31) - EPOCH).days
# Nothing is measured from the day after the term's last day (2027-06-30).
STOP = (date(2027, 7, 1) - EPOCH).days
FAR = (date(9999, 12, 31) - EPOCH).days
ELIGIBLE = {
    "sick_listed": ("sickness_benefit", "clarification_course"),
    "unemployed": ("unemployment_benefit", "cash_benefit"),
}
# Status weights over 2 (employed 1, subsidised 1/2), hours in hundredths against 37.00.
WORK = {"employed": 2, "wage_subsidy": 1, "flexjob": 1}
NORM = 3700
LCM = 377_580  # lcm(28, 29, 30, 31): a day of any month is a whole number of 1/LCM months
DEN = 2 * NORM * LCM  # one full month of full-time ordinary employment
MAX_UNITS = 24 * DEN
PRICE = {"sick_listed": 950_000, "unemployed": 750_000}  # øre per unit
CAP = 20_000_000  # øre per participant
TOOLS = ("floor", "impactbond", "pandas", "polars", "duckdb", "impactbond_full")
PEERS = ("pandas", "polars", "duckdb")


def months_table() -> pa.Table:
    """Calendar months 2015-2035: absolute index (year * 12 + month - 1), first day, end, days."""
    idx = np.arange(2015 * 12, 2036 * 12, dtype=np.int64)
    since_1970 = (idx - 1970 * 12).astype("timedelta64[M]")
    first = (np.datetime64("1970-01", "M") + since_1970).astype("datetime64[D]").astype(np.int64)
    end = (np.datetime64("1970-01", "M") + since_1970 + 1).astype("datetime64[D]").astype(np.int64)
    return pa.table(
        {
            "month": pa.array(idx),
            "m0": pa.array(first),
            "m1": pa.array(end),
            "md": pa.array(end - first),
        }
    )


# ----------------------------------------------------------------------------- the tools


class Stages:
    """Wall and CPU seconds (all threads of the process) of each stage, in order."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def done(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[name], self.cpu[name] = wall - self._wall, cpu - self._cpu
        self._wall, self._cpu = wall, cpu


def run_floor(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    st = Stages()
    pacsv.read_csv(people)
    s = pacsv.read_csv(spells)
    st.done("read")
    total = 0
    for chunk in s.column("start").chunks:  # the day numbers, without a copy
        a = np.frombuffer(chunk.buffers()[1], np.int32, len(chunk), chunk.offset * 4)
        total += int(a.sum())
    st.done("sum")
    return None, st


def core_contract() -> Any:
    """The Nyborg contract reduced to the core job: employment months, its two prices, the
    per-citizen cap."""
    import attrs

    import impactbond as ib

    contract, _, _ = ib.examples.nyborg()
    return attrs.evolve(
        contract,
        outcomes=[o for o in contract.outcomes if o.id == "employment_months"],
        payment_rules=[
            r for r in contract.payment_rules if r.id.startswith("pay_employment_months")
        ],
        caps=[c for c in contract.caps if c.id == "cap_per_participant"],
    )


def _per_participant(settlement: Any) -> pa.Table:
    lines = settlement.lines
    own = lines.participant >= 0
    total = np.zeros(settlement.n_settled, dtype=np.int64)
    np.add.at(total, lines.participant[own], lines.amount[own])
    return pa.table({"participant_id": settlement.register.ids, "ore": pa.array(total)})


def run_impactbond(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    import impactbond as ib
    from impactbond.io.register_tables import read_register

    contract = core_contract()
    st = Stages()
    tables = read_register(spells, people)
    st.done("read")
    register = tables.to_register()
    st.done("register")
    settlement = ib.settle(contract, register, as_of=AS_OF)
    st.done("settle")
    result = _per_participant(settlement)
    st.done("result")
    return result, st


def run_impactbond_full(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    import impactbond as ib
    from impactbond.io.register_tables import read_register

    contract, _, _ = ib.examples.nyborg()
    st = Stages()
    tables = read_register(spells, people)
    st.done("read")
    register = tables.to_register()
    st.done("register")
    settlement = ib.settle(contract, register, as_of=AS_OF)
    st.done("settle")
    with tempfile.TemporaryDirectory() as tmp:
        settlement.write_lines(Path(tmp) / "lines.parquet")
    st.done("write")
    return None, st


def run_pandas(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    import pandas as pd

    st = Stages()
    p = pd.read_csv(people, engine="pyarrow", dtype_backend="pyarrow")
    s = pd.read_csv(spells, engine="pyarrow", dtype_backend="pyarrow")
    st.done("read")

    def days(col: pd.Series) -> np.ndarray:
        stamps = col.astype("datetime64[s]").to_numpy()
        return np.where(pd.isna(stamps), FAR, stamps.astype("datetime64[D]").astype(np.int64))

    enrolled = p["enrolled"].astype("datetime64[s]")
    p["enr"] = days(enrolled)
    p["wend"] = days(enrolled + pd.DateOffset(months=24))
    p = p[(p["enr"] >= REFERRAL_START) & (p["enr"] <= REFERRAL_END)].reset_index(drop=True)
    p["who"] = np.arange(len(p))  # an integer key for the group-bys
    s["st"] = days(s["start"])
    s["en"] = days(s["end"])
    s["hours"] = s["hours"].to_numpy(dtype="float64", na_value=np.nan)
    m = s.merge(p[["participant_id", "who", "cohort", "enr", "wend"]], on="participant_id")
    holds = (m["st"] <= m["enr"]) & (m["enr"] < m["en"])
    on_benefit = False
    for cohort, statuses in ELIGIBLE.items():
        on_benefit = on_benefit | ((m["cohort"] == cohort) & m["status"].isin(statuses))
    eligible = np.zeros(len(p), dtype=bool)
    eligible[m.loc[holds & on_benefit, "who"].to_numpy()] = True
    w = m[m["status"].isin(list(WORK)) & eligible[m["who"].to_numpy()]].copy()
    w["lo"] = np.maximum(w["st"], w["enr"])
    w["hi"] = np.minimum(np.minimum(w["en"], w["wend"]), STOP)
    w = w[w["hi"] > w["lo"]]
    hours = np.minimum((w["hours"] * 100).round().fillna(NORM), NORM).astype(np.int64)
    w["wnum"] = w["status"].map(WORK).astype(np.int64) * hours
    months = months_table().to_pandas()
    m0, m1, md = months["m0"].values, months["m1"].values, months["md"].values
    first = np.searchsorted(m0, w["lo"].values, side="right") - 1
    last = np.searchsorted(m0, w["hi"].values - 1, side="right") - 1
    count = last - first + 1
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    month = np.repeat(first, count) + k
    lo, hi = np.repeat(w["lo"].values, count), np.repeat(w["hi"].values, count)
    pieces = pd.DataFrame(
        {
            "who": np.repeat(w["who"].values, count),
            "month": month,
            "wd": (np.minimum(hi, m1[month]) - np.maximum(lo, m0[month]))
            * np.repeat(w["wnum"].values, count),
        }
    )
    g = pieces.groupby(["who", "month"], sort=True)["wd"].sum().reset_index()
    num = g["wd"].values * (LCM // md[g["month"].values])
    g["num"] = num
    cum = g.groupby("who")["num"].cumsum().values
    capped = np.clip(MAX_UNITS - (cum - num), 0, num)
    price = p["cohort"].map(PRICE).to_numpy(dtype=np.int64)[g["who"].values]
    g["ore"] = (2 * capped * price + DEN) // (2 * DEN)
    total = np.zeros(len(p), dtype=np.int64)
    paid = g.groupby("who")["ore"].sum().clip(upper=CAP)
    total[paid.index.to_numpy()] = paid.to_numpy()
    out = pd.DataFrame({"participant_id": p["participant_id"], "ore": total})[eligible]
    table = pa.table({"participant_id": out["participant_id"].values, "ore": out["ore"].values})
    st.done("compute")
    return table, st


def run_polars(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    import polars as pl

    st = Stages()
    p = pl.read_csv(people, try_parse_dates=True)
    s = pl.read_csv(spells, try_parse_dates=True)
    st.done("read")
    day = pl.Int64
    p = p.with_columns(
        enr=pl.col("enrolled").cast(day),
        wend=pl.col("enrolled").dt.offset_by("24mo").cast(day),
    ).filter(pl.col("enr").is_between(REFERRAL_START, REFERRAL_END))
    s = s.with_columns(st=pl.col("start").cast(day), en=pl.col("end").cast(day).fill_null(FAR))
    m = s.join(p.select("participant_id", "cohort", "enr", "wend"), on="participant_id")
    on_benefit = pl.lit(False)
    for cohort, statuses in ELIGIBLE.items():
        on_benefit = on_benefit | (
            (pl.col("cohort") == cohort) & pl.col("status").is_in(list(statuses))
        )
    eligible = (
        m.filter((pl.col("st") <= pl.col("enr")) & (pl.col("enr") < pl.col("en")) & on_benefit)
        .select("participant_id")
        .unique()
    )
    months = pl.from_arrow(months_table())
    assert isinstance(months, pl.DataFrame)
    month_of = pl.col("month").cast(day)
    w = (
        m.join(eligible, on="participant_id", how="semi")
        .filter(pl.col("status").is_in(list(WORK)))
        .with_columns(
            lo=pl.max_horizontal("st", "enr"),
            hi=pl.min_horizontal("en", "wend", pl.lit(STOP)),
            wnum=pl.col("status").replace_strict(WORK, return_dtype=pl.Int64)
            * pl.min_horizontal(
                (pl.col("hours") * 100).round().cast(pl.Int64).fill_null(NORM), pl.lit(NORM)
            ),
        )
        .filter(pl.col("hi") > pl.col("lo"))
        .with_columns(
            first=(pl.col("lo").cast(pl.Date).dt.year().cast(day) * 12)
            + pl.col("lo").cast(pl.Date).dt.month().cast(day)
            - 1,
            last=((pl.col("hi") - 1).cast(pl.Date).dt.year().cast(day) * 12)
            + (pl.col("hi") - 1).cast(pl.Date).dt.month().cast(day)
            - 1,
        )
        .with_columns(month=pl.int_ranges("first", pl.col("last") + 1, dtype=pl.Int64))
        .explode("month")
        .join(months.with_columns(month_of), on="month")
        .with_columns(
            wd=(pl.min_horizontal("hi", "m1") - pl.max_horizontal("lo", "m0")) * pl.col("wnum")
        )
        .group_by("participant_id", "month")
        .agg(pl.col("wd").sum(), pl.col("cohort").first(), pl.col("md").first())
        .sort("participant_id", "month")
        .with_columns(num=pl.col("wd") * (LCM // pl.col("md")))
        .with_columns(cum=pl.col("num").cum_sum().over("participant_id"))
        .with_columns(
            capped=pl.min_horizontal(
                pl.max_horizontal(MAX_UNITS - (pl.col("cum") - pl.col("num")), pl.lit(0)),
                pl.col("num"),
            )
        )
        .with_columns(
            ore=(
                2 * pl.col("capped") * pl.col("cohort").replace_strict(PRICE, return_dtype=day)
                + DEN
            )
            // (2 * DEN)
        )
        .group_by("participant_id")
        .agg(pl.col("ore").sum().clip(upper_bound=CAP))
    )
    out = (
        eligible.join(w, on="participant_id", how="left")
        .with_columns(pl.col("ore").fill_null(0))
        .select("participant_id", "ore")
    )
    table = out.to_arrow()
    st.done("compute")
    return table, st


def run_duckdb(people: Path, spells: Path) -> tuple[pa.Table | None, Stages]:
    import duckdb

    con = duckdb.connect()
    months = months_table()  # noqa: F841 (read by the query by name)
    st = Stages()
    con.execute(f"CREATE TABLE p AS SELECT * FROM read_csv('{people}')")
    con.execute(f"CREATE TABLE s AS SELECT * FROM read_csv('{spells}')")
    st.done("read")
    on_benefit = " OR ".join(
        f"(p.cohort = '{c}' AND s.status IN ({', '.join(repr(x) for x in st)}))"
        for c, st in ELIGIBLE.items()
    )
    weight = " ".join(f"WHEN '{k}' THEN {v}" for k, v in WORK.items())
    query = f"""
    WITH pp AS (
        SELECT participant_id, cohort,
               (enrolled - DATE '1970-01-01')::BIGINT AS enr,
               ((enrolled + INTERVAL 24 MONTH)::DATE - DATE '1970-01-01')::BIGINT AS wend
        FROM p
        WHERE enrolled BETWEEN DATE '2023-10-01' AND DATE '2025-03-31'
    ),
    ss AS (
        SELECT participant_id, status, hours,
               (start - DATE '1970-01-01')::BIGINT AS st,
               coalesce(("end" - DATE '1970-01-01')::BIGINT, {FAR}) AS en
        FROM s
    ),
    eligible AS (
        SELECT DISTINCT p.participant_id, p.cohort, p.enr, p.wend
        FROM pp p JOIN ss s USING (participant_id)
        WHERE s.st <= p.enr AND p.enr < s.en AND ({on_benefit})
    ),
    w AS (
        SELECT e.participant_id, e.cohort,
               greatest(s.st, e.enr) AS lo, least(s.en, e.wend, {STOP}) AS hi,
               (CASE s.status {weight} END)
                 * least(coalesce(round(s.hours * 100)::BIGINT, {NORM}), {NORM}) AS wnum
        FROM eligible e JOIN ss s USING (participant_id)
        WHERE s.status IN ({", ".join(repr(k) for k in WORK)})
    ),
    wm AS (
        SELECT *,
               year(DATE '1970-01-01' + lo::INTEGER) * 12
                 + month(DATE '1970-01-01' + lo::INTEGER) - 1 AS first,
               year(DATE '1970-01-01' + (hi - 1)::INTEGER) * 12
                 + month(DATE '1970-01-01' + (hi - 1)::INTEGER) - 1 AS last
        FROM w WHERE hi > lo
    ),
    pieces AS (
        SELECT participant_id, cohort, lo, hi, wnum, unnest(range(first, last + 1)) AS month
        FROM wm
    ),
    items AS (
        SELECT x.participant_id, x.month, any_value(x.cohort) AS cohort,
               sum((least(x.hi, m.m1) - greatest(x.lo, m.m0)) * x.wnum)
                 * ({LCM} // any_value(m.md)) AS num
        FROM pieces x JOIN months m ON x.month = m.month
        GROUP BY x.participant_id, x.month
    ),
    capped AS (
        SELECT participant_id, cohort,
               least(greatest({MAX_UNITS} - (sum(num) OVER (
                   PARTITION BY participant_id ORDER BY month
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - num), 0), num)::HUGEINT
                 AS q
        FROM items
    ),
    paid AS (
        SELECT participant_id,
               least(sum((2 * q * (CASE cohort WHEN 'sick_listed' THEN {PRICE["sick_listed"]}
                                              ELSE {PRICE["unemployed"]} END) + {DEN})
                         // {2 * DEN}), {CAP})::BIGINT AS ore
        FROM capped GROUP BY participant_id
    )
    SELECT e.participant_id, coalesce(paid.ore, 0)::BIGINT AS ore
    FROM eligible e LEFT JOIN paid USING (participant_id)
    """
    cursor = con.execute(query)
    fetch = getattr(cursor, "to_arrow_table", None) or cursor.fetch_arrow_table  # duckdb 2 / 1
    table = fetch()
    st.done("compute")
    return table, st


RUNNERS: dict[str, Callable[[Path, Path], tuple[pa.Table | None, Stages]]] = {
    "floor": run_floor,
    "impactbond": run_impactbond,
    "impactbond_full": run_impactbond_full,
    "pandas": run_pandas,
    "polars": run_polars,
    "duckdb": run_duckdb,
}


PRELOAD = {
    "impactbond": ("impactbond", "impactbond.io.register_tables", "attrs"),
    "impactbond_full": ("impactbond", "impactbond.io.register_tables"),
    "pandas": ("pandas",),
    "polars": ("polars",),
    "duckdb": ("duckdb",),
}


def child(tool: str, people: Path, spells: Path, out: Path) -> None:
    """Run one tool in this (fresh) process; write its result and a JSON line of figures."""
    for module in PRELOAD.get(tool, ()):  # imports are not timed
        __import__(module)
    result, stages = RUNNERS[tool](people, spells)
    if result is not None:
        pq.write_table(result, out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "seconds": sum(stages.wall.values()),
        "cpu": sum(stages.cpu.values()),
        "stages": stages.wall,
        "stages_cpu": stages.cpu,
        "peak_mb": peak_mb,
    }
    print(json.dumps(figures))


# ----------------------------------------------------------------------------- the driver


def _sorted(table: pa.Table) -> pa.Table:
    table = table.select(["participant_id", "ore"]).cast(
        pa.schema([("participant_id", pa.string()), ("ore", pa.int64())])
    )
    return table.sort_by("participant_id")


def compare(name: str, ours: pa.Table, theirs: pa.Table) -> int:
    """Participants whose øre differ (or who are in one result only); 0 when equal."""
    a, b = _sorted(ours), _sorted(theirs)
    if a.equals(b):
        return 0
    joined = a.join(
        b, "participant_id", join_type="full outer", left_suffix="_a", right_suffix="_b"
    )
    differ = pc.invert(pc.fill_null(pc.equal(joined["ore_a"], joined["ore_b"]), False))
    bad = joined.filter(differ)
    print(f"  {name}: {bad.num_rows} participants differ, e.g. {bad.slice(0, 3).to_pylist()}")
    return bad.num_rows


def run_tool(tool: str, people: Path, spells: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", tool, str(people), str(spells), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{tool} failed (exit {proc.returncode})")
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "--child":
        child(argv[2], Path(argv[3]), Path(argv[4]), Path(argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="participants")
    parser.add_argument("--quick", action="store_true", help="100,000 participants")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache" / "e2e")
    args = parser.parse_args(argv[1:])
    n = 100_000 if args.quick else args.n
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools {sorted(unknown)}; known: {', '.join(TOOLS)}")
    if "impactbond" not in tools:
        tools.insert(0, "impactbond")
    t = time.perf_counter()
    people, spells = _register_data.write(args.cache, n)
    size = (people.stat().st_size + spells.stat().st_size) / 2**20
    print(f"input: {n:,} participants, {size:,.0f} MB of CSV ({time.perf_counter() - t:.1f} s)")
    figures: dict[str, dict[str, Any]] = {}
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        results: dict[str, Path] = {}
        for tool in tools:
            out = Path(tmp) / f"{tool}.parquet"
            figures[tool] = run_tool(tool, people, spells, out)
            f = figures[tool]
            stages = ", ".join(
                f"{k} {v:.2f}/{f['stages_cpu'][k]:.2f}" for k, v in f["stages"].items()
            )
            print(
                f"{tool:>16}: {f['seconds']:7.2f} s wall, {f['cpu']:7.2f} s cpu, peak "
                f"{f['peak_mb']:7,.0f} MB (wall/cpu: {stages})"
            )
            if out.exists():
                results[tool] = out
        ours = pq.read_table(results["impactbond"])
        paid = int(pc.sum(ours["ore"]).as_py() or 0)
        print(f"impactbond: {ours.num_rows:,} participants settled, {paid / 100:,.2f} DKK")
        for tool, path in results.items():
            if tool != "impactbond":
                bad = compare(tool, ours, pq.read_table(path))
                mismatches += bad
                print(f"  {tool}: {'equal to the øre' if bad == 0 else 'DIFFERENT'}")
    nan = float("nan")

    def ratios(key: str) -> tuple[float, float, str, float]:
        """(ours, floor, fastest peer, ours / fastest peer) in wall or CPU seconds."""
        ours = float(figures["impactbond"][key])
        floor = float(figures["floor"][key]) if "floor" in figures else nan
        peers = {t: float(figures[t][key]) for t in PEERS if t in figures}
        fastest = min(peers, key=peers.__getitem__) if peers else "none"
        return ours, floor, fastest, ours / peers[fastest] if peers else nan

    for key, label in (("seconds", "wall"), ("cpu", "cpu")):
        ours, floor, fastest, _ = ratios(key)
        for tool, f in figures.items():
            against = (
                f", {f[key] / figures[fastest][key]:5.2f} x {fastest}" if fastest in figures else ""
            )
            print(f"{label:>4} {tool:>16}: {f[key] / floor:6.1f} x floor{against}")
    ours, floor, fastest, over = ratios("seconds")
    ours_cpu, _, fastest_cpu, over_cpu = ratios("cpu")
    full = figures.get("impactbond_full", {})
    stage_text = ",".join(f"{k}:{v:.2f}" for k, v in figures["impactbond"]["stages"].items())
    full_text = ",".join(f"{k}:{v:.2f}" for k, v in full.get("stages", {}).items())
    print(
        f"n={n} ours_seconds={ours:.2f} floor_seconds={floor:.2f} "
        f"ours_over_floor={ours / floor:.2f} fastest_peer={fastest} "
        f"ours_over_fastest_peer={over:.2f} ours_cpu_seconds={ours_cpu:.2f} "
        f"fastest_peer_cpu={fastest_cpu} ours_over_fastest_peer_cpu={over_cpu:.2f} "
        f"full_contract_seconds={full.get('seconds', nan):.2f} "
        f"full_contract_cpu_seconds={full.get('cpu', nan):.2f} "
        f"peak_rss_mb={figures['impactbond']['peak_mb']:.0f} "
        f"full_peak_rss_mb={full.get('peak_mb', nan):.0f} stages={stage_text} "
        f"full_stages={full_text}"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
