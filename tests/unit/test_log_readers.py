"""Reading log files: encodings, CSV line numbers, hostile XES, archives, the rules."""

from __future__ import annotations

import gzip
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.lib.errors import InvalidEventLog, PayloadTooLarge
from app.mining.eventlog import read_event_log
from app.mining.normalise import UNASSIGNED
from app.mining.options import ImportLimits, ImportOptions
from tests.conftest import DATA

LOGS = DATA / "logs"


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1_000_000)  # type: ignore[misc]


def test_windows_export_with_bom_crlf_semicolons_and_a_quoted_newline() -> None:
    log = read_event_log(LOGS / "windows-export.csv", "windows-export.csv")
    events = log.events
    assert events.get_column("activity").to_list() == ["Log request", "Inspect site", "Log request"]
    # the second row starts on line 4 because the quoted note of line 2 spans two lines
    assert events.get_column("line").to_list() == [2, 4, 5]
    assert events.get_column("timestamp_us").to_list() == [
        utc(2024, 3, 4, 9),
        utc(2024, 3, 15, 14, 30),
        utc(2024, 3, 16, 8, 5),
    ]
    notes = [json.loads(a)["Notes"] for a in events.get_column("attributes")]
    assert notes == ["Pothole on Main St,\r\nnear the school", None, 'Caller: "Mrs. Côté"']
    assert log.stats["timestamp_format"] == "day-first dates without offsets"


def test_windows_1252_and_utf16_files_are_read() -> None:
    cp1252 = read_event_log(LOGS / "cp1252.csv", "cp1252.csv")
    assert cp1252.stats["departments"] == ["Service à la clientèle", "Travaux publics"]
    assert "Réparer" in cp1252.events.get_column("activity").to_list()
    utf16 = read_event_log(LOGS / "utf16.csv", "utf16.csv")
    assert utf16.stats["events"] == 2 and utf16.stats["departments"] == ["Contact Centre", "Roads"]


def test_the_rules_of_contract_section_3_on_a_hand_made_log() -> None:
    log = read_event_log(LOGS / "tickets.csv", "tickets.csv")
    stats, quality = log.stats, log.quality
    assert (stats["rows_read"], stats["exact_duplicate_rows_dropped"], stats["events"]) == (8, 1, 7)
    assert (stats["cases"], stats["activities"], stats["unassigned_events"]) == (3, 4, 1)
    assert stats["departments"] == ["(unassigned)", "Contact Centre", "Roads"]
    rows = log.events.select("case_id", "activity", "line").rows()
    # by case, then time; the 10:00 tie of lines 5 and 6 keeps file order
    assert rows == [
        ("T1", "Log request", 2),
        ("T1", "Inspect site", 5),
        ("T1", "Repair", 6),
        ("T1", "Close", 9),
        ("T2", "Close", 7),
        ("T2", "Log request", 4),
        ("T3", "Log request", 8),
    ]
    assert log.events.filter(pl.col("line") == 4).get_column("department").to_list() == [UNASSIGNED]
    assert quality["events_out_of_order_in_file"] == 1  # T2: line 7 is earlier than line 4
    assert quality["single_event_cases"] == 1  # T3
    assert quality["timestamps_in_future"] == 1 and quality["timestamps_in_future_examples"] == [
        "line 9: 2030-01-01"
    ]
    assert quality["timestamps_far_outside_range"] == 1
    assert quality["missing_values"] == {"Team": 1}
    assert log.mapping.as_dict() == {
        "case": "Ticket",
        "activity": "Step",
        "timestamp": "Completed At",
        "department": "Team",
        "resource": "Handled By",
        "start_timestamp": None,
        "lifecycle": None,
    }


def test_lifecycle_starts_become_start_times() -> None:
    log = read_event_log(LOGS / "lifecycle.csv", "lifecycle.csv")
    rows = log.events.select("activity", "timestamp_us", "start_us", "lifecycle").rows()
    assert rows == [
        ("Review", utc(2024, 3, 1, 11), utc(2024, 3, 1, 9), "complete"),
        ("Approve", utc(2024, 3, 2, 9), None, "complete"),
        ("Review", utc(2024, 3, 3, 9), None, "start"),
    ]
    assert (log.quality["lifecycle_starts_merged"], log.quality["lifecycle_starts_unpaired"]) == (
        1,
        1,
    )
    kept = read_event_log(LOGS / "lifecycle.csv", "lifecycle.csv", ImportOptions(lifecycle="keep"))
    assert kept.stats["events"] == 4


def test_pseudonymised_columns_are_stable_hashes() -> None:
    options = ImportOptions(pseudonymise=("resource", "Channel", "case"))
    first = read_event_log(LOGS / "tickets.csv", "tickets.csv", options, salt=b"s1")
    again = read_event_log(LOGS / "tickets.csv", "tickets.csv", options, salt=b"s1")
    other = read_event_log(LOGS / "tickets.csv", "tickets.csv", options, salt=b"s2")
    resources = first.events.get_column("resource").to_list()
    assert "ana" not in resources and len(resources[0]) == 16
    assert resources == again.events.get_column("resource").to_list()
    assert resources != other.events.get_column("resource").to_list()
    channels = {json.loads(a)["Channel"] for a in first.events.get_column("attributes")}
    assert channels.isdisjoint({"Phone", "Web", "Email"}) and len(channels) == 3
    assert "T1" not in first.events.get_column("case_id").to_list()
    with pytest.raises(InvalidEventLog, match="no column 'Postcode' to pseudonymise"):
        read_event_log(
            LOGS / "tickets.csv", "t.csv", ImportOptions(pseudonymise=("Postcode",)), salt=b"s"
        )


def test_skip_policy_keeps_good_rows_and_lists_the_bad() -> None:
    log = read_event_log(
        DATA / "bad" / "ragged-rows.csv", "ragged-rows.csv", ImportOptions(on_error="skip")
    )
    assert (log.stats["events"], log.stats["rows_skipped"], log.stats["rows_read"]) == (1, 2, 3)
    assert [e["line"] for e in log.quality["rows_skipped_examples"]] == [3, 4]


def test_explicit_mapping_and_a_wrong_column_name() -> None:
    options = ImportOptions(
        case="Ticket", activity="Step", timestamp="Completed At", department="Handled By"
    )
    log = read_event_log(LOGS / "tickets.csv", "t.csv", options)
    assert "ana" in log.stats["departments"]
    with pytest.raises(InvalidEventLog, match="there is no column 'Agent' for --resource"):
        read_event_log(LOGS / "tickets.csv", "t.csv", ImportOptions(resource="Agent"))


def test_gzip_and_zip_wrappers(tmp_path: Path) -> None:
    raw = (LOGS / "tickets.csv").read_bytes()
    gz = tmp_path / "tickets.csv.gz"
    gz.write_bytes(gzip.compress(raw))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("__MACOSX/._tickets.csv", b"junk")
        z.writestr("export/tickets.csv", raw)
    for path in (gz, archive):
        assert read_event_log(path, path.name).stats["events"] == 7


def test_a_gzip_bomb_is_stopped_early(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(b"Case ID,Activity,Timestamp\n")
        zeros = b"0" * (1024 * 1024)
        for _ in range(300):  # 300 MB of zeros in about 300 KB
            out.write(zeros)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(PayloadTooLarge, match="more than 200 times its compressed size"):
        read_event_log(bomb, "bomb.csv.gz")
    limits = ImportLimits(max_decompressed_bytes=10_000_000, max_compression_ratio=10**9)
    with pytest.raises(PayloadTooLarge, match="expands to more than 10,000,000 bytes"):
        read_event_log(bomb, "bomb.csv.gz", ImportOptions(limits=limits))


def test_a_100_mb_single_line_is_refused_with_its_line(tmp_path: Path) -> None:
    big = tmp_path / "one-line.csv"
    with big.open("wb") as out:
        out.write(b"Case ID,Activity,Timestamp\n")
        chunk = b"x" * (1024 * 1024)
        for _ in range(100):
            out.write(chunk)
    with pytest.raises(
        InvalidEventLog, match=r"one-line\.csv, line 2: the line is longer than 1,048,576"
    ):
        read_event_log(big, "one-line.csv")


def test_too_many_columns_are_refused(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(
        ",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" for _ in range(5000)) + "\n"
    )
    with pytest.raises(InvalidEventLog, match="the header has 5,000 columns"):
        read_event_log(wide, "wide.csv")


def test_xes_entities_are_never_expanded() -> None:
    for name in ("external-entity.xes", "billion-laughs.xes"):
        with pytest.raises(InvalidEventLog, match="declares a document type"):
            read_event_log(DATA / "bad" / name, name)


def test_parquet_is_read(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "Case ID": ["A", "A", "B"],
            "Activity": ["Log", "Close", "Log"],
            "Timestamp": [
                datetime(2024, 3, 1, 9, tzinfo=UTC),
                datetime(2024, 3, 1, 10, tzinfo=UTC),
                datetime(2024, 3, 2, 9, tzinfo=UTC),
            ],
            "Department": ["Contact Centre", "Roads", None],
        }
    )
    path = tmp_path / "log.parquet"
    frame.write_parquet(path)
    log = read_event_log(path, "log.parquet")
    assert log.events.get_column("timestamp_us").to_list() == [
        utc(2024, 3, 1, 9),
        utc(2024, 3, 1, 10),
        utc(2024, 3, 2, 9),
    ]
    assert log.stats["unassigned_events"] == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.just(""),
            st.lists(st.text(alphabet="ab c9-", max_size=4), min_size=1, max_size=5).map(",".join),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_the_column_wise_check_of_unquoted_files_equals_the_csv_module(
    rows: list[str], newline: str
) -> None:
    """Files without quotes take a fast path; it must see exactly what the csv module sees."""
    from app.mining.csv_reader import _check_lines, _check_rows
    from app.mining.text import TextFile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        path.write_text(newline.join(["x,y,z", *rows]) + newline, newline="")
        text = TextFile(path, "utf-8", len(rows) + 1)
        limits = ImportLimits()
        slow = _check_rows(text, "log.csv", ",", limits)
        fast = _check_lines(text, "log.csv", ",", limits)
    assert fast[0] == slow[0]
    assert list(fast[1]) == list(slow[1]) and list(fast[2]) == list(slow[2])
    assert fast[3] == slow[3]
