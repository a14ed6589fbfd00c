"""Duplicate requests: cases that are probably the same problem reported twice.

Two cases are counted as one problem when they give the same value of a chosen attribute
(an address, an asset id) and the later one starts within ``days`` of the one before it.
Cases chain: three reports of one pothole a week apart make one group of three with a
30-day window. The first case of a group is the original; the others are repeats.
Values are compared after trimming and ignoring case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from app.lib.times import iso_utc
from app.mining.analysis.attributes import case_attribute
from app.mining.analysis.prepared import US, Prepared

__all__ = ["DuplicateRequests", "Params", "run"]

DAY_US = 86_400 * US


@dataclass(frozen=True)
class Params:
    """``attribute``: the column that identifies the problem; ``days``: the window."""

    attribute: str
    days: float = 30.0
    top: int = 50


@dataclass(frozen=True)
class DuplicateRequests:
    """The ``duplicate_requests`` section of the analysis document."""

    attribute: str
    days: float
    cases_with_value: int
    groups: int
    repeat_cases: int
    share_of_cases: float | None
    largest_groups: list[dict[str, Any]]


def run(prepared: Prepared, params: Params) -> DuplicateRequests:
    """Groups of cases with the same attribute value that started within the window.

    Args:
        prepared: the log; its events must carry the ``attributes`` column.
        params: the attribute, the window in days and how many groups to list.
    """
    starts = prepared.events.group_by("case_id").agg(pl.col("timestamp_us").min().alias("start"))
    values = case_attribute(prepared.events, params.attribute).with_columns(
        pl.col("value").str.strip_chars().str.to_lowercase().alias("key")
    )
    cases = values.join(starts, on="case_id").sort(["key", "start", "case_id"])
    previous = cases.shift(1)
    new_group = (
        (cases.get_column("key") != previous.get_column("key")).fill_null(True)
        | ((cases.get_column("start") - previous.get_column("start")) > params.days * DAY_US)
    ).fill_null(True)
    grouped = cases.with_columns(new_group.cum_sum().alias("group"))
    groups = (
        grouped.group_by("group")
        .agg(
            pl.col("value").first(),
            pl.len().alias("cases"),
            pl.col("case_id"),
            pl.col("start").min().alias("first"),
            pl.col("start").max().alias("last"),
        )
        .filter(pl.col("cases") >= 2)
        .sort(["cases", "first", "value"], descending=[True, False, False])
    )
    repeats = int(groups.get_column("cases").sum()) - groups.height if groups.height else 0
    total = prepared.events.get_column("case_id").n_unique()
    return DuplicateRequests(
        attribute=params.attribute,
        days=params.days,
        cases_with_value=values.height,
        groups=groups.height,
        repeat_cases=repeats,
        share_of_cases=round(repeats / total, 4) if total else None,
        largest_groups=[
            {
                "value": row["value"],
                "cases": row["cases"],
                "case_ids": row["case_id"],
                "first_start": iso_utc(row["first"]),
                "last_start": iso_utc(row["last"]),
            }
            for row in groups.head(params.top).iter_rows(named=True)
        ],
    )
