"""Maps of a log: the mined directly-follows map, the department customer map and the
before/after map of two slices. They draw plain data: the CLI computes it from a
prepared log, the API takes its cached analyses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from app.mining.analysis import Prepared
from app.mining.analysis.handoffs import Params as HandoffParams
from app.mining.analysis.handoffs import run as handoff_rows
from app.mining.analysis.handoffs import with_wait_shares
from app.mining.analysis.workload import Params as WorkloadParams
from app.mining.analysis.workload import departments as department_rows
from app.mining.discovery import directly_follows
from app.rendering.customer_map import customer_map_dot
from app.rendering.mined_diff import mined_diff_dot
from app.rendering.mined_map import mined_map_dot
from app.rendering.output import render

__all__ = [
    "customer_map_image",
    "directly_follows_document",
    "log_customer_map",
    "mined_diff_image",
    "mined_map_image",
]


def directly_follows_document(prepared: Prepared) -> dict[str, Any]:
    """The directly-follows graph of a prepared log as the API caches it (plain data)."""
    return asdict(directly_follows(prepared))


def log_customer_map(prepared: Prepared) -> dict[str, Any]:
    """Departments and handoffs (with their share of waiting) of a prepared log."""
    return {
        "departments": [asdict(r) for r in department_rows(prepared, WorkloadParams())],
        "handoffs": with_wait_shares([asdict(r) for r in handoff_rows(prepared, HandoffParams())]),
    }


def mined_map_image(
    graph: Mapping[str, Any],
    fmt: str,
    *,
    measure: str = "frequency",
    keep: float = 100.0,
    max_edges: int = 200,
    title: str = "Mined map",
) -> tuple[bytes, int, int]:
    """The map of a directly-follows graph (``directly_follows_document``); with how many
    transitions it shows of all."""
    drawn = mined_map_dot(
        graph["activities"],
        graph["edges"],
        graph["start_activities"],
        graph["end_activities"],
        measure=measure,
        keep=keep,
        max_edges=max_edges,
        title=title,
    )
    return render(drawn.dot, fmt), drawn.edges_shown, drawn.edges_total


def customer_map_image(data: Mapping[str, Any], fmt: str, *, title: str) -> bytes:
    """Departments as nodes, handoffs as edges: of a log (``log_customer_map``, or the
    API's cached one) or of the catalogue (``catalogue.services.customer_map``)."""
    return render(customer_map_dot(data["departments"], data["handoffs"], title=title), fmt)


def mined_diff_image(
    before: Mapping[str, Any], after: Mapping[str, Any], fmt: str, *, title: str
) -> tuple[bytes, int, int]:
    """One map of two directly-follows graphs (two logs or two slices): volumes and median
    waits compared per transition."""
    drawn = mined_diff_dot(
        (before["activities"], before["edges"]), (after["activities"], after["edges"]), title=title
    )
    return render(drawn.dot, fmt), drawn.edges_shown, drawn.edges_total
