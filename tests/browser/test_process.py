"""A process in a real browser: open it from the catalogue, see its map, edit a step and
watch the map change, hit the API's validation, overlay a log, copy the as-is as an option.

Edits go to ``water-billing-dispute``: the session's server is shared with the other
browser tests, which rely on the road-repair process and the demo logs for their numbers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

SLUG = "water-billing-dispute"
MAP_LOADED = """() => {
  const img = document.querySelector('#process-map');
  return img !== null && img.complete && img.naturalWidth > 0;
}"""


def open_process(page: Any, name: str = "Water billing dispute") -> None:
    page.locator("#catalogue").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    page.wait_for_function(MAP_LOADED)


def test_open_a_process_and_edit_a_step_redraws_the_map(page: Any, server: str) -> None:
    open_process(page)
    expect(page).to_have_url(re.compile(rf"#/processes/{SLUG}$"))
    expect(page.locator(".process-meta")).to_contain_text("Manager, Revenue Services")
    expect(page.locator(".process-meta")).to_contain_text("240 h")
    tabs = page.get_by_role("tab")
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    expect(tabs.first).to_contain_text("as-is")
    expect(page.get_by_role("tab", name=re.compile("to-be-billing-link"))).to_be_visible()
    expect(page.locator("#steps tbody tr")).to_have_count(12)
    expect(page.locator("#flows tbody tr.row-unowned")).to_have_count(3)
    expect(page.locator("main").get_by_role("link", name="Compare options")).to_have_attribute(
        "href", f"#/compare?process={SLUG}"
    )
    shot(page, "process")

    before_src = page.locator("#process-map").get_attribute("src")
    before = page.request.get(server + before_src)
    assert before.ok and "Read smart meter" not in before.text()

    page.get_by_role("button", name="Edit step Read meter").click()
    form = page.locator("#step-form")
    expect(form.get_by_role("heading")).to_have_text("Edit step “Read meter”")
    expect(form.get_by_label("Name")).to_be_focused()
    expect(form.get_by_label("System")).to_have_value("Handheld meter reader")
    form.get_by_label("Name").fill("Read smart meter")
    form.get_by_label("System").fill("AMI smart meter portal")
    form.get_by_label("Owner (role)").fill("Meter Data Analyst")
    shot(page, "process-step-editing")
    form.get_by_role("button", name="Save step").click()

    expect(page.locator("#steps-status")).to_contain_text("Step “Read smart meter” saved")
    row = page.locator("#steps tbody tr", has_text="Read smart meter")
    expect(row).to_contain_text("AMI smart meter portal")
    expect(row).to_contain_text("Meter Data Analyst")
    expect(page.locator("#process-map")).not_to_have_attribute("src", before_src)
    page.wait_for_function(MAP_LOADED)
    after_src = page.locator("#process-map").get_attribute("src")
    after = page.request.get(server + after_src)
    assert after.ok and after.body() != before.body()
    assert "Read smart meter" in after.text() and "AMI smart meter portal" in after.text()
    shot(page, "process-step-saved")


@pytest.mark.refusals
def test_validation_sentences_show_next_to_the_forms(page: Any) -> None:
    open_process(page)

    page.get_by_role("button", name="Edit step Receive billing dispute").click()
    form = page.locator("#step-form")
    form.get_by_label("Name").fill("")
    form.get_by_role("button", name="Save step").click()
    expect(form.get_by_role("alert")).to_contain_text("'name'")
    name_field = form.locator(".field[data-field=name]")
    expect(name_field).to_have_class(re.compile("invalid"))
    expect(name_field.locator(".error")).to_have_text("Required: this cannot be empty.")
    expect(form.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Name")).to_be_focused()
    shot(page, "process-step-invalid")
    form.get_by_role("button", name="Cancel").click()
    expect(page.locator("#steps tbody tr").first).to_contain_text("Receive billing dispute")

    # a second flow between the same two steps: the API refuses it (409)
    page.get_by_role("button", name="Add a flow").click()
    flows = page.locator("#flow-form")
    flows.get_by_label("From step").select_option("receive")
    flows.get_by_label("To step").select_option("log-cc")
    flows.get_by_role("button", name="Add flow").click()
    expect(flows.get_by_role("alert")).to_contain_text("already has a flow receive -> log-cc")
    shot(page, "process-flow-refused")

    # a standard of 0 hours is not a standard: the sentence sits by that field
    flows.get_by_label("To step").select_option("review-account")
    flows.get_by_label("Service standard (hours)").fill("0")
    flows.get_by_role("button", name="Add flow").click()
    expect(flows.locator(".field[data-field=standard_hours] .error")).to_have_text(
        "Must be more than 0."
    )
    # fixed, it is added as a handoff nobody owns yet, and flagged
    flows.get_by_label("Service standard (hours)").fill("8")
    flows.get_by_label("To step").select_option("log-finance")
    flows.get_by_role("button", name="Add flow").click()
    expect(page.locator("#flows-status")).to_contain_text(
        "Flow Receive billing dispute (Contact Centre) → Log dispute (Finance) added"
    )
    added = page.locator("#flows tbody tr", has_text="Receive billing dispute").filter(
        has_text="Log dispute (Finance)"
    )
    expect(added).to_have_class(re.compile("row-unowned"))
    expect(added).to_contain_text("unowned handoff")
    shot(page, "process-flow-added")

    # give it an owner, then delete it (two clicks: the first asks again)
    page.get_by_role("button", name="Edit flow Receive billing dispute to Log dispute").last.click()
    flows.get_by_label("Owner of the transfer").fill("Contact Centre Supervisor")
    flows.get_by_role("button", name="Save flow").click()
    expect(page.locator("#flows-status")).to_contain_text("saved")
    expect(added).not_to_have_class(re.compile("row-unowned"))
    delete = added.get_by_role("button", name=re.compile("Delete flow"))
    delete.click()
    expect(added.get_by_role("button", name=re.compile("Confirm"))).to_be_visible()
    added.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator("#flows-status")).to_contain_text("deleted")
    expect(added).to_have_count(0)


@pytest.mark.refusals
def test_overlay_a_log_and_copy_the_as_is_as_an_option(page: Any, server: str) -> None:
    open_process(page)
    demo = page.locator("#map-log option", has_text="road-repair-requests").first
    page.get_by_label("Overlay an event log").select_option(demo.get_attribute("value"))
    expect(page.locator("#process-map")).to_have_attribute("src", re.compile(r"&log=\d+"))
    page.wait_for_function(MAP_LOADED)
    expect(page.locator(".map-figure figcaption")).to_contain_text("median and p90 wait")
    expect(page).to_have_url(re.compile(r"log=\d+"))
    svg = page.request.get(server + page.locator("#process-map").get_attribute("src"))
    assert svg.ok and "mined overlay" in svg.text()
    shot(page, "process-log-overlay")
    page.get_by_label("Overlay an event log").select_option("")
    expect(page.locator("#process-map")).not_to_have_attribute("src", re.compile("log="))

    copy = page.locator("#copy-form")
    copy.get_by_label("Label of the new option").fill("option-c-smart-meters")
    copy.get_by_label("What changes").fill("Smart meters send readings to billing directly.")
    copy.get_by_label("Effort (months)").fill("6")
    copy.get_by_label("Expected impact").select_option("high")
    copy.get_by_role("button", name="Copy as a new option").click()

    tab = page.get_by_role("tab", name=re.compile("option-c-smart-meters"))
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_contain_text("draft")
    expect(page.get_by_role("heading", name="Option option-c-smart-meters")).to_be_visible()
    expect(page.locator(".option-figures")).to_contain_text("6 months")
    expect(page.locator(".option-figures")).to_contain_text("High")
    expect(page.locator("#steps tbody tr")).to_have_count(
        page.evaluate(
            "async () => (await (await fetch('/api/processes/water-billing-dispute')).json())"
            ".versions.find(v => v.label === 'as-is').steps.length"
        )
    )
    page.wait_for_function(MAP_LOADED)
    shot(page, "process-new-option")

    # the option's one-off cost; its status is not among the details (review moves it)
    page.get_by_role("button", name="Edit details").click()
    details = page.locator("#version-form")
    expect(details.get_by_label("Effort (months)")).to_be_focused()
    expect(details.get_by_label("Status")).to_have_count(0)
    details.get_by_label("One-off cost").fill("150000")
    shot(page, "process-option-details")
    details.get_by_role("button", name="Save details").click()
    expect(page.locator("#version-status")).to_contain_text("saved")
    # the admin sends it to review from the option's Review card
    page.locator("#review-body").get_by_role("button", name="Send to review").click()
    expect(tab).to_contain_text("in-review")
    expect(page.locator(".option-figures")).to_contain_text("$150,000")

    # the label is taken now: the API's sentence shows by the copy form
    copy.get_by_label("Label of the new option").fill("option-c-smart-meters")
    copy.get_by_role("button", name="Copy as a new option").click()
    expect(page.locator("#copy-form").get_by_role("alert")).to_contain_text("already has a version")
    # back to the as-is with the tab keyboard: Home then Enter
    tab.focus()
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab").first).to_have_attribute("aria-selected", "true")


@pytest.mark.refusals
def test_unknown_process_says_so(page: Any, server: str) -> None:
    page.goto(server + "/#/processes/no-such-process")
    expect(page.get_by_role("heading", name="Process not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("no-such-process")
    shot(page, "process-not-found")
