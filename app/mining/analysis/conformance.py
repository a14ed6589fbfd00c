"""Conformance: how the logged reality differs from a documented process version.

Log activities are mapped to documented steps by name: exactly (ignoring case), then by
similarity (``similar.fold`` and the token-set ratio, at or above ``threshold``). Then:
documented steps never seen, undocumented activities, undocumented handoffs (department
pairs handed over in the log but not in the documentation), unowned documented handoffs
with how often the log shows them, a fitness figure, and how often the version's service
standards are met (``standards``).

Fitness comes from pm4py: token-based replay of every case on the documented version
(``app.mining.replay``), and alignments when the log is small enough. Beside it, the
share of the log's consecutive activity pairs between documented steps that follow a
documented flow (1.0: every observed transition is documented), which names no model
semantics and is easy to explain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from rapidfuzz import fuzz

from app.lib.graph import ProcessGraph
from app.mining.analysis.attributes import case_attribute, find_channel
from app.mining.analysis.prepared import Prepared
from app.mining.analysis.similar import fold
from app.mining.analysis.standards import service_standards

__all__ = ["Conformance", "Params", "map_activities", "run"]


@dataclass(frozen=True)
class Params:
    """``threshold`` for a similar-name match (0-100); ``mapping`` overrides: activity to
    step id (or None to leave an activity unmapped); ``stop_clock``: activities after
    which the service-standard clock stops until the next event; ``channel``: the column
    holding the channel of a request (found by name when None; "" for none)."""

    threshold: float = 85.0
    mapping: dict[str, str | None] = field(default_factory=dict)
    stop_clock: tuple[str, ...] = ()
    channel: str | None = None


@dataclass(frozen=True)
class Conformance:
    """The conformance section of the analysis document."""

    process: str
    version: str
    mapping: list[dict[str, Any]]
    documented_steps_never_seen: list[dict[str, Any]]
    undocumented_activities: list[dict[str, Any]]
    undocumented_handoffs: list[dict[str, Any]]
    unowned_handoffs: list[dict[str, Any]]
    fitness: dict[str, Any]
    service_standards: dict[str, Any]


def _map_activities(
    activities: list[str], graph: ProcessGraph, params: Params
) -> dict[str, tuple[str, str, float]]:
    """Activity to (step name, how, score) for every activity that maps to a step."""
    names = sorted({s.name for s in graph.steps})
    by_lower = {n.lower(): n for n in names}
    by_id = {s.id: s.name for s in graph.steps}
    mapped: dict[str, tuple[str, str, float]] = {}
    for activity in activities:
        if activity in params.mapping:
            target = params.mapping[activity]
            if target is not None and target in by_id:
                mapped[activity] = (by_id[target], "given", 100.0)
            continue
        if activity.lower() in by_lower:
            mapped[activity] = (by_lower[activity.lower()], "exact", 100.0)
            continue
        best = max(
            ((fuzz.token_set_ratio(fold(activity), fold(n)), n) for n in names),
            default=(0.0, ""),
        )
        if best[0] >= params.threshold:
            mapped[activity] = (best[1], "similar", round(float(best[0]), 1))
    return mapped


def map_activities(
    activities: list[str], graph: ProcessGraph, params: Params
) -> list[dict[str, Any]]:
    """How each activity maps to the version's steps: the step name and ids (several
    when departments share a step name), and how (given, exact, similar or none).

    >>> from app.lib.graph import GraphStep
    >>> g = ProcessGraph("p", "as-is", steps=[GraphStep("log", "Log request details", "CC")])
    >>> [(m["activity"], m["steps"], m["match"]) for m in map_activities(
    ...     ["Enter request details", "Repair"], g, Params())]
    [('Enter request details', ['log'], 'similar'), ('Repair', [], 'none')]
    """
    mapped = _map_activities(activities, graph, params)
    rows = []
    for activity in activities:
        name, how, score = mapped.get(activity, (None, "none", None))
        if activity in params.mapping and how == "none":
            how = "given"
        rows.append(
            {
                "activity": activity,
                "step_name": name,
                "steps": sorted(s.id for s in graph.steps if s.name == name),
                "match": how,
                "similarity": score,
            }
        )
    return rows


def run(prepared: Prepared, graph: ProcessGraph, params: Params) -> Conformance:
    """Compare a prepared log with one documented version."""
    events = prepared.events
    counts = events.group_by("activity").agg(
        pl.len().alias("events"), pl.col("case_id").n_unique().alias("cases")
    )
    activities = sorted(counts.get_column("activity").to_list())
    mapped = _map_activities(activities, graph, params)
    step_of = {activity: m[0] for activity, m in mapped.items()}
    seen_steps = {step for step, _, _ in mapped.values()}
    mapping = [
        {"activity": a, "step": mapped[a][0], "match": mapped[a][1], "similarity": mapped[a][2]}
        for a in activities
        if a in mapped
    ]
    never_seen = [
        {"step": s.id, "name": s.name, "department": s.department}
        for s in graph.steps
        if s.name not in seen_steps
    ]
    undocumented = [
        row
        for row in counts.sort(["events", "activity"], descending=[True, False]).iter_rows(
            named=True
        )
        if row["activity"] not in mapped
    ]
    observed = (
        prepared.handoffs.group_by("from_department", "to_department")
        .agg(pl.len().alias("count"), pl.col("case_id").n_unique().alias("cases"))
        .sort(["count", "from_department", "to_department"], descending=[True, False, False])
    )
    documented_pairs = {
        (graph.step(f.source).department, graph.step(f.target).department) for f in graph.handoffs()
    }
    undocumented_handoffs = [
        row
        for row in observed.iter_rows(named=True)
        if (row["from_department"], row["to_department"]) not in documented_pairs
    ]
    seen_pairs = {
        (r["from_department"], r["to_department"]): r["count"]
        for r in observed.iter_rows(named=True)
    }
    unowned = []
    for f in graph.handoffs():
        if f.owner is None:
            a, b = graph.step(f.source), graph.step(f.target)
            unowned.append(
                {
                    "from_step": a.id,
                    "to_step": b.id,
                    "from_department": a.department,
                    "to_department": b.department,
                    "observed": seen_pairs.get((a.department, b.department), 0),
                }
            )
    return Conformance(
        process=graph.process,
        version=graph.version,
        mapping=mapping,
        documented_steps_never_seen=never_seen,
        undocumented_activities=undocumented,
        undocumented_handoffs=undocumented_handoffs,
        unowned_handoffs=unowned,
        fitness=_fitness(prepared, graph, mapped),
        service_standards=service_standards(
            prepared,
            graph,
            step_of,
            channels=_channels(prepared, params),
            stop_clock=params.stop_clock,
        ),
    )


def _channels(prepared: Prepared, params: Params) -> pl.DataFrame | None:
    """The channel of each case, when the log has a channel column."""
    name = find_channel(prepared.events) if params.channel is None else params.channel
    return case_attribute(prepared.events, name) if name else None


def _fitness(
    prepared: Prepared, graph: ProcessGraph, mapped: dict[str, tuple[str, str, float]]
) -> dict[str, Any]:
    names = {s.id: s.name for s in graph.steps}
    documented = {(names[f.source], names[f.target]) for f in graph.flows}
    table = pl.DataFrame(
        {"activity": list(mapped), "step": [m[0] for m in mapped.values()]},
        schema={"activity": pl.String, "step": pl.String},
    )
    steps = prepared.steps.join(
        table.rename({"activity": "from_activity", "step": "from_step"}),
        on="from_activity",
        how="inner",
    ).join(
        table.rename({"activity": "to_activity", "step": "to_step"}), on="to_activity", how="inner"
    )
    pairs = pl.DataFrame(
        {
            "from_step": [a for a, _ in documented],
            "to_step": [b for _, b in documented],
            "documented": [True] * len(documented),
        },
        schema={"from_step": pl.String, "to_step": pl.String, "documented": pl.Boolean},
    )
    checked = steps.join(pairs, on=["from_step", "to_step"], how="left")
    total = checked.height
    followed = int(checked.get_column("documented").fill_null(False).sum())
    from app.mining.replay import replay_fitness  # pm4py and pandas: only with a process

    replay = replay_fitness(prepared.events, graph, {a: m[0] for a, m in mapped.items()})
    return {
        "value": replay.log_fitness,
        "method": "pm4py token-based replay of every case on the documented version "
        "(activities mapped to steps; unmapped events left out), weighted by variant",
        "fitting_cases_share": replay.fitting_cases_share,
        "cases_replayed": replay.cases_replayed,
        "variants_replayed": replay.variants_replayed,
        "events_left_out": replay.events_left_out,
        "alignment_fitness": replay.alignment_fitness,
        "alignments": replay.alignments,
        "documented_transition_share": round(followed / total, 4) if total else None,
        "transitions_checked": total,
        "transitions_documented": followed,
    }
