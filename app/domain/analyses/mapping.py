"""The stored mapping of a log's activities to the steps of a documented version.

Activities map to steps by name (exactly, then by similarity); an analyst corrects the
result here, per log and version, and every conformance check of that pair uses it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db.models import ActivityMapping, Event
from app.domain.event_logs.services import get_log
from app.lib.errors import InvalidRequest
from app.lib.graph import ProcessGraph
from app.mining.analysis.conformance import Params, map_activities

__all__ = ["activity_counts", "mapping_document", "replace_mapping", "stored_mapping"]


def activity_counts(session: Session, log_id: int) -> dict[str, tuple[int, int]]:
    """Each activity of a log with its events and cases."""
    rows = session.execute(
        select(col(Event.activity), func.count(), func.count(func.distinct(col(Event.case_id))))
        .where(col(Event.log_id) == log_id)
        .group_by(col(Event.activity))
        .order_by(col(Event.activity))
    ).all()
    return {activity: (events, cases) for activity, events, cases in rows}


def stored_mapping(session: Session, log_id: int, graph: ProcessGraph) -> dict[str, str | None]:
    """The analyst's choices for a log and version: activity to step id (or None)."""
    rows = session.execute(
        select(col(ActivityMapping.activity), col(ActivityMapping.step)).where(
            col(ActivityMapping.log_id) == log_id,
            col(ActivityMapping.process) == graph.process,
            col(ActivityMapping.version) == graph.version,
        )
    ).all()
    return {activity: step for activity, step in rows}


def mapping_document(
    session: Session, log_id: int, graph: ProcessGraph, threshold: float = 85.0
) -> dict[str, Any]:
    """Every activity of the log with the step it maps to and how, and the steps."""
    get_log(session, log_id)
    counts = activity_counts(session, log_id)
    given = stored_mapping(session, log_id, graph)
    rows = map_activities(list(counts), graph, Params(threshold=threshold, mapping=given))
    for row in rows:
        row["events"], row["cases"] = counts[row["activity"]]
    return {
        "log_id": log_id,
        "process": graph.process,
        "version": graph.version,
        "threshold": threshold,
        "activities": rows,
        "steps": [{"id": s.id, "name": s.name, "department": s.department} for s in graph.steps],
    }


def replace_mapping(
    session: Session, log_id: int, graph: ProcessGraph, mapping: dict[str, str | None]
) -> None:
    """Store the analyst's choices for a log and version, replacing earlier ones.

    Raises:
        InvalidRequest: an activity the log does not have, or a step the version lacks.
    """
    get_log(session, log_id)
    counts = activity_counts(session, log_id)
    steps = {s.id for s in graph.steps}
    for activity, step in sorted(mapping.items()):
        if activity not in counts:
            raise InvalidRequest(f"Event log {log_id} has no activity {activity!r}.")
        if step is not None and step not in steps:
            raise InvalidRequest(
                f"Version '{graph.version}' of '{graph.process}' has no step {step!r} "
                f"(its steps: {', '.join(sorted(steps))})."
            )
    # row by row, so that the audit trail records each choice that changed
    stored = {
        row.activity: row
        for row in session.scalars(
            select(ActivityMapping).where(
                col(ActivityMapping.log_id) == log_id,
                col(ActivityMapping.process) == graph.process,
                col(ActivityMapping.version) == graph.version,
            )
        )
    }
    for activity, row in stored.items():
        if activity not in mapping:
            session.delete(row)
    for activity, step in sorted(mapping.items()):
        choice = stored.get(activity) or ActivityMapping(
            log_id=log_id, process=graph.process, version=graph.version, activity=activity
        )
        choice.step = step
        session.add(choice)
    session.flush()
