"""The Content Security Policy in a real browser: every page of the UI, the API reference
and the printable pages load without one violation (a listener installed before any page
script counts them, beside the console check of every browser test), their CSS applies,
and markup slipped into the page cannot run a script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"} (${where})`);
});
"""

PAGES = [
    "#/",
    "#/processes/road-repair-request",
    "#/processes/road-repair-request/history",
    "#/departments",
    "#/departments/contact-centre",
    "#/owners",
    "#/users",
    "#/audit",
    "#/logs",
    "#/logs/{log}",
    "#/logs/{log}/cases?kind=handoff&from_department=Contact%20Centre&to_department=Engineering",
    "#/compare?process=road-repair-request&from=as-is&to=option-a-crm",
    "#/scorecard?log={log}",
    "#/actions",
]


@pytest.fixture
def watched(browser: Any, server: str) -> Iterator[tuple[Any, list[str]]]:
    """A signed-in page with the violation listener and its console errors (not failed
    here: a test may provoke a violation on purpose)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    sign_in(context, server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(20_000)
    yield page, errors
    context.close()


def _log_id(page: Any, server: str) -> int:
    logs = page.context.request.get(f"{server}/api/event-logs").json()
    return int(next(log["id"] for log in logs if log["name"] == "road-repair-requests.csv"))


def test_every_page_loads_without_a_policy_violation(
    watched: tuple[Any, list[str]], server: str
) -> None:
    page, errors = watched
    first = page.goto(f"{server}/")
    assert "script-src 'self'" in first.headers["content-security-policy"]
    log = _log_id(page, server)
    for route in PAGES:
        page.goto(f"{server}/{route.format(log=log)}")
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], route
    assert errors == []


def test_styles_set_through_the_cssom_apply(watched: tuple[Any, list[str]], server: str) -> None:
    """Bars, dots and timelines are sized and coloured by ``element.style``, which the
    policy allows (a style attribute would be refused and the bar would be empty)."""
    page, errors = watched
    page.goto(f"{server}/#/departments")
    expect(page.locator(".traffic .bar.in").first).to_be_attached()
    widths = page.locator(".traffic .bar").evaluate_all(
        "bars => bars.map((b) => b.getBoundingClientRect().width)"
    )
    assert widths and max(widths) > 0, widths
    assert page.evaluate("window.__violations") == [] and errors == []


def test_markup_slipped_into_the_page_cannot_run(
    watched: tuple[Any, list[str]], server: str
) -> None:
    page, errors = watched
    page.goto(f"{server}/#/")
    expect(page.locator("main h1")).to_be_visible()
    page.evaluate(
        """() => {
        const box = document.createElement("div");
        box.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__ran = 1">');
        const script = document.createElement("script");
        script.textContent = "window.__ran = 2";
        document.body.append(box, script);
        const styled = document.createElement("p");
        styled.setAttribute("style", "color: rgb(255, 0, 0)");
        styled.id = "styled";
        styled.textContent = "x";
        document.body.append(styled);
    }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    violations = page.evaluate("window.__violations")
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("style-src") for v in violations), violations
    assert any("Content Security Policy" in e for e in errors), errors


@pytest.mark.parametrize(
    "path",
    [
        "/schema",
        "/api/processes/road-repair-request/review?format=html&log={log}",
        "/api/event-logs/{log}/scorecards?format=html",
        "/api/event-logs/{log}/scorecards/Roads%20%26%20Sidewalks?format=html",
    ],
)
def test_the_reference_and_printable_pages(
    watched: tuple[Any, list[str]], server: str, path: str
) -> None:
    page, errors = watched
    page.goto(f"{server}/")
    answer = page.goto(server + path.format(log=_log_id(page, server)))
    assert answer.status == 200, answer.text()[:300]
    expect(page.locator("h1")).to_be_visible()
    # their CSS applies: allowed by its hash (printable pages) or from /css (the reference)
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font, font
    assert page.evaluate("window.__violations") == [] and errors == []
