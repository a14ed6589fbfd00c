"""Analyses of stored logs: the cached analysis document, the cases behind a finding, a
case's timeline."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.db.models import AnalysisResult
from app.db.workers import insert_ignore
from app.domain.analyses.background import BackgroundAnalyses, Computing, Recipe
from app.domain.analyses.mapping import stored_mapping
from app.domain.event_logs.services import get_log
from app.domain.processes.graph import version_graph
from app.domain.processes.services import get_tree
from app.domain.processes.yaml_format import dump_process_yaml
from app.lib.errors import InvalidRequest, require
from app.lib.graph import ProcessGraph
from app.lib.times import iso_utc
from app.mining.analysis import (
    Calendar,
    Filters,
    Prepared,
    analysis_document,
    conformance,
    prepare,
    repeats,
)
from app.mining.analysis.cases import Finding, cases_behind
from app.mining.analysis.handoffs import with_wait_shares
from app.mining.discovery import bpmn_model, directly_follows
from app.mining.eventlog import ANALYSED_COLUMNS, events_frame

__all__ = [
    "ANALYSIS_VERSION",
    "analysis",
    "bpmn",
    "case_timeline",
    "customer_map",
    "directly_follows_graph",
    "finding_cases",
    "graph_of",
    "prepared_log",
    "require_graph",
]

ANALYSIS_VERSION = 7
"""Bump when the analysis code changes its results, so cached documents are recomputed."""
BATCH = 100_000


def _batches(
    session: Session, log_id: int, *, attributes: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    columns = ", ".join(ANALYSED_COLUMNS + (("attributes",) if attributes else ()))
    result = session.connection().execute(
        text(f"SELECT {columns} FROM event WHERE log_id = :log ORDER BY seq"), {"log": log_id}
    )
    while batch := result.fetchmany(BATCH):
        yield [tuple(row) for row in batch]


def _events(session: Session, log_id: int, filters: Filters, *, attributes: bool = False) -> Any:
    """A stored log's events (a polars frame) that pass the filters, with the other
    columns as JSON when asked for or when a filter reads them."""
    attributes = attributes or bool(filters.where)
    frame = events_frame(_batches(session, log_id, attributes=attributes), attributes=attributes)
    return filters.apply(frame)


def graph_of(
    session: Session, process: str | None, version: str | None
) -> tuple[ProcessGraph | None, str]:
    """The documented version to compare with, and a fingerprint of its content."""
    if process is None:
        return None, ""
    tree = get_tree(session, process)
    document = tree.document()
    label = version or next(
        (v.label for v in document.versions if v.kind == "as-is"), document.versions[0].label
    )
    fingerprint = hashlib.sha256(dump_process_yaml(document).encode()).hexdigest()
    return version_graph(document, label), f"{fingerprint}:{label}"


def prepared_log(session: Session, log_id: int, filters: Filters | None = None) -> Prepared:
    """A stored log's events, filtered and prepared for the analyses and maps.

    Raises:
        NotFound: no log has that id.
        InvalidRequest: no case passes the filters.
    """
    get_log(session, log_id)
    events = _events(session, log_id, filters or Filters())
    if events.height == 0:
        raise InvalidRequest(f"No case of event log {log_id} passes the filters.")
    return prepare(events, ordered=True)


def require_graph(session: Session, process: str, version: str | None) -> ProcessGraph:
    """The graph of a stored process version (its as-is version when none is named)."""
    graph, _ = graph_of(session, process, version)
    assert graph is not None
    return graph


def _key(parts: list[Any]) -> str:
    """The cache key of an analysis and its parameters."""
    return hashlib.sha256(
        json.dumps([ANALYSIS_VERSION, *parts], sort_keys=True, default=repr).encode()
    ).hexdigest()


@dataclass(frozen=True)
class _Deferral:
    """Where and how to compute a document in the background when it is not cached."""

    background: BackgroundAnalyses
    recipe: Recipe
    what: str = "The analysis"


def _deferral(
    background: BackgroundAnalyses | None,
    events: int,
    recipe: Recipe,
    *,
    inline_events: int | None = None,
    what: str = "The analysis",
) -> _Deferral | None:
    """A deferral when the log is larger than what is analysed within a request."""
    if background is None:
        return None
    if events <= (background.inline_events if inline_events is None else inline_events):
        return None
    return _Deferral(background, recipe, what)


def _cached(
    session: Session,
    log_id: int,
    parts: list[Any],
    compute: Callable[[], dict[str, Any]],
    deferral: _Deferral | None = None,
) -> tuple[dict[str, Any], bool]:
    """A document computed once per log and parameters, kept in ``analysis_result``.

    Another process may store the same document meanwhile: the first one stored stays.

    Raises:
        Computing: with a deferral, the document is not cached and is being computed in
            the background now (by this process or another).
    """
    key = _key(parts)
    cached = session.get(AnalysisResult, (log_id, key))
    if cached is not None:
        return cached.document, True
    if deferral is not None:
        deferral.background.defer(log_id, key, deferral.recipe, deferral.what)
    started = time.perf_counter()
    document = compute()
    insert_ignore(
        session.connection(),
        AnalysisResult,
        {
            "log_id": log_id,
            "key": key,
            "document": document,
            "seconds": round(time.perf_counter() - started, 3),
            "created_at": datetime.now(UTC),
        },
    )
    return document, False


def analysis(
    session: Session,
    log_id: int,
    filters: Filters,
    *,
    process: str | None = None,
    version: str | None = None,
    checks: conformance.Params | None = None,
    calendar: Calendar | None = None,
    duplicate_requests: repeats.Params | None = None,
    background: BackgroundAnalyses | None = None,
) -> tuple[dict[str, Any], bool]:
    """The analysis document of a stored log, computed once per log and parameters.

    The conformance check uses the mapping of activities to steps stored for the log and
    version (``mapping``), over the one given in ``checks``.

    Returns:
        The document and whether it came from the cache.

    Raises:
        Computing: given ``background``, the log is large and its document is not cached
            yet: it is being computed in the background.
    """
    log = get_log(session, log_id)
    recipe: Recipe = (
        analysis,
        (log_id, filters),
        {
            "process": process,
            "version": version,
            "checks": checks,
            "calendar": calendar,
            "duplicate_requests": duplicate_requests,
        },
    )
    graph, process_key = graph_of(session, process, version)
    checks = checks or conformance.Params()
    if graph is not None:
        checks = replace(checks, mapping=stored_mapping(session, log_id, graph))
    imported = {
        "rows_read": log.rows_read,
        "exact_duplicate_rows_dropped": log.exact_duplicate_rows_dropped,
    }
    attributes = graph is not None or duplicate_requests is not None or bool(filters.where)
    return _cached(
        session,
        log_id,
        [
            "analysis",
            repr(filters),
            process_key,
            repr(checks) if graph is not None else "",
            repr(calendar),
            repr(duplicate_requests),
        ],
        lambda: analysis_document(
            events_frame(_batches(session, log_id, attributes=attributes), attributes=attributes),
            imported,
            filters=filters,
            process=graph,
            conformance_params=checks,
            ordered=True,
            calendar=calendar,
            duplicate_requests=duplicate_requests,
        ),
        _deferral(background, log.events, recipe),
    )


def customer_map(
    session: Session,
    log_id: int,
    filters: Filters,
    background: BackgroundAnalyses | None = None,
) -> dict[str, Any]:
    """The department customer map of a log: departments (volume, time holding cases) as
    nodes, handoffs (volume, waits, share of all handoff waiting) as edges."""
    document, _ = analysis(session, log_id, filters, background=background)
    return {
        "source": "log",
        "log_id": log_id,
        "departments": document["departments"],
        "handoffs": with_wait_shares(document["handoffs"]),
    }


def directly_follows_graph(
    session: Session,
    log_id: int,
    filters: Filters,
    background: BackgroundAnalyses | None = None,
) -> tuple[dict[str, Any], bool]:
    """The directly-follows graph of a stored log with frequencies and waits."""
    log = get_log(session, log_id)

    def compute() -> dict[str, Any]:
        events = _events(session, log_id, filters)
        return asdict(directly_follows(prepare(events, ordered=True)))

    recipe: Recipe = (directly_follows_graph, (log_id, filters), {})
    return _cached(
        session,
        log_id,
        ["directly-follows", repr(filters)],
        compute,
        _deferral(background, log.events, recipe, what="The directly-follows graph"),
    )


def bpmn(
    session: Session,
    log_id: int,
    filters: Filters,
    top_variants: int,
    *,
    background: BackgroundAnalyses | None = None,
    inline_events: int = 0,
) -> tuple[str | None, str]:
    """A BPMN 2.0 model of the most frequent variants (pm4py's inductive miner).

    Args:
        session: the database session.
        log_id: the log.
        filters: which cases to model.
        top_variants: how many of the most frequent variants the model covers.
        background: where to compute the model of a log larger than ``inline_events``.
        inline_events: logs up to this many events are modelled within the request.

    Returns:
        The XML (None while it is being computed in the background) and the cache state:
        ``hit``, ``miss`` or ``running``.

    Raises:
        InvalidRequest: no case passes the filters, or the background run failed.
    """
    log = get_log(session, log_id)
    parts: list[Any] = ["bpmn", repr(filters), top_variants]

    def compute(session: Session) -> dict[str, Any]:
        events = _events(session, log_id, filters)
        if events.height == 0:
            raise InvalidRequest("No case passes the filters, so there is nothing to model.")
        return {"xml": bpmn_model(events, top_variants).decode("utf-8")}

    recipe: Recipe = (bpmn, (log_id, filters, top_variants), {})
    deferral = _deferral(
        background, log.events, recipe, inline_events=inline_events, what="The model"
    )
    try:
        document, cached_hit = _cached(session, log_id, parts, lambda: compute(session), deferral)
    except Computing:
        return None, "running"
    return document["xml"], "hit" if cached_hit else "miss"


def finding_cases(
    session: Session,
    log_id: int,
    finding: Finding,
    filters: Filters,
    offset: int,
    limit: int,
    background: BackgroundAnalyses | None = None,
) -> dict[str, Any]:
    """A page of the ids of the cases behind a finding (the whole list is computed once)."""
    log = get_log(session, log_id)

    def compute() -> dict[str, Any]:
        events = _events(session, log_id, filters)
        return {"cases": cases_behind(prepare(events, ordered=True), finding)}

    recipe: Recipe = (finding_cases, (log_id, finding, filters, 0, 1), {})
    document, _ = _cached(
        session,
        log_id,
        ["cases", repr(finding), repr(filters)],
        compute,
        _deferral(background, log.events, recipe, what="The list of cases"),
    )
    ids: list[str] = document["cases"]
    return {
        "total": len(ids),
        "offset": offset,
        "limit": limit,
        "cases": ids[offset : offset + limit],
    }


def case_timeline(session: Session, log_id: int, case_id: str) -> dict[str, Any]:
    """The events of one case in order, with the wait before each and handoff marks."""
    get_log(session, log_id)
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT activity, department, resource, timestamp_us, start_us, lifecycle, line, "
                "attributes FROM event WHERE log_id = :log AND case_id = :case ORDER BY seq"
            ),
            {"log": log_id, "case": case_id},
        )
        .all()
    )
    require(rows or None, f"Event log {log_id} has no case '{case_id}'.")
    events = []
    previous: Any = None
    for row in rows:
        wait = (row.timestamp_us - previous.timestamp_us) / 1e6 if previous is not None else None
        events.append(
            {
                "activity": row.activity,
                "department": row.department,
                "resource": row.resource,
                "timestamp": iso_utc(row.timestamp_us),
                "started": iso_utc(row.start_us) if row.start_us is not None else None,
                "lifecycle": row.lifecycle,
                "line": row.line,
                "wait_s": wait,
                "handoff": previous is not None and previous.department != row.department,
                "attributes": json.loads(row.attributes) if row.attributes else {},
            }
        )
        previous = row
    first, last = rows[0].timestamp_us, rows[-1].timestamp_us
    return {
        "log_id": log_id,
        "case_id": case_id,
        "events": events,
        "duration_s": (last - first) / 1e6,
        "handoffs": sum(e["handoff"] for e in events),
    }
