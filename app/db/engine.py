"""Engine creation, migrations at start-up, and the unit of work."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.config import Settings
from app.db import audit  # noqa: F401  (its session events record the audit trail)
from app.lib.errors import Conflict

__all__ = [
    "BUSY_TIMEOUT_S",
    "commit",
    "database_ok",
    "make_engine",
    "migrate",
    "open_database",
    "session_scope",
    "yield_to_writers",
]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 30.0
"""How long a SQLite statement waits for another connection's write lock by default."""
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _Writers:
    """The SQLite write statements sent through SQLAlchemy in this process that are under
    way (most of that time, waiting for the write lock), each with a ticket in the order
    they began. A long writer that commits in batches (an import) lets those under way
    when it commits get their turn before its next batch: SQLite's lock is not fair, and a
    waiting connection only looks again every 100 ms."""

    def __init__(self) -> None:
        self.issued = 0
        self.active: set[int] = set()
        self.changed = threading.Condition()

    def enter(self) -> int:
        with self.changed:
            self.issued += 1
            self.active.add(self.issued)
            return self.issued

    def leave(self, ticket: int) -> None:
        with self.changed:
            self.active.discard(ticket)
            self.changed.notify_all()


_writers = _Writers()
_WRITING = "handoff_writing"


def yield_to_writers(longest: float = 0.5) -> bool:
    """Wait, at most ``longest`` seconds, until the write statements of this process that
    are under way now (not those that begin meanwhile) are through (call it between the
    committed batches of a long writer). Returns whether there were any."""
    with _writers.changed:
        last = _writers.issued
        if not any(ticket <= last for ticket in _writers.active):
            return False
        _writers.changed.wait_for(
            lambda: not any(ticket <= last for ticket in _writers.active), timeout=longest
        )
        return True


def _track_writers(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES) and _WRITING not in conn.info:
            conn.info[_WRITING] = _writers.enter()

    def _done(conn: Any) -> None:
        ticket = conn.info.pop(_WRITING, None) if conn is not None else None
        if ticket is not None:
            _writers.leave(ticket)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, *_args: Any) -> None:
        _done(conn)

    @event.listens_for(engine, "handle_error")
    def _error(context: Any) -> None:
        _done(context.connection)

    @event.listens_for(engine, "savepoint")
    def _savepoint(conn: Any, _name: Any) -> None:
        # SAVEPOINT outside a transaction opens a deferred one: its first read takes a
        # snapshot, and a write after it fails at once with "database is locked" when
        # another connection writes (SQLite cannot wait there). A transaction opened for a
        # savepoint is one that writes: it takes the write lock first, waiting its turn.
        raw = conn.connection.driver_connection
        if not raw.in_transaction:
            ticket = _writers.enter()
            try:
                raw.execute("BEGIN IMMEDIATE")
            finally:
                _writers.leave(ticket)


def make_engine(url: str, busy_timeout_s: float = BUSY_TIMEOUT_S) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
            cursor.close()

        _track_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (of every branch)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def open_database(settings: Settings) -> Engine:
    """Engine for the configured database, migrated to the newest schema."""
    engine = make_engine(settings.resolved_database_url, settings.sqlite_busy_timeout_s)
    migrate(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that rolls back whatever was not committed explicitly."""
    session = session_factory(engine)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def commit(session: Session) -> None:
    """Commit, turning a constraint violation into a Conflict instead of a 500.

    Raises:
        Conflict: the database refused the change (a unique name taken meanwhile).
    """
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        detail = str(error.orig).splitlines()[0] if error.orig else str(error)
        raise Conflict(f"The change clashes with what is stored: {detail}.") from error


def database_ok(engine: Engine) -> tuple[bool, str]:
    """Whether the database answers a trivial query, and its dialect or the error."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        return False, str(error.orig).splitlines()[0] if error.orig else str(error)
    return True, engine.dialect.name
