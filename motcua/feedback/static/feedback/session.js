// The dialogue session's tablet screen (no inline script: the Content-Security-Policy forbids it).
// - A refused step (4xx: a Vietnamese message) is shown above the form instead of being dropped.
// - «Ghi nhận» clears the new issue's text after it is saved (the category stays chosen).
// - [data-confirm] forms ask before they are sent (ending the session).
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var box = document.getElementById("record-error");
    if (xhr.status >= 400 && xhr.status < 500 && box) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = box;
      event.detail.swapOverride = "innerHTML";
    } else if (xhr.status < 400 && box) {
      box.innerHTML = "";
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "raise" && event.detail.successful) {
      ["title", "description", "reporter_name", "reporter_phone"].forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field) field.value = "";
      });
      var details = form.querySelector("details");
      if (details) details.open = false;
      var title = form.elements.namedItem("title");
      if (title) title.focus();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    // Ending the session carries the count and the minutes as they are on the screen: an
    // autosave still on its way must not be overtaken by the report.
    if (form instanceof HTMLFormElement && form.classList.contains("finish")) {
      [["count", "[data-testid=attendance]"], ["minutes", "#minutes"]].forEach(function (pair) {
        var source = document.querySelector(pair[1]);
        var target = form.elements.namedItem(pair[0]);
        if (source && target) target.value = source.value;
      });
    }
  });
})();
