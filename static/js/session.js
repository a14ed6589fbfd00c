// Who is signed in: shown in the top bar; the CSRF token handed to the API helpers.
import * as api from "./api.js";
import { h } from "./ui.js";

let current = null;

export function me() {
  return current;
}

function bar() {
  const slot = document.getElementById("account");
  if (!slot) return;
  if (!current || !current.signed_in) {
    slot.replaceChildren(current ? h("a", { href: "#/login", class: "account-link" }, "Sign in") : "");
    return;
  }
  const out = h("button", { type: "button", class: "account-out" }, "Sign out");
  out.addEventListener("click", async () => {
    try {
      await api.send("POST", "/api/auth/logout");
    } finally {
      signedIn(null);
      window.location.hash = "#/login";
    }
  });
  const admin = can("users")
    ? [h("a", { href: "#/users", class: "account-link" }, "Accounts"), h("a", { href: "#/audit", class: "account-link" }, "All changes")]
    : [];
  slot.replaceChildren(
    ...admin,
    h("span", { class: "account-who" }, h("strong", {}, current.username), " · ", current.role, current.departments.length ? ` (${current.departments.join(", ")})` : ""),
    out,
  );
}

const EDITORS = ["admin", "analyst"];

// What the signed-in person may do, as the server's roles table says (the server checks
// every request anyway; this only hides controls they could not use).
export function can(permission) {
  if (!current) return false;
  const role = current.role;
  if (permission === "edit") return EDITORS.includes(role);
  if (permission === "review") return role === "reviewer" || role === "admin";
  if (permission === "signoff") return role === "branch-lead";
  if (permission === "users") return role === "admin";
  return true;
}

export function signedIn(who) {
  current = who;
  api.setCsrf(who ? who.csrf_token : null);
  document.body.dataset.canEdit = String(can("edit"));
  bar();
}

// Ask the server who we are (a reload keeps the HttpOnly cookie but not the CSRF token).
export async function refresh() {
  try {
    signedIn(await api.get("/api/auth/me"));
  } catch (_) {
    signedIn(null);
  }
  return current;
}
