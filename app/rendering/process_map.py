"""The map of a documented process version: department swimlanes, handoffs, mined overlay."""

from __future__ import annotations

from collections.abc import Mapping

from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.dot import (
    INK,
    MUTED,
    SHARE_SCALE,
    DotWriter,
    Html,
    LegendRow,
    NodeIds,
    graph_defaults,
    hours_text,
    legend_label,
    lines_label,
    share_colour,
    small_label,
)
from app.rendering.overlay import (
    UNDOCUMENTED,
    FlowMetrics,
    ObservedFlow,
    Overlay,
    metrics_text,
    write_undocumented,
)
from app.rendering.steps import (
    check_flows,
    department_order,
    duplicate_departments,
    is_handoff,
    step_order,
)
from app.rendering.text import html_text

__all__ = [
    "FlowMetrics",
    "ObservedFlow",
    "Overlay",
    "process_map_dot",
    "write_process",
]

HANDOFF = "#1565c0"
UNOWNED = "#c62828"
INTERNAL = "#78909c"
MANUAL_FILL = "#e3f2fd"
DUPLICATE_FILL = "#ffe082"
UNSEEN_FILL = "#eceff1"
LANE_FILL = "#f7f9fb"
LANE_LINE = "#b0bec5"


def _step_node(
    out: DotWriter,
    node_id: str,
    step: GraphStep,
    duplicates: Mapping[str, list[str]],
    unseen: bool,
) -> None:
    others = [d for d in duplicates.get(step.name, []) if d != step.department]
    fill = DUPLICATE_FILL if others else MANUAL_FILL if step.manual_entry else "white"
    notes = [step.owner, step.system]
    if others:
        notes.append("also done by " + ", ".join(others))
    if unseen:
        notes.append("not seen in the log")
        fill = UNSEEN_FILL
    name = f"✎ {step.name}" if step.manual_entry else step.name
    out.node(
        node_id,
        label=lines_label(name, *notes),
        fillcolor=fill,
        style="rounded,filled,dashed" if unseen else None,
        fontcolor=MUTED if unseen else None,
    )


def _flow_edge(
    out: DotWriter,
    ids: NodeIds,
    flow: GraphFlow,
    handoff: bool,
    overlay: Overlay | None,
    busiest: int,
) -> set[str]:
    """Draw one documented flow; return the legend keys it uses."""
    used: set[str] = set()
    standard = hours_text(flow.standard_hours) if flow.standard_hours is not None else None
    owner = None
    if handoff:
        owner = f"owner: {flow.owner}" if flow.owner else "⚠ unowned handoff"
        if overlay is None:
            used.add("handoff" if flow.owner else "unowned")
        elif not flow.owner:
            used.add("unowned-mark")
    source, target = ids[flow.source], ids[flow.target]
    if overlay is None:
        colour = (HANDOFF if flow.owner else UNOWNED) if handoff else INTERNAL
        label = small_label(owner, standard, colour=colour if handoff else MUTED)
        out.edge(
            source,
            target,
            color=colour,
            fontcolor=colour,
            penwidth=2.4 if handoff else 1.2,
            style="dashed" if handoff and not flow.owner else None,
            label=label or None,
        )
        return used
    metrics = overlay.flows.get((flow.source, flow.target))
    if metrics is None:
        used.add("unobserved")
        out.edge(
            source,
            target,
            color=LANE_LINE,
            style="dotted",
            penwidth=2.0 if handoff else 1.0,
            label=small_label(owner, standard, "not seen in the log", colour=MUTED),
        )
        return used
    used.add(f"share:{share_colour(metrics.wait_share)}")
    weight = metrics.count / busiest if busiest else 0.0
    colour = share_colour(metrics.wait_share)
    out.edge(
        source,
        target,
        color=colour,
        penwidth=round((2.0 if handoff else 1.0) + 4.0 * weight, 2),
        label=small_label(*metrics_text(metrics), owner, standard, colour=INK),
        fontcolor=INK,
    )
    return used


def write_process(
    out: DotWriter, graph: ProcessGraph, prefix: str = "", overlay: Overlay | None = None
) -> list[LegendRow]:
    """Write the swimlanes, steps and flows of one version; return its legend rows.

    Args:
        out: the writer to add to.
        graph: the version to draw.
        prefix: put before every node and cluster id (to draw two versions in one map).
        overlay: mined figures to lay over the flows, or None.

    Returns:
        The legend rows for the markings the drawing uses.
    """
    check_flows(graph)
    steps = step_order(graph)
    if not steps:
        out.node(f"{prefix}note:empty", label="No steps documented", shape="note", style="")
        return []
    by_id = {step.id: step for step in steps}
    by_name: dict[str, str] = {}
    for step in steps:
        by_name.setdefault(step.name, step.id)
    position = {step.id: index for index, step in enumerate(steps)}
    ids = NodeIds(f"{prefix}step", by_id)
    lanes = NodeIds(f"cluster_{prefix}dept", (s.department for s in steps))
    duplicates = duplicate_departments(steps)
    unseen = overlay.unseen_steps if overlay else frozenset()
    for department in department_order(steps):
        with out.subgraph(lanes[department]):
            out.attrs(
                "graph",
                label=Html(f"<B>{html_text(department, 40)}</B>"),
                style="rounded,filled",
                fillcolor=LANE_FILL,
                color=LANE_LINE,
                fontsize=12,
                labeljust="l",
                margin=12,
            )
            for step in steps:
                if step.department == department:
                    _step_node(out, ids[step.id], step, duplicates, step.id in unseen)
    used: set[str] = set()
    if any(s.manual_entry for s in steps):
        used.add("manual")
    if duplicates:
        used.add("duplicate")
    if unseen:
        used.add("unseen")
    flows = sorted(
        {(f.source, f.target): f for f in graph.flows}.values(),
        key=lambda f: (position[f.source], position[f.target]),
    )
    counts = [m.count for m in (overlay.flows.values() if overlay else [])]
    counts += [o.metrics.count for o in (overlay.undocumented if overlay else [])]
    busiest = max(counts, default=0)
    for flow in flows:
        used |= _flow_edge(out, ids, flow, is_handoff(by_id, flow), overlay, busiest)
    if overlay and overlay.undocumented:
        used.add("undocumented")
        write_undocumented(out, overlay, ids, by_id, by_name, prefix, busiest)
    return _legend_rows(used)


def _legend_rows(used: set[str]) -> list[LegendRow]:
    rows: list[tuple[str, LegendRow]] = [
        ("manual", ("fill", MANUAL_FILL, "\u270e data keyed in by hand")),
        ("duplicate", ("fill", DUPLICATE_FILL, "same step in another department")),
        ("unseen", ("fill", UNSEEN_FILL, "step not seen in the log")),
        ("handoff", ("bold", HANDOFF, "handoff between departments")),
        ("unowned", ("dashed", UNOWNED, "handoff nobody owns")),
        ("unowned-mark", ("\u26a0", UNOWNED, "handoff nobody owns")),
        *((f"share:{colour}", ("bold", colour, text)) for _, colour, text in SHARE_SCALE),
        ("unobserved", ("dotted", LANE_LINE, "documented, not seen in the log")),
        ("undocumented", ("dashed", UNDOCUMENTED, "seen in the log, not documented")),
    ]
    return [row for key, row in rows if key in used]


def _subtitle(graph: ProcessGraph) -> str:
    by_id = {step.id: step for step in graph.steps}
    handoffs = [f for f in graph.flows if is_handoff(by_id, f)]
    unowned = sum(1 for f in handoffs if not f.owner)
    departments = len({s.department for s in graph.steps})
    text = (
        f"{len(graph.steps)} steps in {departments} departments · {len(handoffs)} handoffs"
        f" ({unowned} unowned)"
    )
    if graph.standard_hours is not None:
        text += f" · service standard {graph.standard_hours:g} h"
    return text


def process_map_dot(graph: ProcessGraph, overlay: Overlay | None = None) -> str:
    """The DOT text of a documented process version's map.

    Departments are swimlanes; handoffs are thick and labelled with their owner and
    standard, unowned ones red and dashed; manual-entry steps carry ✎ and duplicate steps
    an amber fill. With an overlay, flows carry mined volumes and waits and are coloured
    by their share of all waiting; undocumented transitions are dashed, unseen steps grey.
    The text depends only on the graph's content, not on the order of its lists.

    Args:
        graph: the version to draw.
        overlay: mined figures to lay over it, or None for the documented map alone.

    Returns:
        DOT text for :func:`app.rendering.output.render`.

    Raises:
        RenderError: a flow names a step the version does not have.

    >>> from app.lib.graph import GraphStep
    >>> dot = process_map_dot(ProcessGraph("p", "as-is", [GraphStep("a", "Receive", "Desk")]))
    >>> 'subgraph "cluster_dept:desk"' in dot
    True
    """
    check_flows(graph)
    out = DotWriter("process_map")
    graph_defaults(out)
    rows = write_process(out, graph, overlay=overlay)
    kind = "mined overlay" if overlay else "documented map"
    title = f"{graph.title} \u00b7 {graph.version}"
    out.attrs("graph", label=legend_label(title, f"{_subtitle(graph)} \u00b7 {kind}", rows))
    return out.source()
