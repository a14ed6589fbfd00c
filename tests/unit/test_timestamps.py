"""Timestamp parsing: every supported family, against instants computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from app.lib.errors import InvalidEventLog
from app.mining.timestamps import check_timezone, parse_timestamps


def micros(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1_000_000)  # type: ignore[misc]


def parse(values: list[str | None], **options: object) -> list[int | None]:
    result = parse_timestamps(
        pl.Series(values, dtype=pl.String),
        "ts",
        "f.csv",
        lambda i: f"line {i + 2}",
        **options,  # type: ignore[arg-type]
    )
    return result.micros.to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-01-01T10:00:00+01:00", micros(2013, 1, 1, 9)),
        ("2013-06-01T10:00:00+02:00", micros(2013, 6, 1, 8)),  # DST offsets compared as instants
        ("2011-10-11 13:45:40.276000+02:00", micros(2011, 10, 11, 11, 45, 40) + 276_000),
        ("2024-03-05T14:02:11Z", micros(2024, 3, 5, 14, 2, 11)),
        ("2024-03-05T14:02:11.5-0500", micros(2024, 3, 5, 19, 2, 11) + 500_000),
        ("2024-03-05 14:02+10", micros(2024, 3, 5, 4, 2)),
    ],
)
def test_iso_with_offsets(text: str, expected: int) -> None:
    assert parse([text]) == [expected]


def test_iso_without_offset_is_read_in_the_time_zone() -> None:
    values = ["2024-01-15 09:00", "2024-07-15 09:00", "2006-07-24"]
    assert parse(values) == [micros(2024, 1, 15, 9), micros(2024, 7, 15, 9), micros(2006, 7, 24)]
    toronto = parse(values, timezone="America/Toronto")
    assert toronto == [micros(2024, 1, 15, 14), micros(2024, 7, 15, 13), micros(2006, 7, 24, 4)]


def test_local_times_at_clock_changes() -> None:
    # 02:30 on 10 March 2024 does not exist in Toronto; 01:30 on 3 November happens twice.
    gap, twice = parse(["2024-03-10 02:30", "2024-11-03 01:30"], timezone="America/Toronto")
    assert gap is None
    assert twice == micros(2024, 11, 3, 5, 30)  # the earlier (daylight) reading


def test_us_twelve_hour_clock_is_month_first() -> None:
    assert parse(["04/18/2019 09:55:45 PM", "04/19/2019 12:05:00 AM", "04/19/2019 12:30 PM"]) == [
        micros(2019, 4, 18, 21, 55, 45),
        micros(2019, 4, 19, 0, 5),
        micros(2019, 4, 19, 12, 30),
    ]


def test_day_first_is_decided_from_the_data() -> None:
    assert parse(["18.04.2019 21:55", "03.05.19 09:00"]) == [
        micros(2019, 4, 18, 21, 55),
        micros(2019, 5, 3, 9),
    ]


def test_undecidable_day_month_order_is_an_error_unless_given() -> None:
    with pytest.raises(InvalidEventLog, match="could be day-first or month-first"):
        parse(["03/04/2024 09:00", "05/04/2024 10:00"])
    assert parse(["03/04/2024 09:00"], dayfirst=True) == [micros(2024, 4, 3, 9)]
    assert parse(["03/04/2024 09:00"], dayfirst=False) == [micros(2024, 3, 4, 9)]


def test_day_first_and_month_first_in_one_column_is_an_error() -> None:
    with pytest.raises(
        InvalidEventLog, match="line 2 has '13/04/2019' but line 3 has '04/13/2019'"
    ):
        parse(["13/04/2019", "04/13/2019"])


def test_epoch_seconds_and_milliseconds() -> None:
    assert parse(["1711893900", "1711893960.25"]) == [
        micros(2024, 3, 31, 14, 5),
        micros(2024, 3, 31, 14, 6) + 250_000,
    ]
    assert parse(["1711893900123"]) == [micros(2024, 3, 31, 14, 5) + 123_000]
    with pytest.raises(InvalidEventLog, match="mixes epoch seconds"):
        parse(["1711893900", "1711893900123"])


def test_mixed_families_are_refused_with_both_lines() -> None:
    with pytest.raises(InvalidEventLog, match="line 2 has '2024-03-01 09:00' but line 4 has"):
        parse(["2024-03-01 09:00", None, "03/15/2024 10:00"])


def test_offsets_on_some_values_only_are_refused() -> None:
    with pytest.raises(InvalidEventLog, match="mixes times with and without a UTC offset"):
        parse(["2024-03-01T09:00:00+01:00", "2024-03-01T10:00:00"])


def test_impossible_dates_become_nulls_for_the_caller_to_report() -> None:
    assert parse(
        ["2024-02-30 10:00", "2024-02-29 10:00", "2023-02-29 10:00", "2024-01-01 25:00"]
    ) == [
        None,
        micros(2024, 2, 29, 10),
        None,
        None,
    ]


def test_text_that_is_no_timestamp_names_the_first_line() -> None:
    with pytest.raises(InvalidEventLog, match=r"f\.csv, line 3: 'yesterday'"):
        parse([None, "yesterday"])


def test_unknown_time_zone() -> None:
    assert check_timezone(None) == "UTC"
    with pytest.raises(InvalidEventLog, match="'Mars/Olympus' is not a known time zone"):
        check_timezone("Mars/Olympus")
