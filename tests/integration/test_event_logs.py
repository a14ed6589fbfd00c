"""Importing event logs on SQLite and PostgreSQL: real logs, the broken corpus, the API, jobs."""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.asgi import create_app
from app.cli import main
from app.config import Settings
from app.db.models import Event, EventLog, ImportJob
from tests.conftest import DATA, signed_in
from tests.integration.conftest import assert_problem

REAL = DATA / "real"
BAD = DATA / "bad"
Client = TestClient[Litestar]

# Cases and events of every real log, as ../shared/data/SOURCES.md lists them.
REAL_LOGS = {
    "bpic2013/incidents.xes.gz": (7_554, 65_533),
    "bpic2013/closed_problems.xes.gz": (1_487, 6_660),
    "bpic2013/open_problems.xes.gz": (819, 2_351),
    "helpdesk/helpdesk.xes.gz": (4_580, 21_348),
    "helpdesk/helpdesk_disco_export.csv": (4_580, 21_348),
    "receipt/receipt.xes.gz": (1_434, 8_577),
    "receipt/receipt.csv": (1_434, 8_577),
    "road-traffic-fines/road_traffic_fines.xes.gz": (150_370, 561_470),
    "road-traffic-fines/traffic_fines_10k_cases.csv.gz": (10_000, 34_724),
    "bpic2015/municipality1.csv.gz": (1_199, 52_217),
    "bpic2015/municipality1_phases.xes.gz": (1_199, 54_818),
    "bpic2012/bpic2012.xes.gz": (13_087, 262_200),
    "bpic2014/incident_activity_filtered.xes.gz": (41_353, 369_485),
    "sepsis/sepsis.xes.gz": (1_050, 15_214),
    "toy/running-example.csv": (6, 42),
    "toy/running-example.xes": (6, 42),
    "toy/identical_timestamps.xes.gz": (9, 43),
}

# The one sentence each broken file gets ({name} is the file as the user named it).
BAD_FILES = {
    "empty.csv": "{name}: the file is empty.",
    "header-only.csv": "{name}: the file has a header but no rows.",
    "missing-case.csv": "{name}: no case column was recognised among 'Activity', 'Timestamp', "
    "'Department'; name it with --case.",
    "missing-activity.csv": "{name}: no activity column was recognised among 'Case ID', "
    "'Timestamp', 'Department'; name it with --activity.",
    "missing-timestamp.csv": "{name}: no timestamp column was recognised among 'Case ID', "
    "'Activity', 'Department'; name it with --timestamp.",
    "ambiguous-headers.csv": "{name}: the case column is ambiguous: 'Case ID' and 'Ticket' both "
    "match; choose one with --case.",
    "unparseable-date.csv": "{name}, line 4, column 3 ('Timestamp'): '2024-02-31 11:00' is not a "
    "valid date and time; fix the file or import with --on-error skip to leave such rows out.",
    "mixed-date-formats.csv": "{name}: column 'Timestamp' mixes timestamp formats: line 2 has "
    "'2024-03-01 09:00' but line 4 has '03/05/2024 11:00'; export one format.",
    "ambiguous-day-month.csv": "{name}: the dates in column 'Timestamp' (like '03/04/2024 09:00') "
    "could be day-first or month-first; say which with --dayfirst or --monthfirst.",
    "words-not-dates.csv": "{name}, line 2: 'yesterday' in column 'Timestamp' is not a timestamp "
    "Handoff can read (ISO 8601, day/month/year, month/day/year or epoch seconds).",
    "invalid-utf8.csv": "{name}, line 3, column 35: byte 0xE9 is not valid UTF-8 text; save the "
    "file as UTF-8 or name its encoding with --encoding.",
    "nul-byte.csv": "{name}, line 3, column 7: the file contains a NUL character, which a text "
    "export never has; is it a binary file?",
    "ragged-rows.csv": "{name}, line 3: the row has 3 fields where the header has 4 (and 1 more "
    "row with problems); fix the file or import with --on-error skip to leave such rows out.",
    "empty-case-id.csv": "{name}, line 3, column 1 ('Case ID'): the case id is empty; fix the "
    "file or import with --on-error skip to leave such rows out.",
    "malformed.xes": "{name}, line 7, column 5: the XES file is not well-formed XML "
    "(mismatched tag).",
    "external-entity.xes": "{name}: the XES file declares a document type (DTD), which is refused "
    "because it can expand entities or fetch outside files; export the log without it.",
    "billion-laughs.xes": "{name}: the XES file declares a document type (DTD), which is refused "
    "because it can expand entities or fetch outside files; export the log without it.",
    "not-a-log.xml": "{name}: the XML file is not an XES event log (no <log> element).",
    "no-events.xes": "{name}: the XES log holds no event inside a trace.",
    "two-logs.zip": "{name}: a zip must hold exactly one event log, this one holds 2 files "
    "(a.csv, b.csv).",
    "truncated.csv.gz": "{name}: not a readable gzip file (Compressed file ended before the "
    "end-of-stream marker was reached).",
}


def stored(engine: Engine) -> tuple[int, int, int]:
    """Logs, events and import jobs in the database."""
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (EventLog, Event, ImportJob)
        )


@pytest.fixture
def cli(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(settings.data_dir))
    return engine


def test_the_broken_corpus_is_fully_covered() -> None:
    assert sorted(BAD_FILES) == sorted(p.name for p in BAD.iterdir())


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_broken_file_gets_its_sentence_from_the_cli_and_nothing_is_stored(
    name: str, cli: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BAD / name
    assert main(["import-log", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == "handoff: " + BAD_FILES[name].format(name=path) + "\n"
    assert captured.out == ""
    assert stored(cli) == (0, 0, 0)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_broken_upload_gets_a_problem_document_and_nothing_is_stored(
    name: str, client: Client, engine: Engine
) -> None:
    response = client.post("/api/event-logs", files={"file": (name, (BAD / name).read_bytes())})
    body = assert_problem(response, 422)
    assert body["detail"] == BAD_FILES[name].format(name=name)
    assert stored(engine) == (0, 0, 0)


@pytest.mark.parametrize("relative", sorted(REAL_LOGS))
def test_every_real_log_imports_with_its_published_counts(
    relative: str, cli: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, events = REAL_LOGS[relative]
    assert main(["import-log", str(REAL / relative)]) == 0
    log_id = int(capsys.readouterr().out.splitlines()[-1])
    with Session(cli) as session:
        log = session.get(EventLog, log_id)
        assert log is not None
        assert (log.rows_read, log.cases) == (events, cases)
        assert (
            log.events
            == events - log.exact_duplicate_rows_dropped - log.quality["lifecycle_starts_merged"]
        )
        in_table = session.execute(
            select(func.count()).select_from(Event).where(Event.log_id == log_id)
        ).scalar_one()
    assert in_table == log.events


def test_the_311_case_tables_are_refused_with_their_columns(
    cli: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-log", str(REAL / "311" / "boston311-100.csv")]) == 2
    assert (
        "no case, activity or timestamp column was recognised among 'case_enquiry_id', 'open_dt'"
        in capsys.readouterr().err
    )


def test_reimporting_the_same_content_gives_the_same_id(
    cli: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(REAL / "receipt" / "receipt.csv")
    main(["import-log", path])
    first = capsys.readouterr().out.splitlines()
    main(["import-log", path, "--name", "again"])
    second = capsys.readouterr().out.splitlines()
    assert first[-1] == second[-1] and second[0].startswith("receipt.csv was imported before")
    main(["import-log", path, "--pseudonymise", "resource"])
    third = capsys.readouterr().out.splitlines()
    assert third[-1] != first[-1]
    assert stored(cli)[:2] == (2, 2 * 8_577)


def test_pseudonyms_are_stable_within_one_database(
    cli: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "other.csv"
    copy.write_bytes(
        (DATA / "logs" / "tickets.csv").read_bytes()
        + b"T9,Close,2024-03-07 08:00:00+01:00,Roads,ana,Web\n"
    )
    for path in (DATA / "logs" / "tickets.csv", copy):
        assert main(["import-log", str(path), "--pseudonymise", "Handled By"]) == 0
    capsys.readouterr()
    with Session(cli) as session:
        per_log = {}
        for log_id in (1, 2):
            rows = (
                session.execute(
                    select(Event.resource).where(Event.log_id == log_id, Event.line == 2)
                )
                .scalars()
                .all()
            )
            per_log[log_id] = rows
        everything = session.execute(select(Event.resource)).scalars().all()
    assert per_log[1] == per_log[2] and per_log[1][0] != "ana"
    assert "ana" not in everything


def test_upload_through_the_api_then_list_get_and_delete(client: Client, engine: Engine) -> None:
    content = (REAL / "receipt" / "receipt.csv").read_bytes()
    response = client.post(
        "/api/event-logs", files={"file": ("receipt.csv", content)}, data={"name": "WABO receipt"}
    )
    assert response.status_code == 201, response.text
    log = response.json()
    assert (log["name"], log["events"], log["cases"], log["rows_read"]) == (
        "WABO receipt",
        8577,
        1434,
        8577,
    )
    assert log["mapping"]["department"] == "org:group"
    assert response.headers["location"] == f"/api/event-logs/{log['id']}"
    again = client.post("/api/event-logs", files={"file": ("copy.csv", content)})
    assert again.status_code == 200 and again.json()["id"] == log["id"]
    listed = client.get("/api/event-logs").json()
    assert [item["id"] for item in listed] == [log["id"]]
    detail = client.get(f"/api/event-logs/{log['id']}").json()
    assert detail["quality"]["single_event_cases"] >= 0 and detail["content_sha256"]
    assert client.delete(f"/api/event-logs/{log['id']}").status_code == 204
    assert stored(engine)[:2] == (0, 0)
    assert_problem(client.get(f"/api/event-logs/{log['id']}"), 404, "There is no event log")


def test_mapping_fields_of_an_upload(client: Client) -> None:
    content = (DATA / "bad" / "ambiguous-day-month.csv").read_bytes()
    response = client.post(
        "/api/event-logs",
        files={"file": ("dates.csv", content)},
        data={"dayfirst": "true", "timezone": "Europe/Paris", "department": ""},
    )
    assert response.status_code == 201, response.text
    assert response.json()["first_event"] == "2024-04-03T07:00:00Z"
    hashed = client.post(
        "/api/event-logs",
        files={"file": ("tickets.csv", (DATA / "logs" / "tickets.csv").read_bytes())},
        data={"pseudonymise": "resource, Channel"},
    )
    assert hashed.status_code == 201, hashed.text
    assert hashed.json()["options"]["pseudonymise"] == ["resource", "Channel"]


def test_a_large_upload_becomes_a_job_with_progress(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Report every step of progress: on SQLite a progress write while the import holds the
    # write lock would wait on itself until the busy timeout and fail the job.
    monkeypatch.setattr("app.domain.event_logs.jobs.PROGRESS_EVERY_S", 0.0)
    app = create_app(settings.model_copy(update={"sync_import_bytes": 0}))
    content = (REAL / "helpdesk" / "helpdesk_disco_export.csv").read_bytes()
    with signed_in(app) as client:
        response = client.post("/api/event-logs", files={"file": ("helpdesk.csv", content)})
        assert response.status_code == 202, response.text
        job = response.json()
        assert job["state"] in {"queued", "running", "done"}
        location = response.headers["location"]
        deadline = time.monotonic() + 120
        while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
            time.sleep(0.05)
            job = client.get(location).json()
        assert (job["state"], job["percent"], job["rows_read"]) == ("done", 100.0, 21_348)
        log = client.get(f"/api/event-logs/{job['log_id']}").json()
        assert (log["events"], log["exact_duplicate_rows_dropped"]) == (21_221, 127)
        bad = client.post(
            "/api/event-logs", files={"file": ("x.csv", (BAD / "nul-byte.csv").read_bytes())}
        )
        failed = bad.json()
        while failed["state"] not in {"done", "failed"} and time.monotonic() < deadline:
            time.sleep(0.05)
            failed = client.get(f"/api/import-jobs/{failed['id']}").json()
        assert failed["state"] == "failed" and failed["error"].startswith("x.csv, line 3, column 7")
    assert stored(engine)[:2] == (1, 21_221)
    assert not list(settings.work_dir.iterdir())


def test_an_upload_over_the_limit_is_413(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 1000}))
    with signed_in(app) as client:
        response = client.post("/api/event-logs", files={"file": ("big.csv", b"x" * 5000)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_upload_without_a_file_is_a_400_problem(client: Client) -> None:
    response = client.post("/api/event-logs", data={"name": "nothing"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unfinished_jobs_are_failed_at_start_up(settings: Settings, engine: Engine) -> None:
    from app.db.engine import commit, session_scope

    with session_scope(engine) as session:
        session.add(
            ImportJob(
                id="abc",
                state="running",
                name="x",
                source_filename="x.csv",
                bytes_total=10,
                options={},
            )
        )
        commit(session)
    with signed_in(create_app(settings)) as client:
        job: dict[str, Any] = client.get("/api/import-jobs/abc").json()
    assert job["state"] == "failed" and "interrupted by a restart" in job["error"]


def test_a_gzip_bomb_upload_is_413_and_leaves_nothing(
    client: Client, engine: Engine, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(b"Case ID,Activity,Timestamp\n")
        for _ in range(100):
            out.write(b"0" * (1024 * 1024))
    response = client.post("/api/event-logs", files={"file": ("bomb.csv.gz", bomb.read_bytes())})
    body = assert_problem(response, 413, "likely decompression bomb")
    assert body["detail"].startswith("bomb.csv.gz: the file expands more than 200 times")
    assert stored(engine) == (0, 0, 0)


def test_the_same_content_imported_twice_at_once_is_stored_once(
    settings: Settings, engine: Engine
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from app.db.engine import commit, session_scope
    from app.domain.event_logs.services import import_file
    from app.mining.options import ImportOptions

    path = REAL / "helpdesk" / "helpdesk_disco_export.csv"

    def run(_: int) -> int:
        with session_scope(engine) as session:
            row, _created = import_file(session, path, path.name, ImportOptions())
            commit(session)
            return row.id or 0

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(run, range(2)))
    assert ids[0] == ids[1]
    assert stored(engine)[:2] == (1, 21_221)


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (
            b"\xef\xbb\xbfCase ID,Activity,Timestamp\nc,x,2024-01-01 10:00\n",
            ["--encoding", "utf-8"],
            None,
        ),
        (
            b"Case ID,Activity,Timestamp\nc,x,2024-01-01 10:00\n",
            ["--encoding", "rot13"],
            "'rot13' is not a known text encoding.",
        ),
        (
            b"Case ID,Activity,Timestamp\nc,x,2024-01-01 10:00\n",
            ["--timezone", "localtime"],
            "'localtime' is not a known time zone; use an IANA name such as America/Toronto.",
        ),
        (
            b"Case ID,Activity,Timestamp,Activity\nc,x,2024-01-01 10:00,y\n",
            [],
            "{name}: the activity column is ambiguous: 'Activity' and 'Activity (2)' both match; "
            "choose one with --activity.",
        ),
        (b"A,A,A (2),Case ID,Activity,Timestamp\n1,2,3,c,x,2024-01-01 10:00\n", [], None),
        (
            b'Case ID,Activity,Timestamp\nc,"x"y,2024-01-01 10:00\n',
            [],
            "{name}, line 2: the CSV cannot be read (',' expected after '\"').",
        ),
        (
            b"Case ID,Activity,Timestamp\nc,x,\nc,y,\n",
            [],
            "{name}: column 'Timestamp' holds no timestamp (every value is empty).",
        ),
        (
            b'<log><event><string key="concept:name" value="o"/></event><trace>'
            b'<string key="concept:name" value="c1"/><event><string key="concept:name" value="A"/>'
            b'<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event></trace></log>',
            [],
            "{name}: event 1 stands outside any trace, so it belongs to no case; every event of an "
            "XES log must be inside a <trace>.",
        ),
    ],
    ids=[
        "bom-utf8",
        "rot13",
        "localtime",
        "two-activity",
        "renamed-header",
        "quote",
        "no-times",
        "orphan-event",
    ],
)
def test_odd_inputs_found_in_review(
    content: bytes,
    options: list[str],
    message: str | None,
    cli: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / ("log.xes" if content.startswith(b"<") else "log.csv")
    path.write_bytes(content)
    status = main(["import-log", str(path), *options])
    captured = capsys.readouterr()
    if message is None:
        assert status == 0 and captured.err == ""
    else:
        assert (status, captured.err) == (2, "handoff: " + message.format(name=path) + "\n")
        assert stored(cli) == (0, 0, 0)


def test_a_rejected_oversize_upload_leaves_no_file(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 1000}))
    with signed_in(app) as client:
        client.post("/api/event-logs", files={"file": ("big.csv", b"x" * 900)})  # multipart fits
        response = client.post("/api/event-logs", files={"file": ("big.csv", b"x" * 990)})
    assert response.status_code in {413, 422}
    work = settings.work_dir
    assert not work.exists() or not any(p.name.startswith("upload-") for p in work.iterdir())


def test_ids_beyond_any_stored_id_are_a_400_problem(client: Client) -> None:
    for url in ("/api/owners/99999999999999999999", "/api/event-logs/99999999999999999999"):
        body = assert_problem(client.get(url), 400, "'owner_id'" if "owners" in url else "'log_id'")
        assert "ParamType" not in body["detail"]
