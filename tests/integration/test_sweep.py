"""The sweep of work left by stopped processes, on SQLite and on PostgreSQL: jobs and
claims of a process of this machine that stopped are taken as interrupted at once (its
upload kept for a retry), those of other machines when their heartbeat is stale, and
staged logs of imports that will not finish are removed with everything stored for them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

from app.db import workers
from app.db.engine import commit, session_scope
from app.db.models import AnalysisJob, AnalysisResult, Event, EventLog, ImportJob, ImportUpload
from app.db.workers import (
    STALE_S,
    discard_staged_log,
    new_worker_id,
    now,
    staging,
    sweep,
    sweep_staged_logs,
)
from tests.unit.test_dead_holders import Child

OLD = timedelta(seconds=STALE_S + 5)


@pytest.fixture
def holders() -> Iterator[tuple[str, str]]:
    """The worker ids of a process that stopped and of one that runs."""
    stopped, running = Child(), Child()
    stopped.end()
    yield stopped.worker, running.worker
    running.end()


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def _job(engine: Engine, job_id: str, worker: str, beat: Any) -> None:
    with session_scope(engine) as session:
        session.add(
            ImportJob(
                id=job_id,
                state="running",
                name=job_id,
                source_filename="log.csv",
                bytes_total=10,
                options={},
                worker=worker,
                heartbeat_at=beat,
            )
        )
        commit(session)


def _log(engine: Engine, name: str, importer: str | None, touched: Any = None) -> int:
    """A log row (staged when ``importer`` is set) with three events and a cached result."""
    with session_scope(engine) as session:
        row = EventLog(
            name=name,
            source_filename=f"{name}.csv",
            format="csv",
            content_sha256=name.ljust(64, "0"),
            options_sha256="0" * 64,
            mapping={},
            options={},
            rows_read=3,
            exact_duplicate_rows_dropped=0,
            rows_skipped=0,
            events=3,
            cases=1,
            activities=3,
            departments=["A"],
            unassigned_events=0,
            timestamp_format="iso",
            quality={},
            import_seconds=0.1,
            importer=importer,
            created_at=touched or now(),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        log_id = row.id
        session.connection().execute(
            insert(Event.__table__),  # type: ignore[attr-defined]
            [
                {
                    "log_id": log_id,
                    "seq": seq,
                    "case_id": "c1",
                    "activity": f"step {seq}",
                    "timestamp_us": seq,
                    "department": "A",
                    "line": seq + 2,
                }
                for seq in range(3)
            ],
        )
        session.add(
            AnalysisResult(log_id=log_id, key="k" * 64, document={}, seconds=0.1, created_at=now())
        )
        commit(session)
    return log_id


def test_jobs_of_a_stopped_process_of_this_machine_are_interrupted_at_once(
    engine: Engine, holders: tuple[str, str]
) -> None:
    stopped, running = holders
    fresh, old = now(), now() - OLD
    _job(engine, "stopped", stopped, fresh)  # its heartbeat is fresh: 60 s would be needed
    _job(engine, "running", running, fresh)
    _job(engine, "remote", "elsewhere.example:7:abcdef", fresh)
    _job(engine, "remote-stale", "elsewhere.example:8:abcdef", old)
    with engine.begin() as connection:
        connection.execute(
            insert(ImportUpload.__table__),  # type: ignore[attr-defined]
            [{"job_id": "stopped", "seq": 0, "data": b"Case,Activity"}],
        )
    log_id = _log(engine, "analysed", None)
    with session_scope(engine) as session:
        for key, worker in (("a" * 64, stopped), ("b" * 64, running)):
            session.add(
                AnalysisJob(
                    log_id=log_id,
                    key=key,
                    state="running",
                    worker=worker,
                    heartbeat_at=fresh,
                    phase="analysing",
                )
            )
        commit(session)

    assert sweep(engine, new_worker_id()) == 2
    states = dict(_rows(engine, "SELECT id, state FROM import_job"))
    assert states == {
        "stopped": "failed",
        "running": "running",
        "remote": "running",
        "remote-stale": "failed",
    }
    (phase, error), *_ = _rows(engine, "SELECT phase, error FROM import_job WHERE id = 'stopped'")
    assert phase == "interrupted" and "interrupted by a restart" in error
    assert _rows(engine, "SELECT count(*) FROM import_upload WHERE job_id = 'stopped'") == [(1,)]
    assert _rows(engine, "SELECT worker FROM analysis_job") == [(running,)]


def test_staged_logs_of_imports_that_will_not_finish_are_removed(
    engine: Engine, holders: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "DISCARD_BATCH", 2)  # several deletes per log
    stopped, running = holders
    ours, abandoned = new_worker_id(), new_worker_id()
    kept = {
        _log(engine, "visible", None),
        _log(engine, "running", running),
        _log(engine, "ours", ours),
        _log(engine, "remote", "elsewhere.example:9:abcdef"),
    }
    removed = {
        _log(engine, "stopped", stopped),
        _log(engine, "abandoned", abandoned),  # of this process, no import staging it
        _log(engine, "remote-stale", "elsewhere.example:9:abcdef", now() - OLD),
    }
    audit = _rows(engine, "SELECT count(*) FROM audit_entry")
    with staging(ours):
        assert sweep_staged_logs(engine) == len(removed)
    assert {row[0] for row in _rows(engine, "SELECT id FROM event_log")} == kept
    for table in ("event", "analysis_result"):
        assert {row[0] for row in _rows(engine, f"SELECT DISTINCT log_id FROM {table}")} == kept
    assert _rows(engine, "SELECT count(*) FROM event") == [(3 * len(kept),)]
    assert _rows(engine, "SELECT count(*) FROM audit_entry") == audit  # none was a log yet
    # a visible log, or one staged by another import, is never removed as staged
    visible = min(kept)
    assert not discard_staged_log(engine, visible, ours)
    assert _rows(engine, f"SELECT count(*) FROM event WHERE log_id = {visible}") == [(3,)]
