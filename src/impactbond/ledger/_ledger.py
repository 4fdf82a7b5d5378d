"""The ledger: a running contract's system of record."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from impactbond._version import __version__
from impactbond.domain._validators import FIRST_DAY, LAST_DAY
from impactbond.domain.contract import Contract
from impactbond.domain.participant import looks_like_cpr
from impactbond.errors import (
    CPRNumberRefused,
    InvalidContract,
    InvalidInput,
    LedgerError,
    LedgerNotFound,
    NothingToInvoice,
    UnknownRecord,
)
from impactbond.io._files import printable
from impactbond.io.contract_file import loads_contract
from impactbond.ledger import _db, _engine, _migrate
from impactbond.ledger._accounts import (
    billed_items,
    open_items,
    row_changes,
)
from impactbond.ledger._canonical import digest_parts, table_digest
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
from impactbond.ledger._schema import (
    adjustment_causes,
    blobs,
    contract_versions,
    deliveries,
    invoices,
    journal,
    ledger_info,
    runs,
)
from impactbond.money import Money

if TYPE_CHECKING:
    from impactbond.io.tables import Dialect

__all__ = ["Ledger"]

Source = str | os.PathLike[str]


def _now() -> datetime:
    # When a record was written (an audit fact), never an evaluation date.
    return datetime.now(UTC)


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=1 << 20)
    return sink.getvalue()


def _check_date(value: object, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{field} must be a date", field=field)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(
            f"{field} {value} lies outside {FIRST_DAY}..{LAST_DAY}",
            field=field,
            rule="a ledger's dates lie between 1900 and 2200, as register dates do",
        )
    return value


#: The longest delivery source name and contract note the ledger keeps.
MAX_SOURCE = 200
MAX_NOTE = 2000


def _check_text(value: object, field: str, limit: int, *, empty: bool) -> str:
    """A source name or note fit to keep and to print: text, within ``limit`` characters,
    no control characters, and nothing shaped like a CPR number (which is never echoed)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    if not empty and not value.strip():
        raise InvalidInput(f"{field} is empty", field=field, rule=f"a delivery names its {field}")
    if len(value) > limit:
        raise InvalidInput(
            f"{field} is {len(value):,} characters long; at most {limit:,}",
            field=field,
            rule=f"a {field} is at most {limit:,} characters",
        )
    if printable(value, keep_newlines=field != "source") != value:
        raise InvalidInput(
            f"{field} contains a control character",
            field=field,
            rule=f"a {field} is printable text",
        )
    if looks_like_cpr(value):
        raise CPRNumberRefused(
            f"{field} contains something shaped like a Danish CPR number; the ledger does not "
            "keep CPR numbers",
            field=field,
            rule="the ledger keeps pseudonyms, never CPR numbers",
        )
    return value


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Ledger:
    """A running contract kept in a database: its versions, deliveries, runs and invoices.

    Open one with :meth:`Ledger.open` (or create one with :meth:`Ledger.init`);
    the target is a SQLite file path (default :data:`DEFAULT_LEDGER` in the
    working directory) or a ``postgresql://`` URL.  Every operation is one
    transaction: it is recorded completely or not at all, and a refused
    operation leaves the ledger as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import date
    >>> from impactbond.examples import nyborg_paths
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths = nyborg_paths()
    >>> with Ledger.init(folder / "nyborg.sqlite") as ledger:
    ...     version = ledger.add_contract(paths.contract)
    ...     delivery = ledger.ingest(paths.spells, paths.participants,
    ...                              extract_date=date(2026, 6, 30), source="register")
    ...     run = ledger.run(as_of=date(2026, 7, 1))
    ...     invoice = ledger.invoice()
    >>> invoice.number, invoice.state, invoice.total == run.due
    (1, 'issued', True)
    """

    def __init__(self, engine: sa.Engine, url: sa.URL) -> None:
        self._engine = engine
        self._url = url
        self.where = _db.describe(url)
        """The ledger's file, or its URL without the password (for messages)."""

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def init(cls, target: Source = _db.DEFAULT_LEDGER) -> Ledger:
        """Create a new, empty ledger at ``target`` and open it.

        Refuses (:class:`~impactbond.errors.LedgerError`) when a ledger or any
        other tables are already there.
        """
        url = _db.to_url(target)
        path = _db.sqlite_path(url)
        where = _db.describe(url)
        if path is not None:
            if path.exists() and path.stat().st_size > 0:
                raise LedgerError(f"{where} already exists; open it instead", field="ledger")
            if not path.parent.is_dir():
                raise LedgerNotFound(f"the folder of {where} does not exist", field="ledger")
        engine = _db.create_engine(url)
        try:
            with _db.writing(engine, where) as conn:
                if sa.inspect(conn).get_table_names():
                    raise LedgerError(
                        f"{where} is not empty; a ledger gets a database of its own",
                        field="ledger",
                    )
                _migrate.upgrade(conn)
                cls._journal(conn, "init", 0, {"revision": _migrate.head()})
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    @classmethod
    def open(cls, target: Source = _db.DEFAULT_LEDGER) -> Ledger:
        """Open the ledger at ``target``, upgrading its schema if it is older than this code's.

        Raises :class:`~impactbond.errors.LedgerNotFound` when there is no
        ledger and :class:`~impactbond.errors.LedgerSchemaTooNew` when a newer
        impactbond wrote it.
        """
        url = _db.to_url(target)
        path = _db.sqlite_path(url)
        where = _db.describe(url)
        if path is not None and not path.is_file():
            raise LedgerNotFound(
                f"no ledger at {where}; create one with `impactbond ledger init {where}`",
                field="ledger",
            )
        engine = _db.create_engine(url)
        try:
            with _db.reading(engine, where) as conn:
                revision = _migrate.current_revision(conn)
            _migrate.check_revision(revision, where)
            if revision != _migrate.head():
                with _db.writing(engine, where) as conn:
                    revision = _migrate.current_revision(conn)
                    _migrate.check_revision(revision, where)
                    if revision != _migrate.head():
                        _migrate.upgrade(conn)
                        cls._journal(conn, "upgrade", 0, {"from": revision, "to": _migrate.head()})
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    def close(self) -> None:
        """Close the ledger's connections."""
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ledger {self.where}>"

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for reading the tables directly)."""
        return self._engine

    @property
    def revision(self) -> str | None:
        """The schema revision of the ledger."""
        with self._reading() as conn:
            return _migrate.current_revision(conn)

    def _reading(self) -> Any:
        return _db.reading(self._engine, self.where)

    def _writing(self) -> Any:
        return _db.writing(self._engine, self.where)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _journal(conn: sa.Connection, action: str, subject: int, detail: Mapping[str, Any]) -> None:
        conn.execute(
            journal.insert().values(
                recorded_at=_now(), action=action, subject=subject, detail=_json(detail)
            )
        )

    @staticmethod
    def _put_blob(conn: sa.Connection, digest: str, data: bytes) -> None:
        exists = conn.execute(sa.select(blobs.c.sha256).where(blobs.c.sha256 == digest)).first()
        if exists is None:
            conn.execute(blobs.insert().values(sha256=digest, size=len(data), data=data))

    @staticmethod
    def _get_blob(conn: sa.Connection, digest: str) -> pa.Table:
        row = conn.execute(sa.select(blobs.c.data).where(blobs.c.sha256 == digest)).first()
        if row is None:
            raise LedgerError(f"blob {digest[:12]} is missing from the ledger")
        return pq.read_table(pa.BufferReader(row[0]))

    def _info(self, conn: sa.Connection) -> sa.Row[Any]:
        return conn.execute(sa.select(ledger_info)).one()

    # -- contract versions -----------------------------------------------------------------------

    def add_contract(
        self, path: Source, *, effective: date | None = None, note: str = ""
    ) -> ContractVersion:
        """Add a version of the contract from its TOML file.

        ``effective`` is the first ``as_of`` the version applies to (default:
        the contract's term start, i.e. the whole term).  The text of the newest
        version with the same effective date again is a no-op (``created`` is False).  A
        ledger keeps one contract: a file with another contract id or
        currency is refused.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidContract(f"{file}: cannot be read: {error}", field="contract") from None
        return self.add_contract_text(text, effective=effective, note=note, source=str(file))

    def add_contract_text(
        self,
        text: str,
        *,
        effective: date | None = None,
        note: str = "",
        source: str = "<text>",
    ) -> ContractVersion:
        """Add a version of the contract from TOML text (see :meth:`add_contract`)."""
        contract = loads_contract(text, source=source)
        if effective is not None:
            _check_date(effective, "effective")
        _check_text(note, "note", MAX_NOTE, empty=True)
        when = contract.term_start if effective is None else effective
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._writing() as conn:
            info = self._info(conn)
            if info.contract_id is not None and info.contract_id != contract.id:
                raise LedgerError(
                    f"{self.where} keeps contract {info.contract_id!r}, not {contract.id!r}; "
                    "a ledger keeps one contract",
                    field="contract",
                )
            if info.currency is not None and info.currency != contract.currency:
                raise LedgerError(
                    f"contract {contract.id} is in {info.currency}; an amendment cannot change "
                    f"the currency to {contract.currency}",
                    field="currency",
                )
            # A no-op when the newest version of that effective date has the same text (a
            # return to older terms after an amendment is a version of its own).
            latest = conn.execute(
                sa.select(contract_versions.c.id, contract_versions.c.sha256)
                .where(contract_versions.c.effective == when)
                .order_by(contract_versions.c.id.desc())
                .limit(1)
            ).first()
            if latest is not None and latest.sha256 == digest:
                return self._contract_version(conn, latest.id)
            if info.contract_id is None:
                conn.execute(
                    ledger_info.update()
                    .where(ledger_info.c.id == 1)
                    .values(contract_id=contract.id, currency=contract.currency)
                )
            new_id = _insert(
                conn,
                contract_versions.insert().values(
                    contract_id=contract.id,
                    sha256=digest,
                    text=text,
                    effective=when,
                    note=note,
                    library_version=__version__,
                    recorded_at=_now(),
                ),
            )
            self._journal(
                conn,
                "contract",
                new_id,
                {"contract": contract.id, "sha256": digest, "effective": when, "note": note},
            )
            version = self._contract_version(conn, new_id)
        return ContractVersion(**{**_fields(version), "created": True})

    def _contract_version(self, conn: sa.Connection, version_id: int) -> ContractVersion:
        row = conn.execute(
            sa.select(contract_versions).where(contract_versions.c.id == version_id)
        ).first()
        if row is None:
            raise UnknownRecord(
                f"contract version {version_id} is not in the ledger", field="contract_version"
            )
        return ContractVersion(
            id=row.id,
            contract_id=row.contract_id,
            sha256=row.sha256,
            effective=row.effective,
            note=row.note,
            library_version=row.library_version,
            recorded_at=row.recorded_at,
            text=row.text,
        )

    def contract_versions(self) -> list[ContractVersion]:
        """Every version of the contract, oldest first."""
        with self._reading() as conn:
            ids = conn.execute(sa.select(contract_versions.c.id).order_by("id")).scalars()
            return [self._contract_version(conn, i) for i in ids]

    def contract(self, version: int | None = None) -> Contract:
        """The contract of a version (default: the newest)."""
        versions = self.contract_versions()
        if not versions:
            raise UnknownRecord("the ledger has no contract yet", field="contract_version")
        chosen = versions[-1] if version is None else None
        for v in versions:
            if v.id == version:
                chosen = v
        if chosen is None:
            raise UnknownRecord(
                f"contract version {version} is not in the ledger", field="contract_version"
            )
        return loads_contract(chosen.text, source=f"contract version {chosen.id}")

    # -- deliveries ------------------------------------------------------------------------------

    def ingest(
        self,
        spells: Source,
        participants: Source | None = None,
        events: Source | None = None,
        *,
        extract_date: date,
        source: str,
        dialect: Dialect | None = None,
        sheet: str | None = None,
        dream: Callable[[Any], Any] | None = None,
    ) -> Delivery:
        """Store a register delivery read from files (CSV, Excel, Parquet, Arrow).

        ``extract_date`` is the last day the data cover (the runs' ``data_until``).
        ``dialect`` (separator, encoding, decimal mark, date format), ``sheet``
        and ``dream`` (a DREAM extract's reader) are those of
        :func:`impactbond.io.register_tables.read_register`.  Ingesting the
        same data as the latest delivery of that extract date again is a no-op
        (``created`` is False); the data are stored once however often they are
        delivered: the ledger keeps the canonical tables, so the same data in
        another format or dialect is the same delivery.
        """
        _check_date(extract_date, "extract_date")
        self._check_source(source)
        tables = _engine.read_delivery(
            spells, participants, events, dialect=dialect, sheet=sheet, dream=dream
        )
        return self._store_delivery(tables, extract_date=extract_date, source=source)

    def ingest_tables(
        self, tables: Mapping[str, pa.Table], *, extract_date: date, source: str
    ) -> Delivery:
        """Store a register delivery given as canonical tables (``participants``, ``spells``,
        ``events``); every row is checked as a reader would."""
        _check_date(extract_date, "extract_date")
        self._check_source(source)
        try:
            canonical = _engine.canonical(tables)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as error:
            raise InvalidInput(
                f"the delivery's tables do not have the canonical columns: {error}",
                field="tables",
            ) from None
        checked = _engine.checked_tables(canonical)
        return self._store_delivery(checked, extract_date=extract_date, source=source)

    @staticmethod
    def _check_source(source: object) -> None:
        _check_text(source, "source", MAX_SOURCE, empty=False)

    def _store_delivery(
        self, tables: Mapping[str, pa.Table], *, extract_date: date, source: str
    ) -> Delivery:
        digests = {name: table_digest(t) for name, t in tables.items()}
        content = digest_parts("impactbond-delivery", tables, {})
        files = {name: _parquet(t) for name, t in tables.items()}
        with self._writing() as conn:
            # A no-op when this extract date's latest delivery holds the same data.  The
            # same data after a different delivery of that date (a revision taken back)
            # is a delivery of its own, so that it becomes the latest again.
            latest = conn.execute(
                sa.select(deliveries.c.id, deliveries.c.sha256)
                .where(deliveries.c.extract_date == extract_date)
                .order_by(deliveries.c.id.desc())
                .limit(1)
            ).first()
            if latest is not None and latest.sha256 == content:
                return self._delivery(conn, latest.id)
            for name in tables:
                self._put_blob(conn, digests[name], files[name])
            new_id = _insert(
                conn,
                deliveries.insert().values(
                    source=source,
                    extract_date=extract_date,
                    sha256=content,
                    participants_blob=digests["participants"],
                    spells_blob=digests["spells"],
                    events_blob=digests["events"],
                    participant_rows=tables["participants"].num_rows,
                    spell_rows=tables["spells"].num_rows,
                    event_rows=tables["events"].num_rows,
                    recorded_at=_now(),
                ),
            )
            self._journal(
                conn,
                "ingest",
                new_id,
                {"source": source, "extract_date": extract_date, "sha256": content},
            )
            delivery = self._delivery(conn, new_id)
        return Delivery(**{**_fields(delivery), "created": True})

    def _delivery(self, conn: sa.Connection, delivery_id: int) -> Delivery:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
        if row is None:
            raise UnknownRecord(f"delivery {delivery_id} is not in the ledger", field="delivery")
        return Delivery(
            id=row.id,
            source=row.source,
            extract_date=row.extract_date,
            sha256=row.sha256,
            participant_rows=row.participant_rows,
            spell_rows=row.spell_rows,
            event_rows=row.event_rows,
            recorded_at=row.recorded_at,
        )

    def deliveries(self) -> list[Delivery]:
        """Every delivery, in the order they were ingested."""
        with self._reading() as conn:
            ids = conn.execute(sa.select(deliveries.c.id).order_by("id")).scalars().all()
            return [self._delivery(conn, i) for i in ids]

    def _delivery_tables(self, conn: sa.Connection, delivery_id: int) -> dict[str, pa.Table]:
        row = conn.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).first()
        if row is None:
            raise UnknownRecord(f"delivery {delivery_id} is not in the ledger", field="delivery")
        return {
            name: self._get_blob(conn, getattr(row, f"{name}_blob"))
            for name in _engine.DELIVERY_SCHEMAS
        }

    def delivery_tables(self, delivery: int) -> dict[str, pa.Table]:
        """The canonical tables of a stored delivery, exactly as ingested."""
        with self._reading() as conn:
            return self._delivery_tables(conn, delivery)

    # -- runs ------------------------------------------------------------------------------------

    def run(
        self, as_of: date, *, contract_version: int | None = None, delivery: int | None = None
    ) -> Run:
        """Settle the contract on a delivery at ``as_of`` and store the result.

        By default the contract version is the newest whose effective date is
        on or before ``as_of``, and the delivery the newest whose extract date
        is on or before ``as_of`` (the last one ingested among equals).
        """
        _check_date(as_of, "as_of")
        with self._reading() as conn:
            version = self._pick_version(conn, as_of, contract_version)
            chosen = self._pick_delivery(conn, as_of, delivery)
            tables = self._delivery_tables(conn, chosen.id)
        contract = loads_contract(version.text, source=f"contract version {version.id}")
        settlement = _engine.settle_delivery(
            contract, tables, as_of=as_of, data_until=chosen.extract_date
        )
        lines = _engine.line_table(settlement)
        run_totals = _engine.totals(settlement)
        fingerprint = _engine.fingerprint(lines, run_totals)
        lines_digest = table_digest(lines)
        data = _parquet(lines)
        with self._writing() as conn:
            self._put_blob(conn, lines_digest, data)
            new_id = _insert(
                conn,
                runs.insert().values(
                    contract_version_id=version.id,
                    delivery_id=chosen.id,
                    as_of=as_of,
                    data_until=chosen.extract_date,
                    library_version=__version__,
                    fingerprint=fingerprint,
                    lines_blob=lines_digest,
                    line_count=lines.num_rows,
                    due_minor=run_totals["due"],
                    accrued_minor=run_totals["accrued"],
                    currency=contract.currency,
                    recorded_at=_now(),
                ),
            )
            self._journal(
                conn,
                "run",
                new_id,
                {
                    "as_of": as_of,
                    "contract_version": version.id,
                    "delivery": chosen.id,
                    "fingerprint": fingerprint,
                },
            )
            return self._run(conn, new_id)

    def _pick_version(
        self, conn: sa.Connection, as_of: date, version_id: int | None
    ) -> ContractVersion:
        if version_id is not None:
            return self._contract_version(conn, version_id)
        row = conn.execute(
            sa.select(contract_versions.c.id)
            .where(contract_versions.c.effective <= as_of)
            .order_by(contract_versions.c.effective.desc(), contract_versions.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise LedgerError(
                f"no contract version applies on {as_of}; add the contract first "
                "(`impactbond ledger contract add`)",
                field="as_of",
            )
        return self._contract_version(conn, row.id)

    def _pick_delivery(self, conn: sa.Connection, as_of: date, delivery_id: int | None) -> Delivery:
        if delivery_id is not None:
            return self._delivery(conn, delivery_id)
        row = conn.execute(
            sa.select(deliveries.c.id)
            .where(deliveries.c.extract_date < as_of)
            .order_by(deliveries.c.extract_date.desc(), deliveries.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise LedgerError(
                f"no delivery extracted before {as_of} (a run sees data up to the day before "
                "its as_of); ingest one first "
                "(`impactbond ledger ingest`)",
                field="as_of",
            )
        return self._delivery(conn, row.id)

    def _run(self, conn: sa.Connection, run_id: int) -> Run:
        row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise UnknownRecord(f"run {run_id} is not in the ledger", field="run")
        return Run(
            id=row.id,
            contract_version=row.contract_version_id,
            delivery=row.delivery_id,
            as_of=row.as_of,
            data_until=row.data_until,
            library_version=row.library_version,
            fingerprint=row.fingerprint,
            line_count=row.line_count,
            due=Money.from_minor_units(row.due_minor, row.currency),
            accrued=Money.from_minor_units(row.accrued_minor, row.currency),
            recorded_at=row.recorded_at,
        )

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        with self._reading() as conn:
            ids = conn.execute(sa.select(runs.c.id).order_by("id")).scalars().all()
            return [self._run(conn, i) for i in ids]

    def get_run(self, run: int) -> Run:
        """One run."""
        with self._reading() as conn:
            return self._run(conn, run)

    def _run_lines(self, conn: sa.Connection, run_id: int) -> pa.Table:
        digest = conn.execute(sa.select(runs.c.lines_blob).where(runs.c.id == run_id)).scalar()
        if digest is None:
            raise UnknownRecord(f"run {run_id} is not in the ledger", field="run")
        return self._get_blob(conn, digest)

    def lines(self, run: int | None = None) -> pa.Table:
        """The line table of a run (default: the latest), as stored.

        One row per line, sorted by the key ``(participant_id, scenario,
        cohort, rule, outcome, period_start, occurrence)``; amounts in minor
        units (see :data:`~impactbond.ledger.LINE_SCHEMA`).
        """
        with self._reading() as conn:
            return self._run_lines(conn, self._latest_run_id(conn) if run is None else run)

    def _latest_run_id(self, conn: sa.Connection) -> int:
        latest = conn.execute(sa.select(sa.func.max(runs.c.id))).scalar()
        if latest is None:
            raise LedgerError("the ledger has no run yet (`impactbond ledger run`)", field="run")
        return int(latest)

    # -- invoices --------------------------------------------------------------------------------

    def _invoice(self, conn: sa.Connection, invoice_id: int) -> Invoice:
        row = conn.execute(sa.select(invoices).where(invoices.c.id == invoice_id)).first()
        if row is None:
            raise UnknownRecord(f"invoice {invoice_id} is not in the ledger", field="invoice")
        return Invoice(
            id=row.id,
            number=row.number,
            state=row.state,
            period=row.period,
            period_start=row.period_start,
            period_end=row.period_end,
            payer=row.payer,
            run=row.run_id,
            line_count=row.line_count,
            total=Money.from_minor_units(row.total_minor, row.currency),
            adjustments=Money.from_minor_units(row.adjustments_minor, row.currency),
            issued_on=row.issued_on,
            paid_on=row.paid_on,
            recorded_at=row.recorded_at,
        )

    def invoices(self) -> list[Invoice]:
        """Every invoice (drafts included), in the order they were made."""
        with self._reading() as conn:
            ids = conn.execute(sa.select(invoices.c.id).order_by("id")).scalars().all()
            return [self._invoice(conn, i) for i in ids]

    def get_invoice(self, number: int) -> Invoice:
        """The issued invoice with this number."""
        with self._reading() as conn:
            return self._invoice(conn, self._invoice_id(conn, number))

    def _invoice_id(self, conn: sa.Connection, number: int) -> int:
        found = conn.execute(sa.select(invoices.c.id).where(invoices.c.number == number)).scalar()
        if found is None:
            raise UnknownRecord(f"invoice number {number} is not in the ledger", field="invoice")
        return int(found)

    def invoice_lines(self, invoice: Invoice | int) -> pa.Table:
        """The lines of an invoice (an :class:`Invoice`, or an issued invoice's number)."""
        with self._reading() as conn:
            invoice_id = (
                invoice.id if isinstance(invoice, Invoice) else self._invoice_id(conn, invoice)
            )
            digest = conn.execute(
                sa.select(invoices.c.lines_blob).where(invoices.c.id == invoice_id)
            ).scalar()
            assert digest is not None
            return self._get_blob(conn, digest)

    def causes(self, invoice: Invoice | int) -> list[Cause]:
        """Why the adjustments of an invoice were made: register rows, contract, delivery."""
        with self._reading() as conn:
            invoice_id = (
                invoice.id if isinstance(invoice, Invoice) else self._invoice_id(conn, invoice)
            )
            rows = conn.execute(
                sa.select(adjustment_causes)
                .where(adjustment_causes.c.invoice_id == invoice_id)
                .order_by(adjustment_causes.c.id)
            ).all()
        return [Cause(r.participant_id, r.source, r.change, json.loads(r.detail)) for r in rows]

    def _billed(self, conn: sa.Connection) -> tuple[pa.Table, pa.Table]:
        issued = conn.execute(
            sa.select(invoices.c.number, invoices.c.lines_blob)
            .where(invoices.c.state != "draft")
            .order_by(invoices.c.number)
        ).all()
        return billed_items((r.number, self._get_blob(conn, r.lines_blob)) for r in issued)

    def invoice(
        self,
        period: date | None = None,
        *,
        issued_on: date | None = None,
        draft: bool = False,
    ) -> Invoice:
        """Invoice what the latest run says is due and no issued invoice has billed yet.

        The invoice holds the due lines not yet invoiced (of invoice periods
        up to the one containing ``period``, default: all) and every open
        adjustment: a line already billed whose amount the latest run
        restates.  It is issued with the next number on ``issued_on``
        (default: the run's ``as_of``), unless ``draft``.  Raises
        :class:`~impactbond.errors.NothingToInvoice` when nothing is open.
        """
        if period is not None:
            _check_date(period, "period")
        if issued_on is not None:
            _check_date(issued_on, "issued_on")
        with self._writing() as conn:
            invoice_id = self._make_invoice(conn, period)
            if not draft:
                self._issue(conn, invoice_id, issued_on)
            return self._invoice(conn, invoice_id)

    def _make_invoice(self, conn: sa.Connection, period: date | None) -> int:
        run = self._run(conn, self._latest_run_id(conn))
        previous = conn.execute(
            sa.select(runs.c.as_of, invoices.c.number)
            .join(runs, runs.c.id == invoices.c.run_id)
            .where(invoices.c.state != "draft")
            .order_by(runs.c.as_of.desc())
            .limit(1)
        ).first()
        if previous is not None and previous.as_of > run.as_of:
            raise LedgerError(
                f"the latest run ({run.id}, as of {run.as_of}) is older than the run behind "
                f"invoice {previous.number} (as of {previous.as_of}); run as of a later date",
                field="run",
            )
        version = self._contract_version(conn, run.contract_version)
        contract = loads_contract(version.text, source=f"contract version {version.id}")
        through = None if period is None else contract.invoice_period(period)
        billed, originals = self._billed(conn)
        lines = self._run_lines(conn, run.id)
        items = open_items(
            lines,
            run_id=run.id,
            delivery_id=run.delivery,
            billed=billed,
            originals=originals,
            through_period=through,
        )
        if items.num_rows == 0:
            raise NothingToInvoice(
                "nothing to invoice: every due line of the latest run is on an issued invoice "
                "and no adjustment is open",
                field="invoice",
            )
        if through is None:
            through = int(pc.max(items.column("invoice_period")).as_py())
        start, end = contract.invoice_period_bounds(through)
        amounts = items.column("amount")
        adjusted = pc.equal(items.column("kind"), "adjustment")
        digest = table_digest(items)
        self._put_blob(conn, digest, _parquet(items))
        basis = conn.execute(sa.select(sa.func.max(invoices.c.number))).scalar() or 0
        invoice_id = _insert(
            conn,
            invoices.insert().values(
                number=None,
                state="draft",
                period=through,
                period_start=start,
                period_end=end,
                payer=contract.parties.outcome_payer,
                run_id=run.id,
                basis=basis,
                lines_blob=digest,
                line_count=items.num_rows,
                total_minor=int(pc.sum(amounts).as_py() or 0),
                adjustments_minor=int(pc.sum(pc.filter(amounts, adjusted)).as_py() or 0),
                currency=contract.currency,
                issued_on=None,
                paid_on=None,
                recorded_at=_now(),
            ),
        )
        self._record_causes(conn, invoice_id, items, run)
        self._journal(conn, "draft", invoice_id, {"run": run.id, "period": through})
        return int(invoice_id)

    def _record_causes(
        self, conn: sa.Connection, invoice_id: int, items: pa.Table, run: Run
    ) -> None:
        adjusted = items.filter(pc.equal(items.column("kind"), "adjustment"))
        if adjusted.num_rows == 0:
            return
        # Each participant is compared with the delivery of the latest run that billed
        # them; the inputs of the run (contract, delivery, as_of) with every billed run.
        latest = adjusted.group_by(["participant_id"]).aggregate([("billed_run_id", "max")])
        people_of: dict[int, list[str]] = {}
        for pid, billed_run_id in zip(
            latest.column("participant_id").to_pylist(),
            latest.column("billed_run_id_max").to_pylist(),
            strict=True,
        ):
            people_of.setdefault(int(billed_run_id), []).append(pid)
        billed_runs = sorted(set(pc.unique(adjusted.column("billed_run_id")).to_pylist()))
        rows: list[dict[str, Any]] = []
        for billed_run_id in billed_runs:
            before = self._run(conn, int(billed_run_id))
            for source, old, new in (
                ("contract", before.contract_version, run.contract_version),
                ("delivery", before.delivery, run.delivery),
                ("as_of", before.as_of, run.as_of),
            ):
                if old != new:
                    detail = {"from": old, "to": new, "billed_run": before.id}
                    rows.append(
                        {
                            "participant_id": "",
                            "source": source,
                            "change": "changed",
                            "detail": _json(detail),
                        }
                    )
        after_tables: dict[str, pa.Table] | None = None
        for billed_run_id, people in sorted(people_of.items()):
            before = self._run(conn, billed_run_id)
            if before.delivery == run.delivery:
                continue
            if after_tables is None:
                after_tables = self._delivery_tables(conn, run.delivery)
            changes = row_changes(
                self._delivery_tables(conn, before.delivery), after_tables, people
            )
            for pid in sorted(changes):
                for cause in changes[pid]:
                    detail = {
                        **cause.row,
                        "delivery_from": before.delivery,
                        "delivery_to": run.delivery,
                    }
                    rows.append(
                        {
                            "participant_id": pid,
                            "source": cause.source,
                            "change": cause.change,
                            "detail": _json(detail),
                        }
                    )
        if rows:
            conn.execute(
                adjustment_causes.insert(), [{**r, "invoice_id": invoice_id} for r in rows]
            )

    def _issue(self, conn: sa.Connection, invoice_id: int, issued_on: date | None) -> None:
        invoice = self._invoice(conn, invoice_id)
        if invoice.state != "draft":
            raise LedgerError(
                f"invoice {invoice.number} is already {invoice.state}; an issued invoice never "
                "changes",
                field="invoice",
            )
        basis = conn.execute(
            sa.select(invoices.c.basis).where(invoices.c.id == invoice_id)
        ).scalar()
        number = (conn.execute(sa.select(sa.func.max(invoices.c.number))).scalar() or 0) + 1
        latest = self._latest_run_id(conn)
        if basis != number - 1 or invoice.run != latest:
            raise LedgerError(
                f"draft {invoice_id} is out of date (an invoice was issued or a run recorded "
                "since it was made); discard it and make a new one",
                field="invoice",
            )
        run = self._run(conn, invoice.run)
        day = run.as_of if issued_on is None else issued_on
        last = conn.execute(
            sa.select(invoices.c.issued_on, invoices.c.number).where(
                invoices.c.number == number - 1
            )
        ).first()
        if last is not None and last.issued_on > day:
            raise LedgerError(
                f"invoice {number} cannot be issued on {day}, before invoice {last.number} "
                f"({last.issued_on})",
                field="issued_on",
            )
        conn.execute(
            invoices.update()
            .where(invoices.c.id == invoice_id, invoices.c.state == "draft")
            .values(state="issued", number=number, issued_on=day)
        )
        self._journal(
            conn,
            "issue",
            invoice_id,
            {"number": number, "issued_on": day, "total_minor": invoice.total.minor_units},
        )

    def issue(self, draft: int, *, issued_on: date | None = None) -> Invoice:
        """Issue a draft invoice (by its id) with the next number."""
        if issued_on is not None:
            _check_date(issued_on, "issued_on")
        with self._writing() as conn:
            self._issue(conn, draft, issued_on)
            return self._invoice(conn, draft)

    def discard(self, draft: int) -> None:
        """Delete a draft invoice (an issued one cannot be deleted)."""
        with self._writing() as conn:
            invoice = self._invoice(conn, draft)
            if invoice.state != "draft":
                raise LedgerError(
                    f"invoice {invoice.number} is {invoice.state}; an issued invoice never changes",
                    field="invoice",
                )
            conn.execute(adjustment_causes.delete().where(adjustment_causes.c.invoice_id == draft))
            conn.execute(invoices.delete().where(invoices.c.id == draft))
            self._journal(conn, "discard", draft, {})

    def pay(self, number: int, *, paid_on: date) -> Invoice:
        """Record that the issued invoice ``number`` was paid on ``paid_on``."""
        _check_date(paid_on, "paid_on")
        with self._writing() as conn:
            invoice = self._invoice(conn, self._invoice_id(conn, number))
            if invoice.state != "issued":
                raise LedgerError(f"invoice {number} is already {invoice.state}", field="invoice")
            assert invoice.issued_on is not None
            if paid_on < invoice.issued_on:
                raise LedgerError(
                    f"invoice {number} was issued on {invoice.issued_on}, after {paid_on}",
                    field="paid_on",
                )
            conn.execute(
                invoices.update()
                .where(invoices.c.id == invoice.id)
                .values(state="paid", paid_on=paid_on)
            )
            self._journal(conn, "pay", invoice.id, {"number": number, "paid_on": paid_on})
            return self._invoice(conn, invoice.id)

    # -- reading ---------------------------------------------------------------------------------

    def position(self) -> pa.Table:
        """Per invoice period: what the latest run says is due, what is billed, and the difference.

        Columns ``invoice_period``, ``due``, ``billed``, ``open`` (minor units).
        After an invoice without a period, ``open`` is zero in every row.
        """
        with self._reading() as conn:
            lines = self._run_lines(conn, self._latest_run_id(conn))
            billed, _ = self._billed(conn)
        due = (
            pa.table(
                {
                    "invoice_period": lines.column("invoice_period"),
                    "due": pc.if_else(lines.column("due"), lines.column("amount"), 0),
                }
            )
            .group_by("invoice_period")
            .aggregate([("due", "sum")])
        )
        paid = billed.group_by("invoice_period").aggregate([("billed", "sum")])
        joined = due.join(paid, "invoice_period", join_type="full outer")
        d = pc.fill_null(joined.column("due_sum"), 0)
        b = pc.fill_null(joined.column("billed_sum"), 0)
        table = pa.table(
            {
                "invoice_period": joined.column("invoice_period"),
                "due": d,
                "billed": b,
                "open": pc.subtract(d, b),
            }
        )
        return table.sort_by("invoice_period")

    def history(self) -> list[JournalEntry]:
        """Every operation on the ledger, in order."""
        with self._reading() as conn:
            rows = conn.execute(sa.select(journal).order_by(journal.c.id)).all()
        return [
            JournalEntry(r.id, r.recorded_at, r.action, r.subject, json.loads(r.detail))
            for r in rows
        ]

    def diff(self, run_a: int, run_b: int) -> RunDiff:
        """What changed from run ``run_a`` to run ``run_b``: lines, people and register rows."""
        with self._reading() as conn:
            a, b = self._run(conn, run_a), self._run(conn, run_b)
            lines_a, lines_b = self._run_lines(conn, a.id), self._run_lines(conn, b.id)
            tables = None
            if a.delivery != b.delivery:
                tables = (
                    self._delivery_tables(conn, a.delivery),
                    self._delivery_tables(conn, b.delivery),
                )
        keys = list(_engine.KEY_COLUMNS)
        left = lines_a.select([*keys, "amount", "due"]).rename_columns([*keys, "amount_a", "due_a"])
        right = lines_b.select([*keys, "amount", "due"]).rename_columns(
            [*keys, "amount_b", "due_b"]
        )
        joined = left.join(right, keys, join_type="full outer", coalesce_keys=True)
        in_a = pc.is_valid(joined.column("amount_a"))
        in_b = pc.is_valid(joined.column("amount_b"))
        amount_a = pc.fill_null(joined.column("amount_a"), 0)
        amount_b = pc.fill_null(joined.column("amount_b"), 0)
        due_a = pc.fill_null(joined.column("due_a"), False)
        due_b = pc.fill_null(joined.column("due_b"), False)
        table = pa.table(
            {
                **{k: joined.column(k) for k in keys},
                "amount_a": amount_a,
                "amount_b": amount_b,
                "change": pc.subtract(amount_b, amount_a),
                "due_a": due_a,
                "due_b": due_b,
                "in_a": in_a,
                "in_b": in_b,
            }
        )
        changed = pc.or_(pc.not_equal(amount_a, amount_b), pc.not_equal(due_a, due_b))
        table = table.filter(changed)
        table = table.take(pc.sort_indices(table, [(k, "ascending") for k in keys]))
        inputs = tuple(
            Cause("", source, "changed", {"from": old, "to": new})
            for source, old, new in (
                ("contract", a.contract_version, b.contract_version),
                ("delivery", a.delivery, b.delivery),
                ("as_of", a.as_of, b.as_of),
            )
            if old != new
        )
        causes: dict[str, tuple[Cause, ...]] = {}
        if tables is not None:
            people = sorted(set(table.column("participant_id").to_pylist()) - {""})
            causes = {k: tuple(v) for k, v in row_changes(tables[0], tables[1], people).items()}
        total = int(pc.sum(table.column("change")).as_py() or 0)
        return RunDiff(
            run_a=a.id,
            run_b=b.id,
            lines=table,
            causes=causes,
            inputs=inputs,
            change=Money.from_minor_units(total, a.due.currency),
        )

    # -- checking --------------------------------------------------------------------------------

    def verify(self) -> Verification:
        """Re-run every stored run from its stored inputs and check every stored record.

        A run passes when its recomputed line table equals the stored one and
        its fingerprint matches, bit for bit.  The records pass when every
        blob's content matches its hash and every invoice's lines add up to
        its totals (see :meth:`problems`).
        """
        checks: list[RunCheck] = []
        with self._reading() as conn:
            rows = conn.execute(sa.select(runs).order_by(runs.c.id)).all()
            for row in rows:
                version = self._contract_version(conn, row.contract_version_id)
                tables = self._delivery_tables(conn, row.delivery_id)
                stored = self._get_blob(conn, row.lines_blob)
                contract = loads_contract(version.text, source=f"contract version {version.id}")
                settlement = _engine.settle_delivery(
                    contract, tables, as_of=row.as_of, data_until=row.data_until
                )
                lines = _engine.line_table(settlement)
                recomputed = _engine.fingerprint(lines, _engine.totals(settlement))
                checks.append(RunCheck(row.id, row.fingerprint, recomputed, lines.equals(stored)))
        return Verification(tuple(checks), tuple(self.problems()))

    def problems(self) -> list[str]:
        """Inconsistencies in the stored records (none in a healthy ledger).

        Every blob's content matches its sha256; every delivery, run and
        invoice names blobs that exist; every invoice's lines add up to its
        total and count, and restate nothing beyond what was billed; issued
        invoices are numbered 1, 2, ... without gaps; every run's totals match
        its lines.
        """
        found: list[str] = []
        with self._reading() as conn:
            for digest in conn.execute(sa.select(blobs.c.sha256)).scalars():
                table = self._get_blob(conn, digest)
                if table_digest(table) != digest:
                    found.append(f"blob {digest[:12]} does not match its hash")
            for row in conn.execute(sa.select(runs)).all():
                lines = self._get_blob(conn, row.lines_blob)
                due = pc.sum(pc.if_else(lines.column("due"), lines.column("amount"), 0)).as_py()
                if lines.num_rows != row.line_count or int(due or 0) != row.due_minor:
                    found.append(f"run {row.id}: its lines do not add up to its totals")
            numbers = []
            for row in conn.execute(sa.select(invoices).order_by(invoices.c.id)).all():
                items = self._get_blob(conn, row.lines_blob)
                total = int(pc.sum(items.column("amount")).as_py() or 0)
                if items.num_rows != row.line_count or total != row.total_minor:
                    found.append(f"invoice {row.id}: its lines do not add up to its total")
                before = pc.add(items.column("billed_before"), items.column("amount"))
                if not pc.all(pc.equal(before, items.column("due_amount"))).as_py() and len(items):
                    found.append(f"invoice {row.id}: a line does not restate to its due amount")
                if row.number is not None:
                    numbers.append(row.number)
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                found.append(f"invoice numbers {sorted(numbers)} are not 1..{len(numbers)}")
        return found

    def summary(self) -> dict[str, Any]:
        """The ledger at a glance: contract, counts, latest run, invoices and what is open."""
        versions = self.contract_versions()
        all_runs = self.runs()
        out: dict[str, Any] = {
            "ledger": self.where,
            "revision": self.revision,
            "contract": versions[-1].contract_id if versions else None,
            "contract_versions": len(versions),
            "deliveries": len(self.deliveries()),
            "runs": len(all_runs),
            "invoices": [
                {
                    "number": i.number,
                    "id": i.id,
                    "state": i.state,
                    "period": f"{i.period_start}..{i.period_end - timedelta(days=1)}",
                    "issued_on": i.issued_on,
                    "paid_on": i.paid_on,
                    "total": i.total,
                    "adjustments": i.adjustments,
                }
                for i in self.invoices()
            ],
        }
        if all_runs:
            latest = all_runs[-1]
            position = self.position()
            open_minor = int(pc.sum(position.column("open")).as_py() or 0)
            out["latest_run"] = {
                "id": latest.id,
                "as_of": latest.as_of,
                "due": latest.due,
                "accrued": latest.accrued,
                "fingerprint": latest.fingerprint,
            }
            out["open"] = Money.from_minor_units(open_minor, latest.due.currency)
        return out


def _insert(conn: sa.Connection, statement: sa.Insert) -> int:
    """Execute an INSERT of one row; the new row's id."""
    key = conn.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def _fields(record: Any) -> dict[str, Any]:
    return attrs.asdict(record, recurse=False)
