"""The department scorecard page in a real browser: pick a log, a department and a
period; the figures match the API, with change arrows, sparklines and export links."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import shot


def test_scorecard_of_a_department(page: Any, server: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scorecards").click()
    expect(page.get_by_role("heading", name="Department scorecard", level=1)).to_be_visible()
    logs = page.request.get(f"{server}/api/event-logs").json()
    road = next(log for log in logs if "road" in log["name"].lower())
    page.get_by_label("Event log").select_option(str(road["id"]))
    expect(page).to_have_url(re.compile(rf"log={road['id']}"))
    page.get_by_label("Department").select_option("Roads & Sidewalks")
    expect(page).to_have_url(re.compile(r"department=Roads"))
    figures = page.locator("#sc-figures")
    # the first view works out 2 periods and 12 months of analyses, then they are cached
    expect(figures.locator("caption")).to_have_text(
        "Scorecard of Roads & Sidewalks", timeout=60_000
    )
    card = page.request.get(
        f"{server}/api/event-logs/{road['id']}/scorecards/Roads%20%26%20Sidewalks"
    ).json()
    cases = figures.locator("tr[data-figure=cases] td")
    expect(cases.nth(0)).to_have_text(f"{card['current']['cases']:,}")
    expect(cases.nth(1)).to_have_text(f"{card['previous']['cases']:,}")
    expect(cases.nth(2)).to_contain_text(re.compile("▲|▼|no change"))
    expect(
        figures.locator("tr[data-figure=median_holding_hours] svg.spark polyline")
    ).to_have_count(1)
    expect(figures.locator("svg.spark")).to_have_count(len(card["figures"]))
    expect(page.locator("#sc-csv")).to_have_attribute("href", re.compile(r"format=csv"))
    expect(page.locator("#sc-print")).to_have_attribute("href", re.compile(r"format=html"))
    shot(page, "scorecard")

    page.get_by_label("From").fill("2025-03-01")
    page.get_by_label("From").dispatch_event("change")
    expect(page).to_have_url(re.compile(r"from=2025-03-01"))
    expect(page.locator("#sc-body")).to_contain_text("cases starting 2025-03-01", timeout=60_000)

    page.goto(f"{server}/#/departments/engineering")
    page.locator("#department-scorecard").click()
    expect(page.locator("#sc-figures caption")).to_have_text(
        "Scorecard of Engineering", timeout=60_000
    )
