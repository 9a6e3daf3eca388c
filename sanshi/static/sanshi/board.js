/* The board's countdowns: each `.countdown[data-due]` shows the time left until its due time (or
   how late it is), ticking every second in the browser. The server's clock is taken from the
   board's `data-server-now` at each (re)load, so a phone whose clock is off still counts right.
   HTMX swaps the board every 3 s; the countdowns are found again after each swap. No library. */
(function () {
  "use strict";
  var offset = 0; // server time − browser time, in ms

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clockText(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(sec);
  }

  function sync() {
    var board = document.querySelector("[data-server-now]");
    var server = board ? Date.parse(board.getAttribute("data-server-now")) : NaN;
    if (!isNaN(server)) { offset = server - Date.now(); }
  }

  function tick() {
    var now = Date.now() + offset;
    var nodes = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      var late = left < 0;
      var label = late ? (el.getAttribute("data-late") || "超时") : (el.getAttribute("data-left") || "剩余");
      el.textContent = label + " " + clockText(left);
      el.classList.toggle("late", late);
      var clock = el.closest(".clock");
      if (clock) { clock.classList.toggle("late", late); }
    }
  }

  function refresh() { sync(); tick(); }

  document.addEventListener("htmx:afterSettle", refresh);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
  window.setInterval(tick, 1000);
})();
