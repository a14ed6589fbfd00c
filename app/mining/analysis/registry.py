"""The registry of analyses: a name, its parameter type and the function that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.mining.analysis import (
    duplicates,
    handoffs,
    pingpong,
    rework,
    similar,
    variants,
    workload,
    worktime,
)
from app.mining.analysis.prepared import Prepared

__all__ = ["ANALYSES", "Analysis"]


@dataclass(frozen=True)
class Analysis:
    """One analysis of the document: ``run(prepared, params)`` gives its rows."""

    key: str
    params: type
    run: Callable[[Prepared, Any], list[Any]]


ANALYSES: dict[str, Analysis] = {
    analysis.key: analysis
    for analysis in (
        Analysis("handoffs", handoffs.Params, handoffs.run),
        Analysis("pingpong", pingpong.Params, pingpong.run),
        Analysis("rework", rework.Params, rework.run),
        Analysis("cross_department_duplicates", duplicates.Params, duplicates.run),
        Analysis("similar_activities", similar.Params, similar.run),
        Analysis("variants", variants.Params, variants.run),
        Analysis("activities", workload.Params, workload.activities),
        Analysis("departments", workload.Params, workload.departments),
        Analysis("bottlenecks", workload.Params, workload.bottlenecks),
        Analysis("work_time", worktime.Params, worktime.run),
    )
}
"""The sections of CONTRACT section 3 in the document's order, then Handoff's additions."""
