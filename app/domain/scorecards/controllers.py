"""HTTP endpoints of department scorecards of a stored log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from app.db.engine import commit
from app.domain.deps import DbSession, IdPath
from app.domain.scorecards import render, services
from app.domain.system.headers import printable_page
from app.lib.times import instant

__all__ = ["ScorecardController"]

Format = Literal["json", "csv", "html"]
DateFrom = Annotated[
    str | None, QueryParameter(name="from", description="cases starting then or later")
]
DateTo = Annotated[str | None, QueryParameter(name="to", description="cases starting before then")]


def _answer(document: dict[str, Any], format: Format, name: str) -> Response[Any]:
    if format == "csv":
        return Response(
            render.scorecard_csv(document),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "html":
        return printable_page(render.scorecard_html(document))
    return Response(document)


class ScorecardController(Controller):
    """Department scorecards: volume, holding time, standards met, ping-pong, rework and
    unowned handoffs over a period, against the period before."""

    path = "/api/event-logs/{log_id:int}/scorecards"
    tags = ["scorecards"]

    @get("/", sync_to_thread=True, opt={"permission": "read"})
    def all_departments(
        self,
        session: DbSession,
        state: State,
        log_id: IdPath,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        process: FromQuery[str | None] = None,
        version: FromQuery[str | None] = None,
        format: FromQuery[Format] = "json",
    ) -> Response[Any]:
        """Every department's scorecard over the period (default: the log's latest whole
        month) with the previous period and the change; JSON, CSV or a printable page (202
        with Retry-After while the analyses of a large log are computed)."""
        document = services.scorecards(
            session,
            log_id,
            instant(date_from, "from"),
            instant(date_to, "to"),
            process=process,
            version=version,
            background=state.background,
        )
        commit(session)
        return _answer(document, format, f"log-{log_id}-scorecards")

    @get("/{department:str}", sync_to_thread=True, opt={"permission": "read"})
    def one_department(
        self,
        session: DbSession,
        state: State,
        log_id: IdPath,
        department: FromPath[str],
        date_from: DateFrom = None,
        date_to: DateTo = None,
        process: FromQuery[str | None] = None,
        version: FromQuery[str | None] = None,
        format: FromQuery[Format] = "json",
    ) -> Response[Any]:
        """One department's scorecard with each figure per month over the log (trend)."""
        document = services.scorecard(
            session,
            log_id,
            department,
            instant(date_from, "from"),
            instant(date_to, "to"),
            process=process,
            version=version,
            background=state.background,
        )
        commit(session)
        return _answer(document, format, f"log-{log_id}-scorecard")
