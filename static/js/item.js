// Case page: keyboard shortcuts, zoom, focus-aware active time and answer-change counting.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  var panels = document.getElementById("panels");
  var zoomButton = document.getElementById("zoom-toggle");

  function toggleZoom() {
    if (!panels) return;
    var zoomed = panels.classList.toggle("zoomed");
    if (zoomButton) zoomButton.setAttribute("aria-pressed", zoomed ? "true" : "false");
  }
  if (zoomButton) zoomButton.addEventListener("click", toggleZoom);
  document.querySelectorAll(".ecg-image").forEach(function (image) {
    image.addEventListener("click", toggleZoom);
  });

  if (!form) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "z" || event.key === "Z") toggleZoom();
    });
    return;
  }

  // Active time: only while the page is visible and the window has focus.
  var activeMs = 0;
  var activeSince = null;
  function isActive() { return document.visibilityState === "visible" && document.hasFocus(); }
  function update() {
    var now = performance.now();
    if (activeSince !== null) { activeMs += now - activeSince; activeSince = null; }
    if (isActive()) activeSince = now;
  }
  update();
  document.addEventListener("visibilitychange", update);
  window.addEventListener("focus", update);
  window.addEventListener("blur", update);

  // Answer changes: every switch of the main answer after the first choice.
  var changes = 0;
  var chosen = form.querySelector("input[name=answer]:checked");
  var hadAnswer = chosen !== null;
  form.querySelectorAll("input[name=answer]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (hadAnswer) changes += 1;
      hadAnswer = true;
    });
  });

  function choose(selector) {
    var input = form.querySelector(selector);
    if (input && !input.checked) {
      input.checked = true;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; }
    submitting = true;
    update();
    form.querySelector("[name=active_time_ms]").value = String(Math.round(activeMs));
    form.querySelector("[name=answer_changes]").value = String(changes);
    var button = document.getElementById("submit-answer");
    if (button) button.disabled = true;
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"))) return;
    var key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
    if (key === "Enter") {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
      return;
    }
    if (key === "Z") { toggleZoom(); return; }
    if (/^[1-9]$/.test(key)) { choose("input[data-digit='" + key + "']"); return; }
    choose("input[data-key='" + key + "']");
  });
})();
