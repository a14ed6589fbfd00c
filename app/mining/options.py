"""What an import is told: the column mapping, time zone, date order, policies and limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = ["ImportLimits", "ImportOptions"]

OnError = Literal["reject", "skip"]
Lifecycle = Literal["pair", "keep"]


@dataclass(frozen=True)
class ImportLimits:
    """Bounds that keep a hostile or broken file from exhausting the machine."""

    max_decompressed_bytes: int = 10 * 1024**3
    """Largest content a .gz or .zip may expand to."""
    max_compression_ratio: int = 200
    """Expanded size over compressed size beyond which a file is taken for a bomb."""
    ratio_grace_bytes: int = 64 * 1024**2
    """The ratio is only checked once this much has been expanded."""
    max_line_length: int = 1024**2
    """Longest physical line of a CSV file, in characters."""
    max_columns: int = 2000
    """Most columns a CSV header or an XES event may have."""
    max_trace_events: int = 100_000
    """Most events one XES trace (one case) may hold: they are kept until its end."""
    max_row_errors_listed: int = 20
    """Row errors listed in a message or report (all are counted)."""


@dataclass(frozen=True)
class ImportOptions:
    """How to read one event log. ``None`` means "recognise from the file"."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    department: str | None = None
    resource: str | None = None
    start_timestamp: str | None = None
    lifecycle_column: str | None = None
    """Column of lifecycle transitions (start, complete); recognised when None."""
    timezone: str | None = None
    """IANA zone for timestamps without an offset (default UTC)."""
    dayfirst: bool | None = None
    """Order of day and month in dates like 03/04/2024; decided from the data when None."""
    encoding: str | None = None
    """Text encoding of a CSV; detected when None."""
    delimiter: str | None = None
    """CSV delimiter; detected when None."""
    on_error: OnError = "reject"
    """Rows that cannot be read: reject the whole file, or skip them and count them."""
    pseudonymise: tuple[str, ...] = ()
    """Columns (source names, or roles such as resource) replaced by salted hashes."""
    lifecycle: Lifecycle = "pair"
    """``pair``: merge lifecycle start events into their complete events as start times."""
    limits: ImportLimits = field(default_factory=ImportLimits)

    def explicit_mapping(self) -> dict[str, str | None]:
        """The columns named for each role (None: recognise it by its header)."""
        return {
            "case": self.case,
            "activity": self.activity,
            "timestamp": self.timestamp,
            "department": self.department,
            "resource": self.resource,
            "start_timestamp": self.start_timestamp,
            "lifecycle": self.lifecycle_column,
        }

    def fingerprint(self) -> str:
        """A hash of everything that changes the result of an import (not the limits)."""
        data = asdict(self)
        data.pop("limits")
        data["pseudonymise"] = sorted(self.pseudonymise)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def as_dict(self) -> dict[str, object]:
        """The options as stored with a log."""
        data = asdict(self)
        data.pop("limits")
        data["pseudonymise"] = list(self.pseudonymise)
        return data
