// The campaign page's CSV import: follows a running import's progress, then reloads the page
// to show its outcome (views/imports.py, import_status).
(function () {
  "use strict";
  var box = document.getElementById("respondent-import");
  if (!box || !box.dataset.url) return;
  function set(name, value) {
    var el = box.querySelector("[data-import=" + name + "]");
    if (el) el.textContent = value;
  }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return setTimeout(poll, 5000);
        if (!data.running) { window.location.reload(); return; }
        set("processed", data.processed_rows);
        set("total", data.total_rows);
        var bar = box.querySelector("[data-import=bar]");
        if (bar) {
          bar.max = Math.max(data.total_rows, 1);
          bar.value = data.processed_rows;
        }
        box.dataset.status = data.status;
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
