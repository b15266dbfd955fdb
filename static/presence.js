// Presence heartbeat: tells the server whether this tab is in use, idle or
// hidden. At most one report per heartbeat period while nothing changes, one at
// once when the tab is hidden or shown, and one on the first input after a
// long pause. The server decides online / away / offline from these.
(function () {
  "use strict";
  var meta = document.querySelector("meta[name=roster-presence]");
  var csrf = document.querySelector("meta[name=csrf-token]");
  if (!meta || !csrf || !window.fetch) return;
  var url = meta.getAttribute("content");
  var awayMs = parseInt(meta.getAttribute("data-away-ms"), 10) || 300000;
  var beatMs = parseInt(meta.getAttribute("data-heartbeat-ms"), 10) || 30000;
  var KEY = "roster-presence";

  // The tab's id and last report live in sessionStorage: they survive page
  // loads in this tab, so moving between pages does not report again.
  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function store(memo) {
    try { sessionStorage.setItem(KEY, JSON.stringify(memo)); } catch (e) { /* private mode */ }
  }
  var memo = load();
  if (!memo.tab) {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    memo.tab = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var lastInput = Date.now();
  var stopped = false;
  var pausedUntil = 0;

  function state() {
    if (document.visibilityState === "hidden") return "hidden";
    return Date.now() - lastInput >= awayMs ? "idle" : "active";
  }

  function report(force) {
    if (stopped || Date.now() < pausedUntil) return;
    var now = Date.now();
    var current = state();
    var token = csrf.getAttribute("content");
    // A new session (signed out and in again) has a new token: it reports
    // anew. A few characters tell sessions apart; the token stays in the page.
    var session = token.slice(0, 8);
    var same = memo.url === url && memo.session === session && memo.state === current &&
      now - (memo.at || 0) < beatMs;
    if (same && !force) return;
    memo.url = url; memo.session = session; memo.state = current; memo.at = now;
    store(memo);
    var body = "tab=" + encodeURIComponent(memo.tab) + "&state=" + current +
      "&idle=" + Math.max(0, Math.floor((now - lastInput) / 1000));
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token },
      body: body
    }).then(function (res) {
      if (res.status === 429) {
        var wait = parseInt(res.headers.get("Retry-After"), 10) || 30;
        pausedUntil = Date.now() + wait * 1000;
        memo.at = 0; store(memo);
      } else if (res.type === "opaqueredirect" || res.status === 403 || res.status === 404) {
        // Signed out, presence switched off, or no longer a member: stop.
        stopped = true;
      }
    }, function () { memo.at = 0; store(memo); });
  }

  function input() {
    var wasIdle = Date.now() - lastInput >= awayMs;
    lastInput = Date.now();
    if (wasIdle) report(false);
  }
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, input, { passive: true, capture: true });
  });

  // Hidden is reported a moment late: a page being left also turns hidden,
  // and the next page's report would otherwise flicker "away" to others.
  var hiddenTimer = null;
  document.addEventListener("visibilitychange", function () {
    clearTimeout(hiddenTimer);
    if (document.visibilityState === "hidden") {
      hiddenTimer = setTimeout(function () { report(false); }, 1000);
    } else {
      lastInput = Date.now();
      report(false);
    }
  });

  report(false);
  setInterval(function () { report(false); }, Math.min(beatMs, 5000));
})();
