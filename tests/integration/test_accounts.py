"""Accounts against CONTRACT section 5: sign-in, tokens, the public pages, CSRF, session
end and expiry, throttling and lockout, the anonymous reader, and a permission matrix of
every role against every API route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient
from sqlmodel import select

from app.asgi import create_app
from app.config import Settings
from app.db.engine import commit, session_scope
from app.db.models import LoginSession
from app.domain.accounts import services
from app.domain.accounts.roles import PERMISSIONS, ROLES
from app.domain.accounts.security import COOKIE
from tests.conftest import ROOT, bearer
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
PASSWORD = "correct horse battery"


@pytest.fixture
def people(app: Litestar, anonymous: Client) -> Client:
    """One account per role (password PASSWORD); the client carries no credentials."""
    with session_scope(app.state.engine) as session:
        from app.domain.catalogue.lookups import ensure_department

        ensure_department(session, "Contact Centre")
        for role in ROLES:
            departments = ["Contact Centre"] if role == "branch-lead" else []
            services.create_account(session, role.replace("-", ""), PASSWORD, role, departments)
        commit(session)
    return anonymous


def login(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_sign_in_answers_200_with_a_cookie_or_401(people: Client) -> None:
    answer = login(people, "analyst")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["username"], body["role"], body["signed_in"]) == ("analyst", "analyst", True)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert people.get("/api/processes").status_code == 200
    wrong = assert_problem(login(people, "analyst", "not the password"), 401)
    unknown = assert_problem(login(people, "nobody", "not the password"), 401)
    assert wrong["detail"] == unknown["detail"] == "Wrong username or password."


def test_a_new_session_id_at_every_sign_in(people: Client) -> None:
    first = login(people, "viewer").cookies[COOKIE]
    second = login(people, "viewer").cookies[COOKIE]
    assert first != second


def test_without_credentials_only_the_public_pages_answer(people: Client) -> None:
    assert people.get("/health").status_code == 200
    assert people.get("/schema/openapi.json").status_code == 200
    assert people.get("/").status_code == 200  # the page (and its sign-in form)
    assert people.get("/js/app.js").status_code == 200
    for path in ("/api/processes", "/api/event-logs", "/api/who-does-what", "/api/auth/me"):
        assert_problem(people.get(path), 401, "Sign in")
    assert_problem(people.post("/api/departments", json={"name": "X"}), 401)


def test_api_tokens_by_bearer_and_their_revocation(app: Litestar, people: Client) -> None:
    token = bearer(app, "script", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    assert people.get("/api/processes", headers=headers).status_code == 200
    created = people.post("/api/departments", json={"name": "Parks"}, headers=headers)
    assert created.status_code == 201
    mine = people.get("/api/auth/tokens", headers=headers).json()
    assert [t["name"] for t in mine] == ["tests"] and "token_hash" not in mine[0]
    second = people.post(
        "/api/auth/tokens", json={"name": "nightly", "expires_days": 1}, headers=headers
    )
    assert second.status_code == 201 and second.json()["token"].startswith("hnd_")
    assert people.delete(f"/api/auth/tokens/{mine[0]['id']}", headers=headers).status_code == 204
    assert_problem(people.get("/api/processes", headers=headers), 401, "revoked")
    fresh = {"Authorization": f"Bearer {second.json()['token']}"}
    assert people.get("/api/processes", headers=fresh).status_code == 200
    assert_problem(people.get("/api/processes", headers={"Authorization": "Bearer nope"}), 401)


def test_forms_need_the_csrf_token(people: Client) -> None:
    csrf = login(people, "analyst").json()["csrf_token"]
    assert_problem(people.post("/api/departments", json={"name": "Parks"}), 403, "CSRF")
    ok = people.post("/api/departments", json={"name": "Parks"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    wrong = people.post(
        "/api/departments", json={"name": "Fleet"}, headers={"X-CSRF-Token": "forged"}
    )
    assert_problem(wrong, 403, "CSRF")
    assert people.get("/api/auth/me").json()["csrf_token"] == csrf  # for a reloaded page


def test_sign_out_and_expiry_end_the_session(app: Litestar, people: Client) -> None:
    csrf = login(people, "reviewer").json()["csrf_token"]
    assert people.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert_problem(people.get("/api/processes"), 401)
    login(people, "reviewer")
    with session_scope(app.state.engine) as session:
        for row in session.exec(select(LoginSession)).all():
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(row)
        commit(session)
    assert_problem(people.get("/api/processes"), 401, "session has ended")


def test_sign_ins_are_throttled_whether_or_not_the_user_exists(people: Client) -> None:
    for name in ("viewer", "ghost"):
        for _ in range(5):
            assert login(people, name, "wrong password").status_code == 401
        assert_problem(login(people, name, PASSWORD), 429, "Too many failed sign-ins")
    assert login(people, "analyst").status_code == 200  # other usernames are not affected


def test_an_account_locks_after_ten_wrong_passwords(app: Litestar, people: Client) -> None:
    with session_scope(app.state.engine) as session:
        for _ in range(services.LOCK_AFTER):
            assert services.authenticate(session, "viewer", "wrong password") is None
        assert services.authenticate(session, "viewer", PASSWORD) is None  # locked
        commit(session)
    assert_problem(login(people, "viewer"), 401, "Wrong username or password.")


def test_unknown_and_known_usernames_cost_one_password_check_each(
    app: Litestar, people: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No enumeration by timing: an unknown username is checked against a dummy hash."""
    hasher = services._hasher()
    calls: list[str] = []
    original = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda p, h: calls.append(h) or original(p, h))
    with session_scope(app.state.engine) as session:
        services.authenticate(session, "ghost", "a password")
        services.authenticate(session, "viewer", "a password")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_the_anonymous_reader(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"anonymous_role": "viewer"}))
    with TestClient(app=app) as client:
        assert client.get("/api/processes").status_code == 200
        me = client.get("/api/auth/me").json()
        assert (me["role"], me["signed_in"]) == ("viewer", False)
        assert_problem(client.post("/api/departments", json={"name": "X"}), 401, "Sign in")


def _routes(app: Litestar) -> Iterator[tuple[str, str, str]]:
    """Every API route: method, a concrete path, the permission it needs."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api"):
            continue
        path = re.sub(
            r"\{(\w+):(\w+)\}",
            lambda m: "999999" if m.group(2) == "int" else "nothing-here",
            route.path,
        )
        path = re.sub(r"\{(\w+)\}", "nothing-here", path)
        for method, (handler, _) in route.route_handler_map.items():
            if method in ("OPTIONS", "HEAD"):
                continue
            permission = handler.opt.get("permission") or ("read" if method == "GET" else "edit")
            yield method, path, permission


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_every_role_against_every_route(app: Litestar, role: str) -> None:
    """Allowed: the route answers anything but 401/403; refused: 403 with a sentence."""
    with TestClient(app=app) as client:
        departments = ["Contact Centre"] if role == "branch-lead" else []
        with session_scope(app.state.engine) as session:
            from app.domain.catalogue.lookups import ensure_department

            ensure_department(session, "Contact Centre")
            commit(session)
        token = bearer(app, f"m-{role}", role, departments)
        client.headers["Authorization"] = f"Bearer {token}"
        checked = 0
        for method, path, permission in _routes(app):
            if permission == "public":
                continue
            allowed = permission == "self" or permission in PERMISSIONS[role]
            answer = client.request(method, path, json={})
            checked += 1
            if allowed:
                assert answer.status_code not in (401, 403), (method, path, answer.text)
            else:
                assert answer.status_code == 403, (method, path, answer.status_code)
                assert role in answer.json()["detail"]
        assert checked > 60


@pytest.mark.parametrize("role", ROLES)
def test_improvement_actions_by_role(app: Litestar, client: Client, role: str) -> None:
    """Making and editing an action takes "edit"; moving its state and commenting takes
    "follow-up", which a branch lead holds only for actions of their departments."""
    for name in ("Contact Centre", "Roads"):
        assert client.post("/api/departments", json={"name": name}).status_code == 201
    content = (ROOT / "tests" / "data" / "logs" / "actions" / "before.csv").read_bytes()
    log_id = client.post("/api/event-logs", files={"file": ("a.csv", content)}).json()["id"]
    base = {"log_id": log_id, "account": client_username(client), "due": "2030-01-01"}
    pair = {"kind": "handoff", "from_department": "Contact Centre", "to_department": "Roads"}
    back = {**pair, "from_department": "Roads", "to_department": "Contact Centre"}
    roads = client.post("/api/actions", json={**base, "finding": pair, "target": 3}).json()["id"]
    centre = client.post("/api/actions", json={**base, "finding": back, "target": 8}).json()["id"]
    departments = ["Contact Centre"] if role == "branch-lead" else []
    with TestClient(app=app) as other:
        other.headers["Authorization"] = f"Bearer {bearer(app, f'x-{role}', role, departments)}"
        editor = "edit" in PERMISSIONS[role]
        assert other.get(f"/api/actions/{roads}").status_code == 200
        made = other.post("/api/actions", json={**base, "finding": pair, "target": 2})
        assert made.status_code == (201 if editor else 403), made.text
        for action, leads in ((roads, False), (centre, role == "branch-lead")):
            moved = other.patch(f"/api/actions/{action}", json={"state": "in progress"})
            assert moved.status_code == (200 if editor or leads else 403), (action, moved.text)
            said = other.post(f"/api/actions/{action}/comments", json={"text": "noted"})
            assert said.status_code == (201 if editor or leads else 403), said.text
            target = other.patch(f"/api/actions/{action}", json={"due": "2031-01-01"})
            assert target.status_code == (200 if editor else 403), target.text
        if not editor:
            assert role in made.json()["detail"]


def client_username(client: Client) -> str:
    me: str = client.get("/api/auth/me").json()["username"]
    return me


@pytest.mark.sqlite
def test_users_from_the_command_line(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from app.cli import main

    monkeypatch.setenv("HANDOFF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HANDOFF_DATABASE_URL", raising=False)

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    assert run("processes", "import", str(ROOT / "processes"))[0] == 0
    status, out, _ = run(
        "users", "add", "bea", "--role", "branch-lead", "--department", "Contact Centre",
        "--password-stdin", stdin="a long password\n",
    )  # fmt: skip
    assert (status, out.strip()) == (0, "created bea (branch-lead)")
    status, _, err = run(
        "users", "add", "zed", "--role", "viewer", "--password-stdin", stdin="short\n"
    )
    assert status == 2 and "at least 10 characters" in err
    status, _, err = run(
        "users", "add", "lee", "--role", "branch-lead", "--department", "Parks",
        "--password-stdin", stdin="a long password\n",
    )  # fmt: skip
    assert status == 2 and "no department 'Parks'" in err
    status, _, err = run(
        "users", "add", "BEA", "--role", "viewer", "--password-stdin", stdin="a long password\n"
    )
    assert status == 2 and "taken" in err
    assert run("users", "list")[1] == "bea\tbranch-lead (Contact Centre)\n"
    status, token, _ = run("users", "token", "bea")
    assert status == 0 and token.startswith("hnd_")
    assert run("users", "passwd", "bea", "--password-stdin", stdin="another long one\n")[0] == 0
    settings = Settings()
    app = create_app(settings)
    with TestClient(app=app) as client:
        assert login(client, "bea", "a long password").status_code == 401
        assert login(client, "bea", "another long one").status_code == 200
        headers = {"Authorization": f"Bearer {token.strip()}"}
        assert client.get("/api/processes", headers=headers).status_code == 200


def test_token_use_is_recorded_to_the_minute_not_on_every_request(
    app: Litestar, people: Client
) -> None:
    from app.db.models import ApiToken

    headers = {"Authorization": f"Bearer {bearer(app, 'poller', 'viewer')}"}

    def last_used() -> datetime | None:
        with session_scope(app.state.engine) as session:
            return session.exec(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    people.get("/api/processes", headers=headers)
    first = last_used()
    assert first is not None
    people.get("/api/processes", headers=headers)
    assert last_used() == first  # no write for a second request within the minute
    with session_scope(app.state.engine) as session:
        row = session.exec(select(ApiToken)).one()
        row.last_used_at = datetime.now(UTC) - timedelta(minutes=2)
        session.add(row)
        commit(session)
    people.get("/api/processes", headers=headers)
    latest = last_used()
    assert latest is not None and latest.replace(tzinfo=UTC) > first.replace(tzinfo=UTC)
