"""Working calendars: waits counted in business hours, so a weekend is not a bottleneck.

A calendar is working weekdays, daily opening hours and holidays, in a time zone. The
business time between two instants is the part of it that falls inside opening hours on
working days. Computed column-wise: a cumulative count of working days over the log's
date range gives the whole days between two instants in one subtraction, and the two
partial days are clipped to the opening hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from app.lib.errors import InvalidRequest

__all__ = ["Calendar", "business_seconds", "calendar_from", "parse_calendar"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86_400


@dataclass(frozen=True)
class Calendar:
    """When work is done: weekdays (0 = Monday), opening hours in seconds of the day, holidays."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens_s: int = 8 * 3600 + 30 * 60
    closes_s: int = 16 * 3600 + 30 * 60
    holidays: tuple[date, ...] = ()
    timezone: str = "UTC"
    departments: dict[str, Calendar] = field(default_factory=dict)
    """Calendars of departments that keep other hours (a wait uses the calendar of the
    department the case waits for: the one of the later event)."""

    def describe(self) -> str:
        """The calendar in words, as ``parse_calendar`` reads it."""
        days = ",".join(DAYS[d].title() for d in self.weekdays)
        return f"{days} {_clock(self.opens_s)}-{_clock(self.closes_s)} ({self.timezone})"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_calendar(text: str, timezone: str = "UTC", holidays: tuple[date, ...] = ()) -> Calendar:
    """A calendar from text like ``Mon-Fri 08:30-16:30`` or ``Mon,Wed,Fri 09:00-12:00``.

    Raises:
        InvalidRequest: the text is not days followed by opening hours.

    >>> parse_calendar("Mon-Fri 08:30-16:30").describe()
    'Mon,Tue,Wed,Thu,Fri 08:30-16:30 (UTC)'
    """
    match = re.fullmatch(
        r"\s*([A-Za-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text or ""
    )
    if not match:
        raise InvalidRequest(
            f"'{text}' is not a working calendar; write days and hours like 'Mon-Fri 08:30-16:30'."
        )
    days: set[int] = set()
    for part in match.group(1).lower().split(","):
        ends = part.split("-")
        try:
            first, last = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
        except ValueError:
            raise InvalidRequest(
                f"'{part}' in '{text}' is not a day like Mon or Mon-Fri."
            ) from None
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        days.update(span)
    opens = int(match.group(2)) * 3600 + int(match.group(3)) * 60
    closes = int(match.group(4)) * 3600 + int(match.group(5)) * 60
    if not 0 <= opens < closes <= DAY_S:
        raise InvalidRequest(f"'{text}': the opening hours must run forward within one day.")
    return Calendar(tuple(sorted(days)), opens, closes, holidays, timezone)


def _local(micros: pl.Series, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local day number (days since 1970-01-01) and second of the day of instants."""
    local = micros.cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(timezone)
    naive = local.dt.replace_time_zone(None).dt.epoch("s").to_numpy()
    return np.floor_divide(naive, DAY_S), np.mod(naive, DAY_S)


def business_seconds(start_us: pl.Series, end_us: pl.Series, calendar: Calendar) -> pl.Series:
    """Seconds of opening hours between each pair of instants (0 when none; null stays null).

    >>> import polars as pl
    >>> friday_4pm = pl.Series([1_709_913_600_000_000])   # 2024-03-08 16:00 UTC, a Friday
    >>> monday_9am = pl.Series([1_710_147_600_000_000])   # 2024-03-11 09:00 UTC
    >>> business_seconds(friday_4pm, monday_9am, Calendar()).to_list()  # 30 min + 30 min
    [3600.0]
    """
    valid = (start_us.is_not_null() & end_us.is_not_null()).to_numpy()
    result = np.full(start_us.len(), np.nan)
    if not valid.any():
        return pl.Series(result).fill_nan(None)
    a_day, a_sec = _local(start_us.filter(pl.Series(valid)), calendar.timezone)
    b_day, b_sec = _local(end_us.filter(pl.Series(valid)), calendar.timezone)
    low = int(min(a_day.min(), b_day.min()))
    span = np.arange(low, int(max(a_day.max(), b_day.max())) + 2)
    weekday = (span + 3) % 7  # 1970-01-01 was a Thursday (3)
    working = np.isin(weekday, calendar.weekdays)
    if calendar.holidays:
        holiday_days = np.array([(h - date(1970, 1, 1)).days for h in calendar.holidays])
        working &= ~np.isin(span, holiday_days)
    before = np.concatenate([[0], np.cumsum(working)])  # working days before span[i]
    day_length = calendar.closes_s - calendar.opens_s
    ia, ib = (a_day - low).astype(int), (b_day - low).astype(int)
    same = ia == ib
    first_end = np.where(same, np.minimum(b_sec, calendar.closes_s), calendar.closes_s)
    first = np.clip(first_end - np.maximum(a_sec, calendar.opens_s), 0, None) * working[ia]
    last = (
        np.where(same, 0, np.clip(np.minimum(b_sec, calendar.closes_s) - calendar.opens_s, 0, None))
        * working[ib]
    )
    between = np.where(same, 0, before[ib] - before[ia + 1]) * day_length
    result[valid] = (first + last + between).astype(float)
    return pl.Series(result).fill_nan(None)


def calendar_from(
    hours: str | None,
    timezone: str | None = None,
    holidays: str | None = None,
    department_hours: list[str] | None = None,
) -> Calendar | None:
    """A calendar from the words of a command line or query string, or None without hours.

    Args:
        hours: ``Mon-Fri 08:30-16:30``.
        timezone: IANA zone of the hours (default UTC).
        holidays: ``2025-01-01,2025-12-25``.
        department_hours: ``Roads & Sidewalks=Mon-Fri 07:00-15:30`` for departments that
            keep other hours.

    Raises:
        InvalidRequest: any part cannot be read.
    """
    if not hours:
        if department_hours or holidays:
            raise InvalidRequest(
                "Holidays and department hours need the city's business hours too."
            )
        return None
    zone = timezone or "UTC"
    try:
        pl.Series([0], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)
    except pl.exceptions.PolarsError:
        raise InvalidRequest(f"'{zone}' is not a known time zone.") from None
    days: list[date] = []
    for part in (holidays or "").split(","):
        if part.strip():
            try:
                days.append(date.fromisoformat(part.strip()))
            except ValueError:
                raise InvalidRequest(
                    f"Holiday '{part.strip()}' is not a date like 2025-12-25."
                ) from None
    base = parse_calendar(hours, zone, tuple(sorted(days)))
    own = {}
    for item in department_hours or []:
        name, equals, text = item.rpartition("=")
        if not equals or not name.strip():
            raise InvalidRequest(
                f"'{item}' does not give a department and its hours, "
                "like 'Roads=Mon-Fri 07:00-15:30'."
            )
        own[name.strip()] = parse_calendar(text, zone, base.holidays)
    return Calendar(base.weekdays, base.opens_s, base.closes_s, base.holidays, zone, own)
