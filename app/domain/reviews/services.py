"""Comparisons, maps and program reviews of documented versions, with or without a log.

Shared by the command line (files) and the API (stored processes and logs): a process
document, the labels, and optionally a prepared log give the CONTRACT section 4
document, the rendered maps and the review table.
"""

from __future__ import annotations

from typing import Any

from app.domain.processes.graph import version_graph
from app.domain.processes.schemas import ProcessFile
from app.domain.reviews.comparison import compare_versions
from app.domain.reviews.program import (
    Candidate,
    Payback,
    payback_sentences,
    review_html,
    review_table,
)
from app.lib.errors import InvalidRequest
from app.lib.graph import ProcessGraph
from app.mining.analysis import Filters, Prepared
from app.mining.analysis.conformance import Params
from app.mining.analysis.versions import cycle_of, figures_of
from app.rendering.compare_map import diff_map_dot, side_by_side_dot
from app.rendering.output import render
from app.rendering.overlay import FlowMetrics, ObservedFlow, Overlay
from app.rendering.process_map import process_map_dot

__all__ = [
    "STYLES",
    "comparison",
    "comparison_map",
    "overlay_of",
    "parse_weights",
    "payback_of",
    "program_review",
    "review_page",
    "version_map",
]

STYLES = ("diff", "side-by-side")
YEAR_US = 365 * 86_400 * 1_000_000


def _cycle(prepared: Prepared | None, graph: ProcessGraph, params: Params) -> dict[str, Any] | None:
    return cycle_of(prepared, graph, params) if prepared is not None else None


def comparison(
    process: ProcessFile,
    from_label: str,
    to_label: str,
    prepared: Prepared | None = None,
    params: Params | None = None,
) -> dict[str, Any]:
    """The comparison document (CONTRACT section 4); with a log, each version's expected
    cycle time from the waits mined for the flows it keeps (``expected_cycle``)."""
    before, after = version_graph(process, from_label), version_graph(process, to_label)
    params = params or Params()
    cycles = (_cycle(prepared, before, params), _cycle(prepared, after, params))
    document = compare_versions(
        before, after, expected_cycle=cycles if prepared is not None else None
    )
    if prepared is not None:
        document["expected_cycle"] = {"from": cycles[0], "to": cycles[1]}
    return document


def overlay_of(prepared: Prepared, graph: ProcessGraph, params: Params | None = None) -> Overlay:
    """The mined figures of a log laid over a documented version's map."""
    figures = figures_of(prepared, graph, params or Params())

    def metrics(row: dict[str, Any]) -> FlowMetrics:
        return FlowMetrics(
            count=row["count"],
            median_wait_s=row["median_wait_s"],
            p90_wait_s=row["p90_wait_s"],
            wait_share=row["wait_share"],
        )

    return Overlay(
        flows={(r["from_step"], r["to_step"]): metrics(r) for r in figures.flows},
        undocumented=[
            ObservedFlow(r["from_step"], r["to_step"], metrics(r)) for r in figures.undocumented
        ],
        unseen_steps=frozenset(figures.unseen_steps),
    )


def version_map(
    process: ProcessFile,
    label: str,
    fmt: str,
    prepared: Prepared | None = None,
    params: Params | None = None,
) -> bytes:
    """The map of one version (swimlanes by department), overlaid with a log's figures."""
    graph = version_graph(process, label)
    overlay = overlay_of(prepared, graph, params) if prepared is not None else None
    return render(process_map_dot(graph, overlay), fmt)


def comparison_map(
    process: ProcessFile, from_label: str, to_label: str, fmt: str, style: str = "diff"
) -> bytes:
    """The diff map (removed red, added green, changed amber) or the two maps side by side."""
    if style not in STYLES:
        raise InvalidRequest(f"A comparison map is 'diff' or 'side-by-side', not {style!r}.")
    before, after = version_graph(process, from_label), version_graph(process, to_label)
    draw = diff_map_dot if style == "diff" else side_by_side_dot
    return render(draw(before, after), fmt)


def parse_weights(pairs: list[str]) -> dict[str, float] | None:
    """``criterion=weight`` strings as review weights (None: the defaults).

    >>> parse_weights(["handoffs=3", "one_off_cost=0.5"])
    {'handoffs': 3.0, 'one_off_cost': 0.5}
    """
    if not pairs:
        return None
    weights = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise InvalidRequest(
                f"A weight is CRITERION=NUMBER (e.g. handoffs=2), not {pair!r}."
            ) from None
        if not sep:
            raise InvalidRequest(f"A weight is CRITERION=NUMBER (e.g. handoffs=2), not {pair!r}.")
    return weights


def yearly_cases(prepared: Prepared) -> tuple[float, str]:
    """Cases a year in a log, and one sentence saying how they were counted.

    A log spanning a year or more counts the cases whose first event falls in its last 365
    days (the latest full year of demand); a shorter log scales its cases to 365 days.
    """
    stamps = prepared.events.get_column("timestamp_us")
    first, last = int(stamps.min()), int(stamps.max())  # type: ignore[arg-type]
    if last - first >= YEAR_US:
        latest = Filters(start_us=last - YEAR_US + 1).apply(prepared.events)
        count = latest.get_column("case_id").n_unique()
        return float(count), (
            f"Yearly cases: {count:,}, the cases starting in the last 365 days of the log."
        )
    cases = prepared.events.get_column("case_id").n_unique()
    days = max((last - first) / 86_400e6, 1.0)
    scaled = round(cases * 365 / days, 1)
    return scaled, (
        f"Yearly cases: {scaled:,.0f}, the log's {cases:,} cases over {days:,.0f} days "
        "scaled to 365 days."
    )


def payback_of(
    prepared: Prepared | None, hourly_cost: float, given_yearly_cases: float | None = None
) -> Payback | None:
    """What payback figures rest on: yearly cases (given, or mined from the log) and the
    hourly staff cost; None without either a log or given yearly cases.

    Raises:
        InvalidRequest: a negative hourly cost or number of yearly cases.
    """
    if hourly_cost < 0 or (given_yearly_cases is not None and given_yearly_cases < 0):
        raise InvalidRequest("The hourly staff cost and the yearly cases cannot be negative.")
    if given_yearly_cases is not None:
        return Payback(
            given_yearly_cases, hourly_cost, f"Yearly cases: {given_yearly_cases:,.0f} (given)."
        )
    if prepared is None:
        return None
    count, basis = yearly_cases(prepared)
    return Payback(count, hourly_cost, basis)


def program_review(
    process: ProcessFile,
    prepared: Prepared | None = None,
    weights: dict[str, float] | None = None,
    params: Params | None = None,
    payback: Payback | None = None,
) -> list[dict[str, Any]]:
    """The as-is against every to-be option of a process, scored and ranked, with each
    option's payback when ``payback`` (see ``payback_of``) is given.

    Raises:
        InvalidRequest: the process has no as-is or no to-be version, or a weight is wrong.
    """
    params = params or Params()
    candidates = []
    for version in process.versions:
        graph = version_graph(process, version.label)
        cycle = _cycle(prepared, graph, params)
        candidates.append(
            (
                version.kind,
                Candidate(
                    graph=graph,
                    effort_months=version.effort_months,
                    one_off_cost=version.one_off_cost,
                    expected_impact=version.expected_impact,
                    expected_cycle=cycle,
                ),
            )
        )
    as_is = [c for kind, c in candidates if kind == "as-is"]
    options = [c for kind, c in candidates if kind == "to-be"]
    if not as_is or not options:
        raise InvalidRequest(
            f"A program review needs an as-is and at least one to-be version; "
            f"'{process.slug}' has {len(as_is)} and {len(options)}."
        )
    try:
        return review_table(as_is[0], options, weights, payback)
    except ValueError as error:
        raise InvalidRequest(str(error)) from None


def review_page(
    process: ProcessFile,
    rows: list[dict[str, Any]],
    with_log: bool,
    payback: Payback | None = None,
) -> str:
    """The program review as one printable HTML page with every version's map inline."""
    maps = {
        row["label"]: render(process_map_dot(version_graph(process, row["label"])), "svg").decode()
        for row in rows
    }
    notes = [
        f"{process.name}: {process.customer or ''}".strip(": "),
        "Scores are weighted means of criteria scaled 0 to 1 across the versions (1 is best).",
        "Expected cycle hours come from a seeded Monte Carlo over the waits mined from the log."
        if with_log
        else "No event log was given, so expected cycle times are not part of the ranking.",
    ]
    return review_html(
        f"Program review: {process.name}", rows, maps, notes, payback_sentences(rows, payback)
    )
