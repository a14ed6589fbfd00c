// Option review on the process page: a to-be option's status, the moves open to it as
// buttons with a comment box (for reviewers and admins), and every move so far.
import * as api from "../api.js";
import { me } from "../session.js";
import { badge, card, date, encode, errorNotice, h, loading, table } from "../ui.js";

const STATUS_KIND = { draft: "", "in-review": "warn", approved: "good", rejected: "bad" };
const MOVE_TEXT = { "in-review": "Send to review", approved: "Approve", rejected: "Reject", draft: "Back to draft" };
const MOVE_NEEDS_COMMENT = { "in-review>rejected": "rejecting", "approved>draft": "reopening an approved option" };

export function mayReview() {
  const who = me();
  return Boolean(who && (who.role === "reviewer" || who.role === "admin"));
}

// The "Review" card of a to-be option; onMoved(sentence) runs after a move was recorded.
export function reviewCard(slug, version, { onMoved }) {
  const status = h("div", { id: "review-status", class: "card-status", "aria-live": "polite" });
  const body = h("div", { id: "review-body" }, loading("Loading the review…"));
  const base = `/api/processes/${encode(slug)}/versions/${encode(version.label)}/review`;

  async function draw() {
    let state;
    try {
      state = await api.get(base);
    } catch (error) {
      if (!(error instanceof api.ApiError)) throw error;
      body.replaceChildren(errorNotice(error));
      return;
    }
    body.replaceChildren(
      h("p", { class: "review-now" }, "Status: ", badge(state.status, STATUS_KIND[state.status] || ""), " ", h("span", { class: "muted" }, state.allowed.length ? `can move to ${state.allowed.join(", ")}` : "final")),
      mayReview() ? moveForm(state) : h("p", { class: "muted" }, "Only a reviewer or an admin moves an option through review."),
      h("h3", { id: "review-history-title" }, "History"),
      table(
        [
          { label: "When", value: (r) => date(r.created_at) },
          { label: "Who", value: (r) => r.username },
          { label: "Move", value: (r) => h("span", { class: "nowrap" }, badge(r.from_status, STATUS_KIND[r.from_status] || ""), " → ", badge(r.to_status, STATUS_KIND[r.to_status] || "")) },
          { label: "Comment", value: (r) => r.comment || h("span", { class: "muted" }, "–") },
        ],
        state.history,
        { id: "review-history", caption: "Every move of this option, oldest first", empty: "No move yet: the option has been in draft since it was written." },
      ),
    );
  }

  function moveForm(state) {
    const comment = h("textarea", { id: "review-comment", rows: "2", "aria-describedby": "review-comment-hint" });
    const buttons = state.allowed.map((to) =>
      h("button", { type: "button", class: to === "rejected" ? "danger" : to === "draft" ? "secondary" : "", dataset: { to }, onclick: () => move(to) }, MOVE_TEXT[to] || `Move to ${to}`),
    );
    async function move(to) {
      buttons.forEach((b) => (b.disabled = true));
      try {
        await api.send("POST", base, { to, comment: comment.value.trim() || null });
        await onMoved(`Option “${version.label}” moved from ${state.status} to ${to}.`);
      } catch (error) {
        if (!(error instanceof api.ApiError)) throw error;
        status.replaceChildren(errorNotice(error));
        buttons.forEach((b) => (b.disabled = false));
        comment.focus();
      }
    }
    const needs = state.allowed.map((to) => MOVE_NEEDS_COMMENT[`${state.status}>${to}`]).filter(Boolean);
    return h(
      "form",
      { class: "review-form", onsubmit: (e) => e.preventDefault() },
      h(
        "div",
        { class: "field wide" },
        h("label", { for: "review-comment" }, "Comment for the review"),
        comment,
        h("small", { id: "review-comment-hint", class: "hint" }, needs.length ? `Required for ${needs.join(" and ")}; optional otherwise.` : "Optional."),
      ),
      h("div", { class: "form-actions", role: "group", "aria-label": "Move the option" }, buttons),
    );
  }

  draw();
  return card("Review", status, body);
}
