"""Events sorted once by case, time and file order, and their consecutive pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from app.mining.analysis.calendar import Calendar, business_seconds

__all__ = ["Prepared", "by_case", "prepare"]

US = 1_000_000
CASE_SLICE_ROWS = 4_000_000
"""Rows of a slice in ``by_case``: a per-case grouping of a slice needs a fraction of the
memory of the whole log's."""
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


def by_case(
    frame: pl.DataFrame,
    per_slice: Callable[[pl.DataFrame], pl.DataFrame],
    rows: int = CASE_SLICE_ROWS,
) -> pl.DataFrame:
    """``per_slice`` applied to slices of about ``rows`` rows of a frame ordered by case,
    each holding whole cases, and the results concatenated in order.

    For a per-case computation it is the same as ``per_slice(frame)`` (in the order of
    the slices), with the peak memory of one slice.
    """
    if frame.height <= rows:
        return per_slice(frame)
    case = frame.get_column("case_id")
    case = case.to_physical() if case.dtype == pl.Categorical else case
    results = []
    start = 0
    while start < frame.height:
        end = min(start + rows, frame.height)
        while end < frame.height and case[end] == case[end - 1]:
            ahead = case.slice(end, rows)
            other = (ahead != case[end - 1]).arg_true()
            end = end + int(other[0]) if other.len() else end + ahead.len()
        results.append(per_slice(frame.slice(start, end - start)))
        start = end
    return pl.concat(results)
