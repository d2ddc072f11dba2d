// The attendance sheet: keep the leader's place while rows are swapped in (no inline scripts:
// the CSP forbids them).
(function () {
  "use strict";
  let lastTap = null;

  // Remember which button was tapped, so focus comes back to it when its row is replaced.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.target.closest && event.target.closest(".att-row form");
    if (!form) return;
    const active = document.activeElement;
    const row = form.closest(".att-row");
    lastTap = {
      row: row.id,
      code: active && active.name === "code" ? active.value : null,
      sub: !!form.closest(".att-sub"),
    };
    const status = document.getElementById("att-status");
    if (status) status.textContent = "";
  });

  // A poll must not replace the row a leader is typing a substitute's name in.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("att-row")) return;
    const typing = target.contains(document.activeElement) &&
      document.activeElement.tagName === "INPUT" && document.activeElement.type !== "hidden";
    const open = target.querySelector("details[open]");
    const incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    const fromPoll = !!(incoming && incoming.dataset && incoming.dataset.polled);
    if (fromPoll && (typing || open)) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    const target = event.detail.target;
    if (!lastTap || !target || target.id !== lastTap.row) return;
    const row = document.getElementById(lastTap.row);
    if (!row) return;
    const button = lastTap.code
      ? row.querySelector('button[name="code"][value="' + lastTap.code + '"]')
      : row.querySelector(lastTap.sub ? ".att-sub summary" : "button");
    const error = row.querySelector(".att-sub[open] input[name=substitute_name]");
    (error || button || row).focus();
    lastTap = null;
  });

  // Opening the substitute box puts the cursor in the name field.
  document.addEventListener("toggle", function (event) {
    const details = event.target;
    if (details.classList && details.classList.contains("att-sub") && details.open) {
      const input = details.querySelector("input[name=substitute_name]");
      if (input) input.focus();
    }
  }, true);

  // A poll answered by the sign-in page (the session ended) must not land in the list.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    const target = event.detail.target;
    if (target && target.id === "att-poll" && xhr.responseURL &&
        xhr.responseURL.indexOf("/attendance/rows/") === -1) {
      event.detail.shouldSwap = false;
      showProblem("You have been signed out: reload the page to go on marking.");
    }
  });

  function showProblem(text) {
    const status = document.getElementById("att-status");
    if (status) status.textContent = text;
  }
  document.addEventListener("htmx:sendError", function () {
    showProblem("Not saved: no connection. Tap again when you are back online.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") return;
    showProblem("Not saved (" + event.detail.xhr.status + "). Reload the page and try again.");
  });
})();
