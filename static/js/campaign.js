// Keeps the campaign page's response figures live while it is open: the stats endpoint returns
// aggregates only (no rows), and the figures and segment tables are updated in place.
(function () {
  "use strict";
  var box = document.getElementById("live-stats");
  if (!box) return;

  function cell(text, label) {
    var td = document.createElement("td");
    if (label) td.dataset.label = label;
    td.textContent = text;
    return td;
  }

  function fillSegments(body, rows) {
    var labels = Array.prototype.map.call(
      body.closest("table").querySelectorAll("thead th"), function (th) { return th.textContent; });
    var fresh = document.createDocumentFragment();
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(body.dataset.empty || "");
      td.colSpan = 4;
      tr.appendChild(td);
      fresh.appendChild(tr);
    }
    rows.forEach(function (s) {
      var tr = document.createElement("tr");
      [s.label, s.invited, s.completed, s.rate + "%"].forEach(function (value, i) {
        tr.appendChild(cell(String(value), labels[i]));
      });
      fresh.appendChild(tr);
    });
    body.replaceChildren(fresh);
  }

  function refresh() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.querySelectorAll("[data-stat]").forEach(function (el) {
          var key = el.dataset.stat;
          if (key in data) el.textContent = data[key];
        });
        var meter = document.querySelector("[data-meter=rate]");
        if (meter) meter.setAttribute("width", data.rate + "%");
        document.querySelectorAll("[data-segments]").forEach(function (body) {
          var rows = data[body.dataset.segments];
          if (Array.isArray(rows)) fillSegments(body, rows);
        });
      }).catch(function () {});
  }
  setInterval(refresh, 15000);
})();
