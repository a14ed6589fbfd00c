"""The metric catalogue of improvement actions, read off small hand-made analysis documents."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.actions.metrics import METRICS, Subject, default_metric, read_metric
from app.lib.errors import InvalidRequest

DOC: dict[str, Any] = {
    "log": {"cases": 8},
    "handoffs": [
        {
            "from_department": "A",
            "to_department": "B",
            "count": 6,
            "median_wait_s": 5400.0,
            "p90_wait_s": 36000.0,
        }
    ],
    "pingpong": [{"from_department": "A", "to_department": "B", "cases": 2}],
    "rework": [{"activity": "Inspect", "department": "B", "cases": 3, "extra_executions": 4}],
    "cross_department_duplicates": [
        {"activity": "Enter", "departments": ["A", "B"], "cases": 1},
        {"activity": "Enter", "departments": ["A", "C"], "cases": 3},
    ],
    "activities": [
        {"activity": "Inspect", "cases": 4, "median_wait_before_s": 7200.0},
        {"activity": "Receive", "cases": 8, "median_wait_before_s": None},
    ],
    "conformance": {
        "service_standards": {
            "flows": [
                {"from_step": "receive", "to_step": "inspect", "share_met": 0.625},
                {"from_step": "inspect", "to_step": "repair", "share_met": None},
            ]
        }
    },
}
AB = Subject(from_department="A", to_department="B")
BA = Subject(from_department="B", to_department="A")


@pytest.mark.parametrize(
    ("metric", "subject", "value"),
    [
        ("handoff_volume", AB, 75.0),  # 6 handoffs in 8 cases
        ("handoff_median_wait", AB, 1.5),
        ("handoff_p90_wait", AB, 10.0),
        ("pingpong_cases", AB, 25.0),
        ("rework_share", Subject(activity="Inspect", department="B"), 75.0),  # 3 of 4
        ("rework_share", Subject(activity="Inspect", department="A"), 0.0),
        ("duplicate_cases", Subject(activity="Enter"), 50.0),  # 1 + 3 of 8
        ("step_median_wait", Subject(activity="Inspect"), 2.0),
        ("standard_share_met", Subject(from_step="receive", to_step="inspect"), 62.5),
    ],
)
def test_each_metric_reads_its_section(metric: str, subject: Subject, value: float) -> None:
    assert read_metric(metric, DOC, subject).value == value


def test_a_subject_that_is_gone_counts_zero_but_has_no_wait() -> None:
    assert read_metric("handoff_volume", DOC, BA).value == 0.0
    assert read_metric("pingpong_cases", DOC, BA).value == 0.0
    wait = read_metric("handoff_median_wait", DOC, BA)
    assert wait.value is None and wait.note is not None and "not observed" in wait.note.lower()
    assert read_metric("rework_share", DOC, Subject(activity="Gone", department="B")).value is None
    assert read_metric("step_median_wait", DOC, Subject(activity="Receive")).value is None
    flow = Subject(from_step="inspect", to_step="repair")
    assert read_metric("standard_share_met", DOC, flow).value is None


def test_no_case_means_not_observed_rather_than_a_division_by_zero() -> None:
    empty = {**DOC, "log": {"cases": 0}, "handoffs": []}
    assert read_metric("handoff_volume", empty, AB).value is None


def test_bad_metrics_and_subjects_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="no metric 'speed'"):
        read_metric("speed", DOC, AB)
    with pytest.raises(InvalidRequest, match="needs to_department"):
        read_metric("handoff_volume", DOC, Subject(from_department="A"))
    with pytest.raises(InvalidRequest, match="has no service standard"):
        read_metric("standard_share_met", DOC, Subject(from_step="x", to_step="y"))


def test_every_finding_kind_has_a_default_metric_with_a_direction() -> None:
    for kind in ("handoff", "pingpong", "rework", "duplicate", "step", "standard"):
        assert METRICS[default_metric(kind)].direction in ("lower", "higher")
    assert METRICS["standard_share_met"].direction == "higher"
