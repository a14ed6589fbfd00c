"""Handoff sign-off: each department's branch lead confirms or disputes its side of the
handoffs of an as-is version; both confirmed means agreed; changing a flow resets it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import bearer
from tests.integration.conftest import Client, assert_problem

BASE = "/api/processes/pothole/versions/as-is"


@pytest.fixture
def leads(app: Litestar, catalogue: Client) -> Iterator[dict[str, Client]]:
    """Clients for a branch lead of Contact Centre (cleo) and one of Roads (rory); the
    app is already started by ``catalogue``."""
    clients: dict[str, Client] = {}
    for name, department in (("cleo", "Contact Centre"), ("rory", "Roads")):
        client: Client = TestClient(app=app)
        client.headers["Authorization"] = f"Bearer {bearer(app, name, 'branch-lead', [department])}"
        clients[name] = client
    yield clients


def handoff(client: Client, from_step: str) -> dict[str, Any]:
    """The sign-off entry of the pothole as-is handoff leaving ``from_step``."""
    listed = client.get(f"{BASE}/signoffs")
    assert listed.status_code == 200, listed.text
    entries: list[dict[str, Any]] = listed.json()["handoffs"]
    return next(e for e in entries if e["from_step"] == from_step)


def sign(
    client: Client, flow_id: int, department: str, state: str, comment: str | None = None
) -> Any:
    body = {"department": department, "state": state}
    if comment is not None:
        body["comment"] = comment
    return client.put(f"{BASE}/flows/{flow_id}/signoff", json=body)


def test_every_handoff_starts_pending_on_both_sides(catalogue: Client) -> None:
    body = catalogue.get(f"{BASE}/signoffs").json()
    assert (body["process"], body["version"]) == ("pothole", "as-is")
    assert [(e["from_step"], e["to_step"]) for e in body["handoffs"]] == [
        ("log-cc", "log-roads"),
        ("repair", "callback"),
    ]
    assert (body["agreed"], body["disputed"], body["pending"]) == (0, 0, 2)
    first = body["handoffs"][0]
    assert [(s["department"], s["state"], s["username"]) for s in first["sides"]] == [
        ("Contact Centre", "pending", None),
        ("Roads", "pending", None),
    ]
    assert first["agreed"] is False


def test_agreed_only_when_both_sides_confirm(catalogue: Client, leads: dict[str, Client]) -> None:
    flow_id = handoff(catalogue, "log-cc")["flow_id"]
    answer = sign(leads["cleo"], flow_id, "Contact Centre", "confirmed")
    assert answer.status_code == 200, answer.text
    entry = answer.json()
    assert [(s["state"], s["username"]) for s in entry["sides"]] == [
        ("confirmed", "cleo"),
        ("pending", None),
    ]
    assert entry["sides"][0]["updated_at"] and entry["agreed"] is False

    entry = sign(leads["rory"], flow_id, "roads", "confirmed", "  ").json()  # slug works too
    assert [s["state"] for s in entry["sides"]] == ["confirmed", "confirmed"]
    assert entry["sides"][1]["comment"] is None and entry["agreed"] is True
    body = catalogue.get(f"{BASE}/signoffs").json()
    assert (body["agreed"], body["disputed"], body["pending"]) == (1, 0, 1)


def test_a_lead_may_change_their_word_and_a_dispute_needs_a_comment(
    catalogue: Client, leads: dict[str, Client]
) -> None:
    flow_id = handoff(catalogue, "repair")["flow_id"]
    assert sign(leads["rory"], flow_id, "Roads", "confirmed").status_code == 200
    assert_problem(
        sign(leads["rory"], flow_id, "Roads", "disputed"), 400, "A dispute needs a comment"
    )
    assert_problem(sign(leads["rory"], flow_id, "Roads", "disputed", " "), 400, "needs a comment")
    assert handoff(catalogue, "repair")["sides"][0]["state"] == "confirmed"  # refusals kept it

    changed = sign(leads["rory"], flow_id, "Roads", "disputed", "The crew calls back, not us.")
    assert changed.status_code == 200, changed.text
    roads = handoff(catalogue, "repair")["sides"][0]
    assert (roads["department"], roads["state"], roads["comment"]) == (
        "Roads",
        "disputed",
        "The crew calls back, not us.",
    )
    body = catalogue.get(f"{BASE}/signoffs").json()
    assert (body["agreed"], body["disputed"], body["pending"]) == (0, 1, 1)
    assert sign(leads["rory"], flow_id, "Roads", "confirmed").json()["sides"][0]["comment"] is None


def test_only_a_lead_of_that_side_may_sign_for_it(
    catalogue: Client, leads: dict[str, Client]
) -> None:
    flow_id = handoff(catalogue, "log-cc")["flow_id"]
    assert_problem(
        sign(leads["cleo"], flow_id, "Roads", "confirmed"),
        403,
        "You lead Contact Centre, not Roads; only a branch lead of Roads can sign off for Roads.",
    )
    assert_problem(
        sign(leads["cleo"], flow_id, "Building", "confirmed"),
        400,
        "hands work from Contact Centre to Roads; sign off for one of them, not Building",
    )
    assert_problem(sign(leads["cleo"], flow_id, "Parks", "confirmed"), 404, "no department 'Parks'")
    assert [s["state"] for s in handoff(catalogue, "log-cc")["sides"]] == ["pending", "pending"]


@pytest.mark.parametrize("role", ["viewer", "analyst", "reviewer", "admin"])
def test_roles_other_than_branch_lead_may_not_sign_off(
    app: Litestar, catalogue: Client, role: str
) -> None:
    flow_id = handoff(catalogue, "log-cc")["flow_id"]
    client: Client = TestClient(app=app)
    token = bearer(app, f"someone-{role}", role, ["Contact Centre"])
    client.headers["Authorization"] = f"Bearer {token}"
    assert_problem(
        sign(client, flow_id, "Contact Centre", "confirmed"),
        403,
        f"Your role ({role}) may not do this: it takes a branch lead of the department.",
    )
    assert client.get(f"{BASE}/signoffs").status_code == 200  # reading is open


def test_only_handoffs_of_as_is_versions_are_signed_off(
    catalogue: Client, leads: dict[str, Client]
) -> None:
    inside = next(
        f
        for f in catalogue.get(f"{BASE}/flows").json()
        if (f["from"], f["to"]) == ("receive", "log-cc")
    )
    assert_problem(
        sign(leads["cleo"], inside["id"], "Contact Centre", "confirmed"),
        400,
        "stays within Contact Centre: it is not a handoff",
    )
    option = "/api/processes/pothole/versions/to-be"
    option_handoff = next(f for f in catalogue.get(f"{option}/flows").json() if f["handoff"])
    assert_problem(
        leads["cleo"].put(
            f"{option}/flows/{option_handoff['id']}/signoff",
            json={"department": "Contact Centre", "state": "confirmed"},
        ),
        409,
        "is a to-be option: only the handoffs of an as-is version are signed off",
    )
    assert_problem(catalogue.get(f"{option}/signoffs"), 409, "to-be option")
    assert_problem(
        sign(leads["cleo"], 999_999, "Contact Centre", "confirmed"), 404, "no flow 999999"
    )
    assert_problem(
        leads["cleo"].put(
            f"{BASE}/flows/{inside['id']}/signoff",
            json={"department": "Contact Centre", "state": "maybe"},
        ),
        400,
        "state",
    )


def test_review_queue_lists_a_departments_as_is_handoffs_pending_first(
    catalogue: Client, leads: dict[str, Client]
) -> None:
    queue = catalogue.get("/api/departments/contact-centre/review-queue").json()
    assert (queue["department"], queue["slug"]) == ("Contact Centre", "contact-centre")
    assert [(e["process"], e["version"], e["from_step"]) for e in queue["handoffs"]] == [
        ("pothole", "as-is", "log-cc"),
        ("pothole", "as-is", "repair"),
    ]
    assert (queue["pending"], queue["disputed"], queue["confirmed"]) == (2, 0, 0)

    sign(leads["cleo"], queue["handoffs"][0]["flow_id"], "Contact Centre", "confirmed")
    queue = catalogue.get("/api/departments/Contact Centre/review-queue").json()
    assert [(e["from_step"], e["side"]["state"]) for e in queue["handoffs"]] == [
        ("repair", "pending"),
        ("log-cc", "confirmed"),
    ]
    assert queue["handoffs"][1]["side"]["username"] == "cleo"
    assert (queue["pending"], queue["confirmed"]) == (1, 1)
    # the other side sees it still pending for them
    roads = catalogue.get("/api/departments/roads/review-queue").json()
    log_cc = next(e for e in roads["handoffs"] if e["from_step"] == "log-cc")
    assert log_cc["side"] == {
        "department": "Roads",
        "state": "pending",
        "username": None,
        "updated_at": None,
        "comment": None,
    }
    building = catalogue.get("/api/departments/building/review-queue").json()["handoffs"]
    assert {e["process"] for e in building} == {"permit-question"}
    assert_problem(catalogue.get("/api/departments/parks/review-queue"), 404, "no department")


def test_changing_a_flow_resets_its_signoffs(catalogue: Client, leads: dict[str, Client]) -> None:
    flow_id = handoff(catalogue, "log-cc")["flow_id"]
    other = handoff(catalogue, "repair")["flow_id"]
    for who, side in (("cleo", "Contact Centre"), ("rory", "Roads")):
        assert sign(leads[who], flow_id, side, "confirmed").status_code == 200
        assert sign(leads[who], other, side, "confirmed").status_code == 200

    # the same values again change nothing, so the agreement stands
    same = catalogue.patch(f"{BASE}/flows/{flow_id}", json={"standard_hours": 24})
    assert same.status_code == 200, same.text
    assert handoff(catalogue, "log-cc")["agreed"] is True

    assert catalogue.patch(f"{BASE}/flows/{flow_id}", json={"standard_hours": 8}).status_code == 200
    assert [s["state"] for s in handoff(catalogue, "log-cc")["sides"]] == ["pending", "pending"]
    assert handoff(catalogue, "repair")["agreed"] is True  # other flows keep theirs

    # a step moving to another department changes the sides of its flows
    moved = catalogue.patch(f"{BASE}/steps/callback", json={"department": "Communications"})
    assert moved.status_code == 200, moved.text
    repair = handoff(catalogue, "repair")
    assert [(s["department"], s["state"]) for s in repair["sides"]] == [
        ("Roads", "pending"),
        ("Communications", "pending"),
    ]
