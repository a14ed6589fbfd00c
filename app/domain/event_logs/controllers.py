"""HTTP endpoints of event logs and import jobs."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from pydantic import ConfigDict, field_validator

from app.db.engine import commit
from app.domain.deps import DbSession, IdPath
from app.domain.event_logs import services
from app.domain.event_logs.jobs import get_job, job_public, retry
from app.domain.event_logs.schemas import (
    EventLogPublic,
    EventLogSummary,
    ImportJobPublic,
    ImportRequest,
    PreviewPublic,
)
from app.lib.errors import InvalidEventLog
from app.mining.sources import copy_upload

__all__ = ["EventLogController", "ImportJobController", "PreviewForm", "UploadForm"]


class UploadForm(ImportRequest):
    """A multipart upload: the log in ``file`` and, optionally, how to read it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile

    @field_validator("pseudonymise", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """A form field ``pseudonymise=resource, Caller`` names two columns."""
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            return value
        return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


class PreviewForm(UploadForm):
    """A file (or its first part) to preview, with the mapping fields of an import."""

    partial: bool = False


def _save_upload(state: State, form: UploadForm) -> tuple[Path, str]:
    settings = state.settings
    filename = Path(form.file.filename or "").name
    if not filename:
        raise InvalidEventLog("The upload has no file name; send the log in the form field 'file'.")
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    target = settings.work_dir / f"upload-{uuid.uuid4().hex}"
    copy_upload(form.file.file, target, settings.max_upload_bytes, filename)  # type: ignore[arg-type]
    return target, filename


class EventLogController(Controller):
    """Event logs imported from CRM and 311 exports."""

    path = "/api/event-logs"
    tags = ["event logs"]

    @post("/", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def upload(
        self,
        session: DbSession,
        state: State,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[Any]:
        """Import an uploaded log: 201 with the log (200 if already imported), or 202 with a job."""
        upload, filename = _save_upload(state, data)
        request = ImportRequest.model_validate(data.model_dump(exclude={"file"}))
        if upload.stat().st_size > state.settings.sync_import_bytes:
            job = state.import_runner.submit(session, upload, filename, request)
            body = job_public(job).model_dump(mode="json")
            return Response(
                body,
                status_code=HTTP_202_ACCEPTED,
                headers={"Location": f"/api/import-jobs/{job.id}"},
            )
        try:
            options = services.options_from_request(request, state.limits)
            row, created = services.import_file(
                session,
                upload,
                filename,
                options,
                name=request.name,
                workdir=state.settings.work_dir,
            )
            commit(session)
        finally:
            upload.unlink(missing_ok=True)
        body = services.log_public(row).model_dump(mode="json")
        return Response(
            body,
            status_code=HTTP_201_CREATED if created else HTTP_200_OK,
            headers={"Location": f"/api/event-logs/{row.id}"},
        )

    @post("/preview", sync_to_thread=True, status_code=HTTP_200_OK)
    def preview(
        self,
        state: State,
        data: Annotated[PreviewForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> PreviewPublic:
        """The head of a log before importing it: format, columns, the first 20 rows and the
        mapping the import would use, with the importer's sentence when it is ambiguous or
        incomplete (``partial``: the file is the first part of a larger one). Nothing is
        stored; only the first 256 KiB of the content are read."""
        upload, filename = _save_upload(state, data)
        request = ImportRequest.model_validate(data.model_dump(exclude={"file", "partial"}))
        try:
            return services.preview_file(
                upload,
                filename,
                request,
                state.limits,
                partial=data.partial,
                workdir=state.settings.work_dir,
            )
        finally:
            upload.unlink(missing_ok=True)

    @get("/", sync_to_thread=True)
    def list_logs(self, session: DbSession) -> list[EventLogSummary]:
        """Every imported log, newest first."""
        return [services.log_summary(row) for row in services.list_logs(session)]

    @get("/{log_id:int}", sync_to_thread=True)
    def get_log(self, session: DbSession, log_id: IdPath) -> EventLogPublic:
        """A log with its mapping, counts and data-quality report."""
        return services.log_public(services.get_log(session, log_id))

    @delete("/{log_id:int}", sync_to_thread=True)
    def delete_log(self, session: DbSession, log_id: IdPath) -> None:
        """Delete a log and its events."""
        services.delete_log(session, log_id)
        commit(session)


class ImportJobController(Controller):
    """Background imports and their progress."""

    path = "/api/import-jobs"
    tags = ["event logs"]

    @get("/{job_id:str}", sync_to_thread=True)
    def get_job(self, session: DbSession, state: State, job_id: FromPath[str]) -> ImportJobPublic:
        """A job's state, percent done, phase and outcome (the log id, or the error)."""
        return job_public(get_job(session, job_id), state.import_runner.live.get(job_id))

    @post("/{job_id:str}/retry", sync_to_thread=True, status_code=HTTP_202_ACCEPTED)
    def retry_job(self, session: DbSession, state: State, job_id: FromPath[str]) -> Response[Any]:
        """Queue a failed job again with the upload it kept (an interrupted job, or one
        that failed unexpectedly): 202 with the job; 409 when it has not failed or its file
        was refused (then upload a fixed file)."""
        job = retry(session, job_id)
        commit(session)
        state.import_runner.wake()
        return Response(
            job_public(job).model_dump(mode="json"),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"/api/import-jobs/{job.id}"},
        )
