// Compare options: the as-is and a to-be option side by side (maps, numbers, differences)
// and the program review ranking the as-is and every option by weighted criteria.
// Everything chosen lives in the URL query, so a review can be shared by link.
import * as api from "../api.js";
import { location, setQuery } from "../app.js";
import { badge, breadcrumbs, card, encode, errorNotice, h, link, loading, notice, number, pageHeader, select, table } from "../ui.js";
import {
  CRITERIA,
  CYCLE,
  NEEDS_LOG,
  DEFAULT_WEIGHTS,
  FIELD_LABELS,
  METRICS,
  SHORT,
  changeText,
  criterion,
  formatDelta,
  formatValue,
  hoursWithDays,
  isDefault,
  parseWeights,
  verdict,
  weightParams,
  weightsText,
} from "./_compare.js";

// The control to focus again after a selection re-renders the page (keyboard users keep
// their place).
let refocus = null;

function choose(query, changes, controlId) {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") next.delete(key);
    else next.set(key, value);
  }
  refocus = controlId;
  setQuery(next);
}

// Record a setting in the URL without re-rendering (weights while typing, map style).
function remember(key, value) {
  const { path, query } = location();
  if (value) query.set(key, value);
  else query.delete(key);
  const search = query.toString();
  history.replaceState(null, "", `#${path}${search ? `?${search}` : ""}`);
}

function reviewUrl(slug, format, log, weights) {
  return api.url(`/api/processes/${encode(slug)}/review`, { format, log, weight: isDefault(weights) ? [] : weightParams(weights) });
}

export async function render(_params, query) {
  const [processes, logs] = await Promise.all([api.get("/api/processes"), api.get("/api/event-logs")]);
  const slug = query.get("process") || "";
  const process = processes.find((p) => p.slug === slug);
  const logId = query.get("log") || "";
  const log = logs.find((l) => String(l.id) === logId);

  if (refocus) {
    const id = refocus;
    refocus = null;
    requestAnimationFrame(() => document.getElementById(id)?.focus());
  }

  const processSelect = select([["", "Choose a process…"], ...processes.map((p) => [p.slug, p.name])], slug, { id: "cmp-process" });
  processSelect.addEventListener("change", () => choose(query, { process: processSelect.value, from: null, to: null }, "cmp-process"));
  const logSelect = select([["", "No event log"], ...logs.map((l) => [String(l.id), `${l.name} · ${number(l.cases)} cases`])], log ? logId : "", { id: "cmp-log" });
  logSelect.addEventListener("change", () => choose(query, { log: logSelect.value }, "cmp-log"));

  const header = pageHeader(
    "Compare options",
    process ? `${process.name}: the as-is against a to-be option, and every option ranked` : "An as-is process against its to-be options, on maps and on numbers",
  );
  const crumbs = process ? breadcrumbs(["Catalogue", "#/"], [process.name, `#/processes/${encode(process.slug)}`], ["Compare options"]) : null;

  if (!process) {
    return h(
      "div",
      { class: "compare" },
      header,
      slug ? errorNotice(new Error(`There is no process '${slug}' in the catalogue. Choose one below.`)) : null,
      card(
        "What to compare",
        h("form", { class: "inline", onsubmit: (e) => e.preventDefault() }, fieldOf("Process", processSelect), fieldOf("Event log (optional)", logSelect)),
      ),
      card(
        "Processes with options",
        table(
          [
            { label: "Process", value: (p) => link(`#/compare?process=${encode(p.slug)}${log ? `&log=${log.id}` : ""}`, p.name) },
            { label: "Owner", value: (p) => p.owner || badge("no owner", "bad") },
            { label: "Options", value: (p) => optionBadges(p) },
            { label: "Handoffs (as-is)", num: true, value: (p) => String(p.versions.find((v) => v.kind === "as-is")?.handoffs ?? "–") },
          ],
          processes,
          { id: "cmp-processes", empty: "The catalogue has no processes yet." },
        ),
      ),
    );
  }

  const versions = process.versions;
  const asIs = versions.find((v) => v.kind === "as-is");
  const options = versions.filter((v) => v.kind === "to-be");
  const fromLabel = query.get("from") || asIs?.label || versions[0]?.label || "";
  const toLabel = query.get("to") || options[0]?.label || "";
  const from = versions.find((v) => v.label === fromLabel);
  const to = versions.find((v) => v.label === toLabel);
  const versionOptions = versions.map((v) => [v.label, `${v.label} (${v.kind}${v.status ? `, ${v.status}` : ""})`]);

  const fromSelect = select(from ? versionOptions : [["", "Choose a version…"], ...versionOptions], from ? fromLabel : "", { id: "cmp-from" });
  fromSelect.addEventListener("change", () => choose(query, { from: fromSelect.value }, "cmp-from"));
  const toSelect = select(to ? versionOptions : [["", toLabel ? "Choose a version…" : "No to-be option"], ...versionOptions], to ? toLabel : "", { id: "cmp-to" });
  toSelect.addEventListener("change", () => choose(query, { to: toSelect.value }, "cmp-to"));
  const swap = h("button", { type: "button", class: "secondary", id: "cmp-swap", disabled: !toLabel, title: "Swap the two versions" }, "⇄ Swap");
  swap.addEventListener("click", () => choose(query, { from: toLabel, to: fromLabel }, "cmp-swap"));

  const selection = card(
    "What to compare",
    h(
      "form",
      { class: "inline cmp-selection", onsubmit: (e) => e.preventDefault() },
      fieldOf("Process", processSelect),
      fieldOf("As-is (from)", fromSelect),
      h("div", { class: "cmp-swap" }, swap),
      fieldOf("Option (to)", toSelect),
      fieldOf("Event log (optional)", logSelect),
    ),
  );

  // Unknown versions (an old link) get the API's own sentence, and no broken maps.
  const comparison = h("div", { id: "cmp-comparison" });
  if (from && to) fillComparison(comparison, process, fromLabel, toLabel, from, to, log, logs, query);
  else if (!options.length) {
    comparison.append(
      card(
        "As-is and option",
        notice(`${process.name} has no to-be option yet, so there is nothing to compare its as-is with. Describe an option on the process page first.`, "warn"),
        h("p", {}, link(`#/processes/${encode(process.slug)}`, `Open ${process.name}`)),
      ),
    );
  } else {
    const body = h("div", { id: "cmp-numbers" }, loading());
    comparison.append(card("As-is and option", body));
    api
      .get(`/api/processes/${encode(process.slug)}/compare`, { from: fromLabel, to: toLabel })
      .then(() => body.replaceChildren(notice("Choose two versions above.", "warn")))
      .catch((error) => body.replaceChildren(errorNotice(error), h("p", {}, "Choose versions it has above.")));
  }

  return h(
    "div",
    { class: "compare" },
    crumbs,
    header,
    selection,
    comparison,
    reviewCard(process, log, logs, query),
  );
}

function fieldOf(label, control, hint) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("small", { id: hintId }, hint) : null);
}

function optionBadges(p) {
  const options = p.versions.filter((v) => v.kind === "to-be");
  return options.length ? h("div", { class: "cmp-badges" }, options.map((v) => badge(v.label))) : badge("no option yet", "warn");
}

// --- as-is against one option ------------------------------------------------------------

function fillComparison(root, process, fromLabel, toLabel, from, to, log, logs, query) {
  const slug = encode(process.slug);
  const numbers = h("div", { id: "cmp-numbers" }, loading("Comparing the two versions…"));
  const changes = h("div", { id: "cmp-changes" }, loading());
  root.append(h("div", { class: "cmp-two" }, card("Numbers", numbers), card("What changes", changes)), mapsCard(process, from, to, fromLabel, toLabel), diffMapCard(process, fromLabel, toLabel, query));

  api
    .get(`/api/processes/${slug}/compare`, { from: fromLabel, to: toLabel, log: log?.id })
    .then((doc) => {
      numbers.replaceChildren(...metricsBlock(doc, log, logs, process));
      changes.replaceChildren(...changesBlock(doc));
    })
    .catch((error) => {
      numbers.replaceChildren(errorNotice(error));
      changes.replaceChildren(h("p", { class: "empty" }, "No differences to show."));
    });
}

function metricsBlock(doc, log, logs, process) {
  const fromM = doc.from.metrics;
  const toM = doc.to.metrics;
  const rows = METRICS.filter(([key]) => key in fromM || CYCLE.has(key)).map(([key, label, unit]) => ({ key, label, unit, from: fromM[key], to: toM[key], delta: doc.delta[key] }));
  const cell = (unit, value, key) => (CYCLE.has(key) ? hoursWithDays(value) : formatValue(unit, value));
  const out = [];
  out.push(summary(doc));
  out.push(
    table(
      [
        { label: "Measure", value: (r) => r.label },
        { label: doc.from.label, num: true, value: (r) => (r.from === undefined || r.from === null) && CYCLE.has(r.key) ? h("span", { class: "muted" }, "needs a log") : cell(r.unit, r.from, r.key) },
        { label: doc.to.label, num: true, value: (r) => (r.to === undefined || r.to === null) && CYCLE.has(r.key) ? h("span", { class: "muted" }, "needs a log") : cell(r.unit, r.to, r.key) },
        { label: "Change", num: true, value: (r) => deltaCell(r) },
      ],
      rows,
      { id: "cmp-metrics", caption: `${doc.from.label} → ${doc.to.label}; fewer is better for every measure` },
    ),
  );
  if (!log) out.push(logAdvice(logs, process, "Expected cycle times need an event log of this service: choose one under “Event log” above and the waits mined from it are replayed over both versions."));
  else out.push(h("p", { class: "muted cmp-note" }, `Expected cycle times replay the waits mined from ${log.name} (10,000 seeded runs); flows new in the option use their standard, or 24 h without one.`));
  return out;
}

function deltaCell(r) {
  if (r.delta === undefined || r.delta === null) return h("span", { class: "muted" }, "–");
  const v = verdict(r.delta);
  const pct = r.from ? ` (${r.delta > 0 ? "+" : "\u2212"}${Math.round(Math.abs(r.delta / r.from) * 100)}%)` : "";
  return h(
    "span",
    { class: `cmp-delta ${v}`, dataset: { delta: String(r.delta) } },
    v === "same" ? "no change" : formatDelta(r.unit, r.delta),
    v === "same" ? null : h("span", { class: "cmp-pct" }, pct),
    v === "same" ? null : h("span", { class: "cmp-sr" }, ` ${v}`),
  );
}

function summary(doc) {
  const d = doc.delta;
  const parts = [];
  const fewer = (n, one, many) => `${Math.abs(n)} ${d && n < 0 ? "fewer" : "more"} ${Math.abs(n) === 1 ? one : many}`;
  if (d.handoffs) parts.push(fewer(d.handoffs, "handoff", "handoffs"));
  if (d.steps) parts.push(fewer(d.steps, "step", "steps"));
  if (d.manual_entry_steps) parts.push(fewer(d.manual_entry_steps, "manual re-entry", "manual re-entries"));
  if (d.hands_on_minutes) parts.push(`${number(Math.abs(d.hands_on_minutes))} min ${d.hands_on_minutes < 0 ? "less" : "more"} hands-on time per request`);
  if (d.expected_cycle_hours) parts.push(`an expected cycle ${number(Math.abs(d.expected_cycle_hours), 1)} h ${d.expected_cycle_hours < 0 ? "shorter" : "longer"}`);
  const text = parts.length ? `${doc.to.label} has ${joinWords(parts)} than ${doc.from.label}.` : `${doc.to.label} and ${doc.from.label} have the same figures.`;
  return h("p", { class: "cmp-summary", id: "cmp-summary" }, text);
}

function joinWords(parts) {
  return parts.length < 2 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

// Without a log: say so plainly, and point at the log that looks like this service.
function logAdvice(logs, process, text) {
  const best = logs
    .map((l) => ({ l, shared: (l.departments || []).filter((d) => process.departments.includes(d)).length }))
    .sort((a, b) => b.shared - a.shared || b.l.id - a.l.id)[0];
  const { query } = location();
  let suggestion = null;
  if (best && best.shared >= 2) {
    query.set("log", String(best.l.id));
    suggestion = h("span", {}, " ", link(`#/compare?${query}`, `Use ${best.l.name}`), ` (shares ${best.shared} departments with this process).`);
  }
  const focus = h("button", { type: "button", class: "secondary cmp-small" }, "Choose an event log");
  focus.addEventListener("click", () => document.getElementById("cmp-log")?.focus());
  return h("div", { class: "notice info cmp-needs-log", role: "status" }, h("p", {}, text, suggestion), logs.length ? h("p", { class: "cmp-notice-actions" }, focus) : h("p", {}, link("#/logs", "Import an event log")));
}

function changesBlock(doc) {
  const diff = doc.diff || {};
  const list = (items, kind, render) =>
    items && items.length ? h("ul", { class: `cmp-list ${kind}` }, items.map((x) => h("li", {}, h("span", { class: "cmp-mark", "aria-hidden": "true" }, kind === "removed" ? "−" : "+"), render(x)))) : h("p", { class: "empty" }, "None.");
  const pair = ([a, b]) => `${a} → ${b}`;
  const changed = diff.changed_steps || [];
  return [
    h(
      "div",
      { class: "cmp-diff-grid" },
      h("div", { id: "cmp-removed-steps" }, h("h3", {}, "Steps removed"), list(diff.removed_steps, "removed", String)),
      h("div", { id: "cmp-added-steps" }, h("h3", {}, "Steps added"), list(diff.added_steps, "added", String)),
      h("div", { id: "cmp-removed-handoffs" }, h("h3", {}, "Handoffs removed"), list(diff.removed_handoffs, "removed", pair)),
      h("div", { id: "cmp-added-handoffs" }, h("h3", {}, "Handoffs added"), list(diff.added_handoffs, "added", pair)),
    ),
    h("h3", {}, `Steps changed (${changed.length})`),
    table(
      [
        { label: "Step", value: (s) => h("strong", {}, s.name) },
        {
          label: "What changed",
          value: (s) =>
            h(
              "ul",
              { class: "cmp-changes" },
              Object.entries(s.changes).map(([field, [before, after]]) =>
                h("li", {}, h("span", { class: "cmp-field" }, `${FIELD_LABELS[field] || field}: `), h("span", { class: "cmp-old" }, changeText(field, before)), " → ", h("span", { class: "cmp-new" }, changeText(field, after))),
              ),
            ),
        },
      ],
      changed,
      { id: "cmp-changed-steps", empty: "No step of the same name changed." },
    ),
  ];
}

function versionHead(v, label) {
  if (!v) return h("div", { class: "cmp-version" }, h("h3", {}, label));
  const facts = [];
  if (v.effort_months !== null && v.effort_months !== undefined) facts.push(`${formatValue("months", v.effort_months)} effort`);
  if (v.one_off_cost !== null && v.one_off_cost !== undefined) facts.push(`${formatValue("money0", v.one_off_cost)} one-off`);
  if (v.expected_impact) facts.push(`${v.expected_impact} impact`);
  return h(
    "div",
    { class: "cmp-version" },
    h("h3", {}, v.label, " ", badge(v.kind, v.kind === "as-is" ? "info" : ""), v.status ? [" ", badge(v.status)] : null),
    v.description ? h("p", { class: "cmp-description" }, v.description) : null,
    facts.length ? h("p", { class: "cmp-facts" }, facts.join(" · ")) : null,
  );
}

function mapFrame(src, alt, id) {
  const img = h("img", { src, alt, class: "map", id, decoding: "async" });
  return h("figure", { class: "map-frame cmp-map" }, h("a", { href: src, target: "_blank", rel: "noopener", title: "Open the map full size in a new tab" }, img));
}

// Zoom for map frames: fit to the frame's width, or 75% / 100% of the drawing's own size
// with the frame scrolling; frames shown side by side scroll together.
const ZOOMS = [
  ["fit", "Fit"],
  ["0.75", "75%"],
  ["1", "100%"],
];

function zoomControl(frames, name) {
  let zoom = "fit";
  const apply = () => {
    for (const frame of frames) {
      const img = frame.querySelector("img");
      const set = () => {
        img.style.width = zoom === "fit" || !img.naturalWidth ? "" : `${Math.round(img.naturalWidth * Number(zoom))}px`;
      };
      frame.classList.toggle("cmp-zoomed", zoom !== "fit");
      if (img.complete) set();
      else img.addEventListener("load", set, { once: true });
    }
  };
  const buttons = ZOOMS.map(([key, label]) => {
    const b = h("button", { type: "button", "aria-pressed": String(key === zoom), dataset: { zoom: key } }, label);
    b.addEventListener("click", () => {
      zoom = key;
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === b));
      apply();
    });
    return b;
  });
  for (const frame of frames) frame.querySelector("img").addEventListener("load", apply);
  if (frames.length > 1) {
    let syncing = false;
    for (const frame of frames) {
      frame.addEventListener("scroll", () => {
        if (syncing) return;
        syncing = true;
        const x = frame.scrollLeft / Math.max(1, frame.scrollWidth - frame.clientWidth);
        const y = frame.scrollTop / Math.max(1, frame.scrollHeight - frame.clientHeight);
        for (const other of frames) {
          if (other === frame) continue;
          other.scrollLeft = x * (other.scrollWidth - other.clientWidth);
          other.scrollTop = y * (other.scrollHeight - other.clientHeight);
        }
        requestAnimationFrame(() => (syncing = false));
      });
    }
  }
  return h("div", { class: "cmp-segmented", role: "group", "aria-label": `Zoom of ${name}` }, h("span", { class: "cmp-seg-label", "aria-hidden": "true" }, "Zoom"), buttons);
}

function mapsCard(process, from, to, fromLabel, toLabel) {
  const slug = encode(process.slug);
  const src = (label) => `/api/processes/${slug}/map?version=${encode(label)}`;
  const frames = [
    mapFrame(src(fromLabel), `Map of ${process.name}, ${fromLabel}, in department swimlanes`, "cmp-map-from"),
    mapFrame(src(toLabel), `Map of ${process.name}, ${toLabel}, in department swimlanes`, "cmp-map-to"),
  ];
  const body = h(
    "div",
    { class: "cmp-maps" },
    h("div", { class: "cmp-head-from" }, versionHead(from, fromLabel)),
    h("div", { class: "cmp-head-to" }, versionHead(to, toLabel)),
    h("div", { class: "cmp-frame-from" }, frames[0]),
    h("div", { class: "cmp-frame-to" }, frames[1]),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "cmp-maps-title" },
    h("div", { class: "cmp-card-head" }, h("h2", { id: "cmp-maps-title" }, "The two versions"), zoomControl(frames, "the two maps")),
    h("p", { class: "muted cmp-legend" }, "Each version in department swimlanes: thick arrows are handoffs between departments, labelled with their owner and standard; red ones have no owner; ✎ marks a step where data is keyed in by hand. Zoom in to read them (the two frames scroll together), or open a map full size in a new tab by clicking it."),
    body,
  );
}

const STYLES = [
  ["diff", "Differences on one map", "Removed steps and flows are red and dashed, added ones green, changed ones amber with what changed noted on them, unchanged ones grey; thick arrows are handoffs between departments. Swimlanes follow the option’s departments."],
  ["side-by-side", "Both maps in one drawing", "The two versions drawn next to each other in one image, each in its own department swimlanes, for printing or a slide."],
];

function diffMapCard(process, fromLabel, toLabel, query) {
  const slug = encode(process.slug);
  let style = query.get("style") === "side-by-side" ? "side-by-side" : "diff";
  const src = (s) => api.url(`/api/processes/${slug}/compare/map`, { from: fromLabel, to: toLabel, style: s });
  const frame = mapFrame(src(style), "", "cmp-diff-map");
  const img = frame.querySelector("img");
  const anchor = frame.querySelector("a");
  const legend = h("p", { class: "muted cmp-legend", id: "cmp-diff-legend" });
  const buttons = STYLES.map(([key, label]) => {
    const b = h("button", { type: "button", class: "cmp-seg", "aria-pressed": String(key === style), dataset: { style: key } }, label);
    b.addEventListener("click", () => {
      style = key;
      remember("style", key === "diff" ? null : key);
      update();
    });
    return b;
  });
  function update() {
    const [, , text] = STYLES.find(([key]) => key === style);
    img.src = src(style);
    anchor.href = src(style);
    img.alt = style === "diff" ? `Differences between ${fromLabel} and ${toLabel} of ${process.name} on one map` : `${fromLabel} and ${toLabel} of ${process.name} drawn side by side`;
    legend.textContent = text;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.style === style));
  }
  update();
  return h(
    "section",
    { class: "card", "aria-labelledby": "cmp-diff-title" },
    h("div", { class: "cmp-card-head" }, h("h2", { id: "cmp-diff-title" }, `${fromLabel} → ${toLabel}`), h("div", { class: "cmp-head-actions" }, h("div", { class: "cmp-segmented", role: "group", "aria-label": "Map style" }, buttons), zoomControl([frame], "the comparison map"))),
    legend,
    frame,
  );
}

// --- program review ----------------------------------------------------------------------

const WEIGHT_LABELS = {
  expected_cycle_hours: "Expected cycle (median)",
  expected_impact: "Expected impact",
  effort_months: "Effort (months)",
};

function optionCount(process) {
  const n = process.versions.filter((v) => v.kind === "to-be").length;
  return n === 1 ? "its only option" : n === 2 ? "both options" : `all ${n} options`;
}

function reviewCard(process, log, logs, query) {
  const weights = { ...Object.fromEntries(CRITERIA.map((c) => [c.key, 0])), ...parseWeights(query.get("weights")) };
  const result = h("div", { id: "cmp-review" }, loading("Scoring the options…"));
  const logNote = h("div", { id: "cmp-review-log" });
  const csv = h("a", { class: "button secondary", id: "cmp-csv", download: `${process.slug}-review.csv` }, "Download CSV");
  const report = h("a", { class: "button secondary", id: "cmp-report", target: "_blank", rel: "noopener" }, "Open printable report");
  const inputs = {};
  const errors = {};

  function setLinks() {
    csv.href = reviewUrl(process.slug, "csv", log?.id, weights);
    report.href = reviewUrl(process.slug, "html", log?.id, weights);
  }

  const weightField = (c) => {
    const input = h("input", { type: "number", id: `w-${c.key}`, min: "0", max: "100", step: "0.5", inputmode: "decimal", value: String(weights[c.key] || 0), dataset: { criterion: c.key } });
    const error = h("span", { class: "error", id: `w-${c.key}-error`, role: "alert" });
    inputs[c.key] = input;
    errors[c.key] = error;
    input.setAttribute("aria-describedby", `w-${c.key}-hint w-${c.key}-error`);
    input.addEventListener("input", () => {
      const text = input.value.trim();
      const n = text === "" ? 0 : Number(text);
      const bad = !Number.isFinite(n) || n < 0;
      error.textContent = bad ? "A weight is a number of 0 or more." : "";
      input.closest(".field").classList.toggle("invalid", bad);
      input.setAttribute("aria-invalid", String(bad));
      if (bad) return;
      weights[c.key] = n;
      changed();
    });
    return h(
      "div",
      { class: "field cmp-weight" },
      h("label", { for: input.id }, WEIGHT_LABELS[c.key] || SHORT[c.key] || c.label),
      input,
      h("small", { id: `w-${c.key}-hint` }, `${c.better} is better${DEFAULT_WEIGHTS[c.key] ? `, default ${DEFAULT_WEIGHTS[c.key]}` : ""}`),
      error,
    );
  };
  const main = Object.keys(DEFAULT_WEIGHTS).map(criterion);
  const more = CRITERIA.filter((c) => !DEFAULT_WEIGHTS[c.key]);
  const extra = h("details", { class: "cmp-more", open: more.some((c) => weights[c.key] > 0) }, h("summary", {}, `More criteria (${more.length})`), h("div", { class: "cmp-weights" }, more.map(weightField)));
  const reset = h("button", { type: "button", class: "secondary", id: "cmp-reset", disabled: isDefault(weights) }, "Reset to defaults");
  reset.addEventListener("click", () => {
    for (const c of CRITERIA) {
      weights[c.key] = DEFAULT_WEIGHTS[c.key] || 0;
      inputs[c.key].value = String(weights[c.key]);
      errors[c.key].textContent = "";
      inputs[c.key].closest(".field").classList.remove("invalid");
      inputs[c.key].removeAttribute("aria-invalid");
    }
    extra.open = false;
    changed(0);
  });

  let timer = null;
  let run = 0;
  function changed(delay = 350) {
    reset.disabled = isDefault(weights);
    remember("weights", isDefault(weights) ? null : weightsText(weights));
    setLinks();
    clearTimeout(timer);
    timer = setTimeout(load, delay);
  }

  async function load() {
    const mine = ++run;
    result.setAttribute("aria-busy", "true");
    try {
      const data = await api.get(`/api/processes/${encode(process.slug)}/review`, { log: log?.id, weight: weightParams(weights) });
      if (mine !== run) return;
      result.replaceChildren(...reviewTable(data.rows, weights, log), h("div", { id: "cmp-payback", class: "cmp-payback" }, h("h3", {}, "Payback"), h("ul", {}, (data.payback_notes || []).map((line) => h("li", {}, line)))));
      logNote.replaceChildren(...(log ? [] : [logAdvice(logs, process, weights.expected_cycle_hours > 0 || weights.expected_cycle_p90_hours > 0 ? "Expected cycle time carries weight in this review but needs an event log: without one no version gains from it. Choose a log under “Event log” above." : "Expected cycle times need an event log: choose one under “Event log” above to add them to the review.")]));
    } catch (error) {
      if (mine !== run) return;
      result.replaceChildren(errorNotice(error));
    } finally {
      if (mine === run) result.removeAttribute("aria-busy");
    }
  }

  setLinks();
  load();

  return h(
    "section",
    { class: "card cmp-review-card", "aria-labelledby": "cmp-review-title" },
    h(
      "div",
      { class: "cmp-card-head" },
      h("div", {}, h("h2", { id: "cmp-review-title" }, "Program review"), h("p", { class: "muted cmp-intro" }, `The as-is and ${optionCount(process)} of ${process.name}, ranked. Each weighted criterion is scaled from 0 (worst) to 1 (best) across the versions; the score is the weighted mean.`)),
      h("div", { class: "actions" }, csv, report),
    ),
    logNote,
    h(
      "form",
      { class: "cmp-weights-form", onsubmit: (e) => e.preventDefault(), "aria-labelledby": "cmp-weights-title" },
      h("div", { class: "cmp-weights-head" }, h("h3", { id: "cmp-weights-title" }, "Weights"), reset),
      h("div", { class: "cmp-weights" }, main.map(weightField)),
      extra,
    ),
    result,
  );
}

function leader(best, next) {
  const first = [h("strong", {}, best.label), best.kind === "as-is" ? " (keeping the as-is)" : ""];
  if (next && next.score === best.score) return [...first, ` ties with ${next.label} on ${best.score.toFixed(2)} of 1 (listed by name); change the weights to separate them.`];
  return [...first, ` ranks first with ${best.score.toFixed(2)} of 1`, next ? `, ahead of ${next.label} (${next.score.toFixed(2)}).` : "."];
}

const PAYBACK_SHOWN = ["yearly_savings", "payback_months"];

/** A payback figure as text: an option whose savings are not above zero never pays back. */
function paybackCell(key, row) {
  const value = row[key];
  if (key === "payback_months" && (value === null || value === undefined) && row.yearly_savings !== null && row.yearly_savings <= 0) return "does not pay back";
  if (value === null || value === undefined) return "—";
  return formatValue(CRITERIA.find((c) => c.key === key).unit, value);
}

function reviewTable(rows, weights, log) {
  const sorted = [...rows].sort((a, b) => a.rank - b.rank);
  // Columns in a stable order (the default criteria first), so editing a weight does not
  // move them around.
  const order = [...Object.keys(DEFAULT_WEIGHTS), ...CRITERIA.map((c) => c.key).filter((k) => !(k in DEFAULT_WEIGHTS))];
  const given = rows[0]?.weights || weights;
  const used = Object.entries(given)
    .filter(([, w]) => w > 0)
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
  const best = sorted[0];
  const cellFor = (key, row) => {
    const c = criterion(key);
    const value = row[key];
    if ((value === null || value === undefined) && row.missing.includes(key)) {
      return h("span", { class: "cmp-missing" }, badge("missing", "warn"), h("span", { class: "cmp-scaled" }, "scores 0"));
    }
    const scaled = row.criteria?.[key];
    return h("span", { class: "cmp-crit" }, CYCLE.has(key) ? formatValue("hours", value) : formatValue(c.unit, value), scaled === undefined ? null : h("span", { class: "cmp-scaled" }, `scores ${scaled.toFixed(2)}`));
  };
  const columns = [
    { label: "Rank", num: true, value: (r) => h("span", { class: `cmp-rank${r.rank === 1 ? " first" : ""}` }, String(r.rank)) },
    { label: "Version", value: (r) => h("div", { class: "cmp-label" }, h("strong", {}, r.label), h("span", {}, badge(r.kind, r.kind === "as-is" ? "info" : ""))) },
    {
      label: "Score",
      value: (r) =>
        h(
          "div",
          { class: "cmp-score" },
          h("span", { class: "cmp-score-track", "aria-hidden": "true" }, h("span", { class: "cmp-score-fill", style: { width: `${Math.max(0, Math.min(1, r.score)) * 100}%` } })),
          h("span", { class: "cmp-score-value" }, r.score.toFixed(2)),
        ),
    },
    ...used.map(([key, w]) => ({ label: `${SHORT[key] || key} ×${number(w, Number.isInteger(w) ? 0 : 1)}`, num: true, value: (r) => cellFor(key, r) })),
    // With a log the payback figures are shown on every row, weighted or not.
    ...(log ? PAYBACK_SHOWN.filter((key) => !used.some(([u]) => u === key)) : []).map((key) => ({
      label: `${SHORT[key]} (not weighted)`,
      num: true,
      value: (r) => paybackCell(key, r),
    })),
  ];
  // Without a log the cycle criteria are missing everywhere; the log notice says so already.
  const note = (r) => r.missing.filter((k) => log || !NEEDS_LOG.has(k));
  const missing = rows.filter((r) => note(r).length);
  const ranking = table(columns, sorted, { id: "cmp-ranking", caption: `Ranked by score; each column is a weighted criterion (×weight) with its value and its 0–1 score${log ? `; expected cycle from ${log.name}` : ""}.` });
  ranking.querySelectorAll("tbody tr").forEach((tr, i) => {
    tr.dataset.label = sorted[i].label;
    if (sorted[i].kind === "as-is") tr.classList.add("cmp-as-is");
  });
  const out = [
    h("p", { class: "cmp-verdict-line", id: "cmp-leader" }, best ? leader(best, sorted[1]) : null),
    ranking,
  ];
  if (missing.length) {
    out.push(
      h(
        "div",
        { class: "notice warn cmp-missing-note", role: "status" },
        h("p", {}, "Missing values score 0 on their criterion:"),
        h("ul", {}, missing.map((r) => h("li", {}, h("strong", {}, r.label), `: ${note(r).map((k) => criterion(k).label.toLowerCase()).join(", ")}`))),
      ),
    );
  }
  return out;
}
