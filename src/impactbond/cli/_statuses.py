"""``impactbond statuses``: every register status with its Danish and English name."""

from __future__ import annotations

import argparse
import csv
import io
import json

from impactbond.cli._common import add_output, emit
from impactbond.status import Status

__all__ = ["register", "status_rows", "statuses_text"]


def status_rows() -> list[dict[str, str | int]]:
    """One row per status: the name files use, its code, Danish and English names."""
    return [
        {"status": s.name.lower(), "code": int(s), "danish": s.name_da, "english": s.name_en}
        for s in Status
    ]


def statuses_text(fmt: str = "text") -> str:
    """The status table as text, Markdown, CSV or JSON.

    >>> print(statuses_text("markdown").splitlines()[2])
    | `unknown` | 0 | ingen oplysning | no data |
    """
    rows = status_rows()
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| status | code | Danish | English |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{r['status']}` | {r['code']} | {r['danish']} | {r['english']} |" for r in rows
        ]
        return "\n".join(lines) + "\n"
    width = max(len(str(r["status"])) for r in rows)
    da = max(len(str(r["danish"])) for r in rows)
    lines = [f"{'status':<{width}}  code  {'Danish':<{da}}  English"]
    lines += [
        f"{r['status']:<{width}}  {r['code']:>4}  {r['danish']:<{da}}  {r['english']}" for r in rows
    ]
    return "\n".join(lines) + "\n"


def _cmd_statuses(args: argparse.Namespace) -> int:
    emit(args, statuses_text(args.format))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``statuses``."""
    st = sub.add_parser("statuses", help="list the register statuses with Danish and English names")
    st.add_argument("--format", choices=["text", "markdown", "csv", "json"], default="text")
    add_output(st)
    st.set_defaults(func=_cmd_statuses)
