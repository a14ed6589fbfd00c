// Shared by the event-log pages: the analysis filters carried in the URL, links to the
// cases behind a finding, share bars, department colours and problem lists.
import { duration, encode, h } from "../ui.js";

// The analysis filters, as the API and the hash query name them.
export const FILTER_KEYS = ["from", "to", "department", "activity", "variant", "where"];
const MULTI = new Set(["department", "activity", "variant", "where"]);

// The filters of a query as API parameters (lists for the repeatable ones).
export function filterParams(query) {
  const params = {};
  for (const key of FILTER_KEYS) {
    const values = query.getAll(key).filter((v) => v !== "");
    if (!values.length) continue;
    params[key] = MULTI.has(key) ? values : values[0];
  }
  return params;
}

// Only the filters of a query, as a new URLSearchParams.
export function filterSearch(query) {
  const out = new URLSearchParams();
  for (const key of FILTER_KEYS) for (const value of query.getAll(key)) if (value !== "") out.append(key, value);
  return out;
}

export function hasFilters(query) {
  return FILTER_KEYS.some((key) => query.getAll(key).some((v) => v !== ""));
}

// "#/logs/3/cases?kind=handoff&from_department=…" with the current filters kept.
export function casesHref(logId, finding, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(finding)) if (value !== null && value !== undefined) search.set(key, String(value));
  for (const [key, value] of filterSearch(query)) search.append(key, value);
  return `#/logs/${logId}/cases?${search}`;
}

export function caseHref(logId, caseId, query) {
  const filters = query ? filterSearch(query).toString() : "";
  return `#/logs/${logId}/cases/${encode(caseId)}${filters ? `?${filters}` : ""}`;
}

// A horizontal bar for a share (0..1), with the percentage beside it.
export function shareBar(share, { kind = "", label } = {}) {
  const value = Math.max(0, Math.min(1, share || 0));
  return h(
    "span",
    { class: "share" },
    h("span", { class: `share-track ${kind}`.trim(), "aria-hidden": "true" }, h("span", { class: "share-fill", style: { width: `${(value * 100).toFixed(1)}%` } })),
    h("span", { class: "share-value" }, label ?? `${(value * 100).toFixed(value < 0.1 ? 1 : 0)}%`),
  );
}

// A department's colour: distinct hues, given in the order of the log's departments
// (useDepartments) so that one log's departments never share a colour.
const PALETTE = ["#0b5cad", "#c25e00", "#1e7b3a", "#7a2e8f", "#b3261e", "#00727d", "#8a7a00", "#3d4fb5", "#a3146b", "#6d4c2f"];
const assigned = new Map();
export function useDepartments(departments) {
  assigned.clear();
  departments.filter((d) => d !== "(unassigned)").forEach((d, i) => assigned.set(d, PALETTE[i % PALETTE.length]));
}
export function departmentColour(name) {
  if (!name || name === "(unassigned)") return "#6b7684";
  if (assigned.has(name)) return assigned.get(name);
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

// Long waits summed over thousands of cases: "8,933 d" rather than "8932.8 d".
export function totalDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (Math.abs(seconds) >= 100 * 86400) return `${Math.round(seconds / 86400).toLocaleString("en-CA")} d`;
  return duration(seconds);
}

export function departmentTag(name) {
  return h("span", { class: "dept-tag" }, h("span", { class: "dept-dot", style: { background: departmentColour(name) }, "aria-hidden": "true" }), name || "(unassigned)");
}

// "Contact Centre → Roads & Sidewalks"
export function pair(from, to) {
  return h("span", { class: "pair" }, departmentTag(from), h("span", { class: "pair-arrow", "aria-label": "to" }, "→"), departmentTag(to));
}

// A problem document (ApiError) with its row problems listed by line.
export function problemNotice(error, { title, hint } = {}) {
  const rows = (error.errors || []).map((e) =>
    h("li", {}, e.line ? h("strong", { class: "line-no" }, `Line ${e.line}: `) : null, e.message || e.detail || ""),
  );
  return h(
    "div",
    { class: "notice error", role: "alert" },
    title ? h("p", { class: "notice-title" }, title) : null,
    h("p", {}, error.message),
    rows.length ? h("ul", { class: "problem-list" }, rows) : null,
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

// A period as "Jan 2 – Dec 31, 2025" (or across years "Oct 2, 2010 – Jan 23, 2012").
export function period(first, last) {
  if (!first) return "–";
  const a = new Date(first);
  const b = last ? new Date(last) : a;
  const full = { year: "numeric", month: "short", day: "numeric" };
  const format = (d, options) => d.toLocaleDateString("en-CA", options);
  if (format(a, full) === format(b, full)) return format(a, full);
  if (a.getFullYear() === b.getFullYear()) return `${format(a, { month: "short", day: "numeric" })} – ${format(b, full)}`;
  return `${format(a, full)} – ${format(b, full)}`;
}
