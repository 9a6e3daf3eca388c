/* The urgent panels' countdowns (the case page, the responder's page): each `.countdown[data-due]`
   shows the time left until its due time, or how late it is, every second. The texts come from the
   script element's data-left / data-late ("（剩余 {t}）"), translated by the template. */
(function () {
  "use strict";
  var script = document.currentScript;
  var LEFT = script.getAttribute("data-left"), LATE = script.getAttribute("data-late");
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Math.round((new Date(el.dataset.due) - new Date()) / 1000);
      var m = Math.floor(Math.abs(left) / 60), s = Math.abs(left) % 60;
      var text = m + ":" + (s < 10 ? "0" : "") + s;
      el.textContent = (left >= 0 ? LEFT : LATE).replace("{t}", text);
      el.classList.toggle("error", left < 0);
    });
  }
  tick(); setInterval(tick, 1000);
})();
