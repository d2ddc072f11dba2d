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
