/* Verbatim coding workspace: the only behaviour htmx attributes cannot express.
 *
 * - Selecting text opens the code popover (#code-popover) beside it; the passage goes to the server as
 *   code-point offsets (VerbatimOffsets, offsets.js). The server validates them and answers with the
 *   paragraphs to redraw, out of band.
 * - Type-ahead in the popover: typing filters the codes (accents and case ignored), arrows move, Enter
 *   applies, 1–9 apply the shortcut codes while nothing is typed, Escape closes.
 * - Clicking a highlight opens the inspector for the codings under it.
 * - Without a mouse: Tab to the transcript; ↑/↓ go from paragraph to paragraph, ←/→ move the caret
 *   (Ctrl: by word), Shift with the arrows selects, Enter opens the popover, Escape comes back.
 * The pending passage stays painted (CSS Custom Highlight API) while the focus is in the popover. */
(function () {
  "use strict";
  var O = window.VerbatimOffsets;
  var root, popover, input, status, pending = null, active = null, lastCode = null;
  var RECENT = 5;

  function fold(s) { return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim(); }
  function choices() { return Array.prototype.slice.call(popover.querySelectorAll("#code-choices li")); }
  function visible() { return choices().filter(function (li) { return !li.hidden; }); }
  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", !!isError);
  }

  function paint() {
    if (!window.CSS || !CSS.highlights) return;
    var range = pending && O.rangeToDom(root, pending.start, pending.end);
    if (range) CSS.highlights.set("pending-passage", new Highlight(range));
    else CSS.highlights.delete("pending-passage");
  }

  function setActive(li) {
    choices().forEach(function (c) { c.classList.toggle("active", c === li); });
    active = li;
    if (li) { input.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
  }

  function filter() {
    var q = fold(input.value), exact = false;
    choices().forEach(function (li) {
      var name = li.getAttribute("data-name");
      li.hidden = q ? (li.classList.contains("recent") || name.indexOf(q) < 0) : false;
      if (q && fold(li.getAttribute("data-leaf")) === q) exact = true;
    });
    var create = popover.querySelector("[data-new=typed]");
    create.hidden = !q || exact;
    create.value = input.value.trim();
    create.querySelector("q").textContent = input.value.trim();
    setActive(visible()[0] || null);
  }

  function place() {
    var range = O.rangeToDom(root, pending.start, pending.end);
    var rect = range ? range.getBoundingClientRect() : root.getBoundingClientRect();
    popover.style.top = rect.bottom + window.scrollY + 8 + "px";
    var left = Math.min(rect.left, document.documentElement.clientWidth - popover.offsetWidth - 12);
    popover.style.left = Math.max(left, 8) + window.scrollX + "px";
  }

  // Take the current selection as the pending passage; true when there is one in the transcript.
  function takeSelection() {
    var range = O.selectionToRange(window.getSelection(), root);
    if (!range) return false;
    pending = range;
    popover.querySelector("[name=start]").value = range.start;
    popover.querySelector("[name=end]").value = range.end;
    var words = range.text.replace(/\s+/g, " ").trim();
    popover.querySelector(".passage").textContent = words.length > 120 ? words.slice(0, 117) + "…" : words;
    var inVivo = popover.querySelector("[data-new=in-vivo]");
    inVivo.value = words.length > 80 ? words.slice(0, 80).replace(/\s+\S*$/, "") : words;
    inVivo.querySelector("q").textContent = inVivo.value;
    return true;
  }

  function open(focus) {
    if (!takeSelection()) return;
    popover.hidden = false;
    input.value = "";
    filter();
    place();
    paint();
    if (focus) input.focus({ preventScroll: true });
  }

  // refocus: back to the transcript, the caret after the passage (the keyboard user's Escape).
  function close(refocus) {
    var last = pending;
    popover.hidden = true;
    pending = null;
    paint();
    if (!refocus || !last || !popover.contains(document.activeElement)) return;
    root.focus({ preventScroll: true });
    var range = O.rangeToDom(root, last.start, last.end);
    if (range) window.getSelection().collapse(range.endContainer, range.endOffset);
    showCaret();
  }

  /* The keyboard caret. Without caret browsing a page has no caret, so the transcript keeps one in
   * the document's selection (Selection.modify moves it as a text editor would) and paints the
   * character after it. */
  var STEPS = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" };

  function caretAt(paragraph) {
    var text = paragraph && document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT).nextNode();
    if (text) window.getSelection().collapse(text, 0);
  }

  function paragraphOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element && element.closest("#transcript p[data-start]");
  }

  function paragraphs() { return Array.prototype.slice.call(root.querySelectorAll("p[data-start]")); }

  function firstInView() {
    var all = paragraphs();
    return all.find(function (p) { return p.getBoundingClientRect().bottom > 0; }) || all[0];
  }

  function showCaret() {
    if (!window.CSS || !CSS.highlights) return;
    var sel = window.getSelection(), node = sel.focusNode;
    CSS.highlights.delete("keyboard-caret");
    if (!node || !root.contains(node)) return;
    (node.nodeType === 1 ? node : node.parentElement).scrollIntoView({ block: "nearest" });
    if (!sel.isCollapsed || node.nodeType !== 3 || sel.focusOffset >= node.length) return;
    var range = document.createRange();
    range.setStart(node, sel.focusOffset);
    range.setEnd(node, sel.focusOffset + 1);
    CSS.highlights.set("keyboard-caret", new Highlight(range));
  }

  /* A redrawn paragraph (someone's new coding, the codebook's new colours) replaces the text nodes
   * the keyboard's caret or selection lived in: keep them as offsets across the swap. */
  var kept = null;
  function keep() {
    var sel = window.getSelection();
    if (document.activeElement !== root || !sel.rangeCount || !root.contains(sel.focusNode)) return;
    // The selection's first point is a start, its last an end; a caret is a start.
    var first = sel.getRangeAt(0);
    var backward = !sel.isCollapsed && first.startContainer === sel.focusNode && first.startOffset === sel.focusOffset;
    var point = function (node, offset, bias) { return { at: O.pointToOffset(node, offset, bias, root), bias: bias }; };
    kept = {
      anchor: point(sel.anchorNode, sel.anchorOffset, backward ? "end" : "start"),
      focus: point(sel.focusNode, sel.focusOffset, backward || sel.isCollapsed ? "start" : "end"),
    };
  }
  function restore() {
    if (!kept) return;
    var a = O.offsetToDom(root, kept.anchor.at, kept.anchor.bias), f = O.offsetToDom(root, kept.focus.at, kept.focus.bias);
    kept = null;
    if (a && f) { window.getSelection().setBaseAndExtent(a[0], a[1], f[0], f[1]); showCaret(); }
  }

  // An arrow key on the focused transcript; true when it moved the caret or the selection.
  function moveCaret(event) {
    var direction = STEPS[event.key];
    if (!direction || event.altKey || event.metaKey) return false;
    var sel = window.getSelection(), vertical = /Up|Down/.test(event.key);
    if (!sel.rangeCount || !root.contains(sel.focusNode)) {
      caretAt(firstInView());
      if (!event.shiftKey) { showCaret(); return true; } // the first press shows where it is
    }
    if (vertical && !event.shiftKey) {
      var here = paragraphOf(sel.focusNode), all = paragraphs();
      caretAt(all[all.indexOf(here) + (direction === "forward" ? 1 : -1)] || here);
    } else {
      sel.modify(event.shiftKey ? "extend" : "move", direction, vertical ? "line" : event.ctrlKey ? "word" : "character");
    }
    showCaret();
    return true;
  }

  // A real click, not requestSubmit(button): htmx learns the submitter (its name and value) from clicks.
  // selectionchange arrives a task late: a quick Shift+Arrow then Enter must code the live selection.
  function submit(button) {
    if (document.activeElement !== input) takeSelection();
    if (button && pending) button.click();
  }

  // The code just applied becomes the first of the recent ones (the server sends the list only
  // when the codebook changes, to keep applying a code cheap).
  function promote(id) {
    var list = popover.querySelector("#code-choices");
    var source = id && list.querySelector('li.all button[value="' + id + '"]');
    if (!source) return;
    var old = list.querySelector('li.recent button[value="' + id + '"]');
    if (old) old.parentNode.remove();
    var li = source.parentNode.cloneNode(true);
    li.className = "recent";
    li.id = "choice-recent-" + id;
    li.removeAttribute("data-shortcut");
    var kbd = li.querySelector("kbd");
    if (kbd) kbd.remove();
    list.insertBefore(li, list.firstChild);
    Array.prototype.slice.call(list.querySelectorAll("li.recent"), RECENT).forEach(function (x) { x.remove(); });
  }

  function inspect(ids) {
    htmx.ajax("GET", root.getAttribute("data-inspect-url") + "?ids=" + ids.split(" ").join(","),
      { target: "#inspector", swap: "outerHTML" });
  }

  function onKey(event) {
    var inInput = event.target === input;
    if (event.key === "Escape" && !popover.hidden) { close(true); return; }
    // Plain ↑/↓ choose a code while the popover is open; Shift+arrows always refine the passage.
    if (event.target === root && (popover.hidden || event.shiftKey) && moveCaret(event)) {
      event.preventDefault();
      return;
    }
    // Typing in another field (a memo, a form of the codebook) is none of the popover's business.
    if (!inInput && (/INPUT|TEXTAREA|SELECT/.test(event.target.tagName) || event.target.isContentEditable)) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "z" && !inInput) {
      event.preventDefault();
      document.getElementById("undo").click();
      return;
    }
    if (popover.hidden) {
      if (event.key === "Enter" && !/BUTTON|A|SUMMARY/.test(event.target.tagName)) {
        event.preventDefault(); // else the Enter lands in the popover's box, and submits it
        if (!takeSelection() && event.target === root) say(root.getAttribute("data-need-selection"), true);
        else open(true);
      }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!inInput && event.shiftKey) return; // extending the selection
      var items = visible(), i = items.indexOf(active) + (event.key === "ArrowDown" ? 1 : -1);
      if (items.length) setActive(items[(i + items.length) % items.length]);
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      var create = popover.querySelector("[data-new=typed]");
      submit(active ? active.querySelector("button") : create.hidden ? null : create);
    } else if (/^[1-9]$/.test(event.key) && !input.value && !event.ctrlKey && !event.altKey) {
      event.preventDefault();
      var shortcut = popover.querySelector('#code-choices [data-shortcut="' + event.key + '"] button');
      submit(shortcut);
    } else if (!inInput && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      input.focus({ preventScroll: true }); // the key lands in the filter box
    }
  }

  /* Links from excerpts, reviews and search open the page at "?at=start-end": scroll there and
   * light the passage up for a few seconds. */
  function showPassage(at) {
    var bounds = /^(\d+)-(\d+)$/.exec(at || "");
    var range = bounds && O.rangeToDom(root, parseInt(bounds[1], 10), parseInt(bounds[2], 10));
    if (!range) return;
    var node = range.startContainer;
    (node.nodeType === 1 ? node : node.parentElement).scrollIntoView({ block: "center" });
    if (!window.CSS || !CSS.highlights) return;
    CSS.highlights.set("found-passage", new Highlight(range));
    window.setTimeout(function () { CSS.highlights.delete("found-passage"); }, 4000);
  }

  function init() {
    root = document.getElementById("transcript");
    popover = document.getElementById("code-popover");
    status = document.getElementById("workspace-status");
    if (!root || !popover) return;
    input = popover.querySelector("input[type=search]");

    document.addEventListener("mouseup", function (event) {
      if (popover.contains(event.target)) return;
      window.setTimeout(function () {
        var sel = window.getSelection();
        if (!sel.isCollapsed && root.contains(sel.anchorNode)) { open(false); return; }
        var mark = event.target.closest && event.target.closest("#transcript mark[data-codings]");
        if (mark && sel.isCollapsed) inspect(mark.getAttribute("data-codings"));
        if (sel.isCollapsed && !popover.hidden && !popover.contains(event.target)) close();
      }, 0);
    });
    // Shift+arrows refine a mouse selection while the popover is open.
    document.addEventListener("selectionchange", function () {
      if (!popover.hidden && document.activeElement !== input && takeSelection()) { place(); paint(); }
    });
    document.addEventListener("keydown", onKey);
    input.addEventListener("input", filter);
    popover.addEventListener("mousemove", function (event) {
      var li = event.target.closest("#code-choices li");
      if (li && li !== active) setActive(li);
    });
    // A code's apply button in the codebook sidebar applies it to the pending passage.
    document.addEventListener("click", function (event) {
      var apply = event.target.closest(".code-apply[data-code-id]");
      if (!apply) return;
      if (!pending && !takeSelection()) { say(root.getAttribute("data-need-selection"), true); return; }
      var id = apply.getAttribute("data-code-id");
      submit(popover.querySelector('#code-choices button[value="' + id + '"]'));
    });
    // Inspector buttons that act on the pending passage ("use the selection as new boundaries").
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (!event.detail.elt.hasAttribute("data-use-selection")) return;
      if (!pending && !takeSelection()) {
        event.preventDefault();
        say(root.getAttribute("data-need-selection"), true);
        return;
      }
      event.detail.parameters.start = pending.start;
      event.detail.parameters.end = pending.end;
    });
    popover.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=code]");
      lastCode = button ? button.value : null;
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== popover || !event.detail.successful) return;
      promote(lastCode);
      input.value = "";
      filter();
      input.focus();
    });
    // Swaps happen in one task, between these two events: no key press can fall in between.
    document.body.addEventListener("htmx:beforeSwap", keep);
    document.body.addEventListener("htmx:afterSwap", restore);
    document.body.addEventListener("htmx:afterSettle", function () { if (pending) { paint(); place(); } });
    document.body.addEventListener("htmx:responseError", function (event) {
      var code = event.detail.xhr.status;
      say(root.getAttribute(code === 404 ? "data-gone" : code === 403 ? "data-forbidden" : "data-failed"), true);
    });
    document.body.addEventListener("htmx:sendError", function () { say(root.getAttribute("data-offline"), true); });

    showPassage(new URLSearchParams(window.location.search).get("at"));
    var target = /^#coding-(\d+)$/.exec(window.location.hash);
    var mark = target && root.querySelector('mark[data-codings~="' + target[1] + '"]');
    if (mark) {
      mark.scrollIntoView({ block: "center" });
      mark.classList.add("flash");
      inspect(target[1]);
    }
  }

  document.addEventListener("DOMContentLoaded", init);
  // The transcript is swapped when the coder filter changes: keep its handlers' root current.
  document.addEventListener("htmx:afterSwap", function () { root = document.getElementById("transcript") || root; });
})();
