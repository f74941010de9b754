// Keeps the campaign page's response figures live while it is open.
(function () {
  "use strict";
  var box = document.getElementById("live-stats");
  if (!box) return;
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
      }).catch(function () {});
  }
  setInterval(refresh, 15000);
})();
