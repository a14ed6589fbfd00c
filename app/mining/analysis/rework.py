"""Rework: the same activity by the same department more than once in a case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import Prepared, by_case

__all__ = ["Params", "ReworkRow", "run"]


@dataclass(frozen=True)
class Params:
    """No parameters."""


@dataclass(frozen=True)
class ReworkRow:
    """An activity of a department done again: in how many cases, how many extra times."""

    activity: str
    department: str
    cases: int
    extra_executions: int


def repeated(prepared: Prepared) -> pl.DataFrame:
    """case_id, activity, department, len of every activity repeated within a case."""
    events = prepared.events.select("case_id", "activity", "department")
    key = _one_key(events)

    def per_slice(events: pl.DataFrame) -> pl.DataFrame:
        if key is None:
            return (
                events.group_by("case_id", "activity", "department").len().filter(pl.col("len") > 1)
            )
        keyed = events.with_columns(key.alias("_key"))
        counts = keyed.group_by("_key").len().filter(pl.col("len") > 1)
        return (
            keyed.join(counts, on="_key", how="inner")
            .unique("_key", keep="first", maintain_order=True)
            .select("case_id", "activity", "department", "len")
        )

    return by_case(events, per_slice)


def _one_key(events: pl.DataFrame) -> pl.Expr | None:
    """A 64-bit key equal for two rows exactly when their case, activity and department
    are (a much cheaper grouping than on three columns), or None when the columns are not
    categorical or the codes do not fit."""
    if any(dtype != pl.Categorical for dtype in events.schema.values()):
        return None
    departments = events.get_column("department").unique().to_physical()
    largest = events.get_column("activity").to_physical().max()
    if not isinstance(largest, int) or (largest + 1) * departments.len() >= 2**32:
        return None
    dense = (
        pl.col("department")
        .to_physical()
        .replace_strict(
            departments.to_list(), list(range(departments.len())), return_dtype=pl.UInt64
        )
    )
    return (
        pl.col("case_id").to_physical().cast(pl.UInt64) * 2**32
        + pl.col("activity").to_physical().cast(pl.UInt64) * departments.len()
        + dense
    )


def run(prepared: Prepared, params: Params) -> list[ReworkRow]:
    """Reworked activities by cases, then extra executions, most first."""
    table = (
        repeated(prepared)
        .group_by("activity", "department")
        .agg(pl.len().alias("cases"), (pl.col("len") - 1).sum().alias("extra_executions"))
        .sort(
            ["cases", "extra_executions", "activity", "department"],
            descending=[True, True, False, False],
        )
    )
    return [ReworkRow(**row) for row in table.iter_rows(named=True)]
