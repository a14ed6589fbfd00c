"""The rows of a file before any interpretation: text columns and where each row came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

__all__ = ["RawTable", "RowProblem"]


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be imported as it is."""

    line: int
    column: str | None
    message: str


@dataclass
class RawTable:
    """Text columns of a log, one row per event, in file order."""

    frame: pl.DataFrame
    lines: pl.Series
    """Where each row is in the file: its first line (CSV) or its event number (XES)."""
    unit: Literal["line", "event"]
    """What ``lines`` counts, for messages."""
    delimiter: str | None = None
    blank_lines: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    """Rows left out while reading (wrong number of fields)."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Column names of the roles this format fixes (XES keys)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Header as written, for columns renamed to be unique ("Activity (2)" -> "Activity")."""
