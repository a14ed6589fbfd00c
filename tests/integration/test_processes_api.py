"""The catalogue API on SQLite and PostgreSQL: CRUD, filters, copies, bad input, exports."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.integration.conftest import PERMIT, POTHOLE, assert_problem, document, snapshot

Client = TestClient[Litestar]


def test_a_created_process_reads_back_with_derived_handoffs(catalogue: Client) -> None:
    process = catalogue.get("/api/processes/pothole").json()
    assert process["owner"] == "Director of Roads"
    assert process["departments"] == ["Contact Centre", "Roads"]
    as_is = process["versions"][0]
    assert [s["id"] for s in as_is["steps"]] == [
        "receive",
        "log-cc",
        "log-roads",
        "inspect",
        "repair",
        "callback",
    ]
    handoffs = [(f["from"], f["to"], f["owner"]) for f in as_is["flows"] if f["handoff"]]
    assert handoffs == [("log-cc", "log-roads", None), ("repair", "callback", "Roads Dispatcher")]
    summary = {p["slug"]: p for p in catalogue.get("/api/processes").json()}
    assert [(v["label"], v["steps"], v["handoffs"]) for v in summary["pothole"]["versions"]] == [
        ("as-is", 6, 2),
        ("to-be", 4, 1),
    ]
    assert [(v["label"], v["handoffs"]) for v in summary["permit-question"]["versions"]] == [
        ("as-is", 2)
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["permit-question", "pothole"]),
        ("?department=roads", ["pothole"]),
        ("?department=Engineering", ["permit-question"]),
        ("?owner=Permit%20Clerk", ["permit-question"]),
        ("?owner=Director%20of%20Roads", ["pothole"]),
        ("?owner=Roads%20Dispatcher", ["pothole"]),
        ("?kind=to-be", ["pothole"]),
        ("?kind=as-is", ["permit-question", "pothole"]),
        ("?q=PERMIT", ["permit-question"]),
        ("?q=potholes", ["pothole"]),
        ("?department=contact-centre&kind=to-be", ["pothole"]),
    ],
)
def test_process_list_filters(catalogue: Client, query: str, expected: list[str]) -> None:
    response = catalogue.get(f"/api/processes{query}")
    assert [p["slug"] for p in response.json()] == expected


def test_filter_by_unknown_department_is_a_404_problem(catalogue: Client) -> None:
    assert_problem(catalogue.get("/api/processes?department=parks"), 404, "no department 'parks'")


def test_a_slug_clash_is_refused_and_changes_nothing(catalogue: Client) -> None:
    before = snapshot(catalogue)
    changed = document(PERMIT) | {"slug": "pothole", "owner": "Someone New"}
    assert_problem(
        catalogue.post("/api/processes", json=changed), 409, "slug 'pothole' already exists"
    )
    assert snapshot(catalogue) == before


def test_an_invalid_process_is_refused_with_pointers_and_nothing_stored(client: Client) -> None:
    broken = document(POTHOLE)
    broken["versions"][0]["flows"].append({"from": "repair", "to": "nowhere"})
    body = assert_problem(
        client.post("/api/processes", json=broken), 422, "flow to 'nowhere' is not a step id"
    )
    assert body["errors"][0]["pointer"] == "/versions/0/flows/5/to"
    assert client.get("/api/processes").json() == []
    assert client.get("/api/departments").json() == []


def test_a_customer_longer_than_its_column_is_refused_on_every_database(client: Client) -> None:
    # the column holds 500 characters; PostgreSQL refused 501-2,000 where SQLite stored them
    too_long = document(POTHOLE)
    too_long["customer"] = "r" * 501
    body = assert_problem(
        client.post("/api/processes", json=too_long), 400, "customer", "at most 500 characters"
    )
    assert body["errors"][0]["key"] == "customer"
    assert client.get("/api/processes").json() == []
    longest = document(POTHOLE)
    longest["customer"] = "r" * 500
    assert client.post("/api/processes", json=longest).status_code == 201
    assert client.get("/api/processes/pothole").json()["customer"] == "r" * 500


def test_unknown_keys_in_a_body_are_refused(client: Client) -> None:
    broken = document(POTHOLE)
    broken["versions"][0]["steps"][0]["ownr"] = "x"
    body = assert_problem(client.post("/api/processes", json=broken), 400, "ownr")
    assert body["errors"]
    assert client.get("/api/processes").json() == []


def test_a_malformed_json_body_is_a_400_problem(client: Client) -> None:
    response = client.post(
        "/api/processes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


def test_unknown_things_are_404_problems(catalogue: Client) -> None:
    assert_problem(catalogue.get("/api/processes/nope"), 404, "There is no process 'nope'.")
    assert_problem(catalogue.get("/api/processes/pothole/versions/v9"), 404, "has no version 'v9'")
    assert_problem(
        catalogue.get("/api/processes/pothole/versions/as-is/steps/zzz"), 404, "no step 'zzz'"
    )
    assert_problem(catalogue.get("/api/processes/pothole/versions/as-is/flows/999999"), 404)
    assert_problem(catalogue.get("/api/owners/999999"), 404, "There is no owner 999999.")


def test_renaming_a_step_id_keeps_its_flows(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is"
    response = catalogue.patch(
        f"{base}/steps/inspect", json={"id": "assess", "name": "Assess site"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "assess"
    flows = [(f["from"], f["to"]) for f in catalogue.get(f"{base}/flows").json()]
    assert ("log-roads", "assess") in flows and ("assess", "repair") in flows


def test_moving_a_step_to_another_department_changes_the_handoffs(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is"
    catalogue.patch(
        f"{base}/steps/log-cc", json={"department": "Roads", "owner": "Roads Dispatcher"}
    )
    handoffs = [
        (f["from"], f["to"]) for f in catalogue.get(f"{base}/flows?handoffs_only=true").json()
    ]
    assert handoffs == [("receive", "log-cc"), ("repair", "callback")]


def test_step_filters(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is/steps"
    assert [s["id"] for s in catalogue.get(f"{base}?department=Roads").json()] == [
        "log-roads",
        "inspect",
        "repair",
    ]
    assert [s["id"] for s in catalogue.get(f"{base}?owner=Roads%20Inspector").json()] == ["inspect"]


def test_flow_filters(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is/flows"
    owned = catalogue.get(f"{base}?owner=Roads%20Dispatcher").json()
    assert [(f["from"], f["to"]) for f in owned] == [
        ("log-roads", "inspect"),
        ("inspect", "repair"),
        ("repair", "callback"),
    ]
    contact = catalogue.get(f"{base}?department=contact%20centre").json()
    assert len(contact) == 3


def test_deleting_a_step_in_use_is_refused_until_its_flows_go(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is"
    before = snapshot(catalogue)
    assert_problem(
        catalogue.delete(f"{base}/steps/callback"), 409, "used by 1 flow (repair -> callback)"
    )
    assert snapshot(catalogue) == before
    flow = next(f for f in catalogue.get(f"{base}/flows").json() if f["to"] == "callback")
    assert catalogue.delete(f"{base}/flows/{flow['id']}").status_code == 204
    assert catalogue.delete(f"{base}/steps/callback").status_code == 204
    assert "callback" not in [s["id"] for s in catalogue.get(f"{base}/steps").json()]


def test_a_patch_that_would_break_a_version_is_refused(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is"
    flow = catalogue.get(f"{base}/flows").json()[0]
    before = snapshot(catalogue)
    assert_problem(
        catalogue.patch(f"{base}/flows/{flow['id']}", json={"to": "deleted-step"}),
        422,
        "Flow to 'deleted-step' is not a step id of version 'as-is'",
    )
    assert_problem(
        catalogue.patch(f"{base}/flows/{flow['id']}", json={"to": "log-roads", "from": "log-cc"}),
        409,
        "already has a flow log-cc -> log-roads",
    )
    assert_problem(catalogue.patch(f"{base}/steps/receive", json={"id": "log-cc"}), 409)
    assert_problem(catalogue.patch(f"{base}/steps/receive", json={"owner": None}), 422)
    assert_problem(catalogue.patch(f"{base}", json={"status": "approved"}), 422, "not allowed")
    assert snapshot(catalogue) == before


def test_flow_owner_and_standard_can_be_set_and_cleared(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions/as-is/flows"
    unowned = next(f for f in catalogue.get(base).json() if f["owner"] is None)
    changed = catalogue.patch(
        f"{base}/{unowned['id']}", json={"owner": "Intake Lead", "standard_hours": 8}
    ).json()
    assert (changed["owner"], changed["standard_hours"]) == ("Intake Lead", 8)
    cleared = catalogue.patch(f"{base}/{unowned['id']}", json={"standard_hours": None}).json()
    assert (cleared["owner"], cleared["standard_hours"]) == ("Intake Lead", None)


def test_adding_steps_and_flows(catalogue: Client) -> None:
    base = "/api/processes/permit-question/versions/as-is"
    step = {
        "id": "notify",
        "name": "Notify applicant",
        "department": "Building",
        "owner": "Permit Clerk",
        "minutes": 3,
    }
    assert catalogue.post(f"{base}/steps", json=step).status_code == 201
    assert_problem(catalogue.post(f"{base}/steps", json=step), 409, "already has a step 'notify'")
    flow = catalogue.post(f"{base}/flows", json={"from": "answer", "to": "notify"})
    assert flow.status_code == 201 and flow.json()["handoff"] is False
    assert_problem(
        catalogue.post(f"{base}/flows", json={"from": "answer", "to": "ghost"}), 422, "'ghost'"
    )


def test_copying_the_as_is_starts_an_independent_to_be_option(catalogue: Client) -> None:
    response = catalogue.post(
        "/api/processes/pothole/versions/as-is/copy", json={"label": "option-b"}
    )
    assert response.status_code == 201, response.text
    copy = response.json()
    original = catalogue.get("/api/processes/pothole/versions/as-is").json()
    assert (copy["kind"], copy["status"]) == ("to-be", "draft")
    assert copy["steps"] == original["steps"]
    assert [(f["from"], f["to"], f["owner"]) for f in copy["flows"]] == [
        (f["from"], f["to"], f["owner"]) for f in original["flows"]
    ]
    catalogue.delete(
        "/api/processes/pothole/versions/option-b/flows/" + str(copy["flows"][-1]["id"])
    )
    catalogue.delete("/api/processes/pothole/versions/option-b/steps/callback")
    assert len(catalogue.get("/api/processes/pothole/versions/as-is").json()["steps"]) == 6
    assert_problem(
        catalogue.post("/api/processes/pothole/versions/as-is/copy", json={"label": "to-be"}),
        409,
        "already has a version 'to-be'",
    )
    labels = [
        v["label"] for v in catalogue.get("/api/processes/pothole/versions?kind=to-be").json()
    ]
    assert labels == ["to-be", "option-b"]


def test_version_kind_change_takes_that_kinds_default_status(catalogue: Client) -> None:
    response = catalogue.patch("/api/processes/pothole/versions/to-be", json={"kind": "as-is"})
    assert (response.json()["kind"], response.json()["status"]) == ("as-is", "current")


def test_the_last_version_cannot_be_deleted(catalogue: Client) -> None:
    assert_problem(
        catalogue.delete("/api/processes/permit-question/versions/as-is"), 409, "only version"
    )
    assert catalogue.delete("/api/processes/pothole/versions/to-be").status_code == 204


def test_export_gives_the_canonical_file_and_put_replaces(catalogue: Client) -> None:
    exported = catalogue.get("/api/processes/pothole/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    assert exported.text == POTHOLE.read_text()
    replacement = document(PERMIT) | {"slug": "pothole", "name": "Pothole (merged)"}
    replaced = catalogue.put("/api/processes/pothole", json=replacement)
    assert replaced.status_code == 200, replaced.text
    assert [v["label"] for v in replaced.json()["versions"]] == ["as-is"]
    assert catalogue.get("/api/processes/pothole").json()["name"] == "Pothole (merged)"


def test_yaml_import_endpoint_is_idempotent_and_refuses_silent_overwrites(client: Client) -> None:
    text = POTHOLE.read_text()
    url = "/api/processes/import"
    headers = {"content-type": "application/yaml"}
    first = client.post(url, content=text.encode(), headers=headers)
    assert first.status_code == 201 and first.json() == [{"slug": "pothole", "action": "created"}]
    again = client.post(url, content=text.encode(), headers=headers)
    assert again.json() == [{"slug": "pothole", "action": "unchanged"}]
    edited = text.replace("name: Pothole report", "name: Pothole report (v2)")
    assert_problem(client.post(url, content=edited.encode(), headers=headers), 409, "--replace")
    replaced = client.post(f"{url}?replace=true", content=edited.encode(), headers=headers)
    assert replaced.json() == [{"slug": "pothole", "action": "replaced"}]
    broken = client.post(url, content=b"slug: x\nname: [", headers=headers)
    assert_problem(broken, 422, "request body, line 2")


def test_process_without_owner_is_reported_and_cannot_be_exported(catalogue: Client) -> None:
    response = catalogue.patch("/api/processes/permit-question", json={"owner": None})
    assert response.status_code == 200 and response.json()["owner"] is None
    overview = catalogue.get("/api/who-does-what").json()
    assert [p["slug"] for p in overview["processes_without_owner"]] == ["permit-question"]
    assert_problem(
        catalogue.get("/api/processes/permit-question/export"), 409, "no accountable owner"
    )


def test_renaming_a_process_slug(catalogue: Client) -> None:
    response = catalogue.patch("/api/processes/pothole", json={"slug": "pothole-report"})
    assert response.json()["slug"] == "pothole-report"
    assert catalogue.get("/api/processes/pothole").status_code == 404
    assert_problem(
        catalogue.patch("/api/processes/pothole-report", json={"slug": "permit-question"}), 409
    )


def test_deleting_a_process_removes_its_versions(catalogue: Client) -> None:
    assert catalogue.delete("/api/processes/pothole").status_code == 204
    assert [p["slug"] for p in catalogue.get("/api/processes").json()] == ["permit-question"]
    assert catalogue.get("/api/handoffs?department=roads").json() == []


def test_option_figures_can_be_set_cleared_and_are_not_copied(catalogue: Client) -> None:
    base = "/api/processes/pothole/versions"
    figures = {"effort_months": 3, "one_off_cost": 12500.5, "expected_impact": "medium"}
    response = catalogue.patch(f"{base}/to-be", json=figures)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in figures} == figures
    summary = catalogue.get(f"{base}?kind=to-be").json()[0]
    assert {k: summary[k] for k in figures} == figures
    assert "expected_impact: medium" in catalogue.get("/api/processes/pothole/export").text
    copy = catalogue.post(f"{base}/to-be/copy", json={"label": "option-c", "effort_months": 1})
    assert copy.status_code == 201, copy.text
    assert [copy.json()[k] for k in figures] == [1, None, None]
    cleared = catalogue.patch(f"{base}/to-be", json={"expected_impact": None}).json()
    assert cleared["expected_impact"] is None and cleared["effort_months"] == 3
    assert_problem(catalogue.patch(f"{base}/to-be", json={"effort_months": 0}), 400)
    assert_problem(catalogue.patch(f"{base}/to-be", json={"expected_impact": "huge"}), 400)
