"""Reading XES event logs: streamed, with document types (and so entities) refused."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import polars as pl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from app.lib.errors import InvalidEventLog
from app.mining.options import ImportLimits
from app.mining.raw import RawTable

__all__ = ["XES_KEYS", "first_events", "read_xes"]

CHUNK_ROWS = 50_000

ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id"}
XES_KEYS = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "department": "org:group",
    "resource": "org:resource",
    "lifecycle": "lifecycle:transition",
}
"""The standard XES keys of each role (trace attributes carry the ``case:`` prefix)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(element: Element, prefix: str = "") -> dict[str, str]:
    """The element's own attributes (direct children); nested meta-attributes are ignored."""
    out = {}
    for child in element:
        if _local(child.tag) in ATTRIBUTE_TAGS:
            key, value = child.get("key"), child.get("value")
            if key is not None:
                out[prefix + key] = value
    return out  # type: ignore[return-value]


class _Columns:
    """Column lists filled event by event, turned into polars chunks every ``CHUNK_ROWS``.

    Keeping values as Python strings costs about ten times their Arrow size, so the lists
    are flushed to a DataFrame chunk regularly; a 500 MB XES never holds more than one
    chunk as Python objects.
    """

    def __init__(self, max_columns: int, name: str) -> None:
        self.columns: dict[str, list[str | None]] = {}
        self.known: set[str] = set()
        self.rows = 0
        self.total = 0
        self.chunks: list[pl.DataFrame] = []
        self.max_columns = max_columns
        self.name = name

    def add(self, row: dict[str, Any]) -> None:
        for key in [k for k in row if k not in self.columns]:
            if key not in self.known and len(self.known) >= self.max_columns:
                raise InvalidEventLog(
                    f"{self.name}: events carry more than {self.max_columns:,} different "
                    "attributes, more than an event log may have."
                )
            self.known.add(key)
            self.columns[key] = [None] * self.rows
        for key, values in self.columns.items():
            values.append(row.get(key))
        self.rows += 1
        self.total += 1
        if self.rows >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.chunks.append(
                pl.DataFrame({k: pl.Series(k, v, dtype=pl.String) for k, v in self.columns.items()})
            )
        self.columns, self.rows = {}, 0

    def frame(self) -> pl.DataFrame:
        self.flush()
        return pl.concat(self.chunks, how="diagonal") if len(self.chunks) > 1 else self.chunks[0]


def read_xes(
    path: Path,
    name: str,
    limits: ImportLimits | None = None,
    progress: Callable[[int], None] | None = None,
) -> RawTable:
    """The events of an XES file as text columns, one row per event in file order.

    Trace attributes are given to each of the trace's events with a ``case:`` prefix;
    events are located by their number in the file (XES has no rows to point at).

    Raises:
        InvalidEventLog: not well-formed XML, a document type declaration (refused: it can
            expand entities or fetch files), no trace, or too many attributes.
    """
    limits = limits or ImportLimits()
    columns = _Columns(limits.max_columns, name)
    pending: list[dict[str, Any]] = []
    saw_log = False
    with path.open("rb") as handle:
        try:
            for _event, element in iterparse(handle, events=("end",), forbid_dtd=True):
                tag = _local(element.tag)
                if tag == "event":
                    pending.append(_attributes(element))
                    element.clear()
                elif tag == "trace":
                    own = sum(1 for child in element if _local(child.tag) == "event")
                    if own != len(pending):
                        _outside(name, columns.total + 1)
                    case = _attributes(element, "case:")
                    for row in pending:
                        row.update(case)
                        columns.add(row)
                    pending.clear()
                    element.clear()
                    if progress:
                        progress(handle.tell())
                elif tag == "log":
                    saw_log = True
        except DefusedXmlException:
            raise InvalidEventLog(
                f"{name}: the XES file declares a document type (DTD), which is refused because "
                "it can expand entities or fetch outside files; export the log without it."
            ) from None
        except ParseError as error:
            line, column = error.position
            reason = str(error).split(":")[0]
            raise InvalidEventLog(
                f"{name}, line {line}, column {column + 1}: the XES file is not well-formed "
                f"XML ({reason})."
            ) from None
    if pending:
        _outside(name, columns.total + 1)
    if not saw_log:
        raise InvalidEventLog(f"{name}: the XML file is not an XES event log (no <log> element).")
    if columns.total == 0:
        raise InvalidEventLog(f"{name}: the XES log holds no event inside a trace.")
    frame = columns.frame()
    lines = pl.int_range(1, frame.height + 1, dtype=pl.Int64, eager=True).alias("line")
    return RawTable(frame=frame, lines=lines, unit="event", defaults=dict(XES_KEYS))


def _outside(name: str, number: int) -> None:
    raise InvalidEventLog(
        f"{name}: event {number:,} stands outside any trace, so it belongs to no case; "
        "every event of an XES log must be inside a <trace>."
    )


def first_events(head: bytes, name: str, complete: bool, count: int = 20) -> RawTable:
    """The first ``count`` events of an XES file from its first bytes, for a preview.

    Each event gets the attributes of its trace read so far (``case:`` prefixed). When
    ``complete`` is False the bytes stop anywhere, so an error at their end is expected.

    Raises:
        InvalidEventLog: a document type declaration, XML that is not well-formed before
            the end of the bytes, or no event at all.
    """
    rows: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    trace: Element | None = None
    saw_log = False

    def flush() -> None:
        case = _attributes(trace, "case:") if trace is not None else {}
        for row in pending:
            row.update(case)
        rows.extend(pending)
        pending.clear()

    try:
        for event, element in iterparse(io.BytesIO(head), events=("start", "end"), forbid_dtd=True):
            tag = _local(element.tag)
            if event == "start":
                if tag == "trace":
                    trace = element
                elif tag == "log":
                    saw_log = True
                continue
            if tag == "event" and trace is not None:
                pending.append(_attributes(element))
            elif tag == "trace":
                flush()
                trace = None
                element.clear()
            if len(rows) >= count:
                break
    except DefusedXmlException:
        raise InvalidEventLog(
            f"{name}: the XES file declares a document type (DTD), which is refused because "
            "it can expand entities or fetch outside files; export the log without it."
        ) from None
    except ParseError as error:
        if complete or not (rows or pending or saw_log):
            line, column = error.position
            reason = str(error).split(":")[0]
            raise InvalidEventLog(
                f"{name}, line {line}, column {column + 1}: the XES file is not well-formed "
                f"XML ({reason})."
            ) from None
    flush()
    if not saw_log:
        raise InvalidEventLog(f"{name}: the XML file is not an XES event log (no <log> element).")
    rows = rows[:count]
    if not rows:
        raise InvalidEventLog(
            f"{name}: no event inside a trace was found at the start of the file."
        )
    keys = list(dict.fromkeys(key for row in rows for key in row))
    frame = pl.DataFrame(
        {k: pl.Series(k, [row.get(k) for row in rows], dtype=pl.String) for k in keys}
    )
    lines = pl.int_range(1, frame.height + 1, dtype=pl.Int64, eager=True).alias("line")
    return RawTable(frame=frame, lines=lines, unit="event", defaults=dict(XES_KEYS))
