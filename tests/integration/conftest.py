"""Fixtures and helpers of the integration tests."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import DATA, ROOT

Client = TestClient[Litestar]
POTHOLE = DATA / "processes" / "pothole.yaml"
PERMIT = DATA / "processes" / "permit.yaml"


def document(path: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


@pytest.fixture
def catalogue(client: Client) -> Client:
    """The two small test processes, stored through the API."""
    for path in (POTHOLE, PERMIT):
        response = client.post("/api/processes", json=document(path))
        assert response.status_code == 201, response.text
    return client


@pytest.fixture
def loaded(client: Client) -> tuple[Client, int]:
    """The sample processes and the demo road repair log, stored through the API."""
    for path in sorted((ROOT / "processes").glob("*.yaml")):
        response = client.post(
            "/api/processes/import",
            content=path.read_bytes(),
            headers={"content-type": "application/yaml"},
        )
        assert response.status_code in (200, 201), response.text
    content = (ROOT / "event_logs" / "road-repair-requests.csv").read_bytes()
    response = client.post("/api/event-logs", files={"file": ("road.csv", content)})
    assert response.status_code == 201, response.text
    return client, response.json()["id"]


def snapshot(client: Client) -> list[Any]:
    """Everything the catalogue holds, to prove a refused request changed nothing."""
    slugs = [p["slug"] for p in client.get("/api/processes").json()]
    return [client.get(f"/api/processes/{s}").json() for s in slugs] + [
        client.get("/api/owners").json(),
        client.get("/api/departments").json(),
    ]


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return body
