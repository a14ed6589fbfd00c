// The summary guide of who does what: every department with its processes and handoffs,
// and the department customer map of the catalogue (who depends on whom).
import * as api from "../api.js";
import { setQuery } from "../app.js";
import { badge, card, encode, figure, h, link, number, pageHeader, table } from "../ui.js";
import { mapFigure } from "./_process.js";

const KINDS = [
  ["as-is", "As-is versions (how work runs today)"],
  ["to-be", "To-be options"],
];

export async function render(_params, query) {
  const kind = KINDS.some(([k]) => k === query.get("kind")) ? query.get("kind") : "as-is";
  const guide = await api.get("/api/who-does-what", { kind });
  const rows = guide.departments;
  const total = (key) => rows.reduce((n, d) => n + d[key], 0);

  const kindSelect = h(
    "select",
    { id: "departments-kind" },
    KINDS.map(([value, text]) => h("option", { value, selected: value === kind }, text)),
  );
  kindSelect.addEventListener("change", () => {
    const q = new URLSearchParams(query);
    q.set("kind", kindSelect.value);
    setQuery(q);
  });

  const max = Math.max(1, ...rows.map((d) => d.handoffs_in + d.handoffs_out));
  const list = table(
    [
      { label: "Department", value: (d) => link(`#/departments/${encode(d.slug)}`, d.name) },
      { label: "Processes", num: true, value: (d) => number(d.processes) },
      { label: "Handoffs in", num: true, value: (d) => number(d.handoffs_in) },
      { label: "Handoffs out", num: true, value: (d) => number(d.handoffs_out) },
      {
        label: "In / out",
        value: (d) =>
          h(
            "span",
            { class: "traffic", "aria-hidden": "true" },
            h("span", { class: "bar in", style: { width: `${(d.handoffs_in / max) * 8}rem` } }),
            h("span", { class: "bar out", style: { width: `${(d.handoffs_out / max) * 8}rem` } }),
          ),
      },
      { label: "Unowned handoffs", num: true, value: (d) => (d.unowned_handoffs ? h("span", { class: "count-bad" }, number(d.unowned_handoffs)) : badge("none", "good")) },
    ],
    rows,
    { id: "departments", caption: `Handoffs touching each department in the ${kind === "as-is" ? "as-is versions" : "to-be options"} of the catalogue; “unowned” counts those nobody answers for.`, empty: "No department takes part in these versions." },
  );

  const mapSrc = `/api/customer-map/map?${new URLSearchParams({ kind })}`;
  const { frame, zoom } = mapFigure(mapSrc, `Department customer map of the catalogue’s ${kind} versions: departments as boxes, documented handoffs between them as arrows`, {
    caption: "Who depends on whom: each arrow is the documented handoffs from one department to another, with how many there are.",
    id: "customer-map",
  });

  return h(
    "div",
    { class: "departments-page" },
    pageHeader("Departments", "Who does what: every department, the processes it takes part in and the handoffs into and out of it"),
    h("form", { class: "kind-filter", onsubmit: (e) => e.preventDefault() }, h("div", { class: "field" }, h("label", { for: "departments-kind" }, "Versions"), kindSelect)),
    h(
      "div",
      { class: "figures" },
      figure("departments", number(rows.length)),
      figure("handoffs between departments", number(total("handoffs_out"))),
      figure("unowned handoffs", number(guide.unowned_handoffs.length), guide.unowned_handoffs.length ? "nobody answers for them" : "every handoff has an owner"),
      figure("processes without an owner", number(guide.processes_without_owner.length)),
    ),
    guide.processes_without_owner.length
      ? h("div", { class: "notice warn", role: "status" }, h("p", {}, "These processes have no accountable owner: ", guide.processes_without_owner.map((p, i) => [i ? ", " : "", link(`#/processes/${encode(p.slug)}`, p.name)]), "."))
      : null,
    card("Summary guide", list),
    card("Department customer map", h("div", { class: "map-toolbar" }, zoom, h("div", { class: "map-actions" }, h("span", { class: "muted small" }, "Download"), h("a", { class: "button secondary small", href: `/api/customer-map/map?${new URLSearchParams({ kind, format: "png" })}`, download: `customer-map-${kind}.png` }, "PNG"), h("a", { class: "button secondary small", href: `/api/customer-map/map?${new URLSearchParams({ kind, format: "pdf" })}`, download: `customer-map-${kind}.pdf` }, "PDF"))), frame),
  );
}
