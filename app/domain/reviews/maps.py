"""Maps of a log: the mined directly-follows map, the department customer map and the
before/after map of two slices, from prepared logs (shared by the CLI and the API)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.mining.analysis import Prepared
from app.mining.analysis.handoffs import Params as HandoffParams
from app.mining.analysis.handoffs import run as handoff_rows
from app.mining.analysis.workload import Params as WorkloadParams
from app.mining.analysis.workload import departments as department_rows
from app.mining.discovery import directly_follows
from app.rendering.customer_map import customer_map_dot
from app.rendering.mined_diff import mined_diff_dot
from app.rendering.mined_map import mined_map_dot
from app.rendering.output import render

__all__ = [
    "catalogue_map_image",
    "customer_map_image",
    "mined_diff_image",
    "mined_map_image",
    "with_shares",
]


def mined_map_image(
    prepared: Prepared,
    fmt: str,
    *,
    measure: str = "frequency",
    keep: float = 100.0,
    max_edges: int = 200,
    title: str = "Mined map",
) -> tuple[bytes, int, int]:
    """The directly-follows map of a log; with how many transitions it shows of all."""
    graph = directly_follows(prepared)
    drawn = mined_map_dot(
        graph.activities,
        graph.edges,
        graph.start_activities,
        graph.end_activities,
        measure=measure,
        keep=keep,
        max_edges=max_edges,
        title=title,
    )
    return render(drawn.dot, fmt), drawn.edges_shown, drawn.edges_total


def with_shares(handoffs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Handoff rows with each one's share of all handoff waiting (``share_of_wait``)."""
    total = sum(h.get("total_wait_s") or 0 for h in handoffs)
    return [
        {**h, "share_of_wait": round(h["total_wait_s"] / total, 4) if total else None}
        for h in handoffs
    ]


def customer_map_image(prepared: Prepared, fmt: str, *, title: str = "Customer map") -> bytes:
    """Departments as nodes, handoff volumes and waits as edges."""
    departments = [asdict(r) for r in department_rows(prepared, WorkloadParams())]
    handoffs = with_shares([asdict(r) for r in handoff_rows(prepared, HandoffParams())])
    return render(customer_map_dot(departments, handoffs, title=title), fmt)


def catalogue_map_image(data: dict[str, Any], fmt: str, *, title: str) -> bytes:
    """The customer map of the catalogue (``catalogue.services.customer_map``)."""
    return render(customer_map_dot(data["departments"], data["handoffs"], title=title), fmt)


def mined_diff_image(
    before: Prepared, after: Prepared, fmt: str, *, title: str = "Before and after"
) -> tuple[bytes, int, int]:
    """One map of two logs (or slices): volumes and median waits compared per transition."""
    a, b = directly_follows(before), directly_follows(after)
    drawn = mined_diff_dot((a.activities, a.edges), (b.activities, b.edges), title=title)
    return render(drawn.dot, fmt), drawn.edges_shown, drawn.edges_total
