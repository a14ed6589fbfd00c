"""Turning timestamp text into instants, vectorised, without guessing.

Supported: ISO 8601 and year-first dates (with or without a UTC offset, ``Z``, fractions),
day-first or month-first dates (``31/12/2024 23:59``, ``04/18/2019 09:55:45 PM``), epoch
seconds and milliseconds. A column mixing these families, or mixing day-first with
month-first dates, is an error; so is a column whose day/month order cannot be told and
was not given. Times without an offset are read in the given time zone (default UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from app.lib.errors import InvalidEventLog
from app.lib.shown import shown

__all__ = ["ParsedTimes", "check_timezone", "parse_timestamps"]

_TIME = r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
DAY_MONTH = (
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"
    + r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?$"
)
EPOCH = r"^(\d{9,13})(?:\.(\d+))?$"
FAMILIES = {
    "iso": ("ISO 8601 (2024-03-31 14:05)", ISO),
    "day_month": ("day/month/year or month/day/year (31/03/2024)", DAY_MONTH),
    "epoch": ("epoch seconds or milliseconds (1711893900)", EPOCH),
}


@dataclass(frozen=True)
class ParsedTimes:
    """Instants as microseconds since 1970-01-01 UTC (null where a value is not valid)."""

    micros: pl.Series
    described: str
    """The format found, in words, for the import report."""
    naive: bool
    """Whether the values carried no UTC offset (and were read in the time zone)."""


def check_timezone(timezone: str | None) -> str:
    """The IANA zone to read naive times in (UTC by default).

    Raises:
        InvalidEventLog: the name is not a known zone.
    """
    if not timezone:
        return "UTC"
    try:
        ZoneInfo(timezone)
        pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(timezone)
    except (ZoneInfoNotFoundError, ValueError, pl.exceptions.PolarsError):
        raise InvalidEventLog(
            f"'{shown(timezone)}' is not a known time zone; use an IANA name such as "
            "America/Toronto."
        ) from None
    return timezone


def _int(field: pl.Expr, default: int = 0) -> pl.Expr:
    return field.cast(pl.Int64, strict=False).fill_null(default)


def _compose(
    parts: pl.DataFrame,
    year: pl.Expr,
    month: pl.Expr,
    day: pl.Expr,
    hour: pl.Expr,
    minute: pl.Expr,
    second: pl.Expr,
    fraction: pl.Expr,
) -> pl.Series:
    """Naive datetimes from parts; invalid combinations (31 February, hour 25) become null."""
    text = pl.format(
        "{}-{}-{} {}:{}:{}.{}",
        year.cast(pl.String).str.pad_start(4, "0"),
        month.cast(pl.String).str.pad_start(2, "0"),
        day.cast(pl.String).str.pad_start(2, "0"),
        hour.cast(pl.String).str.pad_start(2, "0"),
        minute.cast(pl.String).str.pad_start(2, "0"),
        second.cast(pl.String).str.pad_start(2, "0"),
        fraction.fill_null("0").str.pad_end(6, "0").str.slice(0, 6),
    )
    return parts.select(
        text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    ).to_series()


def _localise(naive: pl.Series, timezone: str) -> pl.Series:
    """Microseconds UTC of naive times read in ``timezone`` (non-existent local times: null)."""
    if timezone == "UTC":
        return naive.dt.epoch("us")
    aware = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return aware.dt.convert_time_zone("UTC").dt.epoch("us")


def parse_timestamps(
    values: pl.Series,
    column: str,
    name: str,
    locate: Callable[[int], str],
    *,
    timezone: str = "UTC",
    dayfirst: bool | None = None,
) -> ParsedTimes:
    """Parse a text column of timestamps.

    Args:
        values: the text values (nulls allowed).
        column: the column's name, for messages.
        name: the file name, for messages.
        locate: where row i is, for messages (``"line 12"``).
        timezone: IANA zone for values without an offset.
        dayfirst: the order of day and month in dates like 03/04/2024; None decides
            from the data.

    Raises:
        InvalidEventLog: the column mixes formats, mixes day-first and month-first dates,
            has dates whose order cannot be told, or holds no recognisable timestamp.
    """
    text = values.str.strip_chars()
    present = text.is_not_null() & (text != "")
    found = {
        family: text.str.contains(pattern) & present for family, (_, pattern) in FAMILIES.items()
    }
    used = [family for family, mask in found.items() if mask.any()]
    if len(used) > 1:
        a, b = (int(found[f].arg_max() or 0) for f in used[:2])
        raise InvalidEventLog(
            f"{name}: column '{shown(column)}' mixes timestamp formats: {locate(a)} has "
            f"'{shown(text[a])}' but {locate(b)} has '{shown(text[b])}'; export one format."
        )
    if not present.any():
        raise InvalidEventLog(
            f"{name}: column '{shown(column)}' holds no timestamp (every value is empty)."
        )
    if not used:
        first = int(present.arg_max() or 0)
        raise InvalidEventLog(
            f"{name}, {locate(first)}: '{shown(text[first])}' in column '{shown(column)}' is "
            "not a timestamp "
            "Handoff can read (ISO 8601, day/month/year, month/day/year or epoch seconds)."
        )
    family = used[0]
    if family == "iso":
        fast = _parse_iso_fast(text, present, timezone)
        if fast is not None:
            return fast
    frame = pl.DataFrame({"t": text})
    if family == "iso":
        return _parse_iso(frame, column, name, locate, timezone)
    if family == "epoch":
        return _parse_epoch(frame, column, name, locate)
    return _parse_day_month(frame, column, name, locate, timezone, dayfirst)


_FAST_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S%.f%z", False),
    ("%Y-%m-%d %H:%M:%S%.f%z", False),
    ("%Y-%m-%dT%H:%M:%S%.f", True),
    ("%Y-%m-%d %H:%M:%S%.f", True),
)


def _parse_iso_fast(text: pl.Series, present: pl.Series, timezone: str) -> ParsedTimes | None:
    """The common case in one strict pass: every value in one full ISO layout.

    Returns None (use the general parser, which also finds the invalid rows) unless every
    present value parses with one layout.
    """
    wanted = int(present.sum())
    sample = text.filter(present).head(1)
    for layout, naive in _FAST_FORMATS:
        if sample.str.to_datetime(layout, strict=False, time_unit="us").null_count():
            continue
        parsed = text.str.to_datetime(layout, strict=False, time_unit="us")
        if parsed.len() - parsed.null_count() != wanted:
            return None
        if naive:
            return ParsedTimes(_localise(parsed, timezone), "ISO 8601 without offsets", naive=True)
        return ParsedTimes(parsed.dt.epoch("us"), "ISO 8601 with UTC offsets", naive=False)
    return None


def _parse_iso(
    frame: pl.DataFrame, column: str, name: str, locate: Callable[[int], str], timezone: str
) -> ParsedTimes:
    parts = frame.select(pl.col("t").str.extract_groups(ISO).alias("g")).unnest("g")
    naive = _compose(
        parts,
        _int(pl.col("1")),
        _int(pl.col("2")),
        _int(pl.col("3")),
        _int(pl.col("4")),
        _int(pl.col("5")),
        _int(pl.col("6")),
        pl.col("7"),
    )
    offset_text = parts.get_column("8")
    with_offset = offset_text.is_not_null()
    present = frame.get_column("t").is_not_null() & (frame.get_column("t") != "")
    without = present & ~with_offset
    if with_offset.any() and without.any():
        a, b = int(with_offset.arg_max() or 0), int(without.arg_max() or 0)
        raise InvalidEventLog(
            f"{name}: column '{shown(column)}' mixes times with and without a UTC offset: "
            f"{locate(a)} has '{shown(frame['t'][a])}' but {locate(b)} has "
            f"'{shown(frame['t'][b])}'."
        )
    if with_offset.any():
        offset = parts.select(
            pl.when(pl.col("8").str.to_uppercase() == "Z")
            .then(0)
            .otherwise(
                pl.col("8").str.slice(0, 1).replace_strict({"+": 1, "-": -1}, return_dtype=pl.Int64)
                * (
                    pl.col("8").str.slice(1, 2).cast(pl.Int64) * 60
                    + pl.col("8")
                    .str.replace(":", "")
                    .str.slice(3, 2)
                    .cast(pl.Int64, strict=False)
                    .fill_null(0)
                )
            )
        ).to_series()
        micros = naive.dt.epoch("us") - offset * 60_000_000
        return ParsedTimes(micros, "ISO 8601 with UTC offsets", naive=False)
    return ParsedTimes(_localise(naive, timezone), "ISO 8601 without offsets", naive=True)


def _parse_epoch(
    frame: pl.DataFrame, column: str, name: str, locate: Callable[[int], str]
) -> ParsedTimes:
    parts = frame.select(pl.col("t").str.extract_groups(EPOCH).alias("g")).unnest("g")
    digits = parts.get_column("1").str.len_chars()
    seconds, millis = (digits <= 11), (digits >= 12)
    if seconds.any() and millis.any():
        a, b = int(seconds.arg_max() or 0), int(millis.arg_max() or 0)
        raise InvalidEventLog(
            f"{name}: column '{shown(column)}' mixes epoch seconds ({locate(a)}) and "
            "milliseconds "
            f"({locate(b)})."
        )
    scale = 1_000 if millis.any() else 1_000_000
    whole = parts.get_column("1").cast(pl.Int64, strict=False)
    fraction = (
        ("0." + parts.get_column("2").fill_null("0")).cast(pl.Float64, strict=False).fill_null(0.0)
    )
    micros = whole * scale + (fraction * scale).round().cast(pl.Int64)
    unit = "milliseconds" if millis.any() else "seconds"
    return ParsedTimes(micros, f"epoch {unit}", naive=False)


def _parse_day_month(
    frame: pl.DataFrame,
    column: str,
    name: str,
    locate: Callable[[int], str],
    timezone: str,
    dayfirst: bool | None,
) -> ParsedTimes:
    parts = frame.select(pl.col("t").str.extract_groups(DAY_MONTH).alias("g")).unnest("g")
    first = parts.get_column("1").cast(pl.Int64, strict=False)
    second = parts.get_column("2").cast(pl.Int64, strict=False)
    day_evidence, month_evidence = (first > 12).fill_null(False), (second > 12).fill_null(False)
    if dayfirst is None:
        if day_evidence.any() and month_evidence.any():
            a, b = int(day_evidence.arg_max() or 0), int(month_evidence.arg_max() or 0)
            raise InvalidEventLog(
                f"{name}: column '{shown(column)}' mixes day-first and month-first dates: "
                f"{locate(a)} has '{shown(frame['t'][a])}' but {locate(b)} has "
                f"'{shown(frame['t'][b])}'."
            )
        if not day_evidence.any() and not month_evidence.any():
            example = frame["t"].drop_nulls()[0]
            raise InvalidEventLog(
                f"{name}: the dates in column '{shown(column)}' (like '{shown(example)}') "
                "could be day-first "
                "or month-first; say which with --dayfirst or --monthfirst."
            )
        dayfirst = bool(day_evidence.any())
    day, month = ("1", "2") if dayfirst else ("2", "1")
    year = _int(pl.col("3"))
    year = (
        pl.when(year < 100)
        .then(pl.when(year < 70).then(year + 2000).otherwise(year + 1900))
        .otherwise(year)
    )
    hour = _int(pl.col("4"))
    meridiem = pl.col("8").str.to_uppercase()
    hour = (
        pl.when(meridiem.is_null())
        .then(hour)
        .when(hour > 12)
        .then(99)  # "13:00 PM" is not a time: becomes invalid
        .when(meridiem == "P")
        .then(hour % 12 + 12)
        .otherwise(hour % 12)
    )
    naive = _compose(
        parts,
        year,
        _int(pl.col(month)),
        _int(pl.col(day)),
        hour,
        _int(pl.col("5")),
        _int(pl.col("6")),
        pl.col("7"),
    )
    order = "day-first" if dayfirst else "month-first"
    return ParsedTimes(_localise(naive, timezone), f"{order} dates without offsets", naive=True)
