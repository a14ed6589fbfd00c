"""Analyses of stored logs: the cached analysis document, the cases behind a finding, a
case's timeline."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.db.models import AnalysisResult
from app.domain.event_logs.services import get_log
from app.domain.processes.graph import version_graph
from app.domain.processes.services import get_tree
from app.domain.processes.yaml_format import dump_process_yaml
from app.lib.errors import InvalidRequest, require
from app.lib.graph import ProcessGraph
from app.lib.times import iso_utc
from app.mining.analysis import Calendar, Filters, analysis_document, prepare
from app.mining.analysis.cases import Finding, cases_behind
from app.mining.discovery import bpmn_model, directly_follows
from app.mining.eventlog import ANALYSED_COLUMNS, events_frame

__all__ = [
    "ANALYSIS_VERSION",
    "analysis",
    "bpmn",
    "case_timeline",
    "directly_follows_graph",
    "finding_cases",
]

ANALYSIS_VERSION = 5
"""Bump when the analysis code changes its results, so cached documents are recomputed."""
BATCH = 100_000


def _batches(session: Session, log_id: int) -> Iterator[list[tuple[Any, ...]]]:
    columns = ", ".join(ANALYSED_COLUMNS)
    result = session.connection().execute(
        text(f"SELECT {columns} FROM event WHERE log_id = :log ORDER BY seq"), {"log": log_id}
    )
    while batch := result.fetchmany(BATCH):
        yield [tuple(row) for row in batch]


def _graph(
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


def _cached(
    session: Session,
    log_id: int,
    parts: list[Any],
    compute: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """A document computed once per log and parameters, kept in ``analysis_result``."""
    key = hashlib.sha256(
        json.dumps([ANALYSIS_VERSION, *parts], sort_keys=True, default=repr).encode()
    ).hexdigest()
    cached = session.get(AnalysisResult, (log_id, key))
    if cached is not None:
        return cached.document, True
    started = time.perf_counter()
    document = compute()
    session.add(
        AnalysisResult(
            log_id=log_id,
            key=key,
            document=document,
            seconds=round(time.perf_counter() - started, 3),
        )
    )
    session.flush()
    return document, False


def analysis(
    session: Session,
    log_id: int,
    filters: Filters,
    *,
    process: str | None = None,
    version: str | None = None,
    calendar: Calendar | None = None,
) -> tuple[dict[str, Any], bool]:
    """The analysis document of a stored log, computed once per log and parameters.

    Returns:
        The document and whether it came from the cache.
    """
    log = get_log(session, log_id)
    graph, process_key = _graph(session, process, version)
    imported = {
        "rows_read": log.rows_read,
        "exact_duplicate_rows_dropped": log.exact_duplicate_rows_dropped,
    }
    return _cached(
        session,
        log_id,
        ["analysis", repr(filters), process_key, repr(calendar)],
        lambda: analysis_document(
            events_frame(_batches(session, log_id)),
            imported,
            filters=filters,
            process=graph,
            ordered=True,
            calendar=calendar,
        ),
    )


def directly_follows_graph(
    session: Session, log_id: int, filters: Filters
) -> tuple[dict[str, Any], bool]:
    """The directly-follows graph of a stored log with frequencies and waits."""
    get_log(session, log_id)

    def compute() -> dict[str, Any]:
        events = filters.apply(events_frame(_batches(session, log_id)))
        return asdict(directly_follows(prepare(events, ordered=True)))

    return _cached(session, log_id, ["directly-follows", repr(filters)], compute)


def bpmn(session: Session, log_id: int, filters: Filters, top_variants: int) -> tuple[str, bool]:
    """A BPMN 2.0 model of the most frequent variants (pm4py's inductive miner)."""
    get_log(session, log_id)

    def compute() -> dict[str, Any]:
        events = filters.apply(events_frame(_batches(session, log_id)))
        if events.height == 0:
            raise InvalidRequest("No case passes the filters, so there is nothing to model.")
        return {"xml": bpmn_model(events, top_variants).decode("utf-8")}

    document, cached = _cached(session, log_id, ["bpmn", repr(filters), top_variants], compute)
    return document["xml"], cached


def finding_cases(
    session: Session, log_id: int, finding: Finding, filters: Filters, offset: int, limit: int
) -> dict[str, Any]:
    """A page of the ids of the cases behind a finding (the whole list is computed once)."""
    get_log(session, log_id)

    def compute() -> dict[str, Any]:
        events = filters.apply(events_frame(_batches(session, log_id)))
        return {"cases": cases_behind(prepare(events, ordered=True), finding)}

    document, _ = _cached(session, log_id, ["cases", repr(finding), repr(filters)], compute)
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
