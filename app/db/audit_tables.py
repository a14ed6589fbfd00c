"""What the audit trail records of each tracked table: which columns, how ids read as
names, and the readable key of a row (``slug/label/step``) with the process it belongs to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Executable
from sqlmodel import SQLModel, col, select

from app.db.models import (
    Account,
    AccountDepartment,
    ActionComment,
    ActivityMapping,
    ApiToken,
    Department,
    EventLog,
    Flow,
    HandoffSignoff,
    ImprovementAction,
    Owner,
    Process,
    ProcessVersion,
    Step,
    VersionReview,
)

__all__ = ["SPECS", "Lookup", "Spec", "plain"]


def plain(value: Any) -> Any:
    """A column value as plain JSON: datetimes as ISO 8601 in UTC.

    >>> plain(datetime(2025, 1, 2, 3, 4, 5))
    '2025-01-02T03:04:05+00:00'
    """
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class Lookup:
    """Names for ids, read through the transaction's connection and kept for one flush."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._cache: dict[tuple[str, Any], Any] = {}

    def _first(self, what: str, ident: Any, statement: Executable) -> Any:
        key = (what, ident)
        if key not in self._cache:
            self._cache[key] = self.connection.execute(statement).first()
        return self._cache[key]

    def owner(self, owner_id: int) -> str | None:
        row = self._first("owner", owner_id, select(Owner.name).where(Owner.id == owner_id))
        return row[0] if row else None

    def department(self, department_id: int) -> str | None:
        row = self._first(
            "department",
            department_id,
            select(Department.name).where(Department.id == department_id),
        )
        return row[0] if row else None

    def step(self, step_id: int) -> str | None:
        row = self._first("step", step_id, select(Step.key).where(Step.id == step_id))
        return row[0] if row else None

    def process(self, process_id: int) -> str | None:
        row = self._first(
            "process", process_id, select(Process.slug).where(Process.id == process_id)
        )
        return row[0] if row else None

    def version(self, version_id: int) -> tuple[str, str]:
        """The slug of a version's process and its label ("?" for what is gone)."""
        row = self._first(
            "version",
            version_id,
            select(ProcessVersion.process_id, ProcessVersion.label).where(
                ProcessVersion.id == version_id
            ),
        )
        if row is None:
            return "?", f"#{version_id}"
        return self.process(row[0]) or "?", row[1]

    def flow(self, flow_id: int) -> tuple[str, str | None]:
        """The readable key of a flow (``slug/label/from->to``) and its process."""
        row = self._first(
            "flow",
            flow_id,
            select(Flow.version_id, Flow.from_step_id, Flow.to_step_id).where(Flow.id == flow_id),
        )
        if row is None:
            return f"flow #{flow_id}", None
        return _flow_key(self, row[0], row[1], row[2])

    def account(self, account_id: int) -> str | None:
        row = self._first(
            "account", account_id, select(Account.username).where(Account.id == account_id)
        )
        return row[0] if row else None

    def account_departments(self, account_id: int) -> list[str]:
        """The departments a branch lead answers for, by name (never cached: they change
        within a transaction)."""
        rows = self.connection.execute(
            select(Department.name)
            .join(AccountDepartment, col(AccountDepartment.department_id) == col(Department.id))
            .where(col(AccountDepartment.account_id) == account_id)
            .order_by(col(Department.name))
        ).all()
        return [row[0] for row in rows]


def _flow_key(look: Lookup, version_id: int, from_id: int, to_id: int) -> tuple[str, str | None]:
    slug, label = look.version(version_id)
    a, b = look.step(from_id) or f"#{from_id}", look.step(to_id) or f"#{to_id}"
    return f"{slug}/{label}/{a}->{b}", slug


Row = Mapping[str, Any]
Describe = Callable[[Lookup, Row], tuple[str, str | None]]
Resolve = Callable[[Lookup, int], Any]


@dataclass(frozen=True)
class Spec:
    """How one table's rows are recorded."""

    entity: str
    columns: tuple[str, ...]
    """The columns recorded, before and after (ids in ``refs`` become names)."""
    describe: Describe
    """A row's readable key and the slug of the process it belongs to (or None)."""
    refs: Mapping[str, tuple[str, Resolve]] = field(default_factory=dict)
    """An id column, the field it is recorded as, and how its id reads as a name."""
    flags: Mapping[str, str] = field(default_factory=dict)
    """A secret column whose change is recorded only as a flag (``password_changed``)."""
    extra: Callable[[Lookup, Row], dict[str, Any]] | None = None
    """More fields of a whole-row record (an account's departments)."""
    bulk_deletes: bool = True
    """Whether rows deleted by a bulk ``delete()`` statement are recorded one by one."""

    def record(self, look: Lookup, row: Row) -> dict[str, Any]:
        """The recorded fields of a whole row (when created or deleted)."""
        out = {self.name_of(c): self.readable(look, c, row.get(c)) for c in self.columns}
        if self.extra is not None:
            out.update(self.extra(look, row))
        return out

    def name_of(self, column: str) -> str:
        return self.refs[column][0] if column in self.refs else column

    def readable(self, look: Lookup, column: str, value: Any) -> Any:
        if value is not None and column in self.refs:
            return self.refs[column][1](look, value) or f"#{value}"
        return plain(value)


def _version_of(look: Lookup, row: Row) -> tuple[str, str | None]:
    slug, label = look.version(row["version_id"])
    return f"{slug}/{label}", slug


def _step(look: Lookup, row: Row) -> tuple[str, str | None]:
    slug, label = look.version(row["version_id"])
    return f"{slug}/{label}/{row['key']}", slug


def _signoff(look: Lookup, row: Row) -> tuple[str, str | None]:
    key, slug = look.flow(row["flow_id"])
    return f"{key} ({look.department(row['department_id']) or '?'})", slug


def _account_extra(look: Lookup, row: Row) -> dict[str, Any]:
    return {"departments": look.account_departments(row["id"]) if row.get("id") else []}


OWNER: tuple[str, Resolve] = ("owner", Lookup.owner)
DEPARTMENT: tuple[str, Resolve] = ("department", Lookup.department)

_SPECS: list[tuple[type[SQLModel], Spec]] = [
    (
        Process,
        Spec(
            "process",
            ("slug", "name", "customer", "owner_id", "standard_hours"),
            lambda look, row: (row["slug"], row["slug"]),
            refs={"owner_id": OWNER},
        ),
    ),
    (
        ProcessVersion,
        Spec(
            "process_version",
            (
                "label",
                "kind",
                "status",
                "description",
                "effort_months",
                "one_off_cost",
                "expected_impact",
                "position",
            ),
            lambda look, row: (
                f"{look.process(row['process_id']) or '?'}/{row['label']}",
                look.process(row["process_id"]),
            ),
        ),
    ),
    (
        Step,
        Spec(
            "step",
            (
                "key",
                "name",
                "department_id",
                "owner_id",
                "system",
                "manual_entry",
                "minutes",
                "cost",
                "position",
            ),
            _step,
            refs={"department_id": DEPARTMENT, "owner_id": OWNER},
        ),
    ),
    (
        Flow,
        Spec(
            "flow",
            ("from_step_id", "to_step_id", "owner_id", "standard_hours", "position"),
            lambda look, row: _flow_key(
                look, row["version_id"], row["from_step_id"], row["to_step_id"]
            ),
            refs={
                "from_step_id": ("from", Lookup.step),
                "to_step_id": ("to", Lookup.step),
                "owner_id": OWNER,
            },
        ),
    ),
    (
        Owner,
        Spec(
            "owner",
            ("name", "department_id", "email"),
            lambda look, row: (row["name"], None),
            refs={"department_id": DEPARTMENT},
        ),
    ),
    (
        Department,
        Spec("department", ("name", "slug"), lambda look, row: (row["name"], None)),
    ),
    (
        HandoffSignoff,
        Spec(
            "handoff_signoff",
            ("department_id", "username", "state", "comment"),
            _signoff,
            refs={"department_id": DEPARTMENT},
        ),
    ),
    (
        VersionReview,
        Spec(
            "version_review",
            ("username", "from_status", "to_status", "comment"),
            _version_of,
        ),
    ),
    (
        EventLog,
        Spec(
            "event_log",
            (
                "name",
                "source_filename",
                "format",
                "events",
                "cases",
                "activities",
                "rows_read",
                "rows_skipped",
                "content_sha256",
            ),
            lambda look, row: (f"#{row['id']} {row['name']}", None),
        ),
    ),
    (
        ActivityMapping,
        Spec(
            "activity_mapping",
            ("step",),
            lambda look, row: (
                f"log #{row['log_id']}/{row['process']}/{row['version']}/{row['activity']}",
                row["process"],
            ),
            bulk_deletes=False,  # only with their log, whose deletion is recorded
        ),
    ),
    (
        Account,
        Spec(
            "account",
            ("username", "role", "active"),
            lambda look, row: (row["username"], None),
            flags={"password_hash": "password_changed"},
            extra=_account_extra,
        ),
    ),
    (
        ApiToken,
        Spec(
            "api_token",
            ("account_id", "name", "expires_at", "revoked_at"),
            lambda look, row: (f"{look.account(row['account_id']) or '?'}/{row['name']}", None),
            refs={"account_id": ("account", Lookup.account)},
        ),
    ),
]

_SPECS += [
    (
        ImprovementAction,
        Spec(
            "improvement_action",
            (
                "title",
                "department",
                "owner_id",
                "account_id",
                "due",
                "metric",
                "target",
                "direction",
                "state",
            ),
            lambda look, row: (f"action #{row['id']} {row['title']}", row["process"]),
            refs={"owner_id": OWNER, "account_id": ("account", Lookup.account)},
        ),
    ),
    (
        ActionComment,
        Spec(
            "action_comment",
            ("username", "text"),
            lambda look, row: (f"action #{row['action_id']}", None),
            bulk_deletes=False,  # only with their action, whose deletion is recorded
        ),
    ),
]

SPECS: dict[type[SQLModel], Spec] = dict(_SPECS)
"""The tracked tables. Not tracked: events, analysis caches, sessions, import jobs."""
