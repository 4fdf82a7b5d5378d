"""The ledger: a running contract as a system of record.

A social impact bond runs for years: register extracts arrive every month or
quarter, the provider invoices, the payer pays, and register data are revised
afterwards.  A :class:`Ledger` keeps all of it in a database (a SQLite file by
default, PostgreSQL for a ledger that a payer and an investor share):

- contract versions (the file's text and sha256; an amendment is a new version),
- register deliveries (the canonical tables as content-addressed Parquet,
  with their extract date, the ``data_until`` of the runs on them),
- runs (contract version, delivery, ``as_of``, library version, fingerprint,
  totals and the line table),
- invoices (number, period, payer, state ``draft``/``issued``/``paid``) whose
  lines never change once issued, and adjustments: when a later run restates
  a billed line, the difference goes on the next invoice, referring to the
  line it corrects and to the register rows that changed.

Needs the ``ledger`` extra: ``pip install 'impactbond[ledger]'``.  The command
line is ``impactbond ledger ...``.
"""

from impactbond.ledger._accounts import INVOICE_LINE_SCHEMA, ITEM_COLUMNS
from impactbond.ledger._db import DEFAULT_LEDGER
from impactbond.ledger._engine import DELIVERY_SCHEMAS, KEY_COLUMNS, LINE_SCHEMA
from impactbond.ledger._ledger import Ledger
from impactbond.ledger._records import (
    Cause,
    ContractVersion,
    Delivery,
    Invoice,
    JournalEntry,
    Run,
    RunCheck,
    RunDiff,
    Verification,
)

__all__ = [
    "DEFAULT_LEDGER",
    "DELIVERY_SCHEMAS",
    "INVOICE_LINE_SCHEMA",
    "ITEM_COLUMNS",
    "KEY_COLUMNS",
    "LINE_SCHEMA",
    "Cause",
    "ContractVersion",
    "Delivery",
    "Invoice",
    "JournalEntry",
    "Ledger",
    "Run",
    "RunCheck",
    "RunDiff",
    "Verification",
]
