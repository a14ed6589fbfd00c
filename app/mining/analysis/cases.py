"""The cases behind a finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from app.mining.analysis import duplicates, pingpong, rework, variants
from app.mining.analysis.prepared import SEPARATOR, Prepared

__all__ = ["Finding", "cases_behind"]

Kind = Literal["handoff", "pingpong", "rework", "duplicate", "variant", "activity"]


@dataclass(frozen=True)
class Finding:
    """What a list of cases is asked for: a handoff pair, a ping-pong pair, a reworked
    activity of a department, a duplicated activity, a variant (by rank, 1 = most
    frequent) or an activity."""

    kind: Kind
    from_department: str | None = None
    to_department: str | None = None
    activity: str | None = None
    department: str | None = None
    rank: int | None = None


def cases_behind(prepared: Prepared, finding: Finding) -> list[str]:
    """The ids of the cases behind a finding, sorted."""
    if finding.kind == "handoff":
        frame = prepared.handoffs.filter(
            (pl.col("from_department") == finding.from_department)
            & (pl.col("to_department") == finding.to_department)
        )
    elif finding.kind == "pingpong":
        frame = pingpong.repeated(prepared, pingpong.Params()).filter(
            (pl.col("from_department") == finding.from_department)
            & (pl.col("to_department") == finding.to_department)
        )
    elif finding.kind == "rework":
        frame = rework.repeated(prepared).filter(
            (pl.col("activity") == finding.activity) & (pl.col("department") == finding.department)
        )
    elif finding.kind == "duplicate":
        frame = duplicates.per_case(prepared).filter(pl.col("activity") == finding.activity)
    elif finding.kind == "activity":
        frame = prepared.events.filter(pl.col("activity") == finding.activity)
    else:
        ranked = variants.run(prepared, variants.Params(top=finding.rank))
        if not finding.rank or finding.rank > len(ranked):
            return []
        key = SEPARATOR.join(ranked[finding.rank - 1].activities)
        frame = variants.sequences(prepared).filter(pl.col("key") == key)
    return sorted(frame.get_column("case_id").unique().to_list())
