"""A separate process that does one ledger operation (for the concurrency and crash tests).

    python _worker.py TARGET OPERATION [ARGS...] [--wait]

Prints ``ready`` once the ledger is open; with ``--wait`` it then waits for a
line on stdin before it acts.  Prints ``done`` after the operation committed
(exit 0), or ``refused <error class>: <message>`` for a typed error (exit 5).
"""

from __future__ import annotations

import sys
from datetime import date

from impactbond.errors import ImpactBondError
from impactbond.ledger import Ledger


def main(argv: list[str]) -> int:
    wait = "--wait" in argv
    target, operation, *args = [a for a in argv if a != "--wait"]
    with Ledger.open(target) as ledger:
        print("ready", flush=True)
        if wait:
            sys.stdin.readline()
        try:
            if operation == "ingest":
                spells, participants, day = args
                ledger.ingest(
                    spells, participants, extract_date=date.fromisoformat(day), source="w"
                )
            elif operation == "run":
                ledger.run(date.fromisoformat(args[0]))
            elif operation == "invoice":
                ledger.invoice()
            elif operation == "issue":
                ledger.issue(int(args[0]))
            else:
                raise SystemExit(f"unknown operation {operation}")
        except ImpactBondError as error:
            print(f"refused {type(error).__name__}: {error}", flush=True)
            return 5
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
