// One process: its versions (as-is first, then the to-be options), the selected version's
// map (optionally with an event log's volumes and waits), its steps and flows, and the
// forms to edit them. Every edit is checked by the API; its sentences show by the form.
import * as api from "../api.js";
import { location, setQuery } from "../app.js";
import { badge, breadcrumbs, card, encode, errorNotice, figure, h, link, notice, number, pageHeader, select, table } from "../ui.js";
import { apiForm, bust, flash, logSelect, mapFigure, money, standard, suggestInput } from "./_process.js";
import { reviewCard } from "./_approval.js";
import { signoffColumn } from "./_signoff.js";

const IMPACT = { low: "Low", medium: "Medium", high: "High" };
const STATUS_KIND = { current: "info", retired: "", draft: "", "in-review": "warn", approved: "good", rejected: "bad" };

export async function render(params, query) {
  const slug = params.slug;
  let process;
  try {
    process = await api.get(`/api/processes/${encode(slug)}`);
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.status !== 404) throw error;
    return h("div", {}, breadcrumbs(["Catalogue", "#/"], [slug]), pageHeader("Process not found"), errorNotice(error), link("#/", "Back to the catalogue"));
  }
  const [logs, departments, owners] = await Promise.all([
    api.get("/api/event-logs").catch(() => []),
    api.get("/api/departments").catch(() => []),
    api.get("/api/owners").catch(() => []),
  ]);

  const ordered = () => [...process.versions.filter((v) => v.kind === "as-is"), ...process.versions.filter((v) => v.kind !== "as-is")];
  const wanted = query.get("version");
  const first = ordered()[0];
  const label = process.versions.some((v) => v.label === wanted) ? wanted : first.label;
  const missing = wanted && wanted !== label ? notice(`This process has no version “${wanted}”; showing “${label}” instead.`, "warn") : null;
  let logId = logs.some((l) => String(l.id) === query.get("log")) ? query.get("log") : "";

  const lists = h(
    "div",
    { hidden: true },
    h("datalist", { id: "dl-departments" }, departments.map((d) => h("option", { value: d.name }))),
    h("datalist", { id: "dl-owners" }, [...new Set(owners.map((o) => o.name))].map((n) => h("option", { value: n }))),
  );
  const header = h("div", {});
  const tabs = h("div", { class: "tabs version-tabs", role: "tablist", "aria-label": "Versions" });
  const panel = h("div", { id: "version-panel", role: "tabpanel" });

  function drawHeader() {
    header.replaceChildren(
      breadcrumbs(["Catalogue", "#/"], [process.name]),
      pageHeader(
        process.name,
        process.customer,
        h("a", { class: "button secondary", id: "process-history", href: `#/processes/${encode(process.slug)}/history` }, "History"),
        h("a", { class: "button secondary", href: `/api/processes/${encode(process.slug)}/export`, download: `${process.slug}.yaml` }, "Export YAML"),
        h("a", { class: "button", href: compareHref() }, "Compare options"),
      ),
      h(
        "dl",
        { class: "process-meta" },
        h("div", {}, h("dt", {}, "Process owner"), h("dd", {}, process.owner || badge("no owner", "bad"))),
        h("div", {}, h("dt", {}, "End-to-end standard"), h("dd", {}, process.standard_hours ? standard(process.standard_hours) : h("span", { class: "muted" }, "none set"))),
        h(
          "div",
          { class: "grow" },
          h("dt", {}, "Departments"),
          h("dd", { class: "dept-links" }, process.departments.map((d) => link(`#/departments/${encode(d)}`, d))),
        ),
      ),
    );
  }

  // The comparison page, opened on this process (and the option shown, and the overlay log).
  function compareHref() {
    const q = new URLSearchParams({ process: process.slug });
    const version = process.versions.find((v) => v.label === label);
    if (version && version.kind === "to-be") q.set("to", version.label);
    if (logId) q.set("log", logId);
    return `#/compare?${q}`;
  }

  function drawTabs() {
    const versions = ordered();
    tabs.replaceChildren(
      ...versions.map((v) => {
        const selected = v.label === label;
        return h(
          "button",
          {
            type: "button",
            role: "tab",
            id: `tab-${v.label}`,
            "aria-selected": String(selected),
            "aria-controls": "version-panel",
            tabindex: selected ? "0" : "-1",
            dataset: { version: v.label },
            onclick: () => choose(v.label),
            onkeydown: (event) => {
              const i = versions.indexOf(v);
              const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: versions.length - 1 }[event.key];
              if (next === undefined) return;
              event.preventDefault();
              tabs.children[(next + versions.length) % versions.length].focus();
            },
          },
          h("span", { class: "tab-label" }, v.label),
          badge(v.kind === "as-is" ? "as-is" : v.status, v.kind === "as-is" ? "info" : STATUS_KIND[v.status] || ""),
        );
      }),
    );
    panel.setAttribute("aria-labelledby", `tab-${label}`);
  }

  function choose(next) {
    const q = location().query;
    q.set("version", next);
    setQuery(q);
  }

  async function reload() {
    process = await api.get(`/api/processes/${encode(slug)}`);
    drawHeader();
    drawTabs();
    drawPanel({ fresh: true });
  }

  // --- the selected version ---
  function drawPanel({ fresh = false } = {}) {
    const version = process.versions.find((v) => v.label === label);
    const base = `/api/processes/${encode(process.slug)}/versions/${encode(version.label)}`;
    const steps = new Map(version.steps.map((s) => [s.id, s]));
    const handoffs = version.flows.filter((f) => f.handoff);
    const unowned = handoffs.filter((f) => !f.owner);
    const sum = (key) => version.steps.reduce((n, s) => n + (s[key] || 0), 0);

    // summary, with its own editor (status and the option's figures)
    const details = versionEditor(version);
    const summary = h(
      "section",
      { class: "card version-summary", "aria-labelledby": "version-title" },
      h(
        "div",
        { class: "version-head" },
        h("h2", { id: "version-title" }, version.kind === "as-is" ? (version.label === "as-is" ? "As-is version" : `As-is version ${version.label}`) : `Option ${version.label}`),
        badge(version.kind, version.kind === "as-is" ? "info" : ""),
        badge(version.status, STATUS_KIND[version.status] || ""),
        h("button", { type: "button", class: "secondary small push needs-edit", id: "edit-version", "aria-expanded": "false", "aria-controls": "version-editor", onclick: () => details.toggle() }, "Edit details"),
      ),
      h("div", { id: "version-status", class: "card-status", "aria-live": "polite" }),
      version.description ? h("p", { class: "version-description" }, version.description) : null,
      h(
        "div",
        { class: "figures compact" },
        figure("steps", String(version.steps.length)),
        figure("handoffs", String(handoffs.length), `${new Set(version.steps.map((s) => s.department)).size} departments`),
        figure("unowned handoffs", String(unowned.length), unowned.length ? "nobody answers for them" : "all owned"),
        figure("manual-entry steps", String(version.steps.filter((s) => s.manual_entry).length)),
        figure("hands-on time", `${number(sum("minutes"))} min`, "one pass through every step"),
        figure("cost per pass", money(sum("cost"))),
      ),
      version.kind === "to-be" || version.effort_months || version.one_off_cost || version.expected_impact
        ? h(
            "dl",
            { class: "option-figures", "aria-label": "Putting the option in place" },
            h("div", {}, h("dt", {}, "Effort"), h("dd", {}, version.effort_months ? `${number(version.effort_months, version.effort_months % 1 ? 1 : 0)} months` : "–")),
            h("div", {}, h("dt", {}, "One-off cost"), h("dd", {}, version.one_off_cost !== null && version.one_off_cost !== undefined ? money(version.one_off_cost, 0) : "–")),
            h("div", {}, h("dt", {}, "Expected impact"), h("dd", {}, version.expected_impact ? badge(IMPACT[version.expected_impact], { high: "good", medium: "warn", low: "" }[version.expected_impact]) : "–")),
          )
        : null,
      details.node,
    );

    // map
    const params = new URLSearchParams({ version: version.label });
    if (logId) params.set("log", logId);
    const mapBase = `/api/processes/${encode(process.slug)}/map?${params}`;
    const log = logs.find((l) => String(l.id) === logId);
    const alt = `Process map of ${process.name}, ${version.label}: ${version.steps.length} steps, ${handoffs.length} handoffs${log ? `, with volumes and waits from ${log.name}` : ""}`;
    const caption = log
      ? h("span", {}, `Each flow shows its volume, median and p90 wait and share of all waiting in “${log.name}”. Dashed purple: seen in the log but not documented; grey steps: never seen. `, link(`#/logs/${log.id}`, "Open the log’s analysis"))
      : "Department swimlanes. Thick arrows are handoffs, labelled with their owner and standard; red dashed ones have no owner; ✎ marks data keyed in by hand.";
    const { frame, zoom } = mapFigure(fresh ? bust(mapBase) : mapBase, alt, { caption, id: "process-map" });
    const overlay = logSelect(logs, logId, { id: "map-log", none: "None: the documented map" });
    overlay.addEventListener("change", () => {
      logId = overlay.value;
      const q = location().query;
      q.set("version", label);
      if (logId) q.set("log", logId);
      else q.delete("log");
      history.replaceState(null, "", `#/processes/${encode(process.slug)}?${q}`);
      drawHeader();
      drawPanel();
      panel.querySelector("#map-log")?.focus();
    });
    const file = (format) => `/api/processes/${encode(process.slug)}/map?${new URLSearchParams({ version: version.label, format, ...(logId ? { log: logId } : {}) })}`;
    const mapCard = card(
      "Map",
      h(
        "div",
        { class: "map-toolbar" },
        h("div", { class: "field" }, h("label", { for: "map-log" }, "Overlay an event log"), overlay),
        zoom,
        h(
          "div",
          { class: "map-actions", role: "group", "aria-label": "Download the map" },
          h("span", { class: "muted small" }, "Download"),
          h("a", { class: "button secondary small", href: `/api/processes/${encode(process.slug)}/model.bpmn?${new URLSearchParams({ version: version.label })}`, download: `${process.slug}-${version.label}.bpmn` }, "BPMN"),
          h("a", { class: "button secondary small", href: file("png"), download: `${process.slug}-${version.label}.png` }, "PNG"),
          h("a", { class: "button secondary small", href: file("pdf"), download: `${process.slug}-${version.label}.pdf` }, "PDF"),
        ),
      ),
      frame,
    );

    // steps
    const stepStatus = h("div", { class: "card-status", "aria-live": "polite" });
    const stepForm = stepEditor(version, base, stepStatus);
    const stepRows = table(
      [
        { label: "Step", value: (s) => h("div", {}, h("strong", {}, s.name), h("div", { class: "muted small" }, s.id)) },
        { label: "Department", value: (s) => link(`#/departments/${encode(s.department)}`, s.department) },
        { label: "Owner", value: (s) => s.owner || badge("no owner", "bad") },
        { label: "System", value: (s) => s.system || h("span", { class: "muted" }, "–") },
        { label: "Manual entry", value: (s) => (s.manual_entry ? badge("✎ keyed by hand", "warn") : h("span", { class: "muted" }, "no")) },
        { label: "Minutes", num: true, value: (s) => number(s.minutes, s.minutes % 1 ? 1 : 0) },
        { label: "Cost", num: true, value: (s) => money(s.cost) },
        {
          label: "Actions",
          value: (s) =>
            h(
              "div",
              { class: "row-actions" },
              h("button", { type: "button", class: "secondary small needs-edit", "aria-label": `Edit step ${s.name}`, onclick: () => stepForm.edit(s) }, "Edit"),
              deleteButton(`step ${s.name}`, async () => {
                await api.send("DELETE", `${base}/steps/${encode(s.id)}`);
                await reload();
                announce("steps", `Step “${s.name}” deleted.`);
              }, stepStatus),
            ),
        },
      ],
      version.steps,
      { id: "steps", caption: `${version.steps.length} steps, in the order documented`, empty: "This version has no steps yet." },
    );
    addTotals(stepRows, ["Total", "", "", "", "", `${number(sum("minutes"))}`, money(sum("cost")), ""]);

    // flows
    const flowStatus = h("div", { class: "card-status", "aria-live": "polite" });
    const flowForm = flowEditor(version, base, flowStatus);
    // as-is: each handoff's sign-off by the two departments' branch leads
    const signoff = version.kind === "as-is" && handoffs.length ? signoffColumn(process.slug, version.label, { status: flowStatus, announce: (text) => announce("flows", text) }) : null;
    const stepName = (id) => {
      const s = steps.get(id);
      return s ? h("span", {}, s.name, " ", h("span", { class: "muted small" }, `(${s.department})`)) : id;
    };
    const flowRows = table(
      [
        { label: "From → to", value: (f) => h("div", { class: "flow-ends" }, stepName(f.from), h("span", { class: "arrow", "aria-label": "to" }, " → "), stepName(f.to)) },
        { label: "Type", value: (f) => (f.handoff ? badge("handoff", "info") : h("span", { class: "muted" }, "within department")) },
        { label: "Owner", value: (f) => f.owner || (f.handoff ? badge("unowned handoff", "bad") : h("span", { class: "muted" }, "–")) },
        { label: "Standard", num: true, value: (f) => standard(f.standard_hours) },
        ...(signoff ? [signoff.column] : []),
        {
          label: "Actions",
          value: (f) =>
            h(
              "div",
              { class: "row-actions" },
              h("button", { type: "button", class: "secondary small needs-edit", "aria-label": `Edit flow ${steps.get(f.from)?.name || f.from} to ${steps.get(f.to)?.name || f.to}`, onclick: () => flowForm.edit(f) }, "Edit"),
              deleteButton(`flow ${f.from} → ${f.to}`, async () => {
                await api.send("DELETE", `${base}/flows/${f.id}`);
                await reload();
                announce("flows", `Flow ${describe(version, f.from, f.to)} deleted.`);
              }, flowStatus),
            ),
        },
      ],
      version.flows,
      { id: "flows", caption: `${version.flows.length} flows, ${handoffs.length} of them handoffs between departments`, empty: "This version has no flows yet." },
    );
    flowRows.querySelectorAll?.("tbody tr").forEach((tr, i) => {
      const f = version.flows[i];
      if (f.handoff && !f.owner) tr.classList.add("row-unowned");
    });

    const copyCard = copyForm(version);

    panel.replaceChildren(
      summary,
      version.kind === "to-be"
        ? reviewCard(process.slug, version, {
            onMoved: async (text) => {
              await reload();
              announce("review", text);
            },
          })
        : null,
      mapCard,
      card("Steps", h("div", { class: "card-tools" }, h("button", { type: "button", class: "secondary needs-edit", id: "add-step", onclick: () => stepForm.add() }, "Add a step")), stepStatus, stepRows, stepForm.node),
      card(
        "Flows",
        h("div", { class: "card-tools" }, h("button", { type: "button", class: "secondary needs-edit", id: "add-flow", onclick: () => flowForm.add() }, "Add a flow")),
        flowStatus,
        unowned.length ? notice(`${unowned.length} handoff${unowned.length > 1 ? "s have" : " has"} no owner: once the work is transferred, nobody answers for it.`, "warn") : null,
        signoff ? signoff.summary : null,
        flowRows,
        flowForm.node,
      ),
      copyCard,
    );
    signoff?.load();
  }

  function announce(which, text) {
    const box = panel.querySelector(`#${which}-status`);
    if (!box) return;
    flash(box, text);
    const note = box.firstChild;
    note.setAttribute("tabindex", "-1");
    note.focus({ preventScroll: false });
  }

  // A delete button that asks once more before it acts; failures show in `status`.
  function deleteButton(what, action, status) {
    let armed = false;
    let timer;
    const button = h("button", { type: "button", class: "danger small needs-edit", "aria-label": `Delete ${what}` }, "Delete");
    button.addEventListener("click", async () => {
      if (!armed) {
        armed = true;
        button.textContent = "Confirm delete";
        button.setAttribute("aria-label", `Confirm: delete ${what}`);
        timer = setTimeout(() => {
          armed = false;
          button.textContent = "Delete";
          button.setAttribute("aria-label", `Delete ${what}`);
        }, 5000);
        return;
      }
      clearTimeout(timer);
      button.disabled = true;
      try {
        await action();
      } catch (error) {
        if (!(error instanceof api.ApiError)) throw error;
        status.replaceChildren(errorNotice(error));
        button.disabled = false;
        button.textContent = "Delete";
        armed = false;
      }
    });
    return button;
  }

  // --- the step form: add or edit ---
  function stepEditor(version, base, status) {
    status.id = "steps-status";
    let editing = null;
    const controls = {
      id: h("input", { type: "text", "aria-required": "true", autocomplete: "off", spellcheck: "false" }),
      name: h("input", { type: "text", "aria-required": "true", autocomplete: "off" }),
      department: suggestInput("dl-departments", [], { "aria-required": "true" }).input,
      owner: suggestInput("dl-owners", [], { "aria-required": "true" }).input,
      system: h("input", { type: "text", autocomplete: "off" }),
      minutes: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      cost: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      manual_entry: h("input", { type: "checkbox" }),
    };
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => close() }, "Cancel");
    const { form, heading, submit } = apiForm({
      id: "step-form",
      title: "Add a step",
      submitLabel: "Add step",
      extraButtons: [cancel],
      fields: [
        { name: "name", label: "Name", control: controls.name, hint: "The activity name an event log uses" },
        { name: "id", label: "Step id", control: controls.id, hint: "Letters, digits, . _ - ; flows refer to it" },
        { name: "department", label: "Department", control: controls.department },
        { name: "owner", label: "Owner (role)", control: controls.owner, hint: "Who is accountable for the step" },
        { name: "system", label: "System", control: controls.system, hint: "Optional, e.g. CRM, paper form" },
        { name: "minutes", label: "Hands-on minutes", control: controls.minutes },
        { name: "cost", label: "Cost per execution", control: controls.cost },
        { name: "manual_entry", label: "Data keyed in by hand", control: controls.manual_entry, wide: true },
      ],
      onSubmit: async (v) => {
        const body = {
          name: v.name,
          department: v.department,
          owner: v.owner,
          system: v.system.trim() ? v.system : null,
          manual_entry: v.manual_entry,
          minutes: num(v.minutes),
          cost: num(v.cost),
        };
        if (editing) {
          if (v.id !== editing.id) body.id = v.id;
          await api.send("PATCH", `${base}/steps/${encode(editing.id)}`, body);
          const text = `Step “${v.name.trim()}” saved. The map and tables are up to date.`;
          await reload();
          announce("steps", text);
        } else {
          await api.send("POST", `${base}/steps`, { id: v.id, ...body });
          const text = `Step “${v.name.trim()}” added. Connect it with a flow below.`;
          await reload();
          announce("steps", text);
        }
      },
    });
    const node = h("div", { class: "editor", hidden: true }, form);
    controls.name.addEventListener("input", () => {
      if (!editing && !controls.id.dataset.touched) controls.id.value = slugify(controls.name.value);
    });
    controls.id.addEventListener("input", () => (controls.id.dataset.touched = "1"));

    function open(step) {
      editing = step;
      form.reset();
      form.querySelector(".form-status").replaceChildren();
      form.querySelectorAll(".field.invalid").forEach((row) => {
        row.classList.remove("invalid");
        row.querySelector(".error")?.remove();
      });
      delete controls.id.dataset.touched;
      heading.textContent = step ? `Edit step “${step.name}”` : "Add a step";
      submit.textContent = step ? "Save step" : "Add step";
      if (step) {
        for (const key of ["id", "name", "department", "owner", "system"]) controls[key].value = step[key] ?? "";
        controls.minutes.value = step.minutes ?? "";
        controls.cost.value = step.cost ?? "";
        controls.manual_entry.checked = Boolean(step.manual_entry);
      }
      node.hidden = false;
      node.scrollIntoView({ block: "nearest" });
      controls.name.focus();
    }
    function close() {
      node.hidden = true;
      editing = null;
      document.getElementById("add-step")?.focus();
    }
    return { node, add: () => open(null), edit: (s) => open(s) };
  }

  // --- the flow form: add or edit ---
  function flowEditor(version, base, status) {
    status.id = "flows-status";
    let editing = null;
    const options = version.steps.map((s) => [s.id, `${s.name} · ${s.department}`]);
    const controls = {
      from: select([["", "Choose a step…"], ...options], "", { "aria-required": "true" }),
      to: select([["", "Choose a step…"], ...options], "", { "aria-required": "true" }),
      owner: suggestInput("dl-owners", [], {}).input,
      standard_hours: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
    };
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => close() }, "Cancel");
    const { form, heading, submit } = apiForm({
      id: "flow-form",
      title: "Add a flow",
      submitLabel: "Add flow",
      extraButtons: [cancel],
      fields: [
        { name: "from", label: "From step", control: controls.from },
        { name: "to", label: "To step", control: controls.to },
        { name: "owner", label: "Owner of the transfer", control: controls.owner, hint: "A handoff without an owner is flagged" },
        { name: "standard_hours", label: "Service standard (hours)", control: controls.standard_hours, hint: "Optional, e.g. 24" },
      ],
      onSubmit: async (v) => {
        const body = { from: v.from, to: v.to, owner: v.owner.trim() ? v.owner : null, standard_hours: num(v.standard_hours) };
        if (editing) {
          await api.send("PATCH", `${base}/flows/${editing.id}`, body);
          await reload();
          announce("flows", `Flow ${describe(version, v.from, v.to)} saved.`);
        } else {
          await api.send("POST", `${base}/flows`, body);
          await reload();
          announce("flows", `Flow ${describe(version, v.from, v.to)} added.`);
        }
      },
    });
    const node = h("div", { class: "editor", hidden: true }, form);
    function open(flow) {
      editing = flow;
      form.reset();
      form.querySelector(".form-status").replaceChildren();
      form.querySelectorAll(".field.invalid").forEach((row) => {
        row.classList.remove("invalid");
        row.querySelector(".error")?.remove();
      });
      heading.textContent = flow ? `Edit flow ${flow.from} → ${flow.to}` : "Add a flow";
      submit.textContent = flow ? "Save flow" : "Add flow";
      if (flow) {
        controls.from.value = flow.from;
        controls.to.value = flow.to;
        controls.owner.value = flow.owner ?? "";
        controls.standard_hours.value = flow.standard_hours ?? "";
      }
      node.hidden = false;
      node.scrollIntoView({ block: "nearest" });
      controls.from.focus();
    }
    function close() {
      node.hidden = true;
      editing = null;
      document.getElementById("add-flow")?.focus();
    }
    return { node, add: () => open(null), edit: (f) => open(f) };
  }

  // --- the version's own fields: status, description, the option's figures ---
  function versionEditor(version) {
    // an option's status moves only through review (the Review card); an as-is one's here
    const statuses = version.kind === "as-is" ? ["current", "retired"] : [];
    const controls = {
      status: select(statuses, version.status),
      description: h("textarea", { rows: "3" }),
      effort_months: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      one_off_cost: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      expected_impact: select([["", "Not assessed"], ["low", "Low"], ["medium", "Medium"], ["high", "High"]], version.expected_impact || ""),
    };
    controls.description.value = version.description || "";
    controls.effort_months.value = version.effort_months ?? "";
    controls.one_off_cost.value = version.one_off_cost ?? "";
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => toggle(false) }, "Cancel");
    const { form } = apiForm({
      id: "version-form",
      title: `Details of “${version.label}”`,
      submitLabel: "Save details",
      extraButtons: [cancel],
      fields: [
        ...(statuses.length ? [{ name: "status", label: "Status", control: controls.status }] : []),
        { name: "effort_months", label: "Effort (months)", control: controls.effort_months, hint: "To put the option in place" },
        { name: "one_off_cost", label: "One-off cost", control: controls.one_off_cost },
        { name: "expected_impact", label: "Expected impact", control: controls.expected_impact },
        { name: "description", label: "Description", control: controls.description, wide: true },
      ],
      onSubmit: async (v) => {
        await api.send("PATCH", `/api/processes/${encode(process.slug)}/versions/${encode(version.label)}`, {
          ...(statuses.length ? { status: v.status } : {}),
          description: v.description.trim() ? v.description : null,
          effort_months: num(v.effort_months),
          one_off_cost: num(v.one_off_cost),
          expected_impact: v.expected_impact || null,
        });
        await reload();
        announce("version", `Details of “${version.label}” saved.`);
      },
    });
    const node = h("div", { class: "editor", id: "version-editor", hidden: true }, form);
    function toggle(open = node.hidden) {
      node.hidden = !open;
      const button = document.getElementById("edit-version");
      button?.setAttribute("aria-expanded", String(open));
      if (open) (statuses.length ? controls.status : controls.effort_months).focus();
      else button?.focus();
    }
    return { node, toggle: () => toggle() };
  }

  // --- copy the version as a new to-be option ---
  function copyForm(version) {
    const status = h("div", { id: "copy-status", class: "card-status", "aria-live": "polite" });
    const controls = {
      label: h("input", { type: "text", "aria-required": "true", autocomplete: "off", spellcheck: "false", placeholder: "option-c-online-form" }),
      description: h("input", { type: "text", autocomplete: "off" }),
      effort_months: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      one_off_cost: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal" }),
      expected_impact: select([["", "Not assessed"], ["low", "Low"], ["medium", "Medium"], ["high", "High"]], ""),
    };
    const { form } = apiForm({
      id: "copy-form",
      title: `Start a new to-be option from “${version.label}”`,
      submitLabel: "Copy as a new option",
      fields: [
        { name: "label", label: "Label of the new option", control: controls.label, hint: "Letters, digits, . _ -" },
        { name: "description", label: "What changes", control: controls.description, hint: "Optional, one or two sentences", wide: true },
        { name: "effort_months", label: "Effort (months)", control: controls.effort_months },
        { name: "one_off_cost", label: "One-off cost", control: controls.one_off_cost },
        { name: "expected_impact", label: "Expected impact", control: controls.expected_impact },
      ],
      onSubmit: async (v) => {
        const body = { label: v.label.trim(), kind: "to-be" };
        if (v.description.trim()) body.description = v.description;
        if (num(v.effort_months) !== null) body.effort_months = num(v.effort_months);
        if (num(v.one_off_cost) !== null) body.one_off_cost = num(v.one_off_cost);
        if (v.expected_impact) body.expected_impact = v.expected_impact;
        const created = await api.send("POST", `/api/processes/${encode(process.slug)}/versions/${encode(version.label)}/copy`, body);
        choose(created.label || body.label);
      },
    });
    const option = card(
      "New option",
      h("p", { class: "muted" }, "Copies every step and flow of this version into a new to-be option you can then edit; the as-is stays as it is. Compare the options side by side on the ", link(compareHref(), "comparison page"), "."),
      status,
      form,
    );
    option.classList.add("needs-edit");
    return option;
  }

  drawHeader();
  drawTabs();
  drawPanel();
  return h("div", { class: "process-page" }, lists, header, missing, tabs, panel);
}

function describe(version, from, to) {
  const name = (id) => {
    const s = version.steps.find((x) => x.id === id);
    return s ? `${s.name} (${s.department})` : id;
  };
  return `${name(from)} → ${name(to)}`;
}

function num(value) {
  if (value === null || value === undefined || String(value).trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

function slugify(text) {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
}

function addTotals(wrap, cells) {
  const tableEl = wrap.querySelector?.("table");
  if (!tableEl) return;
  const heads = [...tableEl.querySelectorAll("thead th")];
  tableEl.append(
    h(
      "tfoot",
      {},
      h(
        "tr",
        {},
        cells.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", { class: heads[i]?.classList.contains("num") ? "num" : null }, c))),
      ),
    ),
  );
}
