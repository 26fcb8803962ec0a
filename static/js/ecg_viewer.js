// ECG viewer: fits the panel(s) to the window (side by side, stacked, flip or true paper
// scale), a magnifier, calipers that read time, amplitude and rate, and the shortcut list.
// Every panel of a study has the same page geometry (#page-geometry), so nothing here
// depends on which ECG is shown. window.ecgViewer.init() binds it to the page's current
// panels (item.js calls it after swapping in the next item).
(function () {
  "use strict";
  var current = null;

  function createViewer() {
    var panels = document.getElementById("panels");
    if (!panels) return null;
    var geometry = JSON.parse(document.getElementById("page-geometry").textContent);
    var aspect = geometry.width_mm / geometry.height_mm;
    var figures = Array.prototype.slice.call(panels.querySelectorAll(".ecg-panel"));
    var images = figures.map(function (f) { return f.querySelector(".ecg-image"); });
    var form = document.getElementById("answer-form");
    var readout = document.getElementById("caliper-readout");
    var help = document.getElementById("shortcuts-help");
    var paperDialog = document.getElementById("paper-calibration");
    var VIEWS = figures.length > 1 ? ["fit", "side", "stacked", "flip", "paper"] : ["fit", "paper"];
    var GAP = 8;
    var DEFAULT_PX_PER_MM = 96 / 25.4;

    function stored(key, fallback) {
      try { var v = window.localStorage.getItem(key); return v === null ? fallback : v; }
      catch (e) { return fallback; }
    }
    function store(key, value) {
      try { window.localStorage.setItem(key, String(value)); } catch (e) { /* private mode */ }
    }

    // ---- Arrangement -------------------------------------------------------------------
    var view = stored("ecg.view", "fit");
    if (VIEWS.indexOf(view) < 0) view = "fit";
    if (view === "paper" && !stored("ecg.pxPerMm", null)) view = "fit";
    var shown = "a";
    var paperShown = ""; // paper scale: both ECGs one above the other, or only "a" or "b"

    function available() {
      var top = panels.getBoundingClientRect().top;
      var below = form ? form.getBoundingClientRect().height : 0;
      var caption = figures[0].querySelector("figcaption").getBoundingClientRect().height + 2;
      return {
        width: panels.clientWidth,
        height: Math.max(120, window.innerHeight - top - below - GAP - 4),
        caption: caption,
      };
    }

    function widthFor(arrangement, room) {
      var h = room.height - room.caption;
      if (arrangement === "side") return Math.min((room.width - GAP) / 2 - 2, h * aspect);
      if (arrangement === "stacked") {
        return Math.min(room.width - 2, ((room.height - GAP) / 2 - room.caption) * aspect);
      }
      return Math.min(room.width - 2, h * aspect);
    }

    function arrangementOf(room) {
      if (figures.length < 2 || view === "flip" || view === "paper") return "single";
      if (view === "side" || view === "stacked") return view;
      return widthFor("side", room) >= widthFor("stacked", room) ? "side" : "stacked";
    }

    function layout() {
      var room = available();
      var arrangement = arrangementOf(room);
      var width = view === "paper"
        ? geometry.width_mm * Number(stored("ecg.pxPerMm", DEFAULT_PX_PER_MM))
        : Math.max(200, Math.floor(widthFor(arrangement, room)));
      panels.dataset.view = view;
      panels.dataset.arrangement = arrangement;
      panels.dataset.shown = shown;
      panels.dataset.paperShown = view === "paper" ? paperShown : "";
      panels.style.maxHeight = view === "paper" ? room.height + "px" : "";
      images.forEach(function (image) {
        image.style.width = width + "px";
        image.style.height = width / aspect + "px";
      });
      document.querySelectorAll(".tool[data-view]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.dataset.view === view ? "true" : "false");
      });
      drawCalipers();
    }

    function setView(next) {
      if (next === "paper" && !stored("ecg.pxPerMm", null)) { calibratePaper(); return; }
      if (next === "paper" && view !== "paper") paperShown = "";
      view = next;
      store("ecg.view", view);
      layout();
    }

    // V steps through the arrangements; paper scale only once it has been calibrated (P).
    function cycleView() {
      var views = VIEWS.filter(function (v) { return v !== "paper" || stored("ecg.pxPerMm", null); });
      setView(views[(views.indexOf(view) + 1) % views.length]);
    }

    // At paper scale the flip stays at paper scale and keeps the scroll position, so the
    // same leads of A and B can be compared at true size.
    function flip() {
      if (figures.length < 2) return;
      if (view === "paper") {
        paperShown = paperShown === "a" ? "b" : "a";
        layout();
        return;
      }
      if (view !== "flip") { setView("flip"); return; }
      shown = shown === "a" ? "b" : "a";
      layout();
    }

    document.querySelectorAll(".tool[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (button.dataset.view === view && view === "flip") flip(); else setView(button.dataset.view);
      });
    });
    // A tool clicked with the mouse gives focus back, so Enter keeps submitting the answer
    // (a tool reached with Tab keeps focus, and Enter activates it as usual).
    document.querySelectorAll("button.tool").forEach(function (button) {
      button.addEventListener("click", function (event) { if (event.detail > 0) button.blur(); });
    });
    var formObserver = form && window.ResizeObserver ? new ResizeObserver(layout) : null;
    if (formObserver) formObserver.observe(form);

    // ---- True paper scale ----------------------------------------------------------------
    var CARD_MM = 85.6;
    function calibratePaper() {
      if (!paperDialog) return;
      var range = document.getElementById("calibration-range");
      var bar = document.getElementById("calibration-bar");
      var value = document.getElementById("calibration-value");
      function show() {
        bar.style.width = CARD_MM * Number(range.value) + "px";
        value.textContent = Number(range.value).toFixed(2) + " pixels per mm";
      }
      range.value = stored("ecg.pxPerMm", DEFAULT_PX_PER_MM);
      range.oninput = show;
      show();
      paperDialog.onclose = function () {
        if (paperDialog.returnValue === "save") {
          store("ecg.pxPerMm", range.value);
          setView("paper");
        }
      };
      paperDialog.showModal();
      range.focus();
    }

    // ---- Page coordinates --------------------------------------------------------------
    function toMm(image, clientX, clientY) {
      var rect = image.getBoundingClientRect();
      return {
        x: (clientX - rect.left) / rect.width * geometry.width_mm,
        y: (clientY - rect.top) / rect.height * geometry.height_mm,
      };
    }
    function toClient(image, point) {
      var rect = image.getBoundingClientRect();
      return {
        x: rect.left + point.x / geometry.width_mm * rect.width,
        y: rect.top + point.y / geometry.height_mm * rect.height,
      };
    }
    function regionAt(point) {
      for (var i = 0; i < geometry.regions.length; i++) {
        var r = geometry.regions[i];
        if (point.x >= r.x0 && point.x <= r.x1 && point.y >= r.y0 && point.y <= r.y1) return r;
      }
      return null;
    }
    function visible(image) { return image.getBoundingClientRect().width > 0; }

    // ---- Magnifier -----------------------------------------------------------------------
    var lens = document.getElementById("magnifier");
    var lensImage = lens ? lens.querySelector("img") : null;
    var magnifying = false;
    var zoom = Number(stored("ecg.zoom", 3));
    var focus = null; // {image, point in mm}: what the lens centres on

    function drawLens() {
      if (!lens) return;
      lens.hidden = !(magnifying && focus && visible(focus.image));
      lens.dataset.zoom = String(zoom);
      if (lens.hidden) return;
      var rect = focus.image.getBoundingClientRect();
      var at = toClient(focus.image, focus.point);
      var size = lens.getBoundingClientRect();
      lens.style.left = at.x - size.width / 2 + "px";
      lens.style.top = at.y - size.height / 2 + "px";
      if (lensImage.getAttribute("src") !== focus.image.getAttribute("src")) {
        lensImage.src = focus.image.getAttribute("src");
      }
      lensImage.style.width = rect.width * zoom + "px";
      lensImage.style.height = rect.height * zoom + "px";
      var dx = size.width / 2 - (at.x - rect.left) * zoom;
      var dy = size.height / 2 - (at.y - rect.top) * zoom;
      lensImage.style.transform = "translate(" + dx + "px," + dy + "px)";
    }
    function setMagnifier(on) {
      magnifying = on;
      var button = document.getElementById("magnifier-toggle");
      if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
      if (on && !focus) {
        var image = images.filter(visible)[0];
        if (image) focus = { image: image, point: { x: geometry.width_mm / 2, y: geometry.height_mm / 2 } };
      }
      drawLens();
    }
    function setZoom(next) {
      zoom = Math.max(2, Math.min(4, next));
      store("ecg.zoom", zoom);
      drawLens();
    }
    images.forEach(function (image) {
      image.addEventListener("pointermove", function (event) {
        focus = { image: image, point: toMm(image, event.clientX, event.clientY) };
        drawLens();
      });
      image.addEventListener("pointerleave", function () { if (lens) lens.hidden = true; });
      image.addEventListener("wheel", function (event) {
        if (!magnifying) return;
        event.preventDefault();
        setZoom(zoom + (event.deltaY < 0 ? 1 : -1));
      }, { passive: false });
    });
    var magnifierButton = document.getElementById("magnifier-toggle");
    if (magnifierButton) magnifierButton.addEventListener("click", function () { setMagnifier(!magnifying); });

    // ---- Calipers ------------------------------------------------------------------------
    var measuring = false;
    var points = []; // [{image, point}], at most two
    var SVG_NS = "http://www.w3.org/2000/svg";

    function overlayOf(image) {
      var frame = image.parentNode;
      var overlay = frame.querySelector(".caliper-layer");
      if (!overlay) {
        overlay = document.createElementNS(SVG_NS, "svg");
        overlay.setAttribute("class", "caliper-layer");
        overlay.setAttribute("viewBox", "0 0 " + geometry.width_mm + " " + geometry.height_mm);
        overlay.setAttribute("preserveAspectRatio", "none");
        frame.appendChild(overlay);
      }
      return overlay;
    }
    function line(overlay, x1, y1, x2, y2, kind) {
      var el = document.createElementNS(SVG_NS, "line");
      el.setAttribute("x1", x1); el.setAttribute("y1", y1);
      el.setAttribute("x2", x2); el.setAttribute("y2", y2);
      el.setAttribute("class", kind);
      overlay.appendChild(el);
    }
    function drawCalipers() {
      images.forEach(function (image) {
        var overlay = image.parentNode.querySelector(".caliper-layer");
        if (overlay) overlay.textContent = "";
      });
      panels.dataset.caliperPoints = JSON.stringify(points.map(function (p) {
        return [Number(p.point.x.toFixed(4)), Number(p.point.y.toFixed(4))];
      }));
      if (!points.length) { showReading(null); return; }
      var overlay = overlayOf(points[0].image);
      var h = geometry.height_mm, w = geometry.width_mm;
      points.forEach(function (p) {
        line(overlay, p.point.x, 0, p.point.x, h, "caliper-time");
        line(overlay, 0, p.point.y, w, p.point.y, "caliper-amplitude");
      });
      showReading(points.length === 2 ? measure(points[0].point, points[1].point) : null);
    }
    function measure(a, b) {
      var dtMs = Math.abs(b.x - a.x) / geometry.speed_mm_s * 1000;
      var ra = regionAt(a), rb = regionAt(b);
      var gain = ra && rb && ra.gain === rb.gain ? ra.gain : null;
      return {
        dtMs: dtMs,
        rate: dtMs > 0 ? 60000 / dtMs : null,
        dmV: gain ? (a.y - b.y) / gain : null,
      };
    }
    function showReading(reading) {
      if (!readout) return;
      if (!measuring) { readout.textContent = ""; readout.hidden = true; return; }
      readout.hidden = false;
      delete readout.dataset.dtMs; delete readout.dataset.dmv;
      if (!reading) {
        readout.textContent = points.length ? "Click the second point" : "Click a first point on an ECG";
        return;
      }
      readout.dataset.dtMs = reading.dtMs.toFixed(3);
      var parts = ["Δt " + Math.round(reading.dtMs) + " ms"];
      if (reading.rate) parts.push("rate " + Math.round(reading.rate) + "/min");
      if (reading.dmV !== null) {
        readout.dataset.dmv = reading.dmV.toFixed(4);
        parts.push("Δ " + reading.dmV.toFixed(2) + " mV");
      } else {
        parts.push("Δ mV: the points lie in leads drawn at different gains");
      }
      readout.textContent = parts.join(" · ");
    }
    function place(image, point) {
      if (points.length === 2 || (points.length && points[0].image !== image)) points = [];
      points.push({ image: image, point: point });
      drawCalipers();
    }
    function setCalipers(on) {
      measuring = on;
      if (!on) points = [];
      panels.classList.toggle("measuring", on);
      var button = document.getElementById("calipers-toggle");
      if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
      drawCalipers();
    }
    // Arrow keys move the last point to the next 0.1 mm (Shift: 1 mm) line of an invisible
    // grid, so a point can be set exactly on an edge seen in the magnifier.
    function nudge(dx, dy, step) {
      var last = points[points.length - 1];
      function snap(value, delta) {
        var ticks = value / step + delta;
        return (delta > 0 ? Math.floor(ticks + 1e-6) : delta < 0 ? Math.ceil(ticks - 1e-6) : ticks) * step;
      }
      last.point = { x: snap(last.point.x, dx), y: snap(last.point.y, dy) };
      focus = { image: last.image, point: last.point };
      drawCalipers();
      drawLens();
    }
    images.forEach(function (image) {
      image.addEventListener("click", function (event) {
        if (measuring) place(image, toMm(image, event.clientX, event.clientY));
        else setMagnifier(!magnifying);
      });
    });
    var calipersButton = document.getElementById("calipers-toggle");
    if (calipersButton) calipersButton.addEventListener("click", function () { setCalipers(!measuring); });

    // ---- Shortcut list -------------------------------------------------------------------
    function showHelp() { if (help && !help.open) help.showModal(); }
    var helpButton = document.getElementById("help-toggle");
    if (helpButton) helpButton.addEventListener("click", showHelp);

    // ---- Keys ----------------------------------------------------------------------------
    function handleKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("dialog[open]")) return;
      var target = event.target;
      if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
          (target.tagName === "INPUT" && target.type !== "radio" && target.type !== "checkbox"))) return;
      var key = event.key;
      var step = event.shiftKey ? 1 : 0.1;
      var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      var handled = true;
      var onControl = target && /^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
      if (key === "?") showHelp();
      else if (key === " " && figures.length > 1 && !onControl) flip();
      else if (key === "v" || key === "V") cycleView();
      else if (key === "p") setView(view === "paper" ? "fit" : "paper");
      else if (key === "P") calibratePaper();
      else if (key === "m" || key === "M" || key === "z" || key === "Z") setMagnifier(!magnifying);
      else if (key === "c" || key === "C") setCalipers(!measuring);
      else if ((key === "+" || key === "=") && magnifying) setZoom(zoom + 1);
      else if ((key === "-" || key === "_") && magnifying) setZoom(zoom - 1);
      else if (key === "." && measuring && focus) place(focus.image, focus.point);
      else if (key === "Escape" && measuring) { points = []; drawCalipers(); }
      else if (arrows[key] && measuring && points.length) nudge(arrows[key][0], arrows[key][1], step);
      else if (arrows[key] && magnifying && focus) {
        focus = { image: focus.image, point: { x: focus.point.x + arrows[key][0] * step * 10, y: focus.point.y + arrows[key][1] * step * 10 } };
        drawLens();
      } else if (view === "paper" && !onControl && scrollPaper(key)) {
        // handled: the keys a page scrolls with move the paper-scale panel area
      } else handled = false;
      if (handled) { event.preventDefault(); event.stopImmediatePropagation(); }
    }

    // The paper-scale panel area is its own scroll box, so the keys that scroll a page
    // scroll it, wherever the focus is (but on a control, which uses them itself).
    function scrollPaper(key) {
      var line = 40, page = panels.clientHeight * 0.9;
      var moves = {
        ArrowDown: [0, line], ArrowUp: [0, -line], ArrowRight: [line, 0], ArrowLeft: [-line, 0],
        PageDown: [0, page], PageUp: [0, -page],
        Home: [0, -panels.scrollHeight], End: [0, panels.scrollHeight],
      };
      if (!moves[key]) return false;
      panels.scrollBy(moves[key][0], moves[key][1]);
      return true;
    }

    // ---- Painted: every panel decoded and drawn (the next-item timing reads this) --------
    layout();
    document.documentElement.dataset.painted = "false";
    Promise.all(images.map(function (image) {
      return image.decode ? image.decode().catch(function () { return null; }) : null;
    })).then(function () {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          document.documentElement.dataset.paintedAt = performance.now().toFixed(1);
          document.documentElement.dataset.painted = "true";
        });
      });
    });

    return {
      layout: layout,
      handleKey: handleKey,
      stop: function () { if (formObserver) formObserver.disconnect(); },
    };
  }

  window.ecgViewer = {
    init: function () {
      if (current) current.stop();
      current = createViewer();
    },
  };
  document.addEventListener("keydown", function (event) {
    if (current) current.handleKey(event);
  }, true);
  window.addEventListener("resize", function () { if (current) current.layout(); });
  window.ecgViewer.init();
})();
