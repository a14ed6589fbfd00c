"""Business hours: hand-computed cases and a slow reference on random instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.lib.errors import InvalidRequest
from app.mining.analysis.calendar import Calendar, business_seconds, calendar_from, parse_calendar

CITY = Calendar()  # Mon-Fri 08:30-16:30, UTC


def us(*args: int, zone: str = "UTC") -> int:
    moment = datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]
    return int(moment.timestamp() * 1_000_000)


def seconds(start: int, end: int, calendar: Calendar = CITY) -> float:
    value = business_seconds(pl.Series([start]), pl.Series([end]), calendar)[0]
    assert value is not None
    return float(value)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (us(2024, 3, 4, 9), us(2024, 3, 4, 11), 7200),  # Monday, inside hours
        (us(2024, 3, 4, 7), us(2024, 3, 4, 9), 1800),  # before opening counts from 08:30
        (us(2024, 3, 4, 16), us(2024, 3, 5, 9), 3600),  # overnight: 30 min + 30 min
        (us(2024, 3, 8, 16), us(2024, 3, 11, 9), 3600),  # Friday to Monday: the weekend is free
        (us(2024, 3, 9, 10), us(2024, 3, 10, 15), 0),  # all on a weekend
        (us(2024, 3, 4, 9), us(2024, 3, 11, 9), 5 * 8 * 3600),  # a week: five working days
        (us(2024, 3, 4, 17), us(2024, 3, 4, 18), 0),  # after closing
    ],
)
def test_business_seconds_by_hand(start: int, end: int, expected: int) -> None:
    assert seconds(start, end) == expected


def test_holidays_and_time_zones() -> None:
    toronto = parse_calendar("Mon-Fri 08:30-16:30", "America/Toronto", (date(2024, 12, 25),))
    # Tuesday 24 Dec 16:00 to Thursday 26 Dec 09:00 in Toronto: Christmas Day is a holiday
    assert (
        seconds(
            us(2024, 12, 24, 16, zone="America/Toronto"),
            us(2024, 12, 26, 9, zone="America/Toronto"),
            toronto,
        )
        == 3600
    )
    # the same instants read in UTC hours would count differently
    assert (
        seconds(
            us(2024, 12, 24, 16, zone="America/Toronto"),
            us(2024, 12, 26, 9, zone="America/Toronto"),
        )
        != 3600
    )


def test_a_department_with_its_own_hours() -> None:
    from app.mining.analysis import prepare

    calendar = calendar_from("Mon-Fri 08:30-16:30", department_hours=["Crew=Mon-Sun 07:00-19:00"])
    assert calendar is not None
    events = pl.DataFrame(
        {
            "case_id": ["a", "a", "b", "b"],
            "activity": ["Log", "Repair", "Log", "Check"],
            "department": ["CC", "Crew", "CC", "Office"],
            "timestamp_us": [
                us(2024, 3, 9, 8),
                us(2024, 3, 9, 10),
                us(2024, 3, 9, 8),
                us(2024, 3, 9, 10),
            ],  # a Saturday
            "line": [2, 3, 4, 5],
        }
    )
    waits = prepare(events, calendar=calendar).steps.get_column("wait_s").to_list()
    assert waits == [2 * 3600, 0]  # the crew works Saturdays from 07:00; the office does not


def test_calendar_words() -> None:
    assert parse_calendar("Sat-Mon 10:00-14:00").weekdays == (0, 5, 6)
    assert calendar_from(None) is None
    for bad, message in [
        ("weekdays 9-5", "is not a working calendar"),
        ("Mon-Xyz 09:00-17:00", "is not a day"),
        ("Mon-Fri 17:00-09:00", "must run forward"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            parse_calendar(bad)
    with pytest.raises(InvalidRequest, match="is not a date"):
        calendar_from("Mon-Fri 09:00-17:00", holidays="Christmas")
    with pytest.raises(InvalidRequest, match="is not a known time zone"):
        calendar_from("Mon-Fri 09:00-17:00", timezone="Mars/Base")
    with pytest.raises(InvalidRequest, match="need the city's business hours"):
        calendar_from(None, holidays="2025-12-25")


def reference(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Day by day: the overlap of [start, end] with each working day's opening hours."""
    zone = ZoneInfo(calendar.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        if day.weekday() in calendar.weekdays and day not in calendar.holidays:
            opens = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                seconds=calendar.opens_s
            )
            closes = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                seconds=calendar.closes_s
            )
            low = max(opens.replace(tzinfo=None), local_start.replace(tzinfo=None))
            high = min(closes.replace(tzinfo=None), local_end.replace(tzinfo=None))
            total += max((high - low).total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=60 * 24 * 40),
    st.integers(min_value=0, max_value=60 * 24 * 20),
    st.sampled_from(["UTC", "Europe/Paris"]),
)
def test_business_seconds_equal_a_day_by_day_reference(
    start_min: int, length_min: int, zone: str
) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday; March holds a DST change in Paris
    start = base + timedelta(minutes=start_min + 60 * 24 * 50)
    end = start + timedelta(minutes=length_min)
    calendar = parse_calendar("Mon-Fri 08:30-16:30", zone, (date(2024, 4, 1),))
    got = seconds(int(start.timestamp() * 1e6), int(end.timestamp() * 1e6), calendar)
    assert got == pytest.approx(reference(start, end, calendar))
