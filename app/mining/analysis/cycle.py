"""Expected cycle time of a documented version, estimated from a log by seeded Monte Carlo.

Method, so that a reviewer can defend the number:

1. **Waits per flow.** A flow's transitions in the log are consecutive events of a case
   whose activities map (``step_of``, as conformance maps them) to the flow's two step
   names and, unless ``match_departments`` is off, whose departments are the two steps'
   departments: a flow that moved to other departments does not reuse the old waits.
   With at least ``min_observations`` such transitions the flow's wait is drawn from
   them, uniformly with replacement (**mined**); otherwise it is the flow's
   ``standard_hours`` (**standard**), otherwise ``estimate_hours`` (**estimate**).
2. **Branches.** At a step with several outgoing flows, a case takes one of them (a
   choice, not a parallel split), with probabilities proportional to the flows'
   observed transitions; uniform when none of them was observed. A documented flow never
   seen beside siblings that were seen gets probability 0 (reported per flow).
3. **Walks.** A simulated case starts at a step without incoming flows (the first step if
   every step has one), chosen like a branch from the log's cases that start there, and
   walks until it reaches a step without outgoing flows, or ``max_steps`` flows (so that
   loops end; such runs are counted as ``capped``). Its cycle time is the sum of its
   waits; hands-on minutes are not added (waits between events already include them).
4. **Figures.** The median, the 90th percentile (linear interpolation) and the mean of
   ``runs`` simulated cases, from a numpy generator seeded with ``seed``: same input, same figures.

All runs advance together, one flow per loop turn (vector operations across runs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from app.lib.graph import ProcessGraph
from app.mining.analysis.prepared import Prepared

__all__ = ["CycleEstimate", "FlowWaits", "expected_cycle"]

HOUR_S = 3600.0
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlowWaits:
    """Where one flow's simulated wait comes from."""

    from_step: str
    to_step: str
    from_department: str
    to_department: str
    source: str
    """``mined`` (the log's waits), ``standard`` (its standard_hours) or ``estimate``."""
    observations: int
    """Transitions of the log matching the flow (also the weight of its branch)."""
    probability: float
    """Chance that a case at ``from_step`` takes this flow."""
    median_hours: float
    """Median of the waits the simulation draws from."""


@dataclass(frozen=True)
class CycleEstimate:
    """The expected cycle time of one version, with what it rests on."""

    process: str
    version: str
    median_hours: float
    p90_hours: float
    mean_hours: float
    runs: int
    seed: int
    capped: int
    """Runs stopped after ``max_steps`` flows (a loop); their sums so far are counted."""
    flows: list[FlowWaits]

    def as_dict(self) -> dict[str, Any]:
        """The estimate as plain JSON data."""
        return asdict(self)


def expected_cycle(
    prepared: Prepared,
    graph: ProcessGraph,
    step_of: dict[str, str],
    *,
    runs: int = 10_000,
    seed: int = 0,
    estimate_hours: float = 24.0,
    min_observations: int = 5,
    max_steps: int = 200,
    match_departments: bool = True,
) -> CycleEstimate:
    """Simulate ``runs`` cases through ``graph`` with waits mined from ``prepared``.

    Args:
        prepared: the log.
        graph: the documented version.
        step_of: log activity to documented step name (from the conformance mapping).
        runs: simulated cases.
        seed: seed of the random generator.
        estimate_hours: the wait of a flow with neither enough data nor a standard.
        min_observations: transitions a flow needs before its waits are mined.
        max_steps: flows a simulated case may take before it is stopped.
        match_departments: a transition must also match the steps' departments.

    Returns:
        Median and 90th percentile of the simulated cycle times, with each flow's source.

    Raises:
        ValueError: ``runs`` or ``max_steps`` is not positive, or ``estimate_hours`` is negative.
    """
    if runs < 1 or max_steps < 1 or estimate_hours < 0:
        raise ValueError("runs and max_steps must be positive and estimate_hours not negative")
    if not graph.steps:
        return CycleEstimate(graph.process, graph.version, 0.0, 0.0, 0.0, runs, seed, 0, [])
    observed = _observed_waits(prepared, graph, step_of, match_departments)
    pools: list[Floats] = []
    sources: list[str] = []
    counts: list[int] = []
    for flow in graph.flows:
        a, b = graph.step(flow.source), graph.step(flow.target)
        waits = observed.get((a.name, b.name, a.department, b.department), np.empty(0))
        counts.append(int(waits.size))
        if waits.size >= max(min_observations, 1):
            pools.append(waits / HOUR_S)
            sources.append("mined")
        elif flow.standard_hours is not None:
            pools.append(np.array([flow.standard_hours], dtype=float))
            sources.append("standard")
        else:
            pools.append(np.array([estimate_hours], dtype=float))
            sources.append("estimate")
    index = {s.id: i for i, s in enumerate(graph.steps)}
    outgoing: list[list[int]] = [[] for _ in graph.steps]
    for f, flow in enumerate(graph.flows):
        outgoing[index[flow.source]].append(f)
    probabilities = [0.0] * len(graph.flows)
    for out in outgoing:
        for f, share in zip(out, _shares([counts[f] for f in out]), strict=True):
            probabilities[f] = share
    rng = np.random.default_rng(seed)
    start = _start_steps(prepared, graph, step_of)
    current = rng.choice(
        np.array([i for i, _ in start], dtype=np.int64),
        size=runs,
        p=_shares([n for _, n in start]),
    )
    totals, capped = _walk(rng, current, outgoing, probabilities, pools, graph, max_steps)
    median, p90 = np.percentile(totals, [50, 90])
    flows = [
        FlowWaits(
            from_step=flow.source,
            to_step=flow.target,
            from_department=graph.step(flow.source).department,
            to_department=graph.step(flow.target).department,
            source=source,
            observations=count,
            probability=round(probability, 4),
            median_hours=round(float(np.median(pool)), 2),
        )
        for flow, source, count, probability, pool in zip(
            graph.flows, sources, counts, probabilities, pools, strict=True
        )
    ]
    return CycleEstimate(
        process=graph.process,
        version=graph.version,
        median_hours=round(float(median), 2),
        p90_hours=round(float(p90), 2),
        mean_hours=round(float(totals.mean()), 2),
        runs=runs,
        seed=seed,
        capped=capped,
        flows=flows,
    )


def _shares(weights: list[int]) -> list[float]:
    """Weights as probabilities; uniform when they are all zero."""
    total = sum(weights)
    if total == 0:
        return [1 / len(weights)] * len(weights) if weights else []
    return [w / total for w in weights]


def _walk(
    rng: np.random.Generator,
    current: Ints,
    outgoing: list[list[int]],
    probabilities: list[float],
    pools: list[Floats],
    graph: ProcessGraph,
    max_steps: int,
) -> tuple[Floats, int]:
    """Advance every run one flow per turn; the sums of waits and the runs capped."""
    index = {s.id: i for i, s in enumerate(graph.steps)}
    width = max((len(out) for out in outgoing), default=0) or 1
    choices = np.full((len(outgoing), width), -1, dtype=np.int64)
    cumulative = np.ones((len(outgoing), width))
    for step, out in enumerate(outgoing):
        choices[step, : len(out)] = out
        cumulative[step, : len(out)] = np.cumsum([probabilities[f] for f in out])
        if out:
            cumulative[step, len(out) - 1 :] = 1.0
    target = np.array([index[f.target] for f in graph.flows], dtype=np.int64)
    sizes = np.array([len(p) for p in pools], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    values = np.concatenate(pools) if pools else np.zeros(1)
    totals: Floats = np.zeros(current.size)
    active = choices[current, 0] >= 0
    for _ in range(max_steps):
        if not active.any():
            break
        runs = np.flatnonzero(active)
        at = current[runs]
        branch = (rng.random(runs.size)[:, None] >= cumulative[at]).sum(axis=1)
        flow = choices[at, np.minimum(branch, width - 1)]
        pick = offsets[flow] + (rng.random(runs.size) * sizes[flow]).astype(np.int64)
        totals[runs] += values[pick]
        current[runs] = target[flow]
        active[runs] = choices[current[runs], 0] >= 0
    return totals, int(active.sum())


def _observed_waits(
    prepared: Prepared, graph: ProcessGraph, step_of: dict[str, str], match_departments: bool
) -> dict[tuple[str, str, str, str], Floats]:
    """Waits (seconds) of the log's transitions by (from step, to step, departments)."""
    names = pl.DataFrame(
        {"activity": list(step_of), "step": list(step_of.values())},
        schema={"activity": pl.String, "step": pl.String},
    )
    steps = prepared.steps.join(
        names.rename({"activity": "from_activity", "step": "from_step"}), on="from_activity"
    ).join(names.rename({"activity": "to_activity", "step": "to_step"}), on="to_activity")
    wanted: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for flow in graph.flows:
        a, b = graph.step(flow.source), graph.step(flow.target)
        wanted.setdefault((a.name, b.name), set()).add((a.department, b.department))
    pairs = pl.DataFrame(
        {"from_step": [a for a, _ in wanted], "to_step": [b for _, b in wanted]},
        schema={"from_step": pl.String, "to_step": pl.String},
    )
    steps = steps.join(pairs, on=["from_step", "to_step"], how="semi")
    grouped = steps.group_by(["from_step", "to_step", "from_department", "to_department"]).agg(
        pl.col("wait_s").drop_nulls()
    )
    out: dict[tuple[str, str, str, str], Floats] = {}
    for row in grouped.iter_rows(named=True):
        waits = np.asarray(row["wait_s"], dtype=float)
        for deps in wanted[(row["from_step"], row["to_step"])]:
            if match_departments and deps != (row["from_department"], row["to_department"]):
                continue
            key = (row["from_step"], row["to_step"], *deps)
            out[key] = np.concatenate([out[key], waits]) if key in out else waits
    return out


def _start_steps(
    prepared: Prepared, graph: ProcessGraph, step_of: dict[str, str]
) -> list[tuple[int, int]]:
    """Start steps (index, cases of the log starting there)."""
    entered = {f.target for f in graph.flows}
    starts = [i for i, s in enumerate(graph.steps) if s.id not in entered] or [0]
    firsts = prepared.events.group_by("case_id", maintain_order=True).first()
    counts = firsts.group_by("activity").len()
    by_name: dict[str, int] = {}
    for activity, n in counts.iter_rows():
        if activity in step_of:
            by_name[step_of[activity]] = by_name.get(step_of[activity], 0) + n
    return [(i, by_name.get(graph.steps[i].name, 0)) for i in starts]
