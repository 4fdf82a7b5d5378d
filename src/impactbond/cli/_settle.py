"""``impactbond example``, ``settle`` and ``explain``: settle a contract on register data."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["NYBORG_AS_OF", "register", "settlement_csv", "settlement_json"]

#: The embedded example's register data run to 30 June 2026.
NYBORG_AS_OF = date(2026, 7, 1)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return str(value)
    return str(value)


def settlement_json(settlement: Any) -> str:
    """The settlement as JSON: totals, achievement, retention, exclusions and lines."""
    s = settlement
    doc = {
        "contract": s.contract.id,
        "as_of": s.as_of,
        "currency": s.currency,
        "total_due": str(s.total.amount),
        "pending": str(s.pending_total.amount),
        "accrued": str(s.accrued_total.amount),
        "by_cohort": {k: str(v.amount) for k, v in s.by_cohort().items()},
        "by_outcome": {k: str(v.amount) for k, v in s.by_outcome().items()},
        "achievement": [
            {
                "cohort": a.cohort,
                "outcome": a.outcome,
                "quantity": a.quantity,
                "target": a.target,
                "ratio": a.ratio,
            }
            for a in s.achievements
        ],
        "retention": [
            {
                "cohort": r.cohort,
                "outcome": r.outcome,
                "job_starters": r.job_starters,
                "censored": r.censored,
                "retained": r.retained,
                "same_employer": r.same_employer,
            }
            for r in s.retention
        ],
        "participants_in": s.participants_in,
        "excluded": [
            {
                "participant_id": e.participant_id,
                "cohort": e.cohort,
                "reason": e.reason,
                "clause": e.clause,
            }
            for e in s.exclusions
        ],
        "lines": s.to_records(),
    }
    return json.dumps(doc, default=_json_default, indent=2, ensure_ascii=False)


def settlement_csv(settlement: Any) -> str:
    """The settlement's lines as CSV (exact quantities as fractions, amounts as decimals)."""
    records = settlement.to_records()
    buf = io.StringIO()
    fields = list(records[0]) if records else ["participant_id"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: _json_default(v) if v is not None else "" for k, v in r.items()})
    return buf.getvalue()


def _print_settlement(settlement: Any, fmt: str) -> None:
    if fmt == "json":
        print(settlement_json(settlement))
    elif fmt == "csv":
        sys.stdout.write(settlement_csv(settlement))
    else:
        print(settlement.statement())


def _load_inputs(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from impactbond.io.contract_file import load_contract
    from impactbond.io.trajectories import (
        read_participants,
        read_spells,
        read_spells_and_participants,
    )

    contract = load_contract(args.contract)
    if args.participants is None:
        people, trajectories = read_spells_and_participants(args.spells)
    else:
        trajectories = read_spells(args.spells)
        people = read_participants(args.participants)
    return contract, people, trajectories


def _cmd_example(args: argparse.Namespace) -> int:
    from impactbond.examples import nyborg
    from impactbond.settle import settle

    contract, people, trajectories = nyborg()
    s = settle(contract, people, trajectories, as_of=args.as_of)
    if args.participant:
        print(s.explain(args.participant))
    else:
        _print_settlement(s, args.format)
    return 0


def _cmd_settle(args: argparse.Namespace) -> int:
    from impactbond.settle import settle

    contract, people, trajectories = _load_inputs(args)
    _print_settlement(settle(contract, people, trajectories, as_of=args.as_of), args.format)
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from impactbond.settle import settle

    contract, people, trajectories = _load_inputs(args)
    print(settle(contract, people, trajectories, as_of=args.as_of).explain(args.participant))
    return 0


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("contract", type=Path, help="contract file (TOML)")
    p.add_argument(
        "spells",
        type=Path,
        help="spells CSV: participant_id,status,start,end,hours,employer; without "
        "--participants each row also carries cohort,enrolled[,referred,exited]",
    )
    p.add_argument(
        "--participants",
        type=Path,
        help="participants CSV: participant_id,cohort,enrolled,referred,exited",
    )
    p.add_argument("--as-of", type=_date, required=True, help="evaluation date (YYYY-MM-DD)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``example``, ``settle`` and ``explain``."""
    ex = sub.add_parser("example", help="settle an embedded example contract")
    ex.add_argument("name", choices=["nyborg"], help="the example")
    ex.add_argument(
        "--as-of",
        type=_date,
        default=NYBORG_AS_OF,
        help=f"evaluation date (default: the data cut-off, {NYBORG_AS_OF})",
    )
    ex.add_argument("--format", choices=["text", "json", "csv"], default="text")
    ex.add_argument("--participant", help="explain one participant instead")
    ex.set_defaults(func=_cmd_example)

    st = sub.add_parser("settle", help="settle a contract on a CSV of spells")
    _inputs(st)
    st.add_argument("--format", choices=["text", "json", "csv"], default="text")
    st.set_defaults(func=_cmd_settle)

    exp = sub.add_parser("explain", help="explain one participant's payments")
    _inputs(exp)
    exp.add_argument("--participant", required=True, help="the participant id")
    exp.set_defaults(func=_cmd_explain)
