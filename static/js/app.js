// The single-page app: hash routes to page modules, each rendering into <main>.
import { clear, errorNotice, h, loading, link } from "./ui.js";
import { me, refresh } from "./session.js";

const routes = [
  ["login", /^\/login$/, () => import("./pages/login.js")],
  ["catalogue", /^\/?$/, () => import("./pages/catalogue.js")],
  ["catalogue", /^\/processes\/(?<slug>[^/]+)$/, () => import("./pages/process.js")],
  ["catalogue", /^\/processes\/(?<slug>[^/]+)\/history$/, () => import("./pages/audit.js")],
  ["audit", /^\/audit$/, () => import("./pages/audit.js")],
  ["departments", /^\/departments$/, () => import("./pages/departments.js")],
  ["departments", /^\/departments\/(?<key>[^/]+)$/, () => import("./pages/department.js")],
  ["owners", /^\/owners$/, () => import("./pages/owners.js")],
  ["users", /^\/users$/, () => import("./pages/users.js")],
  ["logs", /^\/logs$/, () => import("./pages/logs.js")],
  ["logs", /^\/logs\/(?<id>\d+)$/, () => import("./pages/dashboard.js")],
  ["logs", /^\/logs\/(?<id>\d+)\/cases$/, () => import("./pages/cases.js")],
  ["logs", /^\/logs\/(?<id>\d+)\/cases\/(?<caseId>.+)$/, () => import("./pages/timeline.js")],
  ["compare", /^\/compare$/, () => import("./pages/compare.js")],
  ["scorecard", /^\/scorecard$/, () => import("./pages/scorecard.js")],
  ["actions", /^\/actions$/, () => import("./pages/actions.js")],
];

let current = 0;

// The hash route split into its path and query: "#/logs/3?from=2025-01-01".
export function location() {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path, search] = raw.split("?");
  return { path, query: new URLSearchParams(search || "") };
}

// Change the query of the current route (filters) without a new history entry per key.
export function setQuery(query, { replace = false } = {}) {
  const { path } = location();
  const search = query.toString();
  const hash = `#${path}${search ? `?${search}` : ""}`;
  if (replace) history.replaceState(null, "", hash);
  else history.pushState(null, "", hash);
  render();
}

async function render() {
  const main = document.getElementById("main");
  const { path, query } = location();
  const run = ++current;
  const match = routes
    .map(([nav, pattern, load]) => ({ nav, found: pattern.exec(decodeURI(path)), load }))
    .find((r) => r.found);
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.toggleAttribute("aria-current", match && a.dataset.nav === match.nav);
    if (match && a.dataset.nav === match.nav) a.setAttribute("aria-current", "page");
  }
  if (!match) {
    clear(main, h("h1", {}, "Page not found"), h("p", {}, "There is no page at this address. "), link("#/", "Back to the catalogue"));
    return;
  }
  clear(main, loading());
  if (match.nav !== "login" && !me()) await refresh();
  if (run !== current) return;
  if (match.nav !== "login" && !me()) {
    window.location.hash = `#/login?next=${encodeURIComponent(path)}`;
    return;
  }
  try {
    const page = await match.load();
    const params = Object.fromEntries(
      Object.entries(match.found.groups || {}).map(([k, v]) => [k, decodeURIComponent(v)]),
    );
    const content = await page.render(params, query);
    if (run !== current) return; // a newer navigation won
    clear(main, content);
  } catch (error) {
    if (run !== current) return;
    console.error(error);
    clear(main, h("h1", {}, "Something went wrong"), errorNotice(error));
  }
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

// The skip link moves focus to the page content (its "#main" is not a route).
document.querySelector(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});

window.addEventListener("hashchange", () => {
  window.scrollTo(0, 0);
  render();
});
window.addEventListener("popstate", render);
// Any 401 (a session that ended): back to the sign-in page, then here again.
window.addEventListener("handoff:unauthorized", () => {
  const { path } = location();
  if (path !== "/login") window.location.hash = `#/login?next=${encodeURIComponent(path)}`;
});
render();
