"""Two versions of a process in one drawing: a diff map, or both maps side by side."""

from __future__ import annotations

from dataclasses import dataclass

from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.dot import (
    DotWriter,
    Html,
    LegendRow,
    NodeIds,
    graph_defaults,
    hours_text,
    legend_label,
    lines_label,
    small_label,
)
from app.rendering.process_map import write_process
from app.rendering.steps import check_flows, department_order, is_handoff, step_order
from app.rendering.text import html_text

__all__ = ["diff_map_dot", "side_by_side_dot"]

# status: (node fill, line colour, legend text)
STATUS = {
    "removed": ("#ffebee", "#c62828", "removed"),
    "added": ("#e8f5e9", "#2e7d32", "added"),
    "changed": ("#fff8e1", "#ff8f00", "changed"),
    "unchanged": ("white", "#90a4ae", "unchanged"),
}
_FIELDS = ("name", "department", "owner", "system", "manual_entry")


@dataclass(frozen=True)
class _Pair:
    before: GraphStep | None
    after: GraphStep | None

    @property
    def step(self) -> GraphStep:
        found = self.after or self.before
        assert found is not None
        return found

    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed" if self.changes() else "unchanged"

    def changes(self) -> list[str]:
        if self.before is None or self.after is None:
            return []
        return [f for f in _FIELDS if getattr(self.before, f) != getattr(self.after, f)]


def _match(before: ProcessGraph, after: ProcessGraph) -> tuple[dict[str, _Pair], dict[str, str]]:
    """Steps of both versions under one key (the after id, else the before id), matched by
    id and then by name and department; and the key of each before step."""
    old = {s.id: s for s in before.steps}
    new = {s.id: s for s in after.steps}
    key_of_before = {step_id: step_id for step_id in old if step_id in new}
    spare: dict[tuple[str, str], list[GraphStep]] = {}
    for step in sorted(old.values(), key=lambda s: s.id):
        if step.id not in new:
            spare.setdefault((step.name, step.department), []).append(step)
    for step in sorted(new.values(), key=lambda s: s.id):
        if step.id not in old and spare.get((step.name, step.department)):
            key_of_before[spare[(step.name, step.department)].pop(0).id] = step.id
    pairs = {step_id: _Pair(None, step) for step_id, step in new.items()}
    for old_id, key in key_of_before.items():
        pairs[key] = _Pair(old[old_id], new[key])
    for step_id, step in old.items():
        if step_id not in key_of_before:
            key_of_before[step_id] = step_id
            pairs[step_id] = _Pair(step, None)
    return pairs, key_of_before


def _step_notes(pair: _Pair) -> list[str | None]:
    step, notes = pair.step, [pair.step.owner, pair.step.system]
    if pair.before is not None and pair.after is not None:
        if pair.before.name != pair.after.name:
            notes.append(f"was: {pair.before.name}")
        if pair.before.department != pair.after.department:
            notes.append(f"moved from {pair.before.department}")
        rest = [f.replace("_", " ") for f in pair.changes() if f not in ("name", "department")]
        if rest:
            notes.append("changed: " + ", ".join(rest))
    return [("\u270e " if step.manual_entry else "") + step.name, *notes]


def _flow_change(old: GraphFlow, new: GraphFlow) -> list[str]:
    lines = []
    if old.owner != new.owner:
        lines.append(f"owner: {old.owner or 'none'} \u2192 {new.owner or 'none'}")
    if old.standard_hours != new.standard_hours:

        def text(h: float | None) -> str:
            return hours_text(h) if h is not None else "no standard"

        lines.append(f"{text(old.standard_hours)} \u2192 {text(new.standard_hours)}")
    return lines


def diff_map_dot(before: ProcessGraph, after: ProcessGraph) -> str:
    """The DOT text of one map of two versions: removed red, added green, changed amber.

    Steps are matched by id, then by name and department; a step changes when its name,
    department, owner, system or manual entry does, and a flow when its owner or standard
    does. Swimlanes follow the later version's departments.

    Args:
        before: the earlier version (usually as-is).
        after: the later version (usually a to-be option).

    Returns:
        DOT text for :func:`app.rendering.output.render`.

    Raises:
        RenderError: a flow names a step its version does not have.

    >>> a = ProcessGraph("p", "as-is", [GraphStep("x", "X", "D")])
    >>> b = ProcessGraph("p", "to-be", [GraphStep("y", "Y", "D")])
    >>> dot = diff_map_dot(a, b)
    >>> '"step:x"' in dot and '"step:y"' in dot
    True
    """
    check_flows(before)
    check_flows(after)
    pairs, key_of_before = _match(before, after)
    old_flows = {(key_of_before[f.source], key_of_before[f.target]): f for f in before.flows}
    new_flows = {(f.source, f.target): f for f in after.flows}
    merged_steps = [
        GraphStep(key, pair.step.name, pair.step.department) for key, pair in pairs.items()
    ]
    merged_flows = [GraphFlow(s, t) for s, t in sorted(set(old_flows) | set(new_flows))]
    merged = ProcessGraph(after.process, after.version, merged_steps, merged_flows, name=after.name)
    steps = step_order(merged)
    by_key = {step.id: step for step in steps}
    position = {step.id: index for index, step in enumerate(steps)}
    ids = NodeIds("step", by_key)
    lanes = NodeIds("cluster_dept", (s.department for s in steps))
    out = DotWriter("diff_map")
    graph_defaults(out)
    used: set[str] = set()
    for department in department_order(steps):
        with out.subgraph(lanes[department]):
            out.attrs(
                "graph",
                label=Html(f"<B>{html_text(department, 40)}</B>"),
                style="rounded,filled",
                fillcolor="#f7f9fb",
                color="#b0bec5",
                fontsize=12,
                labeljust="l",
                margin=12,
            )
            for step in (s for s in steps if s.department == department):
                pair = pairs[step.id]
                status = pair.status()
                used.add(status)
                fill, line, _ = STATUS[status]
                first, *notes = _step_notes(pair)
                out.node(
                    ids[step.id],
                    label=lines_label(first or "", *notes),
                    fillcolor=fill,
                    color=line,
                    penwidth=1.0 if status == "unchanged" else 2.0,
                    style="rounded,filled,dashed" if status == "removed" else None,
                )
    for key in sorted(
        set(old_flows) | set(new_flows), key=lambda k: (position[k[0]], position[k[1]])
    ):
        old, new = old_flows.get(key), new_flows.get(key)
        handoff = is_handoff(by_key, GraphFlow(*key))
        lines: list[str] = []
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        else:
            lines = _flow_change(old, new)
            status = "changed" if lines else "unchanged"
        used.add(status)
        colour = STATUS[status][1]
        out.edge(
            ids[key[0]],
            ids[key[1]],
            color=colour,
            fontcolor=colour,
            penwidth=(2.4 if handoff else 1.2) + (0.0 if status == "unchanged" else 0.6),
            style="dashed" if status == "removed" else None,
            label=small_label(*lines, colour=colour) or None,
        )
    rows: list[LegendRow] = [("fill", STATUS[s][0], STATUS[s][2]) for s in STATUS if s in used]
    rows += [("bold", STATUS[s][1], f"flow {STATUS[s][2]}") for s in STATUS if s in used]
    counts = {s: sum(1 for p in pairs.values() if p.status() == s) for s in STATUS}
    subtitle = (
        f"{counts['removed']} steps removed, {counts['added']} added, "
        f"{counts['changed']} changed \u00b7 {len(before.handoffs())} handoffs \u2192 "
        f"{len(after.handoffs())}"
    )
    title = f"{after.title} \u00b7 {before.version} \u2192 {after.version}"
    out.attrs("graph", label=legend_label(title, subtitle, rows))
    return out.source()


def side_by_side_dot(before: ProcessGraph, after: ProcessGraph) -> str:
    """The DOT text of both versions' maps next to each other, each in a frame of its own.

    Args:
        before: drawn on the left.
        after: drawn on the right.

    Returns:
        DOT text for :func:`app.rendering.output.render`; node ids start with ``before:``
        or ``after:``.

    Raises:
        RenderError: a flow names a step its version does not have.

    >>> a = ProcessGraph("p", "as-is", [GraphStep("x", "X", "D")])
    >>> '"before:step:x"' in side_by_side_dot(a, a)
    True
    """
    check_flows(before)
    check_flows(after)
    out = DotWriter("side_by_side")
    graph_defaults(out, rankdir="TB")
    rows: list[LegendRow] = []
    for prefix, graph in (("before:", before), ("after:", after)):
        with out.subgraph(f"cluster_{prefix}version"):
            out.attrs(
                "graph",
                label=Html(f'<FONT POINT-SIZE="14"><B>{html_text(graph.version)}</B></FONT>'),
                style="rounded",
                color="#546e7a",
                penwidth=1.5,
                labeljust="c",
                margin=16,
            )
            rows += [row for row in write_process(out, graph, prefix) if row not in rows]
    title = f"{after.title} \u00b7 {before.version} and {after.version}"
    out.attrs("graph", label=legend_label(title, None, rows))
    return out.source()
