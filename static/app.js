// Roster's own behaviour on top of htmx: confirmations, toasts, menus.
// No inline scripts anywhere (the CSP forbids them); everything hooks in here.
(function () {
  "use strict";

  // Ask before destructive actions: <button data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Toasts fade away on their own; errors stay a little longer.
  function expire(toast) {
    if (toast.dataset.expiring) return;
    toast.dataset.expiring = "1";
    var wait = toast.classList.contains("toast-error") ? 8000 : 4000;
    setTimeout(function () { toast.remove(); }, wait);
  }
  function expireAll() {
    document.querySelectorAll("#toasts .toast").forEach(expire);
  }
  document.addEventListener("DOMContentLoaded", expireAll);
  document.addEventListener("htmx:afterSettle", expireAll);
  document.addEventListener("htmx:oobAfterSwap", expireAll);

  // Escape closes an open header menu and returns focus to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // A click outside an open menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
