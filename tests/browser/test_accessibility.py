"""Every page checked by axe-core (bundled with axe-playwright-python, run in the page):
no serious or critical accessibility violation."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.axe

PAGES = {
    "catalogue": "#/",
    "process": "#/processes/road-repair-request",
    "departments": "#/departments",
    "department": "#/departments/contact-centre",
    "owners": "#/owners",
    "logs": "#/logs",
    "compare": "#/compare?process=road-repair-request&from=as-is&to=option-a-crm",
}


def _serious(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s), e.g. "
        f"{v['nodes'][0]['target']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(page: Any, server: str, name: str) -> None:
    page.goto(f"{server}/{PAGES[name]}")
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []


def test_the_dashboard_and_a_timeline_have_no_serious_violations(page: Any, server: str) -> None:
    page.goto(f"{server}/#/logs")
    page.locator("#logs").get_by_role("link", name="road-repair-requests.csv").first.click()
    expect(page.locator("main h1")).to_have_text("road-repair-requests.csv")
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []
    page.locator("main a", has_text="cases").first.click()
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []
