"""Reading the audit trail: filtered pages of entries, and the same as CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db.audit_tables import SPECS
from app.db.models import AuditEntry, Process
from app.lib.cells import neutralise
from app.lib.errors import InvalidRequest, NotFound

__all__ = [
    "CSV_COLUMNS",
    "ENTITIES",
    "AuditFilter",
    "entries_csv",
    "entry_public",
    "list_entries",
    "neutralise",
    "process_history",
]

ENTITIES = tuple(sorted(spec.entity for spec in SPECS.values()))
"""The kinds of rows the trail records (table names)."""
CSV_COLUMNS = (
    "id",
    "at",
    "username",
    "action",
    "entity",
    "entity_key",
    "process",
    "fields",
    "before",
    "after",
)
CSV_LIMIT = 100_000
"""The most entries one CSV export holds (newest first)."""


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: every field given must match."""

    process: str | None = None
    entity: str | None = None
    user: str | None = None
    since: str | None = None
    """An ISO date or date-time (naive ones are UTC): entries then or later."""


def _since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"since '{text}' is not a date like 2025-03-31 or 2025-03-31T14:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _where(filters: AuditFilter) -> list[Any]:
    where: list[Any] = []
    if filters.process:
        where.append(col(AuditEntry.process) == filters.process)
    if filters.entity:
        if filters.entity not in ENTITIES:
            raise InvalidRequest(f"entity is one of {', '.join(ENTITIES)}, not {filters.entity!r}.")
        where.append(col(AuditEntry.entity) == filters.entity)
    if filters.user:
        where.append(func.lower(col(AuditEntry.username)) == filters.user.lower())
    if filters.since:
        since = _since(filters.since)
        # SQLite keeps the instant without its zone: compare in UTC, as it is stored
        where.append(col(AuditEntry.at) >= since)
    return where


def list_entries(
    session: Session, filters: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    """The entries matching the filters, newest first, and how many match in all.

    Raises:
        InvalidRequest: an unknown entity or a ``since`` that is not a date.
    """
    where = _where(filters)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = session.exec(
        select(AuditEntry)
        .where(*where)
        .order_by(col(AuditEntry.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return total, list(rows)


def process_history(
    session: Session, slug: str, filters: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    """The entries of one process (also of a deleted one, while its history is kept).

    Raises:
        NotFound: no process has that slug and none ever had.
    """
    scoped = AuditFilter(
        process=slug, entity=filters.entity, user=filters.user, since=filters.since
    )
    total, rows = list_entries(session, scoped, limit=limit, offset=offset)
    if total == 0:
        exists = session.exec(select(Process.id).where(Process.slug == slug)).first()
        known = session.exec(
            select(AuditEntry.id).where(col(AuditEntry.process) == slug).limit(1)
        ).first()
        if exists is None and known is None:
            raise NotFound(f"There is no process '{slug}' and no history of one.")
    return total, rows


def _fields(entry: AuditEntry) -> list[str]:
    return sorted({*(entry.before or {}), *(entry.after or {})})


def entry_public(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API shows it, with the names of the fields it records."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    return {
        "id": entry.id,
        "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "username": entry.username,
        "action": entry.action,
        "entity": entry.entity,
        "entity_key": entry.entity_key,
        "process": entry.process,
        "fields": _fields(entry),
        "before": entry.before,
        "after": entry.after,
    }


def entries_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV (before and after as JSON), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        public = entry_public(entry)
        cells = [
            public["id"],
            public["at"],
            public["username"],
            public["action"],
            public["entity"],
            public["entity_key"],
            public["process"] or "",
            " ".join(public["fields"]),
            _json(entry.before),
            _json(entry.after),
        ]
        writer.writerow([neutralise(str(cell)) for cell in cells])
    return out.getvalue()


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
