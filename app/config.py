"""Settings read from the environment (prefix ``HANDOFF_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything the service needs to know about its surroundings.

    Build one explicitly in tests (``Settings(database_url=...)``) instead of patching the
    environment; ``create_app(settings)`` and the CLI take it as an argument.
    """

    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Folder for runtime state (the SQLite file, caches)."
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Default: SQLite file `handoff.sqlite3` under data_dir. "
            "A `postgresql+psycopg://` URL selects PostgreSQL."
        ),
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a change waits for SQLite's write lock held by another one "
        "(503 with Retry-After beyond).",
    )
    load_samples: bool = Field(
        default=True,
        description="Load samples_dir into a database that holds no process yet.",
    )
    samples_dir: Path = Field(
        default=Path("processes"), description="Folder of process YAML files loaded as samples."
    )
    event_logs_dir: Path = Field(
        default=Path("event_logs"), description="Folder of demo event logs loaded as samples."
    )
    max_upload_bytes: int = Field(
        default=2 * 1024**3, description="Largest event log upload accepted (413 beyond)."
    )
    max_decompressed_bytes: int = Field(
        default=10 * 1024**3, description="Largest content a .gz or .zip upload may expand to."
    )
    anonymous_role: Literal["viewer"] | None = Field(
        default=None,
        description="Let people who are not signed in read (an intranet-wide guide); unset, "
        "only /health, /schema, the sign-in page and static assets are public.",
    )
    session_hours: float = Field(default=12.0, gt=0, le=720, description="Session lifetime.")
    session_idle_minutes: float | None = Field(
        default=None,
        ge=1,
        le=43_200,
        description="End a session after this many minutes without a request (unset: only "
        "session_hours ends it). Each session's use is then written to the database, at "
        "most once a minute.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure even when the request looks like plain "
        "HTTP (behind a TLS-terminating proxy); it is Secure anyway over HTTPS.",
    )
    inline_model_events: int = Field(
        default=200_000,
        ge=0,
        description="Logs up to this many events get their discovered model within the "
        "request; larger ones in the background (the request answers 202 until it is ready).",
    )
    inline_analysis_events: int = Field(
        default=200_000,
        ge=0,
        description="Logs up to this many events are analysed within the request when their "
        "analysis is not cached; larger ones in the background, once across all processes "
        "(the request answers 202 with Retry-After until it is ready).",
    )
    analysis_subprocess: bool = Field(
        default=True,
        description="Compute background analyses in a child process (fresh for each), so the "
        "server's memory and interpreter stay free for other requests.",
    )
    sync_import_bytes: int = Field(
        default=16 * 1024**2,
        description="Uploads up to this size are imported within the request; larger ones "
        "become background jobs with progress.",
    )
    max_process_file_bytes: int = Field(
        # 1 MiB holds about 9,000 steps and parses in about 2 s (5 MB took 11 s)
        default=1024**2,
        description="Largest process definition file accepted, in bytes.",
    )
    max_request_bytes: int = Field(
        default=8 * 1024**2,
        ge=64 * 1024,
        description="Largest request body of any route but an event log upload (413 beyond); "
        "raised to max_process_file_bytes when that is larger, so a process file always fits.",
    )
    hourly_staff_cost: float = Field(
        default=55.0,
        ge=0,
        description="Cost of one hour of staff time (wages plus benefits and overhead, in the "
        "currency of the steps' costs), used for the yearly savings and payback of options.",
    )

    @property
    def work_dir(self) -> Path:
        """Where uploads and temporary files of imports go (created when first used)."""
        return self.data_dir / "work"

    @property
    def max_body_bytes(self) -> int:
        """The body limit of every route but the event log uploads: max_request_bytes, or a
        whole process file (as YAML or as JSON) when that is larger."""
        return max(self.max_request_bytes, self.max_process_file_bytes)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one, or SQLite under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'handoff.sqlite3').resolve()}"
