// Reports: the custom date fields show only when "Custom range" is chosen (no inline script: CSP).
(function () {
  function sync(form) {
    const preset = form.querySelector("select[name=preset]");
    if (!preset) return;
    const custom = preset.value === "custom";
    form.querySelectorAll(".range-start, .range-end").forEach(function (box) {
      box.hidden = !custom;
    });
  }
  function setUp(root) {
    root.querySelectorAll("form[data-report-range]").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      const preset = form.querySelector("select[name=preset]");
      const hasErrors = form.querySelector(".range-start .errorlist, .range-end .errorlist");
      if (preset && hasErrors) preset.value = "custom";
      sync(form);
      if (preset) preset.addEventListener("change", function () { sync(form); });
      form.querySelectorAll("input[type=date]").forEach(function (input) {
        input.addEventListener("change", function () {
          if (preset && input.value) { preset.value = "custom"; sync(form); }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.target); });
})();

// Reports: a table marked data-sortable sorts by the column whose heading is tapped (numbers
// largest first, names A to Z; a second tap reverses). The totals row stays at the foot.
(function () {
  document.addEventListener("click", function (event) {
    const button = event.target.closest("table[data-sortable] .sort-button");
    if (!button) return;
    const table = button.closest("table");
    const heading = button.closest("th");
    const column = Number(button.dataset.sortColumn);
    const numeric = button.hasAttribute("data-sort-numeric");
    const first = numeric ? "descending" : "ascending";
    const current = heading.getAttribute("aria-sort");
    const order = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
    table.querySelectorAll("thead th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    heading.setAttribute("aria-sort", order);
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).filter(function (row) { return row.cells.length > column; });
    function value(row) {
      const cell = row.cells[column];
      const text = cell.dataset.sortValue !== undefined ? cell.dataset.sortValue : cell.textContent;
      return numeric ? Number(text) : text.trim().toLowerCase();
    }
    rows.sort(function (a, b) {
      const x = value(a), y = value(b);
      const result = x < y ? -1 : x > y ? 1 : 0;
      return order === "ascending" ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
})();
