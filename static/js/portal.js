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

  // Say a sentence in the page's polite live region. Emptied first, so the same
  // sentence twice in a row ("Entry deleted.") is announced both times.
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 60);
  }

  function focusOn(selector) {
    var target = selector && document.querySelector(selector);
    if (!target) return false;
    if (!target.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
    return document.activeElement === target;
  }

  // A new journal entry arrives at the top of the loaded list; move it to its
  // place in time. Returns false when it belongs further back than what is
  // loaded: "Load more" reaches it there, so it is not shown twice.
  function placeEntry(selector) {
    var entry = document.querySelector(selector);
    var list = entry && entry.parentElement;
    if (!list) return true;
    var empty = document.getElementById("no-entries");
    if (empty) empty.remove();
    if (list.dataset.order !== "time") return true;  // newest written first: the top is its place
    var when = Date.parse(entry.querySelector("time").getAttribute("datetime"));
    var others = list.querySelectorAll(":scope > li.entry");
    for (var i = 0; i < others.length; i++) {
      if (others[i] === entry) continue;
      var time = others[i].querySelector("time");
      if (time && Date.parse(time.getAttribute("datetime")) <= when) {
        list.insertBefore(entry, others[i]);
        return true;
      }
    }
    var more = document.getElementById("load-more");
    if (more) { entry.remove(); return false; }
    list.appendChild(entry);
    return true;
  }

  // After every htmx swap the server says (HX-Trigger-After-Settle "portal:swapped")
  // where focus belongs and what to announce; without it focus would fall to <body>.
  function afterSwaps() {
    document.body.addEventListener("portal:swapped", function (event) {
      var detail = event.detail || {};
      var focus = detail.focus, message = detail.announce;
      if (detail.place && !placeEntry(detail.place)) {
        focus = "#entry-saved";
        message = "Saved to your journal. It is further back than the entries shown: Load more reaches it.";
      }
      if (focus && !focusOn(focus)) focusOn("#main");
      announce(message);
    });
  }

  // Lists whose "Load more" answers without a server-side focus hint (marked
  // data-load-more): focus the first item that arrived, and say so.
  function loadMoreFocus() {
    var pending = null;
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
      var target = event.detail.target;
      if (!elt || !elt.hasAttribute("data-load-more") || !target) return;
      pending = { parent: target.parentElement, before: target.previousElementSibling };
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      if (!pending) return;
      var place = pending;
      pending = null;
      var first = place.before ? place.before.nextElementSibling : place.parent && place.parent.firstElementChild;
      if (first) {
        if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
        first.focus();
      }
      announce("More loaded.");
    });
  }

  // Any other swap a person started (a click or a submit) that left focus on
  // <body> because the control they used was swapped away: focus what arrived
  // instead, so no swap drops a keyboard or screen-reader user at the top. The
  // control may name the place (data-focus-after="<selector>"); else the new
  // content's alert or status message, else its first heading, else the content. Runs after the server's
  // focus hint (portal:swapped) and after "Load more", which come first.
  function focusAfterOtherSwaps() {
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var detail = event.detail || {};
      var config = detail.requestConfig || {};
      var trigger = config.triggeringEvent;
      if (!trigger || (trigger.type !== "click" && trigger.type !== "submit")) return;
      var control = config.elt;
      var arrived = event.target;
      setTimeout(function () {
        var active = document.activeElement;
        if (active && active !== document.body) return;
        var named = control && control.getAttribute("data-focus-after");
        if (named && focusOn(named)) return;
        if (!arrived || !arrived.isConnected) { focusOn("#main"); return; }
        // What happened (an error, then a result), else where the new content starts.
        var target = arrived.querySelector("[role=alert]") || arrived.querySelector("[role=status]") ||
          (arrived.matches("h1, h2, h3") ? arrived : arrived.querySelector("h1, h2, h3")) || arrived;
        if (!target.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
          target.setAttribute("tabindex", "-1");
        }
        target.focus();
      }, 0);
    });
  }

  // "When: now (change)" names the time chosen once it is changed.
  function whenSummary() {
    document.addEventListener("input", function (event) {
      var input = event.target;
      var details = input.closest && input.closest("details.when-field");
      if (!details) return;
      var summary = details.querySelector(".when-summary");
      if (summary) summary.textContent = input.value ? input.value.replace("T", " ") : "now";
    });
  }

  // A thread opens at its newest message and the reply box, whatever link led here (the conversation list's
  // links carry #latest, which does the same without JavaScript).
  function threadAtLatest() {
    var latest = document.getElementById("latest");
    if (latest && document.getElementById("message-list") && !window.location.hash) latest.scrollIntoView();
  }

  // The nav's unread count stays current: one light request every 15 seconds, only while the tab is
  // visible, carrying the count shown so an unchanged count is answered 204 with nothing to swap.
  function liveUnreadCount() {
    var every = 15000, last = Date.now(), busy = false;
    function ask() {
      var link = document.getElementById("nav-messages");
      if (busy || document.hidden || !link || !link.dataset.pollUrl) return;
      busy = true; last = Date.now();
      var url = link.dataset.pollUrl + "?seen=" + encodeURIComponent(link.dataset.unread || "0");
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { return response.status === 200 ? response.text() : ""; })
        .then(function (html) {
          if (!html) return;
          var template = document.createElement("template");
          template.innerHTML = html.trim();
          var fresh = template.content.firstElementChild;
          var current = document.getElementById("nav-messages");
          if (fresh && fresh.id === "nav-messages" && current) current.replaceWith(fresh);
        })
        .catch(function () { /* offline: the next turn will tell */ })
        .then(function () { busy = false; });
    }
    setInterval(ask, every);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && Date.now() - last >= every) ask();
    });
  }

  // A page that came back with a form's errors: focus its summary, so it is read first; a link in it moves
  // to its field with the field's label in view. htmx swaps keep their own focus rules.
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && (!document.activeElement || document.activeElement === document.body)) summary.focus();
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-error-summary] a[data-field]");
      if (!link) return;
      var field = document.getElementById(link.dataset.field);
      if (!field) return;
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']") || field;
      (field.closest("fieldset") || label).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // The tab bar's "More" (a <details>, so it opens without JavaScript) closes on a tap elsewhere or Escape.
  function moreMenu() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.more[open]").forEach(function (more) {
        if (!more.contains(event.target)) more.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.more[open]").forEach(function (more) {
        more.open = false;
        var summary = more.querySelector("summary");
        if (summary && more.contains(document.activeElement)) summary.focus();
      });
    });
  }

  // The journal's note folds away on a phone only: where there is room it starts open (also after a swap).
  function openWhenWide(root) {
    if (!window.matchMedia || !window.matchMedia("(min-width: 37.51rem)").matches) return;
    (root || document).querySelectorAll("details[data-open-when-wide]").forEach(function (details) {
      details.open = true;
    });
  }

  // Copy buttons (recovery codes): shown only when the page can copy.
  function copyButtons() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copyTarget);
        if (!source) return;
        navigator.clipboard.writeText(source.value || source.textContent.trim()).then(
          function () { announce("Copied."); button.textContent = "Copied"; },
          function () { announce("Copying did not work: select the codes and copy them."); }
        );
      });
    });
  }

  // Message threads poll for new messages: never while the tab is hidden (no
  // point, and it would keep a phone's radio awake), and a message that reached
  // the page twice (sent here, then delivered by a poll) is shown once.
  function messagePolling() {
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.elt && event.detail.elt.id === "poller" && document.hidden) event.preventDefault();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var list = document.getElementById("message-list");
      if (!list || event.detail.target !== list) return;
      var seen = {};
      list.querySelectorAll("li[id^='m-']").forEach(function (item) {
        if (seen[item.id]) item.remove(); else seen[item.id] = true;
      });
      var empty = document.getElementById("no-messages");
      if (empty && list.querySelector("li[id^='m-']")) empty.remove();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    messagePolling();
    detectTimeZone();
    idleWatch();
    afterSwaps();
    loadMoreFocus();
    focusAfterOtherSwaps();
    whenSummary();
    copyButtons();
    openWhenWide();
    threadAtLatest();
    liveUnreadCount();
    errorSummary();
    moreMenu();
    document.body.addEventListener("htmx:afterSettle", function (event) { openWhenWide(event.detail.elt); });
  });
})();
