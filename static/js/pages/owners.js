// Owners: the people and roles accountable for processes, steps and handoffs.
import * as api from "../api.js";
import { badge, card, errorNotice, field, h, notice, pageHeader, table } from "../ui.js";

export async function render() {
  const [owners, departments] = await Promise.all([api.get("/api/owners"), api.get("/api/departments")]);
  const names = departments.map((d) => d.name).sort((a, b) => a.localeCompare(b));
  const status = h("div", { id: "owners-status" });
  const list = h("div", {});
  const search = h("input", { type: "search", id: "owners-search", placeholder: "Name, department or e-mail" });

  async function reload(message) {
    const fresh = await api.get("/api/owners");
    owners.splice(0, owners.length, ...fresh);
    draw();
    if (message) status.replaceChildren(notice(message, "good"));
  }

  function departmentInput(value, id) {
    const input = h("input", { id, list: "owner-departments", value: value || "", autocomplete: "off" });
    return input;
  }

  function editor(owner) {
    const form = h("form", { class: "owner-form", "aria-label": owner ? `Edit ${owner.name}` : "Add an owner" });
    const name = h("input", { id: owner ? `owner-name-${owner.id}` : "owner-name-new", value: owner?.name || "", required: true });
    const department = departmentInput(owner?.department, owner ? `owner-dept-${owner.id}` : "owner-dept-new");
    const email = h("input", { id: owner ? `owner-email-${owner.id}` : "owner-email-new", type: "email", value: owner?.email || "" });
    const problem = h("div", {});
    form.append(
      h(
        "div",
        { class: "inline-fields" },
        field("Name", name),
        field("Department", department, "Optional: where the role sits"),
        field("E-mail", email, "Optional"),
        h("div", { class: "field-actions" }, h("button", { type: "submit" }, owner ? "Save" : "Add owner"), owner ? h("button", { type: "button", class: "secondary", onclick: () => draw() }, "Cancel") : null),
      ),
      problem,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), department: department.value.trim() || null, email: email.value.trim() || null };
      try {
        if (owner) await api.send("PATCH", `/api/owners/${owner.id}`, body);
        else {
          await api.send("POST", "/api/owners", body);
          form.reset();
          problem.replaceChildren();
        }
        await reload(owner ? `Saved ${body.name}.` : `Added ${body.name}.`);
      } catch (error) {
        problem.replaceChildren(errorNotice(error));
        name.focus();
      }
    });
    return form;
  }

  async function remove(owner, button, cell) {
    if (button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = "Confirm delete";
      return;
    }
    try {
      await api.send("DELETE", `/api/owners/${owner.id}`);
      await reload(`Deleted ${owner.name}.`);
    } catch (error) {
      const row = cell.closest("tr");
      if (row.nextElementSibling?.classList.contains("row-error")) row.nextElementSibling.remove();
      row.after(h("tr", { class: "row-error" }, h("td", { colspan: 7 }, errorNotice(error))));
      button.dataset.confirm = "";
      button.textContent = "Delete";
    }
  }

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = owners.filter((o) => !q || [o.name, o.department, o.email].join(" ").toLowerCase().includes(q));
    list.replaceChildren(
      h("p", { class: "muted", role: "status" }, `${shown.length} of ${owners.length} owners`),
      table(
        [
          { label: "Owner", value: (o) => h("strong", {}, o.name) },
          { label: "Department", value: (o) => o.department || h("span", { class: "muted" }, "–") },
          { label: "E-mail", value: (o) => (o.email ? h("a", { href: `mailto:${o.email}` }, o.email) : h("span", { class: "muted" }, "–")) },
          { label: "Processes", num: true, value: (o) => String(o.processes) },
          { label: "Steps", num: true, value: (o) => String(o.steps) },
          { label: "Flows", num: true, value: (o) => String(o.flows) },
          {
            label: "Actions",
            value: (o) => {
              const cell = h("div", { class: "row-actions" });
              const edit = h("button", { type: "button", class: "secondary needs-edit", "aria-label": `Edit owner ${o.name}` }, "Edit");
              const del = h("button", { type: "button", class: "danger needs-edit", "aria-label": `Delete owner ${o.name}` }, "Delete");
              edit.addEventListener("click", () => {
                const row = edit.closest("tr");
                const form = editor(o);
                row.replaceChildren(h("td", { colspan: 7 }, form));
                form.querySelector("input").focus();
              });
              del.addEventListener("click", () => remove(o, del, cell));
              cell.append(edit, del);
              if (o.processes + o.steps + o.flows === 0) cell.append(badge("owns nothing", "warn"));
              return cell;
            },
          },
        ],
        shown,
        { id: "owners", empty: "No owner matches the search." },
      ),
    );
  }

  search.addEventListener("input", draw);
  draw();
  return h(
    "div",
    {},
    pageHeader("Owners", "The people and roles accountable for processes, steps and handoffs"),
    h("datalist", { id: "owner-departments" }, names.map((n) => h("option", { value: n }))),
    status,
    h("div", { class: "needs-edit" }, card("Add an owner", editor(null))),
    card("All owners", h("div", { class: "field grow" }, h("label", { for: "owners-search" }, "Search"), search), h("div", { class: "spacer" }), list),
  );
}
