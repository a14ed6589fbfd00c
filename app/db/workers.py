"""What several server processes on one database need to share work: a name for this
process, a heartbeat on the jobs it holds, the sweep that fails jobs whose holder stopped
beating, an insert that tolerates a row stored meanwhile, and a lock around start-up.

Jobs (``import_job``, ``analysis_job``) are claimed by a conditional UPDATE (and, on
PostgreSQL, ``FOR UPDATE SKIP LOCKED``), so exactly one process wins a job. The holder
writes ``heartbeat_at`` every ``HEARTBEAT_S`` seconds; a running job of another process
whose heartbeat is older than ``STALE_S`` seconds is taken as interrupted by whichever
process notices first. SQLite serves one process: there the heartbeat is not written (an
import holds SQLite's one write lock for its whole length), so a job of another process is
stale ``STALE_S`` seconds after it was claimed.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from app.db.models import AnalysisJob, ImportJob

__all__ = [
    "HEARTBEAT_S",
    "STALE_S",
    "Heartbeat",
    "insert_ignore",
    "new_worker_id",
    "now",
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


def new_worker_id() -> str:
    """A name for this process, unique across machines and restarts: ``host:pid:tag``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


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
    """Fail the running imports of other processes whose heartbeat stopped, and drop their
    stale claims on analyses (the next request claims those again). Returns how many
    imports were failed."""
    cutoff, at = stale_before(), now()
    jobs, claims = _table(ImportJob), _table(AnalysisJob)
    stale_job = (
        (jobs.c.state == "running")
        & (jobs.c.worker.is_(None) | (jobs.c.worker != worker))
        & (jobs.c.heartbeat_at.is_(None) | (jobs.c.heartbeat_at < cutoff))
    )
    with engine.begin() as connection:
        failed = connection.execute(
            update(jobs)
            .where(stale_job)
            .values(state="failed", phase="interrupted", error=INTERRUPTED, updated_at=at)
        ).rowcount
        connection.execute(
            delete(claims).where(
                (claims.c.state == "running")
                & (claims.c.worker != worker)
                & (claims.c.heartbeat_at < cutoff)
            )
        )
    if failed:
        log.warning("%d import job(s) were interrupted (their process stopped)", failed)
    return int(failed)


class Heartbeat:
    """A daemon thread that, every ``HEARTBEAT_S`` seconds, writes the heartbeat of this
    process's running jobs (not on SQLite) and sweeps the stale jobs of others."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine = engine
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="handoff-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def beat(self) -> None:
        """Write the heartbeat and sweep once."""
        if self.engine.dialect.name != "sqlite":
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
