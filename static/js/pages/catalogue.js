// Home: the catalogue of documented processes, by department and owner, searchable.
import * as api from "../api.js";
import { badge, card, encode, figure, h, link, pageHeader, select, table } from "../ui.js";

export async function render(_params, query) {
  const [processes, overview] = await Promise.all([api.get("/api/processes"), api.get("/api/who-does-what")]);
  const departments = [...new Set(processes.flatMap((p) => p.departments))].sort((a, b) => a.localeCompare(b));
  const owners = [...new Set(processes.map((p) => p.owner).filter(Boolean))].sort((a, b) => a.localeCompare(b));

  const search = h("input", { type: "search", id: "catalogue-search", placeholder: "Process, step, department or owner", value: query.get("q") || "" });
  const department = select([["", "All departments"], ...departments], query.get("department") || "", { id: "catalogue-department" });
  const owner = select([["", "All owners"], ...owners], query.get("owner") || "", { id: "catalogue-owner" });
  const results = h("div", { id: "catalogue-results" });

  function matches(p) {
    const q = search.value.trim().toLowerCase();
    const text = [p.name, p.slug, p.customer, p.owner, ...p.departments, ...p.versions.map((v) => v.label)].join(" ").toLowerCase();
    return (!q || text.includes(q)) && (!department.value || p.departments.includes(department.value)) && (!owner.value || p.owner === owner.value);
  }

  function update() {
    const shown = processes.filter(matches);
    results.replaceChildren(
      h("p", { class: "muted", role: "status" }, `${shown.length} of ${processes.length} processes`),
      table(
        [
          { label: "Process", value: (p) => h("div", {}, link(`#/processes/${encode(p.slug)}`, p.name), h("div", { class: "muted" }, p.customer || "")) },
          { label: "Owner", value: (p) => p.owner || badge("no owner", "bad") },
          { label: "Departments", value: (p) => h("div", {}, p.departments.map((d) => [link(`#/departments/${encode(d)}`, d), " "])) },
          {
            label: "Versions",
            value: (p) => h("div", {}, p.versions.map((v) => [badge(v.label, v.kind === "as-is" ? "info" : ""), " "])),
          },
          { label: "Handoffs (as-is)", num: true, value: (p) => String(p.versions.find((v) => v.kind === "as-is")?.handoffs ?? "–") },
          { label: "Standard", num: true, value: (p) => (p.standard_hours ? `${p.standard_hours} h` : "–") },
        ],
        shown,
        { id: "catalogue", empty: "No process matches the search." },
      ),
    );
  }
  for (const control of [search, department, owner]) control.addEventListener("input", update);
  update();

  const unowned = overview.unowned_handoffs.length;
  return h(
    "div",
    {},
    pageHeader("Catalogue", "Documented customer-facing processes, their departments and handoffs", h("a", { class: "button secondary", href: "#/logs" }, "Analyse an event log"), h("a", { class: "button", href: "#/compare" }, "Compare options")),
    h(
      "div",
      { class: "figures" },
      figure("processes", String(processes.length)),
      figure("departments", String(departments.length)),
      figure("handoffs between departments", String(processes.reduce((n, p) => n + (p.versions.find((v) => v.kind === "as-is")?.handoffs || 0), 0)), "in the as-is versions"),
      figure("unowned handoffs", String(unowned), unowned ? "nobody answers for them" : "every handoff has an owner"),
    ),
    card(
      "Processes",
      h("form", { class: "inline", role: "search", onsubmit: (e) => e.preventDefault() }, h("div", { class: "field grow" }, h("label", { for: "catalogue-search" }, "Search"), search), h("div", { class: "field" }, h("label", { for: "catalogue-department" }, "Department"), department), h("div", { class: "field" }, h("label", { for: "catalogue-owner" }, "Owner"), owner)),
      h("div", { class: "spacer" }),
      results,
    ),
    unowned
      ? card(
          "Handoffs nobody owns",
          table(
            [
              { label: "Process", value: (x) => link(`#/processes/${encode(x.process)}`, x.process_name) },
              { label: "Version", value: (x) => x.version },
              { label: "From", value: (x) => `${x.from_step_name} (${x.from_department})` },
              { label: "To", value: (x) => `${x.to_step_name} (${x.to_department})` },
              { label: "Standard", num: true, value: (x) => (x.standard_hours ? `${x.standard_hours} h` : "–") },
            ],
            overview.unowned_handoffs,
          ),
        )
      : null,
  );
}
