/* The resident's ticket page (issue 8 §2, §6): listen to the center's event stream and re-read
   the card when an event names this ticket; when it is called: a big message (the card), a
   vibration and a beep (WebAudio, no file; after the first tap where the browser wants one).
   Fallback: a poll every 15 s when EventSource is missing or keeps failing (the card itself
   re-reads every 30 s anyway). No inline script: the Content-Security-Policy forbids it. */
(function () {
  "use strict";
  var card = function () { return document.getElementById("ticket"); };
  var first = card();
  if (!first || !first.dataset.events) return;
  var ticketId = first.dataset.ticket;
  var lastState = first.dataset.state;
  var audio = null;
  var soundButton = document.getElementById("queue-sound");

  function refresh() {
    var el = card();
    if (el && el.dataset.events && window.htmx) window.htmx.trigger(el, "queue-event");
  }

  function beep() {
    if (!audio || audio.state !== "running") return;
    var t = audio.currentTime;
    [0, 0.35, 0.7].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.6, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.32);
    });
  }

  function enableSound() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    var done = function () {
      if (soundButton && audio.state === "running") {
        soundButton.hidden = true;
      }
    };
    if (audio.state === "suspended" && audio.resume) audio.resume().then(done, function () {});
    else done();
  }

  if (soundButton && (window.AudioContext || window.webkitAudioContext)) {
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () { enableSound(); beep(); });
    document.addEventListener("pointerdown", enableSound, { once: true });
  }

  function alertCalled() {
    var el = card();
    if (el) el.classList.add("queue-flash");
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    beep();
  }

  document.addEventListener("htmx:afterSettle", function () {
    var el = card();
    if (!el) return;
    var state = el.dataset.state;
    if (state === "CALLED" && lastState !== "CALLED") alertCalled();
    lastState = state;
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  });

  var polling = null;
  function poll() {
    if (!polling) polling = window.setInterval(refresh, 15000);
  }

  if (!window.EventSource) {
    poll();
    return;
  }
  var failures = 0;
  var source = new EventSource(first.dataset.events);
  source.addEventListener("open", function () { failures = 0; });
  source.addEventListener("error", function () {
    failures += 1;
    if (failures >= 3 || source.readyState === EventSource.CLOSED) poll();
  });
  source.addEventListener("ticket", function (ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (String(data.ticket) !== ticketId) {
      // Someone of this line was called or left it: the place in line and the wait change.
      var el = card();
      if (el && data.group === el.dataset.group && data.kind !== "ISSUED" && lastState === "WAITING") refresh();
      return;
    }
    if (data.kind === "RECALLED") { lastState = "RECALLED"; }
    refresh();
  });
})();
