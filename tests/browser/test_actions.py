"""Improvement actions in a real browser: from a bottleneck of the demo log's dashboard to
an action for a branch lead, then the register with its baseline, a state change and a
comment."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.test_dashboard import open_demo


@pytest.mark.signed_in_as("ana")
def test_a_bottleneck_becomes_an_action_in_the_register(page: Any) -> None:
    open_demo(page)
    handoff = (
        page.locator("#bottlenecks tbody tr")
        .filter(has=page.locator(".badge", has_text="handoff"))
        .first
    )
    where = handoff.locator("td").nth(1).inner_text()
    handoff.get_by_role("button", name=re.compile("Make an action")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Make an action")).to_be_visible()
    expect(dialog.locator("#action-metric")).to_have_value("handoff_median_wait")
    now = float(
        re.search(r"Now ([\d,.]+)", dialog.locator("#action-now").inner_text())
        .group(1)
        .replace(",", "")
    )
    assert now > 0
    dialog.locator("#action-target").fill(f"{now / 2:.2f}")
    dialog.locator("#action-account").fill("bea")
    dialog.locator("#action-comment").fill("Agreed with the branch lead")
    shot(page, "make-action")
    dialog.get_by_role("button", name="Make the action").click()
    expect(dialog.locator("#action-status")).to_contain_text("made")
    dialog.get_by_role("link", name="Open the register").click()

    expect(page.get_by_role("heading", name="Improvement actions", level=1)).to_be_visible()
    row = page.locator("#actions tbody tr").first
    expect(row).to_contain_text("Bottleneck")
    expect(row).to_contain_text("bea")
    expect(row).to_contain_text("not yet measured")
    assert where.replace("→", "").split()[0] in row.inner_text()
    detail = page.locator("#action-detail")
    expect(detail).to_contain_text("Median wait of the handoff")
    expect(detail.locator("#action-comments")).to_contain_text("Agreed with the branch lead")
    expect(detail.locator("#measurements")).to_have_count(0)  # nothing later yet

    row.locator("select.state-select").select_option("in progress")
    expect(page.locator("#actions tbody tr").first.locator("select.state-select")).to_have_value(
        "in progress"
    )
    page.locator("#actions tbody tr").first.locator("button.link-button").click()
    page.locator("#comment-text").fill("Roads takes the calls directly from Monday")
    page.get_by_role("button", name="Comment").click()
    comments = page.locator("#action-comments")
    expect(comments).to_contain_text("[planned → in progress]")
    expect(comments).to_contain_text("Roads takes the calls directly from Monday")

    page.locator("#actions-state").select_option("done")
    page.locator("#actions-apply").click()
    expect(page).to_have_url(re.compile(r"#/actions\?state=done"))
    expect(page.locator("#main")).to_contain_text("No action matches these filters.")
    shot(page, "actions-register")
