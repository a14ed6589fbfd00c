"""Maps as DOT text: swimlanes, handoffs, markers, overlays, escaping and determinism."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain.processes.graph import version_graph
from app.domain.processes.yaml_format import load_process_file
from app.lib.errors import RenderError
from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.rendering.compare_map import diff_map_dot, side_by_side_dot
from app.rendering.output import MEDIA_TYPES, format_from_suffix, render
from app.rendering.process_map import FlowMetrics, ObservedFlow, Overlay, process_map_dot
from app.rendering.text import html_text, human_duration
from tests.conftest import ROOT

HOSTILE = "<script>alert(1)</script>"
ODD = 'Say "hi" {x} C:\\temp \\N\nsecond line'


def road(label: str = "as-is") -> ProcessGraph:
    return version_graph(load_process_file(ROOT / "processes" / "road-repair-request.yaml"), label)


def edge_line(dot: str, source: str, target: str) -> str:
    lines = [line for line in dot.splitlines() if f'"{source}" -> "{target}"' in line]
    assert len(lines) == 1, lines
    return lines[0]


def node_line(dot: str, node: str) -> str:
    lines = [line for line in dot.splitlines() if line.strip().startswith(f'"{node}" [')]
    assert len(lines) == 1, lines
    return lines[0]


def small_graph() -> ProcessGraph:
    return ProcessGraph(
        "demo",
        "as-is",
        [
            GraphStep("a", "Receive", "Front desk", owner="Clerk", system="Phone"),
            GraphStep("b", "Enter", "Front desk", owner="Clerk", manual_entry=True),
            GraphStep("c", "Enter", "Back office", owner="Officer"),
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


# --- the documented map -------------------------------------------------------------------


def test_each_department_is_a_swimlane_cluster_labelled_with_its_name() -> None:
    dot = process_map_dot(road())
    clusters = re.findall(r'subgraph "(cluster_[^"]+)"', dot)
    assert clusters == [
        "cluster_dept:contact-centre",
        "cluster_dept:roads-sidewalks",
        "cluster_dept:engineering",
    ]
    assert "<B>Roads &amp; Sidewalks</B>" in dot
    assert "rankdir=" in dot and '"LR"' in dot


def test_owned_handoffs_are_thick_blue_and_labelled_with_owner_and_standard() -> None:
    line = edge_line(
        process_map_dot(road()), "step:enter-details-roads", "step:verify-jurisdiction"
    )
    assert 'color="#1565c0"' in line and "penwidth=2.4" in line
    assert "owner: Roads Dispatch Supervisor" in line and "24 h standard" in line


def test_unowned_handoffs_are_red_dashed_and_say_so() -> None:
    line = edge_line(process_map_dot(road()), "step:enter-details-cc", "step:enter-details-roads")
    assert 'style="dashed"' in line and 'color="#c62828"' in line
    assert "unowned handoff" in line


def test_flows_inside_a_department_stay_thin_and_carry_only_their_standard() -> None:
    line = edge_line(process_map_dot(road()), "step:call-back", "step:close-request")
    assert "penwidth=1.2" in line and "4 h standard" in line and "owner" not in line


def test_duplicate_and_manual_entry_steps_are_marked_and_explained_in_the_legend() -> None:
    dot = process_map_dot(small_graph())
    back, front = node_line(dot, "step:c"), node_line(dot, "step:b")
    assert 'fillcolor="#ffe082"' in back and "also done by Front desk" in back
    assert "\u270e Enter" in front and "also done by Back office" in front
    assert "\u270e Receive" not in node_line(dot, "step:a")
    for text in ("data keyed in by hand", "same step in another department", "nobody owns"):
        assert text in dot


def test_self_flows_and_cycles_are_drawn() -> None:
    dot = process_map_dot(small_graph())
    assert edge_line(dot, "step:d", "step:d")
    assert edge_line(dot, "step:d", "step:b")


def test_a_version_without_steps_is_a_note_not_an_error() -> None:
    dot = process_map_dot(ProcessGraph("p", "empty"))
    assert '"note:empty"' in dot and "No steps documented" in dot


def test_a_dangling_flow_is_a_plain_sentence() -> None:
    graph = ProcessGraph("p", "v", [GraphStep("a", "A", "D")], [GraphFlow("a", "ghost")])
    with pytest.raises(RenderError, match="names step 'ghost', which it does not have"):
        process_map_dot(graph)


def test_the_dot_text_is_the_same_whatever_the_order_of_steps_and_flows() -> None:
    graph = road()
    dot = process_map_dot(graph)
    shuffled_steps, shuffled_flows = list(graph.steps), list(graph.flows)
    random.Random(7).shuffle(shuffled_steps)
    random.Random(8).shuffle(shuffled_flows)
    shuffled = replace(graph, steps=shuffled_steps, flows=shuffled_flows)
    assert process_map_dot(shuffled) == dot == process_map_dot(graph)


def test_five_hundred_steps_make_dot_text_quickly() -> None:
    dot = process_map_dot(big_graph())
    assert dot.count('"step:') >= 1000


def big_graph(size: int = 500) -> ProcessGraph:
    departments = [f"Department {n}" for n in range(8)]
    steps = [
        GraphStep(f"s{n}", f"Step {n}", departments[(n // 7) % 8], owner="Owner", system="S")
        for n in range(size)
    ]
    flows = [
        GraphFlow(f"s{n}", f"s{n + 1}", owner="Boss" if n % 9 else None) for n in range(size - 1)
    ]
    flows += [GraphFlow(f"s{n}", f"s{n - 30}") for n in range(40, size, 50)]
    return ProcessGraph("big", "v", steps, flows)


# --- escaping -------------------------------------------------------------------------------


def hostile_graph() -> ProcessGraph:
    return ProcessGraph(
        f'proc "{HOSTILE}"',
        "v\\1",
        [
            GraphStep('id "1"', HOSTILE, ODD, owner=ODD, system="a}b{c]d"),
            GraphStep("id\\2", ODD, "Plain", owner=HOSTILE),
        ],
        [GraphFlow('id "1"', "id\\2", owner=HOSTILE, standard_hours=2)],
    )


def test_user_text_is_escaped_in_html_labels() -> None:
    dot = process_map_dot(hostile_graph())
    assert "<script>" not in dot and "&lt;script&gt;alert(1)&lt;/script&gt;" in dot
    assert "Say &quot;hi&quot; {x} C:\\\\temp \\\\N<BR/>second line" in dot


def test_node_ids_are_quoted_slugs_even_for_odd_step_ids() -> None:
    dot = process_map_dot(hostile_graph())
    assert edge_line(dot, "step:id-1", "step:id-2")
    assert re.findall(r'^\s*"([^"]+)" \[', dot, re.MULTILINE) == ["step:id-1", "step:id-2"]


def test_html_text_wraps_long_names_at_words() -> None:
    assert html_text("Verify road jurisdiction with the regional office", 20) == (
        "Verify road<BR/>jurisdiction with<BR/>the regional office"
    )


# --- the mined overlay ------------------------------------------------------------------------


def overlay() -> Overlay:
    return Overlay(
        flows={
            ("a", "b"): FlowMetrics(100, 600, 1800, 0.01),
            ("b", "c"): FlowMetrics(90, 3 * 86_400, 6 * 86_400, 0.6),
            ("c", "d"): FlowMetrics(80, 5 * 3600, 9 * 3600, 0.1),
        },
        undocumented=[
            ObservedFlow("Decide", "Receive", FlowMetrics(5, 60)),
            ObservedFlow("c", "Phone the resident", FlowMetrics(3, None)),
        ],
        unseen_steps=frozenset({"a"}),
    )


def test_overlay_colours_flows_by_their_share_of_waiting_and_labels_the_waits() -> None:
    dot = process_map_dot(small_graph(), overlay())
    slow = edge_line(dot, "step:b", "step:c")
    assert 'color="#c62828"' in slow and "median 3.0 d" in slow and "p90 6.0 d" in slow
    assert "60% of all waiting" in slow and "unowned handoff" in slow
    assert 'color="#ef6c00"' in edge_line(dot, "step:c", "step:d")
    assert 'color="#90a4ae"' in edge_line(dot, "step:a", "step:b")
    assert 'style="dotted"' in edge_line(dot, "step:d", "step:b")
    assert "over 15% of all waiting" in dot and "mined overlay" in dot


def test_overlay_draws_undocumented_flows_dashed_and_greys_unseen_steps() -> None:
    dot = process_map_dot(small_graph(), overlay())
    back = edge_line(dot, "step:d", "step:a")
    assert 'style="dashed"' in back and "not documented" in back
    assert "not documented" in node_line(dot, "activity:phone-the-resident")
    assert edge_line(dot, "step:c", "activity:phone-the-resident")
    unseen = node_line(dot, "step:a")
    assert 'fillcolor="#eceff1"' in unseen and "not seen in the log" in unseen


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "60 min"), (3600, "1.0 h"), (90_000, "1.0 d")],
)
def test_human_durations(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


# --- comparing versions -----------------------------------------------------------------------


def test_diff_map_colours_removed_added_and_changed_steps_and_flows() -> None:
    dot = diff_map_dot(road("as-is"), road("option-a-crm"))
    assert 'fillcolor="#ffebee"' in node_line(dot, "step:verify-jurisdiction")  # removed
    changed = node_line(dot, "step:close-request")
    assert 'fillcolor="#fff8e1"' in changed and "moved from Contact Centre" in changed
    assert 'fillcolor="white"' in node_line(dot, "step:assign-crew")  # unchanged
    assert "72 h standard \u2192 48 h standard" in edge_line(
        dot, "step:assign-crew", "step:inspect-site"
    )
    assert 'color="#2e7d32"' in edge_line(dot, "step:repair-defect", "step:close-request")
    assert 'style="dashed"' in edge_line(dot, "step:update-work-order", "step:call-back")


def test_diff_map_matches_renamed_ids_by_name_and_department() -> None:
    before = ProcessGraph("p", "a", [GraphStep("old", "Enter", "D", owner="X")])
    after = ProcessGraph("p", "b", [GraphStep("new", "Enter", "D", owner="Y")])
    dot = diff_map_dot(before, after)
    assert '"step:old"' not in dot
    assert "changed: owner" in node_line(dot, "step:new")


def test_side_by_side_puts_each_version_in_its_own_frame_with_prefixed_ids() -> None:
    dot = side_by_side_dot(road("as-is"), road("option-b-web-form"))
    assert 'subgraph "cluster_before:version"' in dot and 'subgraph "cluster_after:version"' in dot
    assert '"before:step:receive"' in dot and '"after:step:submit-online"' in dot
    assert 'subgraph "cluster_before:dept:engineering"' in dot


# --- output helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.svg", "svg"), ("b.PNG", "png"), ("c.pdf", "pdf"), ("d.dot", "dot")]
)
def test_format_from_suffix(name: str, fmt: str) -> None:
    assert format_from_suffix(Path("out") / name) == fmt


@pytest.mark.parametrize("name", ["map.jpg", "map"])
def test_an_unknown_suffix_names_the_allowed_ones(name: str) -> None:
    with pytest.raises(RenderError, match=r"use \.svg, \.png, \.pdf, \.dot"):
        format_from_suffix(name)


def test_an_unknown_format_names_the_allowed_ones() -> None:
    with pytest.raises(
        RenderError, match="Cannot draw a map as 'gif': the formats are svg, png, pdf, dot"
    ):
        render("digraph {}", "gif")


def test_dot_format_is_the_text_itself_and_media_types_cover_every_format() -> None:
    assert render('digraph "g" {}', "dot") == b'digraph "g" {}'
    assert MEDIA_TYPES == {
        "svg": "image/svg+xml",
        "png": "image/png",
        "pdf": "application/pdf",
        "dot": "text/vnd.graphviz",
    }


def test_missing_graphviz_is_a_plain_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError) as raised:
        render(process_map_dot(small_graph()), "svg")
    assert str(raised.value) == (
        "Graphviz is not installed: install the Debian package `graphviz` "
        "(apt-get install graphviz) to draw maps."
    )
