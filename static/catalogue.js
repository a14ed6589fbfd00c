// Fills the catalogue table of the home page from /api/processes.
(async function () {
  const status = document.getElementById("catalogue-status");
  const table = document.getElementById("catalogue");
  try {
    const response = await fetch("/api/processes");
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    const processes = await response.json();
    const body = table.querySelector("tbody");
    for (const p of processes) {
      const row = body.insertRow();
      const link = document.createElement("a");
      link.href = "/api/processes/" + encodeURIComponent(p.slug);
      link.textContent = p.name;
      row.insertCell().append(link);
      row.insertCell().textContent = p.owner || "(no owner)";
      row.insertCell().textContent = p.departments.join(", ");
      row.insertCell().textContent = p.versions.map((v) => v.label).join(", ");
    }
    status.textContent = processes.length + " documented processes";
    table.hidden = false;
  } catch (error) {
    status.textContent = "The catalogue could not be loaded: " + error.message;
  }
})();
