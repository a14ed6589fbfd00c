"""Service standards: how often the logged reality meets the standards of a documented
version.

A flow's standard applies to the log's transitions that match it: consecutive events
whose activities map to the flow's two steps (``conformance`` mapping) and whose
departments are the steps' departments. The process standard applies to each case's
duration, first event to last. A transition or case meets a standard when it takes no
longer than the standard's hours.

Stop-the-clock activities (for example "Waiting for resident"): the time from such an
event to the next event of the case is not counted, neither in a case's duration nor in a
transition that starts at it. With a channel column (phone, web, e-mail, counter), every
standard is also broken down by the channel of the case.
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
    prepared: Prepared,
    graph: ProcessGraph,
    step_of: dict[str, str],
    *,
    channels: pl.DataFrame | None = None,
    stop_clock: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The share of cases meeting each standard of the version, and cases that miss.

    Args:
        prepared: the log.
        graph: the documented version.
        step_of: log activity to documented step name (from the conformance mapping).
        channels: ``case_id`` and ``value``, the channel of each case, to break down by.
        stop_clock: activities after which the clock stops until the case's next event.
    """
    names = pl.DataFrame(
        {"activity": list(step_of), "step": list(step_of.values())},
        schema={"activity": pl.String, "step": pl.String},
    )
    stopped = pl.col("from_activity").is_in(list(stop_clock))
    clocked = prepared.steps.with_columns(
        pl.when(stopped).then(0.0).otherwise(pl.col("wait_s")).alias("wait_s")
    )
    steps = clocked.join(
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
                **_measure(seen, flow.standard_hours, channels),
            }
        )
    document: dict[str, Any] = {"flows": flows, "stop_clock": sorted(stop_clock)}
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
        if stop_clock:
            paused = (
                prepared.steps.filter(stopped)
                .group_by("case_id")
                .agg(pl.col("wait_s").sum().alias("paused"))
            )
            durations = (
                durations.join(paused, on="case_id", how="left")
                .with_columns((pl.col("wait_s") - pl.col("paused").fill_null(0.0)).alias("wait_s"))
                .drop("paused")
            )
        document["process"] = _measure(durations, graph.standard_hours, channels)
    return document


def _measure(
    frame: pl.DataFrame, hours: float, channels: pl.DataFrame | None = None
) -> dict[str, Any]:
    """Observed, met and missed figures of one standard over waits (``wait_s``) by case,
    and the same figures per channel when the cases' channels are given."""
    figures = _figures(frame, hours)
    if channels is not None:
        by_channel = frame.join(channels, on="case_id", how="left").with_columns(
            pl.col("value").fill_null("(none)")
        )
        figures["by_channel"] = [
            {"channel": value, **_figures(part, hours, examples=False)}
            for (value,), part in sorted(
                by_channel.partition_by("value", as_dict=True).items(), key=lambda kv: str(kv[0])
            )
        ]
    return figures


def _figures(frame: pl.DataFrame, hours: float, *, examples: bool = True) -> dict[str, Any]:
    """Observed, met and missed figures of one standard over waits (``wait_s``) by case."""
    limit = hours * HOUR_S
    missed = frame.filter(pl.col("wait_s") > limit)
    observed = frame.height
    median = frame.get_column("wait_s").median() if observed else None
    figures: dict[str, Any] = {
        "standard_hours": hours,
        "observed": observed,
        "met": observed - missed.height,
        "cases_missing": missed.get_column("case_id").n_unique(),
        "share_met": round((observed - missed.height) / observed, 4) if observed else None,
        "median_hours": round(median / HOUR_S, 2) if isinstance(median, float) else None,
    }
    if examples:
        figures["cases_missing_examples"] = sorted(missed.get_column("case_id").unique().to_list())[
            :EXAMPLES
        ]
    return figures
