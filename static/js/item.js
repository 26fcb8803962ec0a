// Case page answers: keyboard shortcuts, a client-side check that lists what is still
// unanswered in the reader's words, focus-aware active time and answer-change counting.
// A complete answer is posted in the background and the next item's page swapped in
// place: its panels were prefetched and decoded while the reader looked at this one, so
// the next ECGs appear at once. Anything but a next item (feedback, the end, an error)
// loads as a normal page; if the request fails the form is posted the ordinary way (the
// answer's client token makes a repeat harmless). Anything else the server sends a
// background post to (feedback, the end, a closed study) comes as an empty 204 naming the
// page in X-Next-Page, loaded once.
(function () {
  "use strict";
  var current = null;
  var preloaded = [];

  function preloadNext() {
    document.querySelectorAll("link[rel=prefetch]").forEach(function (link) {
      var image = new Image();
      image.src = link.href;
      if (image.decode) image.decode().catch(function () { return null; });
      preloaded.push(image);
    });
    preloaded = preloaded.slice(-4);
  }

  // ``carried``: the active time and answer changes of this same item before a submission
  // the server sent back (e.g. a stale page), so they are not lost.
  function createAnswerForm(carried) {
    var form = document.getElementById("answer-form");
    if (!form) return null;
    var missingBox = document.getElementById("missing");

    // Active time: only while the page is visible and the window has focus.
    var activeMs = carried ? carried.activeMs : 0;
    var activeSince = null;
    function isActive() { return document.visibilityState === "visible" && document.hasFocus(); }
    function update() {
      var now = performance.now();
      if (activeSince !== null) { activeMs += now - activeSince; activeSince = null; }
      if (isActive()) activeSince = now;
    }
    update();

    // Answer changes: every switch of the main answer after the first choice.
    var changes = carried ? carried.changes : 0;
    var hadAnswer = form.querySelector("input[name=answer]:checked") !== null;
    form.querySelectorAll("input[name=answer]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (hadAnswer) changes += 1;
        hadAnswer = true;
      });
    });

    // What is still unanswered, in the words each question carries (data-missing).
    var checked = false;
    function unanswered() {
      return Array.prototype.filter.call(form.querySelectorAll("fieldset[data-missing]"), function (set) {
        return set.dataset.missing && !set.querySelector("input:checked");
      });
    }
    function showMissing() {
      var sets = unanswered();
      form.querySelectorAll("fieldset[data-missing]").forEach(function (set) {
        set.classList.toggle("is-missing", sets.indexOf(set) >= 0);
      });
      missingBox.textContent = "";
      if (!sets.length) { missingBox.hidden = true; return sets; }
      var intro = document.createElement("p");
      intro.textContent = "Before submitting:";
      var list = document.createElement("ul");
      sets.forEach(function (set) {
        var item = document.createElement("li");
        item.textContent = set.dataset.missing;
        list.appendChild(item);
      });
      missingBox.appendChild(intro);
      missingBox.appendChild(list);
      missingBox.hidden = false;
      return sets;
    }
    form.addEventListener("change", function () { if (checked) showMissing(); });

    // Answering by key takes the focus off a view tool reached with Tab, so the next Enter
    // submits (as the Submit button says) instead of pressing that tool again.
    function choose(selector) {
      var input = form.querySelector(selector);
      var focused = document.activeElement;
      if (input && focused && focused.classList.contains("tool")) focused.blur();
      if (input && !input.checked) {
        input.checked = true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    var submitting = false;
    form.addEventListener("submit", function (event) {
      checked = true;
      event.preventDefault();
      if (submitting || showMissing().length) return;
      submitting = true;
      update();
      form.querySelector("[name=active_time_ms]").value = String(Math.round(activeMs));
      form.querySelector("[name=answer_changes]").value = String(changes);
      var button = document.getElementById("submit-answer");
      if (button) button.disabled = true;
      send(form);
    });

    function handleKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("dialog[open]")) return;
      var target = event.target;
      if (target && target.tagName === "TEXTAREA") {
        if (event.key === "Escape") target.blur();
        return;
      }
      if (target && target.tagName === "INPUT" && target.type === "text") return;
      var key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
      if (key === "Enter") {
        if (target && (target.tagName === "A" || target.tagName === "BUTTON")) return;
        event.preventDefault();
        if (event.repeat) return; // a held Enter must not answer the next item too
        if (form.requestSubmit) form.requestSubmit(); else form.dispatchEvent(new Event("submit"));
        return;
      }
      if (/^[0-9]$/.test(key)) { choose("input[data-digit='" + (key === "0" ? "10" : key) + "']"); return; }
      if (/^[A-Z]$/.test(key)) choose("input[data-key='" + key + "']");
    }

    function counters() { update(); return { activeMs: activeMs, changes: changes }; }

    return { update: update, handleKey: handleKey, counters: counters };
  }

  function send(form) {
    window.ecgTiming = { sent: performance.now() };
    var action = form.getAttribute("action") || window.location.href;
    fetch(action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      var elsewhere = response.headers.get("X-Next-Page");
      if (response.status === 204 && elsewhere) return { url: absolute(elsewhere), html: null };
      // The next item's page comes as the answer's response, its address in Content-Location;
      // without one, it is this item's page again (the answer was not accepted).
      var location = response.headers.get("Content-Location");
      var url = location ? absolute(location) : window.location.href;
      return response.text().then(function (html) { return { url: url, html: html }; });
    }).then(function (next) {
      // From here on the page changes; should anything fail, load the page the ordinary way.
      try {
        if (next.html === null || !swapTo(next.url, next.html)) window.location.assign(next.url);
      } catch (error) {
        window.location.assign(next.url);
      }
    }, function () {
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  function absolute(url) { return new URL(url, window.location.href).href; }

  // Swap the item page ``html`` (at ``url``) into this document; false when it is not an
  // item page.
  function swapTo(url, html) {
    window.ecgTiming.received = performance.now();
    var next = new DOMParser().parseFromString(html, "text/html");
    var content = next.getElementById("content");
    if (!content || !next.getElementById("answer-form")) return false;
    var sameItem = url === window.location.href;
    var carried = sameItem && current ? current.counters() : null;
    document.title = next.title;
    document.querySelectorAll("link[rel=prefetch]").forEach(function (link) { link.remove(); });
    next.querySelectorAll("link[rel=prefetch]").forEach(function (link) {
      document.head.appendChild(document.importNode(link, true));
    });
    var oldMessages = document.getElementById("messages");
    var newMessages = next.getElementById("messages");
    if (oldMessages) oldMessages.remove();
    document.getElementById("content").replaceWith(document.importNode(content, true));
    if (newMessages) document.getElementById("content").before(document.importNode(newMessages, true));
    if (!sameItem) window.history.pushState(null, "", url);
    window.scrollTo(0, 0);
    if (window.ecgViewer) window.ecgViewer.init();
    current = createAnswerForm(carried);
    preloadNext();
    // Focus moves to the new item, so assistive technology announces it.
    var page = document.getElementById("item-page");
    if (page) page.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("visibilitychange", function () { if (current) current.update(); });
  window.addEventListener("focus", function () { if (current) current.update(); });
  window.addEventListener("blur", function () { if (current) current.update(); });
  document.addEventListener("keydown", function (event) { if (current) current.handleKey(event); });
  // Back and forward after an in-place swap: let the server say where the reader is.
  window.addEventListener("popstate", function () { window.location.reload(); });

  current = createAnswerForm();
  preloadNext();
})();
