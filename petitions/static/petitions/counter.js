// Live signature counter: polls the cached count endpoint every 5 seconds.
(function () {
  "use strict";
  var box = document.querySelector("[data-count-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-count-url");
  function show(field, value) {
    var el = box.querySelector('[data-field="' + field + '"]');
    if (el) { el.textContent = value; }
  }
  function refresh() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show("confirmed", data.confirmed);
        show("verified", data.verified);
        var parts = Object.keys(data.losses).map(function (c) { return data.losses[c] + " " + c; });
        if (parts.length) { show("losses", parts.join(" · ")); }
      })
      .catch(function () {});
  }
  setInterval(refresh, 5000);
})();
