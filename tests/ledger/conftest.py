"""Fixtures of the ledger tests: a real PostgreSQL server, and a fresh ledger on each backend.

The session starts its own PostgreSQL server: ``initdb`` into a temporary
folder and ``pg_ctl start`` on a free loopback port, stopped and removed at
the end.  The binaries are the Debian package's (``/usr/lib/postgresql/*/bin``;
``scripts/check.sh`` installs the package where they are missing).  initdb
refuses to run as root, so as root the server runs as the package's
``postgres`` user (``runuser``).  The server is tuned for tests (no fsync):
the crash tests kill the client, never the server.

Every test that takes ``target`` runs twice, on a SQLite file and on a new
database of that server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def _bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which:
        return Path(which).parent
    pytest.fail(
        "the PostgreSQL server binaries (initdb, pg_ctl) are missing: install the Debian package "
        "`postgresql` (scripts/check.sh does so as root)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A PostgreSQL server of the test session; ``database()`` makes a fresh database."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="impactbond-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            self.bindir / "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "impactbond",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        self.base = f"postgresql://impactbond@127.0.0.1:{self.port}"

    def _run(self, *command: object) -> None:
        done = subprocess.run(
            [*self.as_user, *map(str, command)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def _admin(self, statement: object) -> None:
        import psycopg

        with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def database(self) -> str:
        """A new, empty database; its URL."""
        from psycopg import sql

        name = f"ledger_{uuid.uuid4().hex[:16]}"
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"{self.base}/{name}"

    def drop(self, url: str) -> None:
        from psycopg import sql

        name = url.rsplit("/", 1)[1]
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


class Targets:
    """Makes fresh ledger locations on one backend (a SQLite path or a PostgreSQL URL)."""

    def __init__(self, backend: str, folder: Path, server: PostgresServer | None) -> None:
        self.backend = backend
        self.folder = folder
        self.server = server
        self.made: list[str] = []

    def new(self) -> str:
        if self.server is None:
            target = str(self.folder / f"ledger-{uuid.uuid4().hex[:8]}.sqlite")
        else:
            target = self.server.database()
        self.made.append(target)
        return target

    def cleanup(self) -> None:
        if self.server is not None:
            for url in self.made:
                self.server.drop(url)


@pytest.fixture(params=BACKENDS)
def targets(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Targets]:
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    made = Targets(request.param, tmp_path, server)
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture
def target(targets: Targets) -> str:
    """Where a new ledger can be made: a SQLite path or the URL of an empty database."""
    return targets.new()
