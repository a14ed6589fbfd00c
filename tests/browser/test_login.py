"""Signing in and out in a real browser; a viewer can read but the server refuses edits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, shot


@pytest.mark.signed_in_as(None)
@pytest.mark.refusals
def test_sign_in_and_out(page: Any, server: str) -> None:
    page.goto(f"{server}/#/logs")
    expect(page).to_have_url(re.compile(r"#/login\?next=%2Flogs$"))
    form = page.get_by_role("form", name="Sign in")
    expect(form.get_by_label("Username")).to_be_focused()
    form.get_by_label("Username").fill("vic")
    form.get_by_label("Password").fill("not the password")
    form.get_by_role("button", name="Sign in").click()
    expect(form.get_by_role("alert")).to_have_text("Wrong username or password.")
    shot(page, "login-refused")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Event logs", level=1)).to_be_visible()
    account = page.locator("#account")
    expect(account).to_contain_text("vic · viewer")
    shot(page, "signed-in-viewer")
    account.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    page.goto(f"{server}/#/")
    expect(page).to_have_url(re.compile(r"#/login"))


@pytest.mark.signed_in_as("vic")
@pytest.mark.refusals
def test_a_viewer_reads_but_cannot_edit(page: Any, server: str) -> None:
    expect(page.locator("#catalogue tbody tr")).to_have_count(6)
    answer = page.evaluate(
        """async () => {
            const me = await (await fetch('/api/auth/me')).json();
            const r = await fetch('/api/departments', {method: 'POST',
              headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token},
              body: JSON.stringify({name: 'Parks'})});
            return [r.status, (await r.json()).detail];
        }"""
    )
    assert answer == [403, "Your role (viewer) may not do this: it takes an analyst or an admin."]


@pytest.mark.signed_in_as("vic")
def test_a_viewer_is_not_offered_controls_they_cannot_use(page: Any, server: str) -> None:
    page.goto(server + "/#/processes/road-repair-request")
    expect(page.locator("#steps tbody tr").first).to_be_visible()
    expect(page.get_by_role("button", name="Add a step")).to_be_hidden()
    edits = page.locator("#steps button.needs-edit")
    assert edits.count() >= 12  # an Edit and a Delete per step, in the page but not shown
    expect(edits.first).to_be_hidden()
    expect(page.get_by_role("button", name="Copy as a new option")).to_be_hidden()
    page.goto(server + "/#/logs")
    expect(page.locator("#logs tbody tr").first).to_be_visible()
    expect(page.get_by_role("heading", name="Import a log")).to_be_hidden()
