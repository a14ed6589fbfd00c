"""Cross-department duplicates: the same activity done by two or more departments in a case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import SEPARATOR, Prepared, by_case

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
    """case_id, activity, departments (sorted) and key (them joined) where two or more
    departments did an activity in a case."""
    events = prepared.events.select("case_id", "activity", "department")
    coded = all(dtype == pl.Categorical for dtype in events.schema.values())

    def shared(events: pl.DataFrame) -> pl.DataFrame:
        if coded:  # one 64-bit key for (case, activity): a much cheaper grouping
            keyed = events.with_columns(
                (
                    pl.col("case_id").to_physical().cast(pl.UInt64) * 2**32
                    + pl.col("activity").to_physical().cast(pl.UInt64)
                ).alias("_key")
            )
            several = (
                keyed.group_by("_key")
                .agg(pl.col("department").n_unique().alias("n"))
                .filter(pl.col("n") >= 2)
            )
            return (
                keyed.join(several.select("_key"), on="_key", how="semi")
                .group_by("_key")
                .agg(
                    pl.col("case_id").first(),
                    pl.col("activity").first(),
                    pl.col("department").unique().cast(pl.String).sort().alias("departments"),
                )
                .drop("_key")
            )
        pairs = events.unique()
        shared = pairs.group_by("case_id", "activity").len().filter(pl.col("len") >= 2)
        return (
            pairs.join(shared.drop("len"), on=["case_id", "activity"], how="semi")
            .group_by("case_id", "activity")
            .agg(pl.col("department").cast(pl.String).sort().alias("departments"))
        )

    return by_case(events, shared).with_columns(
        pl.col("departments").list.join(SEPARATOR).alias("key")
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
