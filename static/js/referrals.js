// Slip forms. Everything works without this file: it adds the live member search above the
// member select, and shows only the fields the chosen referral status needs.
(function () {
  "use strict";

  function pick(option) {
    const picker = option.closest("[data-picker]");
    const select = picker && picker.querySelector("select");
    if (!select) return;
    const value = option.dataset.pick;
    let choice = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
    if (!choice) {
      // A member of another chapter: not in the select until chosen.
      choice = new Option(option.dataset.label, value);
      select.add(choice);
    }
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    const results = picker.querySelector(".picker-results");
    if (results) results.textContent = "";
    const status = picker.querySelector("[data-picker-status]");
    if (status) status.textContent = "Chosen: " + option.dataset.label;
    select.focus();
  }

  function syncStatus(form) {
    const checked = form.querySelector("input[name=status]:checked");
    const value = checked ? checked.value : "";
    form.querySelectorAll(".field-amount, .field-business_type").forEach(function (el) {
      el.hidden = value !== "closed_won";
    });
    form.querySelectorAll(".field-reason").forEach(function (el) {
      el.hidden = value !== "not_closed";
    });
  }

  document.addEventListener("click", function (event) {
    const option = event.target.closest("[data-pick]");
    if (option) pick(option);
  });

  // Enter in the search box must not submit the half-filled slip.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-picker-search] input")) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    const form = event.target.closest(".status-form");
    if (form) syncStatus(form);
  });

  function init() {
    document.querySelectorAll("[data-picker-search]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll(".status-form").forEach(syncStatus);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
