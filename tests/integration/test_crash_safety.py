"""Crash safety, with real ``handoff serve`` processes killed with SIGKILL, on SQLite and
on PostgreSQL: in the middle of a large import (while it writes events) and at random
moments of process edits. After each restart the database passes its checks, no part of
a log is left, the process is wholly the old or wholly the new version with an audit
trail that agrees, and the killed import shows as interrupted at once and can be retried
to a complete log.

Run with ``-s`` to see the figures (moments of the kills, time to the interrupted job).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import (
    GeneratedLog,
    Killable,
    count,
    database_problems,
    generated_log,
    make_token,
    poll_job,
)

ENV = {
    "HANDOFF_LOAD_SAMPLES": "false",
    "HANDOFF_SYNC_IMPORT_BYTES": "0",  # every upload is a job
}
KILLS = int(os.environ.get("HANDOFF_TEST_KILLS", "3"))
"""Random kills of process edits per database (more: ``HANDOFF_TEST_KILLS=20``)."""
DEPARTMENTS = ("Contact Centre", "Roads & Sidewalks", "Water", "By-law Enforcement")
LOG_AUDIT = "SELECT count(*) FROM audit_entry WHERE entity = 'event_log'"


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="module")
def large_log(tmp_path_factory: pytest.TempPathFactory) -> GeneratedLog:
    """300,000 events (24 MB): long enough an import to be killed while it stores."""
    return generated_log(tmp_path_factory.mktemp("logs") / "requests.csv", 300_000)


def _storing(server: Killable, location: str, url: str) -> dict[str, Any]:
    """Wait until the job is writing events, with evidence from the database itself: on
    SQLite committed batches of the staged log, on PostgreSQL a COPY under way."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job: dict[str, Any] = server.call("GET", location)[2]
        assert job["state"] == "running", job
        if job["phase"] == "storing" and job["percent"] > 60:
            if url.startswith("sqlite"):
                if count(url, "SELECT count(*) FROM event") > 0:
                    staged = count(url, "SELECT count(*) FROM event_log WHERE importer IS NULL")
                    assert staged == 0  # the log is there, staged, and not visible
                    return job
            elif count(
                url,
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE query LIKE 'COPY event%' AND state <> 'idle'",
            ):
                return job
        time.sleep(0.02)
    raise AssertionError("the import never started to store its events")


def test_an_import_killed_while_it_stores_events_leaves_nothing_and_is_retried(
    database_url: str, tmp_path: Path, large_log: GeneratedLog
) -> None:
    first = Killable(database_url, tmp_path / "first", ENV)
    first.wait_ready()
    first.token = token = make_token(database_url)
    status, headers, job = first.upload(large_log.path)
    assert status == 202, job
    location = headers["location"]
    at_kill = _storing(first, location, database_url)
    assert first.call("GET", "/api/event-logs")[2] == []  # no reader sees part of a log
    first.kill()

    restarted, spawned = time.monotonic(), datetime.now(UTC)
    second = Killable(database_url, tmp_path / "second", ENV)
    second.token = token
    second.wait_ready()
    try:
        ready = time.monotonic() - restarted
        status, _, job = second.call("GET", location)
        to_failed = time.monotonic() - restarted
        # interrupted at once: long before its heartbeat (60 s) would have gone stale
        assert job["state"] == "failed" and job["phase"] == "interrupted", job
        assert "interrupted by a restart" in job["error"] and "retry" in job["error"]
        failed_at = datetime.fromisoformat(job["updated_at"].replace("Z", "+00:00"))
        marked = (failed_at.replace(tzinfo=failed_at.tzinfo or UTC) - spawned).total_seconds()
        assert database_problems(database_url) == []
        for table in ("event_log", "event", "analysis_result", "analysis_job"):
            assert count(database_url, f"SELECT count(*) FROM {table}") == 0, table
        assert (
            count(database_url, "SELECT count(*) FROM audit_entry WHERE entity = 'event_log'") == 0
        )
        assert count(database_url, "SELECT count(*) FROM import_upload") > 0  # kept to retry
        assert second.call("GET", "/api/event-logs")[2] == []

        status, _, job = second.call("POST", f"{location}/retry")
        assert status == 202 and job["state"] == "queued", job
        job = poll_job(second, location)
        assert job["state"] == "done" and job["created"] is True, job
        assert job["attempts"] == 2 and job["worker"].split(":")[1] == str(second.process.pid)
        status, _, stored = second.call("GET", f"/api/event-logs/{job['log_id']}")
        assert status == 200
        assert (stored["events"], stored["cases"]) == (large_log.events, large_log.cases)
        assert count(database_url, "SELECT count(*) FROM event") == large_log.events
        assert count(database_url, "SELECT count(*) FROM import_upload") == 0
        assert (
            count(database_url, "SELECT count(*) FROM audit_entry WHERE entity = 'event_log'") == 1
        )
        assert database_problems(database_url) == []
        print(
            f"\n{_kind(database_url)}: killed at {at_kill['percent']}% ({at_kill['phase']});"
            f" job marked interrupted {marked:.2f} s after the restart began (server ready in"
            f" {ready:.2f} s; job seen failed at the first look, {to_failed:.2f} s);"
            f" retried: {stored['events']:,} events, {stored['cases']:,} cases"
        )
    finally:
        second.stop()


def _process(variant: str, steps: int = 300) -> dict[str, Any]:
    """A process of many steps; the variants differ in every step, flow and the name."""
    return {
        "slug": "permit-review",
        "name": f"Permit review {variant}",
        "owner": "Director of Permits",
        "customer": "Applicants",
        "versions": [
            {
                "label": "as-is",
                "kind": "as-is",
                "status": "current",
                "steps": [
                    {
                        "id": f"s{i}",
                        "name": f"Step {i} ({variant})",
                        "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                        "owner": f"Lead {i % 7} {variant}",
                        "minutes": i % 30 + (1 if variant == "a" else 2),
                    }
                    for i in range(steps)
                ],
                "flows": [
                    {
                        "from": f"s{i}",
                        "to": f"s{i + 1}",
                        "standard_hours": 24 if variant == "a" else 48,
                    }
                    for i in range(steps - 1)
                ],
            }
        ],
    }


class _Edit:
    """One change of the process, as a PUT of JSON or a YAML import with replace."""

    def __init__(self, server: Killable, variant: str, yaml: bool, documents: dict[str, str]):
        self.server, self.variant, self.yaml = server, variant, yaml
        self.documents = documents
        self.status: int | None = None

    def send(self) -> None:
        try:
            if self.yaml:
                body = self.documents[self.variant].encode()
                self.status = self.server.call(
                    "POST", "/api/processes/import?replace=true", body, "application/yaml"
                )[0]
            else:
                body = json.dumps(_process(self.variant)).encode()
                self.status = self.server.call(
                    "PUT", "/api/processes/permit-review", body, "application/json"
                )[0]
        except OSError:
            self.status = None  # the server died under the request


def _history(server: Killable) -> int:
    status, _, page = server.call("GET", "/api/processes/permit-review/history?limit=1")
    assert status == 200, page
    return int(page["total"])


def test_a_process_edit_killed_at_random_moments_is_wholly_old_or_new(
    database_url: str, tmp_path: Path
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    server = Killable(database_url, tmp_path / "start", ENV)
    server.wait_ready()
    server.token = token = make_token(database_url)
    try:
        body = json.dumps(_process("a")).encode()
        assert server.call("POST", "/api/processes", body, "application/json")[0] == 201
        export = "/api/processes/permit-review/export"
        documents = {"a": server.text(export)[1]}
        added: dict[bool, int] = {}
        took: dict[bool, float] = {}
        # each kind of edit once, whole: how long it takes, what the audit trail adds
        for variant, yaml in (("b", False), ("a", True)):
            before, started = _history(server), time.monotonic()
            edit = _Edit(server, variant, yaml, documents)
            edit.send()
            took[yaml] = time.monotonic() - started
            assert edit.status in (200, 201)
            added[yaml] = _history(server) - before
            documents.setdefault(variant, server.text(export)[1])
        assert server.text(export)[1] == documents["a"] != documents["b"]
        assert min(added.values()) > 0

        outcomes = []
        current = "a"
        for round_ in range(KILLS):
            yaml = round_ % 2 == 1
            target = "b" if current == "a" else "a"
            before = _history(server)
            edit = _Edit(server, target, yaml, documents)
            sender = threading.Thread(target=edit.send)
            delay = rng.uniform(0.0, 1.2 * took[yaml])
            sender.start()
            time.sleep(delay)
            server.kill()
            sender.join()
            server = Killable(database_url, tmp_path / f"run-{round_}", ENV)
            server.token = token
            server.wait_ready()
            assert database_problems(database_url) == []
            status, stored = server.text(export)
            assert status == 200 and stored in (documents["a"], documents["b"])
            now_at = "b" if stored == documents["b"] else "a"
            history = _history(server) - before
            if now_at == target:
                assert history == added[yaml]  # the whole change, recorded once
            else:
                assert history == 0 and edit.status is None  # nothing, and never answered
            outcomes.append(
                f"{'yaml import' if yaml else 'PUT'} killed at {delay:.2f} s "
                f"of ~{took[yaml]:.2f} s: {'new' if now_at == target else 'old'}"
            )
            current = now_at
        print(f"\n{_kind(database_url)} (seed {seed}): " + "; ".join(outcomes))
    finally:
        server.stop()
