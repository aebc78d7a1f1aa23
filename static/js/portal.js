// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // Preselect the visitor's time zone on sign-up forms.
  function detectTimeZone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    document.querySelectorAll("select[data-detect-time-zone]").forEach(function (select) {
      if (select.dataset.touched || !zone) return;
      var option = select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
      if (option && select.value === "UTC") select.value = zone;
    });
  }

  // Warn a few minutes before automatic logoff; any request restarts the clock.
  function idleWarning() {
    var body = document.body;
    var idle = parseInt(body.dataset.idleSeconds || "0", 10);
    var warnBefore = parseInt(body.dataset.idleWarningSeconds || "0", 10);
    var box = document.getElementById("idle-warning");
    if (!idle || !box) return;
    var warnTimer, outTimer;
    function restart() {
      clearTimeout(warnTimer); clearTimeout(outTimer);
      box.hidden = true;
      warnTimer = setTimeout(function () {
        box.hidden = false;
        var button = document.getElementById("idle-keep-alive");
        if (button) button.focus();
      }, Math.max(0, idle - warnBefore) * 1000);
      outTimer = setTimeout(function () { window.location.reload(); }, (idle + 5) * 1000);
    }
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (!event.detail.elt || !event.detail.elt.hasAttribute("data-passive")) restart();
    });
    restart();
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectTimeZone();
    idleWarning();
  });
})();
