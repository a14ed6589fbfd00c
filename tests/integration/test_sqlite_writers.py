"""SQLite has one write lock for the whole database. An import stages its log (events in
separately committed batches under an invisible log row, made visible at the end), so
that other changes get the lock between its batches: edits and sign-ins made while a
large import runs all succeed, well within a busy timeout shorter than the import; no
reader sees part of a log; a failed import leaves nothing; and a change that still waits
too long for the lock answers 503 with Retry-After, not 500.

Run with ``-s`` to see the figures of the concurrent writers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from app.asgi import create_app
from app.config import Settings
from app.db.engine import commit, session_scope
from app.db.models import EventLog, Owner
from app.domain.event_logs import services
from app.lib.errors import NotFound
from app.mining import eventlog
from app.mining.options import ImportOptions
from app.mining.sources import file_sha256
from tests.conftest import DATA, bearer, signed_in
from tests.integration.conftest import POTHOLE, assert_problem, document
from tests.integration.servers import (
    GeneratedLog,
    Killable,
    database_problems,
    generated_log,
    make_token,
    poll_job,
)
from tests.unit.test_dead_holders import Child

pytestmark = pytest.mark.sqlite
HANDOFFS = DATA / "logs" / "handoffs.csv"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only (its one write lock is what these tests are about): the suite's
    ``settings`` and ``engine`` fixtures build on it."""
    return f"sqlite:///{tmp_path / 'handoff.sqlite3'}"


def _count(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of three events, so that a small log is stored in many transactions."""
    monkeypatch.setattr(
        services, "row_batches", lambda log, log_id: eventlog.row_batches(log, log_id, 3)
    )


def test_a_staged_log_is_invisible_until_its_import_ends(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_batches(monkeypatch)
    seen: list[tuple[int, int, int]] = []

    def progress(share: float, phase: str) -> None:
        if phase != "storing":
            return
        with session_scope(engine) as session:  # another reader, meanwhile
            staged = _count(engine, "SELECT max(id) FROM event_log")
            with pytest.raises(NotFound):
                services.get_log(session, staged)
            listed = len(services.list_logs(session))
        seen.append((listed, _count(engine, "SELECT count(*) FROM event"), staged))

    with session_scope(engine) as session:
        row, created = services.import_file(
            session, HANDOFFS, "handoffs.csv", ImportOptions(), progress=progress
        )
        commit(session)
    events = len(HANDOFFS.read_text().splitlines()) - 1
    assert created and row.events == events and row.importer is None
    # every batch was committed while the log stayed out of reads and lists
    assert len(seen) == -(-events // 3)
    assert [listed for listed, _, _ in seen] == [0] * len(seen)
    assert [stored for _, stored, _ in seen] == [
        min(3 * n, events) for n in range(1, len(seen) + 1)
    ]
    assert {log_id for _, _, log_id in seen} == {row.id}
    with session_scope(engine) as session:
        assert [log.id for log in services.list_logs(session)] == [row.id]
    entries = _count(engine, "SELECT count(*) FROM audit_entry WHERE entity = 'event_log'")
    assert entries == 1  # its creation, when it became visible


def test_a_staged_import_that_fails_leaves_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(log: Any, log_id: int) -> Iterator[list[tuple[Any, ...]]]:
        batches = eventlog.row_batches(log, log_id, 3)
        yield next(batches)
        yield next(batches)
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "row_batches", failing)
    with session_scope(engine) as session, pytest.raises(OSError, match="No space"):
        services.import_file(session, HANDOFFS, "handoffs.csv", ImportOptions())
    for table in ("event_log", "event", "audit_entry"):
        assert _count(engine, f"SELECT count(*) FROM {table}") == 0, table
    monkeypatch.undo()  # the same file imports afterwards: nothing of it is in the way
    with session_scope(engine) as session:
        row, created = services.import_file(session, HANDOFFS, "handoffs.csv", ImportOptions())
        commit(session)
    assert created and _count(engine, "SELECT count(*) FROM event") == row.events


def test_a_log_left_staged_by_a_stopped_import_does_not_block_the_same_file(
    engine: Engine,
) -> None:
    stopped = Child()
    stopped.end()
    options = ImportOptions()
    with session_scope(engine) as session:
        left = EventLog(
            name="left",
            source_filename="handoffs.csv",
            format="csv",
            content_sha256=file_sha256(HANDOFFS),
            options_sha256=options.fingerprint(),
            mapping={},
            options={},
            rows_read=1,
            exact_duplicate_rows_dropped=0,
            rows_skipped=0,
            events=1,
            cases=1,
            activities=1,
            departments=[],
            unassigned_events=0,
            timestamp_format="iso",
            quality={},
            import_seconds=0.0,
            importer=stopped.worker,
        )
        session.add(left)
        commit(session)
        row, created = services.import_file(session, HANDOFFS, "handoffs.csv", options)
        commit(session)
    events = len(HANDOFFS.read_text().splitlines()) - 1
    assert created and row.importer is None
    assert (row.name, row.events) == ("handoffs.csv", events)  # not the row left behind
    assert _count(engine, "SELECT count(*) FROM event_log") == 1


def test_a_change_in_a_savepoint_waits_for_the_lock_instead_of_failing(
    settings: Settings, engine: Engine
) -> None:
    """A transaction opened by SAVEPOINT that reads and then writes could not wait for
    the lock (SQLite refuses at once to turn a read into a write while another connection
    writes); it takes the write lock first."""
    path = settings.resolved_database_url.removeprefix("sqlite:///")
    blocker = sqlite3.connect(path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO instance_secret VALUES ('other', 'change')")
    release = threading.Timer(0.3, blocker.commit)
    release.start()
    try:
        with session_scope(engine) as session:
            with session.begin_nested():
                assert session.exec(select(Owner)).all() == []
                session.add(Owner(name="Dana Whitfield"))
                session.flush()
            commit(session)
    finally:
        release.join()
        blocker.close()
    assert _count(engine, "SELECT count(*) FROM owner") == 1
    assert _count(engine, "SELECT count(*) FROM instance_secret") == 1


def test_a_change_that_waits_too_long_for_the_lock_answers_503(
    settings: Settings,
) -> None:
    """Another process holds the write lock longer than the busy timeout."""
    app = create_app(settings.model_copy(update={"sqlite_busy_timeout_s": 0.2}))
    owner = {"name": "Dana Whitfield", "department": "Roads"}
    with signed_in(app) as client:
        assert client.get("/api/owners").status_code == 200  # the token's use is recorded
        fresh = bearer(app, "fresh", "analyst")  # its first use will be written
        blocker = sqlite3.connect(settings.resolved_database_url.removeprefix("sqlite:///"))
        try:
            blocker.execute("BEGIN IMMEDIATE")
            body = assert_problem(client.post("/api/owners", json=owner), 503, "busy")
            assert body["title"] == "Service Unavailable"
            response = client.post("/api/owners", json=owner)
            assert response.status_code == 503 and response.headers["retry-after"] == "2"
            # the sign-in middleware's write of a token's use, too
            response = client.get("/api/owners", headers={"Authorization": f"Bearer {fresh}"})
            assert_problem(response, 503, "try again")
            assert response.headers["retry-after"] == "2"
        finally:
            blocker.rollback()
            blocker.close()
        assert client.post("/api/owners", json=owner).status_code == 201
        assert [o["name"] for o in client.get("/api/owners").json()] == ["Dana Whitfield"]


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> GeneratedLog:
    """A million events (83 MB): on this machine storing them takes several times the
    busy timeout the server below is given."""
    return generated_log(tmp_path_factory.mktemp("logs") / "requests.csv", 1_000_000)


class Writers:
    """Threads that write (edit a process, add an owner, sign in) and read the list of
    logs, over and over, until told to stop."""

    def __init__(self, server: Killable, events: int) -> None:
        self.server, self.events = server, events
        self.phase = "queued"
        self.results: list[tuple[str, str, int, float, Any]] = []
        self.partial: list[Any] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(kind,))
            for kind in ("edit", "owner", "sign-in", "read")
        ]

    def _write(self, kind: str, n: int) -> tuple[int, Any]:
        call, number = self.server.call, f"{n} {kind}"
        if kind == "edit":
            body = json.dumps({"name": f"Pothole report {number}"}).encode()
            status, _, answer = call("PATCH", "/api/processes/pothole", body, "application/json")
        elif kind == "owner":
            body = json.dumps({"name": f"Owner {number}", "department": "Roads"}).encode()
            status, _, answer = call("POST", "/api/owners", body, "application/json")
        else:
            body = json.dumps({"username": "tester", "password": "a long test password"})
            status, _, answer = call("POST", "/api/auth/login", body.encode(), "application/json")
        return status, answer

    def _loop(self, kind: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            phase, started = self.phase, time.monotonic()
            if kind == "read":
                for log in self.server.call("GET", "/api/event-logs")[2]:
                    if log["events"] != self.events:
                        self.partial.append(log)
                time.sleep(0.05)
                continue
            status, answer = self._write(kind, n)
            waited = time.monotonic() - started
            self.results.append((kind, phase, status, waited, answer if status >= 300 else None))
            time.sleep(0.2)


def test_edits_and_sign_ins_during_a_long_import_all_succeed(
    tmp_path: Path, million: GeneratedLog
) -> None:
    url = f"sqlite:///{tmp_path / 'handoff.sqlite3'}"
    env = {
        "HANDOFF_LOAD_SAMPLES": "false",
        "HANDOFF_SYNC_IMPORT_BYTES": "0",
        "HANDOFF_SQLITE_BUSY_TIMEOUT_S": "2",  # less than storing the log takes
    }
    server = Killable(url, tmp_path / "server", env)
    try:
        server.wait_ready()
        server.token = make_token(url)
        body = json.dumps(document(POTHOLE)).encode()
        assert server.call("POST", "/api/processes", body, "application/json")[0] == 201
        status, headers, job = server.upload(million.path)
        assert status == 202, job
        writers = Writers(server, million.events)
        for thread in writers.threads:
            thread.start()
        storing: list[float] = []
        try:
            while job["state"] not in {"done", "failed"}:
                job = server.call("GET", headers["location"])[2]
                writers.phase = job["phase"]
                if job["phase"] == "storing":
                    storing.append(time.monotonic())
                time.sleep(0.05)
        finally:
            writers.stop.set()
            for thread in writers.threads:
                thread.join()
        job = poll_job(server, headers["location"])
        assert job["state"] == "done", job
        failed = [r for r in writers.results if not 200 <= r[2] < 300]
        assert failed == []
        during = [r for r in writers.results if r[1] == "storing"]
        assert {kind for kind, *_ in during} == {"edit", "owner", "sign-in"}
        assert writers.partial == []  # no reader saw a log before it was whole
        assert server.call("GET", f"/api/event-logs/{job['log_id']}")[2]["events"] == (
            million.events
        )
        assert database_problems(url) == []
        print(
            f"\nsqlite, busy timeout 2 s, storing ~{storing[-1] - storing[0]:.1f} s: "
            f"{len(writers.results)} writes attempted, "
            f"{len(writers.results) - len(failed)} succeeded, {len(during)} while storing; "
            f"longest wait {max(r[3] for r in writers.results):.2f} s "
            f"(while storing {max(r[3] for r in during):.2f} s)"
        )
    finally:
        server.stop()
