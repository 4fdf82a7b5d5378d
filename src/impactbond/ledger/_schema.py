"""The ledger's tables (SQLAlchemy Core), as the migrations leave them.

The migrations in ``impactbond/ledger/migrations/versions`` create and alter
the tables; this module describes the result, for the queries.  A test holds
the two equal (Alembic's ``compare_metadata`` finds no difference).

Tables:

``ledger_info``
    One row: the contract the ledger keeps (set by the first contract
    version), its currency, and the library version that created the ledger.
    Every write locks this row first, so writers take turns.
``blobs``
    Content-addressed bytes (Parquet files): the key is the sha256 of the
    canonical serialisation of the table inside (see ``_canonical``), so the
    same data is stored once and any change to it is detectable.
``contract_versions``
    The contract file's text, its sha256, the date from which it applies and
    a note.  An amendment is a new row; no row is ever changed.
``deliveries``
    A register extract: its source, extract date (``data_until``), content
    hash, row counts and the blobs of its three canonical tables.
``runs``
    A settlement of one contract version on one delivery at ``as_of``: the
    library version, the fingerprint, the totals and the blob of its lines.
``invoices``
    Number (issued invoices only), period, payer, run, state (``draft``,
    ``issued``, ``paid``), dates, totals and the blob of its lines (new lines
    and adjustments).  Once issued only the step to ``paid`` is allowed.
``adjustment_causes``
    For each participant with an adjustment on an invoice: the register rows
    that were removed or added between the billed delivery and the new one,
    or the contract amendment, that changed the money.
``journal``
    Every operation, in order: what was done, to which record.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "INVOICE_STATES",
    "adjustment_causes",
    "blobs",
    "contract_versions",
    "deliveries",
    "invoices",
    "journal",
    "ledger_info",
    "metadata",
    "runs",
]

#: Constraint names follow one convention so that migrations can name them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

INVOICE_STATES = ("draft", "issued", "paid")

metadata = sa.MetaData(naming_convention=NAMING)

Sha = sa.String(64)
Stamp = sa.DateTime(timezone=True)

ledger_info = sa.Table(
    "ledger_info",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("contract_id", sa.String(200)),
    sa.Column("currency", sa.String(3)),
    sa.Column("created_by", sa.String(40), nullable=False),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", Sha, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

contract_versions = sa.Table(
    "contract_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("contract_id", sa.String(200), nullable=False),
    sa.Column("sha256", Sha, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("effective", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("library_version", sa.String(40), nullable=False),
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.Index("ix_contract_versions_effective", "effective"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("extract_date", sa.Date, nullable=False),
    sa.Column("sha256", Sha, nullable=False),
    sa.Column("participants_blob", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("spells_blob", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("events_blob", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("participant_rows", sa.Integer, nullable=False),
    sa.Column("spell_rows", sa.Integer, nullable=False),
    sa.Column("event_rows", sa.Integer, nullable=False),
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.Index("ix_deliveries_extract_date", "extract_date"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "contract_version_id", sa.Integer, sa.ForeignKey("contract_versions.id"), nullable=False
    ),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("data_until", sa.Date, nullable=False),
    sa.Column("library_version", sa.String(40), nullable=False),
    sa.Column("fingerprint", Sha, nullable=False),
    sa.Column("lines_blob", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("due_minor", sa.BigInteger, nullable=False),
    sa.Column("accrued_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("recorded_at", Stamp, nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.Integer, unique=True),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("period", sa.Integer, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("payer", sa.String(200), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("basis", sa.Integer, nullable=False),
    sa.Column("lines_blob", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("adjustments_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("issued_on", sa.Date),
    sa.Column("paid_on", sa.Date),
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.CheckConstraint("state IN ('draft', 'issued', 'paid')", name="state"),
    sa.CheckConstraint(
        "(state = 'draft' AND number IS NULL AND issued_on IS NULL)"
        " OR (state <> 'draft' AND number IS NOT NULL AND issued_on IS NOT NULL)",
        name="issued_has_number",
    ),
    sa.CheckConstraint("(state = 'paid') = (paid_on IS NOT NULL)", name="paid_has_date"),
)

adjustment_causes = sa.Table(
    "adjustment_causes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("participant_id", sa.String(200), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("change", sa.String(10), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_adjustment_causes_invoice", "invoice_id", "participant_id"),
)

journal = sa.Table(
    "journal",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recorded_at", Stamp, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("subject", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)
