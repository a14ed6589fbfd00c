"""The metrics an improvement action can move, each read from the analysis document of
CONTRACT section 3 (``analyses.services.analysis``), so that a baseline and every
follow-up measure exactly the same thing.

A metric reads one *subject* (a department pair, an activity of a department, an
activity, a documented flow) out of one document. When the subject does not occur in the
document, a count-like metric is 0 (the handoff is gone) and a wait or share is
``None``: not observed, since a handoff that no longer happens has no wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from app.lib.errors import InvalidRequest

__all__ = [
    "METRICS",
    "Metric",
    "Reading",
    "Subject",
    "default_metric",
    "read_metric",
]

Direction = Literal["lower", "higher"]
HOUR_S = 3600.0


@dataclass(frozen=True)
class Subject:
    """What a finding points at; which fields count depends on the metric."""

    from_department: str | None = None
    to_department: str | None = None
    activity: str | None = None
    department: str | None = None
    from_step: str | None = None
    to_step: str | None = None


@dataclass(frozen=True)
class Reading:
    """A metric's value on one document, or None with the reason it was not observed."""

    value: float | None
    note: str | None = None


@dataclass(frozen=True)
class Metric:
    """One named metric: what it means, its unit, which way is better, what it needs."""

    name: str
    label: str
    unit: str
    direction: Direction
    needs: tuple[str, ...]
    """Subject fields that must be given."""
    definition: str
    read: Callable[[dict[str, Any], Subject], Reading]
    needs_process: bool = False


def _round(value: float) -> float:
    return round(value, 4)


def _pair_row(rows: list[dict[str, Any]], subject: Subject) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in rows
            if r["from_department"] == subject.from_department
            and r["to_department"] == subject.to_department
        ),
        None,
    )


def _per_100(document: dict[str, Any], count: float) -> Reading:
    cases = document["log"]["cases"]
    if not cases:
        return Reading(None, "No case passes the filters in this log.")
    return Reading(_round(100.0 * count / cases))


def _handoff_volume(document: dict[str, Any], subject: Subject) -> Reading:
    row = _pair_row(document["handoffs"], subject)
    reading = _per_100(document, row["count"] if row else 0)
    if row is None and reading.value is not None:
        return Reading(reading.value, "The handoff does not occur in this log.")
    return reading


def _handoff_wait(field: str) -> Callable[[dict[str, Any], Subject], Reading]:
    def read(document: dict[str, Any], subject: Subject) -> Reading:
        row = _pair_row(document["handoffs"], subject)
        if row is None:
            return Reading(None, "Not observed: the handoff does not occur in this log.")
        return Reading(_round(row[field] / HOUR_S))

    return read


def _pingpong(document: dict[str, Any], subject: Subject) -> Reading:
    row = _pair_row(document["pingpong"], subject)
    reading = _per_100(document, row["cases"] if row else 0)
    if row is None and reading.value is not None:
        return Reading(reading.value, "No case bounces between the two departments in this log.")
    return reading


def _rework_share(document: dict[str, Any], subject: Subject) -> Reading:
    activity = next(
        (a for a in document.get("activities", []) if a["activity"] == subject.activity), None
    )
    if activity is None or not activity["cases"]:
        return Reading(None, "Not observed: the activity does not occur in this log.")
    row = next(
        (
            r
            for r in document["rework"]
            if r["activity"] == subject.activity and r["department"] == subject.department
        ),
        None,
    )
    reworked = row["cases"] if row else 0
    return Reading(_round(100.0 * reworked / activity["cases"]))


def _duplicates(document: dict[str, Any], subject: Subject) -> Reading:
    cases = sum(
        r["cases"]
        for r in document["cross_department_duplicates"]
        if r["activity"] == subject.activity
    )
    reading = _per_100(document, cases)
    if not cases and reading.value is not None:
        return Reading(reading.value, "No case has the activity done by two departments.")
    return reading


def _step_wait(document: dict[str, Any], subject: Subject) -> Reading:
    row = next(
        (a for a in document.get("activities", []) if a["activity"] == subject.activity), None
    )
    if row is None or row.get("median_wait_before_s") is None:
        return Reading(None, "Not observed: no wait ends at the activity in this log.")
    return Reading(_round(row["median_wait_before_s"] / HOUR_S))


def _standard_share(document: dict[str, Any], subject: Subject) -> Reading:
    conformance = document.get("conformance")
    if conformance is None:
        return Reading(None, "The document has no conformance section.")
    flows = conformance.get("service_standards", {}).get("flows", [])
    row = next(
        (
            f
            for f in flows
            if f["from_step"] == subject.from_step and f["to_step"] == subject.to_step
        ),
        None,
    )
    if row is None:
        raise InvalidRequest(
            f"The documented flow {subject.from_step} -> {subject.to_step} has no service "
            "standard in this process version."
        )
    if row.get("share_met") is None:
        return Reading(None, "Not observed: no transition of the flow in this log.")
    return Reading(_round(100.0 * row["share_met"]))


PAIR = ("from_department", "to_department")
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "handoff_volume",
            "Handoffs per 100 cases",
            "per 100 cases",
            "lower",
            PAIR,
            "Transfers from one department to the other (handoffs.count) per 100 cases of "
            "the log (log.cases); 0 when the handoff no longer occurs.",
            _handoff_volume,
        ),
        Metric(
            "handoff_median_wait",
            "Median wait of the handoff",
            "hours",
            "lower",
            PAIR,
            "handoffs.median_wait_s of the pair, in hours; not observed when the handoff "
            "no longer occurs.",
            _handoff_wait("median_wait_s"),
        ),
        Metric(
            "handoff_p90_wait",
            "90th percentile wait of the handoff",
            "hours",
            "lower",
            PAIR,
            "handoffs.p90_wait_s of the pair, in hours; not observed when the handoff no "
            "longer occurs.",
            _handoff_wait("p90_wait_s"),
        ),
        Metric(
            "pingpong_cases",
            "Ping-pong cases per 100 cases",
            "per 100 cases",
            "lower",
            PAIR,
            "Cases handed over the pair twice or more (pingpong.cases) per 100 cases; 0 when none.",
            _pingpong,
        ),
        Metric(
            "rework_share",
            "Cases with the activity redone",
            "% of cases with the activity",
            "lower",
            ("activity", "department"),
            "rework.cases of the activity and department, as a percentage of the cases "
            "with the activity (activities.cases); not observed when the activity is gone.",
            _rework_share,
        ),
        Metric(
            "duplicate_cases",
            "Cases with the step done twice",
            "per 100 cases",
            "lower",
            ("activity",),
            "Cases in which two or more departments do the activity "
            "(cross_department_duplicates.cases, every set of departments) per 100 cases.",
            _duplicates,
        ),
        Metric(
            "step_median_wait",
            "Median wait before the step",
            "hours",
            "lower",
            ("activity",),
            "activities.median_wait_before_s of the activity (a step bottleneck), in "
            "hours; not observed when no wait ends at it.",
            _step_wait,
        ),
        Metric(
            "standard_share_met",
            "Transitions within the standard",
            "% of transitions",
            "higher",
            ("from_step", "to_step"),
            "conformance.service_standards.flows.share_met of the documented flow, as a "
            "percentage; needs the process (and version) the standard belongs to.",
            _standard_share,
            needs_process=True,
        ),
    )
}
"""The metric catalogue, by name."""

DEFAULTS = {
    "handoff": "handoff_median_wait",
    "pingpong": "pingpong_cases",
    "rework": "rework_share",
    "duplicate": "duplicate_cases",
    "step": "step_median_wait",
    "standard": "standard_share_met",
}
"""The metric a finding of each kind starts from."""


def default_metric(kind: str) -> str:
    """The metric a finding of this kind is measured by unless another is chosen.

    >>> default_metric("pingpong")
    'pingpong_cases'
    """
    return DEFAULTS[kind]


def read_metric(name: str, document: dict[str, Any], subject: Subject) -> Reading:
    """A metric's value on an analysis document.

    >>> doc = {"log": {"cases": 8}, "handoffs": [{"from_department": "A",
    ...        "to_department": "B", "count": 2, "median_wait_s": 7200.0}]}
    >>> read_metric("handoff_volume", doc, Subject("A", "B")).value
    25.0
    >>> read_metric("handoff_median_wait", doc, Subject("B", "A")).value is None
    True

    Raises:
        InvalidRequest: the metric is unknown, or its subject is incomplete.
    """
    metric = METRICS.get(name)
    if metric is None:
        raise InvalidRequest(f"There is no metric {name!r}; known: {', '.join(sorted(METRICS))}.")
    missing = [f for f in metric.needs if not getattr(subject, f)]
    if missing:
        raise InvalidRequest(f"The metric {name} needs {' and '.join(missing)}.")
    return metric.read(document, subject)
