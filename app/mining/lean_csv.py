"""A lean reading of a plain CSV log for analysis: only the mapped columns, in batches.

``normalise(read_csv(...))`` holds every column of every row as text at once (and a second
copy of every line for the line checks): at millions of rows that is gigabytes. An
analysis needs none of it once the rows are checked: only case, activity, department and
time, with activity, department and case as categoricals (a 4-byte code a row).

This reader streams the file in batches and keeps per row only those columns, a 64-bit
hash of the whole row (for the exact-duplicate rule) and its line number. It takes the
common case only -- no quotes, every row with the header's number of fields, no blank
line, no empty case, activity or timestamp, ISO 8601 timestamps in one layout, no start
time or lifecycle column, no pseudonymisation, one column per role -- and gives up
(``NotLean``) on anything else, so that the general reader handles it with its exact
messages and results. What it gives equals the general reader's events (CONTRACT section
3's rules) in the columns an analysis reads (``ANALYSED_COLUMNS``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from app.lib.errors import InvalidEventLog
from app.mining.csv_reader import _sniff_delimiter, _unique
from app.mining.mapping import Mapping, candidates, resolve_mapping
from app.mining.normalise import UNASSIGNED, NormalisedLog
from app.mining.options import ImportOptions
from app.mining.text import TextFile
from app.mining.timestamps import _FAST_FORMATS, ISO, check_timezone

__all__ = ["NotLean", "read_lean"]

CHUNK = 16 * 1024 * 1024
ISO_PREFIX = r"^\d{4}-"
"""A value starting so matches neither the day/month nor the epoch family of timestamps."""
SEED = 7
"""Seed of the row hashes (any fixed value: they are compared within one reading)."""


class NotLean(Exception):
    """The file needs the general reader (an unusual layout, or rows with problems)."""


def _scan_bytes(path: Path, delimiter: bytes) -> tuple[int, bool]:
    """The delimiters in the file, and whether it holds a double quote or a carriage
    return that is not part of a line end (the general reader refuses that)."""
    delimiters, odd = 0, False
    returns = line_ends = 0
    previous = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            delimiters += chunk.count(delimiter)
            odd = odd or b'"' in chunk
            returns += chunk.count(b"\r")
            line_ends += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            previous = chunk[-1:]
    return delimiters, odd or returns != line_ends


def _header(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline()
    return first.removesuffix("\n").rstrip("\r")


def _mapping(
    names: list[str], name: str, options: ImportOptions, headers: dict[str, str]
) -> Mapping:
    """The mapping, as the general reader resolves it, when it needs no column's content."""
    explicit = options.explicit_mapping()
    empty = pl.DataFrame(schema={n: pl.String for n in names})
    found = candidates(empty, explicit, None, headers)
    if any(len(options) > 1 for options in found.values()):
        raise NotLean  # several columns match a role: which one depends on their content
    try:
        mapping = resolve_mapping(empty, name, explicit, None, headers)
    except InvalidEventLog:
        raise NotLean from None  # the general reader says so, after its own checks
    if mapping.start_timestamp or mapping.lifecycle:
        raise NotLean
    return mapping


def _text(column: str) -> pl.Expr:
    """A column's values trimmed, empty ones null (as ``normalise`` reads them)."""
    value = pl.col(column).str.strip_chars()
    return pl.when(value != "").then(value)


def _layout(first: str) -> tuple[str, bool]:
    """The fast ISO layout ``parse_timestamps`` would choose from the first value."""
    if not re.fullmatch(r"\d{4}-.*", first, flags=re.DOTALL):
        raise NotLean
    sample = pl.Series([first])
    if not sample.str.contains(ISO).all():
        raise NotLean
    for layout, naive in _FAST_FORMATS:
        if not sample.str.to_datetime(layout, strict=False, time_unit="us").null_count():
            return layout, naive
    raise NotLean


def _micros(
    stamp: pl.Expr, form: str, naive: bool, timezone: str, first: str
) -> tuple[pl.Expr, pl.Expr]:
    """Microseconds UTC of the timestamps as ``parse_timestamps`` gives them in ``form``,
    and whether a value has the shape this reading relies on (when not, the general
    reader takes the file).

    The usual exports (seconds, an offset like +01:00 or none) are read with polars' fast
    layout for the date and time and the offset added: the same instants as ``form``
    (checked in the tests), several times faster.
    """
    separator = form[8]  # "T" or " "
    whole = f"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{separator}[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"
    plain = f"%Y-%m-%d{separator}%H:%M:%S"
    if not naive and re.fullmatch(whole + "[+-][0-9]{2}:[0-9]{2}", first):
        shaped = stamp.str.contains(f"^{whole}[+-][0-9]{{2}}:[0-9]{{2}}$")
        hours = stamp.str.slice(20, 2).cast(pl.Int64, strict=False)
        minutes = stamp.str.slice(23, 2).cast(pl.Int64, strict=False)
        sign = pl.when(stamp.str.slice(19, 1) == "-").then(-1).otherwise(1)
        local = stamp.str.slice(0, 19).str.to_datetime(plain, strict=False, time_unit="us")
        micros = local.dt.epoch("us") - sign * (hours * 60 + minutes) * 60_000_000
        return micros, shaped & (hours <= 23) & (minutes <= 59)
    if naive and re.fullmatch(whole, first):
        shaped = stamp.str.contains(f"^{whole}$")
        parsed = stamp.str.to_datetime(plain, strict=False, time_unit="us")
    else:
        shaped = stamp.str.contains(ISO_PREFIX)
        parsed = stamp.str.to_datetime(form, strict=False, time_unit="us")
    if naive and timezone != "UTC":
        parsed = parsed.dt.replace_time_zone(
            timezone, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
    return parsed.dt.epoch("us"), shaped


def read_lean(text: TextFile, name: str, options: ImportOptions) -> NormalisedLog:
    """The events of a plain CSV log for analysis, or ``NotLean``.

    Args:
        text: the file as UTF-8 (``text.utf8_text``).
        name: the file name for messages.
        options: the mapping and reading options (``on_error`` does not matter: a file
            with a row problem is left to the general reader).

    Returns:
        A log whose events have the columns ``ANALYSED_COLUMNS`` (case_id, activity and
        department categorical; start_us null), ordered by case, time and file order,
        with the general reader's stats and no quality report.

    Raises:
        NotLean: the file is not in the common layout this reader takes.
    """
    if options.pseudonymise or options.lifecycle != "pair":
        raise NotLean
    path = text.path
    with path.open(encoding="utf-8", newline="") as handle:
        sample = handle.read(64 * 1024)
    if not sample.strip():
        raise NotLean
    delimiter = options.delimiter or _sniff_delimiter(sample)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise NotLean
    header = _header(path)
    if not header.strip() or len(header.split(delimiter)) > options.limits.max_columns:
        raise NotLean
    raw_names = header.split(delimiter)
    names = _unique(raw_names)
    headers = {n: h.strip() for n, h in zip(names, raw_names, strict=True) if n != h.strip()}
    mapping = _mapping(names, name, options, headers)
    try:
        timezone = check_timezone(options.timezone)
    except InvalidEventLog:
        raise NotLean from None

    delimiters, quoted = _scan_bytes(path, delimiter.encode("utf-8"))
    width = len(names)
    if quoted or width < 2 or text.lines < 2 or delimiters != (width - 1) * text.lines:
        raise NotLean  # quotes, blank lines or rows with another number of fields

    first = _first_value(path, delimiter, names, mapping.timestamp)
    form, naive = _layout(first)
    described = "ISO 8601 without offsets" if naive else "ISO 8601 with UTC offsets"
    names_type = pl.Categorical  # the global categories: ``department == name`` works
    stamp = _text(mapping.timestamp)
    micros, shaped = _micros(stamp, form, naive, timezone, first)
    case, activity = _text(mapping.case), _text(mapping.activity)
    department = (
        _text(mapping.department).fill_null(pl.lit(UNASSIGNED))
        if mapping.department
        else pl.lit(UNASSIGNED)
    )
    query = pl.scan_csv(
        path,
        separator=delimiter,
        has_header=False,
        skip_lines=1,
        schema={n: pl.String for n in names},
        quote_char=None,
        raise_if_empty=False,
        encoding="utf8",
    ).select(
        case.cast(names_type).alias("case_id"),
        activity.cast(names_type).alias("activity"),
        department.cast(names_type).alias("department"),
        micros.alias("timestamp_us"),
        pl.struct(pl.all()).hash(SEED).alias("hash"),
        shaped.alias("shaped"),
    )
    parts: list[pl.DataFrame] = []
    hashes: list[pl.Series] = []
    rows = 0
    try:
        for batch in query.collect_batches():
            # a row problem, or a timestamp the general parser might read otherwise
            empty = batch.select(pl.col("case_id", "activity", "timestamp_us").null_count())
            if any(empty.row(0)) or not batch.get_column("shaped").all():
                raise NotLean
            hashes.append(batch.get_column("hash"))
            parts.append(
                batch.select(
                    "case_id",
                    "activity",
                    "department",
                    "timestamp_us",
                    pl.int_range(rows + 2, rows + 2 + batch.height, dtype=pl.Int64).alias("line"),
                )
            )
            rows += batch.height
    except pl.exceptions.PolarsError:
        raise NotLean from None  # the general reader says what is wrong
    if rows != text.lines - 1:
        raise NotLean
    events = pl.concat(parts, rechunk=True)
    del parts
    keep = _first_of_each_row(pl.concat(hashes), path)
    del hashes
    duplicates = 0
    if keep is not None:
        duplicates = rows - int(keep.sum())
        events = events.filter(keep)
    events = _ordered(events).with_columns(pl.lit(None, dtype=pl.Int64).alias("start_us"))
    stamps_us = events.get_column("timestamp_us")
    stats: dict[str, Any] = {
        "rows_read": rows,
        "exact_duplicate_rows_dropped": duplicates,
        "rows_skipped": 0,
        "events": events.height,
        "cases": events.get_column("case_id").n_unique(),
        "activities": events.get_column("activity").n_unique(),
        "departments": sorted(events.get_column("department").unique().cast(pl.String).to_list()),
        "unassigned_events": int((events.get_column("department") == UNASSIGNED).sum()),
        "first_event_us": stamps_us.min(),
        "last_event_us": stamps_us.max(),
        "timestamp_format": described,
    }
    return NormalisedLog(events, mapping, stats, {}, [])


def _first_value(path: Path, delimiter: str, names: list[str], column: str) -> str:
    """The first row's value of a column (trimmed), or ``NotLean``."""
    with path.open(encoding="utf-8", newline="") as handle:
        handle.readline()
        row = handle.readline().removesuffix("\n").rstrip("\r").split(delimiter)
    if len(row) != len(names):
        raise NotLean
    value = row[names.index(column)].strip()
    if not value:
        raise NotLean
    return value


def _ordered(events: pl.DataFrame) -> pl.DataFrame:
    """The events by case (in the order of the case ids as text), time and file order.

    Sorting by a categorical compares its text row by row; ranking the distinct ids once
    and sorting by the rank gives the same order faster.
    """
    cases = events.get_column("case_id").unique()
    codes = cases.to_physical().to_numpy()
    order = cases.cast(pl.String).arg_sort().to_numpy()
    rank = np.zeros(int(codes.max()) + 1 if codes.size else 0, dtype=np.uint32)
    rank[codes[order]] = np.arange(codes.size, dtype=np.uint32)
    physical = events.get_column("case_id").to_physical().to_numpy()
    return (
        events.with_columns(pl.Series("_rank", rank[physical]))
        .sort(["_rank", "timestamp_us", "line"])
        .drop("_rank")
    )


def _first_of_each_row(hashes: pl.Series, path: Path) -> pl.Series | None:
    """True for each row that is not an exact copy of an earlier row (None: no copies).

    Only rows whose hash repeats are compared, by their bytes in the file: every row is
    one line here, so two lines with the same bytes are the same row. Two different
    lines with one hash are left to the general reader (a hash collision, or line ends
    that differ only by a carriage return).
    """
    repeated = hashes.is_duplicated()
    if not repeated.any():
        return None
    where = repeated.arg_true()
    lines = _lines_at(path, where.to_numpy() + 1)
    groups = pl.DataFrame({"hash": hashes.gather(where), "text": pl.Series(lines, dtype=pl.Binary)})
    if groups.select(pl.col("text").n_unique().over("hash").max()).item() != 1:
        raise NotLean
    first = groups.get_column("hash").is_first_distinct()
    return pl.Series("keep", np.ones(hashes.len(), dtype=bool)).scatter(where, first)


def _lines_at(path: Path, numbers: np.ndarray) -> list[bytes]:
    """The bytes of the given lines (0-based, ascending), without their line end.

    Read in chunks (a memory map would count the whole file in the resident memory).
    """
    out: list[bytes] = []
    first_line = 0  # the number of the line that ``pending`` starts
    pending = b""
    wanted = 0
    with path.open("rb") as handle:
        while wanted < len(numbers):
            chunk = handle.read(CHUNK)
            data = pending + chunk
            if not chunk:
                if data:  # a last line without a line end
                    data += b"\n"
                else:
                    break
            view = np.frombuffer(data, dtype=np.uint8)
            ends = np.flatnonzero(view == 10)
            del view
            if ends.size == 0:
                pending = data
                continue
            starts = np.concatenate(([0], ends[:-1] + 1))
            upto = int(np.searchsorted(numbers, first_line + ends.size))
            for number in numbers[wanted:upto]:
                i = int(number) - first_line
                out.append(data[int(starts[i]) : int(ends[i])])
            wanted = upto
            first_line += ends.size
            pending = data[int(ends[-1]) + 1 :]
            if not chunk:
                break
    if len(out) != len(numbers):
        raise NotLean
    return out
