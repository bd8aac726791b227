// The officer's console: re-read the state block when the center's event stream says a ticket
// changed (htmx also re-reads it every 5 s), and never while the officer is typing in it.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root || !window.htmx) return;

  function stateBlock() { return document.getElementById("console-state"); }

  // A poll or an event must not wipe a reason being typed or a target being chosen.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var block = stateBlock();
    if (!block || evt.detail.elt !== block) return;
    var active = document.activeElement;
    if (active && block.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      evt.preventDefault();
    }
  });

  var url = root.getAttribute("data-events-url");
  if (!url || !window.EventSource) return;  // htmx's every-5-s poll is the fallback
  var failures = 0;
  var source = new EventSource(url);
  source.addEventListener("ticket", function () {
    failures = 0;
    var block = stateBlock();
    if (block) window.htmx.trigger(block, "queue-event");
  });
  source.addEventListener("error", function () {
    failures += 1;
    if (failures >= 5) source.close();  // keeps failing: the poll alone
  });
})();
