"""The analysis document of CONTRACT section 3."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import polars as pl

from app.lib.graph import ProcessGraph
from app.lib.times import iso_utc
from app.mining.analysis import conformance, repeats
from app.mining.analysis.calendar import Calendar
from app.mining.analysis.filters import Filters
from app.mining.analysis.prepared import prepare
from app.mining.analysis.registry import ANALYSES
from app.mining.normalise import UNASSIGNED

__all__ = ["analysis_document"]


def analysis_document(
    events: pl.DataFrame,
    imported: dict[str, Any],
    *,
    filters: Filters | None = None,
    params: dict[str, Any] | None = None,
    process: ProcessGraph | None = None,
    conformance_params: conformance.Params | None = None,
    ordered: bool = False,
    calendar: Calendar | None = None,
    duplicate_requests: repeats.Params | None = None,
) -> dict[str, Any]:
    """Every analysis of a log in one JSON-ready document.

    Args:
        events: the log's events (case_id, activity, department, timestamp_us, line).
        imported: figures of the import: rows_read and exact_duplicate_rows_dropped.
        filters: which cases to analyse (all by default).
        params: per analysis key, its parameters (instances of the registry's types).
        process: a documented version to check conformance against.
        conformance_params: the name-matching threshold and mapping overrides.
        ordered: the events are ordered by case, time and file order already.
        calendar: count every wait in the business hours of this working calendar.
        duplicate_requests: look for cases reporting the same problem (same value of an
            attribute within a number of days); needs the events' ``attributes``.
    """
    filters = filters or Filters()
    params = params or {}
    chosen = filters.apply(events)
    prepared = prepare(chosen, ordered=ordered, calendar=calendar)
    stamps = prepared.events.get_column("timestamp_us")
    departments = sorted(prepared.events.get_column("department").unique().to_list())
    document: dict[str, Any] = {
        "log": {
            "rows_read": imported["rows_read"],
            "exact_duplicate_rows_dropped": imported["exact_duplicate_rows_dropped"],
            "cases": prepared.events.get_column("case_id").n_unique(),
            "events": prepared.events.height,
            "activities": prepared.events.get_column("activity").n_unique(),
            "departments": departments,
            "first_event": iso_utc(stamps.min()) if stamps.len() else None,  # type: ignore[arg-type]
            "last_event": iso_utc(stamps.max()) if stamps.len() else None,  # type: ignore[arg-type]
        }
    }
    for key, analysis in ANALYSES.items():
        rows = analysis.run(prepared, params.get(key) or analysis.params())
        document[key] = [asdict(row) for row in rows]
    if process is not None:
        result = conformance.run(prepared, process, conformance_params or conformance.Params())
        document["conformance"] = asdict(result)
    if duplicate_requests is not None:
        document["duplicate_requests"] = asdict(repeats.run(prepared, duplicate_requests))
    if calendar is not None:
        document["calendar"] = {
            "hours": calendar.describe(),
            "holidays": [h.isoformat() for h in calendar.holidays],
            "departments": {name: c.describe() for name, c in sorted(calendar.departments.items())},
        }
    notes = _notes(prepared.events, departments, document, filters)
    if notes:
        document["notes"] = notes
    return document


def _notes(
    events: pl.DataFrame, departments: list[str], document: dict[str, Any], filters: Filters
) -> list[str]:
    """Plain sentences that explain an empty or surprising section."""
    notes = []
    if events.height == 0:
        notes.append("No case passes the filters, so every section is empty.")
        return notes
    if departments == [UNASSIGNED]:
        notes.append(
            "The log has no department for any event, so there are no handoffs, ping-pong or "
            "cross-department duplicates; variants and rework are still given. Import it with "
            "--department to name the column that holds the department."
        )
    elif not document["handoffs"]:
        notes.append("No case moves between departments, so there are no handoffs.")
    if document["log"]["cases"] == events.height:
        notes.append("Every case has a single event, so there are no waits between events.")
    if events.get_column("timestamp_us").n_unique() == 1 and events.height > 1:
        notes.append(
            "Every event has the same timestamp, so every wait is zero and the order of "
            "events within a case is the order of the file."
        )
    if "calendar" in document:
        notes.append(
            "Waits are counted in business hours (see calendar): nights, weekends and "
            "holidays do not count."
        )
    if filters.active():
        notes.append("Filters are applied: the figures cover only the cases that pass them.")
    return notes
