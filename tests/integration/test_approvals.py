"""Option approval: reviewers (and admins) move a to-be option along the allowed
transitions, each move recorded; the version PATCH cannot go around them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import bearer
from tests.integration.conftest import Client, assert_problem

OPTION = "/api/processes/pothole/versions/to-be"


@pytest.fixture
def reviewer(app: Litestar, catalogue: Client) -> Client:
    """A reviewer (rita); the app is already started by ``catalogue``."""
    client: Client = TestClient(app=app)
    client.headers["Authorization"] = f"Bearer {bearer(app, 'rita', 'reviewer')}"
    return client


def move(client: Client, to: str, comment: str | None = None) -> Any:
    body = {"to": to} if comment is None else {"to": to, "comment": comment}
    return client.post(f"{OPTION}/review", json=body)


def test_a_reviewer_takes_an_option_from_draft_to_approved(
    catalogue: Client, reviewer: Client
) -> None:
    state = catalogue.get(f"{OPTION}/review").json()
    assert state == {
        "process": "pothole",
        "version": "to-be",
        "status": "draft",
        "allowed": ["in-review"],
        "history": [],
    }
    sent = move(reviewer, "in-review", "Ready for the steering group.")
    assert sent.status_code == 201, sent.text
    assert (sent.json()["status"], sent.json()["allowed"]) == (
        "in-review",
        ["approved", "rejected", "draft"],
    )
    assert sent.json()["move"]["username"] == "rita"
    approved = move(reviewer, "approved").json()
    assert (approved["status"], approved["allowed"]) == ("approved", ["draft"])

    history = catalogue.get(f"{OPTION}/review").json()["history"]
    assert [(h["from_status"], h["to_status"], h["username"], h["comment"]) for h in history] == [
        ("draft", "in-review", "rita", "Ready for the steering group."),
        ("in-review", "approved", "rita", None),
    ]
    assert history[0]["created_at"] <= history[1]["created_at"]
    assert catalogue.get(OPTION).json()["status"] == "approved"
    tabs = catalogue.get("/api/processes/pothole/versions?kind=to-be").json()
    assert tabs[0]["status"] == "approved"


def test_illegal_moves_name_the_allowed_ones(catalogue: Client, reviewer: Client) -> None:
    assert_problem(
        move(reviewer, "approved"),
        409,
        "Option 'to-be' is draft; from draft it can move to in-review only.",
    )
    assert_problem(move(reviewer, "draft"), 409, "in-review only (it is already draft)")
    move(reviewer, "in-review")
    assert_problem(
        move(reviewer, "in-review"), 409, "it can move to approved, rejected or draft only"
    )
    assert_problem(move(reviewer, "published"), 400, "to")
    assert len(catalogue.get(f"{OPTION}/review").json()["history"]) == 1


def test_rejecting_and_reopening_need_a_comment(catalogue: Client, reviewer: Client) -> None:
    move(reviewer, "in-review")
    assert_problem(move(reviewer, "rejected"), 400, "Say why in a comment: rejecting needs one.")
    assert_problem(move(reviewer, "rejected", "   "), 400, "rejecting needs one")
    rejected = move(reviewer, "rejected", "The CRM licence is not funded.")
    assert rejected.status_code == 201 and rejected.json()["allowed"] == ["draft"]
    assert move(reviewer, "draft").json()["status"] == "draft"  # rework
    move(reviewer, "in-review")
    assert move(reviewer, "draft", "Needs the callback step back.").json()["status"] == "draft"
    move(reviewer, "in-review")
    move(reviewer, "approved")
    assert_problem(move(reviewer, "draft"), 400, "reopening an approved option needs one")
    assert move(reviewer, "draft", "Funding changed.").status_code == 201
    history = catalogue.get(f"{OPTION}/review").json()["history"]
    assert [h["to_status"] for h in history] == [
        "in-review",
        "rejected",
        "draft",
        "in-review",
        "draft",
        "in-review",
        "approved",
        "draft",
    ]


def test_as_is_versions_are_not_reviewed(catalogue: Client, reviewer: Client) -> None:
    as_is = "/api/processes/pothole/versions/as-is/review"
    assert_problem(
        reviewer.post(as_is, json={"to": "in-review"}),
        409,
        "is an as-is version: only to-be options go through review",
    )
    assert_problem(catalogue.get(as_is), 409, "as-is version")
    assert_problem(catalogue.get("/api/processes/pothole/versions/nope/review"), 404, "'nope'")


@pytest.mark.parametrize("role", ["analyst", "branch-lead", "viewer"])
def test_only_reviewers_and_admins_move_options(
    app: Litestar, catalogue: Client, role: str
) -> None:
    client: Client = TestClient(app=app)
    departments = ["Roads"] if role == "branch-lead" else []
    client.headers["Authorization"] = f"Bearer {bearer(app, f'who-{role}', role, departments)}"
    assert_problem(
        move(client, "in-review"),
        403,
        f"Your role ({role}) may not do this: it takes a reviewer or an admin.",
    )
    assert client.get(f"{OPTION}/review").status_code == 200
    assert move(catalogue, "in-review").status_code == 201  # the admin may


def test_the_version_patch_cannot_change_an_options_status(
    catalogue: Client, reviewer: Client
) -> None:
    assert_problem(
        catalogue.patch(OPTION, json={"status": "approved"}),
        409,
        "changes only through review: use the review endpoint",
    )
    # repeating the status, or changing other fields, is fine
    same = catalogue.patch(OPTION, json={"status": "draft", "effort_months": 4})
    assert same.status_code == 200 and same.json()["effort_months"] == 4
    # nor can an as-is version become an approved option in one PATCH
    as_is = "/api/processes/pothole/versions/as-is"
    assert_problem(catalogue.patch(as_is, json={"kind": "to-be", "status": "approved"}), 409)
    # an as-is version's own status still changes by PATCH
    assert catalogue.patch(as_is, json={"status": "retired"}).json()["status"] == "retired"
    assert catalogue.get(f"{OPTION}/review").json()["history"] == []
