"""Alembic migrations of the ledger's schema, run by :mod:`impactbond.ledger._migrate`."""
