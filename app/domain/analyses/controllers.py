"""HTTP endpoints of the analyses of a stored log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from app.db.engine import commit
from app.domain.analyses import services
from app.domain.deps import DbSession, IdPath
from app.lib.times import instant
from app.mining.analysis import Filters
from app.mining.analysis.calendar import calendar_from
from app.mining.analysis.cases import Finding

__all__ = ["AnalysisController"]

Kind = Literal["handoff", "pingpong", "rework", "duplicate", "variant", "activity"]

DateFrom = Annotated[
    str | None, QueryParameter(name="from", description="cases starting then or later")
]
DateTo = Annotated[str | None, QueryParameter(name="to", description="cases starting before then")]
Departments = Annotated[list[str] | None, QueryParameter(description="cases touching one of them")]
Activities = Annotated[list[str] | None, QueryParameter(description="cases with one of them")]


def provide_filters(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    department: Departments = None,
    activity: Activities = None,
) -> Filters:
    """The filters every analysis endpoint takes: whole cases by dates, departments, activities."""
    return Filters(
        start_us=instant(date_from, "from"),
        end_us=instant(date_to, "to"),
        departments=tuple(department or ()),
        activities=tuple(activity or ()),
    )


class AnalysisController(Controller):
    """Analyses of an imported log (CONTRACT section 3)."""

    path = "/api/event-logs/{log_id:int}"
    tags = ["analyses"]
    dependencies = {"filters": Provide(provide_filters, sync_to_thread=False)}

    @get("/analysis", sync_to_thread=True)
    def analysis(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        process: FromQuery[str | None] = None,
        version: FromQuery[str | None] = None,
        business_hours: Annotated[
            str | None, QueryParameter(description="e.g. 'Mon-Fri 08:30-16:30'")
        ] = None,
        calendar_timezone: FromQuery[str | None] = None,
        holidays: Annotated[str | None, QueryParameter(description="2025-01-01,2025-12-25")] = None,
        department_hours: Annotated[
            list[str] | None, QueryParameter(description="'Roads=Mon-Fri 07:00-15:30'")
        ] = None,
    ) -> Response[dict[str, Any]]:
        """The analysis document: handoffs, ping-pong, rework, duplicates, variants, conformance."""
        calendar = calendar_from(business_hours, calendar_timezone, holidays, department_hours)
        document, cached = services.analysis(
            session, log_id, filters, process=process, version=version, calendar=calendar
        )
        commit(session)
        return Response(document, headers={"X-Handoff-Cache": "hit" if cached else "miss"})

    @get("/directly-follows", sync_to_thread=True)
    def directly_follows(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
    ) -> Response[dict[str, Any]]:
        """The directly-follows graph: activity counts, and each pair's count and waits."""
        document, cached = services.directly_follows_graph(session, log_id, filters)
        commit(session)
        return Response(document, headers={"X-Handoff-Cache": "hit" if cached else "miss"})

    @get("/model.bpmn", sync_to_thread=True, media_type="application/xml")
    def model(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        variants: Annotated[int, QueryParameter(ge=1, le=1000)] = 20,
    ) -> Response[str]:
        """A BPMN 2.0 model of the most frequent variants (pm4py's inductive miner)."""
        xml, cached = services.bpmn(session, log_id, filters, variants)
        commit(session)
        return Response(
            xml,
            media_type="application/xml",
            headers={
                "Content-Disposition": f'attachment; filename="log-{log_id}.bpmn"',
                "X-Handoff-Cache": "hit" if cached else "miss",
            },
        )

    @get("/cases", sync_to_thread=True)
    def cases(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        kind: FromQuery[Kind],
        from_department: FromQuery[str | None] = None,
        to_department: FromQuery[str | None] = None,
        activity_name: Annotated[str | None, QueryParameter(name="activity_name")] = None,
        in_department: Annotated[str | None, QueryParameter(name="in_department")] = None,
        rank: FromQuery[int | None] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
    ) -> dict[str, Any]:
        """A page of the case ids behind a finding (a handoff pair, a ping-pong pair, a
        reworked activity of a department, a duplicated activity, a variant by rank)."""
        finding = Finding(
            kind=kind,
            from_department=from_department,
            to_department=to_department,
            activity=activity_name,
            department=in_department,
            rank=rank,
        )
        page = services.finding_cases(session, log_id, finding, filters, offset, limit)
        commit(session)
        return page

    @get("/cases/{case_id:str}", sync_to_thread=True)
    def timeline(
        self, session: DbSession, log_id: IdPath, case_id: FromPath[str]
    ) -> dict[str, Any]:
        """The events of one case in order, with waits and handoffs."""
        return services.case_timeline(session, log_id, case_id)
