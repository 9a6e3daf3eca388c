/* The dashboard's wall mode: a 全屏 button where the browser allows full screen (the page refreshes
   itself with <meta http-equiv="refresh">; no script is needed for that). No inline script: the
   Content-Security-Policy allows this site's files only. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-fullscreen]");
    if (!button || !document.fullscreenEnabled) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else { document.documentElement.requestFullscreen(); }
    });
  });
})();
