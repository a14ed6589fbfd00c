"""Work time versus waiting time, where the log has start timestamps.

With a start time (a start column, or lifecycle start events merged at import) an
activity's *work* is from its start to its completion, and the *idle* time before it is
from the previous event of the case to its start. Without start times the section is
empty: waits then mix work and waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import US, Prepared

__all__ = ["Params", "WorkRow", "run"]


@dataclass(frozen=True)
class Params:
    """No parameters."""


@dataclass(frozen=True)
class WorkRow:
    """An activity's work time and the idle time before its work started."""

    activity: str
    events_with_start: int
    work_total_s: float
    work_median_s: float | None
    idle_before_median_s: float | None
    work_share: float | None
    """Work over work plus idle time before it: how much of the elapsed time was work."""


def run(prepared: Prepared, params: Params) -> list[WorkRow]:
    """Activities with start times, by total work, largest first."""
    events = prepared.events
    if events.get_column("start_us").null_count() == events.height:
        return []
    previous = events.shift(1)
    first_of_case = (events.get_column("case_id") != previous.get_column("case_id")).fill_null(True)
    idle = (events.get_column("start_us") - previous.get_column("timestamp_us")) / US
    frame = pl.DataFrame(
        {
            "activity": events.get_column("activity"),
            "work_s": (events.get_column("timestamp_us") - events.get_column("start_us")) / US,
            "idle_s": idle.set(first_of_case, None),
        }
    ).filter(pl.col("work_s").is_not_null())
    table = (
        frame.group_by("activity")
        .agg(
            pl.len().alias("events_with_start"),
            pl.col("work_s").sum().alias("work_total_s"),
            pl.col("work_s").median().alias("work_median_s"),
            pl.col("idle_s").median().alias("idle_before_median_s"),
            (
                pl.col("work_s").sum()
                / (pl.col("work_s").sum() + pl.col("idle_s").fill_null(0).sum())
            ).alias("work_share"),
        )
        .sort(["work_total_s", "activity"], descending=[True, False])
    )
    return [WorkRow(**row) for row in table.iter_rows(named=True)]
