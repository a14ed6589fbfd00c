"""Where time goes: the wait before each activity, the time each department holds cases,
and bottlenecks ranked by their share of all waiting time.

A wait is the time between two consecutive events of a case. The wait *before* an
activity is the wait that ends at it. A department *holds* a case between two
consecutive events that it both did; the time between events of different departments
is a handoff wait. All waiting time is the sum of every wait of every case.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import Prepared

__all__ = [
    "ActivityRow",
    "BottleneckRow",
    "DepartmentRow",
    "Params",
    "activities",
    "bottlenecks",
    "departments",
]


@dataclass(frozen=True)
class Params:
    """``top``: how many bottlenecks to list."""

    top: int = 20


@dataclass(frozen=True)
class ActivityRow:
    """An activity: how often it happens and the wait before it."""

    activity: str
    events: int
    cases: int
    waits: int
    total_wait_before_s: float
    median_wait_before_s: float | None
    p90_wait_before_s: float | None


@dataclass(frozen=True)
class DepartmentRow:
    """A department: its volume and the time it holds cases between its own events."""

    department: str
    events: int
    cases: int
    handoffs_in: int
    handoffs_out: int
    holding_s: float
    median_holding_per_case_s: float | None


@dataclass(frozen=True)
class BottleneckRow:
    """A handoff (department pair) or a step (the wait before an activity), with its share
    of all waiting time."""

    kind: str
    name: str
    total_wait_s: float
    share: float
    cases: int


def activities(prepared: Prepared, params: Params) -> list[ActivityRow]:
    """Activities by total wait before them, largest first."""
    counts = prepared.events.group_by("activity").agg(
        pl.len().alias("events"), pl.col("case_id").n_unique().alias("cases")
    )
    waits = prepared.steps.group_by(pl.col("to_activity").alias("activity")).agg(
        pl.len().alias("waits"),
        pl.col("wait_s").sum().alias("total_wait_before_s"),
        pl.col("wait_s").quantile(0.5, "linear").alias("median_wait_before_s"),
        pl.col("wait_s").quantile(0.9, "linear").alias("p90_wait_before_s"),
    )
    table = (
        counts.join(waits, on="activity", how="left")
        .with_columns(pl.col("waits").fill_null(0), pl.col("total_wait_before_s").fill_null(0.0))
        .sort(["total_wait_before_s", "activity"], descending=[True, False])
    )
    return [ActivityRow(**row) for row in table.iter_rows(named=True)]


def departments(prepared: Prepared, params: Params) -> list[DepartmentRow]:
    """Departments by the time they hold cases, largest first."""
    counts = prepared.events.group_by("department").agg(
        pl.len().alias("events"), pl.col("case_id").n_unique().alias("cases")
    )
    inside = prepared.steps.filter(pl.col("from_department") == pl.col("to_department"))
    # in order of first appearance, so that the sum over cases adds them in one order
    # (floating-point sums differ in the last digit with the order)
    per_case = inside.group_by("to_department", "case_id", maintain_order=True).agg(
        pl.col("wait_s").sum()
    )
    holding = per_case.group_by(pl.col("to_department").alias("department")).agg(
        pl.col("wait_s").sum().alias("holding_s"),
        pl.col("wait_s").quantile(0.5, "linear").alias("median_holding_per_case_s"),
    )
    handoffs = prepared.handoffs
    ins = handoffs.group_by(pl.col("to_department").alias("department")).agg(
        pl.len().alias("handoffs_in")
    )
    outs = handoffs.group_by(pl.col("from_department").alias("department")).agg(
        pl.len().alias("handoffs_out")
    )
    table = (
        counts.join(ins, on="department", how="left")
        .join(outs, on="department", how="left")
        .join(holding, on="department", how="left")
        .with_columns(
            pl.col("handoffs_in").fill_null(0),
            pl.col("handoffs_out").fill_null(0),
            pl.col("holding_s").fill_null(0.0),
        )
        .sort(["holding_s", "department"], descending=[True, False])
        .select(list(DepartmentRow.__dataclass_fields__))
    )
    return [DepartmentRow(**row) for row in table.iter_rows(named=True)]


def bottlenecks(prepared: Prepared, params: Params) -> list[BottleneckRow]:
    """Handoffs and steps ranked by their share of all waiting time."""
    total = float(prepared.steps.get_column("wait_s").sum() or 0.0)
    handoffs = (
        prepared.handoffs.group_by("from_department", "to_department")
        .agg(pl.col("wait_s").sum().alias("total"), pl.col("case_id").n_unique().alias("cases"))
        .select(
            pl.lit("handoff").alias("kind"),
            pl.format("{} -> {}", "from_department", "to_department").alias("name"),
            "total",
            "cases",
        )
    )
    steps = (
        prepared.steps.group_by("to_activity")
        .agg(pl.col("wait_s").sum().alias("total"), pl.col("case_id").n_unique().alias("cases"))
        .select(
            pl.lit("step").alias("kind"),
            pl.col("to_activity").cast(pl.String).alias("name"),
            "total",
            "cases",
        )
    )
    table = (
        pl.concat([handoffs, steps])
        .filter(pl.col("total") > 0)
        .sort(["total", "kind", "name"], descending=[True, False, False])
        .head(params.top)
    )
    return [
        BottleneckRow(
            kind=row["kind"],
            name=row["name"],
            total_wait_s=row["total"],
            share=row["total"] / total if total else 0.0,
            cases=row["cases"],
        )
        for row in table.iter_rows(named=True)
    ]
