"""Variants: the distinct activity sequences of cases."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from app.mining.analysis.prepared import SEPARATOR, Prepared, by_case

__all__ = ["Params", "VariantRow", "run"]


@dataclass(frozen=True)
class Params:
    """``top``: how many variants to list (all when None); shares count every case."""

    top: int | None = 100


@dataclass(frozen=True)
class VariantRow:
    """A sequence of activities, the cases following it and their share of all cases."""

    activities: list[str]
    cases: int
    share: float


def sequences(prepared: Prepared) -> pl.DataFrame:
    """case_id and its activity sequence joined by an unprintable separator."""
    return by_case(
        prepared.events.select("case_id", "activity"),
        lambda events: events.group_by("case_id", maintain_order=True).agg(
            pl.col("activity").str.join(SEPARATOR).alias("key")
        ),
    )


def run(prepared: Prepared, params: Params) -> list[VariantRow]:
    """Variants, most frequent first (ties by the sequence)."""
    if prepared.events.schema["activity"] == pl.Categorical:
        table, total = _coded_variants(prepared)
    else:
        per_case = sequences(prepared)
        total = per_case.height
        table = per_case.group_by("key").agg(pl.len().alias("cases"))
    table = table.sort(["cases", "key"], descending=[True, False])
    if params.top is not None:
        table = table.head(params.top)
    return [
        VariantRow(
            activities=row["key"].split(SEPARATOR),
            cases=row["cases"],
            share=row["cases"] / total if total else 0.0,
        )
        for row in table.iter_rows(named=True)
    ]


def _coded_variants(prepared: Prepared) -> tuple[pl.DataFrame, int]:
    """key and cases of every variant, grouping the cases by their activities' codes and
    naming only the distinct sequences; and the number of cases."""
    activity = prepared.events.get_column("activity").unique()
    names = dict(
        zip(activity.to_physical().to_list(), activity.cast(pl.String).to_list(), strict=True)
    )
    per_case = by_case(
        prepared.events.select("case_id", "activity"),
        lambda events: events.group_by("case_id").agg(
            pl.col("activity").to_physical().alias("codes")
        ),
    )
    table = per_case.group_by("codes").agg(pl.len().alias("cases"))
    keys = [SEPARATOR.join(names[code] for code in codes) for codes in table["codes"].to_list()]
    return table.select(pl.Series("key", keys, dtype=pl.String), "cases"), per_case.height
