"""HTTP endpoints of the analyses of a stored log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from pydantic import BaseModel, Field

from app.db.engine import commit
from app.domain.analyses import services
from app.domain.analyses.mapping import mapping_document, replace_mapping
from app.domain.deps import DbSession, IdPath
from app.lib.errors import InvalidRequest
from app.lib.times import instant
from app.mining.analysis import Filters, conformance, repeats
from app.mining.analysis.calendar import calendar_from
from app.mining.analysis.cases import Finding
from app.mining.analysis.filters import where_pairs

__all__ = ["AnalysisController"]

Kind = Literal["handoff", "pingpong", "rework", "duplicate", "variant", "activity"]

DateFrom = Annotated[
    str | None, QueryParameter(name="from", description="cases starting then or later")
]
DateTo = Annotated[str | None, QueryParameter(name="to", description="cases starting before then")]
Departments = Annotated[list[str] | None, QueryParameter(description="cases touching one of them")]
Activities = Annotated[list[str] | None, QueryParameter(description="cases with one of them")]


Variant = Annotated[
    list[str] | None,
    QueryParameter(description="cases whose activities are exactly these, in this order"),
]
Where = Annotated[
    list[str] | None,
    QueryParameter(description="COLUMN=VALUE: cases with that value in another column"),
]


def provide_filters(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    department: Departments = None,
    activity: Activities = None,
    variant: Variant = None,
    where: Where = None,
) -> Filters:
    """The filters every analysis endpoint takes: whole cases by dates, departments,
    activities, exact variant and the values of other columns."""
    return Filters(
        start_us=instant(date_from, "from"),
        end_us=instant(date_to, "to"),
        departments=tuple(department or ()),
        activities=tuple(activity or ()),
        variant=tuple(variant) if variant else None,
        where=where_pairs(where or []),
    )


FINDING_NEEDS: dict[str, tuple[str, ...]] = {
    "handoff": ("from_department", "to_department"),
    "pingpong": ("from_department", "to_department"),
    "rework": ("activity_name", "in_department"),
    "duplicate": ("activity_name",),
    "activity": ("activity_name",),
    "variant": ("rank",),
}
"""The query parameters that name the finding of each kind (without them, no case is
behind it: a refusal, not an empty list)."""


class MappingUpdate(BaseModel):
    """Activities of the log mapped to step ids of a version (null: to no step)."""

    process: str = Field(min_length=1, max_length=100)
    version: str | None = Field(default=None, max_length=100)
    mapping: dict[str, str | None]


class AnalysisController(Controller):
    """Analyses of an imported log (CONTRACT section 3)."""

    path = "/api/event-logs/{log_id:int}"
    tags = ["analyses"]
    dependencies = {"filters": Provide(provide_filters, sync_to_thread=False)}

    @get("/analysis", sync_to_thread=True)
    def analysis(
        self,
        session: DbSession,
        state: State,
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
        match_threshold: Annotated[float, QueryParameter(ge=0, le=100)] = 85.0,
        stop_clock: Annotated[
            list[str] | None,
            QueryParameter(description="activities that stop the service-standard clock"),
        ] = None,
        channel: Annotated[
            str | None,
            QueryParameter(description="column with the request's channel ('' for none)"),
        ] = None,
        duplicate_attribute: Annotated[
            str | None,
            QueryParameter(description="column naming the problem, to find repeat reports"),
        ] = None,
        duplicate_days: Annotated[float, QueryParameter(gt=0, le=3650)] = 30.0,
    ) -> Response[dict[str, Any]]:
        """The analysis document: handoffs, ping-pong, rework, duplicates, variants,
        conformance. For a large log not analysed yet with these parameters: 202 with
        Retry-After while it is computed in the background, then the document."""
        calendar = calendar_from(business_hours, calendar_timezone, holidays, department_hours)
        document, cached = services.analysis(
            session,
            log_id,
            filters,
            process=process,
            version=version,
            checks=conformance.Params(
                threshold=match_threshold, stop_clock=tuple(stop_clock or ()), channel=channel
            ),
            calendar=calendar,
            duplicate_requests=(
                repeats.Params(duplicate_attribute, duplicate_days) if duplicate_attribute else None
            ),
            background=state.background,
        )
        commit(session)
        return Response(document, headers={"X-Handoff-Cache": "hit" if cached else "miss"})

    @get("/mapping", sync_to_thread=True)
    def mapping(
        self,
        session: DbSession,
        log_id: IdPath,
        process: FromQuery[str],
        version: FromQuery[str | None] = None,
        match_threshold: Annotated[float, QueryParameter(ge=0, le=100)] = 85.0,
    ) -> dict[str, Any]:
        """How the log's activities map to the steps of a documented version."""
        graph = services.require_graph(session, process, version)
        return mapping_document(session, log_id, graph, match_threshold)

    @put("/mapping", sync_to_thread=True)
    def set_mapping(
        self, session: DbSession, log_id: IdPath, data: JSONBody[MappingUpdate]
    ) -> dict[str, Any]:
        """Store the analyst's mapping of activities to steps (replaces the earlier one)."""
        graph = services.require_graph(session, data.process, data.version)
        replace_mapping(session, log_id, graph, data.mapping)
        commit(session)
        return mapping_document(session, log_id, graph)

    @get("/customer-map", sync_to_thread=True)
    def customer_map(
        self, session: DbSession, state: State, log_id: IdPath, filters: NamedDependency[Filters]
    ) -> dict[str, Any]:
        """Departments as nodes, handoff volumes and waits as edges (the maps draw it); 202
        while the analysis of a large log is computed."""
        document = services.customer_map(session, log_id, filters, state.background)
        commit(session)
        return document

    @get("/directly-follows", sync_to_thread=True)
    def directly_follows(
        self,
        session: DbSession,
        state: State,
        log_id: IdPath,
        filters: NamedDependency[Filters],
    ) -> Response[dict[str, Any]]:
        """The directly-follows graph: activity counts, and each pair's count and waits (202
        while it is computed for a large log)."""
        document, cached = services.directly_follows_graph(
            session, log_id, filters, state.background
        )
        commit(session)
        return Response(document, headers={"X-Handoff-Cache": "hit" if cached else "miss"})

    @get("/model.bpmn", sync_to_thread=True, media_type="application/xml")
    def model(
        self,
        session: DbSession,
        state: State,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        variants: Annotated[int, QueryParameter(ge=1, le=1000)] = 20,
    ) -> Response[Any]:
        """A BPMN 2.0 model of the most frequent variants (pm4py's inductive miner); for a
        large log, 202 while it is computed in the background, then the model."""
        xml, cache = services.bpmn(
            session,
            log_id,
            filters,
            variants,
            background=state.background,
            inline_events=state.settings.inline_model_events,
        )
        commit(session)
        if xml is None:
            return Response(
                {"state": "running", "detail": "The model is being discovered; ask again."},
                status_code=HTTP_202_ACCEPTED,
                media_type="application/json",
                headers={"Retry-After": "2", "X-Handoff-Cache": cache},
            )
        return Response(
            xml,
            media_type="application/xml",
            headers={
                "Content-Disposition": f'attachment; filename="log-{log_id}.bpmn"',
                "X-Handoff-Cache": cache,
            },
        )

    @get("/cases", sync_to_thread=True)
    def cases(
        self,
        session: DbSession,
        state: State,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        kind: FromQuery[Kind],
        from_department: FromQuery[str | None] = None,
        to_department: FromQuery[str | None] = None,
        activity_name: Annotated[str | None, QueryParameter(name="activity_name")] = None,
        in_department: Annotated[str | None, QueryParameter(name="in_department")] = None,
        rank: Annotated[int | None, QueryParameter(ge=1, le=1_000_000)] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
    ) -> dict[str, Any]:
        """A page of the case ids behind a finding (a handoff pair, a ping-pong pair, a
        reworked activity of a department, a duplicated activity, a variant by rank); 202
        while the list is computed for a large log."""
        given = {
            "from_department": from_department,
            "to_department": to_department,
            "activity_name": activity_name,
            "in_department": in_department,
            "rank": rank,
        }
        missing = [name for name in FINDING_NEEDS[kind] if given[name] in (None, "")]
        if missing:
            raise InvalidRequest(f"The cases of a {kind} finding need {' and '.join(missing)}.")
        finding = Finding(
            kind=kind,
            from_department=from_department,
            to_department=to_department,
            activity=activity_name,
            department=in_department,
            rank=rank,
        )
        page = services.finding_cases(
            session, log_id, finding, filters, offset, limit, state.background
        )
        commit(session)
        return page

    @get("/cases/{case_id:str}", sync_to_thread=True)
    def timeline(
        self, session: DbSession, log_id: IdPath, case_id: FromPath[str]
    ) -> dict[str, Any]:
        """The events of one case in order, with waits and handoffs."""
        return services.case_timeline(session, log_id, case_id)
