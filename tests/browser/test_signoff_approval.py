"""Sign-off and review in a real browser: a branch lead of Contact Centre confirms its side
of a handoff and the other department still sees it pending; a reviewer moves an option
through review and sees its history.

These tests change ``bylaw-complaint`` and ``missed-garbage-collection`` only: the other
browser tests rely on road-repair-request and water-billing-dispute for their numbers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.test_accessibility import _serious

HANDOFF = "Log complaint (Contact Centre) → Log complaint (By-law Enforcement)"
CALL_BACK = "Close complaint (By-law Enforcement) → Call back resident (Contact Centre)"
OPTION = "to-be-crm-integration"


@pytest.mark.axe
@pytest.mark.signed_in_as("bea")
def test_a_branch_lead_confirms_their_side_and_the_other_side_stays_pending(
    page: Any, server: str
) -> None:
    page.goto(server + "/#/processes/bylaw-complaint")
    expect(page.get_by_role("heading", name="By-law complaint", level=1)).to_be_visible()
    confirm = page.get_by_role("button", name=f"Confirm for Contact Centre: {HANDOFF}")
    row = page.locator("#flows tbody tr").filter(has=confirm)
    expect(row.locator(".signoff-cell")).to_contain_text("Contact Centre: pending")
    expect(row.locator(".signoff-cell")).to_contain_text("By-law Enforcement: pending")
    # bea leads Contact Centre only: no buttons for the other side
    expect(page.get_by_role("button", name=re.compile("for By-law Enforcement"))).to_have_count(0)

    confirm.click()
    expect(page.locator("#flows-status")).to_contain_text("Contact Centre confirmed the handoff")
    cell = (
        page.locator("#flows tbody tr")
        .filter(has_text="Log complaint")
        .locator(".signoff-cell", has_text="Contact Centre: confirmed")
    )
    expect(cell).to_contain_text("bea")
    expect(cell).to_contain_text("By-law Enforcement: pending")
    expect(cell).not_to_contain_text("agreed")
    expect(page.locator("#signoff-summary")).to_contain_text("0 agreed")
    shot(page, "process-signoff")

    # the other department's queue: still pending on its side, confirmed on ours
    page.goto(server + "/#/departments/by-law-enforcement")
    expect(page.get_by_role("heading", name="By-law Enforcement", level=1)).to_be_visible()
    queued = page.locator("#review-queue tbody tr").filter(has_text="By-law complaint")
    log_row = queued.filter(has_text="Log complaint → Log complaint")
    expect(log_row.locator(".signoff-side[data-state=pending]")).to_contain_text("pending")
    expect(log_row).to_contain_text("Contact Centre: confirmed")
    expect(log_row.get_by_role("button")).to_have_count(0)

    # our own queue comes first on our department's page, pending first; dispute from it
    page.goto(server + "/#/departments/contact-centre")
    queue = page.locator("#review-queue tbody tr")
    expect(queue.first).to_be_visible()
    expect(queue.first.locator("td").nth(2)).to_contain_text("pending")
    dispute = page.get_by_role("button", name=f"Dispute for Contact Centre: {CALL_BACK}")
    row = page.locator("#review-queue tbody tr").filter(has=dispute)
    dispute.click()
    row.get_by_label("What is wrong with this handoff, for Contact Centre?").fill(
        "By-law calls the resident back itself."
    )
    row.get_by_role("button", name="Send dispute").click()
    expect(page.locator("#review-queue-status")).to_contain_text("Contact Centre disputed")
    disputed = page.locator("#review-queue tbody tr").filter(has_text="Close complaint")
    expect(disputed.filter(has_text="By-law complaint")).to_contain_text("disputed")
    expect(disputed.filter(has_text="By-law complaint")).to_contain_text(
        "By-law calls the resident back itself."
    )
    shot(page, "department-review-queue")
    page.get_by_role("button", name=f"Dispute for Contact Centre: {HANDOFF}").click()
    assert _serious(page) == []  # the queue with its buttons and an open dispute form


@pytest.mark.axe
@pytest.mark.refusals
@pytest.mark.signed_in_as("rex")
def test_a_reviewer_moves_an_option_through_review(page: Any, server: str) -> None:
    page.goto(server + f"/#/processes/missed-garbage-collection?version={OPTION}")
    review = page.locator("#card-review").locator("..")
    expect(review.locator(".review-now")).to_contain_text("draft")
    expect(page.locator("#review-history")).to_have_count(0)  # no move yet

    page.get_by_label("Comment for the review").fill("Ready for the steering group.")
    review.get_by_role("button", name="Send to review").click()
    expect(page.locator("#review-status")).to_contain_text("moved from draft to in-review")
    tab = page.get_by_role("tab", name=re.compile(OPTION))
    expect(tab).to_contain_text("in-review")
    review = page.locator("#card-review").locator("..")
    expect(review.locator(".review-now")).to_contain_text("in-review")

    # rejecting needs a reason: the API's sentence shows, nothing moves
    review.get_by_role("button", name="Reject").click()
    expect(page.locator("#review-status [role=alert]")).to_contain_text("rejecting needs one")
    page.get_by_label("Comment for the review").fill("The CRM contract ends next year.")
    review.get_by_role("button", name="Reject").click()
    expect(tab).to_contain_text("rejected")
    history = page.locator("#review-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("rex")
    expect(history.nth(0)).to_contain_text("Ready for the steering group.")
    expect(history.nth(1)).to_contain_text("The CRM contract ends next year.")
    expect(page.locator("#card-review").locator("..").get_by_role("button")).to_have_text(
        ["Back to draft"]
    )
    shot(page, "process-review")
    assert _serious(page) == []


@pytest.mark.signed_in_as("vic")
def test_a_viewer_sees_the_review_but_cannot_move_it(page: Any, server: str) -> None:
    page.goto(server + "/#/processes/bylaw-complaint?version=to-be-crm")
    review = page.locator("#card-review").locator("..")
    expect(review).to_contain_text("Only a reviewer or an admin moves an option")
    expect(review.get_by_role("button")).to_have_count(0)
    page.get_by_role("tab", name=re.compile("as-is")).click()
    expect(page.locator("#signoff-summary")).to_contain_text("handoffs")
    expect(
        page.locator("#flows").get_by_role("button", name=re.compile("^(Confirm|Dispute)"))
    ).to_have_count(0)
