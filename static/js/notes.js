// The note page: ask before leaving with text that is not saved yet.
// A note form is "dirty" from the first keystroke until a save of it succeeds
// (an htmx autosave answered 2xx, or the form submitted normally).
(function () {
  "use strict";
  var dirty = new Set();
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-unsaved-warning]");
    if (form) dirty.add(form);
  });
  document.addEventListener("submit", function (event) {
    dirty.delete(event.target);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-unsaved-warning]");
    if (form && event.detail.successful) dirty.delete(form);
  });
  window.addEventListener("beforeunload", function (event) {
    var unsaved = false;
    dirty.forEach(function (form) { if (document.body.contains(form)) unsaved = true; });
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
