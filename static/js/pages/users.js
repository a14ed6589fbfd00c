// Accounts (admins): who may sign in, with which role and, for branch leads, departments.
import * as api from "../api.js";
import { badge, card, date, errorNotice, field, h, notice, pageHeader, select, table } from "../ui.js";

const ROLES = [
  ["viewer", "Viewer: reads"],
  ["analyst", "Analyst: edits processes, imports logs"],
  ["branch-lead", "Branch lead: signs off their departments' handoffs"],
  ["reviewer", "Reviewer: approves or rejects options"],
  ["admin", "Admin: everything, and accounts"],
];

export async function render() {
  const [accounts, departments] = await Promise.all([api.get("/api/users"), api.get("/api/departments")]);
  const names = departments.map((d) => d.name).sort((a, b) => a.localeCompare(b));
  const status = h("div", {});
  const list = h("div", {});

  function departmentPicker(chosen, id) {
    return h(
      "fieldset",
      { class: "department-picker", id },
      h("legend", {}, "Departments led (branch leads)"),
      names.map((n) => h("label", { class: "check" }, h("input", { type: "checkbox", value: n, checked: chosen.includes(n) }), ` ${n}`)),
    );
  }
  const picked = (fieldset) => [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);

  async function reload(message) {
    accounts.splice(0, accounts.length, ...(await api.get("/api/users")));
    draw();
    status.replaceChildren(notice(message, "good"));
  }

  const username = h("input", { id: "user-name", autocomplete: "off", required: true });
  const password = h("input", { id: "user-password", type: "password", autocomplete: "new-password", required: true, minlength: 10 });
  const role = select(ROLES, "viewer", { id: "user-role" });
  const picker = departmentPicker([], "user-departments");
  const problem = h("div", {});
  const form = h(
    "form",
    { "aria-label": "Add an account" },
    h("div", { class: "inline-fields" }, field("Username", username), field("Password", password, "At least 10 characters; tell it to the person"), field("Role", role)),
    picker,
    problem,
    h("button", { type: "submit" }, "Add account"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = { username: username.value.trim(), password: password.value, role: role.value, departments: picked(picker) };
      await api.send("POST", "/api/users", body);
      form.reset();
      problem.replaceChildren();
      await reload(`Added ${body.username} (${body.role}).`);
    } catch (error) {
      problem.replaceChildren(errorNotice(error));
    }
  });

  function editor(account, row) {
    const roleBox = select(ROLES, account.role, { id: `role-${account.id}` });
    const deps = departmentPicker(account.departments, `deps-${account.id}`);
    const fresh = h("input", { id: `pw-${account.id}`, type: "password", autocomplete: "new-password", placeholder: "unchanged" });
    const active = h("input", { id: `active-${account.id}`, type: "checkbox", checked: account.active });
    const trouble = h("div", {});
    const edit = h(
      "form",
      { "aria-label": `Edit ${account.username}` },
      h("div", { class: "inline-fields" }, field("Role", roleBox), field("New password", fresh, "Leave empty to keep it; a new one ends their sessions"), h("label", { class: "check", for: active.id }, active, " Active")),
      deps,
      trouble,
      h("div", { class: "row-actions" }, h("button", { type: "submit" }, "Save"), h("button", { type: "button", class: "secondary", onclick: draw }, "Cancel")),
    );
    edit.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { role: roleBox.value, departments: picked(deps), active: active.checked };
      if (fresh.value) body.password = fresh.value;
      try {
        await api.send("PATCH", `/api/users/${account.id}`, body);
        await reload(`Saved ${account.username}.`);
      } catch (error) {
        trouble.replaceChildren(errorNotice(error));
      }
    });
    row.replaceChildren(h("td", { colspan: 6 }, edit));
    roleBox.focus();
  }

  function draw() {
    list.replaceChildren(
      table(
        [
          { label: "Username", value: (a) => h("strong", {}, a.username) },
          { label: "Role", value: (a) => badge(a.role, a.role === "admin" ? "warn" : "info") },
          { label: "Departments", value: (a) => a.departments.join(", ") || h("span", { class: "muted" }, "–") },
          { label: "State", value: (a) => (a.active ? "active" : badge("inactive", "bad")) },
          { label: "Last sign-in", value: (a) => date(a.last_login_at) },
          {
            label: "Actions",
            value: (a) => {
              const button = h("button", { type: "button", class: "secondary small", "aria-label": `Edit account ${a.username}` }, "Edit");
              button.addEventListener("click", () => editor(a, button.closest("tr")));
              return button;
            },
          },
        ],
        accounts,
        { id: "users" },
      ),
    );
  }
  draw();
  return h(
    "div",
    {},
    pageHeader("Accounts", "Who may sign in, and what their role lets them do"),
    status,
    card("Add an account", form),
    card("All accounts", list),
  );
}
