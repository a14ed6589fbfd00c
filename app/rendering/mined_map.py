"""The map of observed behaviour: a directly-follows graph drawn by frequency or by waits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.lib.errors import RenderError
from app.rendering.dot import (
    MUTED,
    DotWriter,
    Html,
    LegendRow,
    NodeIds,
    graph_defaults,
    legend_label,
    lines_label,
)
from app.rendering.text import count_text, html_text, human_duration

__all__ = [
    "MEASURES",
    "MinedMap",
    "activity_nodes",
    "mined_map_dot",
    "select_edges",
    "start_end_nodes",
]

MEASURES = ("frequency", "performance")
"""What edge labels and colours show: transition counts, or median waits."""

_FILLS = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6")
_EDGE = "#455a64"
_SLOW = (
    (0.5, "#c62828", "median wait over half the longest"),
    (0.2, "#ef6c00", "median wait 20 to 50% of the longest"),
)
_QUICK = "#78909c"
START, END = "pseudo:start", "pseudo:end"


@dataclass(frozen=True)
class MinedMap:
    """A drawn observed map and how much of the log's behaviour it shows."""

    dot: str
    edges_shown: int
    edges_total: int


def _edge_key(edge: Mapping[str, Any]) -> tuple[int, str, str]:
    return (-int(edge["count"]), str(edge["from_activity"]), str(edge["to_activity"]))


def select_edges(
    edges: Sequence[Mapping[str, Any]], keep: float = 100.0, max_edges: int = 200
) -> list[Mapping[str, Any]]:
    """The busiest edges that together cover ``keep`` percent of all transitions.

    Every activity keeps at least its busiest edge so that none is left hanging, and
    never more than ``max_edges`` are returned (busiest first).

    Args:
        edges: rows with ``from_activity``, ``to_activity`` and ``count``.
        keep: percentage (0 to 100] of all transitions the kept edges must cover.
        max_edges: the most edges to keep.

    Returns:
        The kept rows, busiest first (ties by activity names).

    Raises:
        RenderError: ``keep`` or ``max_edges`` is out of range.

    >>> rows = [{"from_activity": "a", "to_activity": "b", "count": 90},
    ...         {"from_activity": "b", "to_activity": "c", "count": 9},
    ...         {"from_activity": "a", "to_activity": "c", "count": 1}]
    >>> [(e["from_activity"], e["to_activity"]) for e in select_edges(rows, keep=80)]
    [('a', 'b'), ('b', 'c')]
    """
    if not 0 < keep <= 100:
        raise RenderError(f"keep must be a percentage above 0 and at most 100, not {keep:g}.")
    if max_edges < 1:
        raise RenderError(f"max_edges must be at least 1, not {max_edges}.")
    ordered = sorted(edges, key=_edge_key)
    total = sum(int(e["count"]) for e in ordered)
    chosen: set[int] = set()
    covered = 0
    for index, edge in enumerate(ordered):
        if chosen and covered * 100 >= total * keep:
            break
        chosen.add(index)
        covered += int(edge["count"])
    touched = {
        e[end] for i in chosen for e in [ordered[i]] for end in ("from_activity", "to_activity")
    }
    for index, edge in enumerate(ordered):
        ends = {edge["from_activity"], edge["to_activity"]}
        if not ends <= touched:
            chosen.add(index)
            touched |= ends
    return [ordered[i] for i in sorted(chosen)][:max_edges]


def _volume(events: int, cases: Any) -> str:
    text = f"{count_text(events)} events"
    return text if cases is None else f"{text} \u00b7 {count_text(cases)} cases"


def _fill(count: float, busiest: float) -> str:
    share = count / busiest if busiest else 0.0
    return _FILLS[min(len(_FILLS) - 1, int(share * len(_FILLS)))]


def activity_nodes(
    out: DotWriter,
    ids: NodeIds,
    labels: Mapping[str, Html],
    fills: Mapping[str, str],
    departments: Mapping[str, str] | None,
    styles: Mapping[str, dict[str, str]] | None = None,
) -> None:
    """Write activity nodes, grouped in one cluster per department when departments are given."""
    names = sorted(labels)
    lanes: dict[str | None, list[str]] = {}
    for name in names:
        lanes.setdefault((departments or {}).get(name), []).append(name)
    lane_ids = NodeIds("cluster_dept", (d for d in lanes if d is not None))

    def write(name: str) -> None:
        out.node(
            ids[name], label=labels[name], fillcolor=fills[name], **(styles or {}).get(name, {})
        )

    for name in lanes.get(None, []):
        write(name)
    for department in sorted(d for d in lanes if d is not None):
        with out.subgraph(lane_ids[department]):
            out.attrs(
                "graph",
                label=Html(f"<B>{html_text(department, 40)}</B>"),
                style="rounded,filled",
                fillcolor="#f7f9fb",
                color="#b0bec5",
                labeljust="l",
            )
            for name in lanes[department]:
                write(name)


def start_end_nodes(
    out: DotWriter,
    ids: NodeIds,
    start_activities: Mapping[str, int],
    end_activities: Mapping[str, int],
) -> None:
    """Write the start and end pseudo-nodes and their edges to the drawn activities."""
    out.node(
        START,
        label="start",
        shape="circle",
        style="filled",
        fillcolor="#43a047",
        fontcolor="white",
        fontsize=9,
        width=0.5,
        fixedsize=True,
        color="#2e7d32",
    )
    out.node(
        END,
        label="end",
        shape="doublecircle",
        style="filled",
        fillcolor="#546e7a",
        fontcolor="white",
        fontsize=9,
        width=0.45,
        fixedsize=True,
        color="#37474f",
    )
    for name, count in sorted(start_activities.items()):
        if name in ids:
            out.edge(
                START,
                ids[name],
                style="dashed",
                color=MUTED,
                fontcolor=MUTED,
                label=count_text(count),
            )
    for name, count in sorted(end_activities.items()):
        if name in ids:
            out.edge(
                ids[name],
                END,
                style="dashed",
                color=MUTED,
                fontcolor=MUTED,
                label=count_text(count),
            )


def _slow_colour(median: float | None, longest: float) -> str:
    if median is None or not longest:
        return _QUICK
    for bound, colour, _ in _SLOW:
        if median >= bound * longest:
            return colour
    return _QUICK


def mined_map_dot(
    activities: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    start_activities: Mapping[str, int],
    end_activities: Mapping[str, int],
    *,
    measure: str = "frequency",
    keep: float = 100.0,
    max_edges: int = 200,
    departments: Mapping[str, str] | None = None,
    title: str = "Observed process",
) -> MinedMap:
    """The DOT text of a directly-follows graph, as ``app.mining.discovery`` computes it.

    By default every edge is kept (rare paths are where rework hides), up to
    ``max_edges``: Graphviz draws 200 edges in well under a second but takes 10 to 15 s
    on 450. Lower ``keep`` to show only the busiest edges covering that percentage of
    all transitions. Edge width follows the count; frequency maps label counts,
    performance maps label median waits and colour the slowest.

    Args:
        activities: rows ``{"activity", "count", "cases"}``.
        edges: rows ``{"from_activity", "to_activity", "count", "cases", "mean_wait_s",
            "median_wait_s", "p90_wait_s"}``.
        start_activities: how many cases start with each activity.
        end_activities: how many cases end with each activity.
        measure: ``frequency`` or ``performance``.
        keep: percentage of all transitions the drawn edges cover (see :func:`select_edges`).
        max_edges: the most edges to draw.
        departments: an optional department per activity; activities are grouped by it.
        title: the map's title.

    Returns:
        The DOT text and how many of the edges it shows.

    Raises:
        RenderError: an unknown measure, or ``keep``/``max_edges`` out of range.

    >>> m = mined_map_dot([{"activity": "A", "count": 2, "cases": 2}], [], {"A": 2}, {"A": 2})
    >>> (m.edges_shown, m.edges_total, '"act:a"' in m.dot)
    (0, 0, True)
    """
    if measure not in MEASURES:
        raise RenderError(
            f"Cannot draw a '{measure}' map: the measures are frequency, performance."
        )
    shown = select_edges(edges, keep, max_edges)
    counts = {str(a["activity"]): int(a["count"]) for a in activities}
    names = {str(e[end]) for e in shown for end in ("from_activity", "to_activity")}
    names |= set(start_activities) | set(end_activities)
    if not shown:
        names |= set(counts)
    ids = NodeIds("act", names)
    busiest = max((counts.get(n, 0) for n in names), default=0)
    cases = {str(a["activity"]): a.get("cases") for a in activities}
    labels = {
        name: lines_label(name, _volume(counts.get(name, 0), cases.get(name))) for name in names
    }
    fills = {name: _fill(counts.get(name, 0), busiest) for name in names}
    out = DotWriter("mined_map")
    graph_defaults(out)
    activity_nodes(out, ids, labels, fills, departments)
    start_end_nodes(out, ids, start_activities, end_activities)
    most = max((int(e["count"]) for e in shown), default=0)
    longest = max((float(e.get("median_wait_s") or 0.0) for e in shown), default=0.0)
    for edge in sorted(shown, key=lambda e: (str(e["from_activity"]), str(e["to_activity"]))):
        count = int(edge["count"])
        median = edge.get("median_wait_s")
        width = round(1.0 + 5.0 * count / most, 2) if most else 1.0
        if measure == "performance":
            colour = _slow_colour(median, longest)
            label = f"median {human_duration(median)}"
        else:
            colour, label = _EDGE, count_text(count)
        out.edge(
            ids[str(edge["from_activity"])],
            ids[str(edge["to_activity"])],
            penwidth=width,
            color=colour,
            fontcolor=colour,
            label=label,
        )
    rows: list[LegendRow] = [
        ("fill", _FILLS[-1], "busier activity"),
        ("bold", _EDGE, "thicker: more transitions"),
    ]
    if measure == "performance":
        rows = [rows[0], *(("bold", c, t) for _, c, t in _SLOW), ("bold", _QUICK, "quicker")]
    subtitle = f"{measure} map \u00b7 showing {len(shown)} of {len(edges)} transitions"
    out.attrs("graph", label=legend_label(title, subtitle, rows))
    return MinedMap(out.source(), len(shown), len(edges))
