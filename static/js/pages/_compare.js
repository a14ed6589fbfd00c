// Compare page helpers: metric and criterion names, number formats, weights in the URL.
import { h, number } from "../ui.js";

// The CONTRACT section 4 metrics (app/domain/reviews/comparison.py METRICS + CYCLE_METRICS),
// in the order documents show them. Every one of them is better when lower.
export const METRICS = [
  ["steps", "Steps", "count"],
  ["handoffs", "Handoffs between departments", "count"],
  ["departments", "Departments touched", "count"],
  ["manual_entry_steps", "Manual re-entry steps", "count"],
  ["duplicate_steps", "Steps done by two departments", "count"],
  ["unowned_handoffs", "Handoffs nobody owns", "count"],
  ["hands_on_minutes", "Hands-on time per request", "minutes"],
  ["cost", "Staff cost per request", "money"],
  ["expected_cycle_hours", "Expected cycle time (median)", "hours"],
  ["expected_cycle_p90_hours", "Expected cycle time (90th percentile)", "hours"],
];
export const CYCLE = new Set(["expected_cycle_hours", "expected_cycle_p90_hours"]);

// Every criterion a program review can weigh (app/domain/reviews/program.py CRITERIA),
// with the direction that is better, and the defaults (DEFAULT_WEIGHTS). The API has no
// endpoint listing them, so they are mirrored here; an unknown name gets the API's 400.
export const CRITERIA = [
  ...METRICS.map(([key, label, unit]) => ({ key, label, unit, better: "lower" })),
  { key: "effort_months", label: "Effort to implement", unit: "months", better: "lower" },
  { key: "one_off_cost", label: "One-off cost", unit: "money0", better: "lower" },
  { key: "expected_impact", label: "Expected impact", unit: "impact", better: "higher" },
  { key: "yearly_savings", label: "Yearly savings", unit: "money0", better: "higher" },
  { key: "payback_months", label: "Payback period", unit: "months", better: "lower" },
  { key: "resident_hours_saved_per_year", label: "Resident hours saved a year", unit: "count", better: "higher" },
];
// Criteria that need an event log (the yearly cases, the expected cycle).
export const NEEDS_LOG = new Set(["expected_cycle_hours", "expected_cycle_p90_hours", "yearly_savings", "payback_months", "resident_hours_saved_per_year"]);
export const SHORT = {
  steps: "Steps",
  handoffs: "Handoffs",
  departments: "Departments",
  manual_entry_steps: "Manual re-entry",
  duplicate_steps: "Done twice",
  unowned_handoffs: "Unowned handoffs",
  hands_on_minutes: "Hands-on time",
  cost: "Cost / request",
  expected_cycle_hours: "Expected cycle",
  expected_cycle_p90_hours: "Expected cycle p90",
  effort_months: "Effort",
  one_off_cost: "One-off cost",
  expected_impact: "Impact",
  yearly_savings: "Yearly savings",
  payback_months: "Payback",
  resident_hours_saved_per_year: "Resident hours saved",
};
export const DEFAULT_WEIGHTS = {
  expected_cycle_hours: 3,
  handoffs: 2,
  expected_impact: 2,
  hands_on_minutes: 1,
  one_off_cost: 1,
  effort_months: 1,
};
export const criterion = (key) => CRITERIA.find((c) => c.key === key) || { key, label: key, unit: "count", better: "lower" };

const money = new Intl.NumberFormat("en-CA", { style: "currency", currency: "CAD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const money0 = new Intl.NumberFormat("en-CA", { style: "currency", currency: "CAD", maximumFractionDigits: 0 });

// A value as a table shows it ("–" when there is none).
export function formatValue(unit, value) {
  if (value === null || value === undefined) return "–";
  switch (unit) {
    case "minutes":
      return `${number(value)} min`;
    case "money":
      return money.format(value);
    case "money0":
      return money0.format(value);
    case "hours":
      return `${number(value, 1)} h`;
    case "months":
      return `${number(value, Number.isInteger(value) ? 0 : 1)} mo`;
    case "impact":
      return String(value);
    default:
      return number(value, Number.isInteger(value) ? 0 : 1);
  }
}

// A difference with a real minus sign: "−3", "+$4.50", "−141.7 h".
export function formatDelta(unit, delta) {
  if (delta === null || delta === undefined) return "–";
  if (delta === 0) return "no change";
  const sign = delta < 0 ? "\u2212" : "+";
  return sign + formatValue(unit, Math.abs(delta));
}

// Lower is better for every metric: fewer steps, handoffs, minutes, cost, hours.
export function verdict(delta) {
  if (delta === null || delta === undefined || delta === 0) return "same";
  return delta < 0 ? "better" : "worse";
}

// Hours also in days, for long cycle times: "303.7 h" + "12.7 days".
export function hoursWithDays(value) {
  if (value === null || value === undefined) return "–";
  return h("span", {}, formatValue("hours", value), value >= 48 ? h("span", { class: "muted cmp-days" }, ` ${number(value / 24, 1)} d`) : null);
}

// Weights travel in the URL as "handoffs:2,expected_cycle_hours:3" (criteria above 0).
export function parseWeights(text) {
  if (!text) return { ...DEFAULT_WEIGHTS };
  const weights = {};
  for (const part of text.split(",")) {
    const [key, value] = part.split(/[:=]/);
    const n = Number(value);
    if (key && Number.isFinite(n)) weights[key.trim()] = n;
  }
  return Object.keys(weights).length ? weights : { ...DEFAULT_WEIGHTS };
}

export function isDefault(weights) {
  const keys = new Set([...Object.keys(weights), ...Object.keys(DEFAULT_WEIGHTS)]);
  return [...keys].every((k) => (weights[k] || 0) === (DEFAULT_WEIGHTS[k] || 0));
}

export function weightsText(weights) {
  return Object.entries(weights)
    .filter(([, w]) => w > 0)
    .map(([k, w]) => `${k}:${w}`)
    .join(",");
}

// The API's weight=criterion=N list: the positive weights, or every one when none is
// positive (so the API answers with its own sentence instead of using its defaults).
export function weightParams(weights) {
  const positive = Object.entries(weights).filter(([, w]) => w > 0);
  return (positive.length ? positive : Object.entries(weights)).map(([k, w]) => `${k}=${w}`);
}

// A changed step's field values as words: booleans, lists and nothing.
export function changeText(field, value) {
  if (value === null || value === undefined || value === "") return "none";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "boolean") return field === "manual_entry" ? (value ? "keyed in by hand" : "no re-keying") : value ? "yes" : "no";
  if (field === "cost") return money.format(value);
  if (field === "minutes") return `${number(value, Number.isInteger(value) ? 0 : 1)} min`;
  return String(value);
}

export const FIELD_LABELS = {
  department: "Department",
  departments: "Departments",
  owner: "Owner",
  system: "System",
  manual_entry: "Manual entry",
  minutes: "Hands-on time",
  cost: "Cost",
};
