// Sign in: username and password; the session cookie is HttpOnly, the CSRF token kept in memory.
import * as api from "../api.js";
import { errorNotice, field, h, pageHeader } from "../ui.js";
import { signedIn } from "../session.js";

export async function render(_params, query) {
  const username = h("input", { id: "login-username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", type: "password", autocomplete: "current-password", required: true });
  const problem = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "login-form card", "aria-label": "Sign in" },
    h("h2", {}, "Sign in to Handoff"),
    field("Username", username),
    field("Password", password),
    problem,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const me = await api.send("POST", "/api/auth/login", { username: username.value.trim(), password: password.value });
      signedIn(me);
      const next = query.get("next");
      window.location.hash = next && next.startsWith("/") && !next.startsWith("/login") ? `#${next}` : "#/";
    } catch (error) {
      problem.replaceChildren(errorNotice(error));
      password.value = "";
      password.focus();
    } finally {
      button.disabled = false;
    }
  });
  setTimeout(() => username.focus(), 0);
  return h("div", { class: "login-page" }, pageHeader("Sign in", "Process maps and handoffs of city services"), form);
}
