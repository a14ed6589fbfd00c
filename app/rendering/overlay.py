"""Mined figures laid over a documented map: volumes and waits per flow, undocumented paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.lib.graph import GraphStep
from app.rendering.dot import DotWriter, NodeIds, lines_label, small_label
from app.rendering.text import count_text, human_duration, percent_text

__all__ = [
    "UNDOCUMENTED",
    "FlowMetrics",
    "ObservedFlow",
    "Overlay",
    "metrics_text",
    "resolve_end",
    "write_undocumented",
]

UNDOCUMENTED = "#6a1b9a"


@dataclass(frozen=True)
class FlowMetrics:
    """What an event log shows for one transition."""

    count: int
    median_wait_s: float | None = None
    p90_wait_s: float | None = None
    wait_share: float | None = None
    """Share (0 to 1) of all waiting time in the log spent on this transition."""


@dataclass(frozen=True)
class ObservedFlow:
    """A transition seen in a log but not documented.

    Each end is a step id, else the name of a documented step, else an activity the
    version does not document (drawn as a dashed node of its own).
    """

    source: str
    target: str
    metrics: FlowMetrics


@dataclass(frozen=True)
class Overlay:
    """Mined figures laid over a documented map."""

    flows: Mapping[tuple[str, str], FlowMetrics] = field(default_factory=dict)
    """Per documented flow, keyed by (source step id, target step id)."""
    undocumented: Sequence[ObservedFlow] = ()
    unseen_steps: frozenset[str] = frozenset()
    """Ids of documented steps the log never shows."""


def metrics_text(metrics: FlowMetrics) -> list[str]:
    """Count, median and p90 wait on one line; share of all waiting on the next."""
    text = f"{count_text(metrics.count)}\u00d7"
    if metrics.median_wait_s is not None:
        text += f" · median {human_duration(metrics.median_wait_s)}"
    if metrics.p90_wait_s is not None:
        text += f" · p90 {human_duration(metrics.p90_wait_s)}"
    lines = [text]
    if metrics.wait_share is not None:
        lines.append(f"{percent_text(metrics.wait_share)} of all waiting")
    return lines


def resolve_end(end: str, by_id: Mapping[str, GraphStep], by_name: Mapping[str, str]) -> str | None:
    """The step id an observed end stands for: by id, else by name; None when undocumented."""
    if end in by_id:
        return end
    return by_name.get(end)


def write_undocumented(
    out: DotWriter,
    overlay: Overlay,
    ids: NodeIds,
    by_id: Mapping[str, GraphStep],
    by_name: Mapping[str, str],
    prefix: str,
    busiest: int,
) -> None:
    """Draw transitions seen in the log but not documented, and activities no step names."""
    ends = {e for o in overlay.undocumented for e in (o.source, o.target)}
    extra = sorted(e for e in ends if resolve_end(e, by_id, by_name) is None)
    activity_ids = NodeIds(f"{prefix}activity", extra)
    for name in extra:
        out.node(
            activity_ids[name],
            label=lines_label(name, "not documented"),
            style="rounded,dashed",
            color=UNDOCUMENTED,
            fontcolor=UNDOCUMENTED,
        )

    def node_of(end: str) -> str:
        step_id = resolve_end(end, by_id, by_name)
        return ids[step_id] if step_id is not None else activity_ids[end]

    edges = sorted(
        {(node_of(o.source), node_of(o.target)): o for o in overlay.undocumented}.items()
    )
    for (source, target), observed in edges:
        weight = observed.metrics.count / busiest if busiest else 0.0
        out.edge(
            source,
            target,
            style="dashed",
            color=UNDOCUMENTED,
            fontcolor=UNDOCUMENTED,
            penwidth=round(1.0 + 4.0 * weight, 2),
            label=small_label(
                *metrics_text(observed.metrics), "not documented", colour=UNDOCUMENTED
            ),
        )
