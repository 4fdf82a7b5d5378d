"""Where a ledger lives, how it is opened, and how writers take turns.

A ledger is a SQLite file (the default, ``impactbond-ledger.sqlite`` in the
working directory) or a PostgreSQL database named by a URL
(``postgresql://user@host/db``, driven by psycopg 3).  The same SQLAlchemy
Core statements run on both.

SQLite is opened in WAL mode (readers never wait for the writer), with
foreign keys on, ``synchronous=FULL`` (a committed transaction survives a
crash of the machine, not only of the process) and a busy timeout.  Every
write transaction starts with ``BEGIN IMMEDIATE``, so it holds the file's
write lock from its first statement; on PostgreSQL it first takes a
transaction-level advisory lock (``pg_advisory_xact_lock``).  Either way
writers take turns, and a writer sees everything committed before it
started.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from impactbond.errors import LedgerBusy, LedgerError, LedgerNotFound

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DEFAULT_LEDGER",
    "Target",
    "create_engine",
    "describe",
    "is_sqlite",
    "reading",
    "sqlite_path",
    "to_url",
    "translate",
    "writing",
]

#: The ledger a command uses without ``--ledger``: this file in the working directory.
DEFAULT_LEDGER = "impactbond-ledger.sqlite"

#: How long a writer waits for another writer before giving up with LedgerBusy.
BUSY_TIMEOUT_SECONDS = 30.0

Target = str | os.PathLike[str]

_WRITE = "impactbond_ledger_write"
_REFUSED = "impactbond ledger: "


def to_url(target: Target) -> sa.URL:
    """The SQLAlchemy URL of a path or a URL (``postgresql://`` uses psycopg 3).

    >>> to_url("books/ledger.sqlite").render_as_string()
    'sqlite:///books/ledger.sqlite'
    >>> to_url("postgresql://ledger@localhost:5432/sib").drivername
    'postgresql+psycopg'
    """
    text = os.fspath(target)
    if "://" not in text:
        return sa.URL.create("sqlite", database=text)
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise LedgerNotFound(
            "the ledger URL cannot be read", field="ledger", rule="a path or a database URL"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise LedgerNotFound(
        f"a ledger is a SQLite file or a PostgreSQL database, not {backend}",
        field="ledger",
        rule="a path or a postgresql:// URL",
    )


def describe(url: sa.URL) -> str:
    """The URL for messages: a path for SQLite, the URL without its password otherwise."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def is_sqlite(engine: sa.Engine) -> bool:
    """True when the ledger is a SQLite file."""
    return engine.dialect.name == "sqlite"


def sqlite_path(url: sa.URL) -> Path | None:
    """The file of a SQLite ledger (None for PostgreSQL or an in-memory database)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module: the "begin" hook emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_engine(url: sa.URL) -> sa.Engine:
    """An engine for the ledger at ``url`` (SQLite pragmas and BEGIN hooks installed)."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, connect_args={"connect_timeout": 10})


def translate(error: sa.exc.DBAPIError, where: str) -> LedgerError:
    """A database error as the ledger's typed error (the message, never the SQL)."""
    text = str(error.orig)
    if _REFUSED in text:
        message = text[text.index(_REFUSED) + len(_REFUSED) :].splitlines()[0]
        return LedgerError(f"{where}: the database refused the change: {message}")
    lowered = text.lower()
    if "locked" in lowered or "lock timeout" in lowered or "could not obtain lock" in lowered:
        return LedgerBusy(
            f"{where}: another process is writing the ledger; nothing was changed, try again"
        )
    if isinstance(error, sa.exc.IntegrityError):
        return LedgerBusy(
            f"{where}: another process recorded the same thing at the same time; "
            "nothing of this operation was kept"
        )
    if "not a database" in lowered or "file is encrypted" in lowered:
        return LedgerNotFound(f"{where} is not an impactbond ledger", field="ledger")
    return LedgerError(f"{where}: the database failed: {text.splitlines()[0] if text else error}")


@contextmanager
def reading(engine: sa.Engine, where: str) -> Iterator[sa.Connection]:
    """A connection in one read transaction (one consistent snapshot)."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    except sa.exc.DBAPIError as error:
        raise translate(error, where) from None


@contextmanager
def writing(engine: sa.Engine, where: str) -> Iterator[sa.Connection]:
    """A connection in one write transaction that holds the ledger's write lock.

    Everything written inside is committed together when the block ends, or
    not at all (an exception, a killed process).
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(BUSY_TIMEOUT_SECONDS)}s'")
                    # One constant key: every writer of this database takes turns,
                    # schema upgrades included.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(6901)")
                yield conn
    except sa.exc.DBAPIError as error:
        raise translate(error, where) from None
