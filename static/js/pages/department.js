// One department's "who does what": the processes it takes part in and its steps, every
// documented handoff into and out of it with owner and standard (unowned ones flagged),
// and, from a stored event log, how many handoffs really happen and how long they wait.
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { badge, breadcrumbs, card, duration, encode, errorNotice, figure, h, link, loading, notice, number, pageHeader, table } from "../ui.js";
import { standard } from "./_process.js";
import { leads, reviewQueueCard } from "./_signoff.js";

const KINDS = [
  ["", "All versions"],
  ["as-is", "As-is versions"],
  ["to-be", "To-be options"],
];

export async function render(params, query) {
  const key = params.key;
  const kind = KINDS.some(([k]) => k && k === query.get("kind")) ? query.get("kind") : "";
  let guide;
  try {
    guide = await api.get(`/api/departments/${encode(key)}/who-does-what`, { kind });
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.status !== 404) throw error;
    return h("div", {}, breadcrumbs(["Departments", "#/departments"], [key]), pageHeader("Department not found"), errorNotice(error), link("#/departments", "Back to the departments"));
  }
  const logs = await api.get("/api/event-logs").catch(() => []);
  const dept = guide.department;

  const kindSelect = h("select", { id: "department-kind" }, KINDS.map(([value, text]) => h("option", { value, selected: value === kind }, text)));
  kindSelect.addEventListener("change", () => {
    const q = new URLSearchParams(query);
    if (kindSelect.value) q.set("kind", kindSelect.value);
    else q.delete("kind");
    setQuery(q);
  });

  const unownedIds = new Set(guide.unowned_handoffs.map((x) => x.flow_id));
  const processes = table(
    [
      { label: "Process", value: (p) => h("div", {}, link(`#/processes/${encode(p.slug)}`, p.name), h("div", { class: "muted small" }, `Owner: ${p.owner || "none"}`)) },
      { label: "Versions", value: (p) => h("div", {}, p.versions.map((v) => [link(`#/processes/${encode(p.slug)}?version=${encode(v)}`, v), " "])) },
      { label: `Steps done by ${dept.name}`, value: (p) => h("ul", { class: "dept-steps" }, p.steps.map((s) => h("li", {}, s))) },
    ],
    guide.processes,
    { id: "department-processes", empty: "This department takes part in no documented process." },
  );

  const handoffTable = (rows, direction, id) => {
    const wrap = table(
      [
        {
          label: "Process · version",
          value: (x) => h("div", {}, link(`#/processes/${encode(x.process)}?version=${encode(x.version)}`, x.process_name), h("div", {}, badge(x.version, x.version_kind === "as-is" ? "info" : ""))),
        },
        {
          label: direction === "in" ? "From" : "From (here)",
          value: (x) => h("div", {}, x.from_step_name, h("div", { class: "muted small" }, direction === "in" ? link(`#/departments/${encode(x.from_department)}`, x.from_department) : x.from_department)),
        },
        {
          label: direction === "in" ? "To (here)" : "To",
          value: (x) => h("div", {}, x.to_step_name, h("div", { class: "muted small" }, direction === "out" ? link(`#/departments/${encode(x.to_department)}`, x.to_department) : x.to_department)),
        },
        { label: "Owner", value: (x) => x.owner || badge("unowned handoff", "bad") },
        { label: "Standard", num: true, value: (x) => standard(x.standard_hours) },
      ],
      rows,
      { id, empty: direction === "in" ? "No documented handoff comes into this department." : "No documented handoff leaves this department." },
    );
    wrap.querySelectorAll?.("tbody tr").forEach((tr, i) => {
      if (!rows[i].owner || unownedIds.has(rows[i].flow_id)) tr.classList.add("row-unowned");
    });
    return wrap;
  };

  const unownedIn = guide.handoffs_in.filter((x) => !x.owner).length;
  const unownedOut = guide.handoffs_out.filter((x) => !x.owner).length;

  // --- mined volumes and waits from a stored log ---
  const logId = logs.some((l) => String(l.id) === query.get("log")) ? query.get("log") : "";
  const logChooser = h(
    "select",
    { id: "department-log" },
    h("option", { value: "" }, "Choose a stored event log…"),
    logs.map((l) => h("option", { value: String(l.id), selected: String(l.id) === logId }, `${l.name} · ${number(l.cases)} cases${l.departments.includes(dept.name) ? "" : " (no events here)"}`)),
  );
  const mined = h("div", { id: "department-mined", "aria-live": "polite" });
  logChooser.addEventListener("change", () => {
    const q = new URLSearchParams(query);
    if (logChooser.value) q.set("log", logChooser.value);
    else q.delete("log");
    history.replaceState(null, "", `#/departments/${encode(key)}${q.toString() ? `?${q}` : ""}`);
    showMined(logChooser.value);
  });

  async function showMined(id) {
    const log = logs.find((l) => String(l.id) === String(id));
    if (!log) {
      mined.replaceChildren(h("p", { class: "muted" }, logs.length ? "Choose a log to see how many handoffs into and out of this department it records, and how long they wait." : "No event log is stored yet. ", logs.length ? null : link("#/logs", "Import one")));
      return;
    }
    if (!log.departments.includes(dept.name)) {
      mined.replaceChildren(notice(`“${log.name}” records no event in ${dept.name}. Its departments: ${log.departments.join(", ")}.`, "info"));
      return;
    }
    mined.replaceChildren(loading("Analysing the log…"));
    try {
      const analysis = await api.get(`/api/event-logs/${log.id}/analysis`, { department: dept.name });
      if (logChooser.value !== String(log.id)) return; // another log was picked meanwhile
      mined.replaceChildren(minedTable(log, analysis));
    } catch (error) {
      if (!(error instanceof api.ApiError)) throw error;
      mined.replaceChildren(errorNotice(error));
    }
  }

  // The documented standard for a department pair: the tightest among the as-is handoffs
  // (whatever versions the page lists, the log is compared with how work runs today).
  const asIs = kind === "to-be" ? await api.get(`/api/departments/${encode(key)}/who-does-what`, { kind: "as-is" }) : guide;
  const documented = new Map();
  for (const x of [...asIs.handoffs_in, ...asIs.handoffs_out]) {
    if (x.version_kind !== "as-is") continue;
    const pair = `${x.from_department}\u0000${x.to_department}`;
    const entry = documented.get(pair) || { flows: 0, standard: null };
    entry.flows += 1;
    if (x.standard_hours && (entry.standard === null || x.standard_hours < entry.standard)) entry.standard = x.standard_hours;
    documented.set(pair, entry);
  }

  function minedTable(log, analysis) {
    const rows = analysis.handoffs
      .filter((r) => r.from_department === dept.name || r.to_department === dept.name)
      .map((r) => ({ ...r, direction: r.to_department === dept.name ? "in" : "out", doc: documented.get(`${r.from_department}\u0000${r.to_department}`) }))
      .sort((a, b) => (a.direction === b.direction ? b.count - a.count : a.direction === "in" ? -1 : 1));
    const totalIn = rows.filter((r) => r.direction === "in").reduce((n, r) => n + r.count, 0);
    const totalOut = rows.filter((r) => r.direction === "out").reduce((n, r) => n + r.count, 0);
    const versus = (r) => {
      if (!r.doc) return badge("not documented", "warn");
      if (!r.doc.standard) return h("span", { class: "muted" }, "no standard");
      const limit = r.doc.standard * 3600;
      if (r.median_wait_s > limit) return badge("median over standard", "bad");
      if (r.p90_wait_s > limit) return badge("p90 over standard", "warn");
      return badge("within standard", "good");
    };
    return h(
      "div",
      {},
      h("div", { class: "figures compact" }, figure("handoffs in", number(totalIn)), figure("handoffs out", number(totalOut)), figure("cases touching the department", number(analysis.log.cases))),
      h("div", { class: "spacer" }),
      table(
        [
          { label: "Direction", value: (r) => h("span", { class: `direction ${r.direction}` }, r.direction === "in" ? "In" : "Out") },
          { label: "From", value: (r) => h(r.from_department === dept.name ? "strong" : "span", { class: "nowrap" }, r.from_department) },
          { label: "To", value: (r) => h(r.to_department === dept.name ? "strong" : "span", { class: "nowrap" }, r.to_department) },
          { label: "Handoffs", num: true, value: (r) => number(r.count) },
          { label: "Cases", num: true, value: (r) => number(r.cases) },
          { label: "Median wait", num: true, value: (r) => duration(r.median_wait_s) },
          { label: "p90 wait", num: true, value: (r) => duration(r.p90_wait_s) },
          { label: "Documented standard", num: true, value: (r) => (r.doc?.standard ? standard(r.doc.standard) : "–") },
          { label: "Against the standard", value: versus },
          {
            label: "Cases behind",
            value: (r) => link(`#/logs/${log.id}/cases?${new URLSearchParams({ kind: "handoff", from_department: r.from_department, to_department: r.to_department })}`, "List", { "aria-label": `Cases with a handoff from ${r.from_department} to ${r.to_department}` }),
          },
        ],
        rows,
        { id: "department-mined-handoffs", caption: `Handoffs into and out of ${dept.name} in “${log.name}”: waits are the time between the two departments’ consecutive events of a case.`, empty: `“${log.name}” records no handoff into or out of ${dept.name}.` },
      ),
      h("p", { class: "muted small" }, "The standard is the tightest documented for that pair of departments in the as-is versions. ", link(`#/logs/${log.id}`, "Open the full analysis of this log")),
    );
  }

  // the as-is handoffs its branch leads sign off: first thing on the page for them
  const queue = reviewQueueCard(key, dept.name);
  const leader = leads(dept.name);

  const page = h(
    "div",
    { class: "department-page" },
    breadcrumbs(["Departments", "#/departments"], [dept.name]),
    pageHeader(dept.name, "Who does what: processes, steps and every handoff into and out of the department", h("a", { class: "button secondary", href: "#/departments" }, "All departments"), h("a", { class: "button secondary", id: "department-scorecard", href: `#/scorecard?department=${encode(dept.name)}` }, "Scorecard")),
    h("form", { class: "kind-filter", onsubmit: (e) => e.preventDefault() }, h("div", { class: "field" }, h("label", { for: "department-kind" }, "Versions"), kindSelect)),
    h(
      "div",
      { class: "figures" },
      figure("processes", number(dept.processes)),
      figure("steps", number(dept.steps)),
      figure("owners (roles)", number(dept.owners)),
      figure("handoffs in", number(guide.handoffs_in.length)),
      figure("handoffs out", number(guide.handoffs_out.length)),
      figure("unowned handoffs", number(guide.unowned_handoffs.length), guide.unowned_handoffs.length ? "nobody answers for them" : "every handoff has an owner"),
    ),
    leader ? queue : null,
    card("Processes", processes),
    card(
      "Handoffs in",
      unownedIn ? notice(`${unownedIn} of ${guide.handoffs_in.length} handoffs into ${dept.name} have no owner.`, "warn") : null,
      handoffTable(guide.handoffs_in, "in", "handoffs-in"),
    ),
    card(
      "Handoffs out",
      unownedOut ? notice(`${unownedOut} of ${guide.handoffs_out.length} handoffs out of ${dept.name} have no owner.`, "warn") : null,
      handoffTable(guide.handoffs_out, "out", "handoffs-out"),
    ),
    leader ? null : queue,
    card("Mined volumes and waits", h("form", { class: "mined-controls", onsubmit: (e) => e.preventDefault() }, h("div", { class: "field" }, h("label", { for: "department-log" }, "Event log"), logChooser)), mined),
  );
  showMined(logId);
  return page;
}
