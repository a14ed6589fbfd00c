"""Case attributes read from the other columns of a log (kept as JSON per event).

An attribute of a case is the first value the case's events give for that column (in
case order), so a column filled on the first event only, or on every event, gives the
same answer.
"""

from __future__ import annotations

import json

import polars as pl

from app.lib.errors import InvalidRequest

__all__ = ["CHANNEL_NAMES", "attribute_names", "case_attribute", "find_channel"]

SAMPLE = 1000
CHANNEL_NAMES = (
    "channel",
    "contact channel",
    "intake channel",
    "request channel",
    "source channel",
)
"""Column names (case-insensitive, with or without XES's ``case:`` prefix) taken as the
channel a request came in by."""


def _path(name: str) -> str:
    """The JSON path of a top-level key.

    >>> _path("Street Address")
    "$['Street Address']"
    >>> _path("it's")
    '$["it\\'s"]'
    """
    if "'" not in name:
        return f"$['{name}']"
    if '"' not in name:
        return f'$["{name}"]'
    raise InvalidRequest(f"The attribute name {name!r} holds both kinds of quote; rename it.")


def attribute_names(events: pl.DataFrame) -> list[str]:
    """The other columns of the log, as the first thousand events that have any give them.

    >>> attribute_names(pl.DataFrame({"attributes": [None, '{"Ward": "3", "Channel": "Web"}']}))
    ['Channel', 'Ward']
    """
    if "attributes" not in events.columns:
        return []
    sample = events.get_column("attributes").drop_nulls().head(SAMPLE).to_list()
    return sorted({key for row in sample for key in json.loads(row)})


def find_channel(events: pl.DataFrame) -> str | None:
    """The column that names the channel of a request, if the log has one.

    >>> find_channel(pl.DataFrame({"attributes": ['{"case:channel": "Internet"}']}))
    'case:channel'
    """
    for name in attribute_names(events):
        plain = name.lower().removeprefix("case:").replace("_", " ").strip()
        if plain in CHANNEL_NAMES:
            return name
    return None


def case_attribute(events: pl.DataFrame, name: str) -> pl.DataFrame:
    """``case_id`` and ``value``: the first non-empty value of the column in each case.

    Raises:
        InvalidRequest: the log has no such column.
    """
    if name not in attribute_names(events):
        known = ", ".join(attribute_names(events)) or "none"
        raise InvalidRequest(
            f"The log has no column {name!r} besides the mapped ones (its other columns: {known})."
        )
    values = events.select(
        "case_id",
        pl.col("attributes").str.json_path_match(_path(name)).alias("value"),
    ).filter(pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != ""))
    return values.group_by("case_id", maintain_order=True).agg(pl.col("value").first())
