"""As-is versus to-be: the comparison document of CONTRACT section 4.

Pure functions over ``ProcessGraph``. Steps are compared by **name** (the activity name
an event log uses, as CONTRACT section 4 says): a name in only one version is a removed
or added step. A name in both versions that changed is listed in ``changed_steps`` (an
addition to the contract document): where each version has the name once, every field
that differs is given as ``[old, new]`` (``department``, ``owner``, ``system``,
``manual_entry``, ``minutes``, ``cost``); where either version has the name more than
once (the same work done by several departments), only the sorted list of departments
doing it is compared (``departments``). Handoffs are compared as directed department
pairs ``[from_department, to_department]``. Every list is sorted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from app.lib.graph import GraphStep, ProcessGraph

__all__ = [
    "CYCLE_METRICS",
    "METRICS",
    "compare_versions",
    "handoff_pairs",
    "version_metrics",
]

METRICS = (
    "steps",
    "handoffs",
    "departments",
    "manual_entry_steps",
    "duplicate_steps",
    "unowned_handoffs",
    "hands_on_minutes",
    "cost",
)
"""The metrics of every version, in the order documents show them."""

CYCLE_METRICS = ("expected_cycle_hours", "expected_cycle_p90_hours")
"""The metrics added when expected cycle figures (from a log) are given."""

_STEP_FIELDS = ("department", "owner", "system", "manual_entry", "minutes", "cost")

Number = int | float


def _number(value: float) -> Number:
    """A figure without float noise: integral values as int, others to four decimals."""
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


def version_metrics(graph: ProcessGraph) -> dict[str, Number]:
    """The section 4 metrics of one version.

    Args:
        graph: the version.

    Returns:
        ``steps``, ``handoffs`` (flows between departments), ``departments``,
        ``manual_entry_steps``, ``duplicate_steps`` (names done by two or more
        departments), ``unowned_handoffs``, ``hands_on_minutes`` and ``cost`` (sums over
        steps, a missing figure counting 0).

    >>> from app.lib.graph import GraphFlow, GraphStep
    >>> g = ProcessGraph("p", "v", [GraphStep("a", "A", "X", minutes=5), GraphStep("b", "B", "Y")],
    ...                  [GraphFlow("a", "b")])
    >>> version_metrics(g)["handoffs"], version_metrics(g)["unowned_handoffs"]
    (1, 1)
    """
    handoffs = graph.handoffs()
    by_name: dict[str, set[str]] = defaultdict(set)
    for step in graph.steps:
        by_name[step.name].add(step.department)
    return {
        "steps": len(graph.steps),
        "handoffs": len(handoffs),
        "departments": len({s.department for s in graph.steps}),
        "manual_entry_steps": sum(s.manual_entry for s in graph.steps),
        "duplicate_steps": sum(len(departments) > 1 for departments in by_name.values()),
        "unowned_handoffs": sum(f.owner is None for f in handoffs),
        "hands_on_minutes": _number(sum(s.minutes or 0.0 for s in graph.steps)),
        "cost": _number(sum(s.cost or 0.0 for s in graph.steps)),
    }


def handoff_pairs(graph: ProcessGraph) -> list[tuple[str, str]]:
    """The distinct directed department pairs handed over in a version, sorted."""
    return sorted(
        {
            (graph.step(f.source).department, graph.step(f.target).department)
            for f in graph.handoffs()
        }
    )


def _cycle_metrics(figures: Mapping[str, float] | None) -> dict[str, Number | None]:
    """Expected cycle metrics from ``{"median_hours", "p90_hours"}`` (None: not known)."""
    if figures is None:
        return dict.fromkeys(CYCLE_METRICS)
    return {
        "expected_cycle_hours": _number(figures["median_hours"]),
        "expected_cycle_p90_hours": _number(figures["p90_hours"]),
    }


def _difference(old: Number | None, new: Number | None) -> Number | None:
    """``new - old``, or None when either is not known."""
    return None if old is None or new is None else _number(new - old)


def _changed_steps(before: ProcessGraph, after: ProcessGraph) -> list[dict[str, Any]]:
    """Steps named in both versions whose department, owner or figures differ."""
    old: dict[str, list[GraphStep]] = defaultdict(list)
    new: dict[str, list[GraphStep]] = defaultdict(list)
    for step in before.steps:
        old[step.name].append(step)
    for step in after.steps:
        new[step.name].append(step)
    changed = []
    for name in sorted(old.keys() & new.keys()):
        changes: dict[str, list[Any]] = {}
        if len(old[name]) == 1 and len(new[name]) == 1:
            a, b = old[name][0], new[name][0]
            for field in _STEP_FIELDS:
                if getattr(a, field) != getattr(b, field):
                    changes[field] = [getattr(a, field), getattr(b, field)]
        else:
            was = sorted({s.department for s in old[name]})
            now = sorted({s.department for s in new[name]})
            if was != now:
                changes["departments"] = [was, now]
        if changes:
            changed.append({"name": name, "changes": changes})
    return changed


def compare_versions(
    before: ProcessGraph,
    after: ProcessGraph,
    *,
    expected_cycle: tuple[Mapping[str, float] | None, Mapping[str, float] | None] | None = None,
) -> dict[str, Any]:
    """The comparison document of CONTRACT section 4: ``before`` (from) versus ``after`` (to).

    Args:
        before: the version compared from, usually the as-is.
        after: the version compared to, usually a to-be option.
        expected_cycle: expected cycle figures (``{"median_hours", "p90_hours"}``, as
            ``app.mining.analysis.cycle`` estimates them from a log) of each version, or
            None for a version without them; when given, the metrics gain
            ``expected_cycle_hours`` (the median) and ``expected_cycle_p90_hours``.

    Returns:
        ``{"from", "to", "delta", "diff"}``; ``delta`` is to minus from per metric (None
        where either side is not known); ``diff`` has ``removed_steps``,
        ``added_steps``, ``removed_handoffs``, ``added_handoffs`` and ``changed_steps``.
    """
    metrics: list[dict[str, Number | None]] = [dict(version_metrics(g)) for g in (before, after)]
    if expected_cycle is not None:
        for side, figures in zip(metrics, expected_cycle, strict=True):
            side.update(_cycle_metrics(figures))
    a, b = metrics
    delta = {key: _difference(a[key], b[key]) for key in a}
    old_names = {s.name for s in before.steps}
    new_names = {s.name for s in after.steps}
    old_pairs, new_pairs = set(handoff_pairs(before)), set(handoff_pairs(after))
    return {
        "from": {"label": before.version, "metrics": a},
        "to": {"label": after.version, "metrics": b},
        "delta": delta,
        "diff": {
            "removed_steps": sorted(old_names - new_names),
            "added_steps": sorted(new_names - old_names),
            "removed_handoffs": [list(p) for p in sorted(old_pairs - new_pairs)],
            "added_handoffs": [list(p) for p in sorted(new_pairs - old_pairs)],
            "changed_steps": _changed_steps(before, after),
        },
    }
