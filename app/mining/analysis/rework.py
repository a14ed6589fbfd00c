"""Rework: the same activity by the same department more than once in a case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import Prepared

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
    return (
        prepared.events.group_by("case_id", "activity", "department")
        .len()
        .filter(pl.col("len") > 1)
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
