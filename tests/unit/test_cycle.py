"""Expected cycle time by Monte Carlo: hand-computed cases, branches, fallbacks, seeds."""

from __future__ import annotations

import polars as pl
import pytest

from app.lib.graph import GraphFlow, GraphStep, ProcessGraph
from app.mining.analysis.cycle import expected_cycle
from app.mining.analysis.prepared import Prepared, prepare

HOUR_US = 3_600_000_000
STEP_OF = {"a": "A", "b": "B", "c": "C"}


def log(cases: list[list[tuple[str, str, float]]]) -> Prepared:
    """A prepared log from cases of (activity, department, hour of the event)."""
    rows = [
        {
            "case_id": f"c{n:03d}",
            "activity": activity,
            "department": department,
            "timestamp_us": int(hour * HOUR_US),
            "line": 0,
        }
        for n, case in enumerate(cases)
        for activity, department, hour in case
    ]
    schema = {
        "case_id": pl.String,
        "activity": pl.String,
        "department": pl.String,
        "timestamp_us": pl.Int64,
        "line": pl.Int64,
    }
    events = pl.DataFrame(rows, schema=schema).with_columns(pl.int_range(pl.len()).alias("line"))
    return prepare(events)


def linear(
    standard_ab: float | None = None, standard_bc: float | None = None, b_department: str = "Y"
) -> ProcessGraph:
    """A -> B -> C; A in X, B and C in ``b_department``."""
    return ProcessGraph(
        "p",
        "v",
        [
            GraphStep("a", "A", "X"),
            GraphStep("b", "B", b_department),
            GraphStep("c", "C", b_department),
        ],
        [
            GraphFlow("a", "b", standard_hours=standard_ab),
            GraphFlow("b", "c", standard_hours=standard_bc),
        ],
    )


def test_constant_waits_give_their_sum() -> None:
    # every case waits 2 h from A to B and 3 h from B to C: each simulated case takes 5 h
    prepared = log([[("a", "X", 0), ("b", "Y", 2), ("c", "Y", 5)]] * 5)
    estimate = expected_cycle(prepared, linear(), STEP_OF, runs=1_000)
    assert (estimate.median_hours, estimate.p90_hours, estimate.mean_hours) == (5.0, 5.0, 5.0)
    assert [(f.source, f.observations, f.probability, f.median_hours) for f in estimate.flows] == [
        ("mined", 5, 1.0, 2.0),
        ("mined", 5, 1.0, 3.0),
    ]
    assert estimate.capped == 0 and estimate.runs == 1_000 and estimate.seed == 0


def test_branch_shares_follow_the_log() -> None:
    # 6 of 8 cases go A -> B (1 h), 2 go A -> C (10 h): p(B) = 0.75
    # mean = 0.75 * 1 + 0.25 * 10 = 3.25; the median is 1 and the 90th percentile 10
    cases = [[("a", "X", 0), ("b", "Y", 1)]] * 6 + [[("a", "X", 0), ("c", "Y", 10)]] * 2
    graph = ProcessGraph(
        "p",
        "v",
        [GraphStep("a", "A", "X"), GraphStep("b", "B", "Y"), GraphStep("c", "C", "Y")],
        [GraphFlow("a", "b"), GraphFlow("a", "c")],
    )
    estimate = expected_cycle(log(cases), graph, STEP_OF, runs=20_000, seed=7, min_observations=2)
    assert [f.probability for f in estimate.flows] == [0.75, 0.25]
    assert (estimate.median_hours, estimate.p90_hours) == (1.0, 10.0)
    share_b = (10 - estimate.mean_hours) / 9  # mean = share_b * 1 + (1 - share_b) * 10
    assert share_b == pytest.approx(0.75, abs=0.01)


def test_unobserved_branches_are_uniform() -> None:
    graph = ProcessGraph(
        "p",
        "v",
        [GraphStep("a", "A", "X"), GraphStep("b", "B", "Y"), GraphStep("c", "C", "Y")],
        [GraphFlow("a", "b", standard_hours=2), GraphFlow("a", "c", standard_hours=4)],
    )
    estimate = expected_cycle(log([[("z", "X", 0)]]), graph, STEP_OF, runs=20_000)
    assert [f.probability for f in estimate.flows] == [0.5, 0.5]
    assert estimate.mean_hours == pytest.approx(3.0, abs=0.05)


def test_too_few_observations_fall_back_to_the_standard_then_the_estimate() -> None:
    # A -> B seen twice (< 5): its standard of 4 h; B -> C never seen, no standard: 6 h
    prepared = log([[("a", "X", 0), ("b", "Y", 1)]] * 2)
    estimate = expected_cycle(prepared, linear(standard_ab=4), STEP_OF, estimate_hours=6)
    assert [(f.source, f.observations, f.median_hours) for f in estimate.flows] == [
        ("standard", 2, 4.0),
        ("estimate", 0, 6.0),
    ]
    assert (estimate.median_hours, estimate.p90_hours) == (10.0, 10.0)


def test_waits_of_a_flow_that_moved_department_are_not_reused() -> None:
    # the log has B and C in department Y; the version moved them to Z
    prepared = log([[("a", "X", 0), ("b", "Y", 2), ("c", "Y", 5)]] * 5)
    moved = linear(standard_ab=1, standard_bc=1, b_department="Z")
    assert [f.source for f in expected_cycle(prepared, moved, STEP_OF).flows] == [
        "standard",
        "standard",
    ]
    by_name = expected_cycle(prepared, moved, STEP_OF, match_departments=False)
    assert [f.source for f in by_name.flows] == ["mined", "mined"]
    assert by_name.median_hours == 5.0


def test_same_seed_same_figures_and_loops_are_capped() -> None:
    cases = [[("a", "X", 0), ("b", "Y", h), ("c", "Y", h + h * h)] for h in range(1, 20)]
    first = expected_cycle(log(cases), linear(), STEP_OF, runs=5_000, seed=3)
    assert (
        first.as_dict()
        == expected_cycle(log(cases), linear(), STEP_OF, runs=5_000, seed=3).as_dict()
    )
    assert (
        first.median_hours
        != expected_cycle(log(cases), linear(), STEP_OF, runs=5_000, seed=4).median_hours
    )
    loop = ProcessGraph(
        "p",
        "v",
        [GraphStep("a", "A", "X"), GraphStep("b", "B", "X")],
        [GraphFlow("a", "b"), GraphFlow("b", "a")],
    )
    capped = expected_cycle(log([]), loop, STEP_OF, runs=100, max_steps=10, estimate_hours=1)
    assert (capped.capped, capped.median_hours) == (100, 10.0)


def test_a_version_without_flows_takes_no_time() -> None:
    graph = ProcessGraph("p", "v", [GraphStep("a", "A", "X")])
    assert expected_cycle(log([[("a", "X", 0)]]), graph, STEP_OF).median_hours == 0.0
    with pytest.raises(ValueError, match="runs"):
        expected_cycle(log([[("a", "X", 0)]]), graph, STEP_OF, runs=0)
