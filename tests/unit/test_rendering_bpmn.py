"""BPMN 2.0 export: structure bpmn.io reads, lanes per department, layout, escaping, determinism."""

from __future__ import annotations

import random
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from app.domain.processes.graph import version_graph
from app.domain.processes.yaml_format import load_process_file
from app.lib.errors import RenderError
from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.bpmn import NAMESPACES, bpmn_xml
from tests.conftest import ROOT

pytestmark = pytest.mark.graphviz

BPMN = "{" + NAMESPACES["bpmn"] + "}"
BPMNDI = "{" + NAMESPACES["bpmndi"] + "}"
DC = "{" + NAMESPACES["dc"] + "}"
DI = "{" + NAMESPACES["di"] + "}"
FLOW_NODES = ("startEvent", "endEvent", "task", "exclusiveGateway")
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
HOSTILE = "<script>alert(1)</script> & \"quotes\" 'single' ]]> \\N\nsecond line"
SAMPLES = sorted((ROOT / "processes").glob("*.yaml"))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    def inside(self, outer: Box) -> bool:
        return (
            self.x >= outer.x
            and self.y >= outer.y
            and self.x + self.width <= outer.x + outer.width
            and self.y + self.height <= outer.y + outer.height
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


def bounds(shape: ET.Element) -> Box:
    found = shape.find(f"{DC}Bounds")
    assert found is not None
    return Box(*(float(found.attrib[key]) for key in ("x", "y", "width", "height")))


def check(xml: bytes, graph: ProcessGraph) -> ET.Element:
    """Assert everything bpmn.io needs and the export promises; return the parsed root."""
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root: ET.Element = fromstring(xml)
    assert root.tag == f"{BPMN}definitions" and root.attrib["targetNamespace"]
    ids = [element.attrib["id"] for element in root.iter() if "id" in element.attrib]
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(NCNAME.match(element_id) for element_id in ids), ids
    (collaboration,) = root.findall(f"{BPMN}collaboration")
    (participant,) = collaboration.findall(f"{BPMN}participant")
    (process,) = root.findall(f"{BPMN}process")
    assert participant.attrib["processRef"] == process.attrib["id"]

    nodes = {n.attrib["id"]: n for kind in FLOW_NODES for n in process.findall(f"{BPMN}{kind}")}
    flows = {f.attrib["id"]: f for f in process.findall(f"{BPMN}sequenceFlow")}
    tasks = process.findall(f"{BPMN}task")
    assert sorted(t.attrib["name"] for t in tasks) == sorted(s.name for s in graph.steps)
    assert len(process.findall(f"{BPMN}startEvent")) == 1
    for flow_id, flow in flows.items():
        source, target = flow.attrib["sourceRef"], flow.attrib["targetRef"]
        assert source in nodes and target in nodes
        assert flow_id in [ref.text for ref in nodes[source].findall(f"{BPMN}outgoing")]
        assert flow_id in [ref.text for ref in nodes[target].findall(f"{BPMN}incoming")]
    for node_id, node in nodes.items():
        for direction, end in (("incoming", "targetRef"), ("outgoing", "sourceRef")):
            refs = [ref.text for ref in node.findall(f"{BPMN}{direction}")]
            assert len(refs) == len(set(refs))
            assert all(ref in flows and flows[ref].attrib[end] == node_id for ref in refs)

    (lane_set,) = process.findall(f"{BPMN}laneSet")
    lanes = lane_set.findall(f"{BPMN}lane")
    members = {
        lane.attrib["id"]: [r.text for r in lane.findall(f"{BPMN}flowNodeRef")] for lane in lanes
    }
    every_ref = [ref for refs in members.values() for ref in refs]
    assert len(every_ref) == len(set(every_ref)) and set(every_ref) <= set(nodes)
    for lane in lanes:
        department = lane.attrib["name"]
        refs = members[lane.attrib["id"]]
        in_lane = [nodes[ref].attrib["name"] for ref in refs if nodes[ref].tag == f"{BPMN}task"]
        assert sorted(in_lane) == sorted(s.name for s in graph.steps if s.department == department)
    assert sorted(lane.attrib["name"] for lane in lanes) == sorted(
        {s.department for s in graph.steps}
    )
    if graph.steps:
        assert set(every_ref) == set(nodes), "every node lies in a lane"

    (diagram,) = root.findall(f"{BPMNDI}BPMNDiagram")
    (plane,) = diagram.findall(f"{BPMNDI}BPMNPlane")
    assert plane.attrib["bpmnElement"] == collaboration.attrib["id"]
    shapes: dict[str, list[ET.Element]] = {}
    for shape in plane.findall(f"{BPMNDI}BPMNShape"):
        shapes.setdefault(shape.attrib["bpmnElement"], []).append(shape)
    assert set(shapes) == {participant.attrib["id"], *members, *nodes}
    assert all(len(found) == 1 for found in shapes.values())
    pool = bounds(shapes[participant.attrib["id"]][0])
    assert shapes[participant.attrib["id"]][0].attrib["isHorizontal"] == "true"
    lane_boxes = {lane_id: bounds(shapes[lane_id][0]) for lane_id in members}
    for lane_id, box in lane_boxes.items():
        assert shapes[lane_id][0].attrib["isHorizontal"] == "true"
        assert box.inside(pool) and box.width > 0 and box.height > 0
    for first, second in zip(
        sorted(lane_boxes.values(), key=lambda b: b.y),
        sorted(lane_boxes.values(), key=lambda b: b.y)[1:],
        strict=False,
    ):
        assert first.y + first.height <= second.y, "lanes do not overlap"
    node_boxes = {node_id: bounds(shapes[node_id][0]) for node_id in nodes}
    for box in node_boxes.values():
        assert box.width > 0 and box.height > 0 and box.inside(pool)
    for lane_id, refs in members.items():
        for ref in refs:
            assert node_boxes[ref].inside(lane_boxes[lane_id]), (ref, lane_id)
    placed = sorted(node_boxes.items())
    for index, (first_id, first) in enumerate(placed):
        for second_id, second in placed[index + 1 :]:
            assert not first.overlaps(second), (first_id, second_id)

    edges = {e.attrib["bpmnElement"]: e for e in plane.findall(f"{BPMNDI}BPMNEdge")}
    assert set(edges) == set(flows)
    for edge in edges.values():
        assert len(edge.findall(f"{DI}waypoint")) >= 2
    return root


def road() -> ProcessGraph:
    return version_graph(
        load_process_file(ROOT / "processes" / "road-repair-request.yaml"), "as-is"
    )


def small_graph(name: str = "Receive") -> ProcessGraph:
    return ProcessGraph(
        "demo",
        "as-is",
        [
            GraphStep("a", name, "Front desk", owner="Clerk", system="Phone"),
            GraphStep("b", "Enter", "Front desk", owner="Clerk", manual_entry=True),
            GraphStep("c", "Review", "Back office", owner="Officer"),
            GraphStep("d", "Decide", "Back office", owner="Manager"),
        ],
        [
            GraphFlow("a", "b", standard_hours=1),
            GraphFlow("b", "c", owner=None, standard_hours=24),
            GraphFlow("c", "d", owner="Manager"),
            GraphFlow("d", "b", owner="Clerk", standard_hours=4),
            GraphFlow("d", "d"),
        ],
    )


def element(root: ET.Element, tag: str, element_id: str) -> ET.Element:
    found = [e for e in root.iter(f"{BPMN}{tag}") if e.attrib["id"] == element_id]
    assert len(found) == 1, element_id
    return found[0]


def flow_pairs(root: ET.Element) -> set[tuple[str, str]]:
    return {
        (f.attrib["sourceRef"], f.attrib["targetRef"]) for f in root.iter(f"{BPMN}sequenceFlow")
    }


# --- structure ---------------------------------------------------------------------------


def test_a_version_becomes_one_pool_with_a_lane_per_department() -> None:
    root = check(bpmn_xml(road()), road())
    lanes = [lane.attrib["name"] for lane in root.iter(f"{BPMN}lane")]
    assert lanes == ["Contact Centre", "Roads & Sidewalks", "Engineering"]
    task = element(root, "task", "Task_receive")
    assert task.attrib["name"] == "Receive call"
    documentation = task.find(f"{BPMN}documentation")
    assert documentation is not None and documentation.text is not None
    assert "Owner: Customer Service Representative" in documentation.text
    assert "System: Phone" in documentation.text


def test_start_leads_to_the_first_step_and_an_end_follows_the_last() -> None:
    root = check(bpmn_xml(road()), road())
    pairs = flow_pairs(root)
    assert ("StartEvent_1", "Task_receive") in pairs
    ends = [e.attrib["id"] for e in root.iter(f"{BPMN}endEvent")]
    assert ends == ["EndEvent_close-request"]
    assert ("Task_close-request", "EndEvent_close-request") in pairs


def test_handoffs_are_named_with_their_owner_and_standard() -> None:
    root = check(bpmn_xml(small_graph()), small_graph())
    names = {
        (f.attrib["sourceRef"], f.attrib["targetRef"]): f.attrib.get("name")
        for f in root.iter(f"{BPMN}sequenceFlow")
    }
    assert names[("Task_a", "Task_b")] == "1 h standard"
    assert names[("Task_b", "Task_c")] == "unowned handoff · 24 h standard"
    assert names[("Gateway_d", "Task_b")] == "owner: Clerk · 4 h standard"
    assert names[("Task_c", "Task_d")] is None  # same department, no standard


def test_several_ways_out_of_a_step_go_through_an_exclusive_gateway() -> None:
    root = check(bpmn_xml(small_graph()), small_graph())
    gateway = element(root, "exclusiveGateway", "Gateway_d")
    assert len(gateway.findall(f"{BPMN}outgoing")) == 2
    assert {("Task_d", "Gateway_d"), ("Gateway_d", "Task_b"), ("Gateway_d", "Task_d")} <= (
        flow_pairs(root)
    )
    shape = [s for s in root.iter(f"{BPMNDI}BPMNShape") if s.attrib["bpmnElement"] == "Gateway_d"]
    assert shape[0].attrib["isMarkerVisible"] == "true"


def test_a_step_looping_to_itself_and_otherwise_ending_gets_a_gateway_and_an_end() -> None:
    graph = ProcessGraph("p", "v", [GraphStep("a", "Retry", "Desk")], [GraphFlow("a", "a")])
    root = check(bpmn_xml(graph), graph)
    assert flow_pairs(root) == {
        ("StartEvent_1", "Task_a"),
        ("Task_a", "Gateway_a"),
        ("Gateway_a", "Task_a"),
        ("Gateway_a", "EndEvent_a"),
    }


def test_a_pure_cycle_starts_at_its_first_step_and_has_no_end() -> None:
    graph = ProcessGraph(
        "p",
        "v",
        [GraphStep("b", "B", "Y"), GraphStep("a", "A", "X"), GraphStep("c", "C", "X")],
        [GraphFlow("a", "b"), GraphFlow("b", "c"), GraphFlow("c", "a")],
    )
    root = check(bpmn_xml(graph), graph)
    assert ("StartEvent_1", "Task_a") in flow_pairs(root)
    assert list(root.iter(f"{BPMN}endEvent")) == []


def test_several_entry_steps_are_chosen_between_by_a_gateway_after_the_start() -> None:
    graph = ProcessGraph(
        "p",
        "v",
        [
            GraphStep("web", "Web form", "Desk"),
            GraphStep("phone", "Call", "Desk"),
            GraphStep("log", "Log", "Office"),
            GraphStep("x", "X", "Office"),
            GraphStep("y", "Y", "Office"),
        ],
        [
            GraphFlow("web", "log"),
            GraphFlow("phone", "log"),
            GraphFlow("x", "y"),
            GraphFlow("y", "x"),
        ],
    )
    root = check(bpmn_xml(graph), graph)
    pairs = flow_pairs(root)
    assert ("StartEvent_1", "Gateway_start") in pairs
    # the two entry steps, then the cycle only reachable from itself
    assert {target for source, target in pairs if source == "Gateway_start"} == {
        "Task_web",
        "Task_phone",
        "Task_x",
    }


def test_a_version_without_steps_goes_from_start_to_end() -> None:
    graph = ProcessGraph("empty", "draft")
    root = check(bpmn_xml(graph), graph)
    assert flow_pairs(root) == {("StartEvent_1", "EndEvent_1")}
    assert list(root.iter(f"{BPMN}task")) == []


def test_ids_are_unique_ncnames_even_when_step_ids_slug_alike() -> None:
    graph = ProcessGraph(
        "1 weird/process",
        "v",
        [
            GraphStep("A b", "One", "D 1"),
            GraphStep("a-b", "Two", "d-1"),
            GraphStep("2nd", "Three", "é"),
        ],
        [GraphFlow("A b", "a-b"), GraphFlow("a-b", "2nd")],
    )
    root = check(bpmn_xml(graph), graph)
    tasks = sorted(t.attrib["id"] for t in root.iter(f"{BPMN}task"))
    assert tasks == ["Task_2nd", "Task_a-b", "Task_a-b-2"]
    assert sorted(lane.attrib["id"] for lane in root.iter(f"{BPMN}lane")) == [
        "Lane_d-1",
        "Lane_d-1-2",
        "Lane_e",
    ]


def test_a_dangling_flow_is_a_plain_sentence() -> None:
    graph = ProcessGraph("p", "v", [GraphStep("a", "A", "D")], [GraphFlow("a", "ghost")])
    with pytest.raises(RenderError, match="names step 'ghost', which it does not have"):
        bpmn_xml(graph)


# --- escaping and determinism -------------------------------------------------------------


def test_hostile_names_round_trip_through_the_xml() -> None:
    graph = ProcessGraph(
        HOSTILE,
        HOSTILE,
        [
            GraphStep(HOSTILE, HOSTILE, HOSTILE, owner=HOSTILE, system="a\x01b"),
            GraphStep("b", "B", "Other"),
        ],
        [GraphFlow(HOSTILE, "b", owner=HOSTILE)],
    )
    xml = bpmn_xml(graph)
    assert b"<script>" not in xml
    root = check(xml, graph)
    (task,) = [t for t in root.iter(f"{BPMN}task") if t.attrib["name"] != "B"]
    assert task.attrib["name"] == HOSTILE
    lanes = {lane.attrib["name"] for lane in root.iter(f"{BPMN}lane")}
    assert HOSTILE in lanes
    flow_names = {f.attrib.get("name") for f in root.iter(f"{BPMN}sequenceFlow")}
    assert f"owner: {HOSTILE}" in flow_names
    (participant,) = root.iter(f"{BPMN}participant")
    assert participant.attrib["name"] == f"{HOSTILE} · {HOSTILE}"


def test_characters_xml_cannot_carry_become_spaces() -> None:
    graph = ProcessGraph("p", "v", [GraphStep("a", "Bell\x07 and\x00 nul", "D\x1b")])
    root = check(
        bpmn_xml(graph), graph.__class__("p", "v", [GraphStep("a", "Bell  and  nul", "D ")])
    )
    assert next(root.iter(f"{BPMN}task")).attrib["name"] == "Bell  and  nul"


def test_the_same_version_gives_the_same_bytes_whatever_the_order_of_its_lists() -> None:
    graph = small_graph()
    shuffled = ProcessGraph(
        graph.process,
        graph.version,
        random.Random(7).sample(graph.steps, len(graph.steps)),
        random.Random(8).sample(graph.flows, len(graph.flows)),
    )
    first = bpmn_xml(graph)
    assert bpmn_xml(graph) == first
    assert bpmn_xml(shuffled) == first


def test_missing_graphviz_is_the_same_plain_sentence_as_for_maps(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError) as raised:
        bpmn_xml(small_graph())
    assert str(raised.value) == (
        "Graphviz is not installed: install the Debian package `graphviz` "
        "(apt-get install graphviz) to draw maps."
    )


# --- layout ------------------------------------------------------------------------------


def test_the_layout_reads_left_to_right() -> None:
    root = check(bpmn_xml(road()), road())
    shapes = {s.attrib["bpmnElement"]: bounds(s) for s in root.iter(f"{BPMNDI}BPMNShape")}
    assert shapes["StartEvent_1"].x < shapes["Task_receive"].x < shapes["Task_call-back"].x
    assert shapes["Task_call-back"].x < shapes["EndEvent_close-request"].x


def test_random_graphs_keep_every_shape_in_its_lane_and_apart() -> None:
    rng = random.Random(20240611)
    for _ in range(25):
        size = rng.randint(1, 14)
        steps = [GraphStep(f"s{i}", f"Step {i}", f"Dept {rng.randint(1, 4)}") for i in range(size)]
        pairs = {
            (rng.randrange(size), rng.randrange(size)) for _ in range(rng.randint(0, 2 * size))
        }
        flows = [GraphFlow(f"s{a}", f"s{b}") for a, b in sorted(pairs)]
        graph = ProcessGraph("random", "v", steps, flows)
        check(bpmn_xml(graph), graph)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_version_of_every_sample_process_exports_cleanly(path: Path) -> None:
    process = load_process_file(path)
    assert process.versions
    for version in process.versions:
        graph = version_graph(process, version.label)
        started = time.perf_counter()
        xml = bpmn_xml(graph)
        assert time.perf_counter() - started < 5
        check(xml, graph)
