"""SQLModel tables of the catalogue.

Handoffs are not stored: a handoff is a flow whose two steps belong to different
departments, derived by query wherever it is needed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "Account",
    "AccountDepartment",
    "ActionComment",
    "ActionMeasurement",
    "ActivityMapping",
    "AnalysisJob",
    "AnalysisResult",
    "ApiToken",
    "AuditEntry",
    "Department",
    "Event",
    "EventLog",
    "Flow",
    "HandoffSignoff",
    "ImportJob",
    "ImportUpload",
    "ImprovementAction",
    "InstanceSecret",
    "LoginSession",
    "Owner",
    "Process",
    "ProcessVersion",
    "Step",
    "VersionReview",
]


def _fk(target: str, *, cascade: bool = False, nullable: bool = False) -> Column[int]:
    """A foreign key column; ``cascade`` deletes children with their parent."""
    return Column(
        Integer,
        ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT"),
        nullable=nullable,
        index=True,
    )


class Department(SQLModel, table=True):
    """An organisational unit that does steps (Contact Centre, Roads & Sidewalks)."""

    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    slug: str = Field(max_length=200, unique=True)


class Owner(SQLModel, table=True):
    """A person or role accountable for a process, a step or a handoff."""

    __tablename__ = "owner"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    department_id: int | None = Field(default=None, sa_column=_fk("department.id", nullable=True))
    email: str | None = Field(default=None, max_length=320)


class Process(SQLModel, table=True):
    """A documented customer-facing service."""

    __tablename__ = "process"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=300)
    customer: str | None = Field(default=None, max_length=500)
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    standard_hours: float | None = None


class ProcessVersion(SQLModel, table=True):
    """One description of a process: the as-is or a to-be option."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "label", name="uq_version_label"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(sa_column=_fk("process.id", cascade=True))
    label: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    status: str = Field(max_length=20)
    description: str | None = None
    effort_months: float | None = None
    one_off_cost: float | None = None
    expected_impact: str | None = Field(default=None, max_length=10)
    position: int = 0


class Step(SQLModel, table=True):
    """A unit of work done by one department inside one version."""

    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("version_id", "key", name="uq_step_key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=_fk("process_version.id", cascade=True))
    key: str = Field(max_length=100)
    name: str = Field(max_length=300)
    department_id: int = Field(sa_column=_fk("department.id"))
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    system: str | None = Field(default=None, max_length=300)
    manual_entry: bool = False
    minutes: float | None = None
    cost: float | None = None
    position: int = 0


class Flow(SQLModel, table=True):
    """A transition between two steps of the same version."""

    __tablename__ = "flow"
    __table_args__ = (
        UniqueConstraint("version_id", "from_step_id", "to_step_id", name="uq_flow_ends"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=_fk("process_version.id", cascade=True))
    from_step_id: int = Field(sa_column=_fk("step.id", cascade=True))
    to_step_id: int = Field(sa_column=_fk("step.id", cascade=True))
    owner_id: int | None = Field(default=None, sa_column=_fk("owner.id", nullable=True))
    standard_hours: float | None = None
    position: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


class EventLog(SQLModel, table=True):
    """An imported event log: where it came from, how it was read, what it holds."""

    __tablename__ = "event_log"
    __table_args__ = (
        UniqueConstraint("content_sha256", "options_sha256", name="uq_event_log_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    source_filename: str = Field(max_length=500)
    format: str = Field(max_length=10)
    wrapper: str | None = Field(default=None, max_length=10)
    content_sha256: str = Field(max_length=64)
    options_sha256: str = Field(max_length=64)
    mapping: dict[str, Any] = _json()
    options: dict[str, Any] = _json()
    rows_read: int
    exact_duplicate_rows_dropped: int
    rows_skipped: int
    events: int
    cases: int
    activities: int
    departments: list[str] = _json()
    unassigned_events: int
    first_event_us: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_event_us: int | None = Field(default=None, sa_column=Column(BigInteger))
    timestamp_format: str = Field(max_length=100)
    quality: dict[str, Any] = _json()
    import_seconds: float
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    """When the log was stored (made visible); while it is staged, its last progress."""
    importer: str | None = Field(default=None, max_length=100)
    """Set while the log is staged: the import (``host:pid:tag``) storing its events in
    separately committed batches (SQLite). A staged log is invisible to every read and
    list; it is made visible (None) in one short transaction at the end of its import, or
    removed with its events when the import fails or its process stops
    (``workers.sweep_staged_logs``)."""


class Event(SQLModel, table=True):
    """One event of a log, in the order of CONTRACT section 3 (case, time, file order).

    ``log_id`` carries no foreign key on purpose: checking it row by row made a COPY of a
    million events 2.3 s slower on PostgreSQL. Events are written only inside the
    transaction that creates their log, or (SQLite) under their staged log, and deleted
    with it (event_logs.services, workers.discard_staged_log).
    """

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_log_case", "log_id", "case_id"),)

    log_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    case_id: str
    activity: str
    timestamp_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    start_us: int | None = Field(default=None, sa_column=Column(BigInteger))
    department: str
    resource: str | None = None
    lifecycle: str | None = None
    line: int
    attributes: str | None = None


class ImportJob(SQLModel, table=True):
    """An import running in the background, with its progress and outcome."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_state", "state", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    state: str = Field(max_length=10)
    name: str = Field(max_length=300)
    source_filename: str = Field(max_length=500)
    bytes_total: int = Field(sa_column=Column(BigInteger, nullable=False))
    share: float = 0.0
    phase: str = Field(default="queued", max_length=50)
    rows_read: int | None = None
    log_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("event_log.id", ondelete="SET NULL"), nullable=True),
    )
    created: bool | None = None
    error: str | None = None
    problems: list[dict[str, Any]] | None = _json(nullable=True)
    options: dict[str, Any] = _json()
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    worker: str | None = Field(default=None, max_length=100)
    """The process that claimed the job (``host:pid:tag``)."""
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    actor: str | None = Field(default=None, max_length=100)
    """Who uploaded the file: the import's changes are recorded as theirs."""


class ImportUpload(SQLModel, table=True):
    """A piece of the uploaded file of an import job, so any process can run the job;
    deleted with the job's end (kept while a failed job can be retried)."""

    __tablename__ = "import_upload"

    job_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AnalysisJob(SQLModel, table=True):
    """The claim of one process on computing an analysis in the background: while it is
    ``running`` with a fresh heartbeat nobody else computes it; ``failed`` keeps the
    sentence until a request reads it; ``done`` records who computed it."""

    __tablename__ = "analysis_job"

    log_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("event_log.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    key: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=10)
    worker: str = Field(max_length=100)
    heartbeat_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    phase: str = Field(max_length=50)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 1
    """How many times a process has claimed it (again after a stop, or after the cache
    was emptied)."""
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class InstanceSecret(SQLModel, table=True):
    """Secrets of this installation, made on first use (the pseudonymisation salt)."""

    __tablename__ = "instance_secret"

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=200)


class AnalysisResult(SQLModel, table=True):
    """A computed analysis document, kept per log and parameters (deleted with the log)."""

    __tablename__ = "analysis_result"

    log_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    key: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = _json()
    seconds: float
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ActivityMapping(SQLModel, table=True):
    """An analyst's choice of the documented step a log activity stands for, per log and
    process version (``step`` None: the activity maps to no step). Deleted with the log."""

    __tablename__ = "activity_mapping"

    log_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    process: str = Field(primary_key=True, max_length=100)
    version: str = Field(primary_key=True, max_length=100)
    activity: str = Field(primary_key=True)
    step: str | None = Field(default=None, max_length=100)


class Account(SQLModel, table=True):
    """A person who signs in: a role, the departments a branch lead answers for, and the
    state of their sign-in attempts."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AccountDepartment(SQLModel, table=True):
    """A department a branch lead answers for."""

    __tablename__ = "account_department"

    account_id: int = Field(
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    )
    department_id: int = Field(
        sa_column=Column(Integer, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    )


class LoginSession(SQLModel, table=True):
    """A signed-in browser: the hash of its cookie, its CSRF token and when it ends."""

    __tablename__ = "login_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(sa_column=_fk("account.id", cascade=True))
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ApiToken(SQLModel, table=True):
    """A revocable token for scripts (only its hash is kept)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=_fk("account.id", cascade=True))
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class HandoffSignoff(SQLModel, table=True):
    """A branch lead's word on one handoff of an as-is version, for one of its two
    departments: confirmed, or disputed with a comment."""

    __tablename__ = "handoff_signoff"
    __table_args__ = (UniqueConstraint("flow_id", "department_id", name="uq_signoff_side"),)

    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(sa_column=_fk("flow.id", cascade=True))
    department_id: int = Field(sa_column=_fk("department.id", cascade=True))
    account_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True),
    )
    username: str = Field(max_length=100)
    state: str = Field(max_length=10)
    comment: str | None = None
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class VersionReview(SQLModel, table=True):
    """One step of a to-be option through review: from which status to which, by whom,
    with their comment."""

    __tablename__ = "version_review"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(sa_column=_fk("process_version.id", cascade=True))
    username: str = Field(max_length=100)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    comment: str | None = None
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: the record before and after (None when created or deleted)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_process", "process"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    username: str = Field(max_length=100)
    action: str = Field(max_length=20)
    entity: str = Field(max_length=40)
    entity_key: str = Field(max_length=300)
    process: str | None = Field(default=None, max_length=100)
    before: dict[str, Any] | None = _json(nullable=True)
    after: dict[str, Any] | None = _json(nullable=True)


class ImprovementAction(SQLModel, table=True):
    """A finding turned into an action: an owner, a due date, the metric it should move
    (measured on ``baseline_log_id`` when created, again on later logs) and its target."""

    __tablename__ = "improvement_action"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    finding_kind: str = Field(max_length=20)
    finding: dict[str, Any] = _json()
    department: str = Field(max_length=200, index=True)
    process: str | None = Field(default=None, max_length=100, index=True)
    version: str | None = Field(default=None, max_length=100)
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("owner.id", ondelete="SET NULL"), index=True),
    )
    account_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("account.id", ondelete="SET NULL"), index=True),
    )
    due: date = Field(sa_column=Column(Date, nullable=False))
    metric: str = Field(max_length=40)
    filters: dict[str, Any] = _json()
    baseline_log_id: int
    """No foreign key: the baseline stays on record when its log is deleted."""
    baseline_log_name: str = Field(max_length=300)
    baseline_last_event_us: int | None = Field(default=None, sa_column=Column(BigInteger))
    baseline_value: float
    target: float
    direction: str = Field(max_length=10)
    state: str = Field(max_length=20, index=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ActionComment(SQLModel, table=True):
    """A remark on an improvement action (a state change, progress, a reason to drop it)."""

    __tablename__ = "action_comment"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(sa_column=_fk("improvement_action.id", cascade=True))
    username: str = Field(max_length=100)
    text: str
    at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ActionMeasurement(SQLModel, table=True):
    """An action's metric measured again on a later log: ``state`` is ``measured``,
    ``not observed`` (value None: the subject no longer occurs), ``pending`` (a large log
    waiting to be measured) or ``failed`` (the note says why)."""

    __tablename__ = "action_measurement"
    __table_args__ = (UniqueConstraint("action_id", "log_id", name="uq_measurement_log"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(sa_column=_fk("improvement_action.id", cascade=True))
    log_id: int
    log_name: str = Field(max_length=300)
    log_last_event_us: int | None = Field(default=None, sa_column=Column(BigInteger))
    value: float | None = None
    state: str = Field(max_length=20)
    note: str | None = None
    measured_at: datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
