"""Properties of the readers on damaged and arbitrary input: a clear refusal or a correct read.

Each example is a valid CSV log, XES log or process file with random damage (flipped,
inserted and deleted bytes, truncation, repeated lines: quotes, delimiters, NULs, byte
order marks, lone carriage returns, invalid UTF-8), or plain arbitrary bytes. Whatever
comes in, the reader either refuses it with the project's error type and one plain
sentence that names the file, or reads it, and then what it read is checked against an
independent reading (the csv module, an ElementTree of the whole XES file) and the
import rules. Every example runs under a time bound, so a hang fails the test.

The examples are derandomised: CI runs the same ones every time.
"""

from __future__ import annotations

import codecs
import csv
import faulthandler
import gzip
import io
import re
import signal
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from xml.etree.ElementTree import Element

import polars as pl
import pytest
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from app.domain.processes.rules import check_process
from app.domain.processes.yaml_format import (
    dump_process_yaml,
    load_process_file,
    parse_process_yaml,
)
from app.lib.errors import InvalidEventLog, InvalidProcess, PayloadTooLarge
from app.mining.eventlog import ANALYSED_COLUMNS, NormalisedLog, read_event_log
from app.mining.lean_csv import NotLean, read_lean
from app.mining.normalise import UNASSIGNED
from app.mining.options import ImportOptions
from app.mining.text import utf8_text
from app.mining.xes_reader import first_events, read_xes
from tests.conftest import DATA, ROOT

EXAMPLES = 150
"""Examples per property (each reads a small file one to three times)."""
BOUND_S = 10.0
"""Longest one example may take before it counts as a hang."""
PROPERTY = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOT_IN_A_SENTENCE = (
    "Traceback",
    'File "',
    "Error(",
    "Exception",
    "<class",
    "<unicode string>",
    "row_offset",
    "polars",
    "set_int_max_str_digits",
)
"""What only a Python error, not a sentence for people, would say."""


class TookTooLong(AssertionError):
    """An example ran past ``BOUND_S``."""


@contextmanager
def bounded(seconds: float = BOUND_S) -> Iterator[None]:
    """Fail the example when it runs longer than ``seconds``; should native code never
    return, end the process after four times that (with every thread's stack) rather than
    hang the run."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TookTooLong(f"the example took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * 4, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_sentence(message: str, name: str) -> None:
    """One plain sentence for people, naming the file first."""
    assert message.startswith(name), message
    assert message.endswith((".", "?")), message
    assert "\n" not in message and "\r" not in message, repr(message)
    for fragment in NOT_IN_A_SENTENCE:
        assert fragment not in message, message
    assert not re.search(r"\bb'\\x|\bb\"\\x", message), message  # bytes as Python shows them


def outcome(kind: str, message: str = "") -> None:
    """Count what the examples came to (``--hypothesis-show-statistics``)."""
    if currently_in_test_context():
        reason = re.sub(r"'[^']*'|[\d,]+", "_", message.split(": ", 1)[-1])[:60]
        event(f"{kind} {reason}".strip())


# --- damage ------------------------------------------------------------------------------

BYTE_TOKENS = [
    b'"',
    b'""',
    b",",
    b";",
    b"\t",
    b"|",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xe9",
    b"\xc3\xa9",
    b"\xc3",
    b"\x81",
    b" ",
]
XML_TOKENS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x41;",
    b'"',
    b"'",
    b"/>",
    b"</trace>",
    b"<trace>",
    b"<event>",
    b"</event>",
    b'<string key="concept:name" value="X"/>',
    b"<![CDATA[",
    b"]]>",
    b"<!-- -->",
    b"<!DOCTYPE log>",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xe9",
    b'<?xml version="1.0" encoding="UTF-16"?>',
]

Damage = tuple[str, int, int, bytes]


def damage(tokens: list[bytes]) -> st.SearchStrategy[list[Damage]]:
    """Up to four changes: flip a byte, insert a token, delete a span, cut the rest off,
    repeat a line. Positions are taken modulo the length of the content at that point."""
    change = st.one_of(
        st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255), st.just(b"")),
        st.tuples(st.just("insert"), st.integers(0, 10**6), st.just(0), st.sampled_from(tokens)),
        st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 8), st.just(b"")),
        st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0), st.just(b"")),
        st.tuples(st.just("repeat"), st.integers(0, 10**6), st.just(0), st.just(b"")),
    )
    return st.lists(change, max_size=4)


def damaged(content: bytes, changes: list[Damage]) -> bytes:
    data = bytearray(content)
    for kind, where, amount, token in changes:
        if not data:
            break
        at = where % len(data)
        if kind == "flip":
            data[at] = amount
        elif kind == "insert":
            data[at:at] = token
        elif kind == "delete":
            del data[at : at + amount]
        elif kind == "cut":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            line = lines[at % len(lines)]
            data += line + b"\n"
    return bytes(data)


def write(folder: str, name: str, content: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(content)
    return path


# --- CSV -----------------------------------------------------------------------------------

PLAIN_WORDS = ["Log request", "Inspect site", "Repair", "Close", "Réparer", "Call back"]
QUOTED_WORDS = [*PLAIN_WORDS, "Call back, résident", 'Say "hi"', "Two\nlines", " padded "]
TIME_LAYOUTS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S+01:00", "%Y-%m-%dT%H:%M:%SZ"]


class CsvLog:
    """A valid CSV log as bytes, and how it was written."""

    def __init__(self, content: bytes, delimiter: str) -> None:
        self.content, self.delimiter = content, delimiter

    def __repr__(self) -> str:
        return f"CsvLog({self.content!r}, {self.delimiter!r})"


@st.composite
def csv_logs(draw: st.DrawFn, plain: bool = False) -> CsvLog:
    """A CSV log that imports: recognised headers, one timestamp layout, any delimiter,
    quoted fields with delimiters, quotes and newlines (unless ``plain``), and sometimes
    a byte order mark, Windows line ends or Windows-1252."""
    words = PLAIN_WORDS if plain else QUOTED_WORDS
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    layout = draw(st.sampled_from(TIME_LAYOUTS))
    header = ["Case ID", "Activity", "Timestamp", "Department"]
    notes = draw(st.booleans())
    if notes:
        header.append("Note")
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        stamp = datetime(2024, 3, draw(st.integers(1, 28)), draw(st.integers(0, 23)), 5, 7)
        when = stamp.strftime(layout)
        if not plain:  # now and then a time no reader can read, holding control characters
            when = draw(st.sampled_from([when] * 8 + ["yester\nday", f"{when}\x0b"]))
        row = [
            draw(st.sampled_from(["T1", "T2", "T3", "A-10"])),
            draw(st.sampled_from(words)),
            when,
            draw(st.sampled_from(["Contact Centre", "Roads", "", "Voirie"])),
        ]
        if notes:
            row.append(draw(st.sampled_from([*words, ""])))
        rows.append(row)
    out = io.StringIO()
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows([header, *rows])
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252"]))
    return CsvLog(text.encode(encoding, errors="replace"), delimiter)


def read(path: Path, name: str, **kwargs: Any) -> NormalisedLog | str:
    """The log read, or the sentence of its refusal (any other exception fails the test)."""
    try:
        log = read_event_log(path, name, **kwargs)
    except (InvalidEventLog, PayloadTooLarge) as error:
        assert_sentence(str(error), name)
        outcome("refused", str(error))
        return str(error)
    outcome("read")
    return log


def check_rules(log: NormalisedLog) -> None:
    """What every read log must satisfy, whatever the file was (CONTRACT section 3)."""
    events, stats = log.events, log.stats
    assert events.height == stats["events"] > 0
    merged = log.quality.get("lifecycle_starts_merged", 0)
    assert stats["rows_read"] == (
        events.height + stats["exact_duplicate_rows_dropped"] + stats["rows_skipped"] + merged
    )
    columns = ["case_id", "activity", "timestamp_us", "department", "line"]
    assert events.select(pl.col(columns).null_count()).row(0) == (0, 0, 0, 0, 0)
    keys = events.select(pl.col("case_id").cast(pl.String), "timestamp_us", "line")
    assert keys.equals(keys.sort(["case_id", "timestamp_us", "line"]))
    assert events.get_column("line").is_unique().all()
    assert stats["cases"] == events.get_column("case_id").n_unique()
    stamps = events.get_column("timestamp_us")
    assert (stats["first_event_us"], stats["last_event_us"]) == (stamps.min(), stamps.max())


def analysed(log: NormalisedLog) -> pl.DataFrame:
    return log.events.select(ANALYSED_COLUMNS).with_columns(
        pl.col("case_id", "activity", "department").cast(pl.String)
    )


def wrapped(content: bytes, name: str) -> bytes:
    """The content as the file ``name`` holds it: plain, in a gzip or in a zip."""
    if name.endswith(".gz"):
        return gzip.compress(content, mtime=0)
    if name.endswith(".zip"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("export/log.csv", content)
        return out.getvalue()
    return content


@PROPERTY
@given(
    st.one_of(csv_logs(), csv_logs(plain=True)),
    damage(BYTE_TOKENS),
    st.sampled_from(["log.csv", "log.csv", "log.csv.gz", "log.zip"]),
    st.booleans(),
)
def test_a_damaged_csv_is_refused_in_a_sentence_or_read_alike_by_both_readers(
    log: CsvLog, changes: list[Damage], name: str, archive_damaged: bool
) -> None:
    """The general reader and the lean one (for analysis) give the same events or the same
    sentence, whether the log or the archive holding it is damaged; the lean one takes the
    undamaged plain logs itself and gives up (``NotLean``) on what it cannot read alike."""
    if archive_damaged and name != "log.csv":
        content = damaged(wrapped(log.content, name), changes)
    else:
        content = wrapped(damaged(log.content, changes), name)
    note(f"content={content!r}")
    with tempfile.TemporaryDirectory() as folder, bounded():
        path = write(folder, name, content)
        general = read(path, name, keep_attributes=False)
        lean = read(path, name, keep_attributes=False, lean=True)
        if name == "log.csv":
            try:
                with utf8_text(path, name) as text:
                    taken = read_lean(text, name, ImportOptions())
            except NotLean:
                outcome("lean gave up")
                assert changes or re.search(rb'["\r]|\dZ', content)  # the common layout
            except InvalidEventLog:
                assert isinstance(general, str)  # not text
            else:
                outcome("lean took it")
                assert not isinstance(general, str), general
                assert analysed(taken).equals(analysed(general))
    if isinstance(general, str):
        assert lean == general
        return
    assert not isinstance(lean, str), lean
    check_rules(general)
    check_rules(lean)
    assert analysed(lean).equals(analysed(general))
    for key in ("rows_read", "exact_duplicate_rows_dropped", "events", "cases", "departments"):
        assert lean.stats[key] == general.stats[key], key


def _oracle_rows(text: str, delimiter: str) -> tuple[list[str], dict[int, list[str]]] | None:
    """The header and the rows by their first line, as the csv module reads them (None:
    the csv module refuses the text)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: dict[int, list[str]] = {}
    header: list[str] | None = None
    try:
        previous = 0
        for row in reader:
            if row and header is None:
                header = row
            elif row:
                rows[previous + 1] = row
            previous = reader.line_num
    except csv.Error:
        return None
    return (header, rows) if header is not None else None


def _first_bad_byte(content: bytes) -> str:
    """Where the first byte that is not UTF-8 is, as a message names it: line, column (in
    characters, after a byte order mark) and the byte."""
    data = content.removeprefix(codecs.BOM_UTF8)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        return f"line {line}, column {column}: byte 0x{data[error.start]:02X} "
    raise AssertionError("the content is UTF-8")


def _instant(value: str) -> int | None:
    """Microseconds UTC of an ISO 8601 value as ``datetime`` reads it (naive: UTC)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?", value):
        return None
    moment = datetime.fromisoformat(value.replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


@PROPERTY
@given(csv_logs(), damage(BYTE_TOKENS))
def test_what_is_read_from_a_damaged_csv_is_what_the_csv_module_reads(
    log: CsvLog, changes: list[Damage]
) -> None:
    """Each event has the case, activity, department and time of the row at its line as
    the csv module reads that row, and the events are the distinct rows."""
    content = damaged(log.content, changes)
    note(f"content={content!r}")
    with tempfile.TemporaryDirectory() as folder, bounded():
        path = write(folder, "log.csv", content)
        result = read(path, "log.csv", options=ImportOptions(delimiter=log.delimiter))
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # read as UTF-16: nothing to compare with
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        if isinstance(result, str) and "is not valid UTF-8 text" in result:
            assert _first_bad_byte(content) in result, result
            return
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            assert isinstance(result, str)  # neither UTF-8 nor Windows-1252
            return
    if re.search(r"\r(?!\n)", text):
        return  # a lone carriage return: refused outside quotes, data inside
    oracle = _oracle_rows(text, log.delimiter)
    if oracle is None:
        assert isinstance(result, str), "the csv module refuses what was read"
        return
    header, rows = oracle
    if any(len(row) != len(header) for row in rows.values()):
        assert isinstance(result, str), "a row with another number of fields was read"
        return
    if isinstance(result, str):
        return  # refused for what the csv module does not look at (names, times, NULs)
    check_rules(result)
    distinct = {tuple(row) for row in rows.values()}
    if '""' not in text:  # an empty quoted value and an empty one differ for polars
        assert result.stats["events"] == len(distinct)
    stripped = [h.strip() for h in header]
    index = {
        role: stripped.index(column) if stripped.count(column) == 1 else None
        for role, column in result.mapping.as_dict().items()
        if column is not None
    }
    for found in result.events.iter_rows(named=True):
        row = rows[found["line"]]
        for role, column in (("case", "case_id"), ("activity", "activity")):
            if index.get(role) is not None:
                assert found[column] == row[index[role]].strip()  # type: ignore[index]
        if index.get("department") is not None:
            expected = row[index["department"]].strip() or UNASSIGNED  # type: ignore[index]
            assert found["department"] == expected
        if index.get("timestamp") is not None:
            instant = _instant(row[index["timestamp"]].strip())  # type: ignore[index]
            if instant is not None:
                assert found["timestamp_us"] == instant


@PROPERTY
@given(st.binary(max_size=2048), st.sampled_from(["x.csv", "x.xes", "x.csv.gz", "x.zip"]))
def test_arbitrary_bytes_are_refused_in_a_sentence_or_read_by_the_rules(
    content: bytes, name: str
) -> None:
    """Bytes that are no log at all, also behind a gzip or zip signature."""
    if name.endswith(".gz"):
        content = b"\x1f\x8b" + content
    elif name.endswith(".zip"):
        content = b"PK\x03\x04" + content
    with tempfile.TemporaryDirectory() as folder, bounded():
        path = write(folder, name, content)
        result = read(path, name)
        lean = read(path, name, keep_attributes=False, lean=True)
    if isinstance(result, NormalisedLog):
        check_rules(result)
    assert isinstance(lean, str) == isinstance(result, str)


# --- XES -----------------------------------------------------------------------------------

XES_VALUES = ["c1", "c2", "Log request", "Repair & close", 'say "hi"', "é<>'", ""]


def _attribute(key: str, value: str, tag: str = "string") -> str:
    from xml.sax.saxutils import quoteattr

    return f"<{tag} key={quoteattr(key)} value={quoteattr(value)}/>"


@st.composite
def xes_logs(draw: st.DrawFn) -> bytes:
    """An XES log: extensions and globals, traces with attributes (sometimes after their
    events), events with standard and other attributes, meta-attributes and lists; valid
    but for the encoding its declaration names now and then."""
    namespace = draw(st.sampled_from(["", ' xmlns="http://www.xes-standard.org/"']))
    encoding = draw(st.sampled_from(["UTF-8"] * 6 + ["ISO-8859-1", "UT-8", "rot13", "utf-32"]))
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        f'<log xes.version="1.0"{namespace}>',
        '<extension name="Concept" prefix="concept" uri="http://x/concept.xesext"/>',
        '<global scope="event">' + _attribute("concept:name", "name") + "</global>",
    ]
    for number in range(draw(st.integers(1, 4))):
        case = _attribute("concept:name", f"case {number}")
        late = draw(st.booleans())
        parts.append("<trace>" + ("" if late else case))
        for _ in range(draw(st.integers(1, 4))):
            stamp = datetime(2024, 3, draw(st.integers(1, 28)), draw(st.integers(0, 23)), 5)
            event = [
                _attribute("concept:name", draw(st.sampled_from(XES_VALUES[2:6]))),
                _attribute("time:timestamp", stamp.isoformat() + "+01:00", "date"),
                _attribute("org:group", draw(st.sampled_from(XES_VALUES))),
            ]
            if draw(st.booleans()):
                event.append('<string key="note" value="n"><string key="meta" value="m"/></string>')
            if draw(st.booleans()):
                event.append('<list key="items"><values><int key="i" value="1"/></values></list>')
            parts.append("<event>" + "".join(event) + "</event>")
        parts.append(("" if not late else case) + "</trace>")
    parts.append("</log>")
    separator = draw(st.sampled_from(["\n", "", "\r\n  "]))
    return separator.join(parts).encode("utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _own(element: Element, prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for child in element:
        tag = _local(child.tag)
        if tag in {"string", "date", "int", "float", "boolean", "id"} and "key" in child.attrib:
            out[prefix + child.attrib["key"]] = child.attrib.get("value")
    return out


def _xes_oracle(content: bytes) -> list[dict[str, str | None]] | str:
    """The events of an XES file read from its whole ElementTree, or why it is refused:
    ``xml`` (not well-formed), ``dtd``, ``encoding``, ``shape`` (events outside traces,
    nested traces, deep nesting: the reader's own checks) or ``no log``."""
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        return "dtd"
    except ParseError:
        return "xml"
    except (LookupError, ValueError):
        return "encoding"
    parents = {child: parent for parent in root.iter() for child in parent}

    def depth(element: Element) -> int:
        level = 1
        while element in parents:
            element, level = parents[element], level + 1
        return level

    elements = list(root.iter())
    if any(depth(e) > 100 for e in elements):
        return "shape"
    if not any(_local(e.tag) == "log" for e in elements):
        return "no log"
    rows = []
    for element in elements:
        tag = _local(element.tag)
        parent = _local(parents[element].tag) if element in parents else None
        if tag == "event" and parent != "trace":
            return "shape"
        if tag == "trace":
            above, inside = element, False
            while above in parents:
                above = parents[above]
                inside = inside or _local(above.tag) in {"trace", "event"}
            if inside:
                return "shape"
            case = _own(element, "case:")
            for event in element:
                if _local(event.tag) == "event":
                    rows.append(_own(event) | case)
    return rows


@PROPERTY
@given(xes_logs(), damage(XML_TOKENS))
def test_a_damaged_xes_is_refused_in_a_sentence_or_read_as_its_element_tree(
    content: bytes, changes: list[Damage]
) -> None:
    """The streaming reader reads what the whole element tree holds, or refuses the file
    for the reason the tree gives; the events then follow the import rules."""
    content = damaged(content, changes)
    note(f"content={content!r}")
    expected = _xes_oracle(content)
    with tempfile.TemporaryDirectory() as folder, bounded():
        path = write(folder, "log.xes", content)
        try:
            raw = read_xes(path, "log.xes")
        except InvalidEventLog as error:
            message = str(error)
            assert_sentence(message, "log.xes")
            outcome("xes refused", message)
            shape = ("stands outside any trace", "are not nested", "nests elements more than")
            reasons = {
                "xml": ("not well-formed XML", *shape),  # the stream may see the shape first
                "dtd": ("declares a document type (DTD)",),
                "encoding": ("names the encoding",),
                "shape": shape,
                "no log": ("no <log> element",),
            }
            if isinstance(expected, list):
                assert not expected, message
                assert "holds no event inside a trace" in message, message
            else:
                assert any(words in message for words in reasons[expected]), (expected, message)
            if "not well-formed XML" in message:
                assert re.match(r"log\.xes, line \d+, column \d+: ", message), message
            return
        assert isinstance(expected, list), expected
        outcome("xes read")
        got = [
            {k: v for k, v in row.items() if v is not None}
            for row in raw.frame.iter_rows(named=True)
        ]
        assert got == [{k: v for k, v in row.items() if v is not None} for row in expected]
        preview = first_events(content, "log.xes", complete=True)
        assert preview.frame.rows() == raw.frame.head(20).select(preview.frame.columns).rows()
        result = read(path, "log.xes")
    if isinstance(result, NormalisedLog):
        check_rules(result)


@PROPERTY
@given(xes_logs(), damage(XML_TOKENS), st.integers(0, 10**6))
def test_the_preview_of_a_damaged_xes_head_is_its_first_events_or_a_sentence(
    content: bytes, changes: list[Damage], cut: int
) -> None:
    """A browser sends the first part of a file: whatever the head holds, the preview lists
    the events it can or refuses in a sentence."""
    head = damaged(content, changes)
    head = head[: cut % (len(head) + 1)]
    note(f"head={head!r}")
    with bounded():
        try:
            preview = first_events(head, "log.xes", complete=False)
        except InvalidEventLog as error:
            assert_sentence(str(error), "log.xes")
            outcome("refused", str(error))
            return
    outcome("previewed")
    assert 0 < preview.frame.height <= 20


# --- process files -------------------------------------------------------------------------

PROCESS_FILES = sorted((ROOT / "processes").glob("*.yaml")) + sorted(
    (DATA / "processes").glob("*.yaml")
)
YAML_TOKENS = [
    ":",
    ": ",
    "- ",
    "  ",
    "\t",
    "\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object/apply:os.system ['true'] ",
    "!!binary ",
    "!!set ",
    "{",
    "}",
    "[",
    "]",
    "#",
    "'",
    '"',
    "\x00",
    "\x01",
    "\x85",
    "\u2028",
    "\ufeff",
    "? ",
    "|\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "0x" + "f" * 5000,
    "9" * 5000,
    "2024-13-45",
    "1:2:3",
    "~",
    "yes",
    "1e999",
    ".nan",
    "-.inf",
    '"k\\tey": 1\n',
    '"x\\u2028y"',
]

TextDamage = tuple[str, int, int, str]


def text_damage() -> st.SearchStrategy[list[TextDamage]]:
    change = st.one_of(
        st.tuples(
            st.just("insert"), st.integers(0, 10**6), st.just(0), st.sampled_from(YAML_TOKENS)
        ),
        st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 12), st.just("")),
        st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0), st.just("")),
        st.tuples(st.just("repeat"), st.integers(0, 10**6), st.just(0), st.just("")),
        st.tuples(st.just("drop"), st.integers(0, 10**6), st.just(0), st.just("")),
    )
    return st.lists(change, min_size=1, max_size=4)


def damaged_text(text: str, changes: list[TextDamage]) -> str:
    for kind, where, amount, token in changes:
        if not text:
            break
        at = where % len(text)
        if kind == "insert":
            text = text[:at] + token + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + amount :]
        elif kind == "cut":
            text = text[:at]
        else:
            lines = text.split("\n")
            line = where % len(lines)
            if kind == "repeat":
                lines.insert(line, lines[line])
            else:
                del lines[line]
            text = "\n".join(lines)
    return text


def parse_or_sentence(text: str, name: str) -> Any:
    try:
        process = parse_process_yaml(text, name)
    except InvalidProcess as error:
        assert_sentence(str(error), name)
        outcome("refused", str(error))
        return str(error)
    outcome("read")
    return process


def check_process_read(process: Any) -> None:
    """A process that was read keeps the rules and survives writing and reading again."""
    assert check_process(process) == []
    assert parse_process_yaml(dump_process_yaml(process), "again.yaml") == process


@PROPERTY
@given(st.sampled_from(PROCESS_FILES), text_damage())
def test_a_damaged_process_file_is_refused_in_a_sentence_or_read_by_its_rules(
    path: Path, changes: list[TextDamage]
) -> None:
    text = damaged_text(path.read_text(encoding="utf-8"), changes)
    note(f"text={text!r}")
    with bounded():
        result = parse_or_sentence(text, "broken.yaml")
        if not isinstance(result, str):
            check_process_read(result)


@PROPERTY
@given(st.binary(max_size=2048) | st.text(max_size=1024).map(str.encode))
def test_arbitrary_bytes_as_a_process_file_are_refused_in_a_sentence(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder, bounded():
        path = write(folder, "any.yaml", content)
        try:
            process = load_process_file(path)
        except InvalidProcess as error:
            assert_sentence(str(error), str(path))
            return
        check_process_read(process)


@pytest.mark.parametrize(
    ("nines", "limit_hit"),
    [(8, True), (2, False)],
    ids=["billion-laughs", "two-levels"],
)
def test_alias_bombs_are_measured_without_being_expanded(nines: int, limit_hit: bool) -> None:
    """Nine aliases of nine aliases ... of a list: refused in a moment at the anchor that
    goes over the limit; a few aliases are plain values."""
    lines = ['name: &a0 ["l", "l", "l", "l", "l", "l", "l", "l", "l"]']
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, nines + 1)]
    text = "slug: x\n" + "\n".join(lines) + "\nowner: O\nversions: [{label: v, kind: as-is}]\n"
    with bounded(5):
        message = parse_or_sentence(text, "laughs.yaml")
    if limit_hit:
        assert message.startswith("laughs.yaml, line 6, column 5: the aliases of this anchor")
    else:
        assert message.startswith("laughs.yaml, line 3: x1: unknown key")
