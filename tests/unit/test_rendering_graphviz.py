"""Maps drawn by Graphviz: formats, byte-identical output, escaping in SVG, size and speed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring

from app.domain.processes.graph import version_graph
from app.domain.processes.yaml_format import load_process_file
from app.lib.errors import RenderError
from app.lib.graph import ProcessGraph
from app.rendering.compare_map import diff_map_dot, side_by_side_dot
from app.rendering.customer_map import customer_map_dot
from app.rendering.mined_map import mined_map_dot
from app.rendering.output import render
from app.rendering.process_map import process_map_dot
from tests.conftest import ROOT
from tests.unit.test_rendering import big_graph, hostile_graph, overlay, road, small_graph
from tests.unit.test_rendering_mined import HANDOFFS

pytestmark = pytest.mark.graphviz
SVG = "{http://www.w3.org/2000/svg}"
SAMPLES = sorted((ROOT / "processes").glob("*.yaml"))


@pytest.mark.parametrize(
    ("fmt", "magic"), [("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")]
)
def test_each_format_renders_and_is_byte_identical_every_time(fmt: str, magic: bytes) -> None:
    dot = process_map_dot(road())
    first = render(dot, fmt)
    assert magic in first[:400]
    assert render(dot, fmt) == first


def test_pdf_carries_a_fixed_date_instead_of_the_clock() -> None:
    pdf = render(process_map_dot(road()), "pdf")
    assert b"/CreationDate (D:19700101000000" in pdf


def svg_texts(svg: bytes) -> list[str]:
    root = fromstring(svg)
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def test_hostile_labels_show_literally_in_svg() -> None:
    svg = render(process_map_dot(hostile_graph()), "svg")
    assert b"<script" not in svg and b"&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    texts = svg_texts(svg)
    assert "<script>alert(1)</script>" in texts
    assert 'Say "hi" {x} C:\\temp \\N' in texts and "second line" in texts
    assert "a}b{c]d" in texts


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_version_renders(path: Path) -> None:
    process = load_process_file(path)
    graphs = [version_graph(process, version.label) for version in process.versions]
    for graph in graphs:
        texts = svg_texts(render(process_map_dot(graph), "svg"))
        assert {step.department for step in graph.steps} <= set(texts)
    render(diff_map_dot(graphs[0], graphs[-1]), "svg")
    render(side_by_side_dot(graphs[0], graphs[-1]), "svg")


def test_overlay_customer_and_empty_maps_render() -> None:
    assert b"<svg" in render(process_map_dot(small_graph(), overlay()), "svg")
    assert b"<svg" in render(customer_map_dot([], HANDOFFS), "svg")
    assert "No steps documented" in svg_texts(
        render(process_map_dot(ProcessGraph("p", "v")), "svg")
    )


def test_five_hundred_steps_render_in_seconds() -> None:
    started = time.perf_counter()
    svg = render(process_map_dot(big_graph(500)), "svg")
    assert time.perf_counter() - started < 20
    assert svg.count(b'class="node"') == 500


def test_a_mined_map_of_450_edges_is_capped_and_renders() -> None:
    activities = [{"activity": f"A{n}", "count": 10, "cases": 5} for n in range(60)]
    edges: list[dict[str, Any]] = [
        {
            "from_activity": f"A{n % 60}",
            "to_activity": f"A{(n % 60 + 1 + n // 60) % 60}",
            "count": 1000 - n,
            "median_wait_s": float(n * 60),
        }
        for n in range(450)
    ]
    assert len({(e["from_activity"], e["to_activity"]) for e in edges}) == 450
    mined = mined_map_dot(activities, edges, {"A0": 5}, {"A59": 5}, measure="performance")
    assert (mined.edges_shown, mined.edges_total) == (200, 450)
    started = time.perf_counter()
    assert b"<svg" in render(mined.dot, "svg")
    assert time.perf_counter() - started < 30


def test_dot_syntax_errors_are_plain_sentences() -> None:
    with pytest.raises(RenderError, match=r"Graphviz could not draw the map: .*syntax error"):
        render("digraph { a -> }", "svg")
