"""Events sorted once by case, time and file order, and their consecutive pairs."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.calendar import Calendar, business_seconds

__all__ = ["Prepared", "prepare"]

US = 1_000_000
SEPARATOR = "\x1f"
"""Joins names into one key (a variant, a set of departments); no name holds it."""


@dataclass(frozen=True)
class Prepared:
    """What every analysis reads.

    ``events``: case_id, activity, department, timestamp_us, line and start_us (null
    without start times), plus ``attributes`` (the other columns as JSON) when the log was
    read with them, ordered by case, time, file order. ``steps``: one row per pair
    of consecutive events of a case (from_*, to_*, wait_s); a handoff is a step whose
    departments differ.
    """

    events: pl.DataFrame
    steps: pl.DataFrame
    calendar: Calendar | None = None
    """When set, every wait is counted in business hours of this calendar."""

    @property
    def handoffs(self) -> pl.DataFrame:
        """Consecutive events of a case whose departments differ."""
        return self.steps.filter(pl.col("from_department") != pl.col("to_department"))


def prepare(
    events: pl.DataFrame, *, ordered: bool = False, calendar: Calendar | None = None
) -> Prepared:
    """Sort once and pair consecutive events with a same-case check (no per-group window).

    Args:
        events: at least case_id, activity, department, timestamp_us and line.
        ordered: the events are already ordered by case, time and file order (as the
            importer stores them), so the sort is skipped.
        calendar: count waits in its business hours (a department with its own calendar
            counts the waits that end at its events in its own hours).
    """
    start = pl.col("start_us") if "start_us" in events.columns else pl.lit(None, pl.Int64)
    extra = ["attributes"] if "attributes" in events.columns else []
    columns = events.select(
        "case_id",
        "activity",
        "department",
        "timestamp_us",
        "line",
        start.alias("start_us"),
        *extra,
    )
    ordered_events = columns if ordered else columns.sort(["case_id", "timestamp_us", "line"])
    previous = ordered_events.shift(1)
    steps = pl.DataFrame(
        {
            "case_id": ordered_events.get_column("case_id"),
            "from_activity": previous.get_column("activity"),
            "to_activity": ordered_events.get_column("activity"),
            "from_department": previous.get_column("department"),
            "to_department": ordered_events.get_column("department"),
            "wait_s": (
                ordered_events.get_column("timestamp_us") - previous.get_column("timestamp_us")
            )
            / US,
            "same_case": ordered_events.get_column("case_id") == previous.get_column("case_id"),
        }
    )
    if calendar is not None:
        steps = steps.with_columns(
            _business_waits(
                previous.get_column("timestamp_us"),
                ordered_events.get_column("timestamp_us"),
                ordered_events.get_column("department"),
                calendar,
            ).alias("wait_s")
        )
    steps = steps.filter(pl.col("same_case").fill_null(False)).drop("same_case")
    return Prepared(events=ordered_events, steps=steps, calendar=calendar)


def _business_waits(
    start: pl.Series, end: pl.Series, department: pl.Series, calendar: Calendar
) -> pl.Series:
    """Business seconds of each wait, in the calendar of the department waited for."""
    waits = business_seconds(start, end, calendar)
    for name, own in calendar.departments.items():
        mask = department == name
        if mask.any():
            waits = business_seconds(start, end, own).zip_with(mask, waits)
    return waits
