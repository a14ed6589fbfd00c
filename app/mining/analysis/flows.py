"""What a log shows for each flow of a documented version: the figures a map overlays.

Each event is placed on a documented step: its activity's step name (the conformance
mapping) in its own department, else the first step of that name. Consecutive events of
a case on two steps are a transition of that pair of steps; a pair the version documents
is one of its flows, any other pair an undocumented flow. Each carries its count, median
and p90 wait, and its share of all waiting time in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from app.lib.graph import ProcessGraph
from app.mining.analysis.prepared import Prepared

__all__ = ["FlowFigures", "flow_figures"]


@dataclass(frozen=True)
class FlowFigures:
    """Per documented flow and per undocumented transition: count and waits; and the
    documented steps the log never shows."""

    flows: list[dict[str, Any]]
    undocumented: list[dict[str, Any]]
    unseen_steps: list[str]


def _step_table(graph: ProcessGraph, step_of: dict[str, str]) -> pl.DataFrame:
    """activity, department, step id: in the step's department first, then any."""
    rows: list[tuple[str, str | None, str]] = []
    for activity, name in step_of.items():
        named = [s for s in graph.steps if s.name == name]
        rows.extend((activity, s.department, s.id) for s in named)
        if named:
            rows.append((activity, None, named[0].id))
    return pl.DataFrame(
        rows,
        schema={"activity": pl.String, "department": pl.String, "step": pl.String},
        orient="row",
    )


def _place(frame: pl.DataFrame, table: pl.DataFrame, side: str) -> pl.DataFrame:
    exact = table.filter(pl.col("department").is_not_null()).rename(
        {
            "activity": f"{side}_activity",
            "department": f"{side}_department",
            "step": f"{side}_exact",
        }
    )
    loose = (
        table.filter(pl.col("department").is_null())
        .drop("department")
        .rename({"activity": f"{side}_activity", "step": f"{side}_loose"})
    )
    placed = frame.join(exact, on=[f"{side}_activity", f"{side}_department"], how="left").join(
        loose, on=f"{side}_activity", how="left"
    )
    return placed.with_columns(
        pl.coalesce(f"{side}_exact", f"{side}_loose").alias(f"{side}_step")
    ).drop(f"{side}_exact", f"{side}_loose")


def flow_figures(prepared: Prepared, graph: ProcessGraph, step_of: dict[str, str]) -> FlowFigures:
    """The log's figures for each documented flow, the undocumented transitions between
    documented steps, and the steps never seen.

    Args:
        prepared: the log.
        graph: the documented version.
        step_of: log activity to documented step name (the conformance mapping).
    """
    table = _step_table(graph, step_of)
    steps = _place(_place(prepared.steps, table, "from"), table, "to")
    total = float(prepared.steps.get_column("wait_s").sum() or 0.0)
    placed = steps.filter(pl.col("from_step").is_not_null() & pl.col("to_step").is_not_null())
    figures = (
        placed.group_by("from_step", "to_step")
        .agg(
            pl.len().alias("count"),
            pl.col("wait_s").quantile(0.5, "linear").alias("median_wait_s"),
            pl.col("wait_s").quantile(0.9, "linear").alias("p90_wait_s"),
            pl.col("wait_s").sum().alias("total_wait_s"),
        )
        .with_columns(
            (pl.col("total_wait_s") / total if total else pl.lit(None, pl.Float64)).alias(
                "wait_share"
            )
        )
        .sort(["count", "from_step", "to_step"], descending=[True, False, False])
    )
    documented = {(f.source, f.target) for f in graph.flows}
    flows: list[dict[str, Any]] = []
    undocumented: list[dict[str, Any]] = []
    for row in figures.iter_rows(named=True):
        pair = (row["from_step"], row["to_step"])
        (flows if pair in documented else undocumented).append(row)
    seen = set(
        pl.concat([placed.get_column("from_step"), placed.get_column("to_step")]).to_list()
    ) | set(
        _place(
            prepared.events.select(
                pl.col("activity").alias("from_activity"),
                pl.col("department").alias("from_department"),
            ),
            table,
            "from",
        )
        .get_column("from_step")
        .drop_nulls()
        .to_list()
    )
    return FlowFigures(
        flows=flows,
        undocumented=undocumented,
        unseen_steps=sorted(s.id for s in graph.steps if s.id not in seen),
    )
