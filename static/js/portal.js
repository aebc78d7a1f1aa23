// Small enhancements; every page works without this file.
(function () {
  "use strict";

  // Preselect the visitor's time zone on sign-up forms.
  function detectTimeZone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    document.querySelectorAll("select[data-detect-time-zone]").forEach(function (select) {
      if (!zone) return;
      var option = select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
      if (option && select.value === "UTC") select.value = zone;
    });
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // Warn a few minutes before automatic logoff. Requests and typing count as
  // activity; when the session has ended, say so without reloading, so nothing
  // typed on the page is lost.
  function idleWatch() {
    var body = document.body;
    var idle = parseInt(body.dataset.idleSeconds || "0", 10);
    var warnBefore = parseInt(body.dataset.idleWarningSeconds || "0", 10);
    var warning = document.getElementById("idle-warning");
    var ended = document.getElementById("session-ended");
    if (!idle || !warning || !ended) return;
    var warnTimer, endTimer, lastPing = Date.now();

    function showEnded() {
      warning.hidden = true;
      ended.hidden = false;
    }
    // Another tab may have kept the session alive: ask (without counting as
    // activity) before saying it has ended.
    function checkEnded() {
      fetch(body.dataset.sessionStatusUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 401) { showEnded(); return; }
          secondsLeft(response.headers.get("X-Session-Idle-Seconds"));
          restart();
        })
        .catch(function () { restart(); });
    }
    // The server pushes the expiry at most once a minute, so after each request
    // it says how long the session really has left.
    function secondsLeft(value) {
      var seconds = parseInt(value || "", 10);
      if (seconds > 0) idle = seconds;
    }
    function restart() {
      clearTimeout(warnTimer); clearTimeout(endTimer);
      warning.hidden = true;
      ended.hidden = true;
      warnTimer = setTimeout(function () {
        warning.hidden = false;
        var button = document.getElementById("idle-keep-alive");
        if (button) button.focus();
      }, Math.max(0, idle - warnBefore) * 1000);
      endTimer = setTimeout(checkEnded, (idle + 5) * 1000);
    }
    function keepAlive() {
      lastPing = Date.now();
      fetch(warning.querySelector("form").action, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 401) { showEnded(); return; }
        secondsLeft(response.headers.get("X-Session-Idle-Seconds"));
        restart();
      }).catch(function () { /* offline: the next request will tell */ });
    }
    // Someone writing a long entry is active even before they press Save.
    document.addEventListener("input", function () {
      if (ended.hidden && Date.now() - lastPing > 60 * 1000) keepAlive();
    });
    body.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail && event.detail.xhr;
      if (xhr && xhr.status === 401) { showEnded(); return; }
      if (!event.detail.elt || !event.detail.elt.hasAttribute("data-passive")) {
        lastPing = Date.now();
        if (xhr) secondsLeft(xhr.getResponseHeader("X-Session-Idle-Seconds"));
        restart();
      }
    });
    restart();
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectTimeZone();
    idleWatch();
  });
})();
