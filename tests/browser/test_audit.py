"""The history of a process in a real browser: an edit shows with who made it and its
fields before → after; filters, the CSV file; a viewer reads it, the global trail is for
admins. These tests change ``business-licence-renewal`` only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import shot

SLUG = "business-licence-renewal"


@pytest.mark.axe
def test_an_edit_shows_on_the_process_history_with_before_and_after(page: Any, server: str) -> None:
    page.goto(f"{server}/#/processes/{SLUG}")
    expect(page.get_by_role("heading", name="Business licence renewal", level=1)).to_be_visible()
    page.get_by_role("button", name="Edit step Inspect premises").click()
    form = page.locator("#step-form")
    form.get_by_label("System").fill("Tablet checklist")
    form.get_by_label("Hands-on minutes").fill("45")
    form.get_by_role("button", name="Save step").click()
    expect(page.locator("#steps-status")).to_contain_text("saved")

    page.locator("main").get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(rf"#/processes/{SLUG}/history$"))
    heading = page.get_by_role("heading", name="History of Business licence renewal", level=1)
    expect(heading).to_be_visible()
    rows = page.locator("#audit-table tbody tr")
    newest = rows.first
    expect(newest).to_contain_text("tester")
    expect(newest).to_contain_text("changed")
    expect(newest).to_contain_text("as-is/inspect-premises")
    expect(newest.locator("del")).to_have_text(["60", "Paper checklist"])
    expect(newest.locator("ins")).to_have_text(["45", "Tablet checklist"])
    # what the samples' loading at start-up created is there too, by "system"
    expect(page.locator("#audit-table caption")).to_contain_text("changes, newest first")
    by_system = page.locator("#audit-table tbody td:nth-child(2)", has_text=re.compile("^system$"))
    expect(by_system.first).to_be_visible()
    shot(page, "process-history")
    assert [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ] == []

    page.get_by_label("What").select_option("step")
    page.get_by_label("Who").fill("tester")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"entity=step&user=tester"))
    expect(rows).to_have_count(1)
    csv_link = page.get_by_role("link", name="Download CSV")
    href = csv_link.get_attribute("href")
    assert href == f"/api/processes/{SLUG}/history?entity=step&user=tester&format=csv"
    with page.expect_download() as download:
        csv_link.click()
    text = download.value.path().read_text()
    assert text.startswith("id,at,username,action,entity,entity_key,process,fields,before,after")
    assert "Tablet checklist" in text and f"{SLUG}/as-is/inspect-premises" in text

    page.get_by_role("link", name="Back to the process").click()
    expect(page.get_by_role("heading", name="Business licence renewal", level=1)).to_be_visible()


@pytest.mark.refusals
@pytest.mark.signed_in_as("vic")
def test_a_viewer_reads_a_history_but_not_the_whole_trail(page: Any, server: str) -> None:
    page.goto(f"{server}/#/processes/{SLUG}/history")
    expect(page.get_by_role("heading", name="History of Business licence renewal")).to_be_visible()
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    expect(page.get_by_role("link", name="All changes")).to_have_count(0)  # admins only
    page.goto(f"{server}/#/audit")
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("takes an admin")


def test_an_admin_reads_the_whole_trail(page: Any, server: str) -> None:
    page.goto(f"{server}/#/processes/{SLUG}/history")
    page.locator("main").get_by_role("link", name="All changes").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_be_visible()
    page.get_by_label("What").select_option("account")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"#/audit\?entity=account$"))
    vic = rows.filter(has_text="vic")
    expect(vic).to_have_count(1)
    expect(vic).to_contain_text("created")
    expect(vic).to_contain_text("viewer")
    expect(page.locator("main")).not_to_contain_text("password_hash")
