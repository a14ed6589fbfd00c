"""Handoffs: every department pair that occurs, with the waits it carries."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import Prepared

__all__ = ["HandoffRow", "Params", "run"]


@dataclass(frozen=True)
class Params:
    """No parameters: every pair is listed."""


@dataclass(frozen=True)
class HandoffRow:
    """One department pair (CONTRACT section 3 ``handoffs``)."""

    from_department: str
    to_department: str
    count: int
    cases: int
    total_wait_s: float
    mean_wait_s: float
    median_wait_s: float
    p90_wait_s: float


def run(prepared: Prepared, params: Params) -> list[HandoffRow]:
    """Handoffs by total wait, largest first (ties by department names).

    Percentiles use linear interpolation.
    """
    table = (
        prepared.handoffs.group_by("from_department", "to_department")
        .agg(
            pl.len().alias("count"),
            pl.col("case_id").n_unique().alias("cases"),
            pl.col("wait_s").sum().alias("total_wait_s"),
            pl.col("wait_s").mean().alias("mean_wait_s"),
            pl.col("wait_s").quantile(0.5, "linear").alias("median_wait_s"),
            pl.col("wait_s").quantile(0.9, "linear").alias("p90_wait_s"),
        )
        .sort(
            ["total_wait_s", "from_department", "to_department"],
            descending=[True, False, False],
        )
    )
    return [HandoffRow(**row) for row in table.iter_rows(named=True)]
