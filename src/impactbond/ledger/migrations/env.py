"""Alembic environment: migrations run on the connection the ledger hands over.

The ledger runs Alembic programmatically (``impactbond.ledger._migrate``) and
passes its open connection, inside the transaction that holds the ledger's
write lock, as ``config.attributes["connection"]``; there is no ``alembic.ini``.
"""

from alembic import context

from impactbond.ledger._schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
