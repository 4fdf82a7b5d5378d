"""The ledger's tables: contract versions, deliveries, runs, invoices, blobs, journal.

Revision ID: 0001
Revises:
Create Date: 2026-01-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from impactbond._version import __version__

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Sha = sa.String(64)
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    info = op.create_table(
        "ledger_info",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("contract_id", sa.String(200)),
        sa.Column("currency", sa.String(3)),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_info"),
    )
    op.bulk_insert(
        info, [{"id": 1, "contract_id": None, "currency": None, "created_by": __version__}]
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", Sha),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_table(
        "contract_versions",
        sa.Column("id", sa.Integer),
        sa.Column("contract_id", sa.String(200), nullable=False),
        sa.Column("sha256", Sha, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("library_version", sa.String(40), nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contract_versions"),
    )
    op.create_index("ix_contract_versions_effective", "contract_versions", ["effective"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("extract_date", sa.Date, nullable=False),
        sa.Column("sha256", Sha, nullable=False),
        sa.Column("participants_blob", Sha, nullable=False),
        sa.Column("spells_blob", Sha, nullable=False),
        sa.Column("events_blob", Sha, nullable=False),
        sa.Column("participant_rows", sa.Integer, nullable=False),
        sa.Column("spell_rows", sa.Integer, nullable=False),
        sa.Column("event_rows", sa.Integer, nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        *(
            sa.ForeignKeyConstraint(
                [column], ["blobs.sha256"], name=f"fk_deliveries_{column}_blobs"
            )
            for column in ("participants_blob", "spells_blob", "events_blob")
        ),
    )
    op.create_index("ix_deliveries_extract_date", "deliveries", ["extract_date"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer),
        sa.Column("contract_version_id", sa.Integer, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("data_until", sa.Date, nullable=False),
        sa.Column("library_version", sa.String(40), nullable=False),
        sa.Column("fingerprint", Sha, nullable=False),
        sa.Column("lines_blob", Sha, nullable=False),
        sa.Column("line_count", sa.Integer, nullable=False),
        sa.Column("due_minor", sa.BigInteger, nullable=False),
        sa.Column("accrued_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["contract_version_id"],
            ["contract_versions.id"],
            name="fk_runs_contract_version_id_contract_versions",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_runs_delivery_id_deliveries"
        ),
        sa.ForeignKeyConstraint(["lines_blob"], ["blobs.sha256"], name="fk_runs_lines_blob_blobs"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer),
        sa.Column("number", sa.Integer),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("payer", sa.String(200), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("basis", sa.Integer, nullable=False),
        sa.Column("lines_blob", Sha, nullable=False),
        sa.Column("line_count", sa.Integer, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("adjustments_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("paid_on", sa.Date),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_invoices_run_id_runs"),
        sa.ForeignKeyConstraint(
            ["lines_blob"], ["blobs.sha256"], name="fk_invoices_lines_blob_blobs"
        ),
        sa.CheckConstraint("state IN ('draft', 'issued', 'paid')", name="ck_invoices_state"),
        sa.CheckConstraint(
            "(state = 'draft' AND number IS NULL AND issued_on IS NULL)"
            " OR (state <> 'draft' AND number IS NOT NULL AND issued_on IS NOT NULL)",
            name="ck_invoices_issued_has_number",
        ),
        sa.CheckConstraint(
            "(state = 'paid') = (paid_on IS NOT NULL)", name="ck_invoices_paid_has_date"
        ),
    )
    op.create_table(
        "adjustment_causes",
        sa.Column("id", sa.Integer),
        sa.Column("invoice_id", sa.Integer, nullable=False),
        sa.Column("participant_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_adjustment_causes"),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_adjustment_causes_invoice_id_invoices"
        ),
    )
    op.create_index(
        "ix_adjustment_causes_invoice", "adjustment_causes", ["invoice_id", "participant_id"]
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal"),
    )


def downgrade() -> None:
    for table in (
        "journal",
        "adjustment_causes",
        "invoices",
        "runs",
        "deliveries",
        "contract_versions",
        "blobs",
        "ledger_info",
    ):
        op.drop_table(table)
