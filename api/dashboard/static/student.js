// Student page: drag-and-drop upload (the report page then follows the grading live: progress.js).
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
})();
