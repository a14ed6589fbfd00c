"""Observed maps as DOT text: edge selection, measures, before/after and department maps."""

from __future__ import annotations

from typing import Any

import pytest

from app.lib.errors import RenderError
from app.rendering.customer_map import customer_map_dot
from app.rendering.mined_diff import mined_diff_dot
from app.rendering.mined_map import mined_map_dot, select_edges
from tests.unit.test_rendering import edge_line, node_line

ACTIVITIES = [
    {"activity": "Receive", "count": 100, "cases": 100},
    {"activity": "Check", "count": 120, "cases": 100},
    {"activity": "Decide <final>", "count": 100, "cases": 100},
]


def edge(source: str, target: str, count: int, median: float | None = 3600.0) -> dict[str, Any]:
    return {
        "from_activity": source,
        "to_activity": target,
        "count": count,
        "cases": count,
        "mean_wait_s": median,
        "median_wait_s": median,
        "p90_wait_s": median,
    }


EDGES = [
    edge("Receive", "Check", 100, 600),
    edge("Check", "Decide <final>", 80, 2 * 86_400),
    edge("Check", "Check", 20, 3600),
    edge("Decide <final>", "Receive", 2, 60),
]


def test_frequency_map_labels_counts_and_draws_start_and_end() -> None:
    mined = mined_map_dot(ACTIVITIES, EDGES, {"Receive": 100}, {"Decide <final>": 100})
    assert (mined.edges_shown, mined.edges_total) == (4, 4)
    line = edge_line(mined.dot, "act:receive", "act:check")
    assert 'label="100"' in line and "penwidth=6" in line
    assert edge_line(mined.dot, "pseudo:start", "act:receive")
    assert edge_line(mined.dot, "act:decide-final", "pseudo:end")
    assert "Decide &lt;final&gt;" in node_line(mined.dot, "act:decide-final")
    assert "showing 4 of 4 transitions" in mined.dot


def test_performance_map_labels_and_colours_median_waits() -> None:
    mined = mined_map_dot(ACTIVITIES, EDGES, {}, {}, measure="performance")
    slow = edge_line(mined.dot, "act:check", "act:decide-final")
    assert 'label="median 2.0 d"' in slow and 'color="#c62828"' in slow
    assert 'color="#78909c"' in edge_line(mined.dot, "act:receive", "act:check")


def test_keep_shows_the_busiest_edges_covering_that_share_without_orphans() -> None:
    kept = select_edges(EDGES, keep=50)
    assert [(e["from_activity"], e["to_activity"]) for e in kept] == [
        ("Receive", "Check"),
        ("Check", "Decide <final>"),
    ]
    mined = mined_map_dot(ACTIVITIES, EDGES, {}, {}, keep=50)
    assert (mined.edges_shown, mined.edges_total) == (2, 4)
    assert "showing 2 of 4 transitions" in mined.dot


def test_max_edges_caps_the_map_busiest_first() -> None:
    many = [edge(f"A{n}", f"A{n + 1}", 1000 - n) for n in range(450)]
    mined = mined_map_dot([], many, {}, {}, max_edges=200)
    assert (mined.edges_shown, mined.edges_total) == (200, 450)
    assert '"act:a199" -> "act:a200"' in mined.dot and '"act:a200" -> "act:a201"' not in mined.dot


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measure": "speed"}, "the measures are frequency, performance"),
        ({"keep": 0}, "keep must be a percentage above 0 and at most 100, not 0"),
        ({"max_edges": 0}, "max_edges must be at least 1, not 0"),
    ],
)
def test_bad_options_are_plain_sentences(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=message):
        mined_map_dot(ACTIVITIES, EDGES, {}, {}, **kwargs)


def test_departments_group_activities_into_clusters() -> None:
    departments = {"Receive": "Front", "Check": "Back", "Decide <final>": "Back"}
    dot = mined_map_dot(ACTIVITIES, EDGES, {}, {}, departments=departments).dot
    assert 'subgraph "cluster_dept:back"' in dot and 'subgraph "cluster_dept:front"' in dot


def test_mined_map_is_the_same_whatever_the_order_of_rows() -> None:
    forward = mined_map_dot(ACTIVITIES, EDGES, {"Receive": 1}, {}).dot
    backward = mined_map_dot(ACTIVITIES[::-1], EDGES[::-1], {"Receive": 1}, {}).dot
    assert forward == backward


def test_before_after_map_labels_volume_and_wait_changes() -> None:
    before = (ACTIVITIES, [edge("Receive", "Check", 100, 3.1 * 86_400), edge("Check", "Gone", 5)])
    after_edges = [
        edge("Receive", "Check", 112, 2.0 * 86_400),
        edge("Check", "Decide <final>", 50, 7200),
    ]
    mined = mined_diff_dot(before, (ACTIVITIES, after_edges))
    better = edge_line(mined.dot, "act:receive", "act:check")
    assert 'label="+12% vol, median 3.1 d \u2192 2.0 d"' in better and 'color="#2e7d32"' in better
    gone = edge_line(mined.dot, "act:check", "act:gone")
    assert 'style="dashed"' in gone and "only before: 5" in gone
    assert "only after: 50" in edge_line(mined.dot, "act:check", "act:decide-final")
    assert (mined.edges_shown, mined.edges_total) == (3, 3)


def test_before_after_map_marks_longer_waits_red() -> None:
    before = (ACTIVITIES, [edge("Receive", "Check", 100, 3600)])
    after = (ACTIVITIES, [edge("Receive", "Check", 50, 7200)])
    line = edge_line(mined_diff_dot(before, after).dot, "act:receive", "act:check")
    assert 'color="#c62828"' in line and "\u221250% vol" in line


HANDOFFS = [
    {
        "from_department": "Contact Centre",
        "to_department": "Roads & Sidewalks",
        "count": 900,
        "cases": 800,
        "total_wait_s": 9e6,
        "median_wait_s": 86_400.0,
        "p90_wait_s": 2e5,
    },
    {
        "from_department": "Roads & Sidewalks",
        "to_department": "Engineering",
        "count": 100,
        "cases": 90,
        "total_wait_s": 1e6,
        "median_wait_s": 3600.0,
        "p90_wait_s": 7200.0,
    },
]


def test_customer_map_from_analysis_handoffs_colours_by_share_of_waiting() -> None:
    departments = [{"department": "Contact Centre", "events": 12_345, "cases": 1000}]
    dot = customer_map_dot(departments, HANDOFFS)
    line = edge_line(dot, "dept:contact-centre", "dept:roads-sidewalks")
    assert 'color="#c62828"' in line and "900 handoffs" in line and "median 1.0 d" in line
    assert "90% of waiting" in line
    assert "12,345 events \u00b7 1,000 cases" in node_line(dot, "dept:contact-centre")
    assert "Roads &amp; Sidewalks" in node_line(dot, "dept:roads-sidewalks")


def test_customer_map_from_the_catalogue_needs_no_waits() -> None:
    rows = [{"from_department": "A", "to_department": "B", "count": 3}]
    line = edge_line(customer_map_dot([], rows), "dept:a", "dept:b")
    assert 'color="#1565c0"' in line and "3 handoffs" in line and "median" not in line
