"""The issue's whole story in a real browser: an admin creates accounts for a branch lead
and a reviewer; they sign in, sign off a handoff and move an option; the history shows
who did what. Also: each role signs in and sees its name and role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACCOUNTS, shot, sign_in

SLUG = "permit-inquiry"
NEW_PASSWORD = "a new colleague's password"


def _as(browser: Any, server: str, username: str, password: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(server + "/#/login")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#account")).to_contain_text(username)
    return page


def test_accounts_made_by_an_admin_sign_off_approve_and_show_in_the_history(
    page: Any, browser: Any, server: str
) -> None:
    page.locator("#account").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    add = page.get_by_role("form", name="Add an account")
    for username, role, department in (
        ("lee", "branch-lead", "Engineering"),
        ("ria", "reviewer", None),
    ):
        add.get_by_label("Username").fill(username)
        add.get_by_label("Password").fill(NEW_PASSWORD)
        add.get_by_label("Role").select_option(role)
        if department:
            add.get_by_label(department, exact=True).check()
        add.get_by_role("button", name="Add account").click()
        expect(page.get_by_text(f"Added {username} ({role}).")).to_be_visible()
    rows = page.locator("#users tbody tr")
    expect(rows.filter(has_text="lee")).to_contain_text("Engineering")
    shot(page, "accounts")

    lee = _as(browser, server, "lee", NEW_PASSWORD)
    lee.goto(f"{server}/#/processes/{SLUG}")
    confirm = lee.get_by_role("button", name=re.compile("^Confirm for Engineering")).first
    confirm.click()
    expect(lee.locator("#flows-status")).to_contain_text("Engineering confirmed the handoff")
    lee.context.close()

    ria = _as(browser, server, "ria", NEW_PASSWORD)
    ria.goto(f"{server}/#/processes/{SLUG}?version=option-b-permit-desk")
    review = ria.locator("#card-review").locator("..")
    review.get_by_role("button", name="Send to review").click()
    expect(ria.locator("#review-status")).to_contain_text("to in-review")
    ria.context.close()

    page.goto(f"{server}/#/processes/{SLUG}/history")
    history = page.locator("#audit-table tbody tr")
    expect(history.filter(has_text="lee").first).to_contain_text("confirmed")
    expect(history.filter(has_text="ria").first).to_contain_text("in-review")
    shot(page, "history-after-signoff-and-review")


@pytest.mark.signed_in_as(None)
@pytest.mark.refusals  # the first page load asks who is signed in: 401
@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_every_role_signs_in(page: Any, server: str, username: str) -> None:
    sign_in(page.context, server, username)
    page.goto(server + "/#/")
    role = ACCOUNTS[username][0]
    expect(page.locator("#account")).to_contain_text(f"{username} · {role}")
    expect(page.locator("#catalogue tbody tr")).to_have_count(6)
    admin_links = page.locator("#account").get_by_role("link", name="Accounts")
    expect(admin_links).to_have_count(1 if role == "admin" else 0)
