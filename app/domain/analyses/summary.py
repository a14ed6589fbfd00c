"""The analysis document in a few lines for people reading a terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["summary_lines"]


def _duration(seconds: float, business: bool = False) -> str:
    if business:
        return f"{seconds / 3_600:.1f} business h"
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} d"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 60:.0f} min"


def summary_lines(document: dict[str, Any], top: int = 5) -> list[str]:
    """The headline figures and the top findings of each section."""
    log = document["log"]
    lines = [
        f"{log['events']:,} events in {log['cases']:,} cases, {log['activities']} activities, "
        f"{len(log['departments'])} departments, {log['first_event']} to {log['last_event']}",
        f"({log['exact_duplicate_rows_dropped']:,} exact duplicate rows dropped of "
        f"{log['rows_read']:,} read)",
    ]
    total = sum(h["total_wait_s"] for h in document["handoffs"]) or 1.0
    business = "calendar" in document
    lines.append("")
    lines.append("Handoffs by total wait:")
    for h in document["handoffs"][:top]:
        lines.append(
            f"  {h['from_department']} -> {h['to_department']}: {h['count']:,} handoffs in "
            f"{h['cases']:,} cases, median {_duration(h['median_wait_s'], business)}, p90 "
            f"{_duration(h['p90_wait_s'], business)}, "
            f"{h['total_wait_s'] / total:.0%} of all handoff waiting"
        )
    sections: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        (
            "Ping-pong",
            "pingpong",
            lambda r: f"{r['from_department']} -> {r['to_department']}: {r['cases']:,} cases",
        ),
        (
            "Rework",
            "rework",
            lambda r: (
                f"{r['activity']} ({r['department']}): {r['cases']:,} "
                f"cases, {r['extra_executions']:,} extra"
            ),
        ),
        (
            "Same activity in two or more departments",
            "cross_department_duplicates",
            lambda r: f"{r['activity']} by {' and '.join(r['departments'])}: {r['cases']:,} cases",
        ),
        (
            "Similar activity names",
            "similar_activities",
            lambda r: f"'{r['a']}' ~ '{r['b']}' ({r['similarity']:.0f})",
        ),
        (
            "Variants",
            "variants",
            lambda r: (
                f"{r['cases']:,} cases ({r['share']:.1%}): "
                + " > ".join(r["activities"][:8])
                + (" > ..." if len(r["activities"]) > 8 else "")
            ),
        ),
    ]
    for title, key, render in sections:
        lines.append("")
        lines.append(f"{title}: {len(document[key])}")
        lines.extend(f"  {render(row)}" for row in document[key][:top])
    if "conformance" in document:
        c = document["conformance"]
        fitness = c["fitness"]["value"]
        lines.append("")
        lines.append(
            f"Against {c['process']} / {c['version']}: fitness "
            f"{'n/a' if fitness is None else f'{fitness:.2f}'}, "
            f"{len(c['documented_steps_never_seen'])} documented steps never seen, "
            f"{len(c['undocumented_activities'])} undocumented activities, "
            f"{len(c['undocumented_handoffs'])} undocumented handoffs, "
            f"{len(c['unowned_handoffs'])} unowned handoffs"
        )
        share = c["fitness"].get("fitting_cases_share")
        if share is not None:
            lines.append(
                f"  {share:.0%} of cases replay without a deviation (pm4py token replay); "
                f"alignments: {c['fitness']['alignments']}"
            )
        process = c["service_standards"].get("process")
        if process and process["share_met"] is not None:
            lines.append(
                f"  {process['share_met']:.0%} of {process['observed']:,} cases within the "
                f"{process['standard_hours']:g} h standard (median {process['median_hours']:g} h)"
            )
            for channel in process.get("by_channel", []):
                lines.append(
                    f"    {channel['channel']}: {channel['share_met']:.0%} of "
                    f"{channel['observed']:,} within the standard"
                )
    if "duplicate_requests" in document:
        d = document["duplicate_requests"]
        lines.append("")
        lines.append(
            f"Duplicate requests (same {d['attribute']} within {d['days']:g} days): "
            f"{d['repeat_cases']:,} repeat cases in {d['groups']:,} groups"
        )
        for group in d["largest_groups"][:5]:
            lines.append(
                f"  {group['value']}: {group['cases']} cases ({', '.join(group['case_ids'])})"
            )
    for note in document.get("notes", []):
        lines.append("")
        lines.append(f"Note: {note}")
    return lines
