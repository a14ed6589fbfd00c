"""Shapes of event logs and import jobs in the API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.lib.times import UtcDatetime

__all__ = [
    "EventLogPublic",
    "EventLogSummary",
    "ImportJobPublic",
    "ImportRequest",
    "PreviewPublic",
    "PreviewRow",
]


class ImportRequest(BaseModel):
    """How to read an uploaded log: the column mapping and the policies (all optional)."""

    name: str | None = Field(default=None, max_length=300, description="Default: the file name.")
    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    department: str | None = None
    resource: str | None = None
    start_timestamp: str | None = None
    lifecycle_column: str | None = None
    timezone: str | None = Field(default=None, description="IANA zone for times without offset.")
    dayfirst: bool | None = Field(default=None, description="true: 03/04 is 3 April.")
    encoding: str | None = None
    delimiter: str | None = Field(default=None, max_length=1)
    on_error: Literal["reject", "skip"] = "reject"
    pseudonymise: list[str] = Field(
        default_factory=list,
        description="Columns or roles to hash (a multipart form sends them comma-separated).",
    )
    lifecycle: Literal["pair", "keep"] = "pair"

    @field_validator(
        "name",
        "case",
        "activity",
        "timestamp",
        "department",
        "resource",
        "start_timestamp",
        "lifecycle_column",
        "timezone",
        "encoding",
        "delimiter",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class EventLogSummary(BaseModel):
    """An event log in lists."""

    id: int
    name: str
    source_filename: str
    events: int
    cases: int
    activities: int
    departments: list[str]
    first_event: UtcDatetime | None
    last_event: UtcDatetime | None
    created_at: UtcDatetime


class EventLogPublic(EventLogSummary):
    """An event log with how it was read and its data-quality report."""

    format: str
    wrapper: str | None
    content_sha256: str
    mapping: dict[str, str | None]
    options: dict[str, Any]
    rows_read: int
    exact_duplicate_rows_dropped: int
    rows_skipped: int
    unassigned_events: int
    timestamp_format: str
    quality: dict[str, Any]
    import_seconds: float


class ImportJobPublic(BaseModel):
    """A background import and how far it has got."""

    id: str
    state: Literal["queued", "running", "done", "failed"]
    name: str
    source_filename: str
    bytes_total: int
    percent: float
    phase: str
    rows_read: int | None
    log_id: int | None
    created: bool | None = Field(description="False when the same content was imported before.")
    error: str | None
    problems: list[dict[str, Any]] | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    worker: str | None = Field(
        default=None, description="The server process that ran (or runs) it: host:pid:tag."
    )
    attempts: int = Field(default=0, description="How many times a process has started it.")


class PreviewRow(BaseModel):
    """One row of a preview: where it is in the file and its fields as text."""

    line: int = Field(description="1-based line of a CSV row, or the number of an XES event.")
    values: list[str | None]


class PreviewPublic(BaseModel):
    """The head of an uploaded log: its format, columns, first rows and the mapping found."""

    filename: str
    format: Literal["csv", "xes", "parquet"]
    wrapper: str | None = Field(description="gzip or zip when the file was compressed.")
    encoding: str | None = Field(description="CSV only: the text encoding detected or given.")
    delimiter: str | None = Field(description="CSV only: the field delimiter.")
    unit: Literal["line", "event"] = Field(description="What each row's line counts.")
    columns: list[str]
    rows: list[PreviewRow] = Field(description="The first data rows (at most 20).")
    row_problems: list[dict[str, Any]] = Field(
        description="Rows of the head the importer would refuse for their number of fields."
    )
    mapping: dict[str, str | None] = Field(
        description="Column of each role, by the import's field names (None: no column)."
    )
    candidates: dict[str, list[str]] = Field(
        description="Every column matching each role (more than one: ambiguous)."
    )
    problem: str | None = Field(
        description="The importer's sentence when the mapping is ambiguous or incomplete."
    )
    bytes_read: int = Field(description="Bytes of plain content the preview read.")
    complete: bool = Field(description="Whether the preview read the whole content.")
