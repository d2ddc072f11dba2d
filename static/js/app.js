// Behaviour without inline scripts (the CSP forbids them).
document.addEventListener("click", function (event) {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) {
    event.preventDefault();
  }
});

// Live figures (the dashboard's numbers) refresh when their page is shown again: the tab
// brought back to the front, or the page restored by Back from the browser's cache after a
// slip was logged. Elements listen with data-hx-trigger="shown-again from:body".
function shownAgain() {
  document.body.dispatchEvent(new CustomEvent("shown-again"));
}
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible") shownAgain();
});
window.addEventListener("pageshow", function (event) {
  if (event.persisted) shownAgain();
});

// A counter under every text box with a length limit: "120 of 2,000 characters".
(function () {
  function update(box) {
    const counter = document.getElementById(box.id + "-count");
    const limit = Number(box.getAttribute("maxlength"));
    counter.textContent = box.value.length.toLocaleString("en") + " of " + limit.toLocaleString("en") + " characters";
    counter.classList.toggle("char-count-full", box.value.length >= limit);
  }
  function setUp() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (box) {
      if (!box.id || document.getElementById(box.id + "-count")) return;
      const counter = document.createElement("span");
      counter.className = "char-count";
      counter.id = box.id + "-count";
      box.insertAdjacentElement("afterend", counter);
      update(box);
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[maxlength]") && event.target.id) update(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
