"""Fitness of a log against a documented version, by pm4py's token-based replay and, on
small logs, alignments.

The documented version becomes a Petri net through pm4py's directly-follows conversion:
each step name a transition, each documented flow an arc of the graph, the steps without
an incoming flow its start and those without an outgoing flow its end. The log's events
are renamed to the documented steps they map to (events that map to no step are left
out, and counted). Replay runs once per distinct variant and is weighted by how many
cases follow it, which gives pm4py's own log fitness at a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pm4py
import polars as pl

from app.lib.graph import ProcessGraph

__all__ = ["ALIGNMENT_LIMITS", "Fitness", "replay_fitness"]

ALIGNMENT_LIMITS = {"variants": 200, "events_per_variant": 60, "transitions": 80}
"""Alignments are exact but exponential in the worst case: they run only within these."""


@dataclass(frozen=True)
class Fitness:
    """Token-based replay figures (pm4py's definitions), and alignments where computed."""

    log_fitness: float | None
    fitting_cases_share: float | None
    cases_replayed: int
    variants_replayed: int
    events_left_out: int
    alignment_fitness: float | None
    alignments: str


def _variants(events: pl.DataFrame) -> pl.DataFrame:
    """``steps`` (a list) and ``cases`` per distinct sequence of mapped steps."""
    traces = events.group_by("case_id", maintain_order=True).agg(pl.col("step"))
    return (
        traces.group_by("step")
        .agg(pl.len().alias("cases"))
        .sort(["cases", "step"], descending=[True, False])
    )


def _frame(variants: pl.DataFrame) -> pd.DataFrame:
    """One case per variant, named so that pm4py keeps them in this order."""
    rows: dict[str, list[Any]] = {"case:concept:name": [], "concept:name": []}
    for number, steps in enumerate(variants.get_column("step").to_list()):
        rows["case:concept:name"].extend([f"v{number:07d}"] * len(steps))
        rows["concept:name"].extend(steps)
    frame = pd.DataFrame(rows)
    frame["time:timestamp"] = pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(
        range(len(frame)), unit="s"
    )
    return frame


def _net(graph: ProcessGraph) -> tuple[Any, Any, Any]:
    names = {s.id: s.name for s in graph.steps}
    dfg = {(names[f.source], names[f.target]): 1 for f in graph.flows}
    targets = {f.target for f in graph.flows}
    sources = {f.source for f in graph.flows}
    starts = {s.name: 1 for s in graph.steps if s.id not in targets} or {graph.steps[0].name: 1}
    ends = {s.name: 1 for s in graph.steps if s.id not in sources} or {graph.steps[-1].name: 1}
    return pm4py.convert_to_petri_net(dfg, starts, ends)  # type: ignore[no-any-return]


def replay_fitness(events: pl.DataFrame, graph: ProcessGraph, step_of: dict[str, str]) -> Fitness:
    """Replay the log's cases on the documented version.

    Args:
        events: the prepared events (case_id, activity) in case and time order.
        graph: the documented version.
        step_of: log activity to documented step name (the conformance mapping).
    """
    table = pl.DataFrame(
        {"activity": list(step_of), "step": list(step_of.values())},
        schema={"activity": pl.String, "step": pl.String},
    )
    mapped = events.select("case_id", "activity").join(
        table, on="activity", how="left", maintain_order="left"
    )
    kept = mapped.filter(pl.col("step").is_not_null())
    left_out = mapped.height - kept.height
    if kept.height == 0 or not graph.steps:
        return Fitness(None, None, 0, 0, left_out, None, "no event maps to a documented step")
    variants = _variants(kept)
    counts = variants.get_column("cases").to_list()
    frame = _frame(variants)
    net, initial, final = _net(graph)
    replayed = pm4py.conformance_diagnostics_token_based_replay(frame, net, initial, final)
    sums = {"missing": 0, "consumed": 0, "remaining": 0, "produced": 0}
    fitting = 0
    for trace, weight in zip(replayed, counts, strict=True):
        for key in sums:
            sums[key] += weight * trace[f"{key}_tokens"]
        fitting += weight if trace["trace_is_fit"] else 0
    missing_part = 1 - sums["missing"] / sums["consumed"] if sums["consumed"] else 1.0
    remaining_part = 1 - sums["remaining"] / sums["produced"] if sums["produced"] else 1.0
    cases = sum(counts)
    alignment, how = _alignment_fitness(variants, frame, net, initial, final, counts)
    return Fitness(
        log_fitness=round(0.5 * missing_part + 0.5 * remaining_part, 4),
        fitting_cases_share=round(fitting / cases, 4),
        cases_replayed=cases,
        variants_replayed=variants.height,
        events_left_out=left_out,
        alignment_fitness=alignment,
        alignments=how,
    )


def _alignment_fitness(
    variants: pl.DataFrame,
    frame: pd.DataFrame,
    net: Any,
    initial: Any,
    final: Any,
    counts: list[int],
) -> tuple[float | None, str]:
    longest = max(variants.get_column("step").list.len().to_list(), default=0)
    limits = ALIGNMENT_LIMITS
    if (
        variants.height > limits["variants"]
        or longest > limits["events_per_variant"]
        or len(net.transitions) > limits["transitions"]
    ):
        return None, (
            f"not computed: the log has {variants.height} variants, the longest "
            f"{longest} events (alignments run up to {limits['variants']} variants of "
            f"{limits['events_per_variant']} events)"
        )
    aligned = pm4py.conformance_diagnostics_alignments(frame, net, initial, final)
    total = sum(w * a["fitness"] for a, w in zip(aligned, counts, strict=True))
    return round(total / sum(counts), 4), "computed for every variant"
