"""The figures of a department scorecard, read from analysis documents (CONTRACT section 3)
and from per-case facts of the same log.

Definitions (a period keeps the cases whose first event falls in it, as the analysis
filters do, so every figure counts whole cases):

- ``cases``, ``events``, ``handoffs_in``, ``handoffs_out``: the department's row of the
  document's ``departments`` section (cases touching it, its events, handoffs into and out
  of it).
- ``median_holding_hours``: that row's ``median_holding_per_case_s``: per case, the time
  between consecutive events that the department both did, summed; the median over the
  cases with such time. ``p90_holding_hours``: the 90th percentile of the same per-case
  sums (linear interpolation), which the document does not carry; computed from the log.
- ``standard_share``: handoffs into or out of the department checked against the service
  standards of a documented process (the document's ``conformance.service_standards``
  flows whose two departments differ and include it): met over observed.
- ``pingpong_rate``: the share of the department's cases in which a handoff into or out of
  it happened twice or more (the document's ping-pong rule, counted once per case).
- ``rework_rate``: extra executions of the department's activities (the document's
  ``rework`` rows of the department) over its events: the share of its work done again.
- ``unowned_handoffs``: documented handoffs touching the department without an owner
  (from the catalogue, not from the log).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "FIGURES",
    "department_key",
    "match_department",
    "percentile",
    "period_figures",
]

HOUR_S = 3600.0

FIGURES: dict[str, tuple[str, str]] = {
    "cases": ("Cases touching the department", "neutral"),
    "events": ("Events (work items) done", "neutral"),
    "handoffs_in": ("Handoffs received", "neutral"),
    "handoffs_out": ("Handoffs passed on", "neutral"),
    "median_holding_hours": ("Median hours holding a case", "lower"),
    "p90_holding_hours": ("90th percentile hours holding a case", "lower"),
    "standard_share": ("Share of handoffs meeting their standard", "higher"),
    "pingpong_rate": ("Share of cases with ping-pong", "lower"),
    "rework_rate": ("Share of work done again (rework)", "lower"),
    "unowned_handoffs": ("Documented handoffs without an owner", "lower"),
}
"""Every figure of a scorecard: its label and which direction is better."""


def department_key(name: str) -> str:
    """A department name folded for matching: case and spacing do not count.

    >>> department_key("  Roads &  sidewalks ")
    'roads & sidewalks'
    """
    return re.sub(r"\s+", " ", name).strip().casefold()


def match_department(name: str, known: Iterable[str]) -> str | None:
    """The name among ``known`` that is ``name`` up to case and spacing, if any.

    >>> match_department("contact  centre", ["Contact Centre", "Roads"])
    'Contact Centre'
    """
    wanted = department_key(name)
    return next((k for k in sorted(known) if department_key(k) == wanted), None)


def percentile(values: Sequence[float], share: float) -> float | None:
    """A percentile with linear interpolation (as polars' and numpy's default).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.9)
    3.7
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(seconds: float | None) -> float | None:
    return round(seconds / HOUR_S, 2) if seconds is not None else None


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def period_figures(
    document: Mapping[str, Any],
    department: str,
    holding_s: Sequence[float],
    pingpong_cases: int,
    unowned_handoffs: int | None,
) -> dict[str, Any]:
    """A department's figures over one period.

    Args:
        document: the analysis document of the period's cases.
        department: the department as the log names it.
        holding_s: the department's per-case holding times over the period (seconds).
        pingpong_cases: the period's cases with a repeated handoff into or out of it.
        unowned_handoffs: documented handoffs touching it without an owner (None: the
            catalogue does not know the department).
    """
    rows: list[Mapping[str, Any]] = document.get("departments", [])
    row: Mapping[str, Any] = next((r for r in rows if r["department"] == department), {})
    cases, events = int(row.get("cases", 0)), int(row.get("events", 0))
    extra = sum(
        r["extra_executions"] for r in document.get("rework", []) if r["department"] == department
    )
    standards = _standards(document, department)
    return {
        "cases": cases,
        "events": events,
        "handoffs_in": int(row.get("handoffs_in", 0)),
        "handoffs_out": int(row.get("handoffs_out", 0)),
        "median_holding_hours": _hours(row.get("median_holding_per_case_s")),
        "p90_holding_hours": _hours(percentile(holding_s, 0.9)),
        "standard_share": _share(standards[1], standards[0]),
        "standard_observed": standards[0],
        "standard_met": standards[1],
        "pingpong_cases": pingpong_cases,
        "pingpong_rate": _share(pingpong_cases, cases),
        "rework_extra_executions": extra,
        "rework_rate": _share(extra, events),
        "unowned_handoffs": unowned_handoffs,
    }


def _standards(document: Mapping[str, Any], department: str) -> tuple[int, int]:
    """Observed and met handoffs into or out of the department that have a standard."""
    conformance = document.get("conformance") or {}
    flows = (conformance.get("service_standards") or {}).get("flows", [])
    key = department_key(department)
    observed = met = 0
    for flow in flows:
        sides = (department_key(flow["from_department"]), department_key(flow["to_department"]))
        if sides[0] != sides[1] and key in sides:
            observed += flow["observed"]
            met += flow["met"]
    return observed, met
