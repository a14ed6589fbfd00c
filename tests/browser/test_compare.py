"""Compare options in a real browser: as-is against an option on maps and numbers, the
program review with its weights and exports, and selections kept in the URL.

Uses road-repair-request read-only (other browser tests edit other processes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest
from tests.browser.conftest import shot

SLUG = "road-repair-request"
LOG_NAME = "road-repair-requests.csv"
TIMES = "\u00d7"  # the multiplication sign before a weight in a column head


def _loaded(page: Any, image_id: str) -> None:
    """Wait until the map image has been drawn (an SVG from the server, width > 0)."""
    page.locator(f"#{image_id}").scroll_into_view_if_needed()
    page.wait_for_function(
        "id => { const i = document.getElementById(id);"
        " return i && i.complete && i.naturalWidth > 0; }",
        arg=image_id,
    )


def _clip(locator: Any, name: str) -> None:
    """A screenshot of one part of the page, next to the full-page ones."""
    conftest.SHOTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(conftest.SHOTS / f"{name}.png"))


def _top(page: Any) -> None:
    page.evaluate("window.scrollTo(0, 0)")


def _metric(page: Any, label: str) -> Any:
    return page.locator("#cmp-metrics tbody tr", has=page.locator("td", has_text=label)).first


def _log_value(page: Any) -> str:
    value: str = page.locator("#cmp-log option", has_text=LOG_NAME).get_attribute("value")
    return value


def _ranking(page: Any) -> Any:
    return page.locator("#cmp-ranking tbody tr")


def test_compare_the_as_is_with_an_option_and_review_every_option(
    page: Any, server: str, tmp_path: Path
) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare options").click()
    expect(page.get_by_role("heading", name="Compare options", level=1)).to_be_visible()
    expect(page.locator("#cmp-processes tbody tr")).to_have_count(6)
    shot(page, "compare-choose-a-process")

    page.get_by_label("Process", exact=True).select_option(SLUG)
    expect(page.get_by_label("As-is (from)", exact=True)).to_have_value("as-is")
    expect(page.get_by_label("Option (to)", exact=True)).to_have_value("option-a-crm")
    page.get_by_label("Option (to)", exact=True).select_option("option-a-crm")
    expect(page).to_have_url(re.compile(r"process=road-repair-request"))
    # the focus stays on the control that was used
    expect(page.get_by_label("Option (to)", exact=True)).to_be_focused()

    # both versions' maps and the diff map load
    for image in ("cmp-map-from", "cmp-map-to", "cmp-diff-map"):
        _loaded(page, image)

    # the section 4 numbers: hand-counted from processes/road-repair-request.yaml
    handoffs = _metric(page, "Handoffs between departments").locator("td")
    expect(handoffs.nth(1)).to_have_text("5")
    expect(handoffs.nth(2)).to_have_text("2")
    expect(handoffs.nth(3)).to_contain_text("\u22123")
    expect(handoffs.nth(3).locator(".cmp-delta")).to_have_class(re.compile(r"\bbetter\b"))
    expect(page.locator("#cmp-summary")).to_contain_text("3 fewer handoffs")
    expect(page.locator("#cmp-removed-handoffs")).to_contain_text("Engineering → Roads & Sidewalks")
    expect(page.locator("#cmp-removed-steps")).to_contain_text("Verify road jurisdiction")
    expect(page.locator("#cmp-changed-steps")).to_contain_text("Close request")
    # no log yet: said plainly, with the select offered
    cycle = _metric(page, "Expected cycle time (median)").locator("td")
    expect(cycle.nth(1)).to_have_text("needs a log")
    expect(page.locator("#cmp-numbers")).to_contain_text("Expected cycle times need an event log")
    expect(_ranking(page)).to_have_count(3)
    expect(page.locator("#cmp-ranking")).to_contain_text("missing")
    _top(page)
    shot(page, "compare-as-is-vs-option-a")

    # the diff map's other style
    page.get_by_role("button", name="Both maps in one drawing").click()
    expect(page.locator("#cmp-diff-map")).to_have_attribute("src", re.compile("side-by-side"))
    _loaded(page, "cmp-diff-map")
    _clip(page.locator("section[aria-labelledby=cmp-diff-title]"), "compare-side-by-side-map")
    page.get_by_role("button", name="Differences on one map").click()
    _loaded(page, "cmp-diff-map")
    page.get_by_role("group", name="Zoom of the two maps").get_by_role("button", name="75%").click()
    _clip(page.locator("section[aria-labelledby=cmp-maps-title]"), "compare-maps-zoomed")

    # pick the demo road-repair log: expected cycle hours appear
    page.get_by_label("Event log (optional)", exact=True).select_option(_log_value(page))
    cycle = _metric(page, "Expected cycle time (median)").locator("td")
    expect(cycle.nth(1)).to_have_text(re.compile(r"^[\d,]+\.\d h"))
    expect(cycle.nth(2)).to_have_text(re.compile(r"^[\d,]+\.\d h"))
    expect(cycle.nth(3)).to_contain_text("\u2212")
    expect(page.locator("#cmp-numbers")).to_contain_text(LOG_NAME)
    expect(page.locator("#cmp-ranking thead")).to_contain_text(f"Expected cycle {TIMES}3")
    expect(_ranking(page).first).to_have_attribute("data-label", "option-a-crm")
    _top(page)
    shot(page, "compare-with-log")

    # a heavier weight on one-off cost puts the cheaper option first
    page.get_by_label("One-off cost", exact=True).fill("5")
    expect(_ranking(page).first).to_have_attribute("data-label", "option-b-web-form")
    expect(page.locator("#cmp-ranking thead")).to_contain_text(f"One-off cost {TIMES}5")
    expect(page).to_have_url(re.compile(r"weights=[^&]*one_off_cost%3A5"))
    expect(page.locator("#cmp-reset")).to_be_enabled()
    _clip(page.locator("section.cmp-review-card"), "compare-review-reweighted")

    # the CSV carries the same weights and log
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert "one_off_cost%3D5" in download.url and "log=" in download.url
    target = tmp_path / "review.csv"
    download.save_as(target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("rank,label,kind,score")
    assert lines[2].startswith("1,option-b-web-form,to-be,")

    # the printable report: the maps inline and the process name
    href = page.locator("#cmp-report").get_attribute("href")
    assert "format=html" in href and "one_off_cost%3D5" in href
    report = page.request.get(server + href)
    assert report.ok
    text = report.text()
    assert "<svg" in text and "Road repair request" in text
    with page.context.expect_page() as tab:
        page.locator("#cmp-report").click()
    tab.value.wait_for_load_state()
    expect(tab.value.locator("h1")).to_contain_text("Road repair request")
    shot(tab.value, "compare-report")
    tab.value.close()

    # reset brings the defaults back
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.get_by_label("One-off cost", exact=True)).to_have_value("1")
    expect(_ranking(page).first).to_have_attribute("data-label", "option-a-crm")
    expect(page).not_to_have_url(re.compile("weights="))


def test_the_url_restores_the_selections(page: Any, server: str) -> None:
    logs = page.request.get(server + "/api/event-logs").json()
    log_id = next(str(x["id"]) for x in logs if x["name"] == LOG_NAME)
    page.goto(
        f"{server}/#/compare?process={SLUG}&from=as-is&to=option-b-web-form&log={log_id}"
        "&weights=handoffs:5,steps:1&style=side-by-side"
    )

    def check() -> None:
        expect(page.get_by_label("Process", exact=True)).to_have_value(SLUG)
        expect(page.get_by_label("As-is (from)", exact=True)).to_have_value("as-is")
        expect(page.get_by_label("Option (to)", exact=True)).to_have_value("option-b-web-form")
        expect(page.get_by_label("Event log (optional)", exact=True)).to_have_value(log_id)
        expect(page.locator("#cmp-metrics thead")).to_contain_text("option-b-web-form")
        expect(page.get_by_label("Handoffs", exact=True)).to_have_value("5")
        expect(page.get_by_label("Steps", exact=True)).to_have_value("1")
        expect(page.get_by_label("Expected cycle (median)", exact=True)).to_have_value("0")
        expect(page.locator("#cmp-ranking thead")).to_contain_text(f"Handoffs {TIMES}5")
        expect(page.locator("#cmp-ranking thead")).not_to_contain_text("Expected cycle")
        expect(page.get_by_role("button", name="Both maps in one drawing")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(page.locator("#cmp-diff-map")).to_have_attribute("src", re.compile("side-by-side"))

    check()
    _loaded(page, "cmp-diff-map")
    _top(page)
    shot(page, "compare-from-link")
    page.reload()
    check()

    # a choice made on the page survives a reload, and back returns to the one before
    page.get_by_label("Option (to)", exact=True).select_option("option-a-crm")
    expect(page.locator("#cmp-metrics thead")).to_contain_text("option-a-crm")
    page.reload()
    expect(page.get_by_label("Option (to)", exact=True)).to_have_value("option-a-crm")
    expect(page.get_by_label("Handoffs", exact=True)).to_have_value("5")
    page.go_back()
    expect(page.get_by_label("Option (to)", exact=True)).to_have_value("option-b-web-form")


@pytest.mark.refusals
def test_errors_are_shown_inline(page: Any, server: str) -> None:
    page.goto(f"{server}/#/compare?process={SLUG}&to=no-such-option")
    expect(page.get_by_role("heading", name="Compare options", level=1)).to_be_visible()
    expect(page.locator("#cmp-numbers [role=alert]")).to_contain_text(
        "has no version 'no-such-option'"
    )
    expect(page.locator("#cmp-diff-map")).to_have_count(0)
    expect(page.get_by_label("Option (to)", exact=True)).to_have_value("")
    # the review still ranks every option
    expect(_ranking(page)).to_have_count(3)

    # no positive weight: the API's sentence, inline under the weights
    for name in ("Expected cycle (median)", "Handoffs", "Expected impact"):
        page.get_by_label(name, exact=True).fill("0")
    for name in ("Hands-on time", "Effort (months)", "One-off cost"):
        page.get_by_label(name, exact=True).fill("0")
    expect(page.locator("#cmp-review [role=alert]")).to_contain_text(
        "at least one must be positive"
    )
    page.get_by_label("Handoffs", exact=True).fill("-1")
    expect(page.get_by_text("A weight is a number of 0 or more.")).to_be_visible()
    _top(page)
    shot(page, "compare-errors")

    page.goto(f"{server}/#/compare?process=no-such-process")
    expect(page.get_by_role("alert")).to_contain_text("There is no process 'no-such-process'")
    expect(page.locator("#cmp-processes tbody tr")).to_have_count(6)
