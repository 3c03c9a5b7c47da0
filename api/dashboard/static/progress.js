// A report page follows its submission live over Server-Sent Events: the student's report, a shared report
// link's page and the instructor's submission page (templates/_progress.html, the words in data-words). The
// tests done so far are kept per upload in sessionStorage: after a reload the count goes on from there.
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || !progress.dataset.events) return;  // final already: nothing to follow
  function reloadSoon() { setTimeout(function () { window.location.reload(); }, 5000); }
  if (!window.EventSource) { reloadSoon(); return; }  // no stream in this browser: look again until final
  var words = JSON.parse(progress.dataset.words);
  var status = document.getElementById("status"), textEl = document.getElementById("progress-text");
  var store = "progress:" + progress.dataset.id, total = progress.dataset.total ? " of " + progress.dataset.total : "";
  // Kept as "attempt:done": a retry (a worker lost) grades every test again, so another attempt starts at 0.
  var kept = String((window.sessionStorage && sessionStorage.getItem(store)) || "").split(":");
  var attempt = kept.length === 2 ? kept[0] : null, base = Number(kept[kept.length - 1]) || 0, done = base;
  function set(s, t) {
    status.textContent = s; status.className = "badge " + s; textEl.textContent = t;
    progress.dataset.status = s;
  }
  function running() { set("running", words.running + ": " + done + total + " tests done…"); }
  var es = new EventSource(progress.dataset.events);
  es.addEventListener("queued", function (e) {
    var d = JSON.parse(e.data);  // held: waits for the student's earlier upload (fair queueing)
    if (d.held) set("held", words.held + (d.position ? " (number " + d.position + " in line)" : "") + "…");
    else set("queued", words.queued + ": number " + d.position + " in the queue…");
  });
  es.addEventListener("running", function (e) {
    var now = String(JSON.parse(e.data).attempt);
    if (attempt !== null && now !== attempt) { base = 0; done = 0; }
    attempt = now;
    running();
  });
  es.addEventListener("test", function (e) {
    done = Math.max(done, base + JSON.parse(e.data).done);
    try { sessionStorage.setItem(store, attempt + ":" + done); } catch (err) { /* private mode: no restore */ }
    running();
  });
  function finished() {
    es.close();
    try { sessionStorage.removeItem(store); } catch (err) { /* nothing kept */ }
    window.location.reload();  // the report, as this viewer may see it
  }
  es.addEventListener("graded", finished);
  es.addEventListener("failed", finished);
  // Refused for good (a link revoked or expired, a session ended): the page itself says why, a moment later.
  // A dropped connection is not this: EventSource reconnects by itself.
  es.addEventListener("error", function () { if (es.readyState === EventSource.CLOSED) reloadSoon(); });
})();
