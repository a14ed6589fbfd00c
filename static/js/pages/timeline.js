// One case's timeline: its events in order, coloured by department, with the wait before
// each event and the handoffs between departments marked.
import * as api from "../api.js";
import { badge, breadcrumbs, card, date, duration, figure, h, link, number, pageHeader } from "../ui.js";
import { departmentColour, departmentTag, filterSearch, useDepartments } from "./_logs.js";

export async function render(params, query) {
  const { id, caseId } = params;
  const [log, timeline] = await Promise.all([api.get(`/api/event-logs/${id}`), api.get(`/api/event-logs/${id}/cases/${encodeURIComponent(caseId)}`)]);
  useDepartments(log.departments);
  const events = timeline.events;
  const filters = filterSearch(query).toString();
  const dashboard = `#/logs/${id}${filters ? `?${filters}` : ""}`;
  const first = events[0]?.timestamp;
  const last = events[events.length - 1]?.timestamp;
  const elapsed = first && last ? (new Date(last) - new Date(first)) / 1000 : null;
  const waits = events.map((e) => e.wait_s || 0);
  const longest = Math.max(0, ...waits);
  const handoffs = events.filter((e) => e.handoff).length;
  const departments = [...new Set(events.map((e) => e.department))];

  // attributes the same on every event belong to the case (channel, ward, location)
  const keys = [...new Set(events.flatMap((e) => Object.keys(e.attributes || {})))];
  const constant = keys.filter((k) => events.every((e) => (e.attributes || {})[k] === (events[0].attributes || {})[k]));
  const varying = keys.filter((k) => !constant.includes(k));

  const items = [];
  events.forEach((event, i) => {
    if (i > 0) {
      const wait = event.wait_s;
      const long = longest > 0 && wait === longest;
      items.push(
        h(
          "li",
          { class: `tl-gap${event.handoff ? " handoff" : ""}${long ? " longest" : ""}` },
          h(
            "span",
            { class: "tl-wait" },
            h("span", { class: "tl-wait-value" }, wait === null || wait === undefined ? "–" : duration(wait)),
            " wait",
            long ? badge("longest wait", "bad") : null,
          ),
          event.handoff
            ? h("span", { class: "tl-handoff" }, badge("handoff", "warn"), " ", departmentTag(events[i - 1].department), h("span", { class: "pair-arrow", "aria-label": "to" }, " → "), departmentTag(event.department))
            : null,
        ),
      );
    }
    items.push(
      h(
        "li",
        { class: "tl-event", style: { "--dept": departmentColour(event.department) } },
        h("span", { class: "tl-dot", "aria-hidden": "true" }),
        h("div", { class: "tl-time" }, h("time", { datetime: event.timestamp }, date(event.timestamp)), event.started ? h("span", { class: "muted small" }, `started ${date(event.started)}`) : null),
        h(
          "div",
          { class: "tl-body" },
          h("div", { class: "tl-activity" }, event.activity),
          h(
            "div",
            { class: "tl-meta" },
            departmentTag(event.department),
            event.resource ? h("span", { class: "muted" }, `by ${event.resource}`) : null,
            event.lifecycle ? badge(event.lifecycle) : null,
            h("span", { class: "muted small" }, log.format === "csv" ? `line ${event.line}` : `event ${event.line}`),
          ),
          varying.length
            ? h(
                "dl",
                { class: "tl-attrs" },
                varying.filter((k) => (event.attributes || {})[k] !== null && (event.attributes || {})[k] !== undefined).map((k) => [h("dt", {}, k), h("dd", {}, String(event.attributes[k]))]),
              )
            : null,
        ),
      ),
    );
  });

  return h(
    "div",
    { class: "timeline-page" },
    breadcrumbs(["Event logs", "#/logs"], [log.name, dashboard], [`Case ${caseId}`]),
    pageHeader(
      `Case ${caseId}`,
      `${number(events.length)} events across ${departments.length} department${departments.length === 1 ? "" : "s"}`,
      h("button", { type: "button", class: "secondary", onclick: () => history.back() }, "← Back"),
      link(dashboard, "Dashboard", { class: "button secondary" }),
    ),
    h(
      "div",
      { class: "figures" },
      figure("events", number(events.length)),
      figure("handoffs", number(handoffs), handoffs ? `${duration(waits.filter((_, i) => events[i].handoff).reduce((a, b) => a + b, 0))} waiting at them` : null),
      figure("elapsed", duration(elapsed), first ? `${date(first)} → ${date(last)}` : null),
      figure("longest wait", duration(longest || null)),
    ),
    h(
      "div",
      { class: "timeline-layout" },
      card("Timeline", h("ol", { class: "timeline", id: "timeline" }, items)),
      h(
        "div",
        { class: "timeline-side" },
        constant.length
          ? card(
              "Case details",
              h(
                "dl",
                { class: "case-attrs" },
                constant.map((k) => [h("dt", {}, k), h("dd", {}, String(events[0].attributes[k] ?? "–"))]),
              ),
            )
          : null,
        card(
          "Departments",
          h(
            "ul",
            { class: "plain-list" },
            departments.map((d) => h("li", {}, departmentTag(d), h("span", { class: "muted small" }, ` ${plural(events.filter((e) => e.department === d).length, "event")}`))),
          ),
        ),
      ),
    ),
  );
}

function plural(n, word) {
  return `${number(n)} ${word}${n === 1 ? "" : "s"}`;
}
