// Handoff sign-off: each department's word on a handoff of an as-is version as badges
// ("agreed" when both confirmed), and for the signed-in branch lead of a side, Confirm and
// Dispute buttons (a dispute says why). Used by the process page (a column of the flows
// table) and the department page (its review queue).
import * as api from "../api.js";
import { me } from "../session.js";
import { badge, card, date, encode, errorNotice, h, link, loading, notice, table } from "../ui.js";

const KIND = { confirmed: "good", disputed: "bad", pending: "" };

// Whether the signed-in person is a branch lead of the department.
export function leads(department) {
  const who = me();
  return Boolean(who && who.role === "branch-lead" && (who.departments || []).includes(department));
}

function sideState(side, { named = true } = {}) {
  return h(
    "div",
    { class: "signoff-side", dataset: { department: side.department, state: side.state } },
    badge(named ? `${side.department}: ${side.state}` : side.state, KIND[side.state]),
    side.username ? h("span", { class: "muted small" }, ` ${side.username}, ${date(side.updated_at)}`) : null,
    side.comment ? h("p", { class: "signoff-comment small" }, `“${side.comment}”`) : null,
  );
}

// Both sides' word, then "agreed" when both confirmed.
export function signoffState(entry) {
  return h("div", { class: "signoff-state" }, entry.sides.map((s) => sideState(s)), entry.agreed ? badge("agreed", "good") : null);
}

// Confirm / Dispute for each side the signed-in lead answers for (null when none).
// onDone(updatedEntry, sentence) runs after the API accepted; refusals show in `status`.
export function signoffActions(entry, { status, onDone, only }) {
  const mine = entry.sides.filter((s) => leads(s.department) && (!only || s.department === only));
  if (!mine.length) return null;
  const url = `/api/processes/${encode(entry.process)}/versions/${encode(entry.version)}/flows/${entry.flow_id}/signoff`;
  const what = `${entry.from_step_name} (${entry.from_department}) → ${entry.to_step_name} (${entry.to_department})`;
  return h("div", { class: "signoff-actions" }, mine.map((side) => sideActions(side)));

  function sideActions(side) {
    const send = async (state, comment, buttons) => {
      buttons.forEach((b) => (b.disabled = true));
      try {
        const updated = await api.send("PUT", url, { department: side.department, state, comment: comment || null });
        await onDone(updated, `${side.department} ${state} the handoff ${what}.`);
      } catch (error) {
        if (!(error instanceof api.ApiError)) throw error;
        status.replaceChildren(errorNotice(error));
        buttons.forEach((b) => (b.disabled = false));
      }
    };
    const id = `dispute-${entry.flow_id}-${side.department.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
    const comment = h("textarea", { id: `${id}-comment`, rows: "2", "aria-required": "true" });
    const sendDispute = h("button", { type: "submit", class: "danger small" }, "Send dispute");
    const cancel = h("button", { type: "button", class: "secondary small", onclick: () => toggle(false) }, "Cancel");
    const form = h(
      "form",
      { class: "dispute-form", id, hidden: true, novalidate: true },
      h("label", { for: comment.id }, `What is wrong with this handoff, for ${side.department}?`),
      comment,
      h("div", { class: "row-actions" }, sendDispute, cancel),
    );
    const confirmText = side.state === "confirmed" ? "Confirm again" : "Confirm";
    const confirm = h("button", { type: "button", class: "small", "aria-label": `${confirmText} for ${side.department}: ${what}` }, confirmText);
    const dispute = h(
      "button",
      { type: "button", class: "secondary small", "aria-expanded": "false", "aria-controls": id, "aria-label": `Dispute for ${side.department}: ${what}` },
      "Dispute",
    );
    function toggle(open) {
      form.hidden = !open;
      dispute.setAttribute("aria-expanded", String(open));
      if (open) comment.focus();
      else dispute.focus();
    }
    confirm.addEventListener("click", () => send("confirmed", null, [confirm, dispute]));
    dispute.addEventListener("click", () => toggle(form.hidden));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send("disputed", comment.value.trim(), [confirm, dispute, sendDispute]);
    });
    return h("div", { class: "signoff-side-actions" }, h("div", { class: "row-actions" }, confirm, dispute), form);
  }
}

// A "Sign-off" column for the flows table of an as-is version: cells fill in once `load`
// has fetched both sides' word; `summary` gets the tally.
export function signoffColumn(slug, label, { status, announce }) {
  const cells = new Map();
  const summary = h("p", { class: "signoff-summary muted", id: "signoff-summary" });
  const column = {
    label: "Sign-off",
    value: (f) => {
      if (!f.handoff) return h("span", { class: "muted" }, "–");
      const cell = h("div", { class: "signoff-cell", dataset: { flow: String(f.id) } }, h("span", { class: "muted small" }, "…"));
      cells.set(f.id, cell);
      return cell;
    },
  };
  let entries = [];
  function tally() {
    const agreed = entries.filter((e) => e.agreed).length;
    const disputed = entries.filter((e) => e.sides.some((s) => s.state === "disputed")).length;
    summary.replaceChildren(
      "Branch leads’ sign-off: ",
      badge(`${agreed} agreed`, agreed ? "good" : ""),
      " ",
      badge(`${disputed} disputed`, disputed ? "bad" : ""),
      " ",
      badge(`${entries.length - agreed - disputed} pending`),
      " of ",
      String(entries.length),
      " handoffs. Each department’s branch lead confirms or disputes its side.",
    );
  }
  function fill(entry) {
    const cell = cells.get(entry.flow_id);
    if (!cell) return;
    const actions = signoffActions(entry, {
      status,
      onDone: async (updated, sentence) => {
        entries = entries.map((e) => (e.flow_id === updated.flow_id ? updated : e));
        fill(updated);
        tally();
        announce(sentence);
      },
    });
    cell.replaceChildren(...[signoffState(entry), actions].filter(Boolean));
  }
  async function load() {
    try {
      const body = await api.get(`/api/processes/${encode(slug)}/versions/${encode(label)}/signoffs`);
      entries = body.handoffs;
    } catch (error) {
      if (!(error instanceof api.ApiError)) throw error;
      summary.replaceChildren(errorNotice(error));
      return;
    }
    entries.forEach(fill);
    tally();
  }
  return { column, summary, load };
}

// The department page's review queue: the as-is handoffs into and out of it with this
// side's word, pending first; its branch leads confirm or dispute from here.
export function reviewQueueCard(key, department) {
  const status = h("div", { id: "review-queue-status", class: "card-status", "aria-live": "polite" });
  const body = h("div", { id: "review-queue-body" }, loading("Loading the review queue…"));
  const intro = leads(department)
    ? notice(`You lead ${department}: confirm each handoff below as documented, or dispute it and say what is wrong. The other department signs off its own side.`, "info")
    : h("p", { class: "muted" }, `The branch leads of ${department} confirm or dispute each as-is handoff into and out of it; the other department signs off its own side.`);

  async function draw(sentence) {
    let queue;
    try {
      queue = await api.get(`/api/departments/${encode(key)}/review-queue`);
    } catch (error) {
      if (!(error instanceof api.ApiError)) throw error;
      body.replaceChildren(errorNotice(error));
      return;
    }
    const other = (x) => x.sides.find((s) => s.department !== department);
    body.replaceChildren(
      h("p", { class: "signoff-summary" }, badge(`${queue.pending} pending`, queue.pending ? "warn" : "good"), " ", badge(`${queue.disputed} disputed`, queue.disputed ? "bad" : ""), " ", badge(`${queue.confirmed} confirmed`, queue.confirmed ? "good" : "")),
      table(
        [
          { label: "Process · version", value: (x) => h("div", {}, link(`#/processes/${encode(x.process)}?version=${encode(x.version)}`, x.process_name), h("div", { class: "muted small" }, x.version)) },
          { label: "Handoff", value: (x) => h("div", {}, `${x.from_step_name} → ${x.to_step_name}`, h("div", { class: "muted small" }, `${x.from_department} → ${x.to_department}`)) },
          { label: `${department}’s word`, value: (x) => sideState(x.side, { named: false }) },
          { label: "Other side", value: (x) => h("div", {}, sideState(other(x)), x.agreed ? badge("agreed", "good") : null) },
          {
            label: "Actions",
            value: (x) =>
              signoffActions(x, { status, only: department, onDone: async (_updated, text) => draw(text) }) || h("span", { class: "muted" }, "–"),
          },
        ],
        queue.handoffs,
        { id: "review-queue", caption: `As-is handoffs into and out of ${department}, pending first`, empty: `No as-is handoff goes into or out of ${department}.` },
      ),
    );
    if (sentence) {
      status.replaceChildren(h("p", { class: "notice good", role: "status", tabindex: "-1" }, sentence));
      status.firstChild.focus();
    }
  }
  draw();
  return card("Review queue", intro, status, body);
}
