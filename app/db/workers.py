"""What several server processes on one database need to share work: a name for this
process, a heartbeat on the jobs it holds, the sweep that fails jobs whose holder stopped,
an insert that tolerates a row stored meanwhile, and a lock around start-up.

Jobs (``import_job``, ``analysis_job``) are claimed by a conditional UPDATE (and, on
PostgreSQL, ``FOR UPDATE SKIP LOCKED``), so exactly one process wins a job. The holder
writes ``heartbeat_at`` every ``HEARTBEAT_S`` seconds. A running job of another process is
taken as interrupted by whichever process notices first:

- at once when its holder ran on this machine in this boot and is gone: the worker id
  ``host:pid:tag`` names this host, boot and pid namespace, and the pid no longer exists
  (or is a zombie) or belongs to a process that started at another moment (the pid was
  reused) (``holder_state``);
- otherwise (another machine, an earlier boot, or a worker id that cannot be checked)
  when its heartbeat is older than ``STALE_S`` seconds. An earlier boot is not taken as
  proof: a machine cloned under the same host name looks the same.

The same rule removes the staged logs (``event_log.importer`` set) of imports whose process
stopped, except that a staged log of a process known to run is never stale (its import
may wait long for SQLite's lock): on SQLite an import stores its events in separately
committed batches under an invisible log row, made visible at the end
(``event_logs.services``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, Table, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.db.engine import yield_to_writers
from app.db.models import (
    ActionMeasurement,
    ActivityMapping,
    AnalysisJob,
    AnalysisResult,
    Event,
    EventLog,
    ImportJob,
)

__all__ = [
    "HEARTBEAT_S",
    "STALE_S",
    "Heartbeat",
    "discard_staged_log",
    "holder_gone",
    "holder_state",
    "insert_ignore",
    "new_worker_id",
    "now",
    "staging",
    "stale_before",
    "startup_lock",
    "sweep",
]

log = logging.getLogger("app")
HEARTBEAT_S = 5.0
"""How often a process writes the heartbeat of the jobs it holds."""
STALE_S = 60.0
"""A job whose heartbeat is older than this is taken as interrupted."""
INTERRUPTED = (
    "The import was interrupted by a restart of the service (the process running it stopped); "
    "retry it or upload the file again."
)
STARTUP_LOCK = 0x48616E64  # "Hand": the advisory lock key of start-up on PostgreSQL


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@cache
def _machine() -> tuple[str, str] | None:
    """This machine's boot and this process's pid namespace, hashed (None without /proc)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return _hash(boot, 6), _hash(namespace, 4)


def _hash(value: str, size: int) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:size]


def _started(pid: int) -> str | None:
    """When a live process started (its start time in clock ticks since boot, hashed);
    None when there is no such process, or it is a zombie (it has exited)."""
    if pid <= 0:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, in brackets
    if fields[0] in {"Z", "X"}:
        return None
    return _hash(fields[19], 8)  # field 22 of proc(5): starttime


_HOST = socket.gethostname()[:60]
_TAG = re.compile(r"^(?P<boot>[0-9a-f]{6})(?P<ns>[0-9a-f]{4})(?P<start>[0-9a-f]{8})\.[0-9a-f]{6}$")


def new_worker_id() -> str:
    """A name for this process, unique across machines and restarts: ``host:pid:tag``.

    Where ``/proc`` tells, the tag holds the machine's boot, the pid namespace and the
    moment this process started, so that another process on this machine can tell whether
    the holder of a job is gone (``holder_gone``); then a random part (several apps, or
    several imports, in one process get different names)."""
    pid, random = os.getpid(), secrets.token_hex(3)
    machine, started = _machine(), _started(pid)
    if machine is None or started is None:
        return f"{_HOST}:{pid}:{random}"
    return f"{_HOST}:{pid}:{machine[0]}{machine[1]}{started}.{random}"


def holder_state(worker: str | None) -> Literal["gone", "alive", "unknown"]:
    """Whether the process named by a worker id has certainly stopped or certainly runs:
    told only when it ran on this machine in this boot (same host name, boot id and pid
    namespace): gone when its pid no longer exists or now belongs to a process started at
    another moment. Unknown otherwise (another machine, an earlier boot, which a machine
    cloned under the same host name would look like too, or an id without a start tag):
    the heartbeat decides then."""
    if not worker:
        return "unknown"
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _HOST or not parts[1].isdigit():
        return "unknown"
    tag, machine = _TAG.match(parts[2]), _machine()
    if tag is None or machine is None or tag["ns"] != machine[1] or tag["boot"] != machine[0]:
        return "unknown"
    return "alive" if _started(int(parts[1])) == tag["start"] else "gone"


def holder_gone(worker: str | None) -> bool:
    """Whether the process named by a worker id has certainly stopped (``holder_state``)."""
    return holder_state(worker) == "gone"


def _same_process(worker: str) -> bool:
    """Whether a worker id was made by this process (with any random part)."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _HOST or parts[1] != str(os.getpid()):
        return False
    mine = new_worker_id().rsplit(":", 1)[1]
    return "." not in mine or parts[2].split(".")[0] == mine.split(".")[0]


_staging: set[str] = set()
_staging_lock = threading.Lock()


@contextmanager
def staging(importer: str) -> Iterator[None]:
    """Mark an import of this process as staging a log under ``importer`` while the block
    runs, so that the sweep leaves its staged log alone (and removes one left behind by an
    import of this process that ended without removing it)."""
    with _staging_lock:
        _staging.add(importer)
    try:
        yield
    finally:
        with _staging_lock:
            _staging.discard(importer)


def stale_before() -> datetime:
    """Jobs of other processes with a heartbeat before this instant are interrupted."""
    return now() - timedelta(seconds=STALE_S)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def insert_ignore(connection: Connection, model: Any, values: dict[str, Any]) -> bool:
    """Insert a row unless one with its primary key exists; True when this one went in."""
    table = _table(model)
    if connection.dialect.name == "postgresql":
        statement: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif connection.dialect.name == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - the two supported databases are above
        statement = insert(table).values(**values)
    # RETURNING tells whether the row went in (psycopg's rowcount of ON CONFLICT is -1)
    returned = connection.execute(statement.returning(*table.primary_key.columns)).first()
    return returned is not None


def sweep(engine: Engine, worker: str) -> int:
    """Fail the running imports of other processes that stopped (``holder_gone``) or
    whose heartbeat stopped, drop such claims on analyses (the next request claims those
    again) and remove the staged logs of imports that will not finish. Returns how many
    imports were failed."""
    cutoff, at = stale_before(), now()
    jobs, claims = _table(ImportJob), _table(AnalysisJob)
    others = (jobs.c.state == "running") & (jobs.c.worker.is_(None) | (jobs.c.worker != worker))
    stale_job = others & (jobs.c.heartbeat_at.is_(None) | (jobs.c.heartbeat_at < cutoff))
    interrupted = {
        "state": "failed",
        "phase": "interrupted",
        "error": INTERRUPTED,
        "updated_at": at,
    }
    with engine.begin() as connection:
        running = connection.execute(select(jobs.c.id, jobs.c.worker).where(others)).all()
        failed = connection.execute(update(jobs).where(stale_job).values(**interrupted)).rowcount
        for job_id, holder in running:
            if holder_gone(holder):
                failed += connection.execute(
                    update(jobs)
                    .where(
                        (jobs.c.id == job_id)
                        & (jobs.c.worker == holder)
                        & (jobs.c.state == "running")
                    )
                    .values(**interrupted)
                ).rowcount
        held = connection.execute(
            select(claims.c.worker)
            .where((claims.c.state == "running") & (claims.c.worker != worker))
            .distinct()
        ).scalars()
        gone = [holder for holder in held if holder_gone(holder)]
        connection.execute(
            delete(claims).where(
                (claims.c.state == "running")
                & (claims.c.worker != worker)
                & ((claims.c.heartbeat_at < cutoff) | claims.c.worker.in_(gone))
            )
        )
    if failed:
        log.warning("%d import job(s) were interrupted (their process stopped)", failed)
    sweep_staged_logs(engine)
    return int(failed)


def sweep_staged_logs(engine: Engine) -> int:
    """Remove the staged logs whose import will not finish: its process stopped
    (``holder_gone``), or it is this process's and no import of it is staging it any more,
    or (where that cannot be told) it made no progress for ``STALE_S`` seconds. Returns
    how many were removed."""
    logs = _table(EventLog)
    with engine.connect() as connection:
        staged = connection.execute(
            select(logs.c.id, logs.c.importer, logs.c.created_at).where(
                logs.c.importer.is_not(None)
            )
        ).all()
    cutoff, removed = stale_before(), 0
    for log_id, importer, touched in staged:
        if touched is not None and touched.tzinfo is None:
            touched = touched.replace(tzinfo=UTC)  # SQLite keeps no offset
        if _same_process(importer):
            with _staging_lock:
                abandoned = importer not in _staging
        else:
            state = holder_state(importer)  # a live import may wait long for the lock
            stale = touched is None or touched < cutoff
            abandoned = state == "gone" or (state == "unknown" and stale)
        if abandoned and discard_staged_log(engine, log_id, importer):
            log.warning("Removed event log %d, staged by an import that stopped", log_id)
            removed += 1
    return removed


DISCARD_BATCH = 100_000
"""Events deleted per transaction when a staged log is removed."""


def discard_staged_log(engine: Engine, log_id: int, importer: str) -> bool:
    """Remove a staged log, its events and anything stored for it, in short transactions
    (the events ``DISCARD_BATCH`` at a time, the log row last, so that a stop halfway
    leaves it staged for the next sweep). Nothing is removed once the log is visible (or
    staged by another import). Returns whether it was removed."""
    logs, events = _table(EventLog), _table(Event)
    ours = (logs.c.id == log_id) & (logs.c.importer == importer)
    with engine.connect() as connection:
        last = connection.execute(
            select(func.max(events.c.seq)).where(events.c.log_id == log_id)
        ).scalar()
    upper = -1 if last is None else int(last)
    for low in range(0, upper + 1, DISCARD_BATCH):
        with engine.begin() as connection:
            if connection.execute(select(logs.c.id).where(ours)).first() is None:
                return False
            connection.execute(
                delete(events).where(
                    (events.c.log_id == log_id)
                    & (events.c.seq >= low)
                    & (events.c.seq < low + DISCARD_BATCH)
                )
            )
        yield_to_writers()
    with engine.begin() as connection:
        if connection.execute(select(logs.c.id).where(ours)).first() is None:
            return False
        connection.execute(delete(events).where(events.c.log_id == log_id))
        for model in (AnalysisResult, ActivityMapping, ActionMeasurement, AnalysisJob):
            table = _table(model)
            connection.execute(delete(table).where(table.c.log_id == log_id))
        connection.execute(
            update(_table(ImportJob))
            .where(_table(ImportJob).c.log_id == log_id)
            .values(log_id=None)
        )
        return bool(connection.execute(delete(logs).where(ours)).rowcount)


class Heartbeat:
    """A daemon thread that, every ``HEARTBEAT_S`` seconds, writes the heartbeat of this
    process's running jobs and sweeps the jobs of processes that stopped."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine = engine
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="handoff-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def beat(self) -> None:
        """Write the heartbeat and sweep once."""
        at = now()
        with self.engine.begin() as connection:
            for model in (ImportJob, AnalysisJob):
                table = _table(model)
                connection.execute(
                    update(table)
                    .where((table.c.worker == self.worker) & (table.c.state == "running"))
                    .values(heartbeat_at=at)
                )
        sweep(self.engine, self.worker)

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.beat()
            except Exception as error:  # the database may be away for a moment
                log.warning("Heartbeat of %s failed: %s", self.worker, error)

    def shutdown(self) -> None:
        """Stop beating."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock of start-up, so that of several processes starting
    together one migrates and loads the first data while the others wait (and then find it
    done). SQLite needs none: it serves one process."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            connection.commit()
