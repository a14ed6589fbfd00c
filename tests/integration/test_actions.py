"""Improvement actions: made from a finding on a first log, followed up on a second log
whose change is known, judged met or missed; states, comments, branch leads, problems,
CSV and the command line.

The two small logs under tests/data/logs/actions were built by hand:

- before.csv (4 cases, January 2025): Contact Centre -> Roads handed over 5 times with
  waits 1, 2, 4, 8 and 10 h (median 4 h, p90 9.2 h); case 2 goes Roads -> Contact Centre
  (16 h) and back, so Contact Centre -> Roads ping-pongs in 1 case; "Inspect" by Roads is
  redone in 2 of the 3 cases that have it; "Enter details" is keyed in by both
  departments in case 4.
- after.csv (4 cases, February 2025): the send-back and the double entry are gone; the
  handoff happens 3 times with waits 1, 2 and 5 h (median 2 h, p90 4.4 h).
- earlier.csv (December 2024): ends before the baseline, so it is no follow-up.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.cli import main
from app.domain.actions import followup
from tests.conftest import DATA, bearer
from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]
LOGS = DATA / "logs" / "actions"
CC, ROADS = "Contact Centre", "Roads"


def upload(client: Client, name: str) -> int:
    response = client.post("/api/event-logs", files={"file": (name, (LOGS / name).read_bytes())})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def make(client: Client, log_id: int, finding: dict[str, Any], **fields: Any) -> Any:
    body = {
        "finding": finding,
        "log_id": log_id,
        "account": "lead",
        "due": "2025-03-31",
        **fields,
    }
    return client.post("/api/actions", json=body)


def handoff(a: str = CC, b: str = ROADS) -> dict[str, str]:
    return {"kind": "handoff", "from_department": a, "to_department": b}


@pytest.fixture
def first(app: Litestar, client: Client) -> tuple[Client, int]:
    """The first log imported, a branch lead of Roads ("lead") and an owner."""
    for name in (CC, ROADS):
        response = client.post("/api/departments", json={"name": name})
        assert response.status_code == 201, response.text
    bearer(app, "lead", "branch-lead", [ROADS])
    assert client.post("/api/owners", json={"name": "Roads Supervisor"}).status_code == 201
    return client, upload(client, "before.csv")


def test_actions_from_findings_are_met_or_missed_on_the_later_log(
    first: tuple[Client, int],
) -> None:
    client, log1 = first
    median = make(client, log1, handoff(), target=3)
    assert median.status_code == 201, median.text
    created = median.json()
    assert (created["metric"], created["unit"], created["before"]) == (
        "handoff_median_wait",
        "hours",
        4.0,
    )
    assert (created["department"], created["account"], created["state"]) == (
        ROADS,
        "lead",
        "planned",
    )
    assert created["outcome"] == "not yet measured" and created["after"] is None
    volume = make(client, log1, handoff(), metric="handoff_volume", target=50).json()
    assert volume["before"] == 125.0  # 5 handoffs in 4 cases
    p90 = make(client, log1, handoff(), metric="handoff_p90_wait", target=6).json()
    assert p90["before"] == 9.2
    pingpong = make(
        client,
        log1,
        {"kind": "pingpong", "from_department": CC, "to_department": ROADS},
        target=0,
        owner="Roads Supervisor",
    ).json()
    assert (pingpong["before"], pingpong["owner"]) == (25.0, "Roads Supervisor")
    sendback = make(client, log1, handoff(ROADS, CC), target=8).json()
    assert (sendback["before"], sendback["department"]) == (16.0, CC)
    rework = make(
        client, log1, {"kind": "rework", "activity": "Inspect", "department": ROADS}, target=10
    ).json()
    assert rework["before"] == round(100 * 2 / 3, 4)
    double = make(
        client, log1, {"kind": "duplicate", "activity": "Enter details"}, department=CC, target=0
    ).json()
    assert double["before"] == 25.0
    step = make(client, log1, {"kind": "step", "activity": "Inspect"}, department=ROADS, target=4)
    assert step.json()["before"] == 8.0  # waits before Inspect: 4, 8, 2, 10, 12 h

    log2 = upload(client, "after.csv")  # the import measures every action on it
    rows = {row["id"]: row for row in client.get("/api/actions").json()}
    expected = {
        created["id"]: (2.0, "met"),
        volume["id"]: (75.0, "missed"),  # 3 handoffs in 4 cases: halved, not below 50
        p90["id"]: (4.4, "met"),
        pingpong["id"]: (0.0, "met"),
        sendback["id"]: (None, "not observed"),
        rework["id"]: (0.0, "met"),
        double["id"]: (0.0, "met"),
        step.json()["id"]: (2.0, "met"),  # waits before Inspect: 1, 2, 5 h
    }
    for ident, (after, outcome) in expected.items():
        assert (rows[ident]["after"], rows[ident]["outcome"]) == (after, outcome), rows[ident]
        assert rows[ident]["after_log_id"] == log2
    assert "does not occur" in rows[sendback["id"]]["after_note"]

    detail = client.get(f"/api/actions/{created['id']}").json()
    assert [(m["log_id"], m["value"], m["state"]) for m in detail["measurements"]] == [
        (log2, 2.0, "measured")
    ]
    assert "median_wait_s" in detail["definition"]


def test_only_later_logs_follow_up_and_a_chosen_log_can_be_measured(
    first: tuple[Client, int],
) -> None:
    client, log1 = first
    action = make(client, log1, handoff(), target=3).json()
    earlier = upload(client, "earlier.csv")
    assert client.get(f"/api/actions/{action['id']}").json()["measurements"] == []
    assert_problem(
        client.post(f"/api/actions/{action['id']}/measure", params={"log": earlier}),
        400,
        "not after the baseline log",
    )
    assert_problem(
        client.post(f"/api/actions/{action['id']}/measure", params={"log": log1}),
        400,
        "a follow-up needs a later log",
    )
    assert_problem(client.post(f"/api/actions/{action['id']}/measure", params={"log": 9999}), 404)
    log2 = upload(client, "after.csv")
    again = client.post(f"/api/actions/{action['id']}/measure", params={"log": log2})
    assert again.status_code == 200, again.text
    assert (again.json()["after"], again.json()["outcome"]) == (2.0, "met")
    assert len(client.get(f"/api/actions/{action['id']}").json()["measurements"]) == 1


def test_date_filters_hold_for_the_baseline_only(first: tuple[Client, int]) -> None:
    client, log1 = first
    filters = {"from": "2025-01-07", "department": [ROADS]}
    action = make(client, log1, handoff(), metric="handoff_volume", target=110, filters=filters)
    assert action.status_code == 201, action.text
    # cases 2, 3 and 4 start on or after Jan 7: 2 + 1 + 1 handoffs in 3 cases
    assert action.json()["before"] == round(400 / 3, 4)
    assert action.json()["filters"] == filters
    upload(client, "after.csv")  # February: the date filter would drop every case
    row = client.get(f"/api/actions/{action.json()['id']}").json()
    # the department filter stays: case D never touches Roads, so 3 handoffs in 3 cases
    # (75 per 100 cases without it)
    assert (row["after"], row["outcome"]) == (100.0, "met")


def test_a_large_log_is_measured_later(
    app: Litestar, first: tuple[Client, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log too large to analyse during its import is left pending; reading the register
    has its analysis computed in the background and fills the measurement in once it is
    cached (or it is measured on request)."""
    client, log1 = first
    action = make(client, log1, handoff(), target=3).json()
    monkeypatch.setattr(followup, "INLINE_EVENTS", 5)  # after.csv has 12 events
    # the service counts every log as large too: its analyses go to the background
    monkeypatch.setattr(app.state.background, "inline_events", 0)
    log2 = upload(client, "after.csv")
    row = client.get(f"/api/actions/{action['id']}").json()
    assert (row["outcome"], row["after"]) == ("pending", None)
    assert f"measure?log={log2}" in row["after_note"]
    deadline = time.monotonic() + 90
    while row["outcome"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        row = client.get(f"/api/actions/{action['id']}").json()
    assert (row["after"], row["outcome"]) == (2.0, "met")
    done = client.post(f"/api/actions/{action['id']}/measure", params={"log": log2}).json()
    assert (done["after"], done["outcome"]) == (2.0, "met")


def test_pending_follow_ups_complete_when_one_is_cached_and_another_is_not(
    app: Litestar, first: tuple[Client, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pending follow-up whose analysis is cached, one whose analysis has never been
    asked for: reading the register fills in the first and asks for the second in the
    background (on SQLite this used to wait on its own write lock, then answer 500)."""
    client, log1 = first
    plain = make(client, log1, handoff(), target=3).json()
    roads = make(client, log1, handoff(), target=3, filters={"department": [ROADS]}).json()
    monkeypatch.setattr(followup, "INLINE_EVENTS", 5)
    monkeypatch.setattr(app.state.background, "inline_events", 0)
    log2 = upload(client, "after.csv")
    deadline = time.monotonic() + 90
    url = f"/api/event-logs/{log2}/analysis"
    while client.get(url).status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.2)
    listing = client.get("/api/actions")
    assert listing.status_code == 200, listing.text
    outcomes = {row["id"]: row["outcome"] for row in listing.json()}
    assert outcomes[plain["id"]] == "met"
    while outcomes[roads["id"]] == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        outcomes = {row["id"]: row["outcome"] for row in client.get("/api/actions").json()}
    assert outcomes[roads["id"]] == "met"


def test_states_move_along_and_comments_are_kept(first: tuple[Client, int]) -> None:
    client, log1 = first
    ident = make(client, log1, handoff(), target=3, comment="Agreed at the March review").json()[
        "id"
    ]
    moved = client.patch(f"/api/actions/{ident}", json={"state": "in progress", "comment": "Go"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "in progress"
    assert_problem(client.patch(f"/api/actions/{ident}", json={"state": "bogus"}), 400)
    assert client.patch(f"/api/actions/{ident}", json={"state": "done"}).status_code == 200
    assert_problem(
        client.patch(f"/api/actions/{ident}", json={"state": "planned"}),
        409,
        "can move to in progress, not planned",
    )
    assert client.patch(f"/api/actions/{ident}", json={"state": "in progress"}).status_code == 200
    assert client.patch(f"/api/actions/{ident}", json={"state": "dropped"}).status_code == 200
    comment = client.post(f"/api/actions/{ident}/comments", json={"text": "Budget went elsewhere"})
    assert comment.status_code == 201, comment.text
    texts = [c["text"] for c in client.get(f"/api/actions/{ident}").json()["comments"]]
    assert texts == [
        "Agreed at the March review",
        "[planned → in progress] Go",
        "[in progress → done]",
        "[done → in progress]",
        "[in progress → dropped]",
        "Budget went elsewhere",
    ]
    assert [r["id"] for r in client.get("/api/actions", params={"state": "dropped"}).json()] == [
        ident
    ]
    assert client.get("/api/actions", params={"state": "planned"}).json() == []
    # a dropped action is not followed up
    upload(client, "after.csv")
    assert client.get(f"/api/actions/{ident}").json()["measurements"] == []
    changed = client.patch(f"/api/actions/{ident}", json={"target": 2.5, "due": "2025-01-01"})
    assert (changed.json()["target"], changed.json()["overdue"]) == (2.5, False)  # dropped
    assert_problem(client.patch(f"/api/actions/{ident}", json={"target": 5}), 400, "not lower")
    assert_problem(
        client.patch(f"/api/actions/{ident}", json={"account": ""}), 400, "needs an owner"
    )
    audit = client.get("/api/audit", params={"entity": "improvement_action"}).json()
    changes = [(e["action"], e["after"]) for e in audit["entries"]]
    assert ("update", {"target": 2.5, "due": "2025-01-01"}) in changes
    assert ("update", {"state": "dropped"}) in changes


def test_branch_leads_follow_up_only_their_departments(
    app: Litestar, first: tuple[Client, int]
) -> None:
    client, log1 = first
    roads = make(client, log1, handoff(), target=3).json()["id"]  # Roads (receiving side)
    centre = make(
        client, log1, handoff(ROADS, CC), target=8, account=None, owner="Roads Supervisor"
    )
    assert centre.status_code == 201, centre.text
    with TestClient(app=app) as lead:
        lead.headers["Authorization"] = f"Bearer {bearer(app, 'lead2', 'branch-lead', [ROADS])}"
        assert lead.patch(f"/api/actions/{roads}", json={"state": "in progress"}).status_code == 200
        assert (
            lead.post(f"/api/actions/{roads}/comments", json={"text": "On it"}).status_code == 201
        )
        assert_problem(
            lead.patch(f"/api/actions/{roads}", json={"target": 1}),
            403,
            "not its target",
        )
        assert_problem(
            lead.patch(f"/api/actions/{centre.json()['id']}", json={"state": "done"}),
            403,
            "You lead Roads, not Contact Centre",
        )
        assert_problem(
            lead.post(f"/api/actions/{centre.json()['id']}/comments", json={"text": "x"}), 403
        )
        assert_problem(lead.post("/api/actions", json={}), 403, "branch-lead")
        assert lead.get("/api/actions", params={"department": "roads"}).json()[0]["id"] == roads
    with TestClient(app=app) as viewer:
        viewer.headers["Authorization"] = f"Bearer {bearer(app, 'val', 'viewer')}"
        assert viewer.get(f"/api/actions/{roads}").status_code == 200
        assert_problem(viewer.patch(f"/api/actions/{roads}", json={"state": "done"}), 403, "viewer")


def test_bad_requests_are_problems_that_say_why(first: tuple[Client, int]) -> None:
    client, log1 = first
    assert_problem(
        make(client, log1, {"kind": "handoff", "from_department": CC}, target=1),
        400,
        "needs to_department",
    )
    assert_problem(
        make(client, log1, handoff(), metric="speed", target=1), 400, "no metric 'speed'"
    )
    assert_problem(
        make(client, log1, handoff(), metric="rework_share", target=1), 400, "does not name"
    )
    assert_problem(
        make(client, log1, handoff("Finance", CC), target=1), 400, "not observed in event log"
    )
    assert_problem(make(client, log1, handoff(), target=5), 400, "not lower than the baseline 4")
    assert_problem(make(client, log1, handoff(), target=3, account=None), 400, "needs an owner")
    assert_problem(make(client, log1, handoff(), target=3, account="nobody"), 404, "nobody")
    assert_problem(make(client, 9999, handoff(), target=3), 404, "no event log 9999")
    assert_problem(
        make(client, log1, {"kind": "step", "activity": "Inspect"}, target=3), 400, "department"
    )
    assert_problem(
        make(client, log1, {"kind": "standard", "from_step": "a", "to_step": "b"}, target=90),
        400,
        "needs the process",
    )
    assert_problem(make(client, log1, handoff(), target=3, due="someday"), 400)
    assert_problem(
        make(client, log1, handoff(), target=3, filters={"from": "yesterday"}), 400, "not a date"
    )
    assert_problem(client.get("/api/actions", params={"state": "finished"}), 400, "no state")
    assert_problem(client.get("/api/actions/424242"), 404, "no improvement action 424242")
    assert client.get("/api/actions").json() == []  # nothing half-made


def test_the_register_as_csv_is_safe_in_a_spreadsheet(first: tuple[Client, int]) -> None:
    client, log1 = first
    make(client, log1, handoff(), target=3, title='=HYPERLINK("http://x")')
    upload(client, "after.csv")
    response = client.get("/api/actions", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://x")'
    assert (rows[0]["before"], rows[0]["after"], rows[0]["target"], rows[0]["outcome"]) == (
        "4.0",
        "2.0",
        "3.0",
        "met",
    )


@pytest.mark.sqlite
def test_actions_from_the_command_line(
    app: Litestar,
    first: tuple[Client, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    client, log1 = first
    ident = make(client, log1, handoff(), target=3).json()["id"]
    settings = app.state.settings
    monkeypatch.setenv("HANDOFF_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HANDOFF_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HANDOFF_LOAD_SAMPLES", "false")
    monkeypatch.setattr(followup, "INLINE_EVENTS", 5)  # the import leaves it pending
    assert main(["import-log", str(LOGS / "after.csv")]) == 0
    log2 = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["actions", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["id"], row["outcome"]) == (ident, "pending")
    assert main(["actions", "measure", "--log", str(log2)]) == 0
    assert "met" in capsys.readouterr().out
    assert main(["actions", "list", "--department", ROADS, "--state", "planned"]) == 0
    listing = capsys.readouterr().out
    assert "4 → 2 hours (target 3): met" in listing
    out = tmp_path / "actions.csv"
    assert main(["actions", "list", "-o", str(out)]) == 0
    assert out.read_text().startswith("id,title,")
    assert main(["actions", "list", "--state", "finished"]) == 2
    assert "no state 'finished'" in capsys.readouterr().err
    assert main(["actions", "measure", "--log", "9999"]) == 2
    assert "no event log 9999" in capsys.readouterr().err
    assert main(["actions", "set-state", str(ident), "in progress", "--comment", "Go"]) == 0
    capsys.readouterr()
    assert main(["actions", "set-state", str(ident), "planned"]) == 0
    assert main(["actions", "set-state", "424242", "done"]) == 2
