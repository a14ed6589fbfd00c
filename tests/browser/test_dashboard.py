"""A log's dashboard in a real browser: from the costliest handoff to its cases and one
case's timeline, filters bound to the address, the mined maps and conformance."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import shot

DEMO = "road-repair-requests.csv"


def open_demo(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Event logs").click()
    page.locator("#logs").get_by_role("link", name=DEMO, exact=True).click()
    expect(page.get_by_role("heading", name=DEMO, level=1)).to_be_visible()
    expect(page.locator("#log-figures")).to_contain_text("cases")
    expect(page.locator("#handoffs tbody tr").first).to_be_visible()


def test_from_the_top_handoff_to_a_case_timeline(page: Any) -> None:
    open_demo(page)
    figures = page.locator("#log-figures")
    expect(figures).to_contain_text("2,500")
    expect(figures).to_contain_text("24,934")
    expect(figures).to_contain_text("duplicate rows dropped")
    top = page.locator("#handoffs tbody tr").first
    expect(top).to_contain_text("Contact Centre")
    expect(top).to_contain_text("Roads & Sidewalks")
    shot(page, "dashboard")
    top.locator("a.cases-link").click()
    expect(page).to_have_url(re.compile(r"cases\?kind=handoff&from_department=Contact"))
    expect(
        page.get_by_role("heading", name="Handed from Contact Centre to Roads & Sidewalks")
    ).to_be_visible()
    rows = page.locator("#cases tbody tr")
    expect(rows).to_have_count(25)
    expect(page.get_by_text("Cases 1\u201325 of 2,404").first).to_be_visible()
    shot(page, "dashboard-handoff-cases")
    page.get_by_role("link", name="Next →").first.click()
    expect(page.get_by_text("Cases 26\u201350 of 2,404").first).to_be_visible()
    page.get_by_role("link", name="← Previous").first.click()
    expect(page.get_by_text("Cases 1\u201325 of 2,404").first).to_be_visible()
    first = rows.first.locator("a.case-link")
    case_id = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", name=f"Case {case_id}", level=1)).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tl-event").first).to_contain_text("Receive call")
    expect(timeline.locator(".tl-gap.handoff").first).to_contain_text("Contact Centre")
    shot(page, "case-timeline")


def test_a_department_filter_changes_every_figure(page: Any) -> None:
    open_demo(page)
    cases = page.locator("#log-figures .figure").first
    value = cases.locator(".figure-value")
    expect(value).to_have_text("2,500")
    page.locator("#filters").get_by_label("Councillor Office").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"department=Councillor\+Office"))
    expect(value).not_to_have_text("2,500")
    expect(cases).to_contain_text("of 2,500 in the log")
    expect(page.locator("#log-notes")).to_contain_text("Filters are applied")
    expect(page.locator("#filters").get_by_label("Councillor Office")).to_be_checked()
    shot(page, "dashboard-filtered")
    # the filters travel with the links to cases
    page.locator("#handoffs a.cases-link").first.click()
    expect(page).to_have_url(re.compile(r"department=Councillor\+Office"))
    expect(page.get_by_text("The dashboard's filters apply")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Clear filters").click()
    expect(value).to_have_text("2,500")


def test_tabs_maps_and_conformance(page: Any) -> None:
    open_demo(page)
    page.get_by_role("tab", name="Rework & double entry").click()
    expect(page.locator("#rework tbody tr").first).to_be_visible()
    expect(page.locator("#duplicates")).to_contain_text("Enter request details")
    shot(page, "dashboard-rework")
    page.get_by_role("tab", name="Variants").click()
    expect(page.locator("#variants tbody tr")).to_have_count(10)
    shot(page, "dashboard-variants")
    page.locator("#variants").get_by_role("button", name="Filter to variant 2").click()
    expect(page).to_have_url(re.compile(r"variant=Receive\+call"))
    expect(page.get_by_text("Remove variant filter")).to_be_visible()
    expect(page.locator("#variants tbody tr")).to_have_count(1)
    page.get_by_text("Remove variant filter").click()

    page.get_by_role("tab", name="Maps").click()
    expect(page.locator("#mined-map img")).to_be_visible(timeout=60_000)
    expect(page.locator("#mined-map-count")).to_have_text(
        re.compile(r"Showing \d+ of \d+ transitions \(frequency\)")
    )
    expect(page.locator("#customer-map img")).to_be_visible(timeout=60_000)
    page.get_by_role("radio", name="Performance (waits)").check()
    expect(page.locator("#mined-map figure[data-measure=performance] img")).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("#mined-map-count")).to_contain_text("(performance)")
    expect(page).to_have_url(re.compile(r"measure=performance"))
    shot(page, "dashboard-maps-performance")

    page.get_by_role("tab", name="Conformance").click()
    page.get_by_label("Documented process").select_option("road-repair-request")
    expect(page.locator("#fitness")).to_contain_text("fitness", timeout=60_000)
    expect(page.locator("#undocumented-activities")).to_contain_text("Escalate to councillor")
    expect(page.locator("#service-standards tbody tr").first).to_be_visible()
    expect(page.locator("#overlay-link")).to_have_attribute(
        "href", re.compile(r"#/processes/road-repair-request\?version=as-is&log=\d+")
    )
    shot(page, "dashboard-conformance")
    # the chosen tab and process are in the address: a reload shows them again
    page.reload()
    expect(page.get_by_role("tab", name="Conformance")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#fitness")).to_be_visible(timeout=60_000)
