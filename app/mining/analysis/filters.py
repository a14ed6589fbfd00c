"""Filters that apply to every analysis: dates, departments, activities, variant."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import SEPARATOR

__all__ = ["Filters"]


@dataclass(frozen=True)
class Filters:
    """Which cases to analyse. Every filter keeps or drops whole cases, so waits and
    variants are never cut in the middle of a case.

    Attributes:
        start_us: keep cases whose first event is at or after this instant.
        end_us: keep cases whose first event is before this instant.
        departments: keep cases that touch any of these departments.
        activities: keep cases that contain any of these activities.
        variant: keep cases whose activity sequence is exactly this.
    """

    start_us: int | None = None
    end_us: int | None = None
    departments: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    variant: tuple[str, ...] | None = None

    def active(self) -> bool:
        """Whether any filter is set."""
        return any(
            (
                self.start_us is not None,
                self.end_us is not None,
                self.departments,
                self.activities,
                self.variant is not None,
            )
        )

    def apply(self, events: pl.DataFrame) -> pl.DataFrame:
        """The events of the cases that pass every filter (events ordered by case and time)."""
        if not self.active():
            return events
        per_case = events.group_by("case_id", maintain_order=True).agg(
            pl.col("timestamp_us").min().alias("first"),
            pl.col("department").alias("departments"),
            pl.col("activity").alias("activities"),
        )
        keep = pl.lit(True)
        if self.start_us is not None:
            keep = keep & (pl.col("first") >= self.start_us)
        if self.end_us is not None:
            keep = keep & (pl.col("first") < self.end_us)
        if self.departments:
            keep = (
                keep
                & pl.col("departments")
                .list.eval(pl.element().is_in(list(self.departments)))
                .list.any()
            )
        if self.activities:
            keep = (
                keep
                & pl.col("activities")
                .list.eval(pl.element().is_in(list(self.activities)))
                .list.any()
            )
        if self.variant is not None:
            keep = keep & (
                pl.col("activities").list.join(SEPARATOR) == SEPARATOR.join(self.variant)
            )
        cases = per_case.filter(keep).get_column("case_id")
        return events.filter(pl.col("case_id").is_in(cases.implode()))
