"""A log read against documented versions: the activity mapping, the expected cycle time
of each version and the figures of its flows, as comparisons and maps need them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.lib.graph import ProcessGraph
from app.mining.analysis.conformance import Params, map_activities
from app.mining.analysis.cycle import expected_cycle
from app.mining.analysis.flows import FlowFigures, flow_figures
from app.mining.analysis.prepared import Prepared

__all__ = ["cycle_of", "figures_of", "step_names"]


def step_names(prepared: Prepared, graph: ProcessGraph, params: Params) -> dict[str, str]:
    """Log activity to the documented step name it maps to (unmapped ones left out)."""
    activities = sorted(prepared.events.get_column("activity").unique().to_list())
    return {
        row["activity"]: row["step_name"]
        for row in map_activities(activities, graph, params)
        if row["step_name"] is not None
    }


def cycle_of(
    prepared: Prepared, graph: ProcessGraph, params: Params, *, seed: int = 0
) -> dict[str, Any]:
    """The expected cycle time of a version from the log: ``median_hours``, ``p90_hours``
    and how each flow's wait was chosen (``flows``)."""
    estimate = expected_cycle(prepared, graph, step_names(prepared, graph, params), seed=seed)
    return asdict(estimate)


def figures_of(prepared: Prepared, graph: ProcessGraph, params: Params) -> FlowFigures:
    """What the log shows for each flow of the version (for a map overlay)."""
    return flow_figures(prepared, graph, step_names(prepared, graph, params))
