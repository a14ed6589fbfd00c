// Event logs: the stored logs, and importing a new one with a preview of its first rows
// and the column mapping Handoff recognised (editable before the import).
import * as api from "../api.js";
import { card, clear, date, errorNotice, h, link, loading, number, pageHeader, table } from "../ui.js";
import { period, problemNotice } from "./_logs.js";

const ROLES = [
  ["case", "Case", true],
  ["activity", "Activity", true],
  ["timestamp", "Timestamp", true],
  ["department", "Department", false],
  ["resource", "Resource", false],
  ["start_timestamp", "Start timestamp", false],
];
// The importer's sentences name command-line flags; say where the same choice is here.
function hintFor(message) {
  const text = message || "";
  if (/--on-error skip/.test(text)) return "To leave such rows out, set “Rows that cannot be read” to “Skip them” under Reading options, then import again.";
  if (/--dayfirst|--monthfirst/.test(text)) return "Say which under Reading options (“Dates like 03/04/2025”), then import again.";
  if (/choose one with --|name it with --|there is no column/.test(text)) return "Choose the column under “Which column is which”.";
  return null;
}
const SLICE = 1024 * 1024; // the preview reads the head only: send the first MiB
const POLL_MS = 300;

export async function render() {
  const listHolder = h("div", { id: "logs-list" }, loading());
  const page = h(
    "div",
    { class: "logs-page" },
    pageHeader("Event logs", "Ticket exports from the CRM, 311 and incident systems, analysed for handoffs, waits and rework"),
    h("div", { class: "logs-layout" }, card("Stored logs", listHolder), uploadPanel()),
  );
  await loadList(listHolder);
  return page;
}

async function loadList(holder) {
  let logs;
  try {
    logs = await api.get("/api/event-logs");
  } catch (error) {
    clear(holder, errorNotice(error));
    return;
  }
  clear(
    holder,
    table(
      [
        {
          label: "Log",
          value: (l) => h("div", {}, link(`#/logs/${l.id}`, l.name, { class: "log-name" }), l.source_filename !== l.name ? h("div", { class: "muted small" }, l.source_filename) : null),
        },
        { label: "Events", num: true, value: (l) => number(l.events) },
        { label: "Cases", num: true, value: (l) => number(l.cases) },
        {
          label: "Departments",
          num: true,
          value: (l) => h("span", { title: l.departments.join(", ") }, number(l.departments.filter((d) => d !== "(unassigned)").length)),
        },
        { label: "Period", value: (l) => h("span", { class: "nowrap" }, period(l.first_event, l.last_event)) },
        { label: "Imported", value: (l) => h("span", { class: "nowrap" }, date(l.created_at)) },
        {
          label: "Actions",
          value: (l) =>
            h(
              "div",
              { class: "row-actions" },
              h("a", { class: "button secondary small", href: `#/logs/${l.id}`, "aria-label": `Open the dashboard of ${l.name}` }, "Dashboard"),
              h(
                "button",
                {
                  type: "button",
                  class: "danger small needs-edit",
                  "aria-label": `Delete ${l.name}`,
                  onclick: async (event) => {
                    if (!window.confirm(`Delete the event log “${l.name}” and its ${number(l.events)} events? This cannot be undone.`)) return;
                    event.currentTarget.disabled = true;
                    try {
                      await api.send("DELETE", `/api/event-logs/${l.id}`);
                      await loadList(holder);
                    } catch (error) {
                      holder.prepend(errorNotice(error));
                    }
                  },
                },
                "Delete",
              ),
            ),
        },
      ],
      logs,
      { id: "logs", empty: "No event log is stored yet. Import one with the panel on this page." },
    ),
  );
}

function uploadPanel() {
  let file = null;
  let preview = null;
  let overrides = {}; // roles the analyst set away from what was recognised
  let previewRun = 0;

  const input = h("input", { type: "file", id: "log-file", class: "visually-hidden", accept: ".csv,.tsv,.txt,.xes,.xml,.parquet,.gz,.zip" });
  const chosen = h("span", { class: "drop-file" }, "");
  const zone = h(
    "label",
    { class: "dropzone", for: "log-file", id: "log-dropzone" },
    h("span", { class: "drop-icon", "aria-hidden": "true" }, "⇪"),
    h("span", { class: "drop-main" }, h("strong", {}, "Drop a log file here"), " or ", h("span", { class: "drop-link" }, "choose one")),
    h("span", { class: "drop-hint" }, "CSV, XES or Parquet, plain or in .gz / .zip"),
    chosen,
    input,
  );
  const nameInput = h("input", { type: "text", id: "log-name", placeholder: "Default: the file name", maxlength: "300" });
  const timezone = h("input", { type: "text", id: "log-timezone", placeholder: "UTC", list: "log-zones" });
  const dayfirst = h("select", { id: "log-dayfirst" }, h("option", { value: "" }, "Decide from the data"), h("option", { value: "true" }, "Day first (03/04 = 3 April)"), h("option", { value: "false" }, "Month first (03/04 = 4 March)"));
  const onError = h("select", { id: "log-on-error" }, h("option", { value: "reject" }, "Refuse the file"), h("option", { value: "skip" }, "Skip them and count them"));
  const previewHolder = h("div", { class: "preview", id: "log-preview" });
  const status = h("div", { class: "import-status", id: "import-status", "aria-live": "polite" });
  const importButton = h("button", { type: "submit", id: "log-import", disabled: true }, "Import");
  const resetButton = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => reset() }, "Choose another file");

  function reset() {
    file = null;
    preview = null;
    overrides = {};
    input.value = "";
    chosen.textContent = "";
    zone.classList.remove("has-file");
    previewHolder.replaceChildren();
    status.replaceChildren();
    importButton.disabled = true;
    resetButton.hidden = true;
  }

  function choose(picked) {
    if (!picked) return;
    file = picked;
    overrides = {};
    chosen.textContent = `${picked.name} · ${sizeText(picked.size)}`;
    zone.classList.add("has-file");
    status.replaceChildren();
    resetButton.hidden = false;
    runPreview();
  }

  input.addEventListener("change", () => choose(input.files[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    choose(event.dataTransfer.files[0]);
  });

  function readingFields(form) {
    for (const [role, column] of Object.entries(overrides)) form.append(role, column);
    if (timezone.value.trim()) form.append("timezone", timezone.value.trim());
    if (dayfirst.value) form.append("dayfirst", dayfirst.value);
  }

  async function runPreview() {
    const run = ++previewRun;
    importButton.disabled = true;
    previewHolder.replaceChildren(loading("Reading the first rows…"));
    const whole = /\.(zip|parquet|parq)$/i.test(file.name) || file.size <= SLICE;
    const form = new FormData();
    form.append("file", whole ? file : file.slice(0, SLICE), file.name);
    if (!whole) form.append("partial", "true");
    readingFields(form);
    try {
      const { body } = await api.upload("/api/event-logs/preview", form);
      if (run !== previewRun) return;
      preview = body;
      showPreview();
    } catch (error) {
      if (run !== previewRun) return;
      preview = null;
      previewHolder.replaceChildren(problemNotice(error, { title: "This file cannot be imported" }));
    }
  }

  function showPreview() {
    const p = preview;
    const roleOf = {};
    for (const [role, label] of ROLES) if (p.mapping[role]) (roleOf[p.mapping[role]] ||= []).push(label);
    const selects = ROLES.map(([role, label, required]) => {
      const current = p.mapping[role] || "";
      const ambiguous = (p.candidates[role] || []).length > 1 && !current;
      const control = h(
        "select",
        { id: `map-${role}`, "aria-invalid": (required && !current) || ambiguous ? "true" : null },
        !current ? h("option", { value: "" }, required || ambiguous ? "Choose a column…" : "Not in this log") : null,
        p.columns.map((c) => h("option", { value: c, selected: c === current }, c)),
      );
      control.addEventListener("change", () => {
        if (control.value) overrides[role] = control.value;
        else delete overrides[role];
        runPreview();
      });
      const hint = ambiguous ? `Candidates: ${p.candidates[role].join(", ")}` : overrides[role] ? "chosen by you" : current ? "recognised" : required ? "required" : "optional";
      return h(
        "div",
        { class: `field map-field${(required && !current) || ambiguous ? " invalid" : ""}` },
        h("label", { for: `map-${role}` }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
        control,
        h("small", { class: overrides[role] ? "chosen" : null }, hint),
      );
    });
    const facts = [
      p.format.toUpperCase() + (p.wrapper ? ` in ${p.wrapper}` : ""),
      p.encoding ? `encoding ${p.encoding}` : null,
      p.delimiter ? `delimiter ${p.delimiter === "\t" ? "tab" : `“${p.delimiter}”`}` : null,
      `${p.columns.length} columns`,
      p.complete ? `${p.rows.length} rows in all` : `first ${p.rows.length} ${p.unit === "event" ? "events" : "rows"} shown`,
    ].filter(Boolean);
    const headRow = h(
      "tr",
      {},
      h("th", { scope: "col", class: "num" }, p.unit === "event" ? "Event" : "Line"),
      p.columns.map((c) =>
        h("th", { scope: "col", class: roleOf[c] ? "mapped" : null }, roleOf[c] ? h("span", { class: "role-tags" }, roleOf[c].map((r) => h("span", { class: "role-tag" }, r))) : null, h("span", { class: "col-name" }, c)),
      ),
    );
    const body = p.rows.map((row) =>
      h(
        "tr",
        {},
        h("td", { class: "num muted" }, String(row.line)),
        row.values.map((v, i) => h("td", { class: roleOf[p.columns[i]] ? "mapped" : null, title: v ?? "" }, v ?? "")),
      ),
    );
    const parts = [
      h("h3", { class: "preview-title" }, "Columns and first rows"),
      h("p", { class: "muted preview-facts" }, facts.join(" · ")),
      p.problem ? h("div", { class: "notice warn", role: "alert", id: "mapping-problem" }, h("p", {}, p.problem), hintFor(p.problem) ? h("p", { class: "hint" }, hintFor(p.problem)) : null) : null,
      h("fieldset", { class: "mapping" }, h("legend", {}, "Which column is which"), h("div", { class: "mapping-grid" }, selects)),
      p.row_problems.length
        ? h("div", { class: "notice warn" }, h("p", {}, "Some rows of the file's start would be refused:"), h("ul", { class: "problem-list" }, p.row_problems.map((r) => h("li", {}, h("strong", { class: "line-no" }, `Line ${r.line}: `), r.message))))
        : null,
      h("div", { class: "table-wrap preview-table" }, h("table", { id: "preview-rows" }, h("caption", { class: "visually-hidden" }, "The first rows of the file"), h("thead", {}, headRow), h("tbody", {}, body))),
    ];
    previewHolder.replaceChildren(...parts.filter(Boolean));
    importButton.disabled = Boolean(p.problem);
  }

  async function submit(event) {
    event.preventDefault();
    if (!file) return;
    importButton.disabled = true;
    resetButton.disabled = true;
    const bar = h("progress", { max: "100", value: "0", id: "import-progress" });
    const label = h("span", { class: "progress-label" }, "Uploading… 0%");
    status.replaceChildren(h("div", { class: "progress-box" }, h("div", { class: "progress-head" }, h("strong", {}, file.name), label), bar));
    const form = new FormData();
    form.append("file", file, file.name);
    if (nameInput.value.trim()) form.append("name", nameInput.value.trim());
    readingFields(form);
    if (onError.value !== "reject") form.append("on_error", onError.value);
    const done = () => {
      importButton.disabled = Boolean(preview?.problem);
      resetButton.disabled = false;
    };
    try {
      const { status: code, body } = await api.upload("/api/event-logs", form, (share) => {
        bar.value = Math.round(share * 100);
        label.textContent = `Uploading… ${Math.round(share * 100)}%`;
      });
      if (code === 202) {
        label.textContent = "Queued for import…";
        bar.value = 0;
        const job = await follow(body, bar, label);
        if (!job) return;
        if (job.state === "failed") {
          status.replaceChildren(problemNotice({ message: job.error, errors: job.problems || [] }, { title: "The import failed", hint: hintFor(job.error) }));
          done();
          return;
        }
        finished(job.log_id, job.created, job.name);
      } else finished(body.id, code === 201, body.name);
    } catch (error) {
      status.replaceChildren(problemNotice(error, { title: "The file was not imported", hint: hintFor(error.message) }));
      done();
    }

    function finished(id, created, name) {
      if (created) {
        window.location.hash = `#/logs/${id}`;
        return;
      }
      status.replaceChildren(
        h("div", { class: "notice info", role: "status", id: "already-imported" }, h("p", {}, "This content was already imported, with the same options, as ", link(`#/logs/${id}`, `“${name}”`), ". Nothing new was stored.")),
      );
      done();
    }
  }

  async function follow(job, bar, label) {
    for (;;) {
      if (!status.isConnected) return null; // the page was left
      if (job.state === "done" || job.state === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await api.get(`/api/import-jobs/${encodeURIComponent(job.id)}`);
      bar.value = job.percent;
      const rows = job.rows_read ? ` · ${number(job.rows_read)} rows` : "";
      label.textContent = `${phaseText(job)} ${job.percent.toFixed(0)}%${rows}`;
    }
  }

  const panel = card(
    "Import a log",
    h(
      "form",
      { class: "upload-form", id: "upload-form", onsubmit: submit },
      zone,
      h(
        "div",
        { class: "upload-fields" },
        h("div", { class: "field grow" }, h("label", { for: "log-name" }, "Name"), nameInput),
        h(
          "details",
          { class: "reading-options" },
          h("summary", {}, "Reading options"),
          h(
            "div",
            { class: "options-grid" },
            h("div", { class: "field" }, h("label", { for: "log-timezone" }, "Time zone of times without offset"), timezone),
            h("datalist", { id: "log-zones" }, ["America/Toronto", "America/New_York", "America/Vancouver", "Europe/Amsterdam", "UTC"].map((z) => h("option", { value: z }))),
            h("div", { class: "field" }, h("label", { for: "log-dayfirst" }, "Dates like 03/04/2025"), dayfirst),
            h("div", { class: "field" }, h("label", { for: "log-on-error" }, "Rows that cannot be read"), onError),
          ),
        ),
      ),
      previewHolder,
      h("div", { class: "upload-actions" }, importButton, resetButton),
      status,
    ),
  );
  panel.classList.add("needs-edit");
  return panel;
}

function phaseText(job) {
  if (job.state === "queued") return "Queued";
  const phase = job.phase || "importing";
  return phase.charAt(0).toUpperCase() + phase.slice(1) + "…";
}

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
