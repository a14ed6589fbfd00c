"""A documented process version as BPMN 2.0 XML with diagram layout, for bpmn.io and Camunda.

One pool holds one lane per department. A start event leads to every step nothing else
leads to; an end event follows every step that leads nowhere else. Where a step has
several ways out, an exclusive gateway decides between them: in BPMN, several plain
flows leaving a task would all be taken at once, which is not what a documented choice
means. Several flows into one step simply meet there (no joining gateway). A loop with
no way out gets no end event: the document says nothing about how it ends.

Where the shapes go (Graphviz positions, a band per department, flow routes) is
``app.rendering.bpmn_layout``'s part; this module builds the model and writes the XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field

from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.bpmn_layout import Box, layout, waypoints
from app.rendering.dot import hours_text
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


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _element(parent: ET.Element, tag: str, **attributes: str | None) -> ET.Element:
    values = {key: _text(value) for key, value in attributes.items() if value is not None}
    return ET.SubElement(parent, _q(tag), values)


def _documentation(parent: ET.Element, text: str | None) -> None:
    if text:
        _element(parent, "bpmn:documentation").text = _text(text)


def _bounds(parent: ET.Element, box: Box) -> None:
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
    pool, lanes, boxes = layout(model)
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
        route = waypoints(boxes[flow.source], boxes[flow.target], shown)
        for x, y in route:
            _element(edge, "di:waypoint", x=str(x), y=str(y))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8") + b"\n"
