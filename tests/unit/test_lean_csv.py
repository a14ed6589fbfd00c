"""The lean CSV reading for analysis against the general reader and plain polars counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.lib.errors import InvalidEventLog
from app.mining.analysis import Filters, analysis_document
from app.mining.analysis.calendar import calendar_from
from app.mining.eventlog import ANALYSED_COLUMNS, read_event_log
from app.mining.lean_csv import NotLean, read_lean
from app.mining.normalise import UNASSIGNED
from app.mining.options import ImportOptions
from app.mining.text import utf8_text
from tests.conftest import DATA, ROOT

DEMO = ROOT / "event_logs" / "road-repair-requests.csv"
REAL = DATA / "real"

LOGS: list[tuple[Path, ImportOptions]] = [
    (DEMO, ImportOptions()),
    (DEMO, ImportOptions(timezone="America/Toronto", department="Channel")),
    (ROOT / "event_logs" / "wabo-receipt.csv", ImportOptions()),
    (REAL / "receipt" / "receipt.csv", ImportOptions()),
    (REAL / "helpdesk" / "helpdesk_disco_export.csv", ImportOptions()),
    (REAL / "bpic2015" / "municipality1.csv.gz", ImportOptions()),
    (REAL / "road-traffic-fines" / "traffic_fines_10k_cases.csv.gz", ImportOptions()),
    (REAL / "toy" / "running-example.csv", ImportOptions()),
    (
        REAL / "311" / "boston311-100.csv",
        ImportOptions(
            case="case_enquiry_id",
            activity="type",
            timestamp="open_dt",
            department="department",
            timezone="America/New_York",
        ),
    ),
    (
        REAL / "311" / "nyc311-100.csv",
        ImportOptions(
            case="Unique Key",
            activity="Complaint Type",
            timestamp="Created Date",
            department="Agency",
        ),
    ),
]


def _lean(path: Path, options: ImportOptions) -> Any:
    return read_event_log(path, path.name, options, keep_attributes=False, lean=True)


def _eager(path: Path, options: ImportOptions) -> Any:
    return read_event_log(path, path.name, options, keep_attributes=False)


def _as_text(events: pl.DataFrame) -> pl.DataFrame:
    return events.select(ANALYSED_COLUMNS).with_columns(
        pl.col("case_id", "activity", "department").cast(pl.String)
    )


def _document(log: Any, **kwargs: Any) -> str:
    return json.dumps(analysis_document(log.events, log.stats, ordered=True, **kwargs))


@pytest.mark.parametrize(("path", "options"), LOGS, ids=lambda v: getattr(v, "name", ""))
def test_lean_reading_gives_the_general_readers_events_and_document(
    path: Path, options: ImportOptions
) -> None:
    lean, eager = _lean(path, options), _eager(path, options)
    assert _as_text(lean.events).equals(_as_text(eager.events))
    for key in ("rows_read", "exact_duplicate_rows_dropped", "events", "cases", "departments"):
        assert lean.stats[key] == eager.stats[key], key
    assert _document(lean) == _document(eager)


def test_the_demo_log_is_read_lean_and_agrees_with_plain_polars() -> None:
    with utf8_text(DEMO, DEMO.name) as text:
        log = read_lean(text, DEMO.name, ImportOptions())
    assert log.events.schema["activity"] == pl.Categorical
    plain = pl.read_csv(DEMO, infer_schema=False)
    distinct = plain.unique(maintain_order=True)
    assert log.stats["rows_read"] == plain.height
    assert log.stats["exact_duplicate_rows_dropped"] == plain.height - distinct.height > 0
    assert log.stats["cases"] == distinct.get_column("Request ID").n_unique()
    per_case = distinct.group_by("Request ID").len().sort("Request ID")
    lean_per_case = (
        log.events.group_by(pl.col("case_id").cast(pl.String).alias("Request ID"))
        .len()
        .sort("Request ID")
    )
    assert lean_per_case.equals(per_case)
    # ordered by case, then time: no case's events go back in time
    events = _as_text(log.events)
    same_case = events.get_column("case_id") == events.get_column("case_id").shift(1)
    earlier = events.get_column("timestamp_us") < events.get_column("timestamp_us").shift(1)
    assert not bool((same_case & earlier).any())
    assert events.get_column("case_id").is_sorted()


@pytest.mark.parametrize(
    "filters",
    [
        Filters(departments=("Roads",)),
        Filters(activities=("Close request",), start_us=1_740_000_000_000_000),
        Filters(variant=("Receive call", "Log request")),
    ],
)
def test_filters_and_business_hours_give_the_same_document(filters: Filters) -> None:
    lean, eager = _lean(DEMO, ImportOptions()), _eager(DEMO, ImportOptions())
    calendar = calendar_from("Mon-Fri 08:30-16:30", None, None, [])
    for kwargs in ({"filters": filters}, {"filters": filters, "calendar": calendar}):
        assert _document(lean, **kwargs) == _document(eager, **kwargs)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


HEAD = "case,activity,timestamp,department,note\n"


@pytest.mark.parametrize(
    ("content", "lean_taken"),
    [
        # a copy far from its original, and a near copy that differs in another column
        (
            HEAD + "A,x,2024-01-01 10:00:00,D1,n\nB,x,2024-01-01 09:00:00,,n\n"
            "A,y,2024-01-01 11:00:00,D2,n\nA,x,2024-01-01 10:00:00,D1,m\n"
            "A,x,2024-01-01 10:00:00,D1,n\n",
            True,
        ),
        # CRLF lines, one copy without its carriage return: the general reader decides
        (
            HEAD.replace("\n", "\r\n")
            + "A,x,2024-01-01T10:00:00Z,D1,n\r\nA,x,2024-01-01T10:00:00Z,D1,n\n"
            "A,y,2024-01-01T11:00:00Z,D1,n\r\n",
            None,
        ),
        # a blank line, a row with a missing field, an empty case: the general reader
        (HEAD + "A,x,2024-01-01 10:00:00,D1,n\n\nA,y,2024-01-01 11:00:00,D1,n\n", False),
        (HEAD + "A,x,2024-01-01 10:00:00,D1\nA,y,2024-01-01 11:00:00,D1,n\n", False),
        (HEAD + " ,x,2024-01-01 10:00:00,D1,n\nA,y,2024-01-01 11:00:00,D1,n\n", False),
        # quotes, day-first dates, epoch seconds, mixed offsets: the general reader
        (HEAD + 'A,"x",2024-01-01 10:00:00,D1,n\n', False),
        (HEAD + "A,x,13/01/2024 10:00,D1,n\nA,y,14/01/2024 10:00,D1,n\n", False),
        (HEAD + "A,x,1704103200,D1,n\nA,y,1704106800,D1,n\n", False),
        (HEAD + "A,x,2024-01-01T10:00:00+01:00,D1,n\nA,y,2024-01-01T11:00:00,D1,n\n", False),
        # same timestamps: file order decides; ids sort as text (A10 before A9)
        (
            HEAD + "A9,y,2024-01-01 10:00:00.5,D2,n\nA9,x,2024-01-01 10:00:00.5,D1,n\n"
            "A10,x,2024-01-01 10:00:00,D1,n\n",
            True,
        ),
    ],
)
def test_small_logs_read_lean_or_left_to_the_general_reader(
    tmp_path: Path, content: str, lean_taken: bool | None
) -> None:
    path = _write(tmp_path, "log.csv", content)
    options = ImportOptions(on_error="skip", timezone="Europe/Amsterdam")
    if lean_taken is not None:
        with utf8_text(path, path.name) as text:
            if lean_taken:
                read_lean(text, path.name, options)
            else:
                with pytest.raises(NotLean):
                    read_lean(text, path.name, options)
    try:
        eager = _eager(path, options)
    except InvalidEventLog as error:  # the same error either way
        with pytest.raises(InvalidEventLog) as lean_error:
            _lean(path, options)
        assert str(lean_error.value) == str(error)
        return
    lean = _lean(path, options)
    assert _as_text(lean.events).equals(_as_text(eager.events))
    assert lean.stats["exact_duplicate_rows_dropped"] == eager.stats["exact_duplicate_rows_dropped"]
    assert _document(lean) == _document(eager)


def test_a_far_copy_is_dropped_and_counted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "log.csv",
        HEAD + "A,x,2024-01-01 10:00:00,,n\nA,y,2024-01-01 11:00:00,D2,n\n"
        "A,x,2024-01-01 10:00:00,,n\nA,x,2024-01-01 10:00:00,,m\n",
    )
    log = _lean(path, ImportOptions())
    assert log.events.schema["department"] == pl.Categorical
    assert log.stats["rows_read"] == 4
    assert log.stats["exact_duplicate_rows_dropped"] == 1
    events = _as_text(log.events)
    assert events.get_column("line").to_list() == [2, 5, 3]
    assert events.get_column("department").to_list() == [UNASSIGNED, UNASSIGNED, "D2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            HEAD + "A,x,2024-01-01 10:00:00,D1,n\nA,y,2024-01-01 11:00:00,D1\n",
            "line 3: the row has 4",
        ),
        ("case,step,when\nA,x,2024-01-01\n", "no timestamp column was recognised"),
        (HEAD + "A,x,2024-01-01 10:00:00,D1,n\nA,y,2024-02-30 11:00:00,D1,n\n", "line 3"),
        (HEAD + "A,x,2024-01-01 10:00:00,D1,n\nA,,2024-01-02 11:00:00,D1,n\n", "line 3"),
    ],
)
def test_errors_are_the_general_readers(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, "log.csv", content)
    with pytest.raises(InvalidEventLog) as eager:
        _eager(path, ImportOptions())
    assert message in str(eager.value)
    with pytest.raises(InvalidEventLog) as lean:
        _lean(path, ImportOptions())
    assert str(lean.value) == str(eager.value)


EDGE_TIMES = [
    "2022-01-01T07:51:05+00:00",
    "2024-02-29T23:59:59-05:30",
    "2022-02-29T07:51:05+00:00",
    "2022-01-01T24:00:00+00:00",
    "2022-12-31T23:59:60+00:00",
    "2022-01-01T07:51:05+23:59",
    "2022-01-01T07:51:05+24:00",
    "2022-01-01T07:51:05+00:60",
    "2022-01-01T07:51:05+-5:00",
    "2022-01-01T07:51:05++5:00",
    "2022-13-01T07:51:05+00:00",
    "0000-01-01T00:00:00+00:00",
    "2022-01-01T07:51:05.5+00:00",
    "2022-01-01 07:51:05+00:00",
    "2022-01-01T07:51:05",
    "2024-02-29T23:59:59",
    "2022-12-31T23:59:60",
    "2022-02-29T07:51:05",
    "2022-01-01T24:00:00",
    "2022-01-01T07:51",
]


@pytest.mark.parametrize(
    ("first", "naive"), [("2022-01-01T07:51:05+00:00", False), ("2022-01-01T07:51:05", True)]
)
def test_fast_timestamps_are_the_general_parsers_or_left_to_it(first: str, naive: bool) -> None:
    from app.mining.lean_csv import _layout, _micros
    from app.mining.timestamps import parse_timestamps

    form, found_naive = _layout(first)
    assert found_naive == naive
    frame = pl.DataFrame({"t": EDGE_TIMES})
    micros, shaped = _micros(pl.col("t"), form, naive, "UTC", first)
    fast = frame.select(micros.alias("m"), shaped.alias("s"))
    taken = 0
    for value, (m, s) in zip(EDGE_TIMES, fast.iter_rows(), strict=True):
        if m is None or not s:
            continue  # the general reader takes such a file
        taken += 1
        general = parse_timestamps(pl.Series([first, value]), "t", "x", str)
        assert general.micros[1] == m, value
    assert taken >= 3  # the valid ones of each family


@pytest.mark.parametrize(
    "path", [DEMO, ROOT / "event_logs" / "wabo-receipt.csv"], ids=["demo", "wabo"]
)
def test_maps_drawn_from_the_lean_read_are_the_same(path: Path) -> None:
    """`handoff map` reads logs the lean way: the mined and customer maps (as DOT text)
    are the ones the general reader gives."""
    from app.domain.reviews.maps import (
        customer_map_image,
        directly_follows_document,
        log_customer_map,
        mined_map_image,
    )
    from app.mining.analysis import prepare

    drawn = []
    for read in (_lean, _eager):
        prepared = prepare(read(path, ImportOptions()).events, ordered=True)
        mined, shown, total = mined_map_image(directly_follows_document(prepared), "dot")
        customer = customer_map_image(log_customer_map(prepared), "dot", title=path.name)
        drawn.append((mined, shown, total, customer))
    assert drawn[0] == drawn[1]
    assert drawn[0][1] > 0 and b"->" in drawn[0][0] and b"->" in drawn[0][3]
