"""HTTP endpoints of maps, comparisons (CONTRACT section 4) and program reviews."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlmodel import Session

from app.db.engine import commit
from app.domain.analyses.controllers import provide_filters
from app.domain.analyses.services import customer_map, directly_follows_graph, prepared_log
from app.domain.catalogue.services import customer_map as catalogue_customer_map
from app.domain.deps import DbSession, IdPath
from app.domain.processes.graph import version_graph
from app.domain.processes.schemas import ProcessFile
from app.domain.processes.services import get_tree
from app.domain.reviews import maps, services
from app.domain.reviews.program import CRITERIA, DEFAULT_WEIGHTS, payback_sentences, review_csv
from app.domain.system.headers import printable_page
from app.lib.errors import InvalidRequest
from app.lib.times import instant
from app.mining.analysis import Filters, Prepared
from app.mining.analysis.conformance import Params
from app.mining.analysis.filters import where_pairs
from app.rendering.bpmn import bpmn_xml
from app.rendering.output import MEDIA_TYPES

__all__ = ["LogMapController", "ProcessMapController"]

Format = Literal["svg", "png", "pdf", "dot"]
Style = Literal["diff", "side-by-side"]
Threshold = Annotated[float, QueryParameter(ge=0, le=100, description="name-match similarity")]
LogId = Annotated[
    int | None, QueryParameter(ge=1, le=2**31 - 1, description="an event log to mine")
]
Weights = Annotated[
    list[str] | None, QueryParameter(description="criterion=weight, e.g. handoffs=2")
]


def _image(content: bytes, fmt: str, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'inline; filename="{name}.{fmt}"'},
    )


def _process(session: Session, slug: str) -> ProcessFile:
    document: ProcessFile = get_tree(session, slug).document()
    return document


def _graph(session: Session, log_id: int, filters: Filters) -> dict[str, Any]:
    """The cached directly-follows graph of a log's filtered cases.

    Raises:
        InvalidRequest: no case passes the filters.
    """
    graph, _ = directly_follows_graph(session, log_id, filters)
    commit(session)  # keep what was computed for the next map
    if not graph["activities"]:
        raise InvalidRequest(f"No case of event log {log_id} passes the filters.")
    return graph


def _log(session: Session, log_id: int | None) -> Prepared | None:
    return prepared_log(session, log_id) if log_id is not None else None


class ProcessMapController(Controller):
    """Maps of documented processes, as-is vs to-be comparisons and program reviews."""

    path = "/api/processes/{slug:str}"
    tags = ["maps and reviews"]

    @get("/map", sync_to_thread=True)
    def version_map(
        self,
        session: DbSession,
        slug: FromPath[str],
        version: FromQuery[str],
        format: FromQuery[Format] = "svg",
        log: LogId = None,
        match_threshold: Threshold = 85.0,
    ) -> Response[bytes]:
        """A version in department swimlanes; with a log, its volumes and waits overlaid."""
        process = _process(session, slug)
        content = services.version_map(
            process, version, format, _log(session, log), Params(threshold=match_threshold)
        )
        return _image(content, format, f"{slug}-{version}")

    @get("/model.bpmn", sync_to_thread=True, media_type="application/xml")
    def version_bpmn(
        self, session: DbSession, slug: FromPath[str], version: FromQuery[str]
    ) -> Response[bytes]:
        """A version as BPMN 2.0 XML with lanes per department and diagram layout."""
        graph = version_graph(_process(session, slug), version)
        return Response(
            bpmn_xml(graph),
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{slug}-{version}.bpmn"'},
        )

    @get("/compare", sync_to_thread=True)
    def compare(
        self,
        session: DbSession,
        slug: FromPath[str],
        from_label: Annotated[str, QueryParameter(name="from")],
        to_label: Annotated[str, QueryParameter(name="to")],
        log: LogId = None,
        match_threshold: Threshold = 85.0,
    ) -> dict[str, Any]:
        """The comparison document of two versions (CONTRACT section 4)."""
        return services.comparison(
            _process(session, slug),
            from_label,
            to_label,
            _log(session, log),
            Params(threshold=match_threshold),
        )

    @get("/compare/map", sync_to_thread=True)
    def compare_map(
        self,
        session: DbSession,
        slug: FromPath[str],
        from_label: Annotated[str, QueryParameter(name="from")],
        to_label: Annotated[str, QueryParameter(name="to")],
        style: FromQuery[Style] = "diff",
        format: FromQuery[Format] = "svg",
    ) -> Response[bytes]:
        """The diff map of two versions, or the two side by side."""
        content = services.comparison_map(
            _process(session, slug), from_label, to_label, format, style
        )
        return _image(content, format, f"{slug}-{from_label}-{to_label}-{style}")

    @get("/review", sync_to_thread=True)
    def review(
        self,
        session: DbSession,
        state: State,
        slug: FromPath[str],
        log: LogId = None,
        weight: Weights = None,
        format: FromQuery[Literal["json", "csv", "html"]] = "json",
        hourly_cost: Annotated[
            float | None, QueryParameter(ge=0, le=1e6, description="staff cost of one hour")
        ] = None,
        yearly_cases: Annotated[
            float | None,
            QueryParameter(ge=0, le=1e9, description="cases a year instead of the log's"),
        ] = None,
    ) -> Response[Any]:
        """The as-is and every option scored by the chosen weights, with each option's
        payback (yearly savings, payback months, resident hours saved): JSON, CSV or one
        printable HTML page with the maps."""
        process = _process(session, slug)
        prepared = _log(session, log)
        hourly = state.settings.hourly_staff_cost if hourly_cost is None else hourly_cost
        payback = services.payback_of(prepared, hourly, yearly_cases)
        rows = services.program_review(
            process, prepared, services.parse_weights(weight or []), payback=payback
        )
        if format == "csv":
            return Response(
                review_csv(rows),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{slug}-review.csv"'},
            )
        if format == "html":
            return printable_page(
                services.review_page(process, rows, prepared is not None, payback)
            )
        return Response(
            {
                "process": slug,
                "rows": rows,
                "criteria": CRITERIA,
                "default_weights": DEFAULT_WEIGHTS,
                "payback": {
                    "yearly_cases": payback.yearly_cases,
                    "hourly_cost": payback.hourly_cost,
                    "basis": payback.basis,
                }
                if payback is not None
                else None,
                "payback_notes": payback_sentences(rows, payback),
            }
        )


class LogMapController(Controller):
    """Maps of an imported log and the department customer map."""

    path = "/api"
    tags = ["maps and reviews"]
    dependencies = {"filters": Provide(provide_filters, sync_to_thread=False)}

    @get("/event-logs/{log_id:int}/map", sync_to_thread=True)
    def mined_map(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        measure: FromQuery[Literal["frequency", "performance"]] = "frequency",
        keep: Annotated[float, QueryParameter(gt=0, le=100)] = 100.0,
        max_edges: Annotated[int, QueryParameter(ge=1, le=400)] = 200,
        format: FromQuery[Format] = "svg",
    ) -> Response[bytes]:
        """The directly-follows map, kept to the busiest transitions
        (``X-Handoff-Edges: shown/total``)."""
        content, shown, total = maps.mined_map_image(
            _graph(session, log_id, filters),
            format,
            measure=measure,
            keep=keep,
            max_edges=max_edges,
            title=f"Event log {log_id}",
        )
        response = _image(content, format, f"log-{log_id}-{measure}")
        response.headers["X-Handoff-Edges"] = f"{shown}/{total}"
        return response

    @get("/event-logs/{log_id:int}/customer-map/map", sync_to_thread=True)
    def log_customer_map(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        format: FromQuery[Format] = "svg",
    ) -> Response[bytes]:
        """Departments and the handoffs between them, with volumes and waits."""
        data = customer_map(session, log_id, filters)
        commit(session)
        if not data["departments"]:
            raise InvalidRequest(f"No case of event log {log_id} passes the filters.")
        content = maps.customer_map_image(data, format, title=f"Event log {log_id}")
        return _image(content, format, f"log-{log_id}-customer-map")

    @get("/event-logs/{log_id:int}/compare-map", sync_to_thread=True)
    def observed_comparison(
        self,
        session: DbSession,
        log_id: IdPath,
        filters: NamedDependency[Filters],
        other: LogId = None,
        split: Annotated[
            str | None, QueryParameter(description="a date: cases starting before vs after")
        ] = None,
        before_where: Annotated[
            list[str] | None, QueryParameter(description="first slice: COLUMN=VALUE")
        ] = None,
        after_where: Annotated[
            list[str] | None, QueryParameter(description="second slice: COLUMN=VALUE")
        ] = None,
        format: FromQuery[Format] = "svg",
    ) -> Response[bytes]:
        """Two logs, one log before and after a date, or two slices of a log by the values
        of a column (a channel, a district) on one map: changes in volumes and waits
        (``X-Handoff-Edges: shown/total``)."""
        slices = bool(before_where or after_where)
        if [other is not None, split is not None, slices].count(True) != 1:
            raise InvalidRequest(
                "Compare with another log (other=ID), split at a date (split=DATE), or "
                "compare two slices (before_where=COLUMN=VALUE and after_where=COLUMN=VALUE)."
            )
        if other is not None:
            before = _graph(session, log_id, filters)
            after = _graph(session, other, filters)
            title = f"Event log {log_id} and event log {other}"
        elif split is not None:
            at = instant(split, "split")
            before = _graph(session, log_id, _before(filters, at, True))
            after = _graph(session, log_id, _before(filters, at, False))
            title = f"Event log {log_id} before and after {split}"
        else:
            first, second = where_pairs(before_where or []), where_pairs(after_where or [])
            if not first or not second:
                raise InvalidRequest("Give both slices: before_where and after_where.")
            before = _graph(session, log_id, replace(filters, where=filters.where + first))
            after = _graph(session, log_id, replace(filters, where=filters.where + second))
            title = (
                f"Event log {log_id}: {', '.join(f'{c}={v}' for c, v in first)} and "
                f"{', '.join(f'{c}={v}' for c, v in second)}"
            )
        content, shown, total = maps.mined_diff_image(before, after, format, title=title)
        response = _image(content, format, f"log-{log_id}-comparison")
        response.headers["X-Handoff-Edges"] = f"{shown}/{total}"
        return response

    @get("/customer-map/map", sync_to_thread=True)
    def catalogue_customer_map(
        self,
        session: DbSession,
        kind: FromQuery[Literal["as-is", "to-be"] | None] = "as-is",
        format: FromQuery[Format] = "svg",
    ) -> Response[bytes]:
        """Departments and the documented handoffs between them, across the catalogue."""
        data = catalogue_customer_map(session, kind=kind)
        title = f"Documented handoffs ({kind or 'all versions'})"
        content = maps.customer_map_image(data, format, title=title)
        return _image(content, format, "customer-map")


def _before(filters: Filters, at: int | None, before: bool) -> Filters:
    """The filters narrowed to cases starting before (or from) ``at``."""
    if before:
        end = at if filters.end_us is None or at is None else min(at, filters.end_us)
        return replace(filters, end_us=end)
    start = at if filters.start_us is None or at is None else max(at, filters.start_us)
    return replace(filters, start_us=start)
