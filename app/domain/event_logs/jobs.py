"""Imports that run in the background: a queue in the database that every server process
works from, with progress and the uploaded file kept in the database.

A job is queued with its upload stored in ``import_upload`` (pieces of ``CHUNK`` bytes),
so whichever process claims it can run it. Each process has one worker thread that claims
the oldest queued job (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a conditional UPDATE
everywhere, so one process wins), writes the upload to its own work dir, imports it as the
uploader and records itself as the job's ``worker``. The heartbeat and the sweep of jobs
whose process stopped are in ``app.db.workers``. The upload is deleted when the job is done
or fails on the file's content; an interrupted or unexpectedly failed job keeps it and can
be retried (``retry``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlmodel import Session

from app.db.engine import commit, session_scope
from app.db.models import ImportJob, ImportUpload
from app.db.workers import HEARTBEAT_S, now
from app.domain.event_logs.schemas import ImportJobPublic, ImportRequest
from app.domain.event_logs.services import import_file, options_from_request
from app.lib.actor import ACTOR, actor
from app.lib.errors import Conflict, DomainError, require
from app.mining.options import ImportLimits

__all__ = ["CHUNK", "ImportRunner", "claim_next", "get_job", "job_public", "retry"]

log = logging.getLogger("app")
PROGRESS_EVERY_S = 0.25
POLL_S = 1.0
"""How often an idle worker looks for jobs queued by other processes."""
CHUNK = 8 * 1024**2
"""Bytes of the upload per row of ``import_upload``."""

_JOBS: Table = ImportJob.__table__  # type: ignore[attr-defined]
_UPLOADS: Table = ImportUpload.__table__  # type: ignore[attr-defined]


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
        worker=job.worker,
        attempts=job.attempts,
    )


def get_job(session: Session, job_id: str) -> ImportJob:
    """A job by id.

    Raises:
        NotFound: no job has that id.
    """
    return require(session.get(ImportJob, job_id), f"There is no import job '{job_id}'.")


def _has_upload(session: Session, job_id: str) -> bool:
    found = session.connection().execute(
        select(_UPLOADS.c.seq).where(_UPLOADS.c.job_id == job_id).limit(1)
    )
    return found.first() is not None


def retry(session: Session, job_id: str) -> ImportJob:
    """Queue a failed job again, with the upload it kept.

    Raises:
        NotFound: no job has that id.
        Conflict: the job has not failed, or its upload is gone (the file itself was refused).
    """
    job = get_job(session, job_id)
    if job.state != "failed":
        raise Conflict(f"Import job '{job_id}' is {job.state}; only a failed job can be retried.")
    if not _has_upload(session, job_id):
        raise Conflict(
            f"Import job '{job_id}' failed on the file itself, which is not kept; "
            "upload it again (after fixing it)."
        )
    changed = session.connection().execute(
        update(_JOBS)
        .where((_JOBS.c.id == job_id) & (_JOBS.c.state == "failed"))
        .values(
            state="queued",
            phase="queued",
            share=0.0,
            error=None,
            problems=None,
            worker=None,
            heartbeat_at=None,
            updated_at=now(),
        )
    )
    if not changed.rowcount:
        raise Conflict(f"Import job '{job_id}' changed meanwhile; ask for it again.")
    session.refresh(job)
    return job


def claim_next(engine: Engine, worker: str) -> str | None:
    """Claim the oldest queued job for ``worker``; its id, or None when none is left (or
    another process won the one this one looked at)."""
    with engine.begin() as connection:
        candidate = connection.execute(
            select(_JOBS.c.id)
            .where(_JOBS.c.state == "queued")
            .order_by(_JOBS.c.created_at, _JOBS.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar()
        if candidate is None:
            return None
        at = now()
        won = connection.execute(
            update(_JOBS)
            .where((_JOBS.c.id == candidate) & (_JOBS.c.state == "queued"))
            .values(
                state="running",
                phase="reading",
                worker=worker,
                heartbeat_at=at,
                updated_at=at,
                attempts=_JOBS.c.attempts + 1,
            )
        ).rowcount
    return str(candidate) if won else None


class ImportRunner:
    """This process's worker of the import queue: one thread, one job at a time.

    Progress is kept in memory (``live``) and served from there to requests reaching this
    process. It is also written to the job's row (for the other processes) every
    ``PROGRESS_EVERY_S``: on SQLite too, where the import holds the write lock only while
    it commits a batch of events (``services``).
    """

    def __init__(self, engine: Engine, limits: ImportLimits, workdir: Path, worker: str) -> None:
        self.engine = engine
        self.limits = limits
        self.workdir = workdir
        self.worker = worker
        self.live: dict[str, tuple[float, str]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="handoff-import", daemon=True)

    def start(self) -> None:
        """Start working the queue (jobs left queued by a stopped process are taken too)."""
        self._thread.start()

    def wake(self) -> None:
        """Look for queued jobs now."""
        self._wake.set()

    def submit(
        self, session: Session, upload: Path, filename: str, request: ImportRequest
    ) -> ImportJob:
        """Queue an uploaded file: the job and the file's bytes are stored in one
        transaction, then the local file is deleted and the worker woken."""
        job = ImportJob(
            id=uuid.uuid4().hex,
            state="queued",
            name=request.name or Path(filename).name,
            source_filename=Path(filename).name,
            bytes_total=upload.stat().st_size,
            options=request.model_dump(),
            actor=actor(),
        )
        try:
            session.add(job)
            session.flush()
            connection = session.connection()
            with upload.open("rb") as source:
                seq = 0
                while piece := source.read(CHUNK):
                    connection.execute(insert(_UPLOADS).values(job_id=job.id, seq=seq, data=piece))
                    seq += 1
            commit(session)
        finally:
            upload.unlink(missing_ok=True)
        self.wake()
        return job

    def _update(self, job_id: str, drop_upload: bool = False, **changes: object) -> None:
        """Change the job while this process holds it; ``drop_upload`` deletes its stored
        upload in the same transaction (a job seen done or refused has none left)."""
        with session_scope(self.engine) as session:
            job = session.get(ImportJob, job_id)
            if job is None or job.worker != self.worker:
                return  # deleted, or taken as interrupted and claimed by another process
            for key, value in changes.items():
                setattr(job, key, value)
            job.updated_at = now()
            if job.state == "running":
                job.heartbeat_at = job.updated_at
            session.add(job)
            if drop_upload:
                session.connection().execute(delete(_UPLOADS).where(_UPLOADS.c.job_id == job_id))
            commit(session)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = claim_next(self.engine, self.worker)
            except Exception as error:  # the database may be away for a moment
                log.warning("Could not look for import jobs: %s", error)
                self._stop.wait(HEARTBEAT_S)
                continue
            if job_id is not None:
                self._run(job_id)
                continue
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _fetch_upload(self, job_id: str, target: Path) -> None:
        """Write the job's stored upload to ``target``, one piece in memory at a time."""
        with self.engine.connect() as connection:
            pieces = connection.execute(
                select(_UPLOADS.c.seq).where(_UPLOADS.c.job_id == job_id).order_by(_UPLOADS.c.seq)
            ).scalars()
            with target.open("wb") as out:
                for seq in list(pieces):
                    out.write(
                        connection.execute(
                            select(_UPLOADS.c.data).where(
                                (_UPLOADS.c.job_id == job_id) & (_UPLOADS.c.seq == seq)
                            )
                        ).scalar_one()
                    )

    def _drop_upload(self, job_id: str) -> None:
        """Delete the job's stored upload, unless another worker holds the job by now (a
        retry of a job this process was thought to have lost: its file is in use)."""
        with self.engine.begin() as connection:
            held = connection.execute(
                select(_JOBS.c.id).where((_JOBS.c.id == job_id) & (_JOBS.c.worker == self.worker))
            ).first()
            if held is not None:
                connection.execute(delete(_UPLOADS).where(_UPLOADS.c.job_id == job_id))

    def _run(self, job_id: str) -> None:
        last = 0.0

        def progress(share: float, phase: str) -> None:
            nonlocal last
            self.live[job_id] = (share, phase)
            at = time.monotonic()
            if at - last >= PROGRESS_EVERY_S:
                last = at
                self._update(job_id, share=share, phase=phase)

        self.workdir.mkdir(parents=True, exist_ok=True)
        upload = self.workdir / f"job-{job_id}"
        keep_upload = False
        try:
            with session_scope(self.engine) as session:
                job = get_job(session, job_id)
                request = ImportRequest.model_validate(job.options)
                filename, uploader = job.source_filename, job.actor
            self._fetch_upload(job_id, upload)
            options = options_from_request(request, self.limits)
            token = ACTOR.set(uploader)  # the import's changes are recorded as the uploader's
            try:
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
            finally:
                ACTOR.reset(token)
            self._update(job_id, drop_upload=True, state="done", share=1.0, phase="done", **outcome)
        except DomainError as error:
            problems = [p.as_dict() for p in error.problems] or None
            self._update(
                job_id,
                drop_upload=True,
                state="failed",
                phase="failed",
                error=error.message,
                problems=problems,
            )
        except Exception:
            log.exception("Import job %s failed", job_id)
            keep_upload = True
            self._update(
                job_id,
                state="failed",
                phase="failed",
                error="The import failed unexpectedly; the error has been logged.",
            )
        finally:
            self.live.pop(job_id, None)
            upload.unlink(missing_ok=True)
            if not keep_upload:
                try:
                    self._drop_upload(job_id)
                except Exception:
                    log.exception("The upload of import job %s was not deleted", job_id)

    def shutdown(self) -> None:
        """Stop taking jobs; a running one finishes."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
