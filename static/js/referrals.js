// Slip forms. Everything works without this file: it adds the live member search above the
// member select, and shows only the fields the chosen referral status needs.
(function () {
  "use strict";

  function parts(picker) {
    return {
      select: picker.querySelector("[data-picker-select] select"),
      input: picker.querySelector("[data-picker-search] input[type=search]"),
      results: picker.querySelector(".picker-results"),
      status: picker.querySelector("[data-picker-status]"),
    };
  }

  // The search box shows the choice itself: no second line, list or dropdown to read.
  function show(picker, label) {
    const p = parts(picker);
    if (!p.input) return;
    p.input.value = label;
    p.input.dataset.chosen = label;
    p.input.classList.toggle("picker-done", label !== "");
  }

  function pick(option, byKeyboard) {
    const picker = option.closest("[data-picker]");
    const p = picker && parts(picker);
    if (!p || !p.select) return;
    const value = option.dataset.pick;
    let choice = Array.prototype.find.call(p.select.options, function (o) { return o.value === value; });
    if (!choice) {
      // A member of another chapter: not in the select until chosen.
      choice = new Option(option.dataset.label, value);
      p.select.add(choice);
    }
    p.select.value = value;
    p.select.dispatchEvent(new Event("change", { bubbles: true }));
    if (p.results) p.results.textContent = "";
    show(picker, option.dataset.label);
    if (p.status) p.status.textContent = "Chosen: " + option.dataset.label;
    // From the keyboard, carry on from the box; a tap leaves the phone's keyboard closed.
    if (p.input && byKeyboard) p.input.focus();
  }

  // The search runs as one types; leaving the box (to tap a result) must not search again and
  // bring the list back over the choice.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-picker-search] input[type=search]")) event.stopPropagation();
  }, true);

  // Typing over a choice undoes it, so a half-edited name is never sent as the old member.
  document.addEventListener("input", function (event) {
    const input = event.target.closest("[data-picker-search] input[type=search]");
    if (!input || input.value === input.dataset.chosen) return;
    const p = parts(input.closest("[data-picker]"));
    if (p.select && p.select.value) {
      p.select.value = "";
      input.dataset.chosen = "";
      input.classList.remove("picker-done");
      if (p.status) p.status.textContent = "";
    }
  });

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
    if (option) pick(option, event.detail === 0);
  });

  // Enter in the search box must not submit the half-filled slip.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-picker-search] input")) {
      event.preventDefault();
    }
  });

  // The prospect's name and contact matter only for an outside referral.
  function syncTier(form) {
    const checked = form.querySelector("input[name=tier]:checked");
    const inside = checked !== null && checked.value === "inside";
    form.querySelectorAll(".field-prospect_name, .field-prospect_phone, .field-prospect_email")
      .forEach(function (el) { el.hidden = inside && !el.querySelector(".errorlist"); });
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest(".status-form");
    if (form) syncStatus(form);
    if (event.target.matches(".slip-form input[name=tier]")) syncTier(event.target.form);
  });

  function init() {
    document.querySelectorAll("[data-picker]").forEach(function (picker) {
      const p = parts(picker);
      if (!p.input || !p.select) return;
      picker.querySelector("[data-picker-search]").hidden = false;
      picker.querySelector("[data-picker-select]").hidden = true;
      const chosen = p.select.selectedOptions[0];
      if (chosen && chosen.value) show(picker, chosen.textContent.trim());
    });
    document.querySelectorAll(".status-form").forEach(syncStatus);
    document.querySelectorAll(".slip-form").forEach(function (form) {
      if (form.querySelector("input[name=tier]")) syncTier(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
