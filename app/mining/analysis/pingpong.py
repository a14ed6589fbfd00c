"""Ping-pong: the same handoff twice or more within one case."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import Prepared

__all__ = ["Params", "PingPongRow", "run"]


@dataclass(frozen=True)
class Params:
    """``min_repeats``: how often a handoff must recur in a case (the contract's 2)."""

    min_repeats: int = 2


@dataclass(frozen=True)
class PingPongRow:
    """A department pair and the cases in which it was handed over repeatedly."""

    from_department: str
    to_department: str
    cases: int


def repeated(prepared: Prepared, params: Params) -> pl.DataFrame:
    """case_id, from_department, to_department of every repeated handoff of a case."""
    return (
        prepared.handoffs.group_by("case_id", "from_department", "to_department")
        .len()
        .filter(pl.col("len") >= params.min_repeats)
    )


def run(prepared: Prepared, params: Params) -> list[PingPongRow]:
    """Pairs by the number of cases with repeats, most first."""
    table = (
        repeated(prepared, params)
        .group_by("from_department", "to_department")
        .agg(pl.len().alias("cases"))
        .sort(["cases", "from_department", "to_department"], descending=[True, False, False])
    )
    return [PingPongRow(**row) for row in table.iter_rows(named=True)]
