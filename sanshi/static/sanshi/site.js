/* Behaviour the pages ask for with data attributes, so no page needs an inline script or an
   on…= handler (the Content-Security-Policy allows scripts from this site's files only):
     <form data-confirm="…">          asks before submitting
     <button data-print>              prints the page
     <input data-select-on-click>     selects its text when clicked (a link to copy)
   Delegated from the document, so content HTMX swaps in works too. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    if (target.closest("[data-print]")) { window.print(); return; }
    var field = target.closest("[data-select-on-click]");
    if (field && field.select) { field.select(); }
  });
})();
