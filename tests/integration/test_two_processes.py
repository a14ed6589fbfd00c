"""Two real ``handoff serve`` processes on one PostgreSQL database: they start together on
an empty database, see each other's writes, run an import once and compute a large-log
analysis once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.db.engine import commit, make_engine, session_scope
from tests import postgres
from tests.conftest import DATA, ROOT, _postgres_database

pytestmark = pytest.mark.postgresql


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``handoff serve`` subprocess."""

    def __init__(self, url: str, data_dir: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "serve.log"
        data_dir.mkdir(parents=True)
        environment = {
            **os.environ,
            "HANDOFF_DATABASE_URL": url,
            "HANDOFF_DATA_DIR": str(data_dir),
            "HANDOFF_SAMPLES_DIR": str(ROOT / "processes"),
            "HANDOFF_EVENT_LOGS_DIR": str(data_dir / "no-demo-logs"),
            **env,
        }
        self.out = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=environment,
            stdout=self.out,
            stderr=subprocess.STDOUT,
        )
        self.token = ""

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, headers, raw = response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, _lower(error.headers), error.read()
        return status, headers, json.loads(raw) if raw else None

    def upload(self, path: Path) -> tuple[int, dict[str, str], Any]:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + path.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.call(
            "POST", "/api/event-logs", body, f"multipart/form-data; boundary={boundary}"
        )

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.out.close()
        return self.log.read_text()


@pytest.fixture
def database(pg_cluster: postgres.Cluster, pg_template: str) -> Iterator[str]:
    yield from _postgres_database(pg_cluster, pg_template)


@pytest.fixture
def servers(database: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two servers started at the same moment on one database holding no data yet."""
    env = {
        "HANDOFF_LOAD_SAMPLES": "true",
        "HANDOFF_SYNC_IMPORT_BYTES": "0",  # every upload is a job
        "HANDOFF_INLINE_ANALYSIS_EVENTS": "0",  # every log is large
    }
    pair = (Server(database, tmp_path / "a", env), Server(database, tmp_path / "b", env))
    try:
        for server in pair:
            server.wait_ready()
        engine = make_engine(database)
        from app.domain.accounts import services

        with session_scope(engine) as session:
            account = services.create_account(
                session, "analyst", "a long test password", "analyst", []
            )
            _, token = services.new_token(session, account, "tests", None)
            commit(session)
        engine.dispose()
        for server in pair:
            server.token = token
        yield pair
    finally:
        logs = [server.stop() for server in pair]
        print("\n".join(logs))


def _count(database: str, sql: str) -> Any:
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()
    finally:
        engine.dispose()


def test_two_processes_share_one_database(servers: tuple[Server, Server], database: str) -> None:
    a, b = servers
    # started together on an empty database: one admin, the sample processes once
    samples = len(list((ROOT / "processes").glob("*.yaml")))
    assert _count(database, "SELECT username FROM account ORDER BY id") == [
        ("admin",),
        ("analyst",),
    ]
    assert _count(database, "SELECT count(*) FROM process") == [(samples,)]

    # a write through one is read through the other
    status, _, owner = a.call(
        "POST",
        "/api/owners",
        json.dumps({"name": "Dana Whitfield", "department": "Roads"}).encode(),
        "application/json",
    )
    assert status == 201, owner
    status, _, owners = b.call("GET", "/api/owners")
    assert status == 200 and [o["id"] for o in owners if o["name"] == "Dana Whitfield"] == [
        owner["id"]
    ]

    # an import submitted to one runs exactly once, while both poll it
    status, headers, job = a.upload(DATA / "logs" / "handoffs.csv")
    assert status == 202, job
    location, deadline = headers["location"], time.monotonic() + 120
    seen: list[dict[str, Any]] = []
    while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
        for server in (b, a):
            job = server.call("GET", location)[2]
            seen.append(job)
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["attempts"] == 1
    pids = {str(a.process.pid), str(b.process.pid)}
    assert job["worker"].split(":")[1] in pids, job["worker"]
    rows = _count(database, "SELECT state, worker, attempts FROM import_job")
    assert rows == [("done", job["worker"], 1)]
    assert _count(database, "SELECT count(*) FROM event_log") == [(1,)]
    assert _count(database, "SELECT count(*) FROM import_upload") == [(0,)]
    log_id = job["log_id"]
    status, _, log = b.call("GET", f"/api/event-logs/{log_id}")
    data_rows = len((DATA / "logs" / "handoffs.csv").read_text().splitlines()) - 1
    assert status == 200 and log["events"] == data_rows

    # a large log's analysis asked on both: 202 on both, computed once, then 200 on both
    path = f"/api/event-logs/{log_id}/analysis"
    answers: dict[str, list[int]] = {"a": [], "b": []}

    def ask(name: str, server: Server) -> None:
        while True:
            status, _, _ = server.call("GET", path)
            answers[name].append(status)
            if status != 202 or time.monotonic() > deadline:
                return
            time.sleep(0.2)

    threads = [threading.Thread(target=ask, args=p) for p in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["a"][0] == answers["b"][0] == 202, answers
    assert answers["a"][-1] == answers["b"][-1] == 200, answers
    assert _count(database, "SELECT count(*) FROM analysis_result") == [(1,)]
    # one claim, one computation, by one of the two
    (claim,) = _count(database, "SELECT state, attempts, worker FROM analysis_job")
    assert claim[:2] == ("done", 1) and claim[2].split(":")[1] in pids
    status, headers, document = a.call("GET", path)
    assert headers["x-handoff-cache"] == "hit"
    assert (document["log"]["cases"], document["log"]["events"]) == (log["cases"], data_rows)
