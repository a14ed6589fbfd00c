"""Handoffs: every department pair that occurs, with the waits it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from app.mining.analysis.prepared import Prepared

__all__ = ["HandoffRow", "Params", "run", "with_wait_shares"]


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


def with_wait_shares(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Handoff rows (as dicts) with each one's share of all handoff waiting
    (``share_of_wait``, None when nothing waited).

    >>> with_wait_shares([{"total_wait_s": 30.0}, {"total_wait_s": 10.0}])
    [{'total_wait_s': 30.0, 'share_of_wait': 0.75}, {'total_wait_s': 10.0, 'share_of_wait': 0.25}]
    """
    total = sum(row.get("total_wait_s") or 0 for row in rows)
    return [
        {**row, "share_of_wait": round(row["total_wait_s"] / total, 4) if total else None}
        for row in rows
    ]
