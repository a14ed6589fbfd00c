"""Helpers of the tests that run real ``handoff serve`` processes and kill them: a server
that can be killed with SIGKILL, an account made straight in the database, a test log
with its expected figures counted independently of the importer, and the checks of a
database after a crash."""

from __future__ import annotations

import csv
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.db.engine import commit, make_engine, session_scope
from tests.integration.test_two_processes import Server

__all__ = [
    "LEFTOVER_TABLES",
    "GeneratedLog",
    "Killable",
    "count",
    "database_problems",
    "generated_log",
    "make_token",
    "poll_job",
]

LEFTOVER_TABLES = ("event", "analysis_result", "activity_mapping", "action_measurement")
"""Tables whose rows name a log without a foreign key (they would outlive a lost log)."""


class Killable(Server):
    """A ``handoff serve`` subprocess that can be killed without warning."""

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, no transaction is finished."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)  # reaped: its pid no longer exists
        self.out.close()

    def text(self, path: str) -> tuple[int, str]:
        """A GET whose answer is not JSON (a YAML export)."""
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def make_token(url: str, username: str = "tester") -> str:
    """An analyst account and its API token, made straight in the database."""
    from app.domain.accounts import services

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            account = services.create_account(
                session, username, "a long test password", "admin", []
            )
            _, token = services.new_token(session, account, "tests", None)
            commit(session)
    finally:
        engine.dispose()
    return token


def count(url: str, sql: str, **params: Any) -> Any:
    """The first column of the first row of a query, on a connection of its own."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def database_problems(url: str) -> list[str]:
    """What is wrong with the database after a crash: SQLite's own integrity and foreign
    key checks (on PostgreSQL foreign keys hold by construction), then on both the rows
    that name a log that does not exist and logs left staged."""
    problems: list[str] = []
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            integrity = connection.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                problems.append(f"integrity_check: {integrity}")
            keys = connection.execute("PRAGMA foreign_key_check").fetchall()
            if keys:
                problems.append(f"foreign_key_check: {keys}")
        finally:
            connection.close()
    for table in LEFTOVER_TABLES:
        orphans = count(
            url,
            f"SELECT count(*) FROM {table} t "
            "WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.id = t.log_id)",
        )
        if orphans:
            problems.append(f"{orphans} rows of {table} name a log that does not exist")
    staged = count(url, "SELECT count(*) FROM event_log WHERE importer IS NOT NULL")
    if staged:
        problems.append(f"{staged} staged logs are left")
    return problems


@dataclass(frozen=True)
class GeneratedLog:
    """A generated log and what an import of it must store."""

    path: Path
    events: int
    cases: int


def generated_log(path: Path, events: int) -> GeneratedLog:
    """Generate a municipal log (``benchmarks/generate_log.py``) and count, with the csv
    module, the events (exact duplicate rows dropped) and cases an import must store."""
    from benchmarks.generate_log import generate

    generate(events, path, seed=11)
    with path.open(newline="") as source:
        rows = list(csv.reader(source))[1:]
    return GeneratedLog(path, len(set(map(tuple, rows))), len({row[0] for row in rows}))


def poll_job(server: Server, location: str, seconds: float = 300) -> dict[str, Any]:
    """Follow a job until it is done or failed."""
    deadline = time.monotonic() + seconds
    job: dict[str, Any] = server.call("GET", location)[2]
    while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
        time.sleep(0.1)
        job = server.call("GET", location)[2]
    return job
