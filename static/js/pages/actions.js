// The register of improvement actions: per action before (baseline), after (latest later
// log), target and met/missed; filters by department, process and state; state changes,
// measurement history and comments.
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { badge, card, date, h, link, number, pageHeader, table } from "../ui.js";
import { can, me } from "../session.js";

const STATES = ["planned", "in progress", "done", "dropped"];
const NEXT = { planned: ["in progress", "done", "dropped"], "in progress": ["planned", "done", "dropped"], done: ["in progress"], dropped: ["planned"] };
const OUTCOME = { met: "good", missed: "bad", "not observed": "info", pending: "warn", "not yet measured": "" };

function value(x, v) {
  return v === null || v === undefined ? "–" : `${number(v, 2)}`;
}

// Whether the signed-in person may move this action: editors, or a branch lead of its department.
function mayFollow(action) {
  const who = me();
  if (!who) return false;
  if (can("edit")) return true;
  if (who.role !== "branch-lead") return false;
  const led = (who.departments || []).map((d) => d.toLowerCase());
  return led.includes(action.department.toLowerCase()) || action.account === who.username;
}

export async function render(_params, query) {
  const params = { department: query.get("department") || undefined, process: query.get("process") || undefined, state: query.get("state") || undefined };
  const [rows, processes] = await Promise.all([api.get("/api/actions", params), api.get("/api/processes").catch(() => [])]);
  const all = params.department || params.state || params.process ? await api.get("/api/actions") : rows;
  const departments = [...new Set(all.map((a) => a.department))].sort((a, b) => a.localeCompare(b));
  const detail = h("div", { id: "action-detail" });

  const department = h("select", { id: "actions-department" }, h("option", { value: "" }, "Every department"), departments.map((d) => h("option", { value: d, selected: d === params.department }, d)));
  const process = h("select", { id: "actions-process" }, h("option", { value: "" }, "Every process"), processes.map((p) => h("option", { value: p.slug, selected: p.slug === params.process }, p.name)));
  const state = h("select", { id: "actions-state" }, h("option", { value: "" }, "Every state"), STATES.map((s) => h("option", { value: s, selected: s === params.state }, s)));
  function apply(event) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, control] of [["department", department], ["process", process], ["state", state]]) if (control.value) next.set(key, control.value);
    setQuery(next);
  }
  const csv = api.url("/api/actions", { ...params, format: "csv" });

  async function show(id) {
    detail.replaceChildren(h("p", { class: "loading" }, "Loading…"));
    try {
      detail.replaceChildren(await detailView(await api.get(`/api/actions/${id}`), show));
      detail.scrollIntoView({ block: "nearest" });
    } catch (error) {
      detail.replaceChildren(h("p", { class: "notice error", role: "alert" }, error.message));
    }
  }

  const register = table(
    [
      { label: "#", num: true, value: (a) => String(a.id) },
      { label: "Action", value: (a) => h("button", { type: "button", class: "link-button", onclick: () => show(a.id) }, a.title) },
      { label: "Department", value: (a) => a.department },
      { label: "Owner", value: (a) => [a.owner, a.account].filter(Boolean).join(" / ") || "–" },
      { label: "Due", value: (a) => h("span", {}, a.due, a.overdue ? [" ", badge("overdue", "bad")] : null) },
      { label: "State", value: (a) => stateControl(a, () => setQuery(new URLSearchParams(window.location.hash.split("?")[1] || ""), { replace: true })) },
      { label: "Metric", value: (a) => h("span", { class: "small" }, `${a.metric_label} (${a.unit})`) },
      { label: "Before", num: true, value: (a) => value(a, a.before) },
      { label: "After", num: true, value: (a) => value(a, a.after) },
      { label: "Target", num: true, value: (a) => value(a, a.target) },
      { label: "Outcome", value: (a) => h("span", { title: a.after_note || "" }, badge(a.outcome, OUTCOME[a.outcome] ?? "")) },
    ],
    rows,
    { id: "actions", empty: params.department || params.process || params.state ? "No action matches these filters." : "No improvement action yet: open an event log's dashboard and use “Make an action” on a finding." },
  );
  const focus = Number(query.get("focus"));
  if (focus) show(focus);

  return h(
    "div",
    { class: "stack" },
    pageHeader("Improvement actions", "Findings turned into actions with an owner, a due date and a target, measured again on every later log.", h("a", { class: "button secondary", href: csv, id: "actions-csv" }, "Export CSV")),
    h(
      "form",
      { class: "card filters", onsubmit: apply, "aria-label": "Filter the register" },
      h(
        "div",
        { class: "filters-grid" },
        h("div", { class: "field" }, h("label", { for: "actions-department" }, "Department"), department),
        h("div", { class: "field" }, h("label", { for: "actions-process" }, "Process"), process),
        h("div", { class: "field" }, h("label", { for: "actions-state" }, "State"), state),
      ),
      h("div", { class: "filters-actions" }, h("button", { type: "submit", id: "actions-apply" }, "Show")),
    ),
    card("Register", register),
    detail,
  );
}

// The state of an action as a select when the person may move it, else as text.
function stateControl(action, changed) {
  if (!mayFollow(action)) return badge(action.state);
  const control = h(
    "select",
    { class: "state-select", "aria-label": `State of action ${action.id}` },
    [action.state, ...NEXT[action.state]].map((s) => h("option", { value: s, selected: s === action.state }, s)),
  );
  control.addEventListener("change", async () => {
    try {
      await api.send("PATCH", `/api/actions/${action.id}`, { state: control.value });
      changed();
    } catch (error) {
      control.value = action.state;
      control.after(h("p", { class: "notice error", role: "alert" }, error.message));
    }
  });
  return control;
}

async function detailView(action, reload) {
  const text = h("textarea", { id: "comment-text", rows: "2", maxlength: "4000", required: true });
  async function comment(event) {
    event.preventDefault();
    try {
      await api.send("POST", `/api/actions/${action.id}/comments`, { text: text.value });
      reload(action.id);
    } catch (error) {
      event.target.append(h("p", { class: "notice error", role: "alert" }, error.message));
    }
  }
  const filters = Object.entries(action.filters || {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(", ") : v}`);
  return card(
    `Action #${action.id}`,
    h("h3", {}, action.title),
    h(
      "p",
      { class: "muted" },
      `${action.metric_label}, ${action.unit}, ${action.direction} is better. Baseline on `,
      link(`#/logs/${action.baseline_log_id}`, action.baseline_log_name),
      filters.length ? ` with ${filters.join("; ")} (dates apply to the baseline only)` : "",
      ".",
    ),
    h("p", { class: "small" }, action.definition),
    h("div", { class: "figures" }, [
      h("div", { class: "figure" }, h("span", { class: "figure-value" }, value(action, action.before)), h("span", { class: "figure-label" }, "before")),
      h("div", { class: "figure" }, h("span", { class: "figure-value", id: "action-after" }, value(action, action.after)), h("span", { class: "figure-label" }, "after")),
      h("div", { class: "figure" }, h("span", { class: "figure-value" }, value(action, action.target)), h("span", { class: "figure-label" }, "target")),
      h("div", { class: "figure" }, h("span", { class: "figure-value" }, badge(action.outcome, OUTCOME[action.outcome] ?? "")), h("span", { class: "figure-label" }, action.after_note || "outcome")),
    ]),
    h("h3", {}, "Measurements on later logs"),
    table(
      [
        { label: "Log", value: (m) => link(`#/logs/${m.log_id}`, m.log_name) },
        { label: "Last event", value: (m) => date(m.log_last_event) },
        { label: "Value", num: true, value: (m) => value(action, m.value) },
        { label: "State", value: (m) => m.state },
        { label: "Note", value: (m) => m.note || "" },
      ],
      action.measurements,
      { id: "measurements", empty: "No later log has been imported since the baseline." },
    ),
    h("h3", {}, "Comments"),
    action.comments.length
      ? h("ul", { class: "comments", id: "action-comments" }, action.comments.map((c) => h("li", {}, h("strong", {}, c.username), ` · ${date(c.at)}: `, c.text)))
      : h("p", { class: "empty" }, "No comment yet."),
    mayFollow(action)
      ? h("form", { class: "stack", onsubmit: comment }, h("div", { class: "field" }, h("label", { for: "comment-text" }, "Add a comment"), text), h("div", {}, h("button", { type: "submit", id: "comment-save" }, "Comment")))
      : null,
  );
}
