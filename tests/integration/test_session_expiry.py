"""When a sign-in or an API token stops working: at its expiry (the clock moved past it,
not a row edited by hand), at sign-out (the old cookie replayed is refused: the session is
gone from the server, not merely cleared in the browser), when the account is disabled or
its password changed. Every refusal is a 401 problem document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, func, select

from app.asgi import create_app
from app.config import Settings
from app.db.engine import commit, session_scope
from app.db.models import Account, LoginSession
from app.domain.accounts import services
from app.domain.accounts.security import COOKIE
from app.lib.errors import InvalidRequest
from tests.conftest import bearer
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
PASSWORD = "a long test password"


@pytest.fixture
def short(settings: Settings) -> Litestar:
    """The service with half-hour sessions."""
    return create_app(settings.model_copy(update={"session_hours": 0.5}))


def _accounts(app: Litestar) -> None:
    with session_scope(app.state.engine) as session:
        services.create_account(session, "ana", PASSWORD, "analyst", [])
        commit(session)


def _sign_in(client: Client, username: str = "ana") -> str:
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie: str = answer.cookies[COOKIE]
    return cookie


def _with_cookie(app: Litestar, cookie: str) -> Client:
    client = TestClient(app=app)
    client.cookies.set(COOKIE, cookie)
    return client


def _clock(monkeypatch: pytest.MonkeyPatch, later: timedelta) -> None:
    """Move the accounts' clock forward."""
    start = datetime.now(UTC)
    monkeypatch.setattr(services, "_now", lambda: start + later)


def _sessions(app: Litestar) -> int:
    with session_scope(app.state.engine) as session:
        count: int = session.exec(select(func.count(col(LoginSession.id_hash)))).one()
    return count


def test_a_session_lasts_session_hours_then_is_refused_and_removed(
    short: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app=short) as client:
        _accounts(short)
        answer = client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        assert "Max-Age=1800" in answer.headers["set-cookie"]
        _clock(monkeypatch, timedelta(minutes=29))
        assert client.get("/api/processes").status_code == 200
        _clock(monkeypatch, timedelta(minutes=30, seconds=1))
        assert_problem(client.get("/api/processes"), 401, "session has ended")
        assert _sessions(short) == 0  # an expired session is deleted when it is seen


def _expires_at(app: Litestar) -> datetime:
    with session_scope(app.state.engine) as session:
        moment = session.exec(select(LoginSession.expires_at)).one()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def test_an_idle_session_ends_and_a_used_one_lasts_until_session_hours(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HANDOFF_SESSION_IDLE_MINUTES=20 with one-hour sessions: each use moves the end
    20 minutes on (written at most once a minute), never past the hour."""
    app = create_app(settings.model_copy(update={"session_hours": 1, "session_idle_minutes": 20}))
    with TestClient(app=app) as client:
        _accounts(app)
        start = datetime.now(UTC)
        monkeypatch.setattr(services, "_now", lambda: start)
        _sign_in(client)
        assert _expires_at(app) == start + timedelta(minutes=20)
        for minutes in (19, 38, 57):  # used within each 20 minutes
            _clock_at(monkeypatch, start + timedelta(minutes=minutes))
            assert client.get("/api/processes").status_code == 200, minutes
        assert _expires_at(app) == start + timedelta(hours=1)  # not 57 + 20 minutes
        _clock_at(monkeypatch, start + timedelta(minutes=57, seconds=30))
        assert client.get("/api/processes").status_code == 200
        _clock_at(monkeypatch, start + timedelta(minutes=60, seconds=1))
        assert_problem(client.get("/api/processes"), 401, "session has ended")
        _clock_at(monkeypatch, start)
        _sign_in(client)
        _clock_at(monkeypatch, start + timedelta(seconds=30))
        assert client.get("/api/processes").status_code == 200
        assert _expires_at(app) == start + timedelta(minutes=20)  # no write within a minute
        _clock_at(monkeypatch, start + timedelta(minutes=20, seconds=1))  # idle 20 minutes
        assert_problem(client.get("/api/processes"), 401, "session has ended")


def test_a_one_minute_idle_end_moves_on_with_use_and_a_new_limit_reaches_old_sessions(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end is moved on every quarter of the idle time (so a one-minute idle end still
    moves), and a session from before idle ends were set is pulled in at its next use."""
    plain = create_app(settings.model_copy(update={"session_hours": 1}))
    with TestClient(app=plain) as client:
        _accounts(plain)
        start = datetime.now(UTC)
        _clock_at(monkeypatch, start)
        _sign_in(client)
        cookies = dict(client.cookies)
        assert _expires_at(plain) == start + timedelta(hours=1)
    idle = create_app(settings.model_copy(update={"session_hours": 1, "session_idle_minutes": 1}))
    with TestClient(app=idle, cookies=cookies) as client:
        _clock_at(monkeypatch, start + timedelta(seconds=10))
        assert client.get("/api/processes").status_code == 200
        assert _expires_at(idle) == start + timedelta(seconds=70)  # pulled in from the hour
        for seconds in (50, 90, 130, 170):  # used every 40 s: never idle a minute
            _clock_at(monkeypatch, start + timedelta(seconds=seconds))
            assert client.get("/api/processes").status_code == 200, seconds
        _clock_at(monkeypatch, start + timedelta(seconds=231))  # idle 61 s
        assert_problem(client.get("/api/processes"), 401, "session has ended")


def _clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(services, "_now", lambda: moment)


def test_an_api_token_expires_after_its_days(
    app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app=app) as client:
        admin = {"Authorization": f"Bearer {bearer(app, 'boss', 'admin')}"}
        made = client.post(
            "/api/auth/tokens", json={"name": "weekly", "expires_days": 7}, headers=admin
        )
        assert made.status_code == 201, made.text
        headers = {"Authorization": f"Bearer {made.json()['token']}"}
        _clock(monkeypatch, timedelta(days=6, hours=23))
        assert client.get("/api/processes", headers=headers).status_code == 200
        _clock(monkeypatch, timedelta(days=7, seconds=1))
        assert_problem(client.get("/api/processes", headers=headers), 401, "expired")
        assert client.get("/api/processes", headers=admin).status_code == 200  # never expires
        for days in (0, -1, 3651):
            refused = client.post(
                "/api/auth/tokens", json={"name": "x", "expires_days": days}, headers=admin
            )
            assert_problem(refused, 400)


def test_a_token_of_zero_days_is_refused_not_made_eternal(app: Litestar) -> None:
    with TestClient(app=app), session_scope(app.state.engine) as session:
        account = services.create_account(session, "cli", PASSWORD, "viewer", [])
        for days in (0.0, -2.0, float("nan"), 5000.0):
            with pytest.raises(InvalidRequest, match="more than 0 and at most 3,650"):
                services.new_token(session, account, "nightly", days)
        row, _ = services.new_token(session, account, "nightly", 0.5)
        assert row.expires_at is not None


def test_sign_out_ends_the_session_on_the_server(app: Litestar) -> None:
    with TestClient(app=app) as client:
        _accounts(app)
        cookie = _sign_in(client)
        csrf = client.get("/api/auth/me").json()["csrf_token"]
        assert _sessions(app) == 1
        out = client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 200 and f"{COOKIE}=" in out.headers["set-cookie"]
        assert _sessions(app) == 0
        with _with_cookie(app, cookie) as replay:  # the old cookie, kept by an attacker
            assert_problem(replay.get("/api/processes"), 401, "session has ended")
            assert_problem(
                replay.post("/api/departments", json={"name": "X"}, headers={"X-CSRF-Token": csrf}),
                401,
            )


def _set(app: Litestar, client: Client, admin: dict[str, str], changes: dict[str, Any]) -> None:
    with session_scope(app.state.engine) as session:
        account_id = session.exec(select(Account.id).where(Account.username == "ana")).one()
    answer = client.patch(f"/api/users/{account_id}", json=changes, headers=admin)
    assert answer.status_code == 200, answer.text


def test_a_disabled_account_loses_its_sessions_and_tokens(app: Litestar) -> None:
    with TestClient(app=app) as client:
        _accounts(app)
        admin = {"Authorization": f"Bearer {bearer(app, 'boss', 'admin')}"}
        cookie = _sign_in(client)
        token = client.post(
            "/api/auth/tokens",
            json={"name": "script"},
            headers={"X-CSRF-Token": client.get("/api/auth/me").json()["csrf_token"]},
        ).json()["token"]
        own = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/processes", headers=own).status_code == 200
        client.cookies.clear()
        _set(app, client, admin, {"active": False})
        with _with_cookie(app, cookie) as browser:
            assert_problem(browser.get("/api/processes"), 401, "session has ended")
        assert_problem(client.get("/api/processes", headers=own), 401, "not valid")
        refused = client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        assert_problem(refused, 401, "Wrong username or password.")
        _set(app, client, admin, {"active": True})
        with _with_cookie(app, cookie) as browser:  # ended for good, not suspended
            assert_problem(browser.get("/api/processes"), 401, "session has ended")
        assert client.get("/api/processes", headers=own).status_code == 200  # not revoked


def test_a_new_password_ends_the_sessions(app: Litestar) -> None:
    with TestClient(app=app) as client:
        _accounts(app)
        admin = {"Authorization": f"Bearer {bearer(app, 'boss', 'admin')}"}
        first, second = _sign_in(client), _sign_in(client)
        client.cookies.clear()
        _set(app, client, admin, {"password": "another long password"})
        for cookie in (first, second):
            with _with_cookie(app, cookie) as browser:
                assert_problem(browser.get("/api/auth/me"), 401, "session has ended")
        assert _sessions(app) == 0


def test_the_cli_refuses_a_token_of_zero_days(
    app: Litestar, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    settings: Settings = app.state.settings
    with TestClient(app=app):
        _accounts(app)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(settings.data_dir))
    assert main(["users", "token", "ana", "--days", "0"]) == 2
    assert "more than 0 and at most 3,650 days, not 0" in capsys.readouterr().err
    assert main(["users", "token", "ana", "--days", "1"]) == 0
    assert capsys.readouterr().out.startswith("hnd_")
