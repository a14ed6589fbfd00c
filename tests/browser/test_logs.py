"""Event logs in a real browser: preview a file, fix its mapping, import it with live
progress, and see refused files explained inline with their line numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.conftest import DATA, ROOT

DEMO = ROOT / "event_logs" / "road-repair-requests.csv"


def open_logs(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Event logs").click()
    expect(page.get_by_role("heading", name="Event logs", level=1)).to_be_visible()
    expect(page.locator("#logs tbody tr").first).to_be_visible()


def test_import_a_new_log_with_live_progress(page: Any, tmp_path: Path) -> None:
    open_logs(page)
    shot(page, "logs-list")
    # the demo log with one more request: new content, so a new import
    copy = tmp_path / "road-repair-export.csv"
    copy.write_bytes(
        DEMO.read_bytes().rstrip(b"\n")
        + b"\n26-000001,Receive call,2025-12-31T16:00:00-05:00,Contact Centre,CSR-01,Phone,3,"
        b"100 block King St W\n"
    )
    page.locator("#log-file").set_input_files(str(copy))
    expect(page.locator("#preview-rows tbody tr")).to_have_count(20)
    expect(page.locator("#map-case")).to_have_value("Request ID")
    expect(page.locator("#map-department")).to_have_value("Department")
    expect(page.locator("#map-resource")).to_have_value("Handled By")
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text("25-004025")
    page.get_by_label("Name").fill("Road repair export (December)")
    shot(page, "logs-preview")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/api/import-jobs/" in r.url else None)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-progress")).to_be_visible()
    shot(page, "logs-import-progress")
    expect(page).to_have_url(re.compile(r"#/logs/\d+$"), timeout=60_000)
    expect(page.get_by_role("heading", name="Road repair export (December)")).to_be_visible()
    expect(page.locator("#log-figures")).to_contain_text("2,501")
    assert polls, "a 2.7 MB upload is an import job whose progress is polled"

    # the same content again: the stored log is offered, nothing new is stored
    open_logs(page)
    page.locator("#log-file").set_input_files(str(copy))
    expect(page.locator("#preview-rows tbody tr")).to_have_count(20)
    page.get_by_role("button", name="Import", exact=True).click()
    notice = page.locator("#already-imported")
    expect(notice).to_be_visible(timeout=60_000)
    expect(notice).to_contain_text("already imported")
    shot(page, "logs-already-imported")
    notice.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Road repair export (December)")).to_be_visible()


@pytest.mark.refusals
def test_a_broken_file_is_explained_with_its_line(page: Any, tmp_path: Path) -> None:
    open_logs(page)
    broken = tmp_path / "broken-export.csv"
    broken.write_text(
        "Case ID,Activity,Timestamp,Department\n"
        "R1,Log request,2025-03-01 09:00,Contact Centre\n"
        "R1,Review request,2025-13-45 10:00,Roads & Sidewalks\n"
        "R2,Log request,2025-03-02 09:00,Contact Centre\n"
    )
    page.locator("#log-file").set_input_files(str(broken))
    expect(page.locator("#preview-rows tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Import", exact=True).click()
    alert = page.locator("#import-status [role=alert]")
    expect(alert).to_contain_text("line 3")
    expect(alert).to_contain_text("'2025-13-45 10:00' is not a valid date and time")
    expect(alert.locator(".problem-list")).to_contain_text("Line 3:")
    expect(alert).to_contain_text("“Skip them” under Reading options")
    shot(page, "logs-import-error")


def test_an_ambiguous_mapping_is_chosen_by_hand(page: Any) -> None:
    open_logs(page)
    page.locator("#log-file").set_input_files(str(DATA / "bad" / "ambiguous-headers.csv"))
    problem = page.locator("#mapping-problem")
    expect(problem).to_contain_text("'Case ID' and 'Ticket' both match")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    shot(page, "logs-ambiguous-mapping")
    page.locator("#map-case").select_option("Ticket")
    expect(problem).to_have_count(0)
    expect(page.locator("#map-case")).to_have_value("Ticket")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_enabled()


@pytest.mark.refusals
def test_an_unreadable_file_is_refused_in_the_preview(page: Any, tmp_path: Path) -> None:
    open_logs(page)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    page.locator("#log-file").set_input_files(str(empty))
    expect(page.locator("#log-preview [role=alert]")).to_contain_text(
        "empty.csv: the file is empty."
    )
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    shot(page, "logs-preview-unreadable")
