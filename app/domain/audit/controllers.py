"""HTTP endpoints of the audit trail: one process's history for anyone who may read, the
whole trail for admins; both as JSON pages or as a CSV file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter

from app.domain.audit import services
from app.domain.audit.services import AuditFilter
from app.domain.deps import DbSession

__all__ = ["AuditController"]

Entity = Annotated[str | None, QueryParameter(description="a table name, e.g. step or flow")]
User = Annotated[str | None, QueryParameter(description="who made the change (username)")]
Since = Annotated[str | None, QueryParameter(description="an ISO date or date-time (UTC)")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="entries per page (JSON)")]
Offset = Annotated[int, QueryParameter(ge=0, le=2**31 - 1)]
"""An SQL OFFSET: a larger one cannot be a position (400, not a database overflow)."""
Format = Annotated[Literal["json", "csv"], QueryParameter(name="format")]


def _answer(
    total: int, rows: list[Any], limit: int, offset: int, output: str, filename: str
) -> Response[Any]:
    if output == "csv":
        return Response(
            services.entries_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    return Response(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "entries": [services.entry_public(row) for row in rows],
        }
    )


class AuditController(Controller):
    """Who changed what, when: the record before and after."""

    path = "/api"
    tags = ["audit"]

    @get("/audit", sync_to_thread=True, opt={"permission": "users"})
    def audit(
        self,
        session: DbSession,
        process: Annotated[str | None, QueryParameter(description="a process slug")] = None,
        entity: Entity = None,
        user: User = None,
        since: Since = None,
        limit: Limit = 100,
        offset: Offset = 0,
        output: Format = "json",
    ) -> Response[Any]:
        """Every change across the catalogue, accounts and logs, newest first (admins)."""
        filters = AuditFilter(process=process, entity=entity, user=user, since=since)
        if output == "csv":
            limit, offset = services.CSV_LIMIT, 0
        total, rows = services.list_entries(session, filters, limit=limit, offset=offset)
        return _answer(total, rows, limit, offset, output, "audit")

    @get("/processes/{slug:str}/history", sync_to_thread=True)
    def history(
        self,
        session: DbSession,
        slug: FromPath[str],
        entity: Entity = None,
        user: User = None,
        since: Since = None,
        limit: Limit = 100,
        offset: Offset = 0,
        output: Format = "json",
    ) -> Response[Any]:
        """The changes to one process, its versions, steps, flows, sign-offs and reviews,
        newest first."""
        filters = AuditFilter(entity=entity, user=user, since=since)
        if output == "csv":
            limit, offset = services.CSV_LIMIT, 0
        total, rows = services.process_history(session, slug, filters, limit=limit, offset=offset)
        return _answer(total, rows, limit, offset, output, f"{slug}-history")
