"""handoff backup and restore: the whole state round-trips, on the same backend and across
(SQLite -> PostgreSQL, PostgreSQL -> SQLite); bad backup files and non-empty targets are
refused with one sentence and exit 2, leaving the target as it was.

The state is built once per source backend through the API (with the service running
while the backup is taken): the sample catalogue, a process with a copied and edited
option under review and signed-off handoffs, accounts with passwords, tokens and a
session, two logs (the second pseudonymised) with a cached analysis and an activity
mapping, an improvement action with a comment and its follow-up measurement, and a failed
import job keeping an upload of arbitrary bytes. Rows are compared table by table, every
column, through the models' types (times as UTC instants, JSON parsed, SQL NULL told apart
from JSON null), independently of how the backup encodes them.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from litestar.testing import TestClient
from sqlmodel import SQLModel

from app.asgi import create_app
from app.cli import main
from app.config import Settings
from app.db.engine import MIGRATIONS, commit, make_engine, session_scope
from app.db.models import ImportJob, ImportUpload
from app.domain.accounts import services as accounts
from tests import postgres
from tests.conftest import DATA, ROOT, bearer
from tests.integration.conftest import POTHOLE, Client, document

LOGS = DATA / "logs" / "actions"
PASSWORD = "correct horse battery staple"
UPLOAD = bytes(range(256)) * 64 + b"\x00\xff end"  # every byte value, NUL included
SQLITE = pytest.param("sqlite", marks=pytest.mark.sqlite)
POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgresql)
NOT_EMPTY = {
    "account", "account_department", "action_comment", "action_measurement", "activity_mapping",
    "analysis_result", "api_token", "audit_entry", "department", "event", "event_log", "flow",
    "handoff_signoff", "import_job", "import_upload", "improvement_action", "instance_secret",
    "login_session", "owner", "process", "process_version", "step", "version_review",
}  # fmt: skip
_names = itertools.count()


class Databases:
    """Empty databases on demand: a SQLite file not made yet, or a PostgreSQL database
    created without tables (PostgreSQL's cluster is started only when asked for)."""

    def __init__(self, request: pytest.FixtureRequest, folder: Path) -> None:
        self.request = request
        self.folder = folder
        self.made: list[tuple[str, str]] = []

    def admin(self) -> str:
        cluster: postgres.Cluster = self.request.getfixturevalue("pg_cluster")
        return f"host={cluster.host} port={cluster.port} user={cluster.user} dbname=postgres"

    def new(self, kind: str) -> str:
        n = next(_names)
        if kind == "sqlite":
            return f"sqlite:///{self.folder / f'db-{n}' / 'handoff.sqlite3'}"
        cluster: postgres.Cluster = self.request.getfixturevalue("pg_cluster")
        name = f"handoff_backup_{os.getpid()}_{n}"
        with psycopg.connect(self.admin(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.made.append((self.admin(), name))
        return f"postgresql+psycopg://{cluster.user}@{cluster.host}:{cluster.port}/{name}"

    def drop(self) -> None:
        for admin, name in self.made:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    made = Databases(request, tmp_path_factory.mktemp("databases"))
    yield made
    made.drop()


def settings_for(url: str, folder: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        load_samples=False,
        samples_dir=ROOT / "processes",
        event_logs_dir=folder / "no-logs",
    )


@dataclass
class Source:
    """A database holding the rich state, its backup, and what the API said about it."""

    kind: str
    url: str
    backup: Path
    tables: dict[str, list[dict[str, Any]]]
    log_id: int
    analysis: dict[str, Any]
    pothole: dict[str, Any]
    token: str


def table_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the models, by primary key, read through the models'
    types: times as UTC instants (SQLite keeps none), JSON parsed, and for each JSON
    column whether it is SQL NULL (JSON ``null`` parses to None too)."""
    engine = make_engine(url)
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        for table in SQLModel.metadata.sorted_tables:
            assert table.name in present, f"{table.name} missing from {url}"
            nulls = [
                c.is_(None).label(f"{c.name} is SQL NULL")
                for c in table.columns
                if isinstance(c.type, sa.JSON)
            ]
            rows = [
                {k: _utc(v) for k, v in row._mapping.items()}
                for row in connection.execute(sa.select(table, *nulls))
            ]
            keys = [c.name for c in table.primary_key.columns]
            found[table.name] = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
    engine.dispose()
    return found


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def stored_times(url: str) -> list[str]:
    """The shape of every time stored in a SQLite database, digits replaced by letters."""
    engine = make_engine(url)
    shapes = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.DateTime):
                    query = sa.text(f'SELECT "{column.name}" FROM "{table.name}"')
                    shapes += [
                        "YYYY-MM-DD HH:MM:SS.ffffff"
                        if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", value)
                        else value
                        for value in connection.execute(query).scalars()
                        if value is not None
                    ]
    engine.dispose()
    return shapes


def upload(client: Client, path: Path, **data: str) -> int:
    response = client.post(
        "/api/event-logs", files={"file": (path.name, path.read_bytes())}, data=data
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def build_state(app: Any, client: Client) -> tuple[int, str]:
    """The rich state (see the module's docstring); the log analysed and ana's token."""
    for path in sorted((ROOT / "processes").glob("*.yaml")):
        answer = client.post(
            "/api/processes/import",
            content=path.read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        assert answer.status_code in (200, 201), answer.text
    assert client.post("/api/processes", json=document(POTHOLE)).status_code == 201
    base = "/api/processes/pothole/versions"
    copied = client.post(f"{base}/as-is/copy", json={"label": "option-b"})
    assert copied.status_code == 201, copied.text
    edited = client.patch(f"{base}/option-b/steps/inspect", json={"name": "Inspecter le site"})
    assert edited.status_code == 200, edited.text
    assert client.post(f"{base}/to-be/review", json={"to": "in-review"}).status_code == 201
    leads = {"cleo": "Contact Centre", "rory": "Roads"}
    for name, department in leads.items():
        lead: Client = TestClient(app=app)
        lead.headers["Authorization"] = f"Bearer {bearer(app, name, 'branch-lead', [department])}"
        flows = lead.get(f"{base}/as-is/signoffs").json()["handoffs"]
        body: dict[str, Any] = {"department": department, "state": "confirmed"}
        if name == "rory":
            body = {"department": department, "state": "disputed", "comment": "Pas encore"}
        answer = lead.put(f"{base}/as-is/flows/{flows[0]['flow_id']}/signoff", json=body)
        assert answer.status_code == 200, answer.text
    with session_scope(app.state.engine) as session:
        ana = accounts.create_account(session, "ana", PASSWORD, "analyst", [])
        _, token = accounts.new_token(session, ana, "nightly import", 30)
        commit(session)
    signed = TestClient(app=app)
    assert signed.post("/api/auth/login", json={"username": "ana", "password": PASSWORD}).is_success

    first = upload(client, LOGS / "before.csv")
    analysis = client.get(f"/api/event-logs/{first}/analysis")
    assert analysis.status_code == 200, analysis.text
    mapping = {"process": "pothole", "version": "as-is", "mapping": {"Inspect": "inspect"}}
    assert client.put(f"/api/event-logs/{first}/mapping", json=mapping).status_code == 200
    finding = {"kind": "handoff", "from_department": "Contact Centre", "to_department": "Roads"}
    action = client.post(
        "/api/actions",
        json={
            "finding": finding,
            "log_id": first,
            "account": "rory",
            "due": "2025-03-31",
            "target": 3,
        },
    )
    assert action.status_code == 201, action.text
    said = client.post(
        f"/api/actions/{action.json()['id']}/comments", json={"text": "Téléphoner d'abord ✓"}
    )
    assert said.status_code == 201, said.text
    upload(client, LOGS / "after.csv", pseudonymise="resource")  # measured; the salt made

    with session_scope(app.state.engine) as session:
        session.add(
            ImportJob(
                id="kept",
                state="failed",
                phase="interrupted",
                name="big",
                source_filename="big.csv",
                bytes_total=2**40,  # beyond 32 bits
                share=1 / 3,
                options={"dayfirst": None, "note": "ünïcode"},
                problems=None,
                error="The import was interrupted.",
            )
        )
        session.flush()
        session.add(ImportUpload(job_id="kept", seq=0, data=UPLOAD))
        commit(session)
    return first, token


@pytest.fixture(scope="module", params=[SQLITE, POSTGRES])
def source(
    request: pytest.FixtureRequest,
    databases: Databases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Source:
    """The rich state in a database of each backend, backed up while the service runs."""
    kind: str = request.param
    url = databases.new(kind)
    folder = tmp_path_factory.mktemp(f"source-{kind}")
    app = create_app(settings_for(url, folder / "data"))
    with TestClient(app=app) as client, pytest.MonkeyPatch.context() as env:
        client.headers["Authorization"] = f"Bearer {bearer(app, 'boss', 'admin')}"
        log_id, token = build_state(app, client)
        analysis = client.get(f"/api/event-logs/{log_id}/analysis").json()
        pothole = client.get("/api/processes/pothole").json()
        env.setenv("HANDOFF_DATABASE_URL", url)
        backup = folder / "handoff.zip"
        assert main(["backup", str(backup)]) == 0
    tables = table_rows(url)
    assert {name for name, rows in tables.items() if rows} >= NOT_EMPTY
    return Source(kind, url, backup, tables, log_id, analysis, pothole, token)


def run(url: str, *args: str) -> tuple[int, str, str]:
    """The command with HANDOFF_DATABASE_URL=url: exit status, stdout, stderr. (Captured
    here rather than with capsys: a service started in a test binds its log handler to
    the stderr of that moment, which capsys closes when the test ends.)"""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as env, redirect_stdout(out), redirect_stderr(err):
        env.setenv("HANDOFF_DATABASE_URL", url)
        env.setenv("PGTZ", "America/St_Johns")  # PostgreSQL answers in UTC-3:30 (or -2:30)
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def other(kind: str) -> str:
    return "postgresql" if kind == "sqlite" else "sqlite"


@pytest.mark.parametrize("target", ["same", "other"])
def test_a_restore_gives_back_every_row_and_a_working_service(
    source: Source,
    target: str,
    databases: Databases,
    tmp_path: Path,
) -> None:
    kind = source.kind if target == "same" else other(source.kind)
    url = databases.new(kind)
    status, out, err = run(url, "restore", str(source.backup))
    assert (status, err) == (0, "")
    assert out.startswith(f"restored {sum(map(len, source.tables.values())):,} rows")
    assert f"on {source.kind}, schema revision" in out

    restored = table_rows(url)
    for name, rows in source.tables.items():
        assert restored[name] == rows, name
    upload_row = restored["import_upload"][0]
    assert (upload_row["data"], restored["import_job"][0]["bytes_total"]) == (UPLOAD, 2**40)
    if kind == "sqlite":  # times stored as the service stores them (compared as text)
        assert set(stored_times(url)) == {"YYYY-MM-DD HH:MM:SS.ffffff"}

    with TestClient(app=create_app(settings_for(url, tmp_path / "data"))) as client:
        client.headers["Authorization"] = f"Bearer {source.token}"  # a restored token
        analysis = client.get(f"/api/event-logs/{source.log_id}/analysis")
        assert analysis.headers["X-Handoff-Cache"] == "hit"
        assert analysis.json() == source.analysis
        pothole = client.get("/api/processes/pothole").json()
        assert pothole == source.pothole
        assert "Inspecter le site" in json.dumps(pothole, ensure_ascii=False)
        signed = TestClient(app=client.app)
        answer = signed.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        # new rows get new ids (PostgreSQL's sequences were moved past the restored ones)
        made = client.post("/api/owners", json={"name": "Owner after the restore"})
        assert made.status_code == 201, made.text
        assert made.json()["id"] == max(r["id"] for r in source.tables["owner"]) + 1


def test_a_backup_does_not_wait_for_or_see_an_open_write(source: Source, tmp_path: Path) -> None:
    engine = make_engine(source.url)
    with engine.connect() as writer:
        writer.execute(sa.text("INSERT INTO department (name, slug) VALUES ('Open', 'open')"))
        status, _, err = run(source.url, "backup", str(tmp_path / "b.zip"))
        writer.rollback()
    engine.dispose()
    assert (status, err) == (0, "")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        departments = archive.read("tables/department.jsonl").decode().splitlines()
    counts = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert counts["department"] == len(departments) == len(source.tables["department"])
    assert counts["event"] == len(source.tables["event"])
    assert not any('"Open"' in line for line in departments)


def rewritten(source: Path, out: Path, change: Any) -> Path:
    """A copy of a backup with ``change(name, bytes) -> bytes`` applied to each member."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))
    return out


def manifest_edit(**fields: Any) -> Any:
    def change(name: str, content: bytes) -> bytes:
        if name != "manifest.json":
            return content
        return json.dumps({**json.loads(content), **fields}).encode()

    return change


def flipped(source: Path, out: Path, member: str) -> Path:
    """A copy of a backup with one byte of a member's compressed data changed."""
    content = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
    start = info.header_offset
    name_length = int.from_bytes(content[start + 26 : start + 28], "little")
    extra_length = int.from_bytes(content[start + 28 : start + 30], "little")
    at = start + 30 + name_length + extra_length + info.compress_size // 2
    content[at] ^= 0x55
    out.write_bytes(bytes(content))
    return out


def bad_files(backup: Path, folder: Path) -> list[tuple[Path, str]]:
    whole = backup.read_bytes()
    (folder / "half.zip").write_bytes(whole[: len(whole) // 2])
    (folder / "empty.zip").write_bytes(b"")
    with zipfile.ZipFile(folder / "foreign.zip", "w") as archive:
        archive.writestr("notes.txt", "not a backup")

    def one_event_changed(name: str, content: bytes) -> bytes:
        if name != "tables/event.jsonl":
            return content
        return content.replace(b'"Inspect"', b'"Inspekt"', 1)

    events_changed = rewritten(backup, folder / "edited.zip", one_event_changed)
    return [
        (folder / "missing.zip", "no such file."),
        (folder / "half.zip", "is not a Handoff backup (not a zip archive, or one cut short)."),
        (folder / "empty.zip", "is not a Handoff backup (not a zip archive, or one cut short)."),
        (LOGS / "before.csv", "is not a Handoff backup (not a zip archive, or one cut short)."),
        (folder / "foreign.zip", "is a zip archive but not a Handoff backup."),
        (flipped(backup, folder / "flipped.zip", "tables/event.jsonl"), "the backup is damaged"),
        (flipped(backup, folder / "manifest.zip", "manifest.json"), "the backup is damaged"),
        (events_changed, "table event does not match its checksum"),
        (
            rewritten(backup, folder / "newer.zip", manifest_edit(format_version=2)),
            "was made by a newer Handoff (backup format 2",
        ),
        (
            rewritten(backup, folder / "future.zip", manifest_edit(alembic_revisions=["9999"])),
            "schema revision 9999, which this Handoff",
        ),
        (
            rewritten(backup, folder / "odd.zip", manifest_edit(tables="all")),
            "the backup's manifest is malformed (at tables).",
        ),
    ]


def test_bad_backup_files_change_nothing(
    source: Source, databases: Databases, tmp_path: Path
) -> None:
    """Each bad file: exit 2 and one sentence; a database holding data keeps it even with
    --replace (the damage inside a table is found while loading: all is rolled back), and
    a new SQLite file is not left behind."""
    holding = databases.new(source.kind)
    small = create_app(settings_for(holding, tmp_path / "data"))
    with TestClient(app=small) as client:
        client.headers["Authorization"] = f"Bearer {bearer(small, 'boss', 'admin')}"
        assert client.post("/api/processes", json=document(POTHOLE)).status_code == 201
    before = table_rows(holding)
    fresh = databases.new("sqlite")
    for path, message in bad_files(source.backup, tmp_path):
        for url, flags in ((holding, ["--replace"]), (fresh, [])):
            status, out, err = run(url, "restore", *flags, str(path))
            assert (status, out) == (2, ""), (path, err)
            assert err.startswith(f"handoff: {path}: ") and message in err, err
            assert err.endswith(".\n") and err.count("\n") == 1, err
        assert table_rows(holding) == before, path
        assert not Path(fresh.removeprefix("sqlite:///")).parent.exists(), path


def test_a_database_holding_data_is_replaced_only_when_asked(
    source: Source, databases: Databases, tmp_path: Path
) -> None:
    url = databases.new(other(source.kind))
    app = create_app(settings_for(url, tmp_path / "data"))
    with TestClient(app=app) as client:
        client.headers["Authorization"] = f"Bearer {bearer(app, 'someone', 'admin')}"
        assert client.post("/api/owners", json={"name": "Only here"}).status_code == 201
    before = table_rows(url)
    status, out, err = run(url, "restore", str(source.backup))
    assert (status, out) == (2, "")
    assert err.startswith("handoff: ") and err.endswith(
        "already holds Handoff data (in account, api_token, audit_entry, ...): restore into an "
        "empty database, or give --replace to replace everything in it.\n"
    )
    assert table_rows(url) == before
    status, out, err = run(url, "restore", "--replace", str(source.backup))
    assert (status, err) == (0, "")
    assert "the previous content was replaced" in out
    assert table_rows(url) == source.tables


@pytest.mark.parametrize("kind", [SQLITE, POSTGRES])
def test_nothing_to_back_up_or_nowhere_to_write_it(
    kind: str, databases: Databases, tmp_path: Path
) -> None:
    empty = databases.new(kind)
    status, _, err = run(empty, "backup", str(tmp_path / "b.zip"))
    assert status == 2
    if kind == "sqlite":
        where = empty.removeprefix("sqlite:///")
        assert err == f"handoff: There is no database at {where}: nothing to back up.\n"
        assert not Path(where).exists()
    else:
        assert err == f"handoff: {empty} holds no Handoff database: nothing to back up.\n"
    assert not (tmp_path / "b.zip").exists()
    engine = make_engine(empty)
    with engine.begin() as connection:  # a database made by a newer Handoff
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('9999')"))
    engine.dispose()
    status, _, err = run(empty, "backup", str(tmp_path / "b.zip"))
    assert status == 2 and "schema revision 9999, which this Handoff" in err
    status, _, err = run(empty, "backup", str(tmp_path / "no" / "b.zip"))
    assert (status, err) == (2, f"handoff: {tmp_path / 'no' / 'b.zip'}: the folder "
                                f"{tmp_path / 'no'} does not exist.\n")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", [SQLITE, POSTGRES])
def test_a_backup_of_an_older_schema_is_restored_and_migrated(
    kind: str, databases: Databases, tmp_path: Path
) -> None:
    """A database one revision behind this code's newest: backed up at its revision,
    restored at it (into the other backend), then migrated to the newest."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    (head,) = script.get_heads()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    url = databases.new(kind)
    engine = make_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, older)
        connection.execute(sa.text("INSERT INTO department (name, slug) VALUES ('Parcs', 'parcs')"))
    engine.dispose()
    status, out, err = run(url, "backup", str(tmp_path / "old.zip"))
    assert (status, err) == (0, "")
    assert f"schema revision {older}, to" in out
    target = databases.new(other(kind))
    status, out, err = run(target, "restore", str(tmp_path / "old.zip"))
    assert (status, err) == (0, "")
    assert f"schema revision {older})" in out and f"schema now at revision {head};" in out
    engine = make_engine(target)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            (head,)
        ]
        assert connection.execute(sa.text("SELECT id, name, slug FROM department")).all() == [
            (1, "Parcs", "parcs")
        ]
    engine.dispose()
