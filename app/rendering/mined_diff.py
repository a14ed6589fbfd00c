"""Observed behaviour before and after a change, drawn as one directly-follows map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.lib.errors import RenderError
from app.rendering.dot import (
    DotWriter,
    Html,
    LegendRow,
    NodeIds,
    graph_defaults,
    legend_label,
    lines_label,
)
from app.rendering.mined_map import MinedMap, activity_nodes
from app.rendering.text import count_text, human_duration, percent_text

__all__ = ["MinedSide", "mined_diff_dot"]

MinedSide = tuple[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]
"""(activities, edges) of one log, in the shapes ``directly_follows`` returns."""

BETTER, WORSE, SAME = "#2e7d32", "#c62828", "#78909c"
ONLY_BEFORE, ONLY_AFTER = "#9e9e9e", "#1565c0"
_TOLERANCE = 0.05


def _edges(side: MinedSide) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(str(e["from_activity"]), str(e["to_activity"])): e for e in side[1]}


def _median(edge: Mapping[str, Any] | None) -> float | None:
    value = None if edge is None else edge.get("median_wait_s")
    return None if value is None else float(value)


def _change(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, str]:
    """The colour and label of an edge seen in both logs."""
    volume = int(new["count"]) / int(old["count"]) - 1 if int(old["count"]) else 0.0
    sign = "+" if volume >= 0 else "\u2212"
    label = f"{sign}{percent_text(abs(volume))} vol"
    before, after = _median(old), _median(new)
    colour = SAME
    if before is not None and after is not None:
        label += f", median {human_duration(before)} \u2192 {human_duration(after)}"
        if after < before * (1 - _TOLERANCE):
            colour = BETTER
        elif after > before * (1 + _TOLERANCE):
            colour = WORSE
    return colour, label


def mined_diff_dot(
    before: MinedSide,
    after: MinedSide,
    *,
    max_edges: int = 200,
    departments: Mapping[str, str] | None = None,
    title: str = "Observed behaviour: before and after",
) -> MinedMap:
    """One directly-follows map of two logs, edges coloured by how their waits changed.

    Edges seen in both logs are green when the median wait fell by more than 5 %, red
    when it rose by more than 5 %, grey otherwise, and labelled like ``+12% vol, median
    3.1 d → 2.0 d``; edges seen in only one log are dashed (grey: before only, blue:
    after only). The busiest ``max_edges`` edges (by the larger of the two counts) are drawn.

    Args:
        before: (activities, edges) of the earlier log.
        after: (activities, edges) of the later log.
        max_edges: the most edges to draw.
        departments: an optional department per activity; activities are grouped by it.
        title: the map's title.

    Returns:
        The DOT text and how many of the union's edges it shows.

    Raises:
        RenderError: ``max_edges`` is below 1.

    >>> side = ([{"activity": "A", "count": 1}], [])
    >>> mined_diff_dot(side, side).edges_total
    0
    """
    if max_edges < 1:
        raise RenderError(f"max_edges must be at least 1, not {max_edges}.")
    old_edges, new_edges = _edges(before), _edges(after)
    union = sorted(
        set(old_edges) | set(new_edges),
        key=lambda k: (
            -max(
                int(old_edges.get(k, {}).get("count", 0)), int(new_edges.get(k, {}).get("count", 0))
            ),
            k,
        ),
    )
    shown = union[:max_edges]
    old_counts = {str(a["activity"]): int(a["count"]) for a in before[0]}
    new_counts = {str(a["activity"]): int(a["count"]) for a in after[0]}
    names = {name for key in shown for name in key}
    if not shown:
        names = set(old_counts) | set(new_counts)
    ids = NodeIds("act", names)
    labels: dict[str, Html] = {}
    styles: dict[str, dict[str, str]] = {}
    for name in names:
        old, new = old_counts.get(name), new_counts.get(name)
        if old is None:
            labels[name] = lines_label(name, f"only after: {count_text(new or 0)} events")
            styles[name] = {"color": ONLY_AFTER, "penwidth": "2"}
        elif new is None:
            labels[name] = lines_label(name, f"only before: {count_text(old)} events")
            styles[name] = {
                "color": ONLY_BEFORE,
                "style": "rounded,dashed",
                "fontcolor": ONLY_BEFORE,
            }
        else:
            labels[name] = lines_label(name, f"{count_text(old)} \u2192 {count_text(new)} events")
    out = DotWriter("mined_diff")
    graph_defaults(out)
    activity_nodes(out, ids, labels, dict.fromkeys(names, "white"), departments, styles)
    most = max(
        (
            max(
                int(old_edges.get(k, {}).get("count", 0)), int(new_edges.get(k, {}).get("count", 0))
            )
            for k in shown
        ),
        default=0,
    )
    used: set[str] = set()
    for key in sorted(shown):
        old_edge, new_edge = old_edges.get(key), new_edges.get(key)
        count = max(int((old_edge or {}).get("count", 0)), int((new_edge or {}).get("count", 0)))
        width = round(1.0 + 4.0 * count / most, 2) if most else 1.0
        style = None
        if old_edge is None:
            colour, label, style = ONLY_AFTER, f"only after: {count_text(count)}", "dashed"
        elif new_edge is None:
            colour, label, style = ONLY_BEFORE, f"only before: {count_text(count)}", "dashed"
        else:
            colour, label = _change(old_edge, new_edge)
        used.add(colour)
        out.edge(
            ids[key[0]],
            ids[key[1]],
            color=colour,
            fontcolor=colour,
            penwidth=width,
            style=style,
            label=label,
        )
    legend: list[LegendRow] = [
        ("bold", BETTER, "median wait shorter"),
        ("bold", WORSE, "median wait longer"),
        ("bold", SAME, "about the same"),
        ("dashed", ONLY_BEFORE, "only before"),
        ("dashed", ONLY_AFTER, "only after"),
    ]
    subtitle = f"showing {len(shown)} of {len(union)} transitions"
    rows = [row for row in legend if row[1] in used]
    out.attrs("graph", label=legend_label(title, subtitle, rows))
    return MinedMap(out.source(), len(shown), len(union))
