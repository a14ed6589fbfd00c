// Small DOM helpers: every text goes in through textContent, never innerHTML; styles go in
// through the CSSOM (el.style), never a style attribute, which the Content Security Policy
// refuses.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "style") setStyle(el, value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) {
      // handlers are functions; a string would be an inline handler, which the policy refuses
      if (typeof value !== "function") throw new TypeError(`h(): ${key} takes a function`);
      el.addEventListener(key.slice(2), value);
    }
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

// style: {width: "3rem", "--dept": "#123456"}; a string would be a style attribute.
function setStyle(el, style) {
  if (typeof style !== "object") throw new TypeError("h(): give style as an object of properties");
  for (const [name, value] of Object.entries(style)) {
    if (name.startsWith("--")) el.style.setProperty(name, String(value));
    else el.style[name] = String(value);
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const numberFormat = new Intl.NumberFormat("en-CA");

export function number(value, digits = 0) {
  if (value === null || value === undefined) return "–";
  return digits
    ? new Intl.NumberFormat("en-CA", { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value)
    : numberFormat.format(Math.round(value));
}

export function percent(share, digits = 0) {
  if (share === null || share === undefined) return "–";
  return `${(share * 100).toFixed(digits)}%`;
}

// Seconds as people say them: 12 min, 5.0 h, 3.2 d.
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.abs(seconds);
  if (s < 60) return `${Math.round(seconds)} s`;
  if (s < 3600) return `${Math.round(seconds / 60)} min`;
  if (s < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function hours(value) {
  if (value === null || value === undefined) return "–";
  return duration(value * 3600);
}

export function date(iso) {
  if (!iso) return "–";
  return new Date(iso).toLocaleString("en-CA", { dateStyle: "medium", timeStyle: "short" });
}

// A table: columns are {label, value: row => node|text, num: bool}.
export function table(columns, rows, { caption, empty = "Nothing to show.", id } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id },
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.value(row))))),
      ),
    ),
  );
}

export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}

export function card(title, ...body) {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...body);
}

export function figure(label, value, note) {
  return h("div", { class: "figure" }, h("span", { class: "figure-value" }, value), h("span", { class: "figure-label" }, label), note ? h("span", { class: "figure-note" }, note) : null);
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function errorNotice(error) {
  const items = (error.errors || []).map((e) => h("li", {}, e.message || e.detail || JSON.stringify(e)));
  return h("div", { class: "notice error", role: "alert" }, h("p", {}, error.message), items.length ? h("ul", {}, items) : null);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

// A map image from an SVG URL (drawn by the server; an <img> never runs scripts).
export function mapImage(src, alt, { caption } = {}) {
  const img = h("img", { src, alt, class: "map", loading: "lazy" });
  return h(
    "figure",
    { class: "map-frame" },
    h("a", { href: src, target: "_blank", rel: "noopener", title: "Open the map full size" }, img),
    caption ? h("figcaption", {}, caption) : null,
  );
}

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", { id: hintId }, hint) : null);
}

export function select(options, value, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: v === value }, text);
    }),
  );
}

export function pageHeader(title, subtitle, ...actions) {
  document.title = `${title} · Handoff`;
  return h(
    "div",
    { class: "page-header" },
    h("div", {}, h("h1", {}, title), subtitle ? h("p", { class: "subtitle" }, subtitle) : null),
    actions.length ? h("div", { class: "actions" }, actions) : null,
  );
}

export function breadcrumbs(...items) {
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "Breadcrumb" },
    h("ol", {}, items.map(([text, href]) => h("li", {}, href ? link(href, text) : h("span", { "aria-current": "page" }, text)))),
  );
}

export function encode(value) {
  return encodeURIComponent(value);
}
