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
