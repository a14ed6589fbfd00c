"""Reading XES event logs: streamed, with document types (and so entities) refused.

The parser hands each element's start and end to ``_Target``, which keeps only the
attributes of the open trace and event: no element tree is built, so neither a file of
millions of elements outside any trace nor one huge trace of empty events fills memory.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from app.lib.errors import InvalidEventLog
from app.lib.shown import shown
from app.mining.options import ImportLimits
from app.mining.raw import RawTable

__all__ = ["XES_KEYS", "first_events", "read_xes"]

CHUNK_ROWS = 50_000
FEED = 64 * 1024
"""Bytes handed to the XML parser at a time."""
MAX_DEPTH = 100
"""Deepest nesting of elements accepted (an XES log needs fewer than ten levels)."""
MAX_GAP = 16 * 1024**2
"""Most bytes a tag may take (the parser holds a tag whole before reporting it)."""
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']{0,40})["']""")

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


class _Enough(Exception):
    """A preview has the events it needs."""


class _Target:
    """What the XML parser reports, read as XES: the attributes (direct ``string``,
    ``date``, ... children with a key) of each event and of its trace; nested
    meta-attributes and everything else are ignored.

    Events of a trace are held until the trace ends (its attributes may follow them) and
    then handed to ``rows`` with the trace's attributes ``case:`` prefixed. ``strict``:
    an event outside a trace is an error (otherwise, for a preview, it is left out).
    """

    def __init__(
        self,
        name: str,
        limits: ImportLimits,
        rows: Callable[[list[dict[str, Any]]], None],
        strict: bool = True,
    ) -> None:
        self.name = name
        self.limits = limits
        self.rows = rows
        self.strict = strict
        self.parser: Any = None
        """The expat parser, for the position of an error."""
        self.tags: list[str] = []
        """Local names of the open elements."""
        self.local: dict[str, str] = {}
        self.case: dict[str, Any] | None = None
        self.event: dict[str, Any] | None = None
        self.pending: list[dict[str, Any]] = []
        self.events = 0
        """Events handed on so far."""
        self.saw_log = False
        self.marks = 0
        """Starts and ends reported so far."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.marks += 1
        local = self.local.get(tag)
        if local is None:
            local = self.local[tag] = _local(tag)
        tags = self.tags
        within = tags[-1] if tags else None
        tags.append(local)
        if len(tags) > MAX_DEPTH:
            raise InvalidEventLog(
                f"{self._where()}: the XML nests elements more than {MAX_DEPTH} deep, which "
                "an XES log never does."
            )
        if local in ATTRIBUTE_TAGS:
            key = attrib.get("key")
            if key is None:
                return
            if within == "event" and self.event is not None:
                self.event[key] = attrib.get("value")
                if len(self.event) > self.limits.max_columns:
                    self._too_many()
            elif within == "trace" and self.case is not None:
                self.case["case:" + key] = attrib.get("value")
                if len(self.case) > self.limits.max_columns:
                    self._too_many()
            return
        if local == "event":
            if within == "trace" and self.case is not None and self.event is None:
                self.event = {}
            elif self.strict:
                _outside(self.name, self.events + len(self.pending) + 1)
        elif local == "trace":
            if self.case is not None or self.event is not None:
                raise InvalidEventLog(
                    f"{self._where()}: a trace stands inside another trace or an event; "
                    "traces of an XES log are not nested."
                )
            self.case = {}
        elif local == "log":
            self.saw_log = True

    def end(self, tag: str) -> None:
        self.marks += 1
        local = self.tags.pop()
        if local == "event" and self.event is not None:
            self.pending.append(self.event)
            self.event = None
            if len(self.pending) > self.limits.max_trace_events:
                raise InvalidEventLog(
                    f"{self.name}: the trace that starts with event {self.events + 1:,} holds "
                    f"more than {self.limits.max_trace_events:,} events, more than one case "
                    "may have."
                )
        elif local == "trace" and self.case is not None:
            self.flush()
            self.case = None

    def flush(self) -> None:
        """Hand on the events read so far, with the attributes of their trace so far."""
        case = self.case or {}
        for row in self.pending:
            row.update(case)
        self.events += len(self.pending)
        self.rows(self.pending)
        self.pending = []

    def close(self) -> None:
        """The end of the document (the parser has checked that every element closed)."""

    def _too_many(self) -> None:
        raise InvalidEventLog(
            f"{self._where()}: an event or trace has more than "
            f"{self.limits.max_columns:,} attributes, more than an event log may have."
        )

    def _where(self) -> str:
        if self.parser is None:
            return self.name
        line = self.parser.CurrentLineNumber
        return f"{self.name}, line {line}, column {self.parser.CurrentColumnNumber + 1}"


def _parse(handle: BinaryIO, target: _Target, progress: Callable[[int], None] | None) -> None:
    """Feed an XML stream to the parser with ``target``, document types refused.

    Raises:
        _Malformed: the XML is not well-formed.
        InvalidEventLog: a document type, an encoding that cannot be read, a tag longer
            than ``MAX_GAP`` bytes, or what ``target`` refuses.
    """
    name = target.name
    xml = DefusedXMLParser(target=target, forbid_dtd=True)
    target.parser = xml.parser
    head = handle.read(FEED)
    chunk = head
    gap, marks = 0, 0
    while True:
        try:
            if chunk:
                xml.feed(chunk)
            else:
                xml.close()
        except DefusedXmlException:
            raise InvalidEventLog(
                f"{name}: the XES file declares a document type (DTD), which is refused "
                "because it can expand entities or fetch outside files; export the log "
                "without it."
            ) from None
        except ParseError as error:
            line, column = error.position
            reason = str(error).split(":")[0]
            if reason.startswith("not well-formed ("):  # expat's words for a bad character
                reason = reason.removeprefix("not well-formed (").removesuffix(")")
            raise _Malformed(line, column + 1, reason) from None
        except (LookupError, ValueError):  # the codecs refuse the declared encoding
            declared = _DECLARED.match(head)
            encoding = shown(declared.group(1).decode("latin-1")) if declared else "?"
            raise InvalidEventLog(
                f"{name}, line 1: the XML declaration names the encoding '{encoding}', "
                "which cannot be read; export the log as UTF-8."
            ) from None
        if not chunk:
            return
        gap = 0 if target.marks != marks else gap + len(chunk)
        marks = target.marks
        if gap > MAX_GAP:
            raise InvalidEventLog(
                f"{name}, line {xml.parser.CurrentLineNumber}: one tag runs for more than "
                f"{MAX_GAP:,} bytes, more than any event log needs; is this really an XES "
                "file?"
            )
        if progress:
            progress(handle.tell())
        chunk = handle.read(FEED)


class _Malformed(Exception):
    """The XML is not well-formed at a place (an error at the end of a head is expected)."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.column, self.reason = line, column, reason

    def invalid(self, name: str) -> InvalidEventLog:
        return InvalidEventLog(
            f"{name}, line {self.line}, column {self.column}: the XES file is not well-formed "
            f"XML ({self.reason})."
        )


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
            expand entities or fetch files), an encoding that cannot be read, elements
            nested too deeply, a tag too long, a trace with too many events, an event
            outside a trace, no trace, or too many attributes.
    """
    limits = limits or ImportLimits()
    columns = _Columns(limits.max_columns, name)

    def store(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            columns.add(row)

    target = _Target(name, limits, store)
    with path.open("rb") as handle:
        try:
            _parse(handle, target, progress)
        except _Malformed as error:
            raise error.invalid(name) from None
    if not target.saw_log:
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

    Each event gets the attributes of its trace read so far (``case:`` prefixed); events
    outside a trace are left out. When ``complete`` is False the bytes stop anywhere, so
    an error at their end is expected.

    Raises:
        InvalidEventLog: a document type declaration, XML that is not well-formed before
            the end of the bytes, or no event at all.
    """
    rows: list[dict[str, Any]] = []

    def keep(found: list[dict[str, Any]]) -> None:
        rows.extend(found)
        if len(rows) >= count:
            raise _Enough

    target = _Target(name, ImportLimits(), keep, strict=False)
    try:
        _parse(io.BytesIO(head), target, None)
    except _Enough:
        pass
    except _Malformed as error:
        if complete or not (rows or target.pending or target.saw_log):
            raise error.invalid(name) from None
    if len(rows) < count:
        with contextlib.suppress(_Enough):
            target.flush()
    if not target.saw_log:
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
