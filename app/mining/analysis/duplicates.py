"""Cross-department duplicates: the same activity done by two or more departments in a case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import SEPARATOR, Prepared

__all__ = ["DuplicateRow", "Params", "run"]


@dataclass(frozen=True)
class Params:
    """No parameters."""


@dataclass(frozen=True)
class DuplicateRow:
    """An activity name and the set of departments that all did it in the same cases."""

    activity: str
    departments: list[str]
    cases: int


def per_case(prepared: Prepared) -> pl.DataFrame:
    """case_id, activity, departments (joined, sorted) where two or more departments did it."""
    pairs = prepared.events.select("case_id", "activity", "department").unique()
    shared = pairs.group_by("case_id", "activity").len().filter(pl.col("len") >= 2).drop("len")
    return (
        pairs.join(shared, on=["case_id", "activity"], how="semi")
        .group_by("case_id", "activity")
        .agg(pl.col("department").sort().alias("departments"))
        .with_columns(pl.col("departments").list.join(SEPARATOR).alias("key"))
    )


def run(prepared: Prepared, params: Params) -> list[DuplicateRow]:
    """Duplicated activities by cases, most first; one row per set of departments."""
    table = (
        per_case(prepared)
        .group_by("activity", "key")
        .agg(pl.len().alias("cases"))
        .sort(["cases", "activity", "key"], descending=[True, False, False])
    )
    return [
        DuplicateRow(
            activity=row["activity"], departments=row["key"].split(SEPARATOR), cases=row["cases"]
        )
        for row in table.iter_rows(named=True)
    ]
