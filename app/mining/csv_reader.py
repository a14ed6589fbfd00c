"""Reading CSV exports: delimiter detection, a checking pass for line numbers, polars for speed."""

from __future__ import annotations

import csv
import io
import itertools
from array import array
from pathlib import Path

import polars as pl

from app.lib.errors import InvalidEventLog
from app.mining.options import ImportLimits
from app.mining.raw import RawTable, RowProblem
from app.mining.text import TextFile

__all__ = ["read_csv"]

DELIMITERS = (",", ";", "\t", "|")
CHUNK_ROWS = 50_000


def _sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same number (>1) of fields."""
    lines = sample.splitlines()[:50]
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=candidate) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        consistent = sum(len(r) == len(rows[0]) for r in rows)
        score = (consistent, len(rows[0]))
        if score > best_score:
            best, best_score = candidate, score
    return best


def _unique(names: list[str]) -> list[str]:
    """Header names made unique ("Status", "Status (2)") and blank ones named by position."""
    taken = {raw.strip() for raw in names}
    out: list[str] = []
    for position, raw in enumerate(names, start=1):
        name = raw.strip() or f"column {position}"
        if name in out:
            number = 2
            while f"{name} ({number})" in taken or f"{name} ({number})" in out:
                number += 1
            name = f"{name} ({number})"
        out.append(name)
    return out


def read_csv(
    text: TextFile,
    name: str,
    delimiter: str | None = None,
    limits: ImportLimits | None = None,
) -> RawTable:
    """Read a CSV file whose text is UTF-8.

    Args:
        text: the file as UTF-8 (see ``text.utf8_text``).
        name: the file name for messages.
        delimiter: the field delimiter, or None to detect it.
        limits: column and line limits.

    Rows with the wrong number of fields are left out and listed in ``problems``; the
    caller decides whether they sink the import.

    Raises:
        InvalidEventLog: no header, no rows, too many columns, unreadable quoting.
    """
    limits = limits or ImportLimits()
    with text.path.open(encoding="utf-8", newline="") as handle:
        sample = handle.read(64 * 1024)
    if not sample.strip():
        raise InvalidEventLog(f"{name}: the file is empty.")
    delimiter = delimiter or _sniff_delimiter(sample)
    if len(delimiter) != 1:
        raise InvalidEventLog(f"The delimiter must be one character, not '{delimiter}'.")
    csv.field_size_limit(limits.max_line_length)
    if '"' in sample or not _has_no_quote(text.path):
        header, starts, blank, problems = _check_rows(text, name, delimiter, limits)
    else:
        header, starts, blank, problems = _check_lines(text, name, delimiter, limits)
    if starts.len() == 0 or bool(blank.all()):
        raise InvalidEventLog(f"{name}: the file has a header but no rows.")

    try:
        frame: pl.DataFrame | None = pl.read_csv(
            text.path,
            separator=delimiter,
            has_header=True,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
            encoding="utf8",
        )
    except pl.exceptions.PolarsError:
        frame = None
    if frame is None or frame.height != starts.len() or frame.width != len(header):
        # polars reads a quote inside an unquoted field (12" pipe) or a lone carriage
        # return otherwise than the csv module, whose rows the line numbers come from
        frame = _rows_frame(text, delimiter, len(header))
    names = _unique(header)
    frame.columns = names
    lines = starts.alias("line")
    keep = ~blank
    if problems:
        bad = pl.Series("bad", [p.line for p in problems], dtype=pl.Int64)
        keep = keep & ~lines.is_in(bad.implode())
    return RawTable(
        frame=frame.filter(keep),
        lines=lines.filter(keep),
        unit="line",
        delimiter=delimiter,
        blank_lines=int(blank.sum()),
        problems=problems,
        headers={n: h.strip() for n, h in zip(names, header, strict=True) if n != h.strip()},
    )


def _check_rows(
    text: TextFile, name: str, delimiter: str, limits: ImportLimits
) -> tuple[list[str], pl.Series, pl.Series, list[RowProblem]]:
    """The header, each row's first line, blank rows and rows with the wrong field count,
    read with the csv module (right for quoted fields holding newlines)."""
    starts = array("l")
    blank = array("b")
    problems: list[RowProblem] = []
    # lines end at line feeds only, as for polars and the editors' line numbers: a lone
    # carriage return outside quotes is then an error, not a line end here and data there
    with text.path.open(encoding="utf-8", newline="\n") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next(r for r in reader if r)
            header_line = reader.line_num
            if len(header) > limits.max_columns:
                raise InvalidEventLog(
                    f"{name}, line {header_line}: the header has {len(header):,} columns, more "
                    f"than the {limits.max_columns:,} an event log may have."
                )
            width = len(header)
            previous = reader.line_num
            for row in reader:
                starts.append(previous + 1)
                if not row:
                    blank.append(1)
                else:
                    blank.append(0)
                    if len(row) != width:
                        problems.append(
                            RowProblem(
                                previous + 1,
                                None,
                                f"the row has {len(row)} fields where the header has {width}",
                            )
                        )
                previous = reader.line_num
        except StopIteration:
            raise InvalidEventLog(f"{name}: the file is empty.") from None
        except csv.Error as error:
            raise _unreadable(text, name, reader.line_num, str(error), limits) from None
    return (
        header,
        pl.Series("line", starts, dtype=pl.Int64),
        pl.Series("blank", blank, dtype=pl.Int8) == 1,
        problems,
    )


def _lone_return(line: str) -> int | None:
    """The column (1-based) of the first carriage return of a line that is not its end,
    preferring one outside quotes (an even number of quotes before it)."""
    body = line.removesuffix("\n").removesuffix("\r")
    found = [i for i, c in enumerate(body) if c == "\r"]
    if not found:
        return None
    outside = [i for i in found if body.count('"', 0, i) % 2 == 0]
    return (outside or found)[0] + 1


def _lone_return_error(name: str, line: int, column: int) -> InvalidEventLog:
    return InvalidEventLog(
        f"{name}, line {line}, column {column}: a carriage return that ends no line stands "
        "outside quotes; save the file with Windows or Unix line ends, or quote the value."
    )


def _unreadable(
    text: TextFile, name: str, line: int, reason: str, limits: ImportLimits
) -> InvalidEventLog:
    """The sentence for an error of the csv module at ``line``."""
    if "new-line character seen in unquoted field" in reason:
        with text.path.open(encoding="utf-8", newline="\n") as handle:
            physical = next(itertools.islice(handle, line - 1, None), "")
        column = _lone_return(physical)
        if column is not None:
            return _lone_return_error(name, line, column)
    if reason.startswith("field larger than field limit"):
        return InvalidEventLog(
            f"{name}, line {line}: a quoted value is longer than {limits.max_line_length:,} "
            "characters, more than any event log value needs; is a closing quote missing?"
        )
    return InvalidEventLog(f"{name}, line {line}: the CSV cannot be read ({reason}).")


def _rows_frame(text: TextFile, delimiter: str, width: int) -> pl.DataFrame:
    """The rows after the header as the csv module reads them, ``width`` text columns
    (empty values null, short rows padded, long ones cut, as polars gives them), built in
    chunks so that no more than ``CHUNK_ROWS`` rows are held as Python strings."""
    chunks: list[pl.DataFrame] = []
    columns: list[list[str | None]] = [[] for _ in range(width)]
    names = [f"c{i}" for i in range(width)]

    def flush() -> None:
        chunks.append(
            pl.DataFrame(
                {n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)}
            )
        )
        for column in columns:
            column.clear()

    with text.path.open(encoding="utf-8", newline="\n") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        next(r for r in reader if r)  # the header (checked before)
        for count, row in enumerate(reader, start=1):
            for i, column in enumerate(columns):
                column.append(row[i] or None if i < len(row) else None)
            if count % CHUNK_ROWS == 0:
                flush()
    flush()
    return pl.concat(chunks) if len(chunks) > 1 else chunks[0]


def _has_no_quote(path: Path) -> bool:
    """Whether the file holds no double quote at all (then every row is one line)."""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            if b'"' in chunk:
                return False
    return True


def _check_lines(
    text: TextFile, name: str, delimiter: str, limits: ImportLimits
) -> tuple[list[str], pl.Series, pl.Series, list[RowProblem]]:
    """The same as ``_check_rows`` for a file without quotes, column-wise: every row is a
    line, so its number is its position and its fields are its delimiters plus one."""
    lines = pl.read_csv(
        text.path,
        has_header=False,
        separator="\x00",
        quote_char=None,
        new_columns=["text"],
        infer_schema=False,
        raise_if_empty=False,
    ).get_column("text")
    if lines.len() == 0 or lines[0] is None:
        return _check_rows(text, name, delimiter, limits)  # leading blank lines: rare
    bodies = lines.str.strip_chars_end("\r")
    lone = bodies.str.contains("\r", literal=True)
    if lone.any():
        at = int(lone.arg_true()[0])
        raise _lone_return_error(name, at + 1, str(bodies[at]).index("\r") + 1)
    header = lines[0].rstrip("\r").split(delimiter)
    if len(header) > limits.max_columns:
        raise InvalidEventLog(
            f"{name}, line 1: the header has {len(header):,} columns, more than the "
            f"{limits.max_columns:,} an event log may have."
        )
    rows = lines.slice(1)
    width = len(header)
    fields = rows.str.count_matches(delimiter, literal=True) + 1
    is_blank = rows.is_null() | (bodies.slice(1) == "")
    wrong = ~is_blank & (fields != width)
    numbers = pl.int_range(2, rows.len() + 2, eager=True)
    problems = [
        RowProblem(int(line), None, f"the row has {count} fields where the header has {width}")
        for line, count in zip(
            numbers.filter(wrong).to_list(), fields.filter(wrong).to_list(), strict=True
        )
    ]
    return header, numbers.cast(pl.Int64), is_blank, problems
