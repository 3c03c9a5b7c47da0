// Student page: drag-and-drop upload, then follow the grading live over Server-Sent Events.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (form) {
    var file = document.getElementById("file");
    ["dragenter", "dragover"].forEach(function (t) {
      form.addEventListener(t, function (ev) { ev.preventDefault(); form.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      form.addEventListener(t, function (ev) { ev.preventDefault(); form.classList.remove("over"); });
    });
    form.addEventListener("drop", function (ev) {
      if (ev.dataTransfer && ev.dataTransfer.files.length) { file.files = ev.dataTransfer.files; key = null; form.requestSubmit(); }
    });
    // One key per chosen file: a second click (or a retry after a network error) cannot make a second
    // submission; choosing the file again makes a new one.
    var key = null;
    file.addEventListener("change", function () { key = null; });
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (button.disabled) return;
      var err = document.getElementById("upload-error");
      err.hidden = true;
      button.disabled = true;
      key = key || (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { "Accept": "application/json", "Idempotency-Key": key } })
        .then(function (r) { return r.json().then(function (b) { return [r, b]; }); })
        .then(function (rb) {
          if (rb[0].ok) { window.location.href = rb[1].url; return; }
          err.textContent = rb[1].title + ": " + (rb[1].detail || "");
          err.hidden = false;
          button.disabled = false;
        })
        .catch(function (e) { err.textContent = String(e); err.hidden = false; button.disabled = false; });
    });
  }
  // Live progress: each state in words (the same as the server's, templates/_progress.html). The tests done
  // so far are kept per upload in sessionStorage: after a reload the count goes on from there, not from 0.
  var progress = document.getElementById("progress");
  // A page without the event stream (a shared report link) looks again every few seconds until it is final.
  if (progress && progress.dataset.poll) setTimeout(function () { window.location.reload(); }, Number(progress.dataset.poll));
  if (progress && progress.dataset.events && window.EventSource) {
    var status = document.getElementById("status"), textEl = document.getElementById("progress-text");
    var store = "progress:" + progress.dataset.id, total = progress.dataset.total ? " of " + progress.dataset.total : "";
    var base = Number(window.sessionStorage && sessionStorage.getItem(store)) || 0, done = base;
    function set(s, t) {
      status.textContent = s; status.className = "badge " + s; textEl.textContent = t;
      progress.dataset.status = s;
    }
    function running() { set("running", "being graded: " + done + total + " tests done…"); }
    var es = new EventSource(progress.dataset.events);
    es.addEventListener("queued", function (e) {
      var d = JSON.parse(e.data);  // held: waits for the student's earlier upload (fair queueing)
      if (d.held) set("held", "waiting for your earlier upload to finish grading; then this one joins the queue" +
                              (d.position ? " (number " + d.position + " in line)" : "") + "…");
      else set("queued", "waiting for a free worker: number " + d.position + " in the queue…");
    });
    es.addEventListener("running", running);
    es.addEventListener("test", function (e) {
      done = Math.max(done, base + JSON.parse(e.data).done);
      try { sessionStorage.setItem(store, String(done)); } catch (err) { /* private mode: no restore */ }
      running();
    });
    function finished() {
      es.close();
      try { sessionStorage.removeItem(store); } catch (err) { /* nothing kept */ }
      window.location.reload();
    }
    es.addEventListener("graded", finished);
    es.addEventListener("failed", finished);
  }
})();
