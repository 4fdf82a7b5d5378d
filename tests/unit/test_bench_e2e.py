"""Smoke test of benchmarks/bench_e2e.py: at 2,000 participants the peers agree to the øre.

Not a timing test: it only checks that pandas, polars and DuckDB, computing
the core job from the same CSV files, pay every participant exactly what
impactbond pays (the script exits 1 and names the participants otherwise).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_e2e.py"


def test_peers_pay_every_participant_what_impactbond_pays(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--n",
            "2000",
            "--cache",
            str(tmp_path),
            "--tools",
            "impactbond,pandas,polars,duckdb",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for peer in ("pandas", "polars", "duckdb"):
        assert f"  {peer}: equal to the øre" in proc.stdout
    # Every one of the 2,000 is settled (the generator enrols everyone on an eligible
    # benefit inside the referral period), and money is paid.
    assert "impactbond: 2,000 participants settled" in proc.stdout
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("n=2000 ") and "ours_over_fastest_peer=" in last
