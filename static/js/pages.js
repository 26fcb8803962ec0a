// Pages between items (consent, instructions, feedback, reveal, end): Enter continues,
// i.e. activates the page's one element marked data-enter, unless focus is on a control.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.repeat) return;
    if (document.querySelector("dialog[open]")) return;
    var target = event.target;
    if (target && /^(A|BUTTON|TEXTAREA|SELECT|INPUT)$/.test(target.tagName)) return;
    var next = document.querySelector("[data-enter]");
    if (!next) return;
    event.preventDefault();
    next.click();
  });
})();
