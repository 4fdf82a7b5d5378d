"""The schema's revisions (Alembic, run programmatically; no ``alembic.ini``).

A ledger records its schema revision in Alembic's ``alembic_version`` table.
Opening a ledger at an older revision upgrades it, in one transaction that
holds the write lock; a ledger at a revision this code does not know was
written by a newer impactbond and is refused (:class:`LedgerSchemaTooNew`),
since an older library might misread or damage it.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from impactbond._version import __version__
from impactbond.errors import LedgerNotFound, LedgerSchemaTooNew

__all__ = ["SCRIPT_LOCATION", "check_revision", "current_revision", "head", "upgrade"]

#: The migrations shipped inside the package.
SCRIPT_LOCATION = "impactbond.ledger:migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest schema revision this code knows."""
    revision = _script().get_current_head()
    assert revision is not None
    return revision


def known_revisions() -> frozenset[str]:
    """Every schema revision this code knows."""
    return frozenset(r.revision for r in _script().walk_revisions())


def current_revision(connection: sa.Connection) -> str | None:
    """The ledger's schema revision, or None when the database holds no ledger."""
    return MigrationContext.configure(connection).get_current_revision()


def check_revision(revision: str | None, where: str) -> None:
    """Refuse a database that is no ledger, or a ledger from a newer impactbond."""
    if revision is None:
        raise LedgerNotFound(
            f"{where} holds no impactbond ledger; create one with `impactbond ledger init`",
            field="ledger",
        )
    if revision not in known_revisions():
        raise LedgerSchemaTooNew(
            f"{where} has schema revision {revision}, which impactbond {__version__} does not "
            f"know (its newest is {head()}): the ledger was written by a newer impactbond; "
            "upgrade impactbond to open it",
            field="ledger",
            rule="a ledger is opened only by a version that knows its schema",
        )


def upgrade(connection: sa.Connection, revision: str = "head") -> None:
    """Upgrade the schema on ``connection`` (inside its transaction) to ``revision``."""
    command.upgrade(_config(connection), revision)
