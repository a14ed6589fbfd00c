"""Importing event logs into the database, all or nothing, and reading them back.

On PostgreSQL an import is one transaction (COPY does not stop other writers). SQLite has
one write lock for the whole database, so there an import stages its log: the log row is
stored first with ``importer`` set, which hides it from every read and list; its events
follow in batches, each committed on its own so that other changes get the lock in
between (``yield_to_writers``); one short final transaction makes the log visible. An
import that fails removes its staged log; one whose process stops is removed by the
sweep (``workers.sweep_staged_logs``, at start-up and every few seconds). So no reader
ever sees part of a log, and none is left after a crash.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from app.db.audit import note_creation
from app.db.engine import commit, session_scope, yield_to_writers
from app.db.models import ActivityMapping, AnalysisResult, Event, EventLog, InstanceSecret
from app.db.workers import (
    discard_staged_log,
    new_worker_id,
    now,
    staging,
    sweep_staged_logs,
)
from app.domain.actions.hooks import measure_open_actions
from app.domain.event_logs.schemas import (
    EventLogPublic,
    EventLogSummary,
    ImportRequest,
    PreviewPublic,
    PreviewRow,
)
from app.lib.errors import Conflict, InvalidEventLog, require
from app.mining.csv_reader import read_csv
from app.mining.eventlog import (
    STORED_COLUMNS,
    NormalisedLog,
    Progress,
    csv_batches,
    parquet_head,
    read_event_log,
    row_batches,
)
from app.mining.mapping import ROLES, candidates, resolve_mapping
from app.mining.options import ImportLimits, ImportOptions
from app.mining.raw import RawTable
from app.mining.sources import file_sha256, open_source, read_head
from app.mining.text import sniff_encoding, utf8_text
from app.mining.xes_reader import first_events

__all__ = [
    "delete_log",
    "get_log",
    "import_file",
    "list_logs",
    "log_public",
    "log_summary",
    "options_from_request",
    "preview_file",
]

_logger = logging.getLogger("app")
_LOGS: Table = EventLog.__table__  # type: ignore[attr-defined]
FAIR_EVERY_S = 1.0
"""A staged import pauses after holding SQLite's write lock this long in all ..."""
FAIR_GAP_S = 0.11
"""... for this long: longer than a waiting connection sleeps between two looks at the
lock (100 ms), so that writers of other processes get their turn too."""
BATCH_RETRIES = 3
"""Attempts at one batch of a staged import when the lock stayed taken all along."""
PREVIEW_BYTES = 256 * 1024
"""How much of a log's plain content a preview reads."""
PREVIEW_ROWS = 20
FIELDS = {role: "lifecycle_column" if role == "lifecycle" else role for role in ROLES}
"""The import request's field of each mapping role."""


def options_from_request(request: ImportRequest, limits: ImportLimits) -> ImportOptions:
    """Import options from an API request or CLI flags."""
    data = request.model_dump(exclude={"name", "pseudonymise"})
    return ImportOptions(**data, pseudonymise=tuple(request.pseudonymise), limits=limits)


def _salt(session: Session) -> bytes:
    """This installation's pseudonymisation secret, made on first use."""
    found = session.get(InstanceSecret, "pseudonym_salt")
    if found is None:
        found = InstanceSecret(key="pseudonym_salt", value=secrets.token_hex(32))
        session.add(found)
        session.flush()
    return bytes.fromhex(found.value)


def _committed_salt(engine: Engine) -> bytes:
    """The salt, made and committed at once if needed (a staged import keeps no write
    of its own open)."""
    for _ in range(2):
        with session_scope(engine) as session:
            try:
                salt = _salt(session)
                commit(session)
            except Conflict:  # made meanwhile by another import: read it
                continue
            return salt
    raise RuntimeError("The pseudonymisation salt could not be stored.")


def _find(session: Session, content: str, fingerprint: str) -> EventLog | None:
    return session.exec(
        select(EventLog).where(
            EventLog.content_sha256 == content,
            EventLog.options_sha256 == fingerprint,
            col(EventLog.importer).is_(None),
        )
    ).first()


def _stages(session: Session) -> Engine | None:
    """The engine to stage a log through: on SQLite, unless the caller's session holds
    changes of its own (their write lock would block the batches; then the import is part
    of the caller's transaction, as on PostgreSQL)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    if getattr(connection.connection.driver_connection, "in_transaction", True):
        return None
    return connection.engine


def import_file(
    session: Session,
    path: Path,
    source_filename: str,
    options: ImportOptions,
    *,
    name: str | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> tuple[EventLog, bool]:
    """Read a log file and store it with its events (the caller commits; on SQLite the
    log is staged in transactions of its own, see the module's text, unless the caller's
    session holds changes already).

    The same content read with the same options is stored once: importing it again
    returns the stored log (an import of it under way is waited for).

    Returns:
        The log and whether it was created now (False: it was there already).

    Raises:
        InvalidEventLog, PayloadTooLarge: the file cannot be imported (nothing is stored).
    """
    started = time.perf_counter()
    content = file_sha256(path)
    fingerprint = options.fingerprint()
    existing = _find(session, content, fingerprint)
    if existing is not None:
        return existing, False
    engine = _stages(session)
    salt = None
    if options.pseudonymise:
        salt = _salt(session) if engine is None else _committed_salt(engine)

    def reading(share: float, phase: str) -> None:
        if progress:
            progress(0.6 * share, phase)

    log = read_event_log(
        path, source_filename, options, salt=salt, workdir=workdir, progress=reading
    )
    stats = log.stats
    row = EventLog(
        name=name or Path(source_filename).name,
        source_filename=Path(source_filename).name,
        format=log.source_format,
        wrapper=log.source_wrapper,
        content_sha256=content,
        options_sha256=fingerprint,
        mapping=log.mapping.as_dict(),
        options=options.as_dict(),
        rows_read=stats["rows_read"],
        exact_duplicate_rows_dropped=stats["exact_duplicate_rows_dropped"],
        rows_skipped=stats["rows_skipped"],
        events=stats["events"],
        cases=stats["cases"],
        activities=stats["activities"],
        departments=stats["departments"],
        unassigned_events=stats["unassigned_events"],
        first_event_us=stats["first_event_us"],
        last_event_us=stats["last_event_us"],
        timestamp_format=stats["timestamp_format"],
        quality=log.quality,
        import_seconds=0.0,
    )
    if engine is not None:
        return _import_staged(session, engine, log, row, started, progress)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # the same content was imported meanwhile by another request or process
        stored = _find(session, content, fingerprint)
        if stored is None:
            raise
        return stored, False
    _store_events(session, log, row.id or 0, progress)
    row.import_seconds = round(time.perf_counter() - started, 3)
    session.add(row)
    session.flush()
    measure_open_actions(session, row.id or 0)  # follow-up of improvement actions
    return row, True


def _import_staged(
    session: Session,
    engine: Engine,
    log: NormalisedLog,
    row: EventLog,
    started: float,
    progress: Progress | None,
) -> tuple[EventLog, bool]:
    """Store a log staged (see the module's text); the caller's session only reads."""
    importer = new_worker_id()
    with staging(importer):
        log_id, created = _stage(engine, row, importer)
        if created:
            try:
                _store_staged(engine, log, log_id, importer, progress)
                _publish(engine, log_id, importer, round(time.perf_counter() - started, 3))
            except BaseException:
                try:
                    discard_staged_log(engine, log_id, importer)
                except Exception:  # the sweep removes it later
                    _logger.exception("The staged event log %d was not removed", log_id)
                raise
    if created:
        try:
            with session_scope(engine) as follow_up:
                measure_open_actions(follow_up, log_id)  # follow-up of improvement actions
                commit(follow_up)
        except Exception:  # the log is stored; the measurements can be made on request
            _logger.exception("Actions were not measured on log %d", log_id)
    stored = session.get(EventLog, log_id, populate_existing=True)  # as now stored
    if stored is None:  # deleted the very moment it was stored
        raise Conflict(f"Event log {log_id} was deleted while it was being imported.")
    return stored, created


def _stage(engine: Engine, row: EventLog, importer: str) -> tuple[int, bool]:
    """Store the log row staged; its id and True, or the id of the same content stored
    meanwhile (waiting for another import of it to end) and False."""
    values: dict[str, Any] = {
        column.name: getattr(row, column.name) for column in _LOGS.columns if column.name != "id"
    }
    values.update(importer=importer, created_at=now())
    same = (_LOGS.c.content_sha256 == row.content_sha256) & (
        _LOGS.c.options_sha256 == row.options_sha256
    )
    vanished = 0
    while True:
        try:
            with engine.begin() as connection:
                statement = insert(_LOGS).values(**values).returning(_LOGS.c.id)
                return int(connection.execute(statement).scalar_one()), True
        except IntegrityError:
            # the same content is stored, or being stored (or removed since)
            with engine.connect() as connection:
                query = select(_LOGS.c.id, _LOGS.c.importer).where(same)
                other = connection.execute(query).first()
            if other is None:
                vanished += 1
                if vanished > 3:  # not a log of the same content that was in the way
                    raise
                continue
        if other.importer is None:
            return int(other.id), False
        if not sweep_staged_logs(engine):
            time.sleep(0.5)  # another import of the same content is under way


def _store_staged(
    engine: Engine, log: NormalisedLog, log_id: int, importer: str, progress: Progress | None
) -> None:
    """Insert the events in batches, each committed with the staged row's progress time
    (which also proves the row is still this import's)."""
    total, done, held = max(log.events.height, 1), 0, 0.0
    columns = ", ".join(STORED_COLUMNS)
    marks = ", ".join("?" for _ in STORED_COLUMNS)
    statement = f"INSERT INTO event ({columns}) VALUES ({marks})"
    ours = (_LOGS.c.id == log_id) & (_LOGS.c.importer == importer)
    for batch in row_batches(log, log_id):
        began = time.monotonic()
        for attempt in range(1, BATCH_RETRIES + 1):
            try:
                with engine.begin() as connection:
                    touched = connection.execute(update(_LOGS).where(ours).values(created_at=now()))
                    if touched.rowcount != 1:
                        raise RuntimeError(f"The staged event log {log_id} was removed meanwhile.")
                    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                    try:
                        cursor.executemany(statement, batch)
                    finally:
                        cursor.close()
                break
            except (OperationalError, sqlite3.OperationalError) as error:
                if "locked" not in str(error) or attempt == BATCH_RETRIES:
                    raise
                time.sleep(FAIR_GAP_S)
        held += time.monotonic() - began
        done += len(batch)
        if progress:
            progress(0.6 + 0.4 * done / total, "storing")
        if held >= FAIR_EVERY_S:
            time.sleep(FAIR_GAP_S)
            held = 0.0
        else:
            yield_to_writers()


def _publish(engine: Engine, log_id: int, importer: str, seconds: float) -> None:
    """Make a staged log visible, recorded in the audit trail as its creation."""
    with session_scope(engine) as session:
        changed = session.connection().execute(
            update(_LOGS)
            .where((_LOGS.c.id == log_id) & (_LOGS.c.importer == importer))
            .values(importer=None, created_at=now(), import_seconds=seconds)
        )
        if changed.rowcount != 1:
            raise RuntimeError(f"The staged event log {log_id} was removed meanwhile.")
        stored = session.get(EventLog, log_id)
        assert stored is not None
        note_creation(session, stored)
        commit(session)


def _store_events(
    session: Session, log: NormalisedLog, log_id: int, progress: Progress | None
) -> None:
    """Bulk-load the events: COPY on PostgreSQL, batched executemany on SQLite."""
    total = max(log.events.height, 1)
    done = 0
    connection = session.connection()
    raw = connection.connection.driver_connection
    columns = ", ".join(STORED_COLUMNS)
    if connection.dialect.name == "postgresql":
        statement = f"COPY event ({columns}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for chunk in csv_batches(log, log_id):
                copy.write(chunk)
                done += chunk.count(b"\n")
                if progress:
                    progress(0.6 + 0.4 * min(done / total, 1.0), "storing")
        return
    marks = ", ".join("?" for _ in STORED_COLUMNS)
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        for batch in row_batches(log, log_id):
            cursor.executemany(f"INSERT INTO event ({columns}) VALUES ({marks})", batch)
            done += len(batch)
            if progress:
                progress(0.6 + 0.4 * done / total, "storing")
    finally:
        cursor.close()


def _micros(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value / 1e6, UTC) if value is not None else None


def log_summary(row: EventLog) -> EventLogSummary:
    """A log in lists."""
    return EventLogSummary(
        id=row.id or 0,
        name=row.name,
        source_filename=row.source_filename,
        events=row.events,
        cases=row.cases,
        activities=row.activities,
        departments=row.departments,
        first_event=_micros(row.first_event_us),
        last_event=_micros(row.last_event_us),
        created_at=row.created_at,
    )


def log_public(row: EventLog) -> EventLogPublic:
    """A log with how it was read and its quality report."""
    return EventLogPublic(
        **log_summary(row).model_dump(),
        format=row.format,
        wrapper=row.wrapper,
        content_sha256=row.content_sha256,
        mapping=row.mapping,
        options=row.options,
        rows_read=row.rows_read,
        exact_duplicate_rows_dropped=row.exact_duplicate_rows_dropped,
        rows_skipped=row.rows_skipped,
        unassigned_events=row.unassigned_events,
        timestamp_format=row.timestamp_format,
        quality=row.quality,
        import_seconds=row.import_seconds,
    )


def list_logs(session: Session) -> list[EventLog]:
    """Every log, newest first (not the staged ones, still being imported)."""
    return list(
        session.exec(
            select(EventLog)
            .where(col(EventLog.importer).is_(None))
            .order_by(col(EventLog.id).desc())
        ).all()
    )


def get_log(session: Session, log_id: int) -> EventLog:
    """A log by id (a staged one, still being imported, is not there yet).

    Raises:
        NotFound: no log has that id.
    """
    row = session.get(EventLog, log_id)
    return require(
        row if row is None or row.importer is None else None, f"There is no event log {log_id}."
    )


def delete_log(session: Session, log_id: int) -> None:
    """Delete a log with its events."""
    row = get_log(session, log_id)
    session.execute(delete(Event).where(col(Event.log_id) == log_id))
    session.execute(delete(AnalysisResult).where(col(AnalysisResult.log_id) == log_id))
    session.execute(delete(ActivityMapping).where(col(ActivityMapping.log_id) == log_id))
    session.delete(row)
    session.flush()


def _cut_at_line_end(data: bytes, encoding: str | None) -> bytes:
    """The bytes up to the last complete line (UTF-16 newlines are two bytes)."""
    encoding = (encoding or sniff_encoding(data) or "").lower().replace("_", "-")
    if encoding.startswith("utf-16"):
        newline = (
            b"\x00\n" if encoding.endswith("be") or data.startswith(b"\xfe\xff") else b"\n\x00"
        )
        at = len(data)
        while (at := data.rfind(newline, 0, at)) > 0 and at % 2:
            pass
        return data[: at + 2] if at > 0 else data
    at = data.rfind(b"\n")
    return data[: at + 1] if at > 0 else data


def _parquet_head(path: Path, name: str, limits: ImportLimits, workdir: Path) -> RawTable:
    """The first rows of a Parquet file (a compressed one is expanded within the limits)."""
    with open_source(path, name, limits, workdir) as source:
        return parquet_head(source.path, name, PREVIEW_ROWS)


def preview_file(
    path: Path,
    filename: str,
    request: ImportRequest,
    limits: ImportLimits,
    *,
    partial: bool = False,
    workdir: Path | None = None,
) -> PreviewPublic:
    """The head of a log: format, columns, first rows and the mapping the importer would use.

    Only the first ``PREVIEW_BYTES`` of the plain content are read (a .gz or .zip is
    expanded only that far); nothing is stored.

    Args:
        partial: the file is the first part of a larger one (a browser sends a slice).

    Raises:
        InvalidEventLog: the head cannot be read as a log (one sentence, as the import).
    """
    head = read_head(path, filename, PREVIEW_BYTES)
    complete = head.complete and not partial
    encoding: str | None = None
    with tempfile.TemporaryDirectory(dir=workdir, prefix="handoff-preview-") as tmp:
        if head.format == "csv":
            data = head.data if complete else _cut_at_line_end(head.data, request.encoding)
            part = Path(tmp) / "head.csv"
            part.write_bytes(data)
            with utf8_text(part, filename, request.encoding, limits, Path(tmp)) as text:
                raw = read_csv(text, filename, request.delimiter, limits)
                encoding = text.encoding
            read = len(data)
        elif head.format == "xes":
            raw = first_events(head.data, filename, complete, PREVIEW_ROWS)
            read = len(head.data)
        else:
            raw = _parquet_head(path, filename, limits, Path(tmp))
            read = len(head.data)
    explicit = {role: getattr(request, FIELDS[role]) for role in ROLES}
    found = candidates(raw.frame, explicit, raw.defaults, raw.headers)
    problem: str | None = None
    try:
        chosen = resolve_mapping(raw.frame, filename, explicit, raw.defaults, raw.headers).as_dict()
    except InvalidEventLog as error:
        problem = error.message
        chosen = {
            role: options[0] if len(options) == 1 else None for role, options in found.items()
        }
    first = raw.frame.head(PREVIEW_ROWS)
    return PreviewPublic(
        filename=filename,
        format=head.format,
        wrapper=head.wrapper,
        encoding=encoding,
        delimiter=raw.delimiter if head.format == "csv" else None,
        unit=raw.unit,
        columns=list(raw.frame.columns),
        rows=[
            PreviewRow(line=line, values=list(values))
            for line, values in zip(
                raw.lines.head(PREVIEW_ROWS).to_list(), first.rows(), strict=True
            )
        ],
        row_problems=[{"line": p.line, "message": p.message} for p in raw.problems[:PREVIEW_ROWS]],
        mapping={FIELDS[role]: chosen[role] for role in ROLES},
        candidates={FIELDS[role]: found[role] for role in ROLES},
        problem=problem,
        bytes_read=read,
        complete=complete,
    )
