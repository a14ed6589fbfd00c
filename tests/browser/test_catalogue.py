"""The catalogue in a real browser: browse, search and filter the sample processes."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import shot


def test_browse_and_search_the_catalogue(page: Any) -> None:
    expect(page.get_by_role("heading", name="Catalogue", level=1)).to_be_visible()
    rows = page.locator("#catalogue tbody tr")
    expect(rows).to_have_count(6)
    shot(page, "catalogue")
    page.get_by_label("Search").fill("garbage")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Missed garbage collection")
    page.get_by_label("Search").fill("")
    page.get_by_label("Department").select_option("Fire Services")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Business licence renewal")
    page.get_by_label("Department").select_option("")
    page.get_by_label("Search").fill("no such thing")
    expect(page.get_by_text("No process matches the search.")).to_be_visible()
