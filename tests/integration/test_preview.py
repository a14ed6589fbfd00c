"""Previewing an upload before importing it: format, columns, first rows, mapping found."""

from __future__ import annotations

import gzip
import io
import zipfile
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import DATA, ROOT
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
DEMO = ROOT / "event_logs" / "road-repair-requests.csv"
PREVIEW = "/api/event-logs/preview"


def preview(client: Client, name: str, content: bytes, **fields: Any) -> Any:
    return client.post(PREVIEW, files={"file": (name, content)}, data=fields)


def test_the_demo_csv_is_previewed_from_its_head(client: Client) -> None:
    response = preview(client, "road.csv", DEMO.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "csv" and body["wrapper"] is None
    assert body["encoding"] == "utf-8" and body["delimiter"] == ","
    assert body["columns"] == [
        "Request ID",
        "Activity",
        "Timestamp",
        "Department",
        "Handled By",
        "Channel",
        "Ward",
        "Location",
    ]
    assert len(body["rows"]) == 20
    assert [r["line"] for r in body["rows"][:3]] == [2, 3, 4]
    assert body["rows"][0]["values"][:4] == [
        "25-004025",
        "Receive call",
        "2025-01-02T08:52:43-05:00",
        "Contact Centre",
    ]
    assert body["mapping"] == {
        "case": "Request ID",
        "activity": "Activity",
        "timestamp": "Timestamp",
        "department": "Department",
        "resource": "Handled By",
        "start_timestamp": None,
        "lifecycle_column": None,
    }
    assert body["problem"] is None
    # a 2.7 MB file: only its head was read
    assert body["complete"] is False
    assert body["bytes_read"] <= 256 * 1024


def test_a_chosen_column_is_used_and_an_unknown_one_is_the_problem(client: Client) -> None:
    body = preview(client, "road.csv", DEMO.read_bytes(), resource="Channel").json()
    assert body["mapping"]["resource"] == "Channel"
    body = preview(client, "road.csv", DEMO.read_bytes(), case="Ticket").json()
    assert body["problem"].startswith("road.csv: there is no column 'Ticket' for --case")
    assert body["mapping"]["case"] is None and body["mapping"]["activity"] == "Activity"


def test_ambiguous_headers_give_the_importers_sentence(client: Client) -> None:
    content = (DATA / "bad" / "ambiguous-headers.csv").read_bytes()
    response = preview(client, "tickets.csv", content)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["problem"] == (
        "tickets.csv: the case column is ambiguous: 'Case ID' and 'Ticket' both match; "
        "choose one with --case."
    )
    assert body["candidates"]["case"] == ["Case ID", "Ticket"]
    assert body["mapping"]["case"] is None
    assert body["mapping"]["activity"] == "Activity"
    assert body["complete"] is True and len(body["rows"]) == 2
    chosen = preview(client, "tickets.csv", content, case="Ticket").json()
    assert chosen["problem"] is None and chosen["mapping"]["case"] == "Ticket"


def test_a_missing_required_column_is_the_problem(client: Client) -> None:
    content = (DATA / "bad" / "missing-case.csv").read_bytes()
    body = preview(client, "m.csv", content).json()
    assert body["problem"] == (
        "m.csv: no case column was recognised among 'Activity', 'Timestamp', 'Department'; "
        "name it with --case."
    )


def test_a_gzip_is_expanded_only_as_far_as_its_head(client: Client) -> None:
    content = gzip.compress(DEMO.read_bytes())
    body = preview(client, "road.csv.gz", content).json()
    assert body["format"] == "csv" and body["wrapper"] == "gzip"
    assert body["mapping"]["case"] == "Request ID" and len(body["rows"]) == 20
    # the first part of a larger .gz, as a browser sends it, is enough
    part = preview(client, "road.csv.gz", content[:20_000], partial="true").json()
    assert part["wrapper"] == "gzip" and len(part["rows"]) == 20
    assert part["complete"] is False


def test_a_zip_and_a_cut_csv(client: Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/road.csv", DEMO.read_bytes())
    body = preview(client, "road.zip", buffer.getvalue()).json()
    assert body["wrapper"] == "zip" and body["mapping"]["timestamp"] == "Timestamp"
    # a slice cut in the middle of a line: the broken last line is left out
    cut = preview(client, "road.csv", DEMO.read_bytes()[:1000], partial="true").json()
    assert cut["rows"] and cut["row_problems"] == []


def test_an_xes_head_shows_its_first_events(client: Client) -> None:
    content = (DATA / "real" / "toy" / "running-example.xes").read_bytes()
    body = preview(client, "running.xes", content).json()
    assert body["format"] == "xes" and body["unit"] == "event"
    assert body["mapping"]["case"] == "case:concept:name"
    assert body["mapping"]["activity"] == "concept:name"
    assert body["rows"][0]["line"] == 1 and len(body["rows"]) == 20
    cut = preview(client, "running.xes", content[:3000], partial="true")
    assert cut.status_code == 200, cut.text


def test_an_unreadable_file_is_a_problem_document(client: Client) -> None:
    assert_problem(preview(client, "empty.csv", b""), 422, "empty.csv: the file is empty.")
    body = assert_problem(
        preview(client, "bad.csv", (DATA / "bad" / "invalid-utf8.csv").read_bytes()),
        422,
        "bad.csv, line 3, column 35: byte 0xE9 is not valid UTF-8 text",
    )
    assert body["title"] == "Invalid event log"
    assert_problem(
        preview(client, "x.csv.gz", b"\x1f\x8b\x08garbage"),
        422,
        "x.csv.gz: not a readable gzip file",
    )
    assert_problem(
        preview(client, "m.xes", (DATA / "bad" / "malformed.xes").read_bytes()),
        422,
        "m.xes, line 7, column 5: the XES file is not well-formed XML",
    )


def test_nothing_is_stored(client: Client) -> None:
    before = client.get("/api/event-logs").json()
    assert preview(client, "road.csv", DEMO.read_bytes()).status_code == 200
    assert preview(client, "empty.csv", b"").status_code == 422
    assert client.get("/api/event-logs").json() == before
    settings = client.app.state.settings
    work = settings.work_dir
    assert not work.exists() or not any(work.iterdir())
