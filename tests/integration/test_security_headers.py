"""Security headers on every kind of answer (the page, static files, the API, its
refusals and failures, /health, /schema), HSTS only over HTTPS, the printable pages'
own policy allowing exactly their CSS, and the API reference page drawn without script."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.asgi import create_app
from app.config import Settings
from app.domain.system.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.conftest import DATA, signed_in
from tests.integration.conftest import POTHOLE, assert_problem, document

Client = TestClient[Litestar]

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


def test_the_policy_forbids_inline_script_and_style_and_foreign_origins() -> None:
    policy = _directives(CONTENT_SECURITY_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'self'"]
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert SECURITY_HEADERS == EXPECTED


def _assert_headers(answer: Any, policy: str = CONTENT_SECURITY_POLICY) -> None:
    for name, value in {**EXPECTED, "content-security-policy": policy}.items():
        assert answer.headers.get(name) == value, (answer.request.url, name, answer.headers)
    assert "strict-transport-security" not in answer.headers  # plain HTTP


@pytest.fixture
def with_log(client: Client) -> tuple[Client, int]:
    assert client.post("/api/processes", json=document(POTHOLE)).status_code == 201
    content = (DATA / "logs" / "handoffs.csv").read_bytes()
    uploaded = client.post("/api/event-logs", files={"file": ("handoffs.csv", content)})
    assert uploaded.status_code == 201, uploaded.text
    return client, uploaded.json()["id"]


@pytest.mark.graphviz
def test_every_kind_of_answer_carries_the_headers(
    app: Litestar, with_log: tuple[Client, int], anonymous: Client
) -> None:
    client, log_id = with_log
    answers = {
        "page": client.get("/"),
        "script": client.get("/js/app.js"),
        "stylesheet": client.get("/css/app.css"),
        "health": client.get("/health"),
        "reference": client.get("/schema"),
        "openapi": client.get("/schema/openapi.json"),
        "json": client.get("/api/processes"),
        "svg map": client.get("/api/processes/pothole/map", params={"version": "as-is"}),
        "mined map": client.get(f"/api/event-logs/{log_id}/map", params={"format": "svg"}),
        "csv": client.get(f"/api/event-logs/{log_id}/scorecards", params={"format": "csv"}),
        "export": client.get("/api/processes/pothole/export"),
    }
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text[:200])
        _assert_headers(answer)
    with signed_in(app, "viewer") as viewer:
        forbidden = viewer.post("/api/departments", json={"name": "Parks"})
    refusals = {
        401: anonymous.get("/api/processes"),
        403: forbidden,
        404: client.get("/api/processes/nothing-here"),
        405: client.delete("/health"),
        400: client.get("/api/processes/pothole/map", params={"version": "as-is", "log": "x"}),
    }
    for status, answer in refusals.items():
        assert_problem(answer, status)
        _assert_headers(answer)
    missing_file = client.get("/css/nothing-here.css")
    assert missing_file.status_code == 404
    _assert_headers(missing_file)


def test_a_failure_and_a_refused_body_carry_them_too(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(engine: Any) -> tuple[bool, str]:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("app.domain.system.controllers.database_ok", broken)
    failed = client.get("/health")
    assert_problem(failed, 500, "failed unexpectedly")
    _assert_headers(failed)
    too_big = client.post(
        "/api/departments",
        content=b"{" + b" " * (9 * 1024**2) + b"}",
        headers={"content-type": "application/json"},
    )
    assert_problem(too_big, 413, "larger than the 8,388,608 bytes")
    _assert_headers(too_big)


def test_strict_transport_security_only_over_https(settings: Settings) -> None:
    for secure_cookies, base, expected in (
        (False, "http://testserver.local", None),
        (False, "https://testserver.local", "max-age=31536000; includeSubDomains"),
        (True, "http://testserver.local", "max-age=31536000; includeSubDomains"),
    ):
        app = create_app(settings.model_copy(update={"secure_cookies": secure_cookies}))
        with TestClient(app=app, base_url=base) as client:
            for path in ("/health", "/", "/api/processes"):
                answer = client.get(path)
                assert answer.headers.get("strict-transport-security") == expected, (base, path)
                assert answer.headers["x-frame-options"] == "DENY"


def _style_hashes(page: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    ]


@pytest.mark.graphviz
def test_printable_pages_allow_exactly_their_own_css_and_no_script(
    with_log: tuple[Client, int],
) -> None:
    client, log_id = with_log
    pages = [
        client.get("/api/processes/pothole/review", params={"format": "html", "log": log_id}),
        client.get(f"/api/event-logs/{log_id}/scorecards", params={"format": "html"}),
        client.get(f"/api/event-logs/{log_id}/scorecards/Roads", params={"format": "html"}),
    ]
    for answer in pages:
        assert answer.status_code == 200, answer.text[:300]
        assert answer.headers["content-type"].startswith("text/html")
        hashes = _style_hashes(answer.text)
        assert len(hashes) == 1
        policy = _directives(answer.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"] and "script-src" not in policy
        assert policy["style-src"] == hashes and policy["frame-ancestors"] == ["'none'"]
        assert "unsafe" not in answer.headers["content-security-policy"]
        assert "<script" not in answer.text and " style=" not in answer.text
        for name, value in EXPECTED.items():
            if name != "content-security-policy":
                assert answer.headers[name] == value


def test_the_api_reference_is_a_page_without_script(client: Client) -> None:
    page = client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "<script" not in text and " style=" not in text and "<style" not in text
    assert "cdn" not in text.lower() and "http" not in text
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', text)
    assert stylesheets == ["/css/reference.css"]
    assert client.get(stylesheets[0]).headers["content-type"].startswith("text/css")
    openapi = client.get("/schema/openapi.json").json()
    for path, item in openapi["paths"].items():
        assert f"<code>{path}</code>" in text, path
        for method in item:
            assert f'class="method {method}"' in text
    assert 'href="/schema/openapi.json"' in text and 'href="/schema/openapi.yaml"' in text
    assert client.get("/schema/openapi.yaml").status_code == 200
    for gone in ("swagger", "redoc", "elements", "rapidoc", "scalar"):
        assert client.get(f"/schema/{gone}").status_code == 404
