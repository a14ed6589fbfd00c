"""Filters that apply to every analysis: dates, departments, activities, variant and the
values of other columns (a channel, a district)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.lib.errors import InvalidRequest
from app.mining.analysis.attributes import case_attribute
from app.mining.analysis.prepared import SEPARATOR

__all__ = ["Filters", "where_pairs"]


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
        where: keep cases whose column (from the log's other columns) has this value,
            for every (column, value) pair; values compare trimmed, ignoring case.
    """

    start_us: int | None = None
    end_us: int | None = None
    departments: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    variant: tuple[str, ...] | None = None
    where: tuple[tuple[str, str], ...] = ()

    def active(self) -> bool:
        """Whether any filter is set."""
        return any(
            (
                self.start_us is not None,
                self.end_us is not None,
                self.departments,
                self.activities,
                self.variant is not None,
                self.where,
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
                pl.col("activities").list.eval(pl.element().cast(pl.String)).list.join(SEPARATOR)
                == SEPARATOR.join(self.variant)
            )
        cases = per_case.filter(keep).select("case_id")
        for column, value in self.where:
            matching = case_attribute(events, column).filter(
                pl.col("value").str.strip_chars().str.to_lowercase() == value.strip().lower()
            )
            cases = cases.join(matching.select("case_id"), on="case_id", how="semi")
        return events.filter(pl.col("case_id").is_in(cases.get_column("case_id").implode()))


def where_pairs(texts: list[str]) -> tuple[tuple[str, str], ...]:
    """``COLUMN=VALUE`` texts as (column, value) pairs for ``Filters.where``.

    >>> where_pairs(["Channel=Web", "Ward = 3"])
    (('Channel', 'Web'), ('Ward', '3'))

    Raises:
        InvalidRequest: a text without ``=`` or without a column name.
    """
    pairs = []
    for text in texts:
        column, sep, value = text.partition("=")
        if not sep or not column.strip():
            raise InvalidRequest(
                f"A column filter is COLUMN=VALUE (e.g. Channel=Web), not {text!r}."
            )
        pairs.append((column.strip(), value.strip()))
    return tuple(pairs)
