"""The department customer map: which departments hand work to which, how often, how slowly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.rendering.dot import (
    SHARE_SCALE,
    DotWriter,
    LegendRow,
    NodeIds,
    graph_defaults,
    legend_label,
    lines_label,
    share_colour,
    small_label,
)
from app.rendering.text import count_text, human_duration, percent_text

__all__ = ["customer_map_dot"]

HANDOFF = "#1565c0"


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)


def customer_map_dot(
    departments: Sequence[Mapping[str, Any]],
    handoffs: Sequence[Mapping[str, Any]],
    *,
    title: str = "Department customer map",
) -> str:
    """The DOT text of a map of departments and the handoffs between them.

    Edge width follows the count. When the rows carry waits (as the analysis document's
    ``handoffs`` do) edges are labelled with the median wait and coloured by their share
    of all handoff waiting; rows with only ``from_department``, ``to_department`` and
    ``count`` (as the catalogue gives) are drawn in one colour.

    Args:
        departments: rows ``{"department", "events"?, "cases"?}``; departments that only
            appear in handoffs are drawn too.
        handoffs: rows ``{"from_department", "to_department", "count", "cases"?,
            "total_wait_s"?, "median_wait_s"?, "p90_wait_s"?}``.
        title: the map's title.

    Returns:
        DOT text for :func:`app.rendering.output.render`.

    >>> dot = customer_map_dot([], [{"from_department": "A", "to_department": "B", "count": 3}])
    >>> '"dept:a" -> "dept:b"' in dot
    True
    """
    volumes = {str(row["department"]): row for row in departments}
    names = set(volumes)
    names |= {str(h[end]) for h in handoffs for end in ("from_department", "to_department")}
    ids = NodeIds("dept", names)
    out = DotWriter("customer_map")
    graph_defaults(out)
    out.attrs("graph", nodesep=0.5, ranksep=0.9)
    for name in sorted(names):
        row = volumes.get(name, {})
        figures = [
            f"{count_text(row[key])} {key}"
            for key in ("events", "cases")
            if row.get(key) is not None
        ]
        out.node(ids[name], label=lines_label(name, " \u00b7 ".join(figures) or None, width=24))
    total_wait = sum(_number(h, "total_wait_s") or 0.0 for h in handoffs)
    most = max((int(h["count"]) for h in handoffs), default=0)
    used: set[str] = set()
    rows = sorted(handoffs, key=lambda h: (str(h["from_department"]), str(h["to_department"])))
    for handoff in rows:
        count = int(handoff["count"])
        wait = _number(handoff, "total_wait_s")
        share = wait / total_wait if wait is not None and total_wait else None
        colour = share_colour(share) if share is not None else HANDOFF
        used.add(colour)
        median = _number(handoff, "median_wait_s")
        lines = [f"{count_text(count)} handoffs"]
        if median is not None:
            lines.append(f"median {human_duration(median)}")
        if share is not None:
            lines.append(f"{percent_text(share)} of waiting")
        out.edge(
            ids[str(handoff["from_department"])],
            ids[str(handoff["to_department"])],
            color=colour,
            penwidth=round(1.0 + 5.0 * count / most, 2) if most else 1.0,
            label=small_label(*lines, colour=colour),
        )
    legend: list[LegendRow] = [("bold", c, t) for _, c, t in SHARE_SCALE if c in used]
    if HANDOFF in used:
        legend.append(("bold", HANDOFF, "handoffs"))
    legend.append(("line", "#455a64", "thicker: more handoffs"))
    subtitle = f"{len(names)} departments \u00b7 {len(handoffs)} handoff routes"
    out.attrs("graph", label=legend_label(title, subtitle, legend))
    return out.source()
