/* The hall's TV board (issue 8 §5): listens to the center's event stream, re-reads the state
   fragment on each event, and announces each call: the counter's row flashes, the number fills
   the screen for a few seconds, a chime, then the call is spoken — with the browser's own
   Vietnamese voice when it has one, else with the clips shipped in static/queueing/voice/
   (or the ward's own, MOTCUA_VOICE_DIR). Calls queue up: never two voices at once.
   Without EventSource, or after 3 failures in a row, the state is re-read every 15 s.
   No inline script anywhere (CSP): the page hands its URLs in data- attributes and JSON. */
(function () {
  "use strict";

  var POLL_MS = 15000;
  var RETRY_STREAM_MS = 5 * 60 * 1000; // while polling, try the stream again this often
  var MAX_FAILURES = 3;
  var SHOW_MS = 5000; // the big number stays at least this long
  var FLASH_MS = 5000;
  var MAX_SPOKEN_COUNTER = 30;

  var body = document.body;
  var eventsUrl = body.getAttribute("data-events-url");
  var stateUrl = body.getAttribute("data-state-url");
  var voice = JSON.parse(document.getElementById("board-clips").textContent);
  var urls = voice.urls;
  var words = voice.words;

  // ---- the clips of a call: the same sequence as motcua/queueing/voice.py:call_clips ----

  function counterClips(counter) {
    if (counter > 0 && counter <= MAX_SPOKEN_COUNTER) return ["quay-" + counter];
    return String(counter).split("").map(function (d) { return "so-" + d; });
  }

  function callClips(number, counter) {
    var m = /^([A-Z])([0-9]{1,6})$/.exec(number || "");
    if (!m) return [];
    var out = ["moi-cong-dan-co-so", "chu-" + m[1].toLowerCase()];
    m[2].split("").forEach(function (d) { out.push("so-" + d); });
    if (counter !== null && counter !== undefined && counter !== "") {
      out.push("den-quay-so");
      out = out.concat(counterClips(Number(counter)));
    }
    return out;
  }

  function callSentence(number, counter) {
    return callClips(number, counter).map(function (c) { return words[c]; }).join(" ");
  }

  // ---- sound: the autoplay gate, the Vietnamese voice, the clips ----

  var soundOn = false;
  var soundButton = document.getElementById("board-sound");
  var synth = window.speechSynthesis || null;
  var viVoice = null;

  function pickVoice() {
    if (!synth || !synth.getVoices) return;
    viVoice = synth.getVoices().filter(function (v) {
      return (v.lang || "").toLowerCase().indexOf("vi") === 0;
    })[0] || null;
  }
  if (synth) {
    pickVoice();
    if (synth.addEventListener) synth.addEventListener("voiceschanged", pickVoice);
  }

  function enableSound() {
    soundOn = true;
    soundButton.hidden = true;
  }

  // Browsers refuse sound before a user gesture: the chime at volume 0 tells whether this one
  // does (a kiosk started with --autoplay-policy=no-user-gesture-required does not).
  function probeAutoplay() {
    var a = new Audio(urls.chuong);
    a.volume = 0;
    var p;
    try { p = a.play(); } catch (e) { p = null; }
    if (p && p.then) {
      p.then(function () { a.pause(); enableSound(); }, function () { soundButton.hidden = false; });
    } else {
      soundButton.hidden = false;
    }
  }

  soundButton.addEventListener("click", function () {
    // Inside the gesture: unlock audio (and speech, which some browsers also gate).
    var a = new Audio(urls.chuong);
    a.volume = 0;
    try { var p = a.play(); if (p && p.catch) p.catch(function () {}); } catch (e) { /* ignore */ }
    if (synth && viVoice) {
      try { synth.speak(new SpeechSynthesisUtterance(" ")); } catch (e) { /* ignore */ }
    }
    enableSound();
  });

  function playAll(names) {
    // Every clip starts loading at once; they play one after the other.
    var audios = names.filter(function (n) { return urls[n]; }).map(function (n) {
      var a = new Audio(urls[n]);
      a.preload = "auto";
      return a;
    });
    return audios.reduce(function (chain, a) {
      return chain.then(function () { return playOne(a); });
    }, Promise.resolve());
  }

  function playOne(a) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, 8000);
      function done() {
        clearTimeout(timer);
        a.onended = a.onerror = null;
        resolve();
      }
      a.onended = done;
      a.onerror = done;
      try {
        var p = a.play();
        if (p && p.catch) p.catch(done);
      } catch (e) {
        done();
      }
    });
  }

  function speakVoice(sentence) {
    return new Promise(function (resolve) {
      var u = new SpeechSynthesisUtterance(sentence);
      u.lang = viVoice.lang || "vi-VN";
      try { u.voice = viVoice; } catch (e) { /* lang alone picks it */ }
      u.rate = 0.9;
      var timer = setTimeout(done, 15000);
      function done() { clearTimeout(timer); resolve(); }
      u.onend = done;
      u.onerror = done;
      synth.speak(u);
    });
  }

  function speak(call) {
    if (synth && viVoice) return speakVoice(callSentence(call.number, call.counter));
    return playAll(callClips(call.number, call.counter));
  }

  // ---- announcing calls, one at a time ----

  var queue = [];
  var busy = false;
  var flashUntil = {};
  var overlay = document.getElementById("board-call");
  var overlayNumber = document.getElementById("board-call-number");
  var overlayCounter = document.getElementById("board-call-counter");

  function flashRows() {
    var now = Date.now();
    Object.keys(flashUntil).forEach(function (counter) {
      var row = document.getElementById("board-counter-" + counter);
      if (!row) return;
      if (flashUntil[counter] > now) row.classList.add("flash");
      else {
        row.classList.remove("flash");
        delete flashUntil[counter];
      }
    });
  }

  function flash(counter) {
    if (counter === null || counter === undefined || counter === "") return;
    var row = document.getElementById("board-counter-" + counter);
    if (row) {
      row.classList.remove("flash");
      void row.offsetWidth; // restart the animation
    }
    flashUntil[counter] = Date.now() + FLASH_MS;
    flashRows();
    setTimeout(flashRows, FLASH_MS + 50);
  }

  function announce(call) {
    queue.push(call);
    if (!busy) next();
  }

  function next() {
    var call = queue.shift();
    if (!call) {
      busy = false;
      overlay.hidden = true;
      return;
    }
    busy = true;
    overlayNumber.textContent = call.number;
    overlayCounter.textContent = call.counter === null || call.counter === undefined ? "" : call.counter;
    overlay.hidden = false;
    flash(call.counter);
    var started = Date.now();
    function done() {
      setTimeout(next, Math.max(0, SHOW_MS - (Date.now() - started)));
    }
    if (!soundOn) {
      done();
      return;
    }
    playAll(["chuong"]).then(function () { return speak(call); }).then(done, done);
  }

  // ---- the state: re-read on each event; new calls in it are announced once ----

  var lastSpoken = Number(document.getElementById("board-state").getAttribute("data-last-event")) || 0;
  var inFlight = false;
  var again = false;

  function announceNew(root) {
    var fresh = [];
    root.querySelectorAll("[data-event]").forEach(function (li) {
      var id = Number(li.getAttribute("data-event"));
      if (id > lastSpoken) {
        var counter = li.getAttribute("data-counter");
        fresh.push({ id: id, number: li.getAttribute("data-number"), counter: counter === "" ? null : Number(counter) });
      }
    });
    fresh.sort(function (a, b) { return a.id - b.id; });
    fresh.forEach(function (call) {
      lastSpoken = Math.max(lastSpoken, call.id);
      announce(call);
    });
  }

  function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    fetch(stateUrl, { cache: "no-store", credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("board-state");
        var old = document.getElementById("board-state");
        if (!fresh || !old) return;
        var now = Number(fresh.getAttribute("data-now"));
        if (now) clockOffset = now - Date.now();
        old.replaceWith(document.importNode(fresh, true));
        flashRows();
        announceNew(document.getElementById("board-state"));
      })
      .catch(function () { /* the next event or poll tries again */ })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function onTicket(ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    var id = Number(msg.id);
    if ((msg.kind === "CALLED" || msg.kind === "RECALLED") && id > lastSpoken) {
      lastSpoken = id;
      announce({ id: id, number: msg.number, counter: msg.counter });
    }
    refresh();
  }

  // ---- the stream, and the slow poll when it is missing or keeps failing ----

  var source = null;
  var failures = 0;
  var pollTimer = null;
  var offline = document.getElementById("board-offline");

  function startPolling() {
    if (pollTimer) return;
    offline.hidden = false;
    pollTimer = setInterval(refresh, POLL_MS);
    if (window.EventSource) setTimeout(connect, RETRY_STREAM_MS);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
    offline.hidden = true;
  }

  function connect() {
    if (!window.EventSource || !eventsUrl) {
      startPolling();
      return;
    }
    if (source) source.close();
    failures = 0;
    // The stream starts at "now"; on open the state is re-read, so a call made between the
    // page's drawing and the stream's opening is still announced (its id > lastSpoken).
    var es = new EventSource(eventsUrl);
    source = es;
    es.addEventListener("ticket", onTicket);
    es.onopen = function () {
      failures = 0;
      stopPolling();
      refresh();
    };
    es.onerror = function () {
      failures += 1;
      if (es.readyState === 2 || failures >= MAX_FAILURES) {
        es.close();
        if (source === es) source = null;
        startPolling();
      }
    };
  }

  // ---- the clock, on the server's time (a TV's own clock is often wrong) ----

  var clock = document.getElementById("board-clock");
  var dateEl = document.querySelector(".board-date");
  var clockOffset = Date.parse(clock.getAttribute("datetime")) - Date.now() || 0;
  var TZ = "Asia/Ho_Chi_Minh";

  function tick() {
    var d = new Date(Date.now() + clockOffset);
    try {
      clock.textContent = d.toLocaleTimeString("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false });
      dateEl.textContent = d.toLocaleDateString("vi-VN", { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" });
    } catch (e) { /* an old browser without time zones keeps the server's text */ }
  }

  window.motcuaBoard = {
    callClips: callClips,
    callSentence: callSentence,
    status: function () {
      return { soundOn: soundOn, polling: pollTimer !== null, lastSpoken: lastSpoken, streaming: source !== null, voice: viVoice ? viVoice.lang : null };
    },
  };

  setInterval(tick, 1000);
  probeAutoplay();
  connect();
})();
