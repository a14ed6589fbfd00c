"""Owners in a real browser: add, rename and delete an owner; an owner still accountable
for something cannot be deleted, and the page says why. Plus keyboard use of the shell."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot


@pytest.mark.refusals
def test_add_rename_and_delete_an_owner(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Owners").click()
    expect(page.get_by_role("heading", name="Owners", level=1)).to_be_visible()
    rows = page.locator("#owners tbody tr")
    before = rows.count()
    assert before > 10  # the sample processes name many owners

    add = page.get_by_role("form", name="Add an owner")
    add.get_by_label("Name").fill("Customer Experience Lead")
    add.get_by_label("Department").fill("Contact Centre")
    add.get_by_label("E-mail").fill("cx.lead@city.example")
    add.get_by_role("button", name="Add owner").click()
    expect(
        page.get_by_role("status").filter(has_text="Added Customer Experience Lead")
    ).to_be_visible()
    expect(rows).to_have_count(before + 1)

    page.get_by_label("Search").fill("experience")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cx.lead@city.example")
    rows.first.get_by_role("button", name="Edit owner Customer Experience Lead").click()
    form = page.get_by_role("form", name="Edit Customer Experience Lead")
    form.get_by_label("Name").fill("Customer Experience Manager")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved Customer Experience Manager.")).to_be_visible()
    shot(page, "owners")

    page.get_by_label("Search").fill("experience")
    delete = rows.first.get_by_role("button", name="Delete owner Customer Experience Manager")
    delete.click()
    expect(delete).to_have_text("Confirm delete")
    delete.click()
    expect(page.get_by_text("Deleted Customer Experience Manager.")).to_be_visible()
    expect(rows).to_have_count(0)

    # an owner who still owns steps is refused with the API's sentence
    page.get_by_label("Search").fill("Cashier")
    owner = rows.first
    button = owner.get_by_role("button", name="Delete owner Cashier")
    button.click()
    expect(button).to_have_text("Confirm delete")
    button.click()
    expect(page.locator("#owners").get_by_role("alert")).to_contain_text(
        "give them another owner first"
    )
    expect(rows).to_have_count(2)  # the owner's row, and the sentence under it
    shot(page, "owners-refused")


def test_the_shell_works_from_the_keyboard(page: Any) -> None:
    expect(page.locator("#catalogue tbody tr")).to_have_count(6)
    first = page.evaluate(
        "[...document.querySelectorAll('a[href], button, input, select, textarea')]"
        ".find((el) => el.tabIndex >= 0).className"
    )
    assert first == "skip"  # the first stop of the tab order
    skip = page.get_by_role("link", name="Skip to content")
    skip.focus()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # shown on screen when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.locator("#catalogue tbody tr")).to_have_count(6)  # still the catalogue
    # the main navigation is reachable and usable with Tab and Enter
    page.locator(".brand").focus()
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue")
    ).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Departments", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Departments")).to_have_attribute("aria-current", "page")
