"""Triggers that keep the record final: issued invoices and stored records never change.

The ledger's API never updates or deletes a stored record, but a ledger
shared on a database server can be written by other programs too, so the
database itself refuses:

- any UPDATE or DELETE of a blob, contract version, delivery, run or journal
  entry (and, on PostgreSQL, TRUNCATE of any ledger table);
- any change to an issued or paid invoice except the one step from
  ``issued`` to ``paid`` with its payment date, and deleting one;
- adding, changing or removing the adjustment causes of an invoice that is
  no longer a draft;
- changing the ledger's contract once the first contract version named it.

An invoice's lines are a content-addressed blob named by the invoice row, so
they are covered by the first two rules.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-15
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("blobs", "contract_versions", "deliveries", "runs", "journal")
ALL_TABLES = (*APPEND_ONLY, "ledger_info", "invoices", "adjustment_causes")

# Every column of an invoice except state and paid_on: fixed once it is issued.
FIXED = (
    "id",
    "number",
    "period",
    "period_start",
    "period_end",
    "payer",
    "run_id",
    "basis",
    "lines_blob",
    "line_count",
    "total_minor",
    "adjustments_minor",
    "currency",
    "issued_on",
    "recorded_at",
)

REFUSED = "impactbond ledger: "
# The statements below format in only this module's constants (table and column
# names, messages), never input.


def _sqlite_upgrade() -> None:
    for table in APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}{table} are never changed'); END"
            )
    op.execute(
        "CREATE TRIGGER ledger_info_final BEFORE UPDATE ON ledger_info "
        "WHEN OLD.contract_id IS NOT NULL "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}the ledger keeps one contract'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_info_no_delete BEFORE DELETE ON ledger_info "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}the ledger keeps one contract'); END"
    )
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in FIXED)
    op.execute(
        "CREATE TRIGGER invoices_final BEFORE UPDATE ON invoices "
        "WHEN OLD.state <> 'draft' AND NOT (OLD.state = 'issued' AND NEW.state = 'paid' "
        f"AND NEW.paid_on IS NOT NULL AND {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}an issued invoice never changes'); END"
    )
    op.execute(
        "CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices "
        "WHEN OLD.state <> 'draft' "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}an issued invoice never changes'); END"
    )
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER adjustment_causes_final_{event.lower()} "
            f"BEFORE {event} ON adjustment_causes "
            f"WHEN (SELECT state FROM invoices WHERE id = {row}.invoice_id) <> 'draft' "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSED}an issued invoice never changes'); END"
        )


def _postgresql_upgrade() -> None:
    op.execute(
        "CREATE FUNCTION impactbond_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$"
    )
    op.execute(
        "CREATE FUNCTION impactbond_causes_final() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE invoice integer; BEGIN "
        "IF TG_OP = 'INSERT' THEN invoice := NEW.invoice_id; ELSE invoice := OLD.invoice_id; END IF; "
        "IF (SELECT state FROM invoices WHERE id = invoice) <> 'draft' THEN "
        f"RAISE EXCEPTION '{REFUSED}an issued invoice never changes' "
        "USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION impactbond_refuse('{REFUSED}{table} are never changed')"
        )
    for table in ALL_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION impactbond_refuse('{REFUSED}{table} are never "
            "truncated')"
        )
    op.execute(
        "CREATE TRIGGER ledger_info_final BEFORE UPDATE ON ledger_info FOR EACH ROW "
        "WHEN (OLD.contract_id IS NOT NULL) "
        f"EXECUTE FUNCTION impactbond_refuse('{REFUSED}the ledger keeps one contract')"
    )
    op.execute(
        "CREATE TRIGGER ledger_info_no_delete BEFORE DELETE ON ledger_info FOR EACH ROW "
        f"EXECUTE FUNCTION impactbond_refuse('{REFUSED}the ledger keeps one contract')"
    )
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in FIXED)
    op.execute(
        "CREATE TRIGGER invoices_final BEFORE UPDATE ON invoices FOR EACH ROW "
        "WHEN (OLD.state <> 'draft' AND NOT (OLD.state = 'issued' AND NEW.state = 'paid' "
        f"AND NEW.paid_on IS NOT NULL AND {same})) "
        f"EXECUTE FUNCTION impactbond_refuse('{REFUSED}an issued invoice never changes')"
    )
    op.execute(
        "CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices FOR EACH ROW "
        "WHEN (OLD.state <> 'draft') "
        f"EXECUTE FUNCTION impactbond_refuse('{REFUSED}an issued invoice never changes')"
    )
    op.execute(
        "CREATE TRIGGER adjustment_causes_final BEFORE INSERT OR UPDATE OR DELETE "
        "ON adjustment_causes FOR EACH ROW EXECUTE FUNCTION impactbond_causes_final()"
    )


def upgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        _sqlite_upgrade()
    elif name == "postgresql":
        _postgresql_upgrade()
    else:  # pragma: no cover - the ledger opens only these two
        raise NotImplementedError(f"no immutability triggers for {name}")


def downgrade() -> None:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        names = [f"{t}_no_{e}" for t in APPEND_ONLY for e in ("update", "delete")]
        names += ["invoices_final", "invoices_no_delete", "ledger_info_final"]
        names += ["ledger_info_no_delete"]
        names += [f"adjustment_causes_final_{e}" for e in ("insert", "update", "delete")]
        for trigger in names:
            op.execute(f"DROP TRIGGER {trigger}")
    else:
        for table in ALL_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP TRIGGER ledger_info_final ON ledger_info")
        op.execute("DROP TRIGGER ledger_info_no_delete ON ledger_info")
        op.execute("DROP TRIGGER invoices_final ON invoices")
        op.execute("DROP TRIGGER invoices_no_delete ON invoices")
        op.execute("DROP TRIGGER adjustment_causes_final ON adjustment_causes")
        op.execute("DROP FUNCTION impactbond_causes_final()")
        op.execute("DROP FUNCTION impactbond_refuse()")
