"""Logical backups: the whole database in one portable file, and back again.

A backup is a zip archive (readable with any unzip tool) holding, for each table, a
``tables/<table>.jsonl`` member (one JSON array per row, the values in the order of the
manifest's columns, rows ordered by primary key) and ``manifest.json``: the format and its
version, the Handoff version, the Alembic revision of the schema, when it was made, and
per table its columns with their kinds, its row count and the SHA-256 of its member.

Values are written the same way whatever the database, so that a backup of SQLite
restores into PostgreSQL and back: integers, floats, text and booleans as JSON; times as
ISO 8601 instants in UTC (SQLite keeps them without an offset, in UTC); dates as ISO
dates; JSON columns as their stored text (so SQL NULL and JSON ``null`` stay apart);
binary as base64.

``backup`` reads everything in one read transaction (REPEATABLE READ on PostgreSQL, a
WAL read snapshot on SQLite, neither of which blocks the running service) and streams
rows in batches, so a log of millions of events never sits in memory. ``restore`` works
in one transaction: it creates the schema at the backup's revision, loads the tables in
foreign-key order (COPY on PostgreSQL, batched inserts on SQLite), checks every table
against the manifest by reading it back (row count and SHA-256 of the same encoding),
resets PostgreSQL's sequences and migrates to the newest revision; any failure rolls it
all back. The tables are those of the models (``SQLModel.metadata``) that the database
holds, with the columns the database has, found at run time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import json.encoder
import os
import secrets
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

import app.db.models  # registers the tables on SQLModel.metadata (and binds `app`)
from app.db.engine import MIGRATIONS, make_engine
from app.lib.errors import DomainError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupSummary",
    "Manifest",
    "RestoreSummary",
    "VerificationFailed",
    "backup",
    "read_manifest",
    "restore",
]

FORMAT = "handoff-backup"
FORMAT_VERSION = 1
"""The version of the file layout; a reader refuses a newer one."""
MANIFEST = "manifest.json"
VERSION_TABLE = "alembic_version"
BATCH_ROWS = 10_000
BATCH_BYTES = 16 * 1024**2
"""A batch of rows is written when it holds this many rows or bytes of text."""
BINARY_FETCH = 4
"""Rows fetched at a time from a table with a binary column (uploads: 8 MiB pieces)."""
COMPRESSLEVEL = 3
"""Deflate level: on a million events (124 MiB of rows) 22 MiB in 0.8 s, against 18 MiB in
3.8 s at zlib's default level 6."""
READ_CHUNK = 1024**2

Progress = Callable[[float, str], None]
Kind = Literal["integer", "float", "decimal", "boolean", "text", "datetime", "date", "time",
               "json", "binary", "other"]  # fmt: skip


class VerificationFailed(Exception):
    """The restored database does not read back as the backup holds it (a fault of this
    code or of the database, not of the file); the restore was rolled back."""


class ColumnEntry(BaseModel):
    """A column of a table in the manifest."""

    name: str
    kind: str


class TableEntry(BaseModel):
    """A table in the manifest: its member, columns, row count and SHA-256."""

    name: str
    file: str
    columns: list[ColumnEntry]
    rows: int
    sha256: str


class Manifest(BaseModel):
    """``manifest.json``: what the backup holds and how to check it."""

    format: Literal["handoff-backup"]
    format_version: int
    handoff_version: str
    alembic_revisions: list[str] = PydanticField(min_length=1)
    created_at: str
    source_dialect: str
    tables: list[TableEntry]
    rows: int
    left_out: list[str] = []
    """Tables the database held that are not Handoff's (not backed up)."""


@dataclass(frozen=True)
class BackupSummary:
    """What ``backup`` wrote."""

    path: Path
    tables: int
    rows: int
    events: int
    bytes: int
    seconds: float
    revisions: list[str]
    left_out: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the person who ran it."""
        extra = f"; left out tables that are not Handoff's: {', '.join(self.left_out)}"
        return (
            f"backed up {self.rows:,} rows ({self.events:,} events) of {self.tables} tables, "
            f"schema revision {', '.join(self.revisions)}, to {self.path} "
            f"({self.bytes / 1024**2:,.1f} MiB) in {self.seconds:.1f} s"
            + (extra if self.left_out else "")
        )


@dataclass(frozen=True)
class RestoreSummary:
    """What ``restore`` loaded."""

    path: Path
    tables: int
    rows: int
    events: int
    seconds: float
    manifest: Manifest
    revisions: list[str]
    replaced: bool

    def describe(self) -> str:
        """One line for the person who ran it."""
        made = self.manifest
        return (
            f"restored {self.rows:,} rows ({self.events:,} events) of {self.tables} tables "
            f"from {self.path} (made {made.created_at} by Handoff {made.handoff_version} on "
            f"{made.source_dialect}, schema revision {', '.join(made.alembic_revisions)}), "
            f"every table checked against its manifest"
            + ("; the previous content was replaced" if self.replaced else "")
            + f"; schema now at revision {', '.join(self.revisions)}; {self.seconds:.1f} s"
        )


# ---------------------------------------------------------------------------- values


def kind_of(type_: sa.types.TypeEngine[Any]) -> Kind:
    """How values of a column type are written in a backup."""
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.Time):
        return "time"
    if isinstance(type_, sa.LargeBinary):
        return "binary"
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.Float):
        return "float"
    if isinstance(type_, sa.Numeric):
        return "decimal"
    if isinstance(type_, sa.String):
        return "text"
    return "other"


def _utc(value: datetime) -> datetime:
    """An instant in UTC (a time without an offset is taken as UTC, as SQLite keeps it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _encode_datetime(value: datetime) -> str:
    return _utc(value).isoformat(timespec="microseconds")


def _encode_binary(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": _encode_datetime,
    "date": date.isoformat,
    "time": clock.isoformat,
    "binary": _encode_binary,
    "decimal": str,
    "other": str,
}
"""Kinds whose values are not JSON as they come from the database (None stays None)."""


def _encoder() -> Callable[[Any], str]:
    """One value as compact JSON (the C encoder called directly when there is one: a
    third faster on a million short rows than ``JSONEncoder.encode``)."""
    options = {"ensure_ascii": False, "separators": (",", ":"), "allow_nan": True}
    slow = json.JSONEncoder(**options).encode  # type: ignore[arg-type]
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or escape is None:
        return slow

    def default(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON")

    fast = make(None, default, escape, None, ":", ",", False, False, True)

    def encode(value: Any) -> str:
        return "".join(fast(value, 0))

    if encode([1, "é", None, 1.5, True]) != slow([1, "é", None, 1.5, True]):
        return slow
    return encode


_dumps = _encoder()


def _decoder(kind: str, column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """The function from a backup's value to what the target's driver takes, or None
    when the value goes in as it is."""
    process = (
        None
        if kind in ("json", "other")
        else column.type.dialect_impl(dialect).bind_processor(dialect)
    )
    sqlite = dialect.name == "sqlite"
    naive = sqlite or not getattr(column.type, "timezone", True)
    convert: Callable[[Any], Any] | None
    if kind == "datetime":

        def convert(value: Any) -> Any:
            moment = datetime.fromisoformat(value).astimezone(UTC)
            return moment.replace(tzinfo=None) if naive else moment

    elif kind == "date":
        convert = date.fromisoformat
    elif kind == "time":
        convert = clock.fromisoformat
    elif kind == "binary":

        def convert(value: Any) -> Any:
            return base64.b64decode(value, validate=True)

    elif kind == "decimal":
        convert = Decimal
    else:
        convert = None
    if not sqlite or process is None:
        return convert
    if convert is None:
        return process
    first, then = convert, process
    return lambda value: then(first(value))


# ---------------------------------------------------------------------------- database


def _engine(url: str, *, write: bool) -> Engine:
    """An engine whose transactions are real transactions on SQLite too.

    Python's sqlite3 begins a transaction only before a data change, so a series of
    SELECTs would each see a different state and DDL would commit at once; here every
    transaction starts with BEGIN (IMMEDIATE when writing: the write lock is taken first,
    so the restore does not fail halfway on a busy database).
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def _shown(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _known_revisions() -> tuple[ScriptDirectory, list[str]]:
    script = ScriptDirectory.from_config(_alembic_config())
    return script, sorted(script.get_heads())


def _unknown(revisions: Sequence[str]) -> list[str]:
    """The revisions that this code's migrations do not have."""
    script, _ = _known_revisions()
    unknown = []
    for revision in revisions:
        try:
            found = script.get_revision(revision)
        except Exception:  # alembic's CommandError or RevisionError: not one of ours
            found = None
        if found is None:
            unknown.append(revision)
    return unknown


def _revisions(connection: Connection) -> list[str]:
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return []
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return sorted(str(r) for r in rows)


def _tables(connection: Connection) -> tuple[list[sa.Table], list[str]]:
    """The database's tables that are Handoff's (in the models), parents before children,
    reflected with the columns the database has; and the names of the others."""
    known = set(SQLModel.metadata.tables)
    names = set(sa.inspect(connection).get_table_names()) - {VERSION_TABLE}
    reflected = sa.MetaData()
    reflected.reflect(connection, only=sorted(names & known))
    ordered = [t for t in reflected.sorted_tables if t.name in known]
    return ordered, sorted(names - known)


def _select(
    table: sa.Table, columns: list[sa.Column[Any]], kinds: Sequence[str], dialect: str
) -> Any:
    """Every row of a table in primary-key order, strings compared as bytes (PostgreSQL's
    "C" collation is SQLite's BINARY), JSON columns as their stored text."""
    selected: list[Any] = [
        sa.cast(c, sa.Text).label(c.name) if kind == "json" else c
        for c, kind in zip(columns, kinds, strict=True)
    ]
    order: list[Any] = []
    for c in table.primary_key.columns or columns:
        text = isinstance(c.type, sa.String) and not isinstance(c.type, sa.JSON)
        order.append(c.collate("C") if text and dialect == "postgresql" else c)
    return sa.select(*selected).order_by(*order)


def _lines(
    connection: Connection, table: sa.Table, columns: list[sa.Column[Any]], kinds: Sequence[str]
) -> Iterator[tuple[bytes, int]]:
    """A table's rows as backup lines (the values of ``columns``), in batches: (UTF-8
    text, rows). Rows come straight from the driver (a server-side cursor on PostgreSQL,
    inside the connection's transaction), are turned into Python values by SQLAlchemy's
    processor of the column type where it has one (SQLite's times and booleans), then
    written as ``ENCODERS`` say."""
    dialect = connection.dialect
    statement = _select(table, columns, kinds, dialect.name)
    per_fetch = BINARY_FETCH if "binary" in kinds else BATCH_ROWS
    raw: Any = connection.connection.driver_connection
    if dialect.name == "postgresql":
        cursor = raw.cursor(name=f"handoff_backup_{next(_cursor_names)}")
        cursor.itersize = per_fetch
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(str(statement.compile(dialect=dialect)))
        convert: list[tuple[int, Callable[[Any], Any]]] = []
        for i, (selected, kind, described) in enumerate(
            zip(statement.selected_columns, kinds, cursor.description, strict=True)
        ):
            process = selected.type.dialect_impl(dialect).result_processor(dialect, described[1])
            encode = ENCODERS.get(kind)
            if process is not None and encode is not None:
                convert.append((i, _then(process, encode)))
            elif process is not None or encode is not None:
                convert.append((i, process or encode))  # type: ignore[arg-type]
        pending: list[str] = []
        size = 0
        while batch := cursor.fetchmany(per_fetch):
            for row in batch:
                if convert:
                    row = list(row)
                    for i, fn in convert:
                        if row[i] is not None:
                            row[i] = fn(row[i])
                line = _dumps(row)
                pending.append(line)
                size += len(line)
            if len(pending) >= BATCH_ROWS or size >= BATCH_BYTES:
                yield ("\n".join(pending) + "\n").encode(), len(pending)
                pending, size = [], 0
        if pending:
            yield ("\n".join(pending) + "\n").encode(), len(pending)
    finally:
        cursor.close()


_cursor_names = itertools.count()


def _then(first: Callable[[Any], Any], then: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: then(first(value))


def _count(connection: Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# ---------------------------------------------------------------------------- backup


def backup(url: str, path: Path, *, progress: Progress | None = None) -> BackupSummary:
    """Write every Handoff table of the database at ``url`` to the file ``path``.

    Raises:
        DomainError: there is no Handoff database there, it is at a schema revision this
            code does not know, or the file cannot be written.
    """
    started = time.perf_counter()
    source = _sqlite_path(url)
    if source is not None and not source.is_file():
        raise DomainError(f"There is no database at {source}: nothing to back up.")
    if path.is_dir():
        raise DomainError(f"{path}: is a folder; name the backup file to write.")
    if not path.parent.is_dir():
        raise DomainError(f"{path}: the folder {path.parent} does not exist.")
    # a fresh name no one can guess, created only if absent and never through a link
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    engine = _engine(url, write=False)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            with connection.begin():
                manifest = _write_backup(connection, url, partial, progress)
        os.replace(partial, path)
    except OSError as error:
        raise DomainError(f"{path}: cannot write the backup ({error.strerror}).") from None
    finally:
        engine.dispose()
        partial.unlink(missing_ok=True)
    events = next((t.rows for t in manifest.tables if t.name == "event"), 0)
    return BackupSummary(
        path=path,
        tables=len(manifest.tables),
        rows=manifest.rows,
        events=events,
        bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
        revisions=manifest.alembic_revisions,
        left_out=manifest.left_out,
    )


def _write_backup(
    connection: Connection, url: str, partial: Path, progress: Progress | None
) -> Manifest:
    revisions = _revisions(connection)
    if not revisions:
        raise DomainError(f"{_shown(url)} holds no Handoff database: nothing to back up.")
    unknown = _unknown(revisions)
    if unknown:
        _, heads = _known_revisions()
        raise DomainError(
            f"The database is at schema revision {', '.join(unknown)}, which this Handoff "
            f"({app.__version__}, newest revision {', '.join(heads)}) does not know: back it "
            "up with the Handoff that serves it."
        )
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables, left_out = _tables(connection)
    counts = {t.name: _count(connection, t) for t in tables}
    total = max(sum(counts.values()), 1)
    done = 0
    entries: list[TableEntry] = []
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(partial, flags, 0o600)
    with (
        os.fdopen(descriptor, "wb") as raw,
        zipfile.ZipFile(
            raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
        ) as archive,
    ):
        archive.comment = b"Handoff backup: see manifest.json; restore with `handoff restore`."
        for table in tables:
            columns = list(table.columns)
            kinds = [kind_of(c.type) for c in columns]
            member = f"tables/{table.name}.jsonl"
            digest = hashlib.sha256()
            rows = 0
            with archive.open(member, "w", force_zip64=True) as out:
                for data, n in _lines(connection, table, columns, kinds):
                    out.write(data)
                    digest.update(data)
                    rows += n
                    done += n
                    if progress:
                        progress(done / total, "backing up")
            entries.append(
                TableEntry(
                    name=table.name,
                    file=member,
                    columns=[
                        ColumnEntry(name=c.name, kind=k)
                        for c, k in zip(table.columns, kinds, strict=True)
                    ],
                    rows=rows,
                    sha256=digest.hexdigest(),
                )
            )
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            handoff_version=app.__version__,
            alembic_revisions=revisions,
            created_at=created_at,
            source_dialect=connection.dialect.name,
            tables=entries,
            rows=sum(e.rows for e in entries),
            left_out=left_out,
        )
        archive.writestr(MANIFEST, manifest.model_dump_json(indent=2) + "\n")
    return manifest


# ---------------------------------------------------------------------------- restore


def read_manifest(path: Path) -> Manifest:
    """The manifest of a backup file, checked for what this code can restore.

    Raises:
        DomainError: the file is missing, not a Handoff backup, damaged, or made by a
            newer Handoff (a newer format or a schema revision this code does not know).
    """
    with _archive(path) as archive:
        return _manifest(archive, path)


def _archive(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise DomainError(f"{path}: no such file.")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DomainError(
            f"{path}: is not a Handoff backup (not a zip archive, or one cut short)."
        ) from None
    except OSError as error:
        raise DomainError(f"{path}: cannot be read ({error.strerror}).") from None


def _manifest(archive: zipfile.ZipFile, path: Path) -> Manifest:
    try:
        raw = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise DomainError(f"{path}: is a zip archive but not a Handoff backup.") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as error:
        raise DomainError(f"{path}: the backup is damaged ({_first_line(error)}).") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise DomainError(f"{path}: is a zip archive but not a Handoff backup.")
    version = raw.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise DomainError(
            f"{path}: was made by a newer Handoff (backup format {version}; this Handoff "
            f"{app.__version__} reads format {FORMAT_VERSION} and older): restore it with "
            "that version or a newer one."
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as error:
        where = ".".join(str(p) for p in error.errors()[0]["loc"])
        raise DomainError(f"{path}: the backup's manifest is malformed (at {where}).") from None
    unknown = _unknown(manifest.alembic_revisions)
    if unknown:
        _, heads = _known_revisions()
        raise DomainError(
            f"{path}: holds a database at schema revision {', '.join(unknown)}, which this "
            f"Handoff ({app.__version__}, newest revision {', '.join(heads)}) does not know: "
            "restore it with the Handoff that made it, or a newer one."
        )
    names = set(archive.namelist())
    for entry in manifest.tables:
        if entry.file != f"tables/{entry.name}.jsonl" or entry.file not in names:
            raise DomainError(f"{path}: the backup is damaged (table {entry.name} is missing).")
    return manifest


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def restore(
    url: str, path: Path, *, replace: bool = False, progress: Progress | None = None
) -> RestoreSummary:
    """Load the backup ``path`` into the database at ``url``, in one transaction.

    Raises:
        DomainError: the file is bad (missing, foreign, damaged, newer), or the database
            already holds Handoff data and ``replace`` is not given; nothing was changed.
        VerificationFailed: the loaded tables do not read back as the backup holds them.
    """
    started = time.perf_counter()
    with _archive(path) as archive:
        manifest = _manifest(archive, path)
        target = _sqlite_path(url)
        fresh = target is not None and not target.exists()
        new_folder = target is not None and not target.parent.exists()
        engine = _engine(url, write=True)
        try:
            with engine.connect() as connection, connection.begin():
                replaced = _prepare(connection, manifest, url, replace=replace)
                for revision in manifest.alembic_revisions:
                    command.upgrade(_alembic_config(connection), revision)
                tables = _matched(connection, manifest, path)
                _load(connection, archive, manifest, tables, path, progress)
                _verify(connection, manifest, tables, progress)
                if connection.dialect.name == "postgresql":
                    _reset_sequences(connection, [t for t, _ in tables])
                if progress:
                    progress(0.99, "migrating")
                command.upgrade(_alembic_config(connection), "heads")
                revisions = _revisions(connection)
        except BaseException:
            engine.dispose()
            if fresh and target is not None:  # leave no empty database file behind
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                if new_folder:
                    with contextlib.suppress(OSError):
                        target.parent.rmdir()
            raise
        engine.dispose()
    events = next((t.rows for t in manifest.tables if t.name == "event"), 0)
    return RestoreSummary(
        path=path,
        tables=len(manifest.tables),
        rows=manifest.rows,
        events=events,
        seconds=time.perf_counter() - started,
        manifest=manifest,
        revisions=revisions,
        replaced=replaced,
    )


def _prepare(connection: Connection, manifest: Manifest, url: str, *, replace: bool) -> bool:
    """Make room: refuse a database holding Handoff data unless ``replace``; drop the
    Handoff tables there are (empty ones too: the schema is made again at the backup's
    revision). Whether data was replaced."""
    if connection.dialect.name == "postgresql":  # a server starting now waits for us
        from app.db.workers import STARTUP_LOCK

        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK})
    ours = set(SQLModel.metadata.tables) | {t.name for t in manifest.tables} | {VERSION_TABLE}
    present = sorted(set(sa.inspect(connection).get_table_names()) & ours)
    if not present:
        return False
    reflected = sa.MetaData()
    reflected.reflect(connection, only=present)
    holding = [
        name
        for name in present
        if name != VERSION_TABLE
        and connection.execute(
            sa.select(sa.literal(1)).select_from(reflected.tables[name]).limit(1)
        ).first()
        is not None
    ]
    if holding and not replace:
        raise DomainError(
            f"{_shown(url)} already holds Handoff data (in {', '.join(holding[:3])}"
            f"{', ...' if len(holding) > 3 else ''}): restore into an empty database, or give "
            "--replace to replace everything in it."
        )
    reflected.drop_all(connection, tables=[reflected.tables[n] for n in present])
    return bool(holding)


def _matched(
    connection: Connection, manifest: Manifest, path: Path
) -> list[tuple[sa.Table, TableEntry]]:
    """The tables of the schema just made, in load order, each with its manifest entry;
    the backup must hold exactly these tables and columns."""
    tables, _ = _tables(connection)
    entries = {e.name: e for e in manifest.tables}
    revision = ", ".join(manifest.alembic_revisions)
    missing = [t.name for t in tables if t.name not in entries]
    extra = sorted(set(entries) - {t.name for t in tables})
    if missing or extra:
        what = (
            f"lacks table {missing[0]}" if missing else f"holds table {extra[0]}, which it has not"
        )
        raise DomainError(f"{path}: does not match schema revision {revision}: the backup {what}.")
    matched = []
    for table in tables:
        entry = entries[table.name]
        have = {c.name: kind_of(c.type) for c in table.columns}
        given = {c.name: c.kind for c in entry.columns}
        if have != given:
            odd = sorted(set(have.items()) ^ set(given.items()))[0][0]
            raise DomainError(
                f"{path}: does not match schema revision {revision}: column "
                f"{table.name}.{odd} differs."
            )
        matched.append((table, entry))
    return matched


def _chunks(stream: Any, digest: Any) -> Iterator[list[bytes]]:
    """The lines of a member, a chunk at a time, hashing the bytes as they are read."""
    rest = b""
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if lines:
            yield lines
    if rest:
        raise ValueError("the last row is cut short")


Decoders = list[tuple[int, Callable[[Any], Any]]]


def _decoded(lines: list[bytes], width: int, decoders: Decoders, before: int) -> list[list[Any]]:
    """Rows of a member as values for the driver (``before``: rows read earlier). The
    lines are parsed as one JSON array (a third faster than line by line); a damaged line
    that would parse as two rows is caught by the count."""
    batch = json.loads(b"[" + b",".join(lines) + b"]")
    if len(batch) != len(lines):
        raise ValueError(f"rows {before + 1} to {before + len(lines)} are not one row a line")
    for n, values in enumerate(batch):
        if not isinstance(values, list) or len(values) != width:
            raise ValueError(f"row {before + n + 1} does not hold {width} values")
        for i, decode in decoders:
            if values[i] is not None:
                values[i] = decode(values[i])
    return batch  # type: ignore[no-any-return]


def _load(
    connection: Connection,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    tables: list[tuple[sa.Table, TableEntry]],
    path: Path,
    progress: Progress | None,
) -> None:
    """Load every table from its member (COPY on PostgreSQL, batched inserts on SQLite),
    checking its row count and SHA-256 against the manifest."""
    total = max(manifest.rows, 1)
    done = 0
    dialect = connection.dialect
    raw: Any = connection.connection.driver_connection
    quote = dialect.identifier_preparer.quote
    for table, entry in tables:
        columns = [table.columns[c.name] for c in entry.columns]
        decoders = [
            (i, fn)
            for i, (c, column) in enumerate(zip(entry.columns, columns, strict=True))
            if (fn := _decoder(c.kind, column, dialect)) is not None
        ]
        names = ", ".join(quote(c.name) for c in columns)
        digest = hashlib.sha256()
        rows = 0
        try:
            with archive.open(entry.file) as stream:
                if dialect.name == "postgresql":
                    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
                    with raw.cursor() as cursor, cursor.copy(statement) as copy:
                        for lines in _chunks(stream, digest):
                            for values in _decoded(lines, len(columns), decoders, rows):
                                copy.write_row(values)
                            rows += len(lines)
                            done += len(lines)
                            if progress:
                                progress(0.7 * min(done / total, 1.0), "restoring")
                else:
                    marks = ", ".join("?" for _ in columns)
                    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
                    cursor = raw.cursor()
                    try:
                        for lines in _chunks(stream, digest):
                            cursor.executemany(
                                statement, _decoded(lines, len(columns), decoders, rows)
                            )
                            rows += len(lines)
                            done += len(lines)
                            if progress:
                                progress(0.7 * min(done / total, 1.0), "restoring")
                    finally:
                        cursor.close()
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, TypeError) as error:
            raise DomainError(
                f"{path}: the backup is damaged (table {table.name}: {_first_line(error)}); "
                "nothing was restored."
            ) from None
        except Exception as error:
            if not _driver_error(error):
                raise
            reason = _first_line(getattr(error, "orig", None) or error)
            raise DomainError(
                f"{path}: the database refused a row of table {table.name} ({reason}); "
                "nothing was restored."
            ) from None
        if rows != entry.rows or digest.hexdigest() != entry.sha256:
            raise DomainError(
                f"{path}: the backup is damaged (table {table.name} does not match its "
                "checksum); nothing was restored."
            )


def _driver_error(error: BaseException) -> bool:
    """Whether an error comes from the database or its driver (told by module)."""
    return any(
        cls.__module__.split(".")[0] in ("sqlite3", "psycopg", "sqlalchemy")
        for cls in type(error).__mro__
    )


def _verify(
    connection: Connection,
    manifest: Manifest,
    tables: list[tuple[sa.Table, TableEntry]],
    progress: Progress | None,
) -> None:
    """Read every loaded table back and compare it with the manifest."""
    total = max(manifest.rows, 1)
    done = 0
    for table, entry in tables:
        kinds = [c.kind for c in entry.columns]
        columns = [table.columns[c.name] for c in entry.columns]
        digest = hashlib.sha256()
        rows = 0
        for data, n in _lines(connection, table, columns, kinds):
            digest.update(data)
            rows += n
            done += n
            if progress:
                progress(0.7 + 0.29 * min(done / total, 1.0), "checking")
        if rows != entry.rows or digest.hexdigest() != entry.sha256:
            raise VerificationFailed(
                f"The restored table {table.name} does not read back as the backup holds it "
                f"({rows:,} rows, {entry.rows:,} in the backup); nothing was restored."
            )


def _reset_sequences(connection: Connection, tables: list[sa.Table]) -> None:
    """Set each serial or identity sequence past the largest value restored."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        for column in table.columns:
            if kind_of(column.type) != "integer":
                continue
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            connection.execute(
                sa.text(
                    f"SELECT setval(:sequence, (SELECT COALESCE(MAX({quote(column.name)}), 0) "
                    f"+ 1 FROM {quote(table.name)}), false)"
                ),
                {"sequence": sequence},
            )
