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

  // Escape inside an inline edit row cancels it (the Cancel link restores the row).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var row = event.target.closest && event.target.closest(".editing, .is-editing, form");
    if (!row) return;
    var cancel = row.querySelector("[data-cancel]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });

  // An inline edit form takes the focus when it appears; a restored row gives it back to its pencil.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || (target.id.indexOf("member-") !== 0 && target.id.indexOf("contact-") !== 0)) return;
    var row = document.getElementById(target.id);
    if (!row) return;
    var focus = row.classList.contains("editing") ? row.querySelector("select, input:not([type=hidden])") : row.querySelector(".pencil");
    if (focus) focus.focus();
  });

  // "Select all" toggles every row checkbox of its table (members, contacts).
  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    var table = event.target.closest("table") || document;
    table.querySelectorAll("input[name=ids]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // Copy buttons: <button data-copy="#input-id"> copies that field's value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var value = field.value || field.textContent;
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 2000); };
    if (navigator.clipboard) { navigator.clipboard.writeText(value).then(done, function () { field.select(); }); }
    else { field.select(); }
  });

  // The bulk bar shows only the choices the selected action needs.
  function syncBulk() {
    var action = document.getElementById("bulk-action");
    if (!action) return;
    document.querySelectorAll("#bulk-form [data-bulk]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk") !== action.value;
    });
  }
  document.addEventListener("DOMContentLoaded", syncBulk);
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-action") syncBulk();
  });

  // A dialog's Cancel (<a data-close="#dialog">) empties the dialog in place;
  // without JavaScript it is a link back to the list.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-close]");
    if (!link) return;
    var dialog = document.querySelector(link.getAttribute("data-close"));
    if (!dialog) return;
    event.preventDefault();
    dialog.innerHTML = "";
    var opener = document.querySelector("[data-opened-dialog]");
    if (opener) { opener.removeAttribute("data-opened-dialog"); opener.focus(); }
  });

  // Choosing who takes over a team's contacts picks "Reassign" for that team.
  document.addEventListener("change", function (event) {
    var select = event.target;
    var name = select.getAttribute && select.getAttribute("data-reassign");
    if (!name || !select.value) return;
    var radio = select.form && select.form.querySelector("input[type=radio][name='" + name + "'][value=reassign]");
    if (radio) radio.checked = true;
  });

  // A dialog loaded by htmx takes the focus; its opener gets it back on Cancel.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "member-dialog" || !target.firstElementChild) return;
    var opener = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (opener && opener.setAttribute && !target.contains(opener)) opener.setAttribute("data-opened-dialog", "");
    var heading = target.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  });

  // A click outside an open menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
