"""Hostile files end to end: through the CLI, the API and the API's background jobs.

Every hostile log of ``hostile.LOGS`` (entities, document types, bombs, archives within
archives, paths that leave an archive, a million columns, NUL bytes, broken encodings,
...) is refused with its one sentence: exit status 2 and the sentence on stderr from
``handoff import-log``; a 413 or 422 problem document from ``POST /api/event-logs``; a
failed job carrying the sentence when the upload is imported in the background. After
each, nothing is left behind: no log, no event, no stored upload, no temporary file, and
no connection was made to the address an entity or a document type names.

The same for hostile process files through ``handoff processes import`` and
``POST /api/processes/import``; and a real 1 GiB single-line CSV is refused at its line
by a process that stays small.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
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
from app.db.models import Event, EventLog, ImportJob, ImportUpload, Process
from tests.conftest import ROOT, signed_in
from tests.integration.hostile import LOGS, MAX_DECOMPRESSED, Listener, make_logs

Client = TestClient[Litestar]
HANG_S = 60.0
"""A refusal slower than this counts as a hang (an alias bomb took minutes)."""
SENTENCES = {hostile.name: (hostile.status, hostile.sentence) for hostile in LOGS}


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """The address every entity and document type of the hostile XES files points to."""
    port = Listener()
    yield port
    port.close()


@pytest.fixture(scope="module")
def hostile_logs(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> dict[str, Path]:
    return make_logs(tmp_path_factory.mktemp("hostile"), listener.port)


@pytest.fixture
def limited(settings: Settings) -> Settings:
    """Settings with the expansion limit of the hostile files, every upload imported at once."""
    return settings.model_copy(
        update={"max_decompressed_bytes": MAX_DECOMPRESSED, "sync_import_bytes": 2**40}
    )


def stored(engine: Engine) -> dict[str, int]:
    """What the database holds of logs: logs, events, stored uploads and jobs by state."""
    with Session(engine) as session:
        counts = {
            table.__tablename__: session.execute(  # type: ignore[attr-defined]
                select(func.count()).select_from(table)
            ).scalar_one()
            for table in (EventLog, Event, ImportUpload)
        }
        for state, count in session.execute(
            select(ImportJob.state, func.count()).group_by(ImportJob.state)  # type: ignore[arg-type]
        ):
            counts[f"job {state}"] = count
    return counts


def left_files(settings: Settings) -> list[str]:
    """Files and folders in the data directory besides the SQLite database."""
    if not settings.data_dir.exists():
        return []
    return sorted(
        str(path.relative_to(settings.data_dir))
        for path in settings.data_dir.rglob("*")
        if not path.name.startswith("handoff.sqlite3") and path != settings.work_dir
    )


def test_the_hostile_logs_are_all_different_files(hostile_logs: dict[str, Path]) -> None:
    assert len(LOGS) == len(hostile_logs) >= 30
    contents = {path.read_bytes() for path in hostile_logs.values()}
    assert len(contents) == len(LOGS)


def test_the_cli_refuses_each_hostile_log_in_its_sentence_and_keeps_nothing(
    hostile_logs: dict[str, Path],
    listener: Listener,
    limited: Settings,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", limited.resolved_database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(limited.data_dir))
    monkeypatch.setenv("HANDOFF_MAX_DECOMPRESSED_BYTES", str(MAX_DECOMPRESSED))
    wrong = {}
    for name, path in hostile_logs.items():
        status = main(["import-log", str(path)])
        captured = capsys.readouterr()
        expected = "handoff: " + SENTENCES[name][1].format(name=path) + "\n"
        if (status, captured.err, captured.out) != (2, expected, ""):
            wrong[name] = (status, captured.err, captured.out)
    assert wrong == {}
    assert stored(engine) == {"event_log": 0, "event": 0, "import_upload": 0}
    assert left_files(limited) == []
    assert listener.connections == 0


def test_the_api_refuses_each_hostile_upload_with_a_problem_and_keeps_nothing(
    hostile_logs: dict[str, Path], listener: Listener, limited: Settings, engine: Engine
) -> None:
    wrong = {}
    with signed_in(create_app(limited)) as client:
        for name, path in hostile_logs.items():
            response = client.post("/api/event-logs", files={"file": (name, path.read_bytes())})
            status, sentence = SENTENCES[name]
            problem = response.headers["content-type"].startswith("application/problem+json")
            answer = (response.status_code, problem, response.json().get("detail"))
            if answer != (status, True, sentence.format(name=name)):
                wrong[name] = answer
    assert wrong == {}
    assert stored(engine) == {"event_log": 0, "event": 0, "import_upload": 0}
    assert left_files(limited) == []
    assert listener.connections == 0


def _finished(client: Client, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(f"/api/import-jobs/{job['id']}").json()
    return job


def test_a_background_import_of_each_hostile_upload_fails_with_its_sentence(
    hostile_logs: dict[str, Path],
    listener: Listener,
    limited: Settings,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.domain.event_logs.jobs.PROGRESS_EVERY_S", 0.0)
    wrong = {}
    jobs = {}
    with signed_in(create_app(limited.model_copy(update={"sync_import_bytes": 0}))) as client:
        for name, path in hostile_logs.items():
            response = client.post("/api/event-logs", files={"file": (name, path.read_bytes())})
            assert response.status_code == 202, (name, response.text)
            jobs[name] = response.json()
        for name, queued in jobs.items():
            job = _finished(client, queued)
            if (job["state"], job["error"]) != ("failed", SENTENCES[name][1].format(name=name)):
                wrong[name] = (job["state"], job["error"])
        time.sleep(0.5)  # the worker drops a refused upload just after failing its job
        retried = {
            client.post(f"/api/import-jobs/{job['id']}/retry").status_code for job in jobs.values()
        }
    assert wrong == {}
    assert retried == {409}  # a refused file is not kept to be retried
    assert stored(engine) == {
        "event_log": 0,
        "event": 0,
        "import_upload": 0,
        "job failed": len(hostile_logs),
    }
    assert left_files(limited) == []
    assert listener.connections == 0


# --- bytes that are not UTF-8 but Windows-1252 -----------------------------------------

WINDOWS_1252 = {
    # bytes of the activity: what it is read as (no UTF-8 sequence anywhere in the file)
    b"R\xe9parer": "Réparer",
    b"Pay \x80 5": "Pay € 5",
    b"\x93quoted\x94": "“quoted”",
    b"\xc0\xafslash": "À¯slash",  # an overlong UTF-8 "/" is no UTF-8 sequence
    b"Caf\xc3": "CafÃ",  # a UTF-8 sequence cut short
}


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_with_the_same_names_everywhere(
    client: Client, tmp_path: Path
) -> None:
    """CONTRACT: the encoding is detected; a file that is not UTF-8 and holds no UTF-8
    sequence is Windows-1252 (a file mixing both is refused: ``hostile.LOGS``)."""
    rows = b"".join(
        b"C%d,%s,2024-03-0%d 09:00,Roads\n" % (number, name, number + 1)
        for number, name in enumerate(WINDOWS_1252)
    )
    content = b"Case ID,Activity,Timestamp,Department\n" + rows
    response = client.post("/api/event-logs", files={"file": ("cp1252.csv", content)})
    assert response.status_code == 201, response.text
    analysis = client.get(f"/api/event-logs/{response.json()['id']}/analysis").json()
    assert sorted(a["activity"] for a in analysis["activities"]) == sorted(WINDOWS_1252.values())


# --- a 1 GiB line ------------------------------------------------------------------------

HIGH_WATER = (
    "def high_water():\n"  # this process's peak resident memory in KiB (ru_maxrss would
    "    for line in open('/proc/self/status'):\n"  # count the parent's at the fork)
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1])\n"
)
PEAK = (
    "import sys\n" + HIGH_WATER + "from app.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "print(high_water())\n"
    "sys.exit(status)\n"
)
"""Runs the command line and prints the process's peak resident memory (KiB)."""


@pytest.mark.sqlite
def test_a_1_gib_single_line_is_refused_at_its_line_without_reading_it_into_memory(
    tmp_path: Path,
) -> None:
    """A real 1 GiB file whose second line never ends: ``import-log`` and ``analyze`` (the
    lean reading) stop at the first MiB of that line and name it; the process stays far
    smaller than the file."""
    big = tmp_path / "one-line.csv"
    try:
        with big.open("wb") as out:
            out.write(b"Case ID,Activity,Timestamp\n")
            block = b"x" * (64 * 1024**2)
            for _ in range(16):
                out.write(block)
        assert big.stat().st_size > 1024**3
        assert sys.platform.startswith("linux")  # /proc/self/status tells the peak memory
        env = {
            **os.environ,
            "HANDOFF_DATA_DIR": str(tmp_path / "data"),
            "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'handoff.sqlite3'}",
        }
        sentence = (
            f"handoff: {big}, line 2: the line is longer than 1,048,576 characters, more than any "
            "event log row needs; is this really a CSV export?\n"
        )
        for command in (["import-log", str(big)], ["analyze", str(big)]):
            started = time.monotonic()
            run = subprocess.run(
                [sys.executable, "-c", PEAK, *command],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=300,
                check=False,
            )
            seconds = time.monotonic() - started
            assert (run.returncode, run.stderr) == (2, sentence), command
            peak_mib = int(run.stdout.split()[-1]) / 1024
            assert peak_mib < 200, (command, peak_mib)  # the file is 1,024 MiB
            assert seconds < 60, (command, seconds)
        assert not list((tmp_path / "data" / "work").glob("*"))
    finally:
        big.unlink(missing_ok=True)  # pytest keeps the last runs' folders: not 1 GiB each


def test_an_xes_of_millions_of_elements_outside_any_trace_is_read_in_little_memory(
    tmp_path: Path,
) -> None:
    """Elements the reader skips are let go at once: 3 million of them (12 MB) add almost
    nothing to the process (a tree of them took 250 MB)."""
    flood = tmp_path / "flood.xes"
    flood.write_bytes(
        b"<log>" + b"<x/>" * 3_000_000 + b'<trace><string key="concept:name" value="c1"/><event>'
        b'<string key="concept:name" value="A"/>'
        b'<date key="time:timestamp" value="2024-03-01T09:00:00+00:00"/></event></trace></log>'
    )
    script = (
        "import sys\n" + HIGH_WATER + "from pathlib import Path\n"
        "from app.mining.xes_reader import read_xes\n"
        "before = high_water()\n"
        "raw = read_xes(Path(sys.argv[1]), 'flood.xes')\n"
        "print(raw.frame.height, (high_water() - before) // 1024)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(flood)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    events, grown_mib = map(int, run.stdout.split())
    assert events == 1
    assert grown_mib < 50, grown_mib


# --- process files -----------------------------------------------------------------------

HEAD = "slug: x\nname: X\nowner: O\n"
VERSIONS = "versions: [{label: v, kind: as-is}]\n"


def _laughs() -> str:
    """A billion laughs in the name: its validation error would print all 3.8 billion."""
    nested = ['&a0 ["l", "l", "l", "l", "l", "l", "l", "l", "l"]']
    nested += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "slug: x\nname: [" + ", ".join(nested) + "]\nowner: O\n" + VERSIONS


def _quadratic() -> str:
    """Aliases of a version whose steps are aliases: 400 x 400 steps from 10 KB."""
    step = "{id: s, name: S, department: D, owner: O}"
    return (
        "slug: x\nname: X\nowner: O\nversions:\n"
        "  - &v {label: v, kind: as-is, steps: [&s "
        + step
        + ", "
        + ", ".join(["*s"] * 400)
        + "]}\n"
        + "".join("  - *v\n" for _ in range(400))
    )


PROCESSES: dict[str, tuple[bytes, str, str]] = {
    # name: (content, the CLI's sentence after "{path}", the API's after "request body")
    "laughs.yaml": (
        _laughs().encode(),
        ", line 2, column 212: the aliases of this anchor repeat it into more than 100,000 "
        "values, which a process definition never needs.",
        "",
    ),
    "quadratic.yaml": (
        _quadratic().encode(),
        ", line 5, column 5: the aliases of this anchor repeat it into more than 100,000 "
        "values, which a process definition never needs.",
        "",
    ),
    "python-object.yaml": (
        b"slug: x\nname: !!python/object/apply:os.system ['touch /tmp/handoff-pwned']\n",
        ", line 2, column 7: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system' (not valid YAML).",
        "",
    ),
    "python-name.yaml": (
        b"slug: x\nname: X\nowner: !!python/name:os.system ''\n" + VERSIONS.encode(),
        ", line 3, column 8: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/name:os.system' (not valid YAML).",
        "",
    ),
    "deep.yaml": (
        b"slug: x\nname: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
        ": the YAML is nested too deeply to be a process definition.",
        "",
    ),
    "huge-number.yaml": (
        (HEAD + "standard_hours: " + "9" * 10_000 + "\n" + VERSIONS).encode(),
        ", line 4, column 17: '9999999999999999999999999999999999999999...' cannot be read as "
        "a number.",
        "",
    ),
    "impossible-date.yaml": (
        (HEAD + "customer: 2024-13-45\n" + VERSIONS).encode(),
        ", line 4, column 11: '2024-13-45' cannot be read as a date.",
        "",
    ),
    "control-character.yaml": (
        (HEAD + "customer: Residents\x1b[2J\n" + VERSIONS).encode(),
        ", line 4, column 20: the character U+001B is not allowed in YAML (not valid YAML).",
        "",
    ),
    "nul.yaml": (
        (HEAD + "customer: Resi\x00dents\n" + VERSIONS).encode(),
        ", line 4: the file contains a NUL byte.",
        ", line 4, column 15: the character U+0000 is not allowed in YAML (not valid YAML).",
    ),
    "latin-1.yaml": (
        (HEAD + "customer: Résidents\n" + VERSIONS).encode("latin-1"),
        ", line 4: the file is not UTF-8 text (byte 37).",
        "The request body is not UTF-8 text.",
    ),
}


def _api_sentence(name: str) -> str:
    _, cli, api = PROCESSES[name]
    if api.startswith("The "):
        return api
    return "request body" + (api or cli)


def _processes(folder: Path) -> dict[str, Path]:
    """Every hostile process file, and one over the size limit, written into ``folder``."""
    paths = {}
    for name, (content, _, _) in PROCESSES.items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    paths["huge.yaml"] = folder / "huge.yaml"
    paths["huge.yaml"].write_bytes(
        HEAD.encode() + b"# " + b"x" * 6_000_000 + b"\n" + VERSIONS.encode()
    )
    return paths


def _stored_processes(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Process)).scalar_one()


def test_the_cli_refuses_each_hostile_process_file_in_its_sentence(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(settings.data_dir))
    wrong = {}
    for name, path in _processes(tmp_path).items():
        started = time.monotonic()
        status = main(["processes", "import", str(path)])
        err = capsys.readouterr().err
        if name == "huge.yaml":
            size = path.stat().st_size
            sentence = (
                f": the file has {size} bytes, more than the 1048576 allowed for a process "
                "definition."
            )
        else:
            sentence = PROCESSES[name][1]
        if (status, err) != (
            2,
            f"handoff: {path}{sentence}\n",
        ) or time.monotonic() - started > HANG_S:
            wrong[name] = (status, err, time.monotonic() - started)
    assert wrong == {}
    assert _stored_processes(engine) == 0
    assert not Path("/tmp/handoff-pwned").exists()


def test_the_api_refuses_each_hostile_process_file_with_a_problem(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    wrong = {}
    with signed_in(create_app(settings)) as client:
        for name, path in _processes(tmp_path).items():
            started = time.monotonic()
            response = client.post(
                "/api/processes/import",
                content=path.read_bytes(),
                headers={"content-type": "application/yaml"},
            )
            if name == "huge.yaml":
                status, sentence = (
                    413,
                    (
                        f"The process file has {path.stat().st_size:,} bytes, more than the "
                        "1,048,576 allowed for a process definition."
                    ),
                )
            else:
                status, sentence = 422, _api_sentence(name)
            problem = response.headers["content-type"].startswith("application/problem+json")
            answer = (response.status_code, problem, response.json().get("detail"))
            if answer != (status, True, sentence) or time.monotonic() - started > HANG_S:
                wrong[name] = (*answer, time.monotonic() - started)
        assert client.get("/api/processes").json() == []
    assert wrong == {}
    assert _stored_processes(engine) == 0
    assert not Path("/tmp/handoff-pwned").exists()
