// A log's dashboard: headline figures, filters bound to the URL, the handoffs that cost the
// most waiting, rework and double entry, variants, mined maps and conformance.
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { badge, breadcrumbs, card, clear, date, duration, encode, errorNotice, figure, h, hours, link, loading, mapImage, number, pageHeader, percent, table } from "../ui.js";
import { casesHref, departmentTag, filterParams, hasFilters, pair, period, shareBar, totalDuration, useDepartments } from "./_logs.js";
import { actionButton } from "./_actions.js";

const TABS = [
  ["bottlenecks", "Bottlenecks"],
  ["rework", "Rework & double entry"],
  ["variants", "Variants"],
  ["maps", "Maps"],
  ["conformance", "Conformance"],
];
const VIEW_KEYS = ["tab", "measure", "keep", "process", "version"];

export async function render(params, query) {
  const id = params.id;
  const filters = filterParams(query);
  const [log, processes] = await Promise.all([api.get(`/api/event-logs/${id}`), api.get("/api/processes").catch(() => [])]);
  useDepartments(log.departments);
  const figures = h("div", { class: "figures", id: "log-figures" }, loading("Analysing the log…"));
  // a large log is analysed once on the server in the background: show that while waiting
  const analysis = api.get(`/api/event-logs/${id}/analysis`, filters, { onWait: (body) => clear(figures, computing(body)) });
  analysis.catch(() => {}); // each section shows the failure itself
  const notes = h("div", { id: "log-notes" });
  const ctx = { id, log, query, filters, analysis, processes };
  const panels = {
    bottlenecks: () => bottlenecksPanel(ctx),
    rework: () => reworkPanel(ctx),
    variants: () => variantsPanel(ctx),
    maps: () => mapsPanel(ctx),
    conformance: () => conformancePanel(ctx),
  };

  analysis.then(
    (doc) => {
      clear(figures, headline(doc, log, filters));
      clear(notes, (doc.notes || []).map((n) => h("p", { class: "notice info" }, n)));
    },
    (error) => clear(figures, errorNotice(error)),
  );

  return h(
    "div",
    { class: "dashboard" },
    breadcrumbs(["Event logs", "#/logs"], [log.name]),
    pageHeader(
      log.name,
      `${log.source_filename} · ${log.format.toUpperCase()}${log.wrapper ? ` in ${log.wrapper}` : ""} · imported ${date(log.created_at)}`,
      h("a", { class: "button secondary", href: "#/logs" }, "All event logs"),
    ),
    filterForm(ctx, analysis),
    figures,
    notes,
    tabs(query, panels),
  );
}

// ---------------------------------------------------------------- filters

function filterForm({ log, query }, analysis) {
  const from = h("input", { type: "date", id: "filter-from", value: query.get("from") || "" });
  const to = h("input", { type: "date", id: "filter-to", value: query.get("to") || "" });
  const chosenDepartments = new Set(query.getAll("department"));
  const departmentBoxes = log.departments.map((d) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "department", value: d, checked: chosenDepartments.has(d) }), d),
  );
  const activity = h("select", { id: "filter-activity" }, h("option", { value: "" }, "Any activity"));
  for (const a of query.getAll("activity")) activity.append(h("option", { value: a, selected: true }, a));
  analysis.then((doc) => {
    const have = new Set(query.getAll("activity"));
    for (const a of doc.activities.map((x) => x.activity).sort((x, y) => x.localeCompare(y))) if (!have.has(a)) activity.append(h("option", { value: a }, a));
  }, () => {});
  const where = h("input", { type: "text", id: "filter-where", value: query.getAll("where").join("; "), placeholder: "Channel=Phone; Ward=3" });
  const variant = query.getAll("variant");

  function apply(event) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of VIEW_KEYS) if (query.get(key)) next.set(key, query.get(key));
    if (from.value) next.set("from", from.value);
    if (to.value) next.set("to", to.value);
    for (const box of departmentBoxes.map((l) => l.querySelector("input"))) if (box.checked) next.append("department", box.value);
    if (activity.value) next.append("activity", activity.value);
    for (const part of where.value.split(";").map((w) => w.trim()).filter(Boolean)) next.append("where", part);
    for (const v of variant) next.append("variant", v);
    setQuery(next);
  }

  function clearAll() {
    const next = new URLSearchParams();
    for (const key of VIEW_KEYS) if (query.get(key)) next.set(key, query.get(key));
    setQuery(next);
  }

  function dropVariant() {
    const next = new URLSearchParams(query);
    next.delete("variant");
    setQuery(next);
  }

  const active = hasFilters(query);
  return h(
    "form",
    { class: "card filters", id: "filters", onsubmit: apply, "aria-label": "Filters" },
    h(
      "div",
      { class: "filters-head" },
      h("h2", {}, "Filters"),
      h("span", { class: "muted small" }, "Filters keep or drop whole cases, so waits are never cut."),
      active ? badge("filtered", "warn") : null,
    ),
    h(
      "div",
      { class: "filters-grid" },
      h("div", { class: "field" }, h("label", { for: "filter-from" }, "Cases starting from"), from),
      h("div", { class: "field" }, h("label", { for: "filter-to" }, "Starting before"), to),
      h("div", { class: "field" }, h("label", { for: "filter-activity" }, "Cases with activity"), activity),
      h("div", { class: "field grow" }, h("label", { for: "filter-where" }, "Where column = value"), where, h("small", {}, "Separate several with a semicolon.")),
      h("fieldset", { class: "field departments-field" }, h("legend", {}, "Cases touching department"), h("div", { class: "checks" }, departmentBoxes)),
    ),
    variant.length
      ? h(
          "div",
          { class: "variant-filter" },
          h("span", { class: "muted" }, "Only the variant "),
          h("span", { class: "sequence small" }, variant.join(" → ")),
          h("button", { type: "button", class: "secondary small", onclick: dropVariant }, "Remove variant filter"),
        )
      : null,
    h(
      "div",
      { class: "filters-actions" },
      h("button", { type: "submit", id: "filters-apply" }, "Apply filters"),
      active ? h("button", { type: "button", class: "secondary", onclick: clearAll }, "Clear filters") : null,
    ),
  );
}

function headline(doc, log, filters) {
  const l = doc.log;
  const filtered = Object.keys(filters).length > 0;
  const departments = l.departments.filter((d) => d !== "(unassigned)");
  return [
    figure("cases", number(l.cases), filtered ? `of ${number(log.cases)} in the log` : null),
    figure("events", number(l.events), filtered ? `of ${number(log.events)}` : null),
    figure("activities", number(l.activities)),
    figure("departments", number(departments.length), l.departments.includes("(unassigned)") ? "plus unassigned events" : null),
    figure("period", h("span", { class: "figure-period" }, period(l.first_event, l.last_event))),
    figure("duplicate rows dropped", number(l.exact_duplicate_rows_dropped), `of ${number(l.rows_read)} rows read`),
  ];
}

// ---------------------------------------------------------------- tabs

function tabs(query, panels) {
  const current = TABS.some(([key]) => key === query.get("tab")) ? query.get("tab") : TABS[0][0];
  const loaded = new Set();
  const buttons = [];
  const sections = [];
  function show(key, focus = false) {
    for (const [i, [k]] of TABS.entries()) {
      const selected = k === key;
      buttons[i].setAttribute("aria-selected", String(selected));
      buttons[i].tabIndex = selected ? 0 : -1;
      sections[i].hidden = !selected;
      if (selected && focus) buttons[i].focus();
      if (selected && !loaded.has(k)) {
        loaded.add(k);
        sections[i].replaceChildren(panels[k]());
      }
    }
    // the tab is part of the address (reload, share) without reloading the page
    const next = new URLSearchParams(window.location.hash.split("?")[1] || "");
    if (key === TABS[0][0]) next.delete("tab");
    else next.set("tab", key);
    const path = window.location.hash.split("?")[0];
    const search = next.toString();
    history.replaceState(null, "", `${path}${search ? `?${search}` : ""}`);
  }
  for (const [i, [key, label]] of TABS.entries()) {
    const button = h("button", { type: "button", role: "tab", id: `tab-${key}`, "aria-controls": `panel-${key}`, onclick: () => show(key) }, label);
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) {
        event.preventDefault();
        show(TABS[(i + step + TABS.length) % TABS.length][0], true);
      }
    });
    buttons.push(button);
    sections.push(h("div", { role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}`, class: "tab-panel", hidden: true }));
  }
  show(current);
  return h("div", { class: "dashboard-tabs" }, h("div", { class: "tabs", role: "tablist", "aria-label": "Dashboard sections" }, buttons), sections);
}

// While the server computes the analysis of a large log (202 answers).
function computing(body) {
  const so = body.elapsed_s ? ` (${Math.round(body.elapsed_s)} s so far)` : "";
  return h("div", { class: "computing", id: "log-computing" }, loading(`Computing the analysis of this large log${so}…`), h("p", { class: "muted" }, "It is computed once and then kept, so the next visit is quick. This page fills in by itself."));
}

// A section filled from the analysis document when it arrives.
function fromAnalysis(analysis, build) {
  const holder = h("div", { class: "stack" }, loading("Analysing the log…"));
  analysis.then(
    (doc) => clear(holder, build(doc)),
    (error) => clear(holder, errorNotice(error)),
  );
  return holder;
}

function top(rows, shown, render) {
  // the first `shown` rows, and a button for the rest
  const holder = h("div", {});
  const draw = (all) => {
    holder.replaceChildren(render(all ? rows : rows.slice(0, shown)));
    if (rows.length > shown)
      holder.append(h("button", { type: "button", class: "secondary small more", onclick: () => draw(!all) }, all ? "Show fewer" : `Show all ${rows.length}`));
  };
  draw(false);
  return holder;
}

// ---------------------------------------------------------------- bottlenecks

function bottlenecksPanel({ id, query, analysis }) {
  return fromAnalysis(analysis, (doc) => {
    const totalWait = doc.handoffs.reduce((sum, x) => sum + x.total_wait_s, 0) || 1;
    const allWait = doc.bottlenecks.length ? doc.bottlenecks[0].total_wait_s / (doc.bottlenecks[0].share || 1) : 0;
    return [
      card(
        "Handoffs by total wait",
        h("p", { class: "muted card-intro" }, "Every transfer between two departments, ranked by the waiting it carries. Open the cases behind any row."),
        top(doc.handoffs, 10, (rows) =>
          table(
            [
              { label: "#", num: true, value: (x) => String(doc.handoffs.indexOf(x) + 1) },
              { label: "Handoff", value: (x) => pair(x.from_department, x.to_department) },
              { label: "Handoffs", num: true, value: (x) => number(x.count) },
              { label: "Cases", num: true, value: (x) => number(x.cases) },
              { label: "Total wait", num: true, value: (x) => totalDuration(x.total_wait_s) },
              { label: "Median", num: true, value: (x) => duration(x.median_wait_s) },
              { label: "P90", num: true, value: (x) => duration(x.p90_wait_s) },
              { label: "Share of handoff waiting", value: (x) => shareBar(x.total_wait_s / totalWait) },
              {
                label: "Cases",
                value: (x) =>
                  link(casesHref(id, { kind: "handoff", from_department: x.from_department, to_department: x.to_department }, query), `${number(x.cases)} case${x.cases === 1 ? "" : "s"}`, {
                    class: "cases-link",
                    "aria-label": `Cases handed from ${x.from_department} to ${x.to_department}`,
                  }),
              },
              { label: "Action", value: (x) => actionButton({ logId: id, query, doc, finding: { kind: "handoff", from_department: x.from_department, to_department: x.to_department }, department: x.to_department, departments: doc.log.departments, label: `Handoff ${x.from_department} → ${x.to_department}` }) },
            ],
            rows,
            { id: "handoffs", empty: "No case moves between departments in this log." },
          ),
        ),
      ),
      h(
        "div",
        { class: "grid" },
        card(
          "Where the waiting is",
          h("p", { class: "muted card-intro" }, `Handoffs and steps by their share of all waiting time${allWait ? ` (${totalDuration(allWait)} in all)` : ""}.`),
          top(doc.bottlenecks, 8, (rows) =>
            table(
              [
                { label: "Kind", value: (x) => badge(x.kind, x.kind === "handoff" ? "warn" : "info") },
                { label: "Where", value: (x) => (x.kind === "handoff" ? pair(...x.name.split(" -> ")) : x.name) },
                { label: "Total wait", num: true, value: (x) => totalDuration(x.total_wait_s) },
                { label: "Share", value: (x) => shareBar(x.share) },
                { label: "Cases", num: true, value: (x) => number(x.cases) },
                {
                  label: "Action",
                  value: (x) => {
                    const [from, to] = x.kind === "handoff" ? x.name.split(" -> ") : [];
                    const finding = x.kind === "handoff" ? { kind: "handoff", from_department: from, to_department: to } : { kind: "step", activity: x.name };
                    return actionButton({ logId: id, query, doc, finding, department: to, departments: doc.log.departments, label: `Bottleneck ${x.kind === "handoff" ? `${from} → ${to}` : x.name}` });
                  },
                },
              ],
              rows,
              { id: "bottlenecks", empty: "No waiting time in this log." },
            ),
          ),
        ),
        card(
          "Departments",
          h("p", { class: "muted card-intro" }, "How long each department holds a case between its own events."),
          table(
            [
              { label: "Department", value: (x) => departmentTag(x.department) },
              { label: "Cases", num: true, value: (x) => number(x.cases) },
              { label: "In", num: true, value: (x) => number(x.handoffs_in) },
              { label: "Out", num: true, value: (x) => number(x.handoffs_out) },
              { label: "Median hold per case", num: true, value: (x) => duration(x.median_holding_per_case_s) },
            ],
            doc.departments,
            { id: "departments" },
          ),
        ),
      ),
    ];
  });
}

// ---------------------------------------------------------------- rework

function reworkPanel({ id, query, analysis }) {
  return fromAnalysis(analysis, (doc) => [
    h(
      "div",
      { class: "grid" },
      card(
        "Ping-pong",
        h("p", { class: "muted card-intro" }, "Department pairs handing a case over twice or more."),
        table(
          [
            { label: "Between", value: (x) => pair(x.from_department, x.to_department) },
            { label: "Cases", num: true, value: (x) => link(casesHref(id, { kind: "pingpong", from_department: x.from_department, to_department: x.to_department }, query), number(x.cases)) },
            { label: "Action", value: (x) => actionButton({ logId: id, query, doc, finding: { kind: "pingpong", from_department: x.from_department, to_department: x.to_department }, department: x.to_department, departments: doc.log.departments, label: `Ping-pong ${x.from_department} ↔ ${x.to_department}` }) },
          ],
          doc.pingpong,
          { id: "pingpong", empty: "No case bounced between two departments." },
        ),
      ),
      card(
        "Rework",
        h("p", { class: "muted card-intro" }, "The same activity repeated by the same department within a case."),
        table(
          [
            { label: "Activity", value: (x) => x.activity },
            { label: "Department", value: (x) => departmentTag(x.department) },
            { label: "Cases", num: true, value: (x) => link(casesHref(id, { kind: "rework", activity_name: x.activity, in_department: x.department }, query), number(x.cases)) },
            { label: "Extra runs", num: true, value: (x) => number(x.extra_executions) },
            { label: "Action", value: (x) => actionButton({ logId: id, query, doc, finding: { kind: "rework", activity: x.activity, department: x.department }, department: x.department, departments: doc.log.departments, label: `Rework of ${x.activity} (${x.department})` }) },
          ],
          doc.rework,
          { id: "rework", empty: "No activity was repeated." },
        ),
      ),
    ),
    h(
      "div",
      { class: "grid" },
      card(
        "Cross-department duplicates",
        h("p", { class: "muted card-intro" }, "The same activity done by two or more departments in one case: data keyed in twice."),
        table(
          [
            { label: "Activity", value: (x) => x.activity },
            { label: "Departments", value: (x) => h("span", { class: "dept-list" }, x.departments.map((d) => departmentTag(d))) },
            { label: "Cases", num: true, value: (x) => link(casesHref(id, { kind: "duplicate", activity_name: x.activity }, query), number(x.cases)) },
            { label: "Action", value: (x) => actionButton({ logId: id, query, doc, finding: { kind: "duplicate", activity: x.activity }, department: x.departments[x.departments.length - 1], departments: doc.log.departments, label: `Double entry of ${x.activity}` }) },
          ],
          doc.cross_department_duplicates,
          { id: "duplicates", empty: "No activity is done by two departments in one case." },
        ),
      ),
      card(
        "Similar activities",
        h("p", { class: "muted card-intro" }, "Different names that are probably the same work."),
        table(
          [
            { label: "Activity", value: (x) => x.a ?? x.activity_a ?? x.activities?.[0] ?? "" },
            { label: "Similar to", value: (x) => x.b ?? x.activity_b ?? x.activities?.[1] ?? "" },
            { label: "Similarity", num: true, value: (x) => number(x.similarity ?? x.score, 0) },
          ],
          doc.similar_activities,
          { id: "similar", empty: "No two activity names look like the same work." },
        ),
      ),
    ),
  ]);
}

// ---------------------------------------------------------------- variants

function variantsPanel({ id, query, analysis }) {
  return fromAnalysis(analysis, (doc) => {
    const rows = doc.variants.slice(0, 10).map((v, i) => ({ ...v, rank: i + 1 }));
    function pick(v) {
      const next = new URLSearchParams(query);
      next.delete("variant");
      for (const a of v.activities) next.append("variant", a);
      next.set("tab", "variants");
      setQuery(next);
    }
    return card(
      "Most frequent variants",
      h("p", { class: "muted card-intro" }, `The ${rows.length} most frequent activity sequences of ${number(doc.variants.length)}${doc.variants.length >= 100 ? "+" : ""}. Filter the whole dashboard to one of them, or open its cases.`),
      table(
        [
          { label: "#", num: true, value: (v) => String(v.rank) },
          { label: "Sequence", value: (v) => h("ol", { class: "sequence" }, v.activities.map((a) => h("li", {}, h("span", { class: "chip" }, a)))) },
          { label: "Steps", num: true, value: (v) => String(v.activities.length) },
          { label: "Cases", num: true, value: (v) => number(v.cases) },
          { label: "Share of cases", value: (v) => shareBar(v.share, { kind: "blue" }) },
          {
            label: "Actions",
            value: (v) =>
              h(
                "div",
                { class: "row-actions" },
                link(casesHref(id, { kind: "variant", rank: v.rank }, query), "Cases", { class: "button secondary small", "aria-label": `Cases of variant ${v.rank}` }),
                h("button", { type: "button", class: "secondary small", onclick: () => pick(v), "aria-label": `Filter to variant ${v.rank}` }, "Filter"),
              ),
          },
        ],
        rows,
        { id: "variants", empty: "No variant." },
      ),
    );
  });
}

// ---------------------------------------------------------------- maps

// Fetch an SVG map: a problem becomes its sentence, the edge count header is read.
async function fetchMap(path, params) {
  const url = api.url(path, params);
  const response = await fetch(url);
  if (!response.ok) {
    let body = {};
    try {
      body = await response.json();
    } catch (_) {
      /* not JSON */
    }
    throw new api.ApiError(response.status, body.title, body.detail, body.errors);
  }
  const blob = await response.blob();
  return { url, objectUrl: URL.createObjectURL(blob), edges: response.headers.get("X-Handoff-Edges") };
}

function mapsPanel({ id, query, filters, log, analysis }) {
  let measure = query.get("measure") === "performance" ? "performance" : "frequency";
  let keep = Number(query.get("keep")) || 80;
  const holder = h("div", { class: "map-holder", id: "mined-map" });
  const caption = h("p", { class: "muted map-count", id: "mined-map-count", role: "status" });
  const zoom = h("button", { type: "button", class: "secondary small", "aria-pressed": "false" }, "Actual size");
  zoom.addEventListener("click", () => {
    const on = zoom.getAttribute("aria-pressed") !== "true";
    zoom.setAttribute("aria-pressed", String(on));
    zoom.textContent = on ? "Fit to width" : "Actual size";
    holder.classList.toggle("actual-size", on);
  });
  const keepValue = h("output", { for: "map-keep", id: "map-keep-value" }, `${keep}%`);
  const slider = h("input", { type: "range", id: "map-keep", min: "10", max: "100", step: "5", value: String(keep) });
  const radios = ["frequency", "performance"].map((m) =>
    h(
      "label",
      { class: "segment" },
      h("input", { type: "radio", name: "measure", value: m, checked: m === measure }),
      h("span", {}, m === "frequency" ? "Frequency" : "Performance (waits)"),
    ),
  );
  let run = 0;

  function remember() {
    const [path, search] = window.location.hash.split("?");
    const next = new URLSearchParams(search || "");
    next.set("measure", measure);
    next.set("keep", String(keep));
    history.replaceState(null, "", `${path}?${next}`);
  }

  async function draw() {
    const mine = ++run;
    holder.replaceChildren(loading("Drawing the map…"));
    caption.textContent = "";
    try {
      const map = await fetchMap(`/api/event-logs/${id}/map`, { ...filters, measure, keep });
      if (mine !== run) return;
      const [shown, total] = (map.edges || "").split("/");
      const figureEl = mapImage(map.objectUrl, `Mined map of ${log.name} by ${measure}: the busiest transitions between activities`);
      figureEl.querySelector("a").href = map.url;
      figureEl.querySelector("img").loading = "eager";
      figureEl.dataset.measure = measure;
      holder.replaceChildren(figureEl);
      caption.textContent = total ? `Showing ${number(Number(shown))} of ${number(Number(total))} transitions (${measure}).` : "";
    } catch (error) {
      if (mine === run) holder.replaceChildren(errorNotice(error));
    }
  }

  for (const radio of radios) {
    radio.querySelector("input").addEventListener("change", (event) => {
      measure = event.target.value;
      remember();
      draw();
    });
  }
  slider.addEventListener("input", () => (keepValue.textContent = `${slider.value}%`));
  slider.addEventListener("change", () => {
    keep = Number(slider.value);
    remember();
    draw();
  });
  draw();

  const customer = h("div", { class: "map-holder", id: "customer-map" }, loading("Drawing the map…"));
  // drawn from the analysis document: wait for it (a large log's is computed in the background)
  analysis.catch(() => null).then(() => fetchMap(`/api/event-logs/${id}/customer-map/map`, filters)).then(
    (map) => {
      const figureEl = mapImage(map.objectUrl, `Department customer map of ${log.name}: departments and the handoffs between them`);
      figureEl.querySelector("a").href = map.url;
      customer.replaceChildren(figureEl);
    },
    (error) => customer.replaceChildren(errorNotice(error)),
  );

  return h(
    "div",
    { class: "stack" },
    card(
      "Mined process map",
      h(
        "div",
        { class: "map-controls" },
        h("fieldset", { class: "segments" }, h("legend", { class: "visually-hidden" }, "Measure"), radios),
        h("div", { class: "field keep-field" }, h("label", { for: "map-keep" }, "Busiest transitions covering ", keepValue, " of all"), slider),
        zoom,
      ),
      caption,
      holder,
    ),
    card("Department customer map", h("p", { class: "muted card-intro" }, "Who depends on whom: departments as nodes, handoff volumes and waits as edges."), customer),
  );
}

// ---------------------------------------------------------------- conformance

function conformancePanel({ id, query, filters, processes }) {
  const processSelect = h("select", { id: "conf-process" }, h("option", { value: "" }, "Choose a documented process…"), processes.map((p) => h("option", { value: p.slug, selected: p.slug === query.get("process") }, p.name)));
  const versionSelect = h("select", { id: "conf-version" });
  const result = h("div", { class: "stack", id: "conformance" });

  function fillVersions(preferred) {
    const process = processes.find((p) => p.slug === processSelect.value);
    versionSelect.replaceChildren(...(process ? process.versions.map((v) => h("option", { value: v.label, selected: v.label === preferred }, v.label === v.kind ? v.label : `${v.label} (${v.kind})`)) : []));
    versionSelect.disabled = !process;
  }

  function remember() {
    const [path, search] = window.location.hash.split("?");
    const next = new URLSearchParams(search || "");
    for (const [key, value] of [["process", processSelect.value], ["version", versionSelect.value]]) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    history.replaceState(null, "", `${path}?${next}`);
  }

  let run = 0;
  async function check() {
    remember();
    const mine = ++run;
    if (!processSelect.value) {
      result.replaceChildren(h("p", { class: "empty" }, "Choose a documented process and version to see how this log's reality differs from it."));
      return;
    }
    result.replaceChildren(loading("Replaying the cases on the documented process…"));
    try {
      const doc = await api.get(`/api/event-logs/${id}/analysis`, { ...filters, process: processSelect.value, version: versionSelect.value });
      if (mine !== run) return;
      result.replaceChildren(...conformanceView(id, query, doc, processes.find((p) => p.slug === processSelect.value), versionSelect.value));
    } catch (error) {
      if (mine === run) result.replaceChildren(errorNotice(error));
    }
  }

  processSelect.addEventListener("change", () => {
    fillVersions(null);
    check();
  });
  versionSelect.addEventListener("change", check);
  fillVersions(query.get("version"));
  check();

  return h(
    "div",
    { class: "stack" },
    h(
      "div",
      { class: "card conf-form" },
      h("div", { class: "field grow" }, h("label", { for: "conf-process" }, "Documented process"), processSelect),
      h("div", { class: "field" }, h("label", { for: "conf-version" }, "Version"), versionSelect),
    ),
    result,
  );
}

function conformanceView(id, query, doc, process, version) {
  const c = doc.conformance;
  const f = c.fitness || {};
  const standards = c.service_standards || { flows: [], process: null };
  const overlay = `#/processes/${encode(process.slug)}?version=${encode(version)}&log=${id}`;
  const steps = (x) => `${x.from_step} → ${x.to_step}`;
  const out = [
    h(
      "div",
      { class: "conf-head" },
      h("p", {}, "How the cases of this log differ from ", h("strong", {}, process.name), ` (${version}).`),
      h("div", { class: "actions" }, link(overlay, "Open the process map with this log", { class: "button secondary", id: "overlay-link" })),
    ),
    h(
      "div",
      { class: "figures", id: "fitness" },
      figure("fitness", f.value !== undefined && f.value !== null ? number(f.value, 2) : "–", "token-based replay, weighted by variant"),
      figure("cases fitting exactly", percent(f.fitting_cases_share), f.cases_replayed ? `of ${number(f.cases_replayed)} cases` : null),
      figure("alignment fitness", f.alignment_fitness !== undefined && f.alignment_fitness !== null ? number(f.alignment_fitness, 2) : "–", f.alignment_fitness === null ? f.alignments : null),
      figure("transitions documented", percent(f.documented_transition_share, 1), f.transitions_checked ? `of ${number(f.transitions_checked)} observed` : null),
      standards.process ? figure("cases within the process standard", percent(standards.process.share_met), `${hours(standards.process.standard_hours)} standard · median ${hours(standards.process.median_hours)}`) : null,
    ),
    h(
      "div",
      { class: "grid" },
      card(
        "Documented steps never seen",
        table([{ label: "Step", value: (x) => (typeof x === "string" ? x : x.name || x.step || x.id) }, { label: "Department", value: (x) => (x.department ? departmentTag(x.department) : "–") }], c.documented_steps_never_seen, {
          empty: "Every documented step appears in the log.",
        }),
      ),
      card(
        "Undocumented activities",
        table(
          [
            { label: "Activity", value: (x) => x.activity },
            { label: "Events", num: true, value: (x) => number(x.events) },
            { label: "Cases", num: true, value: (x) => link(casesHref(id, { kind: "activity", activity_name: x.activity }, query), number(x.cases)) },
          ],
          c.undocumented_activities,
          { id: "undocumented-activities", empty: "Every activity of the log is a documented step." },
        ),
      ),
    ),
    h(
      "div",
      { class: "grid" },
      card(
        "Undocumented handoffs",
        table(
          [
            { label: "Handoff", value: (x) => pair(x.from_department, x.to_department) },
            { label: "Times", num: true, value: (x) => number(x.count) },
            { label: "Cases", num: true, value: (x) => link(casesHref(id, { kind: "handoff", from_department: x.from_department, to_department: x.to_department }, query), number(x.cases)) },
          ],
          c.undocumented_handoffs,
          { id: "undocumented-handoffs", empty: "Every handoff in the log is documented." },
        ),
      ),
      card(
        "Handoffs nobody owns",
        table(
          [
            { label: "Steps", value: (x) => h("span", { class: "small" }, steps(x)) },
            { label: "Handoff", value: (x) => pair(x.from_department, x.to_department) },
            { label: "Seen", num: true, value: (x) => number(x.observed) },
          ],
          c.unowned_handoffs,
          { id: "unowned-handoffs", empty: "Every documented handoff has an owner." },
        ),
      ),
    ),
    card(
      "Service standards",
      standards.process
        ? h(
            "p",
            { class: "card-intro" },
            `End to end: ${percent(standards.process.share_met)} of ${number(standards.process.observed)} cases completed within ${hours(standards.process.standard_hours)} (median ${hours(standards.process.median_hours)}).`,
          )
        : null,
      table(
        [
          { label: "Flow", value: (x) => h("div", {}, pair(x.from_department, x.to_department), h("div", { class: "muted small" }, steps(x))) },
          { label: "Owner", value: (x) => x.owner || badge("no owner", "bad") },
          { label: "Standard", num: true, value: (x) => hours(x.standard_hours) },
          { label: "Seen", num: true, value: (x) => number(x.observed) },
          { label: "Median", num: true, value: (x) => hours(x.median_hours) },
          { label: "Met", value: (x) => shareBar(x.share_met, { kind: x.share_met >= 0.8 ? "good" : x.share_met >= 0.5 ? "warn" : "bad" }) },
          {
            label: "By channel",
            value: (x) =>
              x.by_channel && x.by_channel.length
                ? h("ul", { class: "channels" }, x.by_channel.map((ch) => h("li", {}, h("span", {}, ch.channel), h("span", { class: "num" }, percent(ch.share_met)))))
                : h("span", { class: "muted" }, "–"),
          },
        ],
        standards.flows,
        { id: "service-standards", empty: "No documented flow of this version has a service standard." },
      ),
    ),
    c.mapping && c.mapping.length
      ? h(
          "details",
          { class: "card mapping-details" },
          h("summary", {}, "How the log's activities were matched to steps"),
          table(
            [
              { label: "Activity", value: (x) => x.activity },
              { label: "Step", value: (x) => x.step || h("span", { class: "muted" }, "no step") },
              { label: "Match", value: (x) => badge(x.match, x.match === "exact" ? "good" : x.match === "none" ? "bad" : "info") },
              { label: "Similarity", num: true, value: (x) => (x.similarity === null || x.similarity === undefined ? "–" : number(x.similarity)) },
            ],
            c.mapping,
          ),
        )
      : null,
    (doc.notes || []).length ? h("div", {}, doc.notes.map((n) => h("p", { class: "notice info" }, n))) : null,
  ];
  return out.filter(Boolean);
}
