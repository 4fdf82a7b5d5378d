"""``impactbond ledger``: keep a running contract in a ledger.

::

    impactbond ledger init [PATH_OR_URL]
    impactbond ledger contract add CONTRACT.toml [--effective DATE] [--note TEXT]
    impactbond ledger ingest SPELLS [--participants PEOPLE] [--events EVENTS]
                             --extract-date DATE --source NAME [reading options]
    impactbond ledger run --as-of DATE [--contract-version N] [--delivery N]
    impactbond ledger invoice [--period DATE] [--issued-on DATE] [--draft]
    impactbond ledger issue DRAFT [--issued-on DATE]  /  discard DRAFT
    impactbond ledger pay NUMBER --paid-on DATE
    impactbond ledger show [--invoice NUMBER | --draft ID | --run ID]
    impactbond ledger history
    impactbond ledger diff RUN_A RUN_B
    impactbond ledger verify

Every command takes ``--ledger PATH_OR_URL`` (default
``impactbond-ledger.sqlite`` in the working directory).  Exit status: 0
success, 3 invalid contract, 4 invalid data, 5 the ledger refused the
operation (an issued invoice, a concurrent writer, a newer schema, nothing
to invoice, a run that does not reproduce).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from impactbond.cli._common import add_register_inputs, reading_args
from impactbond.domain.participant import withhold_cpr
from impactbond.errors import ImpactBondError, InvalidContract, LedgerError
from impactbond.io._files import printable

__all__ = ["EXIT_CONTRACT", "EXIT_DATA", "EXIT_LEDGER", "register"]

EXIT_CONTRACT = 3
EXIT_DATA = 4
EXIT_LEDGER = 5

DEFAULT_LEDGER = "impactbond-ledger.sqlite"  # = impactbond.ledger.DEFAULT_LEDGER (lazy import)

Handler = Callable[[argparse.Namespace], int]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not 1 or more")
    return value


def _exit_code(error: ImpactBondError) -> int:
    if isinstance(error, LedgerError):
        return EXIT_LEDGER
    if isinstance(error, InvalidContract):
        return EXIT_CONTRACT
    return EXIT_DATA


def _say(text: str) -> None:
    # An error never echoes a CPR number or a control character, whatever raised it.
    print(printable(withhold_cpr(text)), file=sys.stderr)


class _Terminal(io.TextIOBase):
    """Standard output for a terminal: control characters escaped on the way out."""

    def __init__(self, out: Any) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return True


def _guarded(handler: Handler) -> Handler:
    """Run a handler; typed errors become one message and the exit status of their kind.

    What the handler prints to a terminal has its control characters escaped
    (a ledger written by an older version may hold them in a note or a name).
    """

    def run(args: argparse.Namespace) -> int:
        out = _Terminal(sys.stdout) if sys.stdout.isatty() else sys.stdout
        try:
            with contextlib.redirect_stdout(out):
                return handler(args)
        except ImpactBondError as error:
            _say(f"error: {error}")
            return _exit_code(error)
        except ImportError as error:
            _say(
                f"error: {error}; the ledger needs the ledger extra: "
                "pip install 'impactbond[ledger]'"
            )
            return 1
        except OSError as error:
            _say(f"error: {error}")
            return EXIT_DATA

    return run


def _open(args: argparse.Namespace) -> Any:
    from impactbond.ledger import Ledger

    return Ledger.open(args.ledger)


def _money(value: Any) -> str:
    return str(value)


def _json_default(value: Any) -> Any:
    from impactbond.money import Money

    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _emit(args: argparse.Namespace, text: str) -> None:
    from impactbond.cli._common import emit

    if getattr(args, "output", None):
        if Path(args.output).resolve() == Path(args.ledger).resolve():
            from impactbond.errors import InvalidInput

            raise InvalidInput("--output would overwrite the ledger", field="output")
        emit(args, text, inputs=[Path(args.ledger)])  # written whole or not at all
    else:
        sys.stdout.write(text)


def _last_day(end: date) -> date:
    return end - timedelta(days=1)


# -- writing commands ---------------------------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    from impactbond.ledger import Ledger

    target = args.target or args.ledger
    with Ledger.init(target) as ledger:
        if not args.quiet:
            print(f"created ledger {ledger.where} (schema {ledger.revision})")
    return 0


def _cmd_contract_add(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        v = ledger.add_contract(args.contract, effective=args.effective, note=args.note)
    if not args.quiet:
        what = "added" if v.created else "already in the ledger:"
        print(
            f"{what} contract version {v.id} of {v.contract_id}, effective {v.effective} "
            f"(sha256 {v.sha256[:12]})"
        )
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        d = ledger.ingest(
            args.spells,
            args.participants,
            args.events,
            extract_date=args.extract_date,
            source=args.source,
            **reading_args(args),
        )
    if not args.quiet:
        what = "ingested" if d.created else "already in the ledger:"
        print(
            f"{what} delivery {d.id} from {d.source}, extract date {d.extract_date}: "
            f"{d.participant_rows} participants, {d.spell_rows} spells, {d.event_rows} events "
            f"(sha256 {d.sha256[:12]})"
        )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        r = ledger.run(args.as_of, contract_version=args.contract_version, delivery=args.delivery)
    if not args.quiet:
        print(
            f"run {r.id} as of {r.as_of} (contract version {r.contract_version}, delivery "
            f"{r.delivery}, data until {r.data_until}): {r.line_count} lines, due {r.due}, "
            f"accrued {r.accrued}; fingerprint {r.fingerprint[:16]}"
        )
    return 0


def _invoice_line(invoice: Any) -> str:
    name = f"invoice {invoice.number}" if invoice.number is not None else f"draft {invoice.id}"
    issued = f", issued {invoice.issued_on}" if invoice.issued_on else ""
    paid = f", paid {invoice.paid_on}" if invoice.paid_on else ""
    return (
        f"{name} ({invoice.state}{issued}{paid}) to {invoice.payer}, periods up to "
        f"{invoice.period_start}..{_last_day(invoice.period_end)}, run {invoice.run}: "
        f"{invoice.line_count} lines, total {invoice.total} (adjustments {invoice.adjustments})\n"
    )


def _print_invoice(invoice: Any) -> None:
    sys.stdout.write(_invoice_line(invoice))


def _cmd_invoice(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        invoice = ledger.invoice(args.period, issued_on=args.issued_on, draft=args.draft)
    if not args.quiet:
        _print_invoice(invoice)
    return 0


def _cmd_issue(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        invoice = ledger.issue(args.draft, issued_on=args.issued_on)
    if not args.quiet:
        _print_invoice(invoice)
    return 0


def _cmd_discard(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        ledger.discard(args.draft)
    if not args.quiet:
        print(f"discarded draft {args.draft}")
    return 0


def _cmd_pay(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        invoice = ledger.pay(args.number, paid_on=args.paid_on)
    if not args.quiet:
        _print_invoice(invoice)
    return 0


# -- reading commands ---------------------------------------------------------------------------


def _table_text(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    # One line per row: a newline or tab in a cell (a note) is shown escaped.
    cells = [
        [str(h) for h in headers],
        *[[printable(str(c), keep_newlines=False) for c in r] for r in rows],
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in cells
    )


def _summary_text(summary: dict[str, Any]) -> str:
    out = [f"ledger {summary['ledger']} (schema {summary['revision']})\n"]
    out.append(
        f"contract {summary['contract'] or '(none yet)'}: {summary['contract_versions']} "
        f"version(s); {summary['deliveries']} deliveries; {summary['runs']} runs\n"
    )
    latest = summary.get("latest_run")
    if latest:
        out.append(
            f"latest run {latest['id']} as of {latest['as_of']}: due {latest['due']}, accrued "
            f"{latest['accrued']}; fingerprint {latest['fingerprint'][:16]}\n"
        )
    rows = [
        [
            i["number"] if i["number"] is not None else f"draft {i['id']}",
            i["state"],
            i["period"],
            i["issued_on"] or "",
            i["paid_on"] or "",
            _money(i["total"]),
            _money(i["adjustments"]),
        ]
        for i in summary["invoices"]
    ]
    if rows:
        out.append("invoices:\n")
        out.append(
            _table_text(
                ["number", "state", "periods", "issued", "paid", "total", "adjustments"], rows
            )
        )
    if "open" in summary:
        out.append(f"open (due by the latest run, not on an issued invoice): {summary['open']}\n")
    return "".join(out)


def _cause_text(cause: Any) -> str:
    row = {k: v for k, v in cause.row.items() if k not in ("delivery_from", "delivery_to")}
    if cause.source in ("contract", "delivery", "as_of"):
        since = f" (since run {row['billed_run']})" if "billed_run" in row else ""
        return f"{cause.source} {row.get('from')} -> {row.get('to')}{since}"
    from impactbond.ledger import DELIVERY_SCHEMAS

    order = DELIVERY_SCHEMAS[cause.source].names if cause.source in DELIVERY_SCHEMAS else []
    names = [n for n in order if n in row] + sorted(n for n in row if n not in order)
    values = ", ".join(
        f"{k}={row[k]}" for k in names if k != "participant_id" and row[k] is not None
    )
    return f"{cause.source} row {cause.change}: {values}"


def _invoice_text(ledger: Any, invoice: Any, all_lines: bool) -> str:
    lines = ledger.invoice_lines(invoice)
    records = lines.to_pylist()
    currency = invoice.total.currency
    from impactbond.money import Money

    def m(minor: int) -> str:
        return str(Money.from_minor_units(minor, currency).amount)

    shown = records if all_lines else [r for r in records if r["kind"] == "adjustment"]
    out = [_invoice_line(invoice)]
    if shown:
        out.append("lines:\n" if all_lines else "adjustments:\n")
        out.append(
            _table_text(
                [
                    "#",
                    "kind",
                    "participant",
                    "rule",
                    "period",
                    "billed",
                    "due now",
                    "amount",
                    "corrects",
                ],
                [
                    [
                        r["position"],
                        r["kind"],
                        r["participant_id"] or "(group)",
                        r["rule"],
                        r["period_start"],
                        m(r["billed_before"]),
                        m(r["due_amount"]),
                        m(r["amount"]),
                        ""
                        if r["refers_to_invoice"] is None
                        else f"{r['refers_to_invoice']}/{r['refers_to_position']}",
                    ]
                    for r in shown
                ],
            )
        )
    if not all_lines:
        new = [r for r in records if r["kind"] == "line"]
        if new:
            out.append(
                f"and {len(new)} new line(s), {m(sum(r['amount'] for r in new))} "
                "(--lines lists every line)\n"
            )
    causes = ledger.causes(invoice)
    if causes:
        out.append("causes:\n")
        for cause in causes:
            who = cause.participant_id or "(all)"
            out.append(f"  {who}: {_cause_text(cause)}\n")
    return "".join(out)


def _cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        if args.invoice is not None or args.draft is not None:
            if args.invoice is not None:
                invoice = ledger.get_invoice(args.invoice)
            else:
                invoice = next((i for i in ledger.invoices() if i.id == args.draft), None)
                if invoice is None:
                    from impactbond.errors import UnknownRecord

                    raise UnknownRecord(f"draft {args.draft} is not in the ledger", field="draft")
            if args.format == "json":
                doc = {
                    "invoice": _record(invoice),
                    "lines": ledger.invoice_lines(invoice).to_pylist(),
                    "causes": [_record(c) for c in ledger.causes(invoice)],
                }
                _emit(args, json.dumps(doc, default=_json_default, indent=2) + "\n")
            else:
                _emit(args, _invoice_text(ledger, invoice, args.lines))
        elif args.run is not None:
            run = ledger.get_run(args.run)
            if args.format == "json":
                doc = {"run": _record(run)}
                if args.lines:
                    doc["lines"] = ledger.lines(run.id).to_pylist()
                _emit(args, json.dumps(doc, default=_json_default, indent=2) + "\n")
            else:
                _emit(
                    args,
                    f"run {run.id} as of {run.as_of}: contract version {run.contract_version}, "
                    f"delivery {run.delivery} (data until {run.data_until}), impactbond "
                    f"{run.library_version}\n  {run.line_count} lines, due {run.due}, accrued "
                    f"{run.accrued}\n  fingerprint {run.fingerprint}\n",
                )
        else:
            summary = ledger.summary()
            if args.format == "json":
                _emit(args, json.dumps(summary, default=_json_default, indent=2) + "\n")
            else:
                _emit(args, _summary_text(summary))
    return 0


def _record(record: Any) -> dict[str, Any]:
    import attrs

    return {k: v for k, v in attrs.asdict(record, recurse=False).items() if k != "text"}


def _cmd_history(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        entries = ledger.history()
    if args.format == "json":
        _emit(
            args, json.dumps([_record(e) for e in entries], default=_json_default, indent=2) + "\n"
        )
        return 0
    rows = [
        [
            e.id,
            e.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.action,
            e.subject,
            ", ".join(
                f"{k}={str(v)[:16] if k in ('sha256', 'fingerprint') else v}"
                for k, v in sorted(e.detail.items())
            ),
        ]
        for e in entries
    ]
    _emit(args, _table_text(["#", "recorded (UTC)", "action", "record", "detail"], rows))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        d = ledger.diff(args.run_a, args.run_b)
    if args.format == "json":
        doc = {
            "run_a": d.run_a,
            "run_b": d.run_b,
            "change": d.change,
            "inputs": [_record(c) for c in d.inputs],
            "lines": d.lines.to_pylist(),
            "causes": {k: [_record(c) for c in v] for k, v in d.causes.items()},
        }
        _emit(args, json.dumps(doc, default=_json_default, indent=2) + "\n")
        return 0
    from impactbond.money import Money

    currency = d.change.currency

    def m(minor: int) -> str:
        return str(Money.from_minor_units(minor, currency).amount)

    out = [f"run {d.run_a} -> run {d.run_b}: {d.lines.num_rows} lines changed, total {d.change}\n"]
    for cause in d.inputs:
        out.append(f"  input changed: {_cause_text(cause)}\n")
    records = d.lines.to_pylist()
    by_person: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_person.setdefault(r["participant_id"], []).append(r)
    for person in sorted(by_person)[: args.limit]:
        rows = by_person[person]
        total = sum(r["change"] for r in rows)
        out.append(f"{person or '(group lines)'}: {len(rows)} line(s), {m(total)}\n")
        for r in rows:
            if not r["in_a"]:
                due = " (new line)"
            elif not r["in_b"]:
                due = " (gone)"
            else:
                due = "" if r["due_a"] == r["due_b"] else f" (due {r['due_a']} -> {r['due_b']})"
            out.append(
                f"  {r['rule']} {r['outcome'] or ''} {r['period_start']}: {m(r['amount_a'])} -> "
                f"{m(r['amount_b'])} ({m(r['change'])}){due}\n"
            )
        for cause in d.causes.get(person, ()):
            out.append(f"  because {_cause_text(cause)}\n")
    if len(by_person) > args.limit:
        out.append(f"... and {len(by_person) - args.limit} more (--limit)\n")
    _emit(args, "".join(out))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    with _open(args) as ledger:
        result = ledger.verify()
    for check in result.runs:
        state = "ok" if check.ok else "DOES NOT REPRODUCE"
        if not args.quiet or not check.ok:
            print(f"run {check.run}: {state} (fingerprint {check.stored[:16]})")
    for problem in result.problems:
        print(f"problem: {problem}")
    if not result.ok:
        print("error: the ledger does not verify", file=sys.stderr)
        return EXIT_LEDGER
    if not args.quiet:
        print(f"verified {len(result.runs)} runs and every stored record")
    return 0


# -- parser -------------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ledger",
        default=DEFAULT_LEDGER,
        metavar="PATH_OR_URL",
        help=f"the ledger: a SQLite file or a postgresql:// URL (default: ./{DEFAULT_LEDGER})",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


def _reader(p: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json")) -> None:
    p.add_argument("--format", choices=list(formats), default="text")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ledger`` and its subcommands."""
    top = sub.add_parser(
        "ledger",
        help="keep a running contract: deliveries, runs, invoices, adjustments",
        description="Keep a running contract in a ledger (a SQLite file or a PostgreSQL "
        "database): contract versions, register deliveries, runs, invoices that never "
        "change once issued, and adjustments for restated lines.",
    )
    cmds = top.add_subparsers(dest="ledger_command", required=True, metavar="COMMAND")

    p = cmds.add_parser("init", help="create a new, empty ledger")
    p.add_argument("target", nargs="?", metavar="PATH_OR_URL", help="where (default: --ledger)")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_init))

    contract = cmds.add_parser("contract", help="contract versions")
    contract_cmds = contract.add_subparsers(
        dest="contract_command", required=True, metavar="COMMAND"
    )
    p = contract_cmds.add_parser("add", help="add a version of the contract (an amendment)")
    p.add_argument("contract", type=Path, help="contract file (TOML)")
    p.add_argument(
        "--effective",
        type=_date,
        help="first as_of it applies to (default: the contract's term start)",
    )
    p.add_argument("--note", default="", help="what the version changes")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_contract_add))

    p = cmds.add_parser("ingest", help="store a register delivery (a no-op if already stored)")
    add_register_inputs(p)
    p.add_argument(
        "--extract-date",
        type=_date,
        required=True,
        help="the last day the extract covers (data_until)",
    )
    p.add_argument("--source", required=True, help="where the extract comes from")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_ingest))

    p = cmds.add_parser("run", help="settle the contract on the latest delivery and store it")
    p.add_argument("--as-of", type=_date, required=True, help="evaluation date (YYYY-MM-DD)")
    p.add_argument("--contract-version", type=_positive, help="default: the one effective then")
    p.add_argument("--delivery", type=_positive, help="default: the latest extracted by then")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_run))

    p = cmds.add_parser(
        "invoice", help="invoice the due lines not yet invoiced plus the open adjustments"
    )
    p.add_argument(
        "--period", type=_date, help="bill new lines up to the invoice period of this day"
    )
    p.add_argument("--issued-on", type=_date, help="issue date (default: the run's as_of)")
    p.add_argument("--draft", action="store_true", help="make a draft instead of issuing")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_invoice))

    p = cmds.add_parser("issue", help="issue a draft invoice")
    p.add_argument("draft", type=_positive, help="the draft's id")
    p.add_argument("--issued-on", type=_date, help="issue date (default: the run's as_of)")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_issue))

    p = cmds.add_parser("discard", help="delete a draft invoice")
    p.add_argument("draft", type=_positive, help="the draft's id")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_discard))

    p = cmds.add_parser("pay", help="record the payment of an issued invoice")
    p.add_argument("number", type=_positive, help="the invoice number")
    p.add_argument("--paid-on", type=_date, required=True, help="payment date")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_pay))

    p = cmds.add_parser("show", help="the ledger at a glance, an invoice or a run")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--invoice", type=_positive, metavar="NUMBER", help="an issued invoice")
    what.add_argument("--draft", type=_positive, metavar="ID", help="a draft invoice")
    what.add_argument("--run", type=_positive, metavar="ID", help="a run")
    p.add_argument("--lines", action="store_true", help="every line, not only the adjustments")
    _reader(p)
    _common(p)
    p.set_defaults(func=_guarded(_cmd_show))

    p = cmds.add_parser("history", help="every operation on the ledger, in order")
    _reader(p)
    _common(p)
    p.set_defaults(func=_guarded(_cmd_history))

    p = cmds.add_parser(
        "diff", help="what changed between two runs, for whom, and which register rows caused it"
    )
    p.add_argument("run_a", type=_positive, metavar="RUN_A")
    p.add_argument("run_b", type=_positive, metavar="RUN_B")
    p.add_argument("--limit", type=_positive, default=50, help="participants to list (text)")
    _reader(p)
    _common(p)
    p.set_defaults(func=_guarded(_cmd_diff))

    p = cmds.add_parser("verify", help="re-run every stored run and check every record")
    _common(p)
    p.set_defaults(func=_guarded(_cmd_verify))
