"""Departments in a real browser: the summary guide of who does what, the department
customer map, and one department's handoffs in and out with the waits a log records."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

IMAGE_LOADED = """(id) => {
  const img = document.getElementById(id);
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


def test_departments_list_and_customer_map(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Departments").click()
    expect(page.get_by_role("heading", name="Departments", level=1)).to_be_visible()
    rows = page.locator("#departments tbody tr")
    expect(rows.first).to_be_visible()
    contact = rows.filter(has_text="Contact Centre")
    expect(contact).to_have_count(1)
    expect(contact.get_by_role("link", name="Contact Centre")).to_have_attribute(
        "href", "#/departments/contact-centre"
    )
    page.wait_for_function(IMAGE_LOADED, arg="customer-map")
    assert "kind=as-is" in (page.locator("#customer-map").get_attribute("src") or "")
    shot(page, "departments")

    page.get_by_label("Versions").select_option("to-be")
    expect(page).to_have_url(re.compile(r"kind=to-be"))
    expect(page.locator("#departments caption")).to_contain_text("to-be options")
    expect(page.locator("#customer-map")).to_have_attribute("src", re.compile("kind=to-be"))
    page.wait_for_function(IMAGE_LOADED, arg="customer-map")
    page.go_back()
    expect(page.locator("#departments caption")).to_contain_text("as-is versions")


def test_department_from_a_process_with_mined_waits(page: Any, server: str) -> None:
    page.goto(server + "/#/processes/road-repair-request")
    expect(page.get_by_role("heading", name="Road repair request", level=1)).to_be_visible()
    page.locator(".process-meta").get_by_role("link", name="Contact Centre").click()
    expect(page.get_by_role("heading", name="Contact Centre", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Departments")

    handoffs_in = page.locator("#handoffs-in tbody tr")
    handoffs_out = page.locator("#handoffs-out tbody tr")
    expect(handoffs_in.first).to_be_visible()
    expect(handoffs_out.first).to_be_visible()
    road_in = handoffs_in.filter(has_text="Road repair request").filter(
        has_text="Update work order"
    )
    expect(road_in.first).to_contain_text("Roads & Sidewalks")
    unowned = page.locator("#handoffs-out tbody tr.row-unowned")
    expect(unowned.first).to_contain_text("unowned handoff")
    expect(page.locator("#department-processes")).to_contain_text("Enter request details")
    shot(page, "department")

    # as-is only: fewer handoffs, each an as-is one
    page.get_by_label("Versions").select_option("as-is")
    expect(page).to_have_url(re.compile("kind=as-is"))
    expect(page.locator("#handoffs-out tbody tr").first).to_be_visible()
    for badge in page.locator("#handoffs-out tbody .badge.info").all_inner_texts():
        assert badge == "as-is"
    expect(page.locator("#handoffs-out")).not_to_contain_text("option-a-crm")

    # mined from the demo log: counts and waits for every pair touching the department
    expect(page.locator("#department-mined")).to_contain_text("Choose a log")
    demo = page.locator("#department-log option", has_text="road-repair-requests").first
    log_id = demo.get_attribute("value")
    page.get_by_label("Event log").select_option(log_id)
    mined = page.locator("#department-mined-handoffs tbody tr")
    expect(mined.first).to_be_visible()
    expect(page).to_have_url(re.compile(rf"log={log_id}"))

    analysis = page.request.get(
        f"{server}/api/event-logs/{log_id}/analysis", params={"department": "Contact Centre"}
    ).json()
    pairs = [
        r
        for r in analysis["handoffs"]
        if "Contact Centre" in (r["from_department"], r["to_department"])
    ]
    expect(mined).to_have_count(len(pairs))
    biggest_in = max(
        (r for r in pairs if r["to_department"] == "Contact Centre"), key=lambda r: r["count"]
    )
    first = mined.first
    expect(first).to_contain_text("In")
    expect(first).to_contain_text(biggest_in["from_department"])
    expect(first).to_contain_text(f"{biggest_in['count']:,}")
    expect(first.get_by_role("link", name=re.compile("Cases with a handoff"))).to_have_attribute(
        "href", re.compile(r"kind=handoff&from_department=")
    )
    expect(page.locator("#department-mined")).to_contain_text("over standard")
    shot(page, "department-mined")

    # a log without this department says so instead of an empty table
    page.goto(server + "/#/departments/finance")
    expect(page.get_by_role("heading", name="Finance", level=1)).to_be_visible()
    page.get_by_label("Event log").select_option(log_id)
    expect(page.locator("#department-mined")).to_contain_text("records no event in Finance")


@pytest.mark.refusals
def test_unknown_department_says_so(page: Any, server: str) -> None:
    page.goto(server + "/#/departments/no-such-department")
    expect(page.get_by_role("heading", name="Department not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("no-such-department")
    expect(page.get_by_role("link", name="Back to the departments")).to_be_visible()
