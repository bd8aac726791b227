/* The kiosk's printed ticket (issue 8 §2): print it at once (80 mm thermal paper, see the page's
   @page rule and queue.css), then return to the start after a few seconds, so that the next
   resident finds the buttons. No inline script: the Content-Security-Policy forbids it. */
(function () {
  "use strict";
  var ticket = document.getElementById("kiosk-ticket");
  if (!ticket) return;
  var back = ticket.dataset.return || "/lay-so/may/";
  var seconds = parseInt(ticket.dataset.seconds || "10", 10);
  var again = document.getElementById("kiosk-print");
  if (again) again.addEventListener("click", function () { window.print(); });
  window.setTimeout(function () { window.location.assign(back); }, seconds * 1000);
  window.addEventListener("load", function () { window.print(); });
})();
