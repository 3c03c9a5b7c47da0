// Instructor dashboard: confirmations, and live updates by polling /dashboard/live.json.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });
  // Copy buttons: data-copy holds the text, or data-copy-from names the field that does.
  document.querySelectorAll("button[data-copy], button[data-copy-from]").forEach(function (button) {
    button.addEventListener("click", function () {
      var from = button.dataset.copyFrom && document.getElementById(button.dataset.copyFrom);
      var text = from ? from.value : button.dataset.copy, label = button.textContent;
      var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = label; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done);
      else if (from) { from.select(); document.execCommand("copy"); done(); }
    });
  });
  // A new token is shown on the POST's answer only: put the GET page of its sign-in link in the address bar,
  // so a reload shows that instead of posting again (which would make a second token).
  var card = document.querySelector("[data-after]");
  if (card) history.replaceState(null, "", card.dataset.after);
  var lastVersion = null;
  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }
  function refreshRows() {
    var rows = document.querySelector("[data-live=rows]");
    if (!rows) return;
    fetch(window.location.href, { headers: { "X-Fragment": "rows" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { rows.innerHTML = html; if (window.autograderMarkScroll) window.autograderMarkScroll(); } });
  }
  // A submission's own page follows it over its event stream instead (progress.js).
  function poll() {
    fetch("/dashboard/live.json", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        var c = s.counts || {};
        text("live-counts", (c.queued || 0) + " queued · " + (c.running || 0) + " running · " + (c.graded || 0) + " graded");
        text("live-queue", s.queue.waiting === null ? "?" : s.queue.waiting);
        text("live-workers", (s.queue.workers || []).length);
        text("health-waiting", s.queue.waiting === null ? "unknown" : s.queue.waiting);
        text("health-oldest", s.oldest_queued_s === null ? "none" : Math.round(s.oldest_queued_s) + " s");
        var list = document.getElementById("health-workers");
        if (list) {
          list.innerHTML = "";
          (s.queue.workers || []).forEach(function (w) {
            var li = document.createElement("li");
            li.textContent = "pid " + w.pid + " on " + w.device + (typeof w.sandbox === "string" ? " · sandbox " + w.sandbox : "");
            list.appendChild(li);
          });
          if (!(s.queue.workers || []).length) list.innerHTML = "<li class=error>no worker is alive" + (s.queue.error ? " (" + s.queue.error + ")" : "") + "</li>";
        }
        if (s.version !== lastVersion) refreshRows();  // also on the first poll: the page may be stale already
        lastVersion = s.version;
      })
      .catch(function () { text("live-counts", "offline"); });
  }
  poll();
  setInterval(poll, 2000);
})();
