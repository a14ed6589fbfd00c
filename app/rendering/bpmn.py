"""A documented process version as BPMN 2.0 XML with diagram layout, for bpmn.io and Camunda.

One pool holds one lane per department. A start event leads to every step nothing else
leads to; an end event follows every step that leads nowhere else. Where a step has
several ways out, an exclusive gateway decides between them: in BPMN, several plain
flows leaving a task would all be taken at once, which is not what a documented choice
means. Several flows into one step simply meet there (no joining gateway). A loop with
no way out gets no end event: the document says nothing about how it ends.

Graphviz (``dot``, left to right, a cluster per department) places the nodes; each
department then becomes a horizontal band of the pool, its nodes keeping their Graphviz
positions relative to one another, and flows are orthogonal lines between shape borders,
routed through as few other shapes as the simple candidates allow.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.dot import DotWriter, hours_text
from app.rendering.output import pipe
from app.rendering.steps import check_flows, department_order, is_handoff, step_order
from app.rendering.text import slug

__all__ = ["NAMESPACES", "bpmn_xml"]

NAMESPACES: dict[str, str] = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
"""The XML namespaces of the export, by the prefixes it writes them with."""

for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

_SIZES = {"task": (100, 80), "startEvent": (36, 36), "endEvent": (36, 36)}
_GATEWAY_SIZE = (50, 50)
_ORIGIN = 20  # the pool's top-left corner
_HEADER = 30  # the strip at the left of the pool and of each lane that carries its name
_PAD = 30  # space between a lane's border and its nodes
_MIN_LANE = 120
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class _Node:
    id: str
    kind: str
    lane: str | None
    name: str | None = None
    documentation: str | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    documentation: str | None = None


@dataclass(frozen=True)
class _Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cx(self) -> int:
        return self.x + self.width // 2

    @property
    def cy(self) -> int:
        return self.y + self.height // 2


class _Ids:
    """Unique XML names (``Kind_slug``), a ``-2``, ``-3``… suffix settling clashes."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def new(self, kind: str, *parts: str) -> str:
        base = "_".join([kind, *parts])
        candidate, n = base, 2
        while candidate in self._taken:
            candidate, n = f"{base}-{n}", n + 1
        self._taken.add(candidate)
        return candidate


@dataclass
class _Model:
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)
    lanes: dict[str, str] = field(default_factory=dict)  # department -> lane id, in order

    def add(self, node: _Node) -> str:
        self.nodes[node.id] = node
        return node.id

    def connect(
        self,
        ids: _Ids,
        source: str,
        target: str,
        name: str | None = None,
        documentation: str | None = None,
    ) -> None:
        flow_id = ids.new("Flow", _stem(source), _stem(target))
        self.flows.append(_Flow(flow_id, source, target, name, documentation))
        self.nodes[source].outgoing.append(flow_id)
        self.nodes[target].incoming.append(flow_id)


def _stem(node_id: str) -> str:
    return node_id.split("_", 1)[1] if node_id.startswith("Task_") else slug(node_id)


def _text(value: str) -> str:
    return _NOT_XML.sub(" ", value)


def _step_documentation(step: GraphStep) -> str | None:
    lines = [
        f"Owner: {step.owner}" if step.owner else None,
        f"System: {step.system}" if step.system else None,
        "Data keyed in by hand" if step.manual_entry else None,
        f"Minutes: {step.minutes:g}" if step.minutes is not None else None,
        f"Cost: {step.cost:g}" if step.cost is not None else None,
    ]
    return "\n".join(line for line in lines if line) or None


def _flow_text(by_id: dict[str, GraphStep], flow: GraphFlow) -> tuple[str | None, str | None]:
    """The name and documentation of a documented flow."""
    standard = hours_text(flow.standard_hours) if flow.standard_hours is not None else None
    if not is_handoff(by_id, flow):
        return standard, None
    owner = f"owner: {flow.owner}" if flow.owner else "unowned handoff"
    source, target = by_id[flow.source].department, by_id[flow.target].department
    name = " · ".join(part for part in (owner, standard) if part)
    return name, f"Handoff from {source} to {target}."


def _entry_steps(steps: list[GraphStep], flows: list[GraphFlow]) -> list[str]:
    """Steps nothing else leads to, then the first step of each part only cycles reach."""
    successors: dict[str, list[str]] = {step.id: [] for step in steps}
    led_to = {f.target for f in flows if f.source != f.target}
    for flow in flows:
        successors[flow.source].append(flow.target)
    entries = [step.id for step in steps if step.id not in led_to]
    reached: set[str] = set()
    for candidate in [*entries, *sorted(successors)]:
        if candidate in reached:
            continue
        if candidate not in entries:
            entries.append(candidate)
        queue = deque([candidate])
        reached.add(candidate)
        while queue:
            for following in successors[queue.popleft()]:
                if following not in reached:
                    reached.add(following)
                    queue.append(following)
    return entries


def _model(graph: ProcessGraph) -> _Model:
    steps = step_order(graph)
    by_id = {step.id: step for step in steps}
    position = {step.id: index for index, step in enumerate(steps)}
    flows = sorted(
        {(f.source, f.target): f for f in graph.flows}.values(),
        key=lambda f: (position[f.source], position[f.target]),
    )
    ids, model = _Ids(), _Model()
    tasks = {step.id: ids.new("Task", slug(step.id)) for step in sorted(steps, key=lambda s: s.id)}
    lane_ids = {d: ids.new("Lane", slug(d)) for d in sorted({s.department for s in steps})}
    model.lanes = {department: lane_ids[department] for department in department_order(steps)}
    entries = _entry_steps(steps, flows)
    first_lane = by_id[entries[0]].department if entries else None
    start = model.add(_Node(ids.new("StartEvent", "1"), "startEvent", first_lane, "Start"))
    if not steps:
        end = model.add(_Node(ids.new("EndEvent", "1"), "endEvent", None, "End"))
        model.connect(ids, start, end)
        return model
    for step in steps:
        documentation = _step_documentation(step)
        model.add(_Node(tasks[step.id], "task", step.department, step.name, documentation))
    if len(entries) > 1:
        split = _Node(ids.new("Gateway", "start"), "exclusiveGateway", first_lane, "First step?")
        model.connect(ids, start, model.add(split))
        start = split.id
    for entry in entries:
        model.connect(ids, start, tasks[entry])
    leaving: dict[str, list[GraphFlow]] = {step.id: [] for step in steps}
    for flow in flows:
        leaving[flow.source].append(flow)
    for step in steps:
        task, lane = tasks[step.id], step.department
        ends = all(f.target == step.id for f in leaving[step.id])
        source = task
        if len(leaving[step.id]) + ends > 1:
            split = _Node(ids.new("Gateway", _stem(task)), "exclusiveGateway", lane, "Next step?")
            model.connect(ids, task, model.add(split))
            source = split.id
        for flow in leaving[step.id]:
            name, documentation = _flow_text(by_id, flow)
            model.connect(ids, source, tasks[flow.target], name, documentation)
        if ends:
            end = model.add(_Node(ids.new("EndEvent", _stem(task)), "endEvent", lane, "End"))
            model.connect(ids, source, end)
    return model


def _graphviz_positions(model: _Model) -> dict[str, tuple[float, float]]:
    """Node centres from ``dot`` (points, y pointing down)."""
    out = DotWriter("bpmn")
    out.attrs("graph", rankdir="LR", newrank=True, nodesep=0.5, ranksep=0.6, splines=False)
    out.attrs("node", fixedsize=True, label="")
    lanes: dict[str | None, list[_Node]] = {}
    for node in model.nodes.values():
        lanes.setdefault(node.lane, []).append(node)
    for lane, nodes in lanes.items():
        cluster = f"cluster_{model.lanes[lane]}" if lane is not None else "cluster_none"
        with out.subgraph(cluster):
            for node in nodes:
                width, height = _SIZES.get(node.kind, _GATEWAY_SIZE)
                shape = {"task": "box", "exclusiveGateway": "diamond"}.get(node.kind, "circle")
                out.node(node.id, shape=shape, width=width / 72, height=height / 72)
    for flow in model.flows:
        out.edge(flow.source, flow.target)
    data = pipe(out.source(), "json0")
    layout = json.loads(data)
    top = float(layout["bb"].split(",")[3])
    positions: dict[str, tuple[float, float]] = {}
    for item in layout.get("objects", []):
        if "pos" in item:
            x, y = (float(part) for part in item["pos"].split(","))
            positions[item["name"]] = (x, top - y)
    return positions


def _layout(model: _Model) -> tuple[_Box, dict[str, _Box], dict[str, _Box]]:
    """The pool, the lanes by department and the nodes by id, in diagram pixels.

    Graphviz gives each node its column (x); each department becomes a band as tall as
    its nodes' Graphviz extent, and its nodes keep their positions relative to each other.
    """
    centres = _graphviz_positions(model)
    raw: dict[str, _Box] = {}
    for node in model.nodes.values():
        width, height = _SIZES.get(node.kind, _GATEWAY_SIZE)
        x, y = centres[node.id]
        raw[node.id] = _Box(round(x - width / 2), round(y - height / 2), width, height)
    left = min(box.x for box in raw.values()) - (_ORIGIN + 2 * _HEADER + _PAD)
    bands: list[str | None] = [*model.lanes]
    if any(node.lane is None for node in model.nodes.values()):
        bands.append(None)
    boxes: dict[str, _Box] = {}
    lane_rows: dict[str, tuple[int, int]] = {}
    top = _ORIGIN
    for lane in bands:
        members = [node.id for node in model.nodes.values() if node.lane == lane]
        low = min(raw[m].y for m in members)
        high = max(raw[m].bottom for m in members)
        height = max(_MIN_LANE, high - low + 2 * _PAD)
        shift = top + (height - (high - low)) // 2 - low
        for member in members:
            box = raw[member]
            boxes[member] = _Box(box.x - left, box.y + shift, box.width, box.height)
        if lane is not None:
            lane_rows[lane] = (top, height)
        top += height
    width = max(box.right for box in boxes.values()) + _PAD - _ORIGIN
    pool = _Box(_ORIGIN, _ORIGIN, width, top - _ORIGIN)
    lanes = {
        lane: _Box(_ORIGIN + _HEADER, y, width - _HEADER, height)
        for lane, (y, height) in lane_rows.items()
    }
    return pool, lanes, boxes


Point = tuple[int, int]


def _crossings(points: list[Point], others: list[_Box]) -> int:
    """How many shapes an orthogonal line runs through."""
    segments = list(pairwise(points))
    xs, ys = [x for x, _ in points], [y for _, y in points]
    near = [
        b
        for b in others
        if b.x < max(xs) and b.right > min(xs) and b.y < max(ys) and b.bottom > min(ys)
    ]
    return sum(
        any(
            max(x1, x2) > box.x
            and min(x1, x2) < box.right
            and max(y1, y2) > box.y
            and min(y1, y2) < box.bottom
            for (x1, y1), (x2, y2) in segments
        )
        for box in near
    )


def _routes(source: _Box, target: _Box) -> list[list[Point]]:
    """Orthogonal lines from the source's border to the target's, best-looking first."""
    if source == target:  # a loop: out to the right, over the top, back in from above
        out_x, over_y = source.right + 15, source.y - 15
        loop = [(out_x, source.cy), (out_x, over_y), (source.cx, over_y)]
        return [[(source.right, source.cy), *loop, (source.cx, source.y)]]
    if target.x >= source.right:  # forward: across, with one vertical step somewhere
        begin, end = (source.right, source.cy), (target.x, target.cy)
        if begin[1] == end[1]:
            return [[begin, end]]
        columns = ((source.right + target.x) // 2, source.right + 12, target.x - 12)
        return [[begin, (x, begin[1]), (x, end[1]), end] for x in columns]
    if target.right > source.x:  # the same column: straight down or up
        down = target.y >= source.bottom
        begin = (source.cx, source.bottom if down else source.y)
        end = (target.cx, target.y if down else target.bottom)
        middle = (begin[1] + end[1]) // 2
        return [
            [begin, end]
            if begin[0] == end[0]
            else [begin, (begin[0], middle), (end[0], middle), end]
        ]
    below = max(source.bottom, target.bottom) + 20  # backward: under both shapes, or over
    above = min(source.y, target.y) - 20
    return [
        [
            (source.cx, source.bottom),
            (source.cx, below),
            (target.cx, below),
            (target.cx, target.bottom),
        ],
        [(source.cx, source.y), (source.cx, above), (target.cx, above), (target.cx, target.y)],
    ]


def _waypoints(source: _Box, target: _Box, boxes: list[_Box]) -> list[Point]:
    """The route through the fewest other shapes (the first of equals)."""
    others = [box for box in boxes if box is not source and box is not target]
    return min(_routes(source, target), key=lambda route: _crossings(route, others))


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _element(parent: ET.Element, tag: str, **attributes: str | None) -> ET.Element:
    values = {key: _text(value) for key, value in attributes.items() if value is not None}
    return ET.SubElement(parent, _q(tag), values)


def _documentation(parent: ET.Element, text: str | None) -> None:
    if text:
        _element(parent, "bpmn:documentation").text = _text(text)


def _bounds(parent: ET.Element, box: _Box) -> None:
    sizes = {"x": box.x, "y": box.y, "width": box.width, "height": box.height}
    _element(parent, "dc:Bounds", **{key: str(value) for key, value in sizes.items()})


def bpmn_xml(graph: ProcessGraph) -> bytes:
    """A documented process version as BPMN 2.0 XML, laid out for bpmn.io and Camunda.

    One pool with a lane per department; a task per step (its owner, system and
    figures as documentation); a start event before the steps nothing leads to, an
    end event after the steps that lead nowhere; an exclusive gateway where a step has
    several ways out; sequence flows named with a handoff's owner and standard. Ids
    come from step ids and department names, so the same version gives the same bytes.

    Args:
        graph: the version to export.

    Returns:
        UTF-8 XML with a declaration, indented.

    Raises:
        RenderError: a flow names a step the version does not have, Graphviz is missing
            or ``dot`` failed.

    >>> from app.lib.graph import GraphStep
    >>> xml = bpmn_xml(ProcessGraph("p", "as-is", [GraphStep("a", "Receive", "Desk")]))
    >>> b'<bpmn:task id="Task_a" name="Receive">' in xml
    True
    """
    check_flows(graph)
    model = _model(graph)
    pool, lanes, boxes = _layout(model)
    key = slug(graph.process)
    title = f"{graph.process} · {graph.version}"
    root = ET.Element(_q("bpmn:definitions"), {"id": f"Definitions_{key}"})
    root.set("targetNamespace", f"urn:handoff:process:{key}")
    root.set("exporter", "Handoff")
    collaboration = _element(root, "bpmn:collaboration", id=f"Collaboration_{key}")
    process_id = f"Process_{key}"
    _element(
        collaboration,
        "bpmn:participant",
        id=f"Participant_{key}",
        name=title,
        processRef=process_id,
    )
    process = _element(root, "bpmn:process", id=process_id, name=title, isExecutable="false")
    if graph.standard_hours is not None:
        _documentation(process, f"Service standard: {graph.standard_hours:g} h")
    lane_set = _element(process, "bpmn:laneSet", id=f"LaneSet_{key}")
    for department, lane_id in model.lanes.items():
        lane = _element(lane_set, "bpmn:lane", id=lane_id, name=department)
        for node in model.nodes.values():
            if node.lane == department:
                _element(lane, "bpmn:flowNodeRef").text = node.id
    for node in model.nodes.values():
        element = _element(process, f"bpmn:{node.kind}", id=node.id, name=node.name)
        _documentation(element, node.documentation)
        for tag, refs in (("bpmn:incoming", node.incoming), ("bpmn:outgoing", node.outgoing)):
            for ref in refs:
                _element(element, tag).text = ref
    for flow in model.flows:
        element = _element(
            process,
            "bpmn:sequenceFlow",
            id=flow.id,
            name=flow.name,
            sourceRef=flow.source,
            targetRef=flow.target,
        )
        _documentation(element, flow.documentation)
    diagram = _element(root, "bpmndi:BPMNDiagram", id=f"BPMNDiagram_{key}")
    plane = _element(
        diagram, "bpmndi:BPMNPlane", id=f"BPMNPlane_{key}", bpmnElement=f"Collaboration_{key}"
    )
    shapes = [(f"Participant_{key}", pool), *((model.lanes[d], b) for d, b in lanes.items())]
    for element_id, box in shapes:
        shape = _element(
            plane,
            "bpmndi:BPMNShape",
            id=f"{element_id}_di",
            bpmnElement=element_id,
            isHorizontal="true",
        )
        _bounds(shape, box)
    for node in model.nodes.values():
        marker = "true" if node.kind == "exclusiveGateway" else None
        shape = _element(
            plane,
            "bpmndi:BPMNShape",
            id=f"{node.id}_di",
            bpmnElement=node.id,
            isMarkerVisible=marker,
        )
        _bounds(shape, boxes[node.id])
    shown = list(boxes.values())
    for flow in model.flows:
        edge = _element(plane, "bpmndi:BPMNEdge", id=f"{flow.id}_di", bpmnElement=flow.id)
        route = _waypoints(boxes[flow.source], boxes[flow.target], shown)
        for x, y in route:
            _element(edge, "di:waypoint", x=str(x), y=str(y))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8") + b"\n"
