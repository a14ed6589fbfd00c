// The cases behind a finding (a handoff, a ping-pong pair, rework, double entry, a variant),
// a page at a time, each with its size and duration from its timeline.
import * as api from "../api.js";
import { breadcrumbs, card, date, duration, h, link, number, pageHeader, table } from "../ui.js";
import { caseHref, departmentTag, filterParams, filterSearch, hasFilters, useDepartments } from "./_logs.js";

const PAGE = 25;
const FINDING_KEYS = ["kind", "from_department", "to_department", "activity_name", "in_department", "rank"];

function describe(q) {
  const from = q.get("from_department");
  const to = q.get("to_department");
  const activity = q.get("activity_name");
  switch (q.get("kind")) {
    case "handoff":
      return [`Handed from ${from} to ${to}`, `Cases in which ${from} handed work to ${to}`];
    case "pingpong":
      return [`Ping-pong between ${from} and ${to}`, `Cases handed from ${from} to ${to} twice or more`];
    case "rework":
      return [`Rework: ${activity}`, `Cases in which ${q.get("in_department")} did “${activity}” more than once`];
    case "duplicate":
      return [`Double entry: ${activity}`, `Cases in which two or more departments did “${activity}”`];
    case "variant":
      return [`Variant ${q.get("rank")}`, `Cases following the ${ordinal(Number(q.get("rank")))} most frequent sequence of activities`];
    case "activity":
      return [`Activity: ${activity}`, `Cases with “${activity}”`];
    default:
      return ["Cases", "Cases of the log"];
  }
}

function ordinal(n) {
  if (n === 1) return "";
  const suffix = n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th";
  return `${n}${suffix}`;
}

export async function render(params, query) {
  const id = params.id;
  const offset = Math.max(0, Number(query.get("offset")) || 0);
  const finding = {};
  for (const key of FINDING_KEYS) if (query.get(key)) finding[key] = query.get(key);
  const [log, page] = await Promise.all([
    api.get(`/api/event-logs/${id}`),
    api.get(`/api/event-logs/${id}/cases`, { ...finding, ...filterParams(query), offset, limit: PAGE }),
  ]);
  useDepartments(log.departments);
  const [title, subtitle] = describe(query);
  const dashboard = `#/logs/${id}${filterSearch(query).toString() ? `?${filterSearch(query)}` : ""}`;

  // each case's size and duration, from its timeline, in parallel
  const details = await Promise.all(page.cases.map((c) => api.get(`/api/event-logs/${id}/cases/${encodeURIComponent(c)}`).catch(() => null)));
  const rows = page.cases.map((caseId, i) => summary(caseId, details[i]));

  const pageHref = (to) => {
    const next = new URLSearchParams(query);
    if (to) next.set("offset", String(to));
    else next.delete("offset");
    return `#/logs/${id}/cases?${next}`;
  };
  const last = Math.min(offset + page.cases.length, page.total);
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages of cases" },
    offset > 0 ? link(pageHref(Math.max(0, offset - PAGE)), "← Previous", { class: "button secondary small", rel: "prev" }) : h("span", { class: "button secondary small", "aria-disabled": "true" }, "← Previous"),
    h("span", { class: "muted", role: "status" }, page.total ? `Cases ${number(offset + 1)}–${number(last)} of ${number(page.total)}` : "No case"),
    last < page.total ? link(pageHref(offset + PAGE), "Next →", { class: "button secondary small", rel: "next" }) : h("span", { class: "button secondary small", "aria-disabled": "true" }, "Next →"),
  );

  return h(
    "div",
    { class: "cases-page" },
    breadcrumbs(["Event logs", "#/logs"], [log.name, dashboard], ["Cases"]),
    pageHeader(title, subtitle, link(dashboard, "Back to the dashboard", { class: "button secondary" })),
    hasFilters(query) ? h("p", { class: "notice info" }, "The dashboard's filters apply: only the cases that pass them are listed.") : null,
    card(
      `${number(page.total)} cases`,
      pager,
      table(
        [
          { label: "Case", value: (r) => link(caseHref(id, r.id, query), r.id, { class: "case-link" }) },
          { label: "Events", num: true, value: (r) => (r.events === null ? "–" : number(r.events)) },
          { label: "Handoffs", num: true, value: (r) => (r.handoffs === null ? "–" : number(r.handoffs)) },
          { label: "Departments", value: (r) => h("span", { class: "dept-list" }, r.departments.map((d) => departmentTag(d))) },
          { label: "Started", value: (r) => h("span", { class: "nowrap" }, date(r.first)) },
          { label: "Elapsed", num: true, value: (r) => duration(r.elapsed) },
          { label: "Longest wait", num: true, value: (r) => duration(r.longest) },
        ],
        rows,
        { id: "cases", empty: "No case matches this finding with the current filters." },
      ),
      page.total > PAGE ? pager.cloneNode(true) : null,
    ),
  );
}

function summary(caseId, timeline) {
  if (!timeline) return { id: caseId, events: null, handoffs: null, departments: [], first: null, elapsed: null, longest: null };
  const events = timeline.events;
  const first = events[0]?.timestamp;
  const lastEvent = events[events.length - 1]?.timestamp;
  const waits = events.map((e) => e.wait_s).filter((w) => w !== null && w !== undefined);
  return {
    id: caseId,
    events: events.length,
    handoffs: events.filter((e) => e.handoff).length,
    departments: [...new Set(events.map((e) => e.department))],
    first,
    elapsed: first && lastEvent ? (new Date(lastEvent) - new Date(first)) / 1000 : null,
    longest: waits.length ? Math.max(...waits) : null,
  };
}
