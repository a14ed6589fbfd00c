"""The audit trail on SQLite and PostgreSQL: every kind of change recorded once, with who,
before and after; refused changes leave nothing; per-process history, CSV, permissions."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session, col

from app.db.engine import commit, session_scope
from app.db.models import (
    AuditEntry,
    Flow,
    HandoffSignoff,
    Owner,
    ProcessVersion,
    VersionReview,
)
from tests.conftest import DATA, ROOT, bearer
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
HANDOFFS_LOG = DATA / "logs" / "handoffs.csv"


def history(client: Client, slug: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/api/processes/{slug}/history", params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def audit(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def one(entries: list[dict[str, Any]], action: str, entity: str, key: str) -> dict[str, Any]:
    """The single entry of that action on that row."""
    found = [
        e for e in entries if (e["action"], e["entity"], e["entity_key"]) == (action, entity, key)
    ]
    assert len(found) == 1, [(e["action"], e["entity"], e["entity_key"]) for e in entries]
    return found[0]


def entry_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def me(client: Client) -> str:
    name: str = client.get("/api/auth/me").json()["username"]
    return name


def test_process_version_step_and_flow_changes_are_recorded(catalogue: Client) -> None:
    who = me(catalogue)
    created = history(catalogue, "pothole")
    process = one(created, "create", "process", "pothole")
    assert process["before"] is None
    assert process["after"] == {
        "slug": "pothole",
        "name": "Pothole report",
        "customer": "Residents reporting potholes",
        "owner": "Director of Roads",
        "standard_hours": 120.0,
    }
    assert process["username"] == who and process["process"] == "pothole"
    step = one(created, "create", "step", "pothole/as-is/log-cc")
    assert step["after"]["department"] == "Contact Centre" and step["after"]["manual_entry"]
    one(created, "create", "flow", "pothole/as-is/log-cc->log-roads")
    one(created, "create", "process_version", "pothole/to-be")
    # the other process's history is its own
    assert {e["process"] for e in history(catalogue, "permit-question")} == {"permit-question"}

    base = "/api/processes/pothole/versions/as-is"
    assert catalogue.patch("/api/processes/pothole", json={"name": "Potholes"}).status_code == 200
    changed = catalogue.patch(
        f"{base}/steps/receive", json={"minutes": 7, "department": "Roads", "owner": "Roads Crew"}
    )
    assert changed.status_code == 200, changed.text
    flow = next(
        f
        for f in catalogue.get(base).json()["flows"]
        if (f["from"], f["to"]) == ("log-cc", "log-roads")
    )
    assert catalogue.patch(
        f"{base}/flows/{flow['id']}", json={"owner": "Roads Dispatcher"}
    ).is_success
    assert catalogue.patch(base, json={"description": "Logged twice"}).is_success
    step = {"id": "notify", "name": "Notify", "department": "Roads", "owner": "Roads Crew"}
    assert catalogue.post(f"{base}/steps", json=step).status_code == 201
    added = catalogue.post(f"{base}/flows", json={"from": "callback", "to": "notify"})
    assert added.status_code == 201, added.text
    new_flow = added.json()
    assert catalogue.delete(f"{base}/flows/{new_flow['id']}").is_success
    assert catalogue.delete(f"{base}/steps/notify").is_success
    assert catalogue.post(f"{base}/copy", json={"label": "option-b"}).is_success
    assert catalogue.delete("/api/processes/pothole/versions/option-b").is_success

    entries = history(catalogue, "pothole")
    update = one(entries, "update", "process", "pothole")
    assert (update["before"], update["after"]) == ({"name": "Pothole report"}, {"name": "Potholes"})
    assert update["fields"] == ["name"]
    step = one(entries, "update", "step", "pothole/as-is/receive")
    assert step["before"] == {
        "minutes": 5.0,
        "department": "Contact Centre",
        "owner": "Contact Centre Supervisor",
    }
    assert step["after"] == {"minutes": 7.0, "department": "Roads", "owner": "Roads Crew"}
    flow_update = one(entries, "update", "flow", "pothole/as-is/log-cc->log-roads")
    assert (flow_update["before"], flow_update["after"]) == (
        {"owner": None},
        {"owner": "Roads Dispatcher"},
    )
    version = one(entries, "update", "process_version", "pothole/as-is")
    assert version["before"] == {"description": "Logged twice, then repaired"}
    assert version["after"] == {"description": "Logged twice"}
    one(entries, "create", "step", "pothole/as-is/notify")
    deleted_step = one(entries, "delete", "step", "pothole/as-is/notify")
    assert deleted_step["after"] is None and deleted_step["before"]["name"] == "Notify"
    one(entries, "create", "flow", "pothole/as-is/callback->notify")
    one(entries, "delete", "flow", "pothole/as-is/callback->notify")
    one(entries, "create", "process_version", "pothole/option-b")
    gone = one(entries, "delete", "process_version", "pothole/option-b")
    assert gone["before"]["kind"] == "to-be"
    # newest first
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)

    # deleting the process is recorded, and its history stays readable
    assert catalogue.delete("/api/processes/pothole").is_success
    after = history(catalogue, "pothole")
    assert one(after, "delete", "process", "pothole")["before"]["name"] == "Potholes"
    assert_problem(catalogue.get("/api/processes/nowhere/history"), 404, "no process 'nowhere'")


def test_renaming_a_process_takes_its_history_along(catalogue: Client) -> None:
    response = catalogue.patch("/api/processes/pothole", json={"slug": "pothole-report"})
    assert response.status_code == 200, response.text
    entries = history(catalogue, "pothole-report")
    rename = one(entries, "update", "process", "pothole-report")
    assert (rename["before"], rename["after"]) == ({"slug": "pothole"}, {"slug": "pothole-report"})
    assert any(e["action"] == "create" and e["entity"] == "step" for e in entries)
    assert {e["process"] for e in entries} == {"pothole-report"}


def test_owner_and_department_changes_are_recorded(catalogue: Client) -> None:
    created = catalogue.post("/api/owners", json={"name": "Pat Lee", "department": "Roads"})
    assert created.status_code == 201, created.text
    owner_id = created.json()["id"]
    assert catalogue.patch(f"/api/owners/{owner_id}", json={"email": "pat@city.example"}).is_success
    assert catalogue.delete(f"/api/owners/{owner_id}").is_success
    renamed = catalogue.patch("/api/departments/roads", json={"name": "Roads & Sidewalks"})
    assert renamed.status_code == 200, renamed.text

    owners = audit(catalogue, entity="owner")
    assert one(owners, "create", "owner", "Pat Lee")["after"] == {
        "name": "Pat Lee",
        "department": "Roads",
        "email": None,
    }
    update = one(owners, "update", "owner", "Pat Lee")
    assert (update["before"], update["after"]) == ({"email": None}, {"email": "pat@city.example"})
    assert one(owners, "delete", "owner", "Pat Lee")["before"]["email"] == "pat@city.example"
    department = one(
        audit(catalogue, entity="department"), "update", "department", "Roads & Sidewalks"
    )
    assert department["before"] == {"name": "Roads", "slug": "roads"}
    assert department["after"] == {"name": "Roads & Sidewalks", "slug": "roads-sidewalks"}
    assert department["process"] is None


def test_importing_and_deleting_a_log_and_mapping_activities_are_recorded(
    catalogue: Client,
) -> None:
    content = HANDOFFS_LOG.read_bytes()
    response = catalogue.post("/api/event-logs", files={"file": ("handoffs.csv", content)})
    assert response.status_code == 201, response.text
    log_id = response.json()["id"]
    again = catalogue.post("/api/event-logs", files={"file": ("handoffs.csv", content)})
    assert again.status_code in (200, 201), again.text
    key = f"#{log_id} handoffs.csv"
    imported = one(audit(catalogue, entity="event_log"), "create", "event_log", key)
    assert imported["after"]["events"] == response.json()["events"]
    assert imported["after"]["source_filename"] == "handoffs.csv"

    url = f"/api/event-logs/{log_id}/mapping"
    query = {"process": "pothole", "version": "as-is"}
    saved = catalogue.put(url, json={**query, "mapping": {"Inspect site": "inspect"}})
    assert saved.status_code == 200, saved.text
    saved = catalogue.put(url, json={**query, "mapping": {"Inspect site": "repair"}})
    assert saved.status_code == 200, saved.text
    mapping = [e for e in history(catalogue, "pothole") if e["entity"] == "activity_mapping"]
    choice = f"log #{log_id}/pothole/as-is/Inspect site"
    assert one(mapping, "create", "activity_mapping", choice)["after"] == {"step": "inspect"}
    changed = one(mapping, "update", "activity_mapping", choice)
    assert (changed["before"], changed["after"]) == ({"step": "inspect"}, {"step": "repair"})

    assert catalogue.delete(f"/api/event-logs/{log_id}").is_success
    logs = audit(catalogue, entity="event_log")
    assert one(logs, "delete", "event_log", key)["before"]["name"] == "handoffs.csv"
    # the mappings go with the log: its deletion is the one entry
    assert not [e for e in audit(catalogue, entity="activity_mapping") if e["action"] == "delete"]


def test_accounts_and_tokens_are_recorded_without_secrets(client: Client) -> None:
    assert client.post("/api/departments", json={"name": "Contact Centre"}).is_success
    created = client.post(
        "/api/users",
        json={
            "username": "bea",
            "password": "a long enough password",
            "role": "branch-lead",
            "departments": ["Contact Centre"],
        },
    )
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    changed = client.patch(
        f"/api/users/{account_id}",
        json={"role": "analyst", "departments": [], "password": "another long password"},
    )
    assert changed.status_code == 200, changed.text
    assert client.patch(f"/api/users/{account_id}", json={"active": False}).is_success

    token = client.post("/api/auth/tokens", json={"name": "nightly import"})
    assert token.status_code == 201, token.text
    assert client.delete(f"/api/auth/tokens/{token.json()['id']}").status_code == 204

    accounts = audit(client, entity="account")
    made = one(accounts, "create", "account", "bea")
    assert made["after"] == {
        "username": "bea",
        "role": "branch-lead",
        "active": True,
        "departments": ["Contact Centre"],
    }
    updates = [e for e in accounts if e["action"] == "update" and e["entity_key"] == "bea"]
    first, second = updates[::-1]
    assert first["before"] == {
        "role": "branch-lead",
        "departments": ["Contact Centre"],
        "password_changed": False,
    }
    assert first["after"] == {"role": "analyst", "departments": [], "password_changed": True}
    assert (second["before"], second["after"]) == ({"active": True}, {"active": False})
    tokens = audit(client, entity="api_token")
    key = f"{me(client)}/nightly import"
    assert one(tokens, "create", "api_token", key)["after"]["revoked_at"] is None
    revoked = one(tokens, "update", "api_token", key)
    assert revoked["before"] == {"revoked_at": None} and revoked["after"]["revoked_at"]
    text = client.get("/api/audit", params={"format": "csv"}).text
    assert "password_hash" not in text and "token_hash" not in text and "$argon2" not in text
    # using a token or signing in is not a change worth recording
    assert not [e for e in tokens if "last_used_at" in (e["after"] or {})]


def test_sign_offs_and_reviews_are_recorded(catalogue: Client, engine: Engine) -> None:
    with session_scope(engine) as session:
        flow = session.scalars(select(Flow).order_by(Flow.id)).first()
        assert flow is not None and flow.id is not None
        version = session.get(ProcessVersion, flow.version_id)
        assert version is not None and version.id is not None
        signoff = HandoffSignoff(
            flow_id=flow.id, department_id=1, username="bea", state="confirmed"
        )
        session.add(signoff)
        session.add(
            VersionReview(
                version_id=version.id, username="rex", from_status="draft", to_status="in-review"
            )
        )
        commit(session)
        signoff.state, signoff.comment = "disputed", "We never get these"
        session.add(signoff)
        commit(session)
        label = version.label
    entries = history(catalogue, "pothole")
    signoffs = [e for e in entries if e["entity"] == "handoff_signoff"]
    assert [e["action"] for e in signoffs] == ["update", "create"]
    assert signoffs[1]["after"]["state"] == "confirmed"
    assert signoffs[0]["before"] == {"state": "confirmed", "comment": None}
    assert signoffs[0]["after"] == {"state": "disputed", "comment": "We never get these"}
    assert signoffs[0]["entity_key"].startswith(f"pothole/{label}/")
    review = one(entries, "create", "version_review", f"pothole/{label}")
    assert review["after"]["to_status"] == "in-review"


def test_each_change_records_who_made_it(catalogue: Client, app: Litestar) -> None:
    admin = me(catalogue)
    analyst_token = bearer(app, "ana", "analyst")
    response = catalogue.patch(
        "/api/processes/pothole",
        json={"customer": "Drivers"},
        headers={"Authorization": f"Bearer {analyst_token}"},
    )
    assert response.status_code == 200, response.text
    assert catalogue.patch("/api/processes/pothole", json={"customer": "Everyone"}).is_success
    updates = [e for e in history(catalogue, "pothole") if e["action"] == "update"]
    assert [(e["username"], e["after"]) for e in updates] == [
        (admin, {"customer": "Everyone"}),
        ("ana", {"customer": "Drivers"}),
    ]
    assert [e["after"] for e in history(catalogue, "pothole", user="ANA")] == [
        {"customer": "Drivers"}
    ]


def test_a_refused_change_leaves_no_audit_entry(
    catalogue: Client, engine: Engine, app: Litestar
) -> None:
    before = entry_count(engine)
    base = "/api/processes/pothole/versions/as-is"
    # refused after the change reached the database (the whole process is re-checked)
    assert_problem(catalogue.patch(base, json={"status": "approved"}), 422, "not allowed")
    assert_problem(catalogue.patch(f"{base}/steps/receive", json={"id": "log-cc"}), 409)
    assert_problem(catalogue.patch("/api/processes/pothole", json={"slug": "permit-question"}), 409)
    viewer = {"Authorization": f"Bearer {bearer(app, 'val', 'viewer')}"}
    counted = entry_count(engine)
    assert counted == before + 2  # the viewer's account and token
    refused = catalogue.patch("/api/processes/pothole", json={"name": "X"}, headers=viewer)
    assert_problem(refused, 403)
    assert entry_count(engine) == counted


def test_filters_and_paging(catalogue: Client) -> None:
    everything = catalogue.get("/api/processes/pothole/history").json()
    assert everything["total"] == len(history(catalogue, "pothole", limit=1000))
    page = catalogue.get("/api/processes/pothole/history", params={"limit": 5, "offset": 5})
    assert [e["id"] for e in page.json()["entries"]] == [
        e["id"] for e in everything["entries"][5:10]
    ]
    steps = history(catalogue, "pothole", entity="step")
    assert steps and {e["entity"] for e in steps} == {"step"}
    assert history(catalogue, "pothole", since="2999-01-01") == []
    assert len(history(catalogue, "pothole", since="2000-01-01T00:00")) == len(
        everything["entries"]
    )
    assert_problem(
        catalogue.get("/api/processes/pothole/history", params={"since": "last week"}),
        400,
        "'last week' is not a date",
    )
    assert_problem(
        catalogue.get("/api/audit", params={"entity": "events"}), 400, "entity is one of"
    )
    huge = {"offset": 2**64}  # an SQL OFFSET no database can take
    assert_problem(catalogue.get("/api/processes/pothole/history", params=huge), 400, "offset")
    processes = audit(catalogue, process="permit-question")
    assert processes and {e["process"] for e in processes} == {"permit-question"}


def test_csv_export_neutralises_formulas(catalogue: Client) -> None:
    for name in ('=HYPERLINK("http://evil.example")', "+1", "-1", "@SUM(A1)"):
        response = catalogue.post("/api/owners", json={"name": name})
        assert response.status_code == 201, response.text
    assert catalogue.patch("/api/processes/pothole", json={"owner": "=1+1"}).is_success
    response = catalogue.get("/api/audit", params={"format": "csv", "entity": "owner"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="audit.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    keys = {row["entity_key"] for row in rows}
    assert {'\'=HYPERLINK("http://evil.example")', "'+1", "'-1", "'@SUM(A1)", "'=1+1"} <= keys
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())

    text = catalogue.get("/api/processes/pothole/history", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id",
        "at",
        "username",
        "action",
        "entity",
        "entity_key",
        "process",
        "fields",
        "before",
        "after",
    ]
    owner_change = next(r for r in rows if r["action"] == "update" and r["entity"] == "process")
    assert owner_change["fields"] == "owner"
    assert owner_change["before"] == '{"owner": "Director of Roads"}'
    assert owner_change["after"] == '{"owner": "=1+1"}'
    assert len(rows) == catalogue.get("/api/processes/pothole/history").json()["total"]


def test_who_may_read_the_trail(catalogue: Client, anonymous: Client, app: Litestar) -> None:
    for role in ("viewer", "reviewer", "analyst"):
        reader = {"Authorization": f"Bearer {bearer(app, f'r-{role}', role)}"}
        url = "/api/processes/pothole/history"
        assert catalogue.get(url, headers=reader).status_code == 200
        assert catalogue.get(url, params={"format": "csv"}, headers=reader).status_code == 200
        assert_problem(catalogue.get("/api/audit", headers=reader), 403, "takes an admin")
    assert catalogue.get("/api/audit").status_code == 200
    assert_problem(anonymous.get("/api/processes/pothole/history"), 401)


def test_changes_by_commands_and_at_start_up(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    from app.asgi import create_app
    from app.cli import main

    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(tmp_path / "data"))
    assert main(["processes", "import", str(DATA / "processes" / "permit.yaml")]) == 0
    started = settings.model_copy(
        update={"load_samples": True, "samples_dir": ROOT / "processes", "event_logs_dir": tmp_path}
    )
    app = create_app(started)
    with TestClient(app=app):
        engine = app.state.engine
        with Session(engine) as session:
            who = {(r.entity, r.username) for r in session.scalars(select(AuditEntry))}
    assert ("process", "cli") in who  # the command's import
    assert ("account", "system") in who  # the first admin, made at start-up


def test_bulk_statements_and_savepoints(catalogue: Client, engine: Engine) -> None:
    """Rows a bulk delete() or update() touches are recorded one by one; changes in a
    savepoint that is rolled back are not."""
    with session_scope(engine) as session:
        owner = Owner(name="Temp Owner")
        session.add(owner)
        with session.begin_nested() as savepoint:
            session.add(Owner(name="Never Stored"))
            session.flush()
            savepoint.rollback()
        session.execute(
            update(Owner).where(col(Owner.name) == "Temp Owner").values(email="t@city.example")
        )
        commit(session)
        flow = session.scalars(select(Flow).order_by(Flow.id)).first()
        assert flow is not None and flow.id is not None
        session.add(
            HandoffSignoff(flow_id=flow.id, department_id=1, username="b", state="confirmed")
        )
        commit(session)
        session.execute(delete(HandoffSignoff).where(col(HandoffSignoff.flow_id) == flow.id))
        session.execute(delete(Owner).where(col(Owner.name) == "Temp Owner"))
        commit(session)
    owners = audit(catalogue, entity="owner")
    assert not [e for e in owners if e["entity_key"] == "Never Stored"]
    # created and changed in one transaction: one creation with the final fields
    made = one(owners, "create", "owner", "Temp Owner")
    assert made["after"]["email"] == "t@city.example" and made["username"] == "system"
    assert one(owners, "delete", "owner", "Temp Owner")["before"]["email"] == "t@city.example"
    signoffs = audit(catalogue, entity="handoff_signoff")
    assert [e["action"] for e in signoffs] == ["delete", "create"]
    assert signoffs[0]["before"]["state"] == "confirmed" and signoffs[0]["process"] == "pothole"


def test_deleting_an_account_is_recorded(client: Client) -> None:
    created = client.post(
        "/api/users", json={"username": "gone", "password": "a long password", "role": "viewer"}
    )
    assert created.status_code == 201, created.text
    assert client.delete(f"/api/users/{created.json()['id']}").status_code == 204
    deleted = one(audit(client, entity="account"), "delete", "account", "gone")
    assert deleted["before"] == {
        "username": "gone",
        "role": "viewer",
        "active": True,
        "departments": [],
    }
    assert deleted["after"] is None


def test_an_import_in_the_background_is_recorded_as_the_uploader(settings: Any) -> None:
    from app.asgi import create_app

    app = create_app(settings.model_copy(update={"sync_import_bytes": 0}))
    with TestClient(app=app) as client:
        client.headers["Authorization"] = f"Bearer {bearer(app, 'uploader', 'analyst')}"
        response = client.post(
            "/api/event-logs", files={"file": ("handoffs.csv", HANDOFFS_LOG.read_bytes())}
        )
        assert response.status_code == 202, response.text
        job, deadline = response.json(), time.monotonic() + 60
        while job["state"] not in {"done", "failed"} and time.monotonic() < deadline:
            time.sleep(0.05)
            job = client.get(response.headers["location"]).json()
        assert job["state"] == "done", job
        client.headers["Authorization"] = f"Bearer {bearer(app, 'boss', 'admin')}"
        imported = one(
            audit(client, entity="event_log"),
            "create",
            "event_log",
            f"#{job['log_id']} handoffs.csv",
        )
    assert imported["username"] == "uploader"
