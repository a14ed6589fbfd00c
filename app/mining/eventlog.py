"""Reading any supported event log file into the canonical event table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from app.lib.errors import InvalidEventLog
from app.mining.csv_reader import read_csv
from app.mining.lean_csv import NotLean, read_lean
from app.mining.normalise import EVENT_COLUMNS, NormalisedLog, normalise
from app.mining.options import ImportOptions
from app.mining.raw import RawTable
from app.mining.sources import open_source
from app.mining.text import utf8_text
from app.mining.xes_reader import read_xes

__all__ = [
    "ANALYSED_COLUMNS",
    "STORED_COLUMNS",
    "NormalisedLog",
    "Progress",
    "csv_batches",
    "events_frame",
    "parquet_head",
    "read_event_log",
    "row_batches",
]

Progress = Callable[[float, str], None]
"""Called with the share of the reading done (0 to 1) and what is being done."""


def _text_of(value: object) -> str | None:
    """Text of a nested or unusual Parquet value (lists, structs, durations, bytes)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _read_parquet(path: Path, name: str, rows: int | None = None) -> RawTable:
    try:
        frame = pl.read_parquet(path, n_rows=rows)
    except (pl.exceptions.PolarsError, OSError) as error:
        first = str(error).splitlines()[0]
        raise InvalidEventLog(f"{name}: not a readable Parquet file ({first}).") from None
    as_text = []
    for column, dtype in frame.schema.items():
        expr = pl.col(column)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                expr = expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.f+00:00")
            else:
                expr = expr.dt.strftime("%Y-%m-%dT%H:%M:%S%.f")
        elif dtype == pl.Date:
            expr = expr.dt.strftime("%Y-%m-%d")
        elif isinstance(
            dtype, pl.List | pl.Array | pl.Struct | pl.Duration | pl.Object | pl.Binary
        ):
            expr = expr.map_elements(_text_of, return_dtype=pl.String)
        as_text.append(expr.cast(pl.String).alias(column))
    frame = frame.select(as_text)
    if frame.height == 0:
        raise InvalidEventLog(f"{name}: the Parquet file holds no rows.")
    lines = pl.int_range(1, frame.height + 1, dtype=pl.Int64, eager=True).alias("line")
    return RawTable(frame=frame, lines=lines, unit="event")


def parquet_head(path: Path, name: str, rows: int = 20) -> RawTable:
    """The first rows of a Parquet file as text columns (only the row groups they need)."""
    return _read_parquet(path, name, rows)


def read_event_log(
    path: Path,
    name: str,
    options: ImportOptions | None = None,
    *,
    salt: bytes | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
    keep_attributes: bool = True,
    lean: bool = False,
) -> NormalisedLog:
    """Read a CSV, XES or Parquet log (plain, .gz or .zip) and apply the import rules.

    Args:
        path: the file.
        name: its name as the user knows it, for messages.
        options: mapping and policies (defaults: recognise everything, reject bad rows).
        salt: secret for pseudonymised columns.
        workdir: where temporary files go.
        progress: told how far the reading is.
        keep_attributes: keep each event's other columns (False when only analysing).
        lean: only analyse: a CSV in the common layout is read by ``lean_csv`` (events
            with the ``ANALYSED_COLUMNS`` only, names as categoricals, no quality report);
            any other file as without it.

    Raises:
        InvalidEventLog: the file cannot be read or breaks the rules (one sentence, with
            the line and column where it applies).
        PayloadTooLarge: the file expands beyond the limits.
    """
    options = options or ImportOptions()
    limits = options.limits
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    size = max(path.stat().st_size, 1)

    def report(share: float, what: str) -> None:
        if progress:
            progress(min(max(share, 0.0), 1.0), what)

    report(0.0, "opening")
    with open_source(
        path,
        name,
        limits,
        workdir,
        progress=lambda n: report(0.3 * min(n / (size * 8), 1), "expanding"),
    ) as source:
        report(0.3, "reading")
        if source.format == "csv":
            with utf8_text(source.path, name, options.encoding, limits, workdir) as text:
                report(0.45, "reading")
                if lean and not keep_attributes:
                    try:
                        log = read_lean(text, name, options)
                    except NotLean:
                        pass
                    else:
                        log.source_format, log.source_wrapper = source.format, source.wrapper
                        report(1.0, "read")
                        return log
                raw = read_csv(text, name, options.delimiter, limits)
        elif source.format == "xes":
            raw = read_xes(
                source.path,
                name,
                limits,
                progress=lambda n: report(0.3 + 0.4 * n / max(source.size, 1), "reading"),
            )
        else:
            raw = _read_parquet(source.path, name)
        source_format, wrapper = source.format, source.wrapper
    report(0.7, "checking")
    log = normalise(raw, name, options, salt=salt, keep_attributes=keep_attributes)
    log.source_format, log.source_wrapper = source_format, wrapper
    report(1.0, "read")
    return log


STORED_COLUMNS = ("log_id", "seq", *EVENT_COLUMNS)
"""The columns of the ``event`` table, in the order the batches below give them."""


def _stored(log: NormalisedLog, log_id: int) -> pl.DataFrame:
    return log.events.with_columns(
        pl.lit(log_id, dtype=pl.Int64).alias("log_id"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("seq"),
    ).select(STORED_COLUMNS)


def row_batches(
    log: NormalisedLog, log_id: int, size: int = 50_000
) -> Iterator[list[tuple[Any, ...]]]:
    """The events as tuples in ``STORED_COLUMNS`` order, in batches (for executemany)."""
    for chunk in _stored(log, log_id).iter_slices(size):
        yield chunk.rows()


def csv_batches(log: NormalisedLog, log_id: int, size: int = 200_000) -> Iterator[bytes]:
    """The events as CSV without header in ``STORED_COLUMNS`` order (for COPY ... CSV).

    Text columns never hold empty strings (they are null), so an empty field is a null.
    """
    for chunk in _stored(log, log_id).iter_slices(size):
        yield chunk.write_csv(include_header=False, null_value="").encode("utf-8")


ANALYSED_COLUMNS = ("case_id", "activity", "department", "timestamp_us", "line", "start_us")
"""The event columns the analyses read, in the order ``events_frame`` expects them."""


def events_frame(
    batches: Iterator[list[tuple[Any, ...]]], *, attributes: bool = False
) -> pl.DataFrame:
    """Stored events (rows in ``ANALYSED_COLUMNS`` order, then ``attributes`` when asked
    for, in batches) as a frame."""
    schema = {
        "case_id": pl.String,
        "activity": pl.String,
        "department": pl.String,
        "timestamp_us": pl.Int64,
        "line": pl.Int64,
        "start_us": pl.Int64,
    }
    if attributes:
        schema["attributes"] = pl.String
    chunks = [pl.DataFrame(batch, schema=schema, orient="row") for batch in batches if batch]
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=schema)
