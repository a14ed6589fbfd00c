"""Engine creation, migrations at start-up, and the unit of work."""

from __future__ import annotations

import logging
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

__all__ = ["commit", "database_ok", "make_engine", "migrate", "open_database", "session_scope"]

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

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
    engine = make_engine(settings.resolved_database_url)
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
