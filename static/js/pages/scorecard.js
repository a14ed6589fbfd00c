// Department scorecard: the figures a branch lead is held to over a period (from a stored
// event log), with the change against the previous period, a sparkline per figure (one
// value per month) and links to the CSV and the printable page. Everything chosen lives in
// the URL query (#/scorecard?log=1&department=Engineering&from=&to=).
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { errorNotice, field, h, loading, notice, pageHeader, select } from "../ui.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// A small line of the monthly values (gaps where a month has none), last value dotted.
function sparkline(values, label) {
  const width = 120, height = 28, pad = 3;
  const root = svg("svg", { class: "spark", role: "img", "aria-label": label, width, height, viewBox: `0 0 ${width} ${height}` });
  const known = values.filter((v) => v !== null && v !== undefined);
  if (!known.length) return root;
  const low = Math.min(...known), high = Math.max(...known);
  const step = (width - 2 * pad) / Math.max(values.length - 1, 1);
  const y = (v) => height - pad - (high > low ? (v - low) / (high - low) : 0.5) * (height - 2 * pad);
  let points = [];
  const flush = () => {
    if (points.length) root.append(svg("polyline", { fill: "none", stroke: "#2a5db0", "stroke-width": 1.5, points: points.join(" ") }));
    points = [];
  };
  values.forEach((v, i) => (v === null || v === undefined ? flush() : points.push(`${(pad + i * step).toFixed(1)},${y(v).toFixed(1)}`)));
  flush();
  const last = values.map((v, i) => [v, i]).filter(([v]) => v !== null && v !== undefined).pop();
  root.append(svg("circle", { cx: (pad + last[1] * step).toFixed(1), cy: y(last[0]).toFixed(1), r: 2.2, fill: "#2a5db0" }));
  return root;
}

function shown(name, value) {
  if (value === null || value === undefined) return "–";
  if (name.endsWith("_share") || name.endsWith("_rate")) return `${(value * 100).toFixed(1)}%`;
  if (name.endsWith("_hours")) return `${value.toFixed(1)} h`;
  return new Intl.NumberFormat("en-CA").format(value);
}

// "▲ 3 (better)": the change with its direction and whether that is good for the figure.
function change(name, delta, better) {
  if (delta === null || delta === undefined) return h("span", { class: "muted" }, "–");
  if (delta === 0) return h("span", { class: "muted" }, "= no change");
  const amount = name.endsWith("_share") || name.endsWith("_rate") ? `${(Math.abs(delta) * 100).toFixed(1)} pts` : shown(name, Math.abs(delta));
  const text = `${delta > 0 ? "▲" : "▼"} ${amount}`;
  if (better === "neutral") return h("span", {}, text);
  const good = delta > 0 === (better === "higher");
  return h("span", { class: good ? "sc-better" : "sc-worse" }, `${text} (${good ? "better" : "worse"})`);
}

export async function render(_params, query) {
  const logs = await api.get("/api/event-logs").catch(() => []);
  const header = pageHeader("Department scorecard", "Volume, time holding cases, standards met, ping-pong, rework and unowned handoffs, against the period before");
  if (!logs.length) return h("div", {}, header, notice("Import an event log first: a scorecard is worked out from one."));
  const params = { from: query.get("from") || undefined, to: query.get("to") || undefined };
  const wanted = (query.get("department") || "").trim().toLowerCase();
  // Without a chosen log, the first log in which the asked-for department works (from the
  // departments each log lists: no log is analysed just to look).
  const holder = logs.find((l) => (l.departments || []).some((d) => d.toLowerCase() === wanted));
  const logId = query.get("log") || String((wanted && holder ? holder : logs[0]).id);
  let all;
  try {
    all = await api.get(`/api/event-logs/${encodeURIComponent(logId)}/scorecards`, params);
  } catch (error) {
    return h("div", {}, header, errorNotice(error));
  }
  const departments = all.departments.map((d) => d.department);
  const department = departments.find((d) => d.toLowerCase() === wanted) || departments[0];

  const update = (key, value) => {
    const q = new URLSearchParams(query);
    if (value) q.set(key, value);
    else q.delete(key);
    setQuery(q);
  };
  const logSelect = select(logs.map((l) => [String(l.id), l.name]), logId, { id: "sc-log" });
  logSelect.addEventListener("change", () => update("log", logSelect.value));
  const deptSelect = select(departments, department, { id: "sc-department" });
  deptSelect.addEventListener("change", () => update("department", deptSelect.value));
  const from = h("input", { type: "date", id: "sc-from", value: all.period.from.slice(0, 10) });
  const to = h("input", { type: "date", id: "sc-to", value: all.period.to.slice(0, 10) });
  // the period is both dates as shown: changing one keeps the other
  const period = () => {
    const q = new URLSearchParams(query);
    for (const [key, input] of [["from", from], ["to", to]]) {
      if (input.value) q.set(key, input.value);
      else q.delete(key);
    }
    setQuery(q);
  };
  from.addEventListener("change", period);
  to.addEventListener("change", period);
  const controls = h("div", { class: "filters" }, field("Event log", logSelect), field("Department", deptSelect), field("From", from, "cases starting on or after"), field("To", to, "cases starting before"));

  const body = h("div", { id: "sc-body" }, loading("Working out the scorecard…"));
  const base = `/api/event-logs/${encodeURIComponent(logId)}/scorecards`;
  const one = `${base}/${encodeURIComponent(department)}`;
  const links = h(
    "p",
    { class: "actions" },
    h("a", { class: "button secondary", id: "sc-csv", href: api.url(one, { ...params, format: "csv" }), download: "scorecard.csv" }, "Download CSV"),
    " ",
    h("a", { class: "button secondary", id: "sc-all-csv", href: api.url(base, { ...params, format: "csv" }), download: "scorecards.csv" }, "CSV of every department"),
    " ",
    h("a", { class: "button secondary", id: "sc-print", href: api.url(one, { ...params, format: "html" }), target: "_blank", rel: "noopener" }, "Printable page"),
  );
  api
    .get(one, params)
    .then((card) => {
      const rows = Object.entries(card.figures).map(([name, meta]) =>
        h(
          "tr",
          { dataset: { figure: name } },
          h("th", { scope: "row" }, meta.label),
          h("td", { class: "num" }, shown(name, card.current[name])),
          h("td", { class: "num" }, shown(name, card.previous[name])),
          h("td", {}, change(name, card.change[name], meta.better)),
          h("td", {}, sparkline(card.trend.map((m) => m[name]), `${meta.label} per month`)),
        ),
      );
      const months = card.trend.length ? `${card.trend[0].month} to ${card.trend[card.trend.length - 1].month}` : "";
      const standards = card.standards.process ? `Standards of ${card.standards.process} (${card.standards.chosen}).` : "No documented process matches this log, so no standard is checked.";
      body.replaceChildren(
        h("p", { class: "muted" }, `${card.department}: cases starting ${card.period.from.slice(0, 10)} to before ${card.period.to.slice(0, 10)}, against ${card.previous_period.from.slice(0, 10)} to before ${card.previous_period.to.slice(0, 10)}. ${standards}`),
        h(
          "table",
          { id: "sc-figures" },
          h("caption", {}, `Scorecard of ${card.department}`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Figure"), h("th", { scope: "col" }, "This period"), h("th", { scope: "col" }, "Previous period"), h("th", { scope: "col" }, "Change"), h("th", { scope: "col" }, `Per month ${months}`))),
          h("tbody", {}, rows),
        ),
      );
    })
    .catch((error) => body.replaceChildren(errorNotice(error)));
  return h("div", {}, header, controls, links, body);
}
