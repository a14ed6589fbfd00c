// "Make an action" from a finding of a log's dashboard: a small dialog (owner, due date,
// metric preset from the finding, target) that POSTs /api/actions; the server measures the
// baseline on the log with the dashboard's filters.
import * as api from "../api.js";
import { h, link, number } from "../ui.js";
import { can } from "../session.js";
import { filterParams } from "./_logs.js";

// The metrics a finding of each kind can be measured by, its own first.
const PRESETS = {
  handoff: [
    ["handoff_median_wait", "Median wait of the handoff (hours)"],
    ["handoff_p90_wait", "90th percentile wait of the handoff (hours)"],
    ["handoff_volume", "Handoffs per 100 cases"],
    ["pingpong_cases", "Ping-pong cases per 100 cases"],
  ],
  pingpong: [["pingpong_cases", "Ping-pong cases per 100 cases"], ["handoff_volume", "Handoffs per 100 cases"]],
  rework: [["rework_share", "% of the activity's cases redone"]],
  duplicate: [["duplicate_cases", "Cases with the step done twice, per 100 cases"]],
  step: [["step_median_wait", "Median wait before the step (hours)"]],
};
const HIGHER = new Set(["standard_share_met"]);

// The finding's value now, per metric, from the analysis document (a hint for the target).
function current(doc, finding) {
  const cases = doc.log.cases || 0;
  const pairRow = (rows) => rows.find((r) => r.from_department === finding.from_department && r.to_department === finding.to_department);
  const out = {};
  if (finding.kind === "handoff" || finding.kind === "pingpong") {
    const row = pairRow(doc.handoffs);
    if (row) {
      out.handoff_median_wait = row.median_wait_s / 3600;
      out.handoff_p90_wait = row.p90_wait_s / 3600;
      if (cases) out.handoff_volume = (100 * row.count) / cases;
    }
    const pp = pairRow(doc.pingpong);
    if (cases) out.pingpong_cases = (100 * (pp ? pp.cases : 0)) / cases;
  }
  const activity = (doc.activities || []).find((a) => a.activity === finding.activity);
  if (finding.kind === "rework" && activity) {
    const row = doc.rework.find((r) => r.activity === finding.activity && r.department === finding.department);
    out.rework_share = (100 * (row ? row.cases : 0)) / activity.cases;
  }
  if (finding.kind === "duplicate" && cases) {
    out.duplicate_cases = (100 * doc.cross_department_duplicates.filter((r) => r.activity === finding.activity).reduce((s, r) => s + r.cases, 0)) / cases;
  }
  if (finding.kind === "step" && activity && activity.median_wait_before_s !== null) out.step_median_wait = activity.median_wait_before_s / 3600;
  return out;
}

function inDays(days) {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}

// The dialog for one finding; opened by the button.
function actionDialog({ logId, query, doc, finding, department, departments, label }) {
  const now = current(doc, finding);
  const presets = PRESETS[finding.kind] || [];
  const metric = h("select", { id: "action-metric", name: "metric" }, presets.map(([v, t]) => h("option", { value: v }, t)));
  const title = h("input", { type: "text", id: "action-title", name: "title", value: label, maxlength: "300", required: true });
  const dept = h("select", { id: "action-department", name: "department" }, departments.filter((d) => d !== "(unassigned)").map((d) => h("option", { value: d, selected: d === department }, d)));
  const owner = h("input", { type: "text", id: "action-owner", name: "owner", list: "action-owners", placeholder: "e.g. Roads Supervisor" });
  const owners = h("datalist", { id: "action-owners" });
  api.get("/api/owners").then((rows) => owners.replaceChildren(...rows.map((o) => h("option", { value: o.name }))), () => {});
  const account = h("input", { type: "text", id: "action-account", name: "account", placeholder: "username, e.g. a branch lead" });
  const due = h("input", { type: "date", id: "action-due", name: "due", value: inDays(90), required: true });
  const target = h("input", { type: "number", id: "action-target", name: "target", step: "any", required: true });
  const hint = h("small", { id: "action-now", class: "muted" });
  const comment = h("textarea", { id: "action-comment", name: "comment", rows: "2", maxlength: "4000" });
  const status = h("div", { id: "action-status", role: "status" });
  const showNow = () => {
    const value = now[metric.value];
    const better = HIGHER.has(metric.value) ? "higher" : "lower";
    hint.textContent = value === undefined ? `Set a target ${better} than today's value.` : `Now ${number(value, 2)}; the target should be ${better}.`;
  };
  metric.addEventListener("change", showNow);
  showNow();

  const dialog = h("dialog", { class: "action-dialog", "aria-labelledby": "action-dialog-title" });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  async function submit(event) {
    event.preventDefault();
    status.replaceChildren();
    const filters = filterParams(query);
    const body = {
      finding,
      log_id: Number(logId),
      filters: { from: filters.from, to: filters.to, department: filters.department, activity: filters.activity, variant: filters.variant, where: filters.where },
      metric: metric.value,
      title: title.value.trim() || undefined,
      department: dept.value || undefined,
      owner: owner.value.trim() || undefined,
      account: account.value.trim() || undefined,
      due: due.value,
      target: Number(target.value),
      comment: comment.value.trim() || undefined,
    };
    try {
      const made = await api.send("POST", "/api/actions", body);
      status.replaceChildren(
        h("p", { class: "notice good" }, `Action #${made.id} made: ${number(made.before, 2)} ${made.unit} now, target ${number(made.target, 2)}. `, link(`#/actions?focus=${made.id}`, "Open the register", { id: "action-open-register", onclick: close })),
      );
      form.querySelector("button[type=submit]").disabled = true;
    } catch (error) {
      status.replaceChildren(h("p", { class: "notice error", role: "alert" }, error.message));
    }
  }
  const form = h(
    "form",
    { method: "dialog", class: "stack", onsubmit: submit },
    h("h2", { id: "action-dialog-title" }, "Make an action"),
    h("p", { class: "muted small" }, "The metric is measured now on this log, with its filters, and again on every later log you import."),
    h("div", { class: "field" }, h("label", { for: "action-title" }, "Title"), title),
    h("div", { class: "field" }, h("label", { for: "action-metric" }, "Metric"), metric),
    h("div", { class: "field" }, h("label", { for: "action-target" }, "Target"), target, hint),
    h("div", { class: "field" }, h("label", { for: "action-department" }, "Department"), dept),
    h("div", { class: "field" }, h("label", { for: "action-owner" }, "Owner (catalogue)"), owner, owners),
    h("div", { class: "field" }, h("label", { for: "action-account" }, "Or an account"), account),
    h("div", { class: "field" }, h("label", { for: "action-due" }, "Due"), due),
    h("div", { class: "field" }, h("label", { for: "action-comment" }, "Comment"), comment),
    status,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "action-save" }, "Make the action"), h("button", { type: "button", class: "secondary", onclick: close }, "Close")),
  );
  dialog.append(form);
  dialog.addEventListener("cancel", () => dialog.remove());
  window.addEventListener("hashchange", close, { once: true }); // leaving the page closes it
  return dialog;
}

// The "Make an action" button of one finding row (only for those who may make actions).
export function actionButton(options) {
  if (!can("edit")) return h("span", { class: "muted" }, "–");
  const open = () => {
    const dialog = actionDialog(options);
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("#action-target").focus();
  };
  return h("button", { type: "button", class: "secondary small make-action", onclick: open, "aria-label": `Make an action: ${options.label}` }, "Make an action");
}
