"""Service standards: how often the logged reality meets the standards of a documented
version.

A flow's standard applies to the log's transitions that match it: consecutive events
whose activities map to the flow's two steps (``conformance`` mapping) and whose
departments are the steps' departments. The process standard applies to each case's
duration, first event to last. A transition or case meets a standard when it takes no
longer than the standard's hours.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from app.lib.graph import ProcessGraph
from app.mining.analysis.calendar import business_seconds
from app.mining.analysis.prepared import Prepared

__all__ = ["service_standards"]

HOUR_S = 3600.0
EXAMPLES = 20


def service_standards(
    prepared: Prepared, graph: ProcessGraph, step_of: dict[str, str]
) -> dict[str, Any]:
    """The share of cases meeting each standard of the version, and cases that miss.

    Args:
        prepared: the log.
        graph: the documented version.
        step_of: log activity to documented step name (from the conformance mapping).
    """
    names = pl.DataFrame(
        {"activity": list(step_of), "step": list(step_of.values())},
        schema={"activity": pl.String, "step": pl.String},
    )
    steps = prepared.steps.join(
        names.rename({"activity": "from_activity", "step": "from_step"}), on="from_activity"
    ).join(names.rename({"activity": "to_activity", "step": "to_step"}), on="to_activity")
    flows = []
    for flow in graph.flows:
        if flow.standard_hours is None:
            continue
        a, b = graph.step(flow.source), graph.step(flow.target)
        seen = steps.filter(
            (pl.col("from_step") == a.name)
            & (pl.col("to_step") == b.name)
            & (pl.col("from_department") == a.department)
            & (pl.col("to_department") == b.department)
        )
        flows.append(
            {
                "from_step": a.id,
                "to_step": b.id,
                "from_department": a.department,
                "to_department": b.department,
                "owner": flow.owner,
                **_measure(seen, flow.standard_hours),
            }
        )
    document: dict[str, Any] = {"flows": flows}
    if graph.standard_hours is not None:
        spans = prepared.events.group_by("case_id").agg(
            pl.col("timestamp_us").min().alias("first"), pl.col("timestamp_us").max().alias("last")
        )
        if prepared.calendar is not None:
            seconds = business_seconds(
                spans.get_column("first"), spans.get_column("last"), prepared.calendar
            )
        else:
            seconds = (spans.get_column("last") - spans.get_column("first")) / 1e6
        durations = spans.select("case_id").with_columns(seconds.alias("wait_s"))
        document["process"] = _measure(durations, graph.standard_hours)
    return document


def _measure(frame: pl.DataFrame, hours: float) -> dict[str, Any]:
    """Observed, met and missed figures of one standard over waits (``wait_s``) by case."""
    limit = hours * HOUR_S
    missed = frame.filter(pl.col("wait_s") > limit)
    observed = frame.height
    median = frame.get_column("wait_s").median() if observed else None
    return {
        "standard_hours": hours,
        "observed": observed,
        "met": observed - missed.height,
        "cases_missing": missed.get_column("case_id").n_unique(),
        "share_met": round((observed - missed.height) / observed, 4) if observed else None,
        "median_hours": round(median / HOUR_S, 2) if isinstance(median, float) else None,
        "cases_missing_examples": sorted(missed.get_column("case_id").unique().to_list())[
            :EXAMPLES
        ],
    }
