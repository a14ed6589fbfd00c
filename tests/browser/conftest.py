"""Browser tests: the real service on a free port, driven by Debian's Chromium through
Playwright (nothing downloads a browser). Screenshots go to tests/browser/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.asgi import create_app
from app.config import Settings
from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("HANDOFF_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(__file__).parent / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


PASSWORD = "browser test password"
ACCOUNTS = {
    "tester": ("admin", []),
    "ana": ("analyst", []),
    "bea": ("branch-lead", ["Contact Centre"]),
    "rex": ("reviewer", []),
    "vic": ("viewer", []),
}
"""The accounts the browser tests sign in as (every one with PASSWORD)."""


def _accounts(app: Any) -> None:
    from app.db.engine import commit, session_scope
    from app.domain.accounts import services

    with session_scope(app.state.engine) as session:
        for username, (role, departments) in ACCOUNTS.items():
            services.create_account(session, username, PASSWORD, role, departments)
        commit(session)


def sign_in(context: Any, server: str, username: str = "tester") -> None:
    """Sign the browser context in (its cookie jar keeps the session cookie)."""
    answer = context.request.post(
        f"{server}/api/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert answer.ok, answer.text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The web service with the sample catalogue and demo logs, on SQLite, for the session."""
    data = tmp_path_factory.mktemp("browser-data")
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'handoff.sqlite3'}",
        load_samples=True,
        samples_dir=ROOT / "processes",
        event_logs_dir=ROOT / "event_logs",
        # uploads above 200 kB become import jobs, so the demo log shows live progress
        sync_import_bytes=200_000,
    )
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web service did not start")
        time.sleep(0.05)
    _accounts(config.app)  # type: ignore[arg-type]
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") or os.environ.get("HANDOFF_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield instance
        instance.close()


REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
"""Chromium logs every 4xx answer as a console error; a test marked ``refusals`` provokes
them on purpose (the UI shows the API's sentence), so there they are not failures."""


@pytest.fixture
def page(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page at the service's home; script errors and console errors fail the test
    (4xx answers too, unless the test is marked ``refusals``)."""
    forgive = request.node.get_closest_marker("refusals") is not None
    # axe-core injects <style> elements, which the Content Security Policy refuses
    axe = request.node.get_closest_marker("axe") is not None
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, accept_downloads=True, bypass_csp=axe
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: Any) -> None:
        if message.type == "error" and not (forgive and REFUSAL.search(message.text)):
            errors.append(message.text)

    page.on("console", on_console)
    page.set_default_timeout(20_000)
    marker = request.node.get_closest_marker("signed_in_as")
    who = marker.args[0] if marker else "tester"
    if who is not None:
        sign_in(context, server, who)
    page.goto(server + "/")
    yield page
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot from the top in tests/browser/screenshots/ (ignored by git)."""
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
