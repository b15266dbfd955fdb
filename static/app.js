// Roster's own behaviour on top of htmx: confirmations, toasts, menus, focus
// after swaps, feedback while requests run, the theme.
// No inline scripts anywhere (the CSP forbids them); everything hooks in here.
(function () {
  "use strict";

  // The page knows JavaScript runs: styles that need it (the collapsible
  // navigation) apply only then, so the page without it keeps every link.
  document.documentElement.classList.add("js");

  // Dark mode: follows the system unless the profile menu's switch chose one.
  var THEMES = ["auto", "dark", "light"];
  function storedTheme() {
    try { return localStorage.getItem("roster-theme") || "auto"; } catch (e) { return "auto"; }
  }
  function applyTheme(theme) {
    if (theme === "auto") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
    var button = document.getElementById("theme-toggle");
    if (button) button.textContent = "Theme: " + { auto: "system", dark: "dark", light: "light" }[theme];
  }
  applyTheme(storedTheme());

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text) el.textContent = text;
    return el;
  }

  // A polite live region: what a swap changed, said without moving focus.
  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region) {
      region = element("div", { id: "announcer", "class": "visually-hidden", "aria-live": "polite", role: "status" });
      document.body.appendChild(region);
    }
    region.textContent = "";
    setTimeout(function () { region.textContent = message; }, 50);
  }

  // Ask before destructive and wide-reaching actions, in a real dialog:
  // <button data-confirm="..."> (or the form's data-confirm, or a message a
  // form builds in data-confirm-from, see the bulk bar). showModal() keeps
  // focus inside, Escape cancels, and focus returns to the button.
  var confirmed = null;
  function confirmDialog() {
    var dialog = document.getElementById("confirm-dialog");
    if (dialog) return dialog;
    dialog = element("dialog", { id: "confirm-dialog", "class": "confirm-dialog", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-message" });
    dialog.appendChild(element("h2", { id: "confirm-title" }, "Please confirm"));
    dialog.appendChild(element("p", { id: "confirm-message" }));
    var actions = element("form", { method: "dialog", "class": "form-actions" });
    actions.appendChild(element("button", { value: "cancel", "class": "button", type: "submit" }, "Cancel"));
    actions.appendChild(element("button", { value: "confirm", "class": "button primary", type: "submit", id: "confirm-ok" }, "Confirm"));
    dialog.appendChild(actions);
    document.body.appendChild(dialog);
    return dialog;
  }
  function confirmMessage(form, button) {
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    var builder = form.getAttribute("data-confirm-from") && confirmBuilders[form.getAttribute("data-confirm-from")];
    return builder ? builder(form) : message;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (confirmed === form) { confirmed = null; return; }
    var message = confirmMessage(form, button);
    if (!message) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var dialog = confirmDialog();
    dialog.querySelector("#confirm-message").textContent = message;
    var ok = dialog.querySelector("#confirm-ok");
    ok.textContent = (button && button.getAttribute("data-confirm-label")) || (button && button.textContent.trim()) || "Confirm";
    ok.className = "button " + (button && button.classList.contains("danger") ? "danger-solid" : "primary");
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "confirm") {
        confirmed = form;
        if (form.requestSubmit) form.requestSubmit(button && button.form === form ? button : undefined);
        else form.submit();
      }
      if (button && document.contains(button)) button.focus();
    };
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus();
  }, true);

  // Messages built from what a form will do, named by data-confirm-from.
  var confirmBuilders = {
    bulk: function (form) {
      var count = document.querySelectorAll("input[name=ids][form=bulk-form]:checked").length;
      // "Select all N matching" (see the invite/bulk section at the end).
      var matching = document.querySelector("#select-matching:checked");
      var action = form.querySelector("#bulk-action");
      if ((!count && !matching) || !action || !action.value) return null;
      var field = form.querySelector("[data-bulk=" + action.value + "]");
      var choice = field && field.selectedOptions[0] ? field.selectedOptions[0].textContent.trim() : "";
      var who = matching ? "all " + matching.getAttribute("data-total") + " members " + matching.getAttribute("data-describe")
        : count === 1 ? "1 member" : count + " members";
      if (action.value === "set_role") return "Change the organization role of " + who + " to " + choice + "?";
      if (action.value === "add_team") {
        var teamRole = form.querySelector("#bulk-team-role");
        var as = teamRole && teamRole.selectedOptions[0] ? " as " + teamRole.selectedOptions[0].textContent.trim() : "";
        return "Add " + who + " to the team " + choice + as + "?";
      }
      if (action.value === "revoke") return null;
      return "Add " + who + " to the group " + choice + "?";
    }
  };

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

  // Focus after a swap, once the new content has settled (on afterSwap it is
  // not in place yet): the first invalid field after an error, the first field
  // of a form that appeared, the pencil (or the row) of a row saved or
  // cancelled, the table after paging. A search typed into keeps its focus
  // and is announced instead.
  var FIELDS = "select:not([disabled]), input:not([type=hidden]):not([disabled]), textarea:not([disabled]), button:not([disabled])";
  function focusOn(el) {
    if (!el) return false;
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    return document.activeElement === el;
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // The element that sent the request (detail.elt is the settled content).
    var trigger = event.detail.xhr && event.detail.xhr.rosterElt;
    if (!target || !document.contains(target)) {
      target = target && target.id ? document.getElementById(target.id) : null;
      if (!target) return;
    }
    if (target.id === "members-table") {
      var summary = target.querySelector(".table-summary");
      if (summary) announce(summary.textContent.replace(/\s+/g, " ").trim());
      if (trigger && trigger.closest && trigger.closest(".pager")) {
        focusOn(summary || target);
        target.scrollIntoView({ block: "start" });
      }
      return;
    }
    if (target.id === "toasts" || target.id === "bulk-result") return;
    var invalid = target.querySelector("[aria-invalid=true]") || target.querySelector(".has-error select, .has-error input:not([type=hidden]), .has-error textarea");
    if (invalid) { focusOn(invalid); invalid.scrollIntoView({ block: "center" }); return; }
    var alert = target.querySelector(".form-error");
    var form = target.matches("form") ? target : target.querySelector("form:not(.inline)");
    if (form && (target.classList.contains("editing") || target.classList.contains("is-editing") || target.matches("form"))) {
      if (alert) { focusOn(alert); return; }
      focusOn(form.querySelector(FIELDS));
      return;
    }
    var pencil = target.querySelector(".pencil:not(.is-disabled)");
    if (target.classList.contains("member-row") || target.classList.contains("role-row") || target.classList.contains("contact-row")) {
      focusOn(pencil || target);
      return;
    }
    // Whatever else was swapped: never leave focus on a node that is gone.
    if (!document.activeElement || document.activeElement === document.body) focusOn(target);
  });

  // Feedback while a request runs: after 150 ms the page shows it is busy
  // (a bar at the top, aria-busy on the target); the buttons of the form or
  // the button that sent it are disabled until it ends, so a double click
  // cannot post twice.
  var busy = 0, busyTimer = null;
  function busyButtons(elt) {
    if (!elt) return [];
    if (elt.matches("form")) return Array.prototype.slice.call(elt.querySelectorAll("button:not([disabled])"));
    return elt.matches("button:not([disabled])") ? [elt] : [];
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr) event.detail.xhr.rosterElt = elt;
    var buttons = busyButtons(elt);
    buttons.forEach(function (b) { b.disabled = true; b.setAttribute("data-busy", ""); });
    elt.rosterBusy = buttons;
    busy += 1;
    if (!busyTimer) busyTimer = setTimeout(function () { document.documentElement.classList.add("is-loading"); }, 150);
    if (event.detail.target) event.detail.target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    (elt.rosterBusy || []).forEach(function (b) { b.disabled = false; b.removeAttribute("data-busy"); });
    elt.rosterBusy = null;
    busy = Math.max(0, busy - 1);
    if (!busy) {
      clearTimeout(busyTimer);
      busyTimer = null;
      document.documentElement.classList.remove("is-loading");
    }
    if (event.detail.target) event.detail.target.removeAttribute("aria-busy");
  });

  // A request that never got an answer (network down, timeout): a toast that
  // says so, with a button that sends it again.
  function failed(event, message) {
    var elt = event.detail.elt;
    var toasts = document.getElementById("toasts");
    if (!toasts || !elt) return;
    var toast = element("div", { "class": "toast toast-error", role: "alert" });
    toast.appendChild(element("span", {}, message + " "));
    var retry = element("button", { type: "button", "class": "button small toast-retry" }, "Retry");
    retry.addEventListener("click", function () {
      toast.remove();
      if (elt.matches("form") && elt.requestSubmit) { confirmed = elt; elt.requestSubmit(); }
      else htmx.trigger(elt, elt.matches("form") ? "submit" : "click");
    });
    toast.appendChild(retry);
    toasts.appendChild(toast);
    retry.focus();
  }
  document.addEventListener("htmx:sendError", function (event) { failed(event, "Roster could not be reached. Check your connection."); });
  document.addEventListener("htmx:timeout", function (event) { failed(event, "Roster took too long to answer."); });

  // Times as "3 h ago"; the absolute time stays in the title (hover) and in
  // the datetime attribute.
  function relativeTimes() {
    var now = Date.now();
    document.querySelectorAll("time[datetime]:not([data-relative])").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var minutes = Math.round((now - at) / 60000);
      var text = minutes < 1 ? "just now"
        : minutes < 60 ? minutes + " min ago"
        : minutes < 48 * 60 ? Math.round(minutes / 60) + " h ago"
        : minutes < 60 * 24 * 60 ? Math.round(minutes / 1440) + " days ago"
        : null;
      if (!text) return;
      el.setAttribute("data-relative", "");
      el.textContent = text;
    });
  }
  document.addEventListener("DOMContentLoaded", relativeTimes);
  document.addEventListener("htmx:afterSettle", relativeTimes);

  // The profile menu's theme switch: system, dark, light.
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector(".user-menu .menu-list");
    if (!list) return;
    var item = element("li");
    var button = element("button", { type: "button", id: "theme-toggle", "class": "link-button" });
    item.appendChild(button);
    list.insertBefore(item, list.lastElementChild);
    applyTheme(storedTheme());
    button.addEventListener("click", function () {
      var next = THEMES[(THEMES.indexOf(storedTheme()) + 1) % THEMES.length];
      try { localStorage.setItem("roster-theme", next); } catch (e) { /* private mode: this page only */ }
      applyTheme(next);
    });
  });

  // Under 720 px the organization's navigation folds behind a Menu button.
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".sidenav");
    var topbar = document.querySelector(".topbar");
    if (!nav || !topbar) return;
    nav.id = nav.id || "sidenav";
    var button = element("button", { type: "button", "class": "button small nav-toggle", "aria-expanded": "false", "aria-controls": nav.id }, "Menu");
    topbar.insertBefore(button, topbar.firstChild);
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });

  // "Select all" toggles every row checkbox of its table (members, contacts).
  document.addEventListener("change", function (event) {
    if (event.target.id !== "select-all") return;
    var table = event.target.closest("table") || document;
    table.querySelectorAll("input[name=ids]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // On a narrow screen the tabs scroll sideways: bring the current one into
  // view (centred in its bar, without scrolling the page).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".tabs").forEach(function (bar) {
      var current = bar.querySelector("[aria-current=page]");
      if (!current || bar.scrollWidth <= bar.clientWidth) return;
      bar.scrollLeft = current.offsetLeft - bar.offsetLeft - (bar.clientWidth - current.offsetWidth) / 2;
    });
  });

  // A team's group picker narrows to the groups whose name holds what is
  // typed into its "Find a group" field; chosen groups always stay in view.
  // Enter there does not submit the member form; Escape clears it first.
  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-pick-filter]")) return;
    var picks = event.target.closest(".picks");
    var query = event.target.value.trim().toLowerCase();
    var shown = 0;
    picks.querySelectorAll(".pick").forEach(function (pick) {
      var box = pick.querySelector("input[type=checkbox]");
      var match = !query || box.checked || pick.textContent.toLowerCase().indexOf(query) !== -1;
      pick.hidden = !match;
      if (match) shown += 1;
    });
    var none = picks.querySelector(".pick-none");
    if (none) none.hidden = shown > 0;
  });
  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-pick-filter]")) return;
    if (event.key === "Enter") event.preventDefault();
    if (event.key === "Escape" && event.target.value) {
      event.preventDefault();
      event.stopImmediatePropagation();
      event.target.value = "";
      event.target.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }, true);

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

  // The bulk bar shows only the choices the selected action needs, and how
  // many members are selected.
  function syncBulk() {
    var action = document.getElementById("bulk-action");
    if (!action) return;
    document.querySelectorAll("#bulk-form [data-bulk]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk") !== action.value;
      // A hidden choice is not sent, nor checked as required.
      el.disabled = el.hidden;
    });
    var count = document.querySelectorAll("input[name=ids][form=bulk-form]:checked").length;
    var counter = document.getElementById("bulk-count");
    if (counter) counter.textContent = count === 1 ? "1 selected" : count + " selected";
  }
  document.addEventListener("DOMContentLoaded", syncBulk);
  document.addEventListener("htmx:afterSettle", syncBulk);
  document.addEventListener("change", function (event) {
    if (event.target.id === "bulk-action" || event.target.name === "ids" || event.target.id === "select-all") syncBulk();
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

// ==== Invite dialog and bulk "select all matching" (issue 17, items 4 and 5) ====
// The Invite link (and Add by account ID) loads its form (hx-get into
// #invite-body) and the modal <dialog> around it opens: heading, Close, Escape; Tab and Shift+Tab cycle
// inside it; when it closes, focus goes back to the Invite button. Without
// JavaScript the link opens the form's own page.
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), " +
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

  function focusables(dialog) {
    return Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.getClientRects().length > 0;
    });
  }

  function firstFocus(dialog) {
    var body = dialog.querySelector("#invite-body") || dialog;
    return body.querySelector("[aria-invalid=true]") || body.querySelector(".form-error") ||
      body.querySelector(".invite-bulk h2") ||
      body.querySelector("textarea:not([disabled]), select:not([disabled]), input:not([type=hidden]):not([disabled])") ||
      dialog.querySelector("[data-dialog-close]");
  }

  function focusIn(el) {
    if (!el) return;
    if (!el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
    el.focus();
  }

  function setUp(dialog) {
    if (dialog.rosterReady) return;
    dialog.rosterReady = true;
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        dialog.close();
        return;
      }
      if (event.key !== "Tab") return;
      var items = focusables(dialog);
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      var active = document.activeElement;
      if (event.shiftKey && (active === first || !dialog.contains(active) || active === dialog)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-dialog-close]")) dialog.close();
    });
    dialog.addEventListener("close", function () {
      var body = dialog.querySelector("#invite-body");
      if (body) body.innerHTML = "";
      var status = dialog.querySelector(".dialog-status");
      if (status) status.textContent = "";
      var opener = dialog.rosterOpener;
      dialog.rosterOpener = null;
      if (opener && document.contains(opener)) opener.focus();
    });
  }

  // Content arrived in a closed dialog: open it, modal, remembering who asked.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var dialog = target && target.closest && target.closest("dialog.modal-dialog");
    if (!dialog || dialog.open) return;
    setUp(dialog);
    var opener = event.detail.requestConfig && event.detail.requestConfig.elt;
    dialog.rosterOpener = opener && !dialog.contains(opener) ? opener : document.querySelector(".invite-button");
    // One dialog serves Invite and Add by account ID: the opener names it.
    var title = dialog.querySelector("[data-default-title]");
    if (title) {
      title.textContent = (dialog.rosterOpener && dialog.rosterOpener.getAttribute("data-dialog-title")) ||
        title.getAttribute("data-default-title");
    }
    dialog.rosterOpening = true;
    dialog.showModal();
  });

  // Once settled: a dialog just opened puts focus on its first field (or the
  // preview's heading); a swap inside it that left focus nowhere does the same.
  // A success (the members list changed) is said inside the dialog, since the
  // page's toasts sit behind it.
  document.addEventListener("htmx:afterSettle", function (event) {
    var dialog = document.querySelector("dialog.modal-dialog[open]");
    var target = event.detail.target;
    if (!dialog || !target) return;
    // An outerHTML swap leaves the old node as the target: look for its successor.
    if (!dialog.contains(target) && !(target.id && dialog.querySelector("#" + target.id))) return;
    var active = document.activeElement;
    var swapped = target.id ? dialog.querySelector("#" + target.id) : null;
    var lost = !active || active === document.body || active === dialog || active === swapped || !dialog.contains(active);
    if (dialog.rosterOpening || lost) focusIn(firstFocus(dialog));
    dialog.rosterOpening = false;
    var status = dialog.querySelector(".dialog-status");
    if (!status) return;
    var xhr = event.detail.xhr;
    var trigger = xhr && xhr.getResponseHeader && xhr.getResponseHeader("HX-Trigger");
    var toasts = document.querySelectorAll("#toasts .toast-success");
    var last = toasts[toasts.length - 1];
    status.textContent = trigger && trigger.indexOf("members-changed") !== -1 && last ? last.textContent.trim() : "";
  });

  // The bulk bar: once every row of the page is ticked, offer every member
  // the filter matches (its count from the server); ticking it makes the
  // action apply to all of them. Unticking any row withdraws it.
  function syncMatching() {
    var offer = document.getElementById("select-matching-offer");
    var matching = document.getElementById("select-matching");
    var apply = document.querySelector("#bulk-form button[type=submit]");
    if (apply && apply.hasAttribute("data-label") && !(matching && matching.checked)) {
      apply.textContent = apply.getAttribute("data-label");
    }
    if (!offer || !matching) return;
    var boxes = document.querySelectorAll("#members-table input[name=ids][form=bulk-form]");
    var all = boxes.length > 0 && Array.prototype.every.call(boxes, function (b) { return b.checked; });
    offer.classList.toggle("is-offered", all);
    if (!all) matching.checked = false;
    if (apply) {
      if (!apply.hasAttribute("data-label")) apply.setAttribute("data-label", apply.textContent);
      apply.textContent = matching.checked ? "Apply to all " + matching.getAttribute("data-total") : apply.getAttribute("data-label");
    }
    var counter = document.getElementById("bulk-count");
    if (!counter) return;
    var count = document.querySelectorAll("input[name=ids][form=bulk-form]:checked").length;
    counter.textContent = matching.checked
      ? "All " + matching.getAttribute("data-total") + " members " + matching.getAttribute("data-describe") + " selected"
      : count === 1 ? "1 selected" : count + " selected";
  }
  document.addEventListener("DOMContentLoaded", syncMatching);
  document.addEventListener("htmx:afterSettle", syncMatching);
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t.name === "ids" || t.id === "select-all" || t.id === "select-matching") syncMatching();
  });
})();

// ---- Members table: sortable headings, sort kept in step (ux-table) --------
(function () {
  "use strict";

  // A heading's sort link swapped the table: the Sort select of the filters
  // follows the table's sort (so the next filter keeps it), and focus returns
  // to the same link in the new table.
  document.addEventListener("htmx:afterSettle", function (event) {
    // An outerHTML swap: the target is the old table, the new one has its id.
    var target = event.detail.target;
    var table = document.getElementById("members-table");
    if (!target || target.id !== "members-table" || !table) return;
    var select = document.getElementById("f-sort");
    var sort = table.getAttribute("data-sort");
    if (select && sort) select.value = sort;
    var trigger = event.detail.xhr && event.detail.xhr.rosterElt;
    if (trigger && trigger.classList && trigger.classList.contains("sort-link")) {
      var again = document.getElementById(trigger.id);
      if (again) again.focus();
    }
  });
})();
