"""Request body limits: every route takes a small body (a process file at most) except
the event log upload and its preview, which take up to max_upload_bytes; beyond either, a
413 problem document naming the limit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from app.asgi import create_app
from app.config import Settings
from tests.conftest import bearer
from tests.integration.conftest import POTHOLE, assert_problem, document

Client = TestClient[Litestar]
KIB = 1024
UPLOAD_ROUTES = {("POST", "/api/event-logs"), ("POST", "/api/event-logs/preview")}


@pytest.fixture
def small(settings: Settings) -> Settings:
    """Limits small enough to cross in a test: bodies 64 KiB, process files 40,000 bytes,
    uploads 300,000 bytes."""
    return settings.model_copy(
        update={
            "max_request_bytes": 64 * KIB,
            "max_process_file_bytes": 40_000,
            "max_upload_bytes": 300_000,
        }
    )


@pytest.fixture
def limited(small: Settings) -> Iterator[Client]:
    app = create_app(small)
    with TestClient(app=app) as client:
        client.headers["Authorization"] = f"Bearer {bearer(app, 'limits', 'admin')}"
        yield client


def _log(size: int) -> bytes:
    """A valid CSV event log of about ``size`` bytes."""
    rows = ["case,activity,timestamp,department"]
    total, n = len(rows[0]) + 1, 0
    while total < size:
        row = f"C{n // 4},Step {n % 4},2025-01-01T{(n % 4) + 8:02d}:{n % 60:02d}:00Z,Dept {n % 2}"
        rows.append(row)
        total += len(row) + 1
        n += 1
    return ("\n".join(rows) + "\n").encode()


def test_the_settings_and_every_route_resolve_the_right_limit(small: Settings) -> None:
    assert Settings().max_body_bytes == 8 * 1024**2  # default: 8 MiB > a 5 MB process file
    assert small.max_body_bytes == 64 * KIB
    assert small.model_copy(update={"max_process_file_bytes": 100_000}).max_body_bytes == 100_000
    app = create_app(small)
    seen: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            limit = handler.resolve_request_max_body_size()
            reads_body = {"data", "body"} & set(handler.parsed_fn_signature.parameters)
            if (method, route.path) in UPLOAD_ROUTES:
                seen.add((method, route.path))
                assert limit == 300_000 + 1024**2, (method, route.path)
            elif reads_body or not route.path.startswith("/api/event-logs"):
                assert limit == 64 * KIB, (method, route.path, limit)
    assert seen == UPLOAD_ROUTES


def test_json_bodies_over_the_limit_get_413(limited: Client) -> None:
    process = document(POTHOLE)
    process["versions"][0]["description"] = "x" * 2000
    encoded = json.dumps(process).encode()
    big = encoded[:-1] + b', "padding": "' + b"z" * (64 * KIB) + b'"}'
    for path in ("/api/processes", "/api/departments", "/api/auth/tokens"):
        answer = limited.post(path, content=big, headers={"content-type": "application/json"})
        assert_problem(answer, 413, f"larger than the 65,536 bytes {path} accepts")
    assert limited.get("/api/processes").json() == []  # nothing stored
    fits = limited.post("/api/processes", json=process)
    assert fits.status_code == 201, fits.text


def test_a_process_file_over_its_limit_gets_413(limited: Client) -> None:
    text = POTHOLE.read_text() + "# " + "x" * 45_000 + "\n"
    answer = limited.post(
        "/api/processes/import",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert_problem(answer, 413, "more than the 40,000 allowed for a process definition")
    fits = limited.post(
        "/api/processes/import",
        content=POTHOLE.read_bytes(),
        headers={"content-type": "application/yaml"},
    )
    assert fits.status_code == 201, fits.text


def test_log_uploads_keep_the_large_limit(limited: Client) -> None:
    content = _log(200_000)  # three times the JSON limit, under the upload limit
    assert 200_000 <= len(content) < 300_000
    preview = limited.post("/api/event-logs/preview", files={"file": ("big.csv", content)})
    assert preview.status_code == 200, preview.text
    uploaded = limited.post("/api/event-logs", files={"file": ("big.csv", content)})
    assert uploaded.status_code == 201, uploaded.text
    over = _log(320_000)
    answer = limited.post("/api/event-logs", files={"file": ("over.csv", over)})
    assert_problem(answer, 413, "larger than the 300,000 bytes allowed")
    beyond = _log(1024**2 + 320_000)  # past the route's limit: refused before it is read
    answer = limited.post("/api/event-logs", files={"file": ("beyond.csv", beyond)})
    assert_problem(answer, 413, "larger than the 1,348,576 bytes /api/event-logs accepts")
    assert len(limited.get("/api/event-logs").json()) == 1
