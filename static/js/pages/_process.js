// Helpers shared by the process and department pages: maps that explain their failures,
// forms that show the API's validation sentences next to the fields, event-log pickers.
import * as api from "../api.js";
import { errorNotice, h, number } from "../ui.js";

// A map <img> in a frame with a zoom choice (fit to width, or a share of the drawn size:
// the server draws wide swimlanes, so "fit" can make labels small); if the server refuses
// to draw it, the problem's sentence replaces the picture.
const ZOOMS = [["fit", "Fit to width"], ["0.5", "50%"], ["0.75", "75%"], ["1", "100%"]];

export function mapFigure(src, alt, { caption, eager = true, id } = {}) {
  // like ui.mapImage, but only the picture scrolls: the caption stays in view below it
  const img = h("img", { src, alt, class: "map" });
  const frame = h("div", { class: "map-frame" }, h("a", { href: src, target: "_blank", rel: "noopener", title: "Open the map full size in a new tab" }, img));
  const figureNode = h("figure", { class: "map-figure" }, frame, caption ? h("figcaption", {}, caption) : null);
  if (eager) img.setAttribute("loading", "eager");
  if (id) img.id = id;
  img.addEventListener("error", () => explainMapFailure(frame, img.getAttribute("src")));
  const zoomId = `${id || "map"}-zoom`;
  const chooser = h("select", { id: zoomId }, ZOOMS.map(([v, t]) => h("option", { value: v }, t)));
  const apply = () => {
    const value = chooser.value;
    if (value === "fit" || !img.naturalWidth) {
      frame.classList.remove("zoomed");
      img.style.width = "";
    } else {
      frame.classList.add("zoomed");
      img.style.width = `${Math.round(img.naturalWidth * Number(value))}px`;
    }
  };
  chooser.addEventListener("change", () => {
    sessionStorage.setItem("handoff-map-zoom", chooser.value);
    apply();
  });
  img.addEventListener("load", () => {
    const stored = sessionStorage.getItem("handoff-map-zoom");
    if (stored && ZOOMS.some(([v]) => v === stored)) chooser.value = stored;
    else {
      // fit when the whole map stays legible, otherwise 75% with scrolling
      const fit = frame.clientWidth / img.naturalWidth;
      chooser.value = fit >= 0.55 ? "fit" : "0.75";
    }
    apply();
  });
  const zoom = h("div", { class: "field zoom" }, h("label", { for: zoomId }, "Zoom"), chooser);
  return { frame: figureNode, img, zoom };
}

async function explainMapFailure(frame, src) {
  let error;
  try {
    const response = await fetch(src, { headers: { Accept: "application/problem+json" } });
    const body = await response.json().catch(() => ({}));
    error = new api.ApiError(response.status, body.title, body.detail || "The map could not be drawn.", body.errors);
  } catch (_) {
    error = new api.ApiError(0, "Network error", "The map could not be loaded: the server could not be reached.");
  }
  frame.replaceChildren(errorNotice(error));
}

// Add a cache-busting parameter so an edited map is fetched again.
export function bust(src) {
  return `${src}${src.includes("?") ? "&" : "?"}_=${Date.now()}`;
}

// A form whose submit handler may throw ApiError: the sentence goes at the top of the
// form, and each `errors` entry (key, or JSON pointer) next to its field.
// fields: [{name, label, control, hint, wide}] ; controls get name=field name.
export function apiForm({ id, title, fields, submitLabel, onSubmit, extraButtons = [] }) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, submitLabel);
  const heading = h("h3", { id: `${id}-title` }, title);
  const rows = fields.map((f) => fieldRow(f));
  const form = h(
    "form",
    { id, class: "edit-form", novalidate: true, "aria-labelledby": `${id}-title` },
    heading,
    status,
    h("div", { class: "edit-grid" }, rows),
    h("div", { class: "form-actions" }, submit, extraButtons),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, status);
    submit.disabled = true;
    try {
      await onSubmit(values(fields));
    } catch (error) {
      if (!(error instanceof api.ApiError)) throw error;
      showErrors(form, status, error);
    } finally {
      submit.disabled = false;
    }
  });
  return { form, heading, status, submit };
}

function fieldRow({ name, label, control, hint, wide }) {
  const id = control.id || `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  control.id = id;
  control.name = name;
  const hintNode = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  if (control.type === "checkbox") {
    return h("div", { class: `field check${wide ? " wide" : ""}`, dataset: { field: name } }, h("label", { for: id }, control, " ", label), hintNode);
  }
  const required = control.hasAttribute("aria-required");
  return h(
    "div",
    { class: `field${wide ? " wide" : ""}`, dataset: { field: name } },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control,
    hintNode,
  );
}

function values(fields) {
  const out = {};
  for (const { name, control } of fields) {
    if (control.type === "checkbox") out[name] = control.checked;
    else out[name] = control.value;
  }
  return out;
}

function clearErrors(form, status) {
  status.replaceChildren();
  for (const row of form.querySelectorAll(".field.invalid")) {
    row.classList.remove("invalid");
    row.querySelector(".error")?.remove();
    const control = row.querySelector("input, select, textarea");
    control.removeAttribute("aria-invalid");
    const hint = row.querySelector("small.hint");
    if (hint) control.setAttribute("aria-describedby", hint.id);
    else control.removeAttribute("aria-describedby");
  }
}

function showErrors(form, status, error) {
  status.replaceChildren(errorNotice({ message: error.message, errors: [] }));
  let first = null;
  for (const problem of error.errors || []) {
    const key = problem.key || String(problem.pointer || "").split("/").filter(Boolean).pop();
    const row = key && form.querySelector(`.field[data-field="${CSS.escape(key)}"]`);
    if (!row) continue;
    const control = row.querySelector("input, select, textarea");
    const message = h("small", { class: "error", id: `${control.id}-error` }, sentence(problem.message));
    row.classList.add("invalid");
    row.append(message);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), message.id].filter(Boolean).join(" "));
    first = first || control;
  }
  if (first) first.focus();
  else {
    const box = status.firstChild;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }
}

const PLAIN = [
  [/^string should have at least 1 character/i, "Required: this cannot be empty"],
  [/^input should be greater than or equal to 0/i, "Must be 0 or more"],
  [/^input should be greater than 0/i, "Must be more than 0"],
  [/^input should be a valid number.*/i, "Must be a number"],
];

function sentence(text) {
  let t = String(text || "").trim();
  for (const [pattern, plain] of PLAIN) t = t.replace(pattern, plain);
  if (!t) return "This value is not valid.";
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(s) ? s : `${s}.`;
}

// A short success message that announces itself and fades after a while.
export function flash(container, text) {
  const node = h("p", { class: "notice good flash", role: "status" }, text);
  container.replaceChildren(node);
  setTimeout(() => node.isConnected && node.remove(), 8000);
}

// "text" input with a datalist of suggestions.
export function suggestInput(listId, suggestions, attrs = {}) {
  const list = h("datalist", { id: listId }, suggestions.map((s) => h("option", { value: s })));
  const input = h("input", { type: "text", list: listId, autocomplete: "off", ...attrs });
  return { input, list };
}

export function money(value, digits = 2) {
  if (value === null || value === undefined) return "–";
  return `$${number(value, digits)}`;
}

export function standard(hoursValue) {
  if (hoursValue === null || hoursValue === undefined) return "–";
  const text = `${number(hoursValue, hoursValue % 1 ? 1 : 0)} h`;
  return hoursValue >= 48 ? `${text} (${number(hoursValue / 24, hoursValue % 24 ? 1 : 0)} d)` : text;
}

// A labelled select of the stored event logs; "" means none.
export function logSelect(logs, value, { id, none = "No log" } = {}) {
  const sel = h(
    "select",
    { id },
    h("option", { value: "" }, none),
    logs.map((log) => h("option", { value: String(log.id), selected: String(log.id) === String(value) }, `${log.name} · ${number(log.cases)} cases`)),
  );
  return sel;
}
