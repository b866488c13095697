/* Verbatim: coding stripes in the transcript's margin.
 *
 * Each coding is a bar in its code's colour beside the lines it covers, in the left padding of its
 * speaker turn; codings that overlap stand side by side, whoever coded them. The bars are read from
 * the highlights themselves (mark[data-codings] with aligned data-codes, data-coders and a title of
 * one "code — coder" line per coding, coding/highlights.py), so they follow every redraw.
 *
 * Only the turns near the screen are measured (an IntersectionObserver; the transcript's turns skip
 * rendering when off-screen), and only again when their highlights change (a MutationObserver) or
 * the text's width does. Positions are set through the CSSOM, which the Content-Security-Policy allows. */
(function () {
  "use strict";
  var root = null, near = new Set(), stale = new Set(), frame = 0, width = 0;
  var filter = { coder: "", code: "" }, on = true;
  var intersections = null, mutations = null, resizes = null;
  var LANE = 6, LANES = 5; // px per lane; lanes before they narrow

  function turnOf(node) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    return element && element.closest("#transcript .turn");
  }

  function codingsOf(turn) {
    var found = {}, list = [];
    turn.querySelectorAll("mark[data-codings]").forEach(function (mark) {
      var ids = mark.getAttribute("data-codings").split(" ");
      var codes = (mark.getAttribute("data-codes") || "").split(" ");
      var coders = (mark.getAttribute("data-coders") || "").split(" ");
      var labels = (mark.getAttribute("title") || "").split("\n");
      var rects = mark.getClientRects();
      if (!rects.length) return;
      var top = rects[0].top, bottom = rects[rects.length - 1].bottom;
      ids.forEach(function (id, i) {
        if ((filter.coder && coders[i] !== filter.coder) || (filter.code && codes[i] !== filter.code)) return;
        var coding = found[id];
        if (!coding) {
          coding = found[id] = { id: id, code: codes[i], label: labels[i] || "", top: top, bottom: bottom };
          list.push(coding);
        }
        coding.top = Math.min(coding.top, top);
        coding.bottom = Math.max(coding.bottom, bottom);
      });
    });
    return list;
  }

  function draw(turn) {
    stale.delete(turn);
    var layer = turn.querySelector(":scope > .stripes");
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "stripes";
      layer.setAttribute("aria-hidden", "true"); // the highlights' titles say the same to everyone
      turn.insertBefore(layer, turn.firstChild);
    }
    if (!on) { layer.replaceChildren(); return; }
    var base = turn.getBoundingClientRect().top, ends = [];
    var codings = codingsOf(turn).sort(function (a, b) { return a.top - b.top || b.bottom - a.bottom; });
    codings.forEach(function (c) {
      var lane = ends.findIndex(function (end) { return end <= c.top; });
      if (lane < 0) { lane = ends.length; ends.push(0); }
      ends[lane] = c.bottom;
      c.lane = lane;
    });
    var step = ends.length > LANES ? (LANE * LANES) / ends.length : LANE;
    layer.replaceChildren.apply(layer, codings.map(function (c) {
      var bar = document.createElement("span");
      bar.className = "stripe c-" + c.code;
      bar.setAttribute("data-coding", c.id);
      bar.setAttribute("data-label", c.label);
      bar.title = c.label;
      bar.style.top = c.top - base + "px";
      bar.style.height = Math.max(c.bottom - c.top, 4) + "px";
      bar.style.left = c.lane * step + "px";
      bar.style.width = Math.max(step - 2, 2) + "px";
      return bar;
    }));
  }

  function flush() {
    frame = 0;
    stale.forEach(function (turn) { if (near.has(turn) && turn.isConnected) draw(turn); });
  }

  function schedule(turn) {
    stale.add(turn);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function redrawAll() {
    if (!root) return;
    root.querySelectorAll(".turn").forEach(schedule);
  }

  function attach(transcript) {
    if (intersections) { intersections.disconnect(); mutations.disconnect(); resizes.disconnect(); }
    root = transcript;
    near = new Set();
    stale = new Set();
    if (!root) return;
    intersections = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) near.add(entry.target); else near.delete(entry.target);
      });
      if (!frame) frame = requestAnimationFrame(flush);
    }, { rootMargin: "800px 0px" });
    root.querySelectorAll(".turn").forEach(function (turn) { stale.add(turn); intersections.observe(turn); });
    // A swapped paragraph (someone's coding, an undo) makes its turn's stripes stale.
    mutations = new MutationObserver(function (records) {
      records.forEach(function (record) {
        var node = record.addedNodes[0] || record.removedNodes[0];
        if (record.target.closest(".stripes") || (node && node.classList && node.classList.contains("stripes"))) return;
        var turn = turnOf(record.target);
        if (turn) schedule(turn);
      });
    });
    mutations.observe(root, { childList: true, subtree: true });
    width = root.clientWidth;
    resizes = new ResizeObserver(function () {
      if (root.clientWidth === width) return; // lines rewrap only when the width changes
      width = root.clientWidth;
      redrawAll();
    });
    resizes.observe(root);
  }

  // Codings whose stripes stand out (the caret is on them): their names show beside them.
  function emphasize(ids) {
    if (!root) return;
    root.querySelectorAll(".stripe.current").forEach(function (bar) { bar.classList.remove("current"); });
    (ids || []).forEach(function (id) {
      root.querySelectorAll('.stripe[data-coding="' + id + '"]').forEach(function (bar) { bar.classList.add("current"); });
    });
  }

  window.VerbatimStripes = {
    attach: attach,
    emphasize: emphasize,
    show: function (value) { on = value; if (root) root.classList.toggle("stripes-on", on); redrawAll(); },
    filter: function (coder, code) { filter = { coder: coder || "", code: code || "" }; redrawAll(); },
  };
})();
