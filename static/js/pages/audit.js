// The history of a process (#/processes/{slug}/history), or of everything (#/audit, admins):
// who changed what and when, each change's fields before → after, filters and a CSV file.
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { badge, breadcrumbs, card, date, encode, errorNotice, field, h, link, notice, pageHeader, select, table } from "../ui.js";
import { me } from "../session.js";

const PAGE = 50;
const ENTITIES = {
  process: "Process",
  process_version: "Version",
  step: "Step",
  flow: "Flow",
  handoff_signoff: "Sign-off",
  version_review: "Review",
  activity_mapping: "Activity mapping",
  owner: "Owner",
  department: "Department",
  event_log: "Event log",
  account: "Account",
  api_token: "API token",
};
const PROCESS_ENTITIES = ["process", "process_version", "step", "flow", "handoff_signoff", "version_review", "activity_mapping"];
const ACTIONS = { create: ["created", "good"], update: ["changed", "info"], delete: ["deleted", "bad"] };
const FIELD_NAMES = { password_changed: "password changed", key: "id", from_step_id: "from", to_step_id: "to" };

// A recorded value as people read it.
function shown(value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "none");
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length ? value.join(", ") : h("span", { class: "muted" }, "none");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// The fields of one entry: before → after for a change, the values for a creation or deletion.
function changes(entry) {
  const name = (f) => h("span", { class: "audit-field" }, FIELD_NAMES[f] || f.replaceAll("_", " "));
  if (entry.action === "update") {
    return h(
      "ul",
      { class: "audit-changes" },
      entry.fields.map((f) =>
        h("li", {}, name(f), ": ", h("del", { class: "audit-before" }, shown(entry.before?.[f])), h("span", { "aria-hidden": "true" }, " → "), h("span", { class: "visually-hidden" }, " became "), h("ins", { class: "audit-after" }, shown(entry.after?.[f]))),
      ),
    );
  }
  const values = (entry.action === "create" ? entry.after : entry.before) || {};
  const set = Object.entries(values).filter(([, v]) => v !== null && v !== "" && !(Array.isArray(v) && !v.length));
  return h("ul", { class: "audit-changes compact" }, set.map(([f, v]) => h("li", {}, name(f), ": ", shown(v))));
}

export async function render(params, query) {
  const slug = params.slug || null;
  const offset = Math.max(0, Number.parseInt(query.get("offset") || "0", 10) || 0);
  const filters = { entity: query.get("entity") || "", user: query.get("user") || "", since: query.get("since") || "" };
  const url = slug ? `/api/processes/${encode(slug)}/history` : "/api/audit";
  let process = null;
  if (slug) process = await api.get(`/api/processes/${encode(slug)}`).catch(() => null);
  const title = slug ? `History of ${process ? process.name : slug}` : "Audit trail";
  const crumbs = slug ? breadcrumbs(["Catalogue", "#/"], [process ? process.name : slug, process ? `#/processes/${encode(slug)}` : null], ["History"]) : breadcrumbs(["Catalogue", "#/"], ["Audit trail"]);

  let page;
  try {
    page = await api.get(url, { ...filters, ...(slug ? {} : { process: query.get("process") || "" }), limit: PAGE, offset });
  } catch (error) {
    return h("div", {}, crumbs, pageHeader(title), errorNotice(error), slug ? null : link("#/", "Back to the catalogue"));
  }

  const csv = `${url}?${new URLSearchParams(Object.entries({ ...filters, ...(slug ? {} : { process: query.get("process") || "" }), format: "csv" }).filter(([, v]) => v))}`;
  const header = pageHeader(
    title,
    slug ? "Every change to the process, its versions, steps, flows, sign-offs and reviews: who made it, when, and what it was before." : "Every change across the catalogue, event logs and accounts.",
    h("a", { class: "button secondary", id: "audit-csv", href: csv, download: `${slug ? `${slug}-history` : "audit"}.csv` }, "Download CSV"),
    slug && process ? h("a", { class: "button secondary", href: `#/processes/${encode(slug)}` }, "Back to the process") : null,
    slug && me()?.role === "admin" ? h("a", { class: "button secondary", href: "#/audit" }, "All changes") : null,
  );

  // filters
  const kinds = slug ? PROCESS_ENTITIES : Object.keys(ENTITIES);
  const entity = select([["", "Everything"], ...kinds.map((k) => [k, ENTITIES[k]])], filters.entity, { id: "audit-entity", name: "entity" });
  const user = h("input", { id: "audit-user", name: "user", value: filters.user, autocomplete: "off", placeholder: "username" });
  const since = h("input", { id: "audit-since", name: "since", type: "date", value: filters.since });
  const form = h(
    "form",
    { class: "inline-fields audit-filters", "aria-label": "Filter the changes" },
    field("What", entity),
    field("Who", user),
    field("Since", since),
    h("div", { class: "field-actions" }, h("button", { type: "submit" }, "Show"), filters.entity || filters.user || filters.since ? h("a", { class: "button secondary", href: slug ? `#/processes/${encode(slug)}/history` : "#/audit" }, "Clear") : null),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (entity.value) q.set("entity", entity.value);
    if (user.value.trim()) q.set("user", user.value.trim());
    if (since.value) q.set("since", since.value);
    if (!slug && query.get("process")) q.set("process", query.get("process"));
    setQuery(q);
  });

  const what = (e) => {
    const key = slug && e.entity_key.startsWith(`${slug}/`) ? e.entity_key.slice(slug.length + 1) : e.entity_key;
    return h("span", {}, h("span", { class: "audit-entity" }, ENTITIES[e.entity] || e.entity), " ", h("span", { class: "audit-key" }, key.replaceAll("->", " → ")));
  };
  const rows = table(
    [
      { label: "When", value: (e) => h("time", { datetime: e.at }, date(e.at)) },
      { label: "Who", value: (e) => e.username },
      { label: "Action", value: (e) => badge(...(ACTIONS[e.action] || [e.action])) },
      { label: "What", value: what },
      ...(slug ? [] : [{ label: "Process", value: (e) => (e.process ? link(`#/processes/${encode(e.process)}/history`, e.process) : h("span", { class: "muted" }, "–")) }]),
      { label: "Changes", value: changes },
    ],
    page.entries,
    { id: "audit-table", caption: `${page.total} change${page.total === 1 ? "" : "s"}, newest first`, empty: filters.entity || filters.user || filters.since ? "No change matches these filters." : "No change recorded yet." },
  );

  const go = (to) => {
    const q = new URLSearchParams(query);
    if (to) q.set("offset", String(to));
    else q.delete("offset");
    setQuery(q);
  };
  const pager =
    page.total > PAGE
      ? h(
          "nav",
          { class: "pager", "aria-label": "Pages of changes" },
          h("button", { type: "button", class: "secondary", disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE)) }, "Newer"),
          h("span", {}, `${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total}`),
          h("button", { type: "button", class: "secondary", disabled: offset + PAGE >= page.total, onclick: () => go(offset + PAGE) }, "Older"),
        )
      : null;

  return h(
    "div",
    { class: "audit-page" },
    crumbs,
    header,
    slug && !process ? notice(`The process “${slug}” no longer exists; its history is kept.`, "warn") : null,
    card("Changes", form, rows, pager),
  );
}
