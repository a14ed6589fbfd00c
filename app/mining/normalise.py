"""From raw rows to the canonical event table (CONTRACT section 3's rules), with a quality report.

Rules: exact duplicate rows are dropped and counted; case, activity and timestamp must be
present and readable (otherwise the row is a problem: the import is refused, or the row
skipped when asked); events without a department go to ``(unassigned)``; lifecycle start
events are merged into their complete events as start times; events are ordered by case,
then timestamp, then file order.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from app.lib.errors import InvalidEventLog, Problem
from app.lib.shown import shown
from app.mining.mapping import Mapping, resolve_mapping
from app.mining.options import ImportOptions
from app.mining.raw import RawTable, RowProblem
from app.mining.timestamps import ParsedTimes, check_timezone, parse_timestamps

__all__ = ["UNASSIGNED", "NormalisedLog", "normalise"]

UNASSIGNED = "(unassigned)"
DAY_US = 86_400_000_000
OUTLIER_MARGIN_US = 30 * DAY_US
"""Far outside the range: beyond the quartiles by 3 interquartile ranges and 30 days."""
EVENT_COLUMNS = (
    "case_id",
    "activity",
    "timestamp_us",
    "start_us",
    "department",
    "resource",
    "lifecycle",
    "line",
    "attributes",
)


@dataclass
class NormalisedLog:
    """The events of a log, ready to store, with counts and a data-quality report."""

    events: pl.DataFrame
    """Columns ``EVENT_COLUMNS``, ordered by case, timestamp, file order."""
    mapping: Mapping
    stats: dict[str, Any]
    quality: dict[str, Any]
    skipped: list[RowProblem] = field(default_factory=list)
    source_format: str = "csv"
    """csv, xes or parquet."""
    source_wrapper: str | None = None
    """gzip or zip when the file was compressed."""


def _text(frame: pl.DataFrame, column: str | None) -> pl.Series:
    if column is None:
        return pl.Series([None] * frame.height, dtype=pl.String)
    series = frame.get_column(column).str.strip_chars()
    return series.set(series == "", None)


def _keyed_hash(salt: bytes) -> Callable[[pl.Series], pl.Series]:
    """Replace each distinct value by a salted HMAC (stable for one salt)."""

    def apply(series: pl.Series) -> pl.Series:
        uniques = series.drop_nulls().unique().to_list()
        table = {
            value: hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:16]
            for value in uniques
        }
        return series.replace_strict(table, default=None, return_dtype=pl.String)

    return apply


def normalise(
    raw: RawTable,
    name: str,
    options: ImportOptions,
    salt: bytes | None = None,
    now_us: int | None = None,
    keep_attributes: bool = True,
) -> NormalisedLog:
    """Interpret a raw table: map columns, parse times, apply the rules, measure quality.

    The raw table is consumed: its rows are released once interpreted, to keep the peak
    memory of a large log down.

    Args:
        raw: the rows as read.
        name: the file name for messages.
        options: mapping, time zone, date order, policies.
        salt: secret for pseudonymisation (required when ``options.pseudonymise``).
        now_us: the current time (for "timestamps in the future"); now by default.
        keep_attributes: keep the other columns of each event (as JSON); analyses that
            never store the events leave them out.

    Raises:
        InvalidEventLog: the mapping fails, a timestamp column cannot be read, or rows have
            problems and the policy is to reject.
    """
    limits = options.limits
    timezone = check_timezone(options.timezone)
    explicit = options.explicit_mapping()
    mapping = resolve_mapping(raw.frame, name, explicit, raw.defaults, raw.headers)
    _refuse_nul(raw.frame, name)
    rows_read = raw.frame.height + len(raw.problems)

    keep = _first_of_each_row(raw.frame)
    read_rows = raw.frame.height
    frame = raw.frame.filter(keep)
    raw.frame = frame  # let the unfiltered copy go: at millions of rows it is large
    lines = raw.lines.filter(keep)
    duplicates = read_rows - frame.height
    unit = raw.unit

    def locate(i: int) -> str:
        return f"{unit} {lines[i]}"

    case = _text(frame, mapping.case)
    activity = _text(frame, mapping.activity)
    stamps_text = _text(frame, mapping.timestamp)
    times = parse_timestamps(
        stamps_text, mapping.timestamp, name, locate, timezone=timezone, dayfirst=options.dayfirst
    )
    start: ParsedTimes | None = None
    start_text = _text(frame, mapping.start_timestamp)
    if mapping.start_timestamp and start_text.is_not_null().any():
        start = parse_timestamps(
            start_text,
            mapping.start_timestamp,
            name,
            locate,
            timezone=timezone,
            dayfirst=options.dayfirst,
        )

    checks: list[tuple[pl.Series, str | None, Callable[[int], str]]] = [
        (case.is_null(), mapping.case, lambda i: "the case id is empty"),
        (activity.is_null(), mapping.activity, lambda i: "the activity is empty"),
        (stamps_text.is_null(), mapping.timestamp, lambda i: "the timestamp is empty"),
        (
            stamps_text.is_not_null() & times.micros.is_null(),
            mapping.timestamp,
            lambda i: (
                f"'{shown(stamps_text[i])}' is not a valid date and time"
                + (f" in {timezone}" if times.naive and timezone != "UTC" else "")
            ),
        ),
    ]
    if start is not None:
        checks.append(
            (
                start_text.is_not_null() & start.micros.is_null(),
                mapping.start_timestamp,
                lambda i: f"'{shown(start_text[i])}' is not a valid date and time",
            )
        )
    bad = pl.Series([False] * frame.height)
    found: list[tuple[int, RowProblem]] = []
    for mask, column, describe in checks:
        bad = bad | mask
        for i in mask.arg_true().head(limits.max_row_errors_listed).to_list():
            found.append((int(lines[i]), RowProblem(int(lines[i]), column, describe(i))))
    problems = sorted([(p.line, p) for p in raw.problems] + found, key=lambda item: item[0])
    problem_rows = int(bad.sum()) + len(raw.problems)
    if problem_rows and options.on_error == "reject":
        _reject(
            name, unit, frame, [p for _, p in problems], problem_rows, limits.max_row_errors_listed
        )

    department = _text(frame, mapping.department)
    events = pl.DataFrame(
        {
            "case_id": case,
            "activity": activity,
            "timestamp_us": times.micros,
            "start_us": start.micros
            if start is not None
            else pl.Series([None] * frame.height, dtype=pl.Int64),
            "department": department.fill_null(UNASSIGNED),
            "resource": _text(frame, mapping.resource),
            "lifecycle": _text(frame, mapping.lifecycle).str.to_lowercase(),
            "line": lines,
        }
    )
    mapped = {c for c in mapping.as_dict().values() if c}
    extras = [c for c in frame.columns if c not in mapped]

    if options.pseudonymise:
        if salt is None:
            raise ValueError("pseudonymisation needs a salt")
        events, frame = _pseudonymise(events, frame, mapping, options.pseudonymise, salt, name)

    attributes = (
        frame.select(pl.struct(extras).struct.json_encode()).to_series()
        if extras and keep_attributes
        else pl.Series([None] * frame.height, dtype=pl.String)
    )
    events = events.with_columns(attributes.alias("attributes"))
    if bool(bad.any()):  # filtering copies every column: only when there is something to drop
        events, frame = events.filter(~bad), frame.filter(~bad)
    missing = {
        column: int(count)
        for column, count in zip(frame.columns, frame.null_count().row(0), strict=True)
        if count
    }
    # The rows as read are no longer needed: let them go before the sort copies the events.
    raw.frame = raw.frame.clear()
    del frame

    merged = unpaired = 0
    if options.lifecycle == "pair" and start is None and mapping.lifecycle:
        events, merged, unpaired = _pair_lifecycle(events)

    events = events.sort(["case_id", "timestamp_us", "line"]).select(EVENT_COLUMNS)
    now = now_us if now_us is not None else int(time.time() * 1_000_000)
    quality = _quality(
        events,
        missing,
        mapping,
        raw,
        times,
        now,
        merged,
        unpaired,
        problem_rows,
        [p for _, p in problems][: limits.max_row_errors_listed],
        unit,
        timezone,
    )
    departments = sorted(events.get_column("department").unique().to_list())
    stats = {
        "rows_read": rows_read,
        "exact_duplicate_rows_dropped": duplicates,
        "rows_skipped": problem_rows,
        "events": events.height,
        "cases": events.get_column("case_id").n_unique(),
        "activities": events.get_column("activity").n_unique(),
        "departments": departments,
        "unassigned_events": int((events.get_column("department") == UNASSIGNED).sum()),
        "first_event_us": events.get_column("timestamp_us").min() if events.height else None,
        "last_event_us": events.get_column("timestamp_us").max() if events.height else None,
        "timestamp_format": times.described,
    }
    if events.height == 0:
        raise InvalidEventLog(f"{name}: no event is left once the rows with problems are skipped.")
    return NormalisedLog(events, mapping, stats, quality, [p for _, p in problems])


def _first_of_each_row(frame: pl.DataFrame) -> pl.Series:
    """True for each row that is not an exact copy of an earlier row.

    Rows are hashed first (8 bytes a row); only rows whose hash repeats are compared in
    full, so the answer is exact and a log of millions of rows needs no full-row table.
    """
    repeated = frame.hash_rows().is_duplicated()
    keep = pl.Series("keep", [True] * frame.height, dtype=pl.Boolean)
    if not repeated.any():
        return keep
    where = repeated.arg_true()
    candidates = frame[where]
    first = candidates.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    return keep.scatter(where, first)


def _refuse_nul(frame: pl.DataFrame, name: str) -> None:
    """NUL characters cannot be stored (PostgreSQL text refuses them) and mean a broken file."""
    found = frame.select(pl.all().str.contains("\x00", literal=True).any())
    for column, has in zip(found.columns, found.row(0), strict=True):
        if has:
            raise InvalidEventLog(
                f"{name}: a value in column '{shown(column)}' holds a NUL character, which a "
                "text "
                "export never has."
            )


def _reject(
    name: str,
    unit: str,
    frame: pl.DataFrame,
    problems: list[RowProblem],
    count: int,
    listed: int,
) -> None:
    first = problems[0]
    column = ""
    if first.column is not None and first.column in frame.columns:
        column = f", column {frame.columns.index(first.column) + 1} ('{shown(first.column)}')"
    more = count - 1
    suffix = f" (and {more:,} more row{'s' if more > 1 else ''} with problems)" if more else ""
    raise InvalidEventLog(
        f"{name}, {unit} {first.line}{column}: {first.message}{suffix}; fix the file or import "
        "with --on-error skip to leave such rows out.",
        [
            Problem(p.message + (f" (column '{shown(p.column)}')" if p.column else ""), (), p.line)
            for p in problems[:listed]
        ],
    )


def _pseudonymise(
    events: pl.DataFrame,
    frame: pl.DataFrame,
    mapping: Mapping,
    targets: tuple[str, ...],
    salt: bytes,
    name: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    hash_values = _keyed_hash(salt)
    role_columns = {"case": "case_id", "resource": "resource", "department": "department"}
    source_roles = {v: k for k, v in mapping.as_dict().items() if v}
    for target in targets:
        role = target if target in role_columns else source_roles.get(target)
        if role in role_columns:
            events = events.with_columns(hash_values(events.get_column(role_columns[role])))
        elif target in frame.columns:
            frame = frame.with_columns(hash_values(frame.get_column(target)))
        else:
            raise InvalidEventLog(
                f"{name}: there is no column '{shown(target)}' to pseudonymise (columns: "
                f"{', '.join(frame.columns[:12])})."
            )
    return events, frame


def _pair_lifecycle(events: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Merge each lifecycle start into the next complete of the same activity in its case."""
    lifecycle = events.get_column("lifecycle")
    if not ((lifecycle == "start").any() and (lifecycle == "complete").any()):
        return events, 0, 0
    keys = ["case_id", "activity"]
    ordered = events.with_row_index("_row").sort([*keys, "timestamp_us", "line"])
    starts = (
        ordered.filter(pl.col("lifecycle") == "start")
        .with_columns(pl.int_range(pl.len()).over(keys).alias("_rank"))
        .select(
            [
                *keys,
                "_rank",
                pl.col("timestamp_us").alias("_start"),
                pl.col("_row").alias("_start_row"),
            ]
        )
    )
    completes = ordered.filter(pl.col("lifecycle") == "complete").with_columns(
        pl.int_range(pl.len()).over(keys).alias("_rank")
    )
    paired = completes.join(starts, on=[*keys, "_rank"], how="inner")
    paired = paired.filter(pl.col("_start") <= pl.col("timestamp_us"))
    used_starts = paired.get_column("_start_row")
    merged = (
        events.with_row_index("_row")
        .join(paired.select("_row", "_start"), on="_row", how="left", maintain_order="left")
        .with_columns(pl.coalesce("start_us", "_start").alias("start_us"))
        .filter(~pl.col("_row").is_in(used_starts.implode()))
        .drop("_row", "_start")
    )
    unpaired = int((lifecycle == "start").sum()) - used_starts.len()
    return merged, used_starts.len(), unpaired


def _quality(
    events: pl.DataFrame,
    missing: dict[str, int],
    mapping: Mapping,
    raw: RawTable,
    times: ParsedTimes,
    now_us: int,
    merged: int,
    unpaired: int,
    skipped: int,
    listed: list[RowProblem],
    unit: str,
    timezone: str,
) -> dict[str, Any]:
    """The data-quality report of an import."""
    by_file = events.select("case_id", "line", "timestamp_us").sort(["case_id", "line"])
    same_case = by_file.get_column("case_id") == by_file.get_column("case_id").shift(1)
    earlier = by_file.get_column("timestamp_us") < by_file.get_column("timestamp_us").shift(1)
    out_of_order = int((same_case & earlier).fill_null(False).sum())
    stamps = events.get_column("timestamp_us")
    future = events.filter(pl.col("timestamp_us") > now_us + DAY_US)
    q1, q3 = stamps.quantile(0.25, "lower") or 0, stamps.quantile(0.75, "higher") or 0
    spread = 3 * (q3 - q1) + OUTLIER_MARGIN_US
    outliers = events.filter(
        (pl.col("timestamp_us") < q1 - spread) | (pl.col("timestamp_us") > q3 + spread)
    )
    sizes = events.group_by("case_id").len()
    starts_after = (
        int((events.get_column("start_us") > stamps).sum())
        if mapping.start_timestamp or merged
        else 0
    )
    report: dict[str, Any] = {
        "timestamp_format": times.described,
        "timezone_for_naive_times": timezone if times.naive else None,
        "missing_values": missing,
        "events_out_of_order_in_file": out_of_order,
        "timestamps_in_future": future.height,
        "timestamps_in_future_examples": _where(future, unit),
        "timestamps_far_outside_range": outliers.height,
        "timestamps_far_outside_range_examples": _where(outliers, unit),
        "single_event_cases": int((sizes.get_column("len") == 1).sum()),
        "unassigned_events": int((events.get_column("department") == UNASSIGNED).sum()),
        "department_column": mapping.department,
        "blank_lines": raw.blank_lines,
        "rows_skipped": skipped,
        "rows_skipped_examples": [
            {"line": p.line, "column": p.column, "problem": p.message} for p in listed
        ],
        "lifecycle_starts_merged": merged,
        "lifecycle_starts_unpaired": unpaired,
        "start_after_end": starts_after,
    }
    return report


def _where(events: pl.DataFrame, unit: str, most: int = 5) -> list[str]:
    rows = events.sort("line").head(most)
    return [
        f"{unit} {line}: {time.strftime('%Y-%m-%d', time.gmtime(stamp / 1e6))}"
        for line, stamp in zip(
            rows.get_column("line"), rows.get_column("timestamp_us"), strict=True
        )
    ]
