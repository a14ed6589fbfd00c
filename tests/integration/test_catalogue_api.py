"""Departments, owners and the who-does-what guide, against hand-counted expectations.

The two test processes (tests/data/processes) hold these handoffs:
  pothole as-is:   log-cc -> log-roads  Contact Centre -> Roads   unowned, 24 h
                   repair -> callback   Roads -> Contact Centre   Roads Dispatcher, 48 h
  pothole to-be:   receive -> inspect   Contact Centre -> Roads   Contact Centre Supervisor, 4 h
  permit as-is:    ask -> review        Building -> Engineering   Permit Clerk, 48 h
                   review -> answer     Engineering -> Building   unowned
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import assert_problem

Client = TestClient[Litestar]


def pairs(handoffs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(h["process"], h["from_step"], h["to_step"]) for h in handoffs]


def test_who_does_what_for_roads(catalogue: Client) -> None:
    guide = catalogue.get("/api/departments/roads/who-does-what").json()
    assert guide["department"] == {
        "slug": "roads",
        "name": "Roads",
        "processes": 1,
        "steps": 6,
        "owners": 3,
    }
    assert [(p["slug"], p["versions"], p["steps"]) for p in guide["processes"]] == [
        (
            "pothole",
            ["as-is", "to-be"],
            ["Enter request details", "Inspect site", "Notify resident", "Repair pothole"],
        ),
    ]
    assert pairs(guide["handoffs_in"]) == [
        ("pothole", "log-cc", "log-roads"),
        ("pothole", "receive", "inspect"),
    ]
    assert pairs(guide["handoffs_out"]) == [("pothole", "repair", "callback")]
    assert pairs(guide["unowned_handoffs"]) == [("pothole", "log-cc", "log-roads")]
    first_in = guide["handoffs_in"][0]
    assert (first_in["from_department"], first_in["to_department"]) == ("Contact Centre", "Roads")
    assert (first_in["owner"], first_in["standard_hours"]) == (None, 24)
    assert (first_in["version"], first_in["version_kind"]) == ("as-is", "as-is")


def test_who_does_what_limited_to_the_as_is(catalogue: Client) -> None:
    guide = catalogue.get("/api/departments/contact-centre/who-does-what?kind=as-is").json()
    assert pairs(guide["handoffs_out"]) == [("pothole", "log-cc", "log-roads")]
    assert pairs(guide["handoffs_in"]) == [("pothole", "repair", "callback")]
    assert guide["processes"][0]["versions"] == ["as-is"]


def test_department_found_by_name_as_well_as_slug(catalogue: Client) -> None:
    by_name = catalogue.get("/api/departments/Contact%20Centre/who-does-what").json()
    by_slug = catalogue.get("/api/departments/contact-centre/who-does-what").json()
    assert by_name == by_slug
    assert_problem(catalogue.get("/api/departments/parks/who-does-what"), 404, "parks")


def test_catalogue_overview_counts_and_gaps(catalogue: Client) -> None:
    overview = catalogue.get("/api/who-does-what").json()
    rows = {
        d["name"]: (d["processes"], d["handoffs_in"], d["handoffs_out"], d["unowned_handoffs"])
        for d in overview["departments"]
    }
    assert rows == {
        "Building": (1, 1, 1, 1),
        "Contact Centre": (1, 1, 2, 1),
        "Engineering": (1, 1, 1, 1),
        "Roads": (1, 2, 1, 1),
    }
    assert pairs(overview["unowned_handoffs"]) == [
        ("permit-question", "review", "answer"),
        ("pothole", "log-cc", "log-roads"),
    ]
    assert overview["processes_without_owner"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "?unowned=true",
            [("permit-question", "review", "answer"), ("pothole", "log-cc", "log-roads")],
        ),
        (
            "?unowned=false&department=roads",
            [("pothole", "repair", "callback"), ("pothole", "receive", "inspect")],
        ),
        ("?owner=Permit%20Clerk", [("permit-question", "ask", "review")]),
        ("?kind=to-be", [("pothole", "receive", "inspect")]),
    ],
)
def test_handoff_list_filters(
    catalogue: Client,
    query: str,
    expected: list[tuple[str, str, str]],
) -> None:
    assert pairs(catalogue.get(f"/api/handoffs{query}").json()) == expected


def test_departments_list_with_counts(catalogue: Client) -> None:
    rows = [
        (d["slug"], d["processes"], d["steps"]) for d in catalogue.get("/api/departments").json()
    ]
    assert rows == [
        ("building", 1, 2),
        ("contact-centre", 1, 4),
        ("engineering", 1, 1),
        ("roads", 1, 6),
    ]


def test_department_create_rename_delete(catalogue: Client) -> None:
    created = catalogue.post("/api/departments", json={"name": "Parks & Recreation"})
    assert created.status_code == 201 and created.json()["slug"] == "parks-recreation"
    assert_problem(
        catalogue.post("/api/departments", json={"name": "Parks & Recreation"}),
        409,
        "already exists",
    )
    renamed = catalogue.patch("/api/departments/roads", json={"name": "Roads & Sidewalks"})
    assert renamed.json()["slug"] == "roads-sidewalks"
    process = catalogue.get("/api/processes/pothole").json()
    assert process["departments"] == ["Contact Centre", "Roads & Sidewalks"]
    assert_problem(catalogue.delete("/api/departments/roads-sidewalks"), 409, "still has 6 step(s)")
    assert catalogue.delete("/api/departments/parks-recreation").status_code == 204
    assert_problem(catalogue.post("/api/departments", json={"name": ""}), 400)


def test_owners_list_counts_what_they_own(catalogue: Client) -> None:
    owners = {o["name"]: o for o in catalogue.get("/api/owners").json()}
    dispatcher = owners["Roads Dispatcher"]
    # steps: as-is log-roads, to-be notify; flows: 3 in the as-is, 1 in the to-be
    assert (dispatcher["department"], dispatcher["steps"], dispatcher["flows"]) == ("Roads", 2, 4)
    assert (
        owners["Director of Roads"]["processes"],
        owners["Director of Roads"]["department"],
    ) == (1, None)
    roads = [o["name"] for o in catalogue.get("/api/owners?department=roads").json()]
    assert roads == ["Roads Crew Lead", "Roads Dispatcher", "Roads Inspector"]
    assert [o["name"] for o in catalogue.get("/api/owners?q=clerk").json()] == ["Permit Clerk"]


def test_owner_create_update_delete(catalogue: Client) -> None:
    created = catalogue.post(
        "/api/owners",
        json={"name": "Manager, 311", "department": "Contact Centre", "email": "m@city.example"},
    )
    assert created.status_code == 201, created.text
    owner = created.json()
    assert (owner["department"], owner["steps"]) == ("Contact Centre", 0)
    assert_problem(catalogue.post("/api/owners", json={"name": "Manager, 311"}), 409)
    assert_problem(catalogue.post("/api/owners", json={"name": "X", "email": "not-an-email"}), 400)
    updated = catalogue.patch(
        f"/api/owners/{owner['id']}", json={"department": None, "email": None}
    )
    assert (updated.json()["department"], updated.json()["email"]) == (None, None)
    assert catalogue.delete(f"/api/owners/{owner['id']}").status_code == 204
    clerk = next(o for o in catalogue.get("/api/owners").json() if o["name"] == "Permit Clerk")
    assert_problem(catalogue.delete(f"/api/owners/{clerk['id']}"), 409, "still owns")


def test_renaming_an_owner_renames_it_everywhere(catalogue: Client) -> None:
    clerk = next(o for o in catalogue.get("/api/owners").json() if o["name"] == "Permit Clerk")
    catalogue.patch(f"/api/owners/{clerk['id']}", json={"name": "Permit Technician"})
    steps = catalogue.get("/api/processes/permit-question/versions/as-is/steps").json()
    assert [s["owner"] for s in steps] == [
        "Permit Technician",
        "Development Engineer",
        "Permit Technician",
    ]


def test_renaming_a_department_never_clashes_on_its_slug(client: Client) -> None:
    for name in ("Roads", "Roads.", "Roads:", "B", "Roads?"):
        assert client.post("/api/departments", json={"name": name}).status_code == 201
    renamed = client.patch("/api/departments/b", json={"name": "Roads;"})
    assert renamed.status_code == 200, renamed.text
    slugs = [d["slug"] for d in client.get("/api/departments").json()]
    assert len(slugs) == len(set(slugs)) == 5


def test_control_characters_in_names_are_refused(client: Client) -> None:
    for name in ("Z\u0000", "Line\nbreak", "Next\u0085line", "Sep\u2028arator"):
        body = assert_problem(client.post("/api/departments", json={"name": name}), 400)
        assert "holds characters that are not allowed here" in body["detail"]
    assert client.get("/api/departments").json() == []


def test_customer_map_of_the_catalogue(catalogue: Client) -> None:
    """As-is steps per department (hand-counted from the YAML): Building 2 (permit),
    Contact Centre 3, Engineering 1, Roads 3 (pothole)."""
    as_is = catalogue.get("/api/customer-map").json()
    assert as_is["source"] == "catalogue" and as_is["kind"] == "as-is"
    assert [
        (d["department"], d["steps"], d["handoffs_in"], d["handoffs_out"])
        for d in as_is["departments"]
    ] == [
        ("Building", 2, 1, 1),
        ("Contact Centre", 3, 1, 1),
        ("Engineering", 1, 1, 1),
        ("Roads", 3, 1, 1),
    ]
    assert [
        (
            h["from_department"],
            h["to_department"],
            h["count"],
            h["processes"],
            h["unowned"],
            h["tightest_standard_hours"],
        )
        for h in as_is["handoffs"]
    ] == [
        ("Building", "Engineering", 1, ["permit-question"], 0, 48),
        ("Contact Centre", "Roads", 1, ["pothole"], 1, 24),
        ("Engineering", "Building", 1, ["permit-question"], 1, None),
        ("Roads", "Contact Centre", 1, ["pothole"], 0, 48),
    ]
    to_be = catalogue.get("/api/customer-map?kind=to-be").json()
    assert [
        (h["from_department"], h["to_department"], h["tightest_standard_hours"])
        for h in to_be["handoffs"]
    ] == [("Contact Centre", "Roads", 4)]
