"""Imports that run in the background, with their progress kept in the database."""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db.engine import commit, session_scope
from app.db.models import ImportJob
from app.domain.event_logs.schemas import ImportJobPublic, ImportRequest
from app.domain.event_logs.services import import_file, options_from_request
from app.lib.errors import DomainError, require
from app.mining.options import ImportLimits

__all__ = ["ImportRunner", "fail_interrupted_jobs", "get_job", "job_public"]

log = logging.getLogger("app")
PROGRESS_EVERY_S = 0.25


def job_public(job: ImportJob, live: tuple[float, str] | None = None) -> ImportJobPublic:
    """A job as the API shows it, with live progress from the runner when it has some."""
    share, phase = live if live is not None and job.state == "running" else (job.share, job.phase)
    return ImportJobPublic(
        id=job.id,
        state=job.state,
        name=job.name,
        source_filename=job.source_filename,
        bytes_total=job.bytes_total,
        percent=round(share * 100, 1),
        phase=phase,
        rows_read=job.rows_read,
        log_id=job.log_id,
        created=job.created,
        error=job.error,
        problems=job.problems,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def get_job(session: Session, job_id: str) -> ImportJob:
    """A job by id.

    Raises:
        NotFound: no job has that id.
    """
    return require(session.get(ImportJob, job_id), f"There is no import job '{job_id}'.")


def fail_interrupted_jobs(engine: Engine) -> int:
    """Mark jobs a stopped server left queued or running as failed; returns how many."""
    with session_scope(engine) as session:
        jobs = session.exec(
            select(ImportJob).where(col(ImportJob.state).in_(["queued", "running"]))
        ).all()
        for job in jobs:
            job.state, job.phase = "failed", "interrupted"
            job.error = (
                "The import was interrupted by a restart of the service; upload the file again."
            )
            job.updated_at = datetime.now(UTC)
            session.add(job)
        commit(session)
    return len(jobs)


class ImportRunner:
    """Runs uploads through the importer one at a time, off the request threads.

    Progress is kept in memory (``live``) and served from there. It is also written to
    the job's row, except on SQLite: there the import's own transaction holds the one
    write lock, so a progress write from the same thread would wait on itself.
    """

    def __init__(self, engine: Engine, limits: ImportLimits, workdir: Path) -> None:
        self.engine = engine
        self.limits = limits
        self.workdir = workdir
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-import")
        self.live: dict[str, tuple[float, str]] = {}
        self.store_progress = engine.dialect.name != "sqlite"

    def submit(
        self, session: Session, upload: Path, filename: str, request: ImportRequest
    ) -> ImportJob:
        """Queue an uploaded file; the upload is deleted once the job ends."""
        job = ImportJob(
            id=uuid.uuid4().hex,
            state="queued",
            name=request.name or Path(filename).name,
            source_filename=Path(filename).name,
            bytes_total=upload.stat().st_size,
            options=request.model_dump(),
        )
        session.add(job)
        commit(session)
        # the job runs with this request's context: its changes are recorded as the uploader's
        self.executor.submit(copy_context().run, self._run, job.id, upload, filename, request)
        return job

    def _update(self, job_id: str, **changes: object) -> None:
        with session_scope(self.engine) as session:
            job = session.get(ImportJob, job_id)
            if job is None:
                return
            for key, value in changes.items():
                setattr(job, key, value)
            job.updated_at = datetime.now(UTC)
            session.add(job)
            commit(session)

    def _run(self, job_id: str, upload: Path, filename: str, request: ImportRequest) -> None:
        last = 0.0

        def progress(share: float, phase: str) -> None:
            nonlocal last
            self.live[job_id] = (share, phase)
            now = time.monotonic()
            if self.store_progress and now - last >= PROGRESS_EVERY_S:
                last = now
                self._update(job_id, share=share, phase=phase)

        try:
            self._update(job_id, state="running", phase="reading")
            options = options_from_request(request, self.limits)
            with session_scope(self.engine) as session:
                row, created = import_file(
                    session,
                    upload,
                    filename,
                    options,
                    name=request.name,
                    workdir=self.workdir,
                    progress=progress,
                )
                commit(session)
                outcome = {"log_id": row.id, "created": created, "rows_read": row.rows_read}
            self._update(job_id, state="done", share=1.0, phase="done", **outcome)
        except DomainError as error:
            problems = [p.as_dict() for p in error.problems] or None
            self._update(
                job_id, state="failed", phase="failed", error=error.message, problems=problems
            )
        except Exception:
            log.exception("Import job %s failed", job_id)
            self._update(
                job_id,
                state="failed",
                phase="failed",
                error="The import failed unexpectedly; the error has been logged.",
            )
        finally:
            self.live.pop(job_id, None)
            upload.unlink(missing_ok=True)

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish."""
        self.executor.shutdown(wait=True, cancel_futures=True)
