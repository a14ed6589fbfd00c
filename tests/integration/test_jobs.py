"""The job queue in the database: claims, heartbeat expiry, retry, and analyses of large
logs computed once in the background (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from app.asgi import create_app
from app.config import Settings
from app.db.engine import commit, session_scope
from app.db.models import AnalysisJob, AnalysisResult, EventLog, ImportJob, ImportUpload
from app.db.workers import STALE_S, insert_ignore, now, sweep
from app.domain.event_logs.jobs import claim_next
from tests.conftest import DATA, signed_in
from tests.integration.conftest import assert_problem

HANDOFFS = DATA / "logs" / "handoffs.csv"


def _job(engine: Engine, job_id: str, **values: Any) -> None:
    with session_scope(engine) as session:
        session.add(
            ImportJob(
                id=job_id,
                name="h",
                source_filename="handoffs.csv",
                bytes_total=HANDOFFS.stat().st_size,
                options={},
                **{"state": "queued", **values},
            )
        )
        commit(session)


def _state(engine: Engine, job_id: str) -> tuple[Any, ...]:
    with engine.connect() as connection:
        row = connection.execute(
            sa_select(ImportJob.__table__).where(col(ImportJob.id) == job_id)  # type: ignore[attr-defined]
        ).one()
    return row.state, row.worker, row.attempts, row.error


def test_a_queued_job_is_claimed_by_one_worker(engine: Engine) -> None:
    _job(engine, "first")
    _job(engine, "second")
    assert claim_next(engine, "w1") == "first"
    assert claim_next(engine, "w2") == "second"
    assert claim_next(engine, "w1") is None
    assert _state(engine, "first")[:3] == ("running", "w1", 1)
    assert _state(engine, "second")[:3] == ("running", "w2", 1)


def test_a_job_whose_worker_stopped_beating_is_interrupted(engine: Engine) -> None:
    old = now() - timedelta(seconds=STALE_S + 5)
    _job(engine, "stale", state="running", worker="gone", heartbeat_at=old)
    _job(engine, "fresh", state="running", worker="alive", heartbeat_at=now())
    _job(engine, "mine", state="running", worker="me", heartbeat_at=old)
    _job(engine, "waiting")
    assert sweep(engine, "me") == 1
    state, _, _, error = _state(engine, "stale")
    assert state == "failed" and "interrupted" in error
    assert _state(engine, "fresh")[0] == "running"  # its process beats: not touched
    assert _state(engine, "mine")[0] == "running"  # the sweeper's own job runs
    assert _state(engine, "waiting")[0] == "queued"  # any process will claim it


def test_an_interrupted_job_is_retried_with_its_kept_upload(settings: Settings) -> None:
    app = create_app(settings)
    with signed_in(app) as client:
        engine = app.state.engine
        _job(engine, "cut", state="failed", phase="interrupted", worker="gone", attempts=1)
        content = HANDOFFS.read_bytes()
        with engine.begin() as connection:  # the upload in two pieces
            for seq, piece in enumerate((content[:100], content[100:])):
                connection.execute(
                    insert(ImportUpload.__table__).values(job_id="cut", seq=seq, data=piece)  # type: ignore[attr-defined]
                )
        response = client.post("/api/import-jobs/cut/retry")
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "queued"
        job, deadline = response.json(), time.monotonic() + 60
        while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
            time.sleep(0.05)
            job = client.get("/api/import-jobs/cut").json()
        assert job["state"] == "done", job
        assert job["attempts"] == 2 and job["worker"] == app.state.worker
        log = client.get(f"/api/event-logs/{job['log_id']}").json()
        assert log["events"] == len(content.decode().splitlines()) - 1
        # done: the upload is gone, and a done job is not retried
        assert_problem(client.post("/api/import-jobs/cut/retry"), 409, "only a failed job")
        with session_scope(engine) as session:
            assert session.execute(sa_select(func.count()).select_from(ImportUpload)).one() == (0,)
        _job(engine, "bad", state="failed", phase="failed", error="bad.csv, line 3")
        assert_problem(client.post("/api/import-jobs/bad/retry"), 409, "upload it again")
        assert_problem(client.post("/api/import-jobs/nope/retry"), 404)


def test_a_concurrent_store_of_the_same_analysis_is_not_an_error(engine: Engine) -> None:
    values = {"log_id": 1, "key": "k" * 64, "seconds": 1.0, "created_at": now()}
    with engine.begin() as connection:
        assert insert_ignore(connection, AnalysisResult, {**values, "document": {"v": 1}})
        assert not insert_ignore(connection, AnalysisResult, {**values, "document": {"v": 2}})
    with session_scope(engine) as session:
        stored = session.get(AnalysisResult, (1, "k" * 64))
        assert stored is not None and stored.document == {"v": 1}


def test_a_large_log_is_analysed_once_in_the_background(settings: Settings) -> None:
    """Every log counted as large: 202 with Retry-After, then the same document as the
    inline computation, from the cache."""
    app = create_app(settings.model_copy(update={"inline_analysis_events": 0}))
    with signed_in(app) as client:
        log_id = client.post(
            "/api/event-logs", files={"file": ("h.csv", HANDOFFS.read_bytes())}
        ).json()["id"]
        url = f"/api/event-logs/{log_id}/analysis"
        first = client.get(url)
        assert first.status_code == 202 and first.headers["retry-after"] == "2"
        assert first.json()["state"] == "running" and "being computed" in first.json()["detail"]
        assert client.get(f"/api/event-logs/{log_id}/customer-map").status_code == 202
        deadline, answer = time.monotonic() + 90, client.get(url)
        while answer.status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = client.get(url)
        assert answer.status_code == 200 and answer.headers["x-handoff-cache"] == "hit"
        background = answer.json()
        assert client.get(f"/api/event-logs/{log_id}/customer-map").status_code == 200
        engine = app.state.engine
        with session_scope(engine) as session:
            claim = session.exec(select(AnalysisJob)).one()
            assert (claim.state, claim.attempts, claim.worker) == ("done", 1, app.state.worker)
        # a stale claim of a stopped process is taken over; its analysis is computed anew
        with engine.begin() as connection:
            connection.execute(update(AnalysisResult.__table__).values(key="x" * 64))  # type: ignore[attr-defined]
            connection.execute(
                update(AnalysisJob.__table__).values(  # type: ignore[attr-defined]
                    state="running",
                    worker="gone",
                    heartbeat_at=now() - timedelta(seconds=STALE_S + 5),
                )
            )
        assert client.get(url).status_code == 202
        while (again := client.get(url)).status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert again.status_code == 200
        with session_scope(engine) as session:
            claim = session.exec(select(AnalysisJob)).one()
            assert (claim.state, claim.attempts) == ("done", 2)
            assert session.get(EventLog, log_id) is not None
    inline = create_app(settings)
    with signed_in(inline) as client:
        with inline.state.engine.begin() as connection:
            connection.execute(AnalysisResult.__table__.delete())  # type: ignore[attr-defined]
        direct = client.get(url)
        assert direct.status_code == 200 and direct.headers["x-handoff-cache"] == "miss"
        assert direct.json() == background
