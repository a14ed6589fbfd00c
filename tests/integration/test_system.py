"""Health, schemas, migrations, start-up with the sample catalogue, and a real server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, create_engine
from sqlmodel import SQLModel

from app.asgi import create_app
from app.config import Settings
from app.db.engine import MIGRATIONS, migrate
from tests.conftest import ROOT, signed_in

Client = TestClient[Litestar]
SAMPLES = sorted((ROOT / "processes").glob("*.yaml"))


def test_migrations_create_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_migrating_twice_is_harmless(settings: Settings, engine: Engine) -> None:
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    assert head is not None and head >= "0002"


def test_health_reports_database_and_graphviz(client: Client, database_url: str) -> None:
    body = client.get("/health").json()
    assert body["database"] == {
        "ok": True,
        "dialect": "sqlite" if database_url.startswith("sqlite") else "postgresql",
    }
    assert body["graphviz"]["ok"] is (body["graphviz"]["version"] is not None)


def test_health_is_503_when_the_database_is_gone(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", load_samples=False)
    with signed_in(create_app(settings)) as client:
        client.app.state.engine.dispose()
        client.app.state.engine = create_engine("sqlite:////nonexistent-dir/handoff.sqlite3")
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_openapi_and_file_schema_are_served(client: Client) -> None:
    openapi = client.get("/schema/openapi.json").json()
    assert "/api/processes" in openapi["paths"]
    assert "/api/departments/{key}/who-does-what" in openapi["paths"]
    assert client.get("/schema").status_code == 200
    published = json.loads((ROOT / "docs" / "process-file.schema.json").read_text())
    assert client.get("/api/schemas/process-file.json").json() == published


def test_samples_load_into_an_empty_database_once(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        samples_dir=ROOT / "processes",
        event_logs_dir=ROOT / "event_logs",
        load_samples=True,
    )
    with signed_in(create_app(settings)) as client:
        slugs = [p["slug"] for p in client.get("/api/processes").json()]
        client.delete(f"/api/processes/{slugs[0]}")
        logs = {log["source_filename"]: log for log in client.get("/api/event-logs").json()}
    assert sorted(slugs) == [p.stem for p in SAMPLES]
    # the counts event_logs/SOURCES.md gives
    road = logs["road-repair-requests.csv"]
    assert (road["cases"], road["events"]) == (2_500, 24_934)
    assert (logs["wabo-receipt.csv"]["cases"], logs["wabo-receipt.csv"]["events"]) == (1_434, 8_577)
    # a second start finds processes and loads nothing, so the deleted one stays deleted
    with signed_in(create_app(settings)) as client:
        assert len(client.get("/api/processes").json()) == len(SAMPLES) - 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.sqlite
def test_handoff_serve_starts_with_the_sample_catalogue(tmp_path: Path) -> None:
    """What `make run` does: a real server process on a fresh data directory."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env["HANDOFF_DATA_DIR"] = str(tmp_path / "data")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(iter(server.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        # nothing but health, the schema and the page is public
        assert httpx.get(f"{base}/api/processes").status_code == 401
        # the first start created 'admin' with a password printed once
        text = "".join(output)
        assert "Sign in as 'admin' with the password" in text
        password = text.split("with the password")[1].split()[0]
        web = httpx.Client(base_url=base)
        signed = web.post("/api/auth/login", json={"username": "admin", "password": password})
        assert signed.status_code == 200 and signed.json()["role"] == "admin"
        processes = web.get("/api/processes").json()
        assert sorted(p["slug"] for p in processes) == [p.stem for p in SAMPLES]
        logs = web.get("/api/event-logs").json()
        assert sorted(log["source_filename"] for log in logs) == [
            "road-repair-requests.csv",
            "wabo-receipt.csv",
        ]
        assert httpx.get(f"{base}/schema/openapi.json").status_code == 200
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and "<title>Handoff</title>" in page.text
        assert (tmp_path / "data" / "handoff.sqlite3").exists()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
